/* nn_image_converter's resize against a straightforward double-precision
 * reference written here: every pixel format, shrinking, the same size and
 * enlarging (also one axis each way), odd sizes, padded strides, limited and
 * full range, BT.601 and BT.709, RGB and gray models.
 *
 * The reference takes no shortcut the converter takes: each output pixel is
 * the 2-D sum over its source pixels of (horizontal weight x vertical weight)
 * x sample, the weights from the box overlap (shrinking) or the half-pixel
 * bilinear rule (enlarging), the samples read through a layout table written
 * here from GStreamer's format descriptions, then decoded with the H.273
 * formulas. Frames are random (out-of-gamut YUV included, so the clipping is
 * exercised), row padding is random too (a read past a row's samples shows),
 * and each plane is allocated to its last sample (ASan sees an overread). */
#include "nn-private.h"
#include <check.h>
#include "../check-run.h"

typedef enum { GRAY, RGB, YUV } Kind;

/* Where component c (Y U V, R G B, or Y) of pixel x of row y is:
 * plane[c] + y * stride + off[c] + x * step[c], x and y in that component's
 * own (subsampled) geometry. */
typedef struct {
  NnPixelFormat fmt;
  Kind kind;
  int  bits, bytes, msb;   /* 10-bit samples in 16 bits, at the top when msb (P010) */
  int  sx, sy;             /* chroma subsampling shifts */
  int  n_planes;
  int  plane[3], off[3], step[3];
} Layout;

static const Layout layouts[] = {
  { NN_PIXEL_GRAY8, GRAY, 8, 1, 0, 0, 0, 1, { 0 }, { 0 }, { 1 } },
  { NN_PIXEL_RGB24, RGB, 8, 1, 0, 0, 0, 1, { 0, 0, 0 }, { 0, 1, 2 }, { 3, 3, 3 } },
  { NN_PIXEL_BGR24, RGB, 8, 1, 0, 0, 0, 1, { 0, 0, 0 }, { 2, 1, 0 }, { 3, 3, 3 } },
  { NN_PIXEL_RGBX, RGB, 8, 1, 0, 0, 0, 1, { 0, 0, 0 }, { 0, 1, 2 }, { 4, 4, 4 } },
  { NN_PIXEL_BGRX, RGB, 8, 1, 0, 0, 0, 1, { 0, 0, 0 }, { 2, 1, 0 }, { 4, 4, 4 } },
  { NN_PIXEL_XRGB, RGB, 8, 1, 0, 0, 0, 1, { 0, 0, 0 }, { 1, 2, 3 }, { 4, 4, 4 } },
  { NN_PIXEL_XBGR, RGB, 8, 1, 0, 0, 0, 1, { 0, 0, 0 }, { 3, 2, 1 }, { 4, 4, 4 } },
  { NN_PIXEL_I420, YUV, 8, 1, 0, 1, 1, 3, { 0, 1, 2 }, { 0, 0, 0 }, { 1, 1, 1 } },
  { NN_PIXEL_YV12, YUV, 8, 1, 0, 1, 1, 3, { 0, 2, 1 }, { 0, 0, 0 }, { 1, 1, 1 } },
  { NN_PIXEL_NV12, YUV, 8, 1, 0, 1, 1, 2, { 0, 1, 1 }, { 0, 0, 1 }, { 1, 2, 2 } },
  { NN_PIXEL_NV21, YUV, 8, 1, 0, 1, 1, 2, { 0, 1, 1 }, { 0, 1, 0 }, { 1, 2, 2 } },
  { NN_PIXEL_YUY2, YUV, 8, 1, 0, 1, 0, 1, { 0, 0, 0 }, { 0, 1, 3 }, { 2, 4, 4 } },
  { NN_PIXEL_UYVY, YUV, 8, 1, 0, 1, 0, 1, { 0, 0, 0 }, { 1, 0, 2 }, { 2, 4, 4 } },
  { NN_PIXEL_YVYU, YUV, 8, 1, 0, 1, 0, 1, { 0, 0, 0 }, { 0, 3, 1 }, { 2, 4, 4 } },
  { NN_PIXEL_Y42B, YUV, 8, 1, 0, 1, 0, 3, { 0, 1, 2 }, { 0, 0, 0 }, { 1, 1, 1 } },
  { NN_PIXEL_Y444, YUV, 8, 1, 0, 0, 0, 3, { 0, 1, 2 }, { 0, 0, 0 }, { 1, 1, 1 } },
  { NN_PIXEL_I420_10LE, YUV, 10, 2, 0, 1, 1, 3, { 0, 1, 2 }, { 0, 0, 0 }, { 2, 2, 2 } },
  { NN_PIXEL_P010_10LE, YUV, 10, 2, 1, 1, 1, 2, { 0, 1, 1 }, { 0, 0, 2 }, { 2, 4, 4 } },
};
G_STATIC_ASSERT (G_N_ELEMENTS (layouts) == NN_PIXEL_N_FORMATS);

