/* What every layer shares: parameters, construction from a typed spec entry
 * (core/spec.c validated it), and the JSON option readers of the gan block. */
#include "nn-private.h"
#include "cpu-private.h"

float *
nn_layer_add_param (NnLayer *l, const char *pname, const NnShape *shape, gboolean trainable, gboolean decay)
{
  g_return_val_if_fail (l->n_params < NN_LAYER_MAX_PARAMS, NULL);
  NnParam *p = &l->params[l->n_params++];
  int64_t n = nn_shape_numel (shape);
  p->name = g_strdup_printf ("%s.%s", l->name, pname);
  p->shape = *shape;
  p->data = g_new0 (float, MAX (n, 1));
  p->grad = trainable ? g_new0 (float, MAX (n, 1)) : NULL;
  p->trainable = trainable;
  p->decay = decay;
  return p->data;
}

NnParam *
nn_layer_param (NnLayer *l, const char *pname)
{
  gsize ln = strlen (l->name);
  for (int i = 0; i < l->n_params; i++) {
    const char *n = l->params[i].name;
    if (strncmp (n, l->name, ln) == 0 && n[ln] == '.' && strcmp (n + ln + 1, pname) == 0)
      return &l->params[i];
  }
  return NULL;
}

NnLayer *
nn_layer_new_from_spec (const NnSpecLayer *spec, const char *name, const NnShape *in, GRand *rng, GError **error)
{
  const NnLayerClass *k = spec->klass;
  nn_get_threads ();  /* settles the thread setup (OpenBLAS single) before any product */
  if (!nn_cpu_check (error))
    return NULL;
  NnLayer *l = g_malloc0 (k->size);
  l->klass = k;
  l->name = g_strdup (name);
  l->in = *in;
  l->rng = rng;
  if (!k->create (l, spec, error)) {
    nn_layer_free (l);
    return NULL;
  }
  return l;
}

NnLayer *
nn_layer_new (const char *spec_json, const NnShape *in, guint64 seed, GError **error)
{
  g_autoptr (JsonParser) p = json_parser_new ();
  if (!json_parser_load_from_data (p, spec_json, -1, error))
    return NULL;
  JsonNode *root = json_parser_get_root (p);
  if (!JSON_NODE_HOLDS_OBJECT (root)) {
    g_set_error (error, NN_ERROR, NN_ERROR_FORMAT, "layer spec is not a JSON object");
    return NULL;
  }
  NnSpecLayer *spec = nn_spec_layer_parse (json_node_get_object (root), "layer", NULL, FALSE, error);
  if (!spec)
    return NULL;
  /* A standalone layer owns its generator and its spec; they are freed with the layer. */
  GRand *rng = g_rand_new_with_seed ((guint32) seed);
  NnLayer *l = nn_layer_new_from_spec (spec, spec->name, in, rng, error);
  if (!l) {
    g_rand_free (rng);
    nn_spec_layer_free (spec);
    return NULL;
  }
  l->owns_rng = TRUE;
  l->own_spec = spec;
  if (l->klass->init)
    l->klass->init (l, rng);
  return l;
}

gboolean
nn_layer_reserve (NnLayer *l, int n, GError **error)
{
  /* per-thread scratch follows nn_set_threads() */
  int nt = nn_get_threads ();
  if (n <= l->capacity && nt <= l->threads)
    return TRUE;
  n = MAX (n, l->capacity);
  if (l->klass->reserve && !l->klass->reserve (l, n, error))
    return FALSE;
  l->capacity = n;
  l->threads = nt;
  return TRUE;
}

void
nn_layer_free (NnLayer *l)
{
  if (!l)
    return;
  if (l->klass->finalize)
    l->klass->finalize (l);
  for (int i = 0; i < l->n_params; i++) {
    g_free (l->params[i].name);
    g_free (l->params[i].data);
    g_free (l->params[i].grad);
  }
  if (l->owns_rng)
    g_rand_free (l->rng);
  nn_spec_layer_free (l->own_spec);
  g_free (l->name);
  g_free (l);
}

/* ---- spec options ------------------------------------------------------------ */

