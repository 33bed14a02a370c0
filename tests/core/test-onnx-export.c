/* ONNX export (issue 18 point 3): every shipped model that has an ONNX form
 * and a small model per layer kind, at opsets 13 and 17, pass python3-onnx's
 * checker (full_check: its shape inference must agree with our shapes); the
 * graph, its input types and metadata_props read back as written; the
 * ConvLSTM model and out-of-range opsets fail naming the problem, leaving no
 * file behind. */
#include <check.h>
#include "io/onnx-private.h"
#include <glib/gstdio.h>
#include "../check-run.h"

static char *tmpdir;

static void
setup (void)
{
  GError *err = NULL;
  tmpdir = g_dir_make_tmp ("nn-onnx-export-XXXXXX", &err);
  ck_assert_msg (tmpdir != NULL, "g_dir_make_tmp: %s", err ? err->message : "?");
}

static void
teardown (void)
{
  GDir *d = g_dir_open (tmpdir, 0, NULL);
  for (const char *n; d && (n = g_dir_read_name (d));) {
    g_autofree char *p = g_build_filename (tmpdir, n, NULL);
    g_unlink (p);
  }
  if (d)
    g_dir_close (d);
  g_rmdir (tmpdir);
  g_clear_pointer (&tmpdir, g_free);
}

static char *
source_path (const char *rel)
{
  const char *root = g_getenv ("NN_SOURCE_ROOT");
  return g_build_filename (root ? root : ".", rel, NULL);
}

/* python3-onnx's checker with full_check (its shape inference runs too) on
 * every file of `paths`; each must print one "ok" line. */
static const char checker_py[] =
  "import sys, onnx\n"
  "for p in sys.argv[1:]:\n"
  "    onnx.checker.check_model(onnx.load(p), full_check=True)\n"
  "    print('ok', p)\n";

static void
check_with_onnx (GPtrArray *paths)
{
  const char *py = g_getenv ("NN_PYTHON_ONNX");
  ck_assert_msg (py && *py, "NN_PYTHON_ONNX is not set: meson found no python3 that imports onnx "
                 "(Debian: python3-onnx, see scripts/install-deps.sh)");
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_ptr_array_add (argv, (gpointer) py);
  g_ptr_array_add (argv, (gpointer) "-c");
  g_ptr_array_add (argv, (gpointer) checker_py);
  for (guint i = 0; i < paths->len; i++)
    g_ptr_array_add (argv, paths->pdata[i]);
  g_ptr_array_add (argv, NULL);
  g_autofree char *out = NULL, *err = NULL;
  int status = -1;
  GError *e = NULL;
  ck_assert_msg (g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err, &status,
                               &e), "%s", e ? e->message : "");
  ck_assert_msg (g_spawn_check_wait_status (status, NULL), "onnx checker failed:\n%s%s", out, err);
  g_auto (GStrv) lines = g_strsplit (g_strstrip (out), "\n", -1);
  ck_assert_int_eq (g_strv_length (lines), paths->len);
}

/* Batchnorm's running statistics and affine values start at 0 and 1; give
 * them values that matter. */
static void
randomize_buffers (NnModel *m, guint32 seed)
{
  g_autoptr (GRand) r = g_rand_new_with_seed (seed);
  int n;
  NnParam *p = nn_model_params (m, &n);
  for (int i = 0; i < n; i++) {
    gboolean var = g_str_has_suffix (p[i].name, ".running_var");
    if (!var && !g_str_has_suffix (p[i].name, ".running_mean") && !strstr (p[i].name, "bn"))
      continue;
    for (int64_t k = 0; k < nn_shape_numel (&p[i].shape); k++)
      p[i].data[k] = var ? (float) g_rand_double_range (r, 0.5, 1.5) : (float) g_rand_double_range (r, -1, 1);
  }
}

