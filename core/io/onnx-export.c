/* ONNX export: a model's layers as an ONNX graph (opset 13 to 17), its
 * parameters as float initializers in raw_data, what ONNX does not carry
 * (labels, preprocess, vocab, gan, text) as JSON in metadata_props and,
 * when asked, in a sidecar file (docs/onnx.md, "Export").
 *
 * The graph has one input "input", (N, per-sample input...) with N a
 * symbolic batch ("N"), FLOAT, or INT64 token indices when the first layer
 * is an embedding, and one output "output" (N, per-sample output...). Each
 * layer kind becomes the nodes PyTorch's exporter writes for the equivalent
 * module, so other runtimes and our importer read both alike:
 *
 *   dense                Gemm (transB), after a Flatten for a multi-axis input
 *   time_distributed     dense on (T, F): MatMul (W^T) + Add; anything else:
 *                        Reshape (N*T, step...) -> the inner op -> Reshape (N, T, ...)
 *   conv2d               Conv (pads top, left, bottom, right: "same" resolved)
 *   conv2d_transpose     ConvTranspose (pads, output_padding)
 *   maxpool2d/avgpool2d  MaxPool / AveragePool (count_include_pad = 1)
 *   global_avgpool       GlobalAveragePool + Flatten
 *   batchnorm2d          BatchNormalization (running statistics)
 *   flatten              Flatten (axis 1)
 *   dropout              Dropout (ratio as an input: inference passes it through)
 *   upsample2d           Resize (nearest floor asymmetric; linear pytorch_half_pixel)
 *   activations          Relu, LeakyRelu, Sigmoid, Tanh, Softmax and LogSoftmax (axis + 1)
 *   embedding            Gather (axis 0) of the weight by the int64 indices
 *   rnn, lstm            Transpose to time-major -> RNN / LSTM -> Squeeze (+ Transpose
 *                        back for return_sequences); LSTM gates reordered from
 *                        PyTorch's i, f, g, o to ONNX's i, o, f, c
 *
 * convlstm2d has no ONNX operator: exporting a model with one is an error
 * naming the layer. A stateful recurrent layer is exported as a fresh one
 * (state starts at zero on every run), which is what a whole-sequence run is. */
#include "onnx-private.h"

typedef struct {
  NnModel    *m;
  const char *path;            /* the file written, for messages */
  GPtrArray  *pool;            /* everything the messages point to (g_free) */
  GPtrArray  *nodes;           /* (Onnx__NodeProto *) */
  GPtrArray  *inits;           /* (Onnx__TensorProto *) */
  GHashTable *names;           /* value and initializer names taken (pool strings) */
  const char *cur;             /* the value the next layer reads */
  gboolean    int_input;       /* the graph input is INT64 indices */
} Ex;

static gpointer
ex_alloc (Ex *x, gsize size)
{
  gpointer p = g_malloc0 (MAX (size, 1));
  g_ptr_array_add (x->pool, p);
  return p;
}

static char *
ex_printf (Ex *x, const char *fmt, ...) G_GNUC_PRINTF (2, 3);

static char *
ex_printf (Ex *x, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  char *s = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  g_ptr_array_add (x->pool, s);
  return s;
}

/* A value or initializer name made from `fmt`, unique in the graph: layer
 * names are free text, so "fc1" may meet a layer named "fc1/flatten" or
 * "input". "_1", "_2" ... are appended until it is new. */
static char *
ex_value (Ex *x, const char *fmt, ...) G_GNUC_PRINTF (2, 3);

static char *
ex_value (Ex *x, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  g_autofree char *base = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  char *s = ex_printf (x, "%s", base);
  for (int k = 1; g_hash_table_contains (x->names, s); k++)
    s = ex_printf (x, "%s_%d", base, k);
  g_hash_table_add (x->names, s);
  return s;
}

/* A node `op` named `name` reading `inputs` (NULL-terminated; "" for an
 * omitted optional input) and writing `n_out` outputs. */
static Onnx__NodeProto *
ex_node_n (Ex *x, const char *op, const char *name, const char *const *inputs, const char *const *outputs,
           int n_out)
{
  Onnx__NodeProto *n = ex_alloc (x, sizeof *n);
  onnx__node_proto__init (n);
  n->op_type = ex_printf (x, "%s", op);
  n->name = ex_printf (x, "%s", name);
  while (inputs[n->n_input])
    n->n_input++;
  n->input = ex_alloc (x, sizeof (char *) * n->n_input);
  for (size_t i = 0; i < n->n_input; i++)
    n->input[i] = ex_printf (x, "%s", inputs[i]);
  n->n_output = n_out;
  n->output = ex_alloc (x, sizeof (char *) * n_out);
  for (int i = 0; i < n_out; i++)
    n->output[i] = ex_printf (x, "%s", outputs[i]);
  g_ptr_array_add (x->nodes, n);
  return n;
}

