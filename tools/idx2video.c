/* nn-idx2video: make a video file of dataset images (one image per frame) and
 * write the true label of every frame, so whole pipelines can be checked
 * against ground truth. Encoding is GStreamer's (appsrc ! x264enc ! mp4mux). */
#include <nn/nn.h>
#include <gst/gst.h>
#include <gst/app/gstappsrc.h>
#include <stdio.h>

static const char *probe_spec =
  "{\"input\": [1, 28, 28], \"preprocess\": {\"rescale\": 1.0}, \"layers\": [{\"type\": \"flatten\"}]}";

int
main (int argc, char **argv)
{
  char *data = NULL, *out = NULL, *labels_out = NULL;
  int count = 100, size = 112, fps = 10, offset = 0;
  GOptionEntry entries[] = {
    { "data", 'd', 0, G_OPTION_ARG_STRING, &data, "Images: idx:PREFIX (28x28 gray)", "SOURCE" },
    { "count", 'n', 0, G_OPTION_ARG_INT, &count, "Frames (default 100)", "N" },
    { "offset", 0, 0, G_OPTION_ARG_INT, &offset, "First image (default 0)", "N" },
    { "size", 's', 0, G_OPTION_ARG_INT, &size, "Frame width and height (default 112)", "PX" },
    { "fps", 0, 0, G_OPTION_ARG_INT, &fps, "Frames per second (default 10)", "N" },
    { "labels", 'l', 0, G_OPTION_ARG_FILENAME, &labels_out, "Write the class index of each frame, one per line", "FILE" },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &out, "Output video (.mp4)", "FILE" },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("- encode dataset images as a video");
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_add_group (ctx, gst_init_get_option_group ());
  g_autoptr (GError) e = NULL;
  if (!g_option_context_parse (ctx, &argc, &argv, &e) || !data || !out || count < 1 || size < 8 || fps < 1) {
    fprintf (stderr, "nn-idx2video: %s\n", e ? e->message : "need --data and -o (see --help)");
    return 2;
  }
  g_autoptr (NnModel) probe = nn_model_new_from_spec (probe_spec, 0, &e);
  g_autoptr (NnDataset) ds = probe ? nn_dataset_load (data, probe, &e) : NULL;
  if (!ds) {
    fprintf (stderr, "nn-idx2video: %s\n", e->message);
    return 1;
  }
  count = MIN ((int64_t) count, ds->n - offset);
  g_autofree char *desc = g_strdup_printf (
    "appsrc name=src format=time caps=video/x-raw,format=GRAY8,width=28,height=28,framerate=%d/1 ! videoscale ! "
    "video/x-raw,width=%d,height=%d ! videoconvert ! video/x-raw,format=I420 ! x264enc speed-preset=fast "
    "pass=quant quantizer=12 ! h264parse ! mp4mux ! filesink location=\"%s\"", fps, size, size, out);
  GstElement *pipe = gst_parse_launch (desc, &e);
  if (!pipe) {
    fprintf (stderr, "nn-idx2video: %s\n", e->message);
    return 1;
  }
  GstElement *src = gst_bin_get_by_name (GST_BIN (pipe), "src");
  gst_element_set_state (pipe, GST_STATE_PLAYING);
  FILE *lf = labels_out ? fopen (labels_out, "w") : NULL;
  for (int i = 0; i < count; i++) {
    GstBuffer *b = gst_buffer_new_allocate (NULL, 28 * 28, NULL);
    GstMapInfo map;
    gst_buffer_map (b, &map, GST_MAP_WRITE);
    const float *x = ds->x + (int64_t) (offset + i) * 784;
    for (int k = 0; k < 784; k++)
      map.data[k] = (guint8) CLAMP (x[k] + 0.5f, 0, 255);
    gst_buffer_unmap (b, &map);
    GST_BUFFER_PTS (b) = gst_util_uint64_scale (i, GST_SECOND, fps);
    GST_BUFFER_DURATION (b) = gst_util_uint64_scale (1, GST_SECOND, fps);
    gst_app_src_push_buffer (GST_APP_SRC (src), b);
    if (lf)
      fprintf (lf, "%d\n", ds->labels[offset + i]);
  }
  if (lf)
    fclose (lf);
  gst_app_src_end_of_stream (GST_APP_SRC (src));
  GstBus *bus = gst_element_get_bus (pipe);
  GstMessage *m = gst_bus_timed_pop_filtered (bus, GST_CLOCK_TIME_NONE, GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  int status = 0;
  if (GST_MESSAGE_TYPE (m) == GST_MESSAGE_ERROR) {
    g_autoptr (GError) err = NULL;
    gst_message_parse_error (m, &err, NULL);
    fprintf (stderr, "nn-idx2video: %s\n", err->message);
    status = 1;
  }
  gst_message_unref (m);
  gst_object_unref (bus);
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (src);
  gst_object_unref (pipe);
  return status;
}
