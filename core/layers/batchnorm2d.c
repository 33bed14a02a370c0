/* batchnorm2d: PyTorch's nn.BatchNorm2d (and BatchNorm1d on a (C) input).
 * weight, bias (C) trainable; running_mean, running_var (C) buffers.
 * Training normalises with the batch statistics (biased variance) and moves
 * the running ones by "momentum" (PyTorch's convention: new = (1-m) old + m
 * batch, with the unbiased variance); inference uses the running ones. */
#include "nn-private.h"

typedef struct {
  NnLayer parent;
  int64_t c, inner;            /* channels, values per channel and sample (H*W or 1) */
  float momentum, eps;
  float *w, *b, *rmean, *rvar; /* (C) each */
  float *mean, *invstd;        /* (C) statistics the last forward normalised with */
  gboolean batch;              /* ... and whether they were the batch's */
} NnBatchNorm;

static const NnKeyDef bn_keys[] = {
  { "momentum", NN_KEY_FLOAT, 0.0, 1.0, "0.1", NULL, 0, "weight of a batch in the running statistics" },
  { "eps", NN_KEY_FLOAT, 1e-12, 1.0, "1e-05", NULL, 0, "added to the variance" },
};

static gboolean
bn_create (NnLayer *l, const NnSpecLayer *spec, GError **error)
{
  NnBatchNorm *bn = (NnBatchNorm *) l;
  char buf[64];
  if (l->in.ndim != 1 && l->in.ndim != 3) {
    g_set_error (error, NN_ERROR, NN_ERROR_SHAPE, "layer \"%s\": batchnorm2d needs a (C, H, W) or (C) input, got %s",
                 l->name, nn_shape_to_string (&l->in, buf, sizeof buf));
    return FALSE;
  }
  bn->momentum = (float) nn_spec_layer_double (spec, "momentum");
  bn->eps = (float) nn_spec_layer_double (spec, "eps");
  bn->c = l->in.dim[0];
  bn->inner = nn_shape_numel (&l->in) / bn->c;
  l->out = l->in;
  NnShape cs = nn_shape_1d (bn->c);
  bn->w = nn_layer_add_param (l, "weight", &cs, TRUE, FALSE);
  bn->b = nn_layer_add_param (l, "bias", &cs, TRUE, FALSE);
  bn->rmean = nn_layer_add_param (l, "running_mean", &cs, FALSE, FALSE);
  bn->rvar = nn_layer_add_param (l, "running_var", &cs, FALSE, FALSE);
  bn->mean = g_new0 (float, bn->c);
  bn->invstd = g_new0 (float, bn->c);
  for (int64_t k = 0; k < bn->c; k++)
    bn->w[k] = bn->rvar[k] = 1.0f;
  return TRUE;
}

static void
bn_init (NnLayer *l, GRand *rng)
{
  NnBatchNorm *bn = (NnBatchNorm *) l;
  for (int64_t k = 0; k < bn->c; k++) {
    bn->w[k] = bn->rvar[k] = 1.0f;
    bn->b[k] = bn->rmean[k] = 0.0f;
  }
}

/* Mean and biased variance of channel k over the batch, in double. */
static void
batch_stats (const NnBatchNorm *bn, const float *x, int n, int64_t k, double *mean, double *var)
{
  double s = 0.0, s2 = 0.0;
  for (int i = 0; i < n; i++) {
    const float *p = x + (i * bn->c + k) * bn->inner;
    for (int64_t j = 0; j < bn->inner; j++)
      s += p[j];
  }
  double cnt = (double) n * bn->inner, mu = s / cnt;
  for (int i = 0; i < n; i++) {
    const float *p = x + (i * bn->c + k) * bn->inner;
    for (int64_t j = 0; j < bn->inner; j++)
      s2 += (p[j] - mu) * (p[j] - mu);
  }
  *mean = mu;
  *var = s2 / cnt;
}

/* x, y (n, C, inner); caches the mean and 1/std used, for backward.
 * A frozen layer (nn_model_freeze: its weight no longer trainable) runs as
 * at inference while the rest of the model trains, as Keras does: its
 * running statistics are what the frozen layers after it were trained on,
 * and moving them towards a small fine-tuning set would change what those
 * layers see under them. */
