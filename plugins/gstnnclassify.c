/**
 * SECTION:element-nnclassify
 * @title: nnclassify
 *
 * Classifies video frames with a libnn model (a .safetensors file written by
 * `nn train`, or a .json spec, which gets fresh random weights). Buffers pass
 * through unchanged; each classified buffer carries a whole-frame
 * #GstVideoRegionOfInterestMeta of type "nn-classification" whose parameter
 * structure holds label, class-index, score and the top-k lists (see
 * nn-classification-meta.h), and the element posts an element message with
 * the same fields plus pts and frame.
 *
 * The model's input must be [C, H, W] with C 1 or 3, or [N] with N a perfect
 * square (a flattened gray image). Frames of any size are converted and resized
 * the way the model's "preprocess" says, exactly as `nn predict` and the
 * dataset readers do. The element takes what cameras and decoders produce
 * without a videoconvert in front (gray, the packed RGB family, I420, YV12,
 * NV12, NV21, YUY2, UYVY, YVYU, Y42B, Y444, I420_10LE, P010_10LE) and honours
 * the caps' colorimetry: limited-range YUV (16-235, what H.264, VP8 and VP9
 * decoders deliver) is expanded, and the BT.601, BT.709 or BT.2020 matrix of
 * the caps is used (GStreamer's default for the height when unknown). Gray
 * models see the BT.601 luma of the decoded colours.
 *
 * mode=map is for fully convolutional models whose output is a class map
 * [classes, H', W'] (softmax over the classes at each location): the cells
 * where the background class ("background", default "none") is below
 * 1 - "object-threshold" (one half by default) form blobs, the strongest blob is the object, its cells' mean probabilities
 * are the result and their extent is the box, so the ROI meta covers the
 * object in frame coordinates (the whole frame when there is none) and the
 * message carries x, y, width and height.
 *
 * For live use, smoothing=N (0, the default, is off) averages the last N results before the top-k is
 * taken, and the element keeps a stable label that changes only when another
 * class leads the smoothed scores by more than "hysteresis"; each change
 * posts one "nn-gesture" element message (gesture, class-index, previous,
 * score, pts, frame), so an application reacts once per gesture rather than
 * once per frame. The meta and the per-frame message then also carry
 * "stable" (string).
 *
 * Many streams in one process share one loaded model by giving their
 * elements the same "model-instance" name: the file is read once and the
 * streams' frames run together in batches of up to "batch-size", each
 * waiting at most "batch-timeout" microseconds for the batch to fill; every
 * result goes back to its own stream and frame (docs/multistream.md).
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 -m filesrc location=clip.mp4 ! decodebin ! \
 *     nnclassify model=models/fashion-lenet.safetensors top-k=3 ! nnoverlay ! \
 *     videoconvert ! autovideosink
 * ]|
 * Two cameras sharing one model, batched:
 * |[
 * gst-launch-1.0 v4l2src device=/dev/video0 ! nnclassify model=models/gesture-lenet.safetensors \
 *     model-instance=hands batch-size=2 ! fakesink \
 *   v4l2src device=/dev/video1 ! nnclassify model=models/gesture-lenet.safetensors \
 *     model-instance=hands batch-size=2 ! fakesink
 * ]|
 */
#include "gstnnclassify.h"

#include <math.h>
#include <string.h>

#include "nn-classification-meta.h"

GST_DEBUG_CATEGORY_STATIC (gst_nn_classify_debug);
#define GST_CAT_DEFAULT gst_nn_classify_debug

enum {
  PROP_0,
  PROP_TOP_K,
  PROP_THRESHOLD,
  PROP_INFERENCE_INTERVAL,
  PROP_MODE,
  PROP_SMOOTHING,
  PROP_HYSTERESIS,
  PROP_BACKGROUND,
  PROP_OBJECT_THRESHOLD,
  PROP_MIN_CELLS,
};

