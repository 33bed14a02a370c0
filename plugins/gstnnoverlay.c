/**
 * SECTION:element-nnoverlay
 * @title: nnoverlay
 *
 * Draws the classification that nnclassify attached upstream: the best label
 * and its score as a title, then one row per top-k class with its label and
 * a bar as long as its score, on a shaded panel in the top-left corner.
 * Frames without a result of their own (with nnclassify's
 * inference-interval > 1, or under its threshold) show the latest result
 * seen. When the result covers only part of the frame (nnclassify mode=map),
 * its box is outlined and labelled as well.
 *
 * Text is laid out by Pango and drawn by cairo, as GStreamer's own
 * textoverlay does: any UTF-8 label (accents, dashes, other scripts) in the
 * font given by #GstNnOverlay:font-desc, at a size that follows the frame
 * (#GstNnOverlay:font-size 0: a sixteenth of the shorter side) unless set.
 * A label with characters no installed font has (drawn as hex boxes) posts a
 * warning once. The drawing is blended into the frame through
 * GstVideoOverlayComposition, so colours are right on every format the
 * element accepts, YUV and gray included.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 videotestsrc num-buffers=100 ! video/x-raw,width=224,height=224 ! \
 *     nnclassify model=models/fashion-lenet.safetensors ! nnoverlay font-desc="Serif Bold" ! \
 *     videoconvert ! autovideosink
 * ]|
 */
#include "gstnnoverlay.h"

#include <string.h>
#include <pango/pangocairo.h>

#include "nn-classification-meta.h"

GST_DEBUG_CATEGORY_STATIC (gst_nn_overlay_debug);
#define GST_CAT_DEFAULT gst_nn_overlay_debug

#define FORMATS "{ RGB, BGR, RGBx, BGRx, xRGB, xBGR, RGBA, BGRA, ARGB, ABGR, GRAY8, I420, YV12, NV12, NV21, Y42B, Y444 }"

enum {
  PROP_0,
  PROP_FONT_DESC,
  PROP_FONT_SIZE,
};

#define DEFAULT_PROP_FONT_DESC "Sans Bold"
#define DEFAULT_PROP_FONT_SIZE 0
#define MIN_AUTO_FONT_PX 8
#define MAX_REGIONS 6     /* panel, box label, four outline strips */

/* cairo's ARGB32 is one native-endian word per pixel: the overlay API's
 * "RGB" format, BGRA in memory on little-endian machines */
#if G_BYTE_ORDER == G_LITTLE_ENDIAN
#define CANVAS_FORMAT GST_VIDEO_FORMAT_BGRA
#else
#define CANVAS_FORMAT GST_VIDEO_FORMAT_ARGB
#endif

typedef struct {
  double r, g, b;
} Rgb;

static const Rgb text_color = { 1.0, 1.0, 1.0 };
static const Rgb bar_color = { 40 / 255.0, 220 / 255.0, 90 / 255.0 };
static const Rgb track_color = { 70 / 255.0, 70 / 255.0, 70 / 255.0 };
static const Rgb box_color = { 1.0, 200 / 255.0, 0.0 };
#define SHADE_ALPHA 0.5   /* the panel darkens the video under it by half */

struct _GstNnOverlay {
  GstVideoFilter parent;

  /* properties, under the object lock */
  gchar *font_desc;
  guint font_size;          /* pixels, 0 = from the frame size */
  gboolean props_changed;    /* the font is to be set again */

  /* streaming thread only */
  GstStructure *last;       /* latest result seen */
  gint box[4];              /* its region x, y, w, h */
  gboolean dirty;           /* `last` (or the font) changed since `comp` was drawn */
  GHashTable *warned;       /* labels already reported for missing glyphs */
  GString *title;           /* the title line, its memory reused */

  /* Pango state, used under text_lock only (made at the first drawing) */
  PangoContext *pctx;
  PangoLayout *layout;      /* reused for every piece of text */
  gboolean font_stale;      /* caps or font properties changed since apply_font */

