/* nntextclassify: lines cut across buffers (and inside a UTF-8 character)
 * are classified whole, each buffer is one text when lines=false (markup
 * reduced to its text), the messages carry what nnclassify's do with the
 * same scores as the model run directly, the shipped fortunes model's
 * verdicts, and the errors for a model that is not a word classifier and for
 * text that is not UTF-8. */
#include <math.h>
#include <string.h>
#include <gst/app/gstappsrc.h>
#include <nn/nn.h>
#include "nn-test-util.h"

/* A word classifier with fresh seeded weights: its "words" make it usable
 * without training (a trained model carries them the same way). */
#define TEXT_SPEC \
  "{\"input\": [5], \"labels\": [\"neg\", \"pos\"], \"text\": {\"vocab_size\": 8, \"padding\": \"post\", " \
  "\"words\": [\"good\", \"bad\", \"film\", \"café\"]}, \"layers\": [" \
  "{\"type\": \"embedding\", \"vocab\": 8, \"units\": 4}, {\"type\": \"lstm\", \"units\": 4}," \
  "{\"type\": \"dense\", \"units\": 1, \"activation\": \"sigmoid\"}]}"

typedef struct {
  GPtrArray *msgs;   /* GstStructure copies of the nn-classification messages */
  char      *error;  /* the first error's debug text, or NULL */
} Result;

static void
result_clear (Result *r)
{
  g_ptr_array_unref (r->msgs);
  g_free (r->error);
}

