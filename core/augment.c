/* Data augmentation for (C, H, W) samples, applied in place.
 *
 * Geometry (crop, rotate, scale, flip) is composed into one inverse affine
 * map from output to input pixel centres and sampled bilinearly with
 * clamp-to-edge, so a sample is resampled once. Then what a camera and a
 * cluttered scene do: cutout (a rectangle of random colour hides part of the
 * sample, as something in front of it would) and blur; photometric changes
 * follow: brightness, contrast, saturation, colour (a gain per channel, as a
 * colour temperature or white balance gives), then noise. A transform that is
 * off draws nothing, so adding one leaves the draws of the others as they
 * were. Every random draw comes from the caller's GRand, so a seed
 * reproduces a run.
 *
 * randconv (Xu et al., "Robust and generalizable visual representation
 * learning via random convolutions", ICLR 2021) runs right after the
 * geometry: a convolution with random weights changes colours, texture and
 * edges together while keeping shapes, the part of a picture that another
 * renderer or camera keeps. It is the one transform here that is not modelled
 * on a particular camera effect, which is why it helps on looks the training
 * data never had.
 *
 * background puts the foreground of an image with an alpha channel (the
 * subject's coverage, as matting and compositing data carry it) in front of
 * a random background, so that a model learns the subject and not the
 * scenes its training images happened to have. It runs after the geometry
 * (which moves the alpha with the image) and before everything else, so the
 * composite goes through the same blur, colour and noise as a photograph of
 * it would. foreground mixes a random texture into the subject itself, which
 * keeps its outline and loses more or less of its look: as training on
 * images whose textures are randomised (Geirhos et al., ICLR 2019), it leaves
 * the shape as what tells the classes apart, the part of a subject that
 * another renderer or camera keeps.
 *
 * A clip, (T, C, H, W), is augmented as T frames with the same draws (the same
 * crop, kernel, colour cast, cutout...: one camera and one scene), except the
 * noise, which is new in every frame as sensor noise and film grain are. */
#include "nn-private.h"

struct _NnAugment {
  float rotate;       /* max degrees either way */
  float scale;        /* zoom 1 +- scale */
  float aspect;       /* width x (1 + a), height / (1 + a), a = U(-aspect, aspect) */
  float crop;         /* crop window side 1 - U(0, crop), resized back */
  gboolean flip_h, flip_v;
  float noise;        /* Gaussian sigma, in sample units */
  float brightness;   /* add U(-b, b) * (max - min) */
  float contrast;     /* scale around the mean by 1 + U(-c, c) */
  float saturation;   /* RGB: blend with gray by 1 + U(-s, s) */
  float colour;       /* each channel's gain about the sample's black 1 + U(-c, c) */
  float blur;         /* Gaussian sigma U(0, blur) pixels */
  float cutout;       /* a rectangle of up to cutout x the sides */
  float randconv;     /* probability of a random convolution */
  float background;   /* probability of a random background behind the alpha's foreground */
  float foreground;   /* probability of a random texture mixed into that foreground */
  /* A frame (C * H * W) and the random kernel, grown when a larger sample
   * arrives, and the generator a clip's frames replay their draws from.
   * Behind a pointer because apply takes a const augmenter; one augmenter per
   * thread. */
  struct { float *buf; gsize len; GRand *frame_rng; } *scratch;
};

typedef struct {
  const char *key;
  gsize       offset;
  double      max;
} FloatKey;

static const FloatKey float_keys[] = {
  { "rotate", G_STRUCT_OFFSET (NnAugment, rotate), 180.0 },
  { "scale", G_STRUCT_OFFSET (NnAugment, scale), 0.9 },
  { "aspect", G_STRUCT_OFFSET (NnAugment, aspect), 0.9 },
  { "crop", G_STRUCT_OFFSET (NnAugment, crop), 0.9 },
  { "noise", G_STRUCT_OFFSET (NnAugment, noise), 1e6 },
  { "brightness", G_STRUCT_OFFSET (NnAugment, brightness), 1.0 },
  { "contrast", G_STRUCT_OFFSET (NnAugment, contrast), 1.0 },
  { "saturation", G_STRUCT_OFFSET (NnAugment, saturation), 1.0 },
  { "colour", G_STRUCT_OFFSET (NnAugment, colour), 1.0 },
  { "blur", G_STRUCT_OFFSET (NnAugment, blur), 5.0 },
  { "cutout", G_STRUCT_OFFSET (NnAugment, cutout), 1.0 },
  { "randconv", G_STRUCT_OFFSET (NnAugment, randconv), 1.0 },
  { "background", G_STRUCT_OFFSET (NnAugment, background), 1.0 },
  { "foreground", G_STRUCT_OFFSET (NnAugment, foreground), 1.0 },
};

