/* Our side of the micro-benchmarks: batch-1 latency of a model, and the
 * throughput of a conv2d layer against OpenBLAS sgemm peak on this machine.
 *   bench-nn latency MODEL RUNS [THREADS [unfused]] -> median microseconds per forward (1 thread by
 *                                       default; "unfused": conv -> relu -> pool blocks layer by layer)
 *   bench-nn throughput MODEL BATCH RUNS [THREADS] -> inference samples/s, median of RUNS batches
 *   bench-nn forward MODEL IN.f32 N OUT.f32 -> the model's outputs for N raw float32 inputs (the
 *                                       parity check of bench/all.sh against ONNX Runtime)
 *   bench-nn blas                    -> the BLAS library in use, OpenBLAS's kernel and build
 *   bench-nn conv                    -> GFLOP/s of LeNet's conv2 and of sgemm */
#include "nn-private.h"
#include <cblas.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

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

static NnModel *
load (const char *path)
{
  GError *e = NULL;
  NnModel *m = nn_model_load (path, &e);
  if (!m)
    fprintf (stderr, "bench-nn: %s\n", e->message);
  g_clear_error (&e);
  return m;
}

static int
latency (const char *path, int runs, gboolean fusion)
{
  NnModel *m = load (path);
  if (!m)
    return 1;
  nn_model_set_fusion (m, fusion);
  int64_t in = nn_shape_numel (nn_model_input_shape (m));
  float *x = g_new (float, in);
  for (int64_t i = 0; i < in; i++)
    x[i] = (float) (i % 13) / 13.0f;
  /* the clock ticks in microseconds: each sample is the mean of GROUP forwards */
  enum { GROUP = 10 };
  int samples = MAX (runs / GROUP, 1);
  double *t = g_new (double, samples);
  for (int i = 0; i < 50; i++)
    nn_model_forward (m, x, 1, FALSE, NULL);
  for (int i = 0; i < samples; i++) {
    gint64 t0 = g_get_monotonic_time ();
    for (int k = 0; k < GROUP; k++)
      nn_model_forward (m, x, 1, FALSE, NULL);
    t[i] = (double) (g_get_monotonic_time () - t0) / GROUP;
  }
  printf ("%.1f\n", median (t, samples));
  nn_model_free (m);
  g_free (x);
  g_free (t);
  return 0;
}

/* samples/s of batch inference: batches are long enough (milliseconds) for
 * the microsecond clock, so each sample of the median is one batch */
static int
throughput (const char *path, int batch, int runs)
{
  NnModel *m = load (path);
  if (!m || batch < 1 || runs < 1 || !nn_model_reserve (m, batch, NULL))
    return 1;
  int64_t in = nn_shape_numel (nn_model_input_shape (m)) * batch;
  float *x = g_new (float, in);
  for (int64_t i = 0; i < in; i++)
    x[i] = (float) (i % 13) / 13.0f;
  double *t = g_new (double, runs);
  for (int i = 0; i < 5; i++)
    nn_model_forward (m, x, batch, FALSE, NULL);
  for (int i = 0; i < runs; i++) {
    gint64 t0 = g_get_monotonic_time ();
    nn_model_forward (m, x, batch, FALSE, NULL);
    t[i] = (double) (g_get_monotonic_time () - t0);
  }
  printf ("%.0f\n", batch * 1e6 / median (t, runs));
  nn_model_free (m);
  g_free (x);
  g_free (t);
  return 0;
}

static int
forward (const char *model, const char *in_path, int n, const char *out_path)
{
  GError *e = NULL;
  g_autofree char *data = NULL;
  gsize len = 0;
  NnModel *m = load (model);
  if (!m || n < 1 || !nn_model_reserve (m, n, &e) || !g_file_get_contents (in_path, &data, &len, &e))
    goto fail;
  int64_t in = nn_shape_numel (nn_model_input_shape (m)) * n;
  if ((int64_t) len != in * (int64_t) sizeof (float)) {
    fprintf (stderr, "bench-nn: %s holds %zu bytes, %d samples of %s need %" G_GINT64_FORMAT "\n", in_path,
             (size_t) len, n, model, in * (int64_t) sizeof (float));
    nn_model_free (m);
    return 1;
  }
  const float *y = nn_model_forward (m, (const float *) data, n, FALSE, &e);
  if (!y || !g_file_set_contents (out_path, (const char *) y,
                                  nn_shape_numel (nn_model_output_shape (m)) * n * (gssize) sizeof (float), &e))
    goto fail;
  nn_model_free (m);
  return 0;
fail:
  if (e)
    fprintf (stderr, "bench-nn: %s\n", e->message);
  g_clear_error (&e);
  if (m)
    nn_model_free (m);
  return 1;
}

/* Which BLAS answers cblas_sgemm (the loader may have switched libblas), and
 * for OpenBLAS the kernel it chose for this CPU: the tables name it. */
