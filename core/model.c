/* A model: the spec, the layers built from it, and a workspace sized for the
 * largest batch seen, so forward and backward allocate nothing in steady state. */
#include "train-private.h"
#include <time.h>

struct _NnModel {
  NnSpec       *spec;        /* parsed and validated (a reference) */
  NnShape       input;       /* per sample */
  NnLayer     **layers;
  int           n_layers;
  NnParam      *params;      /* shallow copies of the layers' params */
  int           n_params;
  GRand        *rng;
  int           capacity;    /* batch the workspace holds */
  int           threads;     /* threads the layers' scratch serves */
  float       **acts;        /* acts[i]: (capacity, layers[i]->out) */
  float        *gbuf[2];     /* ping-pong gradients, (capacity, max numel) */
  const float  *last_x;      /* input of the last forward (caller's memory) */
  int           last_n;
  gboolean     *fused;       /* fused[i]: inference runs layers i .. i+span[i]-1 as one pass */
  int          *span;
  float       **fold_w, **fold_b; /* fold_*[i]: conv i's weights with batchnorm i+1 folded in, or NULL */
  gboolean      fusion;      /* inference may fuse (default) */
  gboolean      last_fused;  /* the last forward did: layers' outputs are missing, no backward */
};

static gboolean
add_layer (NnModel *m, const NnSpecLayer *spec, const char *name, GError **error)
{
  const NnShape *in = m->n_layers ? &m->layers[m->n_layers - 1]->out : &m->input;
  NnLayer *l = nn_layer_new_from_spec (spec, name, in, m->rng, error);
  if (!l)
    return FALSE;
  for (int i = 0; i < m->n_layers; i++)
    if (strcmp (m->layers[i]->name, l->name) == 0) {
      g_set_error (error, NN_ERROR, NN_ERROR_FORMAT, "spec: two layers are named \"%s\"", l->name);
      nn_layer_free (l);
      return FALSE;
    }
  m->layers = g_renew (NnLayer *, m->layers, m->n_layers + 1);
  m->layers[m->n_layers++] = l;
  return TRUE;
}

/* A layer's "activation" option is a parameter-free layer after it, which
 * the spec gives as a layer of its own (nn_spec_layer_activation). */
static gboolean
build_layers (NnModel *m, GError **error)
{
  for (int i = 0; i < nn_spec_n_layers (m->spec); i++) {
    const NnSpecLayer *l = nn_spec_layer (m->spec, i), *act = nn_spec_layer_activation (l);
    if (!add_layer (m, l, nn_spec_layer_name (l), error) ||
        (act && !add_layer (m, act, nn_spec_layer_name (act), error)))
      return FALSE;
  }
  return TRUE;
}

static void
collect_params (NnModel *m)
{
  for (int i = 0; i < m->n_layers; i++)
    m->n_params += m->layers[i]->n_params;
  m->params = g_new0 (NnParam, MAX (m->n_params, 1));
  int k = 0;
  for (int i = 0; i < m->n_layers; i++)
    for (int j = 0; j < m->layers[i]->n_params; j++)
      m->params[k++] = m->layers[i]->params[j];
}

/* Inference runs conv -> relu (or leaky relu) -> 2x2 max pool as one pass
 * where the conv can pool its own output: the pooling commutes with a rising
 * activation, so the activation then runs on a quarter of the values, and
 * neither full-size output is written. A batchnorm2d after a conv is folded
 * into the conv's weights (nn_batchnorm2d_fold), as ONNX Runtime and
 * PyTorch's fuser do: conv -> batchnorm -> activation -> pool becomes such a
 * pass, and conv -> batchnorm one convolution. A batchnorm's scale may be
 * negative, so it cannot be moved past the pooling itself; folded, it need
 * not be. */
static gboolean
is_type (const NnLayer *l, const char *type)
{
  return g_str_equal (l->klass->type, type);
}

