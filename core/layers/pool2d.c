/* maxpool2d and avgpool2d: PyTorch's nn.MaxPool2d and nn.AvgPool2d.
 * Options "size" (kernel), "stride" (default: size), "padding" (int or pair,
 * at most half the kernel as PyTorch demands). Output sizes round down;
 * average pooling counts the padding (count_include_pad=True), max pooling
 * never picks it. Input (C, H, W) -> (C, OH, OW), no parameters. */
#include "nn-private.h"

typedef struct {
  int c, h, w;
  int kh, kw, sh, sw, ph, pw;
  int oh, ow;
} NnPool2dParams;

typedef struct {
  NnLayer parent;
  NnPool2dParams p;
  int32_t *argmax;   /* (capacity, C, OH, OW) index into the input plane, max pooling only */
} NnPool2d;

static gboolean
is_max (const NnLayer *l)
{
  return l->klass->type[0] == 'm';
}

static const NnKeyDef pool_keys[] = {
  { "size", NN_KEY_INTS, 1, NN_INT_MAX, "2", NULL, 1 << 2, "window k or [kh, kw]" },
  { "stride", NN_KEY_INTS, 1, NN_INT_MAX, "", NULL, 1 << 2, "s or [sh, sw]; default: the size" },
  { "padding", NN_KEY_INTS, 0, NN_INT_MAX, "0", NULL, 1 << 2,
    "p or [ph, pw], at most half the window (avg counts it as PyTorch does)" },
};

/* An int-or-pair option as two values. */
static void
spec_pair (const NnSpecLayer *spec, const char *key, int out[2])
{
  int v[4] = { 0 };
  if (nn_spec_layer_ints (spec, key, v) == 1)
    v[1] = v[0];
  out[0] = v[0], out[1] = v[1];
}

static gboolean
pool_create (NnLayer *l, const NnSpecLayer *spec, GError **error)
{
  NnPool2dParams *p = &((NnPool2d *) l)->p;
  const char *kind = l->klass->type;
  char buf[64];
  int k[2], s[2], pad[2];
  if (l->in.ndim != 3) {
    g_set_error (error, NN_ERROR, NN_ERROR_SHAPE, "layer \"%s\": %s needs a (C, H, W) input, got %s",
                 l->name, kind, nn_shape_to_string (&l->in, buf, sizeof buf));
    return FALSE;
  }
  spec_pair (spec, "size", k);
  spec_pair (spec, "padding", pad);
  if (nn_spec_layer_has (spec, "stride"))
    spec_pair (spec, "stride", s);
  else
    s[0] = k[0], s[1] = k[1];
  *p = (NnPool2dParams) { .c = (int) l->in.dim[0], .h = (int) l->in.dim[1], .w = (int) l->in.dim[2],
                          .kh = k[0], .kw = k[1], .sh = s[0], .sw = s[1], .ph = pad[0], .pw = pad[1] };
  if (2 * p->ph > p->kh || 2 * p->pw > p->kw) {
    g_set_error (error, NN_ERROR, NN_ERROR_INVALID,
                 "layer \"%s\": %s padding %dx%d is more than half the kernel %dx%d", l->name, kind,
                 p->ph, p->pw, p->kh, p->kw);
    return FALSE;
  }
  if (p->kh > p->h + 2 * p->ph || p->kw > p->w + 2 * p->pw) {
    g_set_error (error, NN_ERROR, NN_ERROR_SHAPE, "layer \"%s\": %s kernel %dx%d is larger than the input %s",
                 l->name, kind, p->kh, p->kw, nn_shape_to_string (&l->in, buf, sizeof buf));
    return FALSE;
  }
  p->oh = (p->h + 2 * p->ph - p->kh) / p->sh + 1;
  p->ow = (p->w + 2 * p->pw - p->kw) / p->sw + 1;
  l->out = nn_shape_3d (p->c, p->oh, p->ow);
  return TRUE;
}

static gboolean
pool_reserve (NnLayer *l, int n, GError **error)
{
  NnPool2d *pl = (NnPool2d *) l;
  if (!is_max (l))
    return TRUE;
  g_free (pl->argmax);
  pl->argmax = g_try_new (int32_t, (gsize) n * nn_shape_numel (&l->out));
  if (!pl->argmax) {
    g_set_error (error, NN_ERROR, NN_ERROR_FAILED, "layer \"%s\": cannot allocate the argmax cache", l->name);
    return FALSE;
  }
  return TRUE;
}

/* x (n*C planes of H*W) -> y (n*C planes of OH*OW); caches the argmax for backward. */
/* The common 2x2, stride 2, unpadded window. Forward only takes maxima, in a
 * loop the compiler vectorises (no argmax bookkeeping, no data-dependent
 * branches); backward finds the winner again as the first element equal to
 * the maximum, which is the one the generic scan would have picked. */
static gboolean
is_2x2 (const NnPool2dParams *p)
{
  return p->kh == 2 && p->kw == 2 && p->sh == 2 && p->sw == 2 && !p->ph && !p->pw;
}

