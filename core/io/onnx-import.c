/* ONNX import: an onnx.ModelProto -> our spec (the JSON the registry builds
 * from) and parameters named and shaped as PyTorch's.
 *
 * The graph is walked once in its (topological) node order. Every value is
 * either a constant (an initializer, a Constant node, or anything computed
 * from constants and from the static shapes of layer outputs: the Shape ->
 * Gather -> Unsqueeze -> Concat -> Expand chains PyTorch emits for an RNN's
 * initial state are folded here) or the output of the chain of layers, which
 * we track as a "dynamic" value: its ONNX dims, and which of our tensor's axes
 * each ONNX axis is. Our tensor is always (N, per-sample...) in the layout the
 * layers compute in; Transpose, Squeeze and Unsqueeze only change how ONNX
 * sees it (the transposes around an LSTM, the axis of size 1 of its output),
 * so they cost nothing. A Reshape of (N, T, step...) to (-1, step...) makes
 * the batch N*T steps (Dyn.steps): the layers until the Reshape back to (N, T,
 * ...) are time_distributed ones. An op that computes (Conv, Gemm, LSTM ...)
 * appends one layer to the spec and must read the latest layer's output:
 * graphs are chains, and a branch is an error naming the node.
 *
 * The batch is the first axis of the graph input, whether fixed or symbolic;
 * every other dimension must be known. */
#include "io/onnx-import-private.h"
#include "nn/nn-model.h"

typedef struct {
  char     *name;
  NnShape   shape;
  float    *data;
} Param;

typedef struct {
  JsonObject *o;           /* the spec entry */
  char       *name;
} Layer;

static void
param_free (gpointer p)
{
  Param *q = p;
  g_free (q->name);
  g_free (q->data);
  g_free (q);
}

static void
layer_free (gpointer p)
{
  Layer *l = p;
  json_object_unref (l->o);
  g_free (l->name);
  g_free (l);
}

/* ---- layers ---------------------------------------------------------------- */

static int
stamp (const Ctx *c)
{
  return (int) c->layers->len;
}

/* The value the next layer reads: dynamic, and the latest layer's output;
 * a copy in *out, which the op may change (a flatten, a pad taken). */
static Dyn *
in_dyn (Ctx *c, int k, Dyn *out, GError **error)
{
  GError *e = NULL;
  Value *v = nn_onnx_in (c, k, &e);
  if (e) {
    g_propagate_error (error, e);
    return NULL;
  }
  if (!v) {
    nn_onnx_fail (c, error, NN_ERROR_FORMAT, "input %d is missing", k);
    return NULL;
  }
  if (!v->is_dyn) {
    nn_onnx_fail (c, error, NN_ERROR_INVALID, "input '%s' is a constant, not computed from the graph input; "
              "only the layers of a network are supported", c->node->input[k]);
    return NULL;
  }
  if (v->d.stamp != stamp (c)) {
    nn_onnx_fail (c, error, NN_ERROR_INVALID, "input '%s' is not the output of the layer before (the graph branches "
              "or joins); only chains of layers are supported", c->node->input[k]);
    return NULL;
  }
  *out = v->d;
  return out;
}

/* Our memory order equals ONNX's: our axes appear in increasing order. */
static gboolean
dyn_same_order (const Dyn *d)
{
  int prev = -1;
  for (int i = 0; i < d->ndim; i++)
    if (d->map[i] >= 0) {
      if (d->map[i] <= prev)
        return FALSE;
      prev = d->map[i];
    }
  return prev == d->s.ndim && d->map[0] == 0;
}

static gboolean
dyn_canonical (const Dyn *d)
{
  if (d->ndim != d->s.ndim + 1)
    return FALSE;
  for (int i = 0; i < d->ndim; i++)
    if (d->map[i] != i)
      return FALSE;
  return TRUE;
}

static void
dyn_set_canonical (Dyn *d, const NnShape *s)
{
  d->s = *s;
  d->ndim = s->ndim + 1;
  d->dim[0] = BATCH;
  d->map[0] = 0;
  for (int i = 0; i < s->ndim; i++) {
    d->dim[i + 1] = s->dim[i];
    d->map[i + 1] = i + 1;
  }
}

/* The recurrent layer's last step only: what a last-step view decided. */
static void
dyn_settle (Ctx *c, const Dyn *d)
{
  if (d->rec >= 0 && d->last) {
    Layer *l = g_ptr_array_index (c->layers, d->rec);
    json_object_set_boolean_member (l->o, "return_sequences", FALSE);
  }
}

static gboolean
no_pending_pad (Ctx *c, const Dyn *d, GError **error)
{
  if (d->pad[0] || d->pad[1] || d->pad[2] || d->pad[3]) {
    nn_onnx_fail (c, error, NN_ERROR_INVALID, "reads the output of a Pad; a Pad is supported only before a Conv or "
              "an AveragePool");
    return FALSE;
  }
  return TRUE;
}

static char *
layer_name (Ctx *c, const char *type, const char *weight)
{
  /* PyTorch names its initializers "<module path>.weight": the layer takes the
   * module's name, so the tensor names are the state dict's. */
  char *name = NULL;
  if (weight && g_str_has_suffix (weight, ".weight") && strlen (weight) > 7 && !g_str_has_prefix (weight, "onnx::"))
    name = g_strndup (weight, strlen (weight) - 7);
  if (!name || g_hash_table_contains (c->names, name)) {
    g_free (name);
    name = g_strdup_printf ("%s%u", type, c->layers->len);
    for (int k = 1; g_hash_table_contains (c->names, name); k++) {
      g_free (name);
      name = g_strdup_printf ("%s%u_%d", type, c->layers->len, k);
    }
  }
  g_hash_table_add (c->names, g_strdup (name));
  return name;
}

/* A sample's values at most: 8 GB of floats, far beyond any model we run,
 * and far from overflowing the products of sizes. */
#define MAX_SAMPLE_VALUES ((int64_t) 1 << 31)

static gboolean
shape_size_ok (const NnShape *s)
{
  int64_t n = 1;
  for (int i = 0; i < s->ndim; i++) {
    if (s->dim[i] < 0 || (s->dim[i] > 0 && n > MAX_SAMPLE_VALUES / s->dim[i]))
      return FALSE;
    n *= s->dim[i];
  }
  return n <= MAX_SAMPLE_VALUES;
}

static char *
json_text (JsonObject *o)
{
  g_autoptr (JsonNode) node = json_node_new (JSON_NODE_OBJECT);
  json_node_set_object (node, o);
  return json_to_string (node, FALSE);
}

/* Append a layer `o` (type and options; its name is given here) reading `in`;
 * the built layer (for its output shape and parameter shapes) comes back, to
 * be freed by the caller. `o` is taken. */
static NnLayer *
layer_add (Ctx *c, JsonObject *o, const char *weight_name, Dyn *in, GError **error)
{
  if (in->is_int && !g_str_equal (json_object_get_string_member (o, "type"), "embedding")) {
    nn_onnx_fail (c, error, NN_ERROR_INVALID, "reads integers (token indices); only an embedding (Gather) does");
    json_object_unref (o);
    return NULL;
  }
  if (in->steps && g_str_equal (json_object_get_string_member (o, "type"), "time_distributed")) {
    nn_onnx_fail (c, error, NN_ERROR_INVALID, "a sequence inside a batch of N*T steps (a time_distributed inside a "
                  "time_distributed) is not supported");
    json_object_unref (o);
    return NULL;
  }
  Layer *l = g_new0 (Layer, 1);
  l->o = o;
  l->name = layer_name (c, json_object_get_string_member (o, "type"), weight_name);
  json_object_set_string_member (o, "name", l->name);
  g_autofree char *json = json_text (o);
  GError *e = NULL;
  if (in->steps) {
    /* A layer on the batch of N*T steps is our time_distributed on (T,
     * step...): the spec holds that; the caller gets the inner layer (the
     * step's output shape, the parameters, named after the outer layer as
     * time_distributed names them). */
    JsonObject *td = json_object_new ();
    json_object_set_string_member (td, "type", "time_distributed");
    json_object_set_string_member (td, "name", l->name);
    json_object_set_object_member (td, "layer", o);
    l->o = td;
    NnShape seq = { .ndim = in->s.ndim + 1 };
    seq.dim[0] = in->steps;
    for (int i = 0; i < in->s.ndim; i++)
      seq.dim[i + 1] = in->s.dim[i];
    g_autofree char *td_json = NULL;
    NnLayer *tl = NULL;
    if (seq.ndim > NN_MAX_DIMS)
      g_set_error (&e, NN_ERROR, NN_ERROR_SHAPE, "a step of %d dimensions in a sequence is more than %d", in->s.ndim,
                   NN_MAX_DIMS);
    else
      tl = nn_layer_new ((td_json = json_text (td)), &seq, 0, &e);
    if (!tl) {
      layer_free (l);
      nn_onnx_prefix (c, error, e);
      return NULL;
    }
    nn_layer_free (tl);
  }
  NnLayer *nl = nn_layer_new (json, &in->s, 0, &e);
  if (!nl) {
    layer_free (l);
    nn_onnx_prefix (c, error, e);
    return NULL;
  }
  if (!shape_size_ok (&nl->out)) {
    char buf[96];
    nn_onnx_fail (c, error, NN_ERROR_SHAPE, "its output %s is more than %" G_GINT64_FORMAT " values a sample",
              nn_shape_to_string (&nl->out, buf, sizeof buf), MAX_SAMPLE_VALUES);
    layer_free (l);
    nn_layer_free (nl);
    return NULL;
  }
  dyn_settle (c, in);
  c->steps = in->steps;
  g_ptr_array_add (c->layers, l);
  return nl;
}

/* A parameter of the layer just added: `data` (taken) has its numel. */
static gboolean
param_add (Ctx *c, NnLayer *nl, const char *pname, float *data, int64_t numel, GError **error)
{
  NnParam *p = nn_layer_param (nl, pname);
  if (!p || nn_shape_numel (&p->shape) != numel) {
    char buf[64];
    nn_onnx_fail (c, error, NN_ERROR_SHAPE, "%s holds %" G_GINT64_FORMAT " values, the layer needs %s", pname, numel,
              p ? nn_shape_to_string (&p->shape, buf, sizeof buf) : "none");
    g_free (data);
    return FALSE;
  }
  Param *q = g_new0 (Param, 1);
  q->name = g_strdup (p->name);
  q->shape = p->shape;
  q->data = data;
  g_ptr_array_add (c->params, q);
  return TRUE;
}

/* The output of a layer with canonical layout. */
static Value *
out_layer (Ctx *c, NnLayer *nl)
{
  Value *v = nn_onnx_out_new (c, 0);
  if (!v)
    return NULL;
  v->is_dyn = TRUE;
  dyn_set_canonical (&v->d, &nl->out);
  v->d.stamp = stamp (c);
  v->d.rec = -1;
  v->d.steps = c->steps;
  return v;
}

