/* Per-frame cost of nnclassify for each input format (issue 12):
 *   videotestsrc ! video/x-raw,format=F,width=W,height=H ! nnclassify ! fakesink
 * A frame's cost is measured between two pad probes on nnclassify, one on its
 * sink pad and one on its source pad, both running in the streaming thread
 * that runs the element: the conversion to the model's input plus inference
 * (and the meta and message). Two clocks: the thread's CPU time
 * (CLOCK_THREAD_CPUTIME_ID), which does not count the time the thread waits
 * for a core, so it stays meaningful on a machine other jobs load; and wall
 * time, which is what a pipeline feels on an idle machine. Also read: the
 * element's own "latency" property (mean wall ms, conversion + inference).
 *
 *   bench-input-formats MODEL [--frames N] [--runs R] [--skip S] [--size WxH] FORMAT...
 *
 * Per run, the median over the frames (the first S dropped: allocation,
 * caches); the runs of all formats are interleaved so that a change in
 * machine load hits every format alike. Prints one line per format:
 *   FORMAT median-cpu-ms median-wall-ms mean-latency-property-ms
 * each the median over the runs. Exit status 1 when a pipeline fails.
 *
 *   bench-input-formats --convert [--frames N] [--runs R] [--size WxH] [FORMAT...]
 *
 * The conversion alone (issues 15, 19): nn_image_converter_run from a frame
 * of each FORMAT (default I420 NV12 RGB YUY2) at 640x480 and 1280x720 (or
 * --size) to the shipped models' inputs, 3x48x48 (gesture-lenet) and 1x28x28
 * (fashion-lenet), as the thread's CPU time per frame over N frames; the
 * peer in the same run is GStreamer's own GstVideoConverter (one thread,
 * linear resampler, no dither) to RGB or GRAY8 bytes at the model's size.
 * Runs of the two alternate. Prints a Markdown table: medians over the R
 * runs with min and max, and the peer's time over ours. */
#include <gst/gst.h>
#include <gst/video/video.h>
#include <nn/nn.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct {
  double  cpu0, wall0;
  GArray *cpu, *wall; /* ms per frame */
} Probe;

