/* The classifier's per-frame latency while nntrain trains beside it (issue
 * 17 point 3): 640x480 I420 frames, paced at FPS, go through a tee to an
 * nnclassify and, on a queue branch, to an nntrain sharing its model
 * instance. First FRAMES frames with no label (the trainer idles), then
 * FRAMES with LABEL (the trainer stores them and trains at CPU_SHARE with
 * nice NICE, publishing every 20 steps). Prints the classifier's latency
 * (its sink pad in to its source pad out: conversion, inference, result)
 * p50 and p99 in each phase, and the steps trained in the second.
 *
 *   bench-nntrain-latency MODEL LABEL [FRAMES [FPS [CPU_SHARE [NICE]]]]
 *
 * The frames are a few pre-rendered noisy pictures (shared memory, a new
 * buffer header per push), so that the drawing of test patterns is not
 * measured. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gst/app/gstappsrc.h>
#include <gst/gst.h>
#include <gst/video/video.h>

#define W 640
#define H 480
#define PICTURES 8
#define WARMUP 30

typedef struct {
  gint64  t_in;
  double *lat_us[2];   /* per phase, (frames) */
  int     n[2];
} Probe;

static GstPadProbeReturn
probe_in (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  (void) pad;
  (void) info;
  ((Probe *) data)->t_in = g_get_monotonic_time ();
  return GST_PAD_PROBE_OK;
}

/* The buffer's offset carries its phase (0 idle, 1 training, 2 warm-up). */
static GstPadProbeReturn
probe_out (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  (void) pad;
  Probe *p = data;
  guint64 phase = GST_BUFFER_OFFSET (GST_PAD_PROBE_INFO_BUFFER (info));
  if (phase < 2)
    p->lat_us[phase][p->n[phase]++] = (double) (g_get_monotonic_time () - p->t_in);
  return GST_PAD_PROBE_OK;
}

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

