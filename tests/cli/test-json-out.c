/* The nn command's machine-readable outputs, read back the way a program
 * would: every JSON line parsed with json-glib's JsonParser, every CSV line
 * split as RFC 4180 says. Labels are UTF-8 and hold a comma, quotes and a
 * newline; NaN comes out as null; a spec without weights is refused unless
 * --random-weights. */
#include <check.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <errno.h>
#include <math.h>
#include <string.h>
#include <unistd.h>
#include "../check-run.h"
#include "cli-run.h"

/* label 0: accents, a comma and quotes; label 1: CJK, a newline, a quote */
static const char *const L0 = "n\xc3\xa9gatif, \"moins\"";
static const char *const L1 = "\xe6\x97\xa5\xe6\x9c\xac\n\"plus";
#define SPEC_LABELS "[\"n\xc3\xa9gatif, \\\"moins\\\"\", \"\xe6\x97\xa5\xe6\x9c\xac\\n\\\"plus\"]"

static char *tmp;

static char *
tmp_path (const char *name)
{
  return g_build_filename (tmp, name, NULL);
}

/* 4x4 gray image of constant value v, as a binary PGM (libav reads it) */
static void
write_pgm (const char *path, guint8 v)
{
  char data[11 + 16];
  memcpy (data, "P5\n4 4\n255\n", 11);
  memset (data + 11, v, 16);
  ck_assert (g_file_set_contents (path, data, sizeof data, NULL));
}

static void
setup (void)
{
  tmp = g_dir_make_tmp ("nn-json-XXXXXX", NULL);
  g_autofree char *spec = tmp_path ("spec.json");
  ck_assert (g_file_set_contents (spec,
                                  "{\"input\": [1, 4, 4], \"labels\": " SPEC_LABELS ", "
                                  "\"preprocess\": {\"rescale\": 0.00392156862745098}, \"layers\": ["
                                  "{\"name\": \"f\", \"type\": \"flatten\"},"
                                  "{\"name\": \"o\", \"type\": \"dense\", \"units\": 2, \"activation\": \"softmax\"}]}",
                                  -1, NULL));
  /* class 0: dark images (values near 0.1), class 1: bright (near 0.9) */
  GString *csv = g_string_new (NULL);
  GRand *r = g_rand_new_with_seed (5);
  for (int i = 0; i < 64; i++) {
    int c = i % 2;
    for (int k = 0; k < 16; k++)
      g_string_append_printf (csv, "%.3f,", (c ? 0.9 : 0.1) + g_rand_double_range (r, -0.08, 0.08));
    g_string_append_printf (csv, "%d\n", c);
  }
  g_rand_free (r);
  g_autofree char *data = tmp_path ("data.csv");
  ck_assert (g_file_set_contents (data, csv->str, -1, NULL));
  g_string_free (csv, TRUE);
  /* rows for predict: dark, bright, and one with a NaN */
  GString *rows = g_string_new (NULL);
  const char *vals[3] = { "0.1", "0.9", "nan" };
  for (int i = 0; i < 3; i++)
    for (int k = 0; k < 16; k++)
      g_string_append_printf (rows, "%s%s", vals[i], k == 15 ? "\n" : ",");
  g_autofree char *rp = tmp_path ("rows.csv");
  ck_assert (g_file_set_contents (rp, rows->str, -1, NULL));
  g_string_free (rows, TRUE);
  /* only class 0 rows: class 1 has no recall (and, predicted never, no precision) */
  g_autofree char *only0 = tmp_path ("only0.csv");
  ck_assert (g_file_set_contents (only0, "0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0\n"
                                         "0.12,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0\n", -1, NULL));
}

static void
teardown (void)
{
  g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", tmp);
  ck_assert_int_eq (system (cmd), 0);
  g_free (tmp);
}

/* Train the model once per test (a few epochs, well under a second). */
static char *
trained_model (char **log_text)
{
  g_autofree char *spec = tmp_path ("spec.json"), *data = tmp_path ("data.csv"), *log = tmp_path ("log.jsonl");
  char *model = tmp_path ("m.safetensors");
  g_autofree char *src = g_strconcat ("csv:", data, NULL);
  char *err = NULL;
  int rc = cli_run (NULL, &err, "train", spec, "--data", src, "--epochs", "12", "--batch", "8", "--lr", "0.05", "--seed",
                "2", "--threads", "1", "--log", log, "-o", model, NULL);
  ck_assert_msg (rc == 0, "%s", err);
  g_free (err);
  if (log_text)
    ck_assert (g_file_get_contents (log, log_text, NULL, NULL));
  return model;
}

