/* conv2d_transpose: PyTorch's nn.ConvTranspose2d (no dilation, no groups),
 * the up-sampling convolution of DCGAN generators.
 * weight (C, F, kh, kw) as PyTorch stores it, bias (F). Input (C, H, W) ->
 * (F, OH, OW) with OH = (H - 1) * stride - 2 * padding + kh + output_padding.
 *
 * It is conv2d's input gradient run forwards: each sample's columns
 * col (F*kh*kw, H*W) = W^T (F*kh*kw, C) x (C, H*W) are folded (col2im) into
 * the output; backward unfolds dy (im2col) and multiplies by W again. */
#include "nn-private.h"
#include "gemm-private.h"

typedef struct {
  int c, h, w;                 /* input */
  int f, kh, kw;               /* output channels, kernel */
  int sh, sw;                  /* stride */
  int ph, pw;                  /* padding, cropped from both sides of the output */
  int oph, opw;                /* output padding, added at the bottom and right */
  int oh, ow;                  /* output */
} NnConvT2dParams;

typedef struct {
  NnLayer parent;
  NnConvT2dParams p;
  float *w, *b;                /* (C, F*kh*kw), (F) or NULL */
  float *scratch;              /* per thread: columns (col_len) or their gradient; threads > 0
                                * also their share of dW and db */
  int64_t col_len;             /* one sample's columns (F*kh*kw, H*W), or a 1x1 input's for the
                                * whole batch (n, F*kh*kw) */
  int    threads;
} NnConvT2d;

static int64_t
ct_k (const NnConvT2dParams *p)
{
  return (int64_t) p->f * p->kh * p->kw;
}

static int64_t
ct_hw (const NnConvT2dParams *p)
{
  return (int64_t) p->h * p->w;
}

static int64_t
ct_ohw (const NnConvT2dParams *p)
{
  return (int64_t) p->oh * p->ow;
}