static char *
export_ok (NnModel *m, const char *name, int opset)
{
  char *path = g_strdup_printf ("%s/%s-op%d.onnx", tmpdir, name, opset);
  GError *e = NULL;
  ck_assert_msg (nn_model_export_onnx (m, path, opset, NULL, &e), "%s: %s", name, e ? e->message : "");
  return path;
}

/* The op types of the graph's nodes, space-separated. */
static char *
op_types (const Onnx__ModelProto *mp)
{
  GString *s = g_string_new (NULL);
  for (size_t i = 0; i < mp->graph->n_node; i++)
    g_string_append_printf (s, "%s%s", i ? " " : "", mp->graph->node[i]->op_type);
  return g_string_free (s, FALSE);
}

static const char *
metadata (const Onnx__ModelProto *mp, const char *key)
{
  for (size_t i = 0; i < mp->n_metadata_props; i++)
    if (strcmp (mp->metadata_props[i]->key, key) == 0)
      return mp->metadata_props[i]->value;
  return NULL;
}

/* Inputs for m: uniform in [-1, 1], or token indices for a model whose
 * first layer is an embedding of `vocab` rows. */
static float *
random_input (NnModel *m, int n, guint32 seed)
{
  g_autoptr (GRand) r = g_rand_new_with_seed (seed);
  const NnSpec *spec = nn_model_get_spec (m);
  const NnSpecLayer *first = nn_spec_layer (spec, 0);
  int vocab = strcmp (nn_spec_layer_type (first), "embedding") == 0 ? nn_spec_layer_int (first, "vocab") : 0;
  int64_t k = n * nn_shape_numel (nn_model_input_shape (m));
  float *x = g_new (float, k);
  for (int64_t i = 0; i < k; i++)
    x[i] = vocab ? (float) g_rand_int_range (r, 0, vocab) : (float) g_rand_double_range (r, -1, 1);
  return x;
}

/* The exported file imported back (nn_model_import_onnx, with `sidecar`)
 * gives our outputs within 1e-5 (relative above 1) on the same inputs. */
static void
check_round_trip (NnModel *m, const char *path, const char *sidecar, const char *what)
{
  GError *e = NULL;
  g_autoptr (NnModel) back = nn_model_import_onnx (path, sidecar, &e);
  ck_assert_msg (back, "%s: import: %s", what, e ? e->message : "");
  ck_assert (nn_shape_equal (nn_model_input_shape (back), nn_model_input_shape (m)));
  ck_assert (nn_shape_equal (nn_model_output_shape (back), nn_model_output_shape (m)));
  const int n = 3;
  g_autofree float *x = random_input (m, n, 29);
  const float *y = nn_model_forward (m, x, n, FALSE, &e);
  ck_assert_msg (y, "%s", e ? e->message : "");
  const float *yb = nn_model_forward (back, x, n, FALSE, &e);
  ck_assert_msg (yb, "%s", e ? e->message : "");
  int64_t k = n * nn_shape_numel (nn_model_output_shape (m));
  double worst = 0;
  for (int64_t i = 0; i < k; i++)
    worst = MAX (worst, fabs (y[i] - yb[i]) / MAX (1.0, fabs (y[i])));
  ck_assert_msg (worst <= 1e-5, "%s: imported back, outputs differ by %g", what, worst);
  /* the outputs are not all alike (a constant graph would pass the above) */
  double spread = 0;
  for (int64_t i = 1; i < k; i++)
    spread = MAX (spread, fabs (y[i] - y[0]));
  ck_assert_msg (spread > 1e-3, "%s: outputs barely vary (%g)", what, spread);
  for (int i = 0; i < nn_model_n_labels (m); i++)
    ck_assert_str_eq (nn_model_label (back, i), nn_model_label (m, i));
  ck_assert_int_eq (nn_model_n_labels (back), nn_model_n_labels (m));
}

/* One small model per layer kind and option that changes the graph, and
 * whether our importer reads the graph back (all do now: a time_distributed
 * other than a dense one, its op on a batch of N*T steps between two
 * Reshapes, comes back as time_distributed layers). */
