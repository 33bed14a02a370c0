/* textcls:FILE datasets and the word tokenizer (nn-text.h): splitting,
 * the vocabulary built from the training data (counts, size limit, minimum
 * count, out-of-vocabulary index), pre/post padding and truncation, binary
 * and multi-class labels, the errors naming file and line, the vocabulary
 * surviving a save and load, and a small Embedding -> LSTM -> Dense(sigmoid)
 * that learns a separable task through nn_train. */
#include <check.h>
#include <math.h>
#include <glib/gstdio.h>
#include "data/data-private.h"
#include "../check-run.h"

static char *tmp;

static char *
write_file (const char *name, const char *text, gssize len)
{
  char *p = g_build_filename (tmp, name, NULL);
  ck_assert (g_file_set_contents (p, text, len, NULL));
  return p;
}

static void
setup (void)
{
  tmp = g_dir_make_tmp ("nn-textcls-XXXXXX", NULL);
  ck_assert (tmp != NULL);
}

static void
teardown (void)
{
  g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", tmp);
  ck_assert_int_eq (system (cmd), 0);
  g_free (tmp);
}

/* Embedding -> LSTM -> Dense over `outputs` (1: sigmoid, else softmax). */
static NnModel *
text_model (int T, const char *text_opts, const char *labels, int outputs)
{
  g_autofree char *json = g_strdup_printf (
    "{\"input\": [%d], %s \"text\": {%s}, \"layers\": ["
    "{\"type\": \"embedding\", \"vocab\": 20, \"units\": 6},"
    "{\"type\": \"lstm\", \"units\": 8},"
    "{\"type\": \"dense\", \"units\": %d, \"activation\": \"%s\"}]}",
    T, labels, text_opts, outputs, outputs == 1 ? "sigmoid" : "softmax");
  if (!strstr (text_opts, "vocab_size")) {
    /* the embedding's 20 rows */
    g_autofree char *old = g_steal_pointer (&json);
    g_autofree char *opts = g_strdup_printf ("\"vocab_size\": 20%s%s", *text_opts ? ", " : "", text_opts);
    json = g_strdup_printf (
      "{\"input\": [%d], %s \"text\": {%s}, \"layers\": ["
      "{\"type\": \"embedding\", \"vocab\": 20, \"units\": 6},"
      "{\"type\": \"lstm\", \"units\": 8},"
      "{\"type\": \"dense\", \"units\": %d, \"activation\": \"%s\"}]}",
      T, labels, opts, outputs, outputs == 1 ? "sigmoid" : "softmax");
  }
  g_autoptr (GError) e = NULL;
  NnModel *m = nn_model_new_from_spec (json, 1, &e);
  ck_assert_msg (m != NULL, "%s", e ? e->message : "?");
  return m;
}

static NnDataset *
load (const char *name, const char *content, gssize len, NnModel *m, GError **e)
{
  g_autofree char *p = write_file (name, content, len);
  g_autofree char *uri = g_strconcat ("textcls:", p, NULL);
  return nn_dataset_load (uri, m, e);
}

static void
assert_row (const NnDataset *ds, int i, const int *want, int T)
{
  for (int s = 0; s < T; s++)
    ck_assert_msg (ds->x[i * T + s] == (float) want[s], "row %d step %d: %g, want %d", i, s,
                   (double) ds->x[i * T + s], want[s]);
}

START_TEST (test_split)
{
  g_auto (GStrv) a = nn_text_split ("This film wasn't EXCELLENT!! (really)... 'quoted' 42x", TRUE);
  const char *want[] = { "this", "film", "wasn't", "excellent", "really", "quoted", "42x", NULL };
  ck_assert_int_eq (g_strv_length (a), 7);
  for (int i = 0; want[i]; i++)
    ck_assert_str_eq (a[i], want[i]);
  g_auto (GStrv) b = nn_text_split ("Café-au-lait, ÉTÉ", FALSE);
  ck_assert_int_eq (g_strv_length (b), 4);
  ck_assert_str_eq (b[0], "Café");
  ck_assert_str_eq (b[3], "ÉTÉ");
  g_auto (GStrv) c = nn_text_split ("Café-au-lait, ÉTÉ", TRUE);
  ck_assert_str_eq (c[3], "été");
  g_auto (GStrv) d = nn_text_split (" ,.;! ", TRUE);
  ck_assert_int_eq (g_strv_length (d), 0);
}
END_TEST

/* counts: b 3, a 2, c 2, d 1: vocabulary b a c d (ties in byte order) */
static const char data4[] = "x\tb a c\ny\tB, b; a!\n\nx\tc d\n";

