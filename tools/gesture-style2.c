/* Procedural hand gestures, style 2; see gesture-render.h.
 *
 * Written apart from style 1 (gesture-render.c) on purpose: a model that only
 * learnt how one renderer draws fails on the other, which is what the
 * leave-one-style-out figures of models/README.md measure.
 *
 * Hand coordinates: u to the right, v up, the wrist's centre at the origin,
 * about one unit from the wrist to the middle fingertip. A finger is a chain
 * of three tapered phalanges from its knuckle on the palm's top edge; a
 * folded finger is its last two phalanges seen end-on, a short fat stub over
 * the palm's top. Colours are linear 0..255 until the camera's gamma. */
#include "gesture-render.h"

#include <math.h>
#include <string.h>

static double
uni (GRand *r, double a, double b)
{
  return g_rand_double_range (r, a, b);
}

static double
gauss (GRand *r)
{
  double u = g_rand_double (r) + 1e-12, v = g_rand_double (r);
  return sqrt (-2.0 * log (u)) * cos (2.0 * G_PI * v);
}

static double
mix (double a, double b, double t)
{
  return a + (b - a) * t;
}

static double
smooth (double t)
{
  t = CLAMP (t, 0.0, 1.0);
  return t * t * (3 - 2 * t);
}

/* ---- value noise ------------------------------------------------------------ */

static double
hash01 (guint32 seed, int x, int y)
{
  guint32 h = seed ^ ((guint32) x * 0x8da6b343u) ^ ((guint32) y * 0xd8163841u);
  h ^= h >> 15;
  h *= 0x2c1b3c6du;
  h ^= h >> 12;
  h *= 0x297a2d39u;
  h ^= h >> 15;
  return h / 4294967296.0;
}

static double
vnoise (guint32 seed, double x, double y)
{
  double fx = floor (x), fy = floor (y);
  int ix = (int) fx, iy = (int) fy;
  double tx = smooth (x - fx), ty = smooth (y - fy);
  return mix (mix (hash01 (seed, ix, iy), hash01 (seed, ix + 1, iy), tx),
              mix (hash01 (seed, ix, iy + 1), hash01 (seed, ix + 1, iy + 1), tx), ty);
}

/* 0..1, four octaves */
static double
fbm (guint32 seed, double x, double y)
{
  double sum = 0, amp = 0.5, norm = 0;
  for (int o = 0; o < 4; o++) {
    sum += amp * vnoise (seed + 977u * o, x, y);
    norm += amp;
    x *= 2.03;
    y *= 2.03;
    amp *= 0.5;
  }
  return sum / norm;
}

/* ---- distances ------------------------------------------------------------- */

/* Distance to segment a-b; *t gets the position along it (0..1). */
static double
seg_dist (double ax, double ay, double bx, double by, double px, double py, double *t, double *ox, double *oy)
{
  double dx = bx - ax, dy = by - ay, l2 = dx * dx + dy * dy;
  double s = l2 > 0 ? CLAMP (((px - ax) * dx + (py - ay) * dy) / l2, 0.0, 1.0) : 0.0;
  double ex = px - ax - s * dx, ey = py - ay - s * dy;
  if (t)
    *t = s;
  if (ox)
    *ox = ex, *oy = ey;
  return sqrt (ex * ex + ey * ey);
}

/* Signed distance to a polygon (any simple polygon): even-odd inside test,
 * distance to the nearest edge. */
static double
poly_dist (const double *v, int n, double px, double py)
{
  double best = 1e18;
  gboolean inside = FALSE;
  for (int i = 0, j = n - 1; i < n; j = i++) {
    double xi = v[2 * i], yi = v[2 * i + 1], xj = v[2 * j], yj = v[2 * j + 1];
    best = MIN (best, seg_dist (xj, yj, xi, yi, px, py, NULL, NULL, NULL));
    if ((yi > py) != (yj > py) && px < (xj - xi) * (py - yi) / (yj - yi) + xi)
      inside = !inside;
  }
  return inside ? -best : best;
}

/* Approximate signed distance to a rotated ellipse (scaled circle). */
static double
ellipse_dist (const double *p, double x, double y)
{
  double ca = cos (p[4]), sa = sin (p[4]);
  double dx = x - p[0], dy = y - p[1];
  double lx = ca * dx + sa * dy, ly = -sa * dx + ca * dy;
  double rx = MAX (p[2], 0.5), ry = MAX (p[3], 0.5);
  double q = sqrt ((lx / rx) * (lx / rx) + (ly / ry) * (ly / ry));
  return (q - 1.0) * MIN (rx, ry);
}

/* ---- the hand -------------------------------------------------------------- */

typedef enum { MAT_SKIN, MAT_NAIL, MAT_SLEEVE } Material;

typedef struct {
  gboolean poly;
  double ax, ay, bx, by, ra, rb;  /* tapered segment */
  double v[16];                   /* polygon */
  int n;
  double round;                   /* polygon corner rounding */
  double dome[4];                 /* polygon: centre and half sizes for its normal */
  Material mat;
  gboolean hand;                  /* counts for the mask */
} Bone;

#define MAX_BONES 40

typedef struct {
  Bone b[MAX_BONES];
  int n;
} Skeleton;

static Bone *
bone_add (Skeleton *sk)
{
  if (sk->n >= MAX_BONES)
    return NULL;
  Bone *b = &sk->b[sk->n++];
  memset (b, 0, sizeof *b);
  b->hand = TRUE;
  return b;
}

