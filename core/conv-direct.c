/* A stride-1 3x3 convolution computed directly and pooled 2x2 (max, stride 2)
 * as it goes, for layers with few input channels: a gray or colour image's
 * first layer, where unfolding makes products only c*kh*kw deep and
 * Winograd's products one channel deep. Inference only.
 *
 * The zero-padded input is split into its four polyphase planes (even or odd
 * rows x even or odd columns). Output (2py + a, 2px + b) under tap (ki, kj)
 * reads plane ((a + ki) & 1, (b + kj) & 1) at (py + (a + ki) / 2, px + (b + kj)
 * / 2): for every window position and tap, one contiguous run over the pooled
 * positions, numbered over rows of `pitch` (pooled width + kw / 2; the extra
 * columns are computed and dropped). Eight pooled positions are computed at a
 * time in GCC vector types, the four window positions' sums in registers. */
#include "nn-private.h"
#ifdef __AVX__
#include <immintrin.h>
#endif

typedef float v8sf __attribute__ ((vector_size (32)));
typedef int v8si __attribute__ ((vector_size (32)));

typedef struct {
  int     ph, pw;      /* pooled output */
  int     pitch;       /* floats per plane row */
  int     rows;        /* plane rows */
  int64_t plane;       /* floats per plane, with room for the last chunk's overrun */
  int64_t q;           /* pooled positions computed: ph rows of pitch */
  int64_t q8;          /* the same rounded up to whole vectors */
} Poly;

static Poly
poly_geom (const NnUnfold *u)
{
  Poly g = { .ph = u->oh / 2, .pw = u->ow / 2 };
  g.pitch = g.pw + u->kw / 2;
  g.rows = g.ph + u->kh / 2 + 1;
  g.plane = (int64_t) g.rows * g.pitch + 8;
  g.q = (int64_t) g.ph * g.pitch;
  g.q8 = (g.q + 7) & ~7;
  return g;
}

gboolean
nn_direct_pool2_applies (const NnUnfold *u)
{
  return u->kh == 3 && u->kw == 3 && u->sh == 1 && u->sw == 1 && u->c <= 3 && u->oh >= 2 && u->ow >= 2;
}

/* the planes (c, 2, 2), then every filter's pooled rows (f, q8) */
int64_t
nn_direct_pool2_scratch_size (const NnUnfold *u, int f)
{
  Poly g = poly_geom (u);
  return 4 * u->c * g.plane + f * g.q8;
}

/* x (c, h, w) -> the planes. Only positions inside the input are written, so
 * the zeros the scratch was allocated with stay the padding. */
static void
split (const NnUnfold *u, const Poly *g, const float *x, float *planes)
{
  for (int c = 0; c < u->c; c++)
    for (int iy = 0; iy < u->h; iy++) {
      int r = iy + u->pt;
      if (r / 2 >= g->rows)
        continue;
      const float *src = x + ((int64_t) c * u->h + iy) * u->w;
      for (int cp = 0; cp < 2; cp++) {
        int ix0 = ((cp - u->pl) % 2 + 2) % 2;   /* first column with (ix + pl) & 1 == cp */
        int j0 = (ix0 + u->pl) / 2, n = MIN ((u->w - ix0 + 1) / 2, g->pitch - j0);
        float *restrict dst = planes + ((int64_t) (c * 2 + (r & 1)) * 2 + cp) * g->plane +
                              (int64_t) (r / 2) * g->pitch + j0;
        const float *restrict s = src + ix0;
        for (int k = 0; k < n; k++)
          dst[k] = s[2 * k];
      }
    }
}

static inline v8sf
load8 (const float *p)
{
  v8sf v;
  memcpy (&v, p, sizeof v);
  return v;
}

/* nn_max_nan on vectors: maxps already passes b's NaN on, a's is blended in */
static inline v8sf
max8 (v8sf a, v8sf b)
{
#ifdef __AVX__
  return (v8sf) _mm256_blendv_ps (_mm256_max_ps (a, b), a, _mm256_cmp_ps (a, a, _CMP_UNORD_Q));
#else
  v8si m = (a > b) | (a != a);
  return (v8sf) ((m & (v8si) a) | (~m & (v8si) b));
#endif
}

/* One channel's 16 distinct source vectors for eight pooled positions from
 * q0: rows and columns a + ki, b + kj in 0 .. 3 of the padded input. */
static inline __attribute__ ((always_inline)) void
sources (const Poly *g, const float *planes, int64_t q0, v8sf src[4][4])
{
  for (int r = 0; r < 4; r++)
    for (int s = 0; s < 4; s++)
      src[r][s] = load8 (planes + ((r & 1) * 2 + (s & 1)) * g->plane + (int64_t) (r / 2) * g->pitch + s / 2 + q0);
}

/* A 3x3 kernel k over the four window positions: 36 multiply-adds, the
 * constant loops unrolled. */
static inline __attribute__ ((always_inline)) void
taps3x3 (const v8sf src[4][4], const float *k, v8sf acc[4])
{
  for (int ki = 0; ki < 3; ki++)
    for (int kj = 0; kj < 3; kj++) {
      float kv = k[ki * 3 + kj];
      v8sf wv = { kv, kv, kv, kv, kv, kv, kv, kv };
      for (int a = 0; a < 2; a++)
        for (int b = 0; b < 2; b++)
          acc[2 * a + b] += wv * src[a + ki][b + kj];
    }
}

/* built with -ffp-contract=fast (core/meson.build): the multiply-adds fuse */
void
nn_direct_pool2_forward (const NnUnfold *u, int f, const float *w, const float *bias, const float *x, float *y,
                         float *scratch)
{
  Poly g = poly_geom (u);
  float *planes = scratch, *rows = planes + 4 * u->c * g.plane;
  split (u, &g, x, planes);
  v8sf src[4][4][4];   /* (c, 4, 4) */
  for (int64_t q0 = 0; q0 < g.q; q0 += 8) {
    for (int c = 0; c < u->c; c++)
      sources (&g, planes + 4 * c * g.plane, q0, src[c]);
    for (int fi = 0; fi < f; fi++) {
      v8sf acc[4] = { 0 };
      for (int c = 0; c < u->c; c++)
        taps3x3 (src[c], w + (fi * u->c + c) * 9, acc);
      v8sf v = max8 (max8 (acc[0], acc[1]), max8 (acc[2], acc[3]));
      memcpy (rows + fi * g.q8 + q0, &v, sizeof v);
    }
  }
  for (int fi = 0; fi < f; fi++) {
    float b = bias ? bias[fi] : 0.0f;
    float *yf = y + (int64_t) fi * g.ph * g.pw;
    const float *rf = rows + fi * g.q8;
    for (int py = 0; py < g.ph; py++)
      for (int px = 0; px < g.pw; px++)
        yf[py * g.pw + px] = rf[(int64_t) py * g.pitch + px] + b;
  }
}
