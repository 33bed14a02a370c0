/* libnn from another program, built out of tree with pkg-config only
 * (tests/install/test-install.sh): classify one 28x28 gray image, then read
 * the results nnclassify attaches to frames through the nn-meta library.
 *   cc example.c $(pkg-config --cflags --libs nn nn-meta gstreamer-app-1.0) */
#include <nn/nn.h>
#include <nn/nn-classification-meta.h>
#include <gst/app/gstappsink.h>
#include <stdio.h>

static int
fail (const char *what, const GError *e)
{
  fprintf (stderr, "example: %s%s%s\n", what, e ? ": " : "", e ? e->message : "");
  return 1;
}

/* the pipeline's error message, if it posted one */
static int
fail_pipeline (GstElement *pipe, const char *what)
{
  g_autoptr (GError) e = NULL;
  g_autoptr (GstBus) bus = gst_element_get_bus (pipe);
  g_autoptr (GstMessage) msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  if (msg)
    gst_message_parse_error (msg, &e, NULL);
  return fail (what, e);
}

int
main (int argc, char **argv)
{
  g_autoptr (GError) err = NULL;
  g_autofree guint8 *pixels = NULL;
  gsize len = 0;
  gst_init (&argc, &argv);
  if (argc != 3) {
    fprintf (stderr, "usage: example MODEL IMAGE (28x28 bytes, gray)\n");
    return 2;
  }
  g_autoptr (NnModel) m = nn_model_load (argv[1], &err);
  if (!m || !g_file_get_contents (argv[2], (char **) &pixels, &len, &err) || len != 28 * 28)
    return fail (err ? "cannot load" : "the image is not 28x28 bytes", err);
  g_autofree float *x = g_new (float, nn_shape_numel (nn_model_input_shape (m)));
  nn_preprocess_image (nn_model_preprocess (m), pixels, 28, 28, 28, NN_PIXEL_GRAY8, x);
  const float *y = nn_model_forward (m, x, 1, FALSE, &err);
  if (!y)
    return fail ("forward", err);
  int best = 0, n = (int) nn_shape_numel (nn_model_output_shape (m));
  for (int i = 1; i < n; i++)
    best = y[i] > y[best] ? i : best;
  printf ("image: %d %s %.3f\n", best, nn_model_label (m, best), y[best]);

  g_autofree char *desc = g_strdup_printf ("videotestsrc num-buffers=3 ! nnclassify model=\"%s\" ! appsink name=out", argv[1]);
  GstElement *pipe = gst_parse_launch (desc, &err), *sink = pipe ? gst_bin_get_by_name (GST_BIN (pipe), "out") : NULL;
  if (!sink)
    return fail ("no pipeline", err);
  if (gst_element_set_state (pipe, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE)
    return fail_pipeline (pipe, "the pipeline does not start");
  int frames = 0;
  for (GstSample *s; (s = gst_app_sink_try_pull_sample (GST_APP_SINK (sink), 30 * GST_SECOND)); gst_sample_unref (s)) {
    const char *label;
    gint index;
    gdouble score;
    if (nn_buffer_get_classification (gst_sample_get_buffer (s), &label, &index, &score))
      printf ("frame %d: %d %s %.3f\n", frames++, index, label, score);
  }
  int status = frames == 3 ? 0 : fail_pipeline (pipe, "not every frame carried a classification");
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (sink);
  gst_object_unref (pipe);
  return status;
}
