/* Sample quality through a classifier, as the Inception Score and FID use an
 * Inception network: how confidently and how evenly it recognises the
 * samples, and the Frechet distance between its features of two image sets. */
#include "nn-private.h"
#include <cblas.h>

/* LAPACK's symmetric eigen-decomposition (OpenBLAS ships it); declared here
 * because Debian's OpenBLAS installs no lapack.h beside cblas.h. */
extern void dsyev_ (const char *jobz, const char *uplo, const int *n, double *a, const int *lda, double *w,
                    double *work, const int *lwork, int *info);

#define SCORE_BATCH 256

typedef struct {
  int      k;             /* classes */
  double  *mean_p;        /* (k) sum of p(y|x) */
  double   sum_plogp;     /* sum over images of sum_y p log p */
  int64_t *hist;          /* (k) predicted classes */
  double   sum_max;
  int64_t  hits, n;
} ScoreSum;

static void
score_rows (ScoreSum *s, const float *out, int n, gboolean softmax, const int32_t *asked)
{
  g_autofree double *p = g_new (double, s->k);
  for (int i = 0; i < n; i++) {
    const float *o = out + (int64_t) i * s->k;
    int best = 0;
    double z = 0, mx = o[0];
    for (int j = 1; j < s->k; j++)
      mx = MAX (mx, o[j]);
    for (int j = 0; j < s->k; j++)
      z += p[j] = softmax ? o[j] : exp (o[j] - mx);
    for (int j = 0; j < s->k; j++) {
      p[j] /= z;
      s->mean_p[j] += p[j];
      s->sum_plogp += p[j] > 0 ? p[j] * log (p[j]) : 0;
      if (p[j] > p[best])
        best = j;
    }
    s->hist[best]++;
    s->sum_max += p[best];
    s->hits += asked && asked[i] == best;
  }
  s->n += n;
}

static void
score_finish (ScoreSum *s, gboolean asked, NnClassifierScore *out)
{
  double ent = 0, cross = 0;
  for (int j = 0; j < s->k; j++) {
    double q = (double) s->hist[j] / s->n, m = s->mean_p[j] / s->n;
    ent -= q > 0 ? q * log (q) : 0;
    cross += m > 0 ? m * log (m) : 0;
  }
  out->n = s->n;
  out->mean_max_prob = s->sum_max / s->n;
  out->class_entropy = ent;
  /* E_x KL (p(y|x) || p(y)) = E_x sum p log p - sum p(y) log p(y) */
  out->inception_score = exp (s->sum_plogp / s->n - cross);
  out->asked_share = asked ? (double) s->hits / s->n : NAN;
}

static gboolean
copy_features (NnModel *clf, const char *layer, int64_t from, int n, float **feats, int *dim, GError **error)
{
  NnShape shape;
  const float *f = nn_model_layer_output (clf, layer, &shape);
  if (!f) {
    g_set_error (error, NN_ERROR, NN_ERROR_INVALID, "the classifier has no layer \"%s\" to take features from", layer);
    return FALSE;
  }
  memcpy (*feats + from * *dim, f, sizeof (float) * n * *dim);
  return TRUE;
}

gboolean
nn_classifier_score (NnModel *clf, const float *x, int64_t n, const int32_t *asked, const char *features,
                     float **feats, int *dim, NnClassifierScore *out, GError **error)
{
  int64_t in_el = nn_shape_numel (nn_model_input_shape (clf));
  ScoreSum s = { .k = (int) nn_shape_numel (nn_model_output_shape (clf)) };
  if (n < 1 || s.k < 2) {
    g_set_error (error, NN_ERROR, NN_ERROR_INVALID, "scoring needs images and a classifier with >= 2 classes");
    return FALSE;
  }
  if (features) {
    int nl = nn_model_n_layers (clf);
    *dim = 0;
    for (int i = 0; i < nl; i++) {
      NnLayerInfo li;
      nn_model_layer_info (clf, i, &li);
      if (g_str_equal (li.name, features))
        *dim = (int) nn_shape_numel (&li.out);
    }
    if (!*dim) {
      g_set_error (error, NN_ERROR, NN_ERROR_INVALID, "the classifier has no layer \"%s\" to take features from",
                   features);
      return FALSE;
    }
    *feats = g_new (float, n * *dim);
  }
  s.mean_p = g_new0 (double, s.k);
  s.hist = g_new0 (int64_t, s.k);
  gboolean softmax = g_str_equal (nn_model_last_activation (clf), "softmax"), ok = TRUE;
  for (int64_t from = 0; from < n && ok; from += SCORE_BATCH) {
    int b = (int) MIN ((int64_t) SCORE_BATCH, n - from);
    const float *o = nn_model_forward (clf, x + from * in_el, b, FALSE, error);
    ok = o != NULL && (!features || copy_features (clf, features, from, b, feats, dim, error));
    if (ok)
      score_rows (&s, o, b, softmax, asked ? asked + from : NULL);
  }
  if (ok)
    score_finish (&s, asked != NULL, out);
  else if (features)
    g_clear_pointer (feats, g_free);
  g_free (s.mean_p);
  g_free (s.hist);
  return ok;
}

