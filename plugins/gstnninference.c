/* GstNnInference: what the model-running elements share; see gstnninference.h. */
#include "gstnninference.h"

#include <string.h>

#include "nn-classification-meta.h"
#include "nn-element-util.h"
#include "nn-input.h"

GST_DEBUG_CATEGORY_STATIC (gst_nn_inference_debug);
#define GST_CAT_DEFAULT gst_nn_inference_debug

enum {
  PROP_0,
  PROP_MODEL,
  PROP_LABELS,
  PROP_LATENCY,
  PROP_THROUGHPUT,
  PROP_MODEL_INSTANCE,
  PROP_BATCH_SIZE,
  PROP_BATCH_TIMEOUT,
  PROP_MEAN_BATCH,
};

#define DEFAULT_PROP_BATCH_SIZE 1
#define DEFAULT_PROP_BATCH_TIMEOUT 5000   /* us */
#define MAX_BATCH_SIZE 256

typedef struct {
  /* properties and statistics, under the object lock */
  char    *model_path;
  char    *labels_path;
  char    *instance_name;
  guint    batch_size;
  guint64  batch_timeout;  /* us */
  gboolean started;        /* start() to stop(): the model properties are fixed */
  guint64  batched;        /* sum of the batch sizes this element's frames ran in */
  guint64  n_inferences;
  gdouble  total_ms;       /* conversion + model */
  gint64   first_us, last_us;

  guint    id;             /* distinct per element of the process: the metas' id */

  /* from start() to stop() */
  NnModel      *model;     /* owned, or the shared instance's (read only) */
  NnSharedModel  *shared;  /* with model-instance */
  NnSharedClient *client;  /* this stream's seat in it */
  guint64       version;   /* streaming thread: the instance's weights snapshot of the last frame */
  NnPreprocess  frame;
  float        *input;     /* (C, H, W), the client's with an instance */
  int           n_classes;
  char        **labels;    /* (n_classes), NULL-terminated */
  char         *model_name;/* the file's name without folder and extension */
  const char  **top_labels;/* (n_classes) scratch of gst_nn_inference_top */
  gint         *top_idx;
  gdouble      *top_vals;
  int          *topk_idx;
  float        *topk_vals;

  /* from set_info() */
  NnImageConverter *convert;
} GstNnInferencePrivate;

G_DEFINE_ABSTRACT_TYPE_WITH_PRIVATE (GstNnInference, gst_nn_inference, GST_TYPE_VIDEO_FILTER);

#define PRIV(self) ((GstNnInferencePrivate *) gst_nn_inference_get_instance_private (self))

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink", GST_PAD_SINK, GST_PAD_ALWAYS,
  GST_STATIC_CAPS (GST_VIDEO_CAPS_MAKE (NN_INPUT_FORMATS)));
static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src", GST_PAD_SRC, GST_PAD_ALWAYS,
  GST_STATIC_CAPS (GST_VIDEO_CAPS_MAKE (NN_INPUT_FORMATS)));

/* ---- accessors --------------------------------------------------------------- */

NnModel *
gst_nn_inference_model (GstNnInference *self)
{
  return PRIV (self)->model;
}

const NnPreprocess *
gst_nn_inference_frame (GstNnInference *self)
{
  return &PRIV (self)->frame;
}

int
gst_nn_inference_n_classes (GstNnInference *self)
{
  return PRIV (self)->n_classes;
}

const char *const *
gst_nn_inference_labels (GstNnInference *self)
{
  return (const char *const *) PRIV (self)->labels;
}

/* ---- start / stop ---------------------------------------------------------------- */

/* Non-empty lines of a text file, stripped. */
static char **
read_labels (const char *path, int *n, GError **error)
{
  g_autofree char *text = NULL;
  if (!g_file_get_contents (path, &text, NULL, error))
    return NULL;
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  GPtrArray *out = g_ptr_array_new ();
  for (char **l = lines; *l; l++)
    if (*g_strstrip (*l))
      g_ptr_array_add (out, g_strdup (*l));
  *n = out->len;
  g_ptr_array_add (out, NULL);
  return (char **) g_ptr_array_free (out, FALSE);
}

