/* NnSpec: the model spec parsed and validated once against the registry's key
 * tables (core/registry.c, and each layer kind's table in core/layers/), into
 * typed values that the model builder, the layers, the datasets, `nn info`
 * and the elements read. Nothing after this file looks at the spec's JSON,
 * except the "gan" block's values (nn_gan_spec) and the JSON written back to
 * model files, which is the spec exactly as given. */
#include "nn-private.h"

/* the "text" block's keys (core/registry.c) */
extern const NnKeyDef nn_spec_text_keys[];
extern const int nn_spec_n_text_keys;

struct _NnSpec {
  gint          ref;
  char         *source;      /* file name for messages, or NULL */
  JsonNode     *root;        /* the spec as given */
  NnShape       input;
  NnPreprocess  pre;
  double        fps;
  int           clips;
  char        **labels;      /* NULL-terminated, or NULL */
  int           n_labels;
  char         *vocab;
  gboolean      has_text;    /* a "text" block (word classifiers) */
  NnTextOptions text;
  gboolean      gan;
  int           gan_latent;
  char        **gan_classes;  /* NULL-terminated, NULL when unconditional */
  int           gan_n_classes;
  float         gan_lo, gan_hi;
  NnSpecLayer **layers;
  int           n_layers;
};

/* ---- messages ------------------------------------------------------------------ */

typedef struct {
  const char *source;        /* prefixes every message, or NULL */
} Ctx;

/* "<source>: <path>.<key>: <problem>[ (layer "<layer>")]" */
static void G_GNUC_PRINTF (7, 8)
fail (const Ctx *c, GError **error, int code, const char *path, const char *key, const char *layer,
      const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  g_autofree char *problem = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  g_autoptr (GString) s = g_string_new (NULL);
  if (c && c->source)
    g_string_append_printf (s, "%s: ", c->source);
  if (path && *path)
    g_string_append_printf (s, "%s%s%s: ", path, key ? "." : "", key ? key : "");
  else if (key)
    g_string_append_printf (s, "%s: ", key);
  else if (!(c && c->source))
    g_string_append (s, "spec: ");
  g_string_append (s, problem);
  if (layer)
    g_string_append_printf (s, " (layer \"%s\")", layer);
  g_set_error_literal (error, NN_ERROR, code, s->str);
}

/* Edits (insert, delete, substitute, swap two neighbours) from a to b:
 * the optimal string alignment distance, so "sdt" is one from "std". */
static int
edit_distance (const char *a, const char *b)
{
  int la = strlen (a), lb = strlen (b), w = lb + 1;
  g_autofree int *d = g_new (int, (la + 1) * w);
  for (int i = 0; i <= la; i++)
    for (int j = 0; j <= lb; j++) {
      if (!i || !j) {
        d[i * w + j] = i + j;
        continue;
      }
      int v = MIN (MIN (d[(i - 1) * w + j] + 1, d[i * w + j - 1] + 1), d[(i - 1) * w + j - 1] + (a[i - 1] != b[j - 1]));
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        v = MIN (v, d[(i - 2) * w + j - 2] + 1);
      d[i * w + j] = v;
    }
  return d[la * w + lb];
}

/* The nearest of `names` to `word` when it is near enough to be a typo (at
 * most a third of the word's length, and at least 1, edits away), or NULL. */
static const char *
nearest (const char *word, const char *const *names, int n)
{
  const char *best = NULL;
  int bd = G_MAXINT;
  for (int i = 0; i < n; i++) {
    int d = edit_distance (word, names[i]);
    if (d < bd)
      bd = d, best = names[i];
  }
  return best && bd <= MAX (1, (int) strlen (word) / 3) ? best : NULL;
}

/* "unknown key (did you mean "x"?)" or "unknown key (valid: a, b)" */
static void
fail_unknown (const Ctx *c, GError **error, const char *path, const char *key, const char *const *names, int n)
{
  const char *near = nearest (key, names, n);
  if (near) {
    fail (c, error, NN_ERROR_FORMAT, path, key, NULL, "unknown key (did you mean \"%s\"?)", near);
    return;
  }
  g_autoptr (GString) valid = g_string_new (NULL);
  for (int i = 0; i < n; i++)
    g_string_append_printf (valid, "%s%s", i ? ", " : "", names[i]);
  fail (c, error, NN_ERROR_FORMAT, path, key, NULL, "unknown key (valid: %s)", valid->str);
}

/* ---- what a key accepts, in words (messages and docs/spec.md) ------------------- */

static void
append_words (GString *s, const char *choices, const char *last_sep)
{
  g_auto (GStrv) w = g_strsplit (choices, "|", -1);
  int n = g_strv_length (w);
  for (int i = 0; i < n; i++)
    g_string_append_printf (s, "%s\"%s\"", i == 0 ? "" : i == n - 1 ? last_sep : ", ", w[i]);
}

/* 16777216, not 1.67772e+07 */
static void
append_num (GString *s, double v)
{
  if (v == floor (v) && fabs (v) < 1e15)
    g_string_append_printf (s, "%.0f", v);
  else
    g_string_append_printf (s, "%g", v);
}

static void
append_range (GString *s, const NnKeyDef *k, const char *what)
{
  const char *art = what[0] == 'i' ? "an" : "a";
  if (k->type == NN_KEY_FLOAT && k->min <= -1e30) {
    g_string_append_printf (s, "%s %s", art, what);
    return;
  }
  g_string_append_printf (s, "%s %s ", art, what);
  if (k->max >= NN_INT_MAX || (k->type == NN_KEY_FLOAT && k->max >= 1e9)) {
    g_string_append (s, ">= ");
    append_num (s, k->min);
    return;
  }
  g_string_append (s, "in [");
  append_num (s, k->min);
  g_string_append (s, ", ");
  append_num (s, k->max);
  g_string_append_c (s, ']');
}

static void
append_counts (GString *s, guint counts)
{
  int n = 0;
  for (int i = 0; i < 32; i++)
    if (counts & (1u << i))
      n++;
  g_string_append (s, " or an array of ");
  for (int i = 0, k = 0; i < 32; i++)
    if (counts & (1u << i)) {
      g_string_append_printf (s, "%s%d", k == 0 ? "" : k == n - 1 ? " or " : ", ", i);
      k++;
    }
  g_string_append (s, " of them");
}

