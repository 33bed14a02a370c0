/* ONNX import: every fixture of tests/fixtures/onnx/ (PyTorch modules
 * exported by torch.onnx.export, listed in its README.md) imported and run
 * against PyTorch's output, and one test per kind of bad input, each checking
 * the error's code and what its one line names. Broken models are made here
 * from a fixture through the generated protobuf-c code. */
#include "io/onnx-private.h"
#include <check.h>
#include <glib/gstdio.h>
#include "../check-run.h"

static char *fixdir;
static char *tmpdir;

static void
setup (void)
{
  const char *root = g_getenv ("NN_SOURCE_ROOT");
  ck_assert_msg (root != NULL, "NN_SOURCE_ROOT is not set (run through meson test)");
  fixdir = g_build_filename (root, "tests", "fixtures", "onnx", NULL);
  g_autoptr (GError) err = NULL;
  tmpdir = g_dir_make_tmp ("nn-onnx-XXXXXX", &err);
  ck_assert_msg (tmpdir != NULL, "g_dir_make_tmp: %s", err ? err->message : "?");
}

static void
teardown (void)
{
  GDir *d = g_dir_open (tmpdir, 0, NULL);
  const char *f;
  while (d && (f = g_dir_read_name (d))) {
    g_autofree char *p = g_build_filename (tmpdir, f, NULL);
    g_unlink (p);
  }
  if (d)
    g_dir_close (d);
  g_rmdir (tmpdir);
  g_clear_pointer (&tmpdir, g_free);
  g_clear_pointer (&fixdir, g_free);
}

/* The fixture names: the first column of DIR/README.md's table. */
static GPtrArray *
fixture_names (const char *dir)
{
  g_autofree char *readme = g_build_filename (dir, "README.md", NULL);
  g_autofree char *text = NULL;
  g_autoptr (GError) err = NULL;
  ck_assert_msg (g_file_get_contents (readme, &text, NULL, &err), "%s", err ? err->message : "");
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  for (int i = 0; lines[i]; i++) {
    if (!g_str_has_prefix (lines[i], "| "))
      continue;
    g_auto (GStrv) cells = g_strsplit (lines[i] + 2, " |", 2);
    char *name = g_strstrip (g_strdup (cells[0]));
    if (g_str_equal (name, "fixture") || name[0] == '-' || !name[0])
      g_free (name);
    else
      g_ptr_array_add (names, name);
  }
  return names;
}

/* y within 1e-4 of PyTorch's, relative above 1. */
static void
compare (const char *name, const float *got, const float *want, int64_t n)
{
  int64_t bad = 0, first = -1;
  double worst = 0;
  for (int64_t i = 0; i < n; i++) {
    double d = fabs ((double) got[i] - want[i]), lim = 1e-4 * MAX (1.0, fabs (want[i]));
    if (!(d <= lim)) {
      if (first < 0)
        first = i;
      bad++;
    }
    worst = MAX (worst, d / MAX (1.0, fabs (want[i])));
  }
  ck_assert_msg (bad == 0, "%s: %" G_GINT64_FORMAT " of %" G_GINT64_FORMAT " outputs differ from PyTorch's by more "
                 "than 1e-4 (first at %" G_GINT64_FORMAT ": %g, PyTorch %g; worst %g)", name, bad, n, first,
                 got[first], want[first], worst);
}

/* One fixture: import NAME.onnx (nn_model_load, sidecar found beside it), run
 * NAME.io.safetensors' input, compare with its output. */
