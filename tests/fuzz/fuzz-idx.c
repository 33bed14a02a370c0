/* libFuzzer target: the IDX reader (idx:PREFIX, images and labels, plain or
 * gzipped). Input: one flags byte (bit 0: 28x28 images, else 4x4; bit 1:
 * gzip names; bits 2-3: 2-5 classes), two bytes (little-endian) of images
 * file length, the images file, the labels file. */
#include "fuzz-util.h"
#include "data/data-private.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  if (size < 3)
    return 0;
  uint8_t b = data[0];
  size_t ilen = MIN ((size_t) (data[1] | data[2] << 8), size - 3);
  int side = b & 1 ? 28 : 4;
  const char *gz = b & 2 ? ".gz" : "";
  NnDataTarget t = { 0 };
  t.input = nn_shape_3d (1, side, side);
  t.n_out = 2 + ((b >> 2) & 3);
  t.pre = (NnPreprocess) { 1, side, side, 1.0f / 255, { 0, 0, 0 }, { 1, 1, 1 } };
  fuzz_clear ();
  char *iname = g_strdup_printf ("d-images-idx3-ubyte%s", gz), *lname = g_strdup_printf ("d-labels-idx1-ubyte%s", gz);
  g_free (fuzz_write (iname, data + 3, ilen));
  g_free (fuzz_write (lname, data + 3 + ilen, size - 3 - ilen));
  char *prefix = g_build_filename (fuzz_tmpdir (), "d", NULL);
  GError *err = NULL;
  NnDataset *ds = nn_data_load_idx (prefix, &t, &err);
  FUZZ_CHECK_ERROR (ds != NULL, err);
  g_clear_error (&err);
  if (ds)
    nn_dataset_free (ds);
  g_free (prefix);
  g_free (iname);
  g_free (lname);
  return 0;
}
