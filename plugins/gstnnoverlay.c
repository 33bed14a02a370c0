/**
 * SECTION:element-nnoverlay
 * @title: nnoverlay
 *
 * Draws the classification that nnclassify attached upstream: the best label
 * and its score as text, and one bar per top-k class. Frames without a result
 * of their own (with nnclassify's inference-interval > 1, or under its
 * threshold) show the latest result seen. When the result covers only part
 * of the frame (nnclassify mode=map), its box is outlined and labelled as
 * well. The text uses an embedded bitmap
 * font scaled with the frame size, so it needs no fonts installed. On YUV
 * formats only the luma is drawn.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 videotestsrc num-buffers=100 ! video/x-raw,width=224,height=224 ! \
 *     nnclassify model=models/fashion-lenet.safetensors ! nnoverlay ! videoconvert ! autovideosink
 * ]|
 */
#include "gstnnoverlay.h"

#include <string.h>

#include "nn-classification-meta.h"
#include "nndraw.h"

GST_DEBUG_CATEGORY_STATIC (gst_nn_overlay_debug);
#define GST_CAT_DEFAULT gst_nn_overlay_debug

#define FORMATS "{ RGB, BGR, RGBx, BGRx, xRGB, xBGR, RGBA, BGRA, ARGB, ABGR, GRAY8, I420, YV12, NV12, NV21, Y42B, Y444 }"

enum {
  PROP_0,
  PROP_SCALE,
};

#define DEFAULT_PROP_SCALE 0
#define MAX_LABEL_CHARS 16
#define BAR_CELLS 5   /* full-score bar length, in glyph cells */

static const NnColor text_color = { 255, 255, 255 };
static const NnColor bar_color = { 40, 220, 90 };
static const NnColor track_color = { 70, 70, 70 };
static const NnColor box_color = { 255, 200, 0 };

struct _GstNnOverlay {
  GstVideoFilter parent;

  guint scale;             /* property, under the object lock; 0 = auto */
  GstStructure *last;      /* latest result seen (streaming thread only) */
  gint box[4];             /* its region x, y, w, h */
};

G_DEFINE_TYPE (GstNnOverlay, gst_nn_overlay, GST_TYPE_VIDEO_FILTER);
GST_ELEMENT_REGISTER_DEFINE (nnoverlay, "nnoverlay", GST_RANK_NONE, GST_TYPE_NN_OVERLAY);

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink", GST_PAD_SINK, GST_PAD_ALWAYS,
  GST_STATIC_CAPS (GST_VIDEO_CAPS_MAKE (FORMATS)));
static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src", GST_PAD_SRC, GST_PAD_ALWAYS,
  GST_STATIC_CAPS (GST_VIDEO_CAPS_MAKE (FORMATS)));

/* One glyph pixel per 112 frame pixels of the shorter side: 2 at 224x224,
 * 9 at 1080p, 1 for thumbnails. */
static int
auto_scale (const GstVideoFrame *f)
{
  return MAX (1, MIN (GST_VIDEO_FRAME_WIDTH (f), GST_VIDEO_FRAME_HEIGHT (f)) / 112);
}

/* The box holds a title line and one row per top-k entry:
 *   <label> <score>
 *   <label>  [#####     ]
 */
