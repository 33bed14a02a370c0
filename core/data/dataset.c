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
  g_free (ds->alpha);
  g_free (ds);
}

/* (H, W) of an image, T (H, W) of a clip, the whole of a vector or matrix */
static gsize
alpha_plane (const NnShape *s)
{
  if (s->ndim == 4)
    return (gsize) (s->dim[0] * s->dim[2] * s->dim[3]);
  if (s->ndim == 3)
    return (gsize) (s->dim[1] * s->dim[2]);
  return (gsize) nn_shape_numel (s);
}

gsize
nn_dataset_alpha_plane (const NnDataset *ds)
{
  return alpha_plane (&ds->sample_shape);
}

uint8_t *
nn_dataset_alloc_alpha (NnDataset *ds)
{
  g_return_val_if_fail (ds, NULL);
  if (!ds->alpha) {
    gsize bytes = alpha_plane (&ds->sample_shape) * (gsize) MAX (ds->n, 1);
    ds->alpha = g_malloc (bytes);
    memset (ds->alpha, 255, bytes);
  }
  return ds->alpha;
}

/* Row i of `from` into row k of `to` (same sample shape and targets): the
 * one place that knows every per-row array, for the functions that take,
 * join and pick rows. `to` has an alpha plane when `from` had one. */
void
nn_dataset_copy_row (NnDataset *to, int64_t k, const NnDataset *from, int64_t i)
{
  gsize d = (gsize) nn_shape_numel (&from->sample_shape);
  memcpy (to->x + k * d, from->x + i * d, sizeof (float) * d);
  if (from->labels && to->labels)
    memcpy (to->labels + k * to->label_steps, from->labels + i * from->label_steps,
            sizeof (int32_t) * from->label_steps);
  if (from->y && to->y)
    memcpy (to->y + k * to->target_dim, from->y + i * from->target_dim, sizeof (float) * from->target_dim);
  if (from->alpha) {
    gsize a = alpha_plane (&from->sample_shape);
    memcpy (nn_dataset_alloc_alpha (to) + k * a, from->alpha + i * a, a);
  }
}

/* Rows `idx` of ds into a new dataset. */
static NnDataset *
dataset_take (const NnDataset *ds, const guint32 *idx, int64_t n)
{
  NnDataset *out = nn_dataset_new (&ds->sample_shape, n, ds->labels ? ds->label_steps : 0, ds->y ? ds->target_dim : 0);
  for (int64_t i = 0; i < n; i++)
    nn_dataset_copy_row (out, i, ds, idx[i]);
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
  for (int64_t i = 0; i < a->n; i++)
    nn_dataset_copy_row (out, i, a, i);
  for (int64_t i = 0; i < b->n; i++)
    nn_dataset_copy_row (out, a->n + i, b, i);
  out->n_classes = MAX (a->n_classes, b->n_classes);
  out->class_names = g_strdupv (a->class_names);
  return out;
}