  /* per caps: a transparent frame-sized layer the drawing goes into. Each
   * drawn region becomes an overlay rectangle that points into it (a video
   * meta with the region's offset and the canvas stride), so nothing is
   * copied; only the regions drawn last time are cleared before a redraw. */
  gint width, height;
  gint px;                  /* font size in pixels for these caps */
  gint line_h;              /* height of a line of text */
  cairo_surface_t *canvas;
  cairo_t *cr;
  GstMemory *canvas_mem;    /* wraps the canvas pixels (holds a canvas ref) */
  GstVideoOverlayComposition *comp;
  gint regions[MAX_REGIONS][4];
  gint n_regions;
};

/* One font map for every nnoverlay in the process, so fonts are found and
 * loaded once rather than per element (fontconfig matching and FreeType
 * loading are most of the cost of a first drawing). Pango font maps are not
 * thread-safe, and elements draw from their own streaming threads: all
 * Pango work (layout, metrics, showing text) holds text_lock. It is only
 * taken when a drawing is redone, never for a frame that reuses one. */
static GMutex text_lock;
static PangoFontMap *shared_fontmap;

G_DEFINE_TYPE (GstNnOverlay, gst_nn_overlay, GST_TYPE_VIDEO_FILTER);
GST_ELEMENT_REGISTER_DEFINE (nnoverlay, "nnoverlay", GST_RANK_NONE, GST_TYPE_NN_OVERLAY);

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink", GST_PAD_SINK, GST_PAD_ALWAYS,
  GST_STATIC_CAPS (GST_VIDEO_CAPS_MAKE (FORMATS)));
static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src", GST_PAD_SRC, GST_PAD_ALWAYS,
  GST_STATIC_CAPS (GST_VIDEO_CAPS_MAKE (FORMATS)));

/* A sixteenth of the shorter side: 14 px at 224x224, 30 at 640x480, 67 at
 * 1080p; never under 8 px, small frames get a panel that may be clipped. */
static int
auto_font_px (int width, int height)
{
  return MAX (MIN_AUTO_FONT_PX, MIN (width, height) / 16);
}

static void
free_canvas (GstNnOverlay *self)
{
  g_clear_pointer (&self->comp, gst_video_overlay_composition_unref);
  g_clear_pointer (&self->cr, cairo_destroy);
  if (self->canvas_mem) {
    gst_memory_unref (self->canvas_mem);
    self->canvas_mem = NULL;
  }
  g_clear_pointer (&self->canvas, cairo_surface_destroy);
  self->n_regions = 0;
}

/* The font for these caps: the description's family and style at an
 * absolute pixel size, and the line height that follows from it. Under
 * text_lock. */
static void
apply_font (GstNnOverlay *self)
{
  if (!self->layout) {
    if (!shared_fontmap)
      shared_fontmap = pango_cairo_font_map_new ();
    self->pctx = pango_font_map_create_context (shared_fontmap);
    self->layout = pango_layout_new (self->pctx);
    pango_layout_set_single_paragraph_mode (self->layout, TRUE);
    pango_layout_set_ellipsize (self->layout, PANGO_ELLIPSIZE_END);
  }
  GST_OBJECT_LOCK (self);
  PangoFontDescription *desc = pango_font_description_from_string (self->font_desc);
  int px = self->font_size ? (int) self->font_size : auto_font_px (self->width, self->height);
  self->props_changed = FALSE;
  GST_OBJECT_UNLOCK (self);
  pango_font_description_set_absolute_size (desc, px * PANGO_SCALE);
  pango_layout_set_font_description (self->layout, desc);
  pango_font_description_free (desc);
  self->px = px;
  PangoFontMetrics *m = pango_context_get_metrics (self->pctx, pango_layout_get_font_description (self->layout), NULL);
  self->line_h = PANGO_PIXELS_CEIL (pango_font_metrics_get_ascent (m) + pango_font_metrics_get_descent (m));
  pango_font_metrics_unref (m);
  self->line_h = MAX (self->line_h, 1);
  self->font_stale = FALSE;
  self->dirty = TRUE;
}