/* json-glib's parser is lenient: it takes GScanner escapes such as the octal
 * "\\303" that g_strescape writes for UTF-8, which JSON does not have (and
 * Python's json rejects). Every backslash in the text must start one of
 * JSON's escapes, and the text must be UTF-8. */
static void
assert_strict_json (const char *text)
{
  ck_assert_msg (g_utf8_validate (text, -1, NULL), "not UTF-8: %s", text);
  for (const char *c = text; (c = strchr (c, '\\')); c += 2)
    ck_assert_msg (c[1] && strchr ("\"\\/bfnrtu", c[1]), "\\%c is not a JSON escape in: %s", c[1], text);
}

/* Parse one line; the root must be an object. */
static JsonObject *
parse_object (JsonParser *p, const char *line)
{
  assert_strict_json (line);
  g_autoptr (GError) e = NULL;
  ck_assert_msg (json_parser_load_from_data (p, line, -1, &e), "not JSON (%s): %s", e ? e->message : "", line);
  JsonNode *root = json_parser_get_root (p);
  ck_assert_msg (root && JSON_NODE_HOLDS_OBJECT (root), "not an object: %s", line);
  return json_node_get_object (root);
}

static gboolean
member_is_null (JsonObject *o, const char *name)
{
  return json_object_has_member (o, name) && JSON_NODE_HOLDS_NULL (json_object_get_member (o, name));
}

static double
member_number (JsonObject *o, const char *name)
{
  JsonNode *n = json_object_get_member (o, name);
  ck_assert_msg (n && JSON_NODE_HOLDS_VALUE (n), "%s is not a number", name);
  GType t = json_node_get_value_type (n);
  ck_assert_msg (t == G_TYPE_DOUBLE || t == G_TYPE_INT64, "%s is not a number", name);
  return json_node_get_double (n);
}

/* Non-empty lines of text (JSON lines never hold a raw newline). */
static GPtrArray *
lines_of (const char *text)
{
  GPtrArray *a = g_ptr_array_new_with_free_func (g_free);
  g_auto (GStrv) split = g_strsplit (text, "\n", -1);
  for (int i = 0; split[i]; i++)
    if (*split[i])
      g_ptr_array_add (a, g_strdup (split[i]));
  return a;
}

START_TEST (test_train_log_lines)
{
  g_autofree char *log = NULL;
  g_autofree char *model = trained_model (&log);
  g_autoptr (GPtrArray) lines = lines_of (log);
  ck_assert_int_eq (lines->len, 12);
  for (guint i = 0; i < lines->len; i++) {
    g_autoptr (JsonParser) p = json_parser_new ();
    JsonObject *o = parse_object (p, g_ptr_array_index (lines, i));
    ck_assert_int_eq (json_object_get_int_member (o, "epoch"), i + 1);
    ck_assert_int_eq (json_object_get_int_member (o, "epochs"), 12);
    double loss = member_number (o, "loss"), acc = member_number (o, "acc");
    ck_assert (isfinite (loss) && loss >= 0);
    ck_assert (acc >= 0 && acc <= 1);
    /* no validation set: its metrics are NaN in the trainer, null here */
    ck_assert (member_is_null (o, "val_loss"));
    ck_assert (member_is_null (o, "val_acc"));
    ck_assert (member_number (o, "seconds") >= 0);
  }
}
END_TEST

