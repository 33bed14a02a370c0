/* convlstm2d: the ConvLSTM of Shi et al. 2015 (without peepholes), gates from
 * one convolution over the concatenation of x_t and h_{t-1}:
 *   [i, f, g, o] = conv (cat (x_t, h_{t-1})) + b,  i, f, o sigmoid, g tanh
 *   c_t = f * c_{t-1} + i * g,   h_t = o * tanh (c_t)
 * Odd kernel k, stride 1, "same" padding k/2. conv.weight (4*Hd, C+Hd, k, k),
 * conv.bias (4*Hd), gate order i, f, g, o as lstm.c.
 * Input (T, C, H, W) -> (T, Hd, H, W) with return_sequences, else (Hd, H, W).
 *
 * Each step unfolds x_t and h_{t-1} into one column matrix (K = (C+Hd)*k*k,
 * H*W) and the gates are one GEMM W (4Hd, K) x col; the cell is lstm.c's,
 * rows being units x pixels. Backward unfolds again rather than keep T
 * column matrices per sample. */
#include "recurrent-private.h"
#include "gemm-private.h"

typedef struct {
  NnLayer parent;
  NnRecurrentOpts o;
  int t, c, hh, ww, hd, k, pad; /* steps, input channels, height, width, hidden channels, kernel */
  int64_t hw, kx, kk;           /* H*W; C*k*k and (C+Hd)*k*k rows of the columns */
  float *w, *b;                 /* (4Hd, (C+Hd)*k*k), (4Hd) */
  float *gates;                 /* (n, T, 4Hd, H*W) gate activations */
  float *hs, *cs;               /* (n, T+1, Hd, H*W) states; slot 0 is the initial state */
  float *tc;                    /* (n, T, Hd, H*W) tanh (c_t) */
  float *scratch;               /* per thread: a ClstmScratch's worth */
  int    threads;               /* threads the scratch serves */
  float *state_h, *state_c;     /* (capacity, Hd, H*W) carried between forwards when stateful */
} NnConvLstm;

/* One thread's working set; samples split over the threads. */
typedef struct {
  float *col, *dcol;            /* (K, H*W) one step's unfolded input and its gradient */
  float *dg;                    /* (4Hd, H*W) one step's gate gradient */
  float *dh, *dc;               /* (Hd, H*W) state gradients carried back one step */
  float *dw, *db;               /* threads > 0: their share of the parameter gradients */
  float *pad;                   /* a zero-bordered frame of max (C, Hd) channels to unfold from */
} ClstmScratch;

static NnUnfold clstm_geom (const NnConvLstm *s, int ch);

static int64_t
scratch_size (const NnConvLstm *s)
{
  int64_t st = (int64_t) s->hd * s->hw;
  NnUnfold widest = clstm_geom (s, MAX (s->c, s->hd));
  return 2 * s->kk * s->hw + 6 * st + 4 * s->hd * s->kk + 4 * s->hd + nn_unfold_pad_size (&widest);
}

static ClstmScratch
scratch_of (NnConvLstm *s, int th)
{
  int64_t st = (int64_t) s->hd * s->hw;
  float *p = s->scratch + th * scratch_size (s);
  ClstmScratch c = { .col = p, .dcol = p + s->kk * s->hw };
  c.dg = c.dcol + s->kk * s->hw;
  c.dh = c.dg + 4 * st;
  c.dc = c.dh + st;
  c.dw = th ? c.dc + st : s->parent.params[0].grad;
  c.db = th ? c.dc + st + 4 * s->hd * s->kk : s->parent.params[1].grad;
  c.pad = c.dc + st + 4 * s->hd * s->kk + 4 * s->hd;
  return c;
}

static const NnKeyDef clstm_keys[] = {
  { "filters", NN_KEY_INT, 1, NN_INT_MAX, NULL, NULL, 0, "hidden channels H" },
  { "kernel", NN_KEY_INT, 1, NN_INT_MAX, NULL, NULL, 0, "k, odd (\"same\" padding)" },
  NN_RECURRENT_KEYS,
};

