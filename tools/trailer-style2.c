/* Trailer rendering, style 2; see trailer-render.h.
 *
 * Written apart from style 1 (trailer-render.c): colour places instead of a
 * gray torus of waves. A trailer has three places; each is a world 4 frames
 * wide (it wraps round horizontally, a panorama, so a pan never runs out of
 * world) and 2 frames high. A cut jumps to a place, a camera position and a
 * zoom; the genre decides only how long shots last, how the camera and the
 * objects move and what happens to the exposure. */
#include "trailer-render.h"
#include "video-writer.h"

#include <math.h>
#include <string.h>

#define N_PLACES 3
#define MAX_PROPS 10
#define MAX_ACTORS 4
#define WORLD_W 4
#define WORLD_H 2

typedef struct {
  int    shot_min, shot_max;   /* frames between cuts */
  double actor_min, actor_max; /* object speed, frame pixels per frame */
  double shake;                /* camera jitter, +- frame pixels */
  double pan_min, pan_max;     /* steady camera speed within a shot */
  gboolean fades;
  double flash_p;              /* chance per frame of a one-frame flash */
} Genre2;

static const Genre2 genres2[NN_N_GENRES] = {
  [NN_GENRE_ACTION] = { 2, 5, 1.5, 3.5, 2.0, 0.0, 0.6, FALSE, 0.0 },
  [NN_GENRE_DETECTIVE] = { 8, 16, 0.05, 0.4, 0.0, 0.5, 1.1, FALSE, 0.0 },
  [NN_GENRE_DRAMA] = { 16, 32, 0.05, 0.4, 0.0, 0.0, 0.05, TRUE, 0.0 },
  [NN_GENRE_HORROR] = { 14, 28, 0.0, 0.12, 0.0, 0.0, 0.05, FALSE, 0.12 },
};

typedef struct {
  int    kind;                 /* 0 tree, 1 house, 2 rock */
  double x, base, w, h;        /* world pixels; base is where it stands */
  double rgb[3], rgb2[3];
} Prop;

typedef struct {
  int    kind;                 /* 0 car, 1 person, 2 bird */
  double x, y, dir, size;      /* dir: +1 or -1 along x for cars and people; radians for birds */
  double rgb[3];
} Actor;

typedef struct {
  double w, h;                 /* world size */
  double sky_top[3], sky_low[3], ground[3], ground2[3], hills[3];
  double horizon, ridge_amp[3], ridge_phase[3];
  int    ridge_k[3];
  int    celestial;            /* 0 none, 1 sun, 2 moon */
  double cel_x, cel_y, cel_r, cel_rgb[3];
  double clouds;               /* cloud cover 0..1 */
  double cloud_rgb[3];
  gboolean road;
  double road_y0, road_y1;
  guint32 noise;
  Prop   props[MAX_PROPS];
  int    n_props;
  Actor  actors[MAX_ACTORS];
  int    n_actors;
} Place;

typedef struct {
  double lift[3], gain[3], saturation;
  double grain, chroma_grain, vignette;
} Grade;

static double
uni (GRand *r, double a, double b)
{
  return g_rand_double_range (r, a, b);
}

static double
mix (double a, double b, double t)
{
  return a + (b - a) * t;
}

static void
mix3 (double *d, const double *s, double t)
{
  for (int c = 0; c < 3; c++)
    d[c] += (s[c] - d[c]) * t;
}

static double
gauss (GRand *r)
{
  double u = g_rand_double (r) + 1e-12, v = g_rand_double (r);
  return sqrt (-2.0 * log (u)) * cos (2.0 * G_PI * v);
}

/* ---- noise that wraps round with the world ------------------------------- */

static double
lattice (guint32 seed, int x, int y)
{
  guint32 h = seed * 0x9e3779b9u ^ (guint32) x * 0x85ebca6bu ^ (guint32) y * 0xc2b2ae35u;
  h = (h ^ (h >> 16)) * 0x7feb352du;
  h = (h ^ (h >> 15)) * 0x846ca68bu;
  h ^= h >> 16;
  return h / 4294967296.0;
}

/* Value noise with `period` lattice cells across x. */
static double
wnoise (guint32 seed, double x, double y, int period)
{
  double fx = floor (x), fy = floor (y);
  double tx = x - fx, ty = y - fy;
  tx = tx * tx * (3 - 2 * tx), ty = ty * ty * (3 - 2 * ty);
  int x0 = (((int) fx % period) + period) % period, x1 = (x0 + 1) % period, y0 = (int) fy;
  return mix (mix (lattice (seed, x0, y0), lattice (seed, x1, y0), tx),
              mix (lattice (seed, x0, y0 + 1), lattice (seed, x1, y0 + 1), tx), ty);
}