static void
plan_fusion (NnModel *m)
{
  m->fusion = TRUE;
  m->fused = g_new0 (gboolean, m->n_layers);
  m->span = g_new0 (int, m->n_layers);
  m->fold_w = g_new0 (float *, m->n_layers);
  m->fold_b = g_new0 (float *, m->n_layers);
  for (int i = 0; i < m->n_layers; i++) {
    NnLayer *l = m->layers[i];
    NnAct act;
    float slope;
    gboolean pool2 = l->klass->can_pool2 && l->klass->can_pool2 (l);
    gboolean bn = is_type (l, "conv2d") && i + 1 < m->n_layers && is_type (m->layers[i + 1], "batchnorm2d");
    int k = bn ? i + 2 : i + 1;   /* where the activation would be */
    if (pool2 && k + 1 < m->n_layers && nn_layer_is_rising_act (m->layers[k], &act, &slope) &&
        nn_layer_is_maxpool2 (m->layers[k + 1]))
      m->span[i] = k + 2 - i;
    else if (bn)
      m->span[i] = 2;
    if (bn) {
      int64_t nw = nn_shape_numel (&l->params[0].shape);
      m->fold_w[i] = g_new (float, nw);
      m->fold_b[i] = g_new (float, l->out.dim[0]);
    }
    m->fused[i] = m->span[i] > 0;
    if (m->fused[i])
      i += m->span[i] - 1;
  }
}

/* Whether layer j's own output is not written by a fused inference (it is
 * inside a pass, not its last layer). */
static gboolean
inside_pass (const NnModel *m, int j)
{
  for (int i = 0; i <= j; i++)
    if (m->fused[i] && j < i + m->span[i] - 1)
      return TRUE;
  return FALSE;
}

/* The pass starting at layer i (fused[i]) on `in`; returns its output and
 * sets *last to its last layer. */
static const float *
fused_pass (NnModel *m, int i, const float *in, int n, int *last)
{
  NnLayer *l = m->layers[i];
  int end = i + m->span[i] - 1;
  float *out = m->acts[end];
  gboolean pooled = m->span[i] > 2 || !m->fold_w[i];
  if (m->fold_w[i]) {
    int64_t f = l->out.dim[0];
    nn_batchnorm2d_fold (m->layers[i + 1], l->params[0].data, l->n_params > 1 ? l->params[1].data : NULL,
                         nn_shape_numel (&l->params[0].shape) / f, m->fold_w[i], m->fold_b[i]);
    nn_conv2d_forward_with (l, m->fold_w[i], m->fold_b[i], in, out, n, pooled);
  } else {
    l->klass->forward_pool2 (l, in, out, n);
  }
  if (pooled) {
    NnAct act;
    float slope;
    nn_layer_is_rising_act (m->layers[end - 1], &act, &slope);
    nn_act_forward (act, slope, out, out, n * nn_shape_numel (&m->layers[end]->out));
  }
  *last = end;
  return out;
}

NnModel *
nn_model_new (NnSpec *spec, guint64 seed, GError **error)
{
  g_return_val_if_fail (spec != NULL, NULL);
  NnModel *m = g_new0 (NnModel, 1);
  m->spec = nn_spec_ref (spec);
  m->input = *nn_spec_input_shape (spec);
  m->rng = g_rand_new ();
  nn_model_set_seed (m, seed);
  g_autoptr (GError) e = NULL;
  if (!build_layers (m, &e)) {
    /* layer and shape errors from a file name it */
    const char *src = nn_spec_source (spec);
    if (src)
      g_set_error (error, NN_ERROR, e->code, "%s: %s", src, e->message);
    else
      g_propagate_error (error, g_steal_pointer (&e));
    goto fail;
  }
  const NnShape *out = nn_model_output_shape (m);
  int n_labels = nn_spec_n_labels (spec);
  /* one sigmoid output may name both of its classes (0 below 0.5, 1 above) */
  gboolean binary = nn_shape_numel (out) == 1 && n_labels == 2;
  if (n_labels && n_labels != out->dim[0] && !binary) {
    g_set_error (error, NN_ERROR, NN_ERROR_SHAPE, "%s: %d labels but the network has %" G_GINT64_FORMAT " outputs",
                 nn_spec_source (spec) ? nn_spec_source (spec) : "spec", n_labels, out->dim[0]);
    goto fail;
  }
  collect_params (m);
  plan_fusion (m);
  for (int i = 0; i < m->n_layers; i++)
    if (m->layers[i]->klass->init)
      m->layers[i]->klass->init (m->layers[i], m->rng);
  return m;
fail:
  nn_model_free (m);
  return NULL;
}

NnModel *
nn_model_new_from_spec (const char *json, guint64 seed, GError **error)
{
  g_autoptr (NnSpec) spec = nn_spec_parse (json, NULL, error);
  return spec ? nn_model_new (spec, seed, error) : NULL;
}

NnModel *
nn_model_new_from_spec_file (const char *path, guint64 seed, GError **error)
{
  g_autoptr (NnSpec) spec = nn_spec_load (path, error);
  return spec ? nn_model_new (spec, seed, error) : NULL;
}

