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
 * At EOS it always posts the message once more with final TRUE, even after
 * no frame at all, plus:
 *
 *   complete (boolean)          TRUE when at least one whole clip was fed
 *                               (clip-length steps; T samples when
 *                               clip-length is 0)
 *   verdict (string)            the video's class (= label) when complete,
 *                               "" when not: a video shorter than one clip
 *                               has no verdict, as the datasets refuse it
 *   frames (guint64)            input frames seen
 *   genres                      (a structure: class name -> probability)
 *
 * With `clip-messages` TRUE the element also posts, at the end of every
 * complete clip, an element message "nn-video-clip" with that clip's own
 * output (not the running mean), so that a program can keep per-clip scores:
 *
 *   clip (guint)                the clip's index from 0
 *   probabilities               (GstValueArray of double) in the model's class order
 *   frame, pts (guint64)        the input frame that ended the clip
 *
 * With fewer than one clip, label, score and probabilities still give the
 * partial clip's latest output, marked complete FALSE; with no sample at all
 * the message has only samples (0), clips (0), final, complete (FALSE),
 * verdict ("") and frames, since nothing was estimated.
 * Every message and meta also names the element, its id and the model
 * (element, element-id, model), as nnclassify's do. The element takes the
 * same raw formats as nnclassify, colour-correct (see nnclassify).
 * Flushing seeks and new streams start afresh.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 -m filesrc location=movie.mp4 ! decodebin ! \
 *     nnvideoclassify model=models/trailer-genre-convlstm.safetensors report-interval=6 ! fakesink
 * gst-launch-1.0 -m filesrc location=movie.mp4 ! decodebin ! \
 *     nnvideoclassify model=models/trailer-genre-convlstm.safetensors clip-messages=true report-interval=1000 ! \
 *     fakesink
 * ]|
 */
#include "gstnnvideoclassify.h"

#include <math.h>
#include <nn/nn.h>

#include "nn-classification-meta.h"

GST_DEBUG_CATEGORY_STATIC (gst_nn_video_classify_debug);
#define GST_CAT_DEFAULT gst_nn_video_classify_debug

enum {
  PROP_0,
  PROP_SAMPLE_RATE,
  PROP_FRAME_STEP,
  PROP_CLIP_LENGTH,
  PROP_REPORT_INTERVAL,
  PROP_CLIP_MESSAGES,
};

#define DEFAULT_SAMPLE_RATE 0.0
#define DEFAULT_FRAME_STEP 0
#define DEFAULT_CLIP_LENGTH -1
#define DEFAULT_REPORT_INTERVAL 1
#define DEFAULT_CLIP_MESSAGES FALSE

struct _GstNnVideoClassify {
  GstNnInference parent;

  /* properties, under the object lock */
  gdouble  sample_rate;
  guint    frame_step;
  gint     clip_length;
  guint    report_interval;
  gboolean clip_messages;

  /* from setup() to teardown() */
  int           steps;      /* T of the trained model */
  double        model_fps;  /* its preprocess "fps", 0 = every frame */
  double        rate;       /* the sampling rate in use */
  int           n_classes;
  double       *clip_sum;   /* (n_classes) sum of the clip-end probabilities */
  float        *estimate;   /* (n_classes) */
  const float  *last;       /* the latest output */

  /* per stream */
  guint64       frame;      /* input frames seen */
  guint64       fed;        /* frames fed */
  NnFrameSampler sampler;
  GstClockTime  pts0;
  int           in_clip;    /* steps into the current clip */
  guint         clips;      /* complete clips */
};

G_DEFINE_TYPE (GstNnVideoClassify, gst_nn_video_classify, GST_TYPE_NN_INFERENCE);
GST_ELEMENT_REGISTER_DEFINE (nnvideoclassify, "nnvideoclassify", GST_RANK_NONE, GST_TYPE_NN_VIDEO_CLASSIFY);

/* ---- model set-up ------------------------------------------------------------ */

static void
reset_stream (GstNnVideoClassify *self)
{
  self->frame = self->fed = 0;
  nn_frame_sampler_init (&self->sampler, self->rate);
  self->pts0 = GST_CLOCK_TIME_NONE;
  self->in_clip = 0;
  self->clips = 0;
  self->last = NULL;
  NnModel *m = gst_nn_inference_model (GST_NN_INFERENCE (self));
  if (m)
    nn_model_reset_state (m);
  if (self->clip_sum)
    memset (self->clip_sum, 0, sizeof (double) * self->n_classes);
}

