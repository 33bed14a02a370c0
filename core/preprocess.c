/* Raw 8-bit images -> one model input sample (C, H, W).
 *
 * Resizing is separable: each output coordinate reads a run of source
 * coordinates ("taps") with weights. Shrinking averages the source box the
 * output pixel covers (fractional coverage at its ends); enlarging (or keeping
 * the size) interpolates bilinearly between half-pixel centres. Channel
 * conversion is linear, so it is done once per output pixel on the averaged
 * source channels rather than per source pixel. The output rows double as the
 * vertical accumulators, so nothing is allocated. */
#include "nn-private.h"

typedef struct {
  int   in, out;
  float scale;    /* in / out */
  gboolean area;  /* shrinking */
} Axis;

typedef struct {
  int   first, last;   /* source taps [first, last] */
  float w_first, w_mid, w_last;
} Taps;

static void
axis_init (Axis *a, int in, int out)
{
  a->in = in;
  a->out = out;
  a->scale = (float) in / (float) out;
  a->area = in > out;
}

/* Box [o*s, (o+1)*s): interior taps weigh 1/s, the two ends their coverage. */
static void
area_taps (const Axis *a, int o, Taps *t)
{
  double x0 = (double) o * a->in / a->out, x1 = (double) (o + 1) * a->in / a->out;
  double inv = (double) a->out / a->in;
  t->first = (int) x0;
  t->last = (int) ceil (x1) - 1;
  if (t->last >= a->in)
    t->last = a->in - 1;
  if (t->last <= t->first) {
    t->last = t->first;
    t->w_first = t->w_last = 1.0f;
  } else {
    t->w_first = (float) ((t->first + 1 - x0) * inv);
    t->w_last = (float) ((x1 - t->last) * inv);
  }
  t->w_mid = (float) inv;
}

/* align_corners=False: src = (o + 0.5) * s - 0.5, clamped to the image. */
static void
linear_taps (const Axis *a, int o, Taps *t)
{
  float src = (o + 0.5f) * a->scale - 0.5f;
  if (src < 0.0f)
    src = 0.0f;
  int i0 = (int) src;
  if (i0 >= a->in - 1) {
    t->first = t->last = a->in - 1;
    t->w_first = t->w_last = 1.0f;
    t->w_mid = 0.0f;
    return;
  }
  float f = src - i0;
  t->first = i0;
  t->last = i0 + 1;
  t->w_first = 1.0f - f;
  t->w_last = f;
  t->w_mid = 0.0f;
}

static inline void
axis_taps (const Axis *a, int o, Taps *t)
{
  if (a->area)
    area_taps (a, o, t);
  else
    linear_taps (a, o, t);
}

typedef struct {
  int bpp;        /* bytes per pixel */
  int nch;        /* source channels used: 1 gray, 3 RGB */
  int off[3];     /* byte offsets of R, G, B (or gray) */
} Layout;

static void
layout_for (NnPixelFormat fmt, Layout *l)
{
  switch (fmt) {
    case NN_PIXEL_GRAY8: *l = (Layout) { 1, 1, { 0, 0, 0 } }; break;
    case NN_PIXEL_RGB24: *l = (Layout) { 3, 3, { 0, 1, 2 } }; break;
    case NN_PIXEL_BGR24: *l = (Layout) { 3, 3, { 2, 1, 0 } }; break;
    case NN_PIXEL_RGBX:  *l = (Layout) { 4, 3, { 0, 1, 2 } }; break;
    case NN_PIXEL_BGRX:  *l = (Layout) { 4, 3, { 2, 1, 0 } }; break;
    default:             *l = (Layout) { 1, 1, { 0, 0, 0 } }; break;
  }
}

/* Weighted horizontal average of one source row for output column taps `t`:
 * acc[0..nch) receives the source channels. */
