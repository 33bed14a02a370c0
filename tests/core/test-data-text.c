/* text:FILE datasets: windows of T character indices with the next character
 * of every step as a class label, the vocabulary from the spec's "vocab", the fallback for unknown
 * characters, the errors; and a tiny character model that learns through
 * nn_train to beat the unigram baseline. */
#include <check.h>
#include <math.h>
#include <glib/gstdio.h>
#include "data/data-private.h"
#include "../check-run.h"

static char *tmp;

static char *
write_text (const char *name, const char *text, gssize len)
{
  char *p = g_build_filename (tmp, name, NULL);
  ck_assert (g_file_set_contents (p, text, len, NULL));
  return p;
}

static void
setup (void)
{
  tmp = g_dir_make_tmp ("nn-text-XXXXXX", NULL);
  ck_assert (tmp != NULL);
}

static void
teardown (void)
{
  g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", tmp);
  ck_assert_int_eq (system (cmd), 0);
  g_free (tmp);
}

static NnDataTarget
target (int T, const char *vocab, int V)
{
  NnDataTarget t = { 0 };
  t.input = (NnShape) { 1, { T } };
  t.n_out = (int64_t) T * V;
  t.vocab = vocab;
  return t;
}

static NnDataset *
load_ok (const char *path, const NnDataTarget *t)
{
  g_autoptr (GError) e = NULL;
  NnDataset *ds = nn_data_load_text (path, t, &e);
  ck_assert_msg (ds != NULL, "%s", e ? e->message : "?");
  return ds;
}

/* The class label of step s of sample i, checked to be a valid class. */
static int
label (const NnDataset *ds, int64_t i, int s, int V)
{
  ck_assert_int_eq (ds->target_dim, 0);
  ck_assert (ds->y == NULL);
  int k = ds->labels[i * ds->label_steps + s];
  ck_assert (k >= 0 && k < V);
  return k;
}

START_TEST (test_windows)
{
  /* vocab "abcd": a=0 b=1 c=2 d=3; T=4, stride 2 over 11 characters */
  g_autofree char *p = write_text ("t.txt", "abcdabcdcba", -1);
  NnDataTarget t = target (4, "abcd", 4);
  g_autoptr (NnDataset) ds = load_ok (p, &t);
  const char *text = "abcdabcdcba";
  ck_assert_int_eq (ds->n, (11 - 1 - 4) / 2 + 1);
  ck_assert_int_eq (ds->sample_shape.ndim, 1);
  ck_assert_int_eq (ds->sample_shape.dim[0], 4);
  ck_assert (ds->labels != NULL && ds->y == NULL);
  ck_assert_int_eq (ds->label_steps, 4);
  for (int64_t i = 0; i < ds->n; i++)
    for (int s = 0; s < 4; s++) {
      ck_assert_float_eq (ds->x[i * 4 + s], (float) (text[i * 2 + s] - 'a'));
      ck_assert_int_eq (label (ds, i, s, 4), text[i * 2 + s + 1] - 'a');
    }
}
END_TEST

START_TEST (test_utf8_and_fallback)
{
  /* "é" is one token; "?" is unknown and becomes the space */
  g_autofree char *p = write_text ("u.txt", "é a?é", -1);
  NnDataTarget t = target (2, "aé ", 3);
  g_autoptr (NnDataset) ds = load_ok (p, &t);
  /* characters: é ' ' a ? é -> 1 2 0 2 1; stride 1 */
  const int want[] = { 1, 2, 0, 2, 1 };
  ck_assert_int_eq (ds->n, 3);
  for (int64_t i = 0; i < ds->n; i++)
    for (int s = 0; s < 2; s++) {
      ck_assert_float_eq (ds->x[i * 2 + s], (float) want[i + s]);
      ck_assert_int_eq (label (ds, i, s, 3), want[i + s + 1]);
    }
  /* without a space in the vocab the first character stands in */
  g_autofree char *q = write_text ("v.txt", "ab?", -1);
  NnDataTarget t2 = target (2, "ba", 2);
  g_autoptr (NnDataset) d2 = load_ok (q, &t2);
  ck_assert_int_eq (label (d2, 0, 1, 2), 0);
  ck_assert_float_eq (d2->x[0], 1.0f);
}
END_TEST

