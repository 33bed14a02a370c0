/* core/gemm.c against OpenBLAS: every size around the kernels' tile and
 * block edges with padded strides (and the padding left untouched), random
 * shapes of each class our models run, column-major calls, beta 0 never
 * reading C, NaN spreading as BLAS spreads it, and the batch-1 dense
 * product (nn_sgemv). */
#include <check.h>
#include <math.h>
#include <string.h>
#include "gemm-private.h"
#include "cpu-private.h"
#include "../check-run.h"

/* the kernel runs on the AVX2 and AVX-512 paths (NN_CPU: the suite runs on each) */
static gboolean
has_kernel (void)
{
  return nn_cpu_selected >= NN_CPU_AVX2;
}

#define SENTINEL 12345.0f

typedef struct {
  gboolean ta, tb;
  int      m, n, k;
  float    alpha, beta;
} Case;

/* max |C - C_ref| / max |C_ref| for one product; checks the padding columns
 * of C kept their sentinel. use_sgemm: through nn_sgemm (its route), else the
 * kernel alone (which must take the product). */
static double
run_case (const Case *cs, GRand *r, gboolean use_sgemm)
{
  int lda = (cs->ta ? cs->m : cs->k) + 3, ldb = (cs->tb ? cs->k : cs->n) + 5, ldc = cs->n + 4;
  gsize na = (gsize) lda * (cs->ta ? cs->k : cs->m), nb = (gsize) ldb * (cs->tb ? cs->n : cs->k);
  gsize nc = (gsize) ldc * cs->m;
  float *a = g_new (float, na), *b = g_new (float, nb), *c = g_new (float, nc), *ref = g_new (float, nc);
  for (gsize i = 0; i < na; i++)
    a[i] = (float) g_rand_double_range (r, -1, 1);
  for (gsize i = 0; i < nb; i++)
    b[i] = (float) g_rand_double_range (r, -1, 1);
  for (gsize i = 0; i < nc; i++) {
    gboolean pad = (int) (i % ldc) >= cs->n;
    ref[i] = pad ? SENTINEL : cs->beta == 0 ? 0.0f : (float) g_rand_double_range (r, -1, 1);
    /* beta 0: C must not be read, so a NaN there must not show */
    c[i] = pad ? SENTINEL : cs->beta == 0 ? NAN : ref[i];
  }
  enum CBLAS_TRANSPOSE ta = cs->ta ? CblasTrans : CblasNoTrans, tb = cs->tb ? CblasTrans : CblasNoTrans;
  cblas_sgemm (CblasRowMajor, ta, tb, cs->m, cs->n, cs->k, cs->alpha, a, lda, b, ldb, cs->beta, ref, ldc);
  if (use_sgemm)
    nn_sgemm (CblasRowMajor, ta, tb, cs->m, cs->n, cs->k, cs->alpha, a, lda, b, ldb, cs->beta, c, ldc);
  else if (!nn_gemm_kernel (cs->ta, cs->tb, cs->m, cs->n, cs->k, cs->alpha, a, lda, b, ldb, cs->beta, c, ldc))
    ck_abort_msg ("the kernel refused %c%c %d x %d x %d", cs->ta ? 'T' : 'N',
                   cs->tb ? 'T' : 'N', cs->m, cs->n, cs->k);
  /* each of Check's asserts writes to a file: failures are collected and
   * reported once, or the test spends its time writing */
  double err = 0, mag = 0;
  gssize bad_pad = -1, bad_val = -1;
  for (gsize i = 0; i < nc; i++) {
    if ((int) (i % ldc) >= cs->n) {
      if (c[i] != SENTINEL && bad_pad < 0)
        bad_pad = i;
      continue;
    }
    err = fmax (err, fabs ((double) c[i] - ref[i]));
    mag = fmax (mag, fabs ((double) ref[i]));
    if (!isfinite (c[i]) && bad_val < 0)
      bad_val = i;
  }
  if (bad_pad >= 0)
    ck_abort_msg ("%c%c %d x %d x %d: C's padding at row %d column %d was written", cs->ta ? 'T' : 'N',
                 cs->tb ? 'T' : 'N', cs->m, cs->n, cs->k, (int) (bad_pad / ldc), (int) (bad_pad % ldc));
  if (bad_val >= 0)
    ck_abort_msg ("%c%c %d x %d x %d: C[%d][%d] = %g", cs->ta ? 'T' : 'N', cs->tb ? 'T' : 'N', cs->m,
                 cs->n, cs->k, (int) (bad_val / ldc), (int) (bad_val % ldc), bad_val < 0 ? 0 : c[bad_val]);
  g_free (a);
  g_free (b);
  g_free (c);
  g_free (ref);
  return err / fmax (mag, 1e-30);
}

