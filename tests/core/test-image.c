/* nn_image_converter: every layout, range and matrix against an independent
 * encoder written here from ITU-T H.273 (the formulas, not the converter's
 * code), and against the RGB path.
 *
 * Two bars per case:
 * - exact arithmetic: the output equals the ideal decoding of the quantised
 *   codes (double precision, the same formulas inverted) within 0.02 grey
 *   levels, so range, matrix, offsets and sample positions are right;
 * - round trip: the output is within one grey level of the RGB picture the
 *   codes were made from, for gray patches; for colour patches within the
 *   quantisation bound of the codes (limited-range 8-bit chroma has 224
 *   steps, so a code step moves B by up to 2.02 levels: half of that). */
#include "nn-private.h"
#include <check.h>
#include "../check-run.h"

#define W 64
#define H 48
#define PATCH 8  /* patches of 8x8 pixels: whole chroma blocks for every subsampling */

typedef struct { double kr, kb; } Matrix;
static const Matrix m601 = { 0.299, 0.114 }, m709 = { 0.2126, 0.0722 };

/* The picture: patches of one colour each; gray patches where `gray`. */
static void
patch_rgb (int x, int y, gboolean gray, double rgb[3])
{
  guint32 h = (guint32) ((x / PATCH) * 2654435761u) ^ (guint32) ((y / PATCH) * 40503u + 17u);
  h ^= h >> 13;
  h *= 0x5bd1e995u;
  h ^= h >> 15;
  double v[3] = { (h & 0xff), ((h >> 8) & 0xff), ((h >> 16) & 0xff) };
  for (int c = 0; c < 3; c++)
    rgb[c] = gray ? v[0] : v[c];
}

/* R'G'B' in 0..255 -> Y'CbCr codes of `bits` bits, rounded. */
static void
encode (const double rgb[3], Matrix m, gboolean limited, int bits, int ycc[3])
{
  double r = rgb[0] / 255.0, g = rgb[1] / 255.0, b = rgb[2] / 255.0;
  double y = m.kr * r + (1.0 - m.kr - m.kb) * g + m.kb * b;
  double pb = (b - y) / (2.0 * (1.0 - m.kb)), pr = (r - y) / (2.0 * (1.0 - m.kr));
  double k = 1 << (bits - 8), maxv = (1 << bits) - 1;
  if (limited) {
    ycc[0] = (int) lround (k * (16.0 + 219.0 * y));
    ycc[1] = (int) lround (k * (128.0 + 224.0 * pb));
    ycc[2] = (int) lround (k * (128.0 + 224.0 * pr));
  } else {
    ycc[0] = (int) lround (maxv * y);
    ycc[1] = (int) lround ((1 << (bits - 1)) + maxv * pb);
    ycc[2] = (int) lround ((1 << (bits - 1)) + maxv * pr);
    for (int c = 0; c < 3; c++)
      ycc[c] = CLAMP (ycc[c], 0, (int) maxv);
  }
}

/* The ideal decoding of codes: back to R'G'B' 0..255, clipped. */
static void
decode (const int ycc[3], Matrix m, gboolean limited, int bits, double rgb[3])
{
  double k = 1 << (bits - 8), maxv = (1 << bits) - 1;
  double y, pb, pr;
  if (limited) {
    y = (ycc[0] / k - 16.0) / 219.0;
    pb = (ycc[1] / k - 128.0) / 224.0;
    pr = (ycc[2] / k - 128.0) / 224.0;
  } else {
    y = ycc[0] / maxv;
    pb = (ycc[1] - (1 << (bits - 1))) / maxv;
    pr = (ycc[2] - (1 << (bits - 1))) / maxv;
  }
  double r = y + 2.0 * (1.0 - m.kr) * pr, b = y + 2.0 * (1.0 - m.kb) * pb;
  double g = (y - m.kr * r - m.kb * b) / (1.0 - m.kr - m.kb);
  rgb[0] = CLAMP (r * 255.0, 0.0, 255.0);
  rgb[1] = CLAMP (g * 255.0, 0.0, 255.0);
  rgb[2] = CLAMP (b * 255.0, 0.0, 255.0);
}