static int
blas (void)
{
  Dl_info info;
  const char *lib = dladdr ((void *) cblas_sgemm, &info) && info.dli_fname ? info.dli_fname : "unknown";
  char *(*corename) (void) = (char *(*) (void)) dlsym (RTLD_DEFAULT, "openblas_get_corename");
  char *(*config) (void) = (char *(*) (void)) dlsym (RTLD_DEFAULT, "openblas_get_config");
  if (corename && config)
    printf ("%s (OpenBLAS kernel %s; %s)\n", lib, corename (), g_strstrip (config ()));
  else
    printf ("%s (not OpenBLAS)\n", lib);
  return 0;
}

static double
time_median_us (void (*fn) (gpointer), gpointer data, int runs)
{
  double *t = g_new (double, runs);
  fn (data);
  for (int i = 0; i < runs; i++) {
    gint64 t0 = g_get_monotonic_time ();
    fn (data);
    t[i] = (double) (g_get_monotonic_time () - t0);
  }
  double m = median (t, runs);
  g_free (t);
  return m;
}

typedef struct {
  NnLayer *l;
  float *x, *y, *dx;
  int n;
} ConvRun;

static void
conv_fwd (gpointer d)
{
  ConvRun *r = d;
  r->l->klass->forward (r->l, r->x, r->y, r->n, FALSE);
}

/* a training pass: forward, then backward with dy = y (values do not matter) */
static void
conv_train (gpointer d)
{
  ConvRun *r = d;
  r->l->klass->forward (r->l, r->x, r->y, r->n, TRUE);
  r->l->klass->backward (r->l, r->x, r->y, r->y, r->dx, r->n);
}

typedef struct {
  int n;
  float *a, *b, *c;
} Gemm;

static void
gemm (gpointer d)
{
  Gemm *g = d;
  cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, g->n, g->n, g->n, 1.0f, g->a, g->n, g->b, g->n, 0.0f,
               g->c, g->n);
}

static int
conv (void)
{
  /* LeNet's conv2: 16 -> 32 channels, 3x3 same, on 14x14, batch 64 */
  NnShape in = nn_shape_3d (16, 14, 14);
  GError *e = NULL;
  NnLayer *l = nn_layer_new ("{\"type\": \"conv2d\", \"name\": \"c\", \"filters\": 32, \"kernel\": 3, \"padding\": \"same\"}",
                             &in, 1, &e);
  ConvRun r = { l, NULL, NULL, NULL, 64 };
  r.x = g_new0 (float, r.n * nn_shape_numel (&in));
  r.y = g_new0 (float, r.n * nn_shape_numel (&l->out));
  r.dx = g_new0 (float, r.n * nn_shape_numel (&in));
  double flops = (double) l->klass->flops (l) * r.n;
  for (int t = 1; t <= 2; t++) {
    nn_set_threads (t);
    nn_layer_reserve (l, r.n, &e);
    double us = time_median_us (conv_fwd, &r, 30), tus = time_median_us (conv_train, &r, 30);
    /* effective rates: the direct convolution's multiply-adds over the time, whatever the algorithm */
    printf ("conv2d 16->32 3x3 14x14 batch 64, %d thread%s: inference forward (Winograd) %.1f GFLOP/s, "
            "training forward + backward (unfolded) %.1f GFLOP/s\n",
            t, t > 1 ? "s" : "", flops / us / 1e3, 3 * flops / tus / 1e3);
  }
  nn_set_threads (1);
  Gemm g = { 512, g_new0 (float, 512 * 512), g_new0 (float, 512 * 512), g_new0 (float, 512 * 512) };
  double gus = time_median_us (gemm, &g, 30);
  printf ("sgemm 512x512x512, 1 thread: %.1f GFLOP/s\n", 2.0 * 512 * 512 * 512 / gus / 1e3);
  nn_layer_free (l);
  g_free (r.x);
  g_free (r.y);
  g_free (r.dx);
  g_free (g.a);
  g_free (g.b);
  g_free (g.c);
  return 0;
}

int
main (int argc, char **argv)
{
  /* on stderr: the scripts read the figures from stdout */
  fprintf (stderr, "bench-nn: kernels %s (this CPU runs: %s)\n", nn_cpu_path_name (), nn_cpu_paths_available ());
  if (argc >= 4 && g_str_equal (argv[1], "latency")) {
    gboolean fusion = !(argc >= 6 && g_str_equal (argv[5], "unfused"));
    nn_set_threads (argc >= 5 ? atoi (argv[4]) : 1);
    return latency (argv[2], atoi (argv[3]), fusion);
  }
  if (argc >= 5 && g_str_equal (argv[1], "throughput")) {
    nn_set_threads (argc >= 6 ? atoi (argv[5]) : 1);
    return throughput (argv[2], atoi (argv[3]), atoi (argv[4]));
  }
  if (argc == 6 && g_str_equal (argv[1], "forward"))
    return forward (argv[2], argv[3], atoi (argv[4]), argv[5]);
  if (argc >= 2 && g_str_equal (argv[1], "blas"))
    return blas ();
  if (argc >= 2 && g_str_equal (argv[1], "conv"))
    return conv ();
  fprintf (stderr, "usage: bench-nn latency MODEL RUNS [THREADS [unfused]] | throughput MODEL BATCH RUNS [THREADS] |\n"
           "       forward MODEL IN.f32 N OUT.f32 | blas | conv\n");
  return 2;
}
