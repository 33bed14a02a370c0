/* The tools write honest video: limited range (luma 16-235) labelled so, as
 * real encoders and cameras do, BT.601 for SD and BT.709 for HD, and full
 * range (0-255) labelled full range with --full-range. Each file is decoded
 * with GStreamer (decodebin, as the pipelines read it) and checked against
 * the frames it was made from: the caps' colorimetry, white and black areas
 * (Y = 235 and 16, or 255 and 0), and a straight-line fit of decoded luma on
 * the source luma over every pixel (slope 219/255 and offset 16 for limited
 * range, 1 and 0 for full range). */
#include <gst/check/gstcheck.h>
#include <gst/app/gstappsink.h>
#include <gst/video/video.h>
#include <glib/gstdio.h>
#include <math.h>

#include "gesture-render.h"
#include "trailer-render.h"
#include "video-writer.h"

typedef struct {
  GstVideoInfo info;
  int          n;      /* frames */
  guint8      *y;      /* n * width * height luma bytes, rows packed */
} Decoded;

static char *
root_path (const char *var, const char *rel)
{
  const char *root = g_getenv (var);
  return g_build_filename (root ? root : ".", rel, NULL);
}

static void
run_tool (char **argv)
{
  char *err = NULL;
  int status = 0;
  GError *e = NULL;
  fail_unless (g_spawn_sync (NULL, argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL, &err, &status, &e),
               "%s: %s", argv[0], e ? e->message : "");
  fail_unless (g_spawn_check_wait_status (status, NULL), "%s failed:\n%s", argv[0], err);
  g_free (err);
}