typedef enum {
  NN_CLASSIFY_MODE_WHOLE,
  NN_CLASSIFY_MODE_MAP,
} NnClassifyMode;

#define GST_TYPE_NN_CLASSIFY_MODE (nn_classify_mode_get_type ())
static GType
nn_classify_mode_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    { NN_CLASSIFY_MODE_WHOLE, "The model classifies the whole frame", "whole" },
    { NN_CLASSIFY_MODE_MAP, "The model outputs a class map [classes, H, W]: box and label of the strongest blob",
      "map" },
    { 0, NULL, NULL },
  };
  if (g_once_init_enter (&type))
    g_once_init_leave (&type, g_enum_register_static ("GstNnClassifyMode", values));
  return type;
}

#define DEFAULT_PROP_TOP_K 3
#define DEFAULT_PROP_THRESHOLD 0.0
#define DEFAULT_PROP_INFERENCE_INTERVAL 1
#define DEFAULT_PROP_MODE NN_CLASSIFY_MODE_WHOLE
#define DEFAULT_PROP_SMOOTHING 0
#define DEFAULT_PROP_HYSTERESIS 0.2
#define DEFAULT_PROP_BACKGROUND "none"
#define DEFAULT_PROP_OBJECT_THRESHOLD 0.5
#define DEFAULT_PROP_MIN_CELLS 1
#define MAX_SMOOTHING 300

struct _GstNnClassify {
  GstNnInference parent;

  /* properties, under the object lock */
  guint    top_k;
  gdouble  threshold;
  guint    interval;
  NnClassifyMode mode;
  guint    smoothing;
  gdouble  hysteresis;
  char    *background;
  gdouble  object_threshold;
  guint    min_blob;

  /* from setup() to teardown() */
  NnPreprocess  pre;       /* the model's, with [N] inputs seen as a square */
  int           n_classes;
  guint64       frame;
  float        *scores;    /* (n_classes) this frame's result */
  NnSmoother   *smoother;  /* rings up to MAX_SMOOTHING results */
  float        *smoothed;  /* (n_classes) */
  int           stable;    /* stable class, -1 before the first */
  int           bg;        /* background class of map mode, -1 if none; found at the first frame */
  gboolean      bg_known;
  char         *bg_label;  /* "background" as of start */
  gdouble       obj_threshold; /* object-threshold as of start() */
  int           min_cells; /* smaller blobs are noise */

  /* map mode: cell (i, j) centres at input (off_x + stride_x j, off_y + stride_y i) */
  NnClassifyMode run_mode;
  int           map_h, map_w;
  double        stride_x, stride_y, off_x, off_y;
  int           *map_scratch; /* nn_classmap_find's */
  gboolean      has_box;
  double        box[4];    /* x, y, w, h in frame pixels */
};

G_DEFINE_TYPE (GstNnClassify, gst_nn_classify, GST_TYPE_NN_INFERENCE);
GST_ELEMENT_REGISTER_DEFINE (nnclassify, "nnclassify", GST_RANK_NONE, GST_TYPE_NN_CLASSIFY);

/* ---- model set-up ---------------------------------------------------------- */

/* A model takes images if its input is [1|3, H, W], or [N] with N = r * r,
 * which we feed a gray r x r image (the model sees [1, 1, N] otherwise). */
static gboolean
image_geometry (const NnModel *m, NnPreprocess *pre)
{
  const NnShape *s = nn_model_input_shape (m);
  *pre = *nn_model_preprocess (m);
  if (s->ndim == 3)
    return s->dim[0] == 1 || s->dim[0] == 3;
  if (s->ndim != 1)
    return FALSE;
  int64_t r = (int64_t) llround (sqrt ((double) s->dim[0]));
  if (r * r != s->dim[0])
    return FALSE;
  pre->channels = 1;
  pre->height = pre->width = (int) r;
  return TRUE;
}

/* The grid of a class map: the product of the spatial steps of the layers is
 * the stride, and the cells are centred in the input (valid convolutions lose
 * the same margin on both sides, "same" ones half a stride). */