static gboolean
make_canvas (GstNnOverlay *self, int width, int height)
{
  free_canvas (self);
  self->width = width;
  self->height = height;
  self->canvas = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, width, height);
  if (cairo_surface_status (self->canvas) != CAIRO_STATUS_SUCCESS)
    return FALSE;
  self->cr = cairo_create (self->canvas);
  cairo_surface_flush (self->canvas);
  guint8 *data = cairo_image_surface_get_data (self->canvas);
  gsize size = (gsize) cairo_image_surface_get_stride (self->canvas) * height;
  self->canvas_mem = gst_memory_new_wrapped (GST_MEMORY_FLAG_READONLY, data, size, 0, size,
                                             cairo_surface_reference (self->canvas),
                                             (GDestroyNotify) cairo_surface_destroy);
  /* the font size may follow the frame size: set at the next drawing */
  self->font_stale = TRUE;
  self->dirty = TRUE;
  return TRUE;
}

/* Posts a warning (once per label) when the font has no glyph for some of
 * the text just set on the layout, which holds `label`: Pango draws those as
 * hex boxes. */
static void
check_glyphs (GstNnOverlay *self, const char *label)
{
  int unknown = pango_layout_get_unknown_glyphs_count (self->layout);
  if (unknown == 0 || g_hash_table_contains (self->warned, label))
    return;
  g_hash_table_add (self->warned, g_strdup (label));
  g_autofree char *font = pango_font_description_to_string (pango_layout_get_font_description (self->layout));
  GST_ELEMENT_WARNING (self, RESOURCE, NOT_FOUND,
                       ("No installed font has %d of the characters of label \"%s\"; they show as boxes", unknown,
                        label), ("font \"%s\"", font));
}

/* Lays out `text` (which shows `label`) on one line, ellipsized beyond
 * max_w pixels; returns its width. */
static int
set_text (GstNnOverlay *self, const char *text, const char *label, int max_w)
{
  int w, h;
  /* labels come out of a GstStructure, which holds valid UTF-8 only, as
   * Pango needs */
  pango_layout_set_width (self->layout, MAX (max_w, 1) * PANGO_SCALE);
  pango_layout_set_text (self->layout, text, -1);
  check_glyphs (self, label);
  pango_layout_get_pixel_size (self->layout, &w, &h);
  return w;
}

static void
show_text (GstNnOverlay *self, int x, int y, const Rgb *c)
{
  cairo_set_source_rgb (self->cr, c->r, c->g, c->b);
  cairo_move_to (self->cr, x, y);
  pango_cairo_show_layout (self->cr, self->layout);
}

static void
fill (GstNnOverlay *self, int x, int y, int w, int h, const Rgb *c, double alpha)
{
  cairo_set_source_rgba (self->cr, c->r, c->g, c->b, alpha);
  cairo_rectangle (self->cr, x, y, w, h);
  cairo_fill (self->cr);
}

/* Remembers a region of the canvas that now holds drawing, clipped to the frame. */
static void
add_region (GstNnOverlay *self, int x, int y, int w, int h)
{
  int x1 = MIN (x + w, self->width), y1 = MIN (y + h, self->height);
  x = MAX (x, 0), y = MAX (y, 0);
  if (x1 <= x || y1 <= y || self->n_regions == MAX_REGIONS)
    return;
  gint *r = self->regions[self->n_regions++];
  r[0] = x, r[1] = y, r[2] = x1 - x, r[3] = y1 - y;
}

static const char *
or_unknown (const char *s)
{
  return s && *s ? s : "?";
}

/* The panel holds a title line and one row per top-k entry:
 *   <label> <score>
 *   <label>  [=====     ]
 */