typedef struct {
  NnPixelFormat fmt;
  int  bits, msb;      /* sample bits; 10 bits stored at the top of 16 (P010) */
  int  sx, sy;         /* chroma subsampling shifts */
  /* where component c (Y, U, V) of pixel (x, y) lives: plane, byte offset in
   * a row's group of pixels; written by hand from GStreamer's format docs */
  int  packed;         /* 0 planar, 1 semi-planar (UV or VU pairs), 2 packed 4:2:2 */
  int  order[4];       /* planar: plane of Y, U, V; semi: offset of U, V in the pair; packed: Y0, U, Y1, V offsets */
} Layout;

static const Layout yuv_layouts[] = {
  { NN_PIXEL_I420, 8, 0, 1, 1, 0, { 0, 1, 2 } },
  { NN_PIXEL_YV12, 8, 0, 1, 1, 0, { 0, 2, 1 } },
  { NN_PIXEL_NV12, 8, 0, 1, 1, 1, { 0, 1 } },
  { NN_PIXEL_NV21, 8, 0, 1, 1, 1, { 1, 0 } },
  { NN_PIXEL_YUY2, 8, 0, 1, 0, 2, { 0, 1, 2, 3 } },
  { NN_PIXEL_UYVY, 8, 0, 1, 0, 2, { 1, 0, 3, 2 } },
  { NN_PIXEL_YVYU, 8, 0, 1, 0, 2, { 0, 3, 2, 1 } },
  { NN_PIXEL_Y42B, 8, 0, 1, 0, 0, { 0, 1, 2 } },
  { NN_PIXEL_Y444, 8, 0, 0, 0, 0, { 0, 1, 2 } },
  { NN_PIXEL_I420_10LE, 10, 0, 1, 1, 0, { 0, 1, 2 } },
  { NN_PIXEL_P010_10LE, 10, 1, 1, 1, 1, { 0, 1 } },
};

typedef struct {
  guint8 *data[3];
  int     stride[3];
} Frame;

static void
frame_free (Frame *f)
{
  for (int i = 0; i < 3; i++)
    g_free (f->data[i]);
}

static void
put (guint8 *p, int bytes, int msb, int v)
{
  if (bytes == 1) {
    *p = (guint8) v;
  } else {
    guint16 s = (guint16) (msb ? v << 6 : v);
    p[0] = s & 0xff;
    p[1] = s >> 8;
  }
}

/* Writes the picture's codes in layout `l`; chroma of a block is the code of
 * its top-left pixel (patches are whole blocks, so every pixel agrees). */
