/* DCGAN timings for bench/bench-gan.sh: one adversarial training iteration
 * (batch 64: generator step and discriminator step, Adam) and batch-1
 * generation, on models/fashion-dcgan-{g,d}.json with random "real" images.
 *   bench-gan train RUNS   -> median ms per iteration
 *   bench-gan generate RUNS -> frames/s at batch 1 (median of per-frame times) */
#include <nn/nn.h>
#include <stdio.h>
#include <stdlib.h>

static int
cmp (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

static double
median (double *v, int n)
{
  qsort (v, n, sizeof *v, cmp);
  return v[n / 2];
}

static NnModel *
load (const char *path)
{
  GError *e = NULL;
  NnModel *m = nn_model_new_from_spec_file (path, 1, &e);
  if (!m) {
    fprintf (stderr, "bench-gan: %s\n", e->message);
    exit (1);
  }
  return m;
}

static double
bench_train (NnModel *g, NnModel *d, int runs)
{
  enum { B = 64 };
  NnGanConfig c;
  nn_gan_config_init (&c);
  GError *e = NULL;
  NnGanTrainer *t = nn_gan_trainer_new (g, d, &c, B, &e);
  if (!t) {
    fprintf (stderr, "bench-gan: %s\n", e->message);
    exit (1);
  }
  float *x = g_new (float, B * 784);
  int32_t labels[B];
  GRand *r = g_rand_new_with_seed (1);
  for (int i = 0; i < B * 784; i++)
    x[i] = (float) g_rand_double_range (r, -1, 1);
  for (int i = 0; i < B; i++)
    labels[i] = i % 10;
  double *ms = g_new (double, runs);
  for (int k = -3; k < runs; k++) {
    gint64 t0 = g_get_monotonic_time ();
    if (!nn_gan_trainer_step (t, x, labels, B, NULL, &e)) {
      fprintf (stderr, "bench-gan: %s\n", e->message);
      exit (1);
    }
    if (k >= 0)
      ms[k] = (g_get_monotonic_time () - t0) / 1000.0;
  }
  double m = median (ms, runs);
  nn_gan_trainer_free (t);
  g_free (ms);
  g_free (x);
  g_rand_free (r);
  return m;
}

static double
bench_generate (NnModel *g, int runs)
{
  NnGanSpec s;
  GError *e = NULL;
  if (!nn_gan_spec (g, &s, &e)) {
    fprintf (stderr, "bench-gan: %s\n", e->message);
    exit (1);
  }
  float *z = g_new (float, nn_gan_input_size (&s));
  GRand *r = g_rand_new_with_seed (1);
  double *us = g_new (double, runs);
  for (int k = -10; k < runs; k++) {
    nn_gan_sample_input (&s, r, k % 10 < 0 ? 0 : k % 10, z);
    gint64 t0 = g_get_monotonic_time ();
    if (!nn_model_forward (g, z, 1, FALSE, &e)) {
      fprintf (stderr, "bench-gan: %s\n", e->message);
      exit (1);
    }
    if (k >= 0)
      us[k] = (double) (g_get_monotonic_time () - t0);
  }
  double fps = 1e6 / median (us, runs);
  g_free (us);
  g_free (z);
  g_rand_free (r);
  nn_gan_spec_clear (&s);
  return fps;
}

int
main (int argc, char **argv)
{
  if (argc != 3) {
    fprintf (stderr, "usage: bench-gan train|generate RUNS\n");
    return 2;
  }
  const char *root = g_getenv ("NN_SOURCE_ROOT") ? g_getenv ("NN_SOURCE_ROOT") : ".";
  g_autofree char *gp = g_build_filename (root, "models", "fashion-dcgan-g.json", NULL);
  g_autofree char *dp = g_build_filename (root, "models", "fashion-dcgan-d.json", NULL);
  nn_set_threads (g_getenv ("BENCH_THREADS") ? atoi (g_getenv ("BENCH_THREADS")) : 1);
  NnModel *g = load (gp), *d = load (dp);
  int runs = atoi (argv[2]);
  if (g_str_equal (argv[1], "train"))
    printf ("%.2f\n", bench_train (g, d, runs));
  else
    printf ("%.0f\n", bench_generate (g, runs));
  nn_model_free (g);
  nn_model_free (d);
  return 0;
}