static const NnKeyDef ct_keys[] = {
  { "filters", NN_KEY_INT, 1, NN_INT_MAX, NULL, NULL, 0, "output channels F" },
  { "kernel", NN_KEY_INTS, 1, NN_INT_MAX, NULL, NULL, 1 << 2, "k or [kh, kw]" },
  { "stride", NN_KEY_INTS, 1, NN_INT_MAX, "1", NULL, 1 << 2, "s or [sh, sw]" },
  { "padding", NN_KEY_INTS, 0, NN_INT_MAX, "0", NULL, 1 << 2, "p or [ph, pw], cropped from both sides" },
  { "output_padding", NN_KEY_INTS, 0, NN_INT_MAX, "0", NULL, 1 << 2,
    "added at the bottom/right; less than the stride" },
  { "bias", NN_KEY_BOOL, 0, 0, "true", NULL, 0, "add a learnt bias" },
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
ct_params (NnLayer *l, const NnSpecLayer *spec, NnConvT2dParams *p, GError **error)
{
  char buf[64];
  if (l->in.ndim != 3) {
    g_set_error (error, NN_ERROR, NN_ERROR_SHAPE, "layer \"%s\": conv2d_transpose needs a (C, H, W) input, got %s",
                 l->name, nn_shape_to_string (&l->in, buf, sizeof buf));
    return FALSE;
  }
  int k[2], s[2], pad[2], op[2];
  p->f = nn_spec_layer_int (spec, "filters");
  spec_pair (spec, "kernel", k);
  spec_pair (spec, "stride", s);
  spec_pair (spec, "padding", pad);
  spec_pair (spec, "output_padding", op);
  p->c = (int) l->in.dim[0], p->h = (int) l->in.dim[1], p->w = (int) l->in.dim[2];
  p->kh = k[0], p->kw = k[1], p->sh = s[0], p->sw = s[1];
  p->ph = pad[0], p->pw = pad[1], p->oph = op[0], p->opw = op[1];
  if (p->oph >= p->sh || p->opw >= p->sw) {
    g_set_error (error, NN_ERROR, NN_ERROR_INVALID,
                 "layer \"%s\": conv2d_transpose \"output_padding\" %dx%d must be smaller than the stride %dx%d",
                 l->name, p->oph, p->opw, p->sh, p->sw);
    return FALSE;
  }
  int64_t oh = (int64_t) (p->h - 1) * p->sh - 2 * p->ph + p->kh + p->oph;
  int64_t ow = (int64_t) (p->w - 1) * p->sw - 2 * p->pw + p->kw + p->opw;
  if (oh < 1 || ow < 1 || oh > G_MAXINT / 4 || ow > G_MAXINT / 4) {
    g_set_error (error, NN_ERROR, NN_ERROR_SHAPE,
                 "layer \"%s\": conv2d_transpose padding %dx%d leaves no output (%" G_GINT64_FORMAT "x%"
                 G_GINT64_FORMAT ") for input %s", l->name, p->ph, p->pw, oh, ow,
                 nn_shape_to_string (&l->in, buf, sizeof buf));
    return FALSE;
  }
  p->oh = (int) oh, p->ow = (int) ow;
  return TRUE;
}

static gboolean
ct_create (NnLayer *l, const NnSpecLayer *spec, GError **error)
{
  NnConvT2d *ct = (NnConvT2d *) l;
  NnConvT2dParams *p = &ct->p;
  if (!ct_params (l, spec, p, error))
    return FALSE;
  l->out = nn_shape_3d (p->f, p->oh, p->ow);
  NnShape ws = nn_shape_4d (p->c, p->f, p->kh, p->kw), bs = nn_shape_1d (p->f);
  ct->w = nn_layer_add_param (l, "weight", &ws, TRUE, TRUE);
  ct->b = nn_spec_layer_bool (spec, "bias") ? nn_layer_add_param (l, "bias", &bs, TRUE, FALSE) : NULL;
  return TRUE;
}

/* The columns do not depend on the batch: one sample's worth is enough. */
static int64_t
ct_scratch_size (const NnConvT2d *ct)
{
  return ct->col_len + ct->p.c * ct_k (&ct->p) + ct->p.f;
}

static gboolean
ct_reserve (NnLayer *l, int n, GError **error)
{
  NnConvT2d *ct = (NnConvT2d *) l;
  ct->threads = nn_get_threads ();
  ct->col_len = ct_k (&ct->p) * (ct_hw (&ct->p) == 1 ? n : ct_hw (&ct->p));
  gsize sz = (gsize) (ct_scratch_size (ct) * ct->threads);
  g_free (ct->scratch);
  ct->scratch = g_try_new (float, sz);
  if (!ct->scratch) {
    g_set_error (error, NN_ERROR, NN_ERROR_FAILED, "layer \"%s\": cannot allocate %" G_GSIZE_FORMAT
                 " floats of column scratch", l->name, sz);
    return FALSE;
  }
  return TRUE;
}

static void
ct_init (NnLayer *l, GRand *rng)
{
  NnConvT2d *ct = (NnConvT2d *) l;
  /* PyTorch computes fan_in from weight.size(1): the output channels */
  float bound = 1.0f / sqrtf ((float) ct_k (&ct->p));
  nn_fill_uniform (ct->w, ct->p.c * ct_k (&ct->p), bound, rng);
  if (ct->b)
    nn_fill_uniform (ct->b, ct->p.f, bound, rng);
}

/* The transposed convolution is conv2d's backward: its output (F, OH, OW)
 * is the unfolding's input, its input (C, H, W) the unfolding's output
 * positions, with the same kernel, stride and (top, left) padding. */
static NnUnfold
ct_geom (const NnConvT2dParams *p)
{
  return (NnUnfold) { p->f, p->oh, p->ow, p->kh, p->kw, p->sh, p->sw, p->ph, p->pw, p->h, p->w };
}

/* col (F*kh*kw, H*W) -> y (F, OH, OW), summing overlapping taps on top of y. */
static void
col2out (const NnConvT2dParams *p, const float *col, float *y)
{
  NnUnfold u = ct_geom (p);
  nn_col2im (&u, col, y, TRUE);
}

/* dy (F, OH, OW) -> col (F*kh*kw, H*W): the taps each input pixel fed. */
static void
out2col (const NnConvT2dParams *p, const float *dy, float *col)
{
  NnUnfold u = ct_geom (p);
  nn_im2col (&u, dy, col);
}

typedef struct {
  NnConvT2d   *ct;
  const float *x, *dy;
  float       *y, *dx;
} CtJob;

static float *
ct_col (NnConvT2d *ct, int th)
{
  return ct->scratch + th * ct_scratch_size (ct);
}

static void
forward_samples (int lo, int hi, int th, gpointer data)
{
  CtJob *j = data;
  NnConvT2d *ct = j->ct;
  const NnConvT2dParams *p = &ct->p;
  int64_t k = ct_k (p), hw = ct_hw (p), ohw = ct_ohw (p);
  float *col = ct_col (ct, th);
  /* a 1x1 input (a DCGAN's projection): one product for the thread's samples,
   * (m, C) x (C, F*kh*kw), rather than a matrix-vector product per sample */
  if (hw == 1)
    nn_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, hi - lo, (int) k, p->c, 1.0f, j->x + lo * p->c, p->c,
                 ct->w, (int) k, 0.0f, col, (int) k);
  for (int i = lo; i < hi; i++) {
    const float *xi = j->x + i * p->c * hw;
    float *yi = j->y + i * p->f * ohw;
    if (hw > 1)
      nn_sgemm (CblasRowMajor, CblasTrans, CblasNoTrans, (int) k, (int) hw, p->c, 1.0f, ct->w, (int) k,
                   xi, (int) hw, 0.0f, col, (int) hw);
    for (int f = 0; f < p->f; f++)
      for (int64_t q = 0; q < ohw; q++)
        yi[f * ohw + q] = ct->b ? ct->b[f] : 0.0f;
    col2out (p, hw == 1 ? col + (i - lo) * k : col, yi);
  }
}

