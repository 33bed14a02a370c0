/* RMSprop as Keras has it: v = rho v + (1 - rho) g^2;  w -= lr g / (sqrt(v) + eps) */
#include "optim-private.h"
#include "cpu-private.h"

/* A kernel (cpu-private.h): the update loop, dispatched as Adam's is. */
static inline __attribute__ ((always_inline)) void
rmsprop_body (const NnOptimConfig *c, float *w, const float *g, float *v, float *unused, int64_t n, int64_t t)
{
  for (int64_t i = 0; i < n; i++) {
    v[i] = c->rho * v[i] + (1.0f - c->rho) * g[i] * g[i];
    w[i] -= c->lr * g[i] / (sqrtf (v[i]) + c->eps);
  }
}

NN_CPU_KERNEL (rmsprop, (const NnOptimConfig *c, float *w, const float *g, float *v, float *unused, int64_t n, int64_t t),
               (c, w, g, v, unused, n, t))

void
nn_rmsprop_update (const NnOptimConfig *c, float *w, const float *g, float *v, float *unused, int64_t n, int64_t t)
{
  NN_CPU_CALL (rmsprop) (c, w, g, v, unused, n, t);
}
