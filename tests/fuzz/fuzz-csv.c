/* libFuzzer target: the CSV reader (csv:FILE). The first byte picks the
 * model it loads for (1-4 features, 1-4 outputs, class names or not); the
 * rest is the file. */
#include "fuzz-util.h"
#include "data/data-private.h"

static const char *const names[] = { "a", "b", "cat", "dog" };

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  if (size < 1)
    return 0;
  uint8_t b = data[0];
  NnDataTarget t = { 0 };
  t.input = nn_shape_1d (1 + (b & 3));
  t.n_out = 1 + ((b >> 2) & 3);
  if (b & 16) {
    t.n_labels = (int) t.n_out;
    t.labels = names;
  }
  char *path = fuzz_write ("f.csv", data + 1, size - 1);
  GError *err = NULL;
  NnDataset *ds = nn_data_load_csv (path, &t, &err);
  FUZZ_CHECK_ERROR (ds != NULL, err);
  g_clear_error (&err);
  if (ds)
    nn_dataset_free (ds);
  g_unlink (path);
  g_free (path);
  return 0;
}
