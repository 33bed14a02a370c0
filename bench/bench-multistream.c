/* Many streams in one process (issue 15 point 3): N appsrc streams of
 * 640x480 frames, each through its own nnclassify, either each with a model
 * of its own (separate) or all sharing one batched model instance (shared);
 * prints the whole process's frames/s, its CPU time per frame (user + system:
 * what the work costs, whatever else the machine runs), and the per-frame
 * latency of the classifiers (sink pad in to source pad out: conversion, the
 * wait for the batch, inference, result), p50 and p99.
 *
 *   bench-multistream MODEL shared|separate STREAMS FRAMES [BATCH [TIMEOUT_US [FORMAT]]]
 *
 * The sources push pre-rendered frames (a different picture per stream,
 * shared memory, a new buffer header per push) so that what is measured is
 * the classifiers, not the drawing of test patterns. */
#include <stdio.h>
#include <sys/resource.h>
#include <stdlib.h>
#include <string.h>

#include <gst/app/gstappsrc.h>
#include <gst/gst.h>
#include <gst/video/video.h>

typedef struct {
  GstElement *src;
  GstBuffer  *picture;
  int         pushed, frames;
  gint64      t_in;        /* the frame now in the classifier */
  double     *lat_ms;      /* (frames) */
  int         n_lat;
} Stream;

static void
need_data (GstAppSrc *src, guint length, gpointer data)
{
  Stream *st = data;
  (void) length;
  if (st->pushed == st->frames) {
    gst_app_src_end_of_stream (src);
    return;
  }
  /* a writable header over the shared pixels: the classifier adds its meta */
  GstBuffer *b = gst_buffer_copy (st->picture);
  GST_BUFFER_PTS (b) = (GstClockTime) st->pushed * GST_SECOND / 30;
  GST_BUFFER_DURATION (b) = GST_SECOND / 30;
  st->pushed++;
  gst_app_src_push_buffer (src, b);
}

static GstPadProbeReturn
probe_in (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  (void) pad;
  (void) info;
  ((Stream *) data)->t_in = g_get_monotonic_time ();
  return GST_PAD_PROBE_OK;
}

static GstPadProbeReturn
probe_out (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  Stream *st = data;
  (void) pad;
  (void) info;
  if (st->n_lat < st->frames)
    st->lat_ms[st->n_lat++] = (g_get_monotonic_time () - st->t_in) / 1000.0;
  return GST_PAD_PROBE_OK;
}

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