static const struct {
  const char *name, *spec, *ops;
  gboolean round_trip;
} layer_models[] = {
  { "dense", "{\"input\": [2, 3, 4], \"layers\": [{\"name\": \"fc1\", \"type\": \"dense\", \"units\": 5, "
    "\"activation\": \"tanh\"}, {\"name\": \"fc2\", \"type\": \"dense\", \"units\": 3, \"bias\": false, "
    "\"activation\": \"sigmoid\"}]}",
    "Flatten Gemm Tanh Gemm Sigmoid", TRUE },
  { "conv", "{\"input\": [3, 9, 7], \"layers\": [{\"name\": \"c1\", \"type\": \"conv2d\", \"filters\": 4, "
    "\"kernel\": 3, \"stride\": 2, \"padding\": \"same\", \"activation\": {\"type\": \"leaky_relu\", \"slope\": 0.2}}, "
    "{\"name\": \"c2\", \"type\": \"conv2d\", \"filters\": 2, \"kernel\": [3, 2], \"padding\": [1, 0, 2, 1], "
    "\"bias\": false, \"activation\": \"relu\"}]}",
    "Conv LeakyRelu Conv Relu", TRUE },
  { "conv-transpose", "{\"input\": [3, 4, 5], \"layers\": [{\"name\": \"up\", \"type\": \"conv2d_transpose\", "
    "\"filters\": 2, \"kernel\": 3, \"stride\": 2, \"padding\": 1, \"output_padding\": 1}, {\"name\": \"bn\", "
    "\"type\": \"batchnorm2d\", \"eps\": 0.001, \"activation\": \"relu\"}, {\"name\": \"up2\", "
    "\"type\": \"conv2d_transpose\", \"filters\": 1, \"kernel\": [2, 3], \"bias\": false}]}",
    "ConvTranspose BatchNormalization Relu ConvTranspose", TRUE },
  { "pools", "{\"input\": [2, 9, 8], \"layers\": [{\"name\": \"mp\", \"type\": \"maxpool2d\", \"size\": 3, "
    "\"stride\": 2, \"padding\": 1}, {\"name\": \"ap\", \"type\": \"avgpool2d\", \"size\": 2, \"stride\": 1, "
    "\"padding\": 1}, {\"name\": \"gap\", \"type\": \"global_avgpool\"}, {\"name\": \"bn\", \"type\": "
    "\"batchnorm2d\"}, {\"name\": \"prob\", \"type\": \"softmax\"}]}",
    "MaxPool AveragePool GlobalAveragePool Flatten BatchNormalization Softmax", TRUE },
  { "upsample", "{\"input\": [2, 3, 4], \"layers\": [{\"name\": \"near\", \"type\": \"upsample2d\"}, "
    "{\"name\": \"bil\", \"type\": \"upsample2d\", \"scale\": [1, 2], \"mode\": \"bilinear\"}, {\"name\": "
    "\"flat\", \"type\": \"flatten\"}, {\"name\": \"drop\", \"type\": \"dropout\", \"rate\": 0.25}, "
    "{\"name\": \"fc\", \"type\": \"dense\", \"units\": 3, \"activation\": \"softmax\"}]}",
    "Resize Resize Flatten Dropout Gemm Softmax", TRUE },
  { "softmax-axes", "{\"input\": [3, 4, 5], \"layers\": [{\"name\": \"s0\", \"type\": \"softmax\"}, "
    "{\"name\": \"s2\", \"type\": \"softmax\", \"axis\": -1}, {\"name\": \"ls\", \"type\": "
    "\"log_softmax\", \"axis\": -1}]}",
    "Softmax Softmax LogSoftmax", TRUE },
  { "softmax-middle", "{\"input\": [3, 4, 5], \"layers\": [{\"type\": \"softmax\", \"axis\": 1}]}", "Softmax",
    TRUE },
  /* layer names are free text: values and initializers stay unique (the
   * checker demands it) whatever the names */
  { "names", "{\"input\": [2, 3], \"layers\": [{\"name\": \"output\", \"type\": \"dense\", \"units\": 4, "
    "\"activation\": \"relu\"}, {\"name\": \"output/flatten\", \"type\": \"dense\", \"units\": 3}, "
    "{\"name\": \"input\", \"type\": \"dense\", \"units\": 3}, {\"name\": \"input.weight\", \"type\": \"tanh\"}]}",
    "Flatten Gemm Relu Gemm Gemm Tanh", TRUE },
  { "rnn", "{\"input\": [5, 3], \"layers\": [{\"name\": \"r1\", \"type\": \"rnn\", \"units\": 4, "
    "\"return_sequences\": true, \"nonlinearity\": \"relu\"}, {\"name\": \"r2\", \"type\": \"rnn\", \"units\": 3}]}",
    "Transpose RNN Squeeze Transpose Transpose RNN Squeeze", TRUE },
  { "lstm", "{\"input\": [6, 3], \"layers\": [{\"name\": \"l1\", \"type\": \"lstm\", \"units\": 5, "
    "\"return_sequences\": true}, {\"name\": \"l2\", \"type\": \"lstm\", \"units\": 4}]}",
    "Transpose LSTM Squeeze Transpose Transpose LSTM Squeeze", TRUE },
  { "embedding", "{\"input\": [7], \"layers\": [{\"name\": \"emb\", \"type\": \"embedding\", \"vocab\": 11, "
    "\"units\": 4}, {\"name\": \"lstm\", \"type\": \"lstm\", \"units\": 3, \"return_sequences\": true}, "
    "{\"name\": \"head\", \"type\": \"time_distributed\", \"layer\": {\"type\": \"dense\", \"units\": 2}}, "
    "{\"name\": \"prob\", \"type\": \"softmax\", \"axis\": -1}]}",
    "Gather Transpose LSTM Squeeze Transpose MatMul Add Softmax", TRUE },
  { "time-distributed", "{\"input\": [3, 2, 6, 6], \"layers\": [{\"name\": \"conv\", \"type\": "
    "\"time_distributed\", \"layer\": {\"type\": \"conv2d\", \"filters\": 3, \"kernel\": 3, \"padding\": "
    "\"same\"}}, {\"name\": \"relu\", \"type\": \"relu\"}, {\"name\": \"pool\", \"type\": \"time_distributed\", "
    "\"layer\": {\"type\": \"maxpool2d\", \"size\": 2}}, {\"name\": \"step\", \"type\": \"time_distributed\", "
    "\"layer\": {\"type\": \"dense\", \"units\": 4}}, {\"name\": \"flat\", \"type\": \"flatten\"}, "
    "{\"name\": \"fc\", \"type\": \"dense\", \"units\": 2}]}",
    "Reshape Conv Reshape Relu Reshape MaxPool Reshape Reshape Flatten Gemm Reshape Flatten Gemm", TRUE },
};

