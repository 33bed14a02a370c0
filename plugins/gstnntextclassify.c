/* nntextclassify: classifies text/x-raw buffers (subtitles from subparse,
 * lines of a file) with a word classifier trained on textcls: data (a spec
 * with a "text" block; its model file carries the vocabulary). Buffers pass
 * through unchanged. Each text classified posts an element message like
 * nnclassify's: "nn-classification" with label, class-index, score and the
 * top-k-labels / top-k-indices / top-k-scores arrays, plus element, model,
 * text (what was classified), pts and index (the count of texts so far);
 * `nn run` prints them as JSON lines.
 *
 * lines=false (default): a buffer is one text (a subtitle; pango-markup is
 * reduced to its plain text). lines=true: every line is a text; a line cut
 * by a buffer boundary waits for the rest, and a last line without a newline
 * is classified at end of stream.
 *
 *   gst-launch-1.0 filesrc location=s.txt ! text/x-raw,format=utf8 \
 *       ! nntextclassify model=models/fortunes-computers-politics.safetensors lines=true ! fakesink */
#include "gstnntextclassify.h"
#include <string.h>
#include <pango/pango.h>
#include <nn/nn.h>
#include "nn-classification-meta.h"
#include "nn-element-util.h"

GST_DEBUG_CATEGORY_STATIC (gst_nn_text_classify_debug);
#define GST_CAT_DEFAULT gst_nn_text_classify_debug

struct _GstNnTextClassify {
  GstBaseTransform parent;
  /* properties, under the object lock */
  char    *model_path;
  guint    top_k;
  gboolean lines;
  /* between start and stop, on the streaming thread */
  NnModel     *model;
  NnTokenizer *tok;
  char        *model_name;
  char       **labels;    /* n_classes */
  int          n_classes;
  float       *input, *scores;
  int         *top_idx;
  float       *top_vals;
  gboolean     markup;    /* caps format=pango-markup */
  GString     *pending;   /* lines=true: the unfinished last line */
  guint64      index;
};

enum { PROP_0, PROP_MODEL, PROP_TOP_K, PROP_LINES };

#define TEXT_CAPS "text/x-raw, format = (string) { utf8, pango-markup }"
static GstStaticPadTemplate sink_template =
  GST_STATIC_PAD_TEMPLATE ("sink", GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS (TEXT_CAPS));
static GstStaticPadTemplate src_template =
  GST_STATIC_PAD_TEMPLATE ("src", GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS (TEXT_CAPS));

G_DEFINE_TYPE (GstNnTextClassify, gst_nn_text_classify, GST_TYPE_BASE_TRANSFORM);
GST_ELEMENT_REGISTER_DEFINE (nntextclassify, "nntextclassify", GST_RANK_NONE, GST_TYPE_NN_TEXT_CLASSIFY);

static gboolean gst_nn_text_classify_stop (GstBaseTransform *trans);

static gboolean
gst_nn_text_classify_start (GstBaseTransform *trans)
{
  GstNnTextClassify *self = GST_NN_TEXT_CLASSIFY (trans);
  g_autoptr (GError) err = NULL;
  GST_OBJECT_LOCK (self);
  g_autofree char *path = g_strdup (self->model_path);
  GST_OBJECT_UNLOCK (self);
  if (!path) {
    GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND, ("No model set"), ("set the \"model\" property"));
    return FALSE;
  }
  self->model = nn_model_load (path, &err);
  if (!self->model)
    goto failed;
  /* a word classifier: [T] indices in, one sigmoid or K classes out */
  if (!nn_model_check_kind (self->model, NN_MODEL_KIND_TEXT, &err))
    goto failed;
  self->tok = nn_tokenizer_new (nn_model_get_spec (self->model), &err);
  if (!self->tok)
    goto failed;
  const NnShape *out = nn_model_output_shape (self->model);
  if (out->ndim != 1) {
    g_set_error (&err, NN_ERROR, NN_ERROR_SHAPE, "%s: the model outputs per step, not one verdict per text", path);
    goto failed;
  }
  int n_out = (int) out->dim[0];
  self->n_classes = n_out == 1 ? 2 : n_out;
  self->labels = nn_element_model_labels (self->model, self->n_classes);
  if (!nn_model_reserve (self->model, 1, &err))
    goto failed;
  self->input = g_new0 (float, nn_tokenizer_length (self->tok));
  self->scores = g_new0 (float, self->n_classes);
  self->top_idx = g_new0 (int, self->n_classes);
  self->top_vals = g_new0 (float, self->n_classes);
  self->model_name = nn_element_model_name (path);
  self->pending = g_string_new (NULL);
  self->index = 0;
  return TRUE;

failed:
  GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS, ("Could not use model \"%s\"", path), ("%s", err->message));
  gst_nn_text_classify_stop (trans);
  return FALSE;
}