static gboolean
map_geometry (GstNnClassify *self, const NnModel *model)
{
  const NnShape *o = nn_model_output_shape (model);
  const NnShape *in = nn_model_input_shape (model);
  if (o->ndim != 3 || in->ndim != 3)
    return FALSE;
  self->n_classes = (int) o->dim[0];
  self->map_h = (int) o->dim[1];
  self->map_w = (int) o->dim[2];
  int64_t ph = in->dim[1], pw = in->dim[2];
  int sy = 1, sx = 1;
  for (int i = 0; i < nn_model_n_layers (model); i++) {
    NnLayerInfo li;
    nn_model_layer_info (model, i, &li);
    if (li.out.ndim != 3 || li.out.dim[1] <= 0 || li.out.dim[2] <= 0)
      continue;
    if ((double) ph / li.out.dim[1] >= 1.5)
      sy *= (int) lround ((double) ph / li.out.dim[1]);
    if ((double) pw / li.out.dim[2] >= 1.5)
      sx *= (int) lround ((double) pw / li.out.dim[2]);
    ph = li.out.dim[1];
    pw = li.out.dim[2];
  }
  self->stride_x = sx;
  self->stride_y = sy;
  self->off_x = (in->dim[2] - sx * (self->map_w - 1.0)) / 2.0;
  self->off_y = (in->dim[1] - sy * (self->map_h - 1.0)) / 2.0;
  GST_INFO_OBJECT (self, "class map %dx%d, stride %dx%d, first centre (%.1f, %.1f)", self->map_w, self->map_h, sx, sy,
                   self->off_x, self->off_y);
  return TRUE;
}

static gboolean
gst_nn_classify_setup (GstNnInference *base, NnModel **model, NnPreprocess *frame, int *n_classes, GError **error)
{
  GstNnClassify *self = GST_NN_CLASSIFY (base);
  char shape[64];

  GST_OBJECT_LOCK (self);
  self->run_mode = self->mode;
  self->obj_threshold = self->object_threshold;
  self->min_cells = (int) self->min_blob;
  g_free (self->bg_label);
  self->bg_label = g_strdup (self->background);
  GST_OBJECT_UNLOCK (self);

  /* the kind the spec declares, not a shape that happens to fit: a text
   * model with input [64] is no 8x8 image (shapes of no kind at all get the
   * shape messages below) */
  NnModelKind want = self->run_mode == NN_CLASSIFY_MODE_MAP ? NN_MODEL_KIND_CLASS_MAP : NN_MODEL_KIND_IMAGE_CLASSIFIER;
  NnModelKind got = nn_model_kind (*model);
  if (got != want && got != NN_MODEL_KIND_OTHER) {
    g_set_error (error, NN_ERROR, NN_ERROR_INVALID, "mode=%s runs %s, the model is %s (input %s)%s",
                 want == NN_MODEL_KIND_CLASS_MAP ? "map" : "whole", nn_model_kind_name (want),
                 nn_model_kind_name (got), nn_shape_to_string (nn_model_input_shape (*model), shape, sizeof shape),
                 got == NN_MODEL_KIND_CLASS_MAP ? ": use mode=map" : got == NN_MODEL_KIND_IMAGE_CLASSIFIER
                 ? ": use mode=whole" : got == NN_MODEL_KIND_CLIP_CLASSIFIER ? ": use nnvideoclassify"
                 : got == NN_MODEL_KIND_GENERATOR ? ": use nngansrc" : "");
    return FALSE;
  }
  if (!image_geometry (*model, &self->pre)) {
    g_set_error (error, NN_ERROR, NN_ERROR_SHAPE, "the model does not take images: input %s, need [1|3, H, W] or "
                 "[N] with N a perfect square", nn_shape_to_string (nn_model_input_shape (*model), shape, sizeof shape));
    return FALSE;
  }
  if (self->run_mode == NN_CLASSIFY_MODE_MAP && !map_geometry (self, *model)) {
    g_set_error (error, NN_ERROR, NN_ERROR_SHAPE, "mode=map needs a class map output [classes, H, W], the model "
                 "gives %s", nn_shape_to_string (nn_model_output_shape (*model), shape, sizeof shape));
    return FALSE;
  }
  if (self->run_mode != NN_CLASSIFY_MODE_MAP)
    self->n_classes = (int) nn_shape_numel (nn_model_output_shape (*model));
  int n = self->n_classes;
  self->scores = g_new0 (float, n);
  self->smoothed = g_new0 (float, n);
  self->smoother = nn_smoother_new (n, MAX_SMOOTHING, DEFAULT_PROP_HYSTERESIS);
  self->stable = -1;
  self->frame = 0;
  self->bg_known = FALSE;
  if (self->run_mode == NN_CLASSIFY_MODE_MAP)
    self->map_scratch = g_new0 (int, nn_classmap_scratch_size (self->map_h, self->map_w));
  *frame = self->pre;
  *n_classes = n;
  return TRUE;
}

