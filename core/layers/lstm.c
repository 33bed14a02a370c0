/* lstm: PyTorch's nn.LSTM (one layer, batch_first=True), gate order i, f, g, o.
 *   i, f, o = sigmoid (.), g = tanh (.) of x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh
 *   c_t = f * c_{t-1} + i * g,   h_t = o * tanh (c_t)
 * weight_ih (4H, F), weight_hh (4H, H), bias_ih (4H), bias_hh (4H).
 * Input (T, F) -> (T, H) with return_sequences, else the last h (H).
 *
 * Work is time-major so every step's rows are contiguous: the input projection
 * of all T steps is one GEMM, each step adds one (n, H) x (H, 4H) GEMM, and
 * backward gathers the weight gradients of all steps in one GEMM each. */
#include "recurrent-private.h"
#include <cblas.h>

typedef struct {
  NnLayer parent;
  NnRecurrentOpts o;
  int t, f, h;                 /* steps, input features, hidden units */
  float *wih, *whh, *bih, *bhh;
  float *xt;                   /* (T, n, F) the input, time-major */
  float *gates;                /* (T, n, 4H) gate activations i, f, g, o */
  float *hs, *cs;              /* (T+1, n, H) hidden and cell states; slot 0 is the initial state */
  float *tc;                   /* (T, n, H) tanh (c_t) */
  float *dg;                   /* (T, n, 4H) gradient of the gate pre-activations */
  float *dxt;                  /* (T, n, F) */
  float *dh, *dc;              /* (n, H) state gradients carried back one step */
  float *state_h, *state_c;    /* (capacity, H) carried between forwards when stateful */
} NnLstm;

static const NnKeyDef lstm_keys[] = {
  { "units", NN_KEY_INT, 1, NN_INT_MAX, NULL, NULL, 0, "hidden size H" },
  NN_RECURRENT_KEYS,
};

static gboolean
lstm_create (NnLayer *l, const NnSpecLayer *spec, GError **error)
{
  NnLstm *s = (NnLstm *) l;
  char buf[64];
  if (l->in.ndim != 2) {
    g_set_error (error, NN_ERROR, NN_ERROR_SHAPE, "layer \"%s\": %s needs a (T, features) input, got %s",
                 l->name, l->klass->type, nn_shape_to_string (&l->in, buf, sizeof buf));
    return FALSE;
  }
  nn_recurrent_opts (spec, "units", &s->o);
  s->t = (int) l->in.dim[0], s->f = (int) l->in.dim[1], s->h = s->o.units;
  int h4 = 4 * s->h;
  l->out = s->o.seq ? nn_shape_2d (s->t, s->h) : nn_shape_1d (s->h);
  NnShape wi = nn_shape_2d (h4, s->f), wh = nn_shape_2d (h4, s->h), b = nn_shape_1d (h4);
  s->wih = nn_layer_add_param (l, "weight_ih", &wi, TRUE, TRUE);
  s->whh = nn_layer_add_param (l, "weight_hh", &wh, TRUE, TRUE);
  s->bih = nn_layer_add_param (l, "bias_ih", &b, TRUE, FALSE);
  s->bhh = nn_layer_add_param (l, "bias_hh", &b, TRUE, FALSE);
  return TRUE;
}

static gboolean
lstm_reserve (NnLayer *l, int n, GError **error)
{
  NnLstm *s = (NnLstm *) l;
  gsize tn = (gsize) s->t * n, h = s->h;
  return nn_recurrent_alloc (l, &s->xt, tn * s->f, error) && nn_recurrent_alloc (l, &s->gates, tn * 4 * h, error) &&
         nn_recurrent_alloc (l, &s->hs, (tn + n) * h, error) && nn_recurrent_alloc (l, &s->cs, (tn + n) * h, error) &&
         nn_recurrent_alloc (l, &s->tc, tn * h, error) && nn_recurrent_alloc (l, &s->dg, tn * 4 * h, error) &&
         nn_recurrent_alloc (l, &s->dxt, tn * s->f, error) && nn_recurrent_alloc (l, &s->dh, n * h, error) &&
         nn_recurrent_alloc (l, &s->dc, n * h, error) &&
         nn_recurrent_grow_state (l, &s->state_h, (gsize) l->capacity * h, n * h, error) &&
         nn_recurrent_grow_state (l, &s->state_c, (gsize) l->capacity * h, n * h, error);
}

static void
lstm_init (NnLayer *l, GRand *rng)
{
  NnLstm *s = (NnLstm *) l;
  float bound = 1.0f / sqrtf ((float) s->h);
  int64_t h4 = 4 * s->h;
  nn_fill_uniform (s->wih, h4 * s->f, bound, rng);
  nn_fill_uniform (s->whh, h4 * s->h, bound, rng);
  nn_fill_uniform (s->bih, h4, bound, rng);
  nn_fill_uniform (s->bhh, h4, bound, rng);
}