static gboolean
parse_flip (NnAugment *a, const char *v)
{
  a->flip_h = a->flip_v = FALSE;
  if (!*v)
    return FALSE;
  for (; *v; v++) {
    if (*v == 'h')
      a->flip_h = TRUE;
    else if (*v == 'v')
      a->flip_v = TRUE;
    else
      return FALSE;
  }
  return TRUE;
}

static gboolean
parse_item (NnAugment *a, const char *item, GError **error)
{
  const char *eq = strchr (item, '=');
  if (!eq) {
    g_set_error (error, NN_ERROR, NN_ERROR_INVALID, "augment: \"%s\" is not key=value", item);
    return FALSE;
  }
  g_autofree char *key = g_strstrip (g_strndup (item, eq - item));
  g_autofree char *val = g_strstrip (g_strdup (eq + 1));
  if (strcmp (key, "flip") == 0) {
    if (parse_flip (a, val))
      return TRUE;
    g_set_error (error, NN_ERROR, NN_ERROR_INVALID, "augment: flip=%s: expected h, v or hv", val);
    return FALSE;
  }
  for (gsize i = 0; i < G_N_ELEMENTS (float_keys); i++) {
    if (strcmp (key, float_keys[i].key) != 0)
      continue;
    char *end;
    double d = g_ascii_strtod (val, &end);
    if (!*val || *end || !(d >= 0.0 && d <= float_keys[i].max)) {
      g_set_error (error, NN_ERROR, NN_ERROR_INVALID, "augment: %s=%s: expected a number in [0, %g]",
                   key, val, float_keys[i].max);
      return FALSE;
    }
    *(float *) G_STRUCT_MEMBER_P (a, float_keys[i].offset) = (float) d;
    return TRUE;
  }
  g_set_error (error, NN_ERROR, NN_ERROR_INVALID,
               "augment: unknown key \"%s\" (rotate, scale, aspect, crop, flip, noise, brightness, contrast, saturation, "
               "colour, blur, cutout, randconv, background, foreground)",
               key);
  return FALSE;
}

NnAugment *
nn_augment_new (const char *desc, GError **error)
{
  g_return_val_if_fail (desc, NULL);
  NnAugment *a = g_new0 (NnAugment, 1);
  a->scratch = g_malloc0 (sizeof *a->scratch);
  a->scratch->frame_rng = g_rand_new_with_seed (0);
  g_auto (GStrv) items = g_strsplit (desc, ",", -1);
  for (int i = 0; items[i]; i++) {
    if (!*g_strstrip (items[i]))
      continue;
    if (!parse_item (a, items[i], error)) {
      nn_augment_free (a);
      return NULL;
    }
  }
  return a;
}

void
nn_augment_free (NnAugment *a)
{
  if (!a)
    return;
  if (a->scratch) {
    g_free (a->scratch->buf);
    g_rand_free (a->scratch->frame_rng);
  }
  g_free (a->scratch);
  g_free (a);
}

static inline float
uniform (GRand *rng, float r)
{
  return r > 0.0f ? (float) g_rand_double_range (rng, -r, r) : 0.0f;
}

/* in = m[0..2] . (x, y, 1), in = m[3..5] . (x, y, 1) */
typedef struct { double m[6]; gboolean identity; } Affine;

/* Output pixel (x, y) -> input pixel, composed backwards from the forward
 * chain crop+resize -> aspect, rotate and scale about the centre -> flip.
 * aspect stretches the subject's own width against its height (area kept),
 * as wider or narrower palms and fingers, before it is turned. */