static void
gst_nn_classify_teardown (GstNnInference *base)
{
  GstNnClassify *self = GST_NN_CLASSIFY (base);
  g_clear_pointer (&self->scores, g_free);
  g_clear_pointer (&self->smoothed, g_free);
  g_clear_pointer (&self->smoother, nn_smoother_free);
  g_clear_pointer (&self->map_scratch, g_free);
}

/* ---- class maps -------------------------------------------------------------- */

/* Cells x0..x1, y0..y1 of the map -> frame pixels: each cell stands for one
 * stride around its centre. */
static void
set_box (GstNnClassify *self, int x0, int y0, int x1, int y1)
{
  GstVideoInfo *info = &GST_VIDEO_FILTER (self)->in_info;
  double fx = (double) GST_VIDEO_INFO_WIDTH (info) / self->pre.width;
  double fy = (double) GST_VIDEO_INFO_HEIGHT (info) / self->pre.height;
  double bx0 = CLAMP (self->off_x + self->stride_x * (x0 - 0.5), 0.0, self->pre.width);
  double bx1 = CLAMP (self->off_x + self->stride_x * (x1 + 0.5), 0.0, self->pre.width);
  double by0 = CLAMP (self->off_y + self->stride_y * (y0 - 0.5), 0.0, self->pre.height);
  double by1 = CLAMP (self->off_y + self->stride_y * (y1 + 0.5), 0.0, self->pre.height);
  self->box[0] = bx0 * fx;
  self->box[1] = by0 * fy;
  self->box[2] = (bx1 - bx0) * fx;
  self->box[3] = (by1 - by0) * fy;
  self->has_box = self->box[2] >= 1.0 && self->box[3] >= 1.0;
}

/* The result of a class map: the strongest blob's label (see
 * nn_classmap_find) and its box in frame pixels. */
static void
map_result (GstNnClassify *self, const float *out)
{
  NnClassMapResult r = { .probs = self->scores };
  nn_classmap_find (out, self->n_classes, self->map_h, self->map_w, self->bg, self->obj_threshold,
                    self->min_cells, self->map_scratch, &r);
  self->has_box = FALSE;
  if (r.found)
    set_box (self, r.x, r.y, r.x + r.w - 1, r.y + r.h - 1);
}

/* ---- smoothing --------------------------------------------------------------- */

/* smoothing=0 passes the result through and keeps no stable label. Returns
 * TRUE when the stable label changed; *previous gets the old one. */
static gboolean
smooth (GstNnClassify *self, guint n, gdouble margin, int *previous)
{
  *previous = -1;
  if (n == 0) {
    memcpy (self->smoothed, self->scores, sizeof (float) * self->n_classes);
    return FALSE;
  }
  nn_smoother_configure (self->smoother, (int) n, margin);
  return nn_smoother_push (self->smoother, self->scores, self->smoothed, &self->stable, previous);
}