START_TEST (test_vocab_and_padding_post)
{
  g_autoptr (NnModel) m = text_model (4, "\"padding\": \"post\", \"truncating\": \"post\"", "", 1);
  g_autoptr (GError) e = NULL;
  g_autoptr (NnDataset) ds = load ("d.txt", data4, -1, m, &e);
  ck_assert_msg (ds != NULL, "%s", e ? e->message : "?");
  const NnTextOptions *o = nn_spec_text (nn_model_get_spec (m));
  ck_assert_int_eq (o->n_words, 4);
  const char *words[] = { "b", "a", "c", "d" };
  for (int i = 0; i < 4; i++)
    ck_assert_str_eq (o->words[i], words[i]);
  ck_assert_int_eq (ds->n, 3);
  ck_assert_int_eq (ds->label_steps, 1);
  ck_assert_int_eq (ds->n_classes, 2);
  /* no labels in the spec: the file's, sorted */
  ck_assert_str_eq (ds->class_names[0], "x");
  ck_assert_str_eq (ds->class_names[1], "y");
  ck_assert_int_eq (ds->labels[0], 0);
  ck_assert_int_eq (ds->labels[1], 1);
  ck_assert_int_eq (ds->labels[2], 0);
  assert_row (ds, 0, (int[]) { 2, 3, 4, 0 }, 4);
  assert_row (ds, 1, (int[]) { 2, 2, 3, 0 }, 4);
  assert_row (ds, 2, (int[]) { 4, 5, 0, 0 }, 4);
  /* the vocabulary is the first file's: a later file's new words are OOV (1),
   * and truncating "post" keeps the first T words */
  g_autoptr (NnDataset) v = load ("v.txt", "y\tzebra d d b a c\nx\ta\n", -1, m, &e);
  ck_assert_msg (v != NULL, "%s", e ? e->message : "?");
  ck_assert_int_eq (nn_spec_text (nn_model_get_spec (m))->n_words, 4);
  assert_row (v, 0, (int[]) { 1, 5, 5, 2 }, 4);
}
END_TEST

/* A split (nn train --val-split) counts the vocabulary on the training rows
 * only: each line has a word of its own, so the training rows' words are all
 * in the vocabulary and every validation row is out of it (1). */
START_TEST (test_vocab_from_training_rows)
{
  g_autoptr (NnModel) m = text_model (2, "\"padding\": \"post\"", "", 1);
  g_autoptr (GString) text = g_string_new (NULL);
  for (int i = 0; i < 10; i++)
    g_string_append_printf (text, "%s\tw%d\n", i % 2 ? "x" : "y", i);
  g_autofree char *p = write_file ("split.txt", text->str, -1);
  g_autofree char *uri = g_strconcat ("textcls:", p, NULL);
  g_autoptr (GError) e = NULL;
  NnDataset *train = NULL, *val = NULL;
  ck_assert_msg (nn_dataset_load_split (uri, m, 0.3, 7, &train, &val, &e), "%s", e ? e->message : "?");
  ck_assert_int_eq (train->n, 7);
  ck_assert_int_eq (val->n, 3);
  ck_assert_int_eq (nn_spec_text (nn_model_get_spec (m))->n_words, 7);
  for (int i = 0; i < 7; i++)
    ck_assert_msg (train->x[i * 2] >= 2.0f, "training row %d: %g", i, (double) train->x[i * 2]);
  for (int i = 0; i < 3; i++)
    assert_row (val, i, (int[]) { 1, 0 }, 2);
  nn_dataset_free (train);
  nn_dataset_free (val);
}
END_TEST

START_TEST (test_padding_pre_limits)
{
  /* Keras' defaults (pre, pre); vocab_size 4 keeps b and a; min_count 2 drops d */
  g_autoptr (NnModel) m = text_model (2, "\"vocab_size\": 4, \"min_count\": 2", "", 1);
  g_autoptr (GError) e = NULL;
  g_autoptr (NnDataset) ds = load ("d.txt", data4, -1, m, &e);
  ck_assert_msg (ds != NULL, "%s", e ? e->message : "?");
  const NnTextOptions *o = nn_spec_text (nn_model_get_spec (m));
  ck_assert_int_eq (o->n_words, 2);
  ck_assert_str_eq (o->words[0], "b");
  ck_assert_str_eq (o->words[1], "a");
  assert_row (ds, 0, (int[]) { 3, 1 }, 2);   /* "b a c": the last two, c OOV */
  assert_row (ds, 2, (int[]) { 1, 1 }, 2);   /* "c d" */
  g_autoptr (NnModel) m2 = text_model (3, "\"min_count\": 3", "", 1);
  g_autoptr (NnDataset) d2 = load ("d.txt", data4, -1, m2, &e);
  ck_assert_msg (d2 != NULL, "%s", e ? e->message : "?");
  ck_assert_int_eq (nn_spec_text (nn_model_get_spec (m2))->n_words, 1);
  assert_row (d2, 2, (int[]) { 0, 1, 1 }, 3); /* padded before the words */
}
END_TEST