static gboolean
gst_nn_text_classify_stop (GstBaseTransform *trans)
{
  GstNnTextClassify *self = GST_NN_TEXT_CLASSIFY (trans);
  g_clear_pointer (&self->model, nn_model_free);
  g_clear_pointer (&self->tok, nn_tokenizer_free);
  g_clear_pointer (&self->labels, g_strfreev);
  g_clear_pointer (&self->model_name, g_free);
  g_clear_pointer (&self->input, g_free);
  g_clear_pointer (&self->scores, g_free);
  g_clear_pointer (&self->top_idx, g_free);
  g_clear_pointer (&self->top_vals, g_free);
  if (self->pending)
    g_string_free (g_steal_pointer (&self->pending), TRUE);
  return TRUE;
}

static gboolean
gst_nn_text_classify_set_caps (GstBaseTransform *trans, GstCaps *incaps, GstCaps *outcaps)
{
  GstNnTextClassify *self = GST_NN_TEXT_CLASSIFY (trans);
  const char *format = gst_structure_get_string (gst_caps_get_structure (incaps, 0), "format");
  self->markup = g_strcmp0 (format, "pango-markup") == 0;
  return TRUE;
}

/* Classifies one text (valid UTF-8) and posts the message. */
static gboolean
classify (GstNnTextClassify *self, const char *text, GstClockTime pts)
{
  g_autofree char *plain = NULL;
  if (self->markup && !pango_parse_markup (text, -1, 0, NULL, &plain, NULL, NULL))
    plain = NULL;  /* not valid markup: classified as it is */
  const char *t = plain ? plain : text;
  g_autofree char *stripped = g_strstrip (g_strdup (t));
  if (!*stripped)
    return TRUE;
  g_autoptr (GError) err = NULL;
  nn_tokenizer_encode (self->tok, stripped, self->input);
  const float *out = nn_model_forward (self->model, self->input, 1, FALSE, &err);
  if (!out) {
    GST_ELEMENT_ERROR (self, STREAM, FAILED, ("Inference failed"), ("%s", err->message));
    return FALSE;
  }
  if (self->n_classes == 2 && nn_shape_numel (nn_model_output_shape (self->model)) == 1) {
    self->scores[0] = 1.0f - out[0];
    self->scores[1] = out[0];
  } else {
    memcpy (self->scores, out, sizeof (float) * self->n_classes);
  }
  GST_OBJECT_LOCK (self);
  int k = (int) MIN (self->top_k, (guint) self->n_classes);
  GST_OBJECT_UNLOCK (self);
  nn_topk (self->scores, self->n_classes, k, self->top_idx, self->top_vals);
  const char *labels[k];
  gint idx[k];
  gdouble vals[k];
  for (int j = 0; j < k; j++) {
    idx[j] = self->top_idx[j];
    vals[j] = self->top_vals[j];
    labels[j] = self->labels[idx[j]];
  }
  GstStructure *s = nn_classification_new ((guint) k, labels, idx, vals);
  gst_structure_set (s, "element", G_TYPE_STRING, GST_OBJECT_NAME (self), "model", G_TYPE_STRING, self->model_name,
                     "text", G_TYPE_STRING, stripped, "pts", G_TYPE_UINT64, (guint64) pts, "index", G_TYPE_UINT64,
                     self->index++, NULL);
  gst_element_post_message (GST_ELEMENT (self), gst_message_new_element (GST_OBJECT (self), s));
  return TRUE;
}

/* lines=true: every complete line of pending */
static gboolean
classify_lines (GstNnTextClassify *self, GstClockTime pts, gboolean flush)
{
  char *start = self->pending->str, *nl;
  while ((nl = strchr (start, '\n'))) {
    *nl = 0;
    if (!classify (self, start, pts))
      return FALSE;
    start = nl + 1;
  }
  gsize done = start - self->pending->str;
  g_string_erase (self->pending, 0, done);
  if (flush && self->pending->len) {
    gboolean ok = classify (self, self->pending->str, pts);
    g_string_truncate (self->pending, 0);
    return ok;
  }
  return TRUE;
}

static GstFlowReturn
gst_nn_text_classify_transform_ip (GstBaseTransform *trans, GstBuffer *buf)
{
  GstNnTextClassify *self = GST_NN_TEXT_CLASSIFY (trans);
  GstMapInfo map;
  if (!gst_buffer_map (buf, &map, GST_MAP_READ)) {
    GST_ELEMENT_ERROR (self, STREAM, FAILED, ("Could not map the text buffer"), (NULL));
    return GST_FLOW_ERROR;
  }
  GST_OBJECT_LOCK (self);
  gboolean lines = self->lines;
  GST_OBJECT_UNLOCK (self);
  gboolean ok;
  if (lines) {
    g_string_append_len (self->pending, (const char *) map.data, (gssize) map.size);
    const char *end;
    /* pending holds the unfinished line and this buffer; a UTF-8 character
     * cut at the buffer's end is completed by the next */
    ok = g_utf8_validate_len (self->pending->str, self->pending->len, &end) ||
         (g_utf8_get_char_validated (end, self->pending->str + self->pending->len - end) == (gunichar) -2);
    if (ok)
      ok = classify_lines (self, GST_BUFFER_PTS (buf), FALSE);
    else
      GST_ELEMENT_ERROR (self, STREAM, DECODE, ("Text is not UTF-8"), ("text %" G_GUINT64_FORMAT " is not valid "
                         "UTF-8", self->index));
  } else {
    g_autofree char *text = g_strndup ((const char *) map.data, map.size);
    ok = g_utf8_validate (text, -1, NULL);
    if (!ok)
      GST_ELEMENT_ERROR (self, STREAM, DECODE, ("Text is not UTF-8"), ("buffer at %" GST_TIME_FORMAT " is not "
                         "valid UTF-8", GST_TIME_ARGS (GST_BUFFER_PTS (buf))));
    else
      ok = classify (self, text, GST_BUFFER_PTS (buf));
  }
  gst_buffer_unmap (buf, &map);
  return ok ? GST_FLOW_OK : GST_FLOW_ERROR;
}

