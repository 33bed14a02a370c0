/* upsample2d: PyTorch's nn.Upsample with an integer "scale" (or [sh, sw]) and
 * "mode" "nearest" or "bilinear" (align_corners=False: pixel centres line up,
 * sources clamp at the border). (C, H, W) -> (C, H*sh, W*sw), no parameters.
 *
 * Every output pixel mixes at most two rows and two columns of the input; the
 * taps and their weights are tabulated once per layer. */
#include "nn-private.h"

typedef struct {
  int *i0, *i1;   /* (out) source indices */
  float *t;       /* (out) weight of i1; i0 gets 1 - t */
} NnTaps;

typedef struct {
  NnLayer parent;
  int c, h, w, oh, ow;
  gboolean bilinear;
  NnTaps ty, tx;
} NnUpsample;

static void
make_taps (NnTaps *t, int in, int scale, gboolean bilinear)
{
  int out = in * scale;
  t->i0 = g_new (int, out);
  t->i1 = g_new (int, out);
  t->t = g_new (float, out);
  for (int o = 0; o < out; o++) {
    if (!bilinear) {
      t->i0[o] = t->i1[o] = o / scale;
      t->t[o] = 0.0f;
      continue;
    }
    /* PyTorch's arithmetic (area_pixel_compute_source_index): a float
     * 1/scale times (o + 0.5) in double, rounded to float, clamped at 0 */
    const float inv = (float) (1.0 / scale);
    float src = (float) (inv * (o + 0.5) - 0.5);
    src = MAX (src, 0.0f);
    int i0 = MIN ((int) src, in - 1);
    t->i0[o] = i0;
    t->i1[o] = MIN (i0 + 1, in - 1);
    t->t[o] = CLAMP (src - (float) i0, 0.0f, 1.0f);
  }
}

static void
free_taps (NnTaps *t)
{
  g_free (t->i0);
  g_free (t->i1);
  g_free (t->t);
}

static const NnKeyDef up_keys[] = {
  { "scale", NN_KEY_INTS, 1, NN_INT_MAX, "2", NULL, 1 << 2, "k or [sh, sw]" },
  { "mode", NN_KEY_STRING, 0, 0, "\"nearest\"", "nearest|bilinear", 0, "bilinear: align_corners = False" },
};

static gboolean
up_create (NnLayer *l, const NnSpecLayer *spec, GError **error)
{
  NnUpsample *u = (NnUpsample *) l;
  char buf[64];
  int s[4];
  if (l->in.ndim != 3) {
    g_set_error (error, NN_ERROR, NN_ERROR_SHAPE, "layer \"%s\": upsample2d needs a (C, H, W) input, got %s",
                 l->name, nn_shape_to_string (&l->in, buf, sizeof buf));
    return FALSE;
  }
  if (nn_spec_layer_ints (spec, "scale", s) == 1)
    s[1] = s[0];
  gboolean bilinear = g_str_equal (nn_spec_layer_string (spec, "mode"), "bilinear");
  u->c = (int) l->in.dim[0], u->h = (int) l->in.dim[1], u->w = (int) l->in.dim[2];
  if ((int64_t) u->h * s[0] > G_MAXINT / 4 || (int64_t) u->w * s[1] > G_MAXINT / 4) {
    g_set_error (error, NN_ERROR, NN_ERROR_SHAPE, "layer \"%s\": upsample2d output too large", l->name);
    return FALSE;
  }
  u->oh = u->h * s[0], u->ow = u->w * s[1];
  u->bilinear = bilinear;
  make_taps (&u->ty, u->h, s[0], bilinear);
  make_taps (&u->tx, u->w, s[1], bilinear);
  l->out = nn_shape_3d (u->c, u->oh, u->ow);
  return TRUE;
}

/* PyTorch's bilinear tap, (1 - t) * a + t * b, both products always taken:
 * a + t * (b - a) would give NaN for an infinite a or b and overflow for
 * values of opposite sign near the float limit. Like PyTorch, a zero weight
 * on an infinite tap still gives NaN (0 * inf), so the border and the
 * single-row case match it value for value. */
static inline float
lerp_tap (float a, float b, float t)
{
  return a * (1.0f - t) + b * t;
}

/* x (n*C planes of H*W) -> y (n*C planes of OH*OW) */
static void
up_forward (NnLayer *l, const float *x, float *y, int n, gboolean training)
{
  NnUpsample *u = (NnUpsample *) l;
  for (int64_t q = 0; q < (int64_t) n * u->c; q++) {
    const float *xp = x + q * u->h * u->w;
    float *yp = y + q * u->oh * u->ow;
    for (int oy = 0; oy < u->oh; oy++) {
      const float *r0 = xp + u->ty.i0[oy] * u->w, *r1 = xp + u->ty.i1[oy] * u->w;
      float ty = u->ty.t[oy];
      if (!u->bilinear) {
        /* nearest copies: an inf or NaN stays where it is */
        for (int ox = 0; ox < u->ow; ox++)
          yp[oy * u->ow + ox] = r0[u->tx.i0[ox]];
        continue;
      }
      /* columns first, then rows: PyTorch's order of the separable taps */
      for (int ox = 0; ox < u->ow; ox++) {
        int a = u->tx.i0[ox], b = u->tx.i1[ox];
        float tx = u->tx.t[ox];
        yp[oy * u->ow + ox] = lerp_tap (lerp_tap (r0[a], r0[b], tx), lerp_tap (r1[a], r1[b], tx), ty);
      }
    }
  }
}

/* Each output gradient goes back to its (up to) four taps. */
static void
up_backward (NnLayer *l, const float *x, const float *y, const float *dy, float *dx, int n)
{
  NnUpsample *u = (NnUpsample *) l;
  if (!dx)
    return;
  memset (dx, 0, sizeof (float) * n * nn_shape_numel (&l->in));
  for (int64_t q = 0; q < (int64_t) n * u->c; q++) {
    float *xp = dx + q * u->h * u->w;
    const float *gp = dy + q * u->oh * u->ow;
    for (int oy = 0; oy < u->oh; oy++) {
      float *r0 = xp + u->ty.i0[oy] * u->w, *r1 = xp + u->ty.i1[oy] * u->w;
      float ty = u->ty.t[oy];
      if (!u->bilinear) {
        for (int ox = 0; ox < u->ow; ox++)
          r0[u->tx.i0[ox]] += gp[oy * u->ow + ox];
        continue;
      }
      for (int ox = 0; ox < u->ow; ox++) {
        int a = u->tx.i0[ox], b = u->tx.i1[ox];
        float tx = u->tx.t[ox], g = gp[oy * u->ow + ox];
        r0[a] += g * (1.0f - ty) * (1.0f - tx);
        r0[b] += g * (1.0f - ty) * tx;
        r1[a] += g * ty * (1.0f - tx);
        r1[b] += g * ty * tx;
      }
    }
  }
}

static int64_t
up_flops (const NnLayer *l)
{
  return 6 * nn_shape_numel (&l->out);
}

static void
up_finalize (NnLayer *l)
{
  NnUpsample *u = (NnUpsample *) l;
  free_taps (&u->ty);
  free_taps (&u->tx);
}

const NnLayerClass nn_upsample2d_class = {
  .type = "upsample2d",
  .size = sizeof (NnUpsample),
  NN_KEYS (up_keys),
  .doc = "Nearest or bilinear upsampling: [C, H, W] -> [C, sh*H, sw*W].",
  .create = up_create,
  .forward = up_forward,
  .backward = up_backward,
  .flops = up_flops,
  .finalize = up_finalize,
};