static inline void
row_average (const guint8 *row, const Layout *l, const Taps *t, float acc[3])
{
  const guint8 *p = row + (gsize) t->first * l->bpp;
  if (l->nch == 1) {
    float v = p[0] * t->w_first;
    if (t->last > t->first) {
      guint32 mid = 0;
      for (int x = t->first + 1; x < t->last; x++)
        mid += row[x];
      v += mid * t->w_mid + row[t->last] * t->w_last;
    }
    acc[0] = v;
    return;
  }
  const int r = l->off[0], g = l->off[1], b = l->off[2], bpp = l->bpp;
  acc[0] = p[r] * t->w_first;
  acc[1] = p[g] * t->w_first;
  acc[2] = p[b] * t->w_first;
  if (t->last > t->first) {
    guint32 sr = 0, sg = 0, sb = 0;
    const guint8 *q = p + bpp, *end = row + (gsize) t->last * bpp;
    for (; q < end; q += bpp) {
      sr += q[r];
      sg += q[g];
      sb += q[b];
    }
    acc[0] += sr * t->w_mid + end[r] * t->w_last;
    acc[1] += sg * t->w_mid + end[g] * t->w_last;
    acc[2] += sb * t->w_mid + end[b] * t->w_last;
  }
}

/* Horizontal taps are the same for every row: kept on the stack for widths
 * up to this, recomputed per row beyond. */
#define MAX_CACHED_TAPS 1024

/* out row(s) += w * converted source row (channel planes `plane` apart);
 * taps[ox] when cached, else NULL. */
static void
accumulate_row (const guint8 *row, const Layout *l, const Axis *ax, const Taps *taps, int out_ch,
                float w, float *out, gsize plane)
{
  Taps t;
  float acc[3];
  for (int ox = 0; ox < ax->out; ox++) {
    if (taps)
      t = taps[ox];
    else
      axis_taps (ax, ox, &t);
    row_average (row, l, &t, acc);
    if (out_ch == 1) {
      float v = l->nch == 1 ? acc[0] : 0.299f * acc[0] + 0.587f * acc[1] + 0.114f * acc[2];
      out[ox] += w * v;
    } else if (l->nch == 1) {
      out[ox] += w * acc[0];
      out[plane + ox] += w * acc[0];
      out[2 * plane + ox] += w * acc[0];
    } else {
      out[ox] += w * acc[0];
      out[plane + ox] += w * acc[1];
      out[2 * plane + ox] += w * acc[2];
    }
  }
}

void
nn_preprocess_image (const NnPreprocess *p, const guint8 *pixels, int width, int height,
                     int stride, NnPixelFormat fmt, float *out)
{
  g_return_if_fail (p && pixels && out && width > 0 && height > 0);
  g_return_if_fail (p->channels == 1 || p->channels == 3);
  g_return_if_fail (p->width > 0 && p->height > 0);

  Layout l;
  layout_for (fmt, &l);
  Axis ax, ay;
  axis_init (&ax, width, p->width);
  axis_init (&ay, height, p->height);
  const gsize plane = (gsize) p->width * p->height;
  float a[3], b[3];
  for (int c = 0; c < p->channels; c++) {
    float sd = p->std[c] != 0.0f ? p->std[c] : 1.0f;
    a[c] = p->rescale / sd;
    b[c] = -p->mean[c] / sd;
  }

  Taps cache[MAX_CACHED_TAPS];
  const Taps *htaps = NULL;
  if (p->width <= MAX_CACHED_TAPS) {
    for (int ox = 0; ox < p->width; ox++)
      axis_taps (&ax, ox, &cache[ox]);
    htaps = cache;
  }

  for (int oy = 0; oy < p->height; oy++) {
    float *orow = out + (gsize) oy * p->width;
    for (int c = 0; c < p->channels; c++)
      memset (orow + c * plane, 0, sizeof (float) * p->width);
    Taps t;
    axis_taps (&ay, oy, &t);
    for (int y = t.first; y <= t.last; y++) {
      float w = y == t.first ? t.w_first : y == t.last ? t.w_last : t.w_mid;
      if (w != 0.0f)
        accumulate_row (pixels + (gsize) y * stride, &l, &ax, htaps, p->channels, w, orow, plane);
    }
    for (int c = 0; c < p->channels; c++) {
      float *o = orow + c * plane;
      for (int x = 0; x < p->width; x++)
        o[x] = o[x] * a[c] + b[c];
    }
  }
}