NnSpec *
nn_model_get_spec (const NnModel *m)
{
  return m->spec;
}

/* The flags in effect: the caller's, plus NN_LOAD_ALLOW_NONFINITE when the
 * environment asks for it (NN_ALLOW_NONFINITE=1), so that the CLI and the
 * elements can load such a file without an option of their own. */
static NnLoadFlags
load_flags (NnLoadFlags flags)
{
  const char *env = g_getenv ("NN_ALLOW_NONFINITE");
  if (env && g_str_equal (env, "1"))
    flags |= NN_LOAD_ALLOW_NONFINITE;
  return flags;
}

/* A weight that is NaN or infinite makes every output garbage (and NaN cast
 * to an index is undefined behaviour): a diverged training run saves such a
 * file, so loading it is an error naming the tensor unless allowed. */
static gboolean
check_finite (const NnParam *p, const char *path, GError **error)
{
  int64_t n = nn_shape_numel (&p->shape), bad = 0, first = -1;
  for (int64_t i = 0; i < n; i++)
    if (!isfinite (p->data[i])) {
      bad++;
      if (first < 0)
        first = i;
    }
  if (bad == 0)
    return TRUE;
  g_set_error (error, NN_ERROR, NN_ERROR_FORMAT, "%s: tensor \"%s\" holds %" G_GINT64_FORMAT " non-finite value%s "
               "(the first, at index %" G_GINT64_FORMAT ", is %g) of %" G_GINT64_FORMAT "; a model with NaN or "
               "infinite weights answers garbage (NN_ALLOW_NONFINITE=1 loads it anyway)", path, p->name, bad,
               bad > 1 ? "s" : "", first, (double) p->data[first], n);
  return FALSE;
}

static gboolean
read_params (NnModel *m, NnSafetensors *st, const char *path, NnLoadFlags flags, GError **error)
{
  for (int i = 0; i < m->n_params; i++) {
    if (!nn_safetensors_read_f32 (st, m->params[i].name, &m->params[i].shape, m->params[i].data, error))
      return FALSE;
    if (!(flags & NN_LOAD_ALLOW_NONFINITE) && !check_finite (&m->params[i], path, error))
      return FALSE;
  }
  return TRUE;
}

gboolean
nn_model_check_finite (const NnModel *m, const char *path, NnLoadFlags flags, GError **error)
{
  if (load_flags (flags) & NN_LOAD_ALLOW_NONFINITE)
    return TRUE;
  for (int i = 0; i < m->n_params; i++)
    if (!check_finite (&m->params[i], path, error))
      return FALSE;
  return TRUE;
}

gboolean
nn_model_load_weights_flags (NnModel *m, const char *path, NnLoadFlags flags, GError **error)
{
  g_autoptr (NnSafetensors) st = nn_safetensors_open (path, error);
  if (!st)
    return FALSE;
  return read_params (m, st, path, load_flags (flags), error);
}

gboolean
nn_model_load_weights (NnModel *m, const char *path, GError **error)
{
  return nn_model_load_weights_flags (m, path, NN_LOAD_DEFAULT, error);
}

NnModel *
nn_model_load_flags (const char *path, NnLoadFlags flags, GError **error)
{
  if (g_str_has_suffix (path, ".json"))
    return nn_model_new_from_spec_file (path, 0, error);
  if (g_str_has_suffix (path, ".onnx"))
    return nn_onnx_import (path, NULL, NULL, flags, error);
  g_autoptr (NnSafetensors) st = nn_safetensors_open (path, error);
  if (!st)
    return NULL;
  const char *spec_json = nn_safetensors_metadata (st, "nn.spec");
  if (!spec_json) {
    g_set_error (error, NN_ERROR, NN_ERROR_FORMAT, "%s: no \"nn.spec\" in the header's __metadata__", path);
    return NULL;
  }
  g_autoptr (NnSpec) spec = nn_spec_parse (spec_json, path, error);
  NnModel *m = spec ? nn_model_new (spec, 0, error) : NULL;
  if (!m)
    return NULL;
  if (!read_params (m, st, path, load_flags (flags), error)) {
    nn_model_free (m);
    return NULL;
  }
  return m;
}

NnModel *
nn_model_load (const char *path, GError **error)
{
  return nn_model_load_flags (path, NN_LOAD_DEFAULT, error);
}