static char *
describe (const NnKeyDef *k)
{
  GString *s = g_string_new (NULL);
  switch (k->type) {
  case NN_KEY_INT:
    append_range (s, k, "integer");
    break;
  case NN_KEY_FLOAT:
    append_range (s, k, "number");
    break;
  case NN_KEY_BOOL:
    g_string_append (s, "true or false");
    break;
  case NN_KEY_STRING:
    if (k->choices)
      append_words (s, k->choices, " or ");
    else
      g_string_append (s, "a string");
    break;
  case NN_KEY_INTS:
    if (k->choices) {
      append_words (s, k->choices, ", ");
      g_string_append (s, ", ");
    }
    append_range (s, k, "integer");
    append_counts (s, k->counts);
    break;
  case NN_KEY_FLOATS:
    g_string_append (s, "a number or an array of one per channel");
    break;
  case NN_KEY_STRINGS:
    g_string_append (s, "an array of strings");
    break;
  case NN_KEY_SHAPE:
    g_string_append (s, "an array of 1 to 4 integers in [");
    append_num (s, k->min);
    g_string_append (s, ", ");
    append_num (s, k->max);
    g_string_append_c (s, ']');
    break;
  case NN_KEY_ACTIVATION:
    g_string_append (s, "an activation type or an object with its \"type\" and options");
    break;
  case NN_KEY_LAYER:
    g_string_append (s, "a layer object");
    break;
  case NN_KEY_LAYERS:
    g_string_append (s, "a non-empty array of layer objects");
    break;
  case NN_KEY_OBJECT:
    g_string_append (s, "an object");
    break;
  case NN_KEY_JSON:
    g_string_append (s, "JSON, as the meaning says");
    break;
  }
  return g_string_free (s, FALSE);
}

/* ---- values ------------------------------------------------------------------------ */

static gboolean
is_int (JsonNode *n)
{
  return n && JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == G_TYPE_INT64;
}

static gboolean
is_number (JsonNode *n)
{
  return n && JSON_NODE_HOLDS_VALUE (n) &&
         (json_node_get_value_type (n) == G_TYPE_INT64 || json_node_get_value_type (n) == G_TYPE_DOUBLE);
}

static gboolean
is_string (JsonNode *n)
{
  return n && JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == G_TYPE_STRING;
}

static gboolean
int_ok (JsonNode *n, const NnKeyDef *k, int64_t *out)
{
  if (!is_int (n) || json_node_get_int (n) < k->min || json_node_get_int (n) > k->max)
    return FALSE;
  *out = json_node_get_int (n);
  return TRUE;
}

static gboolean
word_ok (const char *choices, const char *w)
{
  g_auto (GStrv) words = g_strsplit (choices, "|", -1);
  return g_strv_contains ((const char *const *) words, w);
}

static void
value_clear (NnSpecValue *v)
{
  g_free (v->s);
  g_strfreev (v->strv);
  nn_spec_layer_free (v->layer);
  const NnKeyDef *k = v->key;
  memset (v, 0, sizeof *v);
  v->key = k;
}

static NnSpecLayer *layer_parse (const Ctx *c, JsonNode *node, const char *path, const char *def_name,
                                 const char *msg_name, int mode, GError **error);
enum { LAYER_PLAIN, LAYER_INNER, LAYER_ACTIVATION };

/* The activation layer of a layer's "activation" option; NULL in *out for "linear". */
static gboolean
activation_parse (const Ctx *c, JsonNode *n, const char *path, const char *layer, NnSpecLayer **out,
                  GError **error)
{
  g_autofree char *ap = g_strdup_printf ("%s%sactivation", path, *path ? "." : "");
  JsonNode *tn = JSON_NODE_HOLDS_OBJECT (n) ? json_object_get_member (json_node_get_object (n), "type") : n;
  if (!is_string (tn)) {
    fail (c, error, NN_ERROR_INVALID, ap, NULL, layer, "must be a name or an object with a \"type\"");
    return FALSE;
  }
  const char *t = json_node_get_string (tn);
  *out = NULL;
  if (g_str_equal (t, "linear") || g_str_equal (t, "none"))
    return TRUE;
  const NnLayerClass *k = nn_layer_class_lookup (t);
  if (!k || !k->activation) {
    int nc;
    const NnLayerClass *const *all = nn_layer_classes (&nc);
    g_autoptr (GString) known = g_string_new ("linear");
    g_autofree const char **names = g_new0 (const char *, nc + 2);
    int n = 0;
    names[n++] = "linear";
    for (int i = 0; i < nc; i++)
      if (all[i]->activation) {
        g_string_append_printf (known, ", %s", all[i]->type);
        names[n++] = all[i]->type;
      }
    const char *near = nearest (t, names, n);
    g_autofree char *hint = near ? g_strdup_printf ("did you mean \"%s\"? ", near) : g_strdup ("");
    fail (c, error, NN_ERROR_INVALID, ap, NULL, layer, "unknown activation \"%s\" (%sknown: %s)", t, hint,
          known->str);
    return FALSE;
  }
  g_autofree char *name = g_strdup_printf ("%s_%s", layer, t);
  if (JSON_NODE_HOLDS_OBJECT (n)) {
    *out = layer_parse (c, n, ap, name, layer, LAYER_ACTIVATION, error);
    return *out != NULL;
  }
  g_autoptr (JsonNode) obj = json_node_new (JSON_NODE_OBJECT);
  g_autoptr (JsonObject) o = json_object_new ();
  json_object_set_string_member (o, "type", t);
  json_node_set_object (obj, o);
  *out = layer_parse (c, obj, ap, name, layer, LAYER_ACTIVATION, error);
  return *out != NULL;
}

/* n (the given JSON, or the default's) -> v; `layer` names the layer in
 * messages (NULL outside layers), `code` is the error code of a bad value. */
