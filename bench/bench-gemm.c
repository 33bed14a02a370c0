/* The matrix products our shipped models run, timed in one run on every
 * single-precision GEMM this machine has: OpenBLAS (what core/ calls), BLIS,
 * libxsmm (JIT), oneDNN and our own kernel (core/gemm.c). Grouped by shape
 * class: batch-1 inference, batch-64 inference, training at batch 64.
 * Every library's output is checked against OpenBLAS's first (max error over
 * max |C|, must be < 1e-5): a wrong result is reported and cannot win.
 *
 *   bench-gemm [--threads 1,2] [--repeats R] [--ms MS] [--clock wall|thread] [--class NAME]
 *
 * Each cell: median [min - max] microseconds per product over R repeats
 * (each repeat the mean of enough calls to last MS), GFLOP/s and OpenBLAS's
 * time over this one's. A class's total weighs each product by the number of
 * times a forward (or training step) of its model runs it. The libraries
 * take turns inside each repeat, so a busy machine slows them alike. 2
 * threads: the libraries that thread (OpenBLAS, BLIS, oneDNN); libxsmm and
 * our kernel are single-threaded (libnn splits a batch over its own threads).
 * Prints Markdown. */
#include "gemm-private.h"
#include <cblas.h>
#include <dlfcn.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <omp.h>
#ifdef HAVE_BLIS
#include <blis.h>
#endif
#ifdef HAVE_XSMM
#include <libxsmm.h>
#endif
#ifdef HAVE_DNNL
#include <oneapi/dnnl/dnnl.h>
#endif

typedef enum { LIB_OPENBLAS, LIB_BLIS, LIB_XSMM, LIB_DNNL, LIB_NN, N_LIBS } Lib;
static const char *lib_names[N_LIBS] = { "OpenBLAS", "BLIS", "libxsmm", "oneDNN", "nn kernel" };
static const gboolean lib_threads[N_LIBS] = { TRUE, TRUE, FALSE, TRUE, FALSE };
static const gboolean lib_present[N_LIBS] = {
  TRUE,
#ifdef HAVE_BLIS
  TRUE,
#else
  FALSE,
#endif
#ifdef HAVE_XSMM
  TRUE,
#else
  FALSE,
#endif
#ifdef HAVE_DNNL
  TRUE,
#else
  FALSE,
#endif
  TRUE,
};

/* C (m, n) = op(A) (m, k) op(B) (k, n) + beta C, row-major; 'T': the operand
 * is stored transposed. gemv: core/ calls cblas_sgemv for it (a dense layer
 * at batch 1), so OpenBLAS's time is sgemv's. calls: how many times one
 * forward (inference) or one step (training) of the model runs it. */
typedef struct {
  const char *cls, *what;
  char        ta, tb;
  int         m, n, k;
  float       beta;
  int         calls;
  gboolean    gemv;
} Shape;

/* Derived from models/<name>.json and the layers' code: Winograd F(2x2,3x3)
 * products (core/winograd.c: f x tiles x c, tiles = ceil(oh/2) x (ceil(ow/2)
 * + 1), 16 per sample), unfolded convolutions (conv2d.c: f x oh*ow x c*kh*kw;
 * backward dW f x c*kh*kw x oh*ow (NT) and dcol c*kh*kw x oh*ow x f (TN)),
 * dense layers (ops.c: x W^T, NT; dx NN; dW TN), the ConvLSTM's gate product
 * per step (4*hd x h*w x (c+hd)*9), transposed convolutions
 * (conv_transpose2d.c). First layers have no dx. */
