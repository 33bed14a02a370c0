/* nngansrc ! nnclassify: the shipped conditional DCGAN draws pictures of an
 * asked-for class, scaled to 112x112, and the shipped LeNet must name that
 * class on most frames. */
#include <gst/app/gstappsink.h>
#include <gst/check/gstcheck.h>
#include <nn/nn.h>

#include "nn-classification-meta.h"

#define FRAMES 40

static char *
source_path (const char *rel)
{
  const char *root = g_getenv ("NN_SOURCE_ROOT");
  return g_build_filename (root ? root : ".", rel, NULL);
}

/* Frames the classifier put in `cls`, out of FRAMES. */
static int
agreeing_frames (const char *cls, guint seed)
{
  g_autofree char *g = source_path ("models/fashion-dcgan.safetensors");
  g_autofree char *c = source_path ("models/fashion-lenet.safetensors");
  g_autofree char *desc = g_strdup_printf (
    "nngansrc model=\"%s\" class=%s seed=%u num-buffers=%d ! video/x-raw,width=112,height=112,framerate=25/1 "
    "! nnclassify model=\"%s\" ! appsink name=out sync=false", g, cls, seed, FRAMES, c);
  GError *e = NULL;
  GstElement *pipe = gst_parse_launch (desc, &e);
  fail_unless (pipe != NULL, "%s", e ? e->message : "");
  GstElement *sink = gst_bin_get_by_name (GST_BIN (pipe), "out");
  fail_if (gst_element_set_state (pipe, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE, "%s", desc);
  int n = 0, right = 0;
  GstSample *s;
  while ((s = gst_app_sink_pull_sample (GST_APP_SINK (sink)))) {
    const char *label = NULL;
    GstBuffer *b = gst_sample_get_buffer (s);
    fail_unless_equals_uint64 (GST_BUFFER_PTS (b), gst_util_uint64_scale_int (n * GST_SECOND, 1, 25));
    fail_unless (nn_buffer_get_classification (b, &label, NULL, NULL), "frame %d has no classification", n);
    right += g_str_equal (label, cls);
    n++;
    gst_sample_unref (s);
  }
  fail_unless (gst_app_sink_is_eos (GST_APP_SINK (sink)));
  fail_unless_equals_int (n, FRAMES);
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (sink);
  gst_object_unref (pipe);
  return right;
}

GST_START_TEST (test_gan_to_classifier)
{
  const char *classes[] = { "trouser", "sneaker", "bag", "ankle-boot", "dress" };
  int total = 0;
  for (guint i = 0; i < G_N_ELEMENTS (classes); i++) {
    int right = agreeing_frames (classes[i], i + 1);
    GST_INFO ("%s: %d of %d frames", classes[i], right, FRAMES);
    fail_unless (right >= FRAMES * 6 / 10, "%s: the classifier agreed on only %d of %d frames", classes[i], right,
                 FRAMES);
    total += right;
  }
  fail_unless (total >= (int) G_N_ELEMENTS (classes) * FRAMES * 8 / 10, "the classifier agreed on %d frames of %d",
               total, (int) G_N_ELEMENTS (classes) * FRAMES);
}
GST_END_TEST;

static Suite *
pipeline_gan_suite (void)
{
  Suite *s = suite_create ("pipeline-gan");
  TCase *tc = tcase_create ("general");
  tcase_add_test (tc, test_gan_to_classifier);
  suite_add_tcase (s, tc);
  return s;
}

GST_CHECK_MAIN (pipeline_gan);