static gboolean
value_parse (const Ctx *c, const NnKeyDef *k, JsonNode *n, const char *path, const char *layer, int code,
             NnSpecValue *v, GError **error)
{
  v->has = TRUE;
  switch (k->type) {
  case NN_KEY_INT:
    if (!int_ok (n, k, &v->i[0]))
      goto bad;
    return TRUE;
  case NN_KEY_FLOAT:
    if (!is_number (n))
      goto bad;
    v->f[0] = json_node_get_double (n);
    if (!(v->f[0] >= k->min && v->f[0] <= k->max))
      goto bad;
    return TRUE;
  case NN_KEY_BOOL:
    if (!n || !JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_BOOLEAN)
      goto bad;
    v->b = json_node_get_boolean (n);
    return TRUE;
  case NN_KEY_STRING:
    if (!is_string (n) || (k->choices && !word_ok (k->choices, json_node_get_string (n))))
      goto bad;
    v->s = g_strdup (json_node_get_string (n));
    return TRUE;
  case NN_KEY_INTS:
    if (is_string (n) && k->choices && word_ok (k->choices, json_node_get_string (n))) {
      v->s = g_strdup (json_node_get_string (n));
      return TRUE;
    }
    if (JSON_NODE_HOLDS_ARRAY (n)) {
      JsonArray *a = json_node_get_array (n);
      guint len = json_array_get_length (a);
      if (len > 4 || !(k->counts & (1u << len)))
        goto bad;
      for (guint i = 0; i < len; i++)
        if (!int_ok (json_array_get_element (a, i), k, &v->i[i]))
          goto bad;
      v->n = len;
      return TRUE;
    }
    if (!int_ok (n, k, &v->i[0]))
      goto bad;
    v->n = 1;
    return TRUE;
  case NN_KEY_FLOATS:
    if (JSON_NODE_HOLDS_ARRAY (n)) {
      JsonArray *a = json_node_get_array (n);
      guint len = json_array_get_length (a);
      if (len < 1 || len > 4)
        goto bad;
      for (guint i = 0; i < len; i++) {
        JsonNode *e = json_array_get_element (a, i);
        if (!is_number (e) || !(json_node_get_double (e) >= k->min && json_node_get_double (e) <= k->max))
          goto bad;
        v->f[i] = json_node_get_double (e);
      }
      v->n = len;
      return TRUE;
    }
    if (!is_number (n) || !(json_node_get_double (n) >= k->min && json_node_get_double (n) <= k->max))
      goto bad;
    v->f[0] = json_node_get_double (n);
    v->n = 1;
    return TRUE;
  case NN_KEY_STRINGS:
    if (!n || !JSON_NODE_HOLDS_ARRAY (n))
      goto bad;
    {
      JsonArray *a = json_node_get_array (n);
      guint len = json_array_get_length (a);
      v->strv = g_new0 (char *, len + 1);
      for (guint i = 0; i < len; i++) {
        JsonNode *e = json_array_get_element (a, i);
        if (!is_string (e))
          goto bad;
        v->strv[i] = g_strdup (json_node_get_string (e));
      }
    }
    return TRUE;
  case NN_KEY_SHAPE:
    if (!n || !JSON_NODE_HOLDS_ARRAY (n))
      goto bad;
    {
      JsonArray *a = json_node_get_array (n);
      guint len = json_array_get_length (a);
      if (len < 1 || len > 4)
        goto bad;
      for (guint i = 0; i < len; i++)
        if (!int_ok (json_array_get_element (a, i), k, &v->i[i]))
          goto bad;
      v->n = len;
    }
    return TRUE;
  case NN_KEY_ACTIVATION:
    return activation_parse (c, n, path, layer, &v->layer, error);
  case NN_KEY_LAYER:
    if (!n || !JSON_NODE_HOLDS_OBJECT (n))
      goto bad;
    {
      g_autofree char *ip = g_strdup_printf ("%s%s%s", path, *path ? "." : "", k->name);
      v->layer = layer_parse (c, n, ip, layer, layer, LAYER_INNER, error);
    }
    return v->layer != NULL;
  case NN_KEY_OBJECT:
    if (!n || !JSON_NODE_HOLDS_OBJECT (n))
      goto bad;
    return TRUE;
  case NN_KEY_LAYERS:
  case NN_KEY_JSON:
    return TRUE;
  }
bad:
  value_clear (v);
  g_autofree char *d = describe (k);
  fail (c, error, code, path, k->name, layer, "must be %s", d);
  return FALSE;
}

/* The default of a key that was not given; a required one is an error. */
static gboolean
value_default (const Ctx *c, const NnKeyDef *k, const char *path, const char *layer, const char *what, int code,
               NnSpecValue *v, GError **error)
{
  if (!k->def) {
    if (what)
      fail (c, error, code, path, NULL, layer, "%s needs \"%s\"", what, k->name);
    else
      fail (c, error, code, path, NULL, layer, "needs \"%s\"", k->name);
    return FALSE;
  }
  if (!*k->def)
    return TRUE;
  g_autoptr (JsonNode) d = json_from_string (k->def, NULL);
  g_return_val_if_fail (d != NULL, FALSE);
  return value_parse (c, k, d, path, layer, code, v, error);
}

/* Every member of `o` must be one of the keys (tables t1 and t2). */
static gboolean
check_keys (const Ctx *c, JsonObject *o, const char *path, const NnKeyDef *t1, int n1, const NnKeyDef *t2, int n2,
            const char *skip, GError **error)
{
  g_autoptr (GList) members = json_object_get_members (o);
  g_autofree const char **names = g_new0 (const char *, n1 + n2 + 1);
  int n = 0;
  for (int i = 0; i < n1; i++)
    if (!skip || !g_str_equal (t1[i].name, skip))
      names[n++] = t1[i].name;
  for (int i = 0; i < n2; i++)
    names[n++] = t2[i].name;
  for (GList *m = members; m; m = m->next)
    if (!g_strv_contains (names, m->data)) {
      fail_unknown (c, error, path, m->data, names, n);
      return FALSE;
    }
  return TRUE;
}

/* ---- layers ------------------------------------------------------------------------ */

void
nn_spec_layer_free (NnSpecLayer *l)
{
  if (!l)
    return;
  for (int i = 0; i < l->n_values; i++)
    value_clear (&l->values[i]);
  g_free (l->values);
  g_free (l->name);
  g_free (l->path);
  g_free (l);
}

static const NnKeyDef *
layer_key (const NnSpecLayer *l, int i)
{
  return i < nn_spec_n_layer_common_keys ? &nn_spec_layer_common_keys[i]
                                         : &l->klass->keys[i - nn_spec_n_layer_common_keys];
}

/* `def_name`: the name when the object gives none (NULL: its type);
 * `msg_name`: the layer named in messages (NULL: the name); `mode`: a
 * layer of "layers", time_distributed's inner layer (no "activation"), or an
 * activation object (only "type" and the kind's keys). */