static gboolean
clstm_create (NnLayer *l, const NnSpecLayer *spec, GError **error)
{
  NnConvLstm *s = (NnConvLstm *) l;
  char buf[64];
  if (l->in.ndim != 4) {
    g_set_error (error, NN_ERROR, NN_ERROR_SHAPE, "layer \"%s\": convlstm2d needs a (T, C, H, W) input, got %s",
                 l->name, nn_shape_to_string (&l->in, buf, sizeof buf));
    return FALSE;
  }
  nn_recurrent_opts (spec, "filters", &s->o);
  s->k = nn_spec_layer_int (spec, "kernel");
  if (s->k % 2 == 0) {
    g_set_error (error, NN_ERROR, NN_ERROR_INVALID, "layer \"%s\": convlstm2d \"kernel\" must be odd for \"same\" "
                 "padding, got %d", l->name, s->k);
    return FALSE;
  }
  s->t = (int) l->in.dim[0], s->c = (int) l->in.dim[1], s->hh = (int) l->in.dim[2], s->ww = (int) l->in.dim[3];
  s->hd = s->o.units, s->pad = s->k / 2;
  s->hw = (int64_t) s->hh * s->ww;
  s->kx = (int64_t) s->c * s->k * s->k;
  s->kk = (int64_t) (s->c + s->hd) * s->k * s->k;
  l->out = s->o.seq ? nn_shape_4d (s->t, s->hd, s->hh, s->ww) : nn_shape_3d (s->hd, s->hh, s->ww);
  NnShape ws = nn_shape_4d (4 * s->hd, s->c + s->hd, s->k, s->k), bs = nn_shape_1d (4 * s->hd);
  s->w = nn_layer_add_param (l, "conv.weight", &ws, TRUE, TRUE);
  s->b = nn_layer_add_param (l, "conv.bias", &bs, TRUE, FALSE);
  return TRUE;
}

static gboolean
clstm_reserve (NnLayer *l, int n, GError **error)
{
  NnConvLstm *s = (NnConvLstm *) l;
  gsize st = (gsize) s->hd * s->hw, tn = (gsize) s->t * n;
  return nn_recurrent_alloc (l, &s->gates, tn * 4 * st, error) &&
         nn_recurrent_alloc (l, &s->hs, (tn + n) * st, error) && nn_recurrent_alloc (l, &s->cs, (tn + n) * st, error) &&
         nn_recurrent_alloc (l, &s->tc, tn * st, error) &&
         nn_recurrent_alloc (l, &s->scratch, (gsize) (scratch_size (s) * (s->threads = nn_get_threads ())), error) &&
         nn_recurrent_grow_state (l, &s->state_h, (gsize) l->capacity * st, n * st, error) &&
         nn_recurrent_grow_state (l, &s->state_c, (gsize) l->capacity * st, n * st, error);
}

static void
clstm_init (NnLayer *l, GRand *rng)
{
  NnConvLstm *s = (NnConvLstm *) l;
  /* nn.Conv2d's default: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weight and bias */
  float bound = 1.0f / sqrtf ((float) s->kk);
  nn_fill_uniform (s->w, 4 * s->hd * s->kk, bound, rng);
  nn_fill_uniform (s->b, 4 * s->hd, bound, rng);
}

/* The unfolding of `ch` channels of a frame: stride 1, "same" padding k/2. */
static NnUnfold
clstm_geom (const NnConvLstm *s, int ch)
{
  return (NnUnfold) { ch, s->hh, s->ww, s->k, s->k, 1, 1, s->pad, s->pad, s->hh, s->ww };
}

/* The frames of x and of h share one padded buffer: only its interior is
 * ever written, so its border stays zero for both. */
static void
im2col (const NnConvLstm *s, const float *x, int ch, float *col, float *pad)
{
  NnUnfold u = clstm_geom (s, ch);
  nn_im2col_unit (&u, x, col, pad);
}

/* col (ch*k*k, H*W) -> dx (ch, H, W) (overwrites dx) */
static void
col2im (const NnConvLstm *s, const float *col, int ch, float *dx)
{
  NnUnfold u = clstm_geom (s, ch);
  nn_col2im (&u, col, dx, FALSE);
}

