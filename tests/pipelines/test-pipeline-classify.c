/* Whole pipelines through nnclassify (and nnoverlay) into an appsink.
 * To add a pipeline: write its launch line with a "model=%s" for the model
 * path and an "appsink name=out" at the end, and call run_pipeline(). */
#include <gst/app/gstappsink.h>
#include <gst/check/gstcheck.h>

#include "nn-classification-meta.h"
#include "nn-test-util.h"

typedef struct {
  guint buffers;        /* samples pulled from the appsink */
  guint with_meta;      /* of those, with a classification */
  guint messages;       /* nn-classification element messages */
  GHashTable *labels;   /* label -> count, from the metas */
} PipelineResult;

static void
pipeline_result_clear (PipelineResult *r)
{
  g_clear_pointer (&r->labels, g_hash_table_unref);
}

static void
count_label (PipelineResult *r, const char *label)
{
  guint n = GPOINTER_TO_UINT (g_hash_table_lookup (r->labels, label));
  g_hash_table_replace (r->labels, g_strdup (label), GUINT_TO_POINTER (n + 1));
}

static void
pull_all (GstAppSink *sink, PipelineResult *r)
{
  GstSample *sample;
  while ((sample = gst_app_sink_pull_sample (sink))) {
    GstBuffer *buf = gst_sample_get_buffer (sample);
    const char *label;
    gdouble score;
    r->buffers++;
    if (nn_buffer_get_classification (buf, &label, NULL, &score)) {
      r->with_meta++;
      fail_unless (score >= 0.0 && score <= 1.0);
      count_label (r, label);
    }
    gst_sample_unref (sample);
  }
}

/* Counts element messages and fails on any error message. */
static void
drain_bus (GstBus *bus, PipelineResult *r)
{
  GstMessage *msg;
  while ((msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT | GST_MESSAGE_ERROR))) {
    if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
      GError *err = NULL;
      char *debug = NULL;
      gst_message_parse_error (msg, &err, &debug);
      fail ("pipeline error: %s (%s)", err->message, debug ? debug : "");
    }
    if (gst_structure_has_name (gst_message_get_structure (msg), NN_CLASSIFICATION_NAME))
      r->messages++;
    gst_message_unref (msg);
  }
}

/* `launch` contains one %s, replaced by `model`. */
static void
run_pipeline (const char *launch, const char *model, PipelineResult *r)
{
  g_autoptr (GError) err = NULL;
  g_autofree char *desc = g_strdup_printf (launch, model);
  GstElement *pipe = gst_parse_launch (desc, &err);
  fail_unless (pipe != NULL, "%s: %s", desc, err ? err->message : "");
  GstElement *sink = gst_bin_get_by_name (GST_BIN (pipe), "out");
  fail_unless (sink != NULL, "no appsink named out");
  g_object_set (sink, "sync", FALSE, NULL);
  memset (r, 0, sizeof *r);
  r->labels = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  fail_if (gst_element_set_state (pipe, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE);
  pull_all (GST_APP_SINK (sink), r);
  GstBus *bus = gst_element_get_bus (pipe);
  drain_bus (bus, r);
  fail_unless (gst_app_sink_is_eos (GST_APP_SINK (sink)));
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (sink);
  gst_object_unref (pipe);
}

GST_START_TEST (test_videotestsrc_i420)
{
  g_autofree char *model = nn_test_write_temp ("pipeline-XXXXXX.json", NN_TEST_SPEC_GRAY, -1);
  PipelineResult r;
  run_pipeline ("videotestsrc num-buffers=30 ! video/x-raw,width=64,height=48,format=I420 ! "
                "nnclassify model=\"%s\" ! nnoverlay ! appsink name=out", model, &r);
  fail_unless_equals_int (r.buffers, 30);
  fail_unless_equals_int (r.with_meta, 30);
  fail_unless_equals_int (r.messages, 30);
  pipeline_result_clear (&r);
  g_unlink (model);
}
GST_END_TEST;

GST_START_TEST (test_colour_model_interval)
{
  g_autofree char *model = nn_test_write_temp ("pipeline-XXXXXX.json", NN_TEST_SPEC_RGB, -1);
  PipelineResult r;
  /* videoconvert drops ROI metas (they carry "size" tags), so it goes first */
  run_pipeline ("videotestsrc num-buffers=30 pattern=ball ! video/x-raw,format=BGRx ! videoconvert ! "
                "video/x-raw,width=96,height=72,format=NV12 ! "
                "nnclassify model=\"%s\" inference-interval=3 ! nnoverlay ! appsink name=out", model, &r);
  fail_unless_equals_int (r.buffers, 30);
  fail_unless_equals_int (r.with_meta, 10);
  fail_unless_equals_int (r.messages, 10);
  pipeline_result_clear (&r);
  g_unlink (model);
}
GST_END_TEST;

static Suite *
pipeline_classify_suite (void)
{
  Suite *s = suite_create ("pipeline-classify");
  TCase *tc = tcase_create ("general");
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_videotestsrc_i420);
  tcase_add_test (tc, test_colour_model_interval);
  return s;
}

GST_CHECK_MAIN (pipeline_classify);