static void
run_fixture (const char *dir, const char *name)
{
  g_autofree char *onnx = g_strdup_printf ("%s/%s.onnx", dir, name);
  g_autofree char *io = g_strdup_printf ("%s/%s.io.safetensors", dir, name);
  ck_assert_msg (g_file_test (onnx, G_FILE_TEST_IS_REGULAR), "%s: listed in README.md but missing", onnx);
  ck_assert_msg (g_file_test (io, G_FILE_TEST_IS_REGULAR), "%s: listed in README.md but missing", io);
  g_autoptr (GError) err = NULL;
  g_autoptr (NnModel) m = nn_model_load (onnx, &err);
  ck_assert_msg (m != NULL, "%s", err ? err->message : "");
  g_autoptr (NnSafetensors) st = nn_safetensors_open (io, &err);
  ck_assert_msg (st != NULL, "%s", err ? err->message : "");
  const NnStTensor *xi = nn_safetensors_get (st, "input"), *yo = nn_safetensors_get (st, "output");
  ck_assert_msg (xi && yo, "%s: no input or output tensor", io);
  int n = (int) xi->shape.dim[0];
  /* the model's per-sample shapes are the fixture's without the batch */
  NnShape in = { xi->shape.ndim - 1 }, out = { yo->shape.ndim - 1 };
  for (int i = 1; i < xi->shape.ndim; i++)
    in.dim[i - 1] = xi->shape.dim[i];
  for (int i = 1; i < yo->shape.ndim; i++)
    out.dim[i - 1] = yo->shape.dim[i];
  char a[64], b[64];
  ck_assert_msg (nn_shape_equal (nn_model_input_shape (m), &in), "%s: input %s, PyTorch's %s", name,
                 nn_shape_to_string (nn_model_input_shape (m), a, sizeof a), nn_shape_to_string (&in, b, sizeof b));
  ck_assert_msg (nn_shape_equal (nn_model_output_shape (m), &out), "%s: output %s, PyTorch's %s", name,
                 nn_shape_to_string (nn_model_output_shape (m), a, sizeof a), nn_shape_to_string (&out, b, sizeof b));
  g_autofree float *x = g_new (float, nn_shape_numel (&xi->shape));
  g_autofree float *want = g_new (float, nn_shape_numel (&yo->shape));
  ck_assert (nn_safetensors_read_f32 (st, "input", &xi->shape, x, &err));
  ck_assert (nn_safetensors_read_f32 (st, "output", &yo->shape, want, &err));
  const float *y = nn_model_forward (m, x, n, FALSE, &err);
  ck_assert_msg (y != NULL, "%s: %s", name, err ? err->message : "");
  compare (name, y, want, nn_shape_numel (&yo->shape));
}

/* Every fixture README.md lists in `dir`, at least `min` of them; the list
 * and the folder agree (a fixture added without a row would not run). */
static void
run_dir (const char *dir, guint min)
{
  g_autoptr (GPtrArray) names = fixture_names (dir);
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  ck_assert_msg (d != NULL, "%s: no such folder", dir);
  const char *f;
  int onnx_files = 0;
  while ((f = g_dir_read_name (d)))
    if (g_str_has_suffix (f, ".onnx")) {
      g_autofree char *base = g_strndup (f, strlen (f) - 5);
      gboolean listed = FALSE;
      for (guint i = 0; i < names->len; i++)
        listed |= g_str_equal (g_ptr_array_index (names, i), base);
      ck_assert_msg (listed, "%s: not in README.md's table", f);
      onnx_files++;
    }
  ck_assert_int_ge (names->len, min);
  ck_assert_int_eq (onnx_files, names->len);
  for (guint i = 0; i < names->len; i++)
    run_fixture (dir, g_ptr_array_index (names, i));
}

/* Opsets 13 and 17: one module per op and the shipped models (h2's
 * make-onnx-fixtures.py). */
START_TEST (test_fixtures)
{
  run_dir (fixdir, 60);
}
END_TEST

/* Opsets 11 and 12: the older forms (axes as attributes, Softmax over the
 * trailing axes, ...), tests/fixtures/onnx-opset11/make-fixtures.py. */
START_TEST (test_fixtures_opset11)
{
  g_autofree char *dir = g_build_filename (fixdir, "..", "onnx-opset11", NULL);
  run_dir (dir, 30);
}
END_TEST