START_TEST (test_predict_json)
{
  g_autofree char *model = trained_model (NULL), *rows = tmp_path ("rows.csv");
  char *out = NULL;
  ck_assert_int_eq (cli_run (&out, NULL, "predict", model, "--format", "json", rows, NULL), 0);
  g_autoptr (GPtrArray) lines = lines_of (out);
  g_free (out);
  ck_assert_int_eq (lines->len, 3);
  const char *want[2] = { L0, L1 };
  for (int i = 0; i < 3; i++) {
    g_autoptr (JsonParser) p = json_parser_new ();
    JsonObject *o = parse_object (p, g_ptr_array_index (lines, i));
    ck_assert_str_eq (json_object_get_string_member (o, "input"), rows);
    ck_assert_int_eq (json_object_get_int_member (o, "line"), i + 1);
    JsonArray *outv = json_object_get_array_member (o, "output");
    ck_assert_int_eq (json_array_get_length (outv), 2);
    if (i == 2) {
      /* NaN in, NaN out: null, never "nan" */
      ck_assert (member_is_null (o, "score"));
      for (int k = 0; k < 2; k++)
        ck_assert (JSON_NODE_HOLDS_NULL (json_array_get_element (outv, k)));
      continue;
    }
    ck_assert_int_eq (json_object_get_int_member (o, "class"), i);
    ck_assert_str_eq (json_object_get_string_member (o, "label"), want[i]);
    double score = member_number (o, "score");
    ck_assert (score > 0.5 && score <= 1.0);
    ck_assert_double_eq_tol (score, json_array_get_double_element (outv, i), 1e-12);
    ck_assert_double_eq_tol (json_array_get_double_element (outv, 0) + json_array_get_double_element (outv, 1), 1.0,
                             1e-5);
  }
}
END_TEST

/* Split one CSV record (RFC 4180) starting at *pos; returns its fields and
 * moves *pos past the record's line break. */
static GPtrArray *
csv_record (const char *text, gsize *pos)
{
  GPtrArray *fields = g_ptr_array_new_with_free_func (g_free);
  GString *f = g_string_new (NULL);
  gsize i = *pos;
  for (;;) {
    if (text[i] == '"') {
      for (i++;; i++) {
        ck_assert_msg (text[i], "unterminated quoted field");
        if (text[i] == '"' && text[i + 1] == '"') {
          g_string_append_c (f, '"');
          i++;
        } else if (text[i] == '"') {
          i++;
          break;
        } else {
          g_string_append_c (f, text[i]);
        }
      }
    } else {
      while (text[i] && text[i] != ',' && text[i] != '\n' && text[i] != '\r') {
        ck_assert_msg (text[i] != '"', "a quote inside an unquoted field");
        g_string_append_c (f, text[i++]);
      }
    }
    g_ptr_array_add (fields, g_string_free (f, FALSE));
    if (text[i] == ',') {
      f = g_string_new (NULL);
      i++;
      continue;
    }
    ck_assert_msg (text[i] == '\n' || (text[i] == '\r' && text[i + 1] == '\n'), "record does not end a line");
    i += text[i] == '\r' ? 2 : 1;
    break;
  }
  *pos = i;
  return fields;
}

START_TEST (test_predict_csv_quoted)
{
  g_autofree char *model = trained_model (NULL);
  /* file names with a comma and a quote too */
  g_autofree char *dark = tmp_path ("dark, \"1\".pgm"), *bright = tmp_path ("bright.pgm");
  write_pgm (dark, 20);
  write_pgm (bright, 235);
  char *out = NULL, *err = NULL;
  int rc = cli_run (&out, &err, "predict", model, dark, bright, NULL);
  ck_assert_msg (rc == 0, "%s", err);
  g_free (err);
  gsize pos = 0;
  const char *want_file[2] = { dark, bright }, *want_label[2] = { L0, L1 };
  for (int i = 0; i < 2; i++) {
    g_autoptr (GPtrArray) f = csv_record (out, &pos);
    ck_assert_int_eq (f->len, 3);
    ck_assert_str_eq (g_ptr_array_index (f, 0), want_file[i]);
    ck_assert_str_eq (g_ptr_array_index (f, 1), want_label[i]);
    char *end;
    double score = g_ascii_strtod (g_ptr_array_index (f, 2), &end);
    ck_assert (*end == 0 && score > 0.5 && score <= 1.0);
  }
  ck_assert_int_eq (out[pos], 0);
  g_free (out);
  /* the same through JSON: the same labels */
  ck_assert_int_eq (cli_run (&out, NULL, "predict", model, "-f", "json", dark, NULL), 0);
  g_autoptr (JsonParser) p = json_parser_new ();
  JsonObject *o = parse_object (p, out);
  ck_assert_str_eq (json_object_get_string_member (o, "input"), dark);
  ck_assert_str_eq (json_object_get_string_member (o, "label"), L0);
  ck_assert (!json_object_has_member (o, "line"));
  g_free (out);
}
END_TEST