START_TEST (test_multiclass_spec_labels)
{
  g_autoptr (NnModel) m = text_model (3, "", "\"labels\": [\"z\", \"x\", \"y\"],", 3);
  g_autoptr (GError) e = NULL;
  g_autoptr (NnDataset) ds = load ("m.txt", "x\ta\ny\tb\nz\tc\nx\ta a\n", -1, m, &e);
  ck_assert_msg (ds != NULL, "%s", e ? e->message : "?");
  ck_assert_int_eq (ds->n_classes, 3);
  int want[] = { 1, 2, 0, 1 };
  for (int i = 0; i < 4; i++)
    ck_assert_int_eq (ds->labels[i], want[i]);
  ck_assert_str_eq (ds->class_names[0], "z");
  ck_assert_int_eq (nn_model_default_loss (m), NN_LOSS_CCE);
  /* a label the model does not have */
  g_autoptr (NnDataset) bad = load ("b.txt", "x\ta\nw\tb\n", -1, m, &e);
  ck_assert (bad == NULL);
  ck_assert_msg (strstr (e->message, "b.txt:2: label \"w\""), "%s", e->message);
  g_clear_error (&e);
  /* a class with no examples */
  g_autoptr (NnDataset) none = load ("n.txt", "x\ta\ny\tb\n", -1, m, &e);
  ck_assert (none == NULL);
  ck_assert_msg (strstr (e->message, "n.txt: textcls: class \"z\" has no examples"), "%s", e->message);
  g_clear_error (&e);
  /* three distinct labels for a binary model */
  g_autoptr (NnModel) b = text_model (3, "", "", 1);
  g_autoptr (NnDataset) three = load ("t.txt", "x\ta\ny\tb\nz\tc\n", -1, b, &e);
  ck_assert (three == NULL);
  ck_assert_msg (strstr (e->message, "3 labels (x, y, z), the model has 2 classes"), "%s", e->message);
}
END_TEST

static void
expect_error (NnModel *m, const char *name, const char *content, gssize len, const char *want)
{
  g_autoptr (GError) e = NULL;
  g_autoptr (NnDataset) ds = load (name, content, len, m, &e);
  ck_assert_msg (ds == NULL, "%s loaded", name);
  ck_assert_msg (e && strstr (e->message, want), "%s: \"%s\" does not say \"%s\"", name, e ? e->message : "",
                 want);
}

START_TEST (test_errors)
{
  g_autoptr (NnModel) m = text_model (3, "", "", 1);
  expect_error (m, "empty.txt", "", 0, "empty.txt: textcls: the file is empty");
  expect_error (m, "blank.txt", "\n\n", -1, "blank.txt: textcls: no label<TAB>text lines");
  expect_error (m, "nolabel.txt", "x\ta\nno tab here\n", -1, "nolabel.txt:2: no label");
  expect_error (m, "emptylabel.txt", "x\ta\n\ny\tb\n \tc\n", -1, "emptylabel.txt:4: no label");
  expect_error (m, "utf8.txt", "x\ta\ny\tb\nx\tcaf\xc3(\n", -1, "utf8.txt:3: not UTF-8 (byte 6 of the line)");
  g_autoptr (GError) io = NULL;
  g_autofree char *missing = g_strdup_printf ("textcls:%s/missing.txt", tmp);
  g_autoptr (NnDataset) none = nn_dataset_load (missing, m, &io);
  ck_assert (none == NULL && io && strstr (io->message, "missing.txt"));
  /* a spec without "text", and an embedding smaller than the vocabulary */
  g_autoptr (GError) e = NULL;
  g_autoptr (NnModel) plain = nn_model_new_from_spec (
    "{\"input\": [3], \"layers\": [{\"type\": \"embedding\", \"vocab\": 5, \"units\": 2},"
    "{\"type\": \"lstm\", \"units\": 2}, {\"type\": \"dense\", \"units\": 1}]}", 1, &e);
  ck_assert (plain != NULL);
  expect_error (plain, "p.txt", "x\ta\n", -1, "no \"text\" block");
  g_autoptr (NnModel) small = text_model (3, "\"vocab_size\": 50", "", 1);
  expect_error (small, "s.txt", "x\ta\n", -1, "\"vocab_size\" 50 is more than the embedding's \"vocab\" 20");
  /* spec errors of the text block */
  g_autoptr (NnSpec) s1 = nn_spec_parse ("{\"input\": [3], \"text\": {\"padding\": \"middle\"}, \"layers\": "
                                         "[{\"type\": \"dense\", \"units\": 1}]}", "t.json", &e);
  ck_assert (s1 == NULL);
  ck_assert_msg (strstr (e->message, "t.json: text.padding"), "%s", e->message);
  g_clear_error (&e);
  g_autoptr (NnSpec) s2 = nn_spec_parse ("{\"input\": [3], \"text\": {\"vocab\": 3}, \"layers\": "
                                         "[{\"type\": \"dense\", \"units\": 1}]}", "t.json", &e);
  ck_assert (s2 == NULL);
  ck_assert_msg (strstr (e->message, "unknown key"), "%s", e->message);
  g_clear_error (&e);
  /* a model not yet trained has no words to tokenize with */
  g_autoptr (NnTokenizer) tok = nn_tokenizer_new (nn_model_get_spec (m), &e);
  ck_assert (tok == NULL);
  ck_assert_msg (strstr (e->message, "no \"words\""), "%s", e->message);
}
END_TEST