static gboolean
member_is_number (JsonNode *n)
{
  return JSON_NODE_HOLDS_VALUE (n) &&
         (json_node_get_value_type (n) == G_TYPE_INT64 || json_node_get_value_type (n) == G_TYPE_DOUBLE);
}

gboolean
nn_spec_int (JsonObject *o, const char *layer, const char *key, int def, int min, int *out, GError **error)
{
  JsonNode *n = json_object_get_member (o, key);
  if (!n) {
    *out = def;
    return TRUE;
  }
  if (!JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_INT64 ||
      json_node_get_int (n) < min || json_node_get_int (n) > G_MAXINT / 4) {
    g_set_error (error, NN_ERROR, NN_ERROR_INVALID, "layer \"%s\": \"%s\" must be an integer >= %d",
                 layer, key, min);
    return FALSE;
  }
  *out = (int) json_node_get_int (n);
  return TRUE;
}

gboolean
nn_spec_float (JsonObject *o, const char *layer, const char *key, double def, double min, double max,
               double *out, GError **error)
{
  JsonNode *n = json_object_get_member (o, key);
  if (!n) {
    *out = def;
    return TRUE;
  }
  double v = member_is_number (n) ? json_node_get_double (n) : NAN;
  if (!(v >= min && v <= max)) {
    g_set_error (error, NN_ERROR, NN_ERROR_INVALID, "layer \"%s\": \"%s\" must be a number in [%g, %g]",
                 layer, key, min, max);
    return FALSE;
  }
  *out = v;
  return TRUE;
}

gboolean
nn_spec_pair (JsonObject *o, const char *layer, const char *key, int def, int min, int out[2], GError **error)
{
  JsonNode *n = json_object_get_member (o, key);
  if (n && JSON_NODE_HOLDS_ARRAY (n)) {
    JsonArray *a = json_node_get_array (n);
    if (json_array_get_length (a) == 2 && member_is_number (json_array_get_element (a, 0)) &&
        member_is_number (json_array_get_element (a, 1))) {
      out[0] = (int) json_array_get_int_element (a, 0);
      out[1] = (int) json_array_get_int_element (a, 1);
      if (out[0] >= min && out[1] >= min)
        return TRUE;
    }
    g_set_error (error, NN_ERROR, NN_ERROR_INVALID, "layer \"%s\": \"%s\" must be an integer >= %d or a pair of them",
                 layer, key, min);
    return FALSE;
  }
  int v;
  if (!nn_spec_int (o, layer, key, def, min, &v, error))
    return FALSE;
  out[0] = out[1] = v;
  return TRUE;
}

const char *
nn_spec_string (JsonObject *o, const char *key, const char *def)
{
  JsonNode *n = json_object_get_member (o, key);
  if (n && JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == G_TYPE_STRING)
    return json_node_get_string (n);
  return def;
}

gboolean
nn_spec_bool (JsonObject *o, const char *key, gboolean def)
{
  JsonNode *n = json_object_get_member (o, key);
  if (n && JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == G_TYPE_BOOLEAN)
    return json_node_get_boolean (n);
  return def;
}

int64_t
nn_layer_grad_size (const NnLayer *l)
{
  int64_t n = 0;
  for (int i = 0; i < l->n_params; i++)
    n += l->params[i].grad ? nn_shape_numel (&l->params[i].shape) : 0;
  return n;
}

void
nn_layer_grad_shares_zero (const NnLayer *l, float *first, int64_t stride, int threads)
{
  for (int t = 1; t < threads; t++)
    memset (first + (t - 1) * stride, 0, sizeof (float) * nn_layer_grad_size (l));
}

void
nn_layer_grad_shares_add (NnLayer *l, const float *first, int64_t stride, int threads)
{
  for (int t = 1; t < threads; t++) {
    const float *g = first + (t - 1) * stride;
    for (int i = 0; i < l->n_params; i++) {
      float *d = l->params[i].grad;
      if (!d)
        continue;
      int64_t k = nn_shape_numel (&l->params[i].shape);
      for (int64_t j = 0; j < k; j++)
        d[j] += g[j];
      g += k;
    }
  }
}