static void
segment (Skeleton *sk, double ax, double ay, double bx, double by, double ra, double rb, Material m, gboolean hand)
{
  Bone *b = bone_add (sk);
  if (!b)
    return;
  b->ax = ax, b->ay = ay, b->bx = bx, b->by = by, b->ra = ra, b->rb = rb;
  b->mat = m;
  b->hand = hand;
}

static void
polygon (Skeleton *sk, const double *v, int n, double sx, double sy, double round)
{
  Bone *b = bone_add (sk);
  if (!b)
    return;
  double u0 = 1e9, u1 = -1e9, v0 = 1e9, v1 = -1e9;
  b->poly = TRUE;
  b->n = n;
  for (int i = 0; i < n; i++) {
    b->v[2 * i] = v[2 * i] * sx;
    b->v[2 * i + 1] = v[2 * i + 1] * sy;
    u0 = MIN (u0, b->v[2 * i]), u1 = MAX (u1, b->v[2 * i]);
    v0 = MIN (v0, b->v[2 * i + 1]), v1 = MAX (v1, b->v[2 * i + 1]);
  }
  b->round = round;
  b->dome[0] = (u0 + u1) / 2, b->dome[1] = (v0 + v1) / 2;
  b->dome[2] = (u1 - u0) / 2, b->dome[3] = (v1 - v0) / 2;
  b->mat = MAT_SKIN;
}

/* A finger of three phalanges from (x, y) at angle `a` (0 = up, positive
 * towards the little finger), bending by `curl` at each joint; a nail at the
 * tip when the back of the hand shows. */
static void
finger_chain (Skeleton *sk, const NnHand2 *h, double x, double y, double a, double len, double r, double curl,
              const double *parts, int n_parts)
{
  double bend = 0;
  for (int k = 0; k < n_parts; k++) {
    double l = len * parts[k] * cos (bend), nx = x + sin (a) * l, ny = y + cos (a) * l;
    double r0 = r * (1.0 - 0.07 * k), r1 = r * (1.0 - 0.07 * (k + 1));
    segment (sk, x, y, nx, ny, r0, r1, MAT_SKIN, TRUE);
    x = nx, y = ny;
    bend += curl;
    a += curl * 0.15 * (a > 0 ? -1 : 1);
  }
  if (h->nails > 0) {
    double r1 = r * (1.0 - 0.07 * n_parts);
    double cx = x - sin (a) * r1 * 0.9, cy = y - cos (a) * r1 * 0.9;
    segment (sk, cx - sin (a) * r1 * 0.35, cy - cos (a) * r1 * 0.35, cx + sin (a) * r1 * 0.35,
             cy + cos (a) * r1 * 0.35, r1 * 0.55, r1 * 0.5, MAT_NAIL, TRUE);
  }
}

static const double phalanges[3] = { 0.45, 0.30, 0.25 };
static const double thumb_phalanges[2] = { 0.55, 0.45 };

/* Arm: forearm skin from the wrist, then a sleeve out of the picture. */
static void
arm (Skeleton *sk, const NnHand2 *h)
{
  double w = 0.125 * h->palm_w;
  if (!h->sleeve) {
    segment (sk, 0, 0.05, 0, -2.5, w, w * 1.15, MAT_SKIN, FALSE);
    return;
  }
  if (h->forearm > 0)
    segment (sk, 0, 0.05, 0, -h->forearm - 0.05, w, w * 1.05, MAT_SKIN, FALSE);
  segment (sk, 0, -h->forearm, 0, -h->forearm - 2.5, w * 1.45, w * 1.6, MAT_SLEEVE, FALSE);
}