/* One output, `out`; inputs after it, NULL-terminated. */
static Onnx__NodeProto *
ex_node (Ex *x, const char *op, const char *name, const char *out, ...) G_GNUC_NULL_TERMINATED;

static Onnx__NodeProto *
ex_node (Ex *x, const char *op, const char *name, const char *out, ...)
{
  const char *in[8];
  int k = 0;
  va_list ap;
  va_start (ap, out);
  for (const char *s; (s = va_arg (ap, const char *)) && k < 7;)
    in[k++] = s;
  va_end (ap);
  in[k] = NULL;
  return ex_node_n (x, op, name, in, &out, 1);
}

static Onnx__AttributeProto *
ex_attr (Ex *x, Onnx__NodeProto *n, const char *name, Onnx__AttributeProto__AttributeType type)
{
  Onnx__AttributeProto *a = ex_alloc (x, sizeof *a);
  onnx__attribute_proto__init (a);
  a->name = ex_printf (x, "%s", name);
  a->has_type = TRUE;
  a->type = type;
  Onnx__AttributeProto **v = ex_alloc (x, sizeof (gpointer) * (n->n_attribute + 1));
  if (n->n_attribute)
    memcpy (v, n->attribute, sizeof (gpointer) * n->n_attribute);
  v[n->n_attribute++] = a;
  n->attribute = v;
  return a;
}

static void
ex_attr_int (Ex *x, Onnx__NodeProto *n, const char *name, int64_t v)
{
  Onnx__AttributeProto *a = ex_attr (x, n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT);
  a->has_i = TRUE;
  a->i = v;
}

static void
ex_attr_float (Ex *x, Onnx__NodeProto *n, const char *name, float v)
{
  Onnx__AttributeProto *a = ex_attr (x, n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT);
  a->has_f = TRUE;
  a->f = v;
}

static void
ex_attr_string (Ex *x, Onnx__NodeProto *n, const char *name, const char *v)
{
  Onnx__AttributeProto *a = ex_attr (x, n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING);
  a->has_s = TRUE;
  a->s.data = (guint8 *) ex_printf (x, "%s", v);
  a->s.len = strlen (v);
}

static void
ex_attr_strings (Ex *x, Onnx__NodeProto *n, const char *name, const char *v)
{
  Onnx__AttributeProto *a = ex_attr (x, n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRINGS);
  a->n_strings = 1;
  a->strings = ex_alloc (x, sizeof (ProtobufCBinaryData));
  a->strings[0].data = (guint8 *) ex_printf (x, "%s", v);
  a->strings[0].len = strlen (v);
}

static void
ex_attr_ints (Ex *x, Onnx__NodeProto *n, const char *name, int count, ...)
{
  Onnx__AttributeProto *a = ex_attr (x, n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS);
  a->n_ints = count;
  a->ints = ex_alloc (x, sizeof (int64_t) * count);
  va_list ap;
  va_start (ap, count);
  for (int i = 0; i < count; i++)
    a->ints[i] = va_arg (ap, int64_t);
  va_end (ap);
}

/* An initializer; `data` (nbytes, little-endian) must live until the model
 * is written: the parameters or pool memory. */
static const char *
ex_init (Ex *x, const char *name, Onnx__TensorProto__DataType type, const void *data, gsize nbytes,
         const int64_t *dims, int ndims)
{
  Onnx__TensorProto *t = ex_alloc (x, sizeof *t);
  onnx__tensor_proto__init (t);
  t->name = ex_value (x, "%s", name);
  t->has_data_type = TRUE;
  t->data_type = type;
  t->n_dims = ndims;
  t->dims = ex_alloc (x, sizeof (int64_t) * MAX (ndims, 1));
  if (ndims)
    memcpy (t->dims, dims, sizeof (int64_t) * ndims);
  t->has_raw_data = TRUE;
  t->raw_data.data = (guint8 *) data;
  t->raw_data.len = nbytes;
  g_ptr_array_add (x->inits, t);
  return t->name;
}

/* ONNX's raw_data is little-endian, as our floats are on the hosts we build for. */
G_STATIC_ASSERT (G_BYTE_ORDER == G_LITTLE_ENDIAN);

static const char *
ex_init_floats (Ex *x, const char *name, const float *v, const int64_t *dims, int ndims)
{
  int64_t n = 1;
  for (int i = 0; i < ndims; i++)
    n *= dims[i];
  return ex_init (x, name, ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, v, sizeof (float) * n, dims, ndims);
}

/* A 1-D INT64 initializer of `count` values (copied). */
static const char *
ex_init_ints (Ex *x, const char *name, int count, const int64_t *v)
{
  int64_t *copy = ex_alloc (x, sizeof (int64_t) * count), dim = count;
  memcpy (copy, v, sizeof (int64_t) * count);
  return ex_init (x, name, ONNX__TENSOR_PROTO__DATA_TYPE__INT64, copy, sizeof (int64_t) * count, &dim, 1);
}