static void
write_yuv (const Layout *l, Matrix m, gboolean limited, gboolean gray, Frame *f)
{
  int bytes = l->bits > 8 ? 2 : 1;
  int cw = W >> l->sx, ch = H >> l->sy;
  memset (f, 0, sizeof *f);
  if (l->packed == 2) {
    f->stride[0] = W * 2 + 6;  /* padded rows: strides are honoured */
    f->data[0] = g_malloc0 ((gsize) f->stride[0] * H);
  } else {
    f->stride[0] = W * bytes + 10;
    f->data[0] = g_malloc0 ((gsize) f->stride[0] * H);
    int cplanes = l->packed == 1 ? 1 : 2;
    for (int i = 1; i <= cplanes; i++) {
      f->stride[i] = cw * bytes * (l->packed == 1 ? 2 : 1) + 4;
      f->data[i] = g_malloc0 ((gsize) f->stride[i] * ch);
    }
  }
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++) {
      double rgb[3];
      int ycc[3];
      patch_rgb (x, y, gray, rgb);
      encode (rgb, m, limited, l->bits, ycc);
      gboolean chroma_site = (x % (1 << l->sx)) == 0 && (y % (1 << l->sy)) == 0;
      int cx = x >> l->sx, cy = y >> l->sy;
      if (l->packed == 2) {
        guint8 *g = f->data[0] + (gsize) y * f->stride[0] + (x / 2) * 4;
        g[l->order[x % 2 == 0 ? 0 : 2]] = (guint8) ycc[0];
        if (chroma_site) {
          g[l->order[1]] = (guint8) ycc[1];
          g[l->order[3]] = (guint8) ycc[2];
        }
        continue;
      }
      put (f->data[0] + (gsize) y * f->stride[0] + x * bytes, bytes, l->msb, ycc[0]);
      if (!chroma_site)
        continue;
      if (l->packed == 1) {
        guint8 *pair = f->data[1] + (gsize) cy * f->stride[1] + cx * 2 * bytes;
        put (pair + l->order[0] * bytes, bytes, l->msb, ycc[1]);
        put (pair + l->order[1] * bytes, bytes, l->msb, ycc[2]);
      } else {
        int pu = l->order[1], pv = l->order[2];
        put (f->data[pu] + (gsize) cy * f->stride[pu] + cx * bytes, bytes, l->msb, ycc[1]);
        put (f->data[pv] + (gsize) cy * f->stride[pv] + cx * bytes, bytes, l->msb, ycc[2]);
      }
    }
}

static NnPreprocess
pre (int c, int h, int w)
{
  NnPreprocess p = { c, h, w, 1.0f, { 0, 0, 0 }, { 1, 1, 1 } };
  return p;
}

static void
run (NnPixelFormat fmt, NnColorRange range, NnColorMatrix matrix, const NnPreprocess *p, const Frame *f,
     float *out)
{
  NnImageInfo info = { fmt, W, H, range, matrix };
  g_autoptr (GError) err = NULL;
  g_autoptr (NnImageConverter) c = nn_image_converter_new (&info, p, &err);
  ck_assert_msg (c != NULL, "%s", err ? err->message : "");
  nn_image_converter_run (c, (const guint8 *const *) f->data, f->stride, out);
}

/* Mean over each output pixel's source box of `value(x, y, c)`: the
 * reference of an area resize of W x H to w x h (integer factors here). */
typedef double (*PixelValue) (int x, int y, int c, gpointer data);

static double
box_mean (int ox, int oy, int w, int h, int c, PixelValue v, gpointer data)
{
  int fx = W / w, fy = H / h;
  double s = 0.0;
  for (int y = oy * fy; y < (oy + 1) * fy; y++)
    for (int x = ox * fx; x < (ox + 1) * fx; x++)
      s += v (x, y, c, data);
  return s / (fx * fy);
}

typedef struct {
  Matrix   m;
  gboolean limited, gray, luma;
  int      bits;
} Case;

static double
luma601 (const double rgb[3])
{
  return 0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2];
}

/* The ideal decoding of the codes at (x, y). */
static double
ideal (int x, int y, int c, gpointer data)
{
  const Case *k = data;
  double rgb[3], dec[3];
  int ycc[3];
  patch_rgb (x, y, k->gray, rgb);
  encode (rgb, k->m, k->limited, k->bits, ycc);
  decode (ycc, k->m, k->limited, k->bits, dec);
  return k->luma ? luma601 (dec) : dec[c];
}

/* The picture before encoding. */
static double
original (int x, int y, int c, gpointer data)
{
  const Case *k = data;
  double rgb[3];
  patch_rgb (x, y, k->gray, rgb);
  return k->luma ? luma601 (rgb) : rgb[c];
}