static gboolean
setup_labels (GstNnInference *self, const char *labels_path)
{
  GstNnInferencePrivate *p = PRIV (self);
  g_autoptr (GError) err = NULL;
  int n = 0;
  if (labels_path) {
    p->labels = read_labels (labels_path, &n, &err);
    if (!p->labels)
      goto read_failed;
    if (n != p->n_classes)
      goto count_mismatch;
    return TRUE;
  }
  p->labels = nn_element_model_labels (p->model, p->n_classes);
  return TRUE;

  /* ERRORS */
read_failed:
  GST_ELEMENT_ERROR (self, RESOURCE, OPEN_READ, ("Could not read labels file \"%s\"", labels_path),
                     ("%s", err->message));
  return FALSE;
count_mismatch:
  GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS, ("Labels file \"%s\" has %d labels, the model has %d classes",
                                                labels_path, n, p->n_classes), (NULL));
  return FALSE;
}

static gboolean gst_nn_inference_stop (GstBaseTransform *trans);

static gboolean
gst_nn_inference_start (GstBaseTransform *trans)
{
  GstNnInference *self = GST_NN_INFERENCE (trans);
  GstNnInferenceClass *klass = GST_NN_INFERENCE_GET_CLASS (self);
  GstNnInferencePrivate *p = PRIV (self);
  g_autoptr (GError) err = NULL;

  GST_OBJECT_LOCK (self);
  g_autofree char *path = g_strdup (p->model_path);
  g_autofree char *labels_path = g_strdup (p->labels_path);
  g_autofree char *instance = p->instance_name && *p->instance_name ? g_strdup (p->instance_name) : NULL;
  int batch_size = (int) p->batch_size;
  gint64 batch_timeout = (gint64) p->batch_timeout;
  p->started = TRUE;
  p->batched = 0;
  p->n_inferences = 0;
  p->total_ms = 0.0;
  p->first_us = p->last_us = 0;
  GST_OBJECT_UNLOCK (self);

  if (!path)
    goto no_model;
  if (instance) {
    if (!klass->shareable)
      goto not_shareable;
    /* the instance loads the file once for all its streams */
    p->shared = nn_shared_model_acquire (instance, path, batch_size, batch_timeout, &err);
    if (!p->shared)
      goto share_failed;
    p->model = (NnModel *) nn_shared_model_model (p->shared);
    NnModel *m = p->model;
    if (!klass->setup (self, &m, &p->frame, &p->n_classes, &err))
      goto refused;
    g_warn_if_fail (m == p->model);
    p->client = nn_shared_client_new (p->shared);
    p->input = nn_shared_client_input (p->client);
  } else {
    p->model = nn_model_load (path, &err);
    if (!p->model)
      goto load_failed;
    if (!klass->setup (self, &p->model, &p->frame, &p->n_classes, &err))
      goto refused;
    if (!nn_model_reserve (p->model, 1, &err))
      goto refused;
    p->input = g_new0 (float, nn_shape_numel (nn_model_input_shape (p->model)));
  }
  p->model_name = nn_element_model_name (path);
  int n = p->n_classes;
  p->top_labels = g_new0 (const char *, n);
  p->top_idx = g_new0 (gint, n);
  p->top_vals = g_new0 (gdouble, n);
  p->topk_idx = g_new0 (int, n);
  p->topk_vals = g_new0 (float, n);
  if (!setup_labels (self, labels_path))
    goto fail;
  GST_INFO_OBJECT (self, "%s %s: %d classes, frames %dx%dx%d", instance ? "sharing" : "loaded", path, n,
                   p->frame.channels, p->frame.height, p->frame.width);
  return TRUE;

  /* ERRORS */
no_model:
  GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS, ("No model set"),
                     ("set the \"model\" property to a .safetensors, .onnx or .json file"));
  return FALSE;
load_failed:
  if (err->domain == NN_ERROR && err->code == NN_ERROR_IO)
    GST_ELEMENT_ERROR (self, RESOURCE, OPEN_READ, ("Could not load model \"%s\"", path), ("%s", err->message));
  else
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS, ("Could not load model \"%s\"", path), ("%s", err->message));
  goto fail;
refused:
  GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS, ("Model \"%s\" cannot run in %s: %s", path, GST_OBJECT_NAME (self),
                     err->message), (NULL));
  goto fail;
not_shareable:
  GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS, ("%s cannot share model instance \"%s\"",
                     G_OBJECT_TYPE_NAME (self), instance), ("%s keeps per-stream state in its model (a streaming copy "
                     "of it): leave model-instance empty", GST_OBJECT_NAME (self)));
  goto fail;
