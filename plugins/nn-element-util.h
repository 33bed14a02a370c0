/* Small pieces the model-running elements share (the video ones through
 * GstNnInference, nntextclassify directly). */
#pragma once

#include <nn/nn.h>

G_BEGIN_DECLS

/* The name results carry for a model file: its base name without the
 * extension. (transfer full) */
char *nn_element_model_name (const char *path);

/* The model's label of each of n classes, "class I" where it has none;
 * NULL-terminated. (transfer full) */
char **nn_element_model_labels (const NnModel *m, int n);

G_END_DECLS
