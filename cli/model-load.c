/* Loading the model a verb runs: a spec without weights is refused unless
 * asked for, since random outputs printed like results mislead. */
#include "nn-cli.h"

NnModel *
cli_load_model (const char *path, gboolean random_weights, GError **error)
{
  if (g_str_has_suffix (path, ".json") && !random_weights) {
    /* still parse it, so a broken spec reports its own problem first */
    g_autoptr (NnModel) m = nn_model_load (path, error);
    if (!m)
      return NULL;
    g_set_error (error, NN_ERROR, NN_ERROR_INVALID,
                 "%s: a model spec has no weights, so its outputs would come from random weights; pass a trained "
                 "model (.safetensors, made by nn train) or add --random-weights to run the spec anyway", path);
    return NULL;
  }
  return nn_model_load (path, error);
}
