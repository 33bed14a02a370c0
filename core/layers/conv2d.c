/* conv2d: PyTorch's nn.Conv2d (no dilation, no groups) with Keras-style
 * "valid"/"same" padding besides explicit, possibly asymmetric, padding.
 * weight (F, C, kh, kw), bias (F). Input (C, H, W) -> (F, OH, OW).
 *
 * Each sample is unfolded (im2col) into col (C*kh*kw, OH*OW) so the
 * convolution is one product W (F, C*kh*kw) x col; backward folds the column
 * gradient back (col2im). A 1x1, stride 1, unpadded conv needs no unfolding. */
#include "nn-private.h"
#include "gemm-private.h"

typedef struct {
  int c, h, w;                 /* input */
  int f, kh, kw;
  int sh, sw;                  /* stride */
  int pt, pb, pl, pr;          /* padding: top, bottom, left, right */
  int oh, ow;                  /* output */
} NnConv2dParams;

typedef struct {
  NnLayer parent;
  NnConv2dParams p;
  float *w, *b;                /* (F, C*kh*kw), (F) or NULL */
  float *col;                  /* (C*kh*kw, OH*OW) one sample's unfolded input */
  float *dcol;                 /* (threads, C*kh*kw, OH*OW) a sample's column gradient per thread */
  float *gscratch;             /* (threads - 1, F*C*kh*kw + F) the other threads' weight and bias gradients */
  float *padded;               /* stride 1: per thread, one input with its zero border (+ slack) */
  int    threads;              /* threads the scratch serves */
  gboolean unfolded;           /* col holds the last forward's input (not so after Winograd) */
  NnWinograd wg;               /* 3x3 stride 1 inference; wg.u NULL when it does not apply */
  float *fscratch;             /* per thread: Winograd's or the direct pooled path's (fscratch_size) */
  int64_t fscratch_size;
} NnConv2d;

static int64_t
conv_k (const NnConv2dParams *p)
{
  return (int64_t) p->c * p->kh * p->kw;
}

static int64_t
conv_ohw (const NnConv2dParams *p)
{
  return (int64_t) p->oh * p->ow;
}

static gboolean
conv_pointwise (const NnConv2dParams *p)
{
  return p->kh == 1 && p->kw == 1 && p->sh == 1 && p->sw == 1 && !p->pt && !p->pb && !p->pl && !p->pr;
}

/* TensorFlow's "same": out = ceil(in / stride), the odd pixel of padding at the end. */
static void
same_padding (int in, int k, int s, int *before, int *after)
{
  int out = (in + s - 1) / s;
  int total = MAX ((out - 1) * s + k - in, 0);
  *before = total / 2;
  *after = total - total / 2;
}

/* "valid", "same", p, [rows, cols] or [top, bottom, left, right] (the spec
 * checked which of these it is). */
static void
set_padding (const NnSpecLayer *spec, NnConv2dParams *p)
{
  const char *s = nn_spec_layer_string (spec, "padding");
  int v[4] = { 0 };
  int n = nn_spec_layer_ints (spec, "padding", v);
  if (s && g_str_equal (s, "same")) {
    same_padding (p->h, p->kh, p->sh, &p->pt, &p->pb);
    same_padding (p->w, p->kw, p->sw, &p->pl, &p->pr);
  } else if (n == 4)
    p->pt = v[0], p->pb = v[1], p->pl = v[2], p->pr = v[3];
  else if (n == 2)
    p->pt = p->pb = v[0], p->pl = p->pr = v[1];
  else if (n == 1)
    p->pt = p->pb = p->pl = p->pr = v[0];
  else
    p->pt = p->pb = p->pl = p->pr = 0;   /* "valid" */
}

/* An int-or-pair option as two values. */
static void
spec_pair (const NnSpecLayer *spec, const char *key, int out[2])
{
  int v[4] = { 0 };
  if (nn_spec_layer_ints (spec, key, v) == 1)
    v[1] = v[0];
  out[0] = v[0], out[1] = v[1];
}