/* source (w, h) -> model (C, oh, ow) */
typedef struct { int w, h, c, oh, ow; } Case;

static const Case cases[] = {
  { 641, 479, 3, 48, 48 },  /* shrink, odd: chroma planes 321x240 */
  { 641, 479, 1, 28, 28 },
  { 3, 5, 3, 48, 48 },      /* enlarge from a few pixels (chroma 2x3) */
  { 48, 48, 3, 48, 48 },    /* same size */
  { 101, 20, 1, 28, 34 },   /* shrink across, enlarge down */
  { 30, 97, 3, 17, 40 },    /* enlarge across, shrink down */
};

/* One output coordinate's source taps and weights (at most `max`). */
static int
ref_taps (int in, int out, int o, int *idx, double *w, int max)
{
  int n = 0;
  if (in > out) {
    /* box [o s, (o + 1) s): each source pixel weighs its overlap / s */
    double s = (double) in / out, x0 = o * s, x1 = (o + 1) * s;
    for (int i = (int) floor (x0); i < in && i < x1; i++) {
      double cover = MIN (x1, i + 1.0) - MAX (x0, (double) i);
      if (cover > 0.0) {
        if (n == max)
          ck_abort_msg ("more than %d taps", max);
        idx[n] = i;
        w[n++] = cover / s;
      }
    }
  } else {
    double src = (o + 0.5) * in / out - 0.5;
    src = MAX (src, 0.0);
    int i0 = (int) floor (src);
    if (i0 >= in - 1) {
      idx[0] = in - 1;
      w[0] = 1.0;
      return 1;
    }
    idx[0] = i0;
    w[0] = 1.0 - (src - i0);
    idx[1] = i0 + 1;
    w[1] = src - i0;
    n = 2;
  }
  return n;
}

typedef struct {
  guint8 *data[3];
  int     stride[3];
} Frame;

static int
comp_w (const Layout *l, int c, int w)
{
  return l->kind == YUV && c > 0 ? (w + (1 << l->sx) - 1) >> l->sx : w;
}

static int
comp_h (const Layout *l, int c, int h)
{
  return l->kind == YUV && c > 0 ? (h + (1 << l->sy) - 1) >> l->sy : h;
}

/* The sample's code: 8 or 10 bits. */
static double
sample (const Layout *l, const Frame *f, int c, int x, int y)
{
  const guint8 *p = f->data[l->plane[c]] + (gsize) y * f->stride[l->plane[c]] + l->off[c] + (gsize) x * l->step[c];
  if (l->bytes == 1)
    return p[0];
  int v = p[0] | p[1] << 8;
  return l->msb ? v >> 6 : v;
}