static const char *
ex_init_scalar (Ex *x, const char *name, float v)
{
  float *p = ex_alloc (x, sizeof (float));
  *p = v;
  return ex_init (x, name, ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, p, sizeof (float), NULL, 0);
}

static const NnParam *
ex_param (Ex *x, const char *layer, const char *pname)
{
  int n;
  NnParam *p = nn_model_params (x->m, &n);
  g_autofree char *want = g_strdup_printf ("%s.%s", layer, pname);
  for (int i = 0; i < n; i++)
    if (strcmp (p[i].name, want) == 0)
      return &p[i];
  return NULL;
}

/* The parameter as an initializer of its own shape and name; NULL when the
 * layer has none of that name (no bias). */
static const char *
ex_param_init (Ex *x, const char *layer, const char *pname)
{
  const NnParam *p = ex_param (x, layer, pname);
  if (!p)
    return NULL;
  return ex_init_floats (x, p->name, p->data, p->shape.dim, p->shape.ndim);
}

static gboolean
ex_fail (Ex *x, GError **error, const char *layer, const char *fmt, ...) G_GNUC_PRINTF (4, 5);

static gboolean
ex_fail (Ex *x, GError **error, const char *layer, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  g_autofree char *msg = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  const char *src = nn_spec_source (nn_model_get_spec (x->m));
  g_set_error (error, NN_ERROR, NN_ERROR_INVALID, "%s: layer \"%s\": %s", src ? src : x->path, layer, msg);
  return FALSE;
}

/* An int-or-pair option as two values. */
static void
spec_pair (const NnSpecLayer *l, const char *key, int out[2])
{
  int v[4] = { 0 };
  if (nn_spec_layer_ints (l, key, v) == 1)
    v[1] = v[0];
  out[0] = v[0], out[1] = v[1];
}

/* ---- the layer kinds ---------------------------------------------------- */

/* x (N, in...) -> Gemm: y (N, units); a multi-axis input is flattened first,
 * as the dense layer reads it. */
static void
ex_dense (Ex *x, const char *name, const NnShape *in, const char *out)
{
  const char *src = x->cur;
  if (in->ndim != 1) {
    src = ex_value (x, "%s/flatten", name);
    Onnx__NodeProto *f = ex_node (x, "Flatten", ex_printf (x, "%s/Flatten", name), src, x->cur, NULL);
    ex_attr_int (x, f, "axis", 1);
  }
  const char *w = ex_param_init (x, name, "weight"), *b = ex_param_init (x, name, "bias");
  Onnx__NodeProto *n = ex_node (x, "Gemm", name, out, src, w, b, NULL);
  ex_attr_int (x, n, "transB", 1);
}

/* Dense on every step of (N, T, F): MatMul by W^T (F, units) and Add of the
 * bias, as PyTorch writes a Linear on a 3-D input. */
static void
ex_dense_steps (Ex *x, const char *name, const char *out)
{
  const NnParam *w = ex_param (x, name, "weight");
  int64_t u = w->shape.dim[0], f = w->shape.dim[1];
  float *wt = ex_alloc (x, sizeof (float) * u * f);
  for (int64_t i = 0; i < u; i++)
    for (int64_t j = 0; j < f; j++)
      wt[j * u + i] = w->data[i * f + j];
  int64_t dims[2] = { f, u };
  const char *wn = ex_init_floats (x, ex_printf (x, "%s.weight_t", name), wt, dims, 2);
  const char *b = ex_param_init (x, name, "bias");
  const char *mm = b ? ex_value (x, "%s/matmul", name) : out;
  ex_node (x, "MatMul", ex_printf (x, "%s/MatMul", name), mm, x->cur, wn, NULL);
  if (b)
    ex_node (x, "Add", ex_printf (x, "%s/Add", name), out, mm, b, NULL);
}

static void
ex_conv (Ex *x, const NnSpecLayer *l, const char *name, const NnShape *in, const NnShape *outs, const char *out)
{
  int k[2], s[2], pad[4] = { 0 };   /* top, bottom, left, right */
  spec_pair (l, "kernel", k);
  spec_pair (l, "stride", s);
  const char *word = nn_spec_layer_string (l, "padding");
  int v[4] = { 0 }, nv = nn_spec_layer_ints (l, "padding", v);
  if (word && strcmp (word, "same") == 0) {
    /* the layer's TensorFlow "same": what its output size needs, the odd
     * pixel at the end */
    for (int d = 0; d < 2; d++) {
      int total = (int) MAX ((outs->dim[1 + d] - 1) * s[d] + k[d] - in->dim[1 + d], 0);
      pad[2 * d] = total / 2, pad[2 * d + 1] = total - total / 2;
    }
  } else if (nv == 4)
    memcpy (pad, v, sizeof pad);
  else if (nv == 2)
    pad[0] = pad[1] = v[0], pad[2] = pad[3] = v[1];
  else if (nv == 1)
    pad[0] = pad[1] = pad[2] = pad[3] = v[0];
  const char *w = ex_param_init (x, name, "weight"), *b = ex_param_init (x, name, "bias");
  Onnx__NodeProto *n = ex_node (x, "Conv", name, out, x->cur, w, b, NULL);
  ex_attr_ints (x, n, "kernel_shape", 2, (int64_t) k[0], (int64_t) k[1]);
  ex_attr_ints (x, n, "strides", 2, (int64_t) s[0], (int64_t) s[1]);
  ex_attr_ints (x, n, "pads", 4, (int64_t) pad[0], (int64_t) pad[2], (int64_t) pad[1], (int64_t) pad[3]);
  ex_attr_ints (x, n, "dilations", 2, (int64_t) 1, (int64_t) 1);
  ex_attr_int (x, n, "group", 1);
}

