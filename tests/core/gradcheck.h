/* Helpers shared by the layer tests (tests/core/test-<layer>.c):
 * a central-difference gradient check and the PyTorch fixture runner.
 * Both fail the running Check test on a mismatch. */
#pragma once

#include "nn-private.h"
#include <check.h>

typedef struct {
  const char *spec;     /* the layer's JSON spec */
  NnShape     in;       /* per-sample input shape */
  int         n;        /* batch */
  gboolean    training;
  float       h;        /* step; 0 picks 1e-2 */
  double      tol;      /* relative tolerance; 0 picks 1e-2 */
  guint32     seed;
} NnGradCheck;

/* Builds the layer, draws x and an upstream gradient g, and compares the
 * analytic dL/dx and dL/dparam of L = sum (y * g) with central differences.
 * Inputs are a shuffled grid of distinct values away from 0, so kinks (relu,
 * max) sit more than a step away. Asserts every gradient is non-trivial. */
void nn_gradcheck (const NnGradCheck *c);

/* Builds a layer from spec text, failing the test with the GError if it cannot. */
NnLayer *nn_test_layer_new (const char *spec, const NnShape *in, int n);

/* Returns the GError message when building spec against `in` fails, failing the
 * test if it succeeds or the error does not name the layer. */
char *nn_test_layer_error (const char *spec, const NnShape *in, int code);

/* Checks n values drawn from PyTorch's default U(-bound, bound): all inside,
 * and spread over more than half the interval (not constant). */
void nn_test_uniform_init (const float *v, int n, float bound);

/* Runs every case of tests/fixtures/layers/<file>.json: copies the params in,
 * compares y (and buffers listed in "after"), then dx and the param grads for
 * the fixture's dy. Returns the number of cases run. */
int nn_test_fixture_run (const char *file, double tol);
