/* Matrix products for the small shapes our models run (bench/gemm.sh measures
 * them against OpenBLAS, BLIS, libxsmm and oneDNN). Private to libnn. */
#pragma once

#include <glib.h>
#include <cblas.h>

G_BEGIN_DECLS

/* C (m, n) = alpha op(A) (m, k) op(B) (k, n) + beta C: cblas_sgemm's
 * arguments and meaning (beta 0 never reads C). Products up to the size of
 * our models' (2^24 multiply-adds) go to the kernel below, which
 * bench/gemm.sh measured faster than OpenBLAS on them; larger ones, both
 * operands transposed, and the portable path (core/cpu-private.h: CPUs
 * without AVX2 and FMA, or NN_CPU=portable), to OpenBLAS. NN_GEMM=openblas
 * or NN_GEMM=kernel in the environment forces one route for the products
 * alone (read once). */
void nn_sgemm (enum CBLAS_ORDER order, enum CBLAS_TRANSPOSE ta, enum CBLAS_TRANSPOSE tb, int m, int n, int k,
               float alpha, const float *a, int lda, const float *b, int ldb, float beta, float *c, int ldc);

/* y = alpha op(A) x + beta y: cblas_sgemv's arguments and meaning. A's
 * rows times x (row-major, not transposed: a dense layer at batch 1) with
 * unit strides go to the kernel's dot products, the rest to OpenBLAS. */
void nn_sgemv (enum CBLAS_ORDER order, enum CBLAS_TRANSPOSE trans, int m, int n, float alpha, const float *a,
               int lda, const float *x, int incx, float beta, float *y, int incy);

/* The hand-written AVX2+FMA kernel alone, row-major; FALSE (C untouched)
 * where it has no path: the portable path, both operands transposed, or an
 * empty product. */
gboolean nn_gemm_kernel (gboolean ta, gboolean tb, int m, int n, int k, float alpha, const float *a, int lda,
                         const float *b, int ldb, float beta, float *c, int ldc);

G_END_DECLS