typedef struct {
  int          k;
  gdouble      threshold;
  guint        smoothing;
  gdouble      hysteresis;
  const char **top_labels;
  gint        *top_idx;
  gdouble     *top_scores;
} Frame;

static void
post_gesture (GstNnClassify *self, GstBuffer *buf, int previous, guint64 frame_no)
{
  const char *const *labels = gst_nn_inference_labels (GST_NN_INFERENCE (self));
  GstStructure *s = gst_structure_new ("nn-gesture", "gesture", G_TYPE_STRING, labels[self->stable],
                                       "class-index", G_TYPE_INT, self->stable,
                                       "previous", G_TYPE_STRING, previous >= 0 ? labels[previous] : "",
                                       "score", G_TYPE_DOUBLE, (gdouble) self->smoothed[self->stable],
                                       "pts", G_TYPE_UINT64, (guint64) GST_BUFFER_PTS (buf),
                                       "frame", G_TYPE_UINT64, frame_no, NULL);
  GST_DEBUG_OBJECT (self, "frame %" G_GUINT64_FORMAT ": gesture %s", frame_no, labels[self->stable]);
  gst_nn_inference_post (GST_NN_INFERENCE (self), s);
}

static void
publish (GstNnClassify *self, GstBuffer *buf, const Frame *f, guint64 frame_no)
{
  GstNnInference *base = GST_NN_INFERENCE (self);
  GstStructure *s = nn_classification_new (f->k, f->top_labels, f->top_idx, f->top_scores);
  if (f->smoothing > 0 && self->stable >= 0)
    gst_structure_set (s, "stable", G_TYPE_STRING, gst_nn_inference_labels (base)[self->stable], NULL);
  GstVideoInfo *info = &GST_VIDEO_FILTER (self)->in_info;
  guint fw = GST_VIDEO_INFO_WIDTH (info), fh = GST_VIDEO_INFO_HEIGHT (info);
  guint x = 0, y = 0, w = fw, h = fh;
  if (self->run_mode == NN_CLASSIFY_MODE_MAP && self->has_box) {
    x = (guint) lround (self->box[0]);
    y = (guint) lround (self->box[1]);
    w = MIN ((guint) lround (self->box[2]), fw - x);
    h = MIN ((guint) lround (self->box[3]), fh - y);
  }
  GstStructure *ms = gst_structure_copy (s);
  gst_structure_set (ms, "pts", G_TYPE_UINT64, (guint64) GST_BUFFER_PTS (buf), "frame", G_TYPE_UINT64, frame_no,
                     NULL);
  if (self->run_mode == NN_CLASSIFY_MODE_MAP)
    gst_structure_set (ms, "x", G_TYPE_UINT, x, "y", G_TYPE_UINT, y, "width", G_TYPE_UINT, w, "height", G_TYPE_UINT,
                       h, NULL);
  gst_nn_inference_attach (base, buf, s, x, y, w, h);
  gst_nn_inference_post (base, ms);
}

