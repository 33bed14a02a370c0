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
#include <libavcodec/avcodec.h>

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

/* ---- style 2 (issue 17) ---------------------------------------------------- */

/* Mean luma of a square RGB frame, and the spread of its 4 x 4 block means
 * (the contrast of the picture, with the grain averaged down). */
static double
frame_luma_mean (const guint8 *rgb, int side, double *spread)
{
  double s = 0, ss = 0;
  int nb = side / 4;
  for (int by = 0; by < nb; by++)
    for (int bx = 0; bx < nb; bx++) {
      double l = 0;
      for (int y = by * 4; y < by * 4 + 4; y++)
        for (int x = bx * 4; x < bx * 4 + 4; x++) {
          const guint8 *p = rgb + ((gsize) y * side + x) * 3;
          l += (0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2]) / 16;
        }
      s += l;
      ss += l * l;
    }
  double m = s / (nb * nb);
  *spread = sqrt (MAX (0.0, ss / (nb * nb) - m * m));
  return m;
}

/* A hand of `g` with fixed proportions, upright, right hand, in a random
 * style-2 scene of side `side`. */
static void
style2_hand (NnGesture g, int side, guint32 seed, guint8 *rgb, guint8 *mask, NnGestureBox *box, NnHand2 *out)
{
  GRand *rng = g_rand_new_with_seed (seed);
  NnScene2 s;
  NnHand2 h;
  nn_scene2_random (&s, side, side, side * 0.3, rng);
  nn_hand2_random (&h, g, side / 2.0, side / 2.0, side * 0.75, 0.0, rng);
  h.mirror = FALSE;
  h.palm_w = h.palm_h = h.thick = h.fan = 1.0;
  for (int i = 0; i < 5; i++)
    h.len[i] = 1.0, h.curl[i] = 0.0;
  nn_gesture2_draw (&s, g == NN_GESTURE_NONE ? NULL : &h, rng, rgb, mask, box);
  if (out)
    *out = h;
  g_rand_free (rng);
}

/* The same seed gives the same pixels; the mask and box agree; the digits
 * that stand above the palm are the gesture's: counted as runs of the mask
 * across the row 0.64 hand units above the wrist (fist 0, point 1, peace 2,
 * three 3, palm 4, horns 2 far apart, thumbs-up 1: the thumb). */