gboolean
nn_model_save_extra (NnModel *m, const char *path, const NnStEntry *extra, int n_extra, const char *const *metadata,
                     GError **error)
{
  g_autofree char *spec = nn_model_spec_json (m);
  /* the labels as a JSON array through json-glib: UTF-8 kept as it is
   * (g_strescape's octal escapes are not JSON) */
  g_autoptr (JsonBuilder) lb = json_builder_new ();
  json_builder_begin_array (lb);
  for (int i = 0; i < nn_model_n_labels (m); i++)
    json_builder_add_string_value (lb, nn_model_label (m, i) ? nn_model_label (m, i) : "");
  json_builder_end_array (lb);
  g_autoptr (JsonNode) lroot = json_builder_get_root (lb);
  g_autofree char *labels = json_to_string (lroot, FALSE);
  g_autoptr (GPtrArray) meta = g_ptr_array_new ();
  const char *own[] = { "format", "pt", "nn.spec", spec, "nn.labels", labels };
  for (gsize i = 0; i < G_N_ELEMENTS (own); i++)
    g_ptr_array_add (meta, (gpointer) own[i]);
  for (int i = 0; metadata && metadata[i]; i++)
    g_ptr_array_add (meta, (gpointer) metadata[i]);
  g_ptr_array_add (meta, NULL);
  g_autofree NnStEntry *e = g_new (NnStEntry, m->n_params + n_extra + 1);
  for (int i = 0; i < m->n_params; i++)
    e[i] = nn_st_entry_f32 (&m->params[i]);
  for (int i = 0; i < n_extra; i++)
    e[m->n_params + i] = extra[i];
  return nn_safetensors_write_entries (path, e, m->n_params + n_extra, (const char *const *) meta->pdata, error);
}

gboolean
nn_model_save (NnModel *m, const char *path, GError **error)
{
  return nn_model_save_extra (m, path, NULL, 0, NULL, error);
}

void
nn_model_free (NnModel *m)
{
  if (!m)
    return;
  for (int i = 0; i < m->n_layers; i++) {
    nn_layer_free (m->layers[i]);
    if (m->acts)
      g_free (m->acts[i]);
  }
  g_free (m->layers);
  g_free (m->fused);
  g_free (m->span);
  for (int i = 0; m->fold_w && i < m->n_layers; i++) {
    g_free (m->fold_w[i]);
    g_free (m->fold_b[i]);
  }
  g_free (m->fold_w);
  g_free (m->fold_b);
  g_free (m->acts);
  g_free (m->gbuf[0]);
  g_free (m->gbuf[1]);
  g_free (m->params);
  if (m->rng)
    g_rand_free (m->rng);
  nn_spec_free (m->spec);
  g_free (m);
}

const NnShape *
nn_model_input_shape (const NnModel *m)
{
  return &m->input;
}

const NnShape *
nn_model_output_shape (const NnModel *m)
{
  return m->n_layers ? &m->layers[m->n_layers - 1]->out : &m->input;
}

const NnPreprocess *
nn_model_preprocess (const NnModel *m)
{
  return nn_spec_preprocess (m->spec);
}

int
nn_model_n_labels (const NnModel *m)
{
  return nn_spec_n_labels (m->spec);
}

const char *
nn_model_label (const NnModel *m, int i)
{
  return nn_spec_label (m->spec, i);
}

char *
nn_model_spec_json (const NnModel *m)
{
  return nn_spec_to_json (m->spec);
}

GRand *
nn_model_rng (NnModel *m)
{
  return m->rng;
}

void
nn_model_set_seed (NnModel *m, guint64 seed)
{
  guint32 s[2] = { (guint32) seed, (guint32) (seed >> 32) };
  g_rand_set_seed_array (m->rng, s, 2);
}

gboolean
nn_model_reserve (NnModel *m, int n, GError **error)
{
  if (n <= m->capacity && nn_get_threads () <= m->threads)
    return TRUE;
  if (n <= m->capacity) {
    /* more threads than the layers' scratch serves: only that grows */
    for (int i = 0; i < m->n_layers; i++)
      if (!nn_layer_reserve (m->layers[i], n, error))
        return FALSE;
    m->threads = nn_get_threads ();
    return TRUE;
  }
  int64_t maxel = nn_shape_numel (&m->input);
  if (!m->acts)
    m->acts = g_new0 (float *, m->n_layers);
  for (int i = 0; i < m->n_layers; i++) {
    int64_t el = nn_shape_numel (&m->layers[i]->out);
    maxel = MAX (maxel, el);
    g_free (m->acts[i]);
    m->acts[i] = g_try_new (float, n * el);
    if (!m->acts[i] || !nn_layer_reserve (m->layers[i], n, error)) {
      if (!m->acts[i])
        g_set_error (error, NN_ERROR, NN_ERROR_FAILED, "out of memory for a batch of %d", n);
      m->capacity = 0;
      return FALSE;
    }
  }
  for (int k = 0; k < 2; k++) {
    g_free (m->gbuf[k]);
    m->gbuf[k] = g_new (float, n * maxel);
  }
  m->capacity = n;
  m->threads = nn_get_threads ();
  return TRUE;
}