/* An even width lets the row pairs' maxima, laid side by side, hold output
 * q's two candidates at 2q and 2q + 1: a block of output rows is then two
 * long loops rather than many rows of a few pixels each. */
#define POOL_BLOCK 2048

static void
maxpool_2x2 (const NnPool2dParams *p, const float *xp, float *y)
{
  if (p->w % 2 || p->w > POOL_BLOCK) {
    for (int oy = 0; oy < p->oh; oy++) {
      const float *r0 = xp + 2 * oy * p->w, *r1 = r0 + p->w;
      float *yo = y + oy * p->ow;
      for (int ox = 0; ox < p->ow; ox++)
        yo[ox] = nn_max_nan (nn_max_nan (r0[2 * ox], r1[2 * ox]), nn_max_nan (r0[2 * ox + 1], r1[2 * ox + 1]));
    }
    return;
  }
  float pairs[POOL_BLOCK];
  int rows = POOL_BLOCK / p->w;
  for (int oy = 0; oy < p->oh; oy += rows) {
    int nr = MIN (rows, p->oh - oy);
    for (int r = 0; r < nr; r++) {
      const float *r0 = xp + 2 * (oy + r) * p->w, *r1 = r0 + p->w;
      for (int x = 0; x < p->w; x++)
        pairs[r * p->w + x] = nn_max_nan (r0[x], r1[x]);
    }
    float *yo = y + oy * p->ow;
    for (int q = 0; q < nr * p->ow; q++)
      yo[q] = nn_max_nan (pairs[2 * q], pairs[2 * q + 1]);
  }
}

static void
maxpool_2x2_backward (const NnPool2dParams *p, const float *xp, const float *y, const float *dy, float *dx)
{
  for (int oy = 0; oy < p->oh; oy++) {
    const float *r0 = xp + 2 * oy * p->w, *r1 = r0 + p->w;
    float *d0 = dx + 2 * oy * p->w, *d1 = d0 + p->w;
    const float *yo = y + oy * p->ow, *g = dy + oy * p->ow;
    for (int ox = 0; ox < p->ow; ox++) {
      /* masks, not branches: the first element equal to the max takes it all
       * (a NaN maximum matches nothing and goes to the last element) */
      float m = yo[ox];
      int e0 = r0[2 * ox] == m, e1 = !e0 & (r0[2 * ox + 1] == m);
      int e2 = !(e0 | e1) & (r1[2 * ox] == m), e3 = !(e0 | e1 | e2);
      d0[2 * ox] += e0 * g[ox];
      d0[2 * ox + 1] += e1 * g[ox];
      d1[2 * ox] += e2 * g[ox];
      d1[2 * ox + 1] += e3 * g[ox];
    }
  }
}

/* Planes (sample, channel) are independent: each pooling splits them over
 * the threads. */
typedef struct {
  NnPool2d    *pl;
  const float *x, *y, *dy;
  float       *out;          /* forward: y; backward: dx */
} PoolJob;

static void
maxpool_planes (int lo, int hi, int t, gpointer data)
{
  const PoolJob *j = data;
  const NnPool2dParams *p = &j->pl->p;
  int64_t ohw = (int64_t) p->oh * p->ow;
  for (int64_t q = lo; q < hi; q++) {
    const float *xp = j->x + q * p->h * p->w;
    if (is_2x2 (p)) {
      maxpool_2x2 (p, xp, j->out + q * ohw);
      continue;
    }
    for (int oy = 0; oy < p->oh; oy++)
      for (int ox = 0; ox < p->ow; ox++) {
        int y0 = oy * p->sh - p->ph, x0 = ox * p->sw - p->pw;
        int ya = MAX (y0, 0), yb = MIN (y0 + p->kh, p->h), xa = MAX (x0, 0), xb = MIN (x0 + p->kw, p->w);
        int best = ya * p->w + xa;
        float m = xp[best];
        for (int iy = ya; iy < yb; iy++) {
          const float *r = xp + iy * p->w;
          for (int ix = xa; ix < xb; ix++)
            /* NaN wins, as in PyTorch, so it propagates instead of vanishing */
            if (r[ix] > m || r[ix] != r[ix]) {
              m = r[ix];
              best = iy * p->w + ix;
            }
        }
        int64_t o = q * ohw + oy * p->ow + ox;
        j->out[o] = m;
        j->pl->argmax[o] = best;
      }
  }
}

static void
maxpool_planes_backward (int lo, int hi, int t, gpointer data)
{
  const PoolJob *j = data;
  const NnPool2dParams *p = &j->pl->p;
  int64_t ohw = (int64_t) p->oh * p->ow, hw = (int64_t) p->h * p->w;
  memset (j->out + lo * hw, 0, sizeof (float) * (hi - lo) * hw);
  for (int64_t q = lo; q < hi; q++) {
    if (is_2x2 (p)) {
      maxpool_2x2_backward (p, j->x + q * hw, j->y + q * ohw, j->dy + q * ohw, j->out + q * hw);
      continue;
    }
    for (int64_t k = 0; k < ohw; k++)
      j->out[q * hw + j->pl->argmax[q * ohw + k]] += j->dy[q * ohw + k];
  }
}

