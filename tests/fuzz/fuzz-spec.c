/* libFuzzer target: the model spec parser (nn_spec_parse), its accessors and
 * its JSON writer, whose output must parse again. */
#include "fuzz-util.h"
#include "nn-private.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  char *json = g_strndup ((const char *) data, size);
  GError *err = NULL;
  NnSpec *s = nn_spec_parse (json, "fuzz.json", &err);
  FUZZ_CHECK_ERROR (s != NULL, err);
  g_clear_error (&err);
  if (s) {
    nn_shape_numel (nn_spec_input_shape (s));
    nn_spec_preprocess (s);
    nn_spec_fps (s);
    nn_spec_clips (s);
    for (int i = 0; i < nn_spec_n_labels (s); i++)
      nn_spec_label (s, i);
    nn_spec_vocab (s);
    nn_spec_is_generator (s);
    for (int i = 0; i < nn_spec_n_layers (s); i++) {
      const NnSpecLayer *l = nn_spec_layer (s, i);
      nn_spec_layer_type (l);
      nn_spec_layer_name (l);
      for (int k = 0; k < nn_spec_layer_n_options (l); k++)
        nn_spec_layer_option_name (l, k);
    }
    /* what the writer gives back is a spec again */
    char *out = nn_spec_to_json (s);
    NnSpec *again = nn_spec_parse (out, "fuzz-again.json", &err);
    if (!again) {
      fprintf (stderr, "a parsed spec written back does not parse: %s\n%s\n", err->message, out);
      abort ();
    }
    nn_spec_free (again);
    g_free (out);
    nn_spec_free (s);
  }
  g_free (json);
  return 0;
}