static void
draw_affine (const NnAugment *a, int h, int w, GRand *rng, Affine *t)
{
  double cx = (w - 1) * 0.5, cy = (h - 1) * 0.5;
  double side = 1.0, ox = 0.0, oy = 0.0;
  if (a->crop > 0.0f) {
    side = 1.0 - g_rand_double_range (rng, 0.0, a->crop);
    ox = g_rand_double_range (rng, 0.0, 1.0) * (1.0 - side) * w;
    oy = g_rand_double_range (rng, 0.0, 1.0) * (1.0 - side) * h;
  }
  double theta = uniform (rng, a->rotate) * G_PI / 180.0;
  double k = 1.0 + uniform (rng, a->scale);
  double fx = a->flip_h && g_rand_boolean (rng) ? -1.0 : 1.0;
  double fy = a->flip_v && g_rand_boolean (rng) ? -1.0 : 1.0;
  double ax = 1.0 + uniform (rng, a->aspect);
  double c = cos (theta) / k, s = sin (theta) / k;
  /* unflip: u = c + f (p - c); unrotate/unscale/unstretch:
   * q = diag(1/ax, ax) R(-theta)/k (u - c) + c */
  double r00 = c * fx / ax, r01 = s * fy / ax, r10 = -s * fx * ax, r11 = c * fy * ax;
  double q0 = cx - r00 * cx - r01 * cy, q1 = cy - r10 * cx - r11 * cy;
  /* uncrop: in = o + (q + 0.5) side - 0.5 */
  double b0 = ox + 0.5 * side - 0.5, b1 = oy + 0.5 * side - 0.5;
  t->m[0] = side * r00; t->m[1] = side * r01; t->m[2] = side * q0 + b0;
  t->m[3] = side * r10; t->m[4] = side * r11; t->m[5] = side * q1 + b1;
  t->identity = side == 1.0 && theta == 0.0 && k == 1.0 && ax == 1.0 && fx == 1.0 && fy == 1.0;
}

static inline float
sample_bilinear (const float *src, int h, int w, double x, double y)
{
  x = CLAMP (x, 0.0, w - 1.0);
  y = CLAMP (y, 0.0, h - 1.0);
  int x0 = (int) x, y0 = (int) y;
  int x1 = MIN (x0 + 1, w - 1), y1 = MIN (y0 + 1, h - 1);
  float fx = (float) (x - x0), fy = (float) (y - y0);
  const float *r0 = src + (gsize) y0 * w, *r1 = src + (gsize) y1 * w;
  float top = r0[x0] + (r0[x1] - r0[x0]) * fx;
  float bot = r1[x0] + (r1[x1] - r1[x0]) * fx;
  return top + (bot - top) * fy;
}

static void
warp (const NnAugment *a, float *x, int c, int h, int w, const Affine *t)
{
  gsize plane = (gsize) h * w;
  float *src = a->scratch->buf;
  for (int ch = 0; ch < c; ch++) {
    float *p = x + ch * plane;
    memcpy (src, p, sizeof (float) * plane);
    for (int y = 0; y < h; y++)
      for (int xx = 0; xx < w; xx++)
        p[(gsize) y * w + xx] = sample_bilinear (src, h, w, t->m[0] * xx + t->m[1] * y + t->m[2],
                                                 t->m[3] * xx + t->m[4] * y + t->m[5]);
  }
}

static void
sample_range (const float *x, gsize n, float *lo, float *hi)
{
  *lo = *hi = x[0];
  for (gsize i = 1; i < n; i++) {
    *lo = MIN (*lo, x[i]);
    *hi = MAX (*hi, x[i]);
  }
}

static void
brightness (const NnAugment *a, float *x, gsize n, GRand *rng)
{
  float lo, hi;
  sample_range (x, n, &lo, &hi);
  float range = hi > lo ? hi - lo : 1.0f;
  float d = uniform (rng, a->brightness) * range;
  for (gsize i = 0; i < n; i++)
    x[i] += d;
}