START_TEST (test_layer_kinds)
{
  g_autoptr (GPtrArray) paths = g_ptr_array_new_with_free_func (g_free);
  for (gsize i = 0; i < G_N_ELEMENTS (layer_models); i++) {
    GError *e = NULL;
    g_autoptr (NnModel) m = nn_model_new_from_spec (layer_models[i].spec, 7 + i, &e);
    ck_assert_msg (m, "%s: %s", layer_models[i].name, e ? e->message : "");
    randomize_buffers (m, 11 + i);
    for (int opset = 13; opset <= 17; opset += 4) {
      char *path = export_ok (m, layer_models[i].name, opset);
      g_ptr_array_add (paths, path);
      if (layer_models[i].round_trip)
        check_round_trip (m, path, NULL, path);
      g_autoptr (Onnx__ModelProto) mp = nn_onnx_read (path, &e);
      ck_assert_msg (mp, "%s", e ? e->message : "");
      ck_assert_int_eq (nn_onnx_opset (mp), opset);
      g_autofree char *ops = op_types (mp);
      ck_assert_msg (strcmp (ops, layer_models[i].ops) == 0, "%s: nodes \"%s\", expected \"%s\"",
                     layer_models[i].name, ops, layer_models[i].ops);
      /* one input and one output, batch symbolic, the rest our shapes */
      ck_assert_int_eq (mp->graph->n_input, 1);
      ck_assert_int_eq (mp->graph->n_output, 1);
      const Onnx__TensorShapeProto *is = mp->graph->input[0]->type->tensor_type->shape;
      const Onnx__TensorShapeProto *os = mp->graph->output[0]->type->tensor_type->shape;
      const NnShape *in = nn_model_input_shape (m), *out = nn_model_output_shape (m);
      ck_assert_int_eq (is->n_dim, in->ndim + 1);
      ck_assert_int_eq (os->n_dim, out->ndim + 1);
      ck_assert_str_eq (is->dim[0]->dim_param, "N");
      for (int d = 0; d < in->ndim; d++)
        ck_assert_int_eq (is->dim[d + 1]->dim_value, in->dim[d]);
      for (int d = 0; d < out->ndim; d++)
        ck_assert_int_eq (os->dim[d + 1]->dim_value, out->dim[d]);
      ck_assert_int_eq (mp->graph->input[0]->type->tensor_type->elem_type,
                        strcmp (layer_models[i].name, "embedding") == 0 ? ONNX__TENSOR_PROTO__DATA_TYPE__INT64
                                                                         : ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT);
    }
  }
  check_with_onnx (paths);
}
END_TEST