static void
avgpool_planes (int lo, int hi, int t, gpointer data)
{
  const PoolJob *j = data;
  const NnPool2dParams *p = &j->pl->p;
  float scale = 1.0f / (float) (p->kh * p->kw);
  for (int64_t q = lo; q < hi; q++) {
    const float *xp = j->x + q * p->h * p->w;
    for (int oy = 0; oy < p->oh; oy++)
      for (int ox = 0; ox < p->ow; ox++) {
        int y0 = oy * p->sh - p->ph, x0 = ox * p->sw - p->pw;
        float sum = 0.0f;
        for (int iy = MAX (y0, 0); iy < MIN (y0 + p->kh, p->h); iy++)
          for (int ix = MAX (x0, 0); ix < MIN (x0 + p->kw, p->w); ix++)
            sum += xp[iy * p->w + ix];
        j->out[(q * p->oh + oy) * p->ow + ox] = sum * scale;
      }
  }
}

static void
avgpool_planes_backward (int lo, int hi, int t, gpointer data)
{
  const PoolJob *j = data;
  const NnPool2dParams *p = &j->pl->p;
  float scale = 1.0f / (float) (p->kh * p->kw);
  int64_t hw = (int64_t) p->h * p->w;
  memset (j->out + lo * hw, 0, sizeof (float) * (hi - lo) * hw);
  for (int64_t q = lo; q < hi; q++) {
    float *dxp = j->out + q * hw;
    for (int oy = 0; oy < p->oh; oy++)
      for (int ox = 0; ox < p->ow; ox++) {
        int y0 = oy * p->sh - p->ph, x0 = ox * p->sw - p->pw;
        float g = j->dy[(q * p->oh + oy) * p->ow + ox] * scale;
        for (int iy = MAX (y0, 0); iy < MIN (y0 + p->kh, p->h); iy++)
          for (int ix = MAX (x0, 0); ix < MIN (x0 + p->kw, p->w); ix++)
            dxp[iy * p->w + ix] += g;
      }
  }
}

/* Pool a batch's planes in parallel once there is enough work to pay a
 * thread's wake-up; a single frame stays on its thread, as in conv2d. */
static void
pool_run (NnLayer *l, NnRangeFunc fn, const float *x, const float *y, const float *dy, float *out, int n)
{
  PoolJob j = { (NnPool2d *) l, x, y, dy, out };
  int planes = n * (int) l->in.dim[0];
  gboolean split = n > 1 && n * nn_shape_numel (&l->in) >= 32768;
  nn_parallel_for (planes, split ? NN_MAX_THREADS : 1, fn, &j);
}

static void
pool_forward (NnLayer *l, const float *x, float *y, int n, gboolean training)
{
  pool_run (l, is_max (l) ? maxpool_planes : avgpool_planes, x, NULL, NULL, y, n);
}

static void
pool_backward (NnLayer *l, const float *x, const float *y, const float *dy, float *dx, int n)
{
  if (dx)
    pool_run (l, is_max (l) ? maxpool_planes_backward : avgpool_planes_backward, x, y, dy, dx, n);
}

static int64_t
pool_flops (const NnLayer *l)
{
  const NnPool2dParams *p = &((const NnPool2d *) l)->p;
  return (int64_t) p->c * p->oh * p->ow * p->kh * p->kw;
}

gboolean
nn_layer_is_maxpool2 (const NnLayer *l)
{
  return l->klass->create == pool_create && is_max (l) && is_2x2 (&((const NnPool2d *) l)->p);
}

static void
pool_finalize (NnLayer *l)
{
  g_free (((NnPool2d *) l)->argmax);
}

const NnLayerClass nn_maxpool2d_class = {
  .type = "maxpool2d",
  .size = sizeof (NnPool2d),
  NN_KEYS (pool_keys),
  .doc = "Max over each window (NaN passes, as in PyTorch): [C, H, W] -> [C, OH, OW], floor sizes as PyTorch.",
  .create = pool_create,
  .reserve = pool_reserve,
  .forward = pool_forward,
  .backward = pool_backward,
  .flops = pool_flops,
  .finalize = pool_finalize,
};

const NnLayerClass nn_avgpool2d_class = {
  .type = "avgpool2d",
  .size = sizeof (NnPool2d),
  NN_KEYS (pool_keys),
  .doc = "Mean over each window: [C, H, W] -> [C, OH, OW], floor sizes as PyTorch.",
  .create = pool_create,
  .reserve = pool_reserve,
  .forward = pool_forward,
  .backward = pool_backward,
  .flops = pool_flops,
  .finalize = pool_finalize,
};