const float *
nn_model_forward (NnModel *m, const float *x, int n, gboolean training, GError **error)
{
  if (n < 1) {
    g_set_error (error, NN_ERROR, NN_ERROR_INVALID, "forward: batch size %d", n);
    return NULL;
  }
  if (!nn_model_reserve (m, n, error))
    return NULL;
  const float *in = x;
  m->last_fused = FALSE;
  for (int i = 0; i < m->n_layers; i++) {
    NnLayer *l = m->layers[i];
    if (!training && m->fusion && m->fused[i]) {
      in = fused_pass (m, i, in, n, &i);
      m->last_fused = TRUE;
      continue;
    }
    if (l->klass->check_input && !l->klass->check_input (l, in, n, error))
      return NULL;
    l->klass->forward (l, in, m->acts[i], n, training);
    in = m->acts[i];
  }
  m->last_x = x;
  m->last_n = n;
  return in;
}

static gboolean
layer_trains (const NnLayer *l)
{
  for (int j = 0; j < l->n_params; j++)
    if (l->params[j].trainable)
      return TRUE;
  return FALSE;
}

static const float *
backward (NnModel *m, const float *dout, gboolean skip_last, gboolean want_input)
{
  g_return_val_if_fail (m->last_x != NULL, NULL);
  /* a fused forward kept no per-layer outputs to go back through */
  g_return_val_if_fail (!m->last_fused, NULL);
  const float *dy = dout;
  int cur = 0;
  /* No gradient is wanted below the first layer with a trainable tensor (a
   * frozen feature extractor, as enrolment freezes): the backward stops at
   * that layer, and its dx is nobody's business, nor is the first layer's,
   * unless the input's gradient is asked for. */
  int first = 0;
  while (!want_input && first < m->n_layers && !layer_trains (m->layers[first]))
    first++;
  for (int i = m->n_layers - 1 - (skip_last ? 1 : 0); i >= first; i--) {
    NnLayer *l = m->layers[i];
    const float *x = i ? m->acts[i - 1] : m->last_x;
    float *dx = i > first || want_input ? m->gbuf[cur] : NULL;
    l->klass->backward (l, x, m->acts[i], dy, dx, m->last_n);
    dy = dx;
    cur ^= 1;
  }
  return dy;
}

void
nn_model_backward (NnModel *m, const float *dout, gboolean skip_last)
{
  backward (m, dout, skip_last, FALSE);
}

const float *
nn_model_backward_input (NnModel *m, const float *dout, gboolean skip_last)
{
  return backward (m, dout, skip_last, TRUE);
}

void
nn_model_zero_grad (NnModel *m)
{
  for (int i = 0; i < m->n_params; i++)
    if (m->params[i].grad)
      memset (m->params[i].grad, 0, sizeof (float) * nn_shape_numel (&m->params[i].shape));
}

NnParam *
nn_model_params (NnModel *m, int *n_params)
{
  *n_params = m->n_params;
  return m->params;
}

/* The model's list holds copies of its layers' records: both change, since
 * the optimiser reads the list and a layer may read its own (a frozen
 * batchnorm2d runs as at inference). */
void
nn_model_set_trainable (NnModel *m, int i, gboolean trainable)
{
  m->params[i].trainable = trainable;
  for (int l = 0; l < m->n_layers; l++)
    for (int j = 0; j < m->layers[l]->n_params; j++)
      if (m->layers[l]->params[j].data == m->params[i].data)
        m->layers[l]->params[j].trainable = trainable;
}

int64_t
nn_model_n_trainable (const NnModel *m)
{
  int64_t n = 0;
  for (int i = 0; i < m->n_params; i++)
    if (m->params[i].trainable)
      n += nn_shape_numel (&m->params[i].shape);
  return n;
}

