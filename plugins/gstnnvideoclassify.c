/**
 * SECTION:element-nnvideoclassify
 * @title: nnvideoclassify
 *
 * Classifies a whole video with a libnn sequence model whose input is a clip
 * [T, C, H, W] (C 1 or 3), such as the ConvLSTM of
 * models/trailer-genre-convlstm.safetensors. The element builds a streaming
 * copy of the model (one time step per forward, recurrent state carried), so
 * every sampled frame costs one step, not a recomputed window of T frames.
 *
 * Sampling: frames are fed at `sample-rate` frames per second of stream time
 * (sample k is the first frame at or after k / rate seconds, as `nn train`
 * samples video folders), or every `frame-step`th frame. The default rate is
 * the model's "preprocess" "fps" (every frame when it has none).
 *
 * Clips: the model was trained on clips of T sampled frames, so the state is
 * reset every `clip-length` steps (default T; 0 = never). The video estimate
 * is the mean of the probabilities at the end of each complete clip (the
 * current partial clip's latest output until the first clip completes).
 *
 * Every `report-interval` sampled frames the element attaches to that buffer a
 * whole-frame "nn-classification" ROI meta (all classes, best first; see
 * nn-classification-meta.h) and posts an element message
 * "nn-video-classification":
 *
 *   label, class-index, score   the video estimate so far
 *   probabilities               (GstValueArray of double) in the model's class order
 *   labels                      (GstValueArray of string) the class names
 *   frame, pts (guint64)        the input frame, samples (guint64) fed so far,
 *   clips (guint)               complete clips, final (boolean) FALSE
 *
 * At EOS it posts the same message with final TRUE for the whole video, plus
 * verdict (string, = label) and genres (a structure: class name -> probability).
 * Flushing seeks and new streams start afresh.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 -m filesrc location=movie.mp4 ! decodebin ! \
 *     nnvideoclassify model=models/trailer-genre-convlstm.safetensors report-interval=6 ! fakesink
 * ]|
 */
#include "gstnnvideoclassify.h"

#include <math.h>
#include <json-glib/json-glib.h>
#include <nn/nn.h>

#include "nn-classification-meta.h"
#include "nn-input.h"

GST_DEBUG_CATEGORY_STATIC (gst_nn_video_classify_debug);
#define GST_CAT_DEFAULT gst_nn_video_classify_debug


enum {
  PROP_0,
  PROP_MODEL,
  PROP_SAMPLE_RATE,
  PROP_FRAME_STEP,
  PROP_CLIP_LENGTH,
  PROP_REPORT_INTERVAL,
  PROP_LATENCY,
};

#define DEFAULT_SAMPLE_RATE 0.0
#define DEFAULT_FRAME_STEP 0
#define DEFAULT_CLIP_LENGTH -1
#define DEFAULT_REPORT_INTERVAL 1

struct _GstNnVideoClassify {
  GstVideoFilter parent;

  /* properties and statistics, under the object lock */
  char    *model_path;
  gdouble  sample_rate;
  guint    frame_step;
  gint     clip_length;
  guint    report_interval;
  guint64  n_steps;
  gdouble  total_ms;

  /* from start() to stop() */
  NnModel      *model;      /* the streaming copy: input [1, C, H, W] */
  NnPreprocess  pre;        /* one frame */
  int           steps;      /* T of the trained model */
  double        model_fps;  /* its preprocess "fps", 0 = every frame */
  float        *input;      /* (C, H, W) */
  int           n_classes;
  char        **labels;     /* (n_classes) */
  double       *clip_sum;   /* (n_classes) sum of the clip-end probabilities */
  double       *estimate;   /* (n_classes) */
  const float  *last;       /* the latest output */
  const char  **top_labels; /* (n_classes) scratch, best first */
  gint         *top_idx;
  gdouble      *top_scores;

  /* per stream */
  guint64       frame;      /* input frames seen */
  guint64       fed;        /* frames fed */
  int64_t       next;       /* index of the next time sample */
  GstClockTime  pts0;
  int           in_clip;    /* steps into the current clip */
  guint         clips;      /* complete clips */