static void
ex_conv_transpose (Ex *x, const NnSpecLayer *l, const char *name, const char *out)
{
  int k[2], s[2], p[2], op[2];
  spec_pair (l, "kernel", k);
  spec_pair (l, "stride", s);
  spec_pair (l, "padding", p);
  spec_pair (l, "output_padding", op);
  const char *w = ex_param_init (x, name, "weight"), *b = ex_param_init (x, name, "bias");
  Onnx__NodeProto *n = ex_node (x, "ConvTranspose", name, out, x->cur, w, b, NULL);
  ex_attr_ints (x, n, "kernel_shape", 2, (int64_t) k[0], (int64_t) k[1]);
  ex_attr_ints (x, n, "strides", 2, (int64_t) s[0], (int64_t) s[1]);
  ex_attr_ints (x, n, "pads", 4, (int64_t) p[0], (int64_t) p[1], (int64_t) p[0], (int64_t) p[1]);
  ex_attr_ints (x, n, "output_padding", 2, (int64_t) op[0], (int64_t) op[1]);
  ex_attr_ints (x, n, "dilations", 2, (int64_t) 1, (int64_t) 1);
  ex_attr_int (x, n, "group", 1);
}

static void
ex_pool (Ex *x, const NnSpecLayer *l, const char *name, gboolean max, const char *out)
{
  int k[2], s[2], p[2];
  spec_pair (l, "size", k);
  spec_pair (l, "padding", p);
  if (nn_spec_layer_has (l, "stride"))
    spec_pair (l, "stride", s);
  else
    s[0] = k[0], s[1] = k[1];
  Onnx__NodeProto *n = ex_node (x, max ? "MaxPool" : "AveragePool", name, out, x->cur, NULL);
  ex_attr_ints (x, n, "kernel_shape", 2, (int64_t) k[0], (int64_t) k[1]);
  ex_attr_ints (x, n, "strides", 2, (int64_t) s[0], (int64_t) s[1]);
  ex_attr_ints (x, n, "pads", 4, (int64_t) p[0], (int64_t) p[1], (int64_t) p[0], (int64_t) p[1]);
  if (!max)
    ex_attr_int (x, n, "count_include_pad", 1);
}

static void
ex_upsample (Ex *x, const NnSpecLayer *l, const char *name, const char *out)
{
  int s[2];
  spec_pair (l, "scale", s);
  gboolean bilinear = g_strcmp0 (nn_spec_layer_string (l, "mode"), "bilinear") == 0;
  float *scales = ex_alloc (x, sizeof (float) * 4);
  scales[0] = scales[1] = 1.0f, scales[2] = (float) s[0], scales[3] = (float) s[1];
  int64_t dim = 4;
  const char *sc = ex_init_floats (x, ex_printf (x, "%s.scales", name), scales, &dim, 1);
  Onnx__NodeProto *n = ex_node (x, "Resize", name, out, x->cur, "", sc, NULL);
  if (bilinear) {
    ex_attr_string (x, n, "mode", "linear");
    ex_attr_string (x, n, "coordinate_transformation_mode", "pytorch_half_pixel");
  } else {
    ex_attr_string (x, n, "mode", "nearest");
    ex_attr_string (x, n, "coordinate_transformation_mode", "asymmetric");
    ex_attr_string (x, n, "nearest_mode", "floor");
  }
}

/* Our indices are floats rounded to the nearest row; the graph input is
 * INT64 when the embedding reads it directly, else Round + Cast. */
static void
ex_embedding (Ex *x, const char *name, const char *out)
{
  const char *idx = x->cur;
  if (!(x->int_input && strcmp (x->cur, "input") == 0)) {
    const char *r = ex_value (x, "%s/round", name);
    idx = ex_value (x, "%s/indices", name);
    ex_node (x, "Round", ex_printf (x, "%s/Round", name), r, x->cur, NULL);
    Onnx__NodeProto *c = ex_node (x, "Cast", ex_printf (x, "%s/Cast", name), idx, r, NULL);
    ex_attr_int (x, c, "to", ONNX__TENSOR_PROTO__DATA_TYPE__INT64);
  }
  const char *w = ex_param_init (x, name, "weight");
  Onnx__NodeProto *n = ex_node (x, "Gather", name, out, w, idx, NULL);
  ex_attr_int (x, n, "axis", 0);
}

