/* idx: datasets from small IDX files written here (plain and gzipped), and
 * Fashion-MNIST's t10k when the machine has it. */
#include "data/data-private.h"
#include <check.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include "../check-run.h"

static char *tmpdir;

static void
setup (void)
{
  tmpdir = g_dir_make_tmp ("nn-idx-XXXXXX", NULL);
  ck_assert_ptr_nonnull (tmpdir);
}

static void
teardown (void)
{
  g_autoptr (GDir) d = g_dir_open (tmpdir, 0, NULL);
  const char *n;
  while (d && (n = g_dir_read_name (d))) {
    g_autofree char *p = g_build_filename (tmpdir, n, NULL);
    g_unlink (p);
  }
  g_rmdir (tmpdir);
  g_clear_pointer (&tmpdir, g_free);
}

static void
put_be32 (GByteArray *a, guint32 v)
{
  guint8 b[4] = { v >> 24, v >> 16, v >> 8, v };
  g_byte_array_append (a, b, 4);
}

static void
write_bytes (const char *path, const guint8 *data, gsize len, gboolean gz)
{
  if (!gz) {
    ck_assert (g_file_set_contents (path, (const char *) data, len, NULL));
    return;
  }
  g_autoptr (GFile) f = g_file_new_for_path (path);
  g_autoptr (GFileOutputStream) fo = g_file_replace (f, NULL, FALSE, G_FILE_CREATE_NONE, NULL, NULL);
  ck_assert_ptr_nonnull (fo);
  g_autoptr (GZlibCompressor) z = g_zlib_compressor_new (G_ZLIB_COMPRESSOR_FORMAT_GZIP, -1);
  g_autoptr (GOutputStream) out = g_converter_output_stream_new (G_OUTPUT_STREAM (fo), G_CONVERTER (z));
  ck_assert (g_output_stream_write_all (out, data, len, NULL, NULL, NULL));
  ck_assert (g_output_stream_close (out, NULL, NULL));
}

/* PREFIX-images-idx3-ubyte[.gz] with n images of rows x cols, pixel
 * (i, k) = (i * 16 + k) & 255, and labels i % n_classes; `extra` bytes
 * appended (negative: cut) to the images file. */
static char *
make_idx (const char *name, guint32 n, guint32 rows, guint32 cols, int n_classes, gboolean gz,
          guint32 img_magic, guint32 lab_magic, guint32 n_labels, int extra)
{
  char *prefix = g_build_filename (tmpdir, name, NULL);
  g_autoptr (GByteArray) img = g_byte_array_new ();
  put_be32 (img, img_magic);
  put_be32 (img, n);
  put_be32 (img, rows);
  put_be32 (img, cols);
  for (guint32 i = 0; i < n; i++)
    for (guint32 k = 0; k < rows * cols; k++) {
      guint8 v = (i * 16 + k) & 255;
      g_byte_array_append (img, &v, 1);
    }
  if (extra > 0)
    for (int i = 0; i < extra; i++)
      g_byte_array_append (img, (guint8 *) "\0", 1);
  else if (extra < 0)
    g_byte_array_set_size (img, img->len + extra);
  g_autoptr (GByteArray) lab = g_byte_array_new ();
  put_be32 (lab, lab_magic);
  put_be32 (lab, n_labels);
  for (guint32 i = 0; i < n_labels; i++) {
    guint8 v = i % n_classes;
    g_byte_array_append (lab, &v, 1);
  }
  g_autofree char *ip = g_strdup_printf ("%s-images-idx3-ubyte%s", prefix, gz ? ".gz" : "");
  g_autofree char *lp = g_strdup_printf ("%s-labels-idx1-ubyte%s", prefix, gz ? ".gz" : "");
  write_bytes (ip, img->data, img->len, gz);
  write_bytes (lp, lab->data, lab->len, gz);
  return prefix;
}

static NnDataTarget
target (NnShape in, int n_out)
{
  NnDataTarget t = { 0 };
  t.input = in;
  t.n_out = n_out;
  t.pre = (NnPreprocess) { 1, 28, 28, 1.0f / 255, { 0 }, { 1, 1, 1 } };
  return t;
}