  /* from set_info(): the caps' frames -> self->input */
  NnImageConverter *convert;
};

G_DEFINE_TYPE (GstNnVideoClassify, gst_nn_video_classify, GST_TYPE_VIDEO_FILTER);
GST_ELEMENT_REGISTER_DEFINE (nnvideoclassify, "nnvideoclassify", GST_RANK_NONE, GST_TYPE_NN_VIDEO_CLASSIFY);

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink", GST_PAD_SINK, GST_PAD_ALWAYS,
  GST_STATIC_CAPS (GST_VIDEO_CAPS_MAKE (NN_INPUT_FORMATS)));
static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src", GST_PAD_SRC, GST_PAD_ALWAYS,
  GST_STATIC_CAPS (GST_VIDEO_CAPS_MAKE (NN_INPUT_FORMATS)));

/* ---- model set-up ------------------------------------------------------------ */

/* The spec's preprocess "fps" (0 when absent or not a number). */
static double
model_fps (const NnModel *m)
{
  g_autofree char *json = nn_model_spec_json (m);
  g_autoptr (JsonParser) p = json_parser_new ();
  if (!json_parser_load_from_data (p, json, -1, NULL) || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (p)))
    return 0.0;
  JsonObject *root = json_node_get_object (json_parser_get_root (p));
  JsonNode *pn = json_object_get_member (root, "preprocess");
  JsonNode *f = pn && JSON_NODE_HOLDS_OBJECT (pn) ? json_object_get_member (json_node_get_object (pn), "fps") : NULL;
  if (!f || !JSON_NODE_HOLDS_VALUE (f) || json_node_get_value_type (f) == G_TYPE_STRING)
    return 0.0;
  return MAX (json_node_get_double (f), 0.0);
}

/* A clip model [T, 1|3, H, W]; its frame geometry. The model parses
 * "preprocess" as for a flat input, so per-channel values come from [0]. */
static gboolean
clip_geometry (const NnModel *m, NnPreprocess *pre, int *steps)
{
  const NnShape *s = nn_model_input_shape (m);
  if (s->ndim != 4 || (s->dim[1] != 1 && s->dim[1] != 3))
    return FALSE;
  *pre = *nn_model_preprocess (m);
  if (pre->channels != s->dim[1])
    for (int c = 1; c < 3; c++) {
      pre->mean[c] = pre->mean[0];
      pre->std[c] = pre->std[0];
    }
  pre->channels = (int) s->dim[1];
  pre->height = (int) s->dim[2];
  pre->width = (int) s->dim[3];
  *steps = (int) s->dim[0];
  return TRUE;
}

static void
reset_stream (GstNnVideoClassify *self)
{
  self->frame = self->fed = 0;
  self->next = 0;
  self->pts0 = GST_CLOCK_TIME_NONE;
  self->in_clip = 0;
  self->clips = 0;
  self->last = NULL;
  if (self->model)
    nn_model_reset_state (self->model);
  if (self->clip_sum)
    memset (self->clip_sum, 0, sizeof (double) * self->n_classes);
}

static void
setup_labels (GstNnVideoClassify *self)
{
  self->labels = g_new0 (char *, self->n_classes + 1);
  for (int i = 0; i < self->n_classes; i++) {
    const char *l = nn_model_label (self->model, i);
    self->labels[i] = l ? g_strdup (l) : g_strdup_printf ("class %d", i);
  }
  self->clip_sum = g_new0 (double, self->n_classes);
  self->estimate = g_new0 (double, self->n_classes);
  self->top_labels = g_new0 (const char *, self->n_classes);
  self->top_idx = g_new0 (gint, self->n_classes);
  self->top_scores = g_new0 (gdouble, self->n_classes);
}

static gboolean gst_nn_video_classify_stop (GstBaseTransform *trans);

