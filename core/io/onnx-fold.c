/* ONNX import: the values that are constants and what is computed from
 * them at import (onnx-import-private.h). PyTorch emits small subgraphs of
 * shape arithmetic (Shape -> Gather -> Unsqueeze -> Concat -> Expand for an
 * RNN's initial state, for a view (N, -1)); they are evaluated here, with the
 * batch size kept symbolic (BATCH): a result that needs its value is an
 * error. */
#include "io/onnx-import-private.h"

/* ---- errors ---------------------------------------------------------------- */

/* "<path>: node 3 (Conv '/conv1/Conv'): <what>" while a node is read. */
void
nn_onnx_fail (Ctx *c, GError **error, int code, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  g_autofree char *what = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  if (c->node)
    g_set_error (error, NN_ERROR, code, "%s: node %d (%s '%s'): %s", c->path, c->idx,
                 c->node->op_type ? c->node->op_type : "?", c->node->name ? c->node->name : "", what);
  else
    g_set_error (error, NN_ERROR, code, "%s: %s", c->path, what);
}

gboolean
nn_onnx_prefix (Ctx *c, GError **error, GError *e)
{
  nn_onnx_fail (c, error, e->code, "%s", e->message);
  g_error_free (e);
  return FALSE;
}

const char *
nn_onnx_dims_str (int ndim, const int64_t *dim, char *buf, gsize len)
{
  GString *s = g_string_new ("[");
  for (int i = 0; i < ndim; i++) {
    if (dim[i] == BATCH)
      g_string_append_printf (s, "%sN", i ? ", " : "");
    else
      g_string_append_printf (s, "%s%" G_GINT64_FORMAT, i ? ", " : "", dim[i]);
  }
  g_string_append_c (s, ']');
  g_strlcpy (buf, s->str, len);
  g_string_free (s, TRUE);
  return buf;
}

/* ---- values ---------------------------------------------------------------- */

void
nn_onnx_value_free (gpointer p)
{
  Value *v = p;
  g_free (v->c.f);
  g_free (v->c.i);
  g_free (v);
}

static int
const_batch_axes (const Const *k)
{
  int b = 0;
  for (int i = 0; i < k->ndim; i++)
    b += k->dim[i] == BATCH;
  return b;
}

/* A tensor (initializer, Constant's value) as a constant value. */
static gboolean
const_from_tensor (Ctx *c, const Onnx__TensorProto *t, Const *k, GError **error)
{
  GError *e = NULL;
  if (t->n_dims > MAXD) {
    nn_onnx_fail (c, error, NN_ERROR_FORMAT, "tensor '%s' has %zu dimensions (at most %d)", t->name ? t->name : "",
              t->n_dims, MAXD);
    return FALSE;
  }
  int32_t type = t->has_data_type ? t->data_type : 0;
  k->is_int = type != ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT && type != ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE &&
              type != ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT16 && type != ONNX__TENSOR_PROTO__DATA_TYPE__BFLOAT16;
  k->ndim = (int) t->n_dims;
  for (size_t i = 0; i < t->n_dims; i++)
    k->dim[i] = t->dims[i];
  if (k->is_int)
    k->i = nn_onnx_tensor_ints (t, &k->n, &e);
  else
    k->f = nn_onnx_tensor_floats (t, &k->n, &e);
  return e ? nn_onnx_prefix (c, error, e) : TRUE;
}

Value *
nn_onnx_value_get (Ctx *c, const char *name, GError **error)
{
  Value *v = g_hash_table_lookup (c->values, name);
  if (v)
    return v;
  const Onnx__TensorProto *t = g_hash_table_lookup (c->inits, name);
  if (!t) {
    nn_onnx_fail (c, error, NN_ERROR_FORMAT, "input '%s' is not made by an earlier node, an initializer or the graph input",
              name);
    return NULL;
  }
  v = g_new0 (Value, 1);
  if (!const_from_tensor (c, t, &v->c, error)) {
    nn_onnx_value_free (v);
    return NULL;
  }
  g_hash_table_insert (c->values, g_strdup (name), v);
  return v;
}

/* Input k of the node, NULL (without error) when absent or empty. */
Value *
nn_onnx_in (Ctx *c, int k, GError **error)
{
  const Onnx__NodeProto *n = c->node;
  if ((size_t) k >= n->n_input || !n->input[k] || !n->input[k][0])
    return NULL;
  return nn_onnx_value_get (c, n->input[k], error);
}