static GstFlowReturn
gst_nn_classify_process (GstNnInference *base, GstBuffer *buf)
{
  GstNnClassify *self = GST_NN_CLASSIFY (base);
  Frame f;

  GST_OBJECT_LOCK (self);
  guint interval = self->interval;
  f.k = (int) MIN (self->top_k, (guint) self->n_classes);
  f.threshold = self->threshold;
  f.smoothing = self->smoothing;
  f.hysteresis = self->hysteresis;
  GST_OBJECT_UNLOCK (self);

  guint64 frame_no = self->frame++;
  if (frame_no % interval != 0)
    return GST_FLOW_OK;
  if (!self->bg_known) {
    /* the labels (the model's or a labels file) are known once started */
    const char *const *labels = gst_nn_inference_labels (base);
    self->bg = -1;
    for (int i = 0; i < self->n_classes; i++)
      if (g_strcmp0 (labels[i], self->bg_label) == 0)
        self->bg = i;
    self->bg_known = TRUE;
  }
  const float *out = gst_nn_inference_run (base, buf);
  if (!out)
    return GST_FLOW_ERROR;
  if (self->run_mode == NN_CLASSIFY_MODE_MAP)
    map_result (self, out);
  else
    memcpy (self->scores, out, sizeof (float) * self->n_classes);
  int previous;
  gboolean changed = smooth (self, f.smoothing, f.hysteresis, &previous);
  gst_nn_inference_top (base, self->smoothed, f.k, &f.top_labels, &f.top_idx, &f.top_scores);
  GST_LOG_OBJECT (self, "frame %" G_GUINT64_FORMAT ": %s %.3f", frame_no, f.top_labels[0], f.top_scores[0]);
  if (f.top_scores[0] >= f.threshold)
    publish (self, buf, &f, frame_no);
  if (changed)
    post_gesture (self, buf, previous, frame_no);
  return GST_FLOW_OK;
}

/* ---- properties ---------------------------------------------------------------- */