/* The LSTM's W holds PyTorch's gate blocks i, f, g, o as ONNX's i, o, f, c,
 * and B = [b_ih, b_hh] in the same order. */
START_TEST (test_lstm_gate_order)
{
  GError *e = NULL;
  g_autoptr (NnModel) m = nn_model_new_from_spec ("{\"input\": [2, 3], \"layers\": [{\"name\": \"l\", "
                                                  "\"type\": \"lstm\", \"units\": 2}]}", 5, &e);
  ck_assert (m);
  g_autofree char *path = export_ok (m, "gates", 13);
  g_autoptr (Onnx__ModelProto) mp = nn_onnx_read (path, &e);
  ck_assert (mp);
  int n;
  NnParam *p = nn_model_params (m, &n);
  const NnParam *wih = NULL, *bih = NULL, *bhh = NULL;
  for (int i = 0; i < n; i++) {
    if (strcmp (p[i].name, "l.weight_ih") == 0)
      wih = &p[i];
    if (strcmp (p[i].name, "l.bias_ih") == 0)
      bih = &p[i];
    if (strcmp (p[i].name, "l.bias_hh") == 0)
      bhh = &p[i];
  }
  ck_assert (wih && bih && bhh);
  static const int torch_block[4] = { 0, 3, 1, 2 };
  int found = 0;
  for (size_t i = 0; i < mp->graph->n_initializer; i++) {
    const Onnx__TensorProto *t = mp->graph->initializer[i];
    int64_t numel;
    g_autofree float *v = nn_onnx_tensor_floats (t, &numel, &e);
    ck_assert (v);
    if (strcmp (t->name, "l.W") == 0) {
      ck_assert_int_eq (numel, 8 * 3);
      for (int b = 0; b < 4; b++)
        for (int k = 0; k < 2 * 3; k++)
          ck_assert_float_eq (v[b * 6 + k], wih->data[torch_block[b] * 6 + k]);
      found++;
    } else if (strcmp (t->name, "l.B") == 0) {
      ck_assert_int_eq (numel, 16);
      for (int b = 0; b < 4; b++)
        for (int k = 0; k < 2; k++) {
          ck_assert_float_eq (v[b * 2 + k], bih->data[torch_block[b] * 2 + k]);
          ck_assert_float_eq (v[8 + b * 2 + k], bhh->data[torch_block[b] * 2 + k]);
        }
      found++;
    }
  }
  ck_assert_int_eq (found, 2);
}
END_TEST