static void
check_small (const NnDataset *ds, guint32 n, guint32 px, int n_classes, float a, float b)
{
  ck_assert_int_eq (ds->n, n);
  ck_assert_int_eq (ds->n_classes, n_classes);
  for (guint32 i = 0; i < n; i++) {
    ck_assert_int_eq (ds->labels[i], i % n_classes);
    for (guint32 k = 0; k < px; k++)
      ck_assert_float_eq_tol (ds->x[i * px + k], ((i * 16 + k) & 255) * a + b, 1e-6f);
  }
}

START_TEST (test_plain_and_gz)
{
  for (int gz = 0; gz < 2; gz++) {
    g_autofree char *prefix = make_idx (gz ? "gz" : "plain", 5, 2, 3, 4, gz, 0x803, 0x801, 5, 0);
    NnDataTarget t = target (nn_shape_1d (6), 4);
    g_autoptr (GError) err = NULL;
    g_autoptr (NnDataset) ds = nn_data_load_idx (prefix, &t, &err);
    ck_assert_msg (ds != NULL, "%s", err ? err->message : "");
    check_small (ds, 5, 6, 4, 1.0f / 255, 0.0f);
    /* (1, rows, cols) input, mean/std applied */
    NnDataTarget t3 = target (nn_shape_3d (1, 2, 3), 4);
    t3.pre.mean[0] = 0.5f;
    t3.pre.std[0] = 0.25f;
    g_autoptr (NnDataset) d3 = nn_data_load_idx (prefix, &t3, &err);
    ck_assert_msg (d3 != NULL, "%s", err ? err->message : "");
    check_small (d3, 5, 6, 4, 1.0f / 255 / 0.25f, -2.0f);
    ck_assert_int_eq (d3->sample_shape.ndim, 3);
  }
}
END_TEST

static void
expect_error (const char *prefix, NnDataTarget t, int code, const char *needle)
{
  g_autoptr (GError) err = NULL;
  NnDataset *ds = nn_data_load_idx (prefix, &t, &err);
  ck_assert_msg (ds == NULL, "%s loaded", prefix);
  ck_assert_msg (g_error_matches (err, NN_ERROR, code), "%s: code %d: %s", prefix, err ? err->code : -1,
                 err ? err->message : "");
  ck_assert_msg (strstr (err->message, prefix) != NULL, "message does not name the file: %s", err->message);
  ck_assert_msg (strstr (err->message, needle) != NULL, "'%s' not in: %s", needle, err->message);
}

START_TEST (test_errors)
{
  NnDataTarget t = target (nn_shape_1d (6), 4);
  g_autofree char *p1 = make_idx ("magic", 3, 2, 3, 4, FALSE, 0x801, 0x801, 3, 0);
  expect_error (p1, t, NN_ERROR_FORMAT, "images-idx3-ubyte: bad IDX magic");
  g_autofree char *p2 = make_idx ("lmagic", 3, 2, 3, 4, TRUE, 0x803, 0x803, 3, 0);
  expect_error (p2, t, NN_ERROR_FORMAT, "labels-idx1-ubyte.gz: bad IDX magic");
  g_autofree char *p3 = make_idx ("count", 3, 2, 3, 4, FALSE, 0x803, 0x801, 4, 0);
  expect_error (p3, t, NN_ERROR_FORMAT, "3 images but");
  g_autofree char *p4 = make_idx ("trunc", 3, 2, 3, 4, FALSE, 0x803, 0x801, 3, -2);
  expect_error (p4, t, NN_ERROR_FORMAT, "truncated");
  g_autofree char *p5 = make_idx ("trail", 3, 2, 3, 4, TRUE, 0x803, 0x801, 3, 5);
  expect_error (p5, t, NN_ERROR_FORMAT, "trailing");
  g_autofree char *p6 = make_idx ("range", 3, 2, 3, 4, FALSE, 0x803, 0x801, 3, 0);
  expect_error (p6, target (nn_shape_1d (6), 2), NN_ERROR_FORMAT, "labels-idx1-ubyte: label 2");
  expect_error (p6, target (nn_shape_1d (7), 4), NN_ERROR_SHAPE, "2x3");
  expect_error (p6, target (nn_shape_3d (1, 3, 2), 4), NN_ERROR_SHAPE, "[1, 3, 2]");
  g_autofree char *p7 = make_idx ("empty", 0, 2, 3, 4, FALSE, 0x803, 0x801, 0, 0);
  expect_error (p7, t, NN_ERROR_EMPTY, "no images");
  g_autofree char *p8 = g_build_filename (tmpdir, "nothing", NULL);
  expect_error (p8, t, NN_ERROR_IO, "images-idx3-ubyte");

  /* header cut short */
  g_autofree char *p9 = make_idx ("short", 3, 2, 3, 4, FALSE, 0x803, 0x801, 3, 0);
  g_autofree char *ip9 = g_strconcat (p9, "-images-idx3-ubyte", NULL);
  ck_assert (g_file_set_contents (ip9, "\0\0\x08\x03\0\0", 6, NULL));
  expect_error (p9, t, NN_ERROR_FORMAT, "truncated IDX header");

  /* gzip stream cut in the middle */
  g_autofree char *p10 = make_idx ("cutgz", 40, 8, 8, 4, TRUE, 0x803, 0x801, 40, 0);
  g_autofree char *ip10 = g_strconcat (p10, "-images-idx3-ubyte.gz", NULL);
  g_autofree char *gz = NULL;
  gsize len;
  ck_assert (g_file_get_contents (ip10, &gz, &len, NULL));
  ck_assert (g_file_set_contents (ip10, gz, len / 2, NULL));
  expect_error (p10, target (nn_shape_1d (64), 4), NN_ERROR_FORMAT, "images-idx3-ubyte.gz: truncated or corrupt gzip");
  /* labels missing */
  g_autofree char *lp10 = g_strconcat (p10, "-labels-idx1-ubyte.gz", NULL);
  g_unlink (lp10);
  expect_error (p10, target (nn_shape_1d (64), 4), NN_ERROR_IO, "labels-idx1-ubyte");
}
END_TEST

