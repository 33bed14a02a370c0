/* A model: the spec, the layers built from it, and a workspace sized for the
 * largest batch seen, so forward and backward allocate nothing in steady state. */
#include "nn-private.h"

struct _NnModel {
  JsonNode     *spec;        /* the spec as given (owned) */
  NnShape       input;       /* per sample */
  NnPreprocess  pre;
  char        **labels;      /* NULL-terminated or NULL */
  int           n_labels;
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
  gboolean     *fused;       /* fused[i]: inference runs layers i .. i+2 as one pass */
  gboolean      fusion;      /* inference may fuse (default) */
  gboolean      last_fused;  /* the last forward did: layers' outputs are missing, no backward */
};

static gboolean
parse_shape (JsonNode *n, NnShape *s, int max_dims, GError **error)
{
  if (!n || !JSON_NODE_HOLDS_ARRAY (n))
    goto bad;
  JsonArray *a = json_node_get_array (n);
  s->ndim = json_array_get_length (a);
  if (s->ndim < 1 || s->ndim > max_dims)
    goto bad;
  for (int i = 0; i < s->ndim; i++) {
    JsonNode *e = json_array_get_element (a, i);
    if (!JSON_NODE_HOLDS_VALUE (e) || json_node_get_value_type (e) != G_TYPE_INT64 ||
        json_node_get_int (e) < 1 || json_node_get_int (e) > (1 << 24))
      goto bad;
    s->dim[i] = json_node_get_int (e);
  }
  return TRUE;
bad:
  g_set_error (error, NN_ERROR, NN_ERROR_FORMAT,
               "spec: \"input\" must be an array of 1 to %d positive integers", max_dims);
  return FALSE;
}

static gboolean
parse_floats (JsonObject *o, const char *key, float *out, int n, float def, GError **error)
{
  for (int i = 0; i < n; i++)
    out[i] = def;
  JsonNode *m = json_object_get_member (o, key);
  if (!m)
    return TRUE;
  if (JSON_NODE_HOLDS_VALUE (m) && json_node_get_value_type (m) != G_TYPE_STRING) {
    for (int i = 0; i < n; i++)
      out[i] = json_node_get_double (m);
    return TRUE;
  }
  if (JSON_NODE_HOLDS_ARRAY (m) && (int) json_array_get_length (json_node_get_array (m)) == n) {
    for (int i = 0; i < n; i++)
      out[i] = json_array_get_double_element (json_node_get_array (m), i);
    return TRUE;
  }
  g_set_error (error, NN_ERROR, NN_ERROR_FORMAT, "spec: preprocess \"%s\" must be a number or %d numbers", key, n);
  return FALSE;
}

static gboolean
parse_preprocess (NnModel *m, JsonObject *root, GError **error)
{
  NnPreprocess *p = &m->pre;
  if (m->input.ndim >= 3) {
    /* [C, H, W] images, [T, C, H, W] clips: the frame is the last three */
    int d = m->input.ndim - 3;
    p->channels = m->input.dim[d];
    p->height = m->input.dim[d + 1];
    p->width = m->input.dim[d + 2];
  } else {
    /* a flat input of a square size is a flattened gray image (MNIST's [784]) */
    int64_t n = nn_shape_numel (&m->input), side = (int64_t) llround (sqrt ((double) n));
    gboolean square = m->input.ndim == 1 && side * side == n;
    p->channels = 1;
    p->height = square ? side : 1;
    p->width = square ? side : n;
  }
  JsonNode *pn = json_object_get_member (root, "preprocess");
  g_autoptr (JsonObject) empty = json_object_new ();
  JsonObject *po = pn && JSON_NODE_HOLDS_OBJECT (pn) ? json_node_get_object (pn) : empty;
  if (pn && !JSON_NODE_HOLDS_OBJECT (pn)) {
    g_set_error (error, NN_ERROR, NN_ERROR_FORMAT, "spec: \"preprocess\" must be an object");
    return FALSE;
  }
  int nc = MIN (p->channels, 3);
  if (!parse_floats (po, "rescale", &p->rescale, 1, 1.0f / 255.0f, error) ||
      !parse_floats (po, "mean", p->mean, nc, 0.0f, error) || !parse_floats (po, "std", p->std, nc, 1.0f, error))
    return FALSE;
  for (int c = 0; c < nc; c++)
    if (p->std[c] == 0.0f) {
      g_set_error (error, NN_ERROR, NN_ERROR_FORMAT, "spec: preprocess \"std\" must not be 0");
      return FALSE;
    }
  return TRUE;
}