/* Make `d` canonical for a layer that needs its input as (N, per-sample...):
 * a flatten when ONNX sees it as (N, F) in our order, else an error. */
static Dyn *
need_canonical (Ctx *c, Dyn *d, int onnx_rank, GError **error)
{
  if (!no_pending_pad (c, d, error))
    return NULL;
  if (onnx_rank && d->ndim != onnx_rank) {
    char buf[96];
    nn_onnx_fail (c, error, NN_ERROR_SHAPE, "input of %d dimensions %s; %d expected", d->ndim,
              nn_onnx_dims_str (d->ndim, d->dim, buf, sizeof buf), onnx_rank);
    return NULL;
  }
  if (dyn_canonical (d))
    return d;
  if (d->ndim == 2 && dyn_same_order (d)) {
    JsonObject *o = json_object_new ();
    json_object_set_string_member (o, "type", "flatten");
    NnLayer *nl = layer_add (c, o, NULL, d, error);
    if (!nl)
      return NULL;
    NnShape s = nl->out;
    nn_layer_free (nl);
    dyn_set_canonical (d, &s);
    d->stamp = stamp (c);
    d->rec = -1;
    return d;
  }
  char buf[96];
  nn_onnx_fail (c, error, NN_ERROR_INVALID, "its input %s is a transposed or reshaped view of the layer before; only "
            "the transposes and squeezes around RNN/LSTM and flattening to (N, features) are supported",
            nn_onnx_dims_str (d->ndim, d->dim, buf, sizeof buf));
  return NULL;
}

/* ---- views: ops that change how ONNX sees the layers' output ------------------- */

static Value *
out_view (Ctx *c, const Dyn *d)
{
  Dyn t = *d;
  Value *v = nn_onnx_out_new (c, 0);
  if (v) {
    v->is_dyn = TRUE;
    v->d = t;
  }
  return v;
}

static gboolean
op_shape (Ctx *c, const Dyn *d, GError **error)
{
  int64_t start = nn_onnx_attr_int (c->node, "start", 0), end = nn_onnx_attr_int (c->node, "end", d->ndim);
  start = CLAMP (start < 0 ? start + d->ndim : start, 0, d->ndim);
  end = CLAMP (end < 0 ? end + d->ndim : end, 0, d->ndim);
  Value *v = nn_onnx_out_new (c, 0);
  if (!v)
    return TRUE;
  int64_t len = MAX (end - start, 0);
  nn_onnx_const_set_dims (&v->c, 1, &len);
  if (!nn_onnx_const_alloc (c, &v->c, TRUE, error))
    return FALSE;
  for (int64_t i = 0; i < len; i++)
    v->c.i[i] = d->dim[start + i];
  return TRUE;
}

static gboolean
op_transpose (Ctx *c, const Dyn *d, GError **error)
{
  const int64_t *perm;
  int np = nn_onnx_attr_ints (c->node, "perm", &perm);
  if (np >= 0 && np != d->ndim) {
    nn_onnx_fail (c, error, NN_ERROR_INVALID, "perm has %d values for %d dimensions", np, d->ndim);
    return FALSE;
  }
  Dyn t = *d;
  gboolean seen[MAXD] = { FALSE };
  for (int i = 0; i < d->ndim; i++) {
    int64_t p = np < 0 ? d->ndim - 1 - i : perm[i];
    if (p < 0 || p >= d->ndim || seen[p]) {
      nn_onnx_fail (c, error, NN_ERROR_INVALID, "perm is not a permutation");
      return FALSE;
    }
    seen[p] = TRUE;
    t.dim[i] = d->dim[p];
    t.map[i] = d->map[p];
  }
  out_view (c, &t);
  return TRUE;
}

static gboolean
op_squeeze (Ctx *c, const Dyn *d, gboolean un, GError **error)
{
  int64_t axes[MAXD];
  int na, nd, keep[MAXD];
  if (!nn_onnx_node_axes (c, axes, &na, error))
    return FALSE;
  if (un && na < 0) {
    nn_onnx_fail (c, error, NN_ERROR_FORMAT, "no axes");
    return FALSE;
  }
  if (!nn_onnx_squeeze_plan (c, un, d->ndim, d->dim, axes, na, &nd, keep, error))
    return FALSE;
  Dyn t = *d;
  t.ndim = nd;
  for (int i = 0; i < nd; i++) {
    t.dim[i] = keep[i] < 0 ? 1 : d->dim[keep[i]];
    t.map[i] = keep[i] < 0 ? -1 : d->map[keep[i]];
  }
  /* A squeezed axis of ours (size 1) must leave ONNX's view alone: it stays in
   * our shape, and the next layer flattens or errors (need_canonical). */
  for (int a = 1; a <= d->s.ndim; a++) {
    gboolean present = FALSE;
    for (int i = 0; i < nd; i++)
      present |= t.map[i] == a;
    if (!present) {
      nn_onnx_fail (c, error, NN_ERROR_INVALID, "squeezes an axis of the layers' output; only the axes of size 1 "
                "around RNN/LSTM outputs can be squeezed");
      return FALSE;
    }
  }
  out_view (c, &t);
  return TRUE;
}

/* Flatten, or a Reshape to (N, -1): the layers' output as (N, features). */
static gboolean
op_flatten (Ctx *c, GError **error)
{
  Dyn dv, *in = in_dyn (c, 0, &dv, error);
  if (!in || !no_pending_pad (c, in, error))
    return FALSE;
  if (!dyn_same_order (in)) {
    nn_onnx_fail (c, error, NN_ERROR_INVALID, "flattens a transposed view of the layers' output");
    return FALSE;
  }
  Dyn t = *in;
  t.ndim = 2;
  t.dim[0] = BATCH;
  t.dim[1] = nn_shape_numel (&in->s);
  t.map[0] = 0;
  t.map[1] = 1;
  if (in->s.ndim != 1) {
    /* a real flatten layer: our per-sample shape becomes [numel] */
    JsonObject *o = json_object_new ();
    json_object_set_string_member (o, "type", "flatten");
    NnLayer *nl = layer_add (c, o, NULL, in, error);
    if (!nl)
      return FALSE;
    t.s = nl->out;
    t.stamp = stamp (c);
    t.rec = -1;
    t.last = t.seq = FALSE;
    nn_layer_free (nl);
  }
  out_view (c, &t);
  return TRUE;
}

/* (N, T, step...) to (-1, step...), a batch of N*T steps (how a
 * time_distributed runs its layer), and back to (-1 or N, T, step out...):
 * TRUE or FALSE when `shape` is one of the two, -1 when neither. */
static int
op_reshape_steps (Ctx *c, const Dyn *d, const Const *shape, GError **error)
{
  char buf[96], buf2[96];
  if (!d->steps) {
    if (!dyn_canonical (d) || d->s.ndim < 2 || d->s.dim[0] < 2 || shape->n != d->s.ndim || shape->i[0] != -1)
      return -1;
    for (int i = 1; i < shape->n; i++)
      if (shape->i[i] != d->s.dim[i])
        return -1;
    if (!no_pending_pad (c, d, error))
      return FALSE;
    Dyn t = *d;
    NnShape step = { .ndim = d->s.ndim - 1 };
    for (int i = 0; i < step.ndim; i++)
      step.dim[i] = d->s.dim[i + 1];
    dyn_set_canonical (&t, &step);
    t.steps = d->s.dim[0];
    out_view (c, &t);
    return TRUE;
  }
  gboolean back = dyn_canonical (d) && d->s.ndim < NN_MAX_DIMS && shape->n == d->s.ndim + 2 && (shape->i[0] == -1 || shape->i[0] == BATCH) &&
                  shape->i[1] == d->steps;
  for (int i = 0; back && i < d->s.ndim; i++)
    back = shape->i[i + 2] == d->s.dim[i];
  if (!back) {
    char buf3[96];
    nn_onnx_fail (c, error, NN_ERROR_SHAPE, "reshapes the batch of N*%" G_GINT64_FORMAT " steps %s to %s; only "
                  "back to (N, %" G_GINT64_FORMAT ") followed by the step's shape %s, or to (N*%" G_GINT64_FORMAT
                  ", -1), is supported", d->steps, nn_onnx_dims_str (d->ndim, d->dim, buf, sizeof buf),
                  nn_onnx_dims_str ((int) shape->n, shape->i, buf2, sizeof buf2), d->steps,
                  nn_shape_to_string (&d->s, buf3, sizeof buf3), d->steps);
    return FALSE;
  }
  Dyn t = *d;
  NnShape seq = { .ndim = d->s.ndim + 1 };
  seq.dim[0] = d->steps;
  for (int i = 0; i < d->s.ndim; i++)
    seq.dim[i + 1] = d->s.dim[i];
  dyn_set_canonical (&t, &seq);
  t.steps = 0;
  out_view (c, &t);
  return TRUE;
}

