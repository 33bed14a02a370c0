/* Checks shared by the recurrent layer tests (rnn, lstm, convlstm2d):
 * a stateful layer fed one step at a time equals the whole sequence at once,
 * and truncated BPTT over chunks of k steps equals backward through separate
 * stateful calls of k steps. Header-only: each test includes it once. */
#pragma once

#include "gradcheck.h"

static void
rc_fill (float *v, int64_t n, guint32 seed)
{
  GRand *r = g_rand_new_with_seed (seed);
  for (int64_t i = 0; i < n; i++)
    v[i] = (float) g_rand_double_range (r, -1.0, 1.0);
  g_rand_free (r);
}

static void
rc_copy_params (NnLayer *dst, const NnLayer *src)
{
  ck_assert_int_eq (dst->n_params, src->n_params);
  for (int k = 0; k < src->n_params; k++)
    memcpy (dst->params[k].data, src->params[k].data, sizeof (float) * nn_shape_numel (&src->params[k].shape));
}

/* rows (n, T, step) -> (n, k, step) from step t0 */
static void
rc_slice (const float *src, float *dst, int n, int t, int t0, int k, int64_t step)
{
  for (int i = 0; i < n; i++)
    memcpy (dst + (int64_t) i * k * step, src + ((int64_t) i * t + t0) * step, sizeof (float) * k * step);
}

static void
rc_unslice (const float *src, float *dst, int n, int t, int t0, int k, int64_t step)
{
  for (int i = 0; i < n; i++)
    memcpy (dst + ((int64_t) i * t + t0) * step, src + (int64_t) i * k * step, sizeof (float) * k * step);
}

static double
rc_max_diff (const float *a, const float *b, int64_t n)
{
  double d = 0.0;
  for (int64_t i = 0; i < n; i++)
    d = MAX (d, fabs ((double) a[i] - b[i]));
  return d;
}

/* `whole`: a return_sequences layer on `in` (T, ...); `chunk`: the same layer,
 * stateful, on (k, ...). Runs x through `whole` once and through `chunk` in
 * T/k calls; with `train` the chunks also run backward, and `whole` backward
 * with bptt = k, and the parameter gradients and dx must agree. */
static void
rc_check_chunks (const char *whole_spec, const char *chunk_spec, NnShape in, int k, int n, gboolean train)
{
  int t = (int) in.dim[0];
  NnShape cin = in;
  cin.dim[0] = k;
  NnLayer *a = nn_test_layer_new (whole_spec, &in, n);
  NnLayer *b = nn_test_layer_new (chunk_spec, &cin, n);
  rc_copy_params (b, a);
  int64_t xs = nn_shape_numel (&in) / t, ys = nn_shape_numel (&a->out) / t;
  ck_assert_int_eq (nn_shape_numel (&b->out), ys * k);
  int64_t nx = n * xs * t, ny = n * ys * t;
  float *x = g_new (float, nx), *y = g_new (float, ny), *dy = g_new (float, ny), *dx = g_new (float, nx);
  float *yb = g_new (float, ny), *dxb = g_new (float, nx);
  float *cx = g_new (float, n * xs * k), *cy = g_new (float, n * ys * k), *cdy = g_new (float, n * ys * k);
  float *cdx = g_new (float, n * xs * k);
  rc_fill (x, nx, 7);
  rc_fill (dy, ny, 8);
  a->bptt = k;
  a->klass->forward (a, x, y, n, train);
  if (train)
    a->klass->backward (a, x, y, dy, dx, n);
  b->klass->reset_state (b);
  for (int t0 = 0; t0 < t; t0 += k) {
    rc_slice (x, cx, n, t, t0, k, xs);
    b->klass->forward (b, cx, cy, n, train);
    rc_unslice (cy, yb, n, t, t0, k, ys);
    if (!train)
      continue;
    rc_slice (dy, cdy, n, t, t0, k, ys);
    b->klass->backward (b, cx, cy, cdy, cdx, n);
    rc_unslice (cdx, dxb, n, t, t0, k, xs);
  }
  ck_assert_msg (rc_max_diff (y, yb, ny) < 1e-5, "%s: outputs differ by %g", chunk_spec, rc_max_diff (y, yb, ny));
  if (train) {
    ck_assert_msg (rc_max_diff (dx, dxb, nx) < 1e-5, "%s: dx differs by %g (bptt %d)", chunk_spec,
                   rc_max_diff (dx, dxb, nx), k);
    for (int p = 0; p < a->n_params; p++) {
      int64_t m = nn_shape_numel (&a->params[p].shape);
      double d = rc_max_diff (a->params[p].grad, b->params[p].grad, m);
      ck_assert_msg (d < 1e-4, "%s: %s gradient differs by %g (bptt %d)", chunk_spec, a->params[p].name, d, k);
    }
    /* full BPTT must differ, or the comparison above proves nothing */
    if (k < t) {
      for (int p = 0; p < a->n_params; p++)
        memset (a->params[p].grad, 0, sizeof (float) * nn_shape_numel (&a->params[p].shape));
      a->bptt = 0;
      a->klass->forward (a, x, y, n, train);
      a->klass->backward (a, x, y, dy, dx, n);
      double d = rc_max_diff (a->params[1].grad, b->params[1].grad, nn_shape_numel (&a->params[1].shape));
      ck_assert_msg (d > 1e-4, "%s: full BPTT equals truncated", chunk_spec);
    }
  }
  g_free (x), g_free (y), g_free (dy), g_free (dx), g_free (yb), g_free (dxb);
  g_free (cx), g_free (cy), g_free (cdy), g_free (cdx);
  nn_layer_free (a);
  nn_layer_free (b);
}

/* A stateful layer starts from zero again after reset_state, and a stateful
 * run differs from a stateless one once there is state to carry. */
static void
rc_check_reset (const char *stateful_spec, NnShape in, int n)
{
  NnLayer *l = nn_test_layer_new (stateful_spec, &in, n);
  int64_t nx = n * nn_shape_numel (&in), ny = n * nn_shape_numel (&l->out);
  float *x = g_new (float, nx), *y1 = g_new (float, ny), *y2 = g_new (float, ny), *y3 = g_new (float, ny);
  rc_fill (x, nx, 9);
  l->klass->forward (l, x, y1, n, FALSE);
  l->klass->forward (l, x, y2, n, FALSE);
  ck_assert_msg (rc_max_diff (y1, y2, ny) > 1e-4, "%s: state is not carried", stateful_spec);
  l->klass->reset_state (l);
  l->klass->forward (l, x, y3, n, FALSE);
  ck_assert_msg (rc_max_diff (y1, y3, ny) == 0.0, "%s: reset_state does not reset", stateful_spec);
  g_free (x), g_free (y1), g_free (y2), g_free (y3);
  nn_layer_free (l);
}