/* Three octaves; `cells` lattice cells across the world's width. */
static double
wfbm (guint32 seed, double wx, double wy, double world_w, int cells)
{
  double sum = 0, amp = 0.55, norm = 0;
  for (int o = 0; o < 3; o++) {
    double k = cells / world_w;
    sum += amp * wnoise (seed + 31u * o, wx * k, wy * k, cells);
    norm += amp;
    cells *= 2;
    amp *= 0.5;
  }
  return sum / norm;
}

/* ---- places ----------------------------------------------------------------- */

static void
jitter (double *rgb, const double *base, double d, GRand *r)
{
  for (int c = 0; c < 3; c++)
    rgb[c] = CLAMP (base[c] + uni (r, -d, d), 0, 255);
}

static void
new_place (Place *p, int size, GRand *r)
{
  memset (p, 0, sizeof *p);
  p->w = WORLD_W * size;
  p->h = WORLD_H * size;
  p->noise = g_rand_int (r);
  /* day, dusk, night, overcast */
  static const double tops[4][3] = { { 60, 120, 215 }, { 70, 50, 120 }, { 8, 12, 35 }, { 140, 145, 150 } };
  static const double lows[4][3] = { { 175, 210, 240 }, { 250, 150, 80 }, { 25, 40, 70 }, { 190, 190, 185 } };
  static const double grounds[5][3] = { { 80, 130, 55 }, { 200, 180, 130 }, { 95, 95, 100 }, { 225, 230, 238 },
                                        { 120, 90, 60 } };
  int sky = g_rand_int_range (r, 0, 4), ground = g_rand_int_range (r, 0, 5);
  jitter (p->sky_top, tops[sky], 20, r);
  jitter (p->sky_low, lows[sky], 20, r);
  jitter (p->ground, grounds[ground], 25, r);
  for (int c = 0; c < 3; c++) {
    p->ground2[c] = CLAMP (p->ground[c] * uni (r, 0.6, 0.85), 0, 255);
    p->hills[c] = mix (p->ground[c] * 0.7, p->sky_low[c], uni (r, 0.2, 0.6));
  }
  if (sky == 2)
    for (int c = 0; c < 3; c++)
      p->ground[c] *= 0.35, p->ground2[c] *= 0.35, p->hills[c] *= 0.4;
  p->horizon = p->h * uni (r, 0.3, 0.6);
  for (int k = 0; k < 3; k++) {
    p->ridge_k[k] = g_rand_int_range (r, 1, 7) * (k + 1);
    p->ridge_amp[k] = size * uni (r, 0.0, 0.12) / (k + 1);
    p->ridge_phase[k] = uni (r, 0, 2 * G_PI);
  }
  p->celestial = sky == 3 ? 0 : g_rand_int_range (r, 0, 3) ? (sky == 2 ? 2 : 1) : 0;
  p->cel_x = uni (r, 0, p->w);
  p->cel_y = p->horizon * uni (r, 0.15, 0.8);
  p->cel_r = size * uni (r, 0.05, 0.12);
  static const double sun[3] = { 255, 235, 180 }, moon[3] = { 225, 230, 240 };
  memcpy (p->cel_rgb, p->celestial == 2 ? moon : sun, sizeof p->cel_rgb);
  p->clouds = uni (r, 0.0, sky == 3 ? 0.9 : 0.6);
  for (int c = 0; c < 3; c++)
    p->cloud_rgb[c] = sky == 2 ? 60 : sky == 1 ? mix (255, p->sky_low[c], 0.4) : 245;
  p->road = g_rand_boolean (r);
  double ground_h = p->h - p->horizon;
  p->road_y0 = p->horizon + ground_h * uni (r, 0.3, 0.7);
  p->road_y1 = p->road_y0 + ground_h * uni (r, 0.12, 0.25);
  p->n_props = g_rand_int_range (r, 3, MAX_PROPS + 1);
  for (int i = 0; i < p->n_props; i++) {
    Prop *o = &p->props[i];
    o->kind = g_rand_int_range (r, 0, 3);
    o->x = uni (r, 0, p->w);
    o->base = p->horizon + ground_h * uni (r, 0.02, 0.95);
    double depth = 0.35 + 0.65 * (o->base - p->horizon) / ground_h;  /* nearer is bigger */
    o->h = size * depth * (o->kind == 2 ? uni (r, 0.08, 0.2) : uni (r, 0.35, 0.8));
    o->w = o->h * (o->kind == 1 ? uni (r, 0.8, 1.6) : uni (r, 0.45, 0.7));
    static const double leaf[3] = { 50, 110, 45 }, wall[3] = { 190, 170, 150 }, rock[3] = { 120, 118, 112 };
    static const double roof[3] = { 150, 60, 45 }, trunk[3] = { 90, 60, 35 };
    jitter (o->rgb, o->kind == 0 ? leaf : o->kind == 1 ? wall : rock, 40, r);
    jitter (o->rgb2, o->kind == 0 ? trunk : o->kind == 1 ? roof : rock, 30, r);
    if (sky == 2)
      for (int c = 0; c < 3; c++)
        o->rgb[c] *= 0.4, o->rgb2[c] *= 0.4;
  }
  /* far props first */
  for (int i = 1; i < p->n_props; i++)
    for (int j = i; j > 0 && p->props[j - 1].base > p->props[j].base; j--) {
      Prop t = p->props[j];
      p->props[j] = p->props[j - 1];
      p->props[j - 1] = t;
    }
  p->n_actors = g_rand_int_range (r, 1, MAX_ACTORS + 1);
  for (int i = 0; i < p->n_actors; i++) {
    Actor *a = &p->actors[i];
    a->kind = g_rand_int_range (r, 0, 3);
    a->x = uni (r, 0, p->w);
    if (a->kind == 2) {
      a->y = p->horizon * uni (r, 0.1, 0.8);
      a->dir = uni (r, 0, 2 * G_PI);
      a->size = size * uni (r, 0.04, 0.08);
    } else {
      a->y = a->kind == 0 && p->road ? uni (r, p->road_y0, p->road_y1) : uni (r, p->horizon + 2, p->h - 1);
      a->dir = g_rand_boolean (r) ? 1 : -1;
      double depth = 0.35 + 0.65 * (a->y - p->horizon) / ground_h;
      a->size = size * depth * (a->kind == 0 ? uni (r, 0.25, 0.4) : uni (r, 0.18, 0.3));
    }
    double hue[3];
    for (int c = 0; c < 3; c++)
      hue[c] = uni (r, 20, 240);
    memcpy (a->rgb, hue, sizeof hue);
  }
}