static gboolean
op_reshape (Ctx *c, GError **error)
{
  Dyn dv, *d = in_dyn (c, 0, &dv, error);
  const Const *shape = d ? nn_onnx_in_const (c, 1, "shape", TRUE, error) : NULL;
  if (!shape)
    return FALSE;
  if (!shape->is_int || shape->ndim != 1 || shape->n > MAXD) {
    nn_onnx_fail (c, error, NN_ERROR_INVALID, "its shape must be a list of integers");
    return FALSE;
  }
  /* The batch: the batch-size marker of a folded Shape, 0 (copy), or the
   * graph's fixed batch; the rest must name the per-sample shape. */
  int64_t b = shape->n ? shape->i[0] : 0;
  int64_t per = nn_shape_numel (&d->s), rest = 1;
  int infer = -1;
  gboolean batch_ok = b == BATCH || b == 0 || (b > 0 && b == c->fixed_batch);
  int64_t target[MAXD];
  for (int i = 1; i < shape->n; i++) {
    int64_t v = shape->i[i];
    if (v == 0 && i < d->ndim)
      v = d->dim[i];
    if (v == -1 && infer < 0)
      infer = i;
    else if (v <= 0 || v > MAX_SAMPLE_VALUES) {
      nn_onnx_fail (c, error, NN_ERROR_SHAPE, "cannot resolve shape dimension %d (%" G_GINT64_FORMAT ")", i,
                shape->i[i]);
      return FALSE;
    } else if ((rest *= v) > MAX_SAMPLE_VALUES) {   /* both <= 2^31 before: no overflow */
      nn_onnx_fail (c, error, NN_ERROR_SHAPE, "reshapes to more values than a sample holds");
      return FALSE;
    }
    target[i] = v;
  }
  if (b == -1 && infer < 0) {
    /* (-1, per-sample...): the batch is what is left over */
    batch_ok = TRUE;
  }
  if (d->steps && b != -1 && b != 0)
    batch_ok = FALSE;    /* the batch axis holds N*T */
  if (infer >= 0)
    target[infer] = rest ? per / rest : 0;
  int64_t total = 1;
  for (int i = 1; i < shape->n && total <= MAX_SAMPLE_VALUES; i++)
    total *= target[i];
  if (!batch_ok || total != per || (infer >= 0 && rest * target[infer] != per)) {
    int r = op_reshape_steps (c, d, shape, error);
    if (r >= 0)
      return r;
    char buf[96];
    char buf2[96];
    nn_onnx_fail (c, error, NN_ERROR_SHAPE, "reshapes the layers' output %s to %s; only a reshape that keeps the "
              "batch first and the %" G_GINT64_FORMAT " values of a sample together is supported",
              nn_onnx_dims_str (d->ndim, d->dim, buf, sizeof buf), nn_onnx_dims_str ((int) shape->n, shape->i, buf2, sizeof buf2),
              per);
    return FALSE;
  }
  if (shape->n == 2)
    return op_flatten (c, error);
  /* the same dims without their axes of size 1: only a view */
  Dyn t = *d;
  t.ndim = (int) shape->n;
  t.dim[0] = BATCH;
  t.map[0] = 0;
  int src = 1;
  for (int i = 1; i < t.ndim; i++) {
    t.dim[i] = target[i];
    while (src < d->ndim && d->dim[src] == 1 && target[i] != 1)
      src++;
    if (src < d->ndim && d->dim[src] == target[i] && (target[i] != 1 || d->map[src] >= 0)) {
      t.map[i] = d->map[src++];
    } else if (target[i] == 1) {
      t.map[i] = -1;
    } else {
      char buf[96];
      nn_onnx_fail (c, error, NN_ERROR_INVALID, "reshapes the layers' output %s to another shape than (N, -1) or one "
                "that adds or removes axes of size 1; not supported", nn_onnx_dims_str (d->ndim, d->dim, buf, sizeof buf));
      return FALSE;
    }
  }
  for (; src < d->ndim; src++)
    if (d->dim[src] != 1 || d->map[src] >= 0) {
      nn_onnx_fail (c, error, NN_ERROR_INVALID, "reshape not supported (only (N, -1) and axes of size 1)");
      return FALSE;
    }
  if (!dyn_same_order (&t) && !dyn_same_order (d)) {
    nn_onnx_fail (c, error, NN_ERROR_INVALID, "reshapes a transposed view of the layers' output");
    return FALSE;
  }
  out_view (c, &t);
  return TRUE;
}

/* Gather on the layers' output: the last step of an RNN/LSTM sequence, or an
 * axis of size 1 dropped. */
static gboolean
op_gather_dyn (Ctx *c, Dyn *d, GError **error)
{
  const Const *ix = nn_onnx_in_const (c, 1, "indices", TRUE, error);
  int axis;
  if (!ix || !nn_onnx_axis_norm (c, nn_onnx_attr_int (c->node, "axis", 0), d->ndim, &axis, error))
    return FALSE;
  if (!ix->is_int || ix->ndim != 0) {
    nn_onnx_fail (c, error, NN_ERROR_INVALID, "Gather on the layers' output takes one index (a scalar)");
    return FALSE;
  }
  int64_t len = d->dim[axis], q = ix->i[0];
  Dyn t = *d;
  t.ndim = d->ndim - 1;
  for (int i = axis; i < t.ndim; i++) {
    t.dim[i] = d->dim[i + 1];
    t.map[i] = d->map[i + 1];
  }
  if (d->map[axis] < 0 && (q == 0 || q == -1)) {
    out_view (c, &t);
    return TRUE;
  }
  if (d->seq && d->stamp == stamp (c) && d->map[axis] == 1 && (q == -1 || q == len - 1)) {
    /* the sequence's last step: the recurrent layer returns only that */
    t.last = TRUE;
    t.seq = FALSE;
    t.s.ndim = 1;
    t.s.dim[0] = d->s.dim[1];
    for (int i = 0; i < t.ndim; i++)
      if (t.map[i] > 1)
        t.map[i]--;
    out_view (c, &t);
    return TRUE;
  }
  nn_onnx_fail (c, error, NN_ERROR_INVALID, "Gather on the layers' output is supported only for the last step of an "
            "RNN/LSTM's sequence (index -1 on its time axis) and on axes of size 1");
  return FALSE;
}

/* ---- layer ops ---------------------------------------------------------------- */

static gboolean
check_no_attr (Ctx *c, const char *name, int64_t ok, GError **error)
{
  const Onnx__AttributeProto *a = nn_onnx_attr (c->node, name);
  if (!a)
    return TRUE;
  gboolean fine = TRUE;
  if (a->n_ints)
    for (size_t i = 0; i < a->n_ints; i++)
      fine &= a->ints[i] == ok;
  else if (a->has_i)
    fine = a->i == ok;
  if (!fine) {
    nn_onnx_fail (c, error, NN_ERROR_INVALID, "attribute %s other than %" G_GINT64_FORMAT " is not supported", name, ok);
    return FALSE;
  }
  return TRUE;
}

static gboolean
check_auto_pad (Ctx *c, gboolean same_ok, gboolean *same, GError **error)
{
  g_autofree char *ap = nn_onnx_attr_string (c->node, "auto_pad", "NOTSET");
  *same = FALSE;
  if (g_str_equal (ap, "NOTSET") || g_str_equal (ap, "VALID"))
    return TRUE;
  if (same_ok && g_str_equal (ap, "SAME_UPPER")) {
    *same = TRUE;
    return TRUE;
  }
  nn_onnx_fail (c, error, NN_ERROR_INVALID, "attribute auto_pad=%s is not supported (NOTSET, VALID%s)", ap,
            same_ok ? ", SAME_UPPER" : "");
  return FALSE;
}

/* kernel_shape, strides and pads of a 2-D window; pads as top, left, bottom, right. */
static gboolean
window_attrs (Ctx *c, const int64_t *wdims, int64_t k[2], int64_t s[2], int64_t p[4], GError **error)
{
  const int64_t *v;
  int n = nn_onnx_attr_ints (c->node, "kernel_shape", &v);
  if (n == 2)
    k[0] = v[0], k[1] = v[1];
  else if (n < 0 && wdims)
    k[0] = wdims[2], k[1] = wdims[3];
  else {
    nn_onnx_fail (c, error, NN_ERROR_INVALID, "kernel_shape must have 2 values (2-D only)");
    return FALSE;
  }
  n = nn_onnx_attr_ints (c->node, "strides", &v);
  if (n != -1 && n != 2) {
    nn_onnx_fail (c, error, NN_ERROR_INVALID, "strides must have 2 values");
    return FALSE;
  }
  s[0] = n == 2 ? v[0] : 1, s[1] = n == 2 ? v[1] : 1;
  n = nn_onnx_attr_ints (c->node, "pads", &v);
  if (n != -1 && n != 4) {
    nn_onnx_fail (c, error, NN_ERROR_INVALID, "pads must have 4 values");
    return FALSE;
  }
  for (int i = 0; i < 4; i++)
    p[i] = n == 4 ? v[i] : 0;
  for (int i = 0; i < 4; i++)
    if (p[i] < 0 || (i < 2 && (k[i] < 1 || s[i] < 1))) {
      nn_onnx_fail (c, error, NN_ERROR_INVALID, "negative pads or non-positive kernel_shape/strides");
      return FALSE;
    }
  return check_no_attr (c, "dilations", 1, error);
}

static void
set_ints (JsonObject *o, const char *key, int n, const int64_t *v)
{
  JsonArray *a = json_array_new ();
  for (int i = 0; i < n; i++)
    json_array_add_int_element (a, v[i]);
  json_object_set_array_member (o, key, a);
}

static const char *
init_name (Ctx *c, int k)
{
  return (size_t) k < c->node->n_input ? c->node->input[k] : NULL;
}

/* Add a pending Pad (top, left, bottom, right) to a layer's own pads. */
static void
take_pad (Dyn *d, int64_t p[4])
{
  for (int i = 0; i < 4; i++) {
    p[i] += d->pad[i];
    d->pad[i] = 0;
  }
}

static gboolean
op_conv (Ctx *c, gboolean transpose, GError **error)
{
  Dyn dv, *d = in_dyn (c, 0, &dv, error);
  const Const *w = d ? nn_onnx_in_const (c, 1, "weight", TRUE, error) : NULL;
  GError *e = NULL;
  const Const *b = w ? nn_onnx_in_const (c, 2, "bias", FALSE, &e) : NULL;
  if (!w || e) {
    if (e)
      g_propagate_error (error, e);
    return FALSE;
  }
  if (w->ndim != 4) {
    nn_onnx_fail (c, error, NN_ERROR_INVALID, "weight of %d dimensions; only 2-D convolutions are supported", w->ndim);
    return FALSE;
  }
  int64_t k[2], s[2], p[4];
  gboolean same;
  if (!check_no_attr (c, "group", 1, error) || !window_attrs (c, w->dim, k, s, p, error) ||
      !check_auto_pad (c, !transpose, &same, error))
    return FALSE;
  if (!transpose)
    take_pad (d, p);
  if (!(d = need_canonical (c, d, 4, error)))
    return FALSE;
  if (w->dim[transpose ? 0 : 1] != d->s.dim[0]) {
    char buf[96];
    nn_onnx_fail (c, error, NN_ERROR_SHAPE, "weight %s does not fit the %" G_GINT64_FORMAT " input channels",
              nn_onnx_dims_str (w->ndim, w->dim, buf, sizeof buf), d->s.dim[0]);
    return FALSE;
  }
  JsonObject *o = json_object_new ();
  json_object_set_string_member (o, "type", transpose ? "conv2d_transpose" : "conv2d");
  json_object_set_int_member (o, "filters", transpose ? w->dim[1] : w->dim[0]);
  set_ints (o, "kernel", 2, k);
  set_ints (o, "stride", 2, s);
  if (transpose) {
    const int64_t *v;
    if (p[0] != p[2] || p[1] != p[3]) {
      json_object_unref (o);
      nn_onnx_fail (c, error, NN_ERROR_INVALID, "asymmetric pads [%" G_GINT64_FORMAT ", %" G_GINT64_FORMAT ", %"
                G_GINT64_FORMAT ", %" G_GINT64_FORMAT "] are not supported", p[0], p[1], p[2], p[3]);
      return FALSE;
    }
    set_ints (o, "padding", 2, p);
    int n = nn_onnx_attr_ints (c->node, "output_padding", &v);
    if (n == 2)
      set_ints (o, "output_padding", 2, v);
    if (nn_onnx_attr (c->node, "output_shape")) {
      json_object_unref (o);
      nn_onnx_fail (c, error, NN_ERROR_INVALID, "attribute output_shape is not supported (give pads and output_padding)");
      return FALSE;
    }
  } else if (same) {
    json_object_set_string_member (o, "padding", "same");
  } else {
    int64_t tblr[4] = { p[0], p[2], p[1], p[3] };
    set_ints (o, "padding", 4, tblr);
  }
  json_object_set_boolean_member (o, "bias", b != NULL);
  NnLayer *nl = layer_add (c, o, init_name (c, 1), d, error);
  if (!nl)
    return FALSE;
  NnParam *pw = nn_layer_param (nl, "weight");
  for (int i = 0; i < 4; i++)
    if (pw->shape.dim[i] != w->dim[i]) {
      char a[96], b2[64];
      nn_onnx_fail (c, error, NN_ERROR_SHAPE, "weight %s does not fit its input (%s expected)",
                nn_onnx_dims_str (w->ndim, w->dim, a, sizeof a), nn_shape_to_string (&pw->shape, b2, sizeof b2));
      nn_layer_free (nl);
      return FALSE;
    }
  float *wf, *bf = NULL;
  gboolean ok = nn_onnx_const_floats (c, w, "weight", &wf, error) && param_add (c, nl, "weight", wf, w->n, error) &&
                (!b || (nn_onnx_const_floats (c, b, "bias", &bf, error) && param_add (c, nl, "bias", bf, b->n, error)));
  if (ok)
    out_layer (c, nl);
  nn_layer_free (nl);
  return ok;
}