static gboolean
gst_nn_video_classify_start (GstBaseTransform *trans)
{
  GstNnVideoClassify *self = GST_NN_VIDEO_CLASSIFY (trans);
  g_autoptr (GError) err = NULL;
  g_autoptr (NnModel) full = NULL;
  char shape[64];

  GST_OBJECT_LOCK (self);
  g_autofree char *path = g_strdup (self->model_path);
  self->n_steps = 0;
  self->total_ms = 0.0;
  GST_OBJECT_UNLOCK (self);

  if (!path)
    goto no_model;
  full = nn_model_load (path, &err);
  if (!full)
    goto load_failed;
  if (!clip_geometry (full, &self->pre, &self->steps))
    goto not_clips;
  self->model_fps = model_fps (full);
  self->model = nn_model_new_streaming (full, &err);
  if (!self->model || !nn_model_reserve (self->model, 1, &err))
    goto not_streamable;
  self->input = g_new0 (float, nn_shape_numel (nn_model_input_shape (self->model)));
  self->n_classes = (int) nn_shape_numel (nn_model_output_shape (self->model));
  setup_labels (self);
  reset_stream (self);
  GST_INFO_OBJECT (self, "loaded %s: %d classes, clips of %d frames %dx%dx%d at %g fps", path, self->n_classes,
                   self->steps, self->pre.channels, self->pre.height, self->pre.width, self->model_fps);
  return TRUE;

  /* ERRORS */
no_model:
  GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS, ("No model set"),
                     ("set the \"model\" property to a .safetensors or .json file of a sequence model"));
  return FALSE;
load_failed:
  if (err->domain == NN_ERROR && err->code == NN_ERROR_IO)
    GST_ELEMENT_ERROR (self, RESOURCE, OPEN_READ, ("Could not load model \"%s\"", path), ("%s", err->message));
  else
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS, ("Could not load model \"%s\"", path), ("%s", err->message));
  return FALSE;
not_clips:
  GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS, ("Model \"%s\" does not take video clips", path),
                     ("model input %s: need [T, 1|3, H, W]",
                      nn_shape_to_string (nn_model_input_shape (full), shape, sizeof shape)));
  return FALSE;
not_streamable:
  GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS, ("Model \"%s\" cannot run frame by frame", path),
                     ("%s", err->message));
  gst_nn_video_classify_stop (trans);
  return FALSE;
}

static gboolean
gst_nn_video_classify_stop (GstBaseTransform *trans)
{
  GstNnVideoClassify *self = GST_NN_VIDEO_CLASSIFY (trans);
  g_clear_pointer (&self->convert, nn_image_converter_free);
  g_clear_pointer (&self->model, nn_model_free);
  g_clear_pointer (&self->input, g_free);
  g_clear_pointer (&self->labels, g_strfreev);
  g_clear_pointer (&self->clip_sum, g_free);
  g_clear_pointer (&self->estimate, g_free);
  g_clear_pointer (&self->top_labels, g_free);
  g_clear_pointer (&self->top_idx, g_free);
  g_clear_pointer (&self->top_scores, g_free);
  self->last = NULL;
  return TRUE;
}

/* ---- caps ------------------------------------------------------------------------ */

/* Any accepted format goes straight to the model's frame size and channels,
 * honouring the caps' range and matrix (nn-input.h). */
static gboolean
gst_nn_video_classify_set_info (GstVideoFilter *filter, GstCaps *incaps, GstVideoInfo *in_info, GstCaps *outcaps,
                                GstVideoInfo *out_info)
{
  GstNnVideoClassify *self = GST_NN_VIDEO_CLASSIFY (filter);
  g_autoptr (GError) err = NULL;

  g_clear_pointer (&self->convert, nn_image_converter_free);
  if (!self->model)
    goto no_model;
  self->convert = nn_input_converter_new (in_info, &self->pre, &err);
  if (!self->convert)
    goto unsupported;
  return TRUE;

  /* ERRORS */
no_model:
  GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, ("No model loaded"), (NULL));
  return FALSE;
unsupported:
  GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, ("Cannot feed %s frames to the model",
                     gst_video_format_to_string (GST_VIDEO_INFO_FORMAT (in_info))), ("%s", err->message));
  return FALSE;
}

