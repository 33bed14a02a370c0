/* nngansrc: a source of raw video frames drawn by a generator model.
 *
 * SECTION:element-nngansrc
 *
 * Each frame is a grid of generated images (one by default), scaled to the
 * negotiated size. With `walk` > 0 every tile moves along a spherical path
 * between random latent points, so the picture morphs smoothly; with 0 each
 * frame shows fresh samples. A conditional generator draws the `class` asked
 * for, or random classes. Frames are timestamped from the caps' frame rate;
 * `num-buffers` ends the stream with EOS; `is-live` makes it a live source.
 * The model must be a generator by what its spec declares (a "gan" block):
 * any other kind is refused when the element starts, the error naming the
 * kind found (nn_model_kind (), docs/security.md).
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 nngansrc model=models/fashion-dcgan.safetensors class=sneaker walk=0.05 grid=4x4 num-buffers=300 ! \
 *     video/x-raw,width=448,height=448,framerate=30/1 ! videoconvert ! autovideosink
 * ]|
 */
#include "gstnngansrc.h"
#include <nn/nn.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

GST_DEBUG_CATEGORY_STATIC (nn_gan_src_debug);
#define GST_CAT_DEFAULT nn_gan_src_debug

#define DEFAULT_PROP_MODEL NULL
#define DEFAULT_PROP_SEED 0
#define DEFAULT_PROP_CLASS NULL
#define DEFAULT_PROP_WALK 0.0
#define DEFAULT_PROP_GRID "1x1"
#define DEFAULT_PROP_IS_LIVE FALSE
#define DEFAULT_FPS_N 30

enum {
  PROP_0,
  PROP_MODEL,
  PROP_SEED,
  PROP_CLASS,
  PROP_WALK,
  PROP_GRID,
  PROP_IS_LIVE,
};

struct _GstNnGanSrc {
  GstPushSrc parent;

  /* properties, under the object lock */
  char    *model_path;
  guint64  seed;
  char    *class_name;
  gdouble  walk;
  int      cols, rows;

  /* from start() to stop() */
  NnModel  *model;
  NnGanSpec spec;
  int       cls;          /* asked-for class, -1 random */
  int       c, h, w;      /* the generator's image */
  int       in;           /* input values per sample */
  GRand    *rng;
  float    *z, *from, *to; /* (tiles, in): current input, walk start and end */
  float     t;            /* position on the walk, [0, 1) */
  guint8   *tile;         /* (h, w, c) one generated image as 8-bit pixels */

  /* from set_caps() */
  GstVideoInfo info;
  guint64   n_frames;
  GstClockTime running;
};

G_DEFINE_TYPE (GstNnGanSrc, gst_nn_gan_src, GST_TYPE_PUSH_SRC);
GST_ELEMENT_REGISTER_DEFINE (nngansrc, "nngansrc", GST_RANK_NONE, GST_TYPE_NN_GAN_SRC);

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src", GST_PAD_SRC, GST_PAD_ALWAYS,
  GST_STATIC_CAPS (GST_VIDEO_CAPS_MAKE ("{ GRAY8, RGB }")));

static int
tiles (const GstNnGanSrc *self)
{
  return self->cols * self->rows;
}

/* ---- latent inputs ----------------------------------------------------------- */

static void
draw_point (GstNnGanSrc *self, float *p)
{
  nn_gan_sample_input (&self->spec, self->rng, self->cls, p);
}

/* Tiles keep their class along the walk: only the latent part moves. */
static void
walk_step (GstNnGanSrc *self, gdouble speed)
{
  int n = tiles (self), in = self->in, lat = self->spec.latent;
  if (speed <= 0.0) {
    /* the first frame shows the walk's start either way */
    for (int i = 0; self->n_frames > 0 && i < n; i++)
      draw_point (self, self->z + (gsize) i * in);
    return;
  }
  for (int i = 0; i < n; i++)
    nn_gan_slerp (self->from + (gsize) i * in, self->to + (gsize) i * in, lat, self->t, self->z + (gsize) i * in);
  self->t += (float) speed;
  while (self->t >= 1.0f) {
    self->t -= 1.0f;
    for (int i = 0; i < n; i++) {
      float *a = self->from + (gsize) i * in, *b = self->to + (gsize) i * in;
      memcpy (a, b, sizeof (float) * in);
      draw_point (self, b);
      memcpy (b + lat, a + lat, sizeof (float) * (in - lat));
    }
  }
}