static gboolean
op_pool (Ctx *c, gboolean avg, GError **error)
{
  Dyn dv, *d = in_dyn (c, 0, &dv, error);
  int64_t k[2], s[2], p[4];
  gboolean same;
  if (!d || !window_attrs (c, NULL, k, s, p, error) || !check_auto_pad (c, FALSE, &same, error) ||
      !check_no_attr (c, "ceil_mode", 0, error) || !check_no_attr (c, "storage_order", 0, error))
    return FALSE;
  if (c->node->n_output > 1 && c->node->output[1] && c->node->output[1][0]) {
    nn_onnx_fail (c, error, NN_ERROR_INVALID, "the Indices output of MaxPool is not supported");
    return FALSE;
  }
  if (avg) {
    gboolean own = p[0] || p[1] || p[2] || p[3];
    if (own && !nn_onnx_attr_int (c->node, "count_include_pad", 0)) {
      nn_onnx_fail (c, error, NN_ERROR_INVALID, "attribute count_include_pad=0 with pads is not supported (our "
                "average counts the padding, as PyTorch's AvgPool2d)");
      return FALSE;
    }
    take_pad (d, p);
  }
  if (!(d = need_canonical (c, d, 4, error)))
    return FALSE;
  if (p[0] != p[2] || p[1] != p[3]) {
    nn_onnx_fail (c, error, NN_ERROR_INVALID, "asymmetric pads [%" G_GINT64_FORMAT ", %" G_GINT64_FORMAT ", %"
              G_GINT64_FORMAT ", %" G_GINT64_FORMAT "] are not supported", p[0], p[1], p[2], p[3]);
    return FALSE;
  }
  JsonObject *o = json_object_new ();
  json_object_set_string_member (o, "type", avg ? "avgpool2d" : "maxpool2d");
  set_ints (o, "size", 2, k);
  set_ints (o, "stride", 2, s);
  set_ints (o, "padding", 2, p);
  NnLayer *nl = layer_add (c, o, NULL, d, error);
  if (!nl)
    return FALSE;
  out_layer (c, nl);
  nn_layer_free (nl);
  return TRUE;
}

static gboolean
op_simple (Ctx *c, const char *type, GError **error)
{
  Dyn dv, *d = in_dyn (c, 0, &dv, error);
  if (!d || !no_pending_pad (c, d, error))
    return FALSE;
  JsonObject *o = json_object_new ();
  json_object_set_string_member (o, "type", type);
  if (g_str_equal (type, "leaky_relu"))
    json_object_set_double_member (o, "slope", nn_onnx_attr_float (c->node, "alpha", 0.01f));
  if (g_str_equal (type, "dropout")) {
    GError *e = NULL;
    const Const *r = nn_onnx_in_const (c, 1, "ratio", FALSE, &e), *t = e ? NULL : nn_onnx_in_const (c, 2, "training_mode", FALSE, &e);
    if (e) {
      json_object_unref (o);
      g_propagate_error (error, e);
      return FALSE;
    }
    if (t && t->n == 1 && (t->is_int ? t->i[0] : t->f[0] != 0)) {
      json_object_unref (o);
      nn_onnx_fail (c, error, NN_ERROR_INVALID, "training_mode true is not supported (inference only)");
      return FALSE;
    }
    double rate = r && r->n == 1 ? (r->is_int ? (double) r->i[0] : r->f[0]) : nn_onnx_attr_float (c->node, "ratio", 0.5f);
    json_object_set_double_member (o, "rate", CLAMP (rate, 0.0, 0.999));
  }
  if (g_str_equal (type, "softmax") || g_str_equal (type, "log_softmax")) {
    /* ONNX counts axes with the batch; ours are per sample: 0 the first, -1 the last */
    int64_t def = c->opset < 13 ? 1 : -1;
    int axis;
    if (!nn_onnx_axis_norm (c, nn_onnx_attr_int (c->node, "axis", def), d->ndim, &axis, error)) {
      json_object_unref (o);
      return FALSE;
    }
    if (c->opset < 13 && axis != d->ndim - 1 && !(axis == 1 && d->ndim == 2)) {
      json_object_unref (o);
      nn_onnx_fail (c, error, NN_ERROR_INVALID, "axis %d before opset 13 normalises over every axis from %d on; only "
                "the last axis is supported", axis, axis);
      return FALSE;
    }
    /* our axis through the view: a transposed one (opset 11's softmax over
     * channels is Transpose, Softmax on the last axis, Transpose) works too */
    int ours = d->map[axis];
    if (ours < 1) {
      json_object_unref (o);
      nn_onnx_fail (c, error, NN_ERROR_INVALID, "axis %d is %s; only an axis of a sample is supported", axis,
                    ours == 0 ? "the batch" : "an axis of size 1");
      return FALSE;
    }
    json_object_set_int_member (o, "axis", ours == d->s.ndim ? -1 : ours - 1);
  }
  NnLayer *nl = layer_add (c, o, NULL, d, error);
  if (!nl)
    return FALSE;
  /* element-wise: ONNX's view of the output is the input's */
  Value *v = out_view (c, d);
  if (v) {
    v->d.stamp = stamp (c);
    v->d.rec = -1;
    v->d.seq = v->d.last = FALSE;
  }
  nn_layer_free (nl);
  return TRUE;
}

static gboolean
op_gemm (Ctx *c, GError **error)
{
  Dyn dv, *d = in_dyn (c, 0, &dv, error);
  const Const *w = d ? nn_onnx_in_const (c, 1, "weight", TRUE, error) : NULL;
  GError *e = NULL;
  const Const *b = w ? nn_onnx_in_const (c, 2, "bias", FALSE, &e) : NULL;
  if (!w || e) {
    if (e)
      g_propagate_error (error, e);
    return FALSE;
  }
  if (nn_onnx_attr_int (c->node, "transA", 0)) {
    nn_onnx_fail (c, error, NN_ERROR_INVALID, "attribute transA=1 is not supported");
    return FALSE;
  }
  if (w->ndim != 2) {
    nn_onnx_fail (c, error, NN_ERROR_INVALID, "weight of %d dimensions (2 expected)", w->ndim);
    return FALSE;
  }
  if (!(d = need_canonical (c, d, 2, error)))
    return FALSE;
  gboolean tb = nn_onnx_attr_int (c->node, "transB", 0) != 0;
  float alpha = nn_onnx_attr_float (c->node, "alpha", 1.0f), beta = nn_onnx_attr_float (c->node, "beta", 1.0f);
  int64_t units = tb ? w->dim[0] : w->dim[1], in = tb ? w->dim[1] : w->dim[0];
  if (in != d->s.dim[0]) {
    nn_onnx_fail (c, error, NN_ERROR_SHAPE, "weight for %" G_GINT64_FORMAT " features, the input has %" G_GINT64_FORMAT,
              in, d->s.dim[0]);
    return FALSE;
  }
  JsonObject *o = json_object_new ();
  json_object_set_string_member (o, "type", "dense");
  json_object_set_int_member (o, "units", units);
  json_object_set_boolean_member (o, "bias", b != NULL);
  NnLayer *nl = layer_add (c, o, init_name (c, 1), d, error);
  if (!nl)
    return FALSE;
  float *wf;
  nn_onnx_const_floats (c, w, "weight", &wf, error);
  /* PyTorch's weight is [units, in]: B as given with transB, else transposed */
  float *wt = g_new (float, MAX (w->n, 1));
  for (int64_t u = 0; u < units; u++)
    for (int64_t i = 0; i < in; i++)
      wt[u * in + i] = alpha * (tb ? wf[u * in + i] : wf[i * units + u]);
  g_free (wf);
  gboolean ok = param_add (c, nl, "weight", wt, w->n, error);
  if (ok && b) {
    /* C broadcasts to (N, units): one value per unit, or one for all */
    if (b->n != units && b->n != 1) {
      nn_onnx_fail (c, error, NN_ERROR_SHAPE, "bias of %" G_GINT64_FORMAT " values for %" G_GINT64_FORMAT " units",
                b->n, units);
      ok = FALSE;
    } else {
      float *bf;
      nn_onnx_const_floats (c, b, "bias", &bf, error);
      float *bb = g_new (float, units);
      for (int64_t u = 0; u < units; u++)
        bb[u] = beta * bf[b->n == 1 ? 0 : u];
      g_free (bf);
      ok = param_add (c, nl, "bias", bb, units, error);
    }
  }
  if (ok)
    out_layer (c, nl);
  nn_layer_free (nl);
  return ok;
}

/* MatMul by a constant [F, U]: a dense layer without bias (an Add after it
 * gives it one), time-distributed on a sequence (N, T, F). */
