/* What the recurrent layers (rnn, lstm, convlstm2d) share: their common
 * options, the carried state of stateful layers, and batch-first <-> time-major
 * transposes. Private to core/layers/. */
#pragma once

#include "nn-private.h"

typedef struct {
  int      units;          /* hidden size H (or filters for convlstm2d) */
  gboolean seq;            /* return_sequences: (T, H) instead of the last h */
  gboolean stateful;       /* start each forward from the last one's final state */
} NnRecurrentOpts;

/* Reads "units" (or `units_key`), "return_sequences" and "stateful". */
static inline gboolean
nn_recurrent_opts (NnLayer *l, JsonObject *spec, const char *units_key, NnRecurrentOpts *o, GError **error)
{
  if (!json_object_has_member (spec, units_key)) {
    g_set_error (error, NN_ERROR, NN_ERROR_INVALID, "layer \"%s\": %s needs \"%s\"", l->name, l->klass->type,
                 units_key);
    return FALSE;
  }
  if (!nn_spec_int (spec, l->name, units_key, 0, 1, &o->units, error))
    return FALSE;
  o->seq = nn_spec_bool (spec, "return_sequences", FALSE);
  o->stateful = nn_spec_bool (spec, "stateful", FALSE);
  return TRUE;
}

/* Grows `*buf` to `count` floats; zeroes what it allocates. */
static inline gboolean
nn_recurrent_alloc (NnLayer *l, float **buf, gsize count, GError **error)
{
  g_free (*buf);
  *buf = g_try_new0 (float, MAX (count, 1));
  if (!*buf) {
    g_set_error (error, NN_ERROR, NN_ERROR_FAILED, "layer \"%s\": cannot allocate %" G_GSIZE_FORMAT
                 " floats of recurrent caches", l->name, count);
    return FALSE;
  }
  return TRUE;
}

/* Keeps the first `keep` floats of the carried state when it grows. */
static inline gboolean
nn_recurrent_grow_state (NnLayer *l, float **state, gsize keep, gsize count, GError **error)
{
  float *s = g_try_new0 (float, MAX (count, 1));
  if (!s) {
    g_set_error (error, NN_ERROR, NN_ERROR_FAILED, "layer \"%s\": cannot allocate its state", l->name);
    return FALSE;
  }
  if (*state)
    memcpy (s, *state, sizeof (float) * keep);
  g_free (*state);
  *state = s;
  return TRUE;
}

/* src (a, b, f) -> dst (b, a, f): batch-first <-> time-major. */
static inline void
nn_recurrent_swap01 (const float *src, float *dst, int a, int b, int f)
{
  if (a == 1 || b == 1) {
    memcpy (dst, src, sizeof (float) * a * b * f);
    return;
  }
  for (int i = 0; i < a; i++)
    for (int j = 0; j < b; j++)
      memcpy (dst + ((int64_t) j * a + i) * f, src + ((int64_t) i * b + j) * f, sizeof (float) * f);
}

/* Whether backward may carry the state gradient from step t back to t-1:
 * truncated BPTT cuts it at each chunk start. */
static inline gboolean
nn_recurrent_carries (const NnLayer *l, int t)
{
  return t > 0 && !(l->bptt > 0 && t % l->bptt == 0);
}

static inline float
nn_sigmoid1 (float v)
{
  return 1.0f / (1.0f + expf (-v));
}

/* One LSTM step, element-wise, for n rows of h units: g (n, 4, h) gate
 * pre-activations i, f, g, o -> activations in place; c = f * cp + i * g,
 * tc = tanh (c), hn = o * tc, all (n, h). ConvLSTM's rows are pixels x units. */
static inline void
nn_lstm_cell (int n, int64_t h, float *g, const float *cp, float *c, float *tc, float *hn)
{
  for (int i = 0; i < n; i++) {
    float *gi = g + i * 4 * h;
    int64_t r = i * h;
    for (int64_t j = 0; j < h; j++) {
      float ig = nn_sigmoid1 (gi[j]), fg = nn_sigmoid1 (gi[h + j]), gg = tanhf (gi[2 * h + j]);
      float og = nn_sigmoid1 (gi[3 * h + j]);
      gi[j] = ig, gi[h + j] = fg, gi[2 * h + j] = gg, gi[3 * h + j] = og;
      c[r + j] = fg * cp[r + j] + ig * gg;
      tc[r + j] = tanhf (c[r + j]);
      hn[r + j] = og * tc[r + j];
    }
  }
}

/* The step backwards: dh, dc (n, h) at h_t, c_t and the cached activations g,
 * c_{t-1} and tanh (c_t) -> dg (n, 4, h) at the pre-activations; dc becomes
 * the gradient at c_{t-1}. */
static inline void
nn_lstm_cell_backward (int n, int64_t h, const float *g, const float *cp, const float *tc, const float *dh,
                       float *dc, float *dg)
{
  for (int i = 0; i < n; i++) {
    const float *gi = g + i * 4 * h;
    float *d = dg + i * 4 * h;
    int64_t r = i * h;
    for (int64_t j = 0; j < h; j++) {
      float ig = gi[j], fg = gi[h + j], gg = gi[2 * h + j], og = gi[3 * h + j];
      float dhv = dh[r + j], tcv = tc[r + j];
      float dcv = dc[r + j] + dhv * og * (1.0f - tcv * tcv);
      d[j] = dcv * gg * ig * (1.0f - ig);
      d[h + j] = dcv * cp[r + j] * fg * (1.0f - fg);
      d[2 * h + j] = dcv * ig * (1.0f - gg * gg);
      d[3 * h + j] = dhv * tcv * og * (1.0f - og);
      dc[r + j] = dcv * fg;
    }
  }
}
