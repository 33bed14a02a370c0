/* libFuzzer target: the ONNX importer (nn_model_import_onnx): protobuf-c's
 * unpacking behind the nesting check, the tensor readers (raw_data and typed
 * fields), constant folding and the mapping onto layers. Seeds: the
 * fixtures of tests/fixtures/onnx/ (corpus/onnx/). A model it imports is run
 * once on a small batch. */
#include "fuzz-util.h"
#include "nn-private.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  char *path = fuzz_write ("f.onnx", data, size);
  GError *err = NULL;
  NnModel *m = nn_model_import_onnx (path, NULL, &err);
  FUZZ_CHECK_ERROR (m != NULL, err);
  g_clear_error (&err);
  /* a model whose sample fits in 1 MB runs: the importer's layers and shapes
   * must agree with what the layers compute */
  if (m && nn_shape_numel (nn_model_input_shape (m)) <= (1 << 18) &&
      nn_shape_numel (nn_model_output_shape (m)) <= (1 << 18)) {
    int64_t n = nn_shape_numel (nn_model_input_shape (m));
    float *x = g_new0 (float, MAX (n, 1));
    const float *y = nn_model_forward (m, x, 1, FALSE, &err);
    FUZZ_CHECK_ERROR (y != NULL, err);
    g_clear_error (&err);
    g_free (x);
  }
  if (m)
    nn_model_free (m);
  g_unlink (path);
  g_free (path);
  return 0;
}