share_failed:
  if (err->domain == NN_ERROR && err->code == NN_ERROR_IO)
    GST_ELEMENT_ERROR (self, RESOURCE, OPEN_READ, ("Could not load model \"%s\"", path), ("%s", err->message));
  else
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS, ("Could not share model instance \"%s\"", instance),
                       ("%s", err->message));
fail:
  /* basetransform does not call stop() after a failed start() */
  gst_nn_inference_stop (trans);
  return FALSE;
}

static gboolean
gst_nn_inference_stop (GstBaseTransform *trans)
{
  GstNnInference *self = GST_NN_INFERENCE (trans);
  GstNnInferencePrivate *p = PRIV (self);
  GstNnInferenceClass *klass = GST_NN_INFERENCE_GET_CLASS (self);
  if (klass->teardown)
    klass->teardown (self);
  g_clear_pointer (&p->convert, nn_image_converter_free);
  if (p->shared) {
    /* the streaming thread has stopped: the seat has no frame in a batch */
    p->model = NULL;
    p->input = NULL;
    g_clear_pointer (&p->client, nn_shared_client_free);
    g_clear_pointer (&p->shared, nn_shared_model_release);
  }
  g_clear_pointer (&p->model, nn_model_free);
  g_clear_pointer (&p->input, g_free);
  g_clear_pointer (&p->labels, g_strfreev);
  g_clear_pointer (&p->model_name, g_free);
  g_clear_pointer (&p->top_labels, g_free);
  g_clear_pointer (&p->top_idx, g_free);
  g_clear_pointer (&p->top_vals, g_free);
  g_clear_pointer (&p->topk_idx, g_free);
  g_clear_pointer (&p->topk_vals, g_free);
  p->n_classes = 0;
  GST_OBJECT_LOCK (self);
  p->started = FALSE;
  GST_OBJECT_UNLOCK (self);
  return TRUE;
}

/* ---- caps --------------------------------------------------------------------- */

/* Any accepted format goes straight to the model's size and channels,
 * honouring the caps' range and matrix (nn-input.h): no RGB frame is built. */
static gboolean
gst_nn_inference_set_info (GstVideoFilter *filter, GstCaps *incaps, GstVideoInfo *in_info, GstCaps *outcaps,
                           GstVideoInfo *out_info)
{
  GstNnInference *self = GST_NN_INFERENCE (filter);
  GstNnInferencePrivate *p = PRIV (self);
  g_autoptr (GError) err = NULL;

  g_clear_pointer (&p->convert, nn_image_converter_free);
  if (!p->model)
    goto no_model;
  p->convert = nn_input_converter_new (in_info, &p->frame, &err);
  if (!p->convert)
    goto no_converter;
  GST_DEBUG_OBJECT (self, "%s input, range %d, matrix %d", gst_video_format_to_string (GST_VIDEO_INFO_FORMAT (in_info)),
                    in_info->colorimetry.range, in_info->colorimetry.matrix);
  return TRUE;

  /* ERRORS */
no_model:
  GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, ("No model loaded"), (NULL));
  return FALSE;
no_converter:
  GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, ("Cannot feed %s frames to the model",
                     gst_video_format_to_string (GST_VIDEO_INFO_FORMAT (in_info))), ("%s", err->message));
  return FALSE;
}

/* ---- frames ------------------------------------------------------------------- */

const float *
gst_nn_inference_run (GstNnInference *self, GstBuffer *buf)
{
  GstNnInferencePrivate *p = PRIV (self);
  g_autoptr (GError) err = NULL;
  GstVideoFrame frame;
  /* NO_REF keeps the buffer writable for the meta; we only read the pixels */
  if (!gst_video_frame_map (&frame, &GST_VIDEO_FILTER (self)->in_info, buf,
                            GST_MAP_READ | GST_VIDEO_FRAME_MAP_FLAG_NO_REF))
    goto map_failed;
  gint64 t0 = g_get_monotonic_time ();
  nn_input_convert (p->convert, &frame, p->input);
  gst_video_frame_unmap (&frame);
  NnSharedRunInfo info = { .n = 1 };
  const float *out;
  if (p->client) {
    /* waits for this frame's batch: at most batch-timeout, then its run */
    out = nn_shared_client_run (p->client, &err);
    nn_shared_client_last_run (p->client, &info);
    p->version = info.version;
  } else {
    out = nn_model_forward (p->model, p->input, 1, FALSE, &err);
  }
  if (!out)
    goto forward_failed;
  gint64 t1 = g_get_monotonic_time ();
  GST_OBJECT_LOCK (self);
  p->batched += info.n;
  if (p->n_inferences++ == 0)
    p->first_us = t0;
  p->last_us = t1;
  p->total_ms += (t1 - t0) / 1000.0;
  GST_OBJECT_UNLOCK (self);
  return out;

  /* ERRORS */
map_failed:
  GST_ELEMENT_ERROR (self, STREAM, FAILED, ("Could not map the video frame"), (NULL));
  return NULL;
forward_failed:
  GST_ELEMENT_ERROR (self, STREAM, FAILED, ("Inference failed"), ("%s", err->message));
  return NULL;
}