static const Shape shapes[] = {
  /* batch-1 inference: the elements' case */
  { "batch-1 inference", "fashion-lenet conv2 Winograd", 'N', 'N', 32, 56, 16, 0, 16, FALSE },
  { "batch-1 inference", "fashion-lenet fc1", 'N', 'T', 1, 128, 1568, 1, 1, TRUE },
  { "batch-1 inference", "fashion-lenet fc2", 'N', 'T', 1, 10, 128, 1, 1, TRUE },
  { "batch-1 inference", "gesture-lenet conv2 Winograd", 'N', 'N', 32, 156, 16, 0, 16, FALSE },
  { "batch-1 inference", "gesture-lenet conv3 Winograd", 'N', 'N', 48, 42, 32, 0, 16, FALSE },
  { "batch-1 inference", "gesture-lenet fc1", 'N', 'T', 1, 64, 1728, 1, 1, TRUE },
  { "batch-1 inference", "gesture-lenet fc2", 'N', 'T', 1, 7, 64, 1, 1, TRUE },
  { "batch-1 inference", "gesture-fcn conv1 (5x5, unfolded)", 'N', 'N', 16, 784, 75, 1, 1, FALSE },
  { "batch-1 inference", "gesture-fcn conv2 Winograd", 'N', 'N', 32, 42, 16, 0, 16, FALSE },
  { "batch-1 inference", "gesture-fcn conv3 Winograd", 'N', 'N', 48, 6, 32, 0, 16, FALSE },
  { "batch-1 inference", "gesture-fcn conv4 (4x4 -> 1x1)", 'N', 'N', 64, 1, 768, 1, 1, FALSE },
  { "batch-1 inference", "gesture-fcn head (1x1)", 'N', 'N', 7, 1, 64, 1, 1, FALSE },
  { "batch-1 inference", "trailer-genre-convlstm gates, one frame", 'N', 'N', 64, 256, 153, 1, 1, FALSE },
  { "batch-1 inference", "fashion-dcgan-g project", 'N', 'N', 1, 3136, 74, 0, 1, FALSE },
  { "batch-1 inference", "fashion-dcgan-g up1", 'T', 'N', 512, 49, 64, 0, 1, FALSE },
  { "batch-1 inference", "fashion-dcgan-g up2", 'T', 'N', 16, 196, 32, 0, 1, FALSE },
  { "batch-1 inference", "fashion-mlp fc1", 'N', 'T', 1, 256, 784, 1, 1, TRUE },
  { "batch-1 inference", "fashion-mlp fc2", 'N', 'T', 1, 128, 256, 1, 1, TRUE },
  /* batch-64 inference: per-sample products run 64 times */
  { "batch-64 inference", "fashion-lenet conv2 Winograd", 'N', 'N', 32, 56, 16, 0, 16 * 64, FALSE },
  { "batch-64 inference", "fashion-lenet fc1", 'N', 'T', 64, 128, 1568, 1, 1, FALSE },
  { "batch-64 inference", "fashion-lenet fc2", 'N', 'T', 64, 10, 128, 1, 1, FALSE },
  { "batch-64 inference", "gesture-lenet conv2 Winograd", 'N', 'N', 32, 156, 16, 0, 16 * 64, FALSE },
  { "batch-64 inference", "gesture-lenet conv3 Winograd", 'N', 'N', 48, 42, 32, 0, 16 * 64, FALSE },
  { "batch-64 inference", "gesture-lenet fc1", 'N', 'T', 64, 64, 1728, 1, 1, FALSE },
  { "batch-64 inference", "gesture-lenet fc2", 'N', 'T', 64, 7, 64, 1, 1, FALSE },
  { "batch-64 inference", "gesture-fcn conv1 (5x5, unfolded)", 'N', 'N', 16, 784, 75, 1, 64, FALSE },
  { "batch-64 inference", "gesture-fcn conv2 Winograd", 'N', 'N', 32, 42, 16, 0, 16 * 64, FALSE },
  { "batch-64 inference", "gesture-fcn conv3 Winograd", 'N', 'N', 48, 6, 32, 0, 16 * 64, FALSE },
  { "batch-64 inference", "gesture-fcn conv4 (4x4 -> 1x1)", 'N', 'N', 64, 1, 768, 1, 64, FALSE },
  { "batch-64 inference", "fashion-dcgan-g project", 'N', 'N', 64, 3136, 74, 0, 1, FALSE },
  { "batch-64 inference", "fashion-dcgan-g up1", 'T', 'N', 512, 49, 64, 0, 64, FALSE },
  { "batch-64 inference", "fashion-dcgan-g up2", 'T', 'N', 16, 196, 32, 0, 64, FALSE },
  { "batch-64 inference", "fashion-mlp fc1", 'N', 'T', 64, 256, 784, 1, 1, FALSE },
  { "batch-64 inference", "fashion-mlp fc2", 'N', 'T', 64, 128, 256, 1, 1, FALSE },
  { "batch-64 inference", "fashion-mlp fc3", 'N', 'T', 64, 10, 128, 1, 1, FALSE },
  /* training at batch 64: forward (unfolded), dW, dcol / dx */
  { "training", "fashion-lenet conv1 forward", 'N', 'N', 16, 784, 9, 1, 64, FALSE },
  { "training", "fashion-lenet conv1 dW", 'N', 'T', 16, 9, 784, 1, 64, FALSE },
  { "training", "fashion-lenet conv2 forward", 'N', 'N', 32, 196, 144, 1, 64, FALSE },
  { "training", "fashion-lenet conv2 dW", 'N', 'T', 32, 144, 196, 1, 64, FALSE },
  { "training", "fashion-lenet conv2 dcol", 'T', 'N', 144, 196, 32, 0, 64, FALSE },
  { "training", "fashion-lenet fc1 forward", 'N', 'T', 64, 128, 1568, 1, 1, FALSE },
  { "training", "fashion-lenet fc1 dx", 'N', 'N', 64, 1568, 128, 0, 1, FALSE },
  { "training", "fashion-lenet fc1 dW", 'T', 'N', 128, 1568, 64, 1, 1, FALSE },
  { "training", "fashion-lenet fc2 forward", 'N', 'T', 64, 10, 128, 1, 1, FALSE },
  { "training", "fashion-lenet fc2 dx", 'N', 'N', 64, 128, 10, 0, 1, FALSE },
  { "training", "fashion-lenet fc2 dW", 'T', 'N', 10, 128, 64, 1, 1, FALSE },
  { "training", "fashion-mlp fc1 forward", 'N', 'T', 64, 256, 784, 1, 1, FALSE },
  { "training", "fashion-mlp fc1 dW", 'T', 'N', 256, 784, 64, 1, 1, FALSE },
  { "training", "fashion-mlp fc2 forward", 'N', 'T', 64, 128, 256, 1, 1, FALSE },
  { "training", "fashion-mlp fc2 dx", 'N', 'N', 64, 256, 128, 0, 1, FALSE },
  { "training", "fashion-mlp fc2 dW", 'T', 'N', 128, 256, 64, 1, 1, FALSE },
  { "training", "trailer-genre-convlstm gates forward", 'N', 'N', 64, 256, 153, 1, 12 * 64, FALSE },
  { "training", "trailer-genre-convlstm gates dW", 'N', 'T', 64, 153, 256, 1, 12 * 64, FALSE },
  { "training", "trailer-genre-convlstm gates dcol", 'T', 'N', 144, 256, 64, 0, 12 * 64, FALSE },
  { "training", "fashion-dcgan-g project forward", 'N', 'N', 64, 3136, 74, 0, 2, FALSE },
  { "training", "fashion-dcgan-g project dW", 'T', 'N', 74, 3136, 64, 1, 1, FALSE },
  { "training", "fashion-dcgan-g up1 forward", 'T', 'N', 512, 49, 64, 0, 2 * 64, FALSE },
  { "training", "fashion-dcgan-g up1 dW", 'N', 'T', 64, 512, 49, 1, 64, FALSE },
  { "training", "fashion-dcgan-g up1 dx", 'N', 'N', 64, 49, 512, 0, 64, FALSE },
  { "training", "fashion-dcgan-g up2 forward", 'T', 'N', 16, 196, 32, 0, 2 * 64, FALSE },
  { "training", "fashion-dcgan-g up2 dW", 'N', 'T', 32, 16, 196, 1, 64, FALSE },
  { "training", "fashion-dcgan-g up2 dx", 'N', 'N', 32, 196, 16, 0, 64, FALSE },
  { "training", "fashion-dcgan-d conv1 forward", 'N', 'N', 32, 196, 16, 1, 3 * 64, FALSE },
  { "training", "fashion-dcgan-d conv1 dW", 'N', 'T', 32, 16, 196, 1, 2 * 64, FALSE },
  { "training", "fashion-dcgan-d conv2 forward", 'N', 'N', 64, 49, 512, 1, 3 * 64, FALSE },
  { "training", "fashion-dcgan-d conv2 dW", 'N', 'T', 64, 512, 49, 1, 2 * 64, FALSE },
  { "training", "fashion-dcgan-d conv2 dcol", 'T', 'N', 512, 49, 64, 0, 3 * 64, FALSE },
  { "training", "fashion-dcgan-d score forward", 'N', 'T', 64, 10, 3136, 1, 3, FALSE },
  { "training", "fashion-dcgan-d score dx", 'N', 'N', 64, 3136, 10, 0, 3, FALSE },
  { "training", "fashion-dcgan-d score dW", 'T', 'N', 10, 3136, 64, 1, 2, FALSE },
};
#define N_SHAPES G_N_ELEMENTS (shapes)