static double
percentile (double *v, int n, int pct)
{
  qsort (v, n, sizeof *v, cmp_double);
  return n > 0 ? v[MIN (n - 1, (n * pct) / 100)] : 0.0;
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  if (argc < 3) {
    fprintf (stderr, "usage: bench-nntrain-latency MODEL LABEL [FRAMES [FPS [CPU_SHARE [NICE]]]]\n");
    return 1;
  }
  const char *model = argv[1], *label = argv[2];
  int frames = argc > 3 ? atoi (argv[3]) : 300;
  double fps = argc > 4 ? atof (argv[4]) : 30.0;
  double share = argc > 5 ? atof (argv[5]) : 0.5;
  int nice = argc > 6 ? atoi (argv[6]) : 10;
  if (frames < 10 || fps <= 0.0) {
    fprintf (stderr, "bench-nntrain-latency: FRAMES >= 10 and FPS > 0\n");
    return 1;
  }
  char share_s[G_ASCII_DTOSTR_BUF_SIZE];
  g_ascii_dtostr (share_s, sizeof share_s, share);
  g_autofree char *desc = g_strdup_printf (
    "appsrc name=src format=time caps=video/x-raw,format=I420,width=%d,height=%d,framerate=30/1 ! tee name=t "
    "t. ! queue ! nntrain name=train model=%s model-instance=bench cpu-share=%s trainer-nice=%d ! fakesink sync=false "
    "t. ! nnclassify name=cls model=%s model-instance=bench ! fakesink sync=false", W, H, model, share_s, nice, model);
  GError *err = NULL;
  GstElement *pipe = gst_parse_launch (desc, &err);
  if (!pipe) {
    fprintf (stderr, "bench-nntrain-latency: %s\n", err->message);
    return 1;
  }
  GstElement *src = gst_bin_get_by_name (GST_BIN (pipe), "src");
  GstElement *train = gst_bin_get_by_name (GST_BIN (pipe), "train");
  GstElement *cls = gst_bin_get_by_name (GST_BIN (pipe), "cls");
  Probe probe = { 0, { g_new (double, frames), g_new (double, frames) }, { 0, 0 } };
  GstPad *sink_pad = gst_element_get_static_pad (cls, "sink"), *src_pad = gst_element_get_static_pad (cls, "src");
  gst_pad_add_probe (sink_pad, GST_PAD_PROBE_TYPE_BUFFER, probe_in, &probe, NULL);
  gst_pad_add_probe (src_pad, GST_PAD_PROBE_TYPE_BUFFER, probe_out, &probe, NULL);

  GstBuffer *pictures[PICTURES];
  GRand *rng = g_rand_new_with_seed (7);
  gsize size = W * H * 3 / 2;
  for (int k = 0; k < PICTURES; k++) {
    pictures[k] = gst_buffer_new_allocate (NULL, size, NULL);
    GstMapInfo m;
    gst_buffer_map (pictures[k], &m, GST_MAP_WRITE);
    for (gsize i = 0; i < size; i++)
      m.data[i] = (guint8) (i < W * H ? (i % W + k * 40 + g_rand_int_range (rng, 0, 32)) & 0xff : 128);
    gst_buffer_unmap (pictures[k], &m);
  }
  g_rand_free (rng);

  if (gst_element_set_state (pipe, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    fprintf (stderr, "bench-nntrain-latency: the pipeline does not start\n");
    return 1;
  }
  gint64 period = (gint64) (G_USEC_PER_SEC / fps), next = g_get_monotonic_time ();
  guint64 steps0 = 0, steps1 = 0;
  int total = WARMUP + 2 * frames;
  for (int i = 0; i < total; i++) {
    int phase = i < WARMUP ? 2 : (i - WARMUP) / frames;
    if (i == WARMUP + frames) {
      g_object_set (train, "label", label, NULL);
      g_object_get (train, "steps", &steps0, NULL);
    }
    GstBuffer *b = gst_buffer_copy (pictures[i % PICTURES]);
    GST_BUFFER_PTS (b) = (GstClockTime) i * GST_SECOND / 30;
    GST_BUFFER_DURATION (b) = GST_SECOND / 30;
    GST_BUFFER_OFFSET (b) = (guint64) phase;
    gst_app_src_push_buffer (GST_APP_SRC (src), b);
    next += period;
    gint64 now = g_get_monotonic_time ();
    if (next > now)
      g_usleep ((gulong) (next - now));
  }
  g_object_get (train, "steps", &steps1, NULL);
  gst_app_src_end_of_stream (GST_APP_SRC (src));
  GstBus *bus = gst_element_get_bus (pipe);
  GstMessage *msg = gst_bus_timed_pop_filtered (bus, 60 * GST_SECOND, GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  int rc = 0;
  if (!msg || GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
    g_autoptr (GError) e = NULL;
    if (msg)
      gst_message_parse_error (msg, &e, NULL);
    fprintf (stderr, "bench-nntrain-latency: %s\n", e ? e->message : "no EOS");
    rc = 1;
  } else {
    printf ("idle_p50_us=%.0f idle_p99_us=%.0f train_p50_us=%.0f train_p99_us=%.0f steps=%" G_GUINT64_FORMAT
            " frames=%d,%d\n", percentile (probe.lat_us[0], probe.n[0], 50), percentile (probe.lat_us[0], probe.n[0], 99),
            percentile (probe.lat_us[1], probe.n[1], 50), percentile (probe.lat_us[1], probe.n[1], 99),
            steps1 - steps0, probe.n[0], probe.n[1]);
  }
  if (msg)
    gst_message_unref (msg);
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (sink_pad);
  gst_object_unref (src_pad);
  gst_object_unref (src);
  gst_object_unref (train);
  gst_object_unref (cls);
  gst_object_unref (pipe);
  for (int k = 0; k < PICTURES; k++)
    gst_buffer_unref (pictures[k]);
  g_free (probe.lat_us[0]);
  g_free (probe.lat_us[1]);
  return rc;
}