const Const *
nn_onnx_in_const (Ctx *c, int k, const char *what, gboolean required, GError **error)
{
  GError *e = NULL;
  Value *v = nn_onnx_in (c, k, &e);
  if (e) {
    g_propagate_error (error, e);
    return NULL;
  }
  if (!v) {
    if (required)
      nn_onnx_fail (c, error, NN_ERROR_FORMAT, "no %s (input %d)", what, k);
    return NULL;
  }
  if (v->is_dyn) {
    nn_onnx_fail (c, error, NN_ERROR_INVALID, "its %s ('%s') is computed from the input; it must be a constant", what,
              c->node->input[k]);
    return NULL;
  }
  if (const_batch_axes (&v->c)) {
    nn_onnx_fail (c, error, NN_ERROR_SHAPE, "its %s ('%s') depends on the batch size, which is not known before "
              "run time", what, c->node->input[k]);
    return NULL;
  }
  return &v->c;
}

Value *
nn_onnx_out_new (Ctx *c, int k)
{
  const Onnx__NodeProto *n = c->node;
  if ((size_t) k >= n->n_output || !n->output[k] || !n->output[k][0])
    return NULL;
  Value *v = g_new0 (Value, 1);
  g_hash_table_replace (c->values, g_strdup (n->output[k]), v);
  return v;
}

/* The float values of a constant (ints converted). */
gboolean
nn_onnx_const_floats (Ctx *c, const Const *k, const char *what, float **out, GError **error)
{
  if (!k->is_int) {
    *out = g_memdup2 (k->f, MAX (k->n, 1) * sizeof (float));
    return TRUE;
  }
  *out = g_new (float, MAX (k->n, 1));
  for (int64_t i = 0; i < k->n; i++)
    (*out)[i] = (float) k->i[i];
  return TRUE;
}

gboolean
nn_onnx_const_int_list (Ctx *c, const Const *k, const char *what, GError **error)
{
  if (!k->is_int || k->ndim > 1) {
    nn_onnx_fail (c, error, NN_ERROR_INVALID, "%s must be a list of integers", what);
    return FALSE;
  }
  return TRUE;
}

/* ---- folding constants ------------------------------------------------------- */

/* Folded constants are shapes, axes and small tables; a bigger one is a
 * corrupt or hostile file asking for memory. */
#define FOLD_MAX_VALUES ((int64_t) 1 << 24)

/* n saturates rather than overflow: nn_onnx_const_alloc refuses it. */
void
nn_onnx_const_set_dims (Const *k, int ndim, const int64_t *dim)
{
  k->ndim = ndim;
  k->n = 1;
  for (int i = 0; i < ndim; i++) {
    k->dim[i] = dim[i];
    if (dim[i] == BATCH)
      continue;
    if (dim[i] < 0 || (dim[i] > 0 && k->n > G_MAXINT64 / dim[i]))
      k->n = G_MAXINT64;
    else
      k->n *= dim[i];
  }
}

gboolean
nn_onnx_const_alloc (Ctx *c, Const *k, gboolean is_int, GError **error)
{
  k->is_int = is_int;
  if (k->n > FOLD_MAX_VALUES) {
    nn_onnx_fail (c, error, NN_ERROR_INVALID, "computes a constant of more than %" G_GINT64_FORMAT " values",
              FOLD_MAX_VALUES);
    return FALSE;
  }
  if (is_int)
    k->i = g_new0 (int64_t, MAX (k->n, 1));
  else
    k->f = g_new0 (float, MAX (k->n, 1));
  return TRUE;
}

/* A float as an integer, saturating (and NaN as 0): converting one out of
 * range is undefined. */
static int64_t
float_to_int (float f)
{
  if (!(f == f))
    return 0;
  if (f >= 9.2e18f)
    return G_MAXINT64;
  if (f <= -9.2e18f)
    return -G_MAXINT64;
  return (int64_t) f;
}

static void
const_copy_value (Const *dst, int64_t di, const Const *src, int64_t si)
{
  if (dst->is_int)
    dst->i[di] = src->is_int ? src->i[si] : float_to_int (src->f[si]);
  else
    dst->f[di] = src->is_int ? (float) src->i[si] : src->f[si];
}

static gboolean
no_batch (Ctx *c, const Const *k, GError **error)
{
  if (const_batch_axes (k)) {
    nn_onnx_fail (c, error, NN_ERROR_SHAPE, "computes with a batch-sized constant; the batch size is not known before "
              "run time");
    return FALSE;
  }
  return TRUE;
}

