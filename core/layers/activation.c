/* Element-wise activations (sigmoid, tanh, relu, leaky_relu) and softmax (and log_softmax) over
 * the channel axis (or the "axis" option: -1 = per-step classes of a (T, V) sequence). They are one kind in spirit: no parameters, y = f(x), and
 * backward from the output alone. A layer's "activation" option appends one. */
#include "nn-private.h"

typedef struct {
  NnLayer parent;
  NnAct act;
  float slope;        /* leaky_relu: the negative slope ("slope", PyTorch's negative_slope) */
  int64_t c, inner;   /* softmax: values along the axis, and their stride */
} NnActLayer;

/* Softmax's "axis" counts per-sample dims: 0 (default) is the class or channel
 * axis, negative ones count from the end. */
static gboolean
softmax_axis (NnLayer *l, const NnSpecLayer *spec, GError **error)
{
  NnActLayer *a = (NnActLayer *) l;
  int nd = l->in.ndim, axis = nn_spec_layer_int (spec, "axis");
  if (axis < -nd || axis >= nd) {
    g_set_error (error, NN_ERROR, NN_ERROR_INVALID, "layer \"%s\": softmax \"axis\" must be an integer in [%d, %d] "
                 "for its input of %d dimensions", l->name, -nd, nd - 1, nd);
    return FALSE;
  }
  if (axis < 0)
    axis += nd;
  a->c = l->in.dim[axis];
  a->inner = 1;
  for (int d = axis + 1; d < nd; d++)
    a->inner *= l->in.dim[d];
  return TRUE;
}

static const NnKeyDef leaky_keys[] = {
  { "slope", NN_KEY_FLOAT, 1e-6, 1.0, "0.01", NULL, 0, "the negative slope (PyTorch's negative_slope)" },
};

static const NnKeyDef softmax_keys[] = {
  { "axis", NN_KEY_INT, -NN_MAX_DIMS, NN_MAX_DIMS - 1, "0", NULL, 0,
    "per-sample axis normalised: 0 the classes (or a class map's channels), -1 the last (per time step)" },
};

static gboolean
act_create (NnLayer *l, const NnSpecLayer *spec, GError **error)
{
  NnActLayer *a = (NnActLayer *) l;
  const char *t = l->klass->type;
  a->act = g_str_equal (t, "sigmoid") ? NN_ACT_SIGMOID : g_str_equal (t, "tanh") ? NN_ACT_TANH :
           g_str_equal (t, "relu") ? NN_ACT_RELU : g_str_equal (t, "leaky_relu") ? NN_ACT_LEAKY_RELU :
           NN_ACT_SOFTMAX;
  l->out = l->in;
  a->slope = a->act == NN_ACT_LEAKY_RELU ? (float) nn_spec_layer_double (spec, "slope") : NN_LEAKY_SLOPE;
  return a->act != NN_ACT_SOFTMAX || softmax_axis (l, spec, error);
}

/* Element-wise work splits over the threads by samples once it outweighs a
 * thread's wake-up (a few microseconds). */
#define ACT_SPLIT_MIN 32768

typedef struct {
  NnAct        act;
  float        slope;
  const float *in, *dy;      /* forward: x; backward: y */
  float       *out;          /* forward: y; backward: dx */
  int64_t      per;          /* values per sample */
} ActJob;

static void
act_range (int lo, int hi, int t, gpointer data)
{
  const ActJob *j = data;
  int64_t o = lo * j->per, k = (hi - lo) * j->per;
  if (j->dy)
    nn_act_backward (j->act, j->slope, j->in + o, j->dy + o, j->out + o, k);
  else
    nn_act_forward (j->act, j->slope, j->in + o, j->out + o, k);
}

static void
act_run (NnLayer *l, const float *in, const float *dy, float *out, int n)
{
  ActJob j = { ((NnActLayer *) l)->act, ((NnActLayer *) l)->slope, in, dy, out, nn_shape_numel (&l->in) };
  nn_parallel_for (n, n * j.per < ACT_SPLIT_MIN ? 1 : NN_MAX_THREADS, act_range, &j);
}

static void
act_forward (NnLayer *l, const float *x, float *y, int n, gboolean training)
{
  act_run (l, x, NULL, y, n);
}

static void
act_backward (NnLayer *l, const float *x, const float *y, const float *dy, float *dx, int n)
{
  if (dx)
    act_run (l, y, dy, dx, n);
}

/* Softmax over rows of C values with stride `inner` (H*W for the channels of
 * a class map, so fully convolutional heads work unchanged); `rows` of them. */
static void
softmax_dims (const NnLayer *l, int n, int64_t *c, int64_t *inner, int64_t *rows)
{
  *c = ((const NnActLayer *) l)->c;
  *inner = ((const NnActLayer *) l)->inner;
  *rows = n * nn_shape_numel (&l->in) / *c;
}