static const char td_spec[] =
  "{\"input\": [3, 2, 6, 6], \"layers\": [{\"name\": \"conv\", \"type\": \"time_distributed\", \"layer\": "
  "{\"type\": \"conv2d\", \"filters\": 3, \"kernel\": 3}}, {\"name\": \"relu\", \"type\": \"relu\"}, "
  "{\"name\": \"pool\", \"type\": \"time_distributed\", \"layer\": {\"type\": \"maxpool2d\", \"size\": 2}}]}";

/* `mp` (freed) written and imported: fails with `code`, a one-line message
 * naming the file and holding `a` and `b`. */
static void
import_fails (Onnx__ModelProto *mp, const char *name, int code, const char *a, const char *b)
{
  g_autofree char *path = g_strdup_printf ("%s/%s.onnx", tmpdir, name);
  GError *e = NULL;
  ck_assert_msg (nn_onnx_write (mp, path, &e), "%s", e ? e->message : "");
  nn_onnx_model_free (mp);
  NnModel *back = nn_model_import_onnx (path, NULL, &e);
  ck_assert_msg (!back, "%s: imported", name);
  ck_assert_msg (e->code == code && strstr (e->message, path) && strstr (e->message, a) && strstr (e->message, b) &&
                 !strchr (e->message, '\n'), "%s: code %d: %s", name, e->code, e->message);
  g_clear_error (&e);
}

static Onnx__NodeProto *
node_named (Onnx__ModelProto *mp, const char *name)
{
  for (size_t i = 0; i < mp->graph->n_node; i++)
    if (strcmp (mp->graph->node[i]->name, name) == 0)
      return mp->graph->node[i];
  ck_abort_msg ("no node %s", name);
  return NULL;
}

/* protobuf-c frees what it unpacked with free (): replacements are malloc'd. */
static void
set_op (Onnx__NodeProto *n, const char *op)
{
  free (n->op_type);
  n->op_type = strdup (op);
}

/* The batch of N*T steps between a time_distributed's Reshapes: imported as
 * time_distributed layers (the round trip above); a Reshape back to another
 * number of steps, a transpose of the merged axis and a graph ending on the
 * steps are refused naming the problem. */
START_TEST (test_time_distributed_import_errors)
{
  GError *e = NULL;
  g_autoptr (NnModel) m = nn_model_new_from_spec (td_spec, 3, &e);
  ck_assert_msg (m, "%s", e ? e->message : "");
  g_autofree char *path = export_ok (m, "td", 13);
  check_round_trip (m, path, NULL, path);
  g_autoptr (NnModel) back = nn_model_import_onnx (path, NULL, &e);
  ck_assert (back);
  const NnSpec *spec = nn_model_get_spec (back);
  g_autoptr (GString) types = g_string_new (NULL);
  for (int i = 0; i < nn_spec_n_layers (spec); i++) {
    const NnSpecLayer *l = nn_spec_layer (spec, i);
    g_string_append_printf (types, "%s%s", i ? " " : "", nn_spec_layer_type (l));
    if (strcmp (nn_spec_layer_type (l), "time_distributed") == 0)
      g_string_append_printf (types, "(%s)", nn_spec_layer_type (nn_spec_layer_inner (l)));
  }
  ck_assert_str_eq (types->str, "time_distributed(conv2d) relu time_distributed(maxpool2d)");

  /* back to 2 steps of (3, 3, 3) where there are 3 */
  Onnx__ModelProto *mp = nn_onnx_read (path, &e);
  ck_assert (mp);
  for (size_t i = 0; i < mp->graph->n_initializer; i++) {
    Onnx__TensorProto *t = mp->graph->initializer[i];
    if (strcmp (t->name, "pool.out_shape") == 0) {
      ck_assert (t->has_raw_data && t->raw_data.len == 5 * sizeof (int64_t));
      int64_t two = 2;
      memcpy (t->raw_data.data + sizeof (int64_t), &two, sizeof two);
    }
  }
  import_fails (mp, "td-steps", NN_ERROR_SHAPE, "N*3 steps", "back to (N, 3)");

  /* the Relu between the two layers on the steps themselves, transposed */
  mp = nn_onnx_read (path, &e);
  ck_assert (mp);
  set_op (node_named (mp, "conv/Reshape_1"), "Identity");
  set_op (node_named (mp, "relu"), "Transpose");
  import_fails (mp, "td-transpose", NN_ERROR_INVALID, "Transpose on a batch of N*T steps", "Reshape back");

  /* no Reshape back at the end */
  mp = nn_onnx_read (path, &e);
  ck_assert (mp);
  set_op (node_named (mp, "pool/Reshape_1"), "Identity");
  import_fails (mp, "td-no-back", NN_ERROR_INVALID, "batch of N*3 steps", "no Reshape back");
}
END_TEST

