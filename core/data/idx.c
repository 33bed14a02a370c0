/* idx:PREFIX — MNIST's IDX pair PREFIX-images-idx3-ubyte and
 * PREFIX-labels-idx1-ubyte, each optionally gzipped (.gz). */
#include "data-private.h"
#include <gio/gio.h>

#define IDX_MAGIC_IMAGES 0x00000803u
#define IDX_MAGIC_LABELS 0x00000801u

/* The whole (decompressed) file. */
static GBytes *
read_maybe_gz (const char *path, GError **error)
{
  g_autoptr (GFile) file = g_file_new_for_path (path);
  g_autoptr (GError) err = NULL;
  g_autoptr (GInputStream) in = G_INPUT_STREAM (g_file_read (file, NULL, &err));
  if (!in) {
    g_set_error (error, NN_ERROR, NN_ERROR_IO, "%s: %s", path, err->message);
    return NULL;
  }
  if (g_str_has_suffix (path, ".gz")) {
    g_autoptr (GZlibDecompressor) z = g_zlib_decompressor_new (G_ZLIB_COMPRESSOR_FORMAT_GZIP);
    GInputStream *conv = g_converter_input_stream_new (in, G_CONVERTER (z));
    g_object_unref (in);
    in = conv;
  }
  g_autoptr (GOutputStream) mem = g_memory_output_stream_new_resizable ();
  if (g_output_stream_splice (mem, in, G_OUTPUT_STREAM_SPLICE_CLOSE_SOURCE | G_OUTPUT_STREAM_SPLICE_CLOSE_TARGET,
                              NULL, &err) < 0) {
    g_set_error (error, NN_ERROR, NN_ERROR_FORMAT, "%s: %s: %s", path,
                 g_str_has_suffix (path, ".gz") ? "truncated or corrupt gzip data" : "cannot read", err->message);
    return NULL;
  }
  return g_memory_output_stream_steal_as_bytes (G_MEMORY_OUTPUT_STREAM (mem));
}

/* PREFIX<sep>kind.idxN-ubyte[.gz], the first that exists. */
static char *
find_file (const char *prefix, const char *kind, int ndim)
{
  static const char *const patterns[] = { "%s-%s-idx%d-ubyte", "%s-%s-idx%d-ubyte.gz",
                                          "%s-%s.idx%d-ubyte", "%s-%s.idx%d-ubyte.gz" };
  for (gsize i = 0; i < G_N_ELEMENTS (patterns); i++) {
    char *p = g_strdup_printf (patterns[i], prefix, kind, ndim);
    if (g_file_test (p, G_FILE_TEST_EXISTS))
      return p;
    g_free (p);
  }
  return NULL;
}

static guint32
be32 (const guint8 *p)
{
  return (guint32) p[0] << 24 | (guint32) p[1] << 16 | (guint32) p[2] << 8 | p[3];
}

/* Checks magic and size; *count and dims[] from the header. */
static const guint8 *
parse_header (GBytes *bytes, const char *path, guint32 magic, int ndim, guint32 *dims, GError **error)
{
  gsize len;
  const guint8 *p = g_bytes_get_data (bytes, &len);
  gsize header = 4 + 4 * (gsize) ndim;
  if (len < header) {
    g_set_error (error, NN_ERROR, NN_ERROR_FORMAT, "%s: truncated IDX header (%" G_GSIZE_FORMAT " bytes)",
                 path, len);
    return NULL;
  }
  if (be32 (p) != magic) {
    g_set_error (error, NN_ERROR, NN_ERROR_FORMAT, "%s: bad IDX magic 0x%08x, expected 0x%08x",
                 path, be32 (p), magic);
    return NULL;
  }
  guint64 want = 1;
  gboolean overflow = FALSE;
  for (int i = 0; i < ndim; i++) {
    dims[i] = be32 (p + 4 + 4 * i);
    overflow |= !g_uint64_checked_mul (&want, want, dims[i]);
  }
  if (overflow || len - header != want) {
    g_set_error (error, NN_ERROR, NN_ERROR_FORMAT,
                 "%s: %s: header says %" G_GUINT64_FORMAT " data bytes, file has %" G_GSIZE_FORMAT,
                 path, len - header < want ? "truncated" : "trailing data", want, len - header);
    return NULL;
  }
  return p + header;
}

