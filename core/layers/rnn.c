/* rnn: the seed's simple recurrent cell, PyTorch's nn.RNN (one layer,
 * batch_first=True):  h_t = act (x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh),
 * act "tanh" (default) or "relu". weight_ih (H, F), weight_hh (H, H),
 * bias_ih (H), bias_hh (H). Input (T, F) -> (T, H) with return_sequences,
 * else the last h (H).
 *
 * Time-major like lstm.c: one GEMM projects all steps' inputs straight into
 * the state slots, one (n, H) x (H, H) GEMM per step adds the recurrence. */
#include "recurrent-private.h"
#include <cblas.h>

typedef struct {
  NnLayer parent;
  NnRecurrentOpts o;
  NnAct act;
  int t, f, h;                 /* steps, input features, hidden units */
  float *wih, *whh, *bih, *bhh;
  float *xt;                   /* (T, n, F) the input, time-major */
  float *hs;                   /* (T+1, n, H) states; slot 0 is the initial state */
  float *dg;                   /* (T, n, H) gradient of the pre-activations */
  float *dxt;                  /* (T, n, F) */
  float *dh;                   /* (n, H) state gradient carried back one step */
  float *state;                /* (capacity, H) carried between forwards when stateful */
} NnRnn;

static const NnKeyDef rnn_keys[] = {
  { "units", NN_KEY_INT, 1, NN_INT_MAX, NULL, NULL, 0, "hidden size H" },
  NN_RECURRENT_KEYS,
  { "nonlinearity", NN_KEY_STRING, 0, 0, "\"tanh\"", "tanh|relu", 0, "h = act (W_ih x + W_hh h + b)" },
};

static gboolean
rnn_create (NnLayer *l, const NnSpecLayer *spec, GError **error)
{
  NnRnn *s = (NnRnn *) l;
  char buf[64];
  if (l->in.ndim != 2) {
    g_set_error (error, NN_ERROR, NN_ERROR_SHAPE, "layer \"%s\": rnn needs a (T, features) input, got %s",
                 l->name, nn_shape_to_string (&l->in, buf, sizeof buf));
    return FALSE;
  }
  nn_recurrent_opts (spec, "units", &s->o);
  const char *act = nn_spec_layer_string (spec, "nonlinearity");
  s->act = g_str_equal (act, "tanh") ? NN_ACT_TANH : NN_ACT_RELU;
  s->t = (int) l->in.dim[0], s->f = (int) l->in.dim[1], s->h = s->o.units;
  l->out = s->o.seq ? nn_shape_2d (s->t, s->h) : nn_shape_1d (s->h);
  NnShape wi = nn_shape_2d (s->h, s->f), wh = nn_shape_2d (s->h, s->h), b = nn_shape_1d (s->h);
  s->wih = nn_layer_add_param (l, "weight_ih", &wi, TRUE, TRUE);
  s->whh = nn_layer_add_param (l, "weight_hh", &wh, TRUE, TRUE);
  s->bih = nn_layer_add_param (l, "bias_ih", &b, TRUE, FALSE);
  s->bhh = nn_layer_add_param (l, "bias_hh", &b, TRUE, FALSE);
  return TRUE;
}

static gboolean
rnn_reserve (NnLayer *l, int n, GError **error)
{
  NnRnn *s = (NnRnn *) l;
  gsize tn = (gsize) s->t * n, h = s->h;
  return nn_recurrent_alloc (l, &s->xt, tn * s->f, error) && nn_recurrent_alloc (l, &s->hs, (tn + n) * h, error) &&
         nn_recurrent_alloc (l, &s->dg, tn * h, error) && nn_recurrent_alloc (l, &s->dxt, tn * s->f, error) &&
         nn_recurrent_alloc (l, &s->dh, n * h, error) &&
         nn_recurrent_grow_state (l, &s->state, (gsize) l->capacity * h, n * h, error);
}

static void
rnn_init (NnLayer *l, GRand *rng)
{
  NnRnn *s = (NnRnn *) l;
  float bound = 1.0f / sqrtf ((float) s->h);
  nn_fill_uniform (s->wih, (int64_t) s->h * s->f, bound, rng);
  nn_fill_uniform (s->whh, (int64_t) s->h * s->h, bound, rng);
  nn_fill_uniform (s->bih, s->h, bound, rng);
  nn_fill_uniform (s->bhh, s->h, bound, rng);
}