GST_START_TEST (test_gesture_style2_hands)
{
  enum { SIDE = 128 };
  static const int digits[NN_GESTURE_N] = {
    [NN_GESTURE_FIST] = 0, [NN_GESTURE_POINT] = 1, [NN_GESTURE_PEACE] = 2, [NN_GESTURE_THREE] = 3,
    [NN_GESTURE_PALM] = 4, [NN_GESTURE_THUMBS_UP] = 1, [NN_GESTURE_HORNS] = 2,
  };
  gsize npx = SIDE * SIDE;
  g_autofree guint8 *a = g_malloc (npx * 3), *b = g_malloc (npx * 3), *mask = g_malloc (npx);
  for (int g = 0; g < NN_GESTURE_N; g++)
    for (guint32 seed = 1; seed <= 3; seed++) {
      NnGestureBox box, box2;
      NnHand2 h;
      style2_hand (g, SIDE, seed * 100 + g, a, mask, &box, &h);
      if (seed == 1) {
        style2_hand (g, SIDE, seed * 100 + g, b, NULL, &box2, NULL);
        fail_unless (memcmp (a, b, npx * 3) == 0, "%s: not reproducible", nn_gesture_name (g));
        fail_unless (box.x == box2.x && box.y == box2.y && box.w == box2.w && box.h == box2.h);
        style2_hand (g, SIDE, seed * 100 + g + 50, b, NULL, NULL, NULL);
        fail_if (memcmp (a, b, npx * 3) == 0, "%s: another seed gave the same pixels", nn_gesture_name (g));
      }
      /* the box is the bounding box of mask >= 128 */
      int x0 = SIDE, y0 = SIDE, x1 = -1, y1 = -1;
      for (int y = 0; y < SIDE; y++)
        for (int x = 0; x < SIDE; x++)
          if (mask[y * SIDE + x] >= 128)
            x0 = MIN (x0, x), y0 = MIN (y0, y), x1 = MAX (x1, x), y1 = MAX (y1, y);
      if (g == NN_GESTURE_NONE) {
        fail_unless (x1 < 0 && box.w == 0 && box.h == 0, "none: a hand in the mask");
        continue;
      }
      fail_unless (x1 >= 0, "%s: empty mask", nn_gesture_name (g));
      fail_unless (box.x == x0 && box.y == y0 && box.w == x1 - x0 + 1 && box.h == y1 - y0 + 1,
                   "%s: box %.0f,%.0f %.0fx%.0f, mask %d,%d..%d,%d", nn_gesture_name (g), box.x, box.y, box.w,
                   box.h, x0, y0, x1, y1);
      /* the wrist (palm bottom, 0.025 below v = 0) is the mask's lowest row: upright, the arm is not in the mask */
      int row = (int) lround (y1 + 0.5 - (0.64 + 0.025) * h.scale);
      int runs = 0, first = -1, last = -1;
      for (int x = 0; x < SIDE; x++) {
        gboolean on = mask[row * SIDE + x] >= 128, before = x > 0 && mask[row * SIDE + x - 1] >= 128;
        if (on && !before) {
          runs++;
          if (first < 0)
            first = x;
        }
        if (on)
          last = x;
      }
      fail_unless (runs == digits[g], "%s seed %u: %d digits across row %d, want %d", nn_gesture_name (g), seed, runs,
                   row, digits[g]);
      if (g == NN_GESTURE_HORNS)
        fail_unless (last - first > 0.3 * h.scale, "horns: the two fingers are %d px apart", last - first);
    }
}
GST_END_TEST;

/* The CLI: crops in style 2 fill every class folder, and style 1 is still
 * the default (the same bytes with and without --style 1). */
GST_START_TEST (test_gesture_style2_cli)
{
  g_autofree char *dir = g_dir_make_tmp ("nn-tools-style2-XXXXXX", NULL);
  g_autofree char *tool = root_path ("NN_BUILD_ROOT", "tools/nn-gesture-render");
  g_autofree char *d2 = g_build_filename (dir, "s2", NULL), *d1 = g_build_filename (dir, "s1", NULL);
  g_autofree char *d0 = g_build_filename (dir, "s0", NULL);
  char *a2[] = { tool, "crops", d2, "--n", "2", "--size", "32", "--style", "2", NULL };
  char *a1[] = { tool, "crops", d1, "--n", "1", "--size", "32", "--style", "1", NULL };
  char *a0[] = { tool, "crops", d0, "--n", "1", "--size", "32", NULL };
  run_tool (a2);
  run_tool (a1);
  run_tool (a0);
  static const char *cls[] = { "fist", "point", "peace", "three", "palm", "thumbs-up", "none" };
  for (gsize c = 0; c < G_N_ELEMENTS (cls); c++) {
    for (int i = 0; i < 2; i++) {
      g_autofree char *name = g_strdup_printf ("%05d.png", i);
      g_autofree char *p = g_build_filename (d2, cls[c], name, NULL);
      fail_unless (g_file_test (p, G_FILE_TEST_IS_REGULAR), "%s missing", p);
      g_unlink (p);
    }
    g_autofree char *p1 = g_build_filename (d1, cls[c], "00000.png", NULL);
    g_autofree char *p0 = g_build_filename (d0, cls[c], "00000.png", NULL);
    g_autofree char *c1 = NULL, *c0 = NULL;
    gsize n1 = 0, n0 = 0;
    fail_unless (g_file_get_contents (p1, &c1, &n1, NULL) && g_file_get_contents (p0, &c0, &n0, NULL));
    fail_unless (n1 == n0 && memcmp (c1, c0, n1) == 0, "%s: --style 1 is not the default", cls[c]);
    g_unlink (p1);
    g_unlink (p0);
    for (int k = 0; k < 3; k++) {
      g_autofree char *sub = g_build_filename (k == 0 ? d0 : k == 1 ? d1 : d2, cls[c], NULL);
      g_rmdir (sub);
    }
  }
  g_rmdir (d0);
  g_rmdir (d1);
  g_rmdir (d2);
  char *bad[] = { tool, "crops", d2, "--style", "3", NULL };
  int status = 0;
  fail_unless (g_spawn_sync (NULL, bad, NULL, G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL,
                             NULL, NULL, &status, NULL));
  fail_if (g_spawn_check_wait_status (status, NULL), "--style 3 accepted");
  fail_if (g_file_test (d2, G_FILE_TEST_EXISTS));
  g_rmdir (dir);
}
GST_END_TEST;