static double
ridge (const Place *p, double wx)
{
  double y = p->horizon;
  for (int k = 0; k < 3; k++)
    y -= p->ridge_amp[k] * (1 + sin (2 * G_PI * p->ridge_k[k] * wx / p->w + p->ridge_phase[k]));
  return y;
}

/* Horizontal distance on the wrapped world. */
static double
wrap_dx (const Place *p, double dx)
{
  dx = fmod (dx, p->w);
  if (dx > p->w / 2)
    dx -= p->w;
  else if (dx < -p->w / 2)
    dx += p->w;
  return dx;
}

static gboolean
in_ellipse (double dx, double dy, double rx, double ry)
{
  return (dx * dx) / (rx * rx) + (dy * dy) / (ry * ry) <= 1.0;
}

static gboolean
prop_colour (const Place *p, const Prop *o, double wx, double wy, double out[3])
{
  double dx = wrap_dx (p, wx - o->x), dy = o->base - wy;  /* dy: height above the base */
  if (fabs (dx) > o->w || dy < 0 || dy > o->h)
    return FALSE;
  switch (o->kind) {
  case 0: {
    double trunk = o->h * 0.4;
    if (in_ellipse (dx, dy - o->h * 0.62, o->w * 0.5, o->h * 0.38)) {
      double t = wfbm (p->noise + 5, wx, wy, p->w, 64);
      for (int c = 0; c < 3; c++)
        out[c] = o->rgb[c] * (0.6 + 0.7 * t) * (dx < 0 ? 1.08 : 0.9);
      return TRUE;
    }
    if (dy < trunk && fabs (dx) < o->w * 0.08) {
      memcpy (out, o->rgb2, sizeof (double) * 3);
      return TRUE;
    }
    return FALSE;
  }
  case 1: {
    double wall = o->h * 0.6, half = o->w * 0.5;
    if (dy < wall && fabs (dx) < half) {
      /* windows: a grid, some lit */
      double gx = (dx + half) / (o->w / 4.0), gy = dy / (wall / 3.0);
      double fx = gx - floor (gx), fy = gy - floor (gy);
      if (fx > 0.3 && fx < 0.7 && fy > 0.35 && fy < 0.75 && gy >= 1.0) {
        gboolean lit = lattice (p->noise + 11, (int) gx + (int) o->x, (int) gy) > 0.6;
        for (int c = 0; c < 3; c++)
          out[c] = lit ? (c == 2 ? 150 : 240) : o->rgb[c] * 0.35;
        return TRUE;
      }
      for (int c = 0; c < 3; c++)
        out[c] = o->rgb[c] * (dx < 0 ? 1.0 : 0.82);
      return TRUE;
    }
    if (dy >= wall && fabs (dx) < half * 1.1 * (1.0 - (dy - wall) / (o->h - wall))) {
      memcpy (out, o->rgb2, sizeof (double) * 3);
      return TRUE;
    }
    return FALSE;
  }
  default:
    if (in_ellipse (dx, dy, o->w * 0.5, o->h)) {
      double t = wfbm (p->noise + 9, wx, wy, p->w, 128);
      for (int c = 0; c < 3; c++)
        out[c] = o->rgb[c] * (0.7 + 0.6 * t);
      return TRUE;
    }
    return FALSE;
  }
}

