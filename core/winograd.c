/* Winograd F(2x2, 3x3) (Lavin and Gray, 2015): a stride-1 3x3 convolution
 * computed in 2x2 output tiles. Each 4x4 input tile d becomes V = Bt d B, each
 * 3x3 kernel g becomes U = G g Gt, and a tile's output is At (U . V) A. Summed
 * over the input channels, the 16 elementwise products are 16 matrix products
 * (f, c) x (c, tiles): 16 multiplications per 4 outputs instead of 36, and no
 * unfolding. The transforms below are plain loops over all tiles at once,
 * which the compiler vectorises. A NaN or infinity in a tile's input spreads
 * to the tile's four outputs (the transforms mix all sixteen inputs). */
#include "nn-private.h"
#include "gemm-private.h"

gboolean
nn_winograd_applies (const NnUnfold *u)
{
  return u->kh == 3 && u->kw == 3 && u->sh == 1 && u->sw == 1;
}

/* Tiles are numbered over a grid one column wider than the output needs
 * (pitch tw + 1 = half the padded width), so that tile u starts at float 2u
 * of each row-transformed input and every transform is one long loop over
 * all tiles. The extra column's tiles are computed and never written out. */
static int
pitch (const NnWinograd *wg)
{
  return wg->tw + 1;
}

static int64_t
tiles (const NnWinograd *wg)
{
  return (int64_t) wg->th * pitch (wg);
}

gboolean
nn_winograd_init (NnWinograd *wg, const NnUnfold *u, int f)
{
  g_return_val_if_fail (nn_winograd_applies (u), FALSE);
  nn_winograd_clear (wg);
  wg->g = *u;
  wg->f = f;
  wg->th = (u->oh + 1) / 2;
  wg->tw = (u->ow + 1) / 2;
  wg->u = g_try_new (float, 16 * (gsize) f * u->c);
  wg->w_seen = g_try_new (float, 9 * (gsize) f * u->c);
  return wg->u && wg->w_seen;
}

void
nn_winograd_clear (NnWinograd *wg)
{
  g_clear_pointer (&wg->u, g_free);
  g_clear_pointer (&wg->w_seen, g_free);
  wg->ready = FALSE;
}

/* V (16, c, tiles) and M (16, f, tiles) share one buffer, which keeps the
 * working set small enough for a LeNet's conv and its dense layer to stay
 * in L2 together: M's products are written from its start, V lies at
 * `v_offset`, where product xi, written while V_xi is read, never reaches
 * a V_xi' not yet read. */
static int64_t
v_offset (const NnWinograd *wg, int64_t cols)
{
  int64_t sv = wg->g.c * cols, sm = wg->f * cols;
  return MAX (sm, 16 * sm - 15 * sv);
}

static int64_t
products_size (const NnWinograd *wg, int64_t cols)
{
  return MAX (v_offset (wg, cols) + 16 * wg->g.c * cols, 16 * wg->f * cols);
}

/* Several samples' tiles side by side make the 16 products wider: fewer
 * calls, each with its fixed cost (packing), spread over more columns. A
 * group stops growing at half a core's L2 (512 KiB of V and M): past it the
 * products stream from memory (a LeNet's batch of 8 as one group: 8 % more
 * time per sample than one at a time; grouped up to this bound: 3-6 % less). */
#define GROUP_FLOATS (128 * 1024)

int64_t
nn_winograd_reserve (NnWinograd *wg, int n)
{
  int64_t t = tiles (wg);
  int g = 1;
  while (g < n && products_size (wg, (g + 1) * t) <= GROUP_FLOATS)
    g++;
  wg->group = g;
  /* a zero input row (w), the input's rows combined (4 x 2 tiles, + slack
   * for the extra column's last tile), two output rows per tile row
   * (2 x 2 tiles), then V and M of a group */
  return wg->g.w + 8 * t + 4 + 4 * t + products_size (wg, g * t);
}

/* U = G g Gt for every (filter, channel), stored (16, f, c): the 16 products'
 * left operands. */
static void
transform_weights (NnWinograd *wg, const float *w)
{
  int64_t fc = (int64_t) wg->f * wg->g.c;
  for (int64_t q = 0; q < fc; q++) {
    const float *g = w + 9 * q;
    float t[4][3];
    for (int j = 0; j < 3; j++) {
      t[0][j] = g[j];
      t[1][j] = 0.5f * (g[j] + g[3 + j] + g[6 + j]);
      t[2][j] = 0.5f * (g[j] - g[3 + j] + g[6 + j]);
      t[3][j] = g[6 + j];
    }
    for (int i = 0; i < 4; i++) {
      float v[4] = { t[i][0], 0.5f * (t[i][0] + t[i][1] + t[i][2]), 0.5f * (t[i][0] - t[i][1] + t[i][2]),
                     t[i][2] };
      for (int j = 0; j < 4; j++)
        wg->u[(i * 4 + j) * fc + q] = v[j];
    }
  }
}