static gboolean
gst_nn_video_classify_setup (GstNnInference *base, NnModel **model, NnPreprocess *frame, int *n_classes,
                             GError **error)
{
  GstNnVideoClassify *self = GST_NN_VIDEO_CLASSIFY (base);
  char shape[64];
  /* the kind the spec declares (a text or image model is refused even when
   * its shape could be read as a clip); shapes of no kind get the message below */
  NnModelKind got = nn_model_kind (*model);
  if (got != NN_MODEL_KIND_CLIP_CLASSIFIER && got != NN_MODEL_KIND_OTHER) {
    g_set_error (error, NN_ERROR, NN_ERROR_INVALID, "the model does not take video clips: nnvideoclassify runs "
                 "%s, the model is %s (input %s)", nn_model_kind_name (NN_MODEL_KIND_CLIP_CLASSIFIER),
                 nn_model_kind_name (got), nn_shape_to_string (nn_model_input_shape (*model), shape, sizeof shape));
    return FALSE;
  }
  if (!nn_clip_frame (nn_model_input_shape (*model), nn_model_preprocess (*model), frame, &self->steps)) {
    g_set_error (error, NN_ERROR, NN_ERROR_SHAPE, "the model does not take video clips: input %s, need "
                 "[T, 1|3, H, W]", nn_shape_to_string (nn_model_input_shape (*model), shape, sizeof shape));
    return FALSE;
  }
  self->model_fps = nn_spec_fps (nn_model_get_spec (*model));
  NnModel *streaming = nn_model_new_streaming (*model, error);
  if (!streaming) {
    g_prefix_error (error, "it cannot run frame by frame: ");
    return FALSE;
  }
  nn_model_free (*model);
  *model = streaming;
  self->n_classes = *n_classes = (int) nn_shape_numel (nn_model_output_shape (streaming));
  self->clip_sum = g_new0 (double, self->n_classes);
  self->estimate = g_new0 (float, self->n_classes);
  GST_OBJECT_LOCK (self);
  self->rate = self->sample_rate > 0.0 ? self->sample_rate : self->model_fps;
  GST_OBJECT_UNLOCK (self);
  GST_INFO_OBJECT (self, "clips of %d frames at %g fps (fed at %g)", self->steps, self->model_fps, self->rate);
  return TRUE;
}