/* Runs appsrc ! nntextclassify PROPS ! fakesink over the buffers (NULL-ended). */
static Result
run (const char *caps, const char *props, const char *const *buffers)
{
  g_autofree char *desc = g_strdup_printf ("appsrc name=src caps=\"%s\" format=time ! nntextclassify name=tc %s ! "
                                           "fakesink", caps, props);
  GError *err = NULL;
  GstElement *pipe = gst_parse_launch (desc, &err);
  fail_unless (pipe != NULL, "%s", err ? err->message : "?");
  GstElement *src = gst_bin_get_by_name (GST_BIN (pipe), "src");
  gst_element_set_state (pipe, GST_STATE_PLAYING);
  for (int i = 0; buffers[i]; i++) {
    GstBuffer *b = gst_buffer_new_memdup (buffers[i], strlen (buffers[i]));
    GST_BUFFER_PTS (b) = i * GST_SECOND;
    gst_app_src_push_buffer (GST_APP_SRC (src), b);
  }
  gst_app_src_end_of_stream (GST_APP_SRC (src));
  Result r = { g_ptr_array_new_with_free_func ((GDestroyNotify) gst_structure_free), NULL };
  GstBus *bus = gst_element_get_bus (pipe);
  for (;;) {
    GstMessage *m = gst_bus_timed_pop_filtered (bus, 60 * GST_SECOND,
                                                GST_MESSAGE_ELEMENT | GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
    fail_unless (m != NULL, "no EOS within 60 s");
    gboolean done = GST_MESSAGE_TYPE (m) != GST_MESSAGE_ELEMENT;
    if (GST_MESSAGE_TYPE (m) == GST_MESSAGE_ERROR) {
      GError *e = NULL;
      char *dbg = NULL;
      gst_message_parse_error (m, &e, &dbg);
      r.error = g_strdup_printf ("%s | %s", e->message, dbg ? dbg : "");
      g_error_free (e);
      g_free (dbg);
    } else if (!done && gst_message_has_name (m, "nn-classification")) {
      g_ptr_array_add (r.msgs, gst_structure_copy (gst_message_get_structure (m)));
    }
    gst_message_unref (m);
    if (done)
      break;
  }
  gst_object_unref (bus);
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (src);
  gst_object_unref (pipe);
  return r;
}

/* The model's own verdict on `text`: P(pos). */
static float
direct (const char *spec_path, const char *text)
{
  GError *e = NULL;
  NnModel *m = nn_model_load (spec_path, &e);
  fail_unless (m != NULL, "%s", e ? e->message : "?");
  NnTokenizer *t = nn_tokenizer_new (nn_model_get_spec (m), &e);
  fail_unless (t != NULL, "%s", e ? e->message : "?");
  float x[5];
  nn_tokenizer_encode (t, text, x);
  const float *out = nn_model_forward (m, x, 1, FALSE, &e);
  fail_unless (out != NULL);
  float p = out[0];
  nn_tokenizer_free (t);
  nn_model_free (m);
  return p;
}

static const char *
str (const GstStructure *s, const char *field)
{
  const char *v = gst_structure_get_string (s, field);
  fail_unless (v != NULL, "no %s in %" GST_PTR_FORMAT, field, s);
  return v;
}

GST_START_TEST (test_lines_across_buffers)
{
  char *spec = nn_test_write_temp ("nn-text-XXXXXX.json", TEXT_SPEC, -1);
  g_autofree char *props = g_strdup_printf ("model=%s lines=true top-k=2", spec);
  /* "good film" is cut after "go", "bad café" inside the é (0xc3 0xa9);
   * the blank line is skipped; the last line has no newline */
  const char *buffers[] = { "good film\nthe go", "od one\n\nbad caf\xc3", "\xa9\nfilm", NULL };
  Result r = run ("text/x-raw,format=utf8", props, buffers);
  fail_unless (r.error == NULL, "%s", r.error);
  const char *want[] = { "good film", "the good one", "bad café", "film" };
  fail_unless_equals_int (r.msgs->len, 4);
  for (guint i = 0; i < 4; i++) {
    const GstStructure *s = g_ptr_array_index (r.msgs, i);
    fail_unless_equals_string (str (s, "text"), want[i]);
    fail_unless_equals_string (str (s, "element"), "tc");
    fail_unless (g_str_has_prefix (str (s, "model"), "nn-text-"));
    guint64 index;
    fail_unless (gst_structure_get_uint64 (s, "index", &index) && index == i);
    float p = direct (spec, want[i]);
    int k;
    double score;
    fail_unless (gst_structure_get_int (s, "class-index", &k) && gst_structure_get_double (s, "score", &score));
    fail_unless_equals_int (k, p > 0.5f);
    fail_unless_equals_string (str (s, "label"), k ? "pos" : "neg");
    fail_unless (fabs (score - (k ? p : 1.0f - p)) < 1e-6, "%g vs %g", score, (double) p);
    const GValue *labels = gst_structure_get_value (s, "top-k-labels");
    const GValue *scores = gst_structure_get_value (s, "top-k-scores");
    fail_unless (labels && scores && gst_value_array_get_size (labels) == 2 && gst_value_array_get_size (scores) == 2);
    double s1 = g_value_get_double (gst_value_array_get_value (scores, 1));
    fail_unless (fabs (score + s1 - 1.0) < 1e-6);
    fail_unless_equals_string (g_value_get_string (gst_value_array_get_value (labels, 1)), k ? "neg" : "pos");
  }
  /* "café" is a word of the vocabulary: the UTF-8 cut did not turn it into OOV */
  fail_unless (direct (spec, "bad café") != direct (spec, "bad cafe"));
  result_clear (&r);
  g_unlink (spec);
  g_free (spec);
}
GST_END_TEST;

GST_START_TEST (test_buffer_per_text_and_markup)
{
  char *spec = nn_test_write_temp ("nn-text-XXXXXX.json", TEXT_SPEC, -1);
  g_autofree char *props = g_strdup_printf ("model=%s", spec);
  const char *buffers[] = { "<i>good</i> film\nbad", "   ", "bad &amp; good", NULL };
  Result r = run ("text/x-raw,format=pango-markup", props, buffers);
  fail_unless (r.error == NULL, "%s", r.error);
  /* the blank buffer is no text; a subtitle's two lines are one text */
  fail_unless_equals_int (r.msgs->len, 2);
  fail_unless_equals_string (str (g_ptr_array_index (r.msgs, 0), "text"), "good film\nbad");
  fail_unless_equals_string (str (g_ptr_array_index (r.msgs, 1), "text"), "bad & good");
  guint64 pts;
  fail_unless (gst_structure_get_uint64 (g_ptr_array_index (r.msgs, 1), "pts", &pts) && pts == 2 * GST_SECOND);
  const GValue *labels = gst_structure_get_value (g_ptr_array_index (r.msgs, 0), "top-k-labels");
  fail_unless_equals_int (gst_value_array_get_size (labels), 1);
  result_clear (&r);
  g_unlink (spec);
  g_free (spec);
}
GST_END_TEST;

GST_START_TEST (test_shipped_model)
{
  const char *root = g_getenv ("NN_SOURCE_ROOT");
  fail_unless (root != NULL);
  g_autofree char *model = g_build_filename (root, "models", "fortunes-topics.safetensors", NULL);
  g_autofree char *binary = g_build_filename (root, "models", "fortunes-computers-politics.safetensors", NULL);
  g_autofree char *props = g_strdup_printf ("model=%s lines=true top-k=5", model);
  const char *buffers[] = { "The compiler crashed and the program lost all my files.\n", NULL };
  Result r = run ("text/x-raw,format=utf8", props, buffers);
  fail_unless (r.error == NULL, "%s", r.error);
  fail_unless_equals_int (r.msgs->len, 1);
  const GstStructure *s = g_ptr_array_index (r.msgs, 0);
  fail_unless_equals_string (str (s, "label"), "computers");
  fail_unless_equals_string (str (s, "model"), "fortunes-topics");
  const GValue *scores = gst_structure_get_value (s, "top-k-scores");
  fail_unless_equals_int (gst_value_array_get_size (scores), 5);
  double sum = 0;
  for (int i = 0; i < 5; i++)
    sum += g_value_get_double (gst_value_array_get_value (scores, i));
  fail_unless (fabs (sum - 1.0) < 1e-5, "softmax scores sum to %g", sum);
  result_clear (&r);
  g_autofree char *props2 = g_strdup_printf ("model=%s lines=true", binary);
  const char *lines[] = { "The compiler crashed and the program lost all my files.\n"
                          "The senator voted against the new tax bill.\n", NULL };
  r = run ("text/x-raw,format=utf8", props2, lines);
  fail_unless (r.error == NULL, "%s", r.error);
  fail_unless_equals_int (r.msgs->len, 2);
  fail_unless_equals_string (str (g_ptr_array_index (r.msgs, 0), "label"), "computers");
  fail_unless_equals_string (str (g_ptr_array_index (r.msgs, 1), "label"), "politics");
  result_clear (&r);
}
GST_END_TEST;

GST_START_TEST (test_errors)
{
  /* an image classifier is not a word classifier */
  char *flat = nn_test_write_temp ("nn-flat-XXXXXX.json", NN_TEST_SPEC_FLAT, -1);
  g_autofree char *props = g_strdup_printf ("model=%s", flat);
  const char *buffers[] = { "good\n", NULL };
  Result r = run ("text/x-raw,format=utf8", props, buffers);
  fail_unless (r.error && strstr (r.error, flat) && strstr (r.error, "text"), "%s", r.error ? r.error : "no error");
  result_clear (&r);
  g_unlink (flat);
  g_free (flat);
  /* not UTF-8 */
  char *spec = nn_test_write_temp ("nn-text-XXXXXX.json", TEXT_SPEC, -1);
  g_autofree char *props2 = g_strdup_printf ("model=%s", spec);
  const char *bad[] = { "good\n", "bad \xff film", NULL };
  r = run ("text/x-raw,format=utf8", props2, bad);
  fail_unless (r.error && strstr (r.error, "not UTF-8"), "%s", r.error ? r.error : "no error");
  fail_unless_equals_int (r.msgs->len, 1);
  result_clear (&r);
  g_unlink (spec);
  g_free (spec);
}
GST_END_TEST;

static Suite *
nntextclassify_suite (void)
{
  Suite *s = suite_create ("nntextclassify");
  TCase *tc = tcase_create ("general");
  tcase_set_timeout (tc, 120);
  tcase_add_test (tc, test_lines_across_buffers);
  tcase_add_test (tc, test_buffer_per_text_and_markup);
  tcase_add_test (tc, test_shipped_model);
  tcase_add_test (tc, test_errors);
  suite_add_tcase (s, tc);
  return s;
}

GST_CHECK_MAIN (nntextclassify);