static gboolean
op_matmul (Ctx *c, GError **error)
{
  Dyn dv, *d = in_dyn (c, 0, &dv, error);
  const Const *w = d ? nn_onnx_in_const (c, 1, "second input", TRUE, error) : NULL;
  if (!w)
    return FALSE;
  if (w->ndim != 2) {
    nn_onnx_fail (c, error, NN_ERROR_INVALID, "MatMul by a constant of %d dimensions (2 expected)", w->ndim);
    return FALSE;
  }
  if (!no_pending_pad (c, d, error) || !(d = need_canonical (c, d, 0, error)))
    return FALSE;
  if (d->ndim != 2 && d->ndim != 3) {
    nn_onnx_fail (c, error, NN_ERROR_INVALID, "MatMul of a %d-dimensional input; (N, F) and (N, T, F) are supported",
              d->ndim);
    return FALSE;
  }
  int64_t in = w->dim[0], units = w->dim[1];
  if (in != d->s.dim[d->s.ndim - 1]) {
    nn_onnx_fail (c, error, NN_ERROR_SHAPE, "MatMul by [%" G_GINT64_FORMAT ", %" G_GINT64_FORMAT "] of %" G_GINT64_FORMAT
              " features", in, units, d->s.dim[d->s.ndim - 1]);
    return FALSE;
  }
  JsonObject *dense = json_object_new ();
  json_object_set_string_member (dense, "type", "dense");
  json_object_set_int_member (dense, "units", units);
  json_object_set_boolean_member (dense, "bias", FALSE);
  JsonObject *o = dense;
  if (d->ndim == 3) {
    o = json_object_new ();
    json_object_set_string_member (o, "type", "time_distributed");
    json_object_set_object_member (o, "layer", dense);
  }
  NnLayer *nl = layer_add (c, o, NULL, d, error);
  if (!nl)
    return FALSE;
  float *wf;
  nn_onnx_const_floats (c, w, "weight", &wf, error);
  float *wt = g_new (float, MAX (w->n, 1));
  for (int64_t u = 0; u < units; u++)
    for (int64_t i = 0; i < in; i++)
      wt[u * in + i] = wf[i * units + u];
  g_free (wf);
  gboolean ok = param_add (c, nl, "weight", wt, w->n, error);
  if (ok)
    out_layer (c, nl);
  nn_layer_free (nl);
  return ok;
}

/* Add of a constant to a bias-less dense (MatMul) or conv just before: its bias. */
static gboolean
op_add_bias (Ctx *c, GError **error)
{
  GError *e = NULL;
  Value *a = nn_onnx_in (c, 0, &e), *b = e ? NULL : nn_onnx_in (c, 1, &e);
  if (e) {
    g_propagate_error (error, e);
    return FALSE;
  }
  int di = a && a->is_dyn ? 0 : 1;
  Dyn dv, *d = in_dyn (c, di, &dv, error);
  const Const *k = d ? nn_onnx_in_const (c, 1 - di, "bias", TRUE, error) : NULL;
  if (!k)
    return FALSE;
  (void) b;
  Layer *l = c->layers->len ? g_ptr_array_index (c->layers, c->layers->len - 1) : NULL;
  JsonObject *o = l ? l->o : NULL;
  if (o && g_str_equal (json_object_get_string_member (o, "type"), "time_distributed"))
    o = json_object_get_object_member (o, "layer");
  const char *type = o ? json_object_get_string_member (o, "type") : "";
  gboolean can = o && (g_str_equal (type, "dense") || g_str_equal (type, "conv2d")) &&
                 json_object_has_member (o, "bias") && !json_object_get_boolean_member (o, "bias");
  int64_t units = d->s.dim[g_str_equal (type, "conv2d") ? 0 : d->s.ndim - 1];
  if (!can || d->pad[0] || d->pad[1] || d->pad[2] || d->pad[3] || k->n != units) {
    nn_onnx_fail (c, error, NN_ERROR_UNKNOWN_LAYER, "Add is supported only as the bias of the MatMul or Conv before it "
              "(one value per output)");
    return FALSE;
  }
  json_object_set_boolean_member (o, "bias", TRUE);
  Param *q = g_new0 (Param, 1);
  q->name = g_strdup_printf ("%s.bias", l->name);
  q->shape = nn_shape_1d (units);
  nn_onnx_const_floats (c, k, "bias", &q->data, error);
  g_ptr_array_add (c->params, q);
  out_view (c, d);
  return TRUE;
}

static gboolean
op_global_avgpool (Ctx *c, GError **error)
{
  Dyn dv, *d = in_dyn (c, 0, &dv, error);
  if (!d || !(d = need_canonical (c, d, 4, error)))
    return FALSE;
  JsonObject *o = json_object_new ();
  json_object_set_string_member (o, "type", "global_avgpool");
  NnLayer *nl = layer_add (c, o, NULL, d, error);
  if (!nl)
    return FALSE;
  /* ONNX keeps (N, C, 1, 1); ours is [C] */
  Value *v = out_layer (c, nl);
  if (v) {
    v->d.ndim = 4;
    v->d.dim[2] = v->d.dim[3] = 1;
    v->d.map[2] = v->d.map[3] = -1;
  }
  nn_layer_free (nl);
  return TRUE;
}

static gboolean
op_batchnorm (Ctx *c, GError **error)
{
  Dyn dv, *d = in_dyn (c, 0, &dv, error);
  if (!d || !(d = need_canonical (c, d, 0, error)))
    return FALSE;
  if (nn_onnx_attr_int (c->node, "training_mode", 0)) {
    nn_onnx_fail (c, error, NN_ERROR_INVALID, "attribute training_mode=1 is not supported (inference only)");
    return FALSE;
  }
  for (size_t i = 1; i < c->node->n_output; i++)
    if (c->node->output[i] && c->node->output[i][0]) {
      nn_onnx_fail (c, error, NN_ERROR_INVALID, "the training outputs (running mean, var) are not supported");
      return FALSE;
    }
  const Const *k[4];
  static const char *const what[4] = { "scale", "bias", "mean", "var" };
  for (int i = 0; i < 4; i++) {
    if (!(k[i] = nn_onnx_in_const (c, i + 1, what[i], TRUE, error)))
      return FALSE;
    if (k[i]->n != d->s.dim[0]) {
      nn_onnx_fail (c, error, NN_ERROR_SHAPE, "%s of %" G_GINT64_FORMAT " values for %" G_GINT64_FORMAT " channels",
                what[i], k[i]->n, d->s.dim[0]);
      return FALSE;
    }
  }
  JsonObject *o = json_object_new ();
  json_object_set_string_member (o, "type", "batchnorm2d");
  json_object_set_double_member (o, "eps", nn_onnx_attr_float (c->node, "epsilon", 1e-5f));
  json_object_set_double_member (o, "momentum", CLAMP (1.0 - nn_onnx_attr_float (c->node, "momentum", 0.9f), 0, 1));
  NnLayer *nl = layer_add (c, o, init_name (c, 1), d, error);
  if (!nl)
    return FALSE;
  static const char *const pn[4] = { "weight", "bias", "running_mean", "running_var" };
  gboolean ok = TRUE;
  for (int i = 0; i < 4 && ok; i++) {
    float *f;
    ok = nn_onnx_const_floats (c, k[i], what[i], &f, error) && param_add (c, nl, pn[i], f, k[i]->n, error);
  }
  if (ok)
    out_layer (c, nl);
  nn_layer_free (nl);
  return ok;
}

static gboolean
op_resize (Ctx *c, gboolean upsample, GError **error)
{
  Dyn dv, *d = in_dyn (c, 0, &dv, error);
  if (!d || !(d = need_canonical (c, d, 4, error)))
    return FALSE;
  GError *e = NULL;
  const Const *scales = nn_onnx_in_const (c, upsample ? 1 : 2, "scales", FALSE, &e);
  const Const *sizes = e || upsample ? NULL : nn_onnx_in_const (c, 3, "sizes", FALSE, &e);
  if (e) {
    g_propagate_error (error, e);
    return FALSE;
  }
  int64_t sc[2];
  if (scales && scales->n == 4) {
    float *f;
    nn_onnx_const_floats (c, scales, "scales", &f, error);
    /* bounded before the conversion to an integer (a float beyond int64 is
     * undefined there; found by fuzz-onnx) */
    gboolean ok = f[0] == 1.0f && f[1] == 1.0f && f[2] >= 1 && f[3] >= 1 && f[2] <= 65536 && f[3] <= 65536 &&
                  f[2] == floorf (f[2]) && f[3] == floorf (f[3]);
    sc[0] = ok ? (int64_t) f[2] : 1, sc[1] = ok ? (int64_t) f[3] : 1;
    g_free (f);
    if (!ok) {
      nn_onnx_fail (c, error, NN_ERROR_INVALID, "only whole scales from 1 to 65536 of height and width are supported");
      return FALSE;
    }
  } else if (sizes && sizes->n == 4 && sizes->is_int) {
    int64_t h = d->s.dim[1], w = d->s.dim[2];
    if (sizes->i[1] != d->s.dim[0] || sizes->i[2] % h || sizes->i[3] % w || sizes->i[2] < h || sizes->i[3] < w) {
      nn_onnx_fail (c, error, NN_ERROR_INVALID, "sizes must be whole multiples >= 1 of the input's height and width");
      return FALSE;
    }
    sc[0] = sizes->i[2] / h, sc[1] = sizes->i[3] / w;
  } else {
    nn_onnx_fail (c, error, NN_ERROR_INVALID, "needs constant scales (or sizes) for the 4 axes");
    return FALSE;
  }
  g_autofree char *mode = nn_onnx_attr_string (c->node, "mode", "nearest");
  g_autofree char *ct = nn_onnx_attr_string (c->node, "coordinate_transformation_mode",
                                             upsample ? "asymmetric" : "half_pixel");
  g_autofree char *nm = nn_onnx_attr_string (c->node, "nearest_mode", "round_prefer_floor");
  gboolean half = g_str_equal (ct, "half_pixel") || g_str_equal (ct, "pytorch_half_pixel");
  const char *ours = NULL;
  /* For whole scales nearest with half-pixel centres and rounding picks the
   * same source pixel as asymmetric floor (ours). */
  if (g_str_equal (mode, "nearest") &&
      ((g_str_equal (ct, "asymmetric") && (upsample || g_str_equal (nm, "floor"))) ||
       (half && (g_str_equal (nm, "round_prefer_floor") || g_str_equal (nm, "round_prefer_ceil")))))
    ours = "nearest";
  else if ((g_str_equal (mode, "linear") || g_str_equal (mode, "bilinear")) && (half || upsample))
    ours = "bilinear";
  if (!ours) {
    nn_onnx_fail (c, error, NN_ERROR_INVALID, "mode=%s with coordinate_transformation_mode=%s%s%s is not supported "
              "(nearest asymmetric floor, or linear half_pixel: PyTorch's Upsample without align_corners)", mode, ct,
              g_str_equal (mode, "nearest") ? " nearest_mode=" : "", g_str_equal (mode, "nearest") ? nm : "");
    return FALSE;
  }
  JsonObject *o = json_object_new ();
  json_object_set_string_member (o, "type", "upsample2d");
  set_ints (o, "scale", 2, sc);
  json_object_set_string_member (o, "mode", ours);
  NnLayer *nl = layer_add (c, o, NULL, d, error);
  if (!nl)
    return FALSE;
  out_layer (c, nl);
  nn_layer_free (nl);
  return TRUE;
}