static void
gst_nn_video_classify_teardown (GstNnInference *base)
{
  GstNnVideoClassify *self = GST_NN_VIDEO_CLASSIFY (base);
  g_clear_pointer (&self->clip_sum, g_free);
  g_clear_pointer (&self->estimate, g_free);
  self->last = NULL;
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

/* Is this frame fed to the model? Every `step`th frame, or by time
 * (nn-video.h: the rule of the dataset reader). */
static gboolean
sample_frame (GstNnVideoClassify *self, GstBuffer *buf, guint step)
{
  if (step > 0)
    return self->frame % step == 0;
  return nn_frame_sampler_take (&self->sampler, stream_time (self, buf));
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

/* The "nn-video-clip" message: the output at the end of the clip that just
 * completed (clip-messages). */
static void
post_clip (GstNnVideoClassify *self, GstBuffer *buf)
{
  GValue probs = G_VALUE_INIT, v = G_VALUE_INIT;
  gst_value_array_init (&probs, self->n_classes);
  for (int i = 0; i < self->n_classes; i++) {
    g_value_init (&v, G_TYPE_DOUBLE);
    g_value_set_double (&v, self->last[i]);
    gst_value_array_append_and_take_value (&probs, &v);
  }
  GstStructure *s = gst_structure_new (NN_VIDEO_CLIP_NAME, "clip", G_TYPE_UINT, self->clips - 1, "frame",
                                       G_TYPE_UINT64, self->frame, "pts", G_TYPE_UINT64,
                                       (guint64) GST_BUFFER_PTS (buf), NULL);
  gst_structure_take_value (s, "probabilities", &probs);
  gst_nn_inference_post (GST_NN_INFERENCE (self), s);
}

/* One time step; the clip's state is dropped after `clip` steps. */
static gboolean
step (GstNnVideoClassify *self, GstBuffer *buf, int clip, gboolean clip_messages)
{
  self->last = gst_nn_inference_run (GST_NN_INFERENCE (self), buf);
  if (!self->last)
    return FALSE;
  self->fed++;
  if (clip > 0 && ++self->in_clip == clip) {
    for (int i = 0; i < self->n_classes; i++)
      self->clip_sum[i] += self->last[i];
    self->clips++;
    self->in_clip = 0;
    if (clip_messages)
      post_clip (self, buf);
    nn_model_reset_state (gst_nn_inference_model (GST_NN_INFERENCE (self)));
  }
  update_estimate (self);
  return TRUE;
}

typedef struct {
  const char **labels;
  gint        *idx;
  gdouble     *scores;
} Ranked;

/* All classes of the estimate, best first (ties keep the lower index). */
static void
rank (GstNnVideoClassify *self, Ranked *r)
{
  gst_nn_inference_top (GST_NN_INFERENCE (self), self->estimate, self->n_classes, &r->labels, &r->idx, &r->scores);
}

static GstStructure *
estimate_message (GstNnVideoClassify *self, const Ranked *r, gboolean final)
{
  const char *const *labels = gst_nn_inference_labels (GST_NN_INFERENCE (self));
  GValue probs = G_VALUE_INIT, names = G_VALUE_INIT, v = G_VALUE_INIT;
  gst_value_array_init (&probs, self->n_classes);
  gst_value_array_init (&names, self->n_classes);
  for (int i = 0; i < self->n_classes; i++) {
    g_value_init (&v, G_TYPE_DOUBLE);
    g_value_set_double (&v, self->estimate[i]);
    gst_value_array_append_and_take_value (&probs, &v);
    g_value_init (&v, G_TYPE_STRING);
    g_value_set_string (&v, labels[i]);
    gst_value_array_append_and_take_value (&names, &v);
  }
  GstStructure *s = gst_structure_new (NN_VIDEO_CLASSIFICATION_NAME, "label", G_TYPE_STRING, r->labels[0],
                                       "class-index", G_TYPE_INT, r->idx[0], "score", G_TYPE_DOUBLE,
                                       r->scores[0], NULL);
  gst_structure_take_value (s, "probabilities", &probs);
  gst_structure_take_value (s, "labels", &names);
  gst_structure_set (s, "samples", G_TYPE_UINT64, self->fed, "clips", G_TYPE_UINT, self->clips, "final",
                     G_TYPE_BOOLEAN, final, NULL);
  return s;
}

static void
report (GstNnVideoClassify *self, GstBuffer *buf)
{
  GstNnInference *base = GST_NN_INFERENCE (self);
  Ranked r;
  rank (self, &r);
  GstStructure *ms = estimate_message (self, &r, FALSE);
  gst_structure_set (ms, "frame", G_TYPE_UINT64, self->frame, "pts", G_TYPE_UINT64, (guint64) GST_BUFFER_PTS (buf),
                     NULL);
  GstVideoInfo *info = &GST_VIDEO_FILTER (self)->in_info;
  gst_nn_inference_attach (base, buf, nn_classification_new (self->n_classes, r.labels, r.idx, r.scores), 0, 0,
                           GST_VIDEO_INFO_WIDTH (info), GST_VIDEO_INFO_HEIGHT (info));
  GST_LOG_OBJECT (self, "frame %" G_GUINT64_FORMAT ": %s %.3f", self->frame, r.labels[0], r.scores[0]);
  gst_nn_inference_post (base, ms);
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

/* The EOS message, posted for every stream that ran, even one of no frame:
 * a program waiting for final TRUE always gets it. "complete" says whether
 * the verdict stands on at least one whole clip (or, with clip-length 0, on
 * at least T samples); when it does not, "verdict" is "" so that no program
 * takes a partial clip (or nothing at all) for a video's verdict. */
static void
post_summary (GstNnVideoClassify *self)
{
  GST_OBJECT_LOCK (self);
  int clip = self->clip_length < 0 ? self->steps : self->clip_length;
  GST_OBJECT_UNLOCK (self);
  gboolean complete = self->fed >= (guint64) (clip > 0 ? clip : self->steps);
  GstStructure *s;
  const char *verdict = "";
  if (self->fed == 0) {
    GST_WARNING_OBJECT (self, "end of stream before any frame was classified: no verdict");
    s = gst_structure_new (NN_VIDEO_CLASSIFICATION_NAME, "samples", G_TYPE_UINT64, self->fed, "clips", G_TYPE_UINT,
                           self->clips, "final", G_TYPE_BOOLEAN, TRUE, NULL);
  } else {
    update_estimate (self);
    Ranked r;
    rank (self, &r);
    s = estimate_message (self, &r, TRUE);
    GstStructure *genres = gst_structure_new_empty ("genres");
    const char *const *labels = gst_nn_inference_labels (GST_NN_INFERENCE (self));
    for (int i = 0; i < self->n_classes; i++) {
      g_autofree char *name = field_name (labels[i]);
      gst_structure_set (genres, name, G_TYPE_DOUBLE, (gdouble) self->estimate[i], NULL);
    }
    gst_structure_set (s, "genres", GST_TYPE_STRUCTURE, genres, NULL);
    gst_structure_free (genres);
    if (complete) {
      verdict = r.labels[0];
      GST_INFO_OBJECT (self, "verdict %s (%.3f) after %" G_GUINT64_FORMAT " samples", r.labels[0], r.scores[0],
                       self->fed);
    } else {
      GST_WARNING_OBJECT (self, "end of stream after %" G_GUINT64_FORMAT " samples, less than one clip of %d: "
                          "no verdict (the partial estimate is %s %.3f)", self->fed, clip > 0 ? clip : self->steps,
                          r.labels[0], r.scores[0]);
    }
  }
  gst_structure_set (s, "verdict", G_TYPE_STRING, verdict, "complete", G_TYPE_BOOLEAN, complete, "frames",
                     G_TYPE_UINT64, self->frame, NULL);
  gst_nn_inference_post (GST_NN_INFERENCE (self), s);
}

static GstFlowReturn
gst_nn_video_classify_process (GstNnInference *base, GstBuffer *buf)
{
  GstNnVideoClassify *self = GST_NN_VIDEO_CLASSIFY (base);

  GST_OBJECT_LOCK (self);
  guint fstep = self->frame_step, interval = self->report_interval;
  gboolean clip_messages = self->clip_messages;
  int clip = self->clip_length < 0 ? self->steps : self->clip_length;
  GST_OBJECT_UNLOCK (self);

  if (sample_frame (self, buf, fstep)) {
    if (!step (self, buf, clip, clip_messages))
      return GST_FLOW_ERROR;
    if (self->fed % interval == 0)
      report (self, buf);
  }
  self->frame++;
  return GST_FLOW_OK;
}

static gboolean
gst_nn_video_classify_sink_event (GstBaseTransform *trans, GstEvent *event)
{
  GstNnVideoClassify *self = GST_NN_VIDEO_CLASSIFY (trans);
  switch (GST_EVENT_TYPE (event)) {
  case GST_EVENT_EOS:
    if (gst_nn_inference_model (GST_NN_INFERENCE (self)))
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
  case PROP_CLIP_MESSAGES:
    self->clip_messages = g_value_get_boolean (value);
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
  case PROP_CLIP_MESSAGES:
    g_value_set_boolean (value, self->clip_messages);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
install_properties (GObjectClass *gobject_class)
{
  const GParamFlags rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS;

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
  g_object_class_install_property (gobject_class, PROP_CLIP_MESSAGES,
    g_param_spec_boolean ("clip-messages", "Clip messages", "Post an nn-video-clip message with each complete "
                          "clip's own probabilities at its end (per-clip scores; nn run --list sets it)",
                          DEFAULT_CLIP_MESSAGES, rw | GST_PARAM_MUTABLE_PLAYING));
}

static void
gst_nn_video_classify_class_init (GstNnVideoClassifyClass *klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseTransformClass *trans_class = GST_BASE_TRANSFORM_CLASS (klass);
  GstNnInferenceClass *inference_class = GST_NN_INFERENCE_CLASS (klass);

  gobject_class->set_property = gst_nn_video_classify_set_property;
  gobject_class->get_property = gst_nn_video_classify_get_property;
  install_properties (gobject_class);

  gst_element_class_set_static_metadata (element_class, "Neural-network video classifier", "Filter/Analyzer/Video",
                                         "Classifies a whole video with a libnn sequence model, frame by frame",
                                         "gst-nn developers");
  trans_class->sink_event = GST_DEBUG_FUNCPTR (gst_nn_video_classify_sink_event);
  inference_class->setup = GST_DEBUG_FUNCPTR (gst_nn_video_classify_setup);
  inference_class->process = GST_DEBUG_FUNCPTR (gst_nn_video_classify_process);
  inference_class->teardown = GST_DEBUG_FUNCPTR (gst_nn_video_classify_teardown);

  GST_DEBUG_CATEGORY_INIT (gst_nn_video_classify_debug, "nnvideoclassify", 0, "libnn video sequence classifier");
}

static void
gst_nn_video_classify_init (GstNnVideoClassify *self)
{
  self->sample_rate = DEFAULT_SAMPLE_RATE;
  self->frame_step = DEFAULT_FRAME_STEP;
  self->clip_length = DEFAULT_CLIP_LENGTH;
  self->report_interval = DEFAULT_REPORT_INTERVAL;
  self->clip_messages = DEFAULT_CLIP_MESSAGES;
  self->pts0 = GST_CLOCK_TIME_NONE;
  nn_frame_sampler_init (&self->sampler, 0.0);
}
