/* Frames of any layout -> one model input sample (C, H, W); see nn-image.h.
 *
 * Resizing is separable: each output coordinate reads a run of source
 * coordinates ("taps") with weights. Shrinking averages the source box the
 * output pixel covers (fractional coverage at its ends); enlarging (or keeping
 * the size) interpolates bilinearly between half-pixel centres. Each colour
 * component is resized on its own plane at its own (subsampled) size: per
 * output row, the source rows under it are first summed into one float row
 * (vertical pass, over the raw interleaved samples), then each output
 * column's taps are summed along that row (horizontal pass); then one affine
 * map per output pixel gives the model's channels. Everything that depends only on the geometry (taps, the
 * colour map, the row scratch) is built once in nn_image_converter_new. */
#include "nn-private.h"
#include "cpu-private.h"

/* ---- taps ------------------------------------------------------------------ */

typedef struct {
  int   first, last;   /* source taps [first, last] */
  float w_first, w_mid, w_last;
} Taps;

/* Box [o*s, (o+1)*s): interior taps weigh 1/s, the two ends their coverage. */
static void
area_taps (int in, int out, int o, Taps *t)
{
  double x0 = (double) o * in / out, x1 = (double) (o + 1) * in / out;
  double inv = (double) out / in;
  t->first = (int) x0;
  t->last = (int) ceil (x1) - 1;
  if (t->last >= in)
    t->last = in - 1;
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
linear_taps (int in, int out, int o, Taps *t)
{
  float src = (o + 0.5f) * ((float) in / (float) out) - 0.5f;
  if (src < 0.0f)
    src = 0.0f;
  int i0 = (int) src;
  t->w_mid = 0.0f;
  if (i0 >= in - 1) {
    t->first = t->last = in - 1;
    t->w_first = t->w_last = 1.0f;
    return;
  }
  float f = src - i0;
  t->first = i0;
  t->last = i0 + 1;
  t->w_first = 1.0f - f;
  t->w_last = f;
}

static Taps *
make_taps (int in, int out)
{
  Taps *t = g_new (Taps, out);
  for (int o = 0; o < out; o++) {
    if (in > out)
      area_taps (in, out, o, &t[o]);
    else
      linear_taps (in, out, o, &t[o]);
  }
  return t;
}

/* ---- formats ---------------------------------------------------------------- */

/* One colour component: where its samples are. Sample x of row y is at
 * planes[plane] + y * stride + offset + x * pstride. */
typedef struct {
  guint8 plane, offset, pstride, bytes;
  guint8 sub;      /* 1: at the chroma geometry (subsampled), 0: full size */
} Comp;

typedef enum { KIND_GRAY, KIND_RGB, KIND_YUV } Kind;

typedef struct {
  const char *name;
  Kind   kind;
  guint8 n_planes;
  guint8 sub_x, sub_y;  /* chroma subsampling as shifts */
  guint8 bits;          /* significant bits: 8 or 10 */
  guint8 msb;           /* 16-bit samples with the value in the high bits (P010) */
  Comp   comp[3];       /* Y U V, R G B, or Y */
} FormatDesc;

#define C8(p, o, s) { p, o, s, 1, 0 }
#define S8(p, o, s) { p, o, s, 1, 1 }
#define C16(p, o, s) { p, o, s, 2, 0 }
#define S16(p, o, s) { p, o, s, 2, 1 }

static const FormatDesc formats[NN_PIXEL_N_FORMATS] = {
  [NN_PIXEL_GRAY8]      = { "GRAY8", KIND_GRAY, 1, 0, 0, 8, 0, { C8 (0, 0, 1) } },
  [NN_PIXEL_RGB24]      = { "RGB", KIND_RGB, 1, 0, 0, 8, 0, { C8 (0, 0, 3), C8 (0, 1, 3), C8 (0, 2, 3) } },
  [NN_PIXEL_BGR24]      = { "BGR", KIND_RGB, 1, 0, 0, 8, 0, { C8 (0, 2, 3), C8 (0, 1, 3), C8 (0, 0, 3) } },
  [NN_PIXEL_RGBX]       = { "RGBx", KIND_RGB, 1, 0, 0, 8, 0, { C8 (0, 0, 4), C8 (0, 1, 4), C8 (0, 2, 4) } },
  [NN_PIXEL_BGRX]       = { "BGRx", KIND_RGB, 1, 0, 0, 8, 0, { C8 (0, 2, 4), C8 (0, 1, 4), C8 (0, 0, 4) } },
  [NN_PIXEL_XRGB]       = { "xRGB", KIND_RGB, 1, 0, 0, 8, 0, { C8 (0, 1, 4), C8 (0, 2, 4), C8 (0, 3, 4) } },
  [NN_PIXEL_XBGR]       = { "xBGR", KIND_RGB, 1, 0, 0, 8, 0, { C8 (0, 3, 4), C8 (0, 2, 4), C8 (0, 1, 4) } },
  [NN_PIXEL_I420]       = { "I420", KIND_YUV, 3, 1, 1, 8, 0, { C8 (0, 0, 1), S8 (1, 0, 1), S8 (2, 0, 1) } },
  [NN_PIXEL_YV12]       = { "YV12", KIND_YUV, 3, 1, 1, 8, 0, { C8 (0, 0, 1), S8 (2, 0, 1), S8 (1, 0, 1) } },
  [NN_PIXEL_NV12]       = { "NV12", KIND_YUV, 2, 1, 1, 8, 0, { C8 (0, 0, 1), S8 (1, 0, 2), S8 (1, 1, 2) } },
  [NN_PIXEL_NV21]       = { "NV21", KIND_YUV, 2, 1, 1, 8, 0, { C8 (0, 0, 1), S8 (1, 1, 2), S8 (1, 0, 2) } },
  [NN_PIXEL_YUY2]       = { "YUY2", KIND_YUV, 1, 1, 0, 8, 0, { C8 (0, 0, 2), S8 (0, 1, 4), S8 (0, 3, 4) } },
  [NN_PIXEL_UYVY]       = { "UYVY", KIND_YUV, 1, 1, 0, 8, 0, { C8 (0, 1, 2), S8 (0, 0, 4), S8 (0, 2, 4) } },
  [NN_PIXEL_YVYU]       = { "YVYU", KIND_YUV, 1, 1, 0, 8, 0, { C8 (0, 0, 2), S8 (0, 3, 4), S8 (0, 1, 4) } },
  [NN_PIXEL_Y42B]       = { "Y42B", KIND_YUV, 3, 1, 0, 8, 0, { C8 (0, 0, 1), S8 (1, 0, 1), S8 (2, 0, 1) } },
  [NN_PIXEL_Y444]       = { "Y444", KIND_YUV, 3, 0, 0, 8, 0, { C8 (0, 0, 1), S8 (1, 0, 1), S8 (2, 0, 1) } },
  [NN_PIXEL_I420_10LE]  = { "I420_10LE", KIND_YUV, 3, 1, 1, 10, 0, { C16 (0, 0, 2), S16 (1, 0, 2), S16 (2, 0, 2) } },
  [NN_PIXEL_P010_10LE]  = { "P010_10LE", KIND_YUV, 2, 1, 1, 10, 1, { C16 (0, 0, 2), S16 (1, 0, 4), S16 (1, 2, 4) } },
};

static const FormatDesc *
format_desc (NnPixelFormat f)
{
  return (unsigned) f < NN_PIXEL_N_FORMATS ? &formats[f] : NULL;
}

int
nn_pixel_format_n_planes (NnPixelFormat f)
{
  const FormatDesc *d = format_desc (f);
  return d ? d->n_planes : 0;
}

const char *
nn_pixel_format_name (NnPixelFormat f)
{
  const FormatDesc *d = format_desc (f);
  return d ? d->name : NULL;
}

NnColorMatrix
nn_color_matrix_resolve (NnColorMatrix m, int height)
{
  if (m != NN_COLOR_MATRIX_AUTO)
    return m;
  return height >= 2160 ? NN_COLOR_MATRIX_BT2020 : height > 576 ? NN_COLOR_MATRIX_BT709 : NN_COLOR_MATRIX_BT601;
}

/* ---- the two passes ---------------------------------------------------------- */

/* Vertical pass: the source rows under one output row, weighted and summed
 * into one float row of the plane's raw samples (interleaved components
 * included, so packed layouts need no deinterleaving here). Every loop is
 * contiguous and branch-free over the row, which the compiler vectorises at
 * any ISA level; each source byte is read once, where summing each output
 * column's taps row by row read it once per column and branched per tap.
 * When shrinking, the interior rows share one weight: they are summed as
 * integers (exact; u8 into u16, 16 samples a vector, flushed before 257 rows
 * could overflow it; u16 into u32, which cannot overflow for 65536 rows),
 * then scaled once. */
#define DEFINE_VSUM(NAME, T, A, FLUSH)                                                             \
  static inline __attribute__ ((always_inline)) void                                               \
  NAME##_body (const guint8 *src, gsize stride, const Taps *t, int n, float *restrict dst,         \
               void *scratch)                                                                      \
  {                                                                                                \
    const T *restrict r0 = (const T *) (const void *) (src + (gsize) t->first * stride);          \
    const T *restrict rl = (const T *) (const void *) (src + (gsize) t->last * stride);           \
    const float w0 = t->w_first, wl = t->w_last, wm = t->w_mid;                                    \
    if (t->last == t->first) {                                                                     \
      for (int x = 0; x < n; x++)                                                                  \
        dst[x] = w0 * r0[x];                                                                       \
      return;                                                                                      \
    }                                                                                              \
    for (int x = 0; x < n; x++)                                                                    \
      dst[x] = w0 * r0[x] + wl * rl[x];                                                            \
    A *restrict s = scratch;                                                                       \
    for (int y = t->first + 1; y < t->last;) {                                                    \
      const int m = MIN (t->last - y, FLUSH);                                                      \
      const T *restrict r = (const T *) (const void *) (src + (gsize) y * stride);                 \
      for (int x = 0; x < n; x++)                                                                  \
        s[x] = r[x];                                                                               \
      for (int k = 1; k < m; k++) {                                                                \
        r = (const T *) (const void *) (src + (gsize) (y + k) * stride);                           \
        for (int x = 0; x < n; x++)                                                                \
          s[x] += r[x];                                                                            \
      }                                                                                            \
      for (int x = 0; x < n; x++)                                                                  \
        dst[x] += wm * s[x];                                                                       \
      y += m;                                                                                      \
    }                                                                                              \
  }