static void
check_yuv (const Layout *l, gboolean limited, gboolean bt709, gboolean gray, int channels, int oh, int ow)
{
  Case k = { bt709 ? m709 : m601, limited, gray, channels == 1, l->bits };
  Frame f;
  write_yuv (l, k.m, limited, gray, &f);
  NnPreprocess p = pre (channels, oh, ow);
  float out[3 * W * H];
  run (l->fmt, limited ? NN_COLOR_RANGE_LIMITED : NN_COLOR_RANGE_FULL,
       bt709 ? NN_COLOR_MATRIX_BT709 : NN_COLOR_MATRIX_BT601, &p, &f, out);
  /* the round trip's bound: half a code step through the largest coefficient */
  double step = limited ? 255.0 / 224.0 / (1 << (l->bits - 8)) : 255.0 / ((1 << l->bits) - 1);
  double bound = gray ? 1.0 : 0.5 * step * (1.0 + 2.0 * (1.0 - k.m.kb)) + 0.5;
  double worst_ideal = 0.0, worst_orig = 0.0;
  for (int c = 0; c < channels; c++)
    for (int oy = 0; oy < oh; oy++)
      for (int ox = 0; ox < ow; ox++) {
        /* at the frame's size, subsampled chroma is interpolated between
         * chroma samples: a patch's edge pixels mix in the neighbour's */
        if (ow == W && ((l->sx && (ox % PATCH == 0 || ox % PATCH == PATCH - 1)) ||
                        (l->sy && (oy % PATCH == 0 || oy % PATCH == PATCH - 1))))
          continue;
        double got = out[(c * oh + oy) * ow + ox];
        worst_ideal = MAX (worst_ideal, fabs (got - box_mean (ox, oy, ow, oh, c, ideal, &k)));
        worst_orig = MAX (worst_orig, fabs (got - box_mean (ox, oy, ow, oh, c, original, &k)));
      }
  const char *what = nn_pixel_format_name (l->fmt);
  ck_assert_msg (worst_ideal < 0.02, "%s %s %s %s %dch %dx%d: %.4f from the ideal decoding", what,
                 limited ? "limited" : "full", bt709 ? "bt709" : "bt601", gray ? "gray" : "colour", channels, ow, oh,
                 worst_ideal);
  ck_assert_msg (worst_orig <= bound, "%s %s %s %s %dch %dx%d: %.3f from the picture (bound %.3f)", what,
                 limited ? "limited" : "full", bt709 ? "bt709" : "bt601", gray ? "gray" : "colour", channels, ow, oh,
                 worst_orig, bound);
  frame_free (&f);
}

/* Every YUV layout x range x matrix x gray/colour x model channels, at the
 * frame's size and shrunk 4x (area). */
START_TEST (test_yuv_layouts)
{
  const Layout *l = &yuv_layouts[_i];
  for (int limited = 0; limited < 2; limited++)
    for (int bt709 = 0; bt709 < 2; bt709++)
      for (int gray = 0; gray < 2; gray++)
        for (int ch = 1; ch <= 3; ch += 2) {
          check_yuv (l, limited, bt709, gray, ch, H, W);
          check_yuv (l, limited, bt709, gray, ch, H / 4, W / 4);
        }
}
END_TEST