void
gst_nn_inference_top (GstNnInference *self, const float *scores, int k, const char ***labels, gint **idx,
                      gdouble **vals)
{
  GstNnInferencePrivate *p = PRIV (self);
  k = CLAMP (k, 0, p->n_classes);
  nn_topk (scores, p->n_classes, k, p->topk_idx, p->topk_vals);
  for (int j = 0; j < k; j++) {
    p->top_idx[j] = p->topk_idx[j];
    p->top_vals[j] = p->topk_vals[j];
    p->top_labels[j] = p->labels[p->topk_idx[j]];
  }
  *labels = p->top_labels;
  *idx = p->top_idx;
  *vals = p->top_vals;
}

void
gst_nn_inference_stamp (GstNnInference *self, GstStructure *s)
{
  GstNnInferencePrivate *p = PRIV (self);
  gst_structure_set (s, "element", G_TYPE_STRING, GST_OBJECT_NAME (self), "element-id", G_TYPE_UINT, p->id,
                     "model", G_TYPE_STRING, p->model_name ? p->model_name : "", NULL);
  /* which published weights classified the frame: one snapshot per batch (nntrain) */
  if (p->client)
    gst_structure_set (s, "weights-version", G_TYPE_UINT64, p->version, NULL);
}

GstVideoRegionOfInterestMeta *
gst_nn_inference_attach (GstNnInference *self, GstBuffer *buf, GstStructure *s, guint x, guint y, guint w, guint h)
{
  if (!gst_buffer_is_writable (buf)) {
    GST_WARNING_OBJECT (self, "buffer not writable: result not attached");
    gst_structure_free (s);
    return NULL;
  }
  gst_nn_inference_stamp (self, s);
  GstVideoRegionOfInterestMeta *meta =
    gst_buffer_add_video_region_of_interest_meta (buf, NN_CLASSIFICATION_NAME, x, y, w, h);
  meta->id = (gint) PRIV (self)->id;
  gst_video_region_of_interest_meta_add_param (meta, s);
  return meta;
}

void
gst_nn_inference_post (GstNnInference *self, GstStructure *s)
{
  gst_nn_inference_stamp (self, s);
  gst_element_post_message (GST_ELEMENT (self), gst_message_new_element (GST_OBJECT (self), s));
}

/* A stream that ended no longer holds back the batches of the streams
 * sharing its instance; its next frame (after a flush or a new stream)
 * joins them again. */
static gboolean
gst_nn_inference_sink_event (GstBaseTransform *trans, GstEvent *event)
{
  GstNnInferencePrivate *p = PRIV (GST_NN_INFERENCE (trans));
  if (GST_EVENT_TYPE (event) == GST_EVENT_EOS && p->client)
    nn_shared_client_set_active (p->client, FALSE);
  return GST_BASE_TRANSFORM_CLASS (gst_nn_inference_parent_class)->sink_event (trans, event);
}

static GstFlowReturn
gst_nn_inference_transform_ip (GstBaseTransform *trans, GstBuffer *buf)
{
  GstNnInference *self = GST_NN_INFERENCE (trans);
  if (G_UNLIKELY (!PRIV (self)->convert))
    goto not_negotiated;
  return GST_NN_INFERENCE_GET_CLASS (self)->process (self, buf);

  /* ERRORS */
not_negotiated:
  GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, (NULL), ("no caps set before the first buffer"));
  return GST_FLOW_NOT_NEGOTIATED;
}

/* ---- properties ------------------------------------------------------------------ */

/* Whether a change of `prop` would come while the element runs: the model
 * and the instance it shares are fixed from start() to stop(), and a
 * pipeline that asks otherwise gets an element error (posted by the caller,
 * outside the object lock). */
