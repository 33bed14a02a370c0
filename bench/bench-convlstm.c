/* Our side of the ConvLSTM benchmark (bench/bench-convlstm.sh runs PyTorch's
 * beside it): a clip classifier convlstm2d (hidden 16, kernel 3) over clips
 * of 10 frames 1x32x32, then global_avgpool, dense 4, softmax.
 *   bench-convlstm train RUNS    -> median ms per training step, batch 16
 *                                   (forward, cross-entropy, backward, Adam)
 *   bench-convlstm stream RUNS   -> median µs per frame of the streaming copy
 *                                   (one step, state carried)
 *   bench-convlstm window RUNS   -> median µs per frame when re-running the
 *                                   whole 10-frame window at every frame */
#include <nn/nn.h>
#include <stdio.h>
#include <stdlib.h>

#define T 10
#define BATCH 16
#define SPEC \
  "{\"input\":[10,1,32,32],\"layers\":[{\"name\":\"clstm\",\"type\":\"convlstm2d\",\"filters\":16,\"kernel\":3}," \
  "{\"type\":\"global_avgpool\"},{\"name\":\"fc\",\"type\":\"dense\",\"units\":4},{\"type\":\"softmax\"}]}"

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

static double
median (double *v, int n)
{
  qsort (v, n, sizeof *v, cmp_double);
  return v[n / 2];
}

static float *
input (int64_t n)
{
  float *x = g_new (float, n);
  for (int64_t i = 0; i < n; i++)
    x[i] = (float) ((i * 7919) % 255) / 255.0f - 0.5f;
  return x;
}

static void
train_step (NnModel *m, NnOptimizer *o, const float *x, const float *t, float *dout)
{
  const float *p = nn_model_forward (m, x, BATCH, TRUE, NULL);
  /* softmax + cross-entropy: (p - t) / n at the logits, as nn train does */
  for (int i = 0; i < BATCH * 4; i++)
    dout[i] = (p[i] - t[i]) / BATCH;
  nn_model_zero_grad (m);
  nn_model_backward (m, dout, TRUE);
  nn_optimizer_step (o);
}

static double
bench_train (NnModel *m, int runs)
{
  NnOptimConfig c;
  nn_optim_config_init (&c, NN_OPT_ADAM);
  int n_params;
  NnParam *params = nn_model_params (m, &n_params);
  NnOptimizer *o = nn_optimizer_new (&c, params, n_params);
  g_autofree float *x = input ((int64_t) BATCH * T * 32 * 32);
  float t[BATCH * 4] = { 0 }, dout[BATCH * 4];
  for (int i = 0; i < BATCH; i++)
    t[i * 4 + i % 4] = 1.0f;
  nn_model_reserve (m, BATCH, NULL);
  for (int i = 0; i < 3; i++)
    train_step (m, o, x, t, dout);
  g_autofree double *ms = g_new (double, runs);
  for (int i = 0; i < runs; i++) {
    gint64 t0 = g_get_monotonic_time ();
    train_step (m, o, x, t, dout);
    ms[i] = (g_get_monotonic_time () - t0) / 1000.0;
  }
  nn_optimizer_free (o);
  return median (ms, runs);
}

/* µs per frame: `steps` frames per forward of the model (1 streaming, T window). */
static double
bench_frames (NnModel *m, int runs, int steps)
{
  g_autofree float *x = input ((int64_t) steps * 32 * 32);
  nn_model_reserve (m, 1, NULL);
  for (int i = 0; i < 20; i++)
    nn_model_forward (m, x, 1, FALSE, NULL);
  g_autofree double *us = g_new (double, runs);
  for (int i = 0; i < runs; i++) {
    gint64 t0 = g_get_monotonic_time ();
    nn_model_forward (m, x, 1, FALSE, NULL);
    us[i] = (double) (g_get_monotonic_time () - t0);
  }
  return median (us, runs);
}

int
main (int argc, char **argv)
{
  if (argc != 3) {
    fprintf (stderr, "usage: bench-convlstm train|stream|window RUNS\n");
    return 2;
  }
  int runs = atoi (argv[2]);
  GError *e = NULL;
  nn_set_threads (g_getenv ("BENCH_THREADS") ? atoi (g_getenv ("BENCH_THREADS")) : 1);
  NnModel *m = nn_model_new_from_spec (SPEC, 1, &e);
  if (!m || runs < 1) {
    fprintf (stderr, "bench-convlstm: %s\n", e ? e->message : "RUNS must be >= 1");
    return 1;
  }
  if (g_str_equal (argv[1], "train")) {
    printf ("%.3f\n", bench_train (m, runs));
  } else if (g_str_equal (argv[1], "window")) {
    printf ("%.1f\n", bench_frames (m, runs, T));
  } else {
    NnModel *s = nn_model_new_streaming (m, &e);
    if (!s) {
      fprintf (stderr, "bench-convlstm: %s\n", e->message);
      return 1;
    }
    printf ("%.1f\n", bench_frames (s, runs, 1));
    nn_model_free (s);
  }
  nn_model_free (m);
  return 0;
}