static GstBuffer *
render (GstVideoInfo *info, int s)
{
  GstBuffer *b = gst_buffer_new_allocate (NULL, GST_VIDEO_INFO_SIZE (info), NULL);
  GstVideoFrame f;
  gst_video_frame_map (&f, info, b, GST_MAP_WRITE);
  for (guint c = 0; c < GST_VIDEO_FRAME_N_COMPONENTS (&f); c++) {
    guint8 *d = GST_VIDEO_FRAME_COMP_DATA (&f, c);
    int ps = GST_VIDEO_FRAME_COMP_PSTRIDE (&f, c), st = GST_VIDEO_FRAME_COMP_STRIDE (&f, c);
    for (int y = 0; y < GST_VIDEO_FRAME_COMP_HEIGHT (&f, c); y++)
      for (int x = 0; x < GST_VIDEO_FRAME_COMP_WIDTH (&f, c); x++)
        d[y * st + x * ps] = (guint8) ((x * (s + 3) + y * (7 - s % 5) + c * 40 + ((x / 32 + y / 32 + s) % 2) * 90) & 0xff);
  }
  gst_video_frame_unmap (&f);
  return b;
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  if (argc < 5) {
    fprintf (stderr, "usage: %s MODEL shared|separate STREAMS FRAMES [BATCH [TIMEOUT_US [FORMAT]]]\n", argv[0]);
    return 2;
  }
  const char *model = argv[1];
  gboolean shared = strcmp (argv[2], "shared") == 0;
  int n = atoi (argv[3]), frames = atoi (argv[4]);
  int batch = argc > 5 ? atoi (argv[5]) : n;
  long timeout = argc > 6 ? atol (argv[6]) : 5000;
  const char *format = argc > 7 ? argv[7] : "I420";
  if (n < 1 || frames < 1 || batch < 1) {
    fprintf (stderr, "STREAMS, FRAMES and BATCH must be positive\n");
    return 2;
  }

  GstVideoInfo info;
  gst_video_info_set_format (&info, gst_video_format_from_string (format), 640, 480);
  GString *desc = g_string_new (NULL);
  for (int s = 0; s < n; s++) {
    g_string_append_printf (desc, "appsrc name=src%d format=time caps=video/x-raw,format=%s,width=640,height=480,"
                            "framerate=30/1 ! nnclassify name=c%d model=\"%s\" ", s, format, s, model);
    if (shared)
      g_string_append_printf (desc, "model-instance=bench batch-size=%d batch-timeout=%ld ", batch, timeout);
    g_string_append (desc, "! fakesink sync=false ");
  }
  GError *err = NULL;
  GstElement *pipe = gst_parse_launch (desc->str, &err);
  g_string_free (desc, TRUE);
  if (!pipe) {
    fprintf (stderr, "%s\n", err->message);
    return 1;
  }
  Stream *st = g_new0 (Stream, (gsize) n);
  for (int s = 0; s < n; s++) {
    char name[32];
    g_snprintf (name, sizeof name, "src%d", s);
    st[s].src = gst_bin_get_by_name (GST_BIN (pipe), name);
    st[s].picture = render (&info, s);
    st[s].frames = frames;
    st[s].lat_ms = g_new0 (double, (gsize) frames);
    GstAppSrcCallbacks cb = { .need_data = need_data };
    gst_app_src_set_callbacks (GST_APP_SRC (st[s].src), &cb, &st[s], NULL);
    g_object_set (st[s].src, "max-buffers", (guint64) 2, NULL);
    g_snprintf (name, sizeof name, "c%d", s);
    GstElement *c = gst_bin_get_by_name (GST_BIN (pipe), name);
    GstPad *sink = gst_element_get_static_pad (c, "sink"), *src = gst_element_get_static_pad (c, "src");
    gst_pad_add_probe (sink, GST_PAD_PROBE_TYPE_BUFFER, probe_in, &st[s], NULL);
    gst_pad_add_probe (src, GST_PAD_PROBE_TYPE_BUFFER, probe_out, &st[s], NULL);
    gst_object_unref (sink);
    gst_object_unref (src);
    gst_object_unref (c);
  }

  struct rusage r0, r1;
  getrusage (RUSAGE_SELF, &r0);
  gint64 t0 = g_get_monotonic_time ();
  gst_element_set_state (pipe, GST_STATE_PLAYING);
  GstBus *bus = gst_element_get_bus (pipe);
  GstMessage *m = gst_bus_timed_pop_filtered (bus, GST_CLOCK_TIME_NONE, GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  gint64 t1 = g_get_monotonic_time ();
  getrusage (RUSAGE_SELF, &r1);
  double cpu_s = (r1.ru_utime.tv_sec - r0.ru_utime.tv_sec) + (r1.ru_utime.tv_usec - r0.ru_utime.tv_usec) / 1e6 +
                 (r1.ru_stime.tv_sec - r0.ru_stime.tv_sec) + (r1.ru_stime.tv_usec - r0.ru_stime.tv_usec) / 1e6;
  int rc = 0;
  if (GST_MESSAGE_TYPE (m) == GST_MESSAGE_ERROR) {
    gst_message_parse_error (m, &err, NULL);
    fprintf (stderr, "error: %s\n", err->message);
    rc = 1;
  }
  gst_message_unref (m);

  int total = 0;
  double mean_batch = 0;
  for (int s = 0; s < n; s++)
    total += st[s].n_lat;
  double *all = g_new (double, (gsize) n * (gsize) frames);
  for (int s = 0, i = 0; s < n; s++) {
    memcpy (all + i, st[s].lat_ms, sizeof (double) * st[s].n_lat);
    i += st[s].n_lat;
    char name[32];
    g_snprintf (name, sizeof name, "c%d", s);
    GstElement *c = gst_bin_get_by_name (GST_BIN (pipe), name);
    double mb;
    g_object_get (c, "mean-batch", &mb, NULL);
    mean_batch += mb / n;
    gst_object_unref (c);
  }
  qsort (all, total, sizeof (double), cmp_double);
  printf ("mode=%s streams=%d frames=%d wall_s=%.3f fps=%.1f cpu_ms=%.4f p50_ms=%.3f p99_ms=%.3f mean_batch=%.2f\n",
          shared ? "shared" : "separate", n, total, (t1 - t0) / 1e6, total / ((t1 - t0) / 1e6), cpu_s * 1e3 / total,
          total ? all[total / 2] : 0.0, total ? all[(int) (total * 0.99)] : 0.0, mean_batch);

  gst_element_set_state (pipe, GST_STATE_NULL);
  for (int s = 0; s < n; s++) {
    gst_object_unref (st[s].src);
    gst_buffer_unref (st[s].picture);
    g_free (st[s].lat_ms);
  }
  g_free (all);
  g_free (st);
  gst_object_unref (bus);
  gst_object_unref (pipe);
  return rc;
}
