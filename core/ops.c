/* Maths shared by several layers: initialisers, the dense product, activations. */
#include "nn-private.h"
#include "cpu-private.h"
#include "gemm-private.h"

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

/* The dense products split over the threads along a dimension whose blocks
 * are independent: batch rows for y and dx, output units for dW (and for y at
 * batch 1 when W outgrows a core's cache: each thread then reads only its rows). */
typedef struct {
  const float *x, *w, *b, *dy;
  float       *y, *dx, *dw, *db;
  int          n, in, out;
} LinearJob;

#define LINEAR_SPLIT_MIN 65536   /* multiply-adds worth a thread's wake-up */
#define LINEAR_SPLIT_W   (1 << 20) /* batch 1: weights (4 MiB) past what one core caches */

static int
linear_threads (const LinearJob *j)
{
  return (int64_t) j->n * j->in * j->out < LINEAR_SPLIT_MIN ? 1 : NN_MAX_THREADS;
}

static void
forward_rows (int lo, int hi, int t, gpointer data)
{
  const LinearJob *j = data;
  float *y = j->y + (int64_t) lo * j->out;
  if (j->b)
    for (int i = lo; i < hi; i++)
      memcpy (j->y + (int64_t) i * j->out, j->b, sizeof (float) * j->out);
  nn_sgemm (CblasRowMajor, CblasNoTrans, CblasTrans, hi - lo, j->out, j->in, 1.0f, j->x + (int64_t) lo * j->in,
               j->in, j->w, j->in, j->b ? 1.0f : 0.0f, y, j->out);
}

/* batch 1 (streaming, elements): gemv reads W once, gemm would pack it first */
static void
forward_units (int lo, int hi, int t, gpointer data)
{
  const LinearJob *j = data;
  if (j->b)
    memcpy (j->y + lo, j->b + lo, sizeof (float) * (hi - lo));
  nn_sgemv (CblasRowMajor, CblasNoTrans, hi - lo, j->in, 1.0f, j->w + (int64_t) lo * j->in, j->in, j->x, 1,
               j->b ? 1.0f : 0.0f, j->y + lo, 1);
}

void
nn_linear_forward (const float *x, const float *w, const float *b, float *y, int n, int in, int out)
{
  LinearJob j = { .x = x, .w = w, .b = b, .y = y, .n = n, .in = in, .out = out };
  if (n == 1)
    nn_parallel_for (out, (int64_t) in * out < LINEAR_SPLIT_W ? 1 : NN_MAX_THREADS, forward_units, &j);
  else
    nn_parallel_for (n, linear_threads (&j), forward_rows, &j);
}

static void
backward_rows (int lo, int hi, int t, gpointer data)
{
  const LinearJob *j = data;
  nn_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, hi - lo, j->in, j->out, 1.0f,
               j->dy + (int64_t) lo * j->out, j->out, j->w, j->in, 0.0f, j->dx + (int64_t) lo * j->in, j->in);
}

static void
backward_units (int lo, int hi, int t, gpointer data)
{
  const LinearJob *j = data;
  if (j->dw)
    nn_sgemm (CblasRowMajor, CblasTrans, CblasNoTrans, hi - lo, j->in, j->n, 1.0f, j->dy + lo, j->out, j->x,
                 j->in, 1.0f, j->dw + (int64_t) lo * j->in, j->in);
  for (int i = 0; j->db && i < j->n; i++) {
    const float *r = j->dy + (int64_t) i * j->out;
    for (int u = lo; u < hi; u++)
      j->db[u] += r[u];
  }
}

void
nn_linear_backward (const float *x, const float *w, const float *dy, float *dx, float *dw, float *db,
                    int n, int in, int out)
{
  LinearJob j = { .x = x, .w = w, .dy = dy, .dx = dx, .dw = dw, .db = db, .n = n, .in = in, .out = out };
  if (dx)
    nn_parallel_for (n, linear_threads (&j), backward_rows, &j);
  if (dw || db)
    nn_parallel_for (out, linear_threads (&j), backward_units, &j);
}

/* Kernels (cpu-private.h): these loops lose a third to three times their
 * time under baseline SSE2 (LeNet and DCGAN training, measured). */
static inline __attribute__ ((always_inline)) void
act_forward_body (NnAct a, float slope, const float *x, float *y, int64_t n)
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
        y[i] = x[i] < 0.0f ? 0.0f : x[i];   /* a NaN passes, as in PyTorch */
      break;
    case NN_ACT_LEAKY_RELU:
      for (int64_t i = 0; i < n; i++)
        y[i] = x[i] > 0.0f ? x[i] : slope * x[i];
      break;
    case NN_ACT_NONE:
      if (y != x)
        memcpy (y, x, sizeof (float) * n);
      break;
    case NN_ACT_SOFTMAX:
      g_assert_not_reached ();  /* needs rows; see layers/activation.c */
  }
}

NN_CPU_KERNEL (act_forward, (NnAct a, float slope, const float *x, float *y, int64_t n), (a, slope, x, y, n))

void
nn_act_forward (NnAct a, float slope, const float *x, float *y, int64_t n)
{
  NN_CPU_CALL (act_forward) (a, slope, x, y, n);
}

static inline __attribute__ ((always_inline)) void
act_backward_body (NnAct a, float slope, const float *y, const float *dy, float *dx, int64_t n)
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
      /* with a positive slope y > 0 exactly when x > 0, so the output decides */
      for (int64_t i = 0; i < n; i++)
        dx[i] = y[i] > 0.0f ? dy[i] : slope * dy[i];
      break;
    case NN_ACT_NONE:
      if (dx != dy)
        memcpy (dx, dy, sizeof (float) * n);
      break;
    case NN_ACT_SOFTMAX:
      g_assert_not_reached ();
  }
}

NN_CPU_KERNEL (act_backward, (NnAct a, float slope, const float *y, const float *dy, float *dx, int64_t n),
               (a, slope, y, dy, dx, n))

void
nn_act_backward (NnAct a, float slope, const float *y, const float *dy, float *dx, int64_t n)
{
  NN_CPU_CALL (act_backward) (a, slope, y, dy, dx, n);
}
