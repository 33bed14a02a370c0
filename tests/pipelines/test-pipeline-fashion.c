/* Issue 3's whole-pipeline check: Fashion-MNIST test images encoded as H.264
 * MP4 by GStreamer here, decoded by decodebin (gst-libav), classified by
 * nnclassify with the shipped LeNet; per-frame labels compared with the truth,
 * read back both from the buffer meta and from the bus messages. */
#include <gst/app/gstappsink.h>
#include <gst/check/gstcheck.h>
#include <glib/gstdio.h>
#include <nn/nn.h>

#include "nn-classification-meta.h"
#include "video-writer.h"

#define N_FRAMES 1000
#define FPS 25

static char *
source_path (const char *rel)
{
  const char *root = g_getenv ("NN_SOURCE_ROOT");
  return g_build_filename (root ? root : ".", rel, NULL);
}

/* N_FRAMES test images as gray bytes, and their classes */
static guint8 *
load_images (int32_t *labels)
{
  GError *e = NULL;
  NnModel *probe = nn_model_new_from_spec (
    "{\"input\": [1, 28, 28], \"preprocess\": {\"rescale\": 1.0}, \"layers\": [{\"type\": \"flatten\"}]}", 0, &e);
  NnDataset *ds = nn_dataset_load ("idx:/usr/share/datasets/fashion-mnist/t10k", probe, &e);
  fail_unless (ds != NULL, "%s", e ? e->message : "");
  guint8 *px = g_new (guint8, N_FRAMES * 784);
  for (int i = 0; i < N_FRAMES * 784; i++)
    px[i] = (guint8) CLAMP (ds->x[i] + 0.5f, 0, 255);
  memcpy (labels, ds->labels, sizeof (int32_t) * N_FRAMES);
  nn_dataset_free (ds);
  nn_model_free (probe);
  return px;
}

static int
frame_of (GstClockTime pts)
{
  return (int) gst_util_uint64_scale_round (pts, FPS, GST_SECOND);
}

GST_START_TEST (test_fashion_h264_decodebin_nnclassify)
{
  int32_t truth[N_FRAMES];
  g_autofree guint8 *px = load_images (truth);
  g_autofree char *dir = g_dir_make_tmp ("nn-fashion-XXXXXX", NULL);
  g_autofree char *mp4 = g_build_filename (dir, "fashion.mp4", NULL);
  GError *e = NULL;
  fail_unless (nn_write_gray_video (mp4, px, N_FRAMES, 28, 28, 112, FPS, &e), "%s", e ? e->message : "");

  g_autofree char *model = source_path ("models/fashion-lenet.safetensors");
  g_autofree char *desc = g_strdup_printf (
    "filesrc location=\"%s\" ! decodebin ! videoconvert ! nnclassify name=cls model=\"%s\" ! appsink name=out sync=false",
    mp4, model);
  GstElement *pipe = gst_parse_launch (desc, &e);
  fail_unless (pipe != NULL, "%s", e ? e->message : "");
  GstElement *sink = gst_bin_get_by_name (GST_BIN (pipe), "out");
  fail_if (gst_element_set_state (pipe, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE);

  int frames = 0, meta_right = 0, msg_right = 0, msgs = 0;
  GstClockTime pts0 = 0;
  GstSample *s;
  while ((s = gst_app_sink_pull_sample (GST_APP_SINK (sink)))) {
    GstBuffer *b = gst_sample_get_buffer (s);
    gint idx;
    /* frames come out in order: arrival index = frame; the timestamps agree */
    int f = frames;
    fail_unless (f < N_FRAMES);
    if (f == 0)
      pts0 = GST_BUFFER_PTS (b);
    fail_unless_equals_int (frame_of (GST_BUFFER_PTS (b) - pts0), f);
    fail_unless (nn_buffer_get_classification (b, NULL, &idx, NULL), "frame %d has no classification meta", f);
    meta_right += idx == truth[f];
    frames++;
    gst_sample_unref (s);
  }
  GstBus *bus = gst_element_get_bus (pipe);
  GstMessage *m;
  while ((m = gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT | GST_MESSAGE_ERROR))) {
    fail_if (GST_MESSAGE_TYPE (m) == GST_MESSAGE_ERROR, "pipeline error");
    const GstStructure *st = gst_message_get_structure (m);
    if (gst_structure_has_name (st, NN_CLASSIFICATION_NAME)) {
      guint64 frame;
      gint idx;
      fail_unless (gst_structure_get_uint64 (st, "frame", &frame) && gst_structure_get_int (st, "class-index", &idx));
      fail_unless (frame < N_FRAMES);
      msg_right += idx == truth[frame];
      msgs++;
    }
    gst_message_unref (m);
  }
  GST_INFO ("%d frames: meta %d right, messages %d/%d right", frames, meta_right, msg_right, msgs);
  fail_unless_equals_int (frames, N_FRAMES);
  fail_unless_equals_int (msgs, N_FRAMES);
  fail_unless (meta_right >= 0.9 * N_FRAMES, "only %d of %d frames right (meta)", meta_right, N_FRAMES);
  fail_unless (msg_right >= 0.9 * N_FRAMES, "only %d of %d frames right (messages)", msg_right, N_FRAMES);
  g_print ("fashion pipeline: %d/%d frames right from the meta, %d/%d from the bus\n", meta_right, frames, msg_right,
           msgs);

  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (sink);
  gst_object_unref (pipe);
  g_unlink (mp4);
  g_rmdir (dir);
}
GST_END_TEST;

static Suite *
pipeline_fashion_suite (void)
{
  Suite *s = suite_create ("pipeline-fashion");
  TCase *tc = tcase_create ("fashion");
  tcase_set_timeout (tc, 240);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_fashion_h264_decodebin_nnclassify);
  return s;
}

GST_CHECK_MAIN (pipeline_fashion);