/* A PNG file -> packed RGB24 or RGBA (*channels), with libav's decoder. */
static guint8 *
decode_png (const char *path, int *w, int *h, int *channels)
{
  g_autofree char *data = NULL;
  gsize len = 0;
  fail_unless (g_file_get_contents (path, &data, &len, NULL), "%s unreadable", path);
  const AVCodec *codec = avcodec_find_decoder (AV_CODEC_ID_PNG);
  AVCodecContext *ctx = avcodec_alloc_context3 (codec);
  fail_unless (avcodec_open2 (ctx, codec, NULL) >= 0);
  AVPacket *pkt = av_packet_alloc ();
  pkt->data = (guint8 *) data;
  pkt->size = (int) len;
  AVFrame *f = av_frame_alloc ();
  fail_unless (avcodec_send_packet (ctx, pkt) >= 0 && avcodec_receive_frame (ctx, f) >= 0, "%s: no image", path);
  fail_unless (f->format == AV_PIX_FMT_RGB24 || f->format == AV_PIX_FMT_RGBA, "%s: pixel format %d", path, f->format);
  *w = f->width;
  *h = f->height;
  *channels = f->format == AV_PIX_FMT_RGBA ? 4 : 3;
  guint8 *out = g_malloc ((gsize) *w * *h * *channels);
  for (int y = 0; y < *h; y++)
    memcpy (out + (gsize) y * *w * *channels, f->data[0] + (gsize) y * f->linesize[0], (gsize) *w * *channels);
  av_frame_free (&f);
  pkt->data = NULL;
  pkt->size = 0;
  av_packet_free (&pkt);
  avcodec_free_context (&ctx);
  return out;
}

/* crops --alpha, in both styles: the same colours as without it, and an
 * alpha that is the hand (none: nothing; a gesture: part of the crop, fully
 * covered somewhere, never all of it); --no-scene: the same hand over
 * mid-gray; --silhouette: the alpha alone. */