/* rnn and lstm: (N, T, F) -> Transpose (T, N, F) -> RNN/LSTM: Y (T, 1, N, H),
 * Y_h (1, N, H) -> Squeeze: every step (T, N, H) then Transpose (N, T, H),
 * or the last (N, H). W (1, G*H, F), R (1, G*H, H), B (1, 2*G*H) = [Wb, Rb];
 * an LSTM's gate blocks go from PyTorch's i, f, g, o to ONNX's i, o, f, c. */
static void
ex_recurrent (Ex *x, const NnSpecLayer *l, const char *name, gboolean lstm, const char *out)
{
  static const int torch_block[4] = { 0, 3, 1, 2 };   /* ONNX block b is PyTorch's torch_block[b] */
  const NnParam *wih = ex_param (x, name, "weight_ih"), *whh = ex_param (x, name, "weight_hh");
  const NnParam *bih = ex_param (x, name, "bias_ih"), *bhh = ex_param (x, name, "bias_hh");
  int64_t gh = wih->shape.dim[0], f = wih->shape.dim[1], g = lstm ? 4 : 1, h = gh / g;
  float *w = ex_alloc (x, sizeof (float) * gh * f), *r = ex_alloc (x, sizeof (float) * gh * h);
  float *b = ex_alloc (x, sizeof (float) * 2 * gh);
  for (int64_t blk = 0; blk < g; blk++) {
    int64_t from = lstm ? torch_block[blk] : 0;
    memcpy (w + blk * h * f, wih->data + from * h * f, sizeof (float) * h * f);
    memcpy (r + blk * h * h, whh->data + from * h * h, sizeof (float) * h * h);
    memcpy (b + blk * h, bih->data + from * h, sizeof (float) * h);
    memcpy (b + gh + blk * h, bhh->data + from * h, sizeof (float) * h);
  }
  int64_t wd[3] = { 1, gh, f }, rd[3] = { 1, gh, h }, bd[2] = { 1, 2 * gh };
  const char *wn = ex_init_floats (x, ex_printf (x, "%s.W", name), w, wd, 3);
  const char *rn = ex_init_floats (x, ex_printf (x, "%s.R", name), r, rd, 3);
  const char *bn = ex_init_floats (x, ex_printf (x, "%s.B", name), b, bd, 2);

  const char *xt = ex_value (x, "%s/time_major", name);
  Onnx__NodeProto *t = ex_node (x, "Transpose", ex_printf (x, "%s/Transpose", name), xt, x->cur, NULL);
  ex_attr_ints (x, t, "perm", 3, (int64_t) 1, (int64_t) 0, (int64_t) 2);
  gboolean seq = nn_spec_layer_bool (l, "return_sequences");
  const char *y = ex_value (x, "%s/Y", name), *yh = ex_value (x, "%s/Y_h", name);
  const char *in[] = { xt, wn, rn, bn, NULL };
  const char *outs[] = { seq ? y : "", yh };
  Onnx__NodeProto *n = ex_node_n (x, lstm ? "LSTM" : "RNN", name, in, outs, 2);
  ex_attr_int (x, n, "hidden_size", h);
  if (!lstm)
    ex_attr_strings (x, n, "activations",
                     g_strcmp0 (nn_spec_layer_string (l, "nonlinearity"), "relu") == 0 ? "Relu" : "Tanh");
  int64_t axis = seq ? 1 : 0;
  const char *axes = ex_init_ints (x, ex_printf (x, "%s.squeeze_axes", name), 1, &axis);
  if (seq) {
    const char *sq = ex_value (x, "%s/steps", name);
    ex_node (x, "Squeeze", ex_printf (x, "%s/Squeeze", name), sq, y, axes, NULL);
    Onnx__NodeProto *tb = ex_node (x, "Transpose", ex_printf (x, "%s/Transpose_1", name), out, sq, NULL);
    ex_attr_ints (x, tb, "perm", 3, (int64_t) 1, (int64_t) 0, (int64_t) 2);
  } else
    ex_node (x, "Squeeze", ex_printf (x, "%s/Squeeze", name), out, yh, axes, NULL);
}

static gboolean ex_layer (Ex *x, const NnSpecLayer *l, const char *name, const NnShape *in, const NnShape *outs,
                          const char *out, GError **error);