static void
check_case (const Case *cs, GRand *r, gboolean use_sgemm)
{
  double e = run_case (cs, r, use_sgemm);
  if (!(e < 1e-5))
    ck_abort_msg ("%c%c %d x %d x %d alpha %g beta %g: relative error %g", cs->ta ? 'T' : 'N',
                 cs->tb ? 'T' : 'N', cs->m, cs->n, cs->k, cs->alpha, cs->beta, e);
}

/* every row count around the 6-row tiles, every column count around the
 * 8-wide vectors and 16-wide tiles, depths around the 8-wide dot products
 * and the k blocks (256, 512), for the three layouts the kernel takes */
START_TEST (test_edges)
{
  if (!has_kernel ()) {
    ck_assert (!nn_gemm_kernel (FALSE, FALSE, 4, 4, 4, 1, (float[16]) { 0 }, 4, (float[16]) { 0 }, 4, 0,
                                (float[16]) { 0 }, 4));
    return;
  }
  GRand *r = g_rand_new_with_seed (1);
  const float betas[] = { 0.0f, 1.0f, 0.5f };
  const int depths[] = { 1, 3, 8, 9, 16, 33 };
  const gboolean layouts[3][2] = { { FALSE, FALSE }, { FALSE, TRUE }, { TRUE, FALSE } };
  int n_case = 0;
  for (int l = 0; l < 3; l++)
    for (int m = 1; m <= 14; m++)
      for (int n = 1; n <= 35; n++)
        for (guint d = 0; d < G_N_ELEMENTS (depths); d++, n_case++) {
          Case cs = { layouts[l][0], layouts[l][1], m, n, depths[d], n_case % 2 ? -0.75f : 1.0f, betas[n_case % 3] };
          check_case (&cs, r, FALSE);
        }
  const int deep[] = { 255, 256, 257, 511, 512, 513, 600 };
  const int mn[][2] = { { 1, 1 }, { 1, 37 }, { 2, 5 }, { 7, 17 }, { 9, 16 }, { 13, 33 }, { 64, 1 } };
  for (int l = 0; l < 3; l++)
    for (guint d = 0; d < G_N_ELEMENTS (deep); d++)
      for (guint s = 0; s < G_N_ELEMENTS (mn); s++, n_case++) {
        Case cs = { layouts[l][0], layouts[l][1], mn[s][0], mn[s][1], deep[d], 1.0f, betas[n_case % 3] };
        check_case (&cs, r, FALSE);
      }
  /* both transposed: not the kernel's; nn_sgemm hands it to OpenBLAS */
  ck_assert (!nn_gemm_kernel (TRUE, TRUE, 4, 4, 4, 1, (float[16]) { 0 }, 4, (float[16]) { 0 }, 4, 0,
                              (float[16]) { 0 }, 4));
  Case tt = { TRUE, TRUE, 9, 13, 21, 1.0f, 1.0f };
  check_case (&tt, r, TRUE);
  g_rand_free (r);
}
END_TEST

/* Random shapes from each class bench/gemm.sh measures, through nn_sgemm's
 * route: batch-1 inference (Winograd products, a frame's dense layer),
 * batch 64 (dense layers, a generator's projection), training (unfolded
 * convolutions and their two backward products, dense backward). */
