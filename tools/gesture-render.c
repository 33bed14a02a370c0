/* Procedural hand gestures; see gesture-render.h.
 *
 * Hand coordinates: u to the right, v up, one unit is about the wrist to the
 * middle fingertip. The palm is a rounded box at the origin, fingers start at
 * v = 0.17 and point up; a curled finger is a short capsule folded over the
 * palm, whose dark outline is what tells a fist from a blob. */
#include "gesture-render.h"

#include <libavcodec/avcodec.h>
#include <math.h>
#include <string.h>

static const char *const names[NN_GESTURE_N] = {
  "fist", "point", "peace", "three", "palm", "thumbs-up", "none", "horns",
};

const char *
nn_gesture_name (NnGesture g)
{
  return g >= 0 && g < NN_GESTURE_N ? names[g] : "?";
}

int
nn_gesture_from_name (const char *name)
{
  for (int i = 0; i < NN_GESTURE_N; i++)
    if (g_strcmp0 (name, names[i]) == 0)
      return i;
  return -1;
}

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

/* ---- parts ----------------------------------------------------------------- */

typedef enum { PART_CAPSULE, PART_BOX } PartKind;

typedef struct {
  PartKind kind;
  double ax, ay, bx, by;  /* capsule ends, or box centre (ax, ay) and half sizes (bx, by) */
  double r;
  gboolean hand;          /* counts for the mask */
} Part;

#define MAX_PARTS 12

typedef struct {
  Part p[MAX_PARTS];
  int n;
} Parts;

static void
add_capsule (Parts *ps, double ax, double ay, double bx, double by, double r, gboolean hand)
{
  if (ps->n < MAX_PARTS)
    ps->p[ps->n++] = (Part) { PART_CAPSULE, ax, ay, bx, by, r, hand };
}

static void
add_box (Parts *ps, double cx, double cy, double hw, double hh, double r)
{
  if (ps->n < MAX_PARTS)
    ps->p[ps->n++] = (Part) { PART_BOX, cx, cy, hw, hh, r, TRUE };
}

static double
part_sdf (const Part *p, double u, double v)
{
  if (p->kind == PART_BOX) {
    double qx = fabs (u - p->ax) - p->bx + p->r, qy = fabs (v - p->ay) - p->by + p->r;
    double ox = MAX (qx, 0.0), oy = MAX (qy, 0.0);
    return sqrt (ox * ox + oy * oy) + MIN (MAX (qx, qy), 0.0) - p->r;
  }
  double dx = p->bx - p->ax, dy = p->by - p->ay;
  double l2 = dx * dx + dy * dy;
  double t = l2 > 0 ? CLAMP (((u - p->ax) * dx + (v - p->ay) * dy) / l2, 0.0, 1.0) : 0.0;
  double ex = u - p->ax - t * dx, ey = v - p->ay - t * dy;
  return sqrt (ex * ex + ey * ey) - p->r;
}

/* Finger bases (index..little) along the top of the palm, and their radii. */
static const double base_u[4] = { -0.15, -0.05, 0.05, 0.15 };
static const double finger_r[4] = { 0.05, 0.053, 0.05, 0.043 };
static const double finger_len[4] = { 0.36, 0.40, 0.37, 0.28 };

static void
finger (Parts *ps, const NnHand *h, int i, gboolean extended, double deg)
{
  double u = base_u[i], v = 0.15, r = finger_r[i];
  if (!extended) {
    add_capsule (ps, u, 0.19, u, 0.03, r, TRUE);
    return;
  }
  double a = deg * G_PI / 180.0 * h->spread, len = finger_len[i] * h->length[i + 1];
  add_capsule (ps, u, v, u + sin (a) * len, v + cos (a) * len, r, TRUE);
}

static void
thumb (Parts *ps, const NnHand *h, gboolean extended)
{
  if (extended) {
    double a = (-55.0 - 10.0 * (h->spread - 1.0)) * G_PI / 180.0, len = 0.28 * h->length[0];
    add_capsule (ps, -0.18, -0.1, -0.18 + sin (a) * len, -0.1 + cos (a) * len, 0.06, TRUE);
  } else {
    add_capsule (ps, -0.19, -0.12, 0.0, -0.03, 0.055, TRUE);
  }
}