static void
draw_result (GstVideoFrame *f, const GstStructure *s, int sc)
{
  const int cw = NN_FONT_CELL_W * sc, ch = NN_FONT_CELL_H * sc, pad = 2 * sc;
  const char *label = gst_structure_get_string (s, "label");
  gdouble score = 0.0;
  gst_structure_get_double (s, "score", &score);
  char title[64];
  g_snprintf (title, sizeof title, "%.*s %.2f", MAX_LABEL_CHARS, label ? label : "?", score);

  guint n = nn_classification_n_top (s);
  int label_w = 0;
  for (guint i = 0; i < n; i++) {
    const char *l = NULL;
    nn_classification_get_top (s, i, &l, NULL, NULL);
    label_w = MAX (label_w, nn_text_width (l ? l : "?", sc, MAX_LABEL_CHARS));
  }
  int rows_w = n ? label_w + cw + BAR_CELLS * cw : 0;
  int box_w = MAX (nn_text_width (title, sc, -1), rows_w) + 2 * pad;
  int box_h = (int) (1 + n) * ch + 2 * pad;
  nn_draw_shade (f, 0, 0, box_w, box_h);
  nn_draw_text (f, pad, pad, sc, title, -1, text_color);

  for (guint i = 0; i < n; i++) {
    const char *l = NULL;
    gdouble v = 0.0;
    nn_classification_get_top (s, i, &l, NULL, &v);
    int y = pad + (int) (i + 1) * ch;
    nn_draw_text (f, pad, y, sc, l ? l : "?", MAX_LABEL_CHARS, text_color);
    int bx = pad + label_w + cw, bw = BAR_CELLS * cw, bh = 7 * sc;
    nn_draw_rect (f, bx, y, bw, bh, track_color);
    nn_draw_rect (f, bx, y, (int) (CLAMP (v, 0.0, 1.0) * bw + 0.5), bh, bar_color);
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

/* An outline `t` pixels thick with the label above it (inside when at the top). */
static void
draw_box (GstVideoFrame *f, const gint b[4], const GstStructure *s, int sc)
{
  const int t = MAX (1, sc);
  nn_draw_rect (f, b[0], b[1], b[2], t, box_color);
  nn_draw_rect (f, b[0], b[1] + b[3] - t, b[2], t, box_color);
  nn_draw_rect (f, b[0], b[1], t, b[3], box_color);
  nn_draw_rect (f, b[0] + b[2] - t, b[1], t, b[3], box_color);
  const char *label = gst_structure_get_string (s, "label");
  const int ch = NN_FONT_CELL_H * sc;
  int y = b[1] >= ch + t ? b[1] - ch - t : b[1] + 2 * t;
  nn_draw_shade (f, b[0], y, nn_text_width (label ? label : "?", sc, MAX_LABEL_CHARS) + 2 * t, ch);
  nn_draw_text (f, b[0] + t, y, sc, label ? label : "?", MAX_LABEL_CHARS, box_color);
}

static GstFlowReturn
gst_nn_overlay_transform_frame_ip (GstVideoFilter *filter, GstVideoFrame *frame)
{
  GstNnOverlay *self = GST_NN_OVERLAY (filter);
  gint box[4];
  const GstStructure *s = classification_region (frame->buffer, box);
  if (s) {
    if (self->last)
      gst_structure_free (self->last);
    self->last = gst_structure_copy (s);
    memcpy (self->box, box, sizeof box);
  }
  if (!self->last)
    return GST_FLOW_OK;

  GST_OBJECT_LOCK (self);
  int sc = self->scale ? (int) self->scale : auto_scale (frame);
  GST_OBJECT_UNLOCK (self);
  gboolean whole = self->box[0] == 0 && self->box[1] == 0 && self->box[2] >= GST_VIDEO_FRAME_WIDTH (frame) &&
                   self->box[3] >= GST_VIDEO_FRAME_HEIGHT (frame);
  if (!whole)
    draw_box (frame, self->box, self->last, sc);
  draw_result (frame, self->last, sc);
  return GST_FLOW_OK;
}

static gboolean
gst_nn_overlay_set_info (GstVideoFilter *filter, GstCaps *incaps, GstVideoInfo *in_info, GstCaps *outcaps,
                         GstVideoInfo *out_info)
{
  if (!nn_draw_supports (in_info))
    goto unsupported;
  return TRUE;

  /* ERRORS */
unsupported:
  GST_ELEMENT_ERROR (filter, CORE, NEGOTIATION, ("Cannot draw on %s video",
                     gst_video_format_to_string (GST_VIDEO_INFO_FORMAT (in_info))), (NULL));
  return FALSE;
}

static gboolean
gst_nn_overlay_stop (GstBaseTransform *trans)
{
  GstNnOverlay *self = GST_NN_OVERLAY (trans);
  g_clear_pointer (&self->last, gst_structure_free);
  return TRUE;
}

static void
gst_nn_overlay_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  GstNnOverlay *self = GST_NN_OVERLAY (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
  case PROP_SCALE:
    self->scale = g_value_get_uint (value);
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
  case PROP_SCALE:
    g_value_set_uint (value, self->scale);
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

  g_object_class_install_property (gobject_class, PROP_SCALE,
    g_param_spec_uint ("scale", "Text scale", "Size of one font pixel in video pixels (the font is 5x7); "
                       "0 picks it from the frame size: 1 per 112 pixels of the shorter side", 0, 64,
                       DEFAULT_PROP_SCALE, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING));

  gst_element_class_set_static_metadata (element_class, "Neural-network result overlay", "Filter/Effect/Video",
                                         "Draws nnclassify's label, score and top-k bars onto the video",
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
  self->scale = DEFAULT_PROP_SCALE;
}
