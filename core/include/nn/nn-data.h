/* Datasets, named by URIs: csv:FILE, idx:PREFIX, folder:DIR. In memory, float32.
 * Include <nn/nn.h>, not this file. */
#pragma once

typedef struct {
  NnShape   sample_shape;  /* per-sample input shape, e.g. [1, 28, 28] */
  int64_t   n;             /* samples */
  float    *x;             /* (n, numel(sample_shape)) */
  int32_t  *labels;        /* (n, label_steps) class indices, or NULL for regression targets */
  int       label_steps;   /* classes per sample: 1, or T for per-step classes of a (T, classes) output */
  int       n_classes;     /* classification: number of classes */
  float    *y;             /* (n, target_dim) regression targets, or NULL */
  int       target_dim;
  char    **class_names;   /* NULL-terminated, or NULL (folder: sub-folder names) */
  /* (n, H * W) each sample's foreground coverage 0..255 at the input's
   * size, or NULL: the alpha channel of folder: images (an image without one
   * is opaque, 255), for --augment background; nn_dataset_alloc_alpha has
   * the plane of other shapes */
  uint8_t  *alpha;
} NnDataset;

/* Load `uri` shaped for `m`: the input shape, the output size (CSV target
 * columns) and the preprocessing (images) come from the model.
 * Returns (transfer full) (nullable): NULL with `error` set. */
NN_API NnDataset *nn_dataset_load (const char *uri, const NnModel *m, GError **error) G_GNUC_WARN_UNUSED_RESULT;
/* label_steps: class indices per sample (0 = none, 1 = one class, T = one per step).
 * Returns (transfer full): zero-filled. */
NN_API NnDataset *nn_dataset_new (const NnShape *sample_shape, int64_t n, int label_steps, int target_dim);
NN_API void       nn_dataset_free (NnDataset *ds);
/* Gives ds an alpha plane per sample, every sample opaque (255); returns
 * ds->alpha. A plane is (H, W) for (C, H, W) samples, T of them for clips
 * (T, C, H, W), and one value per element of other shapes. */
NN_API uint8_t   *nn_dataset_alloc_alpha (NnDataset *ds);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (NnDataset, nn_dataset_free)
/* The rows of `a` then those of `b` (rehearsal mixes stored examples of old
 * classes into new training data); class indices are the model's in both.
 * Different sample shapes or targets are an error (NN_ERROR_SHAPE).
 * Returns (transfer full) (nullable): NULL with `error` set. */
NN_API NnDataset *nn_dataset_concat (const NnDataset *a, const NnDataset *b, GError **error) G_GNUC_WARN_UNUSED_RESULT;
/* At most `per_class` rows of each class of `ds` (one class per sample), the
 * rows of a class chosen by a shuffle seeded with `seed` (the same seed, the
 * same rows), kept in `ds`'s order: a small rehearsal set of old classes.
 * Returns (transfer full) (nullable): NULL with `error` set. */
NN_API NnDataset *nn_dataset_per_class (const NnDataset *ds, int per_class, guint64 seed,
                                        GError **error) G_GNUC_WARN_UNUSED_RESULT;
/* Decode one image file (PNG, JPEG, anything libav reads) into one input
 * sample (C, H, W) of `p`'s shape, preprocessed exactly as folder: datasets. */
NN_API gboolean nn_image_load (const char *path, const NnPreprocess *p, float *out, GError **error);
/* Shuffle (seeded) and split off the last `fraction` into *val.
 * train, val: (out) (transfer full): NULL unless TRUE is returned. */
NN_API gboolean nn_dataset_split (const NnDataset *ds, double fraction, guint64 seed,
                                  NnDataset **train, NnDataset **val, GError **error);
/* nn_dataset_load then nn_dataset_split, with what the training part alone
 * decides taken from it alone: a word classifier's vocabulary (textcls:)
 * counts only the rows that train. train, val: (out) (transfer full). */
NN_API gboolean nn_dataset_load_split (const char *uri, const NnModel *m, double fraction, guint64 seed,
                                       NnDataset **train, NnDataset **val, GError **error);