DEFINE_VSUM (vsum_u8, guint8, guint16, 257)
DEFINE_VSUM (vsum_u16, guint16, guint32, G_MAXINT)

/* Kernels (cpu-private.h): the widening and int-to-float conversions take
 * several SSE2 instructions where AVX2 has one, and the vertical pass was
 * 1.3-2x slower built for baseline x86-64 (640x480 frames to 28x28 and
 * 48x48, measured). The converter takes the path's variant when it is built. */
#define VSUM_PARAMS (const guint8 *src, gsize stride, const Taps *t, int n, float *restrict dst, void *scratch)
#define VSUM_ARGS (src, stride, t, n, dst, scratch)
NN_CPU_KERNEL (vsum_u8, VSUM_PARAMS, VSUM_ARGS)
NN_CPU_KERNEL (vsum_u16, VSUM_PARAMS, VSUM_ARGS)

typedef void (*VSumFunc) VSUM_PARAMS;

/* Horizontal pass over one summed row: component j of output column o is
 * the taps of row[off[j] + x * STEP]; the interior taps share one weight, so
 * they are summed first, in two interleaved partial sums so that the adds
 * do not wait on each other. One function per step and component count, so
 * that both are constants. */
typedef void (*HSumFunc) (const float *row, const int *off, const Taps *taps, int n, float *acc);

