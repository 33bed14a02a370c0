/* Small matrix products without packing: our models' products are a few
 * tens of rows and columns (a Winograd product of a LeNet is 32 x 56 x 16),
 * where OpenBLAS's call, buffer and packing overheads cost as much as the
 * arithmetic. Two register-blocked AVX2+FMA micro-kernels, chosen by which
 * operand runs contiguously along k:
 *
 * - broadcast (op(B) rows contiguous: B not transposed): a 6 x 16 tile of C
 *   in 12 registers; each k step loads 16 floats of B's row and broadcasts 6
 *   of A's column. A may be transposed (a backward dX = W^T dY).
 * - dot (A and op(B) both contiguous along k: B transposed, as in a dense
 *   layer's x W^T, or a single column): a 2 x 4 tile of dot products 8 wide,
 *   summed across lanes at the end.
 *
 * k is cut in blocks of KC so a tile's B panel (KC x 16 floats, 16 KiB)
 * stays in L1 while the tiles down C reuse it. Targets are set per function,
 * so the file builds without -mavx2 and runs everywhere: the caller asks the
 * CPU once. */
#include "gemm-private.h"
#include "cpu-private.h"
#include <immintrin.h>
#include <stdint.h>

#define KC 256
#define MR 6          /* broadcast tile: rows */
#define NR 16         /* broadcast tile: columns, two vectors */
#define KC_DOT 512
#define PACK_MIN_M 8  /* B^T packed for the broadcast tiles from 8 rows and 16 columns of C: */
#define PACK_MIN_N 16 /* below, dot products */
#define NARROW_MAX 4  /* leftover columns past the last vector done as dot products */    /* dot tiles: 2 rows of A and 4 of B, 24 KiB */

#define KERNEL static __attribute__ ((target ("avx2,fma")))
#define INLINE static inline __attribute__ ((always_inline, target ("avx2,fma")))

/* lanes 0 .. n-1 set, n in 1 .. 8 */
INLINE __m256i
lanes (int n)
{
  return _mm256_cmpgt_epi32 (_mm256_set1_epi32 (n), _mm256_setr_epi32 (0, 1, 2, 3, 4, 5, 6, 7));
}

/* C tile (mr, 8 nv) = alpha A (mr, kc) B (kc, 8 nv) + beta C; A (i, p) at
 * a[i ars + p acs], B's rows ldb apart; `masked`: the last vector's lanes
 * past `mask` are neither read nor written. mr, nv and masked are constants
 * once inlined, so the accumulators stay in registers. */
INLINE void
bcast_tile (const float *a, int64_t ars, int64_t acs, const float *b, int64_t ldb, float *c, int64_t ldc, int kc,
            float alpha, float beta, const int mr, const int nv, const int masked, __m256i mask)
{
  __m256 acc[MR][2];
  for (int i = 0; i < mr; i++) {
    for (int v = 0; v < nv; v++)
      acc[i][v] = _mm256_setzero_ps ();
    /* C is read at the end: start fetching it now (a dW of a wide layer
     * has C in L3) */
    if (beta != 0.0f) {
      _mm_prefetch ((const char *) (c + i * ldc), _MM_HINT_T0);
      _mm_prefetch ((const char *) (c + i * ldc + 8 * nv - 1), _MM_HINT_T0);
    }
  }
  for (int p = 0; p < kc; p++) {
    const float *bp = b + p * ldb, *ap = a + p * acs;
    __m256 b0, b1 = _mm256_setzero_ps ();
    if (nv == 2) {
      b0 = _mm256_loadu_ps (bp);
      b1 = masked ? _mm256_maskload_ps (bp + 8, mask) : _mm256_loadu_ps (bp + 8);
    } else {
      b0 = masked ? _mm256_maskload_ps (bp, mask) : _mm256_loadu_ps (bp);
    }
    for (int i = 0; i < mr; i++) {
      __m256 ai = _mm256_broadcast_ss (ap + i * ars);
      acc[i][0] = _mm256_fmadd_ps (ai, b0, acc[i][0]);
      if (nv == 2)
        acc[i][1] = _mm256_fmadd_ps (ai, b1, acc[i][1]);
    }
  }
  __m256 va = _mm256_set1_ps (alpha), vb = _mm256_set1_ps (beta);
  for (int i = 0; i < mr; i++)
    for (int v = 0; v < nv; v++) {
      float *cp = c + i * ldc + 8 * v;
      gboolean part = masked && v == nv - 1;
      __m256 r = _mm256_mul_ps (va, acc[i][v]);
      if (beta != 0.0f)
        r = _mm256_fmadd_ps (vb, part ? _mm256_maskload_ps (cp, mask) : _mm256_loadu_ps (cp), r);
      if (part)
        _mm256_maskstore_ps (cp, mask, r);
      else
        _mm256_storeu_ps (cp, r);
    }
}