static void
build_hand (const NnHand2 *h, Skeleton *sk)
{
  sk->n = 0;
  arm (sk, h);
  double pw = h->palm_w, ph = h->palm_h, th = h->thick;
  if (h->gesture == NN_GESTURE_THUMBS_UP) {
    /* a fist from the side, knuckles to the right, thumb up */
    static const double body[] = { -0.14, 0.0, 0.12, 0.0, 0.18, 0.10, 0.18, 0.36, 0.11, 0.45, -0.11, 0.44, -0.17, 0.30 };
    polygon (sk, body, 7, pw, ph, 0.03);
    for (int k = 0; k < 4; k++) {
      double v = (0.37 - 0.088 * k) * ph, r = 0.047 * th * (k == 3 ? 0.85 : 1.0);
      segment (sk, -0.01 * pw, v, (0.19 + 0.01 * (k == 1)) * pw, v - 0.01, r, r * 0.95, MAT_SKIN, TRUE);
    }
    double a = 0.08 * (h->fan - 1.0);
    finger_chain (sk, h, -0.09 * pw, 0.38 * ph, a, 0.36 * h->len[0], 0.058 * th, h->curl[0] * 0.5, thumb_phalanges,
                  2);
    return;
  }
  static const double ku[4] = { -0.12, -0.04, 0.04, 0.115 }, kv[4] = { 0.44, 0.46, 0.45, 0.40 };
  static const double flen[4] = { 0.40, 0.45, 0.42, 0.33 }, frad[4] = { 0.046, 0.048, 0.045, 0.038 };
  static const gboolean ext[NN_GESTURE_N][4] = {
    [NN_GESTURE_POINT] = { 1, 0, 0, 0 }, [NN_GESTURE_PEACE] = { 1, 1, 0, 0 }, [NN_GESTURE_THREE] = { 1, 1, 1, 0 },
    [NN_GESTURE_PALM] = { 1, 1, 1, 1 },  [NN_GESTURE_HORNS] = { 1, 0, 0, 1 },
  };
  static const double fan[NN_GESTURE_N][4] = {
    [NN_GESTURE_POINT] = { -3, 0, 0, 0 },    [NN_GESTURE_PEACE] = { -12, 8, 0, 0 },
    [NN_GESTURE_THREE] = { -12, 0, 11, 0 }, [NN_GESTURE_PALM] = { -16, -5, 6, 18 },
    [NN_GESTURE_HORNS] = { -10, 0, 0, 16 },
  };
  /* extended fingers behind the palm, so the palm covers their roots */
  for (int i = 0; i < 4; i++)
    if (ext[h->gesture][i])
      finger_chain (sk, h, ku[i] * pw, (kv[i] - 0.04) * ph, fan[h->gesture][i] * h->fan * G_PI / 180,
                    flen[i] * h->len[i + 1], frad[i] * th, h->curl[i + 1], phalanges, 3);
  static const double palm[] = { -0.13, 0.0, 0.13, 0.0, 0.17, 0.22, 0.155, 0.41, 0.07, 0.46,
                                 -0.07, 0.47, -0.16, 0.44, -0.17, 0.18 };
  polygon (sk, palm, 8, pw, ph, 0.025);
  /* folded fingers: stubs over the palm's top, knuckles above its edge */
  for (int i = 0; i < 4; i++)
    if (!ext[h->gesture][i]) {
      double r = frad[i] * th * 1.12;
      segment (sk, ku[i] * pw, (kv[i] + 0.05) * ph, ku[i] * pw * 0.92, (kv[i] - 0.15) * ph, r, r * 0.92, MAT_SKIN,
               TRUE);
    }
  double tx = -0.15 * pw, ty = 0.14 * ph, tr = 0.058 * th;
  if (h->gesture == NN_GESTURE_PALM) {
    double a = -(55 + 10 * (h->fan - 1.0)) * G_PI / 180;
    finger_chain (sk, h, tx, ty, a, 0.38 * h->len[0], tr, h->curl[0], thumb_phalanges, 2);
  } else {
    /* tucked across the folded fingers (fist) or the palm (the others) */
    double y1 = h->gesture == NN_GESTURE_FIST ? 0.36 : 0.29, y2 = h->gesture == NN_GESTURE_FIST ? 0.38 : 0.31;
    segment (sk, tx, ty, -0.05 * pw, y1 * ph, tr, tr * 0.95, MAT_SKIN, TRUE);
    segment (sk, -0.05 * pw, y1 * ph, 0.05 * pw, y2 * ph, tr * 0.95, tr * 0.85, MAT_SKIN, TRUE);
  }
}

static double
bone_dist (const Bone *b, double u, double v, double *nx, double *ny, double *nz)
{
  if (b->poly) {
    double d = poly_dist (b->v, b->n, u, v) - b->round;
    if (nx) {
      /* a shallow dome */
      double x = (u - b->dome[0]) / MAX (b->dome[2], 1e-6) * 0.5, y = (v - b->dome[1]) / MAX (b->dome[3], 1e-6) * 0.4;
      double l = sqrt (x * x + y * y + 1.0);
      *nx = x / l, *ny = y / l, *nz = 1.0 / l;
    }
    return d;
  }
  double t, ox, oy;
  double e = seg_dist (b->ax, b->ay, b->bx, b->by, u, v, &t, &ox, &oy), r = mix (b->ra, b->rb, t);
  if (nx) {
    /* a cylinder round the axis */
    double s = CLAMP (e / MAX (r, 1e-6), 0.0, 1.0);
    *nx = e > 0 ? ox / e * s : 0, *ny = e > 0 ? oy / e * s : 0;
    *nz = sqrt (MAX (0.0, 1.0 - s * s));
  }
  return e - r;
}

static void
hand_extent (const Skeleton *sk, double *u0, double *v0, double *u1, double *v1)
{
  *u0 = *v0 = 1e9;
  *u1 = *v1 = -1e9;
  for (int i = 0; i < sk->n; i++) {
    const Bone *b = &sk->b[i];
    if (!b->hand)
      continue;
    if (b->poly) {
      for (int k = 0; k < b->n; k++) {
        *u0 = MIN (*u0, b->v[2 * k] - b->round), *u1 = MAX (*u1, b->v[2 * k] + b->round);
        *v0 = MIN (*v0, b->v[2 * k + 1] - b->round), *v1 = MAX (*v1, b->v[2 * k + 1] + b->round);
      }
    } else {
      double r = MAX (b->ra, b->rb);
      *u0 = MIN (*u0, MIN (b->ax, b->bx) - r), *u1 = MAX (*u1, MAX (b->ax, b->bx) + r);
      *v0 = MIN (*v0, MIN (b->ay, b->by) - r), *v1 = MAX (*v1, MAX (b->ay, b->by) + r);
    }
  }
}

/* ---- random hands ---------------------------------------------------------- */

/* Twelve skin tones, light to dark (sRGB), each varied a little. */
static const double skin_tones[12][3] = {
  { 255, 226, 203 }, { 246, 208, 178 }, { 240, 196, 160 }, { 232, 186, 140 }, { 222, 168, 120 }, { 206, 150, 104 },
  { 186, 128, 86 },  { 160, 106, 70 },  { 134, 88, 58 },   { 110, 72, 48 },   { 86, 57, 40 },    { 64, 43, 32 },
};