static gboolean
check_image_shape (const NnDataTarget *t, const char *path, guint32 rows, guint32 cols, GError **error)
{
  const NnShape *in = &t->input;
  gboolean ok = nn_shape_numel (in) == (int64_t) rows * cols;
  if (in->ndim == 3)
    ok = ok && in->dim[0] == 1 && in->dim[1] == rows && in->dim[2] == cols;
  if (!ok) {
    char buf[64];
    g_set_error (error, NN_ERROR, NN_ERROR_SHAPE, "%s: %ux%u gray images do not fit the model input %s",
                 path, rows, cols, nn_shape_to_string (in, buf, sizeof buf));
  }
  return ok;
}

static NnDataset *
load_pair (const char *img_path, GBytes *img, const char *lab_path, GBytes *lab,
           const NnDataTarget *t, GError **error)
{
  guint32 idim[3], ldim[1];
  const guint8 *px = parse_header (img, img_path, IDX_MAGIC_IMAGES, 3, idim, error);
  if (!px)
    return NULL;
  const guint8 *lb = parse_header (lab, lab_path, IDX_MAGIC_LABELS, 1, ldim, error);
  if (!lb)
    return NULL;
  if (idim[0] != ldim[0]) {
    g_set_error (error, NN_ERROR, NN_ERROR_FORMAT, "%s: %u images but %s has %u labels",
                 img_path, idim[0], lab_path, ldim[0]);
    return NULL;
  }
  if (idim[0] == 0) {
    g_set_error (error, NN_ERROR, NN_ERROR_EMPTY, "%s: no images", img_path);
    return NULL;
  }
  if (!check_image_shape (t, img_path, idim[1], idim[2], error))
    return NULL;
  for (guint32 i = 0; i < ldim[0]; i++)
    if (lb[i] >= t->n_out) {
      g_set_error (error, NN_ERROR, NN_ERROR_FORMAT,
                   "%s: label %u of sample %u is out of range for a model with %" G_GINT64_FORMAT " outputs",
                   lab_path, lb[i], i, t->n_out);
      return NULL;
    }
  NnDataset *ds = nn_dataset_new (&t->input, idim[0], TRUE, 0);
  gsize total = (gsize) idim[0] * idim[1] * idim[2];
  float sd = t->pre.std[0] != 0.0f ? t->pre.std[0] : 1.0f;
  float a = t->pre.rescale / sd, b = -t->pre.mean[0] / sd;
  for (gsize i = 0; i < total; i++)
    ds->x[i] = px[i] * a + b;
  for (guint32 i = 0; i < ldim[0]; i++)
    ds->labels[i] = lb[i];
  ds->n_classes = (int) t->n_out;
  if (t->n_labels == t->n_out)
    ds->class_names = nn_data_label_copy (t);
  return ds;
}

NnDataset *
nn_data_load_idx (const char *prefix, const NnDataTarget *t, GError **error)
{
  g_autofree char *img_path = find_file (prefix, "images", 3);
  g_autofree char *lab_path = find_file (prefix, "labels", 1);
  if (!img_path || !lab_path) {
    g_set_error (error, NN_ERROR, NN_ERROR_IO, "%s-%s-idx%d-ubyte[.gz]: no such file",
                 prefix, img_path ? "labels" : "images", img_path ? 1 : 3);
    return NULL;
  }
  g_autoptr (GBytes) img = read_maybe_gz (img_path, error);
  if (!img)
    return NULL;
  g_autoptr (GBytes) lab = read_maybe_gz (lab_path, error);
  if (!lab)
    return NULL;
  return load_pair (img_path, img, lab_path, lab, t, error);
}