typedef struct {
  float *a, *b, *c, *c0, *ref;
  int    lda, ldb, ldc;
#ifdef HAVE_XSMM
  libxsmm_smmfunction xsmm;
#endif
} Bufs;

static gboolean
shape_same (const Shape *x, const Shape *y)
{
  return x->ta == y->ta && x->tb == y->tb && x->m == y->m && x->n == y->n && x->k == y->k && x->beta == y->beta
         && x->gemv == y->gemv;
}

static float *
alloc_floats (size_t n)
{
  void *p = NULL;
  if (posix_memalign (&p, 64, sizeof (float) * MAX (n, 1)))
    abort ();
  return p;
}

static void
fill (float *p, size_t n, GRand *r)
{
  for (size_t i = 0; i < n; i++)
    p[i] = (float) g_rand_double_range (r, -1.0, 1.0);
}

static void
bufs_init (Bufs *bf, const Shape *s, GRand *r)
{
  bf->lda = s->ta == 'N' ? s->k : s->m;
  bf->ldb = s->tb == 'N' ? s->n : s->k;
  bf->ldc = s->n;
  size_t na = (size_t) s->m * s->k, nb = (size_t) s->k * s->n, nc = (size_t) s->m * s->n;
  bf->a = alloc_floats (na);
  bf->b = alloc_floats (nb);
  bf->c = alloc_floats (nc);
  bf->c0 = alloc_floats (nc);
  bf->ref = alloc_floats (nc);
  fill (bf->a, na, r);
  fill (bf->b, nb, r);
  fill (bf->c0, nc, r);
#ifdef HAVE_XSMM
  /* column-major: C^T (n, m) = op(B)^T op(A)^T, so B is libxsmm's A */
  int flags = (s->tb == 'T' ? LIBXSMM_GEMM_FLAG_TRANS_A : 0) | (s->ta == 'T' ? LIBXSMM_GEMM_FLAG_TRANS_B : 0)
              | (s->beta == 0 ? LIBXSMM_GEMM_FLAG_BETA_0 : 0);
  float alpha = 1.0f, beta = s->beta;
  libxsmm_blasint lda = bf->ldb, ldb = bf->lda, ldc = bf->ldc;
  bf->xsmm = libxsmm_smmdispatch (s->n, s->m, s->k, &lda, &ldb, &ldc, &alpha, &beta, &flags, NULL);
#endif
}

