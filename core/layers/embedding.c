/* embedding: PyTorch's nn.Embedding. Input (T) of token indices stored as
 * floats -> (T, D) rows of weight (vocab, D), init N(0, 1).
 * Indices are rounded to the nearest row. An index that is NaN, negative or
 * rounds to vocab or beyond is an error of nn_model_forward (PyTorch raises
 * IndexError), checked as a float before any conversion to an integer: a
 * cast of 1e30 or NaN to int64 is undefined behaviour. The forward itself
 * still never reads out of bounds when called without the check.
 * Indices have no gradient: dx is zero; backward scatter-adds dy into the
 * rows of the weight gradient. */
#include "nn-private.h"

typedef struct {
  NnLayer parent;
  int vocab, d, t;
  float *w;                    /* (vocab, D) */
} NnEmbedding;

static const NnKeyDef emb_keys[] = {
  { "vocab", NN_KEY_INT, 1, NN_INT_MAX, NULL, NULL, 0, "number of distinct indices" },
  { "units", NN_KEY_INT, 1, NN_INT_MAX, NULL, NULL, 0, "vector size per index" },
};

static gboolean
emb_create (NnLayer *l, const NnSpecLayer *spec, GError **error)
{
  NnEmbedding *e = (NnEmbedding *) l;
  char buf[64];
  if (l->in.ndim != 1) {
    g_set_error (error, NN_ERROR, NN_ERROR_SHAPE, "layer \"%s\": embedding needs a (T) input of indices, got %s",
                 l->name, nn_shape_to_string (&l->in, buf, sizeof buf));
    return FALSE;
  }
  e->vocab = nn_spec_layer_int (spec, "vocab");
  e->d = nn_spec_layer_int (spec, "units");
  e->t = (int) l->in.dim[0];
  l->out = nn_shape_2d (e->t, e->d);
  NnShape ws = nn_shape_2d (e->vocab, e->d);
  e->w = nn_layer_add_param (l, "weight", &ws, TRUE, TRUE);
  return TRUE;
}

static void
emb_init (NnLayer *l, GRand *rng)
{
  NnEmbedding *e = (NnEmbedding *) l;
  for (int64_t i = 0; i < (int64_t) e->vocab * e->d; i++)
    e->w[i] = (float) nn_rand_normal (rng);
}

/* Whether v rounds to a row of the table; compared as a double so that no
 * float is converted to an integer before it is known to fit. */
static inline gboolean
emb_valid (const NnEmbedding *e, float v)
{
  return v >= 0.0f && (double) v < (double) e->vocab - 0.5;
}

static inline int64_t
emb_row (const NnEmbedding *e, float v)
{
  /* only reached unchecked by direct forward calls: a bad index lands on a
   * valid row, decided before the conversion */
  if (!emb_valid (e, v))
    return v >= 0.0f ? (int64_t) e->vocab - 1 : 0;
  return MIN ((int64_t) (v + 0.5f), (int64_t) e->vocab - 1);
}

static gboolean
emb_check_input (NnLayer *l, const float *x, int n, GError **error)
{
  NnEmbedding *e = (NnEmbedding *) l;
  for (int64_t i = 0; i < (int64_t) n * e->t; i++)
    if (!emb_valid (e, x[i])) {
      g_set_error (error, NN_ERROR, NN_ERROR_INVALID,
                   "layer \"%s\": embedding index %g (sample %" G_GINT64_FORMAT ", position %" G_GINT64_FORMAT
                   ") is not a row of the table (0..%d)", l->name, (double) x[i], i / e->t, i % e->t, e->vocab - 1);
      return FALSE;
    }
  return TRUE;
}

static void
emb_forward (NnLayer *l, const float *x, float *y, int n, gboolean training)
{
  NnEmbedding *e = (NnEmbedding *) l;
  for (int64_t i = 0; i < (int64_t) n * e->t; i++)
    memcpy (y + i * e->d, e->w + emb_row (e, x[i]) * e->d, sizeof (float) * e->d);
}

static void
emb_backward (NnLayer *l, const float *x, const float *y, const float *dy, float *dx, int n)
{
  NnEmbedding *e = (NnEmbedding *) l;
  float *dw = l->params[0].grad;
  for (int64_t i = 0; i < (int64_t) n * e->t; i++) {
    float *row = dw + emb_row (e, x[i]) * e->d;
    for (int j = 0; j < e->d; j++)
      row[j] += dy[i * e->d + j];
  }
  if (dx)
    memset (dx, 0, sizeof (float) * n * e->t);
}

const NnLayerClass nn_embedding_class = {
  .type = "embedding",
  .size = sizeof (NnEmbedding),
  NN_KEYS (emb_keys),
  .doc = "Token indices [T] -> vectors [T, units] (PyTorch's Embedding); weight [vocab, units].",
  .create = emb_create,
  .forward = emb_forward,
  .backward = emb_backward,
  .init = emb_init,
  .check_input = emb_check_input,
};