/* ---- sampling ------------------------------------------------------------------------ */

/* Seconds since the first frame: from timestamps, else counted at the caps rate. */
static double
stream_time (GstNnVideoClassify *self, GstBuffer *buf)
{
  GstVideoInfo *info = &GST_VIDEO_FILTER (self)->in_info;
  if (GST_BUFFER_PTS_IS_VALID (buf)) {
    if (!GST_CLOCK_TIME_IS_VALID (self->pts0))
      self->pts0 = GST_BUFFER_PTS (buf);
    if (GST_BUFFER_PTS (buf) >= self->pts0)
      return (double) (GST_BUFFER_PTS (buf) - self->pts0) / GST_SECOND;
  }
  if (GST_VIDEO_INFO_FPS_N (info) > 0)
    return (double) self->frame * GST_VIDEO_INFO_FPS_D (info) / GST_VIDEO_INFO_FPS_N (info);
  return NAN;
}

/* Is this frame fed to the model? Sample k is the first frame at or after
 * k / rate seconds; without a usable time, every frame. */
static gboolean
sample_frame (GstNnVideoClassify *self, GstBuffer *buf, double rate, guint step)
{
  if (step > 0)
    return self->frame % step == 0;
  double t = stream_time (self, buf);
  if (rate <= 0.0 || isnan (t))
    return TRUE;
  int64_t k = (int64_t) floor (t * rate + 1e-3);
  if (k < self->next)
    return FALSE;
  self->next = k + 1;
  return TRUE;
}

/* ---- classification ----------------------------------------------------------------- */

/* The video estimate: the mean clip-end output, or the latest output until
 * a clip completes. */
static void
update_estimate (GstNnVideoClassify *self)
{
  for (int i = 0; i < self->n_classes; i++)
    self->estimate[i] = self->clips ? self->clip_sum[i] / self->clips : (self->last ? self->last[i] : 0.0);
}

/* One time step; the clip's state is dropped after `clip` steps. */
static gboolean
step (GstNnVideoClassify *self, GstVideoFrame *frame, int clip, GError **error)
{
  gint64 t0 = g_get_monotonic_time ();
  nn_input_convert (self->convert, frame, self->input);
  self->last = nn_model_forward (self->model, self->input, 1, FALSE, error);
  if (!self->last)
    return FALSE;
  gint64 t1 = g_get_monotonic_time ();
  self->fed++;
  if (clip > 0 && ++self->in_clip == clip) {
    for (int i = 0; i < self->n_classes; i++)
      self->clip_sum[i] += self->last[i];
    self->clips++;
    self->in_clip = 0;
    nn_model_reset_state (self->model);
  }
  update_estimate (self);
  GST_OBJECT_LOCK (self);
  self->n_steps++;
  self->total_ms += (t1 - t0) / 1000.0;
  GST_OBJECT_UNLOCK (self);
  return TRUE;
}

/* All classes of the estimate, best first (ties keep the lower index). */
static void
rank (GstNnVideoClassify *self)
{
  for (int i = 0; i < self->n_classes; i++) {
    int j = i;
    for (; j > 0 && self->estimate[i] > self->top_scores[j - 1]; j--) {
      self->top_scores[j] = self->top_scores[j - 1];
      self->top_idx[j] = self->top_idx[j - 1];
    }
    self->top_scores[j] = self->estimate[i];
    self->top_idx[j] = i;
  }
  for (int j = 0; j < self->n_classes; j++)
    self->top_labels[j] = self->labels[self->top_idx[j]];
}