GST_START_TEST (test_gesture_crops_alpha)
{
  g_autofree char *dir = g_dir_make_tmp ("nn-tools-alpha-XXXXXX", NULL);
  g_autofree char *tool = root_path ("NN_BUILD_ROOT", "tools/nn-gesture-render");
  static const char *cls[] = { "fist", "point", "peace", "three", "palm", "thumbs-up", "none" };
  for (int style = 1; style <= 2; style++) {
    g_autofree char *st = g_strdup_printf ("%d", style);
    g_autofree char *dp = g_build_filename (dir, "plain", NULL), *da = g_build_filename (dir, "alpha", NULL);
    g_autofree char *dn = g_build_filename (dir, "no-scene", NULL), *ds = g_build_filename (dir, "silhouette", NULL);
    char *plain[] = { tool, "crops", dp, "--n", "1", "--size", "32", "--seed", "3", "--style", st, NULL };
    char *alpha[] = { tool, "crops", da, "--n", "1", "--size", "32", "--seed", "3", "--style", st, "--alpha", NULL };
    char *bare[] = { tool, "crops", dn, "--n", "1", "--size", "32", "--seed", "3", "--style", st, "--no-scene", NULL };
    run_tool (plain);
    run_tool (alpha);
    char *shape[] = { tool, "crops", ds, "--n", "1", "--size", "32", "--seed", "3", "--style", st, "--silhouette", NULL };
    run_tool (bare);
    run_tool (shape);
    for (gsize c = 0; c < G_N_ELEMENTS (cls); c++) {
      g_autofree char *pp = g_build_filename (dp, cls[c], "00000.png", NULL);
      g_autofree char *pa = g_build_filename (da, cls[c], "00000.png", NULL);
      int w, h, ch, wa, ha, cha;
      g_autofree guint8 *rgb = decode_png (pp, &w, &h, &ch);
      g_autofree guint8 *rgba = decode_png (pa, &wa, &ha, &cha);
      fail_unless (ch == 3 && cha == 4 && w == 32 && h == 32 && wa == 32 && ha == 32);
      g_autofree char *pn = g_build_filename (dn, cls[c], "00000.png", NULL);
      int wn, hn, chn;
      g_autofree guint8 *gray = decode_png (pn, &wn, &hn, &chn);
      fail_unless (chn == 3 && wn == 32 && hn == 32);
      g_autofree char *psil = g_build_filename (ds, cls[c], "00000.png", NULL);
      g_autofree guint8 *sil = decode_png (psil, &wn, &hn, &chn);
      fail_unless (chn == 3 && wn == 32 && hn == 32);
      int full = 0, clear = 0;
      for (int i = 0; i < w * h; i++) {
        fail_unless (memcmp (rgb + 3 * i, rgba + 4 * i, 3) == 0, "style %d %s: pixel %d differs", style, cls[c], i);
        full += rgba[4 * i + 3] == 255;
        clear += rgba[4 * i + 3] == 0;
        for (int k = 0; k < 3; k++) {
          int want = rgba[4 * i + 3] == 255 ? rgb[3 * i + k] : rgba[4 * i + 3] == 0 ? 128 : gray[3 * i + k];
          fail_unless (gray[3 * i + k] == want, "style %d %s --no-scene: pixel %d is %d, not %d", style, cls[c], i,
                       gray[3 * i + k], want);
          fail_unless (sil[3 * i + k] == rgba[4 * i + 3], "style %d %s --silhouette: pixel %d", style, cls[c], i);
        }
      }
      if (g_str_equal (cls[c], "none")) {
        fail_unless (clear == w * h, "style %d none: %d pixels covered", style, w * h - clear);
      } else {
        fail_unless (full > 20 && clear > w * h / 4, "style %d %s: %d covered, %d clear", style, cls[c], full, clear);
      }
      g_unlink (pp);
      g_unlink (pa);
      g_unlink (pn);
      g_unlink (psil);
      g_autofree char *sp = g_build_filename (dp, cls[c], NULL), *sa = g_build_filename (da, cls[c], NULL);
      g_autofree char *sn = g_build_filename (dn, cls[c], NULL), *ss = g_build_filename (ds, cls[c], NULL);
      g_rmdir (sp);
      g_rmdir (sa);
      g_rmdir (sn);
      g_rmdir (ss);
    }
    g_rmdir (dp);
    g_rmdir (da);
    g_rmdir (dn);
    g_rmdir (ds);
  }
  g_rmdir (dir);
}
GST_END_TEST;

/* Style-2 gesture video: colour frames written as encoders do (limited
 * range, BT.601 labelled) and decoding to the frames rendered in-process. */