static NnSpecLayer *
layer_parse (const Ctx *c, JsonNode *node, const char *path, const char *def_name, const char *msg_name, int mode,
             GError **error)
{
  if (!JSON_NODE_HOLDS_OBJECT (node)) {
    fail (c, error, NN_ERROR_FORMAT, path, NULL, msg_name, "must be an object");
    return NULL;
  }
  JsonObject *o = json_node_get_object (node);
  JsonNode *nn = json_object_get_member (o, "name"), *tn = json_object_get_member (o, "type");
  if (nn && !is_string (nn)) {
    fail (c, error, NN_ERROR_FORMAT, path, "name", msg_name, "must be a string");
    return NULL;
  }
  const char *given = nn ? json_node_get_string (nn) : NULL;
  const char *type = is_string (tn) ? json_node_get_string (tn) : NULL;
  const char *who = msg_name ? msg_name : given ? given : def_name ? def_name : type ? type : "?";
  if (!tn) {
    fail (c, error, NN_ERROR_FORMAT, path, NULL, who, "no \"type\"");
    return NULL;
  }
  if (!type) {
    fail (c, error, NN_ERROR_FORMAT, path, "type", who, "must be a string");
    return NULL;
  }
  const NnLayerClass *k = nn_layer_class_lookup (type);
  if (!k) {
    int nc;
    const NnLayerClass *const *all = nn_layer_classes (&nc);
    g_autofree const char **names = g_new0 (const char *, nc + 1);
    for (int i = 0; i < nc; i++)
      names[i] = all[i]->type;
    const char *near = nearest (type, names, nc);
    g_autofree char *known = g_strjoinv (", ", (char **) names);
    g_autofree char *hint = near ? g_strdup_printf ("did you mean \"%s\"? ", near) : g_strdup ("");
    fail (c, error, NN_ERROR_UNKNOWN_LAYER, path, "type", who, "unknown layer type \"%s\" (%sknown: %s)", type,
          hint, known);
    return NULL;
  }
  if (mode == LAYER_INNER && json_object_has_member (o, "activation")) {
    /* the model expands "activation" into a layer of its own; inside it would be lost */
    fail (c, error, NN_ERROR_INVALID, path, "activation", who, "not allowed in time_distributed's layer: put the "
          "activation after time_distributed (softmax with \"axis\": -1 for per-step classes)");
    return NULL;
  }
  const NnKeyDef *common = nn_spec_layer_common_keys;
  if (mode == LAYER_ACTIVATION) {
    /* only "type" and the kind's own keys */
    if (!check_keys (c, o, path, common, 1, k->keys, k->n_keys, NULL, error))
      return NULL;
  } else if (!check_keys (c, o, path, common, nn_spec_n_layer_common_keys, k->keys, k->n_keys,
                          mode == LAYER_INNER ? "activation" : NULL, error))
    return NULL;
  g_autoptr (NnSpecLayer) l = g_new0 (NnSpecLayer, 1);
  l->klass = k;
  l->name = g_strdup (mode == LAYER_ACTIVATION ? def_name : given ? given : def_name ? def_name : type);
  l->path = g_strdup (path);
  l->n_values = nn_spec_n_layer_common_keys + k->n_keys;
  l->values = g_new0 (NnSpecValue, l->n_values);
  for (int i = 0; i < l->n_values; i++)
    l->values[i].key = layer_key (l, i);
  /* type and name */
  l->values[0].set = l->values[0].has = TRUE;
  l->values[0].s = g_strdup (type);
  if (given) {
    l->values[1].set = l->values[1].has = TRUE;
    l->values[1].s = g_strdup (given);
  }
  const char *lname = msg_name ? msg_name : l->name;
  for (int i = 2; i < l->n_values; i++) {
    NnSpecValue *v = &l->values[i];
    if (i < nn_spec_n_layer_common_keys && mode != LAYER_PLAIN)
      continue;
    JsonNode *n = json_object_get_member (o, v->key->name);
    v->set = n != NULL;
    gboolean ok = n ? value_parse (c, v->key, n, path, lname, NN_ERROR_INVALID, v, error)
                    : value_default (c, v->key, path, lname, k->type, NN_ERROR_INVALID, v, error);
    if (!ok)
      return NULL;
  }
  return g_steal_pointer (&l);
}

NnSpecLayer *
nn_spec_layer_parse (JsonObject *o, const char *path, const char *def_name, gboolean inner, GError **error)
{
  g_autoptr (JsonNode) n = json_node_init_object (json_node_alloc (), o);
  return layer_parse (NULL, n, path, def_name, NULL, inner ? LAYER_INNER : LAYER_PLAIN, error);
}

static const NnSpecValue *
layer_value (const NnSpecLayer *l, const char *key)
{
  g_return_val_if_fail (l && key, NULL);
  for (int i = 0; i < l->n_values; i++)
    if (g_str_equal (l->values[i].key->name, key))
      return &l->values[i];
  g_critical ("layer kind \"%s\" has no key \"%s\" in its table", l->klass->type, key);
  return NULL;
}

const char *
nn_spec_layer_type (const NnSpecLayer *l)
{
  return l->klass->type;
}

const char *
nn_spec_layer_name (const NnSpecLayer *l)
{
  return l->name;
}

const NnSpecLayer *
nn_spec_layer_activation (const NnSpecLayer *l)
{
  return l->values[2].layer;
}

const NnSpecLayer *
nn_spec_layer_inner (const NnSpecLayer *l)
{
  for (int i = 0; i < l->n_values; i++)
    if (l->values[i].key->type == NN_KEY_LAYER)
      return l->values[i].layer;
  return NULL;
}

gboolean
nn_spec_layer_has (const NnSpecLayer *l, const char *key)
{
  const NnSpecValue *v = layer_value (l, key);
  return v && v->set;
}

int
nn_spec_layer_int (const NnSpecLayer *l, const char *key)
{
  const NnSpecValue *v = layer_value (l, key);
  return v ? (int) v->i[0] : 0;
}

double
nn_spec_layer_double (const NnSpecLayer *l, const char *key)
{
  const NnSpecValue *v = layer_value (l, key);
  return v ? v->f[0] : 0.0;
}

gboolean
nn_spec_layer_bool (const NnSpecLayer *l, const char *key)
{
  const NnSpecValue *v = layer_value (l, key);
  return v && v->b;
}

const char *
nn_spec_layer_string (const NnSpecLayer *l, const char *key)
{
  const NnSpecValue *v = layer_value (l, key);
  return v ? v->s : NULL;
}

