/* Dataset loaders: internals shared by the core/data sources and their tests.
 * Not installed. */
#pragma once

#include "nn-private.h"

/* What a loader needs to know about the model it loads for; nn_dataset_load_spec
 * fills it from an NnSpec (nn_data_target_init), tests fill it by hand. */
typedef struct {
  NnShape      input;        /* per-sample input shape */
  int64_t      n_out;        /* numel of the per-sample output */
  NnPreprocess pre;          /* images: size, channels, rescale, mean/std */
  int          n_labels;     /* the model's label names, or 0 */
  const char *const *labels; /* (n_labels) */
  double       fps;          /* video: frames kept per second, 0 = all (preprocess "fps") */
  int          clips;        /* video: most clips per video (preprocess "clips"), 0 = 1 */
  const char  *vocab;        /* text: the spec's "vocab" string (UTF-8 characters in index order), or NULL */
  const NnSpec *spec;        /* textcls: the spec, whose "text" words the training data fills in; or NULL */
  double       holdout;      /* textcls: the rows nn_dataset_split (holdout, holdout_seed) will hold out */
  guint64      holdout_seed; /* for validation add no word to the vocabulary; 0: every row trains */
} NnDataTarget;

/* The seeded order nn_dataset_split takes rows in: the first n - *n_val of
 * *idx (transfer full) train, the rest validate. */
gboolean nn_data_split_order (int64_t n, double fraction, guint64 seed, guint32 **idx, int64_t *n_val,
                              GError **error);

/* Row i of `from` into row k of `to`: inputs, labels, targets and alpha
 * (dataset.c). */
void nn_dataset_copy_row (NnDataset *to, int64_t k, const NnDataset *from, int64_t i);
/* Bytes of ds->alpha per sample. */
gsize nn_dataset_alpha_plane (const NnDataset *ds);

/* Dispatch on the URI scheme (csv:, idx:, folder:). */
NnDataset *nn_data_load_uri (const char *uri, const NnDataTarget *t, GError **error);
NnDataset *nn_data_load_csv (const char *path, const NnDataTarget *t, GError **error);
NnDataset *nn_data_load_idx (const char *prefix, const NnDataTarget *t, GError **error);
NnDataset *nn_data_load_folder (const char *dir, const NnDataTarget *t, GError **error);
/* text:FILE, next-character windows over t->vocab (text.c). */
NnDataset *nn_data_load_text (const char *path, const NnDataTarget *t, GError **error);
/* textcls:FILE, label<TAB>text lines for word classifiers (textcls.c). */
NnDataset *nn_data_load_textcls (const char *path, const NnDataTarget *t, GError **error);
/* The vocabulary training found (transfer full: words), into the spec's
 * "text" block and its JSON (spec.c). */
void nn_spec_set_text_words (NnSpec *spec, char **words);
/* The model's spec's top-level "vocab" string (transfer full), or NULL. */
char *nn_data_spec_vocab (const NnModel *m);
/* t from a spec and the network's per-sample output shape; t->labels point
 * into the spec. */
void nn_data_target_init (NnDataTarget *t, const NnSpec *spec, const NnShape *output);
/* folder: dispatches on the input: images (folder.c) or, for [T, C, H, W]
 * inputs, one sample per clip of each video (video.c). */
NnDataset *nn_data_load_image_folder (const char *dir, const NnDataTarget *t, GError **error);
NnDataset *nn_data_load_video_folder (const char *dir, const NnDataTarget *t, GError **error);

/* ---- classes.c: class folders and label names ---- */

/* Index of `name` among the target's labels, or -1. */
int nn_data_label_index (const NnDataTarget *t, const char *name);
/* The target's labels as a NULL-terminated copy, or NULL when it has none. */
char **nn_data_label_copy (const NnDataTarget *t);

/* Sorted entries of dir (no hidden ones) that pass `test` (folder: images and videos). */
GPtrArray *nn_data_list_sorted (const char *dir, GFileTest test, GError **error);
/* Class index of each class folder: the target's label of that name, or its
 * rank when the target has no labels (then the counts must match). */
gboolean nn_data_class_indices (const char *dir, GPtrArray *classes, const NnDataTarget *t, int *index,
                                GError **error);
/* The dataset's class names: the target's labels, else the folder names. */
char **nn_data_class_names (GPtrArray *classes, const NnDataTarget *t);