GST_START_TEST (test_gesture_style2_video)
{
  g_autofree char *dir = g_dir_make_tmp ("nn-tools-video-XXXXXX", NULL);
  g_autofree char *tool = root_path ("NN_BUILD_ROOT", "tools/nn-gesture-render");
  const NnGesture seq[] = { NN_GESTURE_PEACE, NN_GESTURE_NONE };
  int per = 5, n = per * 2;
  gsize npx = (gsize) GESTURE_W * GESTURE_H;
  g_autofree guint8 *rgb = g_malloc (npx * 3 * n);
  nn_gesture_video_render_style (2, seq, 2, per, GESTURE_W, GESTURE_H, GESTURE_FPS, TRUE, GESTURE_SEED, rgb, NULL);
  g_autofree float *luma = g_new (float, npx * n);
  double chroma = 0;
  for (gsize i = 0; i < npx * n; i++) {
    luma[i] = 0.299f * rgb[3 * i] + 0.587f * rgb[3 * i + 1] + 0.114f * rgb[3 * i + 2];
    chroma += fabs ((double) rgb[3 * i] - rgb[3 * i + 2]);
  }
  fail_unless (chroma / (npx * n) > 3.0, "style 2 frames are gray");
  g_autofree char *w = g_strdup_printf ("%d", GESTURE_W);
  g_autofree char *h = g_strdup_printf ("%d", GESTURE_H);
  g_autofree char *fps = g_strdup_printf ("%d", GESTURE_FPS);
  g_autofree char *seed = g_strdup_printf ("%d", GESTURE_SEED);
  g_autofree char *out = g_build_filename (dir, "style2.mp4", NULL);
  char *argv[] = { tool, "video", out, "--sequence", "peace,none", "--hold", "0.5", "--fps", fps, "--width", w,
                   "--height", h, "--seed", seed, "--style", "2", NULL };
  run_tool (argv);
  Decoded d;
  decode (out, &d);
  check_colorimetry ("nn-gesture-render --style 2", &d, NN_VIDEO_LIMITED_RANGE, GST_VIDEO_COLOR_MATRIX_BT601);
  check_luma_fit ("nn-gesture-render --style 2", &d, luma, n, NN_VIDEO_LIMITED_RANGE);
  free_decoded (&d);
  g_unlink (out);
  g_rmdir (dir);
}
GST_END_TEST;

#define T2_FRAMES 48
#define T2_SIZE 32
#define T2_SEEDS 6

/* Style-2 trailers: reproducible, in colour, and each genre keeps what
 * defines it, read from the frames: action cuts every 2-5 frames, drama and
 * horror hold shots of 14 or more; horror flashes are single frames that
 * wash the picture out (brighter, less contrast), brighten it or darken it against
 * the frames around them, and no other genre flashes; drama fades, and the
 * frames' brightness follows the fade within a shot. */