/* x (n, T, F) -> y; caches the time-major input, gates, states and tanh (c). */
static void
lstm_forward (NnLayer *l, const float *x, float *y, int n, gboolean training)
{
  NnLstm *s = (NnLstm *) l;
  int h = s->h, h4 = 4 * h, tn = s->t * n;
  int64_t nh = (int64_t) n * h;
  nn_recurrent_swap01 (x, s->xt, n, s->t, s->f);
  for (int r = 0; r < tn; r++)
    for (int j = 0; j < h4; j++)
      s->gates[(int64_t) r * h4 + j] = s->bih[j] + s->bhh[j];
  cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasTrans, tn, h4, s->f, 1.0f, s->xt, s->f, s->wih, s->f, 1.0f,
               s->gates, h4);
  if (s->o.stateful) {
    memcpy (s->hs, s->state_h, sizeof (float) * nh);
    memcpy (s->cs, s->state_c, sizeof (float) * nh);
  } else {
    memset (s->hs, 0, sizeof (float) * nh);
    memset (s->cs, 0, sizeof (float) * nh);
  }
  for (int t = 0; t < s->t; t++) {
    float *g = s->gates + t * nh * 4;
    cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasTrans, n, h4, h, 1.0f, s->hs + t * nh, h, s->whh, h, 1.0f, g, h4);
    nn_lstm_cell (n, h, g, s->cs + t * nh, s->cs + (t + 1) * nh, s->tc + t * nh, s->hs + (t + 1) * nh);
  }
  if (s->o.seq)
    nn_recurrent_swap01 (s->hs + nh, y, s->t, n, h);
  else
    memcpy (y, s->hs + s->t * nh, sizeof (float) * nh);
  if (s->o.stateful) {
    memcpy (s->state_h, s->hs + s->t * nh, sizeof (float) * nh);
    memcpy (s->state_c, s->cs + s->t * nh, sizeof (float) * nh);
  }
}

/* Adds step t's output gradient (dy (n, T, H) or (n, H)) into dh. */
static void
add_dy (const NnLstm *s, const float *dy, int t, int n)
{
  int h = s->h;
  if (!s->o.seq && t != s->t - 1)
    return;
  for (int i = 0; i < n; i++) {
    const float *d = s->o.seq ? dy + ((int64_t) i * s->t + t) * h : dy + (int64_t) i * h;
    for (int j = 0; j < h; j++)
      s->dh[(int64_t) i * h + j] += d[j];
  }
}

static void
lstm_backward (NnLayer *l, const float *x, const float *y, const float *dy, float *dx, int n)
{
  NnLstm *s = (NnLstm *) l;
  int h = s->h, h4 = 4 * h, tn = s->t * n;
  int64_t nh = (int64_t) n * h;
  memset (s->dh, 0, sizeof (float) * nh);
  memset (s->dc, 0, sizeof (float) * nh);
  for (int t = s->t - 1; t >= 0; t--) {
    float *dg = s->dg + t * nh * 4;
    add_dy (s, dy, t, n);
    nn_lstm_cell_backward (n, h, s->gates + t * nh * 4, s->cs + t * nh, s->tc + t * nh, s->dh, s->dc, dg);
    if (nn_recurrent_carries (l, t)) {
      cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, n, h, h4, 1.0f, dg, h4, s->whh, h, 0.0f, s->dh, h);
    } else {
      memset (s->dh, 0, sizeof (float) * nh);
      memset (s->dc, 0, sizeof (float) * nh);
    }
  }
  cblas_sgemm (CblasRowMajor, CblasTrans, CblasNoTrans, h4, s->f, tn, 1.0f, s->dg, h4, s->xt, s->f, 1.0f,
               l->params[0].grad, s->f);
  cblas_sgemm (CblasRowMajor, CblasTrans, CblasNoTrans, h4, h, tn, 1.0f, s->dg, h4, s->hs, h, 1.0f,
               l->params[1].grad, h);
  float *dbi = l->params[2].grad, *dbh = l->params[3].grad;
  for (int r = 0; r < tn; r++)
    for (int j = 0; j < h4; j++) {
      float v = s->dg[(int64_t) r * h4 + j];
      dbi[j] += v;
      dbh[j] += v;
    }
  if (!dx)
    return;
  cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, tn, s->f, h4, 1.0f, s->dg, h4, s->wih, s->f, 0.0f,
               s->dxt, s->f);
  nn_recurrent_swap01 (s->dxt, dx, s->t, n, s->f);
}

static void
lstm_reset_state (NnLayer *l)
{
  NnLstm *s = (NnLstm *) l;
  if (s->state_h) {
    memset (s->state_h, 0, sizeof (float) * l->capacity * s->h);
    memset (s->state_c, 0, sizeof (float) * l->capacity * s->h);
  }
}

static int64_t
lstm_flops (const NnLayer *l)
{
  const NnLstm *s = (const NnLstm *) l;
  return 2 * (int64_t) s->t * 4 * s->h * (s->f + s->h);
}

static void
lstm_finalize (NnLayer *l)
{
  NnLstm *s = (NnLstm *) l;
  float **bufs[] = { &s->xt, &s->gates, &s->hs, &s->cs, &s->tc, &s->dg, &s->dxt, &s->dh, &s->dc,
                     &s->state_h, &s->state_c };
  for (gsize i = 0; i < G_N_ELEMENTS (bufs); i++)
    g_clear_pointer (bufs[i], g_free);
}

const NnLayerClass nn_lstm_class = {
  .type = "lstm",
  .size = sizeof (NnLstm),
  NN_KEYS (lstm_keys),
  .doc = "LSTM (PyTorch's, gates i, f, g, o): [T, F] -> [H] or [T, H]; weight_ih [4H, F], weight_hh [4H, H], "
         "bias_ih, bias_hh [4H].",
  .create = lstm_create,
  .reserve = lstm_reserve,
  .forward = lstm_forward,
  .backward = lstm_backward,
  .init = lstm_init,
  .flops = lstm_flops,
  .reset_state = lstm_reset_state,
  .finalize = lstm_finalize,
};