static void
pick_skin (double rgb[3], GRand *r)
{
  const double *t = skin_tones[g_rand_int_range (r, 0, 12)];
  double red = uni (r, -8, 10);
  for (int c = 0; c < 3; c++)
    rgb[c] = CLAMP (t[c] + uni (r, -7, 7) + (c == 0 ? red : -red * 0.4), 0, 255);
}

static void
pick_colour (double rgb[3], GRand *r)
{
  /* hue, saturation, value: more natural than uniform RGB */
  double hh = uni (r, 0, 6), s = uni (r, 0, 1) * uni (r, 0.3, 1), v = uni (r, 25, 250);
  int i = (int) hh;
  double f = hh - i, p = v * (1 - s), q = v * (1 - s * f), t = v * (1 - s * (1 - f));
  double tab[6][3] = { { v, t, p }, { q, v, p }, { p, v, t }, { p, q, v }, { t, p, v }, { v, p, q } };
  memcpy (rgb, tab[MIN (i, 5)], sizeof (double) * 3);
}

void
nn_hand2_random (NnHand2 *h, NnGesture g, double cx, double cy, double height, double max_angle, GRand *rng)
{
  memset (h, 0, sizeof *h);
  h->gesture = g;
  h->cx = cx;
  h->cy = cy;
  h->scale = height / 0.95;
  h->angle = uni (rng, -max_angle, max_angle);
  h->mirror = g_rand_boolean (rng);
  h->palm_w = uni (rng, 0.85, 1.2);
  h->palm_h = uni (rng, 0.9, 1.1);
  for (int i = 0; i < 5; i++) {
    h->len[i] = uni (rng, 0.85, 1.15);
    h->curl[i] = uni (rng, 0.0, 0.3);
  }
  h->thick = uni (rng, 0.75, 1.4);
  h->fan = uni (rng, 0.5, 1.5);
  pick_skin (h->skin, rng);
  if (g_rand_double (rng) < 0.45) {
    h->outline = uni (rng, 0.6, 2.2);
    double k = uni (rng, 0.0, 0.5);
    for (int c = 0; c < 3; c++)
      h->outline_rgb[c] = h->skin[c] * k;
  }
  h->sleeve = g_rand_double (rng) < 0.7;
  pick_colour (h->sleeve_rgb, rng);
  pick_colour (h->sleeve_rgb2, rng);
  h->sleeve_pattern = g_rand_int_range (rng, 0, 3);
  h->forearm = uni (rng, 0.0, 0.8);
  h->nails = g_rand_boolean (rng) ? uni (rng, 0.2, 0.6) : 0.0;
}

/* ---- random scenes ---------------------------------------------------------- */

static void
random_clutter (NnClutter2 *c, int w, int h, double size, GRand *r)
{
  memset (c, 0, sizeof *c);
  double roll = g_rand_double (r);
  c->kind = roll < 0.3 ? 0 : roll < 0.5 ? 1 : roll < 0.6 ? 2 : roll < 0.75 ? 3 : roll < 0.9 ? 4 : 5;
  double x = uni (r, 0, w), y = uni (r, 0, h), s = uni (r, 0.3, 1.0) * size;
  pick_colour (c->rgb, r);
  pick_colour (c->rgb2, r);
  switch (c->kind) {
  case 0: {
    c->n = g_rand_int_range (r, 3, 7);
    double a0 = uni (r, 0, 2 * G_PI);
    for (int i = 0; i < c->n; i++) {
      double a = a0 + 2 * G_PI * (i + uni (r, -0.3, 0.3)) / c->n, d = s * uni (r, 0.4, 0.7);
      c->p[2 * i] = x + cos (a) * d;
      c->p[2 * i + 1] = y + sin (a) * d;
    }
    break;
  }
  case 1:
  case 2:
  case 4:
    c->p[0] = x, c->p[1] = y, c->p[2] = s * uni (r, 0.2, 0.5), c->p[3] = s * uni (r, 0.2, 0.5);
    c->p[4] = uni (r, 0, G_PI);
    if (c->kind == 2)
      c->rgb2[0] = uni (r, 1.0, MAX (1.5, s * 0.08));  /* ring width */
    if (c->kind == 4)
      pick_skin (c->rgb, r);
    break;
  default: {
    double a = uni (r, 0, 2 * G_PI), l = s * uni (r, 0.6, 1.6);
    c->p[0] = x, c->p[1] = y, c->p[2] = x + cos (a) * l, c->p[3] = y + sin (a) * l;
    c->p[4] = c->kind == 3 ? uni (r, 1.0, MAX (1.5, s * 0.06)) : s * uni (r, 0.18, 0.3);
    if (c->kind == 5)
      pick_skin (c->rgb, r);
    break;
  }
  }
}