/* Unfolds step t of sample i: x_t into the first C*k*k rows, h_{t-1} below. */
static void
unfold_step (const NnConvLstm *s, const float *xi, const float *hprev, int t, float *col, float *pad)
{
  im2col (s, xi + (int64_t) t * s->c * s->hw, s->c, col, pad);
  im2col (s, hprev, s->hd, col + s->kx * s->hw, pad);
}

typedef struct {
  NnConvLstm  *s;
  const float *x, *dy;
  float       *y, *dx;
} ClstmJob;

static void
forward_samples (int lo, int hi, int th, gpointer data)
{
  ClstmJob *j = data;
  NnConvLstm *s = j->s;
  int64_t st = (int64_t) s->hd * s->hw, h4 = 4 * s->hd;
  ClstmScratch w = scratch_of (s, th);
  float *col = w.col;
  for (int i = lo; i < hi; i++) {
    const float *xi = j->x + (int64_t) i * s->t * s->c * s->hw;
    float *hs = s->hs + i * (s->t + 1) * st, *cs = s->cs + i * (s->t + 1) * st;
    float *gates = s->gates + i * s->t * 4 * st, *tc = s->tc + i * s->t * st;
    if (s->o.stateful) {
      memcpy (hs, s->state_h + i * st, sizeof (float) * st);
      memcpy (cs, s->state_c + i * st, sizeof (float) * st);
    } else {
      memset (hs, 0, sizeof (float) * st);
      memset (cs, 0, sizeof (float) * st);
    }
    for (int t = 0; t < s->t; t++) {
      float *g = gates + t * 4 * st;
      unfold_step (s, xi, hs + t * st, t, col, w.pad);
      for (int64_t r = 0; r < h4; r++)
        for (int64_t p = 0; p < s->hw; p++)
          g[r * s->hw + p] = s->b[r];
      nn_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, (int) h4, (int) s->hw, (int) s->kk, 1.0f, s->w,
                   (int) s->kk, col, (int) s->hw, 1.0f, g, (int) s->hw);
      nn_lstm_cell (1, st, g, cs + t * st, cs + (t + 1) * st, tc + t * st, hs + (t + 1) * st);
    }
    if (s->o.seq)
      memcpy (j->y + i * s->t * st, hs + st, sizeof (float) * s->t * st);
    else
      memcpy (j->y + i * st, hs + s->t * st, sizeof (float) * st);
    if (s->o.stateful) {
      memcpy (s->state_h + i * st, hs + s->t * st, sizeof (float) * st);
      memcpy (s->state_c + i * st, cs + s->t * st, sizeof (float) * st);
    }
  }
}

/* Samples are independent sequences: they split over the threads. */
static void
clstm_forward (NnLayer *l, const float *x, float *y, int n, gboolean training)
{
  ClstmJob j = { (NnConvLstm *) l, x, NULL, y, NULL };
  nn_parallel_for (n, ((NnConvLstm *) l)->threads, forward_samples, &j);
}

/* Step t of sample i backwards, from dh, dc at h_t, c_t; leaves dh, dc at
 * h_{t-1}, c_{t-1} (zero where truncated BPTT cuts) and writes dx_t. */
static void
clstm_step_backward (NnLayer *l, int i, int t, const float *xi, float *dxi, const ClstmScratch *w)
{
  NnConvLstm *s = (NnConvLstm *) l;
  int64_t st = (int64_t) s->hd * s->hw, h4 = 4 * s->hd;
  const float *hs = s->hs + i * (s->t + 1) * st, *cs = s->cs + i * (s->t + 1) * st;
  const float *g = s->gates + (i * s->t + t) * 4 * st, *tc = s->tc + (i * s->t + t) * st;
  nn_lstm_cell_backward (1, st, g, cs + t * st, tc, w->dh, w->dc, w->dg);
  unfold_step (s, xi, hs + t * st, t, w->col, w->pad);
  nn_sgemm (CblasRowMajor, CblasNoTrans, CblasTrans, (int) h4, (int) s->kk, (int) s->hw, 1.0f, w->dg,
               (int) s->hw, w->col, (int) s->hw, 1.0f, w->dw, (int) s->kk);
  for (int64_t r = 0; r < h4; r++)
    for (int64_t p = 0; p < s->hw; p++)
      w->db[r] += w->dg[r * s->hw + p];
  gboolean carry = nn_recurrent_carries (l, t);
  /* dcol = W^T dg, only the rows somebody needs: x's, h's or both */
  int64_t r0 = dxi ? 0 : s->kx, r1 = carry ? s->kk : s->kx;
  if (r1 > r0)
    nn_sgemm (CblasRowMajor, CblasTrans, CblasNoTrans, (int) (r1 - r0), (int) s->hw, (int) h4, 1.0f, s->w + r0,
                 (int) s->kk, w->dg, (int) s->hw, 0.0f, w->dcol + r0 * s->hw, (int) s->hw);
  if (dxi)
    col2im (s, w->dcol, s->c, dxi + (int64_t) t * s->c * s->hw);
  if (carry) {
    col2im (s, w->dcol + s->kx * s->hw, s->hd, w->dh);
  } else {
    memset (w->dh, 0, sizeof (float) * st);
    memset (w->dc, 0, sizeof (float) * st);
  }
}

