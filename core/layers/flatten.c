/* flatten: (C, H, W), or any per-sample shape, -> (C*H*W). The data is already
 * contiguous in that order, so both directions are a copy. */
#include "nn-private.h"

static gboolean
flatten_create (NnLayer *l, const NnSpecLayer *spec, GError **error)
{
  l->out = nn_shape_1d (nn_shape_numel (&l->in));
  return TRUE;
}

static void
flatten_forward (NnLayer *l, const float *x, float *y, int n, gboolean training)
{
  if (y != x)
    memcpy (y, x, sizeof (float) * n * nn_shape_numel (&l->in));
}

static void
flatten_backward (NnLayer *l, const float *x, const float *y, const float *dy, float *dx, int n)
{
  if (dx && dx != dy)
    memcpy (dx, dy, sizeof (float) * n * nn_shape_numel (&l->in));
}

const NnLayerClass nn_flatten_class = {
  .type = "flatten",
  .size = sizeof (NnLayer),
  .doc = "Any input -> [numel].",
  .create = flatten_create,
  .forward = flatten_forward,
  .backward = flatten_backward,
};