static gboolean
gst_nn_text_classify_sink_event (GstBaseTransform *trans, GstEvent *event)
{
  GstNnTextClassify *self = GST_NN_TEXT_CLASSIFY (trans);
  if (GST_EVENT_TYPE (event) == GST_EVENT_EOS && self->pending && self->pending->len) {
    if (!g_utf8_validate (self->pending->str, -1, NULL))
      GST_ELEMENT_ERROR (self, STREAM, DECODE, ("Text is not UTF-8"), ("the last line is not valid UTF-8"));
    else
      classify_lines (self, GST_CLOCK_TIME_NONE, TRUE);
  }
  return GST_BASE_TRANSFORM_CLASS (gst_nn_text_classify_parent_class)->sink_event (trans, event);
}

static void
gst_nn_text_classify_set_property (GObject *object, guint id, const GValue *value, GParamSpec *pspec)
{
  GstNnTextClassify *self = GST_NN_TEXT_CLASSIFY (object);
  GST_OBJECT_LOCK (self);
  switch (id) {
  case PROP_MODEL:
    g_free (self->model_path);
    self->model_path = g_value_dup_string (value);
    break;
  case PROP_TOP_K:
    self->top_k = g_value_get_uint (value);
    break;
  case PROP_LINES:
    self->lines = g_value_get_boolean (value);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, id, pspec);
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_nn_text_classify_get_property (GObject *object, guint id, GValue *value, GParamSpec *pspec)
{
  GstNnTextClassify *self = GST_NN_TEXT_CLASSIFY (object);
  GST_OBJECT_LOCK (self);
  switch (id) {
  case PROP_MODEL:
    g_value_set_string (value, self->model_path);
    break;
  case PROP_TOP_K:
    g_value_set_uint (value, self->top_k);
    break;
  case PROP_LINES:
    g_value_set_boolean (value, self->lines);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, id, pspec);
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_nn_text_classify_finalize (GObject *object)
{
  GstNnTextClassify *self = GST_NN_TEXT_CLASSIFY (object);
  g_free (self->model_path);
  G_OBJECT_CLASS (gst_nn_text_classify_parent_class)->finalize (object);
}

static void
gst_nn_text_classify_class_init (GstNnTextClassifyClass *klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseTransformClass *trans_class = GST_BASE_TRANSFORM_CLASS (klass);
  GST_DEBUG_CATEGORY_INIT (gst_nn_text_classify_debug, "nntextclassify", 0, "libnn text classifier");
  gobject_class->set_property = gst_nn_text_classify_set_property;
  gobject_class->get_property = gst_nn_text_classify_get_property;
  gobject_class->finalize = gst_nn_text_classify_finalize;
  GParamFlags rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS;
  g_object_class_install_property (gobject_class, PROP_MODEL,
    g_param_spec_string ("model", "Model", "Word classifier (.safetensors) trained by nn train on textcls: data; "
                         "loaded when the element starts", NULL, rw | GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_TOP_K,
    g_param_spec_uint ("top-k", "Top K", "Number of best classes reported in the message", 1, 1000, 1,
                       rw | GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_LINES,
    g_param_spec_boolean ("lines", "Lines", "Classify every line of the stream (true) or every buffer as one "
                          "text (false: subtitles)", FALSE, rw | GST_PARAM_MUTABLE_READY));
  gst_element_class_set_static_metadata (element_class, "Neural-network text classifier", "Filter/Analyzer/Text",
                                         "Classifies text/x-raw buffers or lines with a libnn word classifier",
                                         "gst-nn project");
  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);
  trans_class->start = GST_DEBUG_FUNCPTR (gst_nn_text_classify_start);
  trans_class->stop = GST_DEBUG_FUNCPTR (gst_nn_text_classify_stop);
  trans_class->set_caps = GST_DEBUG_FUNCPTR (gst_nn_text_classify_set_caps);
  trans_class->transform_ip = GST_DEBUG_FUNCPTR (gst_nn_text_classify_transform_ip);
  trans_class->sink_event = GST_DEBUG_FUNCPTR (gst_nn_text_classify_sink_event);
  trans_class->passthrough_on_same_caps = FALSE;
}

static void
gst_nn_text_classify_init (GstNnTextClassify *self)
{
  self->top_k = 1;
  gst_base_transform_set_in_place (GST_BASE_TRANSFORM (self), TRUE);
}
