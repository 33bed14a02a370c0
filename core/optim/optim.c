/* Optimisers know nothing of layers: they walk (param, grad, state) triples,
 * add the L1/L2 gradient, clip, then apply the rule of their kind. */
#include "optim-private.h"
#include "train-private.h"

typedef void (*UpdateFunc) (const NnOptimConfig *, float *, const float *, float *, float *, int64_t, int64_t);

static const struct {
  const char *name;
  UpdateFunc  update;
} kinds[] = {
  [NN_OPT_SGD] = { "sgd", nn_sgd_update },
  [NN_OPT_MOMENTUM] = { "momentum", nn_sgd_update },
  [NN_OPT_RMSPROP] = { "rmsprop", nn_rmsprop_update },
  [NN_OPT_ADAM] = { "adam", nn_adam_update },
};
G_STATIC_ASSERT (G_N_ELEMENTS (kinds) == NN_OPT_ADAM + 1);

struct _NnOptimizer {
  NnOptimConfig c;
  NnParam *params;
  int      n_params;
  float  **s1, **s2;   /* per-param state, NULL where the rule needs none */
  int64_t  t;
};

gboolean
nn_optim_from_name (const char *name, NnOptimKind *out, GError **error)
{
  for (gsize i = 0; i < G_N_ELEMENTS (kinds); i++)
    if (g_strcmp0 (name, kinds[i].name) == 0) {
      *out = (NnOptimKind) i;
      return TRUE;
    }
  g_set_error (error, NN_ERROR, NN_ERROR_INVALID, "unknown optimizer \"%s\" (sgd, momentum, rmsprop, adam)", name);
  return FALSE;
}

const char *
nn_optim_name (NnOptimKind k)
{
  g_return_val_if_fail ((gsize) k < G_N_ELEMENTS (kinds), NULL);
  return kinds[k].name;
}

void
nn_optim_config_init (NnOptimConfig *c, NnOptimKind kind)
{
  *c = (NnOptimConfig) {
    .kind = kind, .lr = kind == NN_OPT_ADAM || kind == NN_OPT_RMSPROP ? 0.001f : 0.01f,
    .momentum = 0.9f, .rho = 0.9f, .beta1 = 0.9f, .beta2 = 0.999f,
    .eps = kind == NN_OPT_ADAM ? 1e-8f : 1e-7f,
  };
}

NnOptimizer *
nn_optimizer_new (const NnOptimConfig *c, NnParam *params, int n_params)
{
  NnOptimizer *o = g_new0 (NnOptimizer, 1);
  o->c = *c;
  o->params = params;
  o->n_params = n_params;
  o->s1 = g_new0 (float *, MAX (n_params, 1));
  o->s2 = g_new0 (float *, MAX (n_params, 1));
  gboolean one = c->kind != NN_OPT_SGD, two = c->kind == NN_OPT_ADAM;
  for (int i = 0; i < n_params; i++) {
    if (!params[i].trainable)
      continue;
    int64_t n = nn_shape_numel (&params[i].shape);
    o->s1[i] = one ? g_new0 (float, n) : NULL;
    o->s2[i] = two ? g_new0 (float, n) : NULL;
  }
  return o;
}

void
nn_optimizer_free (NnOptimizer *o)
{
  if (!o)
    return;
  for (int i = 0; i < o->n_params; i++) {
    g_free (o->s1[i]);
    g_free (o->s2[i]);
  }
  g_free (o->s1);
  g_free (o->s2);
  g_free (o);
}

static void
regularise (const NnOptimConfig *c, const NnParam *p)
{
  if (!p->decay || (c->l1 == 0.0f && c->l2 == 0.0f))
    return;
  int64_t n = nn_shape_numel (&p->shape);
  for (int64_t i = 0; i < n; i++) {
    float w = p->data[i];
    p->grad[i] += c->l1 * (w > 0.0f ? 1.0f : w < 0.0f ? -1.0f : 0.0f) + 2.0f * c->l2 * w;
  }
}

/* The seed's cure for exploding gradients: rescale so the global norm is at
 * most clip_norm, then clamp each element to +-clip_value. */
static void
clip (NnOptimizer *o)
{
  if (o->c.clip_norm > 0.0f) {
    double sq = 0.0;
    for (int i = 0; i < o->n_params; i++)
      if (o->params[i].trainable)
        for (int64_t j = 0; j < nn_shape_numel (&o->params[i].shape); j++)
          sq += (double) o->params[i].grad[j] * o->params[i].grad[j];
    double norm = sqrt (sq);
    if (norm > o->c.clip_norm) {
      float s = (float) (o->c.clip_norm / (norm + 1e-6));
      for (int i = 0; i < o->n_params; i++)
        if (o->params[i].trainable)
          for (int64_t j = 0; j < nn_shape_numel (&o->params[i].shape); j++)
            o->params[i].grad[j] *= s;
    }
  }
  if (o->c.clip_value > 0.0f)
    for (int i = 0; i < o->n_params; i++)
      if (o->params[i].trainable)
        for (int64_t j = 0; j < nn_shape_numel (&o->params[i].shape); j++)
          o->params[i].grad[j] = CLAMP (o->params[i].grad[j], -o->c.clip_value, o->c.clip_value);
}

void
nn_optimizer_step (NnOptimizer *o)
{
  o->t++;
  for (int i = 0; i < o->n_params; i++)
    if (o->params[i].trainable)
      regularise (&o->c, &o->params[i]);
  clip (o);
  UpdateFunc update = kinds[o->c.kind].update;
  for (int i = 0; i < o->n_params; i++) {
    NnParam *p = &o->params[i];
    if (p->trainable)
      update (&o->c, p->data, p->grad, o->s1[i], o->s2[i], nn_shape_numel (&p->shape), o->t);
  }
}

void
nn_optimizer_set_lr (NnOptimizer *o, float lr)
{
  o->c.lr = lr;
}

float
nn_optimizer_get_lr (const NnOptimizer *o)
{
  return o->c.lr;
}

int64_t
nn_optimizer_get_t (const NnOptimizer *o)
{
  return o->t;
}

NnOptimKind
nn_optimizer_kind (const NnOptimizer *o)
{
  return o->c.kind;
}

void
nn_optimizer_set_t (NnOptimizer *o, int64_t t)
{
  o->t = t;
}

float *
nn_optimizer_state (NnOptimizer *o, int param, int which)
{
  g_return_val_if_fail (param >= 0 && param < o->n_params && (which == 1 || which == 2), NULL);
  return which == 1 ? o->s1[param] : o->s2[param];
}

double
nn_optimizer_penalty (const NnOptimizer *o)
{
  double pen = 0.0;
  for (int i = 0; i < o->n_params; i++) {
    const NnParam *p = &o->params[i];
    if (!p->trainable || !p->decay)
      continue;
    for (int64_t j = 0; j < nn_shape_numel (&p->shape); j++)
      pen += o->c.l1 * fabsf (p->data[j]) + o->c.l2 * p->data[j] * p->data[j];
  }
  return pen;
}