/* Gather of a constant table by the input's indices: an embedding. */
static gboolean
op_embedding (Ctx *c, GError **error)
{
  const Const *w = nn_onnx_in_const (c, 0, "table", TRUE, error);
  Dyn dv, *d = w ? in_dyn (c, 1, &dv, error) : NULL;
  if (!d || !(d = need_canonical (c, d, 0, error)))
    return FALSE;
  if (w->ndim != 2 || w->is_int || nn_onnx_attr_int (c->node, "axis", 0) != 0) {
    nn_onnx_fail (c, error, NN_ERROR_INVALID, "a Gather of the input's values is supported only as an embedding: a "
              "float table [vocab, units], axis 0");
    return FALSE;
  }
  JsonObject *o = json_object_new ();
  json_object_set_string_member (o, "type", "embedding");
  json_object_set_int_member (o, "vocab", w->dim[0]);
  json_object_set_int_member (o, "units", w->dim[1]);
  NnLayer *nl = layer_add (c, o, init_name (c, 0), d, error);
  if (!nl)
    return FALSE;
  float *f;
  gboolean ok = nn_onnx_const_floats (c, w, "table", &f, error) && param_add (c, nl, "weight", f, w->n, error);
  if (ok)
    out_layer (c, nl);
  nn_layer_free (nl);
  return ok;
}

/* An initial state must be zeros: ours always starts from zeros. */
static gboolean
zero_state (Ctx *c, int k, const char *what, GError **error)
{
  GError *e = NULL;
  Value *v = nn_onnx_in (c, k, &e);
  if (e) {
    g_propagate_error (error, e);
    return FALSE;
  }
  if (!v)
    return TRUE;
  gboolean zero = !v->is_dyn;
  for (int64_t i = 0; zero && i < v->c.n; i++)
    zero = v->c.is_int ? v->c.i[i] == 0 : v->c.f[i] == 0.0f;
  if (!zero)
    nn_onnx_fail (c, error, NN_ERROR_INVALID, "%s other than zeros is not supported", what);
  return zero;
}

/* RNN and LSTM: ONNX's W [1, G*H, F], R [1, G*H, H], B [1, 2*G*H] (Wb then
 * Rb), gates i, o, f, c for LSTM -> ours weight_ih [G*H, F], weight_hh
 * [G*H, H], bias_ih, bias_hh [G*H], gates i, f, g, o as PyTorch. */
static gboolean
op_recurrent (Ctx *c, gboolean lstm, GError **error)
{
  const Onnx__NodeProto *n = c->node;
  Dyn dv, *d = in_dyn (c, 0, &dv, error);
  if (!d || !no_pending_pad (c, d, error))
    return FALSE;
  const Const *w = nn_onnx_in_const (c, 1, "W", TRUE, error), *r = w ? nn_onnx_in_const (c, 2, "R", TRUE, error) : NULL;
  GError *e = NULL;
  const Const *b = r ? nn_onnx_in_const (c, 3, "B", FALSE, &e) : NULL;
  if (!r || e) {
    if (e)
      g_propagate_error (error, e);
    return FALSE;
  }
  if ((n->n_input > 4 && n->input[4][0])) {
    nn_onnx_fail (c, error, NN_ERROR_INVALID, "input sequence_lens is not supported");
    return FALSE;
  }
  if (!zero_state (c, 5, "initial_h", error) || (lstm && !zero_state (c, 6, "initial_c", error)))
    return FALSE;
  if (lstm && n->n_input > 7 && n->input[7][0]) {
    nn_onnx_fail (c, error, NN_ERROR_INVALID, "peepholes (input P) are not supported");
    return FALSE;
  }
  g_autofree char *dir = nn_onnx_attr_string (n, "direction", "forward");
  if (!g_str_equal (dir, "forward")) {
    nn_onnx_fail (c, error, NN_ERROR_INVALID, "attribute direction=%s is not supported (forward only)", dir);
    return FALSE;
  }
  if (nn_onnx_attr (n, "clip") || nn_onnx_attr_int (n, "input_forget", 0)) {
    nn_onnx_fail (c, error, NN_ERROR_INVALID, "attribute %s is not supported",
              nn_onnx_attr (n, "clip") ? "clip" : "input_forget");
    return FALSE;
  }
  const Onnx__AttributeProto *acts = nn_onnx_attr (n, "activations");
  const char *nonlin = "tanh";
  static const char *const lstm_acts[3] = { "Sigmoid", "Tanh", "Tanh" };
  for (size_t i = 0; acts && i < acts->n_strings; i++) {
    g_autofree char *s = acts->strings[i].data ? g_strndup ((const char *) acts->strings[i].data,
                                                            acts->strings[i].len) : g_strdup ("");
    gboolean ok = lstm ? i < 3 && g_ascii_strcasecmp (s, lstm_acts[i]) == 0
                       : i == 0 && (g_ascii_strcasecmp (s, "Tanh") == 0 || g_ascii_strcasecmp (s, "Relu") == 0);
    if (!ok) {
      nn_onnx_fail (c, error, NN_ERROR_INVALID, "activations other than %s are not supported",
                lstm ? "Sigmoid, Tanh, Tanh" : "Tanh or Relu");
      return FALSE;
    }
    if (!lstm && g_ascii_strcasecmp (s, "Relu") == 0)
      nonlin = "relu";
  }
  int64_t layout = nn_onnx_attr_int (n, "layout", 0);
  /* ours is (N, T, F): ONNX's X is (T, N, F) (layout 0) or (N, T, F) (layout 1) */
  gboolean fits = d->ndim == 3 && d->s.ndim == 2 &&
                  (layout ? d->map[0] == 0 && d->map[1] == 1 : d->map[0] == 1 && d->map[1] == 0) && d->map[2] == 2;
  if (!fits) {
    char buf[96];
    nn_onnx_fail (c, error, NN_ERROR_INVALID, "input %s is not the (T, N, F) transpose of a batch-first (N, T, F) "
              "sequence (PyTorch's batch_first=True)", nn_onnx_dims_str (d->ndim, d->dim, buf, sizeof buf));
    return FALSE;
  }
  int G = lstm ? 4 : 1;
  int64_t H = nn_onnx_attr_int (n, "hidden_size", w->ndim == 3 ? w->dim[1] / G : 0), F = d->s.dim[1];
  if (H < 1 || H > (1 << 24)) {
    nn_onnx_fail (c, error, NN_ERROR_INVALID, "hidden_size %" G_GINT64_FORMAT " is out of range", H);
    return FALSE;
  }
  if (w->ndim != 3 || w->dim[0] != 1 || w->dim[1] != G * H || w->dim[2] != F || r->ndim != 3 ||
      r->dim[1] != G * H || r->dim[2] != H || (b && b->n != 2 * G * H) || H < 1) {
    nn_onnx_fail (c, error, NN_ERROR_SHAPE, "W, R or B does not fit hidden_size %" G_GINT64_FORMAT " and %"
              G_GINT64_FORMAT " features", H, F);
    return FALSE;
  }
  JsonObject *o = json_object_new ();
  json_object_set_string_member (o, "type", lstm ? "lstm" : "rnn");
  json_object_set_int_member (o, "units", H);
  json_object_set_boolean_member (o, "return_sequences", TRUE);
  if (!lstm)
    json_object_set_string_member (o, "nonlinearity", nonlin);
  NnLayer *nl = layer_add (c, o, NULL, d, error);
  if (!nl)
    return FALSE;
  /* ONNX gate block g -> ours: LSTM i o f c -> i f g o */
  static const int lstm_gate[4] = { 0, 2, 3, 1 };
  float *wf, *rf, *bf = NULL;
  nn_onnx_const_floats (c, w, "W", &wf, error);
  nn_onnx_const_floats (c, r, "R", &rf, error);
  if (b)
    nn_onnx_const_floats (c, b, "B", &bf, error);
  float *wih = g_new (float, G * H * F), *whh = g_new (float, G * H * H);
  float *bih = g_new0 (float, G * H), *bhh = g_new0 (float, G * H);
  for (int g = 0; g < G; g++) {
    int src = lstm ? lstm_gate[g] : 0;
    memcpy (wih + g * H * F, wf + src * H * F, H * F * sizeof (float));
    memcpy (whh + g * H * H, rf + src * H * H, H * H * sizeof (float));
    if (bf) {
      memcpy (bih + g * H, bf + src * H, H * sizeof (float));
      memcpy (bhh + g * H, bf + G * H + src * H, H * sizeof (float));
    }
  }
  g_free (wf);
  g_free (rf);
  g_free (bf);
  gboolean ok = param_add (c, nl, "weight_ih", wih, G * H * F, error) &&
                param_add (c, nl, "weight_hh", whh, G * H * H, error) &&
                param_add (c, nl, "bias_ih", bih, G * H, error) && param_add (c, nl, "bias_hh", bhh, G * H, error);
  if (!ok) {
    nn_layer_free (nl);
    return FALSE;
  }
  int rec = (int) c->layers->len - 1;
  /* Y: (T, 1, N, H) or (N, T, 1, H); ours (N, T, H) */
  Value *y = nn_onnx_out_new (c, 0);
  if (y) {
    y->is_dyn = TRUE;
    Dyn *t = &y->d;
    t->s = nl->out;
    t->stamp = stamp (c);
    t->rec = rec;
    t->seq = TRUE;
    t->ndim = 4;
    int64_t dl0[4] = { nl->out.dim[0], 1, BATCH, H }, dl1[4] = { BATCH, nl->out.dim[0], 1, H };
    int ml0[4] = { 1, -1, 0, 2 }, ml1[4] = { 0, 1, -1, 2 };
    memcpy (t->dim, layout ? dl1 : dl0, sizeof dl0);
    memcpy (t->map, layout ? ml1 : ml0, sizeof ml0);
  }
  /* Y_h: (1, N, H) or (N, 1, H): the last step */
  Value *yh = nn_onnx_out_new (c, 1);
  if (yh) {
    yh->is_dyn = TRUE;
    Dyn *t = &yh->d;
    t->s = nn_shape_1d (H);
    t->stamp = stamp (c);
    t->rec = rec;
    t->last = TRUE;
    t->ndim = 3;
    int64_t dl0[3] = { 1, BATCH, H }, dl1[3] = { BATCH, 1, H };
    int ml0[3] = { -1, 0, 1 }, ml1[3] = { 0, -1, 1 };
    memcpy (t->dim, layout ? dl1 : dl0, sizeof dl0);
    memcpy (t->map, layout ? ml1 : ml0, sizeof ml0);
  }
  if (lstm && n->n_output > 2 && n->output[2][0]) {
    /* Y_c is read only if something uses it; then the chain check refuses it */
    Value *yc = nn_onnx_out_new (c, 2);
    yc->is_dyn = TRUE;
    yc->d.stamp = -1;
  }
  nn_layer_free (nl);
  return TRUE;
}

