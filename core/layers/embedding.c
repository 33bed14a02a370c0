/* embedding: PyTorch's nn.Embedding. Input (T) of token indices stored as
 * floats -> (T, D) rows of weight (vocab, D), init N(0, 1).
 * Indices are rounded and clamped into [0, vocab): validating them is the
 * dataset's job, the layer only guarantees it never reads out of bounds.
 * Indices have no gradient: dx is zero; backward scatter-adds dy into the
 * rows of the weight gradient. */
#include "nn-private.h"

typedef struct {
  NnLayer parent;
  int vocab, d, t;
  float *w;                    /* (vocab, D) */
} NnEmbedding;

static gboolean
emb_create (NnLayer *l, JsonObject *spec, GError **error)
{
  NnEmbedding *e = (NnEmbedding *) l;
  char buf[64];
  if (l->in.ndim != 1) {
    g_set_error (error, NN_ERROR, NN_ERROR_SHAPE, "layer \"%s\": embedding needs a (T) input of indices, got %s",
                 l->name, nn_shape_to_string (&l->in, buf, sizeof buf));
    return FALSE;
  }
  if (!json_object_has_member (spec, "vocab") || !json_object_has_member (spec, "units")) {
    g_set_error (error, NN_ERROR, NN_ERROR_INVALID, "layer \"%s\": embedding needs \"vocab\" and \"units\"", l->name);
    return FALSE;
  }
  if (!nn_spec_int (spec, l->name, "vocab", 0, 1, &e->vocab, error) ||
      !nn_spec_int (spec, l->name, "units", 0, 1, &e->d, error))
    return FALSE;
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

static inline int64_t
emb_row (const NnEmbedding *e, float v)
{
  /* NaN and out-of-range indices land on a valid row */
  if (!(v >= 0.0f))
    return 0;
  return MIN ((int64_t) (v + 0.5f), (int64_t) e->vocab - 1);
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
  .create = emb_create,
  .forward = emb_forward,
  .backward = emb_backward,
  .init = emb_init,
};
