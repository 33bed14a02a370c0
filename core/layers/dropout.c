/* dropout: inverted dropout. Training zeroes each unit with probability `rate`
 * and scales the survivors by 1/(1-rate), so inference is the identity (the
 * seed's "scale by 1-p at inference", moved to training time as Keras does). */
#include "nn-private.h"

typedef struct {
  NnLayer parent;
  float rate;
  float *mask;   /* (capacity, in...) scale per unit of the last training forward */
  gboolean masked;
} NnDropout;

static const NnKeyDef dropout_keys[] = {
  { "rate", NN_KEY_FLOAT, 0.0, 0.999, "0.5", NULL, 0, "fraction of values zeroed in training" },
};

static gboolean
dropout_create (NnLayer *l, const NnSpecLayer *spec, GError **error)
{
  ((NnDropout *) l)->rate = (float) nn_spec_layer_double (spec, "rate");
  l->out = l->in;
  return TRUE;
}

static gboolean
dropout_reserve (NnLayer *l, int n, GError **error)
{
  NnDropout *d = (NnDropout *) l;
  g_free (d->mask);
  d->mask = g_new (float, n * nn_shape_numel (&l->in));
  return TRUE;
}

/* the draws of n rows another rank of data-parallel training masks */
static void
skip_draws (NnLayer *l, int64_t n)
{
  for (int64_t i = 0; i < n * nn_shape_numel (&l->in); i++)
    g_rand_double (l->rng);
}

static void
dropout_forward (NnLayer *l, const float *x, float *y, int n, gboolean training)
{
  NnDropout *d = (NnDropout *) l;
  int64_t total = n * nn_shape_numel (&l->in);
  d->masked = training && d->rate > 0.0f;
  if (!d->masked) {
    memcpy (y, x, sizeof (float) * total);
    return;
  }
  float keep = 1.0f / (1.0f - d->rate);
  skip_draws (l, l->rows_before);
  for (int64_t i = 0; i < total; i++) {
    d->mask[i] = g_rand_double (l->rng) < d->rate ? 0.0f : keep;
    y[i] = x[i] * d->mask[i];
  }
  skip_draws (l, l->rows_after);
}

static void
dropout_skip_rows (NnLayer *l, int n)
{
  if (((NnDropout *) l)->rate > 0.0f)
    skip_draws (l, n);
}

static void
dropout_backward (NnLayer *l, const float *x, const float *y, const float *dy, float *dx, int n)
{
  NnDropout *d = (NnDropout *) l;
  if (!dx)
    return;
  int64_t total = n * nn_shape_numel (&l->in);
  for (int64_t i = 0; i < total; i++)
    dx[i] = d->masked ? dy[i] * d->mask[i] : dy[i];
}

static void
dropout_finalize (NnLayer *l)
{
  g_free (((NnDropout *) l)->mask);
}

const NnLayerClass nn_dropout_class = {
  .type = "dropout",
  .size = sizeof (NnDropout),
  NN_KEYS (dropout_keys),
  .doc = "Inverted dropout in training, the identity at inference; shape unchanged.",
  .create = dropout_create,
  .reserve = dropout_reserve,
  .forward = dropout_forward,
  .backward = dropout_backward,
  .finalize = dropout_finalize,
  .skip_rows = dropout_skip_rows,
};
