/* nngansrc: caps and their negotiation, timestamps, num-buffers and EOS,
 * classes, determinism for a seed, latent walks, and bad models. */
#include <gst/app/gstappsink.h>
#include <gst/base/gstbasesrc.h>
#include <gst/check/gstcheck.h>
#include <nn/nn.h>

#include "nn-test-util.h"

/* Tiny generators with seeded fresh weights: (latent + classes, 1, 1) -> (1, 8, 8). */
#define SPEC_COND \
  "{\"input\":[6,1,1],\"gan\":{\"latent\":4,\"classes\":[\"left\",\"right\"]}," \
  "\"layers\":[{\"type\":\"conv2d_transpose\",\"filters\":1,\"kernel\":8,\"activation\":\"tanh\"}]}"
#define SPEC_PLAIN \
  "{\"input\":[4,1,1],\"gan\":{\"latent\":4}," \
  "\"layers\":[{\"type\":\"conv2d_transpose\",\"filters\":3,\"kernel\":8,\"activation\":\"tanh\"}]}"

typedef struct {
  GstElement *pipe, *sink, *src;
} Run;

static char *
spec_file (const char *spec)
{
  return nn_test_write_temp ("nngansrc-XXXXXX.json", spec, -1);
}

static Run
run_start (const char *src_props, const char *caps)
{
  g_autofree char *desc = g_strdup_printf ("nngansrc name=src %s ! %s%sappsink name=out sync=false", src_props,
                                           caps ? caps : "", caps ? " ! " : "");
  GError *e = NULL;
  Run r = { gst_parse_launch (desc, &e), NULL, NULL };
  fail_unless (r.pipe != NULL, "%s: %s", desc, e ? e->message : "");
  r.sink = gst_bin_get_by_name (GST_BIN (r.pipe), "out");
  r.src = gst_bin_get_by_name (GST_BIN (r.pipe), "src");
  fail_if (gst_element_set_state (r.pipe, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE, "%s", desc);
  return r;
}

static void
run_stop (Run *r)
{
  gst_element_set_state (r->pipe, GST_STATE_NULL);
  gst_object_unref (r->sink);
  gst_object_unref (r->src);
  gst_object_unref (r->pipe);
}

/* Pulls every frame until EOS; returns them (GstSample *), checks timestamps. */
static GPtrArray *
pull_all (Run *r, int fps_n, int fps_d)
{
  GPtrArray *a = g_ptr_array_new_with_free_func ((GDestroyNotify) gst_sample_unref);
  GstSample *s;
  GstClockTime t0 = 0;
  while ((s = gst_app_sink_pull_sample (GST_APP_SINK (r->sink)))) {
    GstBuffer *b = gst_sample_get_buffer (s);
    guint64 i = a->len;
    /* a live source's first frame is at the running time it was made */
    if (i == 0)
      t0 = GST_BUFFER_PTS (b);
    fail_unless (t0 == 0 || gst_base_src_is_live (GST_BASE_SRC (r->src)));
    fail_unless_equals_uint64 (GST_BUFFER_PTS (b) - t0, gst_util_uint64_scale_int (i * GST_SECOND, fps_d, fps_n));
    fail_unless_equals_uint64 (GST_BUFFER_PTS (b) - t0 + GST_BUFFER_DURATION (b),
                               gst_util_uint64_scale_int ((i + 1) * GST_SECOND, fps_d, fps_n));
    fail_unless_equals_uint64 (GST_BUFFER_OFFSET (b), i);
    fail_unless_equals_uint64 (GST_BUFFER_OFFSET_END (b), i + 1);
    g_ptr_array_add (a, s);
  }
  fail_unless (gst_app_sink_is_eos (GST_APP_SINK (r->sink)));
  return a;
}

static GPtrArray *
frames (const char *props, const char *caps, int n, int fps_n, int fps_d)
{
  g_autofree char *all = g_strdup_printf ("%s num-buffers=%d", props, n);
  Run r = run_start (all, caps);
  GPtrArray *a = pull_all (&r, fps_n, fps_d);
  run_stop (&r);
  fail_unless_equals_int (a->len, n);
  return a;
}

static GstMapInfo
map_frame (GPtrArray *a, guint i)
{
  GstMapInfo m;
  fail_unless (gst_buffer_map (gst_sample_get_buffer (g_ptr_array_index (a, i)), &m, GST_MAP_READ));
  return m;
}

/* Mean absolute difference of two frames' bytes. */
static double
frame_diff (GPtrArray *a, guint i, GPtrArray *b, guint j)
{
  GstMapInfo x = map_frame (a, i), y = map_frame (b, j);
  fail_unless_equals_int (x.size, y.size);
  double d = 0;
  for (gsize k = 0; k < x.size; k++)
    d += abs ((int) x.data[k] - (int) y.data[k]);
  gst_buffer_unmap (gst_sample_get_buffer (g_ptr_array_index (a, i)), &x);
  gst_buffer_unmap (gst_sample_get_buffer (g_ptr_array_index (b, j)), &y);
  return d / x.size;
}

static void
assert_caps (GPtrArray *a, const char *format, int w, int h, int fps_n, int fps_d)
{
  GstVideoInfo info;
  fail_unless (gst_video_info_from_caps (&info, gst_sample_get_caps (g_ptr_array_index (a, 0))));
  fail_unless_equals_string (gst_video_format_to_string (GST_VIDEO_INFO_FORMAT (&info)), format);
  fail_unless_equals_int (GST_VIDEO_INFO_WIDTH (&info), w);
  fail_unless_equals_int (GST_VIDEO_INFO_HEIGHT (&info), h);
  fail_unless_equals_int (GST_VIDEO_INFO_FPS_N (&info), fps_n);
  fail_unless_equals_int (GST_VIDEO_INFO_FPS_D (&info), fps_d);
}

GST_START_TEST (test_caps_and_timestamps)
{
  g_autofree char *m = spec_file (SPEC_COND);
  g_autofree char *props = g_strdup_printf ("model=\"%s\"", m);
  /* default: the model's size times the grid, its own format, 30/1 */
  GPtrArray *a = frames (props, NULL, 3, 30, 1);
  assert_caps (a, "GRAY8", 8, 8, 30, 1);
  g_ptr_array_unref (a);
  g_autofree char *grid = g_strdup_printf ("%s grid=2x3", props);
  a = frames (grid, NULL, 2, 30, 1);
  assert_caps (a, "GRAY8", 16, 24, 30, 1);
  g_ptr_array_unref (a);
  /* downstream picks RGB, any size and the rate: gray replicated in R, G, B */
  a = frames (props, "video/x-raw,format=RGB,width=40,height=30,framerate=25/2", 4, 25, 2);
  assert_caps (a, "RGB", 40, 30, 25, 2);
  GstMapInfo mi = map_frame (a, 1);
  int stride = GST_ROUND_UP_4 (40 * 3), varied = 0;
  for (int y = 0; y < 30; y++)
    for (int x = 0; x < 40; x++) {
      const guint8 *p = mi.data + y * stride + x * 3;
      fail_unless (p[0] == p[1] && p[1] == p[2]);
      varied += p[0] != mi.data[0];
    }
  fail_unless (varied > 100, "a flat frame");
  gst_buffer_unmap (gst_sample_get_buffer (g_ptr_array_index (a, 1)), &mi);
  g_ptr_array_unref (a);
  /* an RGB generator scaled to a gray frame */
  g_autofree char *rgbm = spec_file (SPEC_PLAIN);
  g_autofree char *rgbp = g_strdup_printf ("model=\"%s\"", rgbm);
  a = frames (rgbp, NULL, 1, 30, 1);
  assert_caps (a, "RGB", 8, 8, 30, 1);
  g_ptr_array_unref (a);
  a = frames (rgbp, "video/x-raw,format=GRAY8,width=13,height=7", 2, 30, 1);
  assert_caps (a, "GRAY8", 13, 7, 30, 1);
  g_ptr_array_unref (a);
  g_unlink (m);
  g_unlink (rgbm);
}
GST_END_TEST;

GST_START_TEST (test_num_buffers_and_live)
{
  g_autofree char *m = spec_file (SPEC_COND);
  g_autofree char *props = g_strdup_printf ("model=\"%s\"", m);
  for (int n = 1; n <= 7; n += 6) {
    GPtrArray *a = frames (props, NULL, n, 30, 1);
    g_ptr_array_unref (a);
  }
  /* live: frames at their running time, still n of them and EOS */
  g_autofree char *live = g_strdup_printf ("%s is-live=true", props);
  gint64 t0 = g_get_monotonic_time ();
  GPtrArray *a = frames (live, "video/x-raw,framerate=50/1", 10, 50, 1);
  fail_unless (g_get_monotonic_time () - t0 > 150000, "a live source ran faster than its frame rate");
  g_ptr_array_unref (a);
  g_unlink (m);
}
GST_END_TEST;

GST_START_TEST (test_seed_class_walk)
{
  g_autofree char *m = spec_file (SPEC_COND);
  g_autofree char *p1 = g_strdup_printf ("model=\"%s\" seed=7 class=left", m);
  g_autofree char *p2 = g_strdup_printf ("model=\"%s\" seed=8 class=left", m);
  g_autofree char *p3 = g_strdup_printf ("model=\"%s\" seed=7 class=right", m);
  g_autofree char *p4 = g_strdup_printf ("model=\"%s\" seed=7 class=1", m);
  GPtrArray *a = frames (p1, NULL, 4, 30, 1), *b = frames (p1, NULL, 4, 30, 1);
  GPtrArray *c = frames (p2, NULL, 4, 30, 1), *d = frames (p3, NULL, 4, 30, 1), *e = frames (p4, NULL, 4, 30, 1);
  for (guint i = 0; i < 4; i++) {
    fail_unless (frame_diff (a, i, b, i) == 0.0, "same seed, different frame %u", i);
    fail_unless (frame_diff (a, i, c, i) > 0.5, "another seed, the same frame %u", i);
    fail_unless (frame_diff (a, i, d, i) > 0.5, "another class, the same frame %u", i);
    fail_unless (frame_diff (d, i, e, i) == 0.0, "class by index and by name differ at frame %u", i);
  }
  fail_unless (frame_diff (a, 0, a, 1) > 0.5, "walk=0 repeats frames");
  /* a slow walk moves a little each frame */
  g_autofree char *pw = g_strdup_printf ("model=\"%s\" seed=7 class=left walk=0.02", m);
  GPtrArray *w = frames (pw, NULL, 4, 30, 1);
  fail_unless (frame_diff (w, 0, a, 0) == 0.0, "the walk does not start at the seed's first point");
  double step = frame_diff (w, 1, w, 2);
  fail_unless (step > 0.0 && step < frame_diff (a, 1, a, 2) / 4, "walk step %g", step);
  GPtrArray *arrays[] = { a, b, c, d, e, w };
  for (guint i = 0; i < G_N_ELEMENTS (arrays); i++)
    g_ptr_array_unref (arrays[i]);
  g_unlink (m);
}
GST_END_TEST;

/* Starting fails with an element error on the bus whose text contains `what`. */
static void
assert_start_fails (const char *props, const char *what)
{
  g_autofree char *desc = g_strdup_printf ("nngansrc %s ! fakesink", props);
  GError *e = NULL;
  GstElement *pipe = gst_parse_launch (desc, &e);
  fail_unless (pipe != NULL);
  GstStateChangeReturn ret = gst_element_set_state (pipe, GST_STATE_PAUSED);
  fail_unless (ret == GST_STATE_CHANGE_FAILURE, "%s started", desc);
  GstBus *bus = gst_element_get_bus (pipe);
  GstMessage *msg = gst_bus_timed_pop_filtered (bus, GST_SECOND, GST_MESSAGE_ERROR);
  fail_unless (msg != NULL, "%s: no error message", desc);
  GError *err = NULL;
  gchar *dbg = NULL;
  gst_message_parse_error (msg, &err, &dbg);
  g_autofree char *all = g_strdup_printf ("%s %s", err->message, dbg ? dbg : "");
  fail_unless (strstr (all, what), "%s: error \"%s\" lacks \"%s\"", desc, all, what);
  g_error_free (err);
  g_free (dbg);
  gst_message_unref (msg);
  gst_object_unref (bus);
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (pipe);
}

GST_START_TEST (test_bad_models)
{
  g_autofree char *cond = spec_file (SPEC_COND), *plain = spec_file (SPEC_PLAIN);
  g_autofree char *clf = spec_file (NN_TEST_SPEC_GRAY);
  g_autofree char *junk = nn_test_write_temp ("nngansrc-XXXXXX.safetensors", "not a model", -1);
  assert_start_fails ("", "No model");
  assert_start_fails ("model=/nonexistent/g.safetensors", "Could not load");
  g_autofree char *p1 = g_strdup_printf ("model=\"%s\"", junk);
  assert_start_fails (p1, "Could not load");
  g_autofree char *p2 = g_strdup_printf ("model=\"%s\"", clf);
  assert_start_fails (p2, "not a generator");
  /* by the kind its spec declares, named: an image classifier, a text model */
  assert_start_fails (p2, "expected a generator, the spec declares an image classifier");
  const char *root = g_getenv ("NN_SOURCE_ROOT");
  g_autofree char *lstm = g_build_filename (root ? root : ".", "models", "char-lstm.safetensors", NULL);
  g_autofree char *p6 = g_strdup_printf ("model=\"%s\"", lstm);
  assert_start_fails (p6, "expected a generator, the spec declares a text model");
  g_autofree char *p3 = g_strdup_printf ("model=\"%s\" class=middle", cond);
  assert_start_fails (p3, "middle");
  g_autofree char *p4 = g_strdup_printf ("model=\"%s\" class=2", cond);
  assert_start_fails (p4, "Bad class");
  g_autofree char *p5 = g_strdup_printf ("model=\"%s\" class=left", plain);
  assert_start_fails (p5, "not conditional");
  g_unlink (cond);
  g_unlink (plain);
  g_unlink (clf);
  g_unlink (junk);
}
GST_END_TEST;

static Suite *
nngansrc_suite (void)
{
  Suite *s = suite_create ("nngansrc");
  TCase *tc = tcase_create ("general");
  tcase_add_test (tc, test_caps_and_timestamps);
  tcase_add_test (tc, test_num_buffers_and_live);
  tcase_add_test (tc, test_seed_class_walk);
  tcase_add_test (tc, test_bad_models);
  suite_add_tcase (s, tc);
  return s;
}

GST_CHECK_MAIN (nngansrc);