/* time_distributed: the inner layer over the batch of N*T steps. */
static gboolean
ex_time_distributed (Ex *x, const NnSpecLayer *l, const char *name, const NnShape *in, const NnShape *outs,
                     const char *out, GError **error)
{
  const NnSpecLayer *inner = nn_spec_layer_inner (l);
  NnShape step = { .ndim = in->ndim - 1 }, ostep = { .ndim = outs->ndim - 1 };
  for (int d = 1; d < in->ndim; d++)
    step.dim[d - 1] = in->dim[d];
  for (int d = 1; d < outs->ndim; d++)
    ostep.dim[d - 1] = outs->dim[d];
  if (strcmp (nn_spec_layer_type (inner), "dense") == 0 && step.ndim == 1) {
    ex_dense_steps (x, name, out);
    return TRUE;
  }
  int64_t shape[NN_MAX_DIMS + 1] = { -1 };
  for (int d = 0; d < step.ndim; d++)
    shape[1 + d] = step.dim[d];
  const char *flat = ex_value (x, "%s/steps", name);
  ex_node (x, "Reshape", ex_printf (x, "%s/Reshape", name), flat, x->cur,
           ex_init_ints (x, ex_printf (x, "%s.steps_shape", name), 1 + step.ndim, shape), NULL);
  const char *saved = x->cur, *inner_out = ex_value (x, "%s/inner", name);
  x->cur = flat;
  if (!ex_layer (x, inner, name, &step, &ostep, inner_out, error))
    return FALSE;
  x->cur = saved;
  int64_t back[NN_MAX_DIMS + 1] = { -1 };
  for (int d = 0; d < outs->ndim; d++)
    back[1 + d] = outs->dim[d];
  ex_node (x, "Reshape", ex_printf (x, "%s/Reshape_1", name), out, inner_out,
           ex_init_ints (x, ex_printf (x, "%s.out_shape", name), 1 + outs->ndim, back), NULL);
  return TRUE;
}

/* Layer `l` (named `name`) reading x->cur, per-sample shapes in -> outs,
 * writing the value `out`. */
static gboolean
ex_layer (Ex *x, const NnSpecLayer *l, const char *name, const NnShape *in, const NnShape *outs, const char *out,
          GError **error)
{
  const char *type = nn_spec_layer_type (l);
  Onnx__NodeProto *n;
  if (strcmp (type, "dense") == 0)
    ex_dense (x, name, in, out);
  else if (strcmp (type, "conv2d") == 0)
    ex_conv (x, l, name, in, outs, out);
  else if (strcmp (type, "conv2d_transpose") == 0)
    ex_conv_transpose (x, l, name, out);
  else if (strcmp (type, "maxpool2d") == 0 || strcmp (type, "avgpool2d") == 0)
    ex_pool (x, l, name, type[0] == 'm', out);
  else if (strcmp (type, "global_avgpool") == 0) {
    const char *g = ex_value (x, "%s/pooled", name);
    ex_node (x, "GlobalAveragePool", name, g, x->cur, NULL);
    n = ex_node (x, "Flatten", ex_printf (x, "%s/Flatten", name), out, g, NULL);
    ex_attr_int (x, n, "axis", 1);
  } else if (strcmp (type, "flatten") == 0) {
    n = ex_node (x, "Flatten", name, out, x->cur, NULL);
    ex_attr_int (x, n, "axis", 1);
  } else if (strcmp (type, "batchnorm2d") == 0) {
    n = ex_node (x, "BatchNormalization", name, out, x->cur, ex_param_init (x, name, "weight"),
                 ex_param_init (x, name, "bias"), ex_param_init (x, name, "running_mean"),
                 ex_param_init (x, name, "running_var"), NULL);
    ex_attr_float (x, n, "epsilon", (float) nn_spec_layer_double (l, "eps"));
    /* ONNX keeps this much of the old running value, PyTorch's 1 - momentum */
    ex_attr_float (x, n, "momentum", (float) (1.0 - nn_spec_layer_double (l, "momentum")));
  } else if (strcmp (type, "dropout") == 0) {
    const char *ratio = ex_init_scalar (x, ex_printf (x, "%s.ratio", name),
                                        (float) nn_spec_layer_double (l, "rate"));
    ex_node (x, "Dropout", name, out, x->cur, ratio, NULL);
  } else if (strcmp (type, "upsample2d") == 0)
    ex_upsample (x, l, name, out);
  else if (strcmp (type, "relu") == 0)
    ex_node (x, "Relu", name, out, x->cur, NULL);
  else if (strcmp (type, "sigmoid") == 0)
    ex_node (x, "Sigmoid", name, out, x->cur, NULL);
  else if (strcmp (type, "tanh") == 0)
    ex_node (x, "Tanh", name, out, x->cur, NULL);
  else if (strcmp (type, "leaky_relu") == 0) {
    n = ex_node (x, "LeakyRelu", name, out, x->cur, NULL);
    ex_attr_float (x, n, "alpha", (float) nn_spec_layer_double (l, "slope"));
  } else if (strcmp (type, "softmax") == 0 || strcmp (type, "log_softmax") == 0) {
    int axis = nn_spec_layer_int (l, "axis");
    n = ex_node (x, type[0] == 's' ? "Softmax" : "LogSoftmax", name, out, x->cur, NULL);
    /* our axis is per sample; a negative one counts from the end either way */
    ex_attr_int (x, n, "axis", axis < 0 ? axis : axis + 1);
  } else if (strcmp (type, "embedding") == 0)
    ex_embedding (x, name, out);
  else if (strcmp (type, "rnn") == 0 || strcmp (type, "lstm") == 0)
    ex_recurrent (x, l, name, type[0] == 'l', out);
  else if (strcmp (type, "time_distributed") == 0)
    return ex_time_distributed (x, l, name, in, outs, out, error);
  else if (strcmp (type, "convlstm2d") == 0)
    return ex_fail (x, error, name, "convlstm2d has no ONNX operator (ONNX has no convolutional LSTM), so this "
                    "model cannot be exported");
  else
    return ex_fail (x, error, name, "layer kind \"%s\" has no ONNX export", type);
  return TRUE;
}

