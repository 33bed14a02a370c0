/* libFuzzer target: folder: datasets, images (PNG, JPEG, ... through libav)
 * or, with FUZZ_VIDEO, videos cut into clips. Input: one flags byte (bit 0:
 * RGB, else gray; bit 1: the model names its classes; bits 2-3: which of four
 * class folder names, some of them not valid labels), one byte of file-name
 * length n, n bytes of file name (under the class folder), the file. */
#include "fuzz-util.h"
#include "data/data-private.h"
#include <libavutil/log.h>

static const char *const labels[] = { "ant", "bee" };
/* class folder names: two good, two that nn_label_check refuses */
static const char *const folders[] = { "ant", "bee", "a..b", "x\ty" };

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  (void) argc;
  (void) argv;
  av_log_set_level (AV_LOG_QUIET); /* libav's complaints about broken files, by the thousand */
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  if (size < 2)
    return 0;
  uint8_t b = data[0];
  /* at most 64 bytes: a name the file system takes (the reader, not the
   * file system, is under test) */
  size_t nlen = MIN ((size_t) data[1] & 63, size - 2);
  char *fname = g_strndup ((const char *) data + 2, nlen);
  /* a file name is one component: the fuzzer tests the reader, not the tree */
  for (char *p = fname; *p; p++)
    if (*p == '/')
      *p = '_';
  if (!*fname || g_str_equal (fname, ".") || g_str_equal (fname, "..")) {
    g_free (fname);
    fname = g_strdup ("x.png");
  }
  int c = b & 1 ? 3 : 1;
  NnDataTarget t = { 0 };
#ifdef FUZZ_VIDEO
  t.input = (NnShape) { .ndim = 4, .dim = { 2, c, 8, 8 } };
  t.clips = 1 + ((b >> 4) & 1);
  t.fps = b & 32 ? 5.0 : 0.0;
#else
  t.input = nn_shape_3d (c, 8, 8);
#endif
  t.n_out = 2;
  t.pre = (NnPreprocess) { c, 8, 8, 1.0f / 255, { 0, 0, 0 }, { 1, 1, 1 } };
  if (b & 2) {
    t.n_labels = 2;
    t.labels = labels;
  }
  fuzz_clear ();
  /* the other class holds nothing but is there, so that counts can match */
  char *other = g_build_filename (fuzz_tmpdir (), folders[(((b >> 2) & 3) + 1) % 2], NULL);
  g_mkdir_with_parents (other, 0700);
  char *rel = g_build_filename (folders[(b >> 2) & 3], fname, NULL);
  g_free (fuzz_write (rel, data + 2 + nlen, size - 2 - nlen));
  GError *err = NULL;
  NnDataset *ds = nn_data_load_folder (fuzz_tmpdir (), &t, &err);
  FUZZ_CHECK_ERROR (ds != NULL, err);
  g_clear_error (&err);
  if (ds)
    nn_dataset_free (ds);
  g_free (rel);
  g_free (other);
  g_free (fname);
  return 0;
}