static void
bufs_clear (Bufs *bf)
{
  free (bf->a);
  free (bf->b);
  free (bf->c);
  free (bf->c0);
  free (bf->ref);
}

static void
run (Lib lib, const Shape *s, Bufs *bf)
{
  enum CBLAS_TRANSPOSE ta = s->ta == 'N' ? CblasNoTrans : CblasTrans, tb = s->tb == 'N' ? CblasNoTrans : CblasTrans;
  switch (lib) {
    case LIB_OPENBLAS:
      if (s->gemv)   /* y = W x: W (n, k) */
        cblas_sgemv (CblasRowMajor, CblasNoTrans, s->n, s->k, 1.0f, bf->b, bf->ldb, bf->a, 1, s->beta, bf->c, 1);
      else
        cblas_sgemm (CblasRowMajor, ta, tb, s->m, s->n, s->k, 1.0f, bf->a, bf->lda, bf->b, bf->ldb, s->beta, bf->c,
                     bf->ldc);
      break;
#ifdef HAVE_BLIS
    case LIB_BLIS: {
      float alpha = 1.0f, beta = s->beta;
      bli_sgemm (s->ta == 'N' ? BLIS_NO_TRANSPOSE : BLIS_TRANSPOSE, s->tb == 'N' ? BLIS_NO_TRANSPOSE : BLIS_TRANSPOSE,
                 s->m, s->n, s->k, &alpha, bf->a, bf->lda, 1, bf->b, bf->ldb, 1, &beta, bf->c, bf->ldc, 1);
      break;
    }
#endif
#ifdef HAVE_XSMM
    case LIB_XSMM:
      if (bf->xsmm) {
        bf->xsmm (bf->b, bf->a, bf->c);
      } else {   /* no JIT kernel for it: libxsmm's own fallback (BLAS) */
        float alpha = 1.0f, beta = s->beta;
        libxsmm_blasint m = s->n, n = s->m, k = s->k, lda = bf->ldb, ldb = bf->lda, ldc = bf->ldc;
        char tra = s->tb, trb = s->ta;
        libxsmm_sgemm (&tra, &trb, &m, &n, &k, &alpha, bf->b, &lda, bf->a, &ldb, &beta, bf->c, &ldc);
      }
      break;
#endif
#ifdef HAVE_DNNL
    case LIB_DNNL:
      dnnl_sgemm (s->ta, s->tb, s->m, s->n, s->k, 1.0f, bf->a, bf->lda, bf->b, bf->ldb, s->beta, bf->c, bf->ldc);
      break;
#endif
    case LIB_NN:
      if (!nn_gemm_kernel (s->ta == 'T', s->tb == 'T', s->m, s->n, s->k, 1.0f, bf->a, bf->lda, bf->b, bf->ldb,
                           s->beta, bf->c, bf->ldc))
        cblas_sgemm (CblasRowMajor, ta, tb, s->m, s->n, s->k, 1.0f, bf->a, bf->lda, bf->b, bf->ldb, s->beta, bf->c,
                     bf->ldc);
      break;
    default:
      break;
  }
}