void
nn_scene2_random (NnScene2 *s, int width, int height, double clutter_scale, GRand *r)
{
  memset (s, 0, sizeof *s);
  s->width = width;
  s->height = height;
  s->texture = g_rand_int_range (r, 0, 6);
  s->noise_seed = g_rand_int (r);
  pick_colour (s->c1, r);
  if (g_rand_double (r) < 0.5) {
    for (int c = 0; c < 3; c++)
      s->c2[c] = CLAMP (s->c1[c] * uni (r, 0.6, 1.4) + uni (r, -20, 20), 0, 255);
  } else {
    pick_colour (s->c2, r);
  }
  pick_colour (s->c3, r);
  s->freq = uni (r, 0.6, 2.5) / MAX (4.0, clutter_scale * 0.5);
  s->angle = uni (r, 0, G_PI);
  s->split = uni (r, 0.2, 0.8);
  s->n_clutter = g_rand_int_range (r, 0, NN_SCENE2_MAX_CLUTTER - 3);
  for (int i = 0; i < s->n_clutter; i++)
    random_clutter (&s->clutter[i], width, height, clutter_scale, r);
  double az = uni (r, 0, 2 * G_PI), el = uni (r, 0.35, 1.3);
  s->light[0] = cos (el) * cos (az), s->light[1] = cos (el) * sin (az), s->light[2] = sin (el);
  s->ambient = uni (r, 0.25, 0.6);
  /* colour temperature in mired from 6500 K, partly corrected by the camera */
  double mired = 1e6 / uni (r, 2700, 9000) - 1e6 / 6500, d = mired / 150 * uni (r, 0.3, 1.0);
  s->temperature[0] = 1 + 0.18 * d, s->temperature[1] = 1 + 0.02 * d, s->temperature[2] = MAX (0.4, 1 - 0.3 * d);
  s->exposure = uni (r, 0.6, 1.35);
  s->gamma = uni (r, 0.8, 1.25);
  s->vignette = g_rand_boolean (r) ? uni (r, 0.0, 0.5) : 0.0;
  double blur = g_rand_double (r);
  s->blur = blur < 0.35 ? 0.0 : uni (r, 0.3, 1.6) * MAX (1.0, MIN (width, height) / 96.0);
  s->motion = g_rand_double (r) < 0.2 ? uni (r, 1.0, 4.0) * MAX (1.0, MIN (width, height) / 96.0) : 0.0;
  s->motion_dir = uni (r, 0, G_PI);
  s->shot = g_rand_double (r) < 0.15 ? 0.0 : uni (r, 0.5, 4.0);
  s->read = uni (r, 0.0, 5.0);
  s->chroma = uni (r, 0.0, 0.6);
}

void
nn_scene2_add_decoy (NnScene2 *s, const NnHand2 *h, GRand *r)
{
  if (g_rand_boolean (r) || s->n_clutter >= NN_SCENE2_MAX_CLUTTER)
    return;
  NnClutter2 *c = &s->clutter[s->n_clutter++];
  memset (c, 0, sizeof *c);
  double a = uni (r, 0, 2 * G_PI), len = h->scale * uni (r, 0.8, 2.0);
  memcpy (c->rgb, h->skin, sizeof c->rgb);
  memcpy (c->rgb2, h->sleeve_rgb, sizeof c->rgb2);
  if (g_rand_boolean (r)) {
    c->kind = 5;
    c->p[0] = h->cx, c->p[1] = h->cy;
    c->p[2] = h->cx + cos (a) * len, c->p[3] = h->cy + sin (a) * len;
    c->p[4] = h->scale * 0.125 * h->palm_w;
  } else {
    c->kind = 4;
    c->p[0] = h->cx, c->p[1] = h->cy;
    c->p[2] = h->scale * uni (r, 0.2, 0.4), c->p[3] = h->scale * uni (r, 0.2, 0.45), c->p[4] = a;
  }
}

/* ---- drawing --------------------------------------------------------------- */

static void
mix3 (double *dst, const double *src, double a)
{
  for (int c = 0; c < 3; c++)
    dst[c] += a * (src[c] - dst[c]);
}

static void
background (const NnScene2 *s, double x, double y, double out[3])
{
  guint32 seed = s->noise_seed;
  double f = s->freq, ca = cos (s->angle), sa = sin (s->angle);
  double a = x * ca + y * sa, b = -x * sa + y * ca, t;
  switch (s->texture) {
  case 0:
    t = smooth ((fbm (seed, x * f, y * f) - 0.25) * 2.0);
    for (int c = 0; c < 3; c++)
      out[c] = mix (s->c1[c], s->c2[c], t);
    if (fbm (seed + 7, x * f * 4, y * f * 4) > 0.72)
      mix3 (out, s->c3, 0.5);
    return;
  case 1: {
    double ring = a * f * 0.6 + 2.0 * fbm (seed, b * f * 0.08, a * f * 0.5);
    t = ring - floor (ring);
    t = t * t * (0.85 + 0.3 * vnoise (seed + 3, b * 0.9, a * 0.1));
    for (int c = 0; c < 3; c++)
      out[c] = mix (s->c1[c], s->c1[c] * 0.55 + s->c2[c] * 0.2, CLAMP (t, 0, 1));
    return;
  }
  case 2: {
    double bw = 3.0 / f, bh = bw / 2.6, mortar = MAX (0.7, bh * 0.1);
    int row = (int) floor (b / bh);
    double off = (row & 1) * bw * 0.5;
    int col = (int) floor ((a + off) / bw);
    double lx = a + off - col * bw, ly = b - row * bh;
    if (lx < mortar || ly < mortar) {
      memcpy (out, s->c3, sizeof (double) * 3);
      return;
    }
    double k = 0.8 + 0.35 * hash01 (seed, col, row), m = hash01 (seed + 1, col, row) * 0.4;
    double grain = 0.9 + 0.2 * vnoise (seed + 2, a * 0.7, b * 0.7);
    for (int c = 0; c < 3; c++)
      out[c] = mix (s->c1[c], s->c2[c], m) * k * grain;
    return;
  }
  case 3: {
    double horizon = s->split * s->height;
    if (y < horizon) {
      double g = 0.8 + 0.25 * y / MAX (horizon, 1.0) + 0.06 * (fbm (seed, x * f * 0.5, y * f * 0.5) - 0.5);
      for (int c = 0; c < 3; c++)
        out[c] = s->c1[c] * g;
      return;
    }
    if (y < horizon + 2.0 + s->height * 0.02) {
      memcpy (out, s->c3, sizeof (double) * 3);
      return;
    }
    /* floorboards converging a little towards the wall */
    double depth = (y - horizon) / MAX (s->height - horizon, 1.0);
    double xx = (x - s->width / 2.0) / (0.4 + depth), plank = xx * f * 0.8;
    double line = fabs (plank - floor (plank + 0.5)) < 0.04 ? 0.7 : 1.0;
    double g = (0.75 + 0.35 * hash01 (seed, (int) floor (plank), 0)) * line *
               (0.9 + 0.2 * vnoise (seed + 5, xx * 0.3, y * 0.05));
    for (int c = 0; c < 3; c++)
      out[c] = s->c2[c] * g;
    return;
  }
  case 4: {
    double wx = sin (a * f * 3.0), wy = sin (b * f * 3.0);
    t = (wx > 0) != (wy > 0) ? 0.65 : 0.35;
    double fold = 0.85 + 0.3 * fbm (seed, a * f * 0.15, b * f * 0.3);
    double thread = 0.92 + 0.16 * hash01 (seed + 9, (int) (a * 2), (int) (b * 2));
    for (int c = 0; c < 3; c++)
      out[c] = mix (s->c1[c], s->c2[c], t) * fold * thread;
    return;
  }
  default: {
    t = CLAMP (a / MAX (s->width + s->height, 1), 0, 1);
    for (int c = 0; c < 3; c++)
      out[c] = mix (s->c1[c], s->c2[c], t) * 0.7;
    double big = MAX (s->width, s->height);
    for (int i = 0; i < 8; i++) {
      double px = hash01 (seed, i, 1) * s->width, py = hash01 (seed, i, 2) * s->height;
      double rad = big * (0.04 + 0.1 * hash01 (seed, i, 3)), d = hypot (x - px, y - py);
      double cover = smooth ((rad - d) / (rad * 0.25) + 0.5) * (0.3 + 0.5 * hash01 (seed, i, 4));
      double tint = hash01 (seed, i, 5);
      for (int c = 0; c < 3; c++)
        out[c] += cover * mix (s->c3[c], 255.0, tint);
    }
    return;
  }
  }
}

