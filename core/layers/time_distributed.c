/* time_distributed: {"type": "time_distributed", "layer": {...}} applies the
 * inner layer to every time step, (T, ...) -> (T, inner out...). Steps are
 * independent, so a batch of n sequences is the inner layer's batch of n*T.
 * The inner layer carries the outer name, so its parameters are named
 * "<outer>.<param>" and are exposed as the outer layer's own. */
#include "nn-private.h"

typedef struct {
  NnLayer parent;
  NnLayer *inner;
  int t;
} NnTimeDistributed;

static const NnKeyDef td_keys[] = {
  { "layer", NN_KEY_LAYER, 0, 0, NULL, NULL, 0, "the layer applied to each step (no \"activation\": put it after)" },
};

static gboolean
td_create (NnLayer *l, const NnSpecLayer *spec, GError **error)
{
  NnTimeDistributed *td = (NnTimeDistributed *) l;
  char buf[64];
  if (l->in.ndim < 2) {
    g_set_error (error, NN_ERROR, NN_ERROR_SHAPE, "layer \"%s\": time_distributed needs a (T, ...) input, got %s",
                 l->name, nn_shape_to_string (&l->in, buf, sizeof buf));
    return FALSE;
  }
  NnShape step = { .ndim = l->in.ndim - 1 };
  for (int d = 1; d < l->in.ndim; d++)
    step.dim[d - 1] = l->in.dim[d];
  /* the inner layer carries the outer name (see above) */
  g_autoptr (GError) e = NULL;
  td->inner = nn_layer_new_from_spec (nn_spec_layer_inner (spec), l->name, &step, l->rng, &e);
  if (!td->inner) {
    g_set_error (error, NN_ERROR, e->code, "layer \"%s\": time_distributed: %s", l->name, e->message);
    return FALSE;
  }
  if (td->inner->out.ndim + 1 > NN_MAX_DIMS) {
    g_set_error (error, NN_ERROR, NN_ERROR_SHAPE, "layer \"%s\": time_distributed output has too many dimensions",
                 l->name);
    return FALSE;
  }
  td->t = (int) l->in.dim[0];
  l->out.ndim = td->inner->out.ndim + 1;
  l->out.dim[0] = td->t;
  for (int d = 0; d < td->inner->out.ndim; d++)
    l->out.dim[d + 1] = td->inner->out.dim[d];
  /* shallow copies: the inner layer owns the memory (see td_finalize) */
  for (int i = 0; i < td->inner->n_params; i++)
    l->params[i] = td->inner->params[i];
  l->n_params = td->inner->n_params;
  return TRUE;
}

static gboolean
td_reserve (NnLayer *l, int n, GError **error)
{
  NnTimeDistributed *td = (NnTimeDistributed *) l;
  return nn_layer_reserve (td->inner, n * td->t, error);
}

static void
td_init (NnLayer *l, GRand *rng)
{
  NnTimeDistributed *td = (NnTimeDistributed *) l;
  if (td->inner->klass->init)
    td->inner->klass->init (td->inner, rng);
}

static void
td_forward (NnLayer *l, const float *x, float *y, int n, gboolean training)
{
  NnTimeDistributed *td = (NnTimeDistributed *) l;
  td->inner->rng = l->rng;
  td->inner->klass->forward (td->inner, x, y, n * td->t, training);
}

static void
td_backward (NnLayer *l, const float *x, const float *y, const float *dy, float *dx, int n)
{
  NnTimeDistributed *td = (NnTimeDistributed *) l;
  td->inner->bptt = l->bptt;
  td->inner->klass->backward (td->inner, x, y, dy, dx, n * td->t);
}

static void
td_reset_state (NnLayer *l)
{
  NnTimeDistributed *td = (NnTimeDistributed *) l;
  if (td->inner->klass->reset_state)
    td->inner->klass->reset_state (td->inner);
}

static int64_t
td_flops (const NnLayer *l)
{
  const NnTimeDistributed *td = (const NnTimeDistributed *) l;
  return td->inner->klass->flops ? td->t * td->inner->klass->flops (td->inner) : 0;
}

static void
td_finalize (NnLayer *l)
{
  NnTimeDistributed *td = (NnTimeDistributed *) l;
  /* the parameters are the inner layer's: it frees them */
  l->n_params = 0;
  nn_layer_free (td->inner);
}

const NnLayerClass nn_time_distributed_class = {
  .type = "time_distributed",
  .size = sizeof (NnTimeDistributed),
  NN_KEYS (td_keys),
  .doc = "Applies its layer to every time step: [T, ...] -> [T, inner output...]; the inner layer's parameters "
         "are named after the outer layer.",
  .create = td_create,
  .reserve = td_reserve,
  .forward = td_forward,
  .backward = td_backward,
  .init = td_init,
  .flops = td_flops,
  .reset_state = td_reset_state,
  .finalize = td_finalize,
};