static const NnKeyDef conv_keys[] = {
  { "filters", NN_KEY_INT, 1, NN_INT_MAX, NULL, NULL, 0, "output channels F" },
  { "kernel", NN_KEY_INTS, 1, NN_INT_MAX, NULL, NULL, 1 << 2, "k or [kh, kw]" },
  { "stride", NN_KEY_INTS, 1, NN_INT_MAX, "1", NULL, 1 << 2, "s or [sh, sw]" },
  { "padding", NN_KEY_INTS, 0, NN_INT_MAX, "\"valid\"", "valid|same", 1 << 2 | 1 << 4,
    "\"same\" is TensorFlow's (extra at the bottom/right, out = ceil (in / stride)); p, [rows, cols] or "
    "[top, bottom, left, right]" },
  { "bias", NN_KEY_BOOL, 0, 0, "true", NULL, 0, "add a learnt bias" },
};

static gboolean
conv_params (NnLayer *l, const NnSpecLayer *spec, NnConv2dParams *p, GError **error)
{
  char buf[64];
  if (l->in.ndim != 3) {
    g_set_error (error, NN_ERROR, NN_ERROR_SHAPE, "layer \"%s\": conv2d needs a (C, H, W) input, got %s",
                 l->name, nn_shape_to_string (&l->in, buf, sizeof buf));
    return FALSE;
  }
  int k[2], s[2];
  p->f = nn_spec_layer_int (spec, "filters");
  spec_pair (spec, "kernel", k);
  spec_pair (spec, "stride", s);
  p->c = (int) l->in.dim[0], p->h = (int) l->in.dim[1], p->w = (int) l->in.dim[2];
  p->kh = k[0], p->kw = k[1], p->sh = s[0], p->sw = s[1];
  set_padding (spec, p);
  int ph = p->h + p->pt + p->pb, pw = p->w + p->pl + p->pr;
  if (p->kh > ph || p->kw > pw) {
    g_set_error (error, NN_ERROR, NN_ERROR_SHAPE,
                 "layer \"%s\": conv2d kernel %dx%d is larger than the padded input %dx%d (input %s)",
                 l->name, p->kh, p->kw, ph, pw, nn_shape_to_string (&l->in, buf, sizeof buf));
    return FALSE;
  }
  p->oh = (ph - p->kh) / p->sh + 1;
  p->ow = (pw - p->kw) / p->sw + 1;
  return TRUE;
}

static NnUnfold conv_unfold_geom (const NnConv2dParams *p);

/* Winograd pays once the products have some depth: a single input channel
 * (a gray image's first layer) leaves its 16 products one column deep. */
static gboolean
use_winograd (const NnConv2dParams *p)
{
  NnUnfold u = conv_unfold_geom (p);
  return nn_winograd_applies (&u) && p->c >= 4;
}

static gboolean
conv_create (NnLayer *l, const NnSpecLayer *spec, GError **error)
{
  NnConv2d *cv = (NnConv2d *) l;
  NnConv2dParams *p = &cv->p;
  if (!conv_params (l, spec, p, error))
    return FALSE;
  l->out = nn_shape_3d (p->f, p->oh, p->ow);
  NnShape ws = nn_shape_4d (p->f, p->c, p->kh, p->kw), bs = nn_shape_1d (p->f);
  cv->w = nn_layer_add_param (l, "weight", &ws, TRUE, TRUE);
  cv->b = nn_spec_layer_bool (spec, "bias") ? nn_layer_add_param (l, "bias", &bs, TRUE, FALSE) : NULL;
  NnUnfold u = conv_unfold_geom (p);
  if (use_winograd (p) && !nn_winograd_init (&cv->wg, &u, p->f)) {
    g_set_error (error, NN_ERROR, NN_ERROR_FAILED, "layer \"%s\": cannot allocate Winograd weights", l->name);
    return FALSE;
  }
  return TRUE;
}

/* Stride 1 unfolds from a zero-bordered copy of the input (nn_im2col_unit). */
static gboolean
unit_stride (const NnConv2dParams *p)
{
  return p->sh == 1 && p->sw == 1 && !conv_pointwise (p);
}

static NnUnfold
conv_unfold_geom (const NnConv2dParams *p)
{
  return (NnUnfold) { p->c, p->h, p->w, p->kh, p->kw, p->sh, p->sw, p->pt, p->pl, p->oh, p->ow };
}

/* Inference's paths besides unfolding: Winograd, else for few channels the
 * direct convolution pooled as it goes (conv -> relu -> maxpool fused). */
static gboolean
use_direct (const NnConv2d *cv)
{
  NnUnfold u = conv_unfold_geom (&cv->p);
  return !cv->wg.u && nn_direct_pool2_applies (&u);
}