static void
draw_panel (GstNnOverlay *self, const GstStructure *s)
{
  const int pad = MAX (2, self->px / 4), lh = self->line_h, max_w = self->width - 2 * pad;
  const int bar_w = 3 * self->px, gap = MAX (2, self->px / 2);
  gdouble score = 0.0;
  gst_structure_get_double (s, "score", &score);
  const char *best = or_unknown (gst_structure_get_string (s, "label"));
  g_string_printf (self->title, "%s %.2f", best, score);
  const char *title = self->title->str;

  /* labels take what the bars leave, at most half the frame */
  guint n = nn_classification_n_top (s);
  const int label_max = MAX (self->width / 2, self->width - 2 * pad - gap - bar_w);
  int label_w = 0;
  for (guint i = 0; i < n; i++) {
    const char *l = NULL;
    nn_classification_get_top (s, i, &l, NULL, NULL);
    label_w = MAX (label_w, set_text (self, or_unknown (l), or_unknown (l), label_max));
  }
  int title_w = set_text (self, title, best, max_w);
  int rows_w = n ? label_w + gap + bar_w : 0;
  int panel_w = MIN (MAX (title_w, rows_w) + 2 * pad, self->width);
  int panel_h = MIN ((int) (1 + n) * lh + 2 * pad, self->height);
  fill (self, 0, 0, panel_w, panel_h, &(Rgb) { 0, 0, 0 }, SHADE_ALPHA);
  show_text (self, pad, pad, &text_color);

  const int bh = MAX (2, lh * 3 / 5);
  for (guint i = 0; i < n; i++) {
    const char *l = NULL;
    gdouble v = 0.0;
    nn_classification_get_top (s, i, &l, NULL, &v);
    int y = pad + (int) (i + 1) * lh;
    set_text (self, or_unknown (l), or_unknown (l), label_max);
    show_text (self, pad, y, &text_color);
    int bx = pad + label_w + gap, by = y + (lh - bh) / 2;
    fill (self, bx, by, bar_w, bh, &track_color, 1.0);
    fill (self, bx, by, (int) (CLAMP (v, 0.0, 1.0) * bar_w + 0.5), bh, &bar_color, 1.0);
  }
  add_region (self, 0, 0, panel_w, panel_h);
}

/* An outline `t` pixels thick with the label above it (inside when at the top). */
static void
draw_box (GstNnOverlay *self, const gint b[4], const GstStructure *s)
{
  const int t = MAX (1, self->px / 7);
  const int strips[4][4] = { { b[0], b[1], b[2], t }, { b[0], b[1] + b[3] - t, b[2], t },
                             { b[0], b[1], t, b[3] }, { b[0] + b[2] - t, b[1], t, b[3] } };
  for (int i = 0; i < 4; i++) {
    fill (self, strips[i][0], strips[i][1], strips[i][2], strips[i][3], &box_color, 1.0);
    add_region (self, strips[i][0], strips[i][1], strips[i][2], strips[i][3]);
  }
  const int lh = self->line_h;
  const char *label = or_unknown (gst_structure_get_string (s, "label"));
  int w = set_text (self, label, label, self->width - b[0] - 2 * t);
  int y = b[1] >= lh + t ? b[1] - lh - t : b[1] + 2 * t;
  fill (self, b[0], y, w + 2 * t, lh, &(Rgb) { 0, 0, 0 }, SHADE_ALPHA);
  show_text (self, b[0] + t, y, &box_color);
  add_region (self, b[0], y, w + 2 * t, lh);
}

/* Redraws the canvas for the latest result and wraps each drawn region into
 * an overlay rectangle. Under text_lock. */
