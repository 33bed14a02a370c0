/* Maths shared by several layers: initialisers, the dense product, activations. */
#include "nn-private.h"
#include <cblas.h>

void
nn_fill_uniform (float *p, int64_t n, float bound, GRand *rng)
{
  for (int64_t i = 0; i < n; i++)
    p[i] = (float) g_rand_double_range (rng, -bound, bound);
}

double
nn_rand_normal (GRand *rng)
{
  /* Box-Muller; 1 - u keeps log away from 0 */
  double u = 1.0 - g_rand_double (rng), v = g_rand_double (rng);
  return sqrt (-2.0 * log (u)) * cos (2.0 * G_PI * v);
}

void
nn_linear_forward (const float *x, const float *w, const float *b, float *y, int n, int in, int out)
{
  if (b) {
    for (int i = 0; i < n; i++)
      memcpy (y + (int64_t) i * out, b, sizeof (float) * out);
  }
  if (n == 1) /* batch 1 (streaming, elements): gemv reads W once, gemm would pack it first */
    cblas_sgemv (CblasRowMajor, CblasNoTrans, out, in, 1.0f, w, in, x, 1, b ? 1.0f : 0.0f, y, 1);
  else
    cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasTrans, n, out, in, 1.0f, x, in, w, in,
                 b ? 1.0f : 0.0f, y, out);
}

void
nn_linear_backward (const float *x, const float *w, const float *dy, float *dx, float *dw, float *db,
                    int n, int in, int out)
{
  if (dx)
    cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, n, in, out, 1.0f, dy, out, w, in, 0.0f, dx, in);
  if (dw)
    cblas_sgemm (CblasRowMajor, CblasTrans, CblasNoTrans, out, in, n, 1.0f, dy, out, x, in, 1.0f, dw, in);
  if (db) {
    for (int i = 0; i < n; i++) {
      const float *r = dy + (int64_t) i * out;
      for (int j = 0; j < out; j++)
        db[j] += r[j];
    }
  }
}

#define LEAKY_SLOPE 0.01f

void
nn_act_forward (NnAct a, const float *x, float *y, int64_t n)
{
  switch (a) {
    case NN_ACT_SIGMOID:
      for (int64_t i = 0; i < n; i++)
        y[i] = 1.0f / (1.0f + expf (-x[i]));
      break;
    case NN_ACT_TANH:
      for (int64_t i = 0; i < n; i++)
        y[i] = tanhf (x[i]);
      break;
    case NN_ACT_RELU:
      for (int64_t i = 0; i < n; i++)
        y[i] = x[i] > 0.0f ? x[i] : 0.0f;
      break;
    case NN_ACT_LEAKY_RELU:
      for (int64_t i = 0; i < n; i++)
        y[i] = x[i] > 0.0f ? x[i] : LEAKY_SLOPE * x[i];
      break;
    case NN_ACT_NONE:
      if (y != x)
        memcpy (y, x, sizeof (float) * n);
      break;
    case NN_ACT_SOFTMAX:
      g_assert_not_reached ();  /* needs rows; see layers/activation.c */
  }
}

void
nn_act_backward (NnAct a, const float *y, const float *dy, float *dx, int64_t n)
{
  switch (a) {
    case NN_ACT_SIGMOID:
      for (int64_t i = 0; i < n; i++)
        dx[i] = dy[i] * y[i] * (1.0f - y[i]);
      break;
    case NN_ACT_TANH:
      for (int64_t i = 0; i < n; i++)
        dx[i] = dy[i] * (1.0f - y[i] * y[i]);
      break;
    case NN_ACT_RELU:
      for (int64_t i = 0; i < n; i++)
        dx[i] = y[i] > 0.0f ? dy[i] : 0.0f;
      break;
    case NN_ACT_LEAKY_RELU:
      /* y > 0 exactly when x > 0, so the output decides the slope */
      for (int64_t i = 0; i < n; i++)
        dx[i] = y[i] > 0.0f ? dy[i] : LEAKY_SLOPE * dy[i];
      break;
    case NN_ACT_NONE:
      if (dx != dy)
        memcpy (dx, dy, sizeof (float) * n);
      break;
    case NN_ACT_SOFTMAX:
      g_assert_not_reached ();
  }
}