/* Coverage of clutter `c` at (x, y), and its colour there. */
static double
clutter_pixel (const NnClutter2 *c, double x, double y, double col[3])
{
  double d;
  switch (c->kind) {
  case 0: {
    d = poly_dist (c->p, c->n, x, y);
    double t = CLAMP ((x - c->p[0]) / 20.0 * 0.5 + 0.5, 0, 1);
    for (int k = 0; k < 3; k++)
      col[k] = mix (c->rgb[k], c->rgb2[k], t * 0.5);
    break;
  }
  case 1:
    d = ellipse_dist (c->p, x, y);
    memcpy (col, c->rgb, sizeof (double) * 3);
    break;
  case 2:
    d = fabs (ellipse_dist (c->p, x, y)) - c->rgb2[0] / 2;
    memcpy (col, c->rgb, sizeof (double) * 3);
    break;
  case 3:
    d = seg_dist (c->p[0], c->p[1], c->p[2], c->p[3], x, y, NULL, NULL, NULL) - c->p[4] / 2;
    memcpy (col, c->rgb, sizeof (double) * 3);
    break;
  case 4: {
    d = ellipse_dist (c->p, x, y);
    double q = CLAMP (-d / MAX (MIN (c->p[2], c->p[3]), 1.0), 0, 1);
    for (int k = 0; k < 3; k++)
      col[k] = c->rgb[k] * (0.6 + 0.4 * sqrt (q));
    break;
  }
  default: {
    double t, ox, oy;
    double e = seg_dist (c->p[0], c->p[1], c->p[2], c->p[3], x, y, &t, &ox, &oy);
    gboolean cloth = t > 0.35;
    double w = c->p[4] * (cloth ? 1.4 : 1.0);
    d = e - w;
    double q = sqrt (MAX (0.0, 1.0 - (e / w) * (e / w)));
    for (int k = 0; k < 3; k++)
      col[k] = (cloth ? c->rgb2[k] : c->rgb[k]) * (0.55 + 0.45 * q);
    break;
  }
  }
  return CLAMP (0.5 - d, 0.0, 1.0);
}

/* The sleeve's cloth at hand coordinates (u, v). */
static void
sleeve_colour (const NnHand2 *h, double u, double v, double out[3])
{
  gboolean second = FALSE;
  switch (h->sleeve_pattern) {
  case 1:
    second = fmod (fabs (v) * 14.0, 1.0) < 0.4;
    break;
  case 2:
    second = ((int) floor (u * 12.0) + (int) floor (v * 12.0)) & 1;
    break;
  default:
    break;
  }
  memcpy (out, second ? h->sleeve_rgb2 : h->sleeve_rgb, sizeof (double) * 3);
}

typedef struct {
  const NnHand2 *h;
  Skeleton sk;
  double u0, v0;           /* the extent's centre */
  double lu, lv, lz;       /* light in hand coordinates */
  double ext[4];           /* everything drawn, hand units, with a margin */
} HandView;

static void
to_hand (const HandView *hv, double x, double y, double *u, double *v)
{
  const NnHand2 *h = hv->h;
  double dx = (x - h->cx) / h->scale, dy = (y - h->cy) / h->scale;
  double ca = cos (h->angle), sa = sin (h->angle);
  *u = ca * dx - sa * dy;
  *v = -(sa * dx + ca * dy);
  if (h->mirror)
    *u = -*u;
  *u += hv->u0;
  *v += hv->v0;
}