int
nn_spec_layer_ints (const NnSpecLayer *l, const char *key, int out[4])
{
  const NnSpecValue *v = layer_value (l, key);
  if (!v || !v->has)
    return 0;
  if (v->key->type == NN_KEY_INT) {
    out[0] = (int) v->i[0];
    return 1;
  }
  for (int i = 0; i < v->n; i++)
    out[i] = (int) v->i[i];
  return v->n;
}

int
nn_spec_layer_n_options (const NnSpecLayer *l)
{
  return l->n_values;
}

const char *
nn_spec_layer_option_name (const NnSpecLayer *l, int i)
{
  g_return_val_if_fail (i >= 0 && i < l->n_values, NULL);
  return l->values[i].key->name;
}

gboolean
nn_spec_layer_option_is_set (const NnSpecLayer *l, int i)
{
  g_return_val_if_fail (i >= 0 && i < l->n_values, FALSE);
  return l->values[i].set;
}

static void append_layer_text (GString *s, const NnSpecLayer *l);

static void
append_value_text (GString *s, const NnSpecValue *v)
{
  if (!v->has) {
    g_string_append (s, "-");
    return;
  }
  switch (v->key->type) {
  case NN_KEY_INT:
    g_string_append_printf (s, "%" G_GINT64_FORMAT, v->i[0]);
    break;
  case NN_KEY_FLOAT:
    g_string_append_printf (s, "%g", v->f[0]);
    break;
  case NN_KEY_BOOL:
    g_string_append (s, v->b ? "true" : "false");
    break;
  case NN_KEY_STRING:
    g_string_append_printf (s, "\"%s\"", v->s);
    break;
  case NN_KEY_INTS:
  case NN_KEY_SHAPE:
  case NN_KEY_FLOATS:
    if (v->s) {
      g_string_append_printf (s, "\"%s\"", v->s);
      break;
    }
    if (v->n > 1 || v->key->type == NN_KEY_SHAPE)
      g_string_append_c (s, '[');
    for (int i = 0; i < v->n; i++) {
      if (v->key->type == NN_KEY_FLOATS)
        g_string_append_printf (s, "%s%g", i ? ", " : "", v->f[i]);
      else
        g_string_append_printf (s, "%s%" G_GINT64_FORMAT, i ? ", " : "", v->i[i]);
    }
    if (v->n > 1 || v->key->type == NN_KEY_SHAPE)
      g_string_append_c (s, ']');
    break;
  case NN_KEY_STRINGS:
    g_string_append_c (s, '[');
    for (int i = 0; v->strv && v->strv[i]; i++)
      g_string_append_printf (s, "%s\"%s\"", i ? ", " : "", v->strv[i]);
    g_string_append_c (s, ']');
    break;
  case NN_KEY_ACTIVATION:
  case NN_KEY_LAYER:
    if (v->layer)
      append_layer_text (s, v->layer);
    else
      g_string_append (s, "linear");
    break;
  default:
    g_string_append (s, "-");
  }
}

/* type(key=value ...) for nested layers */
static void
append_layer_text (GString *s, const NnSpecLayer *l)
{
  g_string_append (s, l->klass->type);
  if (!l->klass->n_keys)
    return;
  g_string_append_c (s, '(');
  for (int i = nn_spec_n_layer_common_keys; i < l->n_values; i++) {
    g_string_append_printf (s, "%s%s=", i > nn_spec_n_layer_common_keys ? " " : "", l->values[i].key->name);
    append_value_text (s, &l->values[i]);
  }
  g_string_append_c (s, ')');
}

char *
nn_spec_layer_option_text (const NnSpecLayer *l, int i)
{
  g_return_val_if_fail (i >= 0 && i < l->n_values, NULL);
  GString *s = g_string_new (NULL);
  append_value_text (s, &l->values[i]);
  return g_string_free (s, FALSE);
}

/* ---- the spec ------------------------------------------------------------------------ */

static void
spec_clear_layers (NnSpec *s)
{
  for (int i = 0; i < s->n_layers; i++)
    nn_spec_layer_free (s->layers[i]);
  g_free (s->layers);
}

void
nn_spec_free (NnSpec *s)
{
  if (!s || !g_atomic_int_dec_and_test (&s->ref))
    return;
  spec_clear_layers (s);
  g_strfreev (s->labels);
  g_strfreev (s->gan_classes);
  g_free (s->vocab);
  g_strfreev (s->text.words);
  g_free (s->source);
  if (s->root)
    json_node_unref (s->root);
  g_free (s);
}

NnSpec *
nn_spec_ref (NnSpec *s)
{
  g_atomic_int_inc (&s->ref);
  return s;
}

static const NnKeyDef *
table_key (const NnKeyDef *t, int n, const char *name)
{
  for (int i = 0; i < n; i++)
    if (g_str_equal (t[i].name, name))
      return &t[i];
  return NULL;
}

/* A top-level or "preprocess" key into v: given, defaulted, or an error. */
static gboolean
section_value (const Ctx *c, JsonObject *o, const NnKeyDef *t, int n, const char *path, const char *key,
               NnSpecValue *v, GError **error)
{
  const NnKeyDef *k = table_key (t, n, key);
  JsonNode *m = o ? json_object_get_member (o, key) : NULL;
  v->key = k;
  v->set = m != NULL;
  return m ? value_parse (c, k, m, path, NULL, NN_ERROR_FORMAT, v, error)
           : value_default (c, k, path, NULL, NULL, NN_ERROR_FORMAT, v, error);
}

