/* One update rule per file; optim.c walks the (param, grad, state) triples. */
#pragma once
#include "nn-private.h"

/* w -= update(g); s1, s2: per-element state (zeroed at start); t: step, from 1 */
void nn_sgd_update (const NnOptimConfig *c, float *w, const float *g, float *s1, float *s2, int64_t n, int64_t t);
void nn_rmsprop_update (const NnOptimConfig *c, float *w, const float *g, float *s1, float *s2, int64_t n, int64_t t);
void nn_adam_update (const NnOptimConfig *c, float *w, const float *g, float *s1, float *s2, int64_t n, int64_t t);