#define BCAST_ROWS(NV, MASKED)                                                                    \
  switch (mr) {                                                                                   \
    case 1: bcast_tile (a, ars, acs, b, ldb, c, ldc, kc, alpha, beta, 1, NV, MASKED, mask); break; \
    case 2: bcast_tile (a, ars, acs, b, ldb, c, ldc, kc, alpha, beta, 2, NV, MASKED, mask); break; \
    case 3: bcast_tile (a, ars, acs, b, ldb, c, ldc, kc, alpha, beta, 3, NV, MASKED, mask); break; \
    case 4: bcast_tile (a, ars, acs, b, ldb, c, ldc, kc, alpha, beta, 4, NV, MASKED, mask); break; \
    case 5: bcast_tile (a, ars, acs, b, ldb, c, ldc, kc, alpha, beta, 5, NV, MASKED, mask); break; \
    default: bcast_tile (a, ars, acs, b, ldb, c, ldc, kc, alpha, beta, 6, NV, MASKED, mask); break; \
  }

/* One column block of C (m, cols <= 16) over one k block: the row tiles
 * down it, all reading the same B panel (kc, cols), rows ldb apart. */
INLINE void
bcast_column (int m, int kc, int cols, float alpha, const float *a, int64_t ars, int64_t acs, const float *b,
              int64_t ldb, float beta, float *c0, int64_t ldc)
{
  int nv = cols > 8 ? 2 : 1, masked = cols != 8 * nv;
  __m256i mask = lanes (cols - 8 * (nv - 1));
  for (int i0 = 0; i0 < m; i0 += MR, a += MR * ars) {
    int mr = MIN (MR, m - i0);
    float *c = c0 + i0 * ldc;
    if (nv == 2 && !masked)
      BCAST_ROWS (2, 0)
    else if (nv == 2)
      BCAST_ROWS (2, 1)
    else if (!masked)
      BCAST_ROWS (1, 0)
    else
      BCAST_ROWS (1, 1)
  }
}

/* rows 0..7 of src (ld apart), 8 floats each -> columns of dst (ldd apart) */
INLINE void
transpose8 (const float *src, int64_t ld, float *dst, int64_t ldd)
{
  __m256 r[8], t[8], u[8];
  for (int i = 0; i < 8; i++)
    r[i] = _mm256_loadu_ps (src + i * ld);
  for (int i = 0; i < 8; i += 2) {
    t[i] = _mm256_unpacklo_ps (r[i], r[i + 1]);
    t[i + 1] = _mm256_unpackhi_ps (r[i], r[i + 1]);
  }
  for (int i = 0; i < 8; i += 4) {
    u[i] = _mm256_shuffle_ps (t[i], t[i + 2], 0x44);
    u[i + 1] = _mm256_shuffle_ps (t[i], t[i + 2], 0xee);
    u[i + 2] = _mm256_shuffle_ps (t[i + 1], t[i + 3], 0x44);
    u[i + 3] = _mm256_shuffle_ps (t[i + 1], t[i + 3], 0xee);
  }
  for (int i = 0; i < 4; i++) {
    _mm256_storeu_ps (dst + i * ldd, _mm256_permute2f128_ps (u[i], u[i + 4], 0x20));
    _mm256_storeu_ps (dst + (i + 4) * ldd, _mm256_permute2f128_ps (u[i], u[i + 4], 0x31));
  }
}