static void
bn_forward (NnLayer *l, const float *x, float *y, int n, gboolean training)
{
  NnBatchNorm *bn = (NnBatchNorm *) l;
  training = training && l->params[0].trainable;
  double cnt = (double) n * bn->inner;
  for (int64_t k = 0; k < bn->c; k++) {
    double mu = bn->rmean[k], var = bn->rvar[k];
    if (training) {
      batch_stats (bn, x, n, k, &mu, &var);
      /* a single value per channel has no unbiased variance; keep the biased one */
      double unbiased = cnt > 1 ? var * cnt / (cnt - 1) : var;
      bn->rmean[k] = (1.0f - bn->momentum) * bn->rmean[k] + bn->momentum * (float) mu;
      bn->rvar[k] = (1.0f - bn->momentum) * bn->rvar[k] + bn->momentum * (float) unbiased;
    }
    bn->mean[k] = (float) mu;
    bn->invstd[k] = (float) (1.0 / sqrt (var + bn->eps));
    float a = bn->w[k] * bn->invstd[k], c = bn->b[k] - a * bn->mean[k];
    for (int i = 0; i < n; i++) {
      const float *p = x + (i * bn->c + k) * bn->inner;
      float *q = y + (i * bn->c + k) * bn->inner;
      for (int64_t j = 0; j < bn->inner; j++)
        q[j] = a * p[j] + c;
    }
  }
  bn->batch = training;
}

/* Sums over channel k of dy and dy * xhat. */
static void
channel_sums (const NnBatchNorm *bn, const float *x, const float *dy, int n, int64_t k, double *sdy, double *sdyx)
{
  double a = 0.0, b = 0.0;
  for (int i = 0; i < n; i++) {
    int64_t o = (i * bn->c + k) * bn->inner;
    for (int64_t j = 0; j < bn->inner; j++) {
      a += dy[o + j];
      b += dy[o + j] * (x[o + j] - bn->mean[k]) * bn->invstd[k];
    }
  }
  *sdy = a;
  *sdyx = b;
}

/* Training: the statistics depend on x, so dx = w invstd (dy - mean(dy) - xhat mean(dy xhat));
 * inference: dx = w invstd dy. */
static void
bn_backward (NnLayer *l, const float *x, const float *y, const float *dy, float *dx, int n)
{
  NnBatchNorm *bn = (NnBatchNorm *) l;
  gboolean batch = bn->batch;
  double cnt = (double) n * bn->inner;
  for (int64_t k = 0; k < bn->c; k++) {
    double sdy, sdyx;
    channel_sums (bn, x, dy, n, k, &sdy, &sdyx);
    l->params[0].grad[k] += (float) sdyx;   /* unused when frozen: the optimiser skips it */
    l->params[1].grad[k] += (float) sdy;
    if (!dx)
      continue;
    float a = bn->w[k] * bn->invstd[k];
    float mdy = batch ? (float) (sdy / cnt) : 0.0f, mdyx = batch ? (float) (sdyx / cnt) : 0.0f;
    for (int i = 0; i < n; i++) {
      int64_t o = (i * bn->c + k) * bn->inner;
      for (int64_t j = 0; j < bn->inner; j++) {
        float xhat = (x[o + j] - bn->mean[k]) * bn->invstd[k];
        dx[o + j] = a * (dy[o + j] - mdy - xhat * mdyx);
      }
    }
  }
}

/* Inference's batchnorm folded into the convolution before it: with
 * a = weight / sqrt(running_var + eps) per channel, conv then batchnorm is
 * the convolution of weights a * w and bias a * (b - running_mean) + bias.
 * w (F, per_filter), b (F) or NULL -> wf, bf. */
void
nn_batchnorm2d_fold (const NnLayer *l, const float *w, const float *b, int64_t per_filter, float *wf, float *bf)
{
  const NnBatchNorm *bn = (const NnBatchNorm *) l;
  for (int64_t k = 0; k < bn->c; k++) {
    double a = bn->w[k] / sqrt ((double) bn->rvar[k] + bn->eps);
    for (int64_t j = 0; j < per_filter; j++)
      wf[k * per_filter + j] = (float) (a * w[k * per_filter + j]);
    bf[k] = (float) (a * ((b ? b[k] : 0.0) - bn->rmean[k]) + bn->b[k]);
  }
}

static int64_t
bn_flops (const NnLayer *l)
{
  return 2 * nn_shape_numel (&l->in);
}

static void
bn_finalize (NnLayer *l)
{
  NnBatchNorm *bn = (NnBatchNorm *) l;
  g_free (bn->mean);
  g_free (bn->invstd);
}

const NnLayerClass nn_batchnorm2d_class = {
  .type = "batchnorm2d",
  .size = sizeof (NnBatchNorm),
  NN_KEYS (bn_keys),
  .doc = "Batch statistics in training, running statistics at inference; [C, H, W] or [C], unchanged; "
         "weight, bias [C], buffers running_mean, running_var [C].",
  .create = bn_create,
  .forward = bn_forward,
  .backward = bn_backward,
  .init = bn_init,
  .flops = bn_flops,
  .finalize = bn_finalize,
};