/* The mean of x[0..n), and its standard deviation where sd is not NULL. */
static double
moments (const float *x, gsize n, double *sd)
{
  double s = 0.0, ss = 0.0;
  for (gsize i = 0; i < n; i++) {
    s += x[i];
    ss += (double) x[i] * x[i];
  }
  double mean = s / n;
  if (sd)
    *sd = sqrt (MAX (ss / n - mean * mean, 0.0));
  return mean;
}

static void
contrast (const NnAugment *a, float *x, gsize n, GRand *rng)
{
  float mean = (float) moments (x, n, NULL), f = 1.0f + uniform (rng, a->contrast);
  for (gsize i = 0; i < n; i++)
    x[i] = mean + (x[i] - mean) * f;
}

static void
saturation (const NnAugment *a, float *x, gsize plane, GRand *rng)
{
  float f = 1.0f + uniform (rng, a->saturation);
  float *r = x, *g = x + plane, *b = x + 2 * plane;
  for (gsize i = 0; i < plane; i++) {
    float gray = 0.299f * r[i] + 0.587f * g[i] + 0.114f * b[i];
    r[i] = gray + (r[i] - gray) * f;
    g[i] = gray + (g[i] - gray) * f;
    b[i] = gray + (b[i] - gray) * f;
  }
}

/* A rectangle of U(0, cutout) x each side, anywhere (clipped by the edges),
 * filled with a colour drawn between the sample's darkest and brightest
 * values in each channel. */
static void
cutout (const NnAugment *a, float *x, int c, int h, int w, GRand *rng)
{
  gsize plane = (gsize) h * w;
  int rh = (int) lround (g_rand_double_range (rng, 0.0, a->cutout) * h);
  int rw = (int) lround (g_rand_double_range (rng, 0.0, a->cutout) * w);
  int cy = g_rand_int_range (rng, 0, h), cx = g_rand_int_range (rng, 0, w);
  int y0 = MAX (cy - rh / 2, 0), y1 = MIN (cy - rh / 2 + rh, h);
  int x0 = MAX (cx - rw / 2, 0), x1 = MIN (cx - rw / 2 + rw, w);
  for (int ch = 0; ch < c; ch++) {
    float *p = x + ch * plane, lo, hi;
    sample_range (p, plane, &lo, &hi);
    float v = lo + (hi - lo) * (float) g_rand_double (rng);
    for (int y = y0; y < y1; y++)
      for (int xx = x0; xx < x1; xx++)
        p[(gsize) y * w + xx] = v;
  }
}

#define BLUR_MAX_RADIUS 13  /* 2.5 sigma of the largest blur (5) */

/* Separable Gaussian, clamp-to-edge: rows into the scratch plane, columns
 * back. */
static void
blur (const NnAugment *a, float *x, int c, int h, int w, GRand *rng)
{
  double sigma = g_rand_double_range (rng, 0.0, a->blur);
  int r = MIN ((int) ceil (sigma * 2.5), BLUR_MAX_RADIUS);
  if (sigma < 0.05 || r < 1)
    return;
  float k[2 * BLUR_MAX_RADIUS + 1];
  double sum = 0.0;
  for (int i = -r; i <= r; i++)
    sum += k[i + r] = (float) exp (-0.5 * i * i / (sigma * sigma));
  for (int i = 0; i <= 2 * r; i++)
    k[i] = (float) (k[i] / sum);
  gsize plane = (gsize) h * w;
  float *tmp = a->scratch->buf;
  for (int ch = 0; ch < c; ch++) {
    float *p = x + ch * plane;
    for (int y = 0; y < h; y++)
      for (int xx = 0; xx < w; xx++) {
        float acc = 0.0f;
        for (int i = -r; i <= r; i++)
          acc += k[i + r] * p[(gsize) y * w + CLAMP (xx + i, 0, w - 1)];
        tmp[(gsize) y * w + xx] = acc;
      }
    for (int y = 0; y < h; y++)
      for (int xx = 0; xx < w; xx++) {
        float acc = 0.0f;
        for (int i = -r; i <= r; i++)
          acc += k[i + r] * tmp[(gsize) CLAMP (y + i, 0, h - 1) * w + xx];
        p[(gsize) y * w + xx] = acc;
      }
  }
}

/* A gain per channel about the sample's black (its lowest value), as light
 * of another colour temperature, or a white balance off, gives. */