/* A zero Pad of H and W before a Conv or an AveragePool. */
static gboolean
op_pad (Ctx *c, GError **error)
{
  Dyn dv, *d = in_dyn (c, 0, &dv, error);
  if (!d)
    return FALSE;
  g_autofree char *mode = nn_onnx_attr_string (c->node, "mode", "constant");
  GError *e = NULL;
  const Const *pads = nn_onnx_in_const (c, 1, "pads", TRUE, &e);
  const Const *val = e ? NULL : nn_onnx_in_const (c, 2, "constant_value", FALSE, &e);
  if (e) {
    g_propagate_error (error, e);
    return FALSE;
  }
  gboolean zero = !val || (val->n == 1 && (val->is_int ? val->i[0] == 0 : val->f[0] == 0.0f));
  if (!g_str_equal (mode, "constant") || !zero) {
    nn_onnx_fail (c, error, NN_ERROR_INVALID, "only zero padding is supported (mode constant, value 0)");
    return FALSE;
  }
  if (!pads->is_int || pads->n != 8 || d->ndim != 4 || pads->i[0] || pads->i[1] || pads->i[4] || pads->i[5]) {
    nn_onnx_fail (c, error, NN_ERROR_INVALID, "only padding of the height and width of (N, C, H, W) is supported");
    return FALSE;
  }
  Dyn t = *d;
  for (int i = 0; i < 2; i++) {
    if (pads->i[2 + i] < 0 || pads->i[6 + i] < 0 || pads->i[2 + i] > 1 << 16 || pads->i[6 + i] > 1 << 16) {
      nn_onnx_fail (c, error, NN_ERROR_INVALID, "negative or huge pads");
      return FALSE;
    }
    t.pad[i] += (int) pads->i[2 + i];
    t.pad[2 + i] += (int) pads->i[6 + i];
    t.dim[2 + i] += pads->i[2 + i] + pads->i[6 + i];
  }
  out_view (c, &t);
  return TRUE;
}

/* ---- the walk ------------------------------------------------------------------- */

static gboolean
any_dyn_input (Ctx *c, gboolean *dyn, GError **error)
{
  *dyn = FALSE;
  for (size_t k = 0; k < c->node->n_input; k++) {
    GError *e = NULL;
    Value *v = nn_onnx_in (c, (int) k, &e);
    if (e) {
      g_propagate_error (error, e);
      return FALSE;
    }
    *dyn |= v && v->is_dyn;
  }
  return TRUE;
}

static gboolean
read_node (Ctx *c, GError **error)
{
  const Onnx__NodeProto *n = c->node;
  if (!n->op_type || !n->op_type[0]) {
    nn_onnx_fail (c, error, NN_ERROR_FORMAT, "a node without an op type");
    return FALSE;
  }
  const char *op = n->op_type;
  if (n->domain && n->domain[0] && strcmp (n->domain, "ai.onnx") != 0) {
    nn_onnx_fail (c, error, NN_ERROR_UNKNOWN_LAYER, "op type '%s' of domain '%s' is not supported", op, n->domain);
    return FALSE;
  }
  for (size_t k = 0; k < n->n_output; k++)
    if (n->output[k] && n->output[k][0] &&
        (g_hash_table_contains (c->values, n->output[k]) || g_hash_table_contains (c->inits, n->output[k]))) {
      nn_onnx_fail (c, error, NN_ERROR_FORMAT, "output '%s' is already defined (a graph defines each value once)",
                n->output[k]);
      return FALSE;
    }
  gboolean dyn;
  if (!any_dyn_input (c, &dyn, error))
    return FALSE;
  if (!dyn)
    return nn_onnx_fold (c, error);
  GError *e = NULL;
  Value *x = nn_onnx_in (c, 0, &e);
  if (e) {
    g_propagate_error (error, e);
    return FALSE;
  }
  Dyn *d0 = x && x->is_dyn ? &x->d : NULL;
  /* On a batch of N*T steps, Shape would give N*T as the batch and the
   * others move or read the merged axis; a sequence inside a step is not ours */
  if (d0 && d0->steps && (g_str_equal (op, "Shape") || g_str_equal (op, "Transpose") || g_str_equal (op, "Gather") ||
                          g_str_equal (op, "RNN") || g_str_equal (op, "LSTM"))) {
    nn_onnx_fail (c, error, NN_ERROR_INVALID, "%s on a batch of N*T steps (the Reshape of (N, %" G_GINT64_FORMAT
                  ", ...) before) is not supported; only layers applied to each step, then a Reshape back to "
                  "(N, %" G_GINT64_FORMAT ", ...)", op, d0->steps, d0->steps);
    return FALSE;
  }
  /* views: any dynamic value, no layer */
  if (g_str_equal (op, "Shape") && d0)
    return op_shape (c, d0, error);
  if ((g_str_equal (op, "Identity") || g_str_equal (op, "Cast")) && d0) {
    Dyn t = *d0;
    if (g_str_equal (op, "Cast")) {
      int64_t to = nn_onnx_attr_int (n, "to", 1);
      t.is_int = to != ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT && to != ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE;
    }
    out_view (c, &t);
    return TRUE;
  }
  if (g_str_equal (op, "Transpose") && d0)
    return op_transpose (c, d0, error);
  if ((g_str_equal (op, "Squeeze") || g_str_equal (op, "Unsqueeze")) && d0)
    return op_squeeze (c, d0, g_str_equal (op, "Unsqueeze"), error);
  if (g_str_equal (op, "Gather"))
    return d0 ? op_gather_dyn (c, d0, error) : op_embedding (c, error);
  if (g_str_equal (op, "Flatten")) {
    if (nn_onnx_attr_int (n, "axis", 1) != 1) {
      nn_onnx_fail (c, error, NN_ERROR_INVALID, "attribute axis other than 1 is not supported");
      return FALSE;
    }
    return op_flatten (c, error);
  }
  if (g_str_equal (op, "Reshape"))
    return op_reshape (c, error);
  if (g_str_equal (op, "Pad"))
    return op_pad (c, error);
  /* layers */
  if (g_str_equal (op, "Conv"))
    return op_conv (c, FALSE, error);
  if (g_str_equal (op, "ConvTranspose"))
    return op_conv (c, TRUE, error);
  if (g_str_equal (op, "Gemm"))
    return op_gemm (c, error);
  if (g_str_equal (op, "MatMul"))
    return op_matmul (c, error);
  if (g_str_equal (op, "Add"))
    return op_add_bias (c, error);
  if (g_str_equal (op, "Relu"))
    return op_simple (c, "relu", error);
  if (g_str_equal (op, "LeakyRelu"))
    return op_simple (c, "leaky_relu", error);
  if (g_str_equal (op, "Sigmoid"))
    return op_simple (c, "sigmoid", error);
  if (g_str_equal (op, "Tanh"))
    return op_simple (c, "tanh", error);
  if (g_str_equal (op, "Softmax"))
    return op_simple (c, "softmax", error);
  if (g_str_equal (op, "LogSoftmax"))
    return op_simple (c, "log_softmax", error);
  if (g_str_equal (op, "Dropout"))
    return op_simple (c, "dropout", error);
  if (g_str_equal (op, "MaxPool"))
    return op_pool (c, FALSE, error);
  if (g_str_equal (op, "AveragePool"))
    return op_pool (c, TRUE, error);
  if (g_str_equal (op, "GlobalAveragePool"))
    return op_global_avgpool (c, error);
  if (g_str_equal (op, "BatchNormalization"))
    return op_batchnorm (c, error);
  if (g_str_equal (op, "Resize"))
    return op_resize (c, FALSE, error);
  if (g_str_equal (op, "Upsample"))
    return op_resize (c, TRUE, error);
  if (g_str_equal (op, "RNN"))
    return op_recurrent (c, FALSE, error);
  if (g_str_equal (op, "LSTM"))
    return op_recurrent (c, TRUE, error);
  nn_onnx_fail (c, error, NN_ERROR_UNKNOWN_LAYER, "op type '%s' is not supported (docs/onnx.md lists those that are)",
            op);
  return FALSE;
}

static const Onnx__TensorShapeProto *
value_shape (const Onnx__ValueInfoProto *vi, int32_t *elem)
{
  if (!vi->type || vi->type->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE || !vi->type->tensor_type)
    return NULL;
  *elem = vi->type->tensor_type->has_elem_type ? vi->type->tensor_type->elem_type : 0;
  return vi->type->tensor_type->shape;
}

/* The graph's one input that is not an initializer: (N, per-sample...). */
static gboolean
read_input (Ctx *c, GError **error)
{
  const Onnx__ValueInfoProto *in = NULL;
  int n_in = 0;
  for (size_t i = 0; i < c->g->n_input; i++)
    if (c->g->input[i]->name && !g_hash_table_contains (c->inits, c->g->input[i]->name)) {
      in = c->g->input[i];
      n_in++;
    }
  if (n_in != 1) {
    nn_onnx_fail (c, error, NN_ERROR_INVALID, "the graph has %d inputs; exactly one is supported", n_in);
    return FALSE;
  }
  int32_t elem = 0;
  const Onnx__TensorShapeProto *sh = value_shape (in, &elem);
  if (!sh) {
    nn_onnx_fail (c, error, NN_ERROR_SHAPE, "input '%s' has no tensor shape", in->name);
    return FALSE;
  }
  gboolean is_int = elem == ONNX__TENSOR_PROTO__DATA_TYPE__INT64 || elem == ONNX__TENSOR_PROTO__DATA_TYPE__INT32;
  if (elem != ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT && !is_int) {
    char buf[32];
    nn_onnx_fail (c, error, NN_ERROR_INVALID, "input '%s' is of type %s; FLOAT (or INT64 token indices) is supported",
              in->name, nn_onnx_dtype_name (elem, buf, sizeof buf));
    return FALSE;
  }
  if (sh->n_dim < 2 || sh->n_dim > 5) {
    nn_onnx_fail (c, error, NN_ERROR_SHAPE, "input '%s' has %zu dimensions; 2 to 5 (the batch, then 1 to 4) are "
              "supported", in->name, sh->n_dim);
    return FALSE;
  }
  c->input.ndim = (int) sh->n_dim - 1;
  c->fixed_batch = sh->dim[0]->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE ?
                   sh->dim[0]->dim_value : -1;
  for (size_t i = 1; i < sh->n_dim; i++) {
    const Onnx__TensorShapeProto__Dimension *dm = sh->dim[i];
    if (dm->value_case != ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE || dm->dim_value < 1 ||
        dm->dim_value > 1 << 24) {
      nn_onnx_fail (c, error, NN_ERROR_SHAPE, "input '%s': dimension %zu is %s%s%s; every dimension but the batch must "
                "be a fixed size (export with dynamic_axes on the batch only)", in->name, i,
                dm->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM ? "'" : "",
                dm->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM ? dm->dim_param :
                dm->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE ? "out of range" : "unknown",
                dm->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM ? "' (symbolic)" : "");
      return FALSE;
    }
    c->input.dim[i - 1] = dm->dim_value;
  }
  if (!shape_size_ok (&c->input)) {
    nn_onnx_fail (c, error, NN_ERROR_SHAPE, "input '%s' is more than %" G_GINT64_FORMAT " values a sample", in->name,
              MAX_SAMPLE_VALUES);
    return FALSE;
  }
  Value *v = g_new0 (Value, 1);
  v->is_dyn = TRUE;
  dyn_set_canonical (&v->d, &c->input);
  v->d.is_int = is_int;
  v->d.rec = -1;
  g_hash_table_insert (c->values, g_strdup (in->name), v);
  return TRUE;
}