static void
softmax_forward (NnLayer *l, const float *x, float *y, int n, gboolean training)
{
  int64_t c, inner, rows;
  softmax_dims (l, n, &c, &inner, &rows);
  for (int64_t s = 0; s < rows; s++) {
    const float *xs = x + (s / inner) * c * inner + s % inner;
    float *ys = y + (s / inner) * c * inner + s % inner;
    float mx = -INFINITY, sum = 0.0f;
    for (int64_t k = 0; k < c; k++)
      mx = fmaxf (mx, xs[k * inner]);
    for (int64_t k = 0; k < c; k++)
      sum += (ys[k * inner] = expf (xs[k * inner] - mx));
    for (int64_t k = 0; k < c; k++)
      ys[k * inner] /= sum;
  }
}

static void
softmax_backward (NnLayer *l, const float *x, const float *y, const float *dy, float *dx, int n)
{
  if (!dx)
    return;
  int64_t c, inner, rows;
  softmax_dims (l, n, &c, &inner, &rows);
  for (int64_t s = 0; s < rows; s++) {
    int64_t o = (s / inner) * c * inner + s % inner;
    float dot = 0.0f;
    for (int64_t k = 0; k < c; k++)
      dot += dy[o + k * inner] * y[o + k * inner];
    for (int64_t k = 0; k < c; k++)
      dx[o + k * inner] = y[o + k * inner] * (dy[o + k * inner] - dot);
  }
}

/* log (softmax (x)) computed as x - max - log sum exp (x - max), which stays
 * finite where the softmax underflows to 0 (PyTorch's LogSoftmax, ONNX's). */
static void
log_softmax_forward (NnLayer *l, const float *x, float *y, int n, gboolean training)
{
  int64_t c, inner, rows;
  softmax_dims (l, n, &c, &inner, &rows);
  for (int64_t s = 0; s < rows; s++) {
    const float *xs = x + (s / inner) * c * inner + s % inner;
    float *ys = y + (s / inner) * c * inner + s % inner;
    float mx = -INFINITY, sum = 0.0f;
    for (int64_t k = 0; k < c; k++)
      mx = fmaxf (mx, xs[k * inner]);
    for (int64_t k = 0; k < c; k++)
      sum += expf (xs[k * inner] - mx);
    float lse = mx + logf (sum);
    for (int64_t k = 0; k < c; k++)
      ys[k * inner] = xs[k * inner] - lse;
  }
}

/* dx = dy - softmax * sum (dy), the softmax being exp (y). */
static void
log_softmax_backward (NnLayer *l, const float *x, const float *y, const float *dy, float *dx, int n)
{
  if (!dx)
    return;
  int64_t c, inner, rows;
  softmax_dims (l, n, &c, &inner, &rows);
  for (int64_t s = 0; s < rows; s++) {
    int64_t o = (s / inner) * c * inner + s % inner;
    float sum = 0.0f;
    for (int64_t k = 0; k < c; k++)
      sum += dy[o + k * inner];
    for (int64_t k = 0; k < c; k++)
      dx[o + k * inner] = dy[o + k * inner] - expf (y[o + k * inner]) * sum;
  }
}

#define ACT_CLASS(ident, name, text, ...) \
  const NnLayerClass ident = { .type = name, .size = sizeof (NnActLayer), .activation = TRUE, .doc = text, \
                               .create = act_create, .forward = act_forward, .backward = act_backward, __VA_ARGS__ }

ACT_CLASS (nn_sigmoid_class, "sigmoid", "1 / (1 + exp (-x)), element-wise; shape unchanged.");
ACT_CLASS (nn_tanh_class, "tanh", "tanh (x), element-wise; shape unchanged.");
ACT_CLASS (nn_relu_class, "relu", "max (x, 0), element-wise (NaN passes, as in PyTorch); shape unchanged.");
ACT_CLASS (nn_leaky_relu_class, "leaky_relu", "x, or slope * x below 0, element-wise; shape unchanged.",
           NN_KEYS (leaky_keys));

const NnLayerClass nn_softmax_class = {
  .type = "softmax",
  .size = sizeof (NnActLayer),
  NN_KEYS (softmax_keys),
  .activation = TRUE,
  .doc = "exp (x) / sum exp (x) along an axis; shape unchanged.",
  .create = act_create,
  .forward = softmax_forward,
  .backward = softmax_backward,
};

const NnLayerClass nn_log_softmax_class = {
  .type = "log_softmax",
  .size = sizeof (NnActLayer),
  NN_KEYS (softmax_keys),
  .activation = TRUE,
  .doc = "x - log sum exp (x) along an axis (the log of softmax, PyTorch's LogSoftmax); shape unchanged.",
  .create = act_create,
  .forward = log_softmax_forward,
  .backward = log_softmax_backward,
};

gboolean
nn_layer_is_rising_act (const NnLayer *l, NnAct *act, float *slope)
{
  const NnActLayer *a = (const NnActLayer *) l;
  if (l->klass->create != act_create || (a->act != NN_ACT_RELU && a->act != NN_ACT_LEAKY_RELU))
    return FALSE;
  *act = a->act;
  *slope = a->slope;
  return TRUE;
}
