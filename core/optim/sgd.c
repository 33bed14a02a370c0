/* Plain SGD, and momentum (PyTorch's form, optionally Nesterov):
 * b = mu b + g;  w -= lr (nesterov ? g + mu b : b) */
#include "optim-private.h"
#include "cpu-private.h"

/* A kernel (cpu-private.h): the update loop, dispatched as Adam's is. */
static inline __attribute__ ((always_inline)) void
sgd_body (const NnOptimConfig *c, float *w, const float *g, float *b, float *unused, int64_t n, int64_t t)
{
  if (c->kind == NN_OPT_SGD) {
    for (int64_t i = 0; i < n; i++)
      w[i] -= c->lr * g[i];
    return;
  }
  float mu = c->momentum;
  for (int64_t i = 0; i < n; i++) {
    b[i] = mu * b[i] + g[i];
    w[i] -= c->lr * (c->nesterov ? g[i] + mu * b[i] : b[i]);
  }
}

NN_CPU_KERNEL (sgd, (const NnOptimConfig *c, float *w, const float *g, float *b, float *unused, int64_t n, int64_t t),
               (c, w, g, b, unused, n, t))

void
nn_sgd_update (const NnOptimConfig *c, float *w, const float *g, float *b, float *unused, int64_t n, int64_t t)
{
  NN_CPU_CALL (sgd) (c, w, g, b, unused, n, t);
}