START_TEST (test_vocab_saved_and_learns)
{
  /* positive sentences hold "good", negative ones "bad", among shared filler */
  g_autoptr (GString) s = g_string_new (NULL);
  const char *filler[] = { "the", "film", "was", "very", "quite", "plot" };
  /* the filler is drawn independently of the label: only the verdict word tells */
  g_autoptr (GRand) rng = g_rand_new_with_seed (7);
  for (int i = 0; i < 80; i++) {
    gboolean pos = i % 2;
    int f[3];
    for (int k = 0; k < 3; k++)
      f[k] = g_rand_int_range (rng, 0, 6);
    g_string_append_printf (s, "%s\t%s %s %s %s\n", pos ? "positive" : "negative", filler[f[0]],
                            pos ? (i % 3 ? "good" : "great") : (i % 3 ? "bad" : "awful"), filler[f[1]], filler[f[2]]);
  }
  g_autoptr (NnModel) m = text_model (5, "\"padding\": \"post\"", "\"labels\": [\"negative\", \"positive\"],", 1);
  g_autoptr (GError) e = NULL;
  g_autoptr (NnDataset) ds = load ("train.txt", s->str, -1, m, &e);
  ck_assert_msg (ds != NULL, "%s", e ? e->message : "?");
  ck_assert_int_eq (nn_model_default_loss (m), NN_LOSS_BCE);
  NnTrainConfig c;
  nn_train_config_init (&c);
  c.loss = nn_model_default_loss (m);  /* bce, the seed's binary_crossentropy */
  c.epochs = 40;
  c.batch = 16;
  c.optim.lr = 0.02f;
  ck_assert_msg (nn_train (m, &c, ds, NULL, &e), "%s", e ? e->message : "?");
  g_autoptr (NnEvalResult) r = nn_evaluate (m, ds, NN_LOSS_BCE, 64, &e);
  ck_assert (r != NULL);
  ck_assert_msg (r->acc >= 0.95, "training accuracy %.3f", r->acc);
  /* the words go into the model file; a tokenizer from the file alone
   * encodes a sentence as the training data was, and predicts alike */
  g_autofree char *st = g_build_filename (tmp, "m.safetensors", NULL);
  ck_assert_msg (nn_model_save (m, st, &e), "%s", e ? e->message : "?");
  g_autoptr (NnModel) back = nn_model_load (st, &e);
  ck_assert_msg (back != NULL, "%s", e ? e->message : "?");
  ck_assert_str_eq (nn_model_label (back, 1), "positive");
  const NnTextOptions *o = nn_spec_text (nn_model_get_spec (m)), *ob = nn_spec_text (nn_model_get_spec (back));
  ck_assert_int_eq (ob->n_words, o->n_words);
  for (int i = 0; i < o->n_words; i++)
    ck_assert_str_eq (ob->words[i], o->words[i]);
  ck_assert (ob->pad_post && !ob->trunc_post && ob->lower);
  g_autoptr (NnTokenizer) tok = nn_tokenizer_new (nn_model_get_spec (back), &e);
  ck_assert_msg (tok != NULL, "%s", e ? e->message : "?");
  ck_assert_int_eq (nn_tokenizer_length (tok), 5);
  float x[5];
  /* the training sentences' shape: filler, the verdict word, filler */
  const char *lines[] = { "The GOOD film, was...", "plot bad: the very" };
  for (int k = 0; k < 2; k++) {
    ck_assert_int_eq (nn_tokenizer_encode (tok, lines[k], x), 4);
    ck_assert_float_eq (x[4], 0.0f);
    const float *out = nn_model_forward (back, x, 1, FALSE, &e);
    ck_assert_msg (out != NULL, "%s", e ? e->message : "?");
    ck_assert_msg (k ? out[0] < 0.5f : out[0] > 0.5f, "\"%s\": %g", lines[k], (double) out[0]);
  }
  ck_assert_int_eq (nn_tokenizer_index (tok, "good") >= 2, TRUE);
  ck_assert_int_eq (nn_tokenizer_index (tok, "unseen"), NN_TEXT_OOV);
}
END_TEST