/* Scratch for one thread's forwards of up to n samples. */
static int64_t
fast_scratch_size (NnConv2d *cv, int n)
{
  NnUnfold u = conv_unfold_geom (&cv->p);
  if (cv->wg.u)
    return nn_winograd_reserve (&cv->wg, n);
  return use_direct (cv) ? nn_direct_pool2_scratch_size (&u, cv->p.f) : 1;
}

static int64_t
padded_size (const NnConv2dParams *p)
{
  NnUnfold u = conv_unfold_geom (p);
  return unit_stride (p) ? nn_unfold_pad_size (&u) : 1;
}

/* Forward keeps every sample's unfolding (n, C*kh*kw, OH*OW) so backward
 * does not unfold again; each thread has one sample's column gradient and
 * its own share of the parameter gradients. */
static gboolean
conv_reserve (NnLayer *l, int n, GError **error)
{
  NnConv2d *cv = (NnConv2d *) l;
  int nt = nn_get_threads ();
  gsize sz = conv_pointwise (&cv->p) ? 0 : (gsize) (conv_k (&cv->p) * conv_ohw (&cv->p));
  gsize share = (gsize) nn_layer_grad_size (l);
  g_free (cv->col);
  g_free (cv->dcol);
  g_free (cv->gscratch);
  g_free (cv->padded);
  g_free (cv->fscratch);
  cv->col = g_try_new (float, sz * n + 1);
  cv->dcol = g_try_new (float, sz * nt + 1);
  cv->gscratch = g_try_new (float, share * (nt - 1) + 1);
  cv->padded = g_try_new0 (float, padded_size (&cv->p) * nt);
  /* a thread's share of the batch runs through Winograd in groups */
  cv->fscratch_size = fast_scratch_size (cv, (n + nt - 1) / nt);
  cv->fscratch = g_try_new0 (float, cv->fscratch_size * nt);
  cv->threads = nt;
  if (!cv->col || !cv->dcol || !cv->gscratch || !cv->padded || !cv->fscratch) {
    g_set_error (error, NN_ERROR, NN_ERROR_FAILED, "layer \"%s\": cannot allocate %" G_GSIZE_FORMAT
                 " floats of scratch", l->name,
                 sz * (n + nt) + share * (nt - 1) + (gsize) (cv->fscratch_size + padded_size (&cv->p)) * nt);
    return FALSE;
  }
  return TRUE;
}

static void
conv_init (NnLayer *l, GRand *rng)
{
  NnConv2d *cv = (NnConv2d *) l;
  /* kaiming_uniform(a=sqrt(5)) gives bound 1/sqrt(fan_in), the same for the bias */
  float bound = 1.0f / sqrtf ((float) conv_k (&cv->p));
  nn_fill_uniform (cv->w, cv->p.f * conv_k (&cv->p), bound, rng);
  if (cv->b)
    nn_fill_uniform (cv->b, cv->p.f, bound, rng);
}

/* One parallel job: the tensors of a forward or backward call. */
typedef struct {
  NnConv2d    *cv;
  const float *x, *dy;
  float       *y, *dx;
  gboolean     pooled;         /* inference: y is the output max-pooled 2x2 */
} ConvJob;

static const float *
conv_unfold (NnConv2d *cv, const float *x, int i, int th)
{
  const NnConv2dParams *p = &cv->p;
  int64_t in_sz = (int64_t) p->c * p->h * p->w, sz = conv_k (p) * conv_ohw (p);
  if (conv_pointwise (p))
    return x + i * in_sz;
  NnUnfold u = conv_unfold_geom (p);
  if (unit_stride (p))
    nn_im2col_unit (&u, x + i * in_sz, cv->col + i * sz, cv->padded + th * padded_size (p));
  else
    nn_im2col (&u, x + i * in_sz, cv->col + i * sz);
  return cv->col + i * sz;
}

/* y_i = b + W col_i */
static void
conv_rows (NnConv2d *cv, const float *col, float *yi)
{
  const NnConv2dParams *p = &cv->p;
  int64_t k = conv_k (p), ohw = conv_ohw (p);
  for (int f = 0; f < p->f; f++)
    for (int64_t j = 0; j < ohw; j++)
      yi[f * ohw + j] = cv->b ? cv->b[f] : 0.0f;
  nn_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, p->f, (int) ohw, (int) k, 1.0f, cv->w, (int) k, col,
               (int) ohw, 1.0f, yi, (int) ohw);
}