/* Weights change under training, loading or a caller's hand: comparing them
 * with those last transformed (a few KiB) is cheaper than transforming again
 * and needs no bookkeeping elsewhere. */
void
nn_winograd_prepare (NnWinograd *wg, const float *w)
{
  gsize sz = 9 * sizeof (float) * wg->f * wg->g.c;
  if (wg->ready && memcmp (w, wg->w_seen, sz) == 0)
    return;
  transform_weights (wg, w);
  memcpy (wg->w_seen, w, sz);
  wg->ready = TRUE;
}

/* x (c, h, w) -> V (16, c, cols), this sample's tiles at v's columns.
 * Per channel, Bt combines each tile row's four input rows (rows above or
 * below the input read `zero`) into rows (tmp: 4 x tiles x 2, whose padding
 * columns are never written and stay zero), then B combines each tile's
 * columns 2u .. 2u+3. */
static void
transform_input (const NnWinograd *wg, const float *x, const float *zero, float *restrict tmp, float *restrict v,
                 int64_t cols)
{
  const NnUnfold *u = &wg->g;
  int wp = 2 * pitch (wg);
  int64_t t = tiles (wg), ct = (int64_t) u->c * cols;
  for (int c = 0; c < u->c; c++) {
    const float *plane = x + (int64_t) c * u->h * u->w;
    for (int ty = 0; ty < wg->th; ty++) {
      const float *r[4];
      for (int k = 0; k < 4; k++) {
        int iy = 2 * ty + k - u->pt;
        r[k] = iy >= 0 && iy < u->h ? plane + (int64_t) iy * u->w : zero;
      }
      const float *restrict r0 = r[0], *restrict r1 = r[1], *restrict r2 = r[2], *restrict r3 = r[3];
      float *restrict t0 = tmp + (int64_t) ty * wp + u->pl;
      for (int q = 0; q < u->w; q++) {
        t0[q] = r0[q] - r2[q];
        t0[2 * t + q] = r1[q] + r2[q];
        t0[4 * t + q] = r2[q] - r1[q];
        t0[6 * t + q] = r1[q] - r3[q];
      }
    }
    for (int i = 0; i < 4; i++) {
      const float *restrict d = tmp + 2 * i * t;
      float *restrict v0 = v + 4 * i * ct + c * cols, *v1 = v0 + ct, *v2 = v1 + ct, *v3 = v2 + ct;
      for (int64_t q = 0; q < t; q++) {
        float a = d[2 * q], b = d[2 * q + 1], cc = d[2 * q + 2], e = d[2 * q + 3];
        v0[q] = a - cc;
        v1[q] = b + cc;
        v2[q] = cc - b;
        v3[q] = b - e;
      }
    }
  }
}

/* Tile q's 2x2 outputs At m A (without bias) from one filter's 16 product
 * rows m, ft apart: o = { top left, top right, bottom left, bottom right }. */
static inline __attribute__ ((always_inline)) void
tile_out (const float *m, int64_t ft, int64_t q, float o[4])
{
  float s0[4], s1[4];
  for (int j = 0; j < 4; j++) {
    float m0 = m[j * ft + q], m1 = m[(4 + j) * ft + q], m2 = m[(8 + j) * ft + q], m3 = m[(12 + j) * ft + q];
    s0[j] = m0 + m1 + m2;
    s1[j] = m1 - m2 - m3;
  }
  o[0] = s0[0] + s0[1] + s0[2];
  o[1] = s0[1] - s0[2] - s0[3];
  o[2] = s1[0] + s1[1] + s1[2];
  o[3] = s1[1] - s1[2] - s1[3];
}

/* One filter's outputs + b, laid out as two rows per tile row (r: 2 x 2 tiles). */
static void
output_tiles (const float *restrict m, int64_t ft, int64_t t, float b, float *restrict r)
{
  for (int64_t q = 0; q < t; q++) {
    float o[4];
    tile_out (m, ft, q, o);
    r[2 * q] = o[0] + b;
    r[2 * q + 1] = o[1] + b;
    r[2 * t + 2 * q] = o[2] + b;
    r[2 * t + 2 * q + 1] = o[3] + b;
  }
}

static void
copy_row (const float *restrict src, int n, float *restrict dst)
{
  for (int i = 0; i < n; i++)
    dst[i] = src[i];
}