static void
redraw (GstNnOverlay *self)
{
  g_clear_pointer (&self->comp, gst_video_overlay_composition_unref);
  cairo_save (self->cr);
  cairo_set_operator (self->cr, CAIRO_OPERATOR_CLEAR);
  for (int i = 0; i < self->n_regions; i++)
    cairo_rectangle (self->cr, self->regions[i][0], self->regions[i][1], self->regions[i][2], self->regions[i][3]);
  cairo_fill (self->cr);
  cairo_restore (self->cr);
  self->n_regions = 0;
  self->dirty = FALSE;

  gboolean whole = self->box[0] == 0 && self->box[1] == 0 && self->box[2] >= self->width &&
                   self->box[3] >= self->height;
  if (!whole)
    draw_box (self, self->box, self->last);
  draw_panel (self, self->last);
  cairo_surface_flush (self->canvas);

  const gint stride = cairo_image_surface_get_stride (self->canvas);
  self->comp = gst_video_overlay_composition_new (NULL);
  for (int i = 0; i < self->n_regions; i++) {
    const gint *r = self->regions[i];
    GstBuffer *pixels = gst_buffer_new ();
    gst_buffer_append_memory (pixels, gst_memory_ref (self->canvas_mem));
    gsize offset[GST_VIDEO_MAX_PLANES] = { (gsize) r[1] * stride + (gsize) r[0] * 4 };
    gint strides[GST_VIDEO_MAX_PLANES] = { stride };
    gst_buffer_add_video_meta_full (pixels, GST_VIDEO_FRAME_FLAG_NONE, CANVAS_FORMAT, r[2], r[3], 1, offset,
                                    strides);
    GstVideoOverlayRectangle *rect = gst_video_overlay_rectangle_new_raw (
      pixels, r[0], r[1], r[2], r[3], GST_VIDEO_OVERLAY_FORMAT_FLAG_PREMULTIPLIED_ALPHA);
    gst_video_overlay_composition_add_rectangle (self->comp, rect);
    gst_video_overlay_rectangle_unref (rect);
    gst_buffer_unref (pixels);
  }
}

/* The region of the buffer's classification (the frame for whole-frame results). */
static const GstStructure *
classification_region (GstBuffer *buf, gint box[4])
{
  gpointer state = NULL;
  GstMeta *m;
  GQuark type = g_quark_from_static_string (NN_CLASSIFICATION_NAME);
  while ((m = gst_buffer_iterate_meta_filtered (buf, &state, GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE))) {
    GstVideoRegionOfInterestMeta *roi = (GstVideoRegionOfInterestMeta *) m;
    GstStructure *s = roi->roi_type == type ? gst_video_region_of_interest_meta_get_param (roi, NN_CLASSIFICATION_NAME) : NULL;
    if (!s)
      continue;
    box[0] = roi->x, box[1] = roi->y, box[2] = roi->w, box[3] = roi->h;
    return s;
  }
  return NULL;
}

static GstFlowReturn
gst_nn_overlay_transform_frame_ip (GstVideoFilter *filter, GstVideoFrame *frame)
{
  GstNnOverlay *self = GST_NN_OVERLAY (filter);
  gint box[4];
  const GstStructure *s = classification_region (frame->buffer, box);
  /* the same result on the next frame (inference-interval > 1, or a steady
   * answer) keeps the drawing made for it */
  if (s && !(self->last && memcmp (box, self->box, sizeof box) == 0 && gst_structure_is_equal (s, self->last))) {
    if (self->last)
      gst_structure_free (self->last);
    self->last = gst_structure_copy (s);
    memcpy (self->box, box, sizeof box);
    self->dirty = TRUE;
  }
  if (!self->last)
    return GST_FLOW_OK;

  GST_OBJECT_LOCK (self);
  if (self->props_changed)
    self->font_stale = TRUE;
  GST_OBJECT_UNLOCK (self);
  if (self->dirty || self->font_stale) {
    g_mutex_lock (&text_lock);
    if (self->font_stale)
      apply_font (self);
    redraw (self);
    g_mutex_unlock (&text_lock);
  }
  if (!gst_video_overlay_composition_blend (self->comp, frame))
    GST_WARNING_OBJECT (self, "could not blend onto %s", gst_video_format_to_string (GST_VIDEO_FRAME_FORMAT (frame)));
  return GST_FLOW_OK;
}

static gboolean
gst_nn_overlay_set_info (GstVideoFilter *filter, GstCaps *incaps, GstVideoInfo *in_info, GstCaps *outcaps,
                         GstVideoInfo *out_info)
{
  GstNnOverlay *self = GST_NN_OVERLAY (filter);
  if (!make_canvas (self, GST_VIDEO_INFO_WIDTH (in_info), GST_VIDEO_INFO_HEIGHT (in_info)))
    goto no_canvas;
  return TRUE;

  /* ERRORS */
no_canvas:
  GST_ELEMENT_ERROR (filter, RESOURCE, NO_SPACE_LEFT, ("Cannot make a %dx%d drawing surface",
                     GST_VIDEO_INFO_WIDTH (in_info), GST_VIDEO_INFO_HEIGHT (in_info)),
                     ("cairo: %s", cairo_status_to_string (cairo_surface_status (self->canvas))));
  free_canvas (self);
  return FALSE;
}