const char *
nn_model_last_activation (const NnModel *m)
{
  return m->layers[m->n_layers - 1]->klass->type;
}

int
nn_model_n_layers (const NnModel *m)
{
  return m->n_layers;
}

void
nn_model_layer_info (const NnModel *m, int i, NnLayerInfo *info)
{
  g_return_if_fail (i >= 0 && i < m->n_layers);
  const NnLayer *l = m->layers[i];
  info->name = l->name;
  info->type = l->klass->type;
  info->out = l->out;
  info->n_params = 0;
  for (int j = 0; j < l->n_params; j++)
    if (l->params[j].trainable)
      info->n_params += nn_shape_numel (&l->params[j].shape);
  info->flops = l->klass->flops ? l->klass->flops (l) : 0;
}

void
nn_model_set_fusion (NnModel *m, gboolean fusion)
{
  m->fusion = fusion;
}

void
nn_model_reset_state (NnModel *m)
{
  for (int i = 0; i < m->n_layers; i++)
    if (m->layers[i]->klass->reset_state)
      m->layers[i]->klass->reset_state (m->layers[i]);
}

void
nn_model_set_bptt (NnModel *m, int steps)
{
  for (int i = 0; i < m->n_layers; i++)
    m->layers[i]->bptt = MAX (steps, 0);
}

void
nn_model_set_row_window (NnModel *m, int before, int after)
{
  for (int i = 0; i < m->n_layers; i++) {
    m->layers[i]->rows_before = MAX (before, 0);
    m->layers[i]->rows_after = MAX (after, 0);
  }
}

void
nn_model_skip_rows (NnModel *m, int n)
{
  for (int i = 0; i < m->n_layers; i++)
    if (m->layers[i]->klass->skip_rows)
      m->layers[i]->klass->skip_rows (m->layers[i], n);
}

const float *
nn_model_layer_output (const NnModel *m, const char *name, NnShape *shape)
{
  for (int i = 0; m->acts && m->last_n && i < m->n_layers; i++)
    if (strcmp (m->layers[i]->name, name) == 0) {
      if (m->last_fused && inside_pass (m, i))
        return NULL;
      if (shape)
        *shape = m->layers[i]->out;
      return m->acts[i];
    }
  return NULL;
}

NnModel *
nn_model_new_streaming (const NnModel *m, GError **error)
{
  g_autoptr (NnSpec) spec = nn_spec_streaming (m->spec, error);
  if (!spec)
    return NULL;
  NnModel *s = nn_model_new (spec, 0, error);
  if (!s)
    return NULL;
  for (int i = 0; i < s->n_params; i++) {
    if (s->n_params != m->n_params || !nn_shape_equal (&s->params[i].shape, &m->params[i].shape)) {
      /* a layer after the recurrent ones depends on T (e.g. flatten then dense) */
      g_set_error (error, NN_ERROR, NN_ERROR_SHAPE, "cannot stream this model: \"%s\" depends on the sequence length",
                   m->params[i].name);
      nn_model_free (s);
      return NULL;
    }
    memcpy (s->params[i].data, m->params[i].data, sizeof (float) * nn_shape_numel (&s->params[i].shape));
  }
  return s;
}

/* ---- per-layer profile ---------------------------------------------------- */