/* x (n, C, H, W) -> y (n, F, OH, OW), samples split over the threads; caches
 * nothing, backward unfolds dy. */
static void
ct_forward (NnLayer *l, const float *x, float *y, int n, gboolean training)
{
  CtJob j = { (NnConvT2d *) l, x, NULL, y, NULL };
  nn_parallel_for (n, j.ct->threads, forward_samples, &j);
}

/* Thread 0 adds into the parameter gradients, the others into their share. */
static void
backward_samples (int lo, int hi, int th, gpointer data)
{
  CtJob *j = data;
  NnConvT2d *ct = j->ct;
  const NnConvT2dParams *p = &ct->p;
  int64_t k = ct_k (p), hw = ct_hw (p), ohw = ct_ohw (p);
  float *col = ct_col (ct, th), *dw = th ? col + ct->col_len : ct->parent.params[0].grad;
  float *db = !ct->b ? NULL : th ? dw + p->c * k : ct->parent.params[1].grad;
  for (int i = lo; i < hi; i++) {
    const float *xi = j->x + i * p->c * hw, *dyi = j->dy + i * p->f * ohw;
    for (int f = 0; db && f < p->f; f++)
      for (int64_t q = 0; q < ohw; q++)
        db[f] += dyi[f * ohw + q];
    if (hw == 1) {
      out2col (p, dyi, col + (i - lo) * k);   /* row i - lo of (m, F*kh*kw) */
      continue;
    }
    out2col (p, dyi, col);
    nn_sgemm (CblasRowMajor, CblasNoTrans, CblasTrans, p->c, (int) k, (int) hw, 1.0f, xi, (int) hw,
                 col, (int) hw, 1.0f, dw, (int) k);
    if (j->dx)
      nn_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, p->c, (int) hw, (int) k, 1.0f, ct->w, (int) k,
                   col, (int) hw, 0.0f, j->dx + i * p->c * hw, (int) hw);
  }
  if (hw > 1)
    return;
  /* 1x1 input: dW += X^T (C, m) dcol (m, F*kh*kw); dX (m, C) = dcol W^T */
  const float *x = j->x + lo * p->c;
  nn_sgemm (CblasRowMajor, CblasTrans, CblasNoTrans, p->c, (int) k, hi - lo, 1.0f, x, p->c, col, (int) k, 1.0f,
               dw, (int) k);
  if (j->dx)
    nn_sgemm (CblasRowMajor, CblasNoTrans, CblasTrans, hi - lo, p->c, (int) k, 1.0f, col, (int) k, ct->w,
                 (int) k, 0.0f, j->dx + lo * p->c, p->c);
}

/* dcol = unfold (dy_i); dW += x_i dcol^T; dx_i = W dcol; db += sum dy_i;
 * the threads' shares are summed after the join in thread order. */
static void
ct_backward (NnLayer *l, const float *x, const float *y, const float *dy, float *dx, int n)
{
  NnConvT2d *ct = (NnConvT2d *) l;
  /* the shares sit after each thread's columns */
  float *first = ct->threads > 1 ? ct_col (ct, 1) + ct->col_len : NULL;
  int nt = nn_parallel_team (n, ct->threads);
  nn_layer_grad_shares_zero (l, first, ct_scratch_size (ct), nt);
  CtJob j = { ct, x, dy, NULL, dx };
  nn_parallel_for (n, ct->threads, backward_samples, &j);
  nn_layer_grad_shares_add (l, first, ct_scratch_size (ct), nt);
}

static int64_t
ct_flops (const NnLayer *l)
{
  const NnConvT2d *ct = (const NnConvT2d *) l;
  return 2 * (int64_t) ct->p.c * ct_k (&ct->p) * ct_hw (&ct->p);
}

static void
ct_finalize (NnLayer *l)
{
  g_free (((NnConvT2d *) l)->scratch);
}

static const char *
ct_algorithm (const NnLayer *l, int n, gboolean training, gboolean pooled)
{
  return ct_hw (&((const NnConvT2d *) l)->p) == 1 ? "one gemm for the batch, col2im" : "gemm per sample, col2im";
}

const NnLayerClass nn_conv2d_transpose_class = {
  .type = "conv2d_transpose",
  .size = sizeof (NnConvT2d),
  NN_KEYS (ct_keys),
  .doc = "Transposed convolution (PyTorch's ConvTranspose2d): [C, H, W] -> [F, (H-1)*sh - 2*ph + kh + oph, ...]; "
         "weight [C, F, kh, kw], bias [F].",
  .create = ct_create,
  .reserve = ct_reserve,
  .forward = ct_forward,
  .backward = ct_backward,
  .init = ct_init,
  .flops = ct_flops,
  .finalize = ct_finalize,
  .algorithm = ct_algorithm,
};
