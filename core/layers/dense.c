/* dense: y = x W^T + b, PyTorch's nn.Linear.
 * weight (out, in), bias (out). Input of any shape is flattened per sample. */
#include "nn-private.h"

typedef struct {
  NnLayer parent;
  int in, out;
  float *w, *b;   /* (out, in), (out) or NULL */
} NnDense;

static const NnKeyDef dense_keys[] = {
  { "units", NN_KEY_INT, 1, NN_INT_MAX, NULL, NULL, 0, "outputs" },
  { "bias", NN_KEY_BOOL, 0, 0, "true", NULL, 0, "add a learnt bias" },
};

static gboolean
dense_create (NnLayer *l, const NnSpecLayer *spec, GError **error)
{
  NnDense *d = (NnDense *) l;
  int units = nn_spec_layer_int (spec, "units");
  d->in = (int) nn_shape_numel (&l->in);
  d->out = units;
  l->out = nn_shape_1d (units);
  NnShape ws = nn_shape_2d (units, d->in), bs = nn_shape_1d (units);
  d->w = nn_layer_add_param (l, "weight", &ws, TRUE, TRUE);
  d->b = nn_spec_layer_bool (spec, "bias") ? nn_layer_add_param (l, "bias", &bs, TRUE, FALSE) : NULL;
  return TRUE;
}

static void
dense_init (NnLayer *l, GRand *rng)
{
  NnDense *d = (NnDense *) l;
  /* kaiming_uniform(a=sqrt(5)) gives bound 1/sqrt(fan_in), the same for the bias */
  float bound = 1.0f / sqrtf ((float) d->in);
  nn_fill_uniform (d->w, (int64_t) d->out * d->in, bound, rng);
  if (d->b)
    nn_fill_uniform (d->b, d->out, bound, rng);
}

static void
dense_forward (NnLayer *l, const float *x, float *y, int n, gboolean training)
{
  NnDense *d = (NnDense *) l;
  nn_linear_forward (x, d->w, d->b, y, n, d->in, d->out);
}

static void
dense_backward (NnLayer *l, const float *x, const float *y, const float *dy, float *dx, int n)
{
  NnDense *d = (NnDense *) l;
  nn_linear_backward (x, d->w, dy, dx, l->params[0].grad, d->b ? l->params[1].grad : NULL, n, d->in, d->out);
}

static int64_t
dense_flops (const NnLayer *l)
{
  const NnDense *d = (const NnDense *) l;
  return 2 * (int64_t) d->in * d->out;
}

static const char *
dense_algorithm (const NnLayer *l, int n, gboolean training, gboolean pooled)
{
  return n == 1 ? "gemv" : "gemm";  /* nn_linear_forward's choice */
}

const NnLayerClass nn_dense_class = {
  .type = "dense",
  .size = sizeof (NnDense),
  NN_KEYS (dense_keys),
  .doc = "y = x W^T + b (PyTorch's Linear); any input, flattened -> [units]; weight [units, in], bias [units].",
  .create = dense_create,
  .forward = dense_forward,
  .algorithm = dense_algorithm,
  .backward = dense_backward,
  .init = dense_init,
  .flops = dense_flops,
};