static GstStructure *
estimate_message (GstNnVideoClassify *self, gboolean final)
{
  GValue probs = G_VALUE_INIT, names = G_VALUE_INIT, v = G_VALUE_INIT;
  gst_value_array_init (&probs, self->n_classes);
  gst_value_array_init (&names, self->n_classes);
  for (int i = 0; i < self->n_classes; i++) {
    g_value_init (&v, G_TYPE_DOUBLE);
    g_value_set_double (&v, self->estimate[i]);
    gst_value_array_append_and_take_value (&probs, &v);
    g_value_init (&v, G_TYPE_STRING);
    g_value_set_string (&v, self->labels[i]);
    gst_value_array_append_and_take_value (&names, &v);
  }
  GstStructure *s = gst_structure_new (NN_VIDEO_CLASSIFICATION_NAME, "label", G_TYPE_STRING, self->top_labels[0],
                                       "class-index", G_TYPE_INT, self->top_idx[0], "score", G_TYPE_DOUBLE,
                                       self->top_scores[0], NULL);
  gst_structure_take_value (s, "probabilities", &probs);
  gst_structure_take_value (s, "labels", &names);
  gst_structure_set (s, "samples", G_TYPE_UINT64, self->fed, "clips", G_TYPE_UINT, self->clips, "final",
                     G_TYPE_BOOLEAN, final, NULL);
  return s;
}

static void
report (GstNnVideoClassify *self, GstBuffer *buf)
{
  rank (self);
  GstStructure *ms = estimate_message (self, FALSE);
  gst_structure_set (ms, "frame", G_TYPE_UINT64, self->frame, "pts", G_TYPE_UINT64, (guint64) GST_BUFFER_PTS (buf),
                     NULL);
  GstVideoInfo *info = &GST_VIDEO_FILTER (self)->in_info;
  if (gst_buffer_is_writable (buf))
    nn_buffer_add_classification (buf, GST_VIDEO_INFO_WIDTH (info), GST_VIDEO_INFO_HEIGHT (info),
                                  nn_classification_new (self->n_classes, self->top_labels, self->top_idx,
                                                         self->top_scores));
  GST_LOG_OBJECT (self, "frame %" G_GUINT64_FORMAT ": %s %.3f", self->frame, self->top_labels[0],
                  self->top_scores[0]);
  gst_element_post_message (GST_ELEMENT (self), gst_message_new_element (GST_OBJECT (self), ms));
}

/* Field names of the genres structure: GStructure wants [A-Za-z][A-Za-z0-9_-+.]*. */
static char *
field_name (const char *label)
{
  char *s = g_strdup_printf ("%s%s", g_ascii_isalpha (label[0]) ? "" : "c", label);
  for (char *p = s; *p; p++)
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '_')
      *p = '-';
  return s;
}

static void
post_summary (GstNnVideoClassify *self)
{
  if (self->fed == 0) {
    GST_WARNING_OBJECT (self, "end of stream before any frame was classified: no verdict");
    return;
  }
  if (self->clips == 0)
    GST_INFO_OBJECT (self, "video shorter than one clip: the verdict comes from %d steps", self->in_clip);
  update_estimate (self);
  rank (self);
  GstStructure *s = estimate_message (self, TRUE);
  GstStructure *genres = gst_structure_new_empty ("genres");
  for (int i = 0; i < self->n_classes; i++) {
    g_autofree char *name = field_name (self->labels[i]);
    gst_structure_set (genres, name, G_TYPE_DOUBLE, self->estimate[i], NULL);
  }
  gst_structure_set (s, "verdict", G_TYPE_STRING, self->top_labels[0], "frames", G_TYPE_UINT64, self->frame,
                     "genres", GST_TYPE_STRUCTURE, genres, NULL);
  gst_structure_free (genres);
  GST_INFO_OBJECT (self, "verdict %s (%.3f) after %" G_GUINT64_FORMAT " frames", self->top_labels[0],
                   self->top_scores[0], self->fed);
  gst_element_post_message (GST_ELEMENT (self), gst_message_new_element (GST_OBJECT (self), s));
}