static void
walk_reset (GstNnGanSrc *self)
{
  int n = tiles (self), in = self->in;
  g_rand_set_seed (self->rng, (guint32) (self->seed ^ (self->seed >> 32)));
  self->t = 0.0f;
  for (int i = 0; i < n; i++) {
    draw_point (self, self->from + (gsize) i * in);
    draw_point (self, self->to + (gsize) i * in);
    /* the walk's end keeps the start's class */
    memcpy (self->to + (gsize) i * in + self->spec.latent, self->from + (gsize) i * in + self->spec.latent,
            sizeof (float) * (in - self->spec.latent));
    memcpy (self->z + (gsize) i * in, self->from + (gsize) i * in, sizeof (float) * in);
  }
}

/* ---- start / stop ------------------------------------------------------------------ */

static void
release (GstNnGanSrc *self)
{
  g_clear_pointer (&self->model, nn_model_free);
  nn_gan_spec_clear (&self->spec);
  g_clear_pointer (&self->rng, g_rand_free);
  g_clear_pointer (&self->z, g_free);
  g_clear_pointer (&self->from, g_free);
  g_clear_pointer (&self->to, g_free);
  g_clear_pointer (&self->tile, g_free);
}

static gboolean
image_output (const NnModel *m)
{
  const NnShape *os = nn_model_output_shape (m);
  return os->ndim == 3 && (os->dim[0] == 1 || os->dim[0] == 3);
}

static gboolean
gst_nn_gan_src_start (GstBaseSrc *bsrc)
{
  GstNnGanSrc *self = GST_NN_GAN_SRC (bsrc);
  g_autoptr (GError) err = NULL;
  GST_OBJECT_LOCK (self);
  g_autofree char *path = g_strdup (self->model_path);
  g_autofree char *cls = g_strdup (self->class_name);
  GST_OBJECT_UNLOCK (self);
  if (!path)
    goto no_model;
  if (!(self->model = nn_model_load (path, &err)))
    goto load_failed;
  /* a generator by what its spec declares ("gan"), whatever its shapes */
  if (!nn_model_check_kind (self->model, NN_MODEL_KIND_GENERATOR, &err))
    goto not_generator;
  if (!nn_gan_spec (self->model, &self->spec, &err))
    goto not_generator;
  if (!image_output (self->model))
    goto not_images;
  self->cls = -1;
  if (cls && *cls && (self->cls = nn_gan_class_index (&self->spec, cls, &err)) < 0)
    goto bad_class;
  const NnShape *os = nn_model_output_shape (self->model);
  self->c = (int) os->dim[0], self->h = (int) os->dim[1], self->w = (int) os->dim[2];
  self->in = nn_gan_input_size (&self->spec);
  gsize zsz = (gsize) tiles (self) * self->in;
  self->z = g_new (float, zsz);
  self->from = g_new (float, zsz);
  self->to = g_new (float, zsz);
  self->tile = g_new (guint8, (gsize) self->c * self->h * self->w);
  self->rng = g_rand_new ();
  if (!nn_model_reserve (self->model, tiles (self), &err))
    goto load_failed;
  walk_reset (self);
  self->n_frames = 0;
  self->running = 0;
  return TRUE;

  /* ERRORS */
no_model:
  GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND, ("No model set"), ("set the \"model\" property to a generator"));
  return FALSE;
load_failed:
  GST_ELEMENT_ERROR (self, RESOURCE, OPEN_READ, ("Could not load model \"%s\"", path), ("%s", err->message));
  release (self);
  return FALSE;
not_generator:
  GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS, ("Model \"%s\" is not a generator", path), ("%s", err->message));
  release (self);
  return FALSE;
not_images:
  GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS, ("Model \"%s\" does not generate gray or RGB images", path), (NULL));
  release (self);
  return FALSE;
bad_class:
  GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS, ("Bad class \"%s\" for model \"%s\"", cls, path), ("%s", err->message));
  release (self);
  return FALSE;
}

static gboolean
gst_nn_gan_src_stop (GstBaseSrc *bsrc)
{
  release (GST_NN_GAN_SRC (bsrc));
  return TRUE;
}

/* ---- caps ---------------------------------------------------------------------------- */

/* The generator's size times the grid, at 30 frames/s, unless downstream says otherwise. */
static GstCaps *
gst_nn_gan_src_fixate (GstBaseSrc *bsrc, GstCaps *caps)
{
  GstNnGanSrc *self = GST_NN_GAN_SRC (bsrc);
  caps = gst_caps_make_writable (caps);
  GstStructure *s = gst_caps_get_structure (caps, 0);
  int w = self->model ? self->w * self->cols : 64, h = self->model ? self->h * self->rows : 64;
  gst_structure_fixate_field_nearest_int (s, "width", w);
  gst_structure_fixate_field_nearest_int (s, "height", h);
  gst_structure_fixate_field_nearest_fraction (s, "framerate", DEFAULT_FPS_N, 1);
  if (self->model)
    gst_structure_fixate_field_string (s, "format", self->c == 1 ? "GRAY8" : "RGB");
  return GST_BASE_SRC_CLASS (gst_nn_gan_src_parent_class)->fixate (bsrc, caps);
}