/* The whole models get what ONNX lacks from their sidecar NAME.json. */
START_TEST (test_sidecar)
{
  g_autofree char *lenet = g_build_filename (fixdir, "fashion-lenet.onnx", NULL);
  g_autoptr (GError) err = NULL;
  g_autoptr (NnModel) m = nn_model_load (lenet, &err);
  ck_assert_msg (m != NULL, "%s", err ? err->message : "");
  ck_assert_int_eq (nn_model_n_labels (m), 10);
  ck_assert_str_eq (nn_model_label (m, 9), "ankle-boot");
  ck_assert_int_eq (nn_model_kind (m), NN_MODEL_KIND_IMAGE_CLASSIFIER);
  ck_assert_float_eq_tol (nn_model_preprocess (m)->rescale, 1.0f / 255, 1e-7f);
  /* PyTorch's module names become the layers' and tensors' names */
  int np;
  NnParam *p = nn_model_params (m, &np);
  ck_assert_str_eq (p[0].name, "0.weight");
  /* an explicit sidecar and overrides; a missing sidecar is an error naming it */
  g_autofree char *side = g_build_filename (tmpdir, "side.json", NULL);
  ck_assert (g_file_set_contents (side, "{\"labels\": [\"a\",\"b\",\"c\",\"d\",\"e\",\"f\",\"g\",\"h\",\"i\",\"j\"],"
                                  " \"preprocess\": {\"rescale\": 0.5}}", -1, NULL));
  g_autoptr (NnModel) m2 = nn_model_import_onnx_with (lenet, side, "{\"preprocess\": {\"rescale\": 0.25}}", &err);
  ck_assert_msg (m2 != NULL, "%s", err ? err->message : "");
  ck_assert_str_eq (nn_model_label (m2, 0), "a");
  ck_assert_float_eq_tol (nn_model_preprocess (m2)->rescale, 0.25f, 1e-7f);
  g_autofree char *nope = g_build_filename (tmpdir, "nope.json", NULL);
  NnModel *m3 = nn_model_import_onnx (lenet, nope, &err);
  ck_assert (m3 == NULL && err && strstr (err->message, "nope.json"));
  g_clear_error (&err);
  ck_assert (g_file_set_contents (side, "{\"labelz\": []}", -1, NULL));
  m3 = nn_model_import_onnx (lenet, side, &err);
  ck_assert_msg (m3 == NULL && err && strstr (err->message, "labelz"), "%s", err ? err->message : "loaded");
  g_clear_error (&err);
  /* three labels for ten outputs */
  m3 = nn_model_import_onnx_with (lenet, NULL, "{\"labels\": [\"a\", \"b\", \"c\"]}", &err);
  ck_assert_msg (m3 == NULL && err && strstr (err->message, "3 labels"), "%s", err ? err->message : "loaded");
}
END_TEST

/* ---- bad input ------------------------------------------------------------------ */

static Onnx__ModelProto *
fixture_proto (const char *name)
{
  g_autofree char *p = g_strdup_printf ("%s/%s.onnx", fixdir, name);
  g_autoptr (GError) err = NULL;
  Onnx__ModelProto *m = nn_onnx_read (p, &err);
  ck_assert_msg (m != NULL, "%s", err ? err->message : "");
  return m;
}

/* Write m (freed) to tmpdir/name.onnx, import it, and check it fails with
 * `code` and a message holding each of the NULL-terminated strings. */
