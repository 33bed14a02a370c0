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
 * each the median over the runs. Exit status 1 when a pipeline fails. */
#include <gst/gst.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
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

int
main (int argc, char **argv)
{
  int frames = 200, runs = 5, skip = 10;
  char *size = NULL;
  GOptionEntry entries[] = {
    { "frames", 'n', 0, G_OPTION_ARG_INT, &frames, "Frames per run (default 200)", "N" },
    { "runs", 'r', 0, G_OPTION_ARG_INT, &runs, "Runs per format (default 5)", "R" },
    { "skip", 's', 0, G_OPTION_ARG_INT, &skip, "Frames dropped at the start of a run (default 10)", "S" },
    { "size", 0, 0, G_OPTION_ARG_STRING, &size, "Frame size (default 640x480)", "WxH" },
    { NULL }
  };
  GOptionContext *ctx = g_option_context_new ("MODEL FORMAT... - nnclassify's per-frame cost for each input format");
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_add_group (ctx, gst_init_get_option_group ());
  GError *e = NULL;
  if (!g_option_context_parse (ctx, &argc, &argv, &e) || argc < 3 || frames <= skip || runs < 1) {
    fprintf (stderr, "bench-input-formats: %s\n", e ? e->message : "usage: MODEL FORMAT... (frames > skip, runs >= 1)");
    return 2;
  }
  g_option_context_free (ctx);
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