/* Fingers extended for each gesture (index..little), and their fan angles. */
static void
hand_parts (const NnHand *h, Parts *ps)
{
  ps->n = 0;
  if (h->forearm > 0)
    add_capsule (ps, 0.0, -0.12, 0.0, -0.12 - h->forearm, 0.15, FALSE);
  if (h->gesture == NN_GESTURE_THUMBS_UP) {
    /* a fist seen from the side: fingers rolled horizontally, thumb up */
    add_box (ps, 0.0, 0.0, 0.17, 0.2, 0.07);
    for (int i = 0; i < 4; i++) {
      double y = 0.13 - 0.087 * i;
      add_capsule (ps, -0.06, y, 0.15, y, 0.047, TRUE);
    }
    double len = 0.3 * h->length[0];
    add_capsule (ps, -0.1, 0.12, -0.1 + 0.05 * (h->spread - 1.0), 0.12 + len, 0.062, TRUE);
    return;
  }
  add_box (ps, 0.0, 0.0, 0.2, 0.2, 0.08);
  static const gboolean ext[NN_GESTURE_N][4] = {
    [NN_GESTURE_FIST] = { 0, 0, 0, 0 },  [NN_GESTURE_POINT] = { 1, 0, 0, 0 },
    [NN_GESTURE_PEACE] = { 1, 1, 0, 0 }, [NN_GESTURE_THREE] = { 1, 1, 1, 0 },
    [NN_GESTURE_PALM] = { 1, 1, 1, 1 },  [NN_GESTURE_HORNS] = { 1, 0, 0, 1 },
  };
  static const double fan[NN_GESTURE_N][4] = {
    [NN_GESTURE_POINT] = { -2, 0, 0, 0 },   [NN_GESTURE_PEACE] = { -11, 9, 0, 0 },
    [NN_GESTURE_THREE] = { -10, 0, 10, 0 }, [NN_GESTURE_PALM] = { -14, -5, 5, 15 },
    [NN_GESTURE_HORNS] = { -8, 0, 0, 14 },
  };
  for (int i = 0; i < 4; i++)
    finger (ps, h, i, ext[h->gesture][i], fan[h->gesture][i]);
  thumb (ps, h, h->gesture == NN_GESTURE_PALM);
}

/* Local extent (unrotated) of the hand parts, for centring. */
static void
parts_extent (const Parts *ps, double *u0, double *v0, double *u1, double *v1)
{
  *u0 = *v0 = 1e9;
  *u1 = *v1 = -1e9;
  for (int i = 0; i < ps->n; i++) {
    const Part *p = &ps->p[i];
    if (!p->hand)
      continue;
    double xs[2], ys[2], r = p->r;
    if (p->kind == PART_BOX) {
      xs[0] = p->ax - p->bx, xs[1] = p->ax + p->bx, ys[0] = p->ay - p->by, ys[1] = p->ay + p->by;
      r = 0;
    } else {
      xs[0] = p->ax, xs[1] = p->bx, ys[0] = p->ay, ys[1] = p->by;
    }
    for (int k = 0; k < 2; k++) {
      *u0 = MIN (*u0, xs[k] - r), *u1 = MAX (*u1, xs[k] + r);
      *v0 = MIN (*v0, ys[k] - r), *v1 = MAX (*v1, ys[k] + r);
    }
  }
}

/* ---- random hands and scenes ---------------------------------------------- */

static void
random_skin (double rgb[3], GRand *r)
{
  static const double light[3] = { 240, 200, 170 }, dark[3] = { 90, 58, 40 };
  double t = uni (r, 0, 1);
  for (int c = 0; c < 3; c++)
    rgb[c] = CLAMP (light[c] + t * (dark[c] - light[c]) + uni (r, -12, 12), 0, 255);
}

static void
random_colour (double rgb[3], GRand *r)
{
  for (int c = 0; c < 3; c++)
    rgb[c] = uni (r, 0, 255);
}

void
nn_hand_random (NnHand *h, NnGesture g, double cx, double cy, double height, double max_angle, GRand *rng)
{
  memset (h, 0, sizeof *h);
  h->gesture = g;
  h->cx = cx;
  h->cy = cy;
  h->scale = height / 0.85;
  h->angle = uni (rng, -max_angle, max_angle);
  h->mirror = g_rand_boolean (rng);
  for (int i = 0; i < 5; i++)
    h->length[i] = uni (rng, 0.85, 1.15);
  h->spread = uni (rng, 0.6, 1.5);
  random_skin (h->skin, rng);
  h->forearm = g_rand_double (rng) < 0.65 ? uni (rng, 0.15, 0.6) : 0.0;
}