START_TEST (test_eval_json_nan_null)
{
  g_autofree char *model = trained_model (NULL), *only0 = tmp_path ("only0.csv");
  g_autofree char *src = g_strconcat ("csv:", only0, NULL);
  char *out = NULL;
  ck_assert_int_eq (cli_run (&out, NULL, "eval", model, "--data", src, "--json", NULL), 0);
  g_autoptr (JsonParser) p = json_parser_new ();
  JsonObject *o = parse_object (p, out);
  g_free (out);
  ck_assert_int_eq (json_object_get_int_member (o, "samples"), 2);
  ck_assert_double_eq_tol (member_number (o, "accuracy"), 1.0, 1e-12);
  JsonArray *classes = json_object_get_array_member (o, "classes");
  ck_assert_int_eq (json_array_get_length (classes), 2);
  JsonObject *c0 = json_array_get_object_element (classes, 0), *c1 = json_array_get_object_element (classes, 1);
  ck_assert_str_eq (json_object_get_string_member (c0, "label"), L0);
  ck_assert_str_eq (json_object_get_string_member (c1, "label"), L1);
  ck_assert_double_eq_tol (member_number (c0, "recall"), 1.0, 1e-12);
  /* 0/0: no class-1 samples, none predicted */
  ck_assert (member_is_null (c1, "recall"));
  ck_assert (member_is_null (c1, "precision"));
  ck_assert_int_eq (json_object_get_int_member (c1, "support"), 0);
}
END_TEST

/* A spec has no weights: predict, eval and generate refuse it (exit 1, one
 * line naming the file and --random-weights) unless asked. */
START_TEST (test_spec_needs_random_weights)
{
  g_autofree char *spec = tmp_path ("spec.json"), *rows = tmp_path ("rows.csv"), *data = tmp_path ("data.csv");
  g_autofree char *src = g_strconcat ("csv:", data, NULL);
  char *out = NULL, *err = NULL;
  ck_assert_int_eq (cli_run (&out, &err, "predict", spec, rows, NULL), 1);
  ck_assert_str_eq (out, "");
  ck_assert_msg (strstr (err, spec) && strstr (err, "no weights") && strstr (err, "--random-weights"), "%s", err);
  ck_assert_int_eq (strchr (err, '\n') - err + 1, (long) strlen (err));
  g_free (out);
  g_free (err);
  ck_assert_int_eq (cli_run (&out, NULL, "predict", "--random-weights", spec, rows, NULL), 0);
  g_autoptr (GPtrArray) lines = lines_of (out);
  ck_assert_int_eq (lines->len, 3);
  g_free (out);

  ck_assert_int_eq (cli_run (NULL, &err, "eval", spec, "--data", src, NULL), 1);
  ck_assert_msg (strstr (err, spec) && strstr (err, "--random-weights"), "%s", err);
  g_free (err);
  ck_assert_int_eq (cli_run (&out, NULL, "eval", spec, "--data", src, "--random-weights", "--json", NULL), 0);
  g_autoptr (JsonParser) p = json_parser_new ();
  JsonObject *o = parse_object (p, out);
  ck_assert_int_eq (json_object_get_int_member (o, "samples"), 64);
  g_free (out);

  g_autofree char *png = tmp_path ("grid.png");
  ck_assert_int_eq (cli_run (NULL, &err, "generate", spec, "-o", png, NULL), 1);
  ck_assert_msg (strstr (err, "--random-weights"), "%s", err);
  g_free (err);
  ck_assert (!g_file_test (png, G_FILE_TEST_EXISTS));

  /* the help says so */
  ck_assert_int_eq (cli_run (&out, NULL, "predict", "--help", NULL), 0);
  ck_assert (strstr (out, "--random-weights"));
  g_free (out);
  /* a broken spec still reports its own problem, not the weights */
  g_autofree char *bad = tmp_path ("bad.json");
  ck_assert (g_file_set_contents (bad, "{\"input\": [2], \"layers\": [", -1, NULL));
  ck_assert_int_eq (cli_run (NULL, &err, "predict", bad, rows, NULL), 1);
  ck_assert_msg (strstr (err, bad) && !strstr (err, "--random-weights"), "%s", err);
  g_free (err);
}
END_TEST

