/* What the recurrent layers (rnn, lstm, convlstm2d) share: their common
 * options, the carried state of stateful layers, and batch-first <-> time-major
 * transposes. Private to core/layers/. */
#pragma once

#include "nn-private.h"
#include "cpu-private.h"

typedef struct {
  int      units;          /* hidden size H (or filters for convlstm2d) */
  gboolean seq;            /* return_sequences: (T, H) instead of the last h */
  gboolean stateful;       /* start each forward from the last one's final state */
} NnRecurrentOpts;

/* The keys every recurrent kind has after its size key ("units", "filters"). */
#define NN_RECURRENT_KEYS \
  { "return_sequences", NN_KEY_BOOL, 0, 0, "false", NULL, 0, "output every step's h, [T, ...], not the last" }, \
  { "stateful", NN_KEY_BOOL, 0, 0, "false", NULL, 0, \
    "start each forward from the last one's final state (streaming sets it)" }

/* Reads "units" (or `units_key`), "return_sequences" and "stateful". */
static inline void
nn_recurrent_opts (const NnSpecLayer *spec, const char *units_key, NnRecurrentOpts *o)
{
  o->units = nn_spec_layer_int (spec, units_key);
  o->seq = nn_spec_layer_bool (spec, "return_sequences");
  o->stateful = nn_spec_layer_bool (spec, "stateful");
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

/* exp for the gates: Cephes' expf polynomial (relative error ~2e-7), written
 * branch-free so the cell loops vectorise; libm's expf/tanhf calls were a
 * quarter of an LSTM's forward time. */
__attribute__ ((optimize ("no-trapping-math"))) static inline float
nn_gate_exp (float x)
{
  x = x < -87.0f ? -87.0f : x > 88.0f ? 88.0f : x;
  float n = __builtin_roundf (x * 1.44269504f);
  float r = x - n * 0.693359375f + n * 2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  /* NaN passes the clamp above: converting it to int is undefined, so it
   * takes 0 there and the NaN carries on through r (found by fuzz-onnx) */
  int32_t bits = ((int32_t) (n == n ? n : 0.0f) + 127) << 23;
  float scale;
  memcpy (&scale, &bits, sizeof scale);
  return (p * r * r + r + 1.0f) * scale;
}

__attribute__ ((optimize ("no-trapping-math"))) static inline float
nn_gate_sigmoid (float v)
{
  return 1.0f / (1.0f + nn_gate_exp (-v));
}

__attribute__ ((optimize ("no-trapping-math"))) static inline float
nn_gate_tanh (float v)
{
  return 2.0f / (1.0f + nn_gate_exp (-2.0f * v)) - 1.0f;
}

/* One LSTM step, element-wise, for n rows of h units: g (n, 4, h) gate
 * pre-activations i, f, g, o -> activations in place; c = f * cp + i * g,
 * tc = tanh (c), hn = o * tc, all (n, h). ConvLSTM's rows are pixels x units. */
/* Without trapping maths GCC vectorises the clamp and rounding of nn_gate_exp;
 * baseline SSE2 has no vector rounding, so this is a kernel (cpu-private.h):
 * ConvLSTM training spends eight times as long in it without AVX. */
__attribute__ ((optimize ("no-trapping-math"), always_inline)) static inline void
lstm_cell_body (int n, int64_t h, float *g, const float *cp, float *restrict c, float *restrict tc,
                float *restrict hn)
{
  for (int i = 0; i < n; i++) {
    float *restrict gi = g + i * 4 * h, *restrict gf = gi + h, *restrict gg = gi + 2 * h, *restrict go = gi + 3 * h;
    const float *restrict cpi = cp + i * h;
    float *restrict ci = c + i * h, *restrict tci = tc + i * h, *restrict hi = hn + i * h;
    for (int64_t j = 0; j < h; j++) {
      float iv = nn_gate_sigmoid (gi[j]), fv = nn_gate_sigmoid (gf[j]), gv = nn_gate_tanh (gg[j]);
      float ov = nn_gate_sigmoid (go[j]);
      gi[j] = iv, gf[j] = fv, gg[j] = gv, go[j] = ov;
      ci[j] = fv * cpi[j] + iv * gv;
      tci[j] = nn_gate_tanh (ci[j]);
      hi[j] = ov * tci[j];
    }
  }
}

NN_CPU_KERNEL_ATTRS (__attribute__ ((optimize ("no-trapping-math"), unused)), lstm_cell,
                     (int n, int64_t h, float *g, const float *cp, float *restrict c, float *restrict tc,
                      float *restrict hn),
                     (n, h, g, cp, c, tc, hn))

static inline void
nn_lstm_cell (int n, int64_t h, float *g, const float *cp, float *restrict c, float *restrict tc,
              float *restrict hn)
{
  NN_CPU_CALL (lstm_cell) (n, h, g, cp, c, tc, hn);
}

/* The step backwards: dh, dc (n, h) at h_t, c_t and the cached activations g,
 * c_{t-1} and tanh (c_t) -> dg (n, 4, h) at the pre-activations; dc becomes
 * the gradient at c_{t-1}. */
static inline void
nn_lstm_cell_backward (int n, int64_t h, const float *g, const float *cp, const float *tc, const float *dh,
                       float *dc, float *dg)
{
  for (int i = 0; i < n; i++) {
    const float *restrict gi = g + i * 4 * h, *restrict gf = gi + h, *restrict gg = gi + 2 * h;
    const float *restrict go = gi + 3 * h, *restrict cpi = cp + i * h, *restrict tci = tc + i * h;
    const float *restrict dhi = dh + i * h;
    float *restrict dci = dc + i * h, *restrict di = dg + i * 4 * h, *restrict df = di + h;
    float *restrict dgg = di + 2 * h, *restrict dout = di + 3 * h;
    for (int64_t j = 0; j < h; j++) {
      float iv = gi[j], fv = gf[j], gv = gg[j], ov = go[j], dhv = dhi[j], tcv = tci[j];
      float dcv = dci[j] + dhv * ov * (1.0f - tcv * tcv);
      di[j] = dcv * gv * iv * (1.0f - iv);
      df[j] = dcv * cpi[j] * fv * (1.0f - fv);
      dgg[j] = dcv * iv * (1.0f - gv * gv);
      dout[j] = dhv * tcv * ov * (1.0f - ov);
      dci[j] = dcv * fv;
    }
  }
}