/* PyTorch parity (tests/fixtures/make-textcls-fixture.py): the shipped
 * fortunes-computers-politics weights in torch.nn.Embedding -> LSTM -> Linear
 * -> sigmoid, run in float64; our tokenizer gives the script's indices for
 * each sentence and our forward its output within 1e-5. */
START_TEST (test_torch_parity)
{
  const char *root = g_getenv ("NN_SOURCE_ROOT");
  ck_assert (root != NULL);
  g_autofree char *fixture = g_build_filename (root, "tests", "fixtures", "textcls-torch.json", NULL);
  g_autoptr (JsonParser) jp = json_parser_new ();
  g_autoptr (GError) e = NULL;
  ck_assert_msg (json_parser_load_from_file (jp, fixture, &e), "%s", e ? e->message : "?");
  JsonObject *o = json_node_get_object (json_parser_get_root (jp));
  g_autofree char *model = g_build_filename (root, json_object_get_string_member (o, "model"), NULL);
  g_autoptr (NnModel) m = nn_model_load (model, &e);
  ck_assert_msg (m != NULL, "%s", e ? e->message : "?");
  g_autoptr (NnTokenizer) tok = nn_tokenizer_new (nn_model_get_spec (m), &e);
  ck_assert_msg (tok != NULL, "%s", e ? e->message : "?");
  int T = nn_tokenizer_length (tok), sentences = 0;
  JsonArray *cases = json_object_get_array_member (o, "cases");
  ck_assert_int_ge (json_array_get_length (cases), 8);
  g_autofree float *x = g_new (float, T), *mine = g_new (float, T);
  for (guint i = 0; i < json_array_get_length (cases); i++) {
    JsonObject *c = json_array_get_object_element (cases, i);
    JsonArray *ids = json_object_get_array_member (c, "ids");
    ck_assert_int_eq (json_array_get_length (ids), T);
    for (int s = 0; s < T; s++)
      x[s] = (float) json_array_get_int_element (ids, s);
    if (!json_object_get_null_member (c, "text")) {
      const char *text = json_object_get_string_member (c, "text");
      nn_tokenizer_encode (tok, text, mine);
      for (int s = 0; s < T; s++)
        ck_assert_msg (mine[s] == x[s], "\"%s\" step %d: %g, PyTorch's script %g", text, s, (double) mine[s],
                       (double) x[s]);
      sentences++;
    }
    const float *out = nn_model_forward (m, x, 1, FALSE, &e);
    ck_assert_msg (out != NULL, "%s", e ? e->message : "?");
    double want = json_object_get_double_member (c, "output");
    ck_assert_msg (fabs (out[0] - want) < 1e-5, "case %u: %.8f, PyTorch %.8f", i, (double) out[0], want);
  }
  ck_assert_int_ge (sentences, 5);
}
END_TEST

int
main (void)
{
  nn_set_threads (1);
  Suite *s = suite_create ("data-textcls");
  TCase *tc = tcase_create ("core");
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_set_timeout (tc, 120);
  tcase_add_test (tc, test_split);
  tcase_add_test (tc, test_vocab_and_padding_post);
  tcase_add_test (tc, test_vocab_from_training_rows);
  tcase_add_test (tc, test_padding_pre_limits);
  tcase_add_test (tc, test_multiclass_spec_labels);
  tcase_add_test (tc, test_errors);
  tcase_add_test (tc, test_vocab_saved_and_learns);
  tcase_add_test (tc, test_torch_parity);
  suite_add_tcase (s, tc);
  return nn_check_run (s);
}