#define DEFINE_HSUM(NAME, STEP, NC)                                                                \
  static void NAME (const float *row, const int *off, const Taps *taps, int n, float *acc)         \
  {                                                                                                \
    for (int o = 0; o < n; o++) {                                                                  \
      const Taps *t = &taps[o];                                                                    \
      const float *p = row + (gsize) t->first * STEP, *q = row + (gsize) t->last * STEP;           \
      float v[NC], m0[NC] = { 0 }, m1[NC] = { 0 };                                                 \
      for (int j = 0; j < NC; j++)                                                                 \
        v[j] = p[off[j]] * t->w_first;                                                             \
      if (t->last > t->first) {                                                                    \
        const float *r = p + STEP;                                                                 \
        for (; r + STEP < q; r += 2 * STEP)                                                        \
          for (int j = 0; j < NC; j++) {                                                           \
            m0[j] += r[off[j]];                                                                    \
            m1[j] += r[STEP + off[j]];                                                             \
          }                                                                                        \
        if (r < q)                                                                                 \
          for (int j = 0; j < NC; j++)                                                             \
            m0[j] += r[off[j]];                                                                    \
        for (int j = 0; j < NC; j++)                                                               \
          v[j] += (m0[j] + m1[j]) * t->w_mid + q[off[j]] * t->w_last;                              \
      }                                                                                            \
      for (int j = 0; j < NC; j++)                                                                 \
        acc[(gsize) j * n + o] = v[j];                                                             \
    }                                                                                              \
  }