static gboolean
gst_nn_gan_src_set_caps (GstBaseSrc *bsrc, GstCaps *caps)
{
  GstNnGanSrc *self = GST_NN_GAN_SRC (bsrc);
  GstVideoInfo info;
  if (!gst_video_info_from_caps (&info, caps))
    goto bad_caps;
  self->info = info;
  gst_base_src_set_blocksize (bsrc, GST_VIDEO_INFO_SIZE (&info));
  GST_DEBUG_OBJECT (self, "caps %" GST_PTR_FORMAT, caps);
  return TRUE;

  /* ERRORS */
bad_caps:
  GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, (NULL), ("invalid caps %" GST_PTR_FORMAT, caps));
  return FALSE;
}

/* ---- frames ------------------------------------------------------------------------------ */

static void
to_pixels (GstNnGanSrc *self, const float *img)
{
  int hw = self->h * self->w;
  float lo = self->spec.lo, scale = 255.0f / (self->spec.hi - self->spec.lo);
  for (int p = 0; p < hw; p++)
    for (int k = 0; k < self->c; k++) {
      float u = (img[(gsize) k * hw + p] - lo) * scale + 0.5f;
      self->tile[(gsize) p * self->c + k] = (guint8) CLAMP (u, 0.0f, 255.0f);
    }
}

/* Bilinear sample of the tile at (fx, fy) in tile pixels, channel k. */
static guint8
tile_at (const GstNnGanSrc *self, float fx, float fy, int k)
{
  fx = CLAMP (fx, 0.0f, (float) (self->w - 1));
  fy = CLAMP (fy, 0.0f, (float) (self->h - 1));
  int x0 = (int) fx, y0 = (int) fy, x1 = MIN (x0 + 1, self->w - 1), y1 = MIN (y0 + 1, self->h - 1);
  float ax = fx - x0, ay = fy - y0;
  const guint8 *t = self->tile;
  int c = self->c;
  float top = t[(y0 * self->w + x0) * c + k] * (1 - ax) + t[(y0 * self->w + x1) * c + k] * ax;
  float bot = t[(y1 * self->w + x0) * c + k] * (1 - ax) + t[(y1 * self->w + x1) * c + k] * ax;
  return (guint8) (top * (1 - ay) + bot * ay + 0.5f);
}

/* Paints the tile into cell (col, row) of the frame, scaled to the cell. */
static void
paint_cell (GstNnGanSrc *self, GstVideoFrame *f, int col, int row)
{
  int fw = GST_VIDEO_FRAME_WIDTH (f), fh = GST_VIDEO_FRAME_HEIGHT (f);
  int x0 = col * fw / self->cols, x1 = (col + 1) * fw / self->cols;
  int y0 = row * fh / self->rows, y1 = (row + 1) * fh / self->rows;
  gboolean rgb = GST_VIDEO_FRAME_FORMAT (f) == GST_VIDEO_FORMAT_RGB;
  guint8 *d = GST_VIDEO_FRAME_PLANE_DATA (f, 0);
  int stride = GST_VIDEO_FRAME_PLANE_STRIDE (f, 0), out_c = rgb ? 3 : 1;
  float sx = (float) self->w / MAX (x1 - x0, 1), sy = (float) self->h / MAX (y1 - y0, 1);
  for (int y = y0; y < y1; y++) {
    float fy = (y - y0 + 0.5f) * sy - 0.5f;
    for (int x = x0; x < x1; x++) {
      float fx = (x - x0 + 0.5f) * sx - 0.5f;
      guint8 *px = d + (gsize) y * stride + (gsize) x * out_c;
      if (self->c == out_c) {
        for (int k = 0; k < out_c; k++)
          px[k] = tile_at (self, fx, fy, k);
      } else if (out_c == 3) {
        px[0] = px[1] = px[2] = tile_at (self, fx, fy, 0);
      } else {
        /* RGB generator, gray output: BT.601 luma */
        px[0] = (guint8) ((77 * tile_at (self, fx, fy, 0) + 150 * tile_at (self, fx, fy, 1) +
                           29 * tile_at (self, fx, fy, 2) + 128) >> 8);
      }
    }
  }
}

