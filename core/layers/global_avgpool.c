/* global_avgpool: the mean of each channel plane, (C, H, W) -> (C), like
 * PyTorch's nn.AdaptiveAvgPool2d(1) followed by a flatten. */
#include "nn-private.h"

typedef struct {
  NnLayer parent;
  int64_t c, hw;
} NnGlobalAvgPool;

static gboolean
gap_create (NnLayer *l, const NnSpecLayer *spec, GError **error)
{
  NnGlobalAvgPool *g = (NnGlobalAvgPool *) l;
  char buf[64];
  if (l->in.ndim != 3) {
    g_set_error (error, NN_ERROR, NN_ERROR_SHAPE, "layer \"%s\": global_avgpool needs a (C, H, W) input, got %s",
                 l->name, nn_shape_to_string (&l->in, buf, sizeof buf));
    return FALSE;
  }
  g->c = l->in.dim[0];
  g->hw = l->in.dim[1] * l->in.dim[2];
  l->out = nn_shape_1d (g->c);
  return TRUE;
}

/* x (n*C planes of H*W) -> y (n*C) */
static void
gap_forward (NnLayer *l, const float *x, float *y, int n, gboolean training)
{
  NnGlobalAvgPool *g = (NnGlobalAvgPool *) l;
  for (int64_t q = 0; q < n * g->c; q++) {
    double sum = 0.0;
    for (int64_t j = 0; j < g->hw; j++)
      sum += x[q * g->hw + j];
    y[q] = (float) (sum / (double) g->hw);
  }
}

static void
gap_backward (NnLayer *l, const float *x, const float *y, const float *dy, float *dx, int n)
{
  NnGlobalAvgPool *g = (NnGlobalAvgPool *) l;
  if (!dx)
    return;
  for (int64_t q = 0; q < n * g->c; q++) {
    float v = dy[q] / (float) g->hw;
    for (int64_t j = 0; j < g->hw; j++)
      dx[q * g->hw + j] = v;
  }
}

static int64_t
gap_flops (const NnLayer *l)
{
  return nn_shape_numel (&l->in);
}

const NnLayerClass nn_global_avgpool_class = {
  .type = "global_avgpool",
  .size = sizeof (NnGlobalAvgPool),
  .doc = "The mean of each channel plane: [C, H, W] -> [C].",
  .create = gap_create,
  .forward = gap_forward,
  .backward = gap_backward,
  .flops = gap_flops,
};