/* Random samples and padding; planes end at their last sample. */
static void
frame_make (const Layout *l, int w, int h, GRand *rng, Frame *f)
{
  memset (f, 0, sizeof *f);
  for (int p = 0; p < l->n_planes; p++) {
    int row = 0, rows = 0;
    for (int c = 0; c < (l->kind == GRAY ? 1 : 3); c++)
      if (l->plane[c] == p) {
        row = MAX (row, l->off[c] + (comp_w (l, c, w) - 1) * l->step[c] + l->bytes);
        rows = MAX (rows, comp_h (l, c, h));
      }
    ck_assert (row > 0 && rows > 0);
    f->stride[p] = row + (l->bytes == 2 ? 6 : 7);
    gsize size = (gsize) f->stride[p] * (gsize) (rows - 1) + (gsize) row;
    f->data[p] = g_malloc (size);
    /* xorshift64 seeded from rng: 8 bytes a step, megabytes a frame */
    guint64 x = ((guint64) g_rand_int (rng) << 32) | g_rand_int (rng) | 1u;
    for (gsize i = 0; i < size; i += 8) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      for (gsize b = 0; b < 8 && i + b < size; b++)
        f->data[p][i + b] = (guint8) (x >> (8 * b));
    }
    if (l->bytes == 2)
      for (gsize i = 0; i + 1 < size; i += 2) {
        /* valid 10-bit codes: in the low bits, or the high bits of P010 */
        if (l->msb)
          f->data[p][i] &= 0xc0;
        else
          f->data[p][i + 1] &= 0x03;
      }
  }
}

static void
frame_free (Frame *f)
{
  for (int p = 0; p < 3; p++)
    g_free (f->data[p]);
}

/* Resized components of output pixel (ox, oy) -> the model's channels in
 * 0..255, before clipping. */
static void
ref_decode (const Layout *l, const double comp[3], int range_limited, double kr, double kb, int channels,
            double out[3])
{
  double k = 1 << (l->bits - 8), maxv = (1 << l->bits) - 1, rgb[3];
  if (l->kind == RGB) {
    for (int c = 0; c < 3; c++)
      rgb[c] = comp[c] * 255.0 / maxv;
  } else {
    double y = range_limited ? (comp[0] / k - 16.0) / 219.0 : comp[0] / maxv;
    double pb = 0.0, pr = 0.0;
    if (l->kind == YUV) {
      double half = 1 << (l->bits - 1);
      pb = range_limited ? (comp[1] / k - 128.0) / 224.0 : (comp[1] - half) / maxv;
      pr = range_limited ? (comp[2] / k - 128.0) / 224.0 : (comp[2] - half) / maxv;
    }
    double r = y + 2.0 * (1.0 - kr) * pr, b = y + 2.0 * (1.0 - kb) * pb;
    double g = (y - kr * r - kb * b) / (1.0 - kr - kb);
    rgb[0] = r * 255.0;
    rgb[1] = g * 255.0;
    rgb[2] = b * 255.0;
  }
  if (channels == 3) {
    memcpy (out, rgb, sizeof rgb);
  } else {
    out[0] = 0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2];
  }
}

#define MAX_TAPS 1024