gboolean
nn_onnx_axis_norm (Ctx *c, int64_t axis, int rank, int *out, GError **error)
{
  if (axis < -rank || axis >= rank) {
    nn_onnx_fail (c, error, NN_ERROR_INVALID, "axis %" G_GINT64_FORMAT " is out of range for %d dimensions", axis, rank);
    return FALSE;
  }
  *out = (int) (axis < 0 ? axis + rank : axis);
  return TRUE;
}

/* The axes of Squeeze/Unsqueeze: an attribute before opset 13, an input since. */
gboolean
nn_onnx_node_axes (Ctx *c, int64_t *axes, int *n, GError **error)
{
  const int64_t *v;
  int k = nn_onnx_attr_ints (c->node, "axes", &v);
  if (k >= 0) {
    if (k > MAXD) {
      nn_onnx_fail (c, error, NN_ERROR_INVALID, "%d axes", k);
      return FALSE;
    }
    if (k > 0)   /* an empty list has no storage: v is NULL */
      memcpy (axes, v, k * sizeof (int64_t));
    *n = k;
    return TRUE;
  }
  GError *e = NULL;
  const Const *a = nn_onnx_in_const (c, 1, "axes", FALSE, &e);
  if (e) {
    g_propagate_error (error, e);
    return FALSE;
  }
  if (!a) {
    *n = -1;
    return TRUE;
  }
  if (!nn_onnx_const_int_list (c, a, "axes", error))
    return FALSE;
  if (a->n > MAXD) {
    nn_onnx_fail (c, error, NN_ERROR_INVALID, "%" G_GINT64_FORMAT " axes", a->n);
    return FALSE;
  }
  if (a->n > 0)
    memcpy (axes, a->i, a->n * sizeof (int64_t));
  *n = (int) a->n;
  return TRUE;
}

/* Output dims of Unsqueeze (inserting) or Squeeze (removing) `axes` on
 * `ndim` dims; keep[j] is the input axis of output axis j, -1 inserted. */
gboolean
nn_onnx_squeeze_plan (Ctx *c, gboolean unsqueeze, int ndim, const int64_t *dim, const int64_t *axes, int n_axes,
              int *out_ndim, int *keep, GError **error)
{
  gboolean mark[MAXD] = { FALSE };
  int rank = unsqueeze ? ndim + n_axes : ndim;
  if (rank > MAXD) {
    nn_onnx_fail (c, error, NN_ERROR_INVALID, "%d dimensions (at most %d)", rank, MAXD);
    return FALSE;
  }
  for (int i = 0; i < n_axes; i++) {
    int a;
    if (!nn_onnx_axis_norm (c, axes[i], rank, &a, error))
      return FALSE;
    if (mark[a]) {
      nn_onnx_fail (c, error, NN_ERROR_INVALID, "axis %d given twice", a);
      return FALSE;
    }
    mark[a] = TRUE;
  }
  if (!unsqueeze && n_axes < 0)   /* no axes: every axis of size 1 */
    for (int i = 0; i < ndim; i++)
      mark[i] = dim[i] == 1;
  int o = 0, src = 0;
  for (int i = 0; i < rank; i++) {
    if (unsqueeze) {
      keep[o++] = mark[i] ? -1 : src++;
    } else if (mark[i]) {
      if (dim[i] != 1) {
        nn_onnx_fail (c, error, NN_ERROR_INVALID, "squeezes axis %d of size %s", i,
                  dim[i] == BATCH ? "N (the batch)" : "not 1");
        return FALSE;
      }
    } else {
      keep[o++] = i;
    }
  }
  *out_ndim = o;
  return TRUE;
}

/* Strides of a row-major shape whose batch axes count 1. */
static void
strides_of (const Const *k, int64_t *st)
{
  int64_t s = 1;
  for (int i = k->ndim - 1; i >= 0; i--) {
    st[i] = s;
    s *= k->dim[i] == BATCH ? 1 : k->dim[i];
  }
}