static const char *const shipped[] = {
  "fashion-mlp", "fashion-lenet", "char-lstm", "fashion-dcgan", "gesture-fcn", "gesture-lenet",
  "fortunes-computers-politics", "fortunes-topics",
};

START_TEST (test_shipped_models)
{
  g_autoptr (GPtrArray) paths = g_ptr_array_new_with_free_func (g_free);
  for (gsize i = 0; i < G_N_ELEMENTS (shipped); i++) {
    g_autofree char *rel = g_strdup_printf ("models/%s.safetensors", shipped[i]);
    g_autofree char *src = source_path (rel);
    GError *e = NULL;
    g_autoptr (NnModel) m = nn_model_load (src, &e);
    ck_assert_msg (m, "%s", e ? e->message : "");
    for (int opset = 13; opset <= 17; opset += 4) {
      char *path = g_strdup_printf ("%s/%s-op%d.onnx", tmpdir, shipped[i], opset);
      g_autofree char *side = g_strdup_printf ("%s/%s-op%d.json", tmpdir, shipped[i], opset);
      ck_assert_msg (nn_model_export_onnx (m, path, opset, side, &e), "%s", e ? e->message : "");
      g_ptr_array_add (paths, path);
      check_round_trip (m, path, side, path);
      /* without a sidecar the importer reads the labels (and the other
       * blocks) from the file's own metadata_props */
      g_autofree char *bare = g_strdup_printf ("%s/%s-op%d-bare.onnx", tmpdir, shipped[i], opset);
      ck_assert_msg (nn_model_export_onnx (m, bare, opset, NULL, &e), "%s", e ? e->message : "");
      check_round_trip (m, bare, NULL, bare);
      /* labels in metadata_props and in the sidecar, as the spec has them */
      g_autoptr (Onnx__ModelProto) mp = nn_onnx_read (path, &e);
      ck_assert (mp);
      g_autoptr (JsonParser) jp = json_parser_new ();
      ck_assert (json_parser_load_from_file (jp, side, NULL));
      JsonObject *so = json_node_get_object (json_parser_get_root (jp));
      const char *labels = metadata (mp, "nn.labels");
      ck_assert_int_eq (labels != NULL, nn_model_n_labels (m) > 0);
      ck_assert_int_eq (json_object_has_member (so, "labels"), nn_model_n_labels (m) > 0);
      if (labels) {
        g_autoptr (JsonParser) lp = json_parser_new ();
        ck_assert (json_parser_load_from_data (lp, labels, -1, NULL));
        JsonArray *la = json_node_get_array (json_parser_get_root (lp));
        JsonArray *sa = json_object_get_array_member (so, "labels");
        ck_assert_int_eq (json_array_get_length (la), nn_model_n_labels (m));
        ck_assert_int_eq (json_array_get_length (sa), nn_model_n_labels (m));
        for (int k = 0; k < nn_model_n_labels (m); k++) {
          ck_assert_str_eq (json_array_get_string_element (la, k), nn_model_label (m, k));
          ck_assert_str_eq (json_array_get_string_element (sa, k), nn_model_label (m, k));
        }
      }
      const NnSpec *spec = nn_model_get_spec (m);
      ck_assert_int_eq (metadata (mp, "nn.vocab") != NULL, nn_spec_vocab (spec) != NULL);
      ck_assert_int_eq (metadata (mp, "nn.gan") != NULL, nn_spec_is_generator (spec));
      ck_assert_int_eq (json_object_has_member (so, "gan"), nn_spec_is_generator (spec));
      ck_assert_int_eq (metadata (mp, "nn.preprocess") != NULL, json_object_has_member (so, "preprocess"));
      /* every parameter is an initializer (the LSTM's four as W, R, B) */
      int n_params;
      nn_model_params (m, &n_params);
      ck_assert_int_ge (mp->graph->n_initializer, strstr (rel, "lstm") || strstr (rel, "fortunes") ? n_params - 1
                                                                                                  : n_params);
    }
  }
  check_with_onnx (paths);
}
END_TEST