static void
check_case (const Layout *l, const Case *k, gboolean limited, NnColorMatrix matrix, GRand *rng)
{
  Frame f;
  frame_make (l, k->w, k->h, rng, &f);
  NnImageInfo info = { l->fmt, k->w, k->h, limited ? NN_COLOR_RANGE_LIMITED : NN_COLOR_RANGE_FULL, matrix };
  NnPreprocess pre = { k->c, k->oh, k->ow, 1.0f / 255.0f, { 0.485f, 0.456f, 0.406f }, { 0.229f, 0.224f, 0.225f } };
  GError *err = NULL;
  NnImageConverter *conv = nn_image_converter_new (&info, &pre, &err);
  ck_assert_msg (conv != NULL, "%s", err ? err->message : "");
  gsize n = (gsize) k->c * k->oh * k->ow;
  float *out = g_new (float, n + 1);
  out[n] = 12345.0f;  /* a write past the sample shows */
  const guint8 *planes[3] = { f.data[0], f.data[1], f.data[2] };
  nn_image_converter_run (conv, planes, f.stride, out);
  ck_assert_float_eq (out[n], 12345.0f);

  double kr = matrix == NN_COLOR_MATRIX_BT709 ? 0.2126 : 0.299, kb = matrix == NN_COLOR_MATRIX_BT709 ? 0.0722 : 0.114;
  int n_comp = l->kind == GRAY ? 1 : 3;
  for (int oy = 0; oy < k->oh; oy++)
    for (int ox = 0; ox < k->ow; ox++) {
      double comp[3] = { 0 };
      for (int c = 0; c < n_comp; c++) {
        int xi[MAX_TAPS], yi[MAX_TAPS];
        double xw[MAX_TAPS], yw[MAX_TAPS];
        int nx = ref_taps (comp_w (l, c, k->w), k->ow, ox, xi, xw, MAX_TAPS);
        int ny = ref_taps (comp_h (l, c, k->h), k->oh, oy, yi, yw, MAX_TAPS);
        for (int j = 0; j < ny; j++)
          for (int i = 0; i < nx; i++)
            comp[c] += xw[i] * yw[j] * sample (l, &f, c, xi[i], yi[j]);
      }
      double ch[3];
      ref_decode (l, comp, limited, kr, kb, k->c, ch);
      for (int c = 0; c < k->c; c++) {
        double want = (CLAMP (ch[c], 0.0, 255.0) / 255.0 - pre.mean[c]) / pre.std[c];
        double got = out[(gsize) c * k->oh * k->ow + (gsize) oy * k->ow + ox];
        /* (Check's assertions cost a system call each: test first) */
        if (!(fabs (got - want) <= 1e-4))
          ck_abort_msg ("%s %dx%d -> %dx%dx%d %s: channel %d at (%d, %d): %.6f, want %.6f",
                        nn_pixel_format_name (l->fmt), k->w, k->h, k->c, k->oh, k->ow, limited ? "limited" : "full", c,
                        ox, oy, got, want);
      }
    }
  /* the bar is not met trivially: the outputs moved */
  double lo = out[0], hi = out[0];
  for (gsize i = 1; i < n; i++) {
    lo = MIN (lo, out[i]);
    hi = MAX (hi, out[i]);
  }
  ck_assert_msg (hi - lo > 0.05, "%s: a flat output", nn_pixel_format_name (l->fmt));
  g_free (out);
  nn_image_converter_free (conv);
  frame_free (&f);
}

START_TEST (test_resize_matches_reference)
{
  const Layout *l = &layouts[_i];
  g_autoptr (GRand) rng = g_rand_new_with_seed (1234 + _i);
  for (gsize k = 0; k < G_N_ELEMENTS (cases); k++)
    for (int limited = 0; limited < 2; limited++)
      check_case (l, &cases[k], limited, limited ? NN_COLOR_MATRIX_BT601 : NN_COLOR_MATRIX_BT709, rng);
}
END_TEST

/* A box taller than 257 rows: the converter sums 8-bit interior rows in
 * 16 bits, and must not overflow them. */
START_TEST (test_tall_box)
{
  g_autoptr (GRand) rng = g_rand_new_with_seed (99);
  const Case tall = { 40, 2000, 3, 3, 5 };  /* 666 rows a box */
  check_case (&layouts[NN_PIXEL_RGB24], &tall, FALSE, NN_COLOR_MATRIX_BT601, rng);
  check_case (&layouts[NN_PIXEL_I420], &tall, TRUE, NN_COLOR_MATRIX_BT601, rng);
  /* all-white: 666 x 255 overflows 16 bits by far */
  Frame f;
  frame_make (&layouts[NN_PIXEL_GRAY8], 40, 2000, rng, &f);
  memset (f.data[0], 255, (gsize) f.stride[0] * 1999 + 40);
  NnImageInfo info = { NN_PIXEL_GRAY8, 40, 2000, NN_COLOR_RANGE_FULL, NN_COLOR_MATRIX_AUTO };
  NnPreprocess pre = { 1, 3, 5, 1.0f, { 0 }, { 1 } };
  g_autoptr (NnImageConverter) conv = nn_image_converter_new (&info, &pre, NULL);
  float out[15];
  const guint8 *planes[1] = { f.data[0] };
  nn_image_converter_run (conv, planes, f.stride, out);
  for (int i = 0; i < 15; i++)
    ck_assert_float_eq_tol (out[i], 255.0f, 1e-3f);
  frame_free (&f);
}
END_TEST

static Suite *
suite (void)
{
  Suite *s = suite_create ("image-resize");
  TCase *tc = tcase_create ("core");
  tcase_set_timeout (tc, 120);
  tcase_add_loop_test (tc, test_resize_matches_reference, 0, G_N_ELEMENTS (layouts));
  tcase_add_test (tc, test_tall_box);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  return nn_check_run (suite ());
}