DEFINE_HSUM (hsum_1x1, 1, 1)
DEFINE_HSUM (hsum_2x1, 2, 1)
DEFINE_HSUM (hsum_2x2, 2, 2)
DEFINE_HSUM (hsum_4x2, 4, 2)
DEFINE_HSUM (hsum_3x3, 3, 3)
DEFINE_HSUM (hsum_4x3, 4, 3)

/* step in samples, nc components: every layout in the format table */
static HSumFunc
hsum_func (int step, int nc)
{
  static const struct { int step, nc; HSumFunc f; } table[] = {
    { 1, 1, hsum_1x1 }, { 2, 1, hsum_2x1 }, { 2, 2, hsum_2x2 }, { 4, 2, hsum_4x2 }, { 3, 3, hsum_3x3 }, { 4, 3, hsum_4x3 },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (table); i++)
    if (table[i].step == step && table[i].nc == nc)
      return table[i].f;
  return NULL;
}

/* A run of components read in one horizontal pass: comp[first .. first + nc). */
typedef struct {
  int first, nc;
  int plane, sub;            /* sub: the chroma geometry's horizontal taps */
  int vpass;                 /* the vertical pass it reads */
  int pos;                   /* its lowest sample in that pass's row */
  int off[3];                /* each component's offset from pos, in samples */
  HSumFunc sum;
} Group;

/* One vertical pass: a span of a plane's rows at one vertical geometry,
 * shared by the groups on that plane (Y and UV of YUY2). */
typedef struct {
  int      plane, vsub;      /* vsub: the chroma geometry's vertical taps */
  int      start, n;         /* first byte read in a row, samples read */
  int      bytes;            /* per sample: 1 or 2 */
  VSumFunc sum;
  float   *row;              /* (n) */
  guint32 *isum;             /* (n) integer sums of the interior rows */
} VPass;

/* ---- the converter -------------------------------------------------------------- */

struct _NnImageConverter {
  NnImageInfo  info;
  NnPreprocess pre;
  const FormatDesc *desc;
  int          n_comp;      /* components read: 1 or 3 (chroma skipped when no channel needs it) */
  int          n_groups, n_vpass;
  Group        group[3];
  VPass        vpass[3];
  Taps        *htaps[2], *vtaps[2];  /* [full, subsampled] geometry */
  float        map[3][4];   /* channel c = map[c][0..2] . comps + map[c][3], in 0..255 units */
  float        a[3], b[3];  /* then x * a + b: rescale and mean/std */
  float       *acc;         /* (3, width) resized components of one output row */
};

/* Y'CbCr -> R'G'B' for a matrix: R = Y + cr_r Cr, G = Y + cb_g Cb + cr_g Cr,
 * B = Y + cb_b Cb, with Cb, Cr centred on zero. */
static void
matrix_coefs (NnColorMatrix m, double *kr, double *kb)
{
  switch (m) {
    case NN_COLOR_MATRIX_BT709: *kr = 0.2126; *kb = 0.0722; break;
    case NN_COLOR_MATRIX_BT2020: *kr = 0.2627; *kb = 0.0593; break;
    case NN_COLOR_MATRIX_SMPTE240M: *kr = 0.212; *kb = 0.087; break;
    default: *kr = 0.299; *kb = 0.114; break;
  }
}