static void
colour (const NnAugment *a, float *x, int c, gsize plane, GRand *rng)
{
  float lo, hi;
  sample_range (x, plane * c, &lo, &hi);
  for (int ch = 0; ch < c; ch++) {
    float f = 1.0f + uniform (rng, a->colour), *p = x + ch * plane;
    for (gsize i = 0; i < plane; i++)
      p[i] = lo + (p[i] - lo) * f;
  }
}

#define RANDCONV_MAX_K 7

/* With probability a->randconv: a C -> C convolution of a random size k in
 * {1, 3, 5, 7} with He-normal weights (std 1 / sqrt(C k k)), clamp-to-edge,
 * its output set to the sample's mean and standard deviation (so that a
 * kernel does not also change the contrast: contrast has its own key), then
 * mixed with the sample by alpha ~ U(0, 1), as the paper's RandConv-mix. */
static void
randconv (const NnAugment *a, float *x, int c, int h, int w, GRand *rng)
{
  if (g_rand_double (rng) >= a->randconv)
    return;
  static const int sizes[] = { 1, 3, 5, 7 };
  int k = sizes[g_rand_int_range (rng, 0, G_N_ELEMENTS (sizes))], r = k / 2;
  gsize plane = (gsize) h * w, n = plane * c;
  float *src = a->scratch->buf, *wt = src + n;
  double sd = 1.0 / sqrt ((double) c * k * k);
  for (int i = 0; i < c * c * k * k; i++)
    wt[i] = (float) (sd * nn_rand_normal (rng));
  float alpha = (float) g_rand_double (rng);
  memcpy (src, x, sizeof (float) * n);
  double sdev, mean = moments (src, n, &sdev);
  for (int o = 0; o < c; o++) {
    float *out = x + o * plane;
    for (int y = 0; y < h; y++)
      for (int xx = 0; xx < w; xx++) {
        float acc = 0.0f;
        for (int i = 0; i < c; i++) {
          const float *in = src + i * plane, *kw = wt + ((gsize) o * c + i) * k * k;
          for (int dy = -r; dy <= r; dy++) {
            const float *row = in + (gsize) CLAMP (y + dy, 0, h - 1) * w;
            for (int dx = -r; dx <= r; dx++)
              acc += kw[(dy + r) * k + dx + r] * row[CLAMP (xx + dx, 0, w - 1)];
          }
        }
        out[(gsize) y * w + xx] = acc;
      }
  }
  double osd, om = moments (x, n, &osd);
  float f = osd > 1e-12 ? (float) (sdev / osd) : 0.0f;
  for (gsize i = 0; i < n; i++) {
    float conv = (float) mean + (x[i] - (float) om) * f;
    x[i] = alpha * src[i] + (1.0f - alpha) * conv;
  }
}

#define BG_MAX_GRID 17

/* Value noise: a (g + 1) x (g + 1) grid of U(0, 1) values, smoothly
 * interpolated, at (x, y) in [0, 1]^2. */
static float
value_noise (const float *grid, int g, float x, float y)
{
  float gx = x * g, gy = y * g;
  int ix = MIN ((int) gx, g - 1), iy = MIN ((int) gy, g - 1);
  float fx = gx - ix, fy = gy - iy;
  fx = fx * fx * (3.0f - 2.0f * fx);
  fy = fy * fy * (3.0f - 2.0f * fy);
  const float *r0 = grid + iy * (g + 1), *r1 = r0 + g + 1;
  float top = r0[ix] + (r0[ix + 1] - r0[ix]) * fx, bot = r1[ix] + (r1[ix + 1] - r1[ix]) * fx;
  return top + (bot - top) * fy;
}

/* A random texture in the sample's units: two octaves of value noise (2 to
 * 8 cells across, then twice as fine) between two colours, with up to three
 * rectangles or discs of other colours in front, every colour drawn between
 * the sample's darkest and brightest values in each channel. No scene of
 * either renderer is imitated: it says nothing about the class. */
typedef struct {
  int   g[2];
  float grid[2][(BG_MAX_GRID + 1) * (BG_MAX_GRID + 1)];
  float c1[4], c2[4];
  int   n_shapes;
  struct { gboolean disc; float cx, cy, rx, ry, col[4]; } sh[3];
} Texture;

