/* nn-idx2video: make a video file of dataset images (one image per frame) and
 * write the true label of every frame, so whole pipelines can be checked
 * against ground truth. Encoding is GStreamer's (appsrc ! x264enc ! mp4mux),
 * limited range BT.601 unless --full-range (tools/video-writer.h). */
#include <nn/nn.h>
#include <gst/gst.h>
#include "video-writer.h"
#include <stdio.h>

static const char *probe_spec =
  "{\"input\": [1, 28, 28], \"preprocess\": {\"rescale\": 1.0}, \"layers\": [{\"type\": \"flatten\"}]}";

int
main (int argc, char **argv)
{
  g_autofree char *data = NULL, *out = NULL, *labels_out = NULL;
  int count = 100, size = 112, fps = 10, offset = 0;
  gboolean full_range = FALSE;
  GOptionEntry entries[] = {
    { "data", 'd', 0, G_OPTION_ARG_STRING, &data, "Images: idx:PREFIX (28x28 gray)", "SOURCE" },
    { "count", 'n', 0, G_OPTION_ARG_INT, &count, "Frames (default 100)", "N" },
    { "offset", 0, 0, G_OPTION_ARG_INT, &offset, "First image (default 0)", "N" },
    { "size", 's', 0, G_OPTION_ARG_INT, &size, "Frame width and height (default 112)", "PX" },
    { "fps", 0, 0, G_OPTION_ARG_INT, &fps, "Frames per second (default 10)", "N" },
    { "labels", 'l', 0, G_OPTION_ARG_FILENAME, &labels_out, "Write the class index of each frame, one per line", "FILE" },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &out, "Output video (.mp4)", "FILE" },
    { "full-range", 0, 0, G_OPTION_ARG_NONE, &full_range,
      "Write full-range luma (0-255, labelled so) instead of limited range (16-235, as encoders write)", NULL },
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
  count = (int) MIN ((int64_t) count, ds->n - offset);
  g_autofree guint8 *frames = g_new (guint8, (gsize) count * 784);
  FILE *lf = labels_out ? fopen (labels_out, "w") : NULL;
  for (int i = 0; i < count; i++) {
    const float *x = ds->x + (int64_t) (offset + i) * 784;
    for (int k = 0; k < 784; k++)
      frames[i * 784 + k] = (guint8) CLAMP (x[k] + 0.5f, 0, 255);
    if (lf)
      fprintf (lf, "%d\n", ds->labels[offset + i]);
  }
  if (lf)
    fclose (lf);
  if (!nn_write_video (out, frames, count, 1, 28, 28, size, size, fps,
                       full_range ? NN_VIDEO_FULL_RANGE : NN_VIDEO_LIMITED_RANGE, &e)) {
    fprintf (stderr, "nn-idx2video: %s\n", e->message);
    return 1;
  }
  return 0;
}