static void
random_shape (NnShapeSpec *sh, int w, int h, double size, GRand *r)
{
  sh->kind = g_rand_int_range (r, 0, 3);
  sh->x0 = uni (r, 0, w);
  sh->y0 = uni (r, 0, h);
  double a = uni (r, 0, 2 * G_PI), len = uni (r, 0.3, 1.0) * size;
  sh->x1 = sh->x0 + cos (a) * len;
  sh->y1 = sh->y0 + sin (a) * len;
  sh->r = uni (r, 0.08, 0.35) * size;
  /* skin-coloured clutter, so colour alone does not say "hand" */
  if (g_rand_double (r) < 0.4)
    random_skin (sh->rgb, r);
  else
    random_colour (sh->rgb, r);
}

void
nn_scene_random (NnScene *s, int width, int height, double clutter_scale, GRand *r)
{
  memset (s, 0, sizeof *s);
  s->width = width;
  s->height = height;
  s->texture = g_rand_int_range (r, 0, 4);
  random_colour (s->c1, r);
  if (g_rand_double (r) < 0.5) {
    for (int c = 0; c < 3; c++)  /* low contrast background */
      s->c2[c] = CLAMP (s->c1[c] + uni (r, -50, 50), 0, 255);
  } else {
    random_colour (s->c2, r);
  }
  s->freq = uni (r, 0.15, 1.2) * 2 * G_PI / MAX (4.0, clutter_scale * 0.5);
  s->phase = uni (r, 0, 2 * G_PI);
  s->dir = uni (r, 0, G_PI);
  for (int i = 0; i < 16; i++)
    s->blotch[i] = g_rand_double (r);
  s->n_shapes = g_rand_int_range (r, 0, NN_SCENE_MAX_SHAPES - 3);
  for (int i = 0; i < s->n_shapes; i++)
    random_shape (&s->shapes[i], width, height, clutter_scale, r);
  s->gain = uni (r, 0.55, 1.3);
  s->light = uni (r, 0.0, 0.45);
  s->light_dir = uni (r, 0, 2 * G_PI);
  for (int c = 0; c < 3; c++)
    s->cast[c] = uni (r, 0.9, 1.1);
  s->blur = g_rand_int_range (r, 0, 3);
  s->noise = g_rand_double (r) < 0.2 ? 0.0 : uni (r, 1.0, 12.0);
}

/* ---- drawing --------------------------------------------------------------- */

static void
background (const NnScene *s, int x, int y, double out[3])
{
  double px = x + 0.5, py = y + 0.5, t;
  double proj = px * cos (s->dir) + py * sin (s->dir);
  switch (s->texture) {
  case 0:
    t = proj / (s->width + s->height);
    break;
  case 1:
    t = 0.5 + 0.5 * sin (proj * s->freq + s->phase);
    break;
  case 2: {
    int cell = MAX (2, (int) (6.0 / s->freq * 2));
    t = ((int) (px / cell) + (int) (py / cell)) & 1;
    break;
  }
  default: {
    double gx = px / s->width * 3.0, gy = py / s->height * 3.0;
    int ix = MIN ((int) gx, 2), iy = MIN ((int) gy, 2);
    double fx = gx - ix, fy = gy - iy;
    const double *b = s->blotch;
    t = (b[iy * 4 + ix] * (1 - fx) + b[iy * 4 + ix + 1] * fx) * (1 - fy) +
        (b[(iy + 1) * 4 + ix] * (1 - fx) + b[(iy + 1) * 4 + ix + 1] * fx) * fy;
    break;
  }
  }
  t = CLAMP (t, 0.0, 1.0);
  for (int c = 0; c < 3; c++)
    out[c] = s->c1[c] + t * (s->c2[c] - s->c1[c]);
}

static double
shape_sdf (const NnShapeSpec *sh, double x, double y)
{
  Part p;
  switch (sh->kind) {
  case 0:
    p = (Part) { PART_BOX, (sh->x0 + sh->x1) / 2, (sh->y0 + sh->y1) / 2, fabs (sh->x1 - sh->x0) / 2 + 1,
                 fabs (sh->y1 - sh->y0) / 2 + 1, 0.5, FALSE };
    return part_sdf (&p, x, y);
  case 1: {
    /* ellipse, approximately: scaled circle distance */
    double rx = fabs (sh->x1 - sh->x0) / 2 + sh->r, ry = sh->r * 1.5 + 1;
    double dx = (x - sh->x0) / rx, dy = (y - sh->y0) / ry;
    return (sqrt (dx * dx + dy * dy) - 1.0) * MIN (rx, ry);
  }
  default:
    p = (Part) { PART_CAPSULE, sh->x0, sh->y0, sh->x1, sh->y1, sh->r, FALSE };
    return part_sdf (&p, x, y);
  }
}