static GstFlowReturn
gst_nn_video_classify_transform_ip (GstBaseTransform *trans, GstBuffer *buf)
{
  GstNnVideoClassify *self = GST_NN_VIDEO_CLASSIFY (trans);
  g_autoptr (GError) err = NULL;
  GstVideoFrame frame;

  GST_OBJECT_LOCK (self);
  double rate = self->sample_rate > 0.0 ? self->sample_rate : self->model_fps;
  guint fstep = self->frame_step, interval = self->report_interval;
  int clip = self->clip_length < 0 ? self->steps : self->clip_length;
  GST_OBJECT_UNLOCK (self);

  if (G_UNLIKELY (!self->convert))
    goto not_negotiated;
  gboolean take = sample_frame (self, buf, rate, fstep);
  if (take) {
    /* NO_REF keeps the buffer writable for the meta; we only read the pixels */
    if (!gst_video_frame_map (&frame, &GST_VIDEO_FILTER (self)->in_info, buf,
                              GST_MAP_READ | GST_VIDEO_FRAME_MAP_FLAG_NO_REF))
      goto map_failed;
    gboolean ok = step (self, &frame, clip, &err);
    gst_video_frame_unmap (&frame);
    if (!ok)
      goto forward_failed;
    if (self->fed % interval == 0)
      report (self, buf);
  }
  self->frame++;
  return GST_FLOW_OK;

  /* ERRORS */
not_negotiated:
  GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, (NULL), ("no caps set before the first buffer"));
  return GST_FLOW_NOT_NEGOTIATED;
map_failed:
  GST_ELEMENT_ERROR (self, STREAM, FAILED, ("Could not map the video frame"), (NULL));
  return GST_FLOW_ERROR;
forward_failed:
  GST_ELEMENT_ERROR (self, STREAM, FAILED, ("Inference failed"), ("%s", err->message));
  return GST_FLOW_ERROR;
}

static gboolean
gst_nn_video_classify_sink_event (GstBaseTransform *trans, GstEvent *event)
{
  GstNnVideoClassify *self = GST_NN_VIDEO_CLASSIFY (trans);
  switch (GST_EVENT_TYPE (event)) {
  case GST_EVENT_EOS:
    if (self->model)
      post_summary (self);
    reset_stream (self);
    break;
  case GST_EVENT_FLUSH_STOP:
  case GST_EVENT_STREAM_START:
    reset_stream (self);
    break;
  default:
    break;
  }
  return GST_BASE_TRANSFORM_CLASS (gst_nn_video_classify_parent_class)->sink_event (trans, event);
}

/* ---- properties ---------------------------------------------------------------- */