/* Every frame's Y plane as the decoder delivers it (I420, no conversion). */
static void
decode (const char *path, Decoded *d)
{
  g_autofree char *desc = g_strdup_printf (
    "filesrc location=\"%s\" ! decodebin ! appsink name=out sync=false caps=video/x-raw,format=I420", path);
  GError *e = NULL;
  GstElement *pipe = gst_parse_launch (desc, &e);
  fail_unless (pipe != NULL && e == NULL, "%s", e ? e->message : "");
  GstElement *sink = gst_bin_get_by_name (GST_BIN (pipe), "out");
  fail_unless (gst_element_set_state (pipe, GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE);
  GByteArray *y = g_byte_array_new ();
  d->n = 0;
  GstSample *s;
  while ((s = gst_app_sink_pull_sample (GST_APP_SINK (sink)))) {
    if (d->n == 0)
      fail_unless (gst_video_info_from_caps (&d->info, gst_sample_get_caps (s)));
    GstVideoFrame f;
    fail_unless (gst_video_frame_map (&f, &d->info, gst_sample_get_buffer (s), GST_MAP_READ));
    const guint8 *p = GST_VIDEO_FRAME_COMP_DATA (&f, 0);
    int stride = GST_VIDEO_FRAME_COMP_STRIDE (&f, 0);
    for (int r = 0; r < GST_VIDEO_INFO_HEIGHT (&d->info); r++)
      g_byte_array_append (y, p + (gsize) r * stride, GST_VIDEO_INFO_WIDTH (&d->info));
    gst_video_frame_unmap (&f);
    gst_sample_unref (s);
    d->n++;
  }
  GstBus *bus = gst_element_get_bus (pipe);
  GstMessage *m = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  fail_if (m != NULL, "%s: the decoding pipeline failed", path);
  gst_object_unref (bus);
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (sink);
  gst_object_unref (pipe);
  d->y = g_byte_array_free (y, FALSE);
  fail_unless (d->n > 0, "%s: no frames decoded", path);
}

/* The caps say the range and matrix the file was written with. */
static void
check_colorimetry (const char *what, const Decoded *d, NnVideoRange range, GstVideoColorMatrix matrix)
{
  const GstVideoColorimetry *c = &d->info.colorimetry;
  g_autofree char *str = gst_video_colorimetry_to_string (c);
  GstVideoColorRange want = range == NN_VIDEO_FULL_RANGE ? GST_VIDEO_COLOR_RANGE_0_255 : GST_VIDEO_COLOR_RANGE_16_235;
  fail_unless (c->range == want, "%s: decoded as colorimetry %s, want %s range", what, str,
               range == NN_VIDEO_FULL_RANGE ? "full" : "limited");
  fail_unless (c->matrix == matrix, "%s: decoded as colorimetry %s, want matrix %d", what, str, matrix);
}

/* Mean decoded luma over a rectangle of frame `k`. */
static double
area_mean (const Decoded *d, int k, int x0, int y0, int x1, int y1)
{
  int w = GST_VIDEO_INFO_WIDTH (&d->info), h = GST_VIDEO_INFO_HEIGHT (&d->info);
  const guint8 *f = d->y + (gsize) k * w * h;
  double sum = 0;
  for (int y = y0; y < y1; y++)
    for (int x = x0; x < x1; x++)
      sum += f[y * w + x];
  return sum / ((x1 - x0) * (y1 - y0));
}

static double
white_level (NnVideoRange range)
{
  return range == NN_VIDEO_FULL_RANGE ? 255 : 235;
}

static double
black_level (NnVideoRange range)
{
  return range == NN_VIDEO_FULL_RANGE ? 0 : 16;
}

/* Frames whose left half is white and right half black: the middle of each
 * half (away from the edge the codec blurs) has the range's white and black. */
static void
check_white_black (const char *what, const Decoded *d, NnVideoRange range)
{
  int w = GST_VIDEO_INFO_WIDTH (&d->info), h = GST_VIDEO_INFO_HEIGHT (&d->info);
  for (int k = 0; k < d->n; k++) {
    double white = area_mean (d, k, w / 8, h / 4, w * 3 / 8, h * 3 / 4);
    double black = area_mean (d, k, w * 5 / 8, h / 4, w * 7 / 8, h * 3 / 4);
    fail_unless (fabs (white - white_level (range)) <= 1.5, "%s frame %d: white is Y=%.1f, want %.0f", what, k,
                 white, white_level (range));
    fail_unless (fabs (black - black_level (range)) <= 1.5, "%s frame %d: black is Y=%.1f, want %.0f", what, k,
                 black, black_level (range));
  }
}

/* Least-squares line of decoded Y on source luma over every pixel: limited
 * range is Y = 16 + 219/255 * luma, full range Y = luma. `src` holds n frames
 * of source luma at the decoded size. */
static void
check_luma_fit (const char *what, const Decoded *d, const float *src, int n, NnVideoRange range)
{
  fail_unless_equals_int (d->n, n);
  gsize count = (gsize) n * GST_VIDEO_INFO_WIDTH (&d->info) * GST_VIDEO_INFO_HEIGHT (&d->info);
  double sx = 0, sy = 0, sxx = 0, sxy = 0, lo = 255, hi = 0;
  for (gsize i = 0; i < count; i++) {
    double x = src[i], y = d->y[i];
    sx += x;
    sy += y;
    sxx += x * x;
    sxy += x * y;
    lo = MIN (lo, x);
    hi = MAX (hi, x);
  }
  double mx = sx / count, my = sy / count;
  double slope = (sxy / count - mx * my) / (sxx / count - mx * mx), offset = my - slope * mx;
  double want_slope = range == NN_VIDEO_FULL_RANGE ? 1.0 : 219.0 / 255.0;
  double want_offset = black_level (range);
  g_print ("%s: Y = %.2f + %.4f * luma (want %.0f + %.4f) over source luma %.0f..%.0f\n", what, offset, slope,
           want_offset, want_slope, lo, hi);
  /* the fit needs a spread of levels to mean anything */
  fail_unless (hi - lo >= 100, "%s: source luma only spans %.0f..%.0f", what, lo, hi);
  fail_unless (fabs (slope - want_slope) < 0.02, "%s: slope %.4f, want %.4f", what, slope, want_slope);
  fail_unless (fabs (offset - want_offset) < 2.5, "%s: offset %.2f, want %.0f", what, offset, want_offset);
}

static void
free_decoded (Decoded *d)
{
  g_free (d->y);
}

static const char *
range_name (NnVideoRange range)
{
  return range == NN_VIDEO_FULL_RANGE ? "full" : "limited";
}

/* ---- the shared writer ------------------------------------------------------ */

static guint8 *
halves (int channels, int w, int h, int n)
{
  guint8 *f = g_malloc ((gsize) n * w * h * channels);
  for (int k = 0; k < n; k++)
    for (int y = 0; y < h; y++)
      for (int x = 0; x < w; x++)
        for (int c = 0; c < channels; c++)
          f[(((gsize) k * h + y) * w + x) * channels + c] = x < w / 2 ? 255 : 0;
  return f;
}

static void
check_writer (int channels, int w, int h, int out_w, int out_h, NnVideoRange range, GstVideoColorMatrix matrix)
{
  g_autofree char *dir = g_dir_make_tmp ("nn-tools-video-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "halves.mp4", NULL);
  g_autofree guint8 *frames = halves (channels, w, h, 3);
  GError *e = NULL;
  fail_unless (nn_write_video (path, frames, 3, channels, w, h, out_w, out_h, 10, range, &e), "%s",
               e ? e->message : "");
  Decoded d;
  decode (path, &d);
  g_autofree char *what = g_strdup_printf ("writer %s %dx%d %s", channels == 1 ? "gray" : "RGB", out_w, out_h,
                                           range_name (range));
  fail_unless_equals_int (d.n, 3);
  fail_unless_equals_int (GST_VIDEO_INFO_WIDTH (&d.info), out_w);
  fail_unless_equals_int (GST_VIDEO_INFO_HEIGHT (&d.info), out_h);
  check_colorimetry (what, &d, range, matrix);
  check_white_black (what, &d, range);
  free_decoded (&d);
  g_unlink (path);
  g_rmdir (dir);
}

GST_START_TEST (test_writer_ranges)
{
  for (int r = 0; r < 2; r++) {
    NnVideoRange range = r ? NN_VIDEO_FULL_RANGE : NN_VIDEO_LIMITED_RANGE;
    check_writer (1, 28, 28, 112, 112, range, GST_VIDEO_COLOR_MATRIX_BT601);
    check_writer (3, 64, 48, 64, 48, range, GST_VIDEO_COLOR_MATRIX_BT601);
    /* HD is BT.709, as encoders label it */
    check_writer (3, 1280, 720, 1280, 720, range, GST_VIDEO_COLOR_MATRIX_BT709);
  }
}
GST_END_TEST;

/* ---- nn-idx2video ------------------------------------------------------------- */

static void
put_be32 (FILE *f, guint32 v)
{
  guint8 b[4] = { v >> 24, v >> 16, v >> 8, v };
  fwrite (b, 1, 4, f);
}

/* An IDX pair of n 28x28 images, left half white, right half black. */
static void
write_idx (const char *prefix, int n)
{
  g_autofree char *ip = g_strconcat (prefix, "-images-idx3-ubyte", NULL);
  g_autofree char *lp = g_strconcat (prefix, "-labels-idx1-ubyte", NULL);
  FILE *f = fopen (ip, "wb");
  fail_unless (f != NULL);
  put_be32 (f, 0x803);
  put_be32 (f, n);
  put_be32 (f, 28);
  put_be32 (f, 28);
  g_autofree guint8 *px = halves (1, 28, 28, n);
  fwrite (px, 1, (gsize) n * 784, f);
  fclose (f);
  f = fopen (lp, "wb");
  fail_unless (f != NULL);
  put_be32 (f, 0x801);
  put_be32 (f, n);
  for (int i = 0; i < n; i++)
    fputc (i % 10, f);
  fclose (f);
}

GST_START_TEST (test_idx2video)
{
  g_autofree char *dir = g_dir_make_tmp ("nn-tools-video-XXXXXX", NULL);
  g_autofree char *prefix = g_build_filename (dir, "halves", NULL);
  g_autofree char *uri = g_strconcat ("idx:", prefix, NULL);
  g_autofree char *tool = root_path ("NN_BUILD_ROOT", "tools/nn-idx2video");
  write_idx (prefix, 4);
  for (int r = 0; r < 2; r++) {
    NnVideoRange range = r ? NN_VIDEO_FULL_RANGE : NN_VIDEO_LIMITED_RANGE;
    g_autofree char *out = g_build_filename (dir, r ? "full.mp4" : "limited.mp4", NULL);
    char *argv[] = { tool, "-d", uri, "-n", "4", "-o", out, r ? "--full-range" : NULL, NULL };
    run_tool (argv);
    Decoded d;
    decode (out, &d);
    g_autofree char *what = g_strdup_printf ("nn-idx2video %s", range_name (range));
    fail_unless_equals_int (d.n, 4);
    fail_unless_equals_int (GST_VIDEO_INFO_WIDTH (&d.info), 112);
    check_colorimetry (what, &d, range, GST_VIDEO_COLOR_MATRIX_BT601);
    check_white_black (what, &d, range);
    free_decoded (&d);
    g_unlink (out);
  }
  g_autofree char *ip = g_strconcat (prefix, "-images-idx3-ubyte", NULL);
  g_autofree char *lp = g_strconcat (prefix, "-labels-idx1-ubyte", NULL);
  g_unlink (ip);
  g_unlink (lp);
  g_rmdir (dir);
}
GST_END_TEST;

/* ---- nn-trailer-gen ----------------------------------------------------------- */

#define TRAILER_FRAMES 24
#define TRAILER_SIZE 32
#define TRAILER_SEED 5

GST_START_TEST (test_trailer_gen)
{
  g_autofree char *dir = g_dir_make_tmp ("nn-tools-video-XXXXXX", NULL);
  g_autofree char *tool = root_path ("NN_BUILD_ROOT", "tools/nn-trailer-gen");
  gsize fsize = TRAILER_SIZE * TRAILER_SIZE;
  g_autofree guint8 *frames = g_malloc (fsize * TRAILER_FRAMES);
  /* the tool's one-trailer seed: video_seed (seed, 0) in trailer-gen.c */
  nn_trailer_render (NN_GENRE_HORROR, (guint64) TRAILER_SEED * 1000003ULL, TRAILER_FRAMES, TRAILER_SIZE, frames);
  g_autofree float *luma = g_new (float, fsize * TRAILER_FRAMES);
  for (gsize i = 0; i < fsize * TRAILER_FRAMES; i++)
    luma[i] = frames[i];
  g_autofree char *seed = g_strdup_printf ("%d", TRAILER_SEED);
  g_autofree char *nf = g_strdup_printf ("%d", TRAILER_FRAMES);
  g_autofree char *size = g_strdup_printf ("%d", TRAILER_SIZE);
  for (int r = 0; r < 2; r++) {
    NnVideoRange range = r ? NN_VIDEO_FULL_RANGE : NN_VIDEO_LIMITED_RANGE;
    g_autofree char *out = g_build_filename (dir, r ? "full.mp4" : "limited.mp4", NULL);
    char *argv[] = { tool, "--genre", "horror", "--seed", seed, "--frames", nf, "--size", size, out,
                     r ? "--full-range" : NULL, NULL };
    run_tool (argv);
    Decoded d;
    decode (out, &d);
    g_autofree char *what = g_strdup_printf ("nn-trailer-gen %s", range_name (range));
    check_colorimetry (what, &d, range, GST_VIDEO_COLOR_MATRIX_BT601);
    check_luma_fit (what, &d, luma, TRAILER_FRAMES, range);
    free_decoded (&d);
    g_unlink (out);
  }
  g_rmdir (dir);
}
GST_END_TEST;

/* ---- nn-gesture-render -------------------------------------------------------- */

#define GESTURE_W 160
#define GESTURE_H 120
#define GESTURE_FPS 10
#define GESTURE_SEED 3

GST_START_TEST (test_gesture_render)
{
  g_autofree char *dir = g_dir_make_tmp ("nn-tools-video-XXXXXX", NULL);
  g_autofree char *tool = root_path ("NN_BUILD_ROOT", "tools/nn-gesture-render");
  /* what `video --sequence fist,palm --hold 0.5 --fps 10` renders */
  const NnGesture seq[] = { NN_GESTURE_FIST, NN_GESTURE_PALM };
  int per = 5, n = per * 2;
  gsize npx = (gsize) GESTURE_W * GESTURE_H;
  g_autofree guint8 *rgb = g_malloc (npx * 3 * n);
  nn_gesture_video_render (seq, 2, per, GESTURE_W, GESTURE_H, GESTURE_FPS, TRUE, GESTURE_SEED, rgb, NULL);
  /* BT.601 luma of the RGB frames */
  g_autofree float *luma = g_new (float, npx * n);
  for (gsize i = 0; i < npx * n; i++)
    luma[i] = 0.299f * rgb[3 * i] + 0.587f * rgb[3 * i + 1] + 0.114f * rgb[3 * i + 2];
  g_autofree char *w = g_strdup_printf ("%d", GESTURE_W);
  g_autofree char *h = g_strdup_printf ("%d", GESTURE_H);
  g_autofree char *fps = g_strdup_printf ("%d", GESTURE_FPS);
  g_autofree char *seed = g_strdup_printf ("%d", GESTURE_SEED);
  for (int r = 0; r < 2; r++) {
    NnVideoRange range = r ? NN_VIDEO_FULL_RANGE : NN_VIDEO_LIMITED_RANGE;
    g_autofree char *out = g_build_filename (dir, r ? "full.mp4" : "limited.mp4", NULL);
    char *argv[] = { tool, "video", out, "--sequence", "fist,palm", "--hold", "0.5", "--fps", fps, "--width", w,
                     "--height", h, "--seed", seed, r ? "--full-range" : NULL, NULL };
    run_tool (argv);
    Decoded d;
    decode (out, &d);
    g_autofree char *what = g_strdup_printf ("nn-gesture-render %s", range_name (range));
    check_colorimetry (what, &d, range, GST_VIDEO_COLOR_MATRIX_BT601);
    check_luma_fit (what, &d, luma, n, range);
    free_decoded (&d);
    g_unlink (out);
  }
  g_rmdir (dir);
}
GST_END_TEST;

static Suite *
tools_video_suite (void)
{
  Suite *s = suite_create ("tools-video");
  TCase *tc = tcase_create ("ranges");
  tcase_set_timeout (tc, 120);
  tcase_add_test (tc, test_writer_ranges);
  tcase_add_test (tc, test_idx2video);
  tcase_add_test (tc, test_trailer_gen);
  tcase_add_test (tc, test_gesture_render);
  suite_add_tcase (s, tc);
  return s;
}

GST_CHECK_MAIN (tools_video);