/* Broadcast `src` to dims `to` (numpy rules): out[idx] = src[idx mod its dims]. */
static gboolean
broadcast_to (Ctx *c, const Const *src, int ndim, const int64_t *to, Const *out, GError **error)
{
  if (src->ndim > ndim) {
    nn_onnx_fail (c, error, NN_ERROR_SHAPE, "cannot broadcast %d dimensions to %d", src->ndim, ndim);
    return FALSE;
  }
  int64_t sst[MAXD], sd[MAXD];
  int off = ndim - src->ndim;
  /* A constant traced at a fixed batch and expanded to the batch size (an
   * RNN's zero initial state) holds the same value everywhere: one sample's
   * worth stands for any batch. */
  gboolean uniform = TRUE;
  for (int64_t j = 1; j < src->n && uniform; j++)
    uniform = src->is_int ? src->i[j] == src->i[0] : src->f[j] == src->f[0];
  for (int i = 0; i < ndim; i++) {
    sd[i] = i < off ? 1 : src->dim[i - off];
    if (to[i] == BATCH && sd[i] == c->fixed_batch && uniform)
      sd[i] = 1;
    gboolean ok = sd[i] == 1 || sd[i] == to[i] || (sd[i] == BATCH && to[i] == BATCH);
    if (!ok && to[i] == BATCH && sd[i] == c->fixed_batch) {
      nn_onnx_fail (c, error, NN_ERROR_SHAPE, "expands a constant made for the traced batch of %" G_GINT64_FORMAT
                " whose samples differ to the batch size, which is not known before run time", sd[i]);
      return FALSE;
    }
    if (!ok) {
      char a[96], b[96];
      nn_onnx_fail (c, error, NN_ERROR_SHAPE, "cannot broadcast %s to %s", nn_onnx_dims_str (src->ndim, src->dim, a, sizeof a),
                nn_onnx_dims_str (ndim, to, b, sizeof b));
      return FALSE;
    }
  }
  strides_of (src, sst + off);
  for (int i = 0; i < off; i++)
    sst[i] = 0;
  nn_onnx_const_set_dims (out, ndim, to);
  if (!nn_onnx_const_alloc (c, out, src->is_int, error))
    return FALSE;
  int64_t idx[MAXD] = { 0 };
  for (int64_t j = 0; j < out->n; j++) {
    int64_t si = 0;
    for (int i = 0; i < ndim; i++)
      if (sd[i] != 1 && sd[i] != BATCH)
        si += idx[i] * sst[i];
    const_copy_value (out, j, src, si);
    for (int i = ndim - 1; i >= 0; i--) {
      int64_t lim = to[i] == BATCH ? 1 : to[i];
      if (++idx[i] < lim)
        break;
      idx[i] = 0;
    }
  }
  return TRUE;
}

static gboolean
fold_binary (Ctx *c, const char *op, const Const *a, const Const *b, Const *out, GError **error)
{
  if (!no_batch (c, a, error) || !no_batch (c, b, error))
    return FALSE;
  int nd = MAX (a->ndim, b->ndim);
  int64_t to[MAXD];
  for (int i = 0; i < nd; i++) {
    int64_t da = i < nd - a->ndim ? 1 : a->dim[i - (nd - a->ndim)];
    int64_t db = i < nd - b->ndim ? 1 : b->dim[i - (nd - b->ndim)];
    to[i] = da == 1 ? db : da;
  }
  Const ba = { 0 }, bb = { 0 };
  if (!broadcast_to (c, a, nd, to, &ba, error) || !broadcast_to (c, b, nd, to, &bb, error)) {
    g_free (ba.f); g_free (ba.i); g_free (bb.f); g_free (bb.i);
    return FALSE;
  }
  gboolean is_int = a->is_int && b->is_int;
  nn_onnx_const_set_dims (out, nd, to);
  if (!nn_onnx_const_alloc (c, out, is_int, error))
    return FALSE;
  char o = op[0];
  for (int64_t j = 0; j < out->n; j++) {
    if (is_int) {
      int64_t x = ba.i[j], y = bb.i[j];
      if (o == 'D' && y == 0) {
        g_free (ba.i); g_free (bb.i);
        nn_onnx_fail (c, error, NN_ERROR_INVALID, "integer division by 0");
        return FALSE;
      }
      /* wrapping (unsigned) arithmetic: a hostile file's overflow is not undefined */
      guint64 ux = (guint64) x, uy = (guint64) y;
      out->i[j] = o == 'A' ? (int64_t) (ux + uy) : o == 'S' ? (int64_t) (ux - uy) : o == 'M' ? (int64_t) (ux * uy)
                : (y == -1 ? (int64_t) (0 - ux) : x / y);
    } else {
      float x = ba.is_int ? (float) ba.i[j] : ba.f[j], y = bb.is_int ? (float) bb.i[j] : bb.f[j];
      out->f[j] = o == 'A' ? x + y : o == 'S' ? x - y : o == 'M' ? x * y : x / y;
    }
  }
  g_free (ba.f); g_free (ba.i); g_free (bb.f); g_free (bb.i);
  return TRUE;
}