/* mean (dim) and covariance (dim, dim) of n rows, unbiased as numpy's cov. */
static void
moments (const float *a, int64_t n, int dim, double *mu, double *cov)
{
  memset (mu, 0, sizeof (double) * dim);
  for (int64_t i = 0; i < n; i++)
    for (int j = 0; j < dim; j++)
      mu[j] += a[i * dim + j];
  for (int j = 0; j < dim; j++)
    mu[j] /= n;
  g_autofree double *c = g_new (double, n * dim);
  for (int64_t i = 0; i < n; i++)
    for (int j = 0; j < dim; j++)
      c[i * dim + j] = a[i * dim + j] - mu[j];
  cblas_dsyrk (CblasRowMajor, CblasUpper, CblasTrans, dim, (int) n, 1.0 / (n - 1), c, dim, 0.0, cov, dim);
  for (int i = 0; i < dim; i++)
    for (int j = 0; j < i; j++)
      cov[i * dim + j] = cov[j * dim + i];
}

/* Eigenvalues of the symmetric a (dim, dim) into w; eigenvectors replace a
 * (as rows, LAPACK being column-major). */
static gboolean
eigen (double *a, int dim, double *w, GError **error)
{
  int lwork = -1, info = 0;
  double q;
  dsyev_ ("V", "U", &dim, a, &dim, w, &q, &lwork, &info);
  lwork = (int) q;
  g_autofree double *work = g_new (double, MAX (lwork, 1));
  dsyev_ ("V", "U", &dim, a, &dim, w, work, &lwork, &info);
  if (info != 0)
    g_set_error (error, NN_ERROR, NN_ERROR_FAILED, "Frechet distance: eigen-decomposition failed (%d)", info);
  return info == 0;
}

/* Tr (A B)^(1/2) = Tr (A^(1/2) B A^(1/2))^(1/2): the latter is symmetric. */
static gboolean
trace_sqrt_product (double *ca, const double *cb, int dim, double *out, GError **error)
{
  g_autofree double *w = g_new (double, dim), *s = g_new0 (double, (gsize) dim * dim),
                    *t = g_new (double, (gsize) dim * dim), *m = g_new (double, (gsize) dim * dim);
  if (!eigen (ca, dim, w, error))
    return FALSE;
  /* rows of ca are eigenvectors v_k: A^(1/2) = sum sqrt(w_k) v_k v_k^T */
  for (int k = 0; k < dim; k++) {
    double r = sqrt (MAX (w[k], 0.0));
    cblas_dger (CblasRowMajor, dim, dim, r, ca + (gsize) k * dim, 1, ca + (gsize) k * dim, 1, s, dim);
  }
  cblas_dgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, dim, dim, dim, 1.0, s, dim, cb, dim, 0.0, t, dim);
  cblas_dgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, dim, dim, dim, 1.0, t, dim, s, dim, 0.0, m, dim);
  for (int i = 0; i < dim; i++)
    for (int j = 0; j < i; j++)
      m[i * dim + j] = m[j * dim + i] = 0.5 * (m[i * dim + j] + m[j * dim + i]);
  if (!eigen (m, dim, w, error))
    return FALSE;
  *out = 0;
  for (int k = 0; k < dim; k++)
    *out += sqrt (MAX (w[k], 0.0));
  return TRUE;
}

gboolean
nn_frechet_distance (const float *a, int64_t na, const float *b, int64_t nb, int dim, double *out, GError **error)
{
  if (na < 2 || nb < 2 || dim < 1) {
    g_set_error (error, NN_ERROR, NN_ERROR_INVALID, "Frechet distance needs >= 2 samples per set and features");
    return FALSE;
  }
  gsize dd = (gsize) dim * dim;
  g_autofree double *mua = g_new (double, dim), *mub = g_new (double, dim);
  g_autofree double *ca = g_new (double, dd), *cb = g_new (double, dd);
  moments (a, na, dim, mua, ca);
  moments (b, nb, dim, mub, cb);
  double d2 = 0, tr = 0, trs;
  for (int j = 0; j < dim; j++) {
    d2 += (mua[j] - mub[j]) * (mua[j] - mub[j]);
    tr += ca[(gsize) j * dim + j] + cb[(gsize) j * dim + j];
  }
  if (!trace_sqrt_product (ca, cb, dim, &trs, error))
    return FALSE;
  *out = d2 + tr - 2.0 * trs;
  return TRUE;
}
