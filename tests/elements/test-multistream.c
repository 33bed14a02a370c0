/* Many streams, one process (issue 15): nnclassify elements sharing a model
 * instance load it once, cost little per further stream, run their frames in
 * batches whose every result is the one the stream gets alone, and survive
 * streams that start late, end early, stall or are removed while playing.
 * Refusals: another file under the same instance name, a change of model
 * while running, nnvideoclassify with an instance. */
#include <math.h>
#include <malloc.h>
#include <string.h>

#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <nn/nn.h>
#if defined(__SANITIZE_ADDRESS__)
/* the sanitizer runtime's (gcc ships no header for it) */
size_t __sanitizer_get_current_allocated_bytes (void);
#endif

#include "nn-classification-meta.h"
#include "nn-test-util.h"

#define W 64
#define H 48
#define N_CLASSES 7   /* gesture-lenet's */

static char *gesture, *fashion, *convlstm;

static char *
model (const char *name)
{
  const char *root = g_getenv ("NN_SOURCE_ROOT");
  return g_build_filename (root ? root : ".", "models", name, NULL);
}

static void
setup (void)
{
  gesture = model ("gesture-lenet.safetensors");
  fashion = model ("fashion-lenet.safetensors");
  convlstm = model ("trailer-genre-convlstm.safetensors");
}

static void
teardown (void)
{
  g_clear_pointer (&gesture, g_free);
  g_clear_pointer (&fashion, g_free);
  g_clear_pointer (&convlstm, g_free);
}

/* Frame `k` of stream `s`: a different picture for every pair. */
static GstBuffer *
frame (int s, int k)
{
  GstBuffer *b = nn_test_gray_frame (GST_VIDEO_FORMAT_RGB, W, H, (guint) (s * 1000 + k));
  GST_BUFFER_PTS (b) = (GstClockTime) k * GST_SECOND / 30;
  GST_BUFFER_DURATION (b) = GST_SECOND / 30;
  return b;
}

/* Every class's score from a buffer's meta into scores[N_CLASSES]. */
static void
meta_scores (GstBuffer *buf, double *scores)
{
  const GstStructure *s = nn_buffer_get_classification_structure (buf);
  fail_unless (s != NULL, "no meta");
  fail_unless_equals_int (nn_classification_n_top (s), N_CLASSES);
  for (guint i = 0; i < N_CLASSES; i++) {
    gint idx;
    gdouble v;
    fail_unless (nn_classification_get_top (s, i, NULL, &idx, &v));
    scores[idx] = v;
  }
}

/* The scores of frame (s, k) through an nnclassify of its own. */
static void
alone (int s, int k, double *scores)
{
  static GstHarness *h;
  if (!h) {
    g_autofree char *desc = g_strdup_printf ("nnclassify model=\"%s\" top-k=%d", gesture, N_CLASSES);
    h = gst_harness_new_parse (desc);
    g_autofree char *caps = nn_test_caps_string (GST_VIDEO_FORMAT_RGB, W, H);
    gst_harness_set_src_caps_str (h, caps);
  }
  if (s < 0) {
    g_clear_pointer (&h, gst_harness_teardown);
    return;
  }
  fail_unless_equals_int (gst_harness_push (h, frame (s, k)), GST_FLOW_OK);
  GstBuffer *out = gst_harness_pull (h);
  meta_scores (out, scores);
  gst_buffer_unref (out);
}

static void
check_alone (GstBuffer *buf, int s, int k)
{
  double got[N_CLASSES], want[N_CLASSES];
  meta_scores (buf, got);
  alone (s, k, want);
  for (int j = 0; j < N_CLASSES; j++)
    fail_unless (fabs (got[j] - want[j]) <= 1e-5, "stream %d frame %d class %d: %.8f shared, %.8f alone", s, k, j,
                 got[j], want[j]);
}