START_TEST (test_classes)
{
  GRand *r = g_rand_new_with_seed (19);
  const struct { const char *name; int m[2], n[2], k[2]; } cls[] = {
    { "batch-1 inference", { 1, 64 }, { 1, 800 }, { 8, 800 } },
    { "batch-64 inference", { 64, 64 }, { 1, 3136 }, { 16, 1728 } },
    { "training", { 8, 512 }, { 8, 1568 }, { 9, 1568 } },
  };
  for (guint c = 0; c < G_N_ELEMENTS (cls); c++)
    for (int i = 0; i < 12; i++) {
      Case cs = { .alpha = 1.0f };
      cs.m = g_rand_int_range (r, cls[c].m[0], cls[c].m[1] + 1);
      cs.n = g_rand_int_range (r, cls[c].n[0], cls[c].n[1] + 1);
      cs.k = g_rand_int_range (r, cls[c].k[0], cls[c].k[1] + 1);
      /* keep each product under ~20 M multiply-adds: the test stays quick under ASan */
      while ((double) cs.m * cs.n * cs.k > 2e7)
        cs.k = MAX (cs.k / 2, 1);
      int layout = g_rand_int_range (r, 0, 3);
      cs.ta = layout == 2;
      cs.tb = layout == 1;
      cs.beta = i % 2 ? 1.0f : 0.0f;
      double e = run_case (&cs, r, TRUE);
      ck_assert_msg (e < 1e-5, "%s: %c%c %d x %d x %d: relative error %g", cls[c].name, cs.ta ? 'T' : 'N',
                     cs.tb ? 'T' : 'N', cs.m, cs.n, cs.k, e);
    }
  g_rand_free (r);
}
END_TEST

/* column-major C (m, n) = A B is the row-major product of the transposes */
START_TEST (test_column_major)
{
  GRand *r = g_rand_new_with_seed (7);
  int m = 11, n = 19, k = 27;
  for (int t = 0; t < 4; t++) {
    gboolean ta = t & 1, tb = t & 2;
    int lda = ta ? k : m, ldb = tb ? n : k;
    float *a = g_new (float, m * k), *b = g_new (float, k * n), *c = g_new0 (float, m * n), *ref = g_new0 (float, m * n);
    for (int i = 0; i < m * k; i++)
      a[i] = (float) g_rand_double_range (r, -1, 1);
    for (int i = 0; i < k * n; i++)
      b[i] = (float) g_rand_double_range (r, -1, 1);
    cblas_sgemm (CblasColMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, m, n, k, 0.5f, a,
                 lda, b, ldb, 0.0f, ref, m);
    nn_sgemm (CblasColMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, m, n, k, 0.5f, a, lda,
              b, ldb, 0.0f, c, m);
    float err = 0;
    for (int i = 0; i < m * n; i++)
      err = fmaxf (err, fabsf (c[i] - ref[i]));
    ck_assert_msg (err < 1e-5f, "layout %d: |C - OpenBLAS's| up to %g", t, err);
    g_free (a);
    g_free (b);
    g_free (c);
    g_free (ref);
  }
  g_rand_free (r);
}
END_TEST

/* a NaN or infinity in A's row i reaches all of C's row i, as in BLAS: no
 * path may skip a zero or lose a lane */
START_TEST (test_nan_spreads)
{
  int m = 13, n = 21, k = 40;
  for (int layout = 0; layout < 3; layout++) {
    gboolean ta = layout == 2, tb = layout == 1;
    float *a = g_new0 (float, m * k), *b = g_new (float, k * n), *c = g_new0 (float, m * n);
    for (int i = 0; i < k * n; i++)
      b[i] = 1.0f;
    /* A (5, 17) = NaN; A (9, 3) = inf */
    a[ta ? 17 * m + 5 : 5 * k + 17] = NAN;
    a[ta ? 3 * m + 9 : 9 * k + 3] = INFINITY;
    nn_sgemm (CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, m, n, k, 1.0f, a,
              ta ? m : k, b, tb ? k : n, 0.0f, c, n);
    for (int i = 0; i < m; i++)
      for (int j = 0; j < n; j++) {
        float v = c[i * n + j];
        gboolean ok = i == 5 ? isnan (v) : i == 9 ? isinf (v) && v > 0 : v == 0.0f;
        if (!ok)
          ck_abort_msg ("layout %d: C[%d][%d] = %g, want %s", layout, i, j, v, i == 5 ? "NaN" : i == 9 ? "inf" : "0");
      }
    g_free (a);
    g_free (b);
    g_free (c);
  }
}
END_TEST

/* a dense layer at batch 1: y = W x + b, W (out, in), against sgemv; and a
 * transposed or strided call still right (OpenBLAS's) */
