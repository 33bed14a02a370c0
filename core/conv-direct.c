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
 * columns are computed and dropped). A vector of pooled positions is computed
 * at a time in GCC vector types, the four window positions' sums in registers:
 * eight on the portable and AVX2 paths, sixteen on AVX-512 (conv-direct-vec.h,
 * included once per width; cpu-private.h chooses). */
#include "nn-private.h"
#include "cpu-private.h"

/* the widest vector of any path: the scratch is sized for it */
#define VMAX 16

typedef struct {
  int     ph, pw;      /* pooled output */
  int     pitch;       /* floats per plane row */
  int     rows;        /* plane rows */
  int64_t plane;       /* floats per plane, with room for the last vector's overrun */
  int64_t q;           /* pooled positions computed: ph rows of pitch */
  int64_t qv;          /* the same rounded up to whole vectors of VMAX */
} Poly;

static Poly
poly_geom (const NnUnfold *u)
{
  Poly g = { .ph = u->oh / 2, .pw = u->ow / 2 };
  g.pitch = g.pw + u->kw / 2;
  g.rows = g.ph + u->kh / 2 + 1;
  g.plane = (int64_t) g.rows * g.pitch + VMAX;
  g.q = (int64_t) g.ph * g.pitch;
  g.qv = (g.q + VMAX - 1) / VMAX * VMAX;
  return g;
}

gboolean
nn_direct_pool2_applies (const NnUnfold *u)
{
  return u->kh == 3 && u->kw == 3 && u->sh == 1 && u->sw == 1 && u->c <= 3 && u->oh >= 2 && u->ow >= 2;
}

/* the planes (c, 2, 2), then every filter's pooled rows (f, qv) */
int64_t
nn_direct_pool2_scratch_size (const NnUnfold *u, int f)
{
  Poly g = poly_geom (u);
  return 4 * u->c * g.plane + f * g.qv;
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

/* vector functions taking and returning wide types are all inlined into the
 * path's entry: no call passes them, so the ABI note GCC gives is moot */
#pragma GCC diagnostic ignored "-Wpsabi"

typedef float v8sf __attribute__ ((vector_size (32)));
typedef int v8si __attribute__ ((vector_size (32)));
typedef float v16sf __attribute__ ((vector_size (64)));
typedef int v16si __attribute__ ((vector_size (64)));

#define V v8sf
#define VI v8si
#define VW 8
#define VEC(name) name##_8
#include "conv-direct-vec.h"
#undef V
#undef VI
#undef VW
#undef VEC

#define V v16sf
#define VI v16si
#define VW 16
#define VEC(name) name##_16
#include "conv-direct-vec.h"

#define DIRECT_PARAMS \
  (const NnUnfold *u, int f, const float *w, const float *bias, const float *x, float *y, float *scratch)

static void
direct_portable DIRECT_PARAMS
{
  forward_8 (u, f, w, bias, x, y, scratch);
}

NN_TARGET_AVX2 static void
direct_avx2 DIRECT_PARAMS
{
  forward_8 (u, f, w, bias, x, y, scratch);
}

NN_TARGET_AVX512 static void
direct_avx512 DIRECT_PARAMS
{
  forward_16 (u, f, w, bias, x, y, scratch);
}

static void (*const direct_paths[NN_CPU_N_PATHS]) DIRECT_PARAMS = { direct_portable, direct_avx2, direct_avx512 };

void
nn_direct_pool2_forward (const NnUnfold *u, int f, const float *w, const float *bias, const float *x, float *y,
                         float *scratch)
{
  NN_CPU_CALL (direct) (u, f, w, bias, x, y, scratch);
}