static gboolean
refuse_while_started (GstNnInferencePrivate *p, GParamSpec *pspec, const GValue *value, const char **refused)
{
  if (!p->started)
    return FALSE;
  GValue now = G_VALUE_INIT;
  g_value_init (&now, G_PARAM_SPEC_VALUE_TYPE (pspec));
  switch (pspec->param_id) {
  case PROP_MODEL:
    g_value_set_string (&now, p->model_path);
    break;
  case PROP_MODEL_INSTANCE:
    g_value_set_string (&now, p->instance_name);
    break;
  case PROP_BATCH_SIZE:
    g_value_set_uint (&now, p->batch_size);
    break;
  case PROP_BATCH_TIMEOUT:
    g_value_set_uint64 (&now, p->batch_timeout);
    break;
  default:
    break;
  }
  gboolean same = g_param_values_cmp (pspec, value, &now) == 0;
  g_value_unset (&now);
  if (!same)
    *refused = pspec->name;
  return !same;
}

static void
gst_nn_inference_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  GstNnInferencePrivate *p = PRIV (GST_NN_INFERENCE (object));
  const char *refused = NULL;
  GST_OBJECT_LOCK (object);
  switch (prop_id) {
  case PROP_MODEL:
    if (refuse_while_started (p, pspec, value, &refused))
      break;
    g_free (p->model_path);
    p->model_path = g_value_dup_string (value);
    break;
  case PROP_MODEL_INSTANCE:
    if (refuse_while_started (p, pspec, value, &refused))
      break;
    g_free (p->instance_name);
    p->instance_name = g_value_dup_string (value);
    break;
  case PROP_BATCH_SIZE:
    if (!refuse_while_started (p, pspec, value, &refused))
      p->batch_size = g_value_get_uint (value);
    break;
  case PROP_BATCH_TIMEOUT:
    if (!refuse_while_started (p, pspec, value, &refused))
      p->batch_timeout = g_value_get_uint64 (value);
    break;
  case PROP_LABELS:
    g_free (p->labels_path);
    p->labels_path = g_value_dup_string (value);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    break;
  }
  g_autofree char *running = refused ? g_strdup (p->model_path) : NULL;
  GST_OBJECT_UNLOCK (object);
  if (refused)
    GST_ELEMENT_ERROR (GST_ELEMENT (object), RESOURCE, SETTINGS, ("Cannot change \"%s\" while %s is running",
                       refused, GST_OBJECT_NAME (object)),
                       ("the model and its instance are fixed from READY to PAUSED until back to READY; the element "
                        "keeps running \"%s\": set the pipeline to READY or NULL first", running ? running : ""));
}

static void
gst_nn_inference_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  GstNnInferencePrivate *p = PRIV (GST_NN_INFERENCE (object));
  GST_OBJECT_LOCK (object);
  switch (prop_id) {
  case PROP_MODEL:
    g_value_set_string (value, p->model_path);
    break;
  case PROP_LABELS:
    g_value_set_string (value, p->labels_path);
    break;
  case PROP_MODEL_INSTANCE:
    g_value_set_string (value, p->instance_name);
    break;
  case PROP_BATCH_SIZE:
    g_value_set_uint (value, p->batch_size);
    break;
  case PROP_BATCH_TIMEOUT:
    g_value_set_uint64 (value, p->batch_timeout);
    break;
  case PROP_MEAN_BATCH:
    g_value_set_double (value, p->n_inferences ? (gdouble) p->batched / p->n_inferences : 0.0);
    break;
  case PROP_LATENCY:
    g_value_set_double (value, p->n_inferences ? p->total_ms / p->n_inferences : 0.0);
    break;
  case PROP_THROUGHPUT:
    g_value_set_double (value, p->n_inferences > 1 && p->last_us > p->first_us ?
                               (p->n_inferences - 1) * 1e6 / (p->last_us - p->first_us) : 0.0);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    break;
  }
  GST_OBJECT_UNLOCK (object);
}

static void
gst_nn_inference_finalize (GObject *object)
{
  GstNnInferencePrivate *p = PRIV (GST_NN_INFERENCE (object));
  g_free (p->model_path);
  g_free (p->labels_path);
  g_free (p->instance_name);
  G_OBJECT_CLASS (gst_nn_inference_parent_class)->finalize (object);
}