/* The packed RGB family and gray give the RGB24 result exactly. */
START_TEST (test_rgb_layouts)
{
  static const struct { NnPixelFormat fmt; int bpp, r, g, b; } rgb[] = {
    { NN_PIXEL_RGB24, 3, 0, 1, 2 }, { NN_PIXEL_BGR24, 3, 2, 1, 0 }, { NN_PIXEL_RGBX, 4, 0, 1, 2 },
    { NN_PIXEL_BGRX, 4, 2, 1, 0 }, { NN_PIXEL_XRGB, 4, 1, 2, 3 }, { NN_PIXEL_XBGR, 4, 3, 2, 1 },
  };
  for (int ch = 1; ch <= 3; ch += 2) {
    NnPreprocess p = pre (ch, 12, 20);
    float want[3 * 12 * 20], got[3 * 12 * 20];
    for (gsize i = 0; i < G_N_ELEMENTS (rgb); i++) {
      Frame f = { { g_malloc ((gsize) (W * 4 + 3) * H) }, { W * rgb[i].bpp + 3 } };
      for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
          double v[3];
          patch_rgb (x, y, FALSE, v);
          guint8 *px = f.data[0] + (gsize) y * f.stride[0] + x * rgb[i].bpp;
          px[rgb[i].r] = (guint8) v[0];
          px[rgb[i].g] = (guint8) v[1];
          px[rgb[i].b] = (guint8) v[2];
        }
      run (rgb[i].fmt, NN_COLOR_RANGE_FULL, NN_COLOR_MATRIX_AUTO, &p, &f, i == 0 ? want : got);
      for (int j = 0; i > 0 && j < ch * 12 * 20; j++)
        ck_assert_msg (got[j] == want[j], "%s %dch [%d]: %f vs %f", nn_pixel_format_name (rgb[i].fmt), ch, j, got[j],
                       want[j]);
      frame_free (&f);
    }
  }
  /* gray: limited-range gray is expanded, full-range gray is as it is */
  Frame f = { { g_malloc (W * H) }, { W } };
  memset (f.data[0], 16, W * H);
  memset (f.data[0], 235, W * H / 2);
  NnPreprocess p = pre (1, 2, 2);
  float out[4];
  run (NN_PIXEL_GRAY8, NN_COLOR_RANGE_LIMITED, NN_COLOR_MATRIX_AUTO, &p, &f, out);
  ck_assert_float_eq_tol (out[0], 255.0f, 1e-3f);
  ck_assert_float_eq_tol (out[3], 0.0f, 1e-3f);
  run (NN_PIXEL_GRAY8, NN_COLOR_RANGE_FULL, NN_COLOR_MATRIX_AUTO, &p, &f, out);
  ck_assert_float_eq_tol (out[0], 235.0f, 1e-3f);
  ck_assert_float_eq_tol (out[3], 16.0f, 1e-3f);
  frame_free (&f);
}
END_TEST

/* Footroom and headroom codes (below 16, above 235) clip to black and white,
 * as every decoder's RGB does. */
START_TEST (test_out_of_range_clips)
{
  const Layout *l = &yuv_layouts[0];
  Frame f;
  write_yuv (l, m601, TRUE, TRUE, &f);
  memset (f.data[0], 2, (gsize) f.stride[0] * H / 2);
  memset (f.data[0] + (gsize) f.stride[0] * H / 2, 250, (gsize) f.stride[0] * H / 2);
  memset (f.data[1], 128, (gsize) f.stride[1] * H / 2);
  memset (f.data[2], 128, (gsize) f.stride[2] * H / 2);
  NnPreprocess p = pre (3, 2, 1);
  float out[6];
  run (NN_PIXEL_I420, NN_COLOR_RANGE_LIMITED, NN_COLOR_MATRIX_BT601, &p, &f, out);
  for (int c = 0; c < 3; c++) {
    ck_assert_float_eq_tol (out[c * 2], 0.0f, 1e-4f);
    ck_assert_float_eq_tol (out[c * 2 + 1], 255.0f, 1e-4f);
  }
  frame_free (&f);
}
END_TEST

/* AUTO is GStreamer's default: BT.601 to 576 lines, BT.709 above, BT.2020
 * from 2160. */
START_TEST (test_matrix_auto)
{
  ck_assert_int_eq (nn_color_matrix_resolve (NN_COLOR_MATRIX_AUTO, 480), NN_COLOR_MATRIX_BT601);
  ck_assert_int_eq (nn_color_matrix_resolve (NN_COLOR_MATRIX_AUTO, 576), NN_COLOR_MATRIX_BT601);
  ck_assert_int_eq (nn_color_matrix_resolve (NN_COLOR_MATRIX_AUTO, 720), NN_COLOR_MATRIX_BT709);
  ck_assert_int_eq (nn_color_matrix_resolve (NN_COLOR_MATRIX_AUTO, 2160), NN_COLOR_MATRIX_BT2020);
  ck_assert_int_eq (nn_color_matrix_resolve (NN_COLOR_MATRIX_BT601, 1080), NN_COLOR_MATRIX_BT601);
}
END_TEST