/* ---- the model ---------------------------------------------------------- */

static Onnx__ValueInfoProto *
ex_value_info (Ex *x, const char *name, int32_t elem_type, const NnShape *per_sample)
{
  Onnx__ValueInfoProto *v = ex_alloc (x, sizeof *v);
  onnx__value_info_proto__init (v);
  v->name = ex_printf (x, "%s", name);
  Onnx__TypeProto *tp = ex_alloc (x, sizeof *tp);
  onnx__type_proto__init (tp);
  Onnx__TypeProto__Tensor *tt = ex_alloc (x, sizeof *tt);
  onnx__type_proto__tensor__init (tt);
  tt->has_elem_type = TRUE;
  tt->elem_type = elem_type;
  Onnx__TensorShapeProto *sh = ex_alloc (x, sizeof *sh);
  onnx__tensor_shape_proto__init (sh);
  sh->n_dim = 1 + per_sample->ndim;
  sh->dim = ex_alloc (x, sizeof (gpointer) * sh->n_dim);
  for (size_t d = 0; d < sh->n_dim; d++) {
    Onnx__TensorShapeProto__Dimension *dim = ex_alloc (x, sizeof *dim);
    onnx__tensor_shape_proto__dimension__init (dim);
    if (d == 0) {
      dim->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
      dim->dim_param = ex_printf (x, "N");
    } else {
      dim->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
      dim->dim_value = per_sample->dim[d - 1];
    }
    sh->dim[d] = dim;
  }
  tt->shape = sh;
  tp->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
  tp->tensor_type = tt;
  v->type = tp;
  return v;
}

/* The spec's blocks that ONNX does not carry, each as JSON text, in the
 * order of `keys`; NULL for an absent one. */
static const char *const extra_keys[] = { "labels", "preprocess", "vocab", "gan", "text" };

static gboolean
ex_extras (NnModel *m, char *values[G_N_ELEMENTS (extra_keys)], char **sidecar, GError **error)
{
  g_autofree char *spec = nn_model_spec_json (m);
  g_autoptr (JsonParser) p = json_parser_new ();
  if (!json_parser_load_from_data (p, spec, -1, error))
    return FALSE;
  JsonObject *o = json_node_get_object (json_parser_get_root (p));
  g_autoptr (JsonBuilder) b = json_builder_new ();
  json_builder_begin_object (b);
  for (gsize i = 0; i < G_N_ELEMENTS (extra_keys); i++) {
    JsonNode *v = json_object_get_member (o, extra_keys[i]);
    values[i] = NULL;
    if (!v)
      continue;
    values[i] = json_to_string (v, FALSE);
    json_builder_set_member_name (b, extra_keys[i]);
    json_builder_add_value (b, json_node_copy (v));
  }
  json_builder_end_object (b);
  g_autoptr (JsonNode) root = json_builder_get_root (b);
  *sidecar = json_to_string (root, TRUE);
  return TRUE;
}

static Onnx__StringStringEntryProto *
ex_prop (Ex *x, const char *key, const char *value)
{
  Onnx__StringStringEntryProto *e = ex_alloc (x, sizeof *e);
  onnx__string_string_entry_proto__init (e);
  e->key = ex_printf (x, "nn.%s", key);
  e->value = ex_printf (x, "%s", value);
  return e;
}