/* M (16, f, cols), this sample's tiles at m's columns -> y (f, oh, ow);
 * the extra column's tiles, and a tile past an odd edge, are left out. */
static void
transform_output (const NnWinograd *wg, const float *m, int64_t cols, const float *bias, float *tmp, float *y)
{
  int oh = wg->g.oh, ow = wg->g.ow, wp = 2 * pitch (wg);
  int64_t t = tiles (wg), ft = (int64_t) wg->f * cols;
  for (int f = 0; f < wg->f; f++) {
    output_tiles (m + f * cols, ft, t, bias ? bias[f] : 0.0f, tmp);
    for (int oy = 0; oy < oh; oy++)
      copy_row (tmp + (oy & 1) * 2 * t + (int64_t) (oy / 2) * wp, ow, y + ((int64_t) f * oh + oy) * ow);
  }
}

/* A tile's 2x2 outputs are a 2x2 pooling window: each tile's maximum (no
 * bias yet: max (v + b) = max (v) + b), one row of tiles after another. */
static void
pool_tiles (const float *restrict m, int64_t ft, int64_t t, float *restrict r)
{
  for (int64_t q = 0; q < t; q++) {
    float o[4];
    tile_out (m, ft, q, o);
    r[q] = nn_max_nan (nn_max_nan (o[0], o[1]), nn_max_nan (o[2], o[3]));
  }
}

/* The pooled outputs of one sample, from its tiles at m's columns. */
static void
pool_output (const NnWinograd *wg, const float *m, int64_t cols, const float *bias, float *tmp, float *y)
{
  int ph = wg->g.oh / 2, pw = wg->g.ow / 2, tp = pitch (wg);
  int64_t t = tiles (wg), ft = (int64_t) wg->f * cols;
  for (int f = 0; f < wg->f; f++) {
    pool_tiles (m + f * cols, ft, t, tmp);
    float b = bias ? bias[f] : 0.0f;
    float *yf = y + (int64_t) f * ph * pw;
    for (int py = 0; py < ph; py++)
      for (int px = 0; px < pw; px++)
        yf[py * pw + px] = tmp[(int64_t) py * tp + px] + b;
  }
}

/* n samples, a group of them at a time: each group's inputs transformed
 * side by side into V (16, c, g * tiles), 16 products into M (16, f,
 * g * tiles), then each sample's outputs. */
static void
forward_groups (const NnWinograd *wg, const float *bias, const float *x, float *y, int n, float *scratch,
                gboolean pooled)
{
  g_return_if_fail (wg->ready && wg->group >= 1);
  const NnUnfold *u = &wg->g;
  int c = u->c, f = wg->f;
  int64_t t = tiles (wg), in_sz = (int64_t) c * u->h * u->w;
  int64_t out_sz = pooled ? (int64_t) f * (u->oh / 2) * (u->ow / 2) : (int64_t) f * u->oh * u->ow;
  float *zero = scratch, *tin = zero + u->w, *tmp = tin + 8 * t + 4, *m = tmp + 4 * t;
  for (int s0 = 0; s0 < n; s0 += wg->group) {
    int g = MIN (wg->group, n - s0);
    int64_t cols = g * t;
    float *v = m + v_offset (wg, cols);
    for (int s = 0; s < g; s++)
      transform_input (wg, x + (s0 + s) * in_sz, zero, tin, v + s * t, cols);
    for (int xi = 0; xi < 16; xi++) {
      float *mx = m + xi * f * cols;
      /* zeroed here and added to: OpenBLAS's own pass for beta 0 took a
       * fifth of the inference (sgemm_beta), several times a memset's time;
       * M_xi never overlaps a V still to be read (v_offset) */
      memset (mx, 0, sizeof (float) * f * cols);
      nn_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, f, (int) cols, c, 1.0f, wg->u + (int64_t) xi * f * c,
                   c, v + xi * c * cols, (int) cols, 1.0f, mx, (int) cols);
    }
    for (int s = 0; s < g; s++)
      (pooled ? pool_output : transform_output) (wg, m + s * t, cols, bias, tmp, y + (s0 + s) * out_sz);
  }
}

void
nn_winograd_forward (const NnWinograd *wg, const float *bias, const float *x, float *y, int n, float *scratch)
{
  forward_groups (wg, bias, x, y, n, scratch, FALSE);
}

void
nn_winograd_forward_pool2 (const NnWinograd *wg, const float *bias, const float *x, float *y, int n,
                           float *scratch)
{
  forward_groups (wg, bias, x, y, n, scratch, TRUE);
}