static void
stamp (GstNnGanSrc *self, GstBuffer *buf)
{
  int fn = GST_VIDEO_INFO_FPS_N (&self->info), fd = GST_VIDEO_INFO_FPS_D (&self->info);
  GST_BUFFER_PTS (buf) = self->running;
  GST_BUFFER_DTS (buf) = GST_CLOCK_TIME_NONE;
  GST_BUFFER_OFFSET (buf) = self->n_frames;
  GST_BUFFER_OFFSET_END (buf) = ++self->n_frames;
  if (fn > 0) {
    GstClockTime next = gst_util_uint64_scale_int (self->n_frames * GST_SECOND, fd, fn);
    GST_BUFFER_DURATION (buf) = next - self->running;
    self->running = next;
  } else {
    GST_BUFFER_DURATION (buf) = GST_CLOCK_TIME_NONE;
  }
}

static GstFlowReturn
gst_nn_gan_src_fill (GstPushSrc *psrc, GstBuffer *buf)
{
  GstNnGanSrc *self = GST_NN_GAN_SRC (psrc);
  g_autoptr (GError) err = NULL;
  GstVideoFrame frame;
  if (GST_VIDEO_INFO_FORMAT (&self->info) == GST_VIDEO_FORMAT_UNKNOWN)
    goto not_negotiated;
  GST_OBJECT_LOCK (self);
  gdouble speed = self->walk;
  GST_OBJECT_UNLOCK (self);
  walk_step (self, speed);
  const float *out = nn_model_forward (self->model, self->z, tiles (self), FALSE, &err);
  if (!out)
    goto forward_failed;
  if (!gst_video_frame_map (&frame, &self->info, buf, GST_MAP_WRITE))
    goto map_failed;
  for (int i = 0; i < tiles (self); i++) {
    to_pixels (self, out + (gsize) i * self->c * self->h * self->w);
    paint_cell (self, &frame, i % self->cols, i / self->cols);
  }
  gst_video_frame_unmap (&frame);
  stamp (self, buf);
  return GST_FLOW_OK;

  /* ERRORS */
not_negotiated:
  GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, (NULL), ("format was not negotiated"));
  return GST_FLOW_NOT_NEGOTIATED;
forward_failed:
  GST_ELEMENT_ERROR (self, STREAM, FAILED, ("Generation failed"), ("%s", err->message));
  return GST_FLOW_ERROR;
map_failed:
  GST_ELEMENT_ERROR (self, STREAM, FAILED, ("Could not map the video frame"), (NULL));
  return GST_FLOW_ERROR;
}

/* A live source hands frames out at their running time. */
static void
gst_nn_gan_src_get_times (GstBaseSrc *bsrc, GstBuffer *buf, GstClockTime *start, GstClockTime *end)
{
  *start = *end = GST_CLOCK_TIME_NONE;
  if (!gst_base_src_is_live (bsrc))
    return;
  GstClockTime ts = GST_BUFFER_PTS (buf);
  if (GST_CLOCK_TIME_IS_VALID (ts)) {
    *start = ts;
    if (GST_BUFFER_DURATION_IS_VALID (buf))
      *end = ts + GST_BUFFER_DURATION (buf);
  }
}

/* ---- properties ------------------------------------------------------------------------------ */

static gboolean
parse_grid (const char *s, int *cols, int *rows)
{
  unsigned c = 0, r = 0;
  char extra;
  if (!s || sscanf (s, "%ux%u%c", &c, &r, &extra) != 2 || c < 1 || r < 1 || c > 64 || r > 64)
    return FALSE;
  *cols = (int) c;
  *rows = (int) r;
  return TRUE;
}

