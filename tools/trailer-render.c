/* Trailer rendering. The world is a torus: the background is a sum of
 * periodic waves and objects wrap around, so a uniform random camera offset
 * and uniform object positions stay uniform whatever the motion, and the
 * brightness process of every genre has the same uniform marginal. That is
 * what keeps single frames uninformative. */
#include "trailer-render.h"
#include "video-writer.h"
#include <math.h>

#define N_WAVES 3
#define N_OBJECTS 4
#define GAIN_MIN 0.25
#define GAIN_MAX 1.0

static const char *const genre_names[NN_N_GENRES] = { "action", "detective", "drama", "horror" };

typedef struct {
  int    shot_min, shot_max; /* frames between cuts */
  double obj_speed;          /* pixels per frame */
  double shake;              /* camera jitter, +- pixels, redrawn every frame */
  double pan;                /* camera speed in pixels per frame, direction per shot */
  double flash_p;            /* chance per frame of a one-frame flash */
  gboolean fades;            /* brightness follows a slow triangle wave */
} Dynamics;

static const Dynamics dynamics[NN_N_GENRES] = {
  [NN_GENRE_ACTION] = { 2, 4, 2.5, 2.5, 0.0, 0.0, FALSE },
  [NN_GENRE_DETECTIVE] = { 8, 14, 0.3, 0.0, 0.75, 0.0, FALSE },
  [NN_GENRE_DRAMA] = { 16, 28, 0.4, 0.0, 0.0, 0.0, TRUE },
  [NN_GENRE_HORROR] = { 14, 24, 0.1, 0.0, 0.0, 0.12, FALSE },
};

typedef struct {
  double fx, fy, phase, amp;
} Wave;

typedef struct {
  double x, y, vx, vy, r, level;
  gboolean square;
} Object;

typedef struct {
  Wave   waves[N_WAVES];
  Object obj[N_OBJECTS];
  double cx, cy, pvx, pvy; /* camera offset and pan velocity */
  double gain;
  int    left;             /* frames until the next cut */
} Shot;

const char *
nn_genre_name (int genre)
{
  return genre >= 0 && genre < NN_N_GENRES ? genre_names[genre] : NULL;
}

int
nn_genre_from_name (const char *name)
{
  for (int g = 0; g < NN_N_GENRES; g++)
    if (g_strcmp0 (name, genre_names[g]) == 0)
      return g;
  return -1;
}

static double
direction (GRand *r, double speed, double *vy)
{
  double a = g_rand_double_range (r, 0, 2 * G_PI);
  *vy = speed * sin (a);
  return speed * cos (a);
}

static void
new_shot (Shot *s, const Dynamics *d, GRand *r, int size)
{
  for (int i = 0; i < N_WAVES; i++) {
    Wave *w = &s->waves[i];
    w->fx = g_rand_int_range (r, 0, 4);
    w->fy = g_rand_int_range (r, w->fx == 0 ? 1 : 0, 4);
    w->phase = g_rand_double_range (r, 0, 2 * G_PI);
    w->amp = g_rand_double_range (r, 10, 35);
  }
  for (int i = 0; i < N_OBJECTS; i++) {
    Object *o = &s->obj[i];
    o->x = g_rand_double_range (r, 0, size);
    o->y = g_rand_double_range (r, 0, size);
    o->vx = direction (r, d->obj_speed, &o->vy);
    o->r = g_rand_double_range (r, 2.5, size / 6.0);
    o->level = g_rand_double_range (r, -90, 90);
    o->square = g_rand_boolean (r);
  }
  s->cx = g_rand_double_range (r, 0, size);
  s->cy = g_rand_double_range (r, 0, size);
  s->pvx = direction (r, d->pan, &s->pvy);
  s->gain = g_rand_double_range (r, GAIN_MIN, GAIN_MAX);
  s->left = g_rand_int_range (r, d->shot_min, d->shot_max + 1);
}

/* Shortest signed distance on a circle of length `size`. */
static double
wrap_delta (double a, double size)
{
  double d = fmod (a, size);
  if (d > size / 2)
    d -= size;
  else if (d < -size / 2)
    d += size;
  return d;
}