/* The safetensors header's "nn.labels" metadata is itself JSON text. */
START_TEST (test_model_labels_metadata)
{
  g_autofree char *model = trained_model (NULL);
  g_autofree char *bytes = NULL;
  gsize len = 0;
  ck_assert (g_file_get_contents (model, &bytes, &len, NULL));
  ck_assert_uint_ge (len, 8);
  guint64 hlen = 0;
  for (int i = 7; i >= 0; i--)
    hlen = (hlen << 8) | (guint8) bytes[i];
  ck_assert_uint_le (hlen + 8, len);
  g_autoptr (JsonParser) p = json_parser_new ();
  g_autoptr (GError) e = NULL;
  ck_assert_msg (json_parser_load_from_data (p, bytes + 8, (gssize) hlen, &e), "%s", e ? e->message : "");
  JsonObject *meta = json_object_get_object_member (json_node_get_object (json_parser_get_root (p)), "__metadata__");
  const char *labels = json_object_get_string_member (meta, "nn.labels");
  assert_strict_json (labels);
  g_autoptr (JsonParser) lp = json_parser_new ();
  ck_assert_msg (json_parser_load_from_data (lp, labels, -1, &e), "nn.labels is not JSON (%s): %s",
                 e ? e->message : "", labels);
  JsonArray *a = json_node_get_array (json_parser_get_root (lp));
  ck_assert_int_eq (json_array_get_length (a), 2);
  ck_assert_str_eq (json_array_get_string_element (a, 0), L0);
  ck_assert_str_eq (json_array_get_string_element (a, 1), L1);
}
END_TEST

/* nn run prints each element message as one JSON line: here nnclassify's
 * results for a spec with the UTF-8 labels (elements take specs as they are);
 * and each warning as a line on stderr (nnpublish's, with its JSON lines). */