static gboolean
parse_preprocess (const Ctx *c, NnSpec *s, JsonObject *root, GError **error)
{
  NnPreprocess *p = &s->pre;
  const NnShape *in = &s->input;
  if (in->ndim >= 3) {
    /* [C, H, W] images, [T, C, H, W] clips: the frame is the last three */
    int d = in->ndim - 3;
    p->channels = in->dim[d];
    p->height = in->dim[d + 1];
    p->width = in->dim[d + 2];
  } else {
    /* a flat input of a square size is a flattened gray image (MNIST's [784]) */
    int64_t n = nn_shape_numel (in), side = (int64_t) llround (sqrt ((double) n));
    gboolean square = in->ndim == 1 && side * side == n;
    p->channels = 1;
    p->height = square ? side : 1;
    p->width = square ? side : n;
  }
  JsonNode *pn = json_object_get_member (root, "preprocess");
  JsonObject *po = pn ? json_node_get_object (pn) : NULL;
  if (po && !check_keys (c, po, "preprocess", nn_spec_preprocess_keys, nn_spec_n_preprocess_keys, NULL, 0, NULL,
                         error))
    return FALSE;
  const NnKeyDef *t = nn_spec_preprocess_keys;
  int n = nn_spec_n_preprocess_keys, nc = MIN (p->channels, 3);
  NnSpecValue v[5] = { 0 };
  const char *keys[] = { "rescale", "mean", "std", "fps", "clips" };
  for (int i = 0; i < 5; i++)
    if (!section_value (c, po, t, n, "preprocess", keys[i], &v[i], error))
      return FALSE;
  p->rescale = (float) v[0].f[0];
  for (int k = 1; k <= 2; k++) {
    if (v[k].n != 1 && v[k].n != nc) {
      fail (c, error, NN_ERROR_FORMAT, "preprocess", keys[k], NULL, "must be a number or an array of %d (one per "
            "channel), not of %d", nc, v[k].n);
      return FALSE;
    }
    float *dst = k == 1 ? p->mean : p->std;
    for (int ch = 0; ch < nc; ch++)
      dst[ch] = (float) v[k].f[v[k].n == 1 ? 0 : ch];
  }
  for (int ch = 0; ch < nc; ch++)
    if (p->std[ch] == 0.0f) {
      fail (c, error, NN_ERROR_FORMAT, "preprocess", "std", NULL, "must not be 0");
      return FALSE;
    }
  s->fps = v[3].f[0];
  s->clips = (int) v[4].i[0];
  return TRUE;
}

static gboolean
parse_text (const Ctx *c, NnSpec *s, JsonObject *root, GError **error)
{
  JsonNode *tn = json_object_get_member (root, "text");
  if (!tn)
    return TRUE;
  JsonObject *to = json_node_get_object (tn);
  if (!check_keys (c, to, "text", nn_spec_text_keys, nn_spec_n_text_keys, NULL, 0, NULL, error))
    return FALSE;
  const char *keys[] = { "padding", "truncating", "vocab_size", "min_count", "lower", "words" };
  NnSpecValue v[6] = { 0 };
  gboolean ok = TRUE;
  for (int i = 0; i < 6 && ok; i++)
    ok = section_value (c, to, nn_spec_text_keys, nn_spec_n_text_keys, "text", keys[i], &v[i], error);
  NnTextOptions *t = &s->text;
  if (ok) {
    s->has_text = TRUE;
    t->pad_post = g_str_equal (v[0].s, "post");
    t->trunc_post = g_str_equal (v[1].s, "post");
    t->vocab_size = (int) v[2].i[0];
    t->min_count = (int) v[3].i[0];
    t->lower = v[4].b;
    t->words = g_steal_pointer (&v[5].strv);
    t->n_words = t->words ? (int) g_strv_length (t->words) : 0;
    if (t->n_words + 2 > t->vocab_size) {
      fail (c, error, NN_ERROR_FORMAT, "text", "words", NULL, "%d words and the 2 reserved indices exceed "
            "\"vocab_size\" %d", t->n_words, t->vocab_size);
      ok = FALSE;
    }
    if (ok && s->input.ndim != 1) {
      fail (c, error, NN_ERROR_FORMAT, "text", NULL, NULL, "a text model's \"input\" must be [T] word indices");
      ok = FALSE;
    }
  }
  for (int i = 0; i < 6; i++) {
    g_free (v[i].s);
    g_strfreev (v[i].strv);
  }
  return ok;
}

static gboolean
parse_layers (const Ctx *c, NnSpec *s, JsonObject *root, GError **error)
{
  JsonNode *ln = json_object_get_member (root, "layers");
  if (!ln) {
    fail (c, error, NN_ERROR_FORMAT, NULL, NULL, NULL, "needs \"layers\"");
    return FALSE;
  }
  if (!JSON_NODE_HOLDS_ARRAY (ln) || json_array_get_length (json_node_get_array (ln)) == 0) {
    fail (c, error, NN_ERROR_FORMAT, NULL, "layers", NULL, "must be a non-empty array of layer objects");
    return FALSE;
  }
  JsonArray *a = json_node_get_array (ln);
  s->n_layers = 0;
  s->layers = g_new0 (NnSpecLayer *, json_array_get_length (a));
  g_autoptr (GHashTable) names = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint i = 0; i < json_array_get_length (a); i++) {
    JsonNode *e = json_array_get_element (a, i);
    g_autofree char *path = g_strdup_printf ("layers[%u]", i);
    JsonNode *tn = JSON_NODE_HOLDS_OBJECT (e) ? json_object_get_member (json_node_get_object (e), "type") : NULL;
    const char *type = is_string (tn) ? json_node_get_string (tn) : "layer";
    /* unnamed layers get "<type><index>" so their parameters have stable names */
    g_autofree char *def_name = g_strdup_printf ("%s%u", type, i);
    NnSpecLayer *l = layer_parse (c, e, path, def_name, NULL, LAYER_PLAIN, error);
    if (!l)
      return FALSE;
    s->layers[s->n_layers++] = l;
    const NnSpecLayer *act = nn_spec_layer_activation (l);
    const char *both[] = { l->name, act ? act->name : NULL };
    for (int k = 0; k < 2 && both[k]; k++) {
      if (g_hash_table_contains (names, both[k])) {
        fail (c, error, NN_ERROR_FORMAT, path, k ? "activation" : "name", NULL, "two layers are named \"%s\"",
              both[k]);
        return FALSE;
      }
      g_hash_table_add (names, (gpointer) both[k]);
    }
  }
  return TRUE;
}

/* The "gan" block: keys from nn_spec_gan_keys, values typed here (the
 * generator's input size is nn_gan_spec's to check, once the net is built). */
