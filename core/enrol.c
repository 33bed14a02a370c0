/* Enrolment: a trained classifier learns new classes without forgetting the
 * old ones. Its head (the last layer with weights) is widened by one output
 * per new label, the old outputs' weights copied, and the layers that should
 * keep what they know can be frozen for the fine-tuning that follows. */
#include "nn-private.h"
#include "data/data-private.h"

#include <json-glib/json-glib.h>
#include <string.h>

/* The layer whose outputs are the classes: the last one with parameters,
 * followed only by layers that keep the class axis where it is (activations,
 * softmax, dropout, a flatten of a 1x1 class map). */
static int
find_head (const NnModel *m, GError **error)
{
  int n = nn_model_n_layers (m);
  for (int i = n - 1; i >= 0; i--) {
    NnLayerInfo info, prev;
    nn_model_layer_info (m, i, &info);
    if (info.n_params > 0) {
      if (!g_str_equal (info.type, "dense") && !g_str_equal (info.type, "conv2d")) {
        g_set_error (error, NN_ERROR, NN_ERROR_INVALID, "cannot add labels: the last layer with weights, \"%s\", is "
                     "a %s (only a dense layer or a conv2d class map can be widened)", info.name, info.type);
        return -1;
      }
      return i;
    }
    if (i == 0)
      break;
    nn_model_layer_info (m, i - 1, &prev);
    if (!nn_shape_equal (&info.out, &prev.out) && !g_str_equal (info.type, "flatten")) {
      g_set_error (error, NN_ERROR, NN_ERROR_INVALID, "cannot add labels: layer \"%s\" (%s) after the classifier "
                   "changes the output's shape", info.name, info.type);
      return -1;
    }
  }
  g_set_error (error, NN_ERROR, NN_ERROR_INVALID, "cannot add labels: the model has no layer with weights");
  return -1;
}

/* The spec with `head`'s outputs and the label list grown by the new labels.
 * Returns (transfer full) (nullable). */
static char *
widened_spec (const NnModel *m, const char *head, const char *type, const char *const *labels, int n_new,
              GError **error)
{
  g_autofree char *json = nn_model_spec_json (m);
  g_autoptr (JsonParser) p = json_parser_new ();
  if (!json_parser_load_from_data (p, json, -1, error))
    return NULL;
  JsonObject *root = json_node_get_object (json_parser_get_root (p));
  JsonArray *ls = json_object_get_array_member (root, "labels");
  JsonArray *layers = json_object_get_array_member (root, "layers");
  const char *key = g_str_equal (type, "dense") ? "units" : "filters";
  JsonObject *spec_head = NULL;
  for (guint i = 0; layers && i < json_array_get_length (layers); i++) {
    JsonObject *l = json_array_get_object_element (layers, i);
    if (g_strcmp0 (json_object_get_string_member_with_default (l, "name", NULL), head) == 0)
      spec_head = l;
  }
  if (!ls || !spec_head || !json_object_has_member (spec_head, key)) {
    g_set_error (error, NN_ERROR, NN_ERROR_INVALID, "cannot add labels: layer \"%s\" has no \"%s\" in the spec",
                 head, key);
    return NULL;
  }
  json_object_set_int_member (spec_head, key, json_object_get_int_member (spec_head, key) + n_new);
  for (int i = 0; i < n_new; i++)
    json_array_add_string_element (ls, labels[i]);
  g_autoptr (JsonGenerator) g = json_generator_new ();
  json_generator_set_root (g, json_parser_get_root (p));
  return json_generator_to_data (g, NULL);
}