/* panel (kc, NR) = B^T for B's rows 0..cols-1 (ldb apart), kc floats each */
INLINE void
pack_bt (const float *b, int64_t ldb, int cols, int kc, float *panel)
{
  int j = 0;
  for (; j + 8 <= cols; j += 8) {
    int p = 0;
    for (; p + 8 <= kc; p += 8)
      transpose8 (b + j * ldb + p, ldb, panel + p * NR + j, NR);
    for (; p < kc; p++)
      for (int jj = j; jj < j + 8; jj++)
        panel[p * NR + jj] = b[jj * ldb + p];
  }
  for (int p = 0; j < cols && p < kc; p++)
    for (int jj = j; jj < cols; jj++)
      panel[p * NR + jj] = b[jj * ldb + p];
}

/* the four dot products' sums, lane j from acc[j] */
INLINE __m128
sum4 (__m256 a0, __m256 a1, __m256 a2, __m256 a3)
{
  __m256 s = _mm256_hadd_ps (_mm256_hadd_ps (a0, a1), _mm256_hadd_ps (a2, a3));
  return _mm_add_ps (_mm256_castps256_ps128 (s), _mm256_extractf128_ps (s, 1));
}

/* C tile (mr, nr) = alpha A (mr, kc) B^T + beta C, A's rows lda apart and
 * B's (nr, kc) rows ldb apart, both contiguous along k. */
INLINE void
dot_tile (const float *a, int64_t lda, const float *b, int64_t ldb, float *c, int64_t ldc, int kc, float alpha,
          float beta, const int mr, const int nr)
{
  __m256 acc[2][4];
  for (int i = 0; i < 2; i++)
    for (int j = 0; j < 4; j++)
      acc[i][j] = _mm256_setzero_ps ();
  int p = 0;
  for (; p + 8 <= kc; p += 8) {
    __m256 av[2];
    for (int i = 0; i < mr; i++)
      av[i] = _mm256_loadu_ps (a + i * lda + p);
    for (int j = 0; j < nr; j++) {
      __m256 bj = _mm256_loadu_ps (b + j * ldb + p);
      for (int i = 0; i < mr; i++)
        acc[i][j] = _mm256_fmadd_ps (av[i], bj, acc[i][j]);
    }
  }
  if (p < kc) {
    __m256i mask = lanes (kc - p);
    __m256 av[2];
    for (int i = 0; i < mr; i++)
      av[i] = _mm256_maskload_ps (a + i * lda + p, mask);
    for (int j = 0; j < nr; j++) {
      __m256 bj = _mm256_maskload_ps (b + j * ldb + p, mask);
      for (int i = 0; i < mr; i++)
        acc[i][j] = _mm256_fmadd_ps (av[i], bj, acc[i][j]);
    }
  }
  for (int i = 0; i < mr; i++) {
    __m128 r = _mm_mul_ps (_mm_set1_ps (alpha), sum4 (acc[i][0], acc[i][1], acc[i][2], acc[i][3]));
    float *cp = c + i * ldc;
    if (nr == 4) {
      if (beta != 0.0f)
        r = _mm_fmadd_ps (_mm_set1_ps (beta), _mm_loadu_ps (cp), r);
      _mm_storeu_ps (cp, r);
    } else {
      float s[4];
      _mm_storeu_ps (s, r);
      for (int j = 0; j < nr; j++)
        cp[j] = beta != 0.0f ? s[j] + beta * cp[j] : s[j];
    }
  }
}

#define DOT_COLS(MR_)                                                              \
  switch (nr) {                                                                    \
    case 1: dot_tile (a, lda, b, ldb, c, ldc, kc, alpha, beta, MR_, 1); break;      \
    case 2: dot_tile (a, lda, b, ldb, c, ldc, kc, alpha, beta, MR_, 2); break;      \
    case 3: dot_tile (a, lda, b, ldb, c, ldc, kc, alpha, beta, MR_, 3); break;      \
    default: dot_tile (a, lda, b, ldb, c, ldc, kc, alpha, beta, MR_, 4); break;     \
  }