static void
texture_draw (Texture *t, const float *x, int c, int h, int w, GRand *rng)
{
  gsize plane = (gsize) h * w;
  float lo[4], hi[4];
  int nc = MIN (c, 4);
  for (int ch = 0; ch < nc; ch++)
    sample_range (x + ch * plane, plane, &lo[ch], &hi[ch]);
  t->g[0] = g_rand_int_range (rng, 2, 9);
  t->g[1] = 2 * t->g[0];
  for (int o = 0; o < 2; o++)
    for (int i = 0; i < (t->g[o] + 1) * (t->g[o] + 1); i++)
      t->grid[o][i] = (float) g_rand_double (rng);
  for (int ch = 0; ch < nc; ch++) {
    t->c1[ch] = lo[ch] + (hi[ch] - lo[ch]) * (float) g_rand_double (rng);
    t->c2[ch] = lo[ch] + (hi[ch] - lo[ch]) * (float) g_rand_double (rng);
  }
  t->n_shapes = g_rand_int_range (rng, 0, 4);
  for (int k = 0; k < t->n_shapes; k++) {
    t->sh[k].disc = g_rand_boolean (rng);
    t->sh[k].cx = (float) g_rand_double (rng) * w;
    t->sh[k].cy = (float) g_rand_double (rng) * h;
    t->sh[k].rx = (float) g_rand_double_range (rng, 0.05, 0.25) * w;
    t->sh[k].ry = (float) g_rand_double_range (rng, 0.05, 0.25) * h;
    for (int ch = 0; ch < nc; ch++)
      t->sh[k].col[ch] = lo[ch] + (hi[ch] - lo[ch]) * (float) g_rand_double (rng);
  }
}

/* The texture at pixel (xx, y), every channel into v[0..c): the shapes and
 * the noise are found once per pixel, not once per channel. */
static void
texture_at (const Texture *t, int xx, int y, int h, int w, int c, float *v)
{
  for (int k = t->n_shapes - 1; k >= 0; k--) {
    float dx = (xx + 0.5f - t->sh[k].cx) / t->sh[k].rx, dy = (y + 0.5f - t->sh[k].cy) / t->sh[k].ry;
    if (t->sh[k].disc ? dx * dx + dy * dy <= 1.0f : fabsf (dx) <= 1.0f && fabsf (dy) <= 1.0f) {
      for (int ch = 0; ch < c; ch++)
        v[ch] = t->sh[k].col[MIN (ch, 3)];
      return;
    }
  }
  float u = (xx + 0.5f) / w, vv = (y + 0.5f) / h;
  float n = (2.0f * value_noise (t->grid[0], t->g[0], u, vv) + value_noise (t->grid[1], t->g[1], u, vv)) / 3.0f;
  for (int ch = 0; ch < c; ch++)
    v[ch] = t->c1[MIN (ch, 3)] + n * (t->c2[MIN (ch, 3)] - t->c1[MIN (ch, 3)]);
}

/* With probability P, a texture goes behind the subject (background: x =
 * alpha x + (1 - alpha) T) or onto it (foreground: x = (1 - m alpha) x +
 * m alpha T, m ~ U(0, 1), so the subject keeps its outline and more or less
 * of its look: what is left to learn is its shape). */
static void
retexture (float p, gboolean front, float *x, const float *alpha, int c, int h, int w, GRand *rng)
{
  if (g_rand_double (rng) >= p)
    return;
  Texture t;
  texture_draw (&t, x, c, h, w, rng);
  float m = front ? (float) g_rand_double (rng) : 1.0f, v[4];
  gsize plane = (gsize) h * w;
  for (int y = 0; y < h; y++)
    for (int xx = 0; xx < w; xx++) {
      gsize i = (gsize) y * w + xx;
      float fa = CLAMP (alpha[i], 0.0f, 1.0f), k = front ? m * fa : 1.0f - fa;  /* the texture's share */
      if (k <= 0.0f)
        continue;
      texture_at (&t, xx, y, h, w, MIN (c, 4), v);
      for (int ch = 0; ch < c; ch++)
        x[ch * plane + i] = (1.0f - k) * x[ch * plane + i] + k * v[MIN (ch, 3)];
    }
}