gboolean
nn_model_export_onnx (NnModel *m, const char *path, int opset, const char *sidecar_path, GError **error)
{
  g_return_val_if_fail (m != NULL && path != NULL, FALSE);
  if (opset < 13 || opset > NN_ONNX_OPSET_MAX) {
    g_set_error (error, NN_ERROR, NN_ERROR_INVALID, "%s: opset %d: the exporter writes opsets 13 to %d", path,
                 opset, NN_ONNX_OPSET_MAX);
    return FALSE;
  }
  const NnSpec *spec = nn_model_get_spec (m);
  Ex x = { .m = m, .path = path, .pool = g_ptr_array_new_with_free_func (g_free),
           .nodes = g_ptr_array_new (), .inits = g_ptr_array_new (), .names = g_hash_table_new (g_str_hash, g_str_equal),
           .cur = "input" };
  /* the graph's own names; the last layer's value becomes "output" below */
  g_hash_table_add (x.names, (gpointer) "input");
  g_hash_table_add (x.names, (gpointer) "output");
  char *extras[G_N_ELEMENTS (extra_keys)] = { NULL };
  g_autofree char *sidecar = NULL;
  gboolean ok = FALSE;

  if (nn_spec_n_layers (spec) > 0)
    x.int_input = strcmp (nn_spec_layer_type (nn_spec_layer (spec, 0)), "embedding") == 0;
  /* walk the spec's layers (and their "activation" layers) beside the
   * model's built ones, which know the shapes */
  int k = 0;
  NnShape in = *nn_model_input_shape (m);
  for (int i = 0; i < nn_spec_n_layers (spec); i++) {
    const NnSpecLayer *l = nn_spec_layer (spec, i);
    const NnSpecLayer *parts[2] = { l, nn_spec_layer_activation (l) };
    for (int j = 0; j < 2 && parts[j]; j++, k++) {
      NnLayerInfo li;
      nn_model_layer_info (m, k, &li);
      const char *out = ex_value (&x, "%s", li.name);
      if (!ex_layer (&x, parts[j], li.name, &in, &li.out, out, error))
        goto done;
      x.cur = out;
      in = li.out;
    }
  }
  /* the last value becomes the graph's "output" */
  for (guint i = 0; i < x.nodes->len; i++) {
    Onnx__NodeProto *n = x.nodes->pdata[i];
    for (size_t j = 0; j < n->n_output; j++)
      if (strcmp (n->output[j], x.cur) == 0)
        n->output[j] = ex_printf (&x, "output");
    for (size_t j = 0; j < n->n_input; j++)
      if (strcmp (n->input[j], x.cur) == 0)
        n->input[j] = ex_printf (&x, "output");
  }
  if (!x.nodes->len) {
    g_set_error (error, NN_ERROR, NN_ERROR_INVALID, "%s: the model has no layers to export", path);
    goto done;
  }

  Onnx__GraphProto g = ONNX__GRAPH_PROTO__INIT;
  g.name = ex_printf (&x, "libnn");
  g.n_node = x.nodes->len;
  g.node = (Onnx__NodeProto **) x.nodes->pdata;
  g.n_initializer = x.inits->len;
  g.initializer = (Onnx__TensorProto **) x.inits->pdata;
  Onnx__ValueInfoProto *gin = ex_value_info (&x, "input", x.int_input ? ONNX__TENSOR_PROTO__DATA_TYPE__INT64
                                                                       : ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT,
                                             nn_model_input_shape (m));
  Onnx__ValueInfoProto *gout = ex_value_info (&x, "output", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT,
                                              nn_model_output_shape (m));
  g.n_input = g.n_output = 1;
  g.input = &gin;
  g.output = &gout;

  Onnx__OperatorSetIdProto os = ONNX__OPERATOR_SET_ID_PROTO__INIT, *osp = &os;
  os.domain = ex_printf (&x, "%s", "");
  os.has_version = TRUE;
  os.version = opset;
  Onnx__ModelProto mp = ONNX__MODEL_PROTO__INIT;
  mp.has_ir_version = TRUE;
  /* IR 7 came with opset 13 (ONNX 1.8), IR 8 with opset 15 */
  mp.ir_version = opset <= 14 ? 7 : 8;
  mp.n_opset_import = 1;
  mp.opset_import = &osp;
  mp.producer_name = ex_printf (&x, "libnn");
  mp.graph = &g;

  if (!ex_extras (m, extras, &sidecar, error))
    goto done;
  Onnx__StringStringEntryProto *props[G_N_ELEMENTS (extra_keys)];
  for (gsize i = 0; i < G_N_ELEMENTS (extra_keys); i++)
    if (extras[i])
      props[mp.n_metadata_props++] = ex_prop (&x, extra_keys[i], extras[i]);
  mp.metadata_props = props;

  if (!nn_onnx_write (&mp, path, error))
    goto done;
  if (sidecar_path) {
    g_autoptr (GError) e = NULL;
    if (!g_file_set_contents (sidecar_path, sidecar, -1, &e)) {
      g_set_error (error, NN_ERROR, NN_ERROR_IO, "%s: cannot write: %s", sidecar_path, e->message);
      goto done;
    }
  }
  ok = TRUE;
done:
  for (gsize i = 0; i < G_N_ELEMENTS (extra_keys); i++)
    g_free (extras[i]);
  g_ptr_array_unref (x.nodes);
  g_ptr_array_unref (x.inits);
  g_hash_table_unref (x.names);
  g_ptr_array_unref (x.pool);
  return ok;
}