/* max |C - C_ref| over max |C_ref|, from the same starting C */
static double
check (Lib lib, const Shape *s, Bufs *bf)
{
  size_t nc = (size_t) s->m * s->n;
  memcpy (bf->c, bf->c0, sizeof (float) * nc);
  run (lib, s, bf);
  double err = 0, mag = 0;
  for (size_t i = 0; i < nc; i++) {
    err = fmax (err, fabs ((double) bf->c[i] - bf->ref[i]));
    mag = fmax (mag, fabs ((double) bf->ref[i]));
  }
  return isfinite (err) ? err / fmax (mag, 1e-30) : INFINITY;
}

static gboolean use_thread_clock;

static double
now_ns (void)
{
  struct timespec t;
  clock_gettime (use_thread_clock ? CLOCK_THREAD_CPUTIME_ID : CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e9 + t.tv_nsec;
}

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

typedef struct {
  double med, lo, hi, err;   /* microseconds; err < 0: not run */
  gboolean jit;              /* libxsmm: a JIT kernel (not its BLAS fallback) */
} Cell;

static void
set_threads (int nt)
{
  openblas_set_num_threads (nt);
#ifdef HAVE_BLIS
  bli_thread_set_num_threads (nt);
#endif
  omp_set_num_threads (nt);
}

/* One shape on every library: R repeats, the libraries taking turns. */
static void
measure (const Shape *s, int nt, int repeats, double target_ns, GRand *rng, Cell *cells)
{
  Bufs bf;
  bufs_init (&bf, s, rng);
  size_t nc = (size_t) s->m * s->n;
  memcpy (bf.ref, bf.c0, sizeof (float) * nc);
  cblas_sgemm (CblasRowMajor, s->ta == 'N' ? CblasNoTrans : CblasTrans, s->tb == 'N' ? CblasNoTrans : CblasTrans,
               s->m, s->n, s->k, 1.0f, bf.a, bf.lda, bf.b, bf.ldb, s->beta, bf.ref, bf.ldc);
  gboolean on[N_LIBS];
  long iters[N_LIBS];
  double *t[N_LIBS];
  for (int l = 0; l < N_LIBS; l++) {
    on[l] = lib_present[l] && (nt == 1 || lib_threads[l]);
    cells[l] = (Cell) { .err = -1 };
    t[l] = g_new (double, repeats);
    if (!on[l])
      continue;
    cells[l].err = check (l, s, &bf);
#ifdef HAVE_XSMM
    cells[l].jit = l == LIB_XSMM && bf.xsmm;
#endif
    /* calls per repeat: enough to last target_ns, after one warm call */
    double t0 = now_ns ();
    run (l, s, &bf);
    double one = MAX (now_ns () - t0, 50.0);
    iters[l] = CLAMP ((long) (target_ns / one), 1, 1000000);
    t0 = now_ns ();
    for (long i = 0; i < iters[l]; i++)
      run (l, s, &bf);
    one = MAX ((now_ns () - t0) / iters[l], 1.0);
    iters[l] = CLAMP ((long) (target_ns / one), 1, 1000000);
  }
  for (int r = 0; r < repeats; r++)
    for (int l = 0; l < N_LIBS; l++) {
      if (!on[l])
        continue;
      /* beta 1 products accumulate; C is rewritten now and then so it stays finite */
      memcpy (bf.c, bf.c0, sizeof (float) * nc);
      double t0 = now_ns ();
      for (long i = 0; i < iters[l]; i++)
        run (l, s, &bf);
      t[l][r] = (now_ns () - t0) / iters[l] / 1e3;
    }
  for (int l = 0; l < N_LIBS; l++) {
    if (on[l]) {
      qsort (t[l], repeats, sizeof (double), cmp_double);
      cells[l].med = t[l][repeats / 2];
      cells[l].lo = t[l][0];
      cells[l].hi = t[l][repeats - 1];
    }
    g_free (t[l]);
  }
  bufs_clear (&bf);
}

#define TOL 1e-5

static void
print_header (void)
{
  char *model = NULL;
  gboolean avx2 = FALSE, fma = FALSE, avx512 = FALSE;
  FILE *f = fopen ("/proc/cpuinfo", "r");
  char line[4096];
  while (f && fgets (line, sizeof line, f)) {
    if (!model && g_str_has_prefix (line, "model name"))
      model = g_strstrip (g_strdup (strchr (line, ':') + 1));
    if (g_str_has_prefix (line, "flags")) {
      avx2 = strstr (line, " avx2") != NULL;
      fma = strstr (line, " fma") != NULL;
      avx512 = strstr (line, " avx512f") != NULL;
    }
  }
  if (f)
    fclose (f);
  Dl_info di = { 0 };
  dladdr ((void *) cblas_sgemm, &di);
  printf ("- CPU: %s, %d cores; AVX2 %s, FMA %s, AVX-512F %s\n", model ? model : "?", g_get_num_processors (),
          avx2 ? "yes" : "no", fma ? "yes" : "no", avx512 ? "yes" : "no");
  printf ("- OpenBLAS: core %s (%s); cblas_sgemm from %s\n", openblas_get_corename (), g_strstrip (openblas_get_config ()),
          di.dli_fname ? di.dli_fname : "?");
#ifdef HAVE_BLIS
  printf ("- BLIS %s: %s kernels (bli_sgemm)\n", bli_info_get_version_str (), bli_arch_string (bli_arch_query_id ()));
#endif
#ifdef HAVE_XSMM
  printf ("- libxsmm %s: JIT for %s (libxsmm_smmdispatch; * = no JIT kernel, libxsmm's BLAS fallback)\n",
          LIBXSMM_VERSION, libxsmm_get_target_arch ());
#endif
#ifdef HAVE_DNNL
  const dnnl_version_t *v = dnnl_version ();
  unsigned isa = (unsigned) dnnl_get_effective_cpu_isa ();
  const char *isa_name = isa == 0x7 ? "avx2" : isa == 0x407 ? "avx2_vnni" : isa == 0x27 ? "avx512_core"
                         : isa == 0x67 ? "avx512_core_vnni" : isa == 0xe7 ? "avx512_core_bf16" : "see dnnl_types.h";
  printf ("- oneDNN %d.%d.%d: dnnl_sgemm, CPU ISA 0x%x (%s)\n", v->major, v->minor, v->patch, isa, isa_name);
#endif
  printf ("- nn kernel: core/gemm.c (nn_sgemm, nn_sgemv), AVX2+FMA %s\n",
          avx2 && fma ? "(used)" : "(not on this CPU: OpenBLAS)");
  g_free (model);
}

static void
print_class (const char *cls, int nt, Cell (*cells)[N_LIBS], int repeats)
{
  double total[N_LIBS] = { 0 };
  gboolean valid[N_LIBS];
  for (int l = 0; l < N_LIBS; l++)
    valid[l] = lib_present[l] && (nt == 1 || lib_threads[l]);
  printf ("\n#### %s, %d thread%s\n\n| product | op M x N x K | calls |", cls, nt, nt > 1 ? "s" : "");
  for (int l = 0; l < N_LIBS; l++)
    if (valid[l])
      printf (" %s µs [min - max], GFLOP/s, speed-up |", lib_names[l]);
  printf (" max rel. error |\n| --- | --- | --- |");
  for (int l = 0; l < N_LIBS; l++)
    if (valid[l])
      printf (" --- |");
  printf (" --- |\n");
  for (size_t i = 0; i < N_SHAPES; i++) {
    const Shape *s = &shapes[i];
    if (strcmp (s->cls, cls))
      continue;
    double flop = 2.0 * s->m * s->n * s->k, maxerr = 0;
    printf ("| %s | %c%c %d x %d x %d%s | %d |", s->what, s->ta, s->tb, s->m, s->n, s->k, s->gemv ? " (sgemv)" : "",
            s->calls);
    for (int l = 0; l < N_LIBS; l++) {
      if (!valid[l])
        continue;
      Cell *c = &cells[i][l];
      gboolean bad = !(c->err < TOL);
      maxerr = fmax (maxerr, c->err);
      if (bad)
        valid[l] = FALSE;
      total[l] += s->calls * c->med;
      printf (" %.2f [%.2f - %.2f]%s, %.1f, %.2fx%s |", c->med, c->lo, c->hi, l == LIB_XSMM && !c->jit ? "*" : "",
              flop / c->med / 1e3, cells[i][LIB_OPENBLAS].med / c->med, bad ? " **WRONG**" : "");
    }
    printf (" %.1e |\n", maxerr);
  }
  printf ("| **total per %s** | | |", strcmp (cls, "training") ? "forward" : "step");
  int best = LIB_OPENBLAS;
  for (int l = 0; l < N_LIBS; l++) {
    if (!(lib_present[l] && (nt == 1 || lib_threads[l])))
      continue;
    printf (" **%.1f**, %.2fx%s |", total[l], total[LIB_OPENBLAS] / total[l], valid[l] ? "" : " (wrong results)");
    if (valid[l] && total[l] < total[best])
      best = l;
  }
  printf (" |\n\nWinner, %s, %d thread%s: **%s**, %.2fx OpenBLAS's speed over the class (median of %d repeats)%s\n",
          cls, nt, nt > 1 ? "s" : "", lib_names[best], total[LIB_OPENBLAS] / total[best], repeats,
          best != LIB_OPENBLAS && total[LIB_OPENBLAS] / total[best] >= 1.10 ? ": >= 10 %, the class's path"
          : ": under the 10 % bar, OpenBLAS stays");
}

int
main (int argc, char **argv)
{
  int repeats = 7;
  double ms = 2.0;
  const char *threads = "1,2", *only = NULL;
  for (int i = 1; i < argc; i++) {
    if (!strcmp (argv[i], "--threads") && i + 1 < argc)
      threads = argv[++i];
    else if (!strcmp (argv[i], "--repeats") && i + 1 < argc)
      repeats = atoi (argv[++i]);
    else if (!strcmp (argv[i], "--ms") && i + 1 < argc)
      ms = g_ascii_strtod (argv[++i], NULL);
    else if (!strcmp (argv[i], "--clock") && i + 1 < argc)
      use_thread_clock = !strcmp (argv[++i], "thread");
    else if (!strcmp (argv[i], "--class") && i + 1 < argc)
      only = argv[++i];
    else {
      fprintf (stderr, "usage: %s [--threads 1,2] [--repeats R>=5] [--ms MS] [--clock wall|thread] [--class NAME]\n",
               argv[0]);
      return 2;
    }
  }
  repeats = MAX (repeats, 5);
#ifdef HAVE_XSMM
  libxsmm_init ();
#endif
  print_header ();
  GRand *rng = g_rand_new_with_seed (19);
  Cell (*cells)[N_LIBS] = g_malloc0 (sizeof (Cell[N_LIBS]) * N_SHAPES);
  char **nts = g_strsplit (threads, ",", -1);
  for (char **p = nts; *p; p++) {
    int nt = atoi (*p);
    if (nt < 1)
      continue;
    if (nt > 1 && use_thread_clock)
      fprintf (stderr, "note: --clock thread counts the calling thread only\n");
    set_threads (nt);
    for (size_t i = 0; i < N_SHAPES; i++) {
      size_t j = 0;
      if (only && strcmp (shapes[i].cls, only))
        continue;
      while (j < i && !shape_same (&shapes[j], &shapes[i]))
        j++;
      if (j < i && (!only || !strcmp (shapes[j].cls, only)))
        memcpy (cells[i], cells[j], sizeof cells[i]);   /* measured in an earlier class */
      else
        measure (&shapes[i], nt, repeats, ms * 1e6, rng, cells[i]);
    }
    const char *done[8] = { 0 };
    int nd = 0;
    for (size_t i = 0; i < N_SHAPES; i++) {
      gboolean seen = FALSE;
      for (int d = 0; d < nd; d++)
        seen |= !strcmp (done[d], shapes[i].cls);
      if (seen || (only && strcmp (shapes[i].cls, only)))
        continue;
      done[nd++] = shapes[i].cls;
      print_class (shapes[i].cls, nt, cells, repeats);
    }
  }
  g_strfreev (nts);
  g_free (cells);
  g_rand_free (rng);
#ifdef HAVE_XSMM
  libxsmm_finalize ();
#endif
  return 0;
}