static gboolean
gst_nn_overlay_stop (GstBaseTransform *trans)
{
  GstNnOverlay *self = GST_NN_OVERLAY (trans);
  g_clear_pointer (&self->last, gst_structure_free);
  free_canvas (self);
  g_hash_table_remove_all (self->warned);
  return TRUE;
}

static void
gst_nn_overlay_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  GstNnOverlay *self = GST_NN_OVERLAY (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
  case PROP_FONT_DESC:
    g_free (self->font_desc);
    self->font_desc = g_value_dup_string (value);
    if (!self->font_desc)
      self->font_desc = g_strdup (DEFAULT_PROP_FONT_DESC);
    self->props_changed = TRUE;
    break;
  case PROP_FONT_SIZE:
    self->font_size = g_value_get_uint (value);
    self->props_changed = TRUE;
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_nn_overlay_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  GstNnOverlay *self = GST_NN_OVERLAY (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
  case PROP_FONT_DESC:
    g_value_set_string (value, self->font_desc);
    break;
  case PROP_FONT_SIZE:
    g_value_set_uint (value, self->font_size);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_nn_overlay_finalize (GObject *object)
{
  GstNnOverlay *self = GST_NN_OVERLAY (object);
  g_clear_pointer (&self->last, gst_structure_free);
  free_canvas (self);
  g_mutex_lock (&text_lock);
  g_clear_object (&self->layout);
  g_clear_object (&self->pctx);
  g_mutex_unlock (&text_lock);
  g_hash_table_unref (self->warned);
  g_string_free (self->title, TRUE);
  g_free (self->font_desc);
  G_OBJECT_CLASS (gst_nn_overlay_parent_class)->finalize (object);
}

static void
gst_nn_overlay_class_init (GstNnOverlayClass *klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseTransformClass *trans_class = GST_BASE_TRANSFORM_CLASS (klass);
  GstVideoFilterClass *filter_class = GST_VIDEO_FILTER_CLASS (klass);

  gobject_class->set_property = gst_nn_overlay_set_property;
  gobject_class->get_property = gst_nn_overlay_get_property;
  gobject_class->finalize = gst_nn_overlay_finalize;

  g_object_class_install_property (gobject_class, PROP_FONT_DESC,
    g_param_spec_string ("font-desc", "Font description",
                         "Pango font description of the text: family and style, e.g. \"Serif Italic\" "
                         "(see pango_font_description_from_string); a size in it is ignored, font-size sets it",
                         DEFAULT_PROP_FONT_DESC,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_FONT_SIZE,
    g_param_spec_uint ("font-size", "Font size", "Text size in video pixels; 0 follows the frame size: a "
                       "sixteenth of its shorter side, at least 8", 0, 1024, DEFAULT_PROP_FONT_SIZE,
                       G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING));

  gst_element_class_set_static_metadata (element_class, "Neural-network result overlay", "Filter/Effect/Video",
                                         "Draws nnclassify's label, score and top-k bars onto the video "
                                         "(text by Pango and cairo)",
                                         "gst-nn developers");
  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);

  trans_class->stop = GST_DEBUG_FUNCPTR (gst_nn_overlay_stop);
  filter_class->set_info = GST_DEBUG_FUNCPTR (gst_nn_overlay_set_info);
  filter_class->transform_frame_ip = GST_DEBUG_FUNCPTR (gst_nn_overlay_transform_frame_ip);

  GST_DEBUG_CATEGORY_INIT (gst_nn_overlay_debug, "nnoverlay", 0, "libnn result overlay");
}

static void
gst_nn_overlay_init (GstNnOverlay *self)
{
  self->font_desc = g_strdup (DEFAULT_PROP_FONT_DESC);
  self->font_size = DEFAULT_PROP_FONT_SIZE;
  self->warned = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->title = g_string_new (NULL);
}