/* The affine map from the raw components to R, G, B in 0..255:
 * rgb[c] = m[c][0..2] . comp + m[c][3]. Ranges as ITU-T H.273 defines them
 * for n bits: full, Y = (2^n - 1) Y', C = 2^(n-1) + (2^n - 1) C'; limited,
 * Y = 2^(n-8) (16 + 219 Y'), C = 2^(n-8) (128 + 224 C'). */
static void
source_to_rgb (const NnImageInfo *info, const FormatDesc *d, double m[3][4])
{
  memset (m, 0, sizeof (double) * 12);
  gboolean limited = info->range == NN_COLOR_RANGE_LIMITED && d->kind != KIND_RGB;
  double maxv = (double) ((1 << d->bits) - 1), k = (double) (1 << (d->bits - 8));
  double raw = d->msb ? 1.0 / 64.0 : 1.0;  /* P010 keeps its 10 bits at the top */
  double ys = limited ? 255.0 / (219.0 * k) : 255.0 / maxv, yo = limited ? 16.0 * k : 0.0;
  double cs = limited ? 255.0 / (224.0 * k) : 255.0 / maxv, co = limited ? 128.0 * k : (double) (1 << (d->bits - 1));
  switch (d->kind) {
    case KIND_RGB:
      for (int c = 0; c < 3; c++)
        m[c][c] = raw * 255.0 / maxv;
      break;
    case KIND_GRAY:
      for (int c = 0; c < 3; c++) {
        m[c][0] = ys * raw;
        m[c][3] = -ys * yo;
      }
      break;
    case KIND_YUV: {
      double kr, kb;
      matrix_coefs (nn_color_matrix_resolve (info->matrix, info->height), &kr, &kb);
      double kg = 1.0 - kr - kb;
      double cr_r = 2.0 * (1.0 - kr), cb_b = 2.0 * (1.0 - kb);
      double cb_g = -2.0 * kb * (1.0 - kb) / kg, cr_g = -2.0 * kr * (1.0 - kr) / kg;
      double ccoef[3][2] = { { 0.0, cr_r }, { cb_g, cr_g }, { cb_b, 0.0 } };
      for (int c = 0; c < 3; c++) {
        m[c][0] = ys * raw;
        m[c][1] = cs * ccoef[c][0] * raw;
        m[c][2] = cs * ccoef[c][1] * raw;
        m[c][3] = -ys * yo - cs * co * (ccoef[c][0] + ccoef[c][1]);
      }
      break;
    }
  }
}

static gboolean
check_args (const NnImageInfo *src, const NnPreprocess *dst, GError **error)
{
  if (!format_desc (src->format)) {
    g_set_error (error, NN_ERROR, NN_ERROR_INVALID, "image converter: unknown pixel format %d", src->format);
    return FALSE;
  }
  if (src->width < 1 || src->height < 1 || src->width > (1 << 16) || src->height > (1 << 16)) {
    g_set_error (error, NN_ERROR, NN_ERROR_INVALID, "image converter: frame size %dx%d out of range", src->width,
                 src->height);
    return FALSE;
  }
  if ((dst->channels != 1 && dst->channels != 3) || dst->width < 1 || dst->height < 1 || dst->width > (1 << 16) ||
      dst->height > (1 << 16)) {
    g_set_error (error, NN_ERROR, NN_ERROR_SHAPE, "image converter: the model's input %dx%dx%d is not an image "
                 "(channels 1 or 3)", dst->channels, dst->height, dst->width);
    return FALSE;
  }
  return TRUE;
}

/* Consecutive components on one plane with the same geometry and step are
 * read in one horizontal pass; groups on one plane at one vertical geometry
 * share a vertical pass over the span of the row they read. */