/* One branch per stream: appsrc name=src<s> ! nnclassify ! appsink name=sink<s>. */
static char *
branch (int s, const char *instance, int batch, guint64 timeout_us)
{
  g_autofree char *caps = nn_test_caps_string (GST_VIDEO_FORMAT_RGB, W, H);
  return g_strdup_printf ("appsrc name=src%d format=time caps=\"%s\" ! nnclassify name=c%d model=\"%s\" top-k=%d "
                          "model-instance=%s batch-size=%d batch-timeout=%" G_GUINT64_FORMAT " ! "
                          "appsink name=sink%d sync=false ", s, caps, s, gesture, N_CLASSES, instance, batch,
                          timeout_us, s);
}

static GstElement *
by_name (GstElement *bin, const char *prefix, int s)
{
  g_autofree char *name = g_strdup_printf ("%s%d", prefix, s);
  GstElement *e = gst_bin_get_by_name (GST_BIN (bin), name);
  fail_unless (e != NULL, "%s", name);
  return e;
}

static void
push (GstElement *pipe, int s, int k0, int k1, gboolean eos)
{
  GstElement *src = by_name (pipe, "src", s);
  for (int k = k0; k < k1; k++)
    fail_unless_equals_int (gst_app_src_push_buffer (GST_APP_SRC (src), frame (s, k)), GST_FLOW_OK);
  if (eos)
    gst_app_src_end_of_stream (GST_APP_SRC (src));
  gst_object_unref (src);
}

/* Pulls n frames of stream s (waiting at most 60 s for each: a hang fails)
 * and checks each against the stream alone. */
static void
pull_check (GstElement *pipe, int s, int k0, int n)
{
  GstElement *sink = by_name (pipe, "sink", s);
  for (int k = k0; k < k0 + n; k++) {
    GstSample *sample = gst_app_sink_try_pull_sample (GST_APP_SINK (sink), 60 * GST_SECOND);
    fail_unless (sample != NULL, "stream %d: frame %d missing", s, k);
    GstBuffer *buf = gst_sample_get_buffer (sample);
    fail_unless_equals_uint64 (GST_BUFFER_PTS (buf), (guint64) k * GST_SECOND / 30);
    check_alone (buf, s, k);
    gst_sample_unref (sample);
  }
  gst_object_unref (sink);
}