static gboolean
parse_gan (const Ctx *c, NnSpec *s, JsonObject *go, GError **error)
{
  if (!check_keys (c, go, "gan", nn_spec_gan_keys, nn_spec_n_gan_keys, NULL, 0, NULL, error))
    return FALSE;
  JsonNode *ln = json_object_get_member (go, "latent");
  if (!ln) {
    fail (c, error, NN_ERROR_FORMAT, "gan", NULL, NULL, "needs \"latent\"");
    return FALSE;
  }
  if (!JSON_NODE_HOLDS_VALUE (ln) || json_node_get_value_type (ln) != G_TYPE_INT64 || json_node_get_int (ln) < 1 ||
      json_node_get_int (ln) > G_MAXINT) {
    fail (c, error, NN_ERROR_FORMAT, "gan", "latent", NULL, "must be an integer >= 1");
    return FALSE;
  }
  s->gan_latent = (int) json_node_get_int (ln);
  JsonNode *cn = json_object_get_member (go, "classes");
  if (cn) {
    JsonArray *a = JSON_NODE_HOLDS_ARRAY (cn) ? json_node_get_array (cn) : NULL;
    guint n = a ? json_array_get_length (a) : 0;
    for (guint i = 0; a && i < n; i++) {
      JsonNode *e = json_array_get_element (a, i);
      if (!JSON_NODE_HOLDS_VALUE (e) || json_node_get_value_type (e) != G_TYPE_STRING)
        a = NULL;
    }
    if (!a) {
      fail (c, error, NN_ERROR_FORMAT, "gan", "classes", NULL, "must be an array of strings");
      return FALSE;
    }
    if (n > 0) {
      s->gan_classes = g_new0 (char *, n + 1);
      for (guint i = 0; i < n; i++)
        s->gan_classes[i] = g_strdup (json_array_get_string_element (a, i));
      s->gan_n_classes = (int) n;
    }
  }
  s->gan_lo = -1.0f;
  s->gan_hi = 1.0f;
  JsonNode *rn = json_object_get_member (go, "range");
  if (rn) {
    JsonArray *a = JSON_NODE_HOLDS_ARRAY (rn) ? json_node_get_array (rn) : NULL;
    gboolean ok = a && json_array_get_length (a) == 2;
    for (guint i = 0; ok && i < 2; i++) {
      JsonNode *e = json_array_get_element (a, i);
      GType t = JSON_NODE_HOLDS_VALUE (e) ? json_node_get_value_type (e) : G_TYPE_INVALID;
      ok = t == G_TYPE_INT64 || t == G_TYPE_DOUBLE;
    }
    if (ok && !(json_array_get_double_element (a, 0) < json_array_get_double_element (a, 1) &&
                isfinite (json_array_get_double_element (a, 0)) && isfinite (json_array_get_double_element (a, 1))))
      ok = FALSE;
    if (!ok) {
      fail (c, error, NN_ERROR_FORMAT, "gan", "range", NULL, "must be [lo, hi] with lo < hi");
      return FALSE;
    }
    s->gan_lo = (float) json_array_get_double_element (a, 0);
    s->gan_hi = (float) json_array_get_double_element (a, 1);
  }
  s->gan = TRUE;
  return TRUE;
}

static NnSpec *
spec_from_node (const Ctx *c, JsonNode *root, GError **error)
{
  if (!root || !JSON_NODE_HOLDS_OBJECT (root)) {
    fail (c, error, NN_ERROR_FORMAT, NULL, NULL, NULL, "not a JSON object");
    return NULL;
  }
  JsonObject *o = json_node_get_object (root);
  if (!check_keys (c, o, "", nn_spec_top_keys, nn_spec_n_top_keys, NULL, 0, NULL, error))
    return NULL;
  g_autoptr (NnSpec) s = g_new0 (NnSpec, 1);
  s->ref = 1;
  s->source = g_strdup (c->source);
  s->root = json_node_copy (root);
  NnSpecValue v = { 0 };
  if (!section_value (c, o, nn_spec_top_keys, nn_spec_n_top_keys, "", "input", &v, error))
    return NULL;
  s->input.ndim = v.n;
  for (int i = 0; i < v.n; i++)
    s->input.dim[i] = v.i[i];
  v = (NnSpecValue) { 0 };
  if (!section_value (c, o, nn_spec_top_keys, nn_spec_n_top_keys, "", "labels", &v, error))
    return NULL;
  s->labels = g_steal_pointer (&v.strv);
  s->n_labels = s->labels ? g_strv_length (s->labels) : 0;
  v = (NnSpecValue) { 0 };
  if (!section_value (c, o, nn_spec_top_keys, nn_spec_n_top_keys, "", "vocab", &v, error))
    return NULL;
  s->vocab = g_steal_pointer (&v.s);
  NnSpecValue pv = { 0 }, gv = { 0 };
  if (!section_value (c, o, nn_spec_top_keys, nn_spec_n_top_keys, "", "preprocess", &pv, error) ||
      !section_value (c, o, nn_spec_top_keys, nn_spec_n_top_keys, "", "gan", &gv, error))
    return NULL;
  if (!parse_preprocess (c, s, o, error))
    return NULL;
  NnSpecValue tv = { 0 };
  if (!section_value (c, o, nn_spec_top_keys, nn_spec_n_top_keys, "", "text", &tv, error) ||
      !parse_text (c, s, o, error))
    return NULL;
  JsonNode *gn = json_object_get_member (o, "gan");
  if (gn && !parse_gan (c, s, json_node_get_object (gn), error))
    return NULL;
  if (!parse_layers (c, s, o, error))
    return NULL;
  return g_steal_pointer (&s);
}

NnSpec *
nn_spec_parse (const char *json, const char *source, GError **error)
{
  g_return_val_if_fail (json != NULL, NULL);
  Ctx c = { source };
  g_autoptr (JsonParser) p = json_parser_new ();
  g_autoptr (GError) e = NULL;
  if (!json_parser_load_from_data (p, json, -1, &e)) {
    fail (&c, error, NN_ERROR_FORMAT, NULL, NULL, NULL, "invalid JSON: %s", e->message);
    return NULL;
  }
  return spec_from_node (&c, json_parser_get_root (p), error);
}

NnSpec *
nn_spec_load (const char *path, GError **error)
{
  g_return_val_if_fail (path != NULL, NULL);
  if (g_str_has_suffix (path, ".safetensors")) {
    g_autoptr (NnSafetensors) st = nn_safetensors_open (path, error);
    if (!st)
      return NULL;
    const char *spec = nn_safetensors_metadata (st, "nn.spec");
    if (!spec) {
      g_set_error (error, NN_ERROR, NN_ERROR_FORMAT, "%s: no \"nn.spec\" in the header's __metadata__", path);
      return NULL;
    }
    return nn_spec_parse (spec, path, error);
  }
  g_autofree char *text = NULL;
  g_autoptr (GError) e = NULL;
  if (!g_file_get_contents (path, &text, NULL, &e)) {
    g_set_error (error, NN_ERROR, NN_ERROR_IO, "%s: %s", path, e->message);
    return NULL;
  }
  return nn_spec_parse (text, path, error);
}

