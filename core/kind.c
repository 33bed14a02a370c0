/* What kind of model a spec declares, so that each element runs only the
 * kind it was made for (docs/security.md): a shape that happens to fit is not
 * enough (a text model with input [64] is not an 8x8 image). */
#include "nn-private.h"

/* A text model: it declares a vocabulary, or its first layer embeds tokens. */
static gboolean
is_text (const NnSpec *spec)
{
  if (nn_spec_vocab (spec))
    return TRUE;
  if (nn_spec_n_layers (spec) == 0)
    return FALSE;
  return g_strcmp0 (nn_spec_layer_type (nn_spec_layer (spec, 0)), "embedding") == 0;
}

/* [1|3, H, W], or [N] with N a perfect square (a flattened gray image). */
static gboolean
is_image (const NnShape *s)
{
  if (s->ndim == 3)
    return s->dim[0] == 1 || s->dim[0] == 3;
  if (s->ndim != 1 || s->dim[0] <= 0)
    return FALSE;
  int64_t r = (int64_t) llround (sqrt ((double) s->dim[0]));
  return r * r == s->dim[0];
}

NnModelKind
nn_model_kind (const NnModel *m)
{
  const NnSpec *spec = nn_model_get_spec (m);
  const NnShape *in = nn_model_input_shape (m), *out = nn_model_output_shape (m);
  if (nn_spec_is_generator (spec))
    return NN_MODEL_KIND_GENERATOR;
  if (is_text (spec))
    return NN_MODEL_KIND_TEXT;
  if (in->ndim == 4 && (in->dim[1] == 1 || in->dim[1] == 3))
    return out->ndim == 1 ? NN_MODEL_KIND_CLIP_CLASSIFIER : NN_MODEL_KIND_OTHER;
  if (is_image (in))
    return out->ndim == 1 ? NN_MODEL_KIND_IMAGE_CLASSIFIER : out->ndim == 3 ? NN_MODEL_KIND_CLASS_MAP
                                                                            : NN_MODEL_KIND_OTHER;
  return NN_MODEL_KIND_OTHER;
}

const char *
nn_model_kind_name (NnModelKind kind)
{
  switch (kind) {
  case NN_MODEL_KIND_IMAGE_CLASSIFIER:
    return "an image classifier";
  case NN_MODEL_KIND_CLASS_MAP:
    return "a class map model";
  case NN_MODEL_KIND_CLIP_CLASSIFIER:
    return "a video clip classifier";
  case NN_MODEL_KIND_TEXT:
    return "a text model";
  case NN_MODEL_KIND_GENERATOR:
    return "a generator";
  case NN_MODEL_KIND_OTHER:
  default:
    return "a model of no kind an element runs";
  }
}

gboolean
nn_model_check_kind (const NnModel *m, NnModelKind want, GError **error)
{
  NnModelKind got = nn_model_kind (m);
  if (got == want)
    return TRUE;
  char in[64], out[64];
  const char *src = nn_spec_source (nn_model_get_spec (m));
  g_set_error (error, NN_ERROR, NN_ERROR_INVALID, "%s%sexpected %s, the spec declares %s (input %s, output %s)",
               src ? src : "", src ? ": " : "", nn_model_kind_name (want), nn_model_kind_name (got),
               nn_shape_to_string (nn_model_input_shape (m), in, sizeof in),
               nn_shape_to_string (nn_model_output_shape (m), out, sizeof out));
  return FALSE;
}