static void
load_fails (const char *path, const NnDataTarget *t, int code, const char *needle)
{
  g_autoptr (GError) e = NULL;
  NnDataset *ds = nn_data_load_text (path, t, &e);
  ck_assert (ds == NULL);
  ck_assert (e != NULL);
  ck_assert_msg (e->domain == NN_ERROR && e->code == code, "code %d: %s", e->code, e->message);
  ck_assert_msg (strstr (e->message, needle), "\"%s\" lacks \"%s\"", e->message, needle);
}

START_TEST (test_errors)
{
  NnDataTarget t = target (4, "abcd", 4);
  g_autofree char *missing = g_build_filename (tmp, "missing.txt", NULL);
  load_fails (missing, &t, NN_ERROR_IO, "missing.txt");
  g_autofree char *empty = write_text ("empty.txt", "", 0);
  load_fails (empty, &t, NN_ERROR_EMPTY, "empty");
  g_autofree char *shorter = write_text ("short.txt", "abcd", -1);
  load_fails (shorter, &t, NN_ERROR_EMPTY, "a sample needs 5");
  g_autofree char *bad = write_text ("bad.txt", "ab\xff\xfe" "cdabcd", -1);
  load_fails (bad, &t, NN_ERROR_FORMAT, "UTF-8");
  g_autofree char *good = write_text ("good.txt", "ba\tdcab\"", -1);
  NnDataTarget none = target (4, NULL, 4);
  /* the message proposes the file's sorted characters, JSON-escaped */
  load_fails (good, &none, NN_ERROR_INVALID, "\"vocab\": \"\\t\\\"abcd\" (6 characters)");
  NnDataTarget wrong_out = target (4, "abcd", 5);
  load_fails (good, &wrong_out, NN_ERROR_SHAPE, "4-character vocab");
  NnDataTarget dup = target (4, "abca", 4);
  load_fails (good, &dup, NN_ERROR_INVALID, "\"a\" twice");
  NnDataTarget image = t;
  image.input = (NnShape) { 2, { 4, 1 } };
  load_fails (good, &image, NN_ERROR_SHAPE, "[T] character indices");
}
END_TEST

#define SPEC_FMT "{\"input\": [%d], %s \"layers\": [" \
  "{\"type\": \"embedding\", \"vocab\": %d, \"units\": 8}," \
  "{\"type\": \"lstm\", \"units\": 24, \"return_sequences\": true}," \
  "{\"type\": \"time_distributed\", \"layer\": {\"type\": \"dense\", \"units\": %d}}," \
  "{\"type\": \"softmax\", \"axis\": -1}]}"

static NnModel *
char_model (int T, const char *vocab_member, int V)
{
  g_autofree char *spec = g_strdup_printf (SPEC_FMT, T, vocab_member, V, V);
  g_autoptr (GError) e = NULL;
  NnModel *m = nn_model_new_from_spec (spec, 7, &e);
  ck_assert_msg (m != NULL, "%s", e ? e->message : "?");
  return m;
}

/* A text where each character follows from the previous two: learnable, and
 * far below its unigram entropy once learnt. */
static char *
pattern_text (int n, guint32 seed)
{
  GRand *r = g_rand_new_with_seed (seed);
  GString *s = g_string_new ("ab");
  while ((int) s->len < n) {
    char a = s->str[s->len - 2], b = s->str[s->len - 1];
    /* mostly deterministic, a little noise */
    char c = g_rand_int_range (r, 0, 20) == 0 ? "abcd"[g_rand_int_range (r, 0, 4)] : "abcd"[(a * 3 + b) % 4];
    g_string_append_c (s, c);
  }
  g_rand_free (r);
  return g_string_free (s, FALSE);
}

static double
unigram_entropy (const char *text)
{
  double count[256] = { 0 }, n = (double) strlen (text), h = 0.0;
  for (const char *p = text; *p; p++)
    count[(guint8) *p]++;
  for (int i = 0; i < 256; i++)
    if (count[i] > 0)
      h -= count[i] / n * log (count[i] / n);
  return h;
}