#define FASHION "/usr/share/datasets/fashion-mnist/t10k"

START_TEST (test_fashion_mnist_t10k)
{
  NnDataTarget t = target (nn_shape_3d (1, 28, 28), 10);
  g_autoptr (GError) err = NULL;
  g_autoptr (NnDataset) ds = nn_data_load_uri ("idx:" FASHION, &t, &err);
  ck_assert_msg (ds != NULL, "%s", err ? err->message : "");
  ck_assert_int_eq (ds->n, 10000);
  int hist[10] = { 0 };
  for (int i = 0; i < 10000; i++) {
    ck_assert (ds->labels[i] >= 0 && ds->labels[i] < 10);
    hist[ds->labels[i]]++;
  }
  for (int c = 0; c < 10; c++)
    ck_assert_int_eq (hist[c], 1000);
  float lo = 1, hi = 0;
  double sum = 0;
  for (gsize i = 0; i < 10000 * 784; i++) {
    lo = MIN (lo, ds->x[i]);
    hi = MAX (hi, ds->x[i]);
    sum += ds->x[i];
  }
  ck_assert_float_eq (lo, 0.0f);
  ck_assert_float_eq (hi, 1.0f);
  /* Fashion-MNIST's mean pixel is about 0.286 */
  ck_assert_double_eq_tol (sum / (10000.0 * 784), 0.286, 0.01);

  /* through a model with a flat input and its own normalisation */
  g_autoptr (NnModel) m = nn_model_new_from_spec (
    "{\"input\": [784], \"preprocess\": {\"rescale\": 0.00392156862745098, \"mean\": [0.5], \"std\": [0.5]},"
    " \"layers\": [{\"name\": \"fc\", \"type\": \"dense\", \"units\": 10}, {\"type\": \"softmax\"}]}", 1, &err);
  ck_assert_msg (m != NULL, "%s", err ? err->message : "");
  g_autoptr (NnDataset) dm = nn_dataset_load ("idx:" FASHION, m, &err);
  ck_assert_msg (dm != NULL, "%s", err ? err->message : "");
  ck_assert_int_eq (dm->n, 10000);
  ck_assert_int_eq (dm->sample_shape.ndim, 1);
  for (gsize i = 0; i < 784 * 10; i++)
    ck_assert_float_eq_tol (dm->x[i], (ds->x[i] - 0.5f) / 0.5f, 1e-5f);
  ck_assert_mem_eq (dm->labels, ds->labels, sizeof (int32_t) * 10000);
}
END_TEST

static Suite *
suite (void)
{
  Suite *s = suite_create ("data-idx");
  TCase *tc = tcase_create ("core");
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_add_test (tc, test_plain_and_gz);
  tcase_add_test (tc, test_errors);
  if (g_file_test (FASHION "-images-idx3-ubyte.gz", G_FILE_TEST_EXISTS))
    tcase_add_test (tc, test_fashion_mnist_t10k);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  return nn_check_run (suite ());
}
