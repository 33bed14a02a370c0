/* Loading a dataset: the URI dispatch, from a spec or a model. The top of
 * core/data: it calls the loaders, none of them calls it. */
#include "data-private.h"

NnDataset *
nn_data_load_uri (const char *uri, const NnDataTarget *t, GError **error)
{
  static const struct {
    const char *scheme;
    NnDataset *(*load) (const char *, const NnDataTarget *, GError **);
  } schemes[] = {
    { "csv:", nn_data_load_csv },
    { "idx:", nn_data_load_idx },
    { "folder:", nn_data_load_folder },
    { "text:", nn_data_load_text },
    { "textcls:", nn_data_load_textcls },
  };
  g_return_val_if_fail (uri && t, NULL);
  for (gsize i = 0; i < G_N_ELEMENTS (schemes); i++)
    if (g_str_has_prefix (uri, schemes[i].scheme))
      return schemes[i].load (uri + strlen (schemes[i].scheme), t, error);
  g_set_error (error, NN_ERROR, NN_ERROR_INVALID,
               "%s: unknown dataset URI; expected csv:FILE, idx:PREFIX, folder:DIR, text:FILE or textcls:FILE", uri);
  return NULL;
}

void
nn_data_target_init (NnDataTarget *t, const NnSpec *spec, const NnShape *output)
{
  *t = (NnDataTarget) { 0 };
  t->input = *nn_spec_input_shape (spec);
  t->n_out = nn_shape_numel (output);
  t->pre = *nn_spec_preprocess (spec);
  t->n_labels = nn_spec_n_labels (spec);
  t->fps = nn_spec_fps (spec);
  t->clips = nn_spec_clips (spec);
  t->vocab = nn_spec_vocab (spec);
  t->spec = spec;
}

static NnDataset *
load_spec (const char *uri, const NnSpec *spec, const NnShape *output, double holdout, guint64 seed, GError **error)
{
  NnDataTarget t;
  nn_data_target_init (&t, spec, output);
  t.holdout = holdout;
  t.holdout_seed = seed;
  g_autofree const char **labels = g_new0 (const char *, t.n_labels + 1);
  for (int i = 0; i < t.n_labels; i++)
    labels[i] = nn_spec_label (spec, i);
  t.labels = labels;
  return nn_data_load_uri (uri, &t, error);
}

NnDataset *
nn_dataset_load_spec (const char *uri, const NnSpec *spec, const NnShape *output, GError **error)
{
  g_return_val_if_fail (uri && spec && output, NULL);
  return load_spec (uri, spec, output, 0.0, 0, error);
}

gboolean
nn_dataset_load_split (const char *uri, const NnModel *m, double fraction, guint64 seed, NnDataset **train,
                       NnDataset **val, GError **error)
{
  g_return_val_if_fail (uri && m && train && val, FALSE);
  *train = *val = NULL;
  g_autoptr (NnDataset) all = load_spec (uri, nn_model_get_spec (m), nn_model_output_shape (m), fraction, seed,
                                         error);
  return all && nn_dataset_split (all, fraction, seed, train, val, error);
}

NnDataset *
nn_dataset_load (const char *uri, const NnModel *m, GError **error)
{
  g_return_val_if_fail (uri && m, NULL);
  return nn_dataset_load_spec (uri, nn_model_get_spec (m), nn_model_output_shape (m), error);
}

NnDataset *
nn_data_load_folder (const char *dir, const NnDataTarget *t, GError **error)
{
  /* clips [T, C, H, W] come from videos, everything else from images */
  if (t->input.ndim == 4)
    return nn_data_load_video_folder (dir, t, error);
  return nn_data_load_image_folder (dir, t, error);
}
