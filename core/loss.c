/* Losses: mean over the batch, with dL/dout for backprop. */
#include "nn-private.h"

static const char *const loss_names[] = { "sse", "mse", "bce", "cce" };
G_STATIC_ASSERT (G_N_ELEMENTS (loss_names) == NN_LOSS_CCE + 1);

gboolean
nn_loss_from_name (const char *name, NnLossKind *out, GError **error)
{
  for (gsize i = 0; i < G_N_ELEMENTS (loss_names); i++)
    if (g_strcmp0 (name, loss_names[i]) == 0) {
      *out = (NnLossKind) i;
      return TRUE;
    }
  g_set_error (error, NN_ERROR, NN_ERROR_INVALID, "unknown loss \"%s\" (sse, mse, bce, cce)", name);
  return FALSE;
}

const char *
nn_loss_name (NnLossKind k)
{
  return loss_names[k];
}

NnLossKind
nn_model_default_loss (NnModel *m)
{
  const char *last = nn_model_last_activation (m);
  return g_str_equal (last, "softmax") ? NN_LOSS_CCE : g_str_equal (last, "sigmoid") ? NN_LOSS_BCE : NN_LOSS_MSE;
}

#define PROB_EPS 1e-7f

double
nn_loss (NnLossKind k, const float *out, const float *target, int n, int dim, float *dout)
{
  double total = 0.0;
  int64_t len = (int64_t) n * dim;
  for (int64_t i = 0; i < len; i++) {
    float o = out[i], t = target[i], d = 0.0f;
    switch (k) {
      case NN_LOSS_SSE: /* E = 1/2 sum (t - o)^2 per sample */
        total += 0.5 * (double) (t - o) * (t - o);
        d = (o - t) / n;
        break;
      case NN_LOSS_MSE:
        total += (double) (t - o) * (t - o);
        d = 2.0f * (o - t) / len;
        break;
      case NN_LOSS_BCE: {
        float p = CLAMP (o, PROB_EPS, 1.0f - PROB_EPS);
        total -= t * log (p) + (1.0 - t) * log (1.0 - p);
        d = (p - t) / (p * (1.0f - p)) / len;
        break;
      }
      case NN_LOSS_CCE: {
        float p = MAX (o, PROB_EPS);
        if (t != 0.0f)
          total -= t * log (p);
        d = -t / p / n;
        break;
      }
    }
    if (dout)
      dout[i] = d;
  }
  return k == NN_LOSS_MSE || k == NN_LOSS_BCE ? total / len : total / n;
}