static void
gst_nn_inference_class_init (GstNnInferenceClass *klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseTransformClass *trans_class = GST_BASE_TRANSFORM_CLASS (klass);
  GstVideoFilterClass *filter_class = GST_VIDEO_FILTER_CLASS (klass);
  const GParamFlags rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS;
  const GParamFlags ro = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS;

  gobject_class->set_property = gst_nn_inference_set_property;
  gobject_class->get_property = gst_nn_inference_get_property;
  gobject_class->finalize = gst_nn_inference_finalize;

  g_object_class_install_property (gobject_class, PROP_MODEL,
    g_param_spec_string ("model", "Model", "Model file: a .safetensors written by nn train, an .onnx model "
                         "(labels and preprocessing from X.json beside it: docs/onnx.md), or a .json spec "
                         "(random weights); loaded when the element starts", NULL, rw | GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_LABELS,
    g_param_spec_string ("labels", "Labels file", "Text file with one class name per line (blank lines ignored) "
                         "replacing the model's labels; the count must match the model's classes",
                         NULL, rw | GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_MODEL_INSTANCE,
    g_param_spec_string ("model-instance", "Model instance", "Name of a model shared by the elements of the process "
                         "that give the same name (and the same model file, batch-size and batch-timeout): the file "
                         "is loaded once and the streams' frames run together in batches; empty: a model of this "
                         "element's own. nnvideoclassify, whose model carries each stream's state, refuses it. Example, one per stream: nnclassify model=models/fashion-lenet.safetensors "
                         "model-instance=cams batch-size=8 batch-timeout=5000", NULL, rw | GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_BATCH_SIZE,
    g_param_spec_uint ("batch-size", "Batch size", "With model-instance: the most frames, from the streams sharing "
                       "the instance, run as one batch; a batch goes as soon as every running stream has a frame "
                       "in it (or batch-size are there)", 1, MAX_BATCH_SIZE, DEFAULT_PROP_BATCH_SIZE,
                       rw | GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_BATCH_TIMEOUT,
    g_param_spec_uint64 ("batch-timeout", "Batch timeout", "With model-instance: the longest a frame waits, in "
                         "microseconds, for the other streams' frames to fill its batch (a stalled stream delays "
                         "the others by at most this; a stream at EOS not at all)", 0, G_GUINT64_CONSTANT (60000000),
                         DEFAULT_PROP_BATCH_TIMEOUT, rw | GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_MEAN_BATCH,
    g_param_spec_double ("mean-batch", "Mean batch", "Mean number of frames in the batches this element's frames ran "
                         "in (1 without model-instance; 0 before the first)", 0.0, G_MAXDOUBLE, 0.0, ro));
  g_object_class_install_property (gobject_class, PROP_LATENCY,
    g_param_spec_double ("latency", "Latency", "Mean time per inference in milliseconds, conversion of the frame "
                         "included, and with model-instance the wait for the batch (0 before the first)", 0.0, G_MAXDOUBLE, 0.0, ro));
  g_object_class_install_property (gobject_class, PROP_THROUGHPUT,
    g_param_spec_double ("throughput", "Throughput", "Inferences per second of wall-clock time between the first "
                         "and the latest inference (0 before the second)", 0.0, G_MAXDOUBLE, 0.0, ro));

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);

  trans_class->start = GST_DEBUG_FUNCPTR (gst_nn_inference_start);
  trans_class->stop = GST_DEBUG_FUNCPTR (gst_nn_inference_stop);
  trans_class->transform_ip = GST_DEBUG_FUNCPTR (gst_nn_inference_transform_ip);
  trans_class->sink_event = GST_DEBUG_FUNCPTR (gst_nn_inference_sink_event);
  trans_class->transform_ip_on_passthrough = FALSE;
  filter_class->set_info = GST_DEBUG_FUNCPTR (gst_nn_inference_set_info);

  GST_DEBUG_CATEGORY_INIT (gst_nn_inference_debug, "nninference", 0, "base of the libnn inference elements");
  gst_type_mark_as_plugin_api (GST_TYPE_NN_INFERENCE, 0);
}

static void
gst_nn_inference_init (GstNnInference *self)
{
  static gint next_id = 0;
  PRIV (self)->id = (guint) g_atomic_int_add (&next_id, 1) + 1;
  PRIV (self)->batch_size = DEFAULT_PROP_BATCH_SIZE;
  PRIV (self)->batch_timeout = DEFAULT_PROP_BATCH_TIMEOUT;
  gst_base_transform_set_in_place (GST_BASE_TRANSFORM (self), TRUE);
}