/* C (m, n) = alpha A B^T + beta C: A (m, k) rows lda apart, B (n, k) rows
 * ldb apart. Rows of 2 outside, columns of 4 inside: A's two rows stay in L1
 * while B's rows stream by. */
KERNEL void
dot_gemm (int m, int n, int k, float alpha, const float *a0, int64_t lda, const float *b0, int64_t ldb,
          float beta0, float *c0, int64_t ldc)
{
  /* one or two rows of A stay in L1 whole: k is cut only for more, where
   * it keeps B's rows' blocks in L2 for the next rows */
  int kb = m <= 2 ? k : KC_DOT;
  for (int p0 = 0; p0 < k; p0 += kb) {
    int kc = MIN (kb, k - p0);
    float beta = p0 ? 1.0f : beta0;
    for (int i0 = 0; i0 < m; i0 += 2) {
      int mr = MIN (2, m - i0);
      for (int j0 = 0; j0 < n; j0 += 4) {
        int nr = MIN (4, n - j0);
        const float *a = a0 + i0 * lda + p0, *b = b0 + j0 * ldb + p0;
        float *c = c0 + i0 * ldc + j0;
        if (mr == 2)
          DOT_COLS (2)
        else
          DOT_COLS (1)
      }
    }
  }
}

/* C (m, n) = alpha A B + beta C, B (k, n) rows ldb apart; A (i, p) at
 * a[i ars + p acs]. Columns of 16 outside, rows of 6 inside: the B panel is
 * read from L1 by every row tile. */
KERNEL void
bcast_gemm (int m, int n, int k, float alpha, const float *a, int64_t ars, int64_t acs, const float *b,
            int64_t ldb, float beta0, float *c, int64_t ldc)
{
  /* A few columns left over (a 7 x 7 map's 49 = 3 x 16 + 1) would take a
   * whole vector per row and k: as dot products of A's rows with those
   * columns, copied contiguous, when A's rows are */
  int rest = n % 8, narrow = acs == 1 && rest && rest <= NARROW_MAX && k >= 32 ? rest : 0;
  float cols_t[NARROW_MAX * KC];
  for (int p0 = 0; p0 < k; p0 += KC) {
    int kc = MIN (KC, k - p0);
    float beta = p0 ? 1.0f : beta0;
    for (int j0 = 0; j0 < n - narrow; j0 += NR)
      bcast_column (m, kc, MIN (NR, n - narrow - j0), alpha, a + p0 * acs, ars, acs, b + (int64_t) p0 * ldb + j0,
                    ldb, beta, c + j0, ldc);
    if (!narrow)
      continue;
    for (int j = 0; j < narrow; j++)
      for (int p = 0; p < kc; p++)
        cols_t[j * kc + p] = b[(int64_t) (p0 + p) * ldb + n - narrow + j];
    dot_gemm (m, narrow, kc, alpha, a + p0, ars, cols_t, kc, beta, c + n - narrow, ldc);
  }
}

/* C (m, n) = alpha A B^T + beta C with B (n, k) rows ldb apart: each B panel
 * transposed once into L1, then the broadcast tiles of a plain product. */
KERNEL void
packed_gemm (int m, int n, int k, float alpha, const float *a, int64_t lda, const float *b, int64_t ldb,
             float beta0, float *c, int64_t ldc)
{
  float panel[KC * NR] __attribute__ ((aligned (32)));
  /* columns past the last whole vector, if few: dot products straight
   * from B's rows (see bcast_gemm) */
  int rest = n % 8, narrow = rest <= NARROW_MAX ? rest : 0;
  for (int p0 = 0; p0 < k; p0 += KC) {
    int kc = MIN (KC, k - p0);
    float beta = p0 ? 1.0f : beta0;
    for (int j0 = 0; j0 < n - narrow; j0 += NR) {
      int cols = MIN (NR, n - narrow - j0);
      pack_bt (b + j0 * ldb + p0, ldb, cols, kc, panel);
      bcast_column (m, kc, cols, alpha, a + p0, lda, 1, panel, NR, beta, c + j0, ldc);
    }
    if (narrow)
      dot_gemm (m, narrow, kc, alpha, a + p0, lda, b + (n - narrow) * ldb + p0, ldb, beta, c + n - narrow, ldc);
  }
}