START_TEST (test_learns_below_unigram)
{
  const int T = 16;
  g_autofree char *train_text = pattern_text (4000, 1), *val_text = pattern_text (1000, 2);
  g_autofree char *tp = write_text ("train.txt", train_text, -1), *vp = write_text ("val.txt", val_text, -1);
  g_autoptr (NnModel) m = char_model (T, "\"vocab\": \"abcd\",", 4);
  g_autoptr (GError) e = NULL;
  g_autofree char *turi = g_strconcat ("text:", tp, NULL), *vuri = g_strconcat ("text:", vp, NULL);
  g_autoptr (NnDataset) tr = nn_dataset_load (turi, m, &e);
  ck_assert_msg (tr != NULL, "%s", e ? e->message : "?");
  g_autoptr (NnDataset) va = nn_dataset_load (vuri, m, &e);
  ck_assert_msg (va != NULL, "%s", e ? e->message : "?");
  ck_assert_int_eq (tr->label_steps, T);
  ck_assert_int_eq (nn_model_default_loss (m), NN_LOSS_CCE);
  g_autoptr (NnEvalResult) before = nn_evaluate (m, va, NN_LOSS_CCE, 64, &e);
  ck_assert (before != NULL);
  NnTrainConfig c;
  nn_train_config_init (&c);
  c.epochs = 12;
  c.batch = 16;
  c.optim.lr = 0.01f;
  ck_assert_msg (nn_train (m, &c, tr, NULL, &e), "%s", e ? e->message : "?");
  g_autoptr (NnEvalResult) after = nn_evaluate (m, va, NN_LOSS_CCE, 64, &e);
  ck_assert (after != NULL);
  /* cce sums over the T steps of a window: per character, divide by T */
  double per_char = after->loss / T, unigram = unigram_entropy (val_text);
  ck_assert_msg (per_char < 0.6 * unigram && per_char < before->loss / T,
                 "validation %.3f nats/char (before %.3f), unigram %.3f", per_char, before->loss / T, unigram);
}
END_TEST

START_TEST (test_dataset_load_uses_spec_vocab)
{
  g_autofree char *p = write_text ("s.txt", "abab\nbaba\n", -1);
  g_autofree char *uri = g_strconcat ("text:", p, NULL);
  g_autoptr (GError) e = NULL;
  g_autoptr (NnModel) m = char_model (4, "\"vocab\": \"\\nab\",", 3);
  g_autoptr (NnDataset) ds = nn_dataset_load (uri, m, &e);
  ck_assert_msg (ds != NULL, "%s", e ? e->message : "?");
  ck_assert_float_eq (ds->x[0], 1.0f);
  ck_assert_int_eq (label (ds, 0, 3, 3), 0); /* the step after "abab" is "\n" */
  /* the vocab survives a save and a load */
  g_autofree char *st = g_build_filename (tmp, "m.safetensors", NULL);
  ck_assert_msg (nn_model_save (m, st, &e), "%s", e ? e->message : "?");
  g_autoptr (NnModel) back = nn_model_load (st, &e);
  ck_assert (back != NULL);
  g_autofree char *vocab = nn_data_spec_vocab (back);
  ck_assert_str_eq (vocab, "\nab");
  g_autoptr (NnModel) bare = char_model (4, "", 3);
  g_autoptr (NnDataset) none = nn_dataset_load (uri, bare, &e);
  ck_assert (none == NULL);
  ck_assert (e && strstr (e->message, "no \"vocab\""));
}
END_TEST

int
main (void)
{
  nn_set_threads (1);
  Suite *s = suite_create ("data-text");
  TCase *tc = tcase_create ("core");
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_set_timeout (tc, 120);
  tcase_add_test (tc, test_windows);
  tcase_add_test (tc, test_utf8_and_fallback);
  tcase_add_test (tc, test_errors);
  tcase_add_test (tc, test_dataset_load_uses_spec_vocab);
  tcase_add_test (tc, test_learns_below_unigram);
  suite_add_tcase (s, tc);
  return nn_check_run (s);
}