static void
forward_samples (int lo, int hi, int t, gpointer data)
{
  ConvJob *j = data;
  int64_t out_sz = (int64_t) j->cv->p.f * conv_ohw (&j->cv->p);
  for (int i = lo; i < hi; i++)
    conv_rows (j->cv, conv_unfold (j->cv, j->x, i, t), j->y + i * out_sz);
}

/* Inference's other ways on thread t's scratch: Winograd (pooled or not)
 * over the thread's samples at once, or the direct pooled convolution
 * sample by sample. */
static void
forward_fast (int lo, int hi, int t, gpointer data)
{
  ConvJob *j = data;
  NnConv2d *cv = j->cv;
  const NnConv2dParams *p = &cv->p;
  NnUnfold u = conv_unfold_geom (p);
  int64_t in_sz = (int64_t) p->c * p->h * p->w;
  int64_t out_sz = j->pooled ? (int64_t) p->f * (p->oh / 2) * (p->ow / 2) : (int64_t) p->f * conv_ohw (p);
  float *scratch = cv->fscratch + t * cv->fscratch_size;
  const float *x = j->x + lo * in_sz;
  float *y = j->y + lo * out_sz;
  if (cv->wg.u && j->pooled)
    nn_winograd_forward_pool2 (&cv->wg, cv->b, x, y, hi - lo, scratch);
  else if (cv->wg.u)
    nn_winograd_forward (&cv->wg, cv->b, x, y, hi - lo, scratch);
  else
    for (int i = lo; i < hi; i++)
      nn_direct_pool2_forward (&u, p->f, cv->w, cv->b, j->x + i * in_sz, j->y + i * out_sz, scratch);
}

static gboolean
conv_can_pool2 (const NnLayer *l)
{
  const NnConv2d *cv = (const NnConv2d *) l;
  return cv->wg.u || use_direct (cv);
}

/* x (n, C, H, W) -> y (n, F, OH/2, OW/2), the output max-pooled 2x2. */
static void
conv_forward_pool2 (NnLayer *l, const float *x, float *y, int n)
{
  ConvJob job = { .cv = (NnConv2d *) l, .x = x, .y = y, .pooled = TRUE };
  g_return_if_fail (conv_can_pool2 (l));
  job.cv->unfolded = FALSE;
  if (job.cv->wg.u)
    nn_winograd_prepare (&job.cv->wg, job.cv->w);
  nn_parallel_for (n, job.cv->threads, forward_fast, &job);
}

/* x (n, C, H, W) -> y (n, F, OH, OW); keeps the unfolded inputs for backward.
 * A batch splits over the threads by samples. A single frame (the elements'
 * case) stays on one: split by filters it ran slower here (52 -> 88 µs for
 * LeNet), the other core having to fetch the whole unfolding. */
static void
conv_forward (NnLayer *l, const float *x, float *y, int n, gboolean training)
{
  ConvJob job = { .cv = (NnConv2d *) l, .x = x, .y = y };
  job.cv->unfolded = training || !job.cv->wg.u;
  if (!job.cv->unfolded) {
    nn_winograd_prepare (&job.cv->wg, job.cv->w);
    nn_parallel_for (n, job.cv->threads, forward_fast, &job);
    return;
  }
  /* no more threads than the per-thread unfolding scratch serves */
  nn_parallel_for (n, job.cv->threads, forward_samples, &job);
}

/* Inference with other weights and bias of the same shapes (a batchnorm
 * folded in: nn_batchnorm2d_fold), pooled 2x2 or not. The layer's own
 * pointers are swapped for the call and put back: the model runs one forward
 * at a time. */
void
nn_conv2d_forward_with (NnLayer *l, const float *w, const float *b, const float *x, float *y, int n, gboolean pool2)
{
  NnConv2d *cv = (NnConv2d *) l;
  float *w0 = cv->w, *b0 = cv->b;
  cv->w = (float *) w;
  cv->b = (float *) b;
  if (pool2)
    conv_forward_pool2 (l, x, y, n);
  else
    conv_forward (l, x, y, n, FALSE);
  cv->w = w0;
  cv->b = b0;
}

/* Thread t's share of the parameter gradients: thread 0 adds into the
 * layer's own, the others into zeroed scratch summed after the join. */