static double
now_ms (clockid_t clock)
{
  struct timespec ts;
  clock_gettime (clock, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static GstPadProbeReturn
on_sink (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  (void) pad;
  (void) info;
  Probe *p = data;
  p->wall0 = now_ms (CLOCK_MONOTONIC);
  p->cpu0 = now_ms (CLOCK_THREAD_CPUTIME_ID);
  return GST_PAD_PROBE_OK;
}

static GstPadProbeReturn
on_src (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  (void) pad;
  (void) info;
  Probe *p = data;
  double cpu = now_ms (CLOCK_THREAD_CPUTIME_ID) - p->cpu0, wall = now_ms (CLOCK_MONOTONIC) - p->wall0;
  g_array_append_val (p->cpu, cpu);
  g_array_append_val (p->wall, wall);
  return GST_PAD_PROBE_OK;
}

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

static double
median (double *v, guint n)
{
  if (n == 0)
    return NAN;
  qsort (v, n, sizeof *v, cmp_double);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* One run of one format: the medians (cpu, wall) over frames after `skip`,
 * and the element's latency property; FALSE with a message on failure. */
static gboolean
run_once (const char *model, const char *format, int w, int h, int frames, int skip, double out[3])
{
  g_autofree char *desc = g_strdup_printf (
    "videotestsrc num-buffers=%d ! video/x-raw,format=%s,width=%d,height=%d,framerate=30/1 ! "
    "nnclassify name=cls model=\"%s\" ! fakesink sync=false", frames, format, w, h, model);
  GError *e = NULL;
  GstElement *pipe = gst_parse_launch (desc, &e);
  if (!pipe || e) {
    fprintf (stderr, "bench-input-formats: %s: %s\n", format, e ? e->message : "cannot build the pipeline");
    g_clear_error (&e);
    g_clear_object (&pipe);
    return FALSE;
  }
  Probe p = { 0, 0, g_array_new (FALSE, FALSE, sizeof (double)), g_array_new (FALSE, FALSE, sizeof (double)) };
  GstElement *cls = gst_bin_get_by_name (GST_BIN (pipe), "cls");
  GstPad *sink = gst_element_get_static_pad (cls, "sink"), *src = gst_element_get_static_pad (cls, "src");
  gst_pad_add_probe (sink, GST_PAD_PROBE_TYPE_BUFFER, on_sink, &p, NULL);
  gst_pad_add_probe (src, GST_PAD_PROBE_TYPE_BUFFER, on_src, &p, NULL);
  gst_object_unref (sink);
  gst_object_unref (src);
  gboolean ok = gst_element_set_state (pipe, GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE;
  GstBus *bus = gst_element_get_bus (pipe);
  GstMessage *m = gst_bus_timed_pop_filtered (bus, GST_CLOCK_TIME_NONE, GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  if (GST_MESSAGE_TYPE (m) == GST_MESSAGE_ERROR) {
    gst_message_parse_error (m, &e, NULL);
    fprintf (stderr, "bench-input-formats: %s: %s\n", format, e->message);
    g_clear_error (&e);
    ok = FALSE;
  }
  gst_message_unref (m);
  gst_object_unref (bus);
  g_object_get (cls, "latency", &out[2], NULL);
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (cls);
  gst_object_unref (pipe);
  guint n = p.cpu->len > (guint) skip ? p.cpu->len - skip : 0;
  if (ok && n == 0) {
    fprintf (stderr, "bench-input-formats: %s: no frame went through nnclassify\n", format);
    ok = FALSE;
  }
  out[0] = median (&g_array_index (p.cpu, double, p.cpu->len - n), n);
  out[1] = median (&g_array_index (p.wall, double, p.wall->len - n), n);
  g_array_free (p.cpu, TRUE);
  g_array_free (p.wall, TRUE);
  return ok;
}

/* ---- --convert ------------------------------------------------------------ */

static double
frames_cpu_ms (void (*step) (gpointer), gpointer data, int frames)
{
  double t0 = now_ms (CLOCK_THREAD_CPUTIME_ID);
  for (int i = 0; i < frames; i++)
    step (data);
  return (now_ms (CLOCK_THREAD_CPUTIME_ID) - t0) / frames;
}

typedef struct {
  NnImageConverter   *nn;
  GstVideoConverter  *peer;
  const guint8       *planes[GST_VIDEO_MAX_PLANES];
  int                 strides[GST_VIDEO_MAX_PLANES];
  GstVideoFrame       in, out;
  float              *sample;
} Convert;

static void
step_nn (gpointer data)
{
  Convert *c = data;
  nn_image_converter_run (c->nn, c->planes, c->strides, c->sample);
}

static void
step_peer (gpointer data)
{
  Convert *c = data;
  gst_video_converter_frame (c->peer, &c->in, &c->out);
}

static void
min_med_max (double *v, int n, double out[3])
{
  out[1] = median (v, (guint) n);  /* sorts */
  out[0] = v[0];
  out[2] = v[n - 1];
}

/* One frame layout to one model input: FALSE with a message when libnn or
 * GStreamer cannot convert it. */
static gboolean
bench_convert (const char *format, int w, int h, int ch, int side, int frames, int runs)
{
  GstVideoFormat gf = gst_video_format_from_string (format);
  NnPixelFormat nf = NN_PIXEL_N_FORMATS;
  for (int f = 0; f < NN_PIXEL_N_FORMATS; f++)
    if (g_strcmp0 (nn_pixel_format_name (f), format) == 0)
      nf = f;
  if (gf == GST_VIDEO_FORMAT_UNKNOWN || nf == NN_PIXEL_N_FORMATS) {
    fprintf (stderr, "bench-input-formats: --convert: %s: not a format both libnn and GStreamer name\n", format);
    return FALSE;
  }
  GstVideoInfo vi, vo;
  gst_video_info_set_format (&vi, gf, w, h);
  gst_video_info_set_format (&vo, ch == 3 ? GST_VIDEO_FORMAT_RGB : GST_VIDEO_FORMAT_GRAY8, side, side);
  gboolean yuv = GST_VIDEO_INFO_IS_YUV (&vi);
  NnImageInfo info = { nf, w, h, yuv ? NN_COLOR_RANGE_LIMITED : NN_COLOR_RANGE_FULL, NN_COLOR_MATRIX_AUTO };
  NnPreprocess pre = { ch, side, side, 1.0f / 255.0f, { 0 }, { 1.0f, 1.0f, 1.0f } };
  GError *e = NULL;
  Convert c = { 0 };
  c.nn = nn_image_converter_new (&info, &pre, &e);
  if (!c.nn) {
    fprintf (stderr, "bench-input-formats: --convert: %s\n", e->message);
    g_clear_error (&e);
    return FALSE;
  }
  c.peer = gst_video_converter_new (&vi, &vo, gst_structure_new ("options",
    GST_VIDEO_CONVERTER_OPT_THREADS, G_TYPE_UINT, 1,
    GST_VIDEO_CONVERTER_OPT_RESAMPLER_METHOD, GST_TYPE_VIDEO_RESAMPLER_METHOD, GST_VIDEO_RESAMPLER_METHOD_LINEAR,
    GST_VIDEO_CONVERTER_OPT_DITHER_METHOD, GST_TYPE_VIDEO_DITHER_METHOD, GST_VIDEO_DITHER_NONE, NULL));
  GstBuffer *bin = gst_buffer_new_allocate (NULL, vi.size, NULL), *bout = gst_buffer_new_allocate (NULL, vo.size, NULL);
  /* a frame of noise: no shortcut for flat areas on either side */
  GstMapInfo map;
  gst_buffer_map (bin, &map, GST_MAP_WRITE);
  guint32 x = 2463534242u;
  for (gsize i = 0; i < map.size; i++) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    map.data[i] = (guint8) x;
  }
  gst_buffer_unmap (bin, &map);
  gst_video_frame_map (&c.in, &vi, bin, GST_MAP_READ);
  gst_video_frame_map (&c.out, &vo, bout, GST_MAP_WRITE);
  for (guint p = 0; p < GST_VIDEO_FRAME_N_PLANES (&c.in); p++) {
    c.planes[p] = GST_VIDEO_FRAME_PLANE_DATA (&c.in, p);
    c.strides[p] = GST_VIDEO_FRAME_PLANE_STRIDE (&c.in, p);
  }
  c.sample = g_new (float, (gsize) ch * side * side);
  double tn[runs], tp[runs], mn[3], mp[3];
  step_nn (&c);  /* first touch */
  step_peer (&c);
  for (int r = 0; r < runs; r++) {
    tn[r] = frames_cpu_ms (step_nn, &c, frames);
    tp[r] = frames_cpu_ms (step_peer, &c, frames);
  }
  min_med_max (tn, runs, mn);
  min_med_max (tp, runs, mp);
  printf ("| %dx%d | %s | %dx%dx%d | %.4f (%.4f-%.4f) | %.4f (%.4f-%.4f) | %.2f |\n", w, h, format, ch, side, side,
          mn[1], mn[0], mn[2], mp[1], mp[0], mp[2], mp[1] / mn[1]);
  g_free (c.sample);
  gst_video_frame_unmap (&c.in);
  gst_video_frame_unmap (&c.out);
  gst_buffer_unref (bin);
  gst_buffer_unref (bout);
  gst_video_converter_free (c.peer);
  nn_image_converter_free (c.nn);
  return TRUE;
}

static char *
cpu_model (void)
{
  g_autofree char *text = NULL;
  char *m = NULL;
  if (g_file_get_contents ("/proc/cpuinfo", &text, NULL, NULL)) {
    char *line = strstr (text, "model name"), *colon = line ? strchr (line, ':') : NULL;
    if (colon) {
      char *end = strchr (colon, '\n');
      m = g_strstrip (g_strndup (colon + 1, end ? (gsize) (end - colon - 1) : strlen (colon + 1)));
    }
  }
  return m ? m : g_strdup ("unknown CPU");
}

static int
run_convert (int n_formats, char **formats, const char *size, int frames, int runs)
{
  static const char *def_formats[] = { "I420", "NV12", "RGB", "YUY2" };
  int sizes[2][2] = { { 640, 480 }, { 1280, 720 } }, n_sizes = 2;
  if (size) {
    if (sscanf (size, "%dx%d", &sizes[0][0], &sizes[0][1]) != 2) {
      fprintf (stderr, "bench-input-formats: --size %s: expected WxH\n", size);
      return 2;
    }
    n_sizes = 1;
  }
  if (n_formats == 0) {
    formats = (char **) def_formats;
    n_formats = G_N_ELEMENTS (def_formats);
  }
  printf ("| frame | format | model input | nn_image_converter_run CPU ms/frame (min-max) "
          "| GstVideoConverter CPU ms/frame (min-max) | peer / nn |\n");
  printf ("| --- | --- | --- | ---: | ---: | ---: |\n");
  static const int inputs[2][2] = { { 3, 48 }, { 1, 28 } };
  for (int s = 0; s < n_sizes; s++)
    for (int i = 0; i < 2; i++)
      for (int f = 0; f < n_formats; f++)
        if (!bench_convert (formats[f], sizes[s][0], sizes[s][1], inputs[i][0], inputs[i][1], frames, runs))
          return 1;
  g_autofree char *cpu = cpu_model ();
  printf ("\nMedians of %d runs of %d frames each, one thread, CPU time (CLOCK_THREAD_CPUTIME_ID); %s; "
          "libnn: YUV limited range, RGB full; GstVideoConverter: linear resampler, no dither, to RGB/GRAY8 bytes.\n",
          runs, frames, cpu);
  return 0;
}

int
main (int argc, char **argv)
{
  int frames = 200, runs = 5, skip = 10;
  char *size = NULL;
  gboolean convert = FALSE;
  GOptionEntry entries[] = {
    { "convert", 'c', 0, G_OPTION_ARG_NONE, &convert, "Time the frame conversion alone, against GstVideoConverter", NULL },
    { "frames", 'n', 0, G_OPTION_ARG_INT, &frames, "Frames per run (default 200)", "N" },
    { "runs", 'r', 0, G_OPTION_ARG_INT, &runs, "Runs per format (default 5)", "R" },
    { "skip", 's', 0, G_OPTION_ARG_INT, &skip, "Frames dropped at the start of a run (default 10)", "S" },
    { "size", 0, 0, G_OPTION_ARG_STRING, &size, "Frame size (default 640x480)", "WxH" },
    { NULL }
  };
  GOptionContext *ctx = g_option_context_new ("MODEL FORMAT... | --convert [FORMAT...] - nnclassify's per-frame cost "
                                              "for each input format, or the conversion's alone");
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_add_group (ctx, gst_init_get_option_group ());
  GError *e = NULL;
  if (!g_option_context_parse (ctx, &argc, &argv, &e) || (!convert && argc < 3) || frames <= skip || runs < 1) {
    fprintf (stderr, "bench-input-formats: %s\n", e ? e->message : "usage: MODEL FORMAT... (frames > skip, runs >= 1)");
    return 2;
  }
  g_option_context_free (ctx);
  if (convert) {
    int rc = run_convert (argc - 1, argv + 1, size, frames, runs);
    g_free (size);
    return rc;
  }
  int w = 640, h = 480;
  if (size && sscanf (size, "%dx%d", &w, &h) != 2) {
    fprintf (stderr, "bench-input-formats: --size %s: expected WxH\n", size);
    return 2;
  }
  const char *model = argv[1];
  int n_formats = argc - 2;
  double *res = g_new0 (double, (gsize) n_formats * runs * 3);
  for (int r = 0; r < runs; r++)
    for (int f = 0; f < n_formats; f++)
      if (!run_once (model, argv[2 + f], w, h, frames, skip, &res[((gsize) f * runs + r) * 3]))
        return 1;
  for (int f = 0; f < n_formats; f++) {
    double col[3][runs];
    for (int r = 0; r < runs; r++)
      for (int k = 0; k < 3; k++)
        col[k][r] = res[((gsize) f * runs + r) * 3 + k];
    printf ("%s %.4f %.4f %.4f\n", argv[2 + f], median (col[0], runs), median (col[1], runs), median (col[2], runs));
  }
  g_free (res);
  g_free (size);
  return 0;
}