static void
hand_view (HandView *hv, const NnHand2 *h, const NnScene2 *s)
{
  memset (hv, 0, sizeof *hv);
  hv->h = h;
  build_hand (h, &hv->sk);
  double a0, b0, a1, b1;
  hand_extent (&hv->sk, &a0, &b0, &a1, &b1);
  hv->u0 = (a0 + a1) / 2;
  hv->v0 = (b0 + b1) / 2;
  /* light direction as a hand vector: the image-to-hand map without translation */
  double ca = cos (h->angle), sa = sin (h->angle);
  hv->lu = ca * s->light[0] - sa * s->light[1];
  hv->lv = -(sa * s->light[0] + ca * s->light[1]);
  if (h->mirror)
    hv->lu = -hv->lu;
  hv->lz = s->light[2];
  hv->ext[0] = a0 - 0.3, hv->ext[1] = b0 - 3.0, hv->ext[2] = a1 + 0.3, hv->ext[3] = b1 + 0.3;
}

/* Paint the hand over px at image point (x, y); returns the hand's coverage. */
static double
hand_pixel (const HandView *hv, const NnScene2 *s, double x, double y, double px[3])
{
  const NnHand2 *h = hv->h;
  double u, v;
  to_hand (hv, x, y, &u, &v);
  if (u < hv->ext[0] || u > hv->ext[2] || v < hv->ext[1] || v > hv->ext[3])
    return 0.0;
  const double soft = 2.5 / h->scale;  /* shadow penumbra, hand units */
  /* the hand's shadow on the background, offset away from the light */
  double near = 1e9;
  for (int i = 0; i < hv->sk.n; i++)
    near = MIN (near, bone_dist (&hv->sk.b[i], u + hv->lu * 0.09, v + hv->lv * 0.09, NULL, NULL, NULL));
  double shade_bg = 1.0 - 0.45 * (1.0 - s->ambient) * CLAMP (0.5 - near / (soft * 2), 0.0, 1.0);
  for (int c = 0; c < 3; c++)
    px[c] *= shade_bg;
  double cover = 0.0;
  for (int i = 0; i < hv->sk.n; i++) {
    const Bone *b = &hv->sk.b[i];
    double nx, ny, nz;
    double d = bone_dist (b, u, v, &nx, &ny, &nz) * h->scale;  /* pixels */
    if (i > 0 && b->mat != MAT_NAIL) {
      /* contact shadow on what this part lies on */
      double ds = bone_dist (b, u + hv->lu * 0.03, v + hv->lv * 0.03, NULL, NULL, NULL);
      double sh = CLAMP (0.5 - ds / soft, 0.0, 1.0) * CLAMP (d + 0.5, 0.0, 1.0);
      for (int c = 0; c < 3; c++)
        px[c] *= 1.0 - 0.35 * (1.0 - s->ambient) * sh;
    }
    double a = CLAMP (0.5 - d, 0.0, 1.0);
    if (a <= 0)
      continue;
    double base[3];
    if (b->mat == MAT_SLEEVE)
      sleeve_colour (h, u, v, base);
    else
      memcpy (base, h->skin, sizeof base);
    if (b->mat == MAT_NAIL)
      for (int c = 0; c < 3; c++)
        base[c] = mix (base[c], c == 0 ? 250 : 228, h->nails);
    double lambert = MAX (0.0, nx * hv->lu + ny * hv->lv + nz * hv->lz);
    double hx = hv->lu, hy = hv->lv, hz = hv->lz + 1.0, hl = sqrt (hx * hx + hy * hy + hz * hz);
    double spec = pow (MAX (0.0, (nx * hx + ny * hy + nz * hz) / hl), 24.0) * (b->mat == MAT_SLEEVE ? 0.02 : 0.12);
    double col[3];
    for (int c = 0; c < 3; c++)
      col[c] = base[c] * (s->ambient + (1.0 - s->ambient) * lambert) + 255.0 * spec;
    if (h->outline > 0 && b->mat != MAT_NAIL)
      mix3 (col, h->outline_rgb, CLAMP (h->outline + 0.5 + d, 0.0, 1.0));
    mix3 (px, col, a);
    if (b->hand)
      cover = MAX (cover, a);
  }
  return cover;
}

static void
gaussian_blur (float *img, int w, int h, double sigma)
{
  int r = (int) ceil (sigma * 2.5);
  if (r < 1)
    return;
  g_autofree float *k = g_new (float, 2 * r + 1);
  g_autofree float *tmp = g_new (float, (gsize) w * h * 3);
  double sum = 0;
  for (int i = -r; i <= r; i++)
    sum += k[i + r] = (float) exp (-0.5 * i * i / (sigma * sigma));
  for (int i = 0; i <= 2 * r; i++)
    k[i] /= (float) sum;
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      for (int c = 0; c < 3; c++) {
        float acc = 0;
        for (int i = -r; i <= r; i++)
          acc += k[i + r] * img[((gsize) y * w + CLAMP (x + i, 0, w - 1)) * 3 + c];
        tmp[((gsize) y * w + x) * 3 + c] = acc;
      }
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      for (int c = 0; c < 3; c++) {
        float acc = 0;
        for (int i = -r; i <= r; i++)
          acc += k[i + r] * tmp[((gsize) CLAMP (y + i, 0, h - 1) * w + x) * 3 + c];
        img[((gsize) y * w + x) * 3 + c] = acc;
      }
}

