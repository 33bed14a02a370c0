/* libFuzzer target: the safetensors reader (nn_safetensors_open and
 * nn_safetensors_read_f32 on every tensor, whatever its dtype) and the
 * "nn.spec" of its metadata through nn_spec_parse. */
#include "fuzz-util.h"
#include "nn-private.h"

/* Tensors larger than this are not converted (the reader checked their
 * bytes lie in the file; converting them only costs memory). */
#define MAX_ELEMS (1 << 20)

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  char *path = fuzz_write ("f.safetensors", data, size);
  GError *err = NULL;
  NnSafetensors *st = nn_safetensors_open (path, &err);
  FUZZ_CHECK_ERROR (st != NULL, err);
  g_clear_error (&err);
  if (st) {
    int n = nn_safetensors_n_tensors (st);
    for (int i = 0; i < n; i++) {
      const NnStTensor *t = nn_safetensors_nth (st, i);
      int64_t numel = nn_shape_numel (&t->shape);
      if (numel < 0 || numel > MAX_ELEMS)
        continue;
      float *dst = g_new (float, numel + 1);
      gboolean ok = nn_safetensors_read_f32 (st, t->name, &t->shape, dst, &err);
      FUZZ_CHECK_ERROR (ok, err);
      g_clear_error (&err);
      g_free (dst);
    }
    /* the header's spec goes through the spec parser (fuzz-spec.c checks
     * that one further); building a model from it is not fuzzed: a spec may
     * ask for any amount of memory (docs/security.md) */
    const char *spec = nn_safetensors_metadata (st, "nn.spec");
    if (spec) {
      NnSpec *s = nn_spec_parse (spec, path, &err);
      FUZZ_CHECK_ERROR (s != NULL, err);
      g_clear_error (&err);
      if (s)
        nn_spec_free (s);
    }
    nn_safetensors_free (st);
  }
  g_unlink (path);
  g_free (path);
  return 0;
}