static void
expect_error (Onnx__ModelProto *m, const char *name, int code, ...)
{
  g_autofree char *path = g_strdup_printf ("%s/%s.onnx", tmpdir, name);
  g_autoptr (GError) err = NULL;
  ck_assert_msg (nn_onnx_write (m, path, &err), "%s", err ? err->message : "");
  nn_onnx_model_free (m);
  NnModel *r = nn_model_load (path, &err);
  ck_assert_msg (r == NULL, "%s: imported", name);
  ck_assert_msg (err->code == code, "%s: code %d, want %d: %s", name, err->code, code, err->message);
  ck_assert_msg (strchr (err->message, '\n') == NULL, "%s: not one line: %s", name, err->message);
  ck_assert_msg (g_str_has_prefix (err->message, path), "%s: does not name the file: %s", name, err->message);
  va_list ap;
  va_start (ap, code);
  for (const char *s; (s = va_arg (ap, const char *));)
    ck_assert_msg (strstr (err->message, s), "%s: \"%s\" not in: %s", name, s, err->message);
  va_end (ap);
}

static Onnx__NodeProto *
find_node (Onnx__ModelProto *m, const char *op, int *index)
{
  for (size_t i = 0; i < m->graph->n_node; i++)
    if (g_str_equal (m->graph->node[i]->op_type, op)) {
      *index = (int) i;
      return m->graph->node[i];
    }
  ck_abort_msg ("no %s node", op);
  return NULL;
}

/* protobuf-c frees what it unpacked with free (): replacements are malloc'd. */
static void
set_string (char **field, const char *v)
{
  free (*field);
  *field = strdup (v);
}

/* Replaces an attribute of the same name (PyTorch writes the defaults). */
static void
add_attr (Onnx__NodeProto *n, Onnx__AttributeProto *a)
{
  for (size_t i = 0; i < n->n_attribute; i++)
    if (g_str_equal (n->attribute[i]->name, a->name)) {
      onnx__attribute_proto__free_unpacked (n->attribute[i], NULL);
      n->attribute[i] = a;
      return;
    }
  n->attribute = realloc (n->attribute, (n->n_attribute + 1) * sizeof *n->attribute);
  n->attribute[n->n_attribute++] = a;
}

static Onnx__AttributeProto *
attr_new (const char *name)
{
  Onnx__AttributeProto *a = malloc (sizeof *a);
  onnx__attribute_proto__init (a);
  a->name = strdup (name);
  a->has_type = TRUE;
  return a;
}

static void
add_attr_string (Onnx__NodeProto *n, const char *name, const char *v)
{
  Onnx__AttributeProto *a = attr_new (name);
  a->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING;
  a->has_s = TRUE;
  a->s.data = (uint8_t *) strdup (v);
  a->s.len = strlen (v);
  add_attr (n, a);
}

static void
add_attr_int (Onnx__NodeProto *n, const char *name, int64_t v)
{
  Onnx__AttributeProto *a = attr_new (name);
  a->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT;
  a->has_i = TRUE;
  a->i = v;
  add_attr (n, a);
}

static void
add_attr_ints (Onnx__NodeProto *n, const char *name, int k, int64_t v)
{
  Onnx__AttributeProto *a = attr_new (name);
  a->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS;
  a->n_ints = k;
  a->ints = malloc (k * sizeof (int64_t));
  for (int i = 0; i < k; i++)
    a->ints[i] = v;
  add_attr (n, a);
}

/* A length-delimited field `num` holding `inner`, in front of it. */
static GByteArray *
wrap (GByteArray *inner, int num)
{
  GByteArray *out = g_byte_array_new ();
  guint8 b = (guint8) (num << 3 | 2);
  g_byte_array_append (out, &b, 1);
  for (guint64 v = inner->len;; v >>= 7) {
    b = (v & 0x7f) | (v > 0x7f ? 0x80 : 0);
    g_byte_array_append (out, &b, 1);
    if (v <= 0x7f)
      break;
  }
  g_byte_array_append (out, inner->data, inner->len);
  g_byte_array_unref (inner);
  return out;
}