static void
gst_nn_video_classify_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  GstNnVideoClassify *self = GST_NN_VIDEO_CLASSIFY (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
  case PROP_MODEL:
    g_free (self->model_path);
    self->model_path = g_value_dup_string (value);
    break;
  case PROP_SAMPLE_RATE:
    self->sample_rate = g_value_get_double (value);
    break;
  case PROP_FRAME_STEP:
    self->frame_step = g_value_get_uint (value);
    break;
  case PROP_CLIP_LENGTH:
    self->clip_length = g_value_get_int (value);
    break;
  case PROP_REPORT_INTERVAL:
    self->report_interval = g_value_get_uint (value);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_nn_video_classify_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  GstNnVideoClassify *self = GST_NN_VIDEO_CLASSIFY (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
  case PROP_MODEL:
    g_value_set_string (value, self->model_path);
    break;
  case PROP_SAMPLE_RATE:
    g_value_set_double (value, self->sample_rate);
    break;
  case PROP_FRAME_STEP:
    g_value_set_uint (value, self->frame_step);
    break;
  case PROP_CLIP_LENGTH:
    g_value_set_int (value, self->clip_length);
    break;
  case PROP_REPORT_INTERVAL:
    g_value_set_uint (value, self->report_interval);
    break;
  case PROP_LATENCY:
    g_value_set_double (value, self->n_steps ? self->total_ms / self->n_steps : 0.0);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_nn_video_classify_finalize (GObject *object)
{
  GstNnVideoClassify *self = GST_NN_VIDEO_CLASSIFY (object);
  g_free (self->model_path);
  G_OBJECT_CLASS (gst_nn_video_classify_parent_class)->finalize (object);
}

static void
install_properties (GObjectClass *gobject_class)
{
  const GParamFlags rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS;
  const GParamFlags ro = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS;

  g_object_class_install_property (gobject_class, PROP_MODEL,
    g_param_spec_string ("model", "Model", "Sequence model over clips [T, 1|3, H, W] with a recurrent layer: a "
                         ".safetensors written by nn train, or a .json spec (random weights); loaded when the "
                         "element starts", NULL, rw | GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_SAMPLE_RATE,
    g_param_spec_double ("sample-rate", "Sample rate", "Frames per second of stream time fed to the model (sample k "
                         "is the first frame at or after k / rate s); 0 = the model's preprocess \"fps\", or every "
                         "frame when it has none", 0.0, 1000.0, DEFAULT_SAMPLE_RATE, rw | GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_FRAME_STEP,
    g_param_spec_uint ("frame-step", "Frame step", "Feed every Nth frame (frames 0, N, 2N, ...) instead of sampling "
                       "by time; 0 = sample by time (sample-rate)", 0, G_MAXUINT, DEFAULT_FRAME_STEP,
                       rw | GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_CLIP_LENGTH,
    g_param_spec_int ("clip-length", "Clip length", "Fed frames per clip: the recurrent state is reset after each "
                      "clip and the video estimate is the mean of the clip-end probabilities; -1 = the model's T, "
                      "0 = one clip for the whole stream (never reset)", -1, G_MAXINT, DEFAULT_CLIP_LENGTH,
                      rw | GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_REPORT_INTERVAL,
    g_param_spec_uint ("report-interval", "Report interval", "Post an nn-video-classification message and attach "
                       "the meta every N fed frames (the end-of-stream summary is always posted)", 1, G_MAXUINT,
                       DEFAULT_REPORT_INTERVAL, rw | GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_LATENCY,
    g_param_spec_double ("latency", "Latency", "Mean time per fed frame in milliseconds, conversion and one model "
                         "step (0 before the first)", 0.0, G_MAXDOUBLE, 0.0, ro));
}

static void
gst_nn_video_classify_class_init (GstNnVideoClassifyClass *klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseTransformClass *trans_class = GST_BASE_TRANSFORM_CLASS (klass);
  GstVideoFilterClass *filter_class = GST_VIDEO_FILTER_CLASS (klass);

  gobject_class->set_property = gst_nn_video_classify_set_property;
  gobject_class->get_property = gst_nn_video_classify_get_property;
  gobject_class->finalize = gst_nn_video_classify_finalize;
  install_properties (gobject_class);

  gst_element_class_set_static_metadata (element_class, "Neural-network video classifier", "Filter/Analyzer/Video",
                                         "Classifies a whole video with a libnn sequence model, frame by frame",
                                         "gst-nn developers");
  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);

  trans_class->start = GST_DEBUG_FUNCPTR (gst_nn_video_classify_start);
  trans_class->stop = GST_DEBUG_FUNCPTR (gst_nn_video_classify_stop);
  trans_class->transform_ip = GST_DEBUG_FUNCPTR (gst_nn_video_classify_transform_ip);
  trans_class->sink_event = GST_DEBUG_FUNCPTR (gst_nn_video_classify_sink_event);
  trans_class->transform_ip_on_passthrough = FALSE;
  filter_class->set_info = GST_DEBUG_FUNCPTR (gst_nn_video_classify_set_info);

  GST_DEBUG_CATEGORY_INIT (gst_nn_video_classify_debug, "nnvideoclassify", 0, "libnn video sequence classifier");
}

static void
gst_nn_video_classify_init (GstNnVideoClassify *self)
{
  self->sample_rate = DEFAULT_SAMPLE_RATE;
  self->frame_step = DEFAULT_FRAME_STEP;
  self->clip_length = DEFAULT_CLIP_LENGTH;
  self->report_interval = DEFAULT_REPORT_INTERVAL;
  self->pts0 = GST_CLOCK_TIME_NONE;
  gst_base_transform_set_in_place (GST_BASE_TRANSFORM (self), TRUE);
}