START_TEST (test_errors)
{
  g_autofree char *src = source_path ("models/trailer-genre-convlstm.safetensors");
  GError *e = NULL;
  g_autoptr (NnModel) m = nn_model_load (src, &e);
  ck_assert_msg (m, "%s", e ? e->message : "");
  g_autofree char *path = g_build_filename (tmpdir, "convlstm.onnx", NULL);
  g_autofree char *side = g_build_filename (tmpdir, "convlstm.json", NULL);
  ck_assert (!nn_model_export_onnx (m, path, 13, side, &e));
  ck_assert_int_eq (e->code, NN_ERROR_INVALID);
  ck_assert_msg (strstr (e->message, "layer \"clstm\"") && strstr (e->message, "convlstm2d") &&
                 strstr (e->message, "trailer-genre-convlstm.safetensors"), "%s", e->message);
  ck_assert (!strchr (e->message, '\n'));
  g_clear_error (&e);
  ck_assert (!g_file_test (path, G_FILE_TEST_EXISTS));
  ck_assert (!g_file_test (side, G_FILE_TEST_EXISTS));

  g_autoptr (NnModel) mlp = nn_model_new_from_spec ("{\"input\": [3], \"layers\": [{\"type\": \"dense\", "
                                                    "\"units\": 2}]}", 1, &e);
  ck_assert (mlp);
  static const int bad_opsets[] = { 12, 18 };
  for (gsize i = 0; i < G_N_ELEMENTS (bad_opsets); i++) {
    ck_assert (!nn_model_export_onnx (mlp, path, bad_opsets[i], NULL, &e));
    ck_assert_int_eq (e->code, NN_ERROR_INVALID);
    ck_assert_msg (strstr (e->message, "opset"), "%s", e->message);
    g_clear_error (&e);
  }
  ck_assert (!g_file_test (path, G_FILE_TEST_EXISTS));
  g_autofree char *missing = g_build_filename (tmpdir, "no-such-dir", "x.onnx", NULL);
  ck_assert (!nn_model_export_onnx (mlp, missing, 13, NULL, &e));
  ck_assert_int_eq (e->code, NN_ERROR_IO);
  ck_assert_msg (strstr (e->message, "no-such-dir"), "%s", e->message);
  g_clear_error (&e);
}
END_TEST

static Suite *
suite (void)
{
  Suite *s = suite_create ("onnx-export");
  TCase *tc = tcase_create ("export");
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_add_test (tc, test_layer_kinds);
  tcase_add_test (tc, test_lstm_gate_order);
  tcase_add_test (tc, test_time_distributed_import_errors);
  tcase_add_test (tc, test_shipped_models);
  tcase_add_test (tc, test_errors);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  return nn_check_run (suite ());
}