START_TEST (test_gemv)
{
  GRand *r = g_rand_new_with_seed (3);
  const int dims[][2] = { { 128, 1568 }, { 10, 128 }, { 7, 64 }, { 1, 1 }, { 5, 3 }, { 33, 257 } };
  for (guint d = 0; d < G_N_ELEMENTS (dims); d++)
    for (int t = 0; t < 3; t++) {
      int m = dims[d][0], n = dims[d][1], lda = n + 2, inc = t == 2 ? 2 : 1;
      gboolean tr = t == 1;
      int ylen = tr ? n : m, xlen = tr ? m : n;
      float *a = g_new (float, (gsize) m * lda), *x = g_new (float, xlen * inc), *y = g_new (float, ylen * inc);
      float *ref = g_new (float, ylen * inc);
      for (int i = 0; i < m * lda; i++)
        a[i] = (float) g_rand_double_range (r, -1, 1);
      for (int i = 0; i < xlen * inc; i++)
        x[i] = (float) g_rand_double_range (r, -1, 1);
      for (int i = 0; i < ylen * inc; i++)
        y[i] = ref[i] = (float) g_rand_double_range (r, -1, 1);
      float beta = d % 2 ? 1.0f : 0.25f;
      cblas_sgemv (CblasRowMajor, tr ? CblasTrans : CblasNoTrans, m, n, 0.5f, a, lda, x, inc, beta, ref, inc);
      nn_sgemv (CblasRowMajor, tr ? CblasTrans : CblasNoTrans, m, n, 0.5f, a, lda, x, inc, beta, y, inc);
      double err = 0, mag = 0;
      for (int i = 0; i < ylen * inc; i++) {
        err = fmax (err, fabs ((double) y[i] - ref[i]));
        mag = fmax (mag, fabs ((double) ref[i]));
      }
      ck_assert_msg (err <= 1e-5 * mag, "%d x %d, case %d: relative error %g", m, n, t, err / mag);
      g_free (a);
      g_free (x);
      g_free (y);
      g_free (ref);
    }
  g_rand_free (r);
}
END_TEST

/* the route: bit for bit the kernel's result on the AVX2 and AVX-512 paths,
 * OpenBLAS's on the portable one (NN_CPU=portable) or under
 * NN_GEMM=openblas; beyond 2^24 multiply-adds, OpenBLAS's */
START_TEST (test_route)
{
  const char *env = g_getenv ("NN_GEMM");
  gboolean forced = env && g_str_equal (env, "openblas");
  const int dims[][3] = { { 32, 56, 16 }, { 1, 128, 1568 }, { 64, 3136, 128 } };
  GRand *r = g_rand_new_with_seed (5);
  for (guint d = 0; d < G_N_ELEMENTS (dims); d++) {
    int m = dims[d][0], n = dims[d][1], k = dims[d][2];
    float *a = g_new (float, m * k), *b = g_new (float, k * n);
    float *c = g_new0 (float, m * n), *ck = g_new0 (float, m * n), *cb = g_new0 (float, m * n);
    for (int i = 0; i < m * k; i++)
      a[i] = (float) g_rand_double_range (r, -1, 1);
    for (int i = 0; i < k * n; i++)
      b[i] = (float) g_rand_double_range (r, -1, 1);
    nn_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1.0f, a, k, b, n, 0.0f, c, n);
    cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1.0f, a, k, b, n, 0.0f, cb, n);
    gboolean kernel = nn_gemm_kernel (FALSE, FALSE, m, n, k, 1.0f, a, k, b, n, 0.0f, ck, n);
    gboolean want_kernel = kernel && !forced && (double) m * n * k <= (1 << 24);
    /* the two results differ somewhere (summation order), or the check below proves nothing */
    ck_assert (!kernel || memcmp (ck, cb, sizeof (float) * m * n));
    ck_assert_msg (!memcmp (c, want_kernel ? ck : cb, sizeof (float) * m * n), "%d x %d x %d: not %s's result", m,
                   n, k, want_kernel ? "the kernel" : "OpenBLAS");
    g_free (a);
    g_free (b);
    g_free (c);
    g_free (ck);
    g_free (cb);
  }
  g_rand_free (r);
}
END_TEST

int
main (void)
{
  /* as libnn runs it (nn_set_threads): one OpenBLAS thread per call */
  openblas_set_num_threads (1);
  Suite *s = suite_create ("gemm");
  TCase *tc = tcase_create ("gemm");
  tcase_add_test (tc, test_edges);
  tcase_add_test (tc, test_classes);
  tcase_add_test (tc, test_column_major);
  tcase_add_test (tc, test_nan_spreads);
  tcase_add_test (tc, test_gemv);
  tcase_add_test (tc, test_route);
  suite_add_tcase (s, tc);
  return nn_check_run (s);
}