START_TEST (test_bad_files)
{
  g_autofree char *src = g_strdup_printf ("%s/fashion-lenet.onnx", fixdir);
  g_autofree char *bytes = NULL;
  gsize len;
  ck_assert (g_file_get_contents (src, &bytes, &len, NULL));
  struct { const char *name; gsize len; const char *text; int code; const char *want; } cases[] = {
    { "truncated", len / 2, NULL, NN_ERROR_FORMAT, "truncated or malformed" },
    { "truncated-header", 7, NULL, NN_ERROR_FORMAT, "not an ONNX model" },
    { "empty", 0, NULL, NN_ERROR_FORMAT, "empty file" },
    { "text", 0, "{\"input\": [1, 28, 28], \"layers\": []}\n", NN_ERROR_FORMAT, "not an ONNX model" },
    { "png", 0, "\x89PNG\r\n\x1a\n\0\0\0\rIHDR", NN_ERROR_FORMAT, "not an ONNX model" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autofree char *p = g_strdup_printf ("%s/%s.onnx", tmpdir, cases[i].name);
    const char *data = cases[i].text ? cases[i].text : bytes;
    gsize n = cases[i].text ? (g_str_equal (cases[i].name, "png") ? 16 : strlen (data)) : cases[i].len;
    ck_assert (g_file_set_contents (p, data, (gssize) n, NULL));
    g_autoptr (GError) err = NULL;
    NnModel *m = nn_model_load (p, &err);
    ck_assert_msg (m == NULL && err, "%s: imported", cases[i].name);
    ck_assert_msg (err->code == cases[i].code && strstr (err->message, cases[i].want) &&
                   g_str_has_prefix (err->message, p), "%s: %s", cases[i].name, err->message);
  }
  /* graphs nested in attributes 200 deep (protobuf-c would recurse into each) */
  GByteArray *g = g_byte_array_new ();
  for (int i = 0; i < 200; i++)
    g = wrap (wrap (wrap (g, 6), 5), 1);   /* AttributeProto.g, NodeProto.attribute, GraphProto.node */
  g = wrap (g, 7);                          /* ModelProto.graph */
  guint8 ir[2] = { 1 << 3, 7 };             /* ModelProto.ir_version = 7 */
  g_byte_array_prepend (g, ir, 2);
  g_autofree char *deep = g_strdup_printf ("%s/deep.onnx", tmpdir);
  ck_assert (g_file_set_contents (deep, (const char *) g->data, g->len, NULL));
  g_byte_array_unref (g);
  g_autoptr (GError) err = NULL;
  ck_assert (nn_model_load (deep, &err) == NULL);
  ck_assert_msg (err->code == NN_ERROR_FORMAT && strstr (err->message, "nested"), "%s", err->message);
  g_clear_error (&err);
  g_autofree char *missing = g_strdup_printf ("%s/missing.onnx", tmpdir);
  ck_assert (nn_model_load (missing, &err) == NULL && err->code == NN_ERROR_IO);
  g_clear_error (&err);
  ck_assert (nn_model_load (tmpdir, &err) == NULL && err->code == NN_ERROR_IO);
}
END_TEST

START_TEST (test_bad_graphs)
{
  int idx;
  char idxs[32];
  Onnx__ModelProto *m;
  Onnx__NodeProto *n;

  /* an op we do not map: its type, node name and index */
  m = fixture_proto ("conv-op17");
  n = find_node (m, "Conv", &idx);
  set_string (&n->op_type, "Einsum");
  g_snprintf (idxs, sizeof idxs, "node %d ", idx);
  g_autofree char *node_name = g_strdup (n->name);
  expect_error (m, "unsupported-op", NN_ERROR_UNKNOWN_LAYER, idxs, "Einsum", node_name, NULL);

  /* an op of another domain */
  m = fixture_proto ("relu-op17");
  n = find_node (m, "Relu", &idx);
  set_string (&n->domain, "com.microsoft");
  expect_error (m, "domain", NN_ERROR_UNKNOWN_LAYER, "com.microsoft", "Relu", NULL);

  /* attributes we do not support, each named */
  m = fixture_proto ("conv-op17");
  add_attr_string (find_node (m, "Conv", &idx), "auto_pad", "SAME_LOWER");
  expect_error (m, "auto-pad", NN_ERROR_INVALID, "auto_pad=SAME_LOWER", "Conv", NULL);
  /* an empty string attribute (unpacked as no bytes at all) */
  m = fixture_proto ("conv-op17");
  add_attr_string (find_node (m, "Conv", &idx), "auto_pad", "");
  expect_error (m, "auto-pad-empty", NN_ERROR_INVALID, "auto_pad=", NULL);
  m = fixture_proto ("conv-op17");
  add_attr_ints (find_node (m, "Conv", &idx), "dilations", 2, 2);
  expect_error (m, "dilations", NN_ERROR_INVALID, "dilations", "Conv", NULL);
  m = fixture_proto ("conv-op17");
  add_attr_int (find_node (m, "Conv", &idx), "group", 3);
  expect_error (m, "group", NN_ERROR_INVALID, "group", NULL);
  m = fixture_proto ("maxpool-op17");
  add_attr_int (find_node (m, "MaxPool", &idx), "ceil_mode", 1);
  expect_error (m, "ceil-mode", NN_ERROR_INVALID, "ceil_mode", "MaxPool", NULL);
  m = fixture_proto ("lstm-seq-op17");
  add_attr_string (find_node (m, "LSTM", &idx), "direction", "bidirectional");
  expect_error (m, "direction", NN_ERROR_INVALID, "direction=bidirectional", "LSTM", NULL);
  m = fixture_proto ("upsample-nearest-op17");
  n = find_node (m, "Resize", &idx);
  for (size_t i = 0; i < n->n_attribute; i++)
    if (g_str_equal (n->attribute[i]->name, "mode")) {
      free (n->attribute[i]->s.data);
      n->attribute[i]->s.data = (uint8_t *) strdup ("cubic");
      n->attribute[i]->s.len = 5;
    }
  expect_error (m, "resize-cubic", NN_ERROR_INVALID, "mode=cubic", "Resize", NULL);

  /* a scale too large for an integer (fuzz-onnx found it converted first) */
  m = fixture_proto ("upsample-nearest-op17");
  n = find_node (m, "Constant", &idx);
  Onnx__TensorProto *sc = n->attribute[0]->t;
  ck_assert (sc && sc->has_raw_data && sc->raw_data.len == 16);
  float huge = 1.8e28f;
  memcpy (sc->raw_data.data + 8, &huge, 4);
  expect_error (m, "huge-scale", NN_ERROR_INVALID, "Resize", "scales", NULL);

  /* a dimension other than the batch that is not known */
  m = fixture_proto ("conv-op17");
  Onnx__TensorShapeProto__Dimension *dim = m->graph->input[0]->type->tensor_type->shape->dim[2];
  dim->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
  dim->dim_param = strdup ("height");
  expect_error (m, "dynamic", NN_ERROR_SHAPE, "'height'", "fixed size", NULL);

  /* weights in an external file */
  m = fixture_proto ("gemm-op17");
  for (size_t i = 0; i < m->graph->n_initializer; i++) {
    Onnx__TensorProto *t = m->graph->initializer[i];
    t->has_data_location = TRUE;
    t->data_location = ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL;
    free (t->raw_data.data);
    t->raw_data.data = NULL;
    t->raw_data.len = 0;
    t->has_raw_data = FALSE;
  }
  expect_error (m, "external", NN_ERROR_FORMAT, "external", "Gemm", NULL);

  /* a weight whose data does not fill its dims */
  m = fixture_proto ("gemm-op17");
  m->graph->initializer[0]->raw_data.len -= 4;
  g_autofree char *init_name = g_strdup (m->graph->initializer[0]->name);
  expect_error (m, "short-weight", NN_ERROR_FORMAT, init_name, "raw_data", NULL);

  /* opsets out of range */
  m = fixture_proto ("relu-op17");
  m->opset_import[0]->version = 10;
  expect_error (m, "opset10", NN_ERROR_INVALID, "opset 10", "11 to 17", NULL);
  m = fixture_proto ("relu-op17");
  m->opset_import[0]->version = 18;
  expect_error (m, "opset18", NN_ERROR_INVALID, "opset 18", NULL);

  /* several outputs */
  m = fixture_proto ("relu-op17");
  Onnx__GraphProto *g = m->graph;
  g->output = realloc (g->output, 2 * sizeof *g->output);
  g->output[1] = malloc (sizeof (Onnx__ValueInfoProto));
  onnx__value_info_proto__init (g->output[1]);
  g->output[1]->name = strdup ("input");
  g->n_output = 2;
  expect_error (m, "two-outputs", NN_ERROR_INVALID, "2 outputs", "'output'", NULL);

  /* a branch: the conv reads the input again after a first layer */
  m = fixture_proto ("leaky-relu-op17");
  n = find_node (m, "LeakyRelu", &idx);
  g = m->graph;
  g->node = realloc (g->node, 2 * sizeof *g->node);
  g->node[1] = malloc (sizeof (Onnx__NodeProto));
  onnx__node_proto__init (g->node[1]);
  g->node[1]->op_type = strdup ("Sigmoid");
  g->node[1]->name = strdup ("second");
  g->node[1]->n_input = 1;
  g->node[1]->input = malloc (sizeof (char *));
  g->node[1]->input[0] = strdup (n->input[0]);
  g->node[1]->n_output = 1;
  g->node[1]->output = malloc (sizeof (char *));
  g->node[1]->output[0] = strdup ("other");
  g->n_node = 2;
  expect_error (m, "branch", NN_ERROR_INVALID, "node 1 (Sigmoid 'second')", "chains of layers", NULL);

  /* a node without an op type (fuzzing found the folder compared it as a
   * string: tests/fuzz/regressions/onnx/) */
  m = fixture_proto ("relu-op17");
  free (m->graph->node[0]->op_type);
  m->graph->node[0]->op_type = NULL;
  expect_error (m, "no-op-type", NN_ERROR_FORMAT, "node 0", "without an op type", NULL);
  m = fixture_proto ("reshape-op17");
  n = find_node (m, "Constant", &idx);
  free (n->op_type);
  n->op_type = NULL;
  g_snprintf (idxs, sizeof idxs, "node %d ", idx);
  expect_error (m, "no-op-type-const", NN_ERROR_FORMAT, idxs, "without an op type", NULL);

  /* a node reading a value nothing made */
  m = fixture_proto ("relu-op17");
  set_string (&m->graph->node[0]->input[0], "nowhere");
  expect_error (m, "dangling", NN_ERROR_FORMAT, "'nowhere'", NULL);

  /* an initial LSTM state that is not zeros (ConstantOfShape's value) */
  m = fixture_proto ("lstm-seq-op17");
  n = find_node (m, "ConstantOfShape", &idx);
  Onnx__TensorProto *t = n->attribute[0]->t;
  ck_assert (t && t->has_raw_data && t->raw_data.len == 4);
  float one = 1.0f;
  memcpy (t->raw_data.data, &one, 4);
  expect_error (m, "initial-state", NN_ERROR_INVALID, "initial_h", "LSTM", NULL);
  /* a state traced at batch 3 that differs per sample cannot become any batch */
  m = fixture_proto ("lstm-seq-op13");
  n = find_node (m, "Constant", &idx);
  t = n->attribute[0]->t;
  ck_assert (t && t->has_raw_data && t->raw_data.len >= 4);
  memcpy (t->raw_data.data, &one, 4);
  expect_error (m, "traced-state", NN_ERROR_SHAPE, "Expand", "traced batch of 3", NULL);
}
END_TEST

/* A NaN weight is refused naming the tensor, as in a .safetensors; allowed,
 * the LSTM carries NaN to its output (fuzz-onnx found its gate exp converting
 * NaN to an integer, undefined behaviour). */
START_TEST (test_nonfinite)
{
  Onnx__ModelProto *m = fixture_proto ("lstm-seq-op17");
  Onnx__TensorProto *t = NULL;
  for (size_t i = 0; i < m->graph->n_initializer; i++)
    if (m->graph->initializer[i]->n_dims == 3 && m->graph->initializer[i]->dims[2] == 3)
      t = m->graph->initializer[i];   /* W [1, 4H, F] */
  ck_assert (t && t->has_raw_data);
  float nan = NAN;
  memcpy (t->raw_data.data + 8, &nan, 4);
  g_autofree char *path = g_strdup_printf ("%s/nan.onnx", tmpdir);
  g_autoptr (GError) err = NULL;
  ck_assert (nn_onnx_write (m, path, &err));
  nn_onnx_model_free (m);
  NnModel *r = nn_model_load (path, &err);
  ck_assert_msg (r == NULL && err && strstr (err->message, "non-finite") && strstr (err->message, "weight_ih"),
                 "%s", err ? err->message : "loaded");
  g_clear_error (&err);
  g_autoptr (NnModel) ok = nn_model_load_flags (path, NN_LOAD_ALLOW_NONFINITE, &err);
  ck_assert_msg (ok != NULL, "%s", err ? err->message : "");
  float x[3 * 4 * 3];
  for (int i = 0; i < 36; i++)
    x[i] = 0.1f * (i % 7);
  const float *y = nn_model_forward (ok, x, 3, FALSE, &err);
  ck_assert (y != NULL);
  ck_assert_msg (isnan (y[0]), "y[0] = %g", y[0]);
}
END_TEST

/* Weights from the typed fields (float_data) import as from raw_data. */
START_TEST (test_typed_fields)
{
  Onnx__ModelProto *m = fixture_proto ("gemm-op17");
  for (size_t i = 0; i < m->graph->n_initializer; i++) {
    Onnx__TensorProto *t = m->graph->initializer[i];
    ck_assert (t->has_raw_data && t->data_type == ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT);
    t->n_float_data = t->raw_data.len / 4;
    t->float_data = malloc (t->raw_data.len);
    memcpy (t->float_data, t->raw_data.data, t->raw_data.len);
    free (t->raw_data.data);
    t->raw_data.data = NULL;
    t->raw_data.len = 0;
    t->has_raw_data = FALSE;
  }
  g_autofree char *path = g_strdup_printf ("%s/gemm-typed.onnx", tmpdir);
  g_autoptr (GError) err = NULL;
  ck_assert (nn_onnx_write (m, path, &err));
  nn_onnx_model_free (m);
  /* the io fixture beside it */
  g_autofree char *io = g_strdup_printf ("%s/gemm-op17.io.safetensors", fixdir);
  g_autofree char *io2 = g_strdup_printf ("%s/gemm-typed.io.safetensors", tmpdir);
  g_autofree char *bytes = NULL;
  gsize len;
  ck_assert (g_file_get_contents (io, &bytes, &len, NULL) && g_file_set_contents (io2, bytes, len, NULL));
  run_fixture (tmpdir, "gemm-typed");
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("onnx-import");
  TCase *tc = tcase_create ("core");
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_add_test (tc, test_fixtures);
  tcase_add_test (tc, test_fixtures_opset11);
  tcase_add_test (tc, test_sidecar);
  tcase_add_test (tc, test_bad_files);
  tcase_add_test (tc, test_bad_graphs);
  tcase_add_test (tc, test_typed_fields);
  tcase_add_test (tc, test_nonfinite);
  suite_add_tcase (s, tc);
  return nn_check_run (s);
}