NnSpec *
nn_spec_streaming (const NnSpec *s, GError **error)
{
  /* [T] token indices, [T, F] features, [T, C, H, W] frames: T becomes 1 */
  g_autoptr (JsonNode) root = json_node_copy (s->root);
  JsonObject *o = json_node_get_object (root);
  JsonArray *one = json_array_new ();
  json_array_add_int_element (one, 1);
  for (int i = 1; i < s->input.ndim; i++)
    json_array_add_int_element (one, s->input.dim[i]);
  json_object_set_array_member (o, "input", one);
  gboolean any = FALSE;
  JsonArray *layers = json_object_get_array_member (o, "layers");
  for (int i = 0; i < s->n_layers; i++)
    if (table_key (s->layers[i]->klass->keys, s->layers[i]->klass->n_keys, "stateful")) {
      json_object_set_boolean_member (json_array_get_object_element (layers, i), "stateful", TRUE);
      any = TRUE;
    }
  if (!any) {
    g_set_error (error, NN_ERROR, NN_ERROR_SHAPE, "streaming needs a recurrent layer (rnn, lstm, convlstm2d)");
    return NULL;
  }
  Ctx c = { s->source };
  return spec_from_node (&c, root, error);
}

const char *
nn_spec_source (const NnSpec *s)
{
  return s->source;
}

const NnShape *
nn_spec_input_shape (const NnSpec *s)
{
  return &s->input;
}

const NnPreprocess *
nn_spec_preprocess (const NnSpec *s)
{
  return &s->pre;
}

double
nn_spec_fps (const NnSpec *s)
{
  return s->fps;
}

int
nn_spec_clips (const NnSpec *s)
{
  return s->clips;
}

int
nn_spec_n_labels (const NnSpec *s)
{
  return s->n_labels;
}

const char *
nn_spec_label (const NnSpec *s, int i)
{
  return i >= 0 && i < s->n_labels ? s->labels[i] : NULL;
}

const char *
nn_spec_vocab (const NnSpec *s)
{
  return s->vocab;
}

const NnTextOptions *
nn_spec_text (const NnSpec *s)
{
  return s->has_text ? &s->text : NULL;
}

void
nn_spec_set_text_words (NnSpec *s, char **words)
{
  g_return_if_fail (s->has_text);
  g_strfreev (s->text.words);
  s->text.words = words;
  s->text.n_words = words ? (int) g_strv_length (words) : 0;
  /* into the JSON too: the model file carries the spec as this JSON */
  JsonObject *to = json_object_get_object_member (json_node_get_object (s->root), "text");
  JsonArray *a = json_array_new ();
  for (int i = 0; i < s->text.n_words; i++)
    json_array_add_string_element (a, words[i]);
  json_object_set_array_member (to, "words", a);
}

gboolean
nn_spec_is_generator (const NnSpec *s)
{
  return s->gan;
}

gboolean
nn_spec_gan (const NnSpec *spec, int *latent, const char *const **classes, int *n_classes, float *lo, float *hi)
{
  g_return_val_if_fail (spec != NULL, FALSE);
  if (!spec->gan)
    return FALSE;
  if (latent)
    *latent = spec->gan_latent;
  if (classes)
    *classes = (const char *const *) spec->gan_classes;
  if (n_classes)
    *n_classes = spec->gan_n_classes;
  if (lo)
    *lo = spec->gan_lo;
  if (hi)
    *hi = spec->gan_hi;
  return TRUE;
}

char *
nn_spec_to_json (const NnSpec *s)
{
  return json_to_string (s->root, TRUE);
}

int
nn_spec_n_layers (const NnSpec *s)
{
  return s->n_layers;
}

const NnSpecLayer *
nn_spec_layer (const NnSpec *s, int i)
{
  return i >= 0 && i < s->n_layers ? s->layers[i] : NULL;
}

/* ---- docs/spec.md's key tables ------------------------------------------------------ */

static void
append_table (GString *s, const NnKeyDef *t, int n)
{
  g_string_append (s, "| key | accepts | default | meaning |\n| --- | --- | --- | --- |\n");
  for (int i = 0; i < n; i++) {
    g_autofree char *d = describe (&t[i]);
    g_autofree char *def = !t[i].def ? g_strdup ("required") : !*t[i].def ? g_strdup ("–")
                                     : g_strdup_printf ("`%s`", t[i].def);
    g_string_append_printf (s, "| `%s` | %s | %s | %s |\n", t[i].name, d, def, t[i].doc);
  }
}

char *
nn_spec_keys_markdown (void)
{
  GString *s = g_string_new ("<!-- keys:begin: generated from the registry's tables by `nn info --keys`; "
                             "tests/core/test-spec.c checks this part is identical -->\n");
  g_string_append (s, "### Top level\n\n");
  append_table (s, nn_spec_top_keys, nn_spec_n_top_keys);
  g_string_append (s, "\n### `preprocess`\n\n");
  append_table (s, nn_spec_preprocess_keys, nn_spec_n_preprocess_keys);
  g_string_append (s, "\n### `gan`\n\n");
  append_table (s, nn_spec_gan_keys, nn_spec_n_gan_keys);
  g_string_append (s, "\n### `text`\n\n");
  append_table (s, nn_spec_text_keys, nn_spec_n_text_keys);
  g_string_append (s, "\n### Every layer\n\n");
  append_table (s, nn_spec_layer_common_keys, nn_spec_n_layer_common_keys);
  int nc;
  const NnLayerClass *const *all = nn_layer_classes (&nc);
  g_string_append (s, "\nActivation types:");
  for (int i = 0; i < nc; i++)
    if (all[i]->activation)
      g_string_append_printf (s, " `%s`,", all[i]->type);
  g_string_append (s, " and `linear` (none).\n");
  for (int i = 0; i < nc; i++) {
    g_string_append_printf (s, "\n### `%s`\n\n%s\n", all[i]->type, all[i]->doc ? all[i]->doc : "");
    if (all[i]->n_keys) {
      g_string_append_c (s, '\n');
      append_table (s, all[i]->keys, all[i]->n_keys);
    } else
      g_string_append (s, "\nNo options.\n");
  }
  g_string_append (s, "<!-- keys:end -->\n");
  return g_string_free (s, FALSE);
}