/* One image. `rng` draws every transform, `noise_rng` the noise: the same
 * generator for an image, two for a clip's frame (see the top). */
static void
augment_one (const NnAugment *a, float *x, float *alpha, int c, int h, int w, GRand *rng, GRand *noise_rng)
{
  gsize n = (gsize) c * h * w;
  if (a->rotate > 0 || a->scale > 0 || a->aspect > 0 || a->crop > 0 || a->flip_h || a->flip_v) {
    Affine t;
    draw_affine (a, h, w, rng, &t);
    if (!t.identity) {
      warp (a, x, c, h, w, &t);
      if (alpha)
        warp (a, alpha, 1, h, w, &t);
    }
  }
  if (a->foreground > 0 && alpha)
    retexture (a->foreground, TRUE, x, alpha, c, h, w, rng);
  if (a->background > 0 && alpha)
    retexture (a->background, FALSE, x, alpha, c, h, w, rng);
  if (a->randconv > 0)
    randconv (a, x, c, h, w, rng);
  if (a->cutout > 0)
    cutout (a, x, c, h, w, rng);
  if (a->blur > 0)
    blur (a, x, c, h, w, rng);
  if (a->brightness > 0)
    brightness (a, x, n, rng);
  if (a->contrast > 0)
    contrast (a, x, n, rng);
  if (a->saturation > 0 && c == 3)
    saturation (a, x, (gsize) h * w, rng);
  if (a->colour > 0 && c > 1)
    colour (a, x, c, (gsize) h * w, rng);
  if (a->noise > 0)
    for (gsize i = 0; i < n; i++)
      x[i] += a->noise * (float) nn_rand_normal (noise_rng);
}

gboolean
nn_augment_needs_alpha (const NnAugment *a)
{
  g_return_val_if_fail (a, FALSE);
  return a->background > 0 || a->foreground > 0;
}

void
nn_augment_apply (const NnAugment *a, float *x, int n, const NnShape *shape, GRand *rng)
{
  nn_augment_apply_alpha (a, x, NULL, n, shape, rng);
}

void
nn_augment_apply_alpha (const NnAugment *a, float *x, float *alpha, int n, const NnShape *shape, GRand *rng)
{
  g_return_if_fail (a && x && shape && rng && n >= 0);
  /* (T, C, H, W) a clip of T frames, (C, H, W); (H, W) is one channel and a
   * vector (N) a 1 x N image */
  int t = 1, c = 1, h = 1, w = 1;
  if (shape->ndim == 4) {
    t = (int) shape->dim[0]; c = (int) shape->dim[1]; h = (int) shape->dim[2]; w = (int) shape->dim[3];
  } else if (shape->ndim == 3) {
    c = (int) shape->dim[0]; h = (int) shape->dim[1]; w = (int) shape->dim[2];
  } else if (shape->ndim == 2) {
    h = (int) shape->dim[0]; w = (int) shape->dim[1];
  } else {
    w = (int) nn_shape_numel (shape);
  }
  gsize plane = (gsize) h * w, frame = plane * c;
  /* warp and blur need a plane, randconv the frame and its kernel */
  gsize need = MAX (plane, a->randconv > 0 ? frame + (gsize) c * c * RANDCONV_MAX_K * RANDCONV_MAX_K : 0);
  if (need > a->scratch->len) {
    a->scratch->buf = g_renew (float, a->scratch->buf, need);
    a->scratch->len = need;
  }
  GRand *fr = a->scratch->frame_rng;
  for (int i = 0; i < n; i++) {
    float *sample = x + (gsize) i * t * frame, *al = alpha ? alpha + (gsize) i * t * plane : NULL;
    if (t == 1) {
      augment_one (a, sample, al, c, h, w, rng, rng);
      continue;
    }
    guint32 seed = g_rand_int (rng);
    for (int f = 0; f < t; f++) {
      g_rand_set_seed (fr, seed);
      augment_one (a, sample + (gsize) f * frame, al ? al + (gsize) f * plane : NULL, c, h, w, fr, rng);
    }
  }
}