NnModel *
nn_model_add_labels (NnModel *m, const char *const *labels, guint64 seed, GError **error)
{
  g_return_val_if_fail (m != NULL && labels != NULL, NULL);
  int n_old = nn_model_n_labels (m), n_new = (int) g_strv_length ((char **) labels);
  if (n_old <= 0) {
    g_set_error (error, NN_ERROR, NN_ERROR_INVALID, "cannot add labels: the model has no labels to extend");
    return NULL;
  }
  if (n_new == 0) {
    g_set_error (error, NN_ERROR, NN_ERROR_INVALID, "cannot add labels: no label given");
    return NULL;
  }
  for (int i = 0; i < n_new; i++) {
    if (!nn_label_check (labels[i], error))
      return NULL;
    for (int j = 0; j < n_old; j++)
      if (g_str_equal (labels[i], nn_model_label (m, j))) {
        g_set_error (error, NN_ERROR, NN_ERROR_INVALID, "cannot add label \"%s\": the model has it already",
                     labels[i]);
        return NULL;
      }
    for (int j = 0; j < i; j++)
      if (g_str_equal (labels[i], labels[j])) {
        g_set_error (error, NN_ERROR, NN_ERROR_INVALID, "cannot add label \"%s\" twice", labels[i]);
        return NULL;
      }
  }
  int h = find_head (m, error);
  if (h < 0)
    return NULL;
  NnLayerInfo head;
  nn_model_layer_info (m, h, &head);
  if (head.out.dim[0] != n_old) {
    g_set_error (error, NN_ERROR, NN_ERROR_INVALID, "cannot add labels: layer \"%s\" gives %" G_GINT64_FORMAT
                 " outputs for %d labels", head.name, head.out.dim[0], n_old);
    return NULL;
  }
  g_autofree char *spec = widened_spec (m, head.name, head.type, labels, n_new, error);
  if (!spec)
    return NULL;
  NnModel *w = nn_model_new_from_spec (spec, seed, error);
  if (!w)
    return NULL;
  /* Every tensor is the old one, except the head's, whose outputs are its
   * first dimension (weight [out, in(, kh, kw)], bias [out]): the old rows
   * are a prefix of the new ones, and the new rows keep the fresh layer's
   * initialisation (PyTorch's: small, so the new classes start unlikely). */
  int np_old, np_new;
  NnParam *po = nn_model_params (m, &np_old), *pn = nn_model_params (w, &np_new);
  for (int i = 0; i < np_new; i++) {
    int64_t no = i < np_old ? nn_shape_numel (&po[i].shape) : -1;
    if (np_old != np_new || !g_str_equal (po[i].name, pn[i].name) || no > nn_shape_numel (&pn[i].shape)) {
      g_set_error (error, NN_ERROR, NN_ERROR_INVALID, "cannot add labels: the widened model's tensor \"%s\" does "
                   "not extend the old one", pn[i].name);
      nn_model_free (w);
      return NULL;
    }
    memcpy (pn[i].data, po[i].data, sizeof (float) * no);
  }
  return w;
}

gboolean
nn_model_freeze (NnModel *m, const char *const *layers, GError **error)
{
  int np;
  NnParam *p = nn_model_params (m, &np);
  for (const char *const *l = layers; l && *l; l++) {
    g_autofree char *prefix = g_strconcat (*l, ".", NULL);
    int found = 0;
    for (int i = 0; i < np; i++)
      found += g_str_has_prefix (p[i].name, prefix) && p[i].grad;
    if (!found) {
      gboolean exists = FALSE;
      for (int i = 0; i < nn_model_n_layers (m); i++) {
        NnLayerInfo info;
        nn_model_layer_info (m, i, &info);
        exists |= g_str_equal (info.name, *l);
      }
      g_set_error (error, NN_ERROR, NN_ERROR_INVALID, exists ? "cannot freeze \"%s\": the layer has no weights"
                                                             : "cannot freeze \"%s\": the model has no such layer", *l);
      return FALSE;
    }
  }
  for (const char *const *l = layers; l && *l; l++) {
    g_autofree char *prefix = g_strconcat (*l, ".", NULL);
    for (int i = 0; i < np; i++)
      if (g_str_has_prefix (p[i].name, prefix) && p[i].grad)
        nn_model_set_trainable (m, i, FALSE);
  }
  return TRUE;
}

NnDataset *
nn_dataset_per_class (const NnDataset *ds, int per_class, guint64 seed, GError **error)
{
  g_return_val_if_fail (ds != NULL, NULL);
  if (!ds->labels || ds->label_steps != 1 || ds->n_classes < 1) {
    g_set_error (error, NN_ERROR, NN_ERROR_INVALID, "cannot keep examples per class: the data has no single class "
                 "per sample");
    return NULL;
  }
  if (per_class < 1) {
    g_set_error (error, NN_ERROR, NN_ERROR_INVALID, "cannot keep %d examples per class: at least 1", per_class);
    return NULL;
  }
  if (ds->n < 1) {
    g_set_error (error, NN_ERROR, NN_ERROR_EMPTY, "cannot keep examples per class: the data is empty");
    return NULL;
  }
  /* the seeded order of nn_dataset_split decides which rows of a class are
   * kept; they stay in the data's order */
  g_autofree guint32 *order = NULL;
  int64_t n_val;
  if (!nn_data_split_order (ds->n, 0.0, seed, &order, &n_val, error))
    return NULL;
  g_autofree gboolean *keep = g_new0 (gboolean, ds->n);
  g_autofree int64_t *taken = g_new0 (int64_t, ds->n_classes);
  int64_t n = 0;
  for (int64_t i = 0; i < ds->n; i++) {
    int32_t c = ds->labels[order[i]];
    if (c >= 0 && c < ds->n_classes && taken[c] < per_class) {
      taken[c]++;
      keep[order[i]] = TRUE;
      n++;
    }
  }
  NnDataset *out = nn_dataset_new (&ds->sample_shape, n, 1, ds->y ? ds->target_dim : 0);
  for (int64_t i = 0, k = 0; i < ds->n; i++)
    if (keep[i])
      nn_dataset_copy_row (out, k++, ds, i);
  out->n_classes = ds->n_classes;
  out->class_names = g_strdupv (ds->class_names);
  return out;
}