GST_START_TEST (test_trailer_style2)
{
  int npx = T2_SIZE * T2_SIZE;
  gsize fbytes = (gsize) npx * 3;
  g_autofree guint8 *a = g_malloc (fbytes * T2_FRAMES), *b = g_malloc (fbytes * T2_FRAMES);
  NnTrailerFrame info[T2_FRAMES];
  int flashes[NN_N_GENRES] = { 0 }, kinds[4] = { 0 }, cuts[NN_N_GENRES] = { 0 };
  double deepest = 1.0;
  for (int g = 0; g < NN_N_GENRES; g++)
    for (guint64 seed = 1; seed <= T2_SEEDS; seed++) {
      nn_trailer_render2 (g, seed, T2_FRAMES, T2_SIZE, a, info);
      if (seed == 1) {
        nn_trailer_render2 (g, seed, T2_FRAMES, T2_SIZE, b, NULL);
        fail_unless (memcmp (a, b, fbytes * T2_FRAMES) == 0, "%s: not reproducible", nn_genre_name (g));
        nn_trailer_render2 (g, seed + 100, T2_FRAMES, T2_SIZE, b, NULL);
        fail_if (memcmp (a, b, fbytes * T2_FRAMES) == 0, "%s: another seed gave the same frames", nn_genre_name (g));
      }
      double chroma = 0;
      for (gsize i = 0; i < (gsize) npx * T2_FRAMES; i++)
        chroma += fabs ((double) a[3 * i] - a[3 * i + 2]) + fabs ((double) a[3 * i] - a[3 * i + 1]);
      fail_unless (chroma / (npx * T2_FRAMES) > 4.0, "%s seed %d: gray frames", nn_genre_name (g), (int) seed);
      double mean[T2_FRAMES], std[T2_FRAMES];
      for (int t = 0; t < T2_FRAMES; t++) {
        mean[t] = frame_luma_mean (a + fbytes * t, T2_SIZE, &std[t]);
        cuts[g] += info[t].cut && t > 0;
      }
      for (int t = 0; t < T2_FRAMES; t++) {
        if (info[t].flash == NN_FLASH_NONE)
          continue;
        flashes[g]++;
        /* its shot's neighbours that are not flashes */
        int p = t - 1, q = t + 1;
        while (p >= 0 && info[p].flash != NN_FLASH_NONE)
          p--;
        while (q < T2_FRAMES && info[q].flash != NN_FLASH_NONE)
          q++;
        gboolean pin = p >= 0 && !info[p + 1].cut, qin = q < T2_FRAMES && !info[q].cut;
        for (int k = p + 1; pin && k <= t; k++)
          pin = !info[k].cut;
        for (int k = t + 1; qin && k <= q; k++)
          qin = !info[k].cut;
        if (!pin && !qin)
          continue;
        double m = pin && qin ? (mean[p] + mean[q]) / 2 : pin ? mean[p] : mean[q];
        double sd = pin && qin ? (std[p] + std[q]) / 2 : pin ? std[p] : std[q];
        kinds[info[t].flash]++;
        switch (info[t].flash) {
        case NN_FLASH_WASHOUT:
          fail_unless (mean[t] > m + 0.4 * (255 - m) && std[t] < 0.6 * sd + 2.5,
                       "%s seed %d frame %d: wash-out %.1f (std %.1f) against %.1f (std %.1f)", nn_genre_name (g),
                       (int) seed, t, mean[t], std[t], m, sd);
          break;
        case NN_FLASH_BRIGHT:
          fail_unless (mean[t] > MIN (1.3 * m, 0.5 * (m + 255)), "%s seed %d frame %d: bright flash %.1f against %.1f",
                       nn_genre_name (g), (int) seed, t, mean[t], m);
          break;
        default:
          fail_unless (mean[t] < 0.6 * m, "%s seed %d frame %d: dark flash %.1f against %.1f", nn_genre_name (g),
                       (int) seed, t, mean[t], m);
          break;
        }
      }
      if (g == NN_GENRE_DRAMA) {
        /* within a shot, brightness ratios follow exposure ratios */
        for (int t = 1; t < T2_FRAMES; t++) {
          deepest = MIN (deepest, info[t].fade);
          if (info[t].cut)
            continue;
          int s0 = t;
          while (s0 > 0 && !info[s0].cut)
            s0--;
          double want = info[t].exposure / info[s0].exposure, got = mean[t] / MAX (mean[s0], 1.0);
          if (want < 0.75)
            fail_unless (fabs (got - want) < 0.2 + 12.0 / MAX (mean[s0], 1.0),
                         "drama seed %d frame %d: brightness ratio %.2f, the fade's %.2f", (int) seed, t, got, want);
        }
      }
    }
  fail_unless (flashes[NN_GENRE_HORROR] >= T2_SEEDS * T2_FRAMES / 20, "horror: only %d flashes",
               flashes[NN_GENRE_HORROR]);
  fail_unless (kinds[NN_FLASH_WASHOUT] > 0 && kinds[NN_FLASH_BRIGHT] > 0 && kinds[NN_FLASH_DARK] > 0,
               "flash kinds checked: wash-out %d, bright %d, dark %d", kinds[NN_FLASH_WASHOUT],
               kinds[NN_FLASH_BRIGHT], kinds[NN_FLASH_DARK]);
  for (int g = 0; g < NN_N_GENRES; g++)
    if (g != NN_GENRE_HORROR)
      fail_unless (flashes[g] == 0, "%s flashes", nn_genre_name (g));
  fail_unless (cuts[NN_GENRE_ACTION] >= T2_SEEDS * (T2_FRAMES / 5 - 1), "action: %d cuts", cuts[NN_GENRE_ACTION]);
  fail_unless (cuts[NN_GENRE_DRAMA] <= T2_SEEDS * (T2_FRAMES / 16), "drama: %d cuts", cuts[NN_GENRE_DRAMA]);
  fail_unless (cuts[NN_GENRE_HORROR] <= T2_SEEDS * (T2_FRAMES / 14), "horror: %d cuts", cuts[NN_GENRE_HORROR]);
  fail_unless (deepest < 0.66, "drama: the deepest fade only reaches %.2f", deepest);
}
GST_END_TEST;