static void
backward_samples (int lo, int hi, int th, gpointer data)
{
  ClstmJob *j = data;
  NnConvLstm *s = j->s;
  ClstmScratch w = scratch_of (s, th);
  int64_t st = (int64_t) s->hd * s->hw, in_sz = (int64_t) s->t * s->c * s->hw;
  for (int i = lo; i < hi; i++) {
    memset (w.dh, 0, sizeof (float) * st);
    memset (w.dc, 0, sizeof (float) * st);
    for (int t = s->t - 1; t >= 0; t--) {
      const float *d = s->o.seq ? j->dy + (i * s->t + t) * st : t == s->t - 1 ? j->dy + i * st : NULL;
      for (int64_t q = 0; d && q < st; q++)
        w.dh[q] += d[q];
      clstm_step_backward (&s->parent, i, t, j->x + i * in_sz, j->dx ? j->dx + i * in_sz : NULL, &w);
    }
  }
}

/* Thread 0 adds into the parameter gradients, the others into their zeroed
 * shares, summed after the join in thread order. */
static void
clstm_backward (NnLayer *l, const float *x, const float *y, const float *dy, float *dx, int n)
{
  NnConvLstm *s = (NnConvLstm *) l;
  int nt = nn_parallel_team (n, s->threads);
  float *first = s->threads > 1 ? scratch_of (s, 1).dw : NULL;
  nn_layer_grad_shares_zero (l, first, scratch_size (s), nt);
  ClstmJob j = { s, x, dy, NULL, dx };
  nn_parallel_for (n, s->threads, backward_samples, &j);
  nn_layer_grad_shares_add (l, first, scratch_size (s), nt);
}

static void
clstm_reset_state (NnLayer *l)
{
  NnConvLstm *s = (NnConvLstm *) l;
  if (s->state_h) {
    memset (s->state_h, 0, sizeof (float) * l->capacity * s->hd * s->hw);
    memset (s->state_c, 0, sizeof (float) * l->capacity * s->hd * s->hw);
  }
}

static int64_t
clstm_flops (const NnLayer *l)
{
  const NnConvLstm *s = (const NnConvLstm *) l;
  return 2 * (int64_t) s->t * 4 * s->hd * s->kk * s->hw;
}

static void
clstm_finalize (NnLayer *l)
{
  NnConvLstm *s = (NnConvLstm *) l;
  float **bufs[] = { &s->gates, &s->hs, &s->cs, &s->tc, &s->scratch, &s->state_h, &s->state_c };
  for (gsize i = 0; i < G_N_ELEMENTS (bufs); i++)
    g_clear_pointer (bufs[i], g_free);
}

const NnLayerClass nn_convlstm2d_class = {
  .type = "convlstm2d",
  .size = sizeof (NnConvLstm),
  NN_KEYS (clstm_keys),
  .doc = "Convolutional LSTM (gates i, f, g, o from one convolution of [x, h]): [T, C, H, W] -> [F, H, W] or "
         "[T, F, H, W]; conv.weight [4F, C + F, k, k], conv.bias [4F].",
  .create = clstm_create,
  .reserve = clstm_reserve,
  .forward = clstm_forward,
  .backward = clstm_backward,
  .init = clstm_init,
  .flops = clstm_flops,
  .reset_state = clstm_reset_state,
  .finalize = clstm_finalize,
};