/* the kernel path chosen at load (core/cpu.c): the CPU has AVX2 and FMA, the
 * OS saves their state, and NN_CPU=portable does not rule them out */
static gboolean
cpu_has_avx2_fma (void)
{
  return nn_cpu_selected >= NN_CPU_AVX2;
}

gboolean
nn_gemm_kernel (gboolean ta, gboolean tb, int m, int n, int k, float alpha, const float *a, int lda,
                const float *b, int ldb, float beta, float *c, int ldc)
{
  if (m <= 0 || n <= 0 || k <= 0 || !cpu_has_avx2_fma ())
    return FALSE;
  /* op(B)'s rows contiguous, except a single column read as one row */
  if (!tb && !(n == 1 && ldb == 1 && !ta)) {
    bcast_gemm (m, n, k, alpha, a, ta ? 1 : lda, ta ? lda : 1, b, ldb, beta, c, ldc);
    return TRUE;
  }
  if (ta)
    return FALSE;
  if (m >= PACK_MIN_M && n >= PACK_MIN_N && tb)
    packed_gemm (m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  else
    dot_gemm (m, n, k, alpha, a, lda, b, tb ? ldb : 0, beta, c, ldc);
  return TRUE;
}

typedef enum { PATH_AUTO, PATH_OPENBLAS, PATH_KERNEL } Path;

static Path
forced_path (void)
{
  static gsize once;
  static Path path;
  if (g_once_init_enter (&once)) {
    const char *e = g_getenv ("NN_GEMM");
    path = !e ? PATH_AUTO : g_str_equal (e, "openblas") ? PATH_OPENBLAS : g_str_equal (e, "kernel") ? PATH_KERNEL
         : PATH_AUTO;
    g_once_init_leave (&once, 1);
  }
  return path;
}

/* The largest product of our models' that bench/gemm.sh measured (a
 * generator's projection at batch 64, 64 x 3136 x 74); past it the kernel,
 * which neither packs A nor blocks for L2, is not known to win. */
#define KERNEL_MAX_MACS (1 << 24)

void
nn_sgemm (enum CBLAS_ORDER order, enum CBLAS_TRANSPOSE ta, enum CBLAS_TRANSPOSE tb, int m, int n, int k,
          float alpha, const float *a, int lda, const float *b, int ldb, float beta, float *c, int ldc)
{
  Path path = forced_path ();
  if (path == PATH_KERNEL || (path == PATH_AUTO && (double) m * n * k <= KERNEL_MAX_MACS)) {
    /* column-major C = A B is row-major C^T = B^T A^T */
    gboolean row = order == CblasRowMajor;
    gboolean t1 = (row ? ta : tb) != CblasNoTrans, t2 = (row ? tb : ta) != CblasNoTrans;
    if (nn_gemm_kernel (t1, t2, row ? m : n, row ? n : m, k, alpha, row ? a : b, row ? lda : ldb, row ? b : a,
                        row ? ldb : lda, beta, c, ldc))
      return;
  }
  cblas_sgemm (order, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

void
nn_sgemv (enum CBLAS_ORDER order, enum CBLAS_TRANSPOSE trans, int m, int n, float alpha, const float *a, int lda,
          const float *x, int incx, float beta, float *y, int incy)
{
  /* y^T (1, m) = x^T (1, n) A^T: a one-row product of the dot kernel */
  gboolean rows = order == CblasRowMajor && trans == CblasNoTrans;
  if (forced_path () != PATH_OPENBLAS && rows && incx == 1 && incy == 1 && (double) m * n <= KERNEL_MAX_MACS
      && nn_gemm_kernel (FALSE, TRUE, 1, m, n, alpha, x, n, a, lda, beta, y, m))
    return;
  cblas_sgemv (order, trans, m, n, alpha, a, lda, x, incx, beta, y, incy);
}