/* An op whose inputs are all constants. */
gboolean
nn_onnx_fold (Ctx *c, GError **error)
{
  const Onnx__NodeProto *n = c->node;
  const char *op = n->op_type;
  GError *e = NULL;
  const Const *x = g_str_equal (op, "Constant") ? NULL : nn_onnx_in_const (c, 0, "input", FALSE, &e);
  if (e) {
    g_propagate_error (error, e);
    return FALSE;
  }
  Value *v = nn_onnx_out_new (c, 0);
  if (!v)
    return TRUE;
  Const *k = &v->c;

  if (g_str_equal (op, "Constant")) {
    const Onnx__AttributeProto *a;
    if ((a = nn_onnx_attr (n, "value")) && a->t)
      return const_from_tensor (c, a->t, k, error);
    if ((a = nn_onnx_attr (n, "value_float")) && a->has_f) {
      nn_onnx_const_set_dims (k, 0, NULL);
      if (!nn_onnx_const_alloc (c, k, FALSE, error))
        return FALSE;
      k->f[0] = a->f;
      return TRUE;
    }
    if ((a = nn_onnx_attr (n, "value_int")) && a->has_i) {
      nn_onnx_const_set_dims (k, 0, NULL);
      if (!nn_onnx_const_alloc (c, k, TRUE, error))
        return FALSE;
      k->i[0] = a->i;
      return TRUE;
    }
    if ((a = nn_onnx_attr (n, "value_floats"))) {
      int64_t d = a->n_floats;
      nn_onnx_const_set_dims (k, 1, &d);
      if (!nn_onnx_const_alloc (c, k, FALSE, error))
        return FALSE;
      if (d > 0)   /* empty lists have no storage */
        memcpy (k->f, a->floats, d * sizeof (float));
      return TRUE;
    }
    if ((a = nn_onnx_attr (n, "value_ints"))) {
      int64_t d = a->n_ints;
      nn_onnx_const_set_dims (k, 1, &d);
      if (!nn_onnx_const_alloc (c, k, TRUE, error))
        return FALSE;
      if (d > 0)
        memcpy (k->i, a->ints, d * sizeof (int64_t));
      return TRUE;
    }
    nn_onnx_fail (c, error, NN_ERROR_INVALID, "a Constant without a value, value_float(s) or value_int(s) attribute "
              "is not supported");
    return FALSE;
  }
  if (!x) {
    nn_onnx_fail (c, error, NN_ERROR_FORMAT, "no input");
    return FALSE;
  }
  if (g_str_equal (op, "Identity") || g_str_equal (op, "Cast")) {
    int64_t to = nn_onnx_attr_int (n, "to", x->is_int ? 7 : 1);
    gboolean is_int = g_str_equal (op, "Cast") ? (to != ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT &&
                                                  to != ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE &&
                                                  to != ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT16) : x->is_int;
    nn_onnx_const_set_dims (k, x->ndim, x->dim);
    if (!nn_onnx_const_alloc (c, k, is_int, error))
      return FALSE;
    for (int64_t j = 0; j < k->n; j++)
      const_copy_value (k, j, x, j);
    return TRUE;
  }
  if (g_str_equal (op, "ConstantOfShape")) {
    if (!nn_onnx_const_int_list (c, x, "its shape", error))
      return FALSE;
    if (x->n > MAXD) {
      nn_onnx_fail (c, error, NN_ERROR_INVALID, "%" G_GINT64_FORMAT " dimensions", x->n);
      return FALSE;
    }
    for (int64_t j = 0; j < x->n; j++)
      if (x->i[j] < 0 && x->i[j] != BATCH) {
        nn_onnx_fail (c, error, NN_ERROR_INVALID, "negative dimension");
        return FALSE;
      }
    nn_onnx_const_set_dims (k, (int) x->n, x->i);
    const Onnx__AttributeProto *a = nn_onnx_attr (n, "value");
    Const val = { 0 };
    if (a && a->t && !const_from_tensor (c, a->t, &val, error))
      return FALSE;
    if (!nn_onnx_const_alloc (c, k, a && a->t ? val.is_int : FALSE, error)) {
      g_free (val.f);
      g_free (val.i);
      return FALSE;
    }
    for (int64_t j = 0; j < k->n && val.n > 0; j++)
      const_copy_value (k, j, &val, 0);
    g_free (val.f);
    g_free (val.i);
    return TRUE;
  }
  if (g_str_equal (op, "Expand")) {
    const Const *shape = nn_onnx_in_const (c, 1, "shape", TRUE, error);
    if (!shape || !nn_onnx_const_int_list (c, shape, "its shape", error))
      return FALSE;
    if (shape->n > MAXD) {
      nn_onnx_fail (c, error, NN_ERROR_INVALID, "%" G_GINT64_FORMAT " dimensions", shape->n);
      return FALSE;
    }
    /* numpy-style: the result has the larger of each pair of dims */
    int nd = MAX (x->ndim, (int) shape->n);
    int64_t to[MAXD];
    for (int i = 0; i < nd; i++) {
      int64_t dx = i < nd - x->ndim ? 1 : x->dim[i - (nd - x->ndim)];
      int64_t ds = i < nd - (int) shape->n ? 1 : shape->i[i - (nd - shape->n)];
      to[i] = ds == BATCH ? BATCH : dx == 1 ? ds : dx;
    }
    return broadcast_to (c, x, nd, to, k, error);
  }
  if (!no_batch (c, x, error))
    return FALSE;
  if (g_str_equal (op, "Gather")) {
    const Const *ix = nn_onnx_in_const (c, 1, "indices", TRUE, error);
    int axis;
    if (!ix || !nn_onnx_axis_norm (c, nn_onnx_attr_int (n, "axis", 0), x->ndim, &axis, error))
      return FALSE;
    if (!ix->is_int) {
      nn_onnx_fail (c, error, NN_ERROR_INVALID, "indices are not integers");
      return FALSE;
    }
    int nd = x->ndim - 1 + ix->ndim;
    if (nd > MAXD) {
      nn_onnx_fail (c, error, NN_ERROR_INVALID, "%d dimensions", nd);
      return FALSE;
    }
    int64_t dims[MAXD], outer = 1, inner = 1, len = x->dim[axis];
    int o = 0;
    for (int i = 0; i < axis; i++)
      outer *= (dims[o++] = x->dim[i]);
    for (int i = 0; i < ix->ndim; i++)
      dims[o++] = ix->dim[i];
    for (int i = axis + 1; i < x->ndim; i++)
      inner *= (dims[o++] = x->dim[i]);
    nn_onnx_const_set_dims (k, nd, dims);
    if (!nn_onnx_const_alloc (c, k, x->is_int, error))
      return FALSE;
    for (int64_t a = 0; a < outer; a++)
      for (int64_t j = 0; j < ix->n; j++) {
        int64_t q = ix->i[j] < 0 ? ix->i[j] + len : ix->i[j];
        if (q < 0 || q >= len) {
          nn_onnx_fail (c, error, NN_ERROR_INVALID, "index %" G_GINT64_FORMAT " is out of range [0, %" G_GINT64_FORMAT
                    ")", ix->i[j], len);
          return FALSE;
        }
        for (int64_t b = 0; b < inner; b++)
          const_copy_value (k, (a * ix->n + j) * inner + b, x, (a * len + q) * inner + b);
      }
    return TRUE;
  }
  if (g_str_equal (op, "Unsqueeze") || g_str_equal (op, "Squeeze")) {
    int64_t axes[MAXD];
    int na, nd, keep[MAXD];
    gboolean un = g_str_equal (op, "Unsqueeze");
    if (!nn_onnx_node_axes (c, axes, &na, error))
      return FALSE;
    if (un && na < 0) {
      nn_onnx_fail (c, error, NN_ERROR_FORMAT, "no axes");
      return FALSE;
    }
    if (!nn_onnx_squeeze_plan (c, un, x->ndim, x->dim, axes, na, &nd, keep, error))
      return FALSE;
    int64_t dims[MAXD];
    for (int i = 0; i < nd; i++)
      dims[i] = keep[i] < 0 ? 1 : x->dim[keep[i]];
    nn_onnx_const_set_dims (k, nd, dims);
    if (!nn_onnx_const_alloc (c, k, x->is_int, error))
      return FALSE;
    for (int64_t j = 0; j < k->n; j++)
      const_copy_value (k, j, x, j);
    return TRUE;
  }
  if (g_str_equal (op, "Concat")) {
    int axis;
    if (!nn_onnx_axis_norm (c, nn_onnx_attr_int (n, "axis", 0), MAX (x->ndim, 1), &axis, error))
      return FALSE;
    if (x->ndim == 0) {
      nn_onnx_fail (c, error, NN_ERROR_INVALID, "concatenates scalars");
      return FALSE;
    }
    int64_t dims[MAXD];
    memcpy (dims, x->dim, sizeof dims);
    dims[axis] = 0;
    for (size_t j = 0; j < n->n_input; j++) {
      const Const *y = nn_onnx_in_const (c, (int) j, "input", TRUE, error);
      if (!y || !no_batch (c, y, error))
        return FALSE;
      gboolean ok = y->ndim == x->ndim;
      for (int i = 0; ok && i < x->ndim; i++)
        ok = i == axis || y->dim[i] == x->dim[i];
      if (!ok) {
        nn_onnx_fail (c, error, NN_ERROR_SHAPE, "inputs of different shapes");
        return FALSE;
      }
      dims[axis] += y->dim[axis];
    }
    nn_onnx_const_set_dims (k, x->ndim, dims);
    if (!nn_onnx_const_alloc (c, k, x->is_int, error))
      return FALSE;
    int64_t outer = 1, inner = 1, off = 0;
    for (int i = 0; i < axis; i++)
      outer *= dims[i];
    for (int i = axis + 1; i < x->ndim; i++)
      inner *= dims[i];
    for (size_t j = 0; j < n->n_input; j++) {
      const Const *y = nn_onnx_in_const (c, (int) j, "input", TRUE, error);
      int64_t blk = y->dim[axis] * inner;
      for (int64_t a = 0; a < outer; a++)
        for (int64_t b = 0; b < blk; b++)
          const_copy_value (k, a * dims[axis] * inner + off + b, y, a * blk + b);
      off += blk;
    }
    return TRUE;
  }
  if (g_str_equal (op, "Reshape")) {
    const Const *shape = nn_onnx_in_const (c, 1, "shape", TRUE, error);
    if (!shape || !nn_onnx_const_int_list (c, shape, "its shape", error))
      return FALSE;
    if (shape->n > MAXD) {
      nn_onnx_fail (c, error, NN_ERROR_INVALID, "%" G_GINT64_FORMAT " dimensions", shape->n);
      return FALSE;
    }
    int64_t dims[MAXD], known = 1;
    int infer = -1;
    for (int i = 0; i < shape->n; i++) {
      dims[i] = shape->i[i] == 0 && i < x->ndim ? x->dim[i] : shape->i[i];
      if (dims[i] == -1 && infer < 0)
        infer = i;
      else if (dims[i] < 0) {
        nn_onnx_fail (c, error, NN_ERROR_INVALID, "bad shape");
        return FALSE;
      } else if (dims[i] > 0 && known > G_MAXINT64 / dims[i]) {
        nn_onnx_fail (c, error, NN_ERROR_INVALID, "bad shape");
        return FALSE;
      } else
        known *= dims[i];
    }
    if (infer >= 0)
      dims[infer] = known ? x->n / known : 0;
    nn_onnx_const_set_dims (k, (int) shape->n, dims);
    if (k->n != x->n) {
      nn_onnx_fail (c, error, NN_ERROR_SHAPE, "reshapes %" G_GINT64_FORMAT " values to %" G_GINT64_FORMAT, x->n, k->n);
      return FALSE;
    }
    if (!nn_onnx_const_alloc (c, k, x->is_int, error))
      return FALSE;
    for (int64_t j = 0; j < k->n; j++)
      const_copy_value (k, j, x, j);
    return TRUE;
  }
  if (g_str_equal (op, "Transpose")) {
    const int64_t *perm;
    int np = nn_onnx_attr_ints (n, "perm", &perm);
    int p[MAXD];
    for (int i = 0; i < x->ndim; i++)
      p[i] = np < 0 ? x->ndim - 1 - i : (int) perm[i];
    if (np >= 0 && np != x->ndim) {
      nn_onnx_fail (c, error, NN_ERROR_INVALID, "perm has %d values for %d dimensions", np, x->ndim);
      return FALSE;
    }
    int64_t dims[MAXD], st[MAXD];
    gboolean seen[MAXD] = { FALSE };
    for (int i = 0; i < x->ndim; i++) {
      if (p[i] < 0 || p[i] >= x->ndim || seen[p[i]]) {
        nn_onnx_fail (c, error, NN_ERROR_INVALID, "perm is not a permutation");
        return FALSE;
      }
      seen[p[i]] = TRUE;
      dims[i] = x->dim[p[i]];
    }
    strides_of (x, st);
    nn_onnx_const_set_dims (k, x->ndim, dims);
    if (!nn_onnx_const_alloc (c, k, x->is_int, error))
      return FALSE;
    int64_t idx[MAXD] = { 0 };
    for (int64_t j = 0; j < k->n; j++) {
      int64_t si = 0;
      for (int i = 0; i < x->ndim; i++)
        si += idx[i] * st[p[i]];
      const_copy_value (k, j, x, si);
      for (int i = x->ndim - 1; i >= 0; i--) {
        if (++idx[i] < dims[i])
          break;
        idx[i] = 0;
      }
    }
    return TRUE;
  }
  if (g_str_equal (op, "Slice")) {
    const Const *st = nn_onnx_in_const (c, 1, "starts", TRUE, error), *en = st ? nn_onnx_in_const (c, 2, "ends", TRUE, error) : NULL;
    if (!en)
      return FALSE;
    GError *e2 = NULL;
    const Const *ax = nn_onnx_in_const (c, 3, "axes", FALSE, &e2), *sp = e2 ? NULL : nn_onnx_in_const (c, 4, "steps", FALSE, &e2);
    if (e2) {
      g_propagate_error (error, e2);
      return FALSE;
    }
    if (!nn_onnx_const_int_list (c, st, "starts", error) || !nn_onnx_const_int_list (c, en, "ends", error) ||
        (ax && !nn_onnx_const_int_list (c, ax, "axes", error)) || (sp && !nn_onnx_const_int_list (c, sp, "steps", error)))
      return FALSE;
    if (en->n != st->n || (ax && ax->n != st->n) || (sp && sp->n != st->n)) {
      nn_onnx_fail (c, error, NN_ERROR_INVALID, "starts, ends, axes and steps differ in length");
      return FALSE;
    }
    int64_t b[MAXD], step[MAXD], dims[MAXD];
    for (int i = 0; i < x->ndim; i++)
      b[i] = 0, step[i] = 1, dims[i] = x->dim[i];
    for (int64_t j = 0; j < st->n; j++) {
      int a;
      if (!nn_onnx_axis_norm (c, ax ? ax->i[j] : j, x->ndim, &a, error))
        return FALSE;
      int64_t len = x->dim[a], s = sp ? sp->i[j] : 1, lo = st->i[j], hi = en->i[j];
      /* a step beyond the axis picks one value either way; clamped, the
       * arithmetic below cannot overflow */
      s = CLAMP (s, -(len + 1), len + 1);
      if (s == 0) {
        nn_onnx_fail (c, error, NN_ERROR_INVALID, "step 0");
        return FALSE;
      }
      lo = lo < 0 ? lo + len : lo;
      hi = hi < 0 ? hi + len : hi;
      if (s > 0) {
        lo = CLAMP (lo, 0, len), hi = CLAMP (hi, 0, len);
        dims[a] = hi > lo ? (hi - lo + s - 1) / s : 0;
      } else {
        lo = CLAMP (lo, -1, len - 1), hi = CLAMP (hi, -1, len - 1);
        dims[a] = lo > hi ? (lo - hi - s - 1) / -s : 0;
      }
      b[a] = lo, step[a] = s;
    }
    int64_t xs[MAXD];
    strides_of (x, xs);
    nn_onnx_const_set_dims (k, x->ndim, dims);
    if (!nn_onnx_const_alloc (c, k, x->is_int, error))
      return FALSE;
    int64_t idx[MAXD] = { 0 };
    for (int64_t j = 0; j < k->n; j++) {
      int64_t si = 0;
      for (int i = 0; i < x->ndim; i++)
        si += (b[i] + idx[i] * step[i]) * xs[i];
      const_copy_value (k, j, x, si);
      for (int i = x->ndim - 1; i >= 0; i--) {
        if (++idx[i] < dims[i])
          break;
        idx[i] = 0;
      }
    }
    return TRUE;
  }
  if (g_str_equal (op, "Add") || g_str_equal (op, "Sub") || g_str_equal (op, "Mul") || g_str_equal (op, "Div")) {
    const Const *y = nn_onnx_in_const (c, 1, "second input", TRUE, error);
    return y && fold_binary (c, op, x, y, k, error);
  }
  nn_onnx_fail (c, error, NN_ERROR_UNKNOWN_LAYER, "op type '%s' is not supported on constants", op);
  return FALSE;
}
