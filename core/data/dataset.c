/* Datasets: allocation and the seeded train/val split. Every loader uses
 * this; it uses no loader (load.c dispatches to them). */
#include "data-private.h"

NnDataset *
nn_dataset_new (const NnShape *sample_shape, int64_t n, int label_steps, int target_dim)
{
  g_return_val_if_fail (sample_shape && n >= 0 && target_dim >= 0 && label_steps >= 0, NULL);
  NnDataset *ds = g_new0 (NnDataset, 1);
  ds->sample_shape = *sample_shape;
  ds->n = n;
  gsize rows = n > 0 ? (gsize) n : 1;
  ds->x = g_new0 (float, rows * (gsize) nn_shape_numel (sample_shape));
  if (label_steps > 0) {
    ds->label_steps = label_steps;
    ds->labels = g_new0 (int32_t, rows * (gsize) label_steps);
  }
  if (target_dim > 0) {
    ds->target_dim = target_dim;
    ds->y = g_new0 (float, rows * (gsize) target_dim);
  }
  return ds;
}

void
nn_dataset_free (NnDataset *ds)
{
  if (!ds)
    return;
  g_free (ds->x);
  g_free (ds->labels);
  g_free (ds->y);
  g_strfreev (ds->class_names);
  g_free (ds);
}

/* Rows `idx` of ds into a new dataset. */
static NnDataset *
dataset_take (const NnDataset *ds, const guint32 *idx, int64_t n)
{
  NnDataset *out = nn_dataset_new (&ds->sample_shape, n, ds->labels ? ds->label_steps : 0, ds->y ? ds->target_dim : 0);
  gsize d = (gsize) nn_shape_numel (&ds->sample_shape);
  for (int64_t i = 0; i < n; i++) {
    memcpy (out->x + i * d, ds->x + idx[i] * d, sizeof (float) * d);
    if (ds->labels)
      memcpy (out->labels + i * ds->label_steps, ds->labels + (gsize) idx[i] * ds->label_steps,
              sizeof (int32_t) * ds->label_steps);
    if (ds->y)
      memcpy (out->y + i * ds->target_dim, ds->y + (gsize) idx[i] * ds->target_dim,
              sizeof (float) * ds->target_dim);
  }
  out->n_classes = ds->n_classes;
  out->class_names = g_strdupv (ds->class_names);
  return out;
}

/* The seeded order nn_dataset_split takes rows in: the first n - *n_val of
 * *idx train, the rest validate. (transfer full) *idx. */
gboolean
nn_data_split_order (int64_t n, double fraction, guint64 seed, guint32 **idx, int64_t *n_val, GError **error)
{
  if (!(fraction >= 0.0 && fraction < 1.0)) {
    g_set_error (error, NN_ERROR, NN_ERROR_INVALID,
                 "validation fraction %g is outside [0, 1)", fraction);
    return FALSE;
  }
  if (n > G_MAXINT32) {
    g_set_error (error, NN_ERROR, NN_ERROR_INVALID, "dataset too large to split");
    return FALSE;
  }
  *n_val = (int64_t) (n * fraction + 0.5);
  if (n - *n_val < 1 || (fraction > 0.0 && *n_val < 1)) {
    g_set_error (error, NN_ERROR, NN_ERROR_EMPTY,
                 "cannot split %" G_GINT64_FORMAT " samples with validation fraction %g: a part would be empty",
                 n, fraction);
    return FALSE;
  }
  guint32 seeds[2] = { (guint32) seed, (guint32) (seed >> 32) };
  g_autoptr (GRand) rng = g_rand_new_with_seed_array (seeds, 2);
  guint32 *order = g_new (guint32, n > 0 ? n : 1);
  for (int64_t i = 0; i < n; i++)
    order[i] = (guint32) i;
  for (int64_t i = n - 1; i > 0; i--) {
    guint32 j = (guint32) g_rand_int_range (rng, 0, (gint32) (i + 1));
    guint32 tmp = order[i];
    order[i] = order[j];
    order[j] = tmp;
  }
  *idx = order;
  return TRUE;
}

gboolean
nn_dataset_split (const NnDataset *ds, double fraction, guint64 seed,
                  NnDataset **train, NnDataset **val, GError **error)
{
  g_return_val_if_fail (ds && train && val, FALSE);
  *train = *val = NULL;
  g_autofree guint32 *idx = NULL;
  int64_t n_val = 0;
  if (!nn_data_split_order (ds->n, fraction, seed, &idx, &n_val, error))
    return FALSE;
  *train = dataset_take (ds, idx, ds->n - n_val);
  if (n_val > 0)
    *val = dataset_take (ds, idx + (ds->n - n_val), n_val);
  return TRUE;
}

NnDataset *
nn_dataset_concat (const NnDataset *a, const NnDataset *b, GError **error)
{
  g_return_val_if_fail (a && b, NULL);
  if (!nn_shape_equal (&a->sample_shape, &b->sample_shape) || !a->labels != !b->labels || !a->y != !b->y ||
      (a->labels && a->label_steps != b->label_steps) || (a->y && a->target_dim != b->target_dim)) {
    g_set_error (error, NN_ERROR, NN_ERROR_SHAPE, "cannot join two datasets of different sample shapes or targets");
    return NULL;
  }
  NnDataset *out = nn_dataset_new (&a->sample_shape, a->n + b->n, a->labels ? a->label_steps : 0,
                                   a->y ? a->target_dim : 0);
  gsize d = (gsize) nn_shape_numel (&a->sample_shape);
  memcpy (out->x, a->x, sizeof (float) * d * a->n);
  memcpy (out->x + d * a->n, b->x, sizeof (float) * d * b->n);
  if (a->labels) {
    memcpy (out->labels, a->labels, sizeof (int32_t) * a->label_steps * a->n);
    memcpy (out->labels + a->label_steps * a->n, b->labels, sizeof (int32_t) * a->label_steps * b->n);
  }
  if (a->y) {
    memcpy (out->y, a->y, sizeof (float) * a->target_dim * a->n);
    memcpy (out->y + a->target_dim * a->n, b->y, sizeof (float) * a->target_dim * b->n);
  }
  out->n_classes = MAX (a->n_classes, b->n_classes);
  out->class_names = g_strdupv (a->class_names);
  return out;
}