static void
blend (double dst[3], const double src[3], double a)
{
  for (int c = 0; c < 3; c++)
    dst[c] += a * (src[c] - dst[c]);
}

/* Painter's order: later parts cover earlier ones, each with a dark outline
 * about a pixel wide so fingers stay apart from the palm they cross. */
static double
draw_hand_pixel (const NnHand *h, const Parts *ps, double u0, double v0, double x, double y, double px[3])
{
  double dx = (x - h->cx) / h->scale, dy = (y - h->cy) / h->scale;
  double ca = cos (h->angle), sa = sin (h->angle);
  double u = ca * dx - sa * dy, v = -(sa * dx + ca * dy);
  if (h->mirror)
    u = -u;
  u += u0;
  v += v0;
  double cover = 0.0;
  for (int i = 0; i < ps->n; i++) {
    double d = part_sdf (&ps->p[i], u, v) * h->scale;  /* pixels */
    double a = CLAMP (0.5 - d, 0.0, 1.0);
    if (a <= 0)
      continue;
    double shade = (1.0 - 0.45 * exp (-(-d) / 1.1)) * (0.88 + 0.12 * CLAMP (v * 2, -1, 1));
    double col[3] = { h->skin[0] * shade, h->skin[1] * shade, h->skin[2] * shade };
    blend (px, col, a);
    if (ps->p[i].hand)
      cover = MAX (cover, a);
  }
  return cover;
}

static void
box_blur (guint8 *rgb, int w, int h, int passes)
{
  g_autofree guint8 *tmp = g_malloc ((gsize) w * h * 3);
  for (int p = 0; p < passes; p++) {
    for (int y = 0; y < h; y++)
      for (int x = 0; x < w; x++)
        for (int c = 0; c < 3; c++) {
          int xa = MAX (x - 1, 0), xb = MIN (x + 1, w - 1);
          tmp[(y * w + x) * 3 + c] = (rgb[(y * w + xa) * 3 + c] + 2 * rgb[(y * w + x) * 3 + c] +
                                      rgb[(y * w + xb) * 3 + c] + 2) / 4;
        }
    for (int y = 0; y < h; y++)
      for (int x = 0; x < w; x++)
        for (int c = 0; c < 3; c++) {
          int ya = MAX (y - 1, 0), yb = MIN (y + 1, h - 1);
          rgb[(y * w + x) * 3 + c] = (tmp[(ya * w + x) * 3 + c] + 2 * tmp[(y * w + x) * 3 + c] +
                                      tmp[(yb * w + x) * 3 + c] + 2) / 4;
        }
  }
}

static void
light_and_noise (const NnScene *s, double x, double y, double px[3], GRand *rng)
{
  double nx = x / s->width - 0.5, ny = y / s->height - 0.5;
  double l = s->gain * (1.0 + s->light * 2.0 * (nx * cos (s->light_dir) + ny * sin (s->light_dir)));
  for (int c = 0; c < 3; c++)
    px[c] = px[c] * l * s->cast[c] + (s->noise > 0 ? s->noise * gauss (rng) : 0.0);
}

void
nn_gesture_draw (const NnScene *s, const NnHand *hand, GRand *rng, guint8 *rgb, guint8 *mask, NnGestureBox *box)
{
  Parts ps = { .n = 0 };
  double u0 = 0, v0 = 0;
  if (hand) {
    double a0, b0, a1, b1;
    hand_parts (hand, &ps);
    parts_extent (&ps, &a0, &b0, &a1, &b1);
    u0 = (a0 + a1) / 2;
    v0 = (b0 + b1) / 2;
  }
  int bx0 = s->width, by0 = s->height, bx1 = -1, by1 = -1;
  for (int y = 0; y < s->height; y++)
    for (int x = 0; x < s->width; x++) {
      double px[3], cx = x + 0.5, cy = y + 0.5;
      background (s, x, y, px);
      for (int i = 0; i < s->n_shapes; i++)
        blend (px, s->shapes[i].rgb, CLAMP (0.5 - shape_sdf (&s->shapes[i], cx, cy), 0.0, 1.0));
      double cover = hand ? draw_hand_pixel (hand, &ps, u0, v0, cx, cy, px) : 0.0;
      if (mask)
        mask[y * s->width + x] = (guint8) (cover * 255 + 0.5);
      if (cover >= 0.5) {
        bx0 = MIN (bx0, x), by0 = MIN (by0, y), bx1 = MAX (bx1, x), by1 = MAX (by1, y);
      }
      guint8 *o = rgb + ((gsize) y * s->width + x) * 3;
      for (int c = 0; c < 3; c++)
        o[c] = (guint8) CLAMP (px[c], 0, 255);
    }
  if (s->blur)
    box_blur (rgb, s->width, s->height, s->blur);
  for (int y = 0; y < s->height; y++)
    for (int x = 0; x < s->width; x++) {
      guint8 *o = rgb + ((gsize) y * s->width + x) * 3;
      double px[3] = { o[0], o[1], o[2] };
      light_and_noise (s, x + 0.5, y + 0.5, px, rng);
      for (int c = 0; c < 3; c++)
        o[c] = (guint8) CLAMP (px[c] + 0.5, 0, 255);
    }
  if (box) {
    if (bx1 >= 0)
      *box = (NnGestureBox) { bx0, by0, bx1 - bx0 + 1, by1 - by0 + 1 };
    else
      *box = (NnGestureBox) { 0, 0, 0, 0 };
  }
}