static gboolean
parse_labels (NnModel *m, JsonObject *root, GError **error)
{
  JsonNode *ln = json_object_get_member (root, "labels");
  if (!ln)
    return TRUE;
  if (!JSON_NODE_HOLDS_ARRAY (ln))
    goto bad;
  JsonArray *a = json_node_get_array (ln);
  m->n_labels = json_array_get_length (a);
  m->labels = g_new0 (char *, m->n_labels + 1);
  for (int i = 0; i < m->n_labels; i++) {
    JsonNode *e = json_array_get_element (a, i);
    if (!JSON_NODE_HOLDS_VALUE (e) || json_node_get_value_type (e) != G_TYPE_STRING)
      goto bad;
    m->labels[i] = g_strdup (json_node_get_string (e));
  }
  return TRUE;
bad:
  g_set_error (error, NN_ERROR, NN_ERROR_FORMAT, "spec: \"labels\" must be an array of strings");
  return FALSE;
}

static gboolean
add_layer (NnModel *m, JsonObject *spec, GError **error)
{
  const NnShape *in = m->n_layers ? &m->layers[m->n_layers - 1]->out : &m->input;
  NnLayer *l = nn_layer_new_from_object (spec, in, m->rng, error);
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

/* A layer's "activation" option is sugar for a parameter-free layer after it:
 * a name, or an object holding that layer's own options,
 * {"type": "leaky_relu", "slope": 0.2}. */
static gboolean
add_activation (NnModel *m, JsonObject *spec, const char *name, GError **error)
{
  JsonNode *an_node = json_object_get_member (spec, "activation");
  JsonObject *opts = an_node && JSON_NODE_HOLDS_OBJECT (an_node) ? json_node_get_object (an_node) : NULL;
  const char *act = opts ? nn_spec_string (opts, "type", NULL) : nn_spec_string (spec, "activation", NULL);
  if (an_node && !act) {
    g_set_error (error, NN_ERROR, NN_ERROR_INVALID, "layer \"%s\": \"activation\" must be a name or an object "
                 "with a \"type\"", name);
    return FALSE;
  }
  if (!act || g_str_equal (act, "linear") || g_str_equal (act, "none"))
    return TRUE;
  const char *acts[] = { "sigmoid", "tanh", "relu", "leaky_relu", "softmax" };
  gboolean ok = FALSE;
  for (gsize i = 0; i < G_N_ELEMENTS (acts); i++)
    ok |= g_str_equal (act, acts[i]);
  if (!ok) {
    g_set_error (error, NN_ERROR, NN_ERROR_INVALID,
                 "layer \"%s\": unknown activation \"%s\" (sigmoid, tanh, relu, leaky_relu, softmax, linear)",
                 name, act);
    return FALSE;
  }
  g_autoptr (JsonObject) o = json_object_new ();
  GList *keys = opts ? json_object_get_members (opts) : NULL;
  for (GList *k = keys; k; k = k->next)
    json_object_set_member (o, k->data, json_node_copy (json_object_get_member (opts, k->data)));
  g_list_free (keys);
  json_object_set_string_member (o, "type", act);
  g_autofree char *an = g_strdup_printf ("%s_%s", name, act);
  json_object_set_string_member (o, "name", an);
  return add_layer (m, o, error);
}

static gboolean
build_layers (NnModel *m, JsonObject *root, GError **error)
{
  JsonNode *ln = json_object_get_member (root, "layers");
  if (!ln || !JSON_NODE_HOLDS_ARRAY (ln) || json_array_get_length (json_node_get_array (ln)) == 0) {
    g_set_error (error, NN_ERROR, NN_ERROR_FORMAT, "spec: \"layers\" must be a non-empty array");
    return FALSE;
  }
  JsonArray *a = json_node_get_array (ln);
  for (guint i = 0; i < json_array_get_length (a); i++) {
    JsonNode *e = json_array_get_element (a, i);
    if (!JSON_NODE_HOLDS_OBJECT (e)) {
      g_set_error (error, NN_ERROR, NN_ERROR_FORMAT, "spec: layer %u is not an object", i);
      return FALSE;
    }
    JsonObject *o = json_node_get_object (e);
    /* unnamed layers get "<type><index>" so their parameters have stable names */
    g_autoptr (JsonObject) named = NULL;
    if (!json_object_has_member (o, "name")) {
      named = json_object_new ();
      GList *keys = json_object_get_members (o);
      for (GList *k = keys; k; k = k->next)
        json_object_set_member (named, k->data, json_node_copy (json_object_get_member (o, k->data)));
      g_list_free (keys);
      g_autofree char *nm = g_strdup_printf ("%s%u", nn_spec_string (o, "type", "layer"), i);
      json_object_set_string_member (named, "name", nm);
      o = named;
    }
    if (!add_layer (m, o, error))
      return FALSE;
    const char *type = nn_spec_string (o, "type", "");
    if (!nn_layer_class_lookup (type) || !json_object_has_member (o, "activation"))
      continue;
    if (!add_activation (m, o, m->layers[m->n_layers - 1]->name, error))
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
 * neither full-size output is written. */
static void
plan_fusion (NnModel *m)
{
  m->fusion = TRUE;
  m->fused = g_new0 (gboolean, m->n_layers);
  for (int i = 0; i + 2 < m->n_layers; i++) {
    NnLayer *l = m->layers[i];
    NnAct act;
    float slope;
    m->fused[i] = l->klass->can_pool2 && l->klass->can_pool2 (l) &&
                  nn_layer_is_rising_act (m->layers[i + 1], &act, &slope) && nn_layer_is_maxpool2 (m->layers[i + 2]);
  }
}

static NnModel *
model_from_node (JsonNode *root, guint64 seed, GError **error)
{
  if (!root || !JSON_NODE_HOLDS_OBJECT (root)) {
    g_set_error (error, NN_ERROR, NN_ERROR_FORMAT, "spec: not a JSON object");
    return NULL;
  }
  JsonObject *o = json_node_get_object (root);
  NnModel *m = g_new0 (NnModel, 1);
  m->spec = json_node_copy (root);
  m->rng = g_rand_new ();
  nn_model_set_seed (m, seed);
  if (!parse_shape (json_object_get_member (o, "input"), &m->input, 4, error) ||
      !parse_preprocess (m, o, error) || !parse_labels (m, o, error) || !build_layers (m, o, error))
    goto fail;
  const NnShape *out = nn_model_output_shape (m);
  if (m->n_labels && m->n_labels != out->dim[0]) {
    g_set_error (error, NN_ERROR, NN_ERROR_SHAPE, "spec: %d labels but the network has %" G_GINT64_FORMAT " outputs",
                 m->n_labels, out->dim[0]);
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
  g_autoptr (JsonParser) p = json_parser_new ();
  g_autoptr (GError) e = NULL;
  if (!json_parser_load_from_data (p, json, -1, &e)) {
    g_set_error (error, NN_ERROR, NN_ERROR_FORMAT, "spec: invalid JSON: %s", e->message);
    return NULL;
  }
  return model_from_node (json_parser_get_root (p), seed, error);
}

NnModel *
nn_model_new_from_spec_file (const char *path, guint64 seed, GError **error)
{
  g_autofree char *text = NULL;
  g_autoptr (GError) e = NULL;
  if (!g_file_get_contents (path, &text, NULL, &e)) {
    g_set_error (error, NN_ERROR, NN_ERROR_IO, "%s: %s", path, e->message);
    return NULL;
  }
  NnModel *m = nn_model_new_from_spec (text, seed, &e);
  if (!m)
    g_set_error (error, NN_ERROR, e->code, "%s: %s", path, e->message);
  return m;
}

gboolean
nn_model_load_weights (NnModel *m, const char *path, GError **error)
{
  g_autoptr (NnSafetensors) st = nn_safetensors_open (path, error);
  if (!st)
    return FALSE;
  for (int i = 0; i < m->n_params; i++)
    if (!nn_safetensors_read_f32 (st, m->params[i].name, &m->params[i].shape, m->params[i].data, error))
      return FALSE;
  return TRUE;
}

NnModel *
nn_model_load (const char *path, GError **error)
{
  if (g_str_has_suffix (path, ".json"))
    return nn_model_new_from_spec_file (path, 0, error);
  g_autoptr (NnSafetensors) st = nn_safetensors_open (path, error);
  if (!st)
    return NULL;
  const char *spec = nn_safetensors_metadata (st, "nn.spec");
  if (!spec) {
    g_set_error (error, NN_ERROR, NN_ERROR_FORMAT, "%s: no \"nn.spec\" in the header's __metadata__", path);
    return NULL;
  }
  g_autoptr (GError) e = NULL;
  NnModel *m = nn_model_new_from_spec (spec, 0, &e);
  if (!m) {
    g_set_error (error, NN_ERROR, e->code, "%s: %s", path, e->message);
    return NULL;
  }
  for (int i = 0; i < m->n_params; i++)
    if (!nn_safetensors_read_f32 (st, m->params[i].name, &m->params[i].shape, m->params[i].data, error)) {
      nn_model_free (m);
      return NULL;
    }
  return m;
}

gboolean
nn_model_save (NnModel *m, const char *path, GError **error)
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
  const char *meta[] = { "format", "pt", "nn.spec", spec, "nn.labels", labels, NULL };
  return nn_safetensors_write (path, m->params, m->n_params, meta, error);
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
  g_free (m->acts);
  g_free (m->gbuf[0]);
  g_free (m->gbuf[1]);
  g_free (m->params);
  g_strfreev (m->labels);
  if (m->rng)
    g_rand_free (m->rng);
  if (m->spec)
    json_node_unref (m->spec);
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
  return &m->pre;
}

int
nn_model_n_labels (const NnModel *m)
{
  return m->n_labels;
}

const char *
nn_model_label (const NnModel *m, int i)
{
  return i >= 0 && i < m->n_labels ? m->labels[i] : NULL;
}

char *
nn_model_spec_json (const NnModel *m)
{
  return json_to_string (m->spec, TRUE);
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
      NnAct act;
      float slope;
      nn_layer_is_rising_act (m->layers[i + 1], &act, &slope);
      l->klass->forward_pool2 (l, in, m->acts[i + 2], n);
      nn_act_forward (act, slope, m->acts[i + 2], m->acts[i + 2], n * nn_shape_numel (&m->layers[i + 2]->out));
      m->last_fused = TRUE;
      in = m->acts[i += 2];
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

static const float *
backward (NnModel *m, const float *dout, gboolean skip_last, gboolean want_input)
{
  g_return_val_if_fail (m->last_x != NULL, NULL);
  /* a fused forward kept no per-layer outputs to go back through */
  g_return_val_if_fail (!m->last_fused, NULL);
  const float *dy = dout;
  int cur = 0;
  for (int i = m->n_layers - 1 - (skip_last ? 1 : 0); i >= 0; i--) {
    NnLayer *l = m->layers[i];
    const float *x = i ? m->acts[i - 1] : m->last_x;
    /* the first layer's dx is nobody's business unless asked: skip that product */
    float *dx = i || want_input ? m->gbuf[cur] : NULL;
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

const float *
nn_model_layer_output (const NnModel *m, const char *name, NnShape *shape)
{
  for (int i = 0; m->acts && m->last_n && i < m->n_layers; i++)
    if (strcmp (m->layers[i]->name, name) == 0) {
      if (m->last_fused && (m->fused[i] || (i > 0 && m->fused[i - 1])))
        return NULL;
      if (shape)
        *shape = m->layers[i]->out;
      return m->acts[i];
    }
  return NULL;
}

static gboolean
is_recurrent (const char *type)
{
  return g_strcmp0 (type, "rnn") == 0 || g_strcmp0 (type, "lstm") == 0 || g_strcmp0 (type, "convlstm2d") == 0;
}

NnModel *
nn_model_new_streaming (const NnModel *m, GError **error)
{
  /* [T] token indices, [T, F] features, [T, C, H, W] frames: T becomes 1 */
  g_autoptr (JsonNode) spec = json_node_copy (m->spec);
  JsonObject *o = json_node_get_object (spec);
  JsonArray *in = json_object_get_array_member (o, "input");
  json_array_remove_element (in, 0);
  JsonArray *one = json_array_new ();
  json_array_add_int_element (one, 1);
  for (guint i = 0; i < json_array_get_length (in); i++)
    json_array_add_int_element (one, json_array_get_int_element (in, i));
  json_object_set_array_member (o, "input", one);
  gboolean any = FALSE;
  JsonArray *layers = json_object_get_array_member (o, "layers");
  for (guint i = 0; i < json_array_get_length (layers); i++) {
    JsonObject *l = json_array_get_object_element (layers, i);
    if (is_recurrent (nn_spec_string (l, "type", NULL))) {
      json_object_set_boolean_member (l, "stateful", TRUE);
      any = TRUE;
    }
  }
  if (!any) {
    g_set_error (error, NN_ERROR, NN_ERROR_SHAPE, "streaming needs a recurrent layer (rnn, lstm, convlstm2d)");
    return NULL;
  }
  NnModel *s = model_from_node (spec, 0, error);
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