static void
wait_eos (GstElement *pipe)
{
  GstBus *bus = gst_element_get_bus (pipe);
  GstMessage *m = gst_bus_timed_pop_filtered (bus, 120 * GST_SECOND, GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  fail_unless (m != NULL, "no EOS: the pipeline hangs");
  if (GST_MESSAGE_TYPE (m) == GST_MESSAGE_ERROR) {
    GError *err = NULL;
    gst_message_parse_error (m, &err, NULL);
    fail ("error: %s", err->message);
  }
  gst_message_unref (m);
  gst_object_unref (bus);
}

/* ---- one load, < 1 MB per further stream ------------------------------------------- */

static gsize
allocated (void)
{
#if defined(__SANITIZE_ADDRESS__)
  return __sanitizer_get_current_allocated_bytes ();
#else
  struct mallinfo2 mi = mallinfo2 ();
  return mi.uordblks + mi.hblkhd;
#endif
}

/* Bytes each stream after the first costs: nnclassify on 640x480 RGB frames
 * with fashion-lenet in a harness, two frames through each. */
static gssize
bytes_per_stream (const char *props, int n)
{
  GstHarness *h[8];
  gsize before = 0;
  g_autofree char *desc = g_strdup_printf ("nnclassify model=\"%s\" %s", fashion, props);
  g_autofree char *caps = nn_test_caps_string (GST_VIDEO_FORMAT_RGB, 640, 480);
  for (int i = 0; i < n; i++) {
    h[i] = gst_harness_new_parse (desc);
    gst_harness_set_src_caps_str (h[i], caps);
    for (int k = 0; k < 2; k++) {
      GstBuffer *in = nn_test_gray_frame (GST_VIDEO_FORMAT_RGB, 640, 480, i * 10 + k);
      fail_unless_equals_int (gst_harness_push (h[i], in), GST_FLOW_OK);
      GstBuffer *out = gst_harness_pull (h[i]);
      fail_unless (nn_buffer_get_classification (out, NULL, NULL, NULL));
      gst_buffer_unref (out);
    }
    if (i == 0)
      before = allocated ();
  }
  gssize per = ((gssize) allocated () - (gssize) before) / (n - 1);
  for (int i = 0; i < n; i++)
    gst_harness_teardown (h[i]);
  return per;
}

GST_START_TEST (test_one_load_small_streams)
{
  guint loads = nn_shared_model_n_loads ();
  gssize shared = bytes_per_stream ("model-instance=mem", 8);
  fail_unless_equals_int (nn_shared_model_n_loads (), loads + 1);
  gssize own = bytes_per_stream ("", 8);
  fail_unless_equals_int (nn_shared_model_n_loads (), loads + 1);
  g_print ("memory per further stream (fashion-lenet, 640x480 RGB, harness included): shared %.1f kB, own model "
           "%.1f kB\n", shared / 1e3, own / 1e3);
  fail_unless (shared < 1000 * 1000, "a further stream costs %zd bytes", shared);
  /* the instance was freed with its last element: a new one loads again */
  bytes_per_stream ("model-instance=mem", 2);
  fail_unless_equals_int (nn_shared_model_n_loads (), loads + 2);
}
GST_END_TEST;

/* ---- 8 streams, one batched instance, each result its own ------------------------ */

GST_START_TEST (test_eight_streams_match_alone)
{
  enum { STREAMS = 8, FRAMES = 12 };
  GString *desc = g_string_new (NULL);
  for (int s = 0; s < STREAMS; s++) {
    g_autofree char *b = branch (s, "eight", STREAMS, G_USEC_PER_SEC);
    g_string_append (desc, b);
  }
  GstElement *pipe = gst_parse_launch (desc->str, NULL);
  g_string_free (desc, TRUE);
  fail_unless (pipe != NULL);
  guint loads = nn_shared_model_n_loads ();
  fail_unless_equals_int (gst_element_set_state (pipe, GST_STATE_PLAYING), GST_STATE_CHANGE_ASYNC);
  fail_unless_equals_int (nn_shared_model_n_loads (), loads + 1);
  for (int s = 0; s < STREAMS; s++)
    push (pipe, s, 0, FRAMES, TRUE);
  double mean = 0;
  for (int s = 0; s < STREAMS; s++) {
    pull_check (pipe, s, 0, FRAMES);
    GstElement *c = by_name (pipe, "c", s);
    double m;
    g_object_get (c, "mean-batch", &m, NULL);
    mean += m / STREAMS;
    gst_object_unref (c);
  }
  /* appsink posts EOS once its frames are pulled */
  wait_eos (pipe);
  /* the frames did run together (8 per batch while all streams run) */
  fail_unless (mean > 2.0, "mean batch %.2f", mean);
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (pipe);
  alone (-1, 0, NULL);
}
GST_END_TEST;

/* ---- late, early, stalled and removed streams ------------------------------------------ */

GST_START_TEST (test_late_early_stalled_removed)
{
  /* A: throughout; B: added late; C: ends early; D: stalls longer than the
   * timeout mid-stream; E: removed while playing */
  enum { A, B, C, D, E };
  const guint64 timeout = 20000;
  GString *desc = g_string_new (NULL);
  for (int s = A; s <= E; s++) {
    if (s == B)
      continue;
    g_autofree char *b = branch (s, "fates", 4, timeout);
    g_string_append (desc, b);
  }
  GstElement *pipe = gst_parse_launch (desc->str, NULL);
  g_string_free (desc, TRUE);
  fail_unless (pipe != NULL);
  fail_unless_equals_int (gst_element_set_state (pipe, GST_STATE_PLAYING), GST_STATE_CHANGE_ASYNC);

  push (pipe, A, 0, 10, FALSE);
  push (pipe, C, 0, 5, TRUE);
  push (pipe, D, 0, 5, FALSE);
  push (pipe, E, 0, 5, FALSE);
  pull_check (pipe, E, 0, 5);
  pull_check (pipe, D, 0, 5);

  /* E's elements go to NULL and leave the bin while the others play */
  const char *parts[] = { "src", "c", "sink" };
  for (guint i = 0; i < G_N_ELEMENTS (parts); i++) {
    GstElement *e = by_name (pipe, parts[i], E);
    fail_unless_equals_int (gst_element_set_state (e, GST_STATE_NULL), GST_STATE_CHANGE_SUCCESS);
    fail_unless (gst_bin_remove (GST_BIN (pipe), e));
    gst_object_unref (e);
  }

  /* B joins the running instance */
  g_autofree char *bdesc = branch (B, "fates", 4, timeout);
  GstElement *bbin = gst_parse_bin_from_description (bdesc, FALSE, NULL);
  fail_unless (bbin != NULL);
  gst_object_set_name (GST_OBJECT (bbin), "late");
  fail_unless (gst_bin_add (GST_BIN (pipe), bbin));
  fail_unless (gst_element_sync_state_with_parent (bbin));
  push (bbin, B, 0, 10, TRUE);

  /* A goes on while D stalls, then D resumes */
  push (pipe, A, 10, 30, TRUE);
  pull_check (pipe, A, 0, 30);
  push (pipe, D, 5, 10, TRUE);
  pull_check (bbin, B, 0, 10);
  pull_check (pipe, C, 0, 5);
  pull_check (pipe, D, 5, 5);
  wait_eos (pipe);
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (pipe);
  alone (-1, 0, NULL);
}
GST_END_TEST;

/* ---- refusals ------------------------------------------------------------------- */

static GstBus *
watch (GstElement *e)
{
  GstBus *bus = gst_bus_new ();
  gst_element_set_bus (e, bus);
  return bus;
}

static char *
pop_error (GstBus *bus, GQuark domain, gint code)
{
  GstMessage *m = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  fail_unless (m != NULL, "no error posted");
  GError *err = NULL;
  gchar *dbg = NULL;
  gst_message_parse_error (m, &err, &dbg);
  fail_unless (g_error_matches (err, domain, code), "%s", err->message);
  char *text = g_strdup_printf ("%s | %s", err->message, dbg ? dbg : "");
  g_error_free (err);
  g_free (dbg);
  gst_message_unref (m);
  return text;
}

GST_START_TEST (test_same_name_other_file)
{
  GstElement *a = gst_element_factory_make ("nnclassify", NULL), *b = gst_element_factory_make ("nnclassify", NULL);
  g_object_set (a, "model", gesture, "model-instance", "pair", NULL);
  g_object_set (b, "model", fashion, "model-instance", "pair", NULL);
  GstBus *bus = watch (b);
  fail_unless_equals_int (gst_element_set_state (a, GST_STATE_PAUSED), GST_STATE_CHANGE_SUCCESS);
  fail_unless_equals_int (gst_element_set_state (b, GST_STATE_PAUSED), GST_STATE_CHANGE_FAILURE);
  g_autofree char *text = pop_error (bus, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS);
  fail_unless (strstr (text, "model instance \"pair\"") && strstr (text, "gesture-lenet.safetensors") &&
               strstr (text, "fashion-lenet.safetensors"), "%s", text);
  /* the same file with other batching is refused too */
  g_object_set (b, "model", gesture, "batch-size", 4, NULL);
  fail_unless_equals_int (gst_element_set_state (b, GST_STATE_PAUSED), GST_STATE_CHANGE_FAILURE);
  g_autofree char *text2 = pop_error (bus, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS);
  fail_unless (strstr (text2, "batches 1") != NULL, "%s", text2);
  gst_element_set_state (a, GST_STATE_NULL);
  gst_element_set_state (b, GST_STATE_NULL);
  gst_element_set_bus (b, NULL);
  gst_object_unref (bus);
  gst_object_unref (a);
  gst_object_unref (b);
}
GST_END_TEST;

GST_START_TEST (test_change_while_playing)
{
  g_autofree char *desc = g_strdup_printf ("nnclassify model=\"%s\" model-instance=fixed", gesture);
  GstHarness *h = gst_harness_new_parse (desc);
  g_autofree char *caps = nn_test_caps_string (GST_VIDEO_FORMAT_RGB, W, H);
  gst_harness_set_src_caps_str (h, caps);
  GstBus *bus = watch (h->element);
  GstElement *c = gst_harness_find_element (h, "nnclassify");
  GstBuffer *out = gst_harness_push_and_pull (h, frame (0, 0));
  gst_buffer_unref (out);

  struct { const char *prop; const char *value; } changes[] = {
    { "model", NULL }, { "model-instance", "other" }, { "batch-size", "4" }, { "batch-timeout", "1" },
  };
  changes[0].value = fashion;
  for (guint i = 0; i < G_N_ELEMENTS (changes); i++) {
    g_autofree char *before = NULL, *after = NULL;
    GValue v = G_VALUE_INIT;
    g_object_get_property (G_OBJECT (c), changes[i].prop, (g_value_init (&v, G_PARAM_SPEC_VALUE_TYPE (
      g_object_class_find_property (G_OBJECT_GET_CLASS (c), changes[i].prop))), &v));
    before = g_strdup_value_contents (&v);
    g_value_unset (&v);
    gst_util_set_object_arg (G_OBJECT (c), changes[i].prop, changes[i].value);
    g_autofree char *text = pop_error (bus, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS);
    g_autofree char *want = g_strdup_printf ("Cannot change \"%s\"", changes[i].prop);
    fail_unless (strstr (text, want) && strstr (text, "gesture-lenet"), "%s", text);
    g_object_get_property (G_OBJECT (c), changes[i].prop, (g_value_init (&v, G_PARAM_SPEC_VALUE_TYPE (
      g_object_class_find_property (G_OBJECT_GET_CLASS (c), changes[i].prop))), &v));
    after = g_strdup_value_contents (&v);
    g_value_unset (&v);
    fail_unless_equals_string (after, before);
  }
  /* setting the value it has is no change */
  g_object_set (c, "model-instance", "fixed", NULL);
  fail_unless (gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR) == NULL);
  /* the element still runs the model it had */
  out = gst_harness_push_and_pull (h, frame (0, 1));
  fail_unless (nn_buffer_get_classification (out, NULL, NULL, NULL));
  gst_buffer_unref (out);
  /* stopped, the model may change */
  gst_element_set_state (h->element, GST_STATE_READY);
  g_object_set (c, "model", fashion, "model-instance", "other", NULL);
  fail_unless (gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR) == NULL);
  gst_object_unref (c);
  gst_element_set_bus (h->element, NULL);
  gst_object_unref (bus);
  gst_harness_teardown (h);
}
GST_END_TEST;