/* ---- PNG ----------------------------------------------------------------------- */

gboolean
nn_write_png (const char *path, const guint8 *rgb, const guint8 *alpha, int width, int height, GError **error)
{
  const AVCodec *codec = avcodec_find_encoder (AV_CODEC_ID_PNG);
  AVCodecContext *ctx = codec ? avcodec_alloc_context3 (codec) : NULL;
  AVFrame *f = av_frame_alloc ();
  AVPacket *pkt = av_packet_alloc ();
  enum AVPixelFormat fmt = alpha ? AV_PIX_FMT_RGBA : AV_PIX_FMT_RGB24;
  int bpp = alpha ? 4 : 3;
  gboolean ok = FALSE;
  if (!ctx || !f || !pkt)
    goto out;
  ctx->width = width;
  ctx->height = height;
  ctx->pix_fmt = fmt;
  ctx->time_base = (AVRational) { 1, 25 };
  f->width = width;
  f->height = height;
  f->format = fmt;
  if (avcodec_open2 (ctx, codec, NULL) < 0 || av_frame_get_buffer (f, 0) < 0)
    goto out;
  for (int y = 0; y < height; y++) {
    guint8 *row = f->data[0] + (gsize) y * f->linesize[0];
    const guint8 *src = rgb + (gsize) y * width * 3;
    for (int x = 0; x < width; x++) {
      memcpy (row + x * bpp, src + x * 3, 3);
      if (alpha)
        row[x * bpp + 3] = alpha[(gsize) y * width + x];
    }
  }
  if (avcodec_send_frame (ctx, f) < 0 || avcodec_send_frame (ctx, NULL) < 0 ||
      avcodec_receive_packet (ctx, pkt) < 0)
    goto out;
  ok = g_file_set_contents (path, (const char *) pkt->data, pkt->size, error);
  if (!ok)
    goto done;
out:
  if (!ok)
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "%s: cannot encode a PNG", path);
done:
  av_packet_free (&pkt);
  av_frame_free (&f);
  avcodec_free_context (&ctx);
  return ok;
}

void
nn_gesture_video_render (const NnGesture *seq, int n_seq, int per, int width, int height, int fps, gboolean centre,
                         guint32 seed, guint8 *frames, NnGestureBox *boxes)
{
  g_return_if_fail (seq && n_seq > 0 && per > 0 && width > 0 && height > 0 && fps > 0 && frames);
  int n = per * n_seq;
  gsize fsize = (gsize) width * height * 3;
  GRand *rng = g_rand_new_with_seed (seed);
  NnScene s;
  nn_scene_random (&s, width, height, MIN (width, height) * (centre ? 0.25 : 0.12), rng);
  s.noise = MIN (s.noise, 6.0);
  NnHand base;
  nn_hand_random (&base, NN_GESTURE_PALM, width / 2.0, height / 2.0, MIN (width, height) * (centre ? 0.7 : 0.3), 0.2,
                  rng);
  double ax = centre ? 0.03 : 0.25, ay = centre ? 0.03 : 0.2;
  for (int i = 0; i < n; i++) {
    NnGesture g = seq[i / per];
    NnHand h = base;
    double t = (double) i / fps;
    h.gesture = g;
    h.cx = width * (0.5 + ax * sin (t * 0.9));
    h.cy = height * (0.5 + ay * sin (t * 1.3 + 1.0));
    h.angle = base.angle + 0.1 * sin (t * 0.7);
    NnGestureBox box;
    nn_gesture_draw (&s, g == NN_GESTURE_NONE ? NULL : &h, rng, frames + fsize * i, NULL, &box);
    if (boxes)
      boxes[i] = box;
  }
  g_rand_free (rng);
}