/* nn-trailer-gen --style 2: colour frames, limited range, BT.601 labelled,
 * decoding to the frames rendered in-process. */
GST_START_TEST (test_trailer_gen_style2)
{
  g_autofree char *dir = g_dir_make_tmp ("nn-tools-video-XXXXXX", NULL);
  g_autofree char *tool = root_path ("NN_BUILD_ROOT", "tools/nn-trailer-gen");
  gsize npx = TRAILER_SIZE * TRAILER_SIZE;
  g_autofree guint8 *rgb = g_malloc (npx * 3 * TRAILER_FRAMES);
  nn_trailer_render2 (NN_GENRE_DETECTIVE, (guint64) TRAILER_SEED * 1000003ULL, TRAILER_FRAMES, TRAILER_SIZE, rgb,
                      NULL);
  g_autofree float *luma = g_new (float, npx * TRAILER_FRAMES);
  for (gsize i = 0; i < npx * TRAILER_FRAMES; i++)
    luma[i] = 0.299f * rgb[3 * i] + 0.587f * rgb[3 * i + 1] + 0.114f * rgb[3 * i + 2];
  g_autofree char *seed = g_strdup_printf ("%d", TRAILER_SEED);
  g_autofree char *nf = g_strdup_printf ("%d", TRAILER_FRAMES);
  g_autofree char *size = g_strdup_printf ("%d", TRAILER_SIZE);
  g_autofree char *out = g_build_filename (dir, "style2.mp4", NULL);
  char *argv[] = { tool, "--genre", "detective", "--seed", seed, "--frames", nf, "--size", size, "--style", "2", out,
                   NULL };
  run_tool (argv);
  Decoded d;
  decode (out, &d);
  check_colorimetry ("nn-trailer-gen --style 2", &d, NN_VIDEO_LIMITED_RANGE, GST_VIDEO_COLOR_MATRIX_BT601);
  check_luma_fit ("nn-trailer-gen --style 2", &d, luma, TRAILER_FRAMES, NN_VIDEO_LIMITED_RANGE);
  free_decoded (&d);
  g_unlink (out);
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
  TCase *s2 = tcase_create ("style2");
  tcase_set_timeout (s2, 120);
  tcase_add_test (s2, test_gesture_style2_hands);
  tcase_add_test (s2, test_gesture_style2_cli);
  tcase_add_test (s2, test_gesture_crops_alpha);
  tcase_add_test (s2, test_gesture_style2_video);
  tcase_add_test (s2, test_trailer_style2);
  tcase_add_test (s2, test_trailer_gen_style2);
  suite_add_tcase (s, s2);
  return s;
}

GST_CHECK_MAIN (tools_video);