static gboolean
make_groups (NnImageConverter *c, GError **error)
{
  const FormatDesc *d = c->desc;
  const Comp *comp = d->comp;
  int cw = (c->info.width + (1 << d->sub_x) - 1) >> d->sub_x;
  int end[3] = { 0 };  /* per pass: one past the last byte read */
  for (int k = 0; k < c->n_comp;) {
    Group *g = &c->group[c->n_groups++];
    int n = 1;
    while (k + n < c->n_comp && comp[k + n].plane == comp[k].plane && comp[k + n].sub == comp[k].sub &&
           comp[k + n].pstride == comp[k].pstride)
      n++;
    int bytes = comp[k].bytes, base = comp[k].offset, top = comp[k].offset;
    for (int j = 1; j < n; j++) {
      base = MIN (base, comp[k + j].offset);
      top = MAX (top, comp[k + j].offset);
    }
    g->first = k;
    g->nc = n;
    g->plane = comp[k].plane;
    g->sub = comp[k].sub;
    g->sum = hsum_func (comp[k].pstride / bytes, n);
    if (!g->sum) {
      g_set_error (error, NN_ERROR, NN_ERROR_INVALID, "image converter: no row reader for %s", d->name);
      return FALSE;
    }
    for (int j = 0; j < n; j++)
      g->off[j] = (comp[k + j].offset - base) / bytes;
    int vsub = comp[k].sub && d->sub_y;
    int cols = comp[k].sub ? cw : c->info.width;
    int last = top + (cols - 1) * comp[k].pstride + bytes;
    int p = 0;
    while (p < c->n_vpass && (c->vpass[p].plane != g->plane || c->vpass[p].vsub != vsub))
      p++;
    VPass *v = &c->vpass[p];
    if (p == c->n_vpass) {
      c->n_vpass++;
      v->plane = g->plane;
      v->vsub = vsub;
      v->start = base;
      v->bytes = bytes;
      v->sum = bytes == 1 ? vsum_u8_paths[nn_cpu_selected] : vsum_u16_paths[nn_cpu_selected];
    }
    v->start = MIN (v->start, base);
    end[p] = MAX (end[p], last);
    g->vpass = p;
    g->pos = base;  /* in bytes until the pass's start is known */
    k += n;
  }
  for (int p = 0; p < c->n_vpass; p++) {
    VPass *v = &c->vpass[p];
    v->n = (end[p] - v->start) / v->bytes;
    v->row = g_new (float, v->n);
    v->isum = g_new (guint32, v->n);
  }
  for (int k = 0; k < c->n_groups; k++) {
    Group *g = &c->group[k];
    const VPass *v = &c->vpass[g->vpass];
    g->pos = (g->pos - v->start) / comp[g->first].bytes;
  }
  return TRUE;
}

NnImageConverter *
nn_image_converter_new (const NnImageInfo *src, const NnPreprocess *dst, GError **error)
{
  g_return_val_if_fail (src && dst, NULL);
  if (!check_args (src, dst, error))
    return NULL;
  NnImageConverter *c = g_new0 (NnImageConverter, 1);
  c->info = *src;
  c->pre = *dst;
  c->desc = format_desc (src->format);
  const FormatDesc *d = c->desc;

  double rgb[3][4], out[3][4];
  source_to_rgb (src, d, rgb);
  if (dst->channels == 3) {
    memcpy (out, rgb, sizeof out);
  } else {
    /* gray models see BT.601 luma of the decoded RGB, whatever the source
     * matrix, as they do for RGB input */
    static const double luma[3] = { 0.299, 0.587, 0.114 };
    for (int k = 0; k < 4; k++)
      out[0][k] = luma[0] * rgb[0][k] + luma[1] * rgb[1][k] + luma[2] * rgb[2][k];
  }
  int n_src = d->kind == KIND_GRAY ? 1 : 3;
  c->n_comp = n_src;
  /* BT.601 luma of BT.601 YCbCr is Y alone: skip the chroma planes when no
   * channel depends on them (the rounding residue of the matrix is ~1e-16). */
  if (n_src == 3 && d->kind == KIND_YUV) {
    gboolean chroma = FALSE;
    for (int ch = 0; ch < dst->channels; ch++)
      chroma |= fabs (out[ch][1]) > 1e-9 || fabs (out[ch][2]) > 1e-9;
    if (!chroma)
      c->n_comp = 1;
  }
  for (int ch = 0; ch < dst->channels; ch++)
    for (int k = 0; k < 4; k++)
      c->map[ch][k] = (k < c->n_comp || k == 3) ? (float) out[ch][k] : 0.0f;
  for (int ch = 0; ch < dst->channels; ch++) {
    float sd = dst->std[ch] != 0.0f ? dst->std[ch] : 1.0f;
    c->a[ch] = dst->rescale / sd;
    c->b[ch] = -dst->mean[ch] / sd;
  }

  int cw = (src->width + (1 << d->sub_x) - 1) >> d->sub_x;
  int chh = (src->height + (1 << d->sub_y) - 1) >> d->sub_y;
  c->htaps[0] = make_taps (src->width, dst->width);
  c->vtaps[0] = make_taps (src->height, dst->height);
  if (c->n_comp > 1) {
    c->htaps[1] = make_taps (cw, dst->width);
    c->vtaps[1] = make_taps (chh, dst->height);
  }
  if (!make_groups (c, error)) {
    nn_image_converter_free (c);
    return NULL;
  }
  c->acc = g_new (float, 3 * (gsize) dst->width);
  return c;
}