/* The graph's one output: the last layer's, as ONNX sees it in our order. */
static gboolean
read_output (Ctx *c, GError **error)
{
  if (c->g->n_output != 1) {
    GString *names = g_string_new ("");
    for (size_t i = 0; i < c->g->n_output; i++)
      g_string_append_printf (names, "%s'%s'", i ? ", " : "", c->g->output[i]->name ? c->g->output[i]->name : "");
    nn_onnx_fail (c, error, NN_ERROR_INVALID, "the graph has %zu outputs (%s); exactly one is supported",
              c->g->n_output, names->str);
    g_string_free (names, TRUE);
    return FALSE;
  }
  const char *name = c->g->output[0]->name ? c->g->output[0]->name : "";
  Value *v = g_hash_table_lookup (c->values, name);
  if (!v || !v->is_dyn || v->d.stamp != stamp (c) || c->layers->len == 0) {
    nn_onnx_fail (c, error, NN_ERROR_INVALID, "output '%s' is %s", name,
              !v ? "not made by any node" : !v->is_dyn ? "a constant" : c->layers->len == 0 ? "the input itself" :
              "not the last layer's output");
    return FALSE;
  }
  if (!no_pending_pad (c, &v->d, error))
    return FALSE;
  if (v->d.steps) {
    nn_onnx_fail (c, error, NN_ERROR_INVALID, "output '%s' is a batch of N*%" G_GINT64_FORMAT " steps: the Reshape of "
                  "(N, %" G_GINT64_FORMAT ", ...) to steps has no Reshape back to (N, %" G_GINT64_FORMAT ", ...)", name,
                  v->d.steps, v->d.steps, v->d.steps);
    return FALSE;
  }
  if (!dyn_same_order (&v->d)) {
    nn_onnx_fail (c, error, NN_ERROR_INVALID, "output '%s' is a transposed view of the last layer's output", name);
    return FALSE;
  }
  dyn_settle (c, &v->d);
  return TRUE;
}

/* The sidecar beside the model: MODEL.json, else MODEL.onnx.json. */
static char *
sidecar_find (const char *path)
{
  if (g_str_has_suffix (path, ".onnx")) {
    g_autofree char *base = g_strndup (path, strlen (path) - 5);
    char *p = g_strconcat (base, ".json", NULL);
    if (g_file_test (p, G_FILE_TEST_IS_REGULAR))
      return p;
    g_free (p);
  }
  char *p = g_strconcat (path, ".json", NULL);
  if (g_file_test (p, G_FILE_TEST_IS_REGULAR))
    return p;
  g_free (p);
  return NULL;
}

static const char *const extra_keys[] = { "labels", "preprocess", "gan", "vocab", "text" };

/* Copy what ONNX does not carry (labels, preprocess ...) from a JSON object
 * into the spec root; `what` names its source in messages. */
static gboolean
merge_extra (JsonObject *root, const char *json, const char *what, GError **error)
{
  g_autoptr (JsonParser) p = json_parser_new ();
  GError *e = NULL;
  if (!json_parser_load_from_data (p, json, -1, &e)) {
    g_set_error (error, NN_ERROR, NN_ERROR_FORMAT, "%s: %s", what, e->message);
    g_error_free (e);
    return FALSE;
  }
  JsonNode *r = json_parser_get_root (p);
  if (!r || !JSON_NODE_HOLDS_OBJECT (r)) {
    g_set_error (error, NN_ERROR, NN_ERROR_FORMAT, "%s: not a JSON object", what);
    return FALSE;
  }
  JsonObject *o = json_node_get_object (r);
  g_autoptr (GList) members = json_object_get_members (o);
  for (GList *m = members; m; m = m->next) {
    gboolean known = FALSE;
    for (gsize i = 0; i < G_N_ELEMENTS (extra_keys); i++)
      known |= g_str_equal (m->data, extra_keys[i]);
    if (!known) {
      g_set_error (error, NN_ERROR, NN_ERROR_FORMAT, "%s: unknown key \"%s\" (labels, preprocess, gan, vocab, text)",
                   what, (const char *) m->data);
      return FALSE;
    }
    json_object_set_member (root, m->data, json_node_copy (json_object_get_member (o, m->data)));
  }
  return TRUE;
}

/* What our exporter (or anyone following it) wrote in the model's
 * metadata_props as "nn.<key>" = JSON, for the keys of a sidecar: the
 * labels and preprocessing travel inside the file. Other producers' keys
 * are not ours and are left alone. */
static gboolean
merge_metadata (JsonObject *root, const Onnx__ModelProto *m, const char *path, GError **error)
{
  g_autoptr (GString) obj = g_string_new ("{");
  for (size_t i = 0; i < m->n_metadata_props; i++) {
    const Onnx__StringStringEntryProto *e = m->metadata_props[i];
    if (!e || !e->key || !e->value || !g_str_has_prefix (e->key, "nn."))
      continue;
    for (gsize k = 0; k < G_N_ELEMENTS (extra_keys); k++)
      if (g_str_equal (e->key + 3, extra_keys[k])) {
        g_string_append_printf (obj, "%s\"%s\": %s", obj->len > 1 ? ", " : "", extra_keys[k], e->value);
      }
  }
  if (obj->len == 1)
    return TRUE;
  g_string_append_c (obj, '}');
  g_autofree char *what = g_strdup_printf ("%s: metadata_props", path);
  return merge_extra (root, obj->str, what, error);
}

static char *
spec_json (Ctx *c, const Onnx__ModelProto *m, const char *sidecar, const char *extra, GError **error)
{
  g_autoptr (JsonObject) root = json_object_new ();
  set_ints (root, "input", c->input.ndim, c->input.dim);
  JsonArray *layers = json_array_new ();
  for (guint i = 0; i < c->layers->len; i++)
    json_array_add_object_element (layers, json_object_ref (((Layer *) g_ptr_array_index (c->layers, i))->o));
  json_object_set_array_member (root, "layers", layers);
  /* the file's own metadata first; a sidecar and the options override it */
  if (!merge_metadata (root, m, c->path, error))
    return NULL;
  if (sidecar) {
    g_autofree char *text = NULL;
    GError *e = NULL;
    if (!g_file_get_contents (sidecar, &text, NULL, &e)) {
      g_set_error (error, NN_ERROR, NN_ERROR_IO, "%s: %s", sidecar, e->message);
      g_error_free (e);
      return NULL;
    }
    if (!merge_extra (root, text, sidecar, error))
      return NULL;
  }
  if (extra && !merge_extra (root, extra, "import options", error))
    return NULL;
  return json_text (root);
}

NnModel *
nn_onnx_import (const char *path, const char *sidecar, const char *extra_json, NnLoadFlags flags, GError **error)
{
  g_return_val_if_fail (path != NULL, NULL);
  g_autoptr (Onnx__ModelProto) m = nn_onnx_read (path, error);
  if (!m)
    return NULL;
  Ctx c = { .path = path, .g = m->graph };
  c.opset = nn_onnx_opset (m);
  if (c.opset < NN_ONNX_OPSET_MIN || c.opset > NN_ONNX_OPSET_MAX) {
    if (c.opset < 0)
      nn_onnx_fail (&c, error, NN_ERROR_INVALID, "imports no opset of the default domain");
    else
      nn_onnx_fail (&c, error, NN_ERROR_INVALID, "opset %" G_GINT64_FORMAT " is not supported (%d to %d are)", c.opset,
                NN_ONNX_OPSET_MIN, NN_ONNX_OPSET_MAX);
    return NULL;
  }
  c.values = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, nn_onnx_value_free);
  c.inits = g_hash_table_new (g_str_hash, g_str_equal);
  c.layers = g_ptr_array_new_with_free_func (layer_free);
  c.params = g_ptr_array_new_with_free_func (param_free);
  c.names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  NnModel *model = NULL;
  NnSpec *spec = NULL;
  GHashTable *by_name = NULL;
  g_autofree char *found = NULL;
  g_autofree char *json = NULL;
  for (size_t i = 0; i < c.g->n_initializer; i++)
    if (c.g->initializer[i]->name)
      g_hash_table_insert (c.inits, c.g->initializer[i]->name, c.g->initializer[i]);
  if (c.g->n_sparse_initializer) {
    nn_onnx_fail (&c, error, NN_ERROR_INVALID, "sparse initializers are not supported");
    goto out;
  }
  if (!read_input (&c, error))
    goto out;
  for (size_t i = 0; i < c.g->n_node; i++) {
    c.idx = (int) i;
    c.node = c.g->node[i];
    if (!read_node (&c, error))
      goto out;
  }
  c.node = NULL;
  if (!read_output (&c, error))
    goto out;
  if (!sidecar)
    sidecar = found = sidecar_find (path);
  if (!(json = spec_json (&c, m, sidecar, extra_json, error)))
    goto out;
  spec = nn_spec_parse (json, path, error);
  if (!spec || !(model = nn_model_new (spec, 0, error)))
    goto out;
  /* every parameter the model has comes from the graph */
  int np;
  NnParam *params = nn_model_params (model, &np);
  by_name = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint i = 0; i < c.params->len; i++) {
    Param *q = g_ptr_array_index (c.params, i);
    g_hash_table_insert (by_name, q->name, q);
  }
  for (int i = 0; i < np; i++) {
    Param *q = g_hash_table_lookup (by_name, params[i].name);
    if (!q || !nn_shape_equal (&q->shape, &params[i].shape)) {
      g_set_error (error, NN_ERROR, NN_ERROR_FORMAT, "%s: the graph gives no value for \"%s\"", path, params[i].name);
      g_clear_pointer (&model, nn_model_free);
      goto out;
    }
    memcpy (params[i].data, q->data, nn_shape_numel (&q->shape) * sizeof (float));
  }
  /* NaN or infinite weights answer garbage, as in a .safetensors */
  if (!nn_model_check_finite (model, path, flags, error))
    g_clear_pointer (&model, nn_model_free);
out:
  if (spec)
    nn_spec_free (spec);
  if (by_name)
    g_hash_table_unref (by_name);
  g_hash_table_unref (c.values);
  g_hash_table_unref (c.inits);
  g_ptr_array_unref (c.layers);
  g_ptr_array_unref (c.params);
  g_hash_table_unref (c.names);
  return model;
}

NnModel *
nn_model_import_onnx_with (const char *path, const char *sidecar, const char *extra_json, GError **error)
{
  return nn_onnx_import (path, sidecar, extra_json, NN_LOAD_DEFAULT, error);
}

NnModel *
nn_model_import_onnx (const char *path, const char *sidecar, GError **error)
{
  return nn_model_import_onnx_with (path, sidecar, NULL, error);
}