static gboolean
actor_colour (const Place *p, const Actor *a, double wx, double wy, double out[3])
{
  double dx = wrap_dx (p, wx - a->x), dy = a->y - wy, s = a->size;
  if (fabs (dx) > s * 1.2 || fabs (dy) > s * 1.5)
    return FALSE;
  switch (a->kind) {
  case 0: {
    /* car: body, cabin, two wheels */
    if (fabs (dx - s * 0.3) < s * 0.12 + 0.4 && dy > -0.1 * s && dy < s * 0.12) {
      for (int c = 0; c < 3; c++)
        out[c] = 20;
      return TRUE;
    }
    if (fabs (dx + s * 0.3) < s * 0.12 + 0.4 && dy > -0.1 * s && dy < s * 0.12) {
      for (int c = 0; c < 3; c++)
        out[c] = 20;
      return TRUE;
    }
    if (fabs (dx) < s * 0.5 && dy > s * 0.05 && dy < s * 0.3) {
      memcpy (out, a->rgb, sizeof (double) * 3);
      return TRUE;
    }
    if (fabs (dx - a->dir * s * 0.05) < s * 0.25 && dy >= s * 0.3 && dy < s * 0.5) {
      for (int c = 0; c < 3; c++)
        out[c] = mix (a->rgb[c], 200, 0.5);
      return TRUE;
    }
    return FALSE;
  }
  case 1:
    /* person: legs and body, head */
    if (in_ellipse (dx, dy - s * 0.85, s * 0.12, s * 0.12)) {
      static const double face[3] = { 200, 150, 120 };
      memcpy (out, face, sizeof face);
      return TRUE;
    }
    if (fabs (dx) < s * 0.14 && dy > 0 && dy < s * 0.72) {
      for (int c = 0; c < 3; c++)
        out[c] = dy < s * 0.35 ? a->rgb[c] * 0.5 : a->rgb[c];
      return TRUE;
    }
    return FALSE;
  default:
    if (in_ellipse (dx, dy, s * 0.5, s * 0.18) || in_ellipse (dx, dy - s * 0.12, s * 0.16, s * 0.32)) {
      for (int c = 0; c < 3; c++)
        out[c] = a->rgb[c] * 0.4;
      return TRUE;
    }
    return FALSE;
  }
}