static void
motion_blur (float *img, int w, int h, double len, double dir)
{
  int taps = (int) ceil (len) + 1;
  g_autofree float *src = g_memdup2 (img, sizeof (float) * w * h * 3);
  double dx = cos (dir), dy = sin (dir);
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      for (int c = 0; c < 3; c++) {
        float acc = 0;
        for (int t = 0; t < taps; t++) {
          double o = (t / (double) (taps - 1) - 0.5) * len;
          int sx = CLAMP ((int) lround (x + dx * o), 0, w - 1), sy = CLAMP ((int) lround (y + dy * o), 0, h - 1);
          acc += src[((gsize) sy * w + sx) * 3 + c];
        }
        img[((gsize) y * w + x) * 3 + c] = acc / taps;
      }
}

void
nn_gesture2_draw (const NnScene2 *s, const NnHand2 *hand, GRand *rng, guint8 *rgb, guint8 *mask, NnGestureBox *box)
{
  int w = s->width, h = s->height;
  g_autofree float *img = g_new (float, (gsize) w * h * 3);
  HandView hv;
  if (hand)
    hand_view (&hv, hand, s);
  int bx0 = w, by0 = h, bx1 = -1, by1 = -1;
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) {
      double px[3], col[3], cx = x + 0.5, cy = y + 0.5;
      background (s, cx, cy, px);
      for (int i = 0; i < s->n_clutter; i++) {
        double a = clutter_pixel (&s->clutter[i], cx, cy, col);
        if (a > 0)
          mix3 (px, col, a);
      }
      double cover = hand ? hand_pixel (&hv, s, cx, cy, px) : 0.0;
      if (mask)
        mask[(gsize) y * w + x] = (guint8) (cover * 255 + 0.5);
      if (cover >= 0.5)
        bx0 = MIN (bx0, x), by0 = MIN (by0, y), bx1 = MAX (bx1, x), by1 = MAX (by1, y);
      /* the light: colour temperature, exposure, vignetting */
      double nx = cx / w - 0.5, ny = cy / h - 0.5, vig = 1.0 - s->vignette * 2.0 * (nx * nx + ny * ny);
      for (int c = 0; c < 3; c++)
        img[((gsize) y * w + x) * 3 + c] = (float) (px[c] * s->temperature[c] * s->exposure * vig);
    }
  if (s->blur > 0)
    gaussian_blur (img, w, h, s->blur);
  if (s->motion > 0)
    motion_blur (img, w, h, s->motion, s->motion_dir);
  double common = sqrt (1.0 - s->chroma), own = sqrt (s->chroma);
  for (gsize i = 0; i < (gsize) w * h; i++) {
    double g0 = gauss (rng);
    for (int c = 0; c < 3; c++) {
      double v = CLAMP (img[i * 3 + c], 0.0, 255.0);
      double sigma = sqrt (s->shot * s->shot * v / 16.0 + s->read * s->read);
      v += sigma * (common * g0 + own * gauss (rng));
      v = 255.0 * pow (CLAMP (v / 255.0, 0.0, 1.0), 1.0 / s->gamma);
      rgb[i * 3 + c] = (guint8) CLAMP (v + 0.5, 0, 255);
    }
  }
  if (box) {
    if (bx1 >= 0)
      *box = (NnGestureBox) { bx0, by0, bx1 - bx0 + 1, by1 - by0 + 1 };
    else
      *box = (NnGestureBox) { 0, 0, 0, 0 };
  }
}

/* ---- video ------------------------------------------------------------------ */

void
nn_gesture_video_render_style (int style, const NnGesture *seq, int n_seq, int per, int width, int height, int fps,
                               gboolean centre, guint32 seed, guint8 *frames, NnGestureBox *boxes)
{
  if (style != 2) {
    nn_gesture_video_render (seq, n_seq, per, width, height, fps, centre, seed, frames, boxes);
    return;
  }
  g_return_if_fail (seq && n_seq > 0 && per > 0 && width > 0 && height > 0 && fps > 0 && frames);
  int n = per * n_seq;
  gsize fsize = (gsize) width * height * 3;
  GRand *rng = g_rand_new_with_seed (seed);
  NnScene2 s;
  nn_scene2_random (&s, width, height, MIN (width, height) * (centre ? 0.25 : 0.12), rng);
  /* a webcam on a desk: steady, moderately noisy */
  s.motion = 0.0;
  s.shot = MIN (s.shot, 2.5);
  s.read = MIN (s.read, 3.0);
  NnHand2 base;
  nn_hand2_random (&base, NN_GESTURE_PALM, width / 2.0, height / 2.0, MIN (width, height) * (centre ? 0.7 : 0.3), 0.2,
                   rng);
  double ax = centre ? 0.03 : 0.25, ay = centre ? 0.03 : 0.2;
  for (int i = 0; i < n; i++) {
    NnGesture g = seq[i / per];
    NnHand2 hh = base;
    double t = (double) i / fps;
    hh.gesture = g;
    hh.cx = width * (0.5 + ax * sin (t * 1.1 + 0.4));
    hh.cy = height * (0.5 + ay * sin (t * 0.8 + 2.0));
    hh.angle = base.angle + 0.12 * sin (t * 0.6);
    NnGestureBox box;
    nn_gesture2_draw (&s, g == NN_GESTURE_NONE ? NULL : &hh, rng, frames + fsize * i, NULL, &box);
    if (boxes)
      boxes[i] = box;
  }
  g_rand_free (rng);
}