static double
object_cover (const Object *o, double x, double y, int size)
{
  double dx = fabs (wrap_delta (x - o->x, size)), dy = fabs (wrap_delta (y - o->y, size));
  double dist = o->square ? MAX (dx, dy) : sqrt (dx * dx + dy * dy);
  return CLAMP (o->r - dist + 0.5, 0.0, 1.0);
}

static double
scene_value (const Shot *s, double x, double y, int size)
{
  double v = 128.0;
  for (int i = 0; i < N_WAVES; i++) {
    const Wave *w = &s->waves[i];
    v += w->amp * cos (2 * G_PI * (w->fx * x + w->fy * y) / size + w->phase);
  }
  for (int i = 0; i < N_OBJECTS; i++)
    v += s->obj[i].level * object_cover (&s->obj[i], x, y, size);
  return v;
}

static void
draw (const Shot *s, double ox, double oy, double gain, GRand *r, int size, guint8 *out)
{
  for (int y = 0; y < size; y++)
    for (int x = 0; x < size; x++) {
      double v = gain * scene_value (s, x + ox, y + oy, size) + g_rand_double_range (r, -4, 4);
      out[y * size + x] = (guint8) CLAMP (lround (v), 0, 255);
    }
}

/* A flash moves the brightness half its range round the interval: a big
 * jump, and a uniform brightness stays uniform. */
static double
flash_gain (double gain)
{
  double range = GAIN_MAX - GAIN_MIN;
  return GAIN_MIN + fmod (gain - GAIN_MIN + range / 2, range);
}

/* A triangle wave between GAIN_MIN and GAIN_MAX: uniform at a random phase. */
static double
fade_gain (double phase)
{
  double u = phase - floor (phase);
  double tri = u < 0.5 ? 2 * u : 2 - 2 * u;
  return GAIN_MIN + (GAIN_MAX - GAIN_MIN) * tri;
}

static void
advance (Shot *s, int size)
{
  for (int i = 0; i < N_OBJECTS; i++) {
    s->obj[i].x = fmod (s->obj[i].x + s->obj[i].vx + size, size);
    s->obj[i].y = fmod (s->obj[i].y + s->obj[i].vy + size, size);
  }
  s->cx = fmod (s->cx + s->pvx + size, size);
  s->cy = fmod (s->cy + s->pvy + size, size);
}

void
nn_trailer_render (int genre, guint64 seed, int n, int size, guint8 *frames)
{
  g_return_if_fail (genre >= 0 && genre < NN_N_GENRES && n >= 0 && size > 0 && frames);
  const Dynamics *d = &dynamics[genre];
  guint32 seeds[3] = { (guint32) seed, (guint32) (seed >> 32), (guint32) genre };
  GRand *r = g_rand_new_with_seed_array (seeds, 3);
  Shot s;
  new_shot (&s, d, r, size);
  double period = g_rand_double_range (r, 12, 20), phase = g_rand_double (r);
  for (int t = 0; t < n; t++) {
    if (s.left-- <= 0)
      new_shot (&s, d, r, size);
    double gain = d->fades ? fade_gain (phase + t / period) : s.gain;
    if (d->flash_p > 0 && g_rand_double (r) < d->flash_p)
      gain = flash_gain (gain);
    double ox = s.cx + g_rand_double_range (r, -d->shake, d->shake);
    double oy = s.cy + g_rand_double_range (r, -d->shake, d->shake);
    draw (&s, ox, oy, gain, r, size, frames + (gsize) t * size * size);
    advance (&s, size);
  }
  g_rand_free (r);
}

gboolean
nn_trailer_write_range (const char *path, int genre, guint64 seed, int n, int size, int fps, int range,
                        GError **error)
{
  g_autofree guint8 *frames = g_malloc ((gsize) n * size * size);
  nn_trailer_render (genre, seed, n, size, frames);
  return nn_write_video (path, frames, n, 1, size, size, size, size, fps, (NnVideoRange) range, error);
}

gboolean
nn_trailer_write (const char *path, int genre, guint64 seed, int n, int size, int fps, GError **error)
{
  return nn_trailer_write_range (path, genre, seed, n, size, fps, NN_VIDEO_LIMITED_RANGE, error);
}