static double
profile_now_us (void)
{
  /* g_get_monotonic_time's microsecond steps are as long as a small layer */
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

/* samples (runs) sorted in place -> median, min, max */
static void
profile_summary (double *samples, int runs, double out[3])
{
  qsort (samples, runs, sizeof (double), cmp_double);
  out[0] = runs % 2 ? samples[runs / 2] : (samples[runs / 2 - 1] + samples[runs / 2]) / 2;
  out[1] = samples[0];
  out[2] = samples[runs - 1];
}

/* One inference forward layer by layer, as nn_model_forward runs it; t[i]
 * gets layer i's time (a fused pass's on its first layer). */
static void
profile_forward_layers (NnModel *m, const float *x, int n, double *t)
{
  const float *in = x;
  for (int i = 0; i < m->n_layers; i++) {
    NnLayer *l = m->layers[i];
    double t0 = profile_now_us ();
    if (m->fusion && m->fused[i]) {
      int first = i;
      in = fused_pass (m, i, in, n, &i);
      t[first] = profile_now_us () - t0;
      for (int j = first + 1; j <= i; j++)
        t[j] = 0;
      continue;
    }
    l->klass->forward (l, in, m->acts[i], n, FALSE);
    t[i] = profile_now_us () - t0;
    in = m->acts[i];
  }
  m->last_fused = TRUE;  /* conservative: no backward through a profiled inference */
}

/* A training step as the trainer's (core/train.c) at one process: forward,
 * the loss and its gradient (p - t directly for softmax + cross-entropy and
 * sigmoid + BCE, the last layer skipped), backward, optimiser step. With
 * `t` NULL the calls are the public ones, timed whole by the caller. */
static void
profile_train_step (NnModel *m, NnOptimizer *opt, NnLossKind k, const float *x, const float *target, float *dout,
                    int n, double *tf, double *tb, double *tloss, double *topt)
{
  int64_t out_el = nn_shape_numel (nn_model_output_shape (m));
  const char *last = nn_model_last_activation (m);
  gboolean skip_last = (k == NN_LOSS_CCE && g_str_equal (last, "softmax")) ||
                       (k == NN_LOSS_BCE && g_str_equal (last, "sigmoid"));
  double t0 = profile_now_us ();
  nn_model_zero_grad (m);
  double zero_us = profile_now_us () - t0;
  const float *out;
  if (!tf) {
    out = nn_model_forward (m, x, n, TRUE, NULL);
  } else {
    const float *in = x;
    for (int i = 0; i < m->n_layers; i++) {
      t0 = profile_now_us ();
      m->layers[i]->klass->forward (m->layers[i], in, m->acts[i], n, TRUE);
      tf[i] = profile_now_us () - t0;
      in = m->acts[i];
    }
    m->last_x = x;
    m->last_n = n;
    m->last_fused = FALSE;
    out = in;
  }
  t0 = profile_now_us ();
  nn_loss (k, out, target, n, (int) out_el, skip_last ? NULL : dout);
  if (skip_last) {
    float scale = k == NN_LOSS_CCE ? 1.0f / n : 1.0f / ((int64_t) n * out_el);
    for (int64_t i = 0; i < n * out_el; i++)
      dout[i] = (out[i] - target[i]) * scale;
  }
  if (tloss)
    *tloss = profile_now_us () - t0;
  if (!tb) {
    nn_model_backward (m, dout, skip_last);
  } else {
    const float *dy = dout;
    int cur = 0;
    for (int i = m->n_layers - 1; i >= 0; i--) {
      tb[i] = 0;
      if (skip_last && i == m->n_layers - 1)
        continue;
      NnLayer *l = m->layers[i];
      float *dx = i ? m->gbuf[cur] : NULL;
      t0 = profile_now_us ();
      l->klass->backward (l, i ? m->acts[i - 1] : x, m->acts[i], dy, dx, n);
      tb[i] = profile_now_us () - t0;
      dy = dx;
      cur ^= 1;
    }
  }
  t0 = profile_now_us ();
  nn_optimizer_step (opt);
  if (topt)
    *topt = zero_us + profile_now_us () - t0;
}

NnModelProfile *
nn_model_profile (NnModel *m, int batch, gboolean training, int runs, GError **error)
{
  g_return_val_if_fail (m != NULL, NULL);
  if (batch < 1 || runs < 1) {
    g_set_error (error, NN_ERROR, NN_ERROR_INVALID, "profile: batch %d and runs %d must be at least 1", batch, runs);
    return NULL;
  }
  if (!nn_model_reserve (m, batch, error))
    return NULL;
  int64_t in_el = nn_shape_numel (&m->input), out_el = nn_shape_numel (nn_model_output_shape (m));
  g_autofree float *x = g_new (float, batch * in_el);
  /* an embedding takes indices: 0 is one for every vocabulary */
  gboolean indices = g_str_equal (m->layers[0]->klass->type, "embedding");
  GRand *rng = g_rand_new_with_seed (1);
  for (int64_t i = 0; i < batch * in_el; i++)
    x[i] = indices ? 0.0f : (float) g_rand_double (rng);
  g_rand_free (rng);
  /* the check the forward makes (embedding ranges) before timing anything */
  if (!nn_model_forward (m, x, batch, training, error))
    return NULL;

  NnModelProfile *p = g_new0 (NnModelProfile, 1);
  p->batch = batch;
  p->runs = runs;
  p->threads = nn_get_threads ();
  p->training = training;
  p->n_layers = m->n_layers;
  p->layers = g_new0 (NnLayerProfile, m->n_layers);
  for (int i = 0; i < m->n_layers; i++) {
    NnLayer *l = m->layers[i];
    NnLayerProfile *lp = &p->layers[i];
    lp->name = l->name;
    lp->type = l->klass->type;
    lp->flops = l->klass->flops ? l->klass->flops (l) : 0;
    lp->fused_into = -1;
  }
  /* the passes nn_model_forward takes */
  for (int i = 0; i < m->n_layers; i++) {
    NnLayer *l = m->layers[i];
    gboolean fused = !training && m->fusion && m->fused[i];
    gboolean pooled = fused && (m->span[i] > 2 || !m->fold_w[i]);
    if (l->klass->algorithm)
      p->layers[i].algorithm = l->klass->algorithm (l, batch, training, pooled);
    if (fused) {
      int first = i;
      for (i = first + 1; i < first + m->span[first]; i++)
        p->layers[i].fused_into = first;
      i--;
    }
  }

  int nl = m->n_layers;
  double *fw = g_new0 (double, (gsize) runs * nl), *bw = g_new0 (double, (gsize) runs * nl);
  double *loss_t = g_new0 (double, runs), *opt_t = g_new0 (double, runs), *total = g_new0 (double, runs);
  double *col = g_new (double, runs);
  float *target = NULL, *dout = NULL;
  NnOptimizer *opt = NULL;
  NnLossKind k = nn_model_default_loss (m);
  if (training) {
    NnOptimConfig oc;
    nn_optim_config_init (&oc, NN_OPT_ADAM);
    opt = nn_optimizer_new (&oc, m->params, m->n_params);
    /* one-hot class 0 (a valid target for every loss) */
    target = g_new0 (float, batch * out_el);
    for (int i = 0; i < batch; i++)
      target[i * out_el] = 1.0f;
    dout = g_new0 (float, batch * out_el);
    p->loss = nn_loss_name (k);
    p->optimizer = nn_optim_name (NN_OPT_ADAM);
  }
  /* run 0 warms up (packing, first touch) and is not kept */
  for (int r = -1; r < runs; r++) {
    double *tf = fw + (gsize) MAX (r, 0) * nl, *tb = bw + (gsize) MAX (r, 0) * nl;
    if (training) {
      profile_train_step (m, opt, k, x, target, dout, batch, tf, tb, &loss_t[MAX (r, 0)], &opt_t[MAX (r, 0)]);
      double t0 = profile_now_us ();
      profile_train_step (m, opt, k, x, target, dout, batch, NULL, NULL, NULL, NULL);
      total[MAX (r, 0)] = profile_now_us () - t0;
    } else {
      profile_forward_layers (m, x, batch, tf);
      double t0 = profile_now_us ();
      nn_model_forward (m, x, batch, FALSE, NULL);
      total[MAX (r, 0)] = profile_now_us () - t0;
    }
  }
  for (int i = 0; i < nl; i++) {
    for (int r = 0; r < runs; r++)
      col[r] = fw[(gsize) r * nl + i];
    profile_summary (col, runs, p->layers[i].forward_us);
    for (int r = 0; r < runs; r++)
      col[r] = bw[(gsize) r * nl + i];
    profile_summary (col, runs, p->layers[i].backward_us);
  }
  profile_summary (total, runs, p->total_us);
  if (training) {
    profile_summary (loss_t, runs, p->loss_us);
    profile_summary (opt_t, runs, p->optim_us);
  }
  /* x is freed below: no backward may follow this forward */
  m->last_x = NULL;
  nn_optimizer_free (opt);
  g_free (target);
  g_free (dout);
  g_free (fw);
  g_free (bw);
  g_free (loss_t);
  g_free (opt_t);
  g_free (total);
  g_free (col);
  return p;
}

void
nn_model_profile_free (NnModelProfile *p)
{
  if (!p)
    return;
  g_free (p->layers);
  g_free (p);
}

NnModel *
nn_model_copy (NnModel *m, GError **error)
{
  g_return_val_if_fail (m, NULL);
  g_autofree char *spec = nn_model_spec_json (m);
  NnModel *c = nn_model_new_from_spec (spec, 0, error);
  if (!c)
    return NULL;
  int n_src = 0, n_dst = 0;
  NnParam *src = nn_model_params (m, &n_src), *dst = nn_model_params (c, &n_dst);
  g_return_val_if_fail (n_src == n_dst, c);
  for (int i = 0; i < n_src; i++)
    memcpy (dst[i].data, src[i].data, nn_shape_numel (&src[i].shape) * sizeof (float));
  return c;
}