static void
backward_samples (int lo, int hi, int t, gpointer data)
{
  ConvJob *j = data;
  NnConv2d *cv = j->cv;
  const NnConv2dParams *p = &cv->p;
  int64_t k = conv_k (p), ohw = conv_ohw (p), in_sz = (int64_t) p->c * p->h * p->w;
  gboolean pw = conv_pointwise (p);
  float *dw = t ? cv->gscratch + (t - 1) * nn_layer_grad_size (&cv->parent) : cv->parent.params[0].grad;
  float *db = !cv->b ? NULL : t ? dw + p->f * k : cv->parent.params[1].grad;
  for (int i = lo; i < hi; i++) {
    const float *dyi = j->dy + i * p->f * ohw;
    /* the forward of this batch left sample i unfolded here, unless it took
     * Winograd's way (a backward after an inference forward) */
    const float *col = !cv->unfolded ? conv_unfold (cv, j->x, i, t)
                       : pw ? j->x + i * in_sz : cv->col + i * k * ohw;
    nn_sgemm (CblasRowMajor, CblasNoTrans, CblasTrans, p->f, (int) k, (int) ohw, 1.0f, dyi, (int) ohw,
                 col, (int) ohw, 1.0f, dw, (int) k);
    for (int f = 0; db && f < p->f; f++)
      for (int64_t q = 0; q < ohw; q++)
        db[f] += dyi[f * ohw + q];
    if (!j->dx)
      continue;
    float *dcol = pw ? j->dx + i * in_sz : cv->dcol + t * k * ohw;
    nn_sgemm (CblasRowMajor, CblasTrans, CblasNoTrans, (int) k, (int) ohw, p->f, 1.0f, cv->w, (int) k,
                 dyi, (int) ohw, 0.0f, dcol, (int) ohw);
    if (!pw) {
      NnUnfold u = conv_unfold_geom (p);
      nn_col2im (&u, dcol, j->dx + i * in_sz, FALSE);
    }
  }
}

/* dW += dy_i col_i^T, db += sum dy_i, dcol = W^T dy_i folded into dx_i. */
static void
conv_backward (NnLayer *l, const float *x, const float *y, const float *dy, float *dx, int n)
{
  NnConv2d *cv = (NnConv2d *) l;
  int64_t share = nn_layer_grad_size (l);
  int nt = nn_parallel_team (n, cv->threads);
  nn_layer_grad_shares_zero (l, cv->gscratch, share, nt);
  ConvJob job = { .cv = cv, .x = x, .dy = dy, .dx = dx };
  nn_parallel_for (n, cv->threads, backward_samples, &job);
  nn_layer_grad_shares_add (l, cv->gscratch, share, nt);
}

static int64_t
conv_flops (const NnLayer *l)
{
  const NnConv2d *cv = (const NnConv2d *) l;
  return 2 * (int64_t) cv->p.f * conv_k (&cv->p) * conv_ohw (&cv->p);
}

static void
conv_finalize (NnLayer *l)
{
  NnConv2d *cv = (NnConv2d *) l;
  g_free (cv->col);
  g_free (cv->dcol);
  g_free (cv->gscratch);
  g_free (cv->padded);
  g_free (cv->fscratch);
  nn_winograd_clear (&cv->wg);
}

static const char *
conv_algorithm (const NnLayer *l, int n, gboolean training, gboolean pooled)
{
  const NnConv2d *cv = (const NnConv2d *) l;
  if (!training && cv->wg.u)
    return pooled ? "winograd, pooled" : "winograd";
  if (pooled)
    return "direct, pooled";
  return conv_pointwise (&cv->p) ? "gemm (1x1)" : "unfolded gemm";
}

const NnLayerClass nn_conv2d_class = {
  .type = "conv2d",
  .size = sizeof (NnConv2d),
  NN_KEYS (conv_keys),
  .doc = "2-D convolution (PyTorch's Conv2d): [C, H, W] -> [F, OH, OW]; weight [F, C, kh, kw], bias [F].",
  .create = conv_create,
  .reserve = conv_reserve,
  .forward = conv_forward,
  .backward = conv_backward,
  .init = conv_init,
  .flops = conv_flops,
  .finalize = conv_finalize,
  .can_pool2 = conv_can_pool2,
  .forward_pool2 = conv_forward_pool2,
  .algorithm = conv_algorithm,
};