static void
gst_nn_gan_src_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  GstNnGanSrc *self = GST_NN_GAN_SRC (object);
  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_MODEL:
      g_free (self->model_path);
      self->model_path = g_value_dup_string (value);
      break;
    case PROP_SEED:
      self->seed = g_value_get_uint64 (value);
      break;
    case PROP_CLASS:
      g_free (self->class_name);
      self->class_name = g_value_dup_string (value);
      break;
    case PROP_WALK:
      self->walk = g_value_get_double (value);
      break;
    case PROP_GRID:
      if (!parse_grid (g_value_get_string (value), &self->cols, &self->rows))
        g_warning ("nngansrc: grid \"%s\" is not COLSxROWS (1x1 to 64x64)", g_value_get_string (value));
      break;
    case PROP_IS_LIVE:
      GST_OBJECT_UNLOCK (self);
      gst_base_src_set_live (GST_BASE_SRC (self), g_value_get_boolean (value));
      return;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_nn_gan_src_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  GstNnGanSrc *self = GST_NN_GAN_SRC (object);
  if (prop_id == PROP_IS_LIVE) {
    g_value_set_boolean (value, gst_base_src_is_live (GST_BASE_SRC (self)));
    return;
  }
  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_MODEL:
      g_value_set_string (value, self->model_path);
      break;
    case PROP_SEED:
      g_value_set_uint64 (value, self->seed);
      break;
    case PROP_CLASS:
      g_value_set_string (value, self->class_name);
      break;
    case PROP_WALK:
      g_value_set_double (value, self->walk);
      break;
    case PROP_GRID:
      g_value_take_string (value, g_strdup_printf ("%dx%d", self->cols, self->rows));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_nn_gan_src_finalize (GObject *object)
{
  GstNnGanSrc *self = GST_NN_GAN_SRC (object);
  release (self);
  g_free (self->model_path);
  g_free (self->class_name);
  G_OBJECT_CLASS (gst_nn_gan_src_parent_class)->finalize (object);
}

static void
install_properties (GObjectClass *oc)
{
  GParamFlags rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS;
  g_object_class_install_property (oc, PROP_MODEL,
    g_param_spec_string ("model", "Model", "Generator: a .safetensors written by nn train-gan (its spec has a "
                         "\"gan\" block); loaded when the element starts", DEFAULT_PROP_MODEL,
                         rw | GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (oc, PROP_SEED,
    g_param_spec_uint64 ("seed", "Seed", "Random seed of the latent points: the same seed gives the same frames",
                         0, G_MAXUINT64, DEFAULT_PROP_SEED, rw | GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (oc, PROP_CLASS,
    g_param_spec_string ("class", "Class", "Class to generate, by name or index (conditional generators); "
                         "unset: a random class per tile", DEFAULT_PROP_CLASS, rw | GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (oc, PROP_WALK,
    g_param_spec_double ("walk", "Latent walk", "Share of the way between two random latent points travelled per "
                         "frame along a spherical path (0: fresh samples every frame)", 0.0, 1.0,
                         DEFAULT_PROP_WALK, rw | GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (oc, PROP_GRID,
    g_param_spec_string ("grid", "Grid", "Tiles per frame, COLSxROWS (e.g. 4x4)", DEFAULT_PROP_GRID,
                         rw | GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (oc, PROP_IS_LIVE,
    g_param_spec_boolean ("is-live", "Is live", "Act as a live source (frames at their running time)",
                          DEFAULT_PROP_IS_LIVE, rw));
}

static void
gst_nn_gan_src_class_init (GstNnGanSrcClass *klass)
{
  GObjectClass *oc = G_OBJECT_CLASS (klass);
  GstElementClass *ec = GST_ELEMENT_CLASS (klass);
  GstBaseSrcClass *bc = GST_BASE_SRC_CLASS (klass);
  oc->set_property = gst_nn_gan_src_set_property;
  oc->get_property = gst_nn_gan_src_get_property;
  oc->finalize = gst_nn_gan_src_finalize;
  install_properties (oc);
  gst_element_class_add_static_pad_template (ec, &src_template);
  gst_element_class_set_static_metadata (ec, "Neural-network GAN source", "Source/Video",
                                         "Video frames drawn by a libnn generator (GAN), with latent walks",
                                         "gst-nn project");
  bc->start = GST_DEBUG_FUNCPTR (gst_nn_gan_src_start);
  bc->stop = GST_DEBUG_FUNCPTR (gst_nn_gan_src_stop);
  bc->fixate = GST_DEBUG_FUNCPTR (gst_nn_gan_src_fixate);
  bc->set_caps = GST_DEBUG_FUNCPTR (gst_nn_gan_src_set_caps);
  bc->get_times = GST_DEBUG_FUNCPTR (gst_nn_gan_src_get_times);
  GST_PUSH_SRC_CLASS (klass)->fill = GST_DEBUG_FUNCPTR (gst_nn_gan_src_fill);
  GST_DEBUG_CATEGORY_INIT (nn_gan_src_debug, "nngansrc", 0, "libnn GAN video source");
}

static void
gst_nn_gan_src_init (GstNnGanSrc *self)
{
  self->seed = DEFAULT_PROP_SEED;
  self->walk = DEFAULT_PROP_WALK;
  self->cols = self->rows = 1;
  gst_video_info_init (&self->info);
  gst_base_src_set_format (GST_BASE_SRC (self), GST_FORMAT_TIME);
  gst_base_src_set_live (GST_BASE_SRC (self), DEFAULT_PROP_IS_LIVE);
}