static void
world_colour (const Place *p, double wx, double wy, double out[3])
{
  wx = fmod (fmod (wx, p->w) + p->w, p->w);
  double top = ridge (p, wx);
  if (wy < top) {
    double t = CLAMP (wy / MAX (top, 1.0), 0, 1);
    for (int c = 0; c < 3; c++)
      out[c] = mix (p->sky_top[c], p->sky_low[c], t);
    if (p->celestial) {
      double d = hypot (wrap_dx (p, wx - p->cel_x), wy - p->cel_y);
      double glow = exp (-d / (p->cel_r * (p->celestial == 1 ? 2.5 : 1.2)));
      mix3 (out, p->cel_rgb, d < p->cel_r ? 1.0 : glow * 0.6);
    }
    double cl = wfbm (p->noise, wx, wy * 2.5, p->w, 8);
    double cover = CLAMP ((cl - (1.0 - p->clouds)) * 4.0, 0, 1);
    mix3 (out, p->cloud_rgb, cover * 0.85);
  } else if (wy < p->horizon) {
    double haze = (p->horizon - wy) / MAX (p->horizon - top, 1.0);
    double t = wfbm (p->noise + 3, wx, wy, p->w, 32);
    for (int c = 0; c < 3; c++)
      out[c] = p->hills[c] * (0.85 + 0.3 * t) * (1 - 0.15 * haze);
  } else {
    double depth = (wy - p->horizon) / MAX (p->h - p->horizon, 1.0);
    double t = wfbm (p->noise + 1, wx, wy * (1.5 - depth), p->w, 48);
    for (int c = 0; c < 3; c++)
      out[c] = mix (p->ground2[c], p->ground[c], t) * (0.8 + 0.3 * depth);
    mix3 (out, p->sky_low, 0.35 * (1 - depth) * (1 - depth));
    if (p->road && wy >= p->road_y0 && wy < p->road_y1) {
      double mid = (p->road_y0 + p->road_y1) / 2, dash = fmod (wx, 12.0);
      double asphalt = 60 + 25 * t;
      for (int c = 0; c < 3; c++)
        out[c] = fabs (wy - mid) < 0.6 && dash < 6 ? 230 : asphalt;
    }
  }
  for (int i = 0; i < p->n_props; i++)
    prop_colour (p, &p->props[i], wx, wy, out);
  for (int i = 0; i < p->n_actors; i++)
    actor_colour (p, &p->actors[i], wx, wy, out);
}

static void
move_actors (Place *p, double speed)
{
  for (int i = 0; i < p->n_actors; i++) {
    Actor *a = &p->actors[i];
    if (a->kind == 2) {
      a->x += cos (a->dir) * speed;
      a->y += sin (a->dir) * speed * 0.3;
      if (a->y < 2 || a->y > p->horizon - 2)
        a->dir = -a->dir;
    } else {
      a->x += a->dir * speed * (a->kind == 1 ? 0.5 : 1.0);
    }
    a->x = fmod (a->x + p->w, p->w);
  }
}

/* ---- shots and frames --------------------------------------------------------- */

typedef struct {
  int    place, left;
  double cx, cy, vx, vy, zoom, exposure, actor_speed;
} Shot2;

static void
new_shot2 (Shot2 *s, const Genre2 *g, const Place *places, int size, GRand *r)
{
  s->place = g_rand_int_range (r, 0, N_PLACES);
  const Place *p = &places[s->place];
  s->zoom = uni (r, 0.8, 1.25);
  double half = size / 2.0 / s->zoom;
  s->cx = uni (r, 0, p->w);
  s->cy = uni (r, half, MAX (half, p->h - half));
  double speed = uni (r, g->pan_min, g->pan_max), a = uni (r, -0.5, 0.5) + (g_rand_boolean (r) ? 0 : G_PI);
  s->vx = speed * cos (a);
  s->vy = speed * sin (a);
  s->exposure = uni (r, 0.6, 1.15);
  s->actor_speed = uni (r, g->actor_min, g->actor_max);
  s->left = g_rand_int_range (r, g->shot_min, g->shot_max + 1);
}

static void
grade_random (Grade *gr, GRand *r)
{
  /* looks: neutral, teal and orange, cold, warm, bleach */
  int look = g_rand_int_range (r, 0, 5);
  static const double gains[5][3] = { { 1, 1, 1 }, { 1.08, 0.98, 0.9 }, { 0.9, 0.98, 1.1 }, { 1.1, 1.02, 0.85 },
                                      { 1, 1, 1 } };
  static const double lifts[5][3] = { { 0, 0, 0 }, { 0, 8, 14 }, { 0, 4, 12 }, { 10, 4, 0 }, { 12, 12, 12 } };
  for (int c = 0; c < 3; c++) {
    gr->gain[c] = gains[look][c] * uni (r, 0.95, 1.05);
    gr->lift[c] = lifts[look][c];
  }
  gr->saturation = look == 4 ? 0.45 : uni (r, 0.8, 1.2);
  gr->grain = uni (r, 1.5, 8.0);
  gr->chroma_grain = uni (r, 0.0, 0.4);
  gr->vignette = uni (r, 0.0, 0.6);
}