/* Enlarging: a 2x2 I420 frame to 4x4 interpolates luma and chroma as the
 * RGB path interpolates the decoded colours (the map is affine). */
START_TEST (test_enlarge_matches_rgb)
{
  /* inside the RGB cube: clipping (per pixel in the reference) plays no part */
  guint8 y[4] = { 60, 120, 90, 150 }, u[1] = { 110 }, v[1] = { 150 };
  Frame f = { { y, u, v }, { 2, 1, 1 } };
  NnPreprocess p = pre (3, 4, 4);
  float out[48];
  NnImageInfo info = { NN_PIXEL_I420, 2, 2, NN_COLOR_RANGE_LIMITED, NN_COLOR_MATRIX_BT601 };
  g_autoptr (NnImageConverter) c = nn_image_converter_new (&info, &p, NULL);
  nn_image_converter_run (c, (const guint8 *const *) f.data, f.stride, out);
  /* reference: decode each source pixel, then bilinear in RGB */
  guint8 rgb[12];
  for (int i = 0; i < 4; i++) {
    int ycc[3] = { y[i], u[0], v[0] };
    double d[3];
    decode (ycc, m601, TRUE, 8, d);
    for (int ch = 0; ch < 3; ch++)
      rgb[i * 3 + ch] = (guint8) lround (d[ch]);
  }
  float want[48];
  nn_preprocess_image (&p, rgb, 2, 2, 6, NN_PIXEL_RGB24, want);
  for (int i = 0; i < 48; i++)
    ck_assert_msg (fabsf (out[i] - want[i]) < 0.6f, "[%d] %f vs %f", i, out[i], want[i]);
}
END_TEST

START_TEST (test_bad_arguments)
{
  NnPreprocess p = pre (3, 8, 8);
  NnImageInfo info = { NN_PIXEL_I420, 0, 8, NN_COLOR_RANGE_LIMITED, NN_COLOR_MATRIX_AUTO };
  g_autoptr (GError) err = NULL;
  ck_assert_ptr_null (nn_image_converter_new (&info, &p, &err));
  ck_assert_str_eq (err->message, "image converter: frame size 0x8 out of range");
  g_clear_error (&err);
  info.width = 8;
  info.format = (NnPixelFormat) 99;
  ck_assert_ptr_null (nn_image_converter_new (&info, &p, &err));
  ck_assert_str_eq (err->message, "image converter: unknown pixel format 99");
  g_clear_error (&err);
  info.format = NN_PIXEL_NV12;
  p.channels = 2;
  ck_assert_ptr_null (nn_image_converter_new (&info, &p, &err));
  ck_assert_str_eq (err->message, "image converter: the model's input 2x8x8 is not an image (channels 1 or 3)");
  ck_assert_int_eq (nn_pixel_format_n_planes (NN_PIXEL_NV12), 2);
  ck_assert_int_eq (nn_pixel_format_n_planes (NN_PIXEL_I420_10LE), 3);
  ck_assert_int_eq (nn_pixel_format_n_planes (NN_PIXEL_YUY2), 1);
  ck_assert_str_eq (nn_pixel_format_name (NN_PIXEL_P010_10LE), "P010_10LE");
}
END_TEST

static Suite *
suite (void)
{
  Suite *s = suite_create ("image");
  TCase *tc = tcase_create ("core");
  tcase_add_loop_test (tc, test_yuv_layouts, 0, G_N_ELEMENTS (yuv_layouts));
  tcase_add_test (tc, test_rgb_layouts);
  tcase_add_test (tc, test_out_of_range_clips);
  tcase_add_test (tc, test_matrix_auto);
  tcase_add_test (tc, test_enlarge_matches_rgb);
  tcase_add_test (tc, test_bad_arguments);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  return nn_check_run (suite ());
}