START_TEST (test_run_json_lines)
{
  const char *src = g_getenv ("NN_SOURCE_ROOT"), *build = g_getenv ("NN_BUILD_ROOT");
  ck_assert (src && build);
  g_autofree char *plugins = g_build_filename (build, "plugins", NULL), *reg = tmp_path ("registry.bin");
  /* only the two system plugins the pipeline needs: scanning every installed
   * plugin into a fresh registry takes most of a minute under ASan */
  g_autofree char *sys = tmp_path ("gst-plugins");
  ck_assert_int_eq (g_mkdir (sys, 0755), 0);
  const char *needed[] = { "libgstcoreelements.so", "libgstvideotestsrc.so" };
  for (gsize i = 0; i < G_N_ELEMENTS (needed); i++) {
    g_autofree char *from = g_build_filename (GST_PLUGINS_DIR, needed[i], NULL);
    g_autofree char *link = g_build_filename (sys, needed[i], NULL);
    ck_assert_msg (symlink (from, link) == 0, "%s: %s", from, g_strerror (errno));
  }
  g_setenv ("GST_PLUGIN_SYSTEM_PATH_1_0", sys, TRUE);
  g_setenv ("GST_PLUGIN_PATH_1_0", plugins, TRUE);
  g_setenv ("GST_REGISTRY_1_0", reg, TRUE);
  g_autofree char *pipe = tmp_path ("classify.pipeline"), *spec = tmp_path ("spec.json");
  ck_assert (g_file_set_contents (pipe, "# three frames through a classifier\n"
                                        "videotestsrc num-buffers=3 ! video/x-raw,format=RGB,width=8,height=8 ! \\\n"
                                        "  nnclassify model=${MODEL} top-k=2 ! fakesink\n", -1, NULL));
  g_autofree char *model_arg = g_strconcat ("MODEL=", spec, NULL);
  char *out = NULL, *err = NULL;
  int rc = cli_run (&out, &err, "run", pipe, model_arg, NULL);
  ck_assert_msg (rc == 0, "%s", err);
  g_free (err);
  g_autoptr (GPtrArray) lines = lines_of (out);
  g_free (out);
  ck_assert_int_eq (lines->len, 3);
  for (guint i = 0; i < lines->len; i++) {
    g_autoptr (JsonParser) p = json_parser_new ();
    JsonObject *o = parse_object (p, g_ptr_array_index (lines, i));
    ck_assert_str_eq (json_object_get_string_member (o, "message"), "nn-classification");
    ck_assert (g_str_has_prefix (json_object_get_string_member (o, "element"), "nnclassify"));
    ck_assert_int_eq (json_object_get_int_member (o, "frame"), i);
    const char *label = json_object_get_string_member (o, "label");
    ck_assert (g_str_equal (label, L0) || g_str_equal (label, L1));
    JsonArray *tl = json_object_get_array_member (o, "top-k-labels");
    JsonArray *ts = json_object_get_array_member (o, "top-k-scores");
    ck_assert_int_eq (json_array_get_length (tl), 2);
    ck_assert_int_eq (json_array_get_length (ts), 2);
    ck_assert_str_eq (json_array_get_string_element (tl, 0), label);
    ck_assert (!g_str_equal (json_array_get_string_element (tl, 0), json_array_get_string_element (tl, 1)));
    double s0 = json_array_get_double_element (ts, 0), s1 = json_array_get_double_element (ts, 1);
    ck_assert (s0 >= s1 && s1 >= 0 && s0 <= 1);
    ck_assert_double_eq_tol (member_number (o, "score"), s0, 1e-6);
  }

  /* warnings go to stderr: nnpublish's broker (nothing listens on port 1)
   * and the results still queued when the EOS wait ends; its JSON lines */
  g_autofree char *pub = tmp_path ("publish.pipeline"), *jsonl = tmp_path ("results.jsonl");
  ck_assert (g_file_set_contents (pub, "videotestsrc num-buffers=3 ! video/x-raw,format=RGB,width=8,height=8 ! \\\n"
                                       "  nnclassify model=${MODEL} ! nnpublish location=${OUT} mqtt-host=127.0.0.1 \\\n"
                                       "  mqtt-port=1 flush-timeout=300 ! fakesink\n", -1, NULL));
  g_autofree char *out_arg = g_strconcat ("OUT=", jsonl, NULL);
  rc = cli_run (&out, &err, "run", pub, model_arg, out_arg, NULL);
  ck_assert_msg (rc == 0, "%s", err);
  ck_assert_msg (strstr (err, "nn run: warning from nnpublish0: Could not connect to the MQTT broker 127.0.0.1:1") &&
                 strstr (err, "nn run: warning from nnpublish0: 3 MQTT messages still queued at end of stream"),
                 "%s", err);
  g_free (out);
  g_free (err);
  char *text = NULL;
  ck_assert (g_file_get_contents (jsonl, &text, NULL, NULL));
  g_autoptr (GPtrArray) published = lines_of (text);
  g_free (text);
  ck_assert_int_eq (published->len, 3);
  for (guint i = 0; i < published->len; i++) {
    g_autoptr (JsonParser) p = json_parser_new ();
    JsonObject *o = parse_object (p, g_ptr_array_index (published, i));
    ck_assert_str_eq (json_object_get_string_member (o, "stream"), "videotestsrc0");
    ck_assert_int_eq (json_object_get_int_member (o, "frame"), i);
    JsonObject *r = json_array_get_object_element (json_object_get_array_member (o, "results"), 0);
    const char *label = json_object_get_string_member (r, "label");
    ck_assert (g_str_equal (label, L0) || g_str_equal (label, L1));
  }
}
END_TEST

static Suite *
suite (void)
{
  Suite *s = suite_create ("json-out");
  TCase *tc = tcase_create ("json-out");
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_set_timeout (tc, 120);
  tcase_add_test (tc, test_train_log_lines);
  tcase_add_test (tc, test_predict_json);
  tcase_add_test (tc, test_predict_csv_quoted);
  tcase_add_test (tc, test_eval_json_nan_null);
  tcase_add_test (tc, test_spec_needs_random_weights);
  tcase_add_test (tc, test_model_labels_metadata);
  tcase_add_test (tc, test_run_json_lines);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  return nn_check_run (suite ());
}