/* nnvideoclassify keeps each stream's recurrent state in its own streaming
 * copy of the model: it refuses an instance, naming why. */
GST_START_TEST (test_videoclassify_refuses_instance)
{
  GstElement *e = gst_element_factory_make ("nnvideoclassify", NULL);
  g_object_set (e, "model", convlstm, "model-instance", "clips", NULL);
  GstBus *bus = watch (e);
  guint loads = nn_shared_model_n_loads ();
  fail_unless_equals_int (gst_element_set_state (e, GST_STATE_PAUSED), GST_STATE_CHANGE_FAILURE);
  g_autofree char *text = pop_error (bus, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS);
  fail_unless (strstr (text, "cannot share model instance \"clips\"") && strstr (text, "model-instance empty"), "%s",
               text);
  fail_unless_equals_int (nn_shared_model_n_loads (), loads);
  gst_element_set_state (e, GST_STATE_NULL);
  gst_element_set_bus (e, NULL);
  gst_object_unref (bus);
  gst_object_unref (e);
}
GST_END_TEST;

static Suite *
multistream_suite (void)
{
  Suite *s = suite_create ("multistream");
  TCase *tc = tcase_create ("multistream");
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_add_test (tc, test_one_load_small_streams);
  tcase_add_test (tc, test_eight_streams_match_alone);
  tcase_add_test (tc, test_late_early_stalled_removed);
  tcase_add_test (tc, test_same_name_other_file);
  tcase_add_test (tc, test_change_while_playing);
  tcase_add_test (tc, test_videoclassify_refuses_instance);
  suite_add_tcase (s, tc);
  return s;
}

GST_CHECK_MAIN (multistream);