/* x (n, T, F) -> y; caches the time-major input and every state. */
static void
rnn_forward (NnLayer *l, const float *x, float *y, int n, gboolean training)
{
  NnRnn *s = (NnRnn *) l;
  int h = s->h, tn = s->t * n;
  int64_t nh = (int64_t) n * h;
  float *proj = s->hs + nh;   /* slots 1..T receive x_t W_ih^T + b */
  nn_recurrent_swap01 (x, s->xt, n, s->t, s->f);
  for (int r = 0; r < tn; r++)
    for (int j = 0; j < h; j++)
      proj[(int64_t) r * h + j] = s->bih[j] + s->bhh[j];
  cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasTrans, tn, h, s->f, 1.0f, s->xt, s->f, s->wih, s->f, 1.0f, proj, h);
  if (s->o.stateful)
    memcpy (s->hs, s->state, sizeof (float) * nh);
  else
    memset (s->hs, 0, sizeof (float) * nh);
  for (int t = 0; t < s->t; t++) {
    float *hn = s->hs + (t + 1) * nh;
    cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasTrans, n, h, h, 1.0f, s->hs + t * nh, h, s->whh, h, 1.0f, hn, h);
    nn_act_forward (s->act, NN_LEAKY_SLOPE, hn, hn, nh);
  }
  if (s->o.seq)
    nn_recurrent_swap01 (s->hs + nh, y, s->t, n, h);
  else
    memcpy (y, s->hs + s->t * nh, sizeof (float) * nh);
  if (s->o.stateful)
    memcpy (s->state, s->hs + s->t * nh, sizeof (float) * nh);
}

static void
rnn_backward (NnLayer *l, const float *x, const float *y, const float *dy, float *dx, int n)
{
  NnRnn *s = (NnRnn *) l;
  int h = s->h, tn = s->t * n;
  int64_t nh = (int64_t) n * h;
  memset (s->dh, 0, sizeof (float) * nh);
  for (int t = s->t - 1; t >= 0; t--) {
    float *dg = s->dg + t * nh;
    for (int i = 0; i < n && (s->o.seq || t == s->t - 1); i++) {
      const float *d = s->o.seq ? dy + ((int64_t) i * s->t + t) * h : dy + (int64_t) i * h;
      for (int j = 0; j < h; j++)
        s->dh[(int64_t) i * h + j] += d[j];
    }
    nn_act_backward (s->act, NN_LEAKY_SLOPE, s->hs + (t + 1) * nh, s->dh, dg, nh);
    if (nn_recurrent_carries (l, t))
      cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, n, h, h, 1.0f, dg, h, s->whh, h, 0.0f, s->dh, h);
    else
      memset (s->dh, 0, sizeof (float) * nh);
  }
  cblas_sgemm (CblasRowMajor, CblasTrans, CblasNoTrans, h, s->f, tn, 1.0f, s->dg, h, s->xt, s->f, 1.0f,
               l->params[0].grad, s->f);
  cblas_sgemm (CblasRowMajor, CblasTrans, CblasNoTrans, h, h, tn, 1.0f, s->dg, h, s->hs, h, 1.0f,
               l->params[1].grad, h);
  float *dbi = l->params[2].grad, *dbh = l->params[3].grad;
  for (int r = 0; r < tn; r++)
    for (int j = 0; j < h; j++) {
      float v = s->dg[(int64_t) r * h + j];
      dbi[j] += v;
      dbh[j] += v;
    }
  if (!dx)
    return;
  cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, tn, s->f, h, 1.0f, s->dg, h, s->wih, s->f, 0.0f,
               s->dxt, s->f);
  nn_recurrent_swap01 (s->dxt, dx, s->t, n, s->f);
}

static void
rnn_reset_state (NnLayer *l)
{
  NnRnn *s = (NnRnn *) l;
  if (s->state)
    memset (s->state, 0, sizeof (float) * l->capacity * s->h);
}

static int64_t
rnn_flops (const NnLayer *l)
{
  const NnRnn *s = (const NnRnn *) l;
  return 2 * (int64_t) s->t * s->h * (s->f + s->h);
}

static void
rnn_finalize (NnLayer *l)
{
  NnRnn *s = (NnRnn *) l;
  float **bufs[] = { &s->xt, &s->hs, &s->dg, &s->dxt, &s->dh, &s->state };
  for (gsize i = 0; i < G_N_ELEMENTS (bufs); i++)
    g_clear_pointer (bufs[i], g_free);
}

const NnLayerClass nn_rnn_class = {
  .type = "rnn",
  .size = sizeof (NnRnn),
  NN_KEYS (rnn_keys),
  .doc = "Elman RNN (PyTorch's RNN): [T, F] -> [H] or [T, H]; weight_ih [H, F], weight_hh [H, H], "
         "bias_ih, bias_hh [H].",
  .create = rnn_create,
  .reserve = rnn_reserve,
  .forward = rnn_forward,
  .backward = rnn_backward,
  .init = rnn_init,
  .flops = rnn_flops,
  .reset_state = rnn_reset_state,
  .finalize = rnn_finalize,
};