void
nn_trailer_render2 (int genre, guint64 seed, int n, int size, guint8 *rgb, NnTrailerFrame *info)
{
  g_return_if_fail (genre >= 0 && genre < NN_N_GENRES && n >= 0 && size > 0 && rgb);
  const Genre2 *g = &genres2[genre];
  /* a fourth word keeps these streams apart from style 1's */
  guint32 seeds[4] = { (guint32) seed, (guint32) (seed >> 32), (guint32) genre, 0x5354u };
  GRand *r = g_rand_new_with_seed_array (seeds, 4);
  Place places[N_PLACES];
  for (int i = 0; i < N_PLACES; i++)
    new_place (&places[i], size, r);
  Grade gr;
  grade_random (&gr, r);
  double period = uni (r, 14, 26), phase = uni (r, 0, 2 * G_PI), depth = uni (r, 0.35, 0.95);
  Shot2 s;
  new_shot2 (&s, g, places, size, r);
  gboolean first = TRUE;
  for (int t = 0; t < n; t++) {
    gboolean cut = first;
    first = FALSE;
    if (s.left-- <= 0) {
      new_shot2 (&s, g, places, size, r);
      s.left--;
      cut = TRUE;
    }
    Place *p = &places[s.place];
    double fade = g->fades ? 1.0 - depth * 0.5 * (1 - cos (2 * G_PI * t / period + phase)) : 1.0;
    NnFlash flash = NN_FLASH_NONE;
    double flash_gain = 1.0, wash = 0.0;
    if (g->flash_p > 0 && g_rand_double (r) < g->flash_p) {
      double k = g_rand_double (r);
      if (k < 0.5) {
        flash = NN_FLASH_WASHOUT;
        wash = uni (r, 0.55, 0.9);
      } else if (k < 0.75) {
        flash = NN_FLASH_BRIGHT;
        flash_gain = uni (r, 1.7, 2.4);
      } else {
        flash = NN_FLASH_DARK;
        flash_gain = uni (r, 0.15, 0.4);
      }
    }
    double exposure = s.exposure * fade * flash_gain;
    double ox = s.cx + uni (r, -g->shake, g->shake), oy = s.cy + uni (r, -g->shake, g->shake);
    guint8 *out = rgb + (gsize) t * size * size * 3;
    for (int y = 0; y < size; y++)
      for (int x = 0; x < size; x++) {
        double acc[3] = { 0, 0, 0 }, col[3];
        /* 2 x 2 samples a pixel */
        for (int k = 0; k < 4; k++) {
          double sx = x + 0.25 + 0.5 * (k & 1), sy = y + 0.25 + 0.5 * (k >> 1);
          world_colour (p, ox + (sx - size / 2.0) / s.zoom, oy + (sy - size / 2.0) / s.zoom, col);
          for (int c = 0; c < 3; c++)
            acc[c] += col[c] / 4;
        }
        double luma = 0.299 * acc[0] + 0.587 * acc[1] + 0.114 * acc[2];
        double nx = (x + 0.5) / size - 0.5, ny = (y + 0.5) / size - 0.5;
        double vig = 1.0 - gr.vignette * 2.0 * (nx * nx + ny * ny);
        double g0 = gauss (r);
        for (int c = 0; c < 3; c++) {
          double v = (luma + (acc[c] - luma) * gr.saturation) * gr.gain[c] + gr.lift[c];
          v = v * exposure * vig;
          v = mix (v, 255.0, wash);
          v += gr.grain * ((1 - gr.chroma_grain) * g0 + gr.chroma_grain * gauss (r));
          out[((gsize) y * size + x) * 3 + c] = (guint8) CLAMP (lround (v), 0, 255);
        }
      }
    if (info)
      info[t] = (NnTrailerFrame) { cut, flash, exposure, wash, fade };
    move_actors (p, s.actor_speed);
    s.cx = fmod (s.cx + s.vx + p->w, p->w);
    double half = size / 2.0 / s.zoom;
    s.cy += s.vy;
    if (s.cy < half || s.cy > p->h - half) {
      s.vy = -s.vy;
      s.cy = CLAMP (s.cy, half, MAX (half, p->h - half));
    }
  }
  g_rand_free (r);
}

gboolean
nn_trailer_write_style (const char *path, int style, int genre, guint64 seed, int n, int size, int fps, int range,
                        GError **error)
{
  if (style != 2)
    return nn_trailer_write_range (path, genre, seed, n, size, fps, range, error);
  g_autofree guint8 *frames = g_malloc ((gsize) n * size * size * 3);
  nn_trailer_render2 (genre, seed, n, size, frames, NULL);
  return nn_write_video (path, frames, n, 3, size, size, size, size, fps, (NnVideoRange) range, error);
}