static void
gst_nn_classify_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  GstNnClassify *self = GST_NN_CLASSIFY (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
  case PROP_TOP_K:
    self->top_k = g_value_get_uint (value);
    break;
  case PROP_THRESHOLD:
    self->threshold = g_value_get_double (value);
    break;
  case PROP_INFERENCE_INTERVAL:
    self->interval = g_value_get_uint (value);
    break;
  case PROP_MODE:
    self->mode = g_value_get_enum (value);
    break;
  case PROP_SMOOTHING:
    self->smoothing = g_value_get_uint (value);
    break;
  case PROP_HYSTERESIS:
    self->hysteresis = g_value_get_double (value);
    break;
  case PROP_BACKGROUND:
    g_free (self->background);
    self->background = g_value_dup_string (value);
    break;
  case PROP_OBJECT_THRESHOLD:
    self->object_threshold = g_value_get_double (value);
    break;
  case PROP_MIN_CELLS:
    self->min_blob = g_value_get_uint (value);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_nn_classify_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  GstNnClassify *self = GST_NN_CLASSIFY (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
  case PROP_TOP_K:
    g_value_set_uint (value, self->top_k);
    break;
  case PROP_THRESHOLD:
    g_value_set_double (value, self->threshold);
    break;
  case PROP_INFERENCE_INTERVAL:
    g_value_set_uint (value, self->interval);
    break;
  case PROP_MODE:
    g_value_set_enum (value, self->mode);
    break;
  case PROP_SMOOTHING:
    g_value_set_uint (value, self->smoothing);
    break;
  case PROP_HYSTERESIS:
    g_value_set_double (value, self->hysteresis);
    break;
  case PROP_BACKGROUND:
    g_value_set_string (value, self->background);
    break;
  case PROP_OBJECT_THRESHOLD:
    g_value_set_double (value, self->object_threshold);
    break;
  case PROP_MIN_CELLS:
    g_value_set_uint (value, self->min_blob);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_nn_classify_finalize (GObject *object)
{
  GstNnClassify *self = GST_NN_CLASSIFY (object);
  g_free (self->background);
  g_free (self->bg_label);
  G_OBJECT_CLASS (gst_nn_classify_parent_class)->finalize (object);
}

static void
install_properties (GObjectClass *gobject_class)
{
  const GParamFlags rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS;

  g_object_class_install_property (gobject_class, PROP_TOP_K,
    g_param_spec_uint ("top-k", "Top K", "Number of best classes reported in the meta and the message "
                       "(at most the number of classes)", 1, 1000, DEFAULT_PROP_TOP_K, rw | GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_THRESHOLD,
    g_param_spec_double ("threshold", "Threshold", "Minimum score of the best class: frames whose best score is "
                         "lower get no meta and no message", 0.0, 1.0, DEFAULT_PROP_THRESHOLD,
                         rw | GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_INFERENCE_INTERVAL,
    g_param_spec_uint ("inference-interval", "Inference interval", "Classify every Nth frame (frames 0, N, 2N, ...); "
                       "the others pass through without a meta", 1, G_MAXUINT, DEFAULT_PROP_INFERENCE_INTERVAL,
                       rw | GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_MODE,
    g_param_spec_enum ("mode", "Mode", "whole: the model classifies the frame; map: the model outputs a class map "
                       "[classes, H, W] and the result is the box and label of the strongest non-background blob",
                       GST_TYPE_NN_CLASSIFY_MODE, DEFAULT_PROP_MODE, rw | GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_SMOOTHING,
    g_param_spec_uint ("smoothing", "Smoothing", "Average the last N results before taking the top-k, keep a "
                       "stable label with hysteresis and post an nn-gesture message when it changes (0 = off)",
                       0, MAX_SMOOTHING, DEFAULT_PROP_SMOOTHING, rw | GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_HYSTERESIS,
    g_param_spec_double ("hysteresis", "Hysteresis", "With smoothing: another class must lead the stable one by "
                         "more than this (in smoothed score) to replace it", 0.0, 1.0, DEFAULT_PROP_HYSTERESIS,
                         rw | GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_BACKGROUND,
    g_param_spec_string ("background", "Background label", "mode=map: the class that means nothing there",
                         DEFAULT_PROP_BACKGROUND, rw | GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_OBJECT_THRESHOLD,
    g_param_spec_double ("object-threshold", "Object threshold", "mode=map: cells whose probability of not being "
                         "the background exceeds this form the blobs", 0.0, 1.0, DEFAULT_PROP_OBJECT_THRESHOLD,
                         rw | GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_MIN_CELLS,
    g_param_spec_uint ("min-cells", "Minimum blob", "mode=map: blobs of fewer cells are ignored (noise)", 1, G_MAXUINT,
                       DEFAULT_PROP_MIN_CELLS, rw | GST_PARAM_MUTABLE_READY));
}

static void
gst_nn_classify_class_init (GstNnClassifyClass *klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstNnInferenceClass *inference_class = GST_NN_INFERENCE_CLASS (klass);

  gobject_class->set_property = gst_nn_classify_set_property;
  gobject_class->get_property = gst_nn_classify_get_property;
  gobject_class->finalize = gst_nn_classify_finalize;
  install_properties (gobject_class);

  gst_element_class_set_static_metadata (element_class, "Neural-network classifier", "Filter/Analyzer/Video",
                                         "Classifies video frames with a libnn model and attaches the result",
                                         "gst-nn developers");
  /* the model runs as loaded, one frame per sample: streams may share it */
  inference_class->shareable = TRUE;
  inference_class->setup = GST_DEBUG_FUNCPTR (gst_nn_classify_setup);
  inference_class->process = GST_DEBUG_FUNCPTR (gst_nn_classify_process);
  inference_class->teardown = GST_DEBUG_FUNCPTR (gst_nn_classify_teardown);

  GST_DEBUG_CATEGORY_INIT (gst_nn_classify_debug, "nnclassify", 0, "libnn video classifier");
}

static void
gst_nn_classify_init (GstNnClassify *self)
{
  self->top_k = DEFAULT_PROP_TOP_K;
  self->threshold = DEFAULT_PROP_THRESHOLD;
  self->interval = DEFAULT_PROP_INFERENCE_INTERVAL;
  self->mode = DEFAULT_PROP_MODE;
  self->smoothing = DEFAULT_PROP_SMOOTHING;
  self->hysteresis = DEFAULT_PROP_HYSTERESIS;
  self->background = g_strdup (DEFAULT_PROP_BACKGROUND);
  self->object_threshold = DEFAULT_PROP_OBJECT_THRESHOLD;
  self->min_blob = DEFAULT_PROP_MIN_CELLS;
}