const NnImageInfo *
nn_image_converter_info (const NnImageConverter *c)
{
  return &c->info;
}

void
nn_image_converter_free (NnImageConverter *c)
{
  if (!c)
    return;
  for (int i = 0; i < 2; i++) {
    g_free (c->htaps[i]);
    g_free (c->vtaps[i]);
  }
  for (int p = 0; p < c->n_vpass; p++) {
    g_free (c->vpass[p].row);
    g_free (c->vpass[p].isum);
  }
  g_free (c->acc);
  g_free (c);
}

void
nn_image_converter_run (NnImageConverter *c, const guint8 *const *planes, const int *strides, float *out)
{
  g_return_if_fail (c && planes && strides && out);
  const int W = c->pre.width, H = c->pre.height, C = c->pre.channels;
  const gsize plane = (gsize) W * H;
  for (int oy = 0; oy < H; oy++) {
    for (int p = 0; p < c->n_vpass; p++) {
      const VPass *v = &c->vpass[p];
      v->sum (planes[v->plane] + v->start, (gsize) strides[v->plane], &c->vtaps[v->vsub][oy], v->n, v->row,
              v->isum);
    }
    for (int g = 0; g < c->n_groups; g++) {
      const Group *gr = &c->group[g];
      gr->sum (c->vpass[gr->vpass].row + gr->pos, gr->off, c->htaps[gr->sub], W, c->acc + (gsize) gr->first * W);
    }
    const float *a0 = c->acc, *a1 = c->acc + W, *a2 = c->acc + 2 * (gsize) W;
    for (int ch = 0; ch < C; ch++) {
      const float *m = c->map[ch];
      float *o = out + ch * plane + (gsize) oy * W;
      const float sa = c->a[ch], sb = c->b[ch];
      if (c->n_comp == 1)
        for (int x = 0; x < W; x++) {
          float v = m[0] * a0[x] + m[3];
          o[x] = CLAMP (v, 0.0f, 255.0f) * sa + sb;
        }
      else
        for (int x = 0; x < W; x++) {
          float v = m[0] * a0[x] + m[1] * a1[x] + m[2] * a2[x] + m[3];
          o[x] = CLAMP (v, 0.0f, 255.0f) * sa + sb;
        }
    }
  }
}

void
nn_preprocess_image (const NnPreprocess *p, const guint8 *pixels, int width, int height, int stride,
                     NnPixelFormat fmt, float *out)
{
  g_return_if_fail (p && pixels && out && width > 0 && height > 0);
  g_return_if_fail (nn_pixel_format_n_planes (fmt) == 1);
  NnImageInfo info = { fmt, width, height, NN_COLOR_RANGE_FULL, NN_COLOR_MATRIX_AUTO };
  g_autoptr (NnImageConverter) c = nn_image_converter_new (&info, p, NULL);
  g_return_if_fail (c != NULL);
  const guint8 *planes[1] = { pixels };
  int strides[1] = { stride };
  nn_image_converter_run (c, planes, strides, out);
}
