/**
 * SECTION:element-nnpublish
 * @title: nnpublish
 *
 * Turns the results the classifiers attach to each buffer (nnclassify's and
 * nnvideoclassify's "nn-classification" #GstVideoRegionOfInterestMeta, see
 * nn-classification-meta.h) into one JSON object per frame, and publishes it
 * to a file or standard output as JSON lines (`location`), to an MQTT broker
 * through libmosquitto (`mqtt-host`), or both. Buffers pass through
 * unchanged; any caps are accepted. The object names the stream, the frame
 * (count, PTS and running time in nanoseconds, width and height for video)
 * and each result (element, element id, model, label, class index, score,
 * box, top-k). docs/publish.md has the schema.
 *
 * The stream is named by `stream-name`, or else by the `uri`, `location` or
 * `device` property of the nearest upstream element that has one set (walking
 * up through bins and ghost pads, and through the active input of a concat
 * or input-selector: uridecodebin's uri, filesrc's location, v4l2src's
 * device), or else by the name of the first element upstream; found again at
 * each stream-start and segment.
 *
 * MQTT: messages wait in a queue of `queue-size` until the broker
 * acknowledged them (QoS 1, 2) or they were written (QoS 0). A broker that is
 * unreachable at start or goes away is a warning, not an error: the element
 * reconnects in the background, waiting `reconnect-min` ms and doubling up to
 * `reconnect-max` ms, and sends the queue in order when the broker is back.
 * When the queue is full, new messages are dropped, counted in `dropped` and
 * reported by a warning (the first drop, then at most one every 10 s while
 * drops go on). Nothing waits on the network on the streaming thread, except
 * at end of stream, where the EOS is held up to `flush-timeout` ms while the
 * queue empties.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 filesrc location=cam1.mp4 ! decodebin ! \
 *     nnclassify model=models/gesture-lenet.safetensors ! \
 *     nnpublish location=results.jsonl mqtt-host=localhost topic=cams/1 ! fakesink
 * ]|
 */
#include "gstnnpublish.h"

#include <errno.h>

#include <gst/video/video.h>
#include <json-glib/json-glib.h>

#include "nn-mqtt.h"
#include "nn-publish-util.h"

GST_DEBUG_CATEGORY_STATIC (gst_nn_publish_debug);
#define GST_CAT_DEFAULT gst_nn_publish_debug

enum {
  PROP_0,
  PROP_LOCATION,
  PROP_STREAM_NAME,
  PROP_SKIP_EMPTY,
  PROP_MQTT_HOST,
  PROP_MQTT_PORT,
  PROP_TOPIC,
  PROP_CLIENT_ID,
  PROP_QOS,
  PROP_QUEUE_SIZE,
  PROP_RECONNECT_MIN,
  PROP_RECONNECT_MAX,
  PROP_FLUSH_TIMEOUT,
  PROP_DROPPED,
  PROP_QUEUED,
  PROP_PUBLISHED,
  PROP_CONNECTED,
};

#define DEFAULT_MQTT_PORT     1883
#define DEFAULT_TOPIC         "nn/results"
#define DEFAULT_QOS           1
#define DEFAULT_QUEUE_SIZE    1000
#define DEFAULT_RECONNECT_MIN 500
#define DEFAULT_RECONNECT_MAX 30000
#define DEFAULT_FLUSH_TIMEOUT 5000
/* while the queue stays full, one warning per this many microseconds */
#define DROP_WARNING_INTERVAL_US (10 * G_USEC_PER_SEC)

struct _GstNnPublish {
  GstBaseTransform parent;

  /* properties and counters, under the object lock */
  char    *location, *stream_name, *mqtt_host, *topic, *client_id;
  guint    mqtt_port, qos, queue_size, reconnect_min, reconnect_max, flush_timeout;
  gboolean skip_empty;
  guint64  dropped;
  guint64  published_before; /* published by the MQTT client of the previous run */
  NnMqtt  *mqtt;             /* set in start(), read by the getters */

  /* from start() to stop(), on the streaming thread */
  NnSharedFile  *file;       /* NULL without location */
  char          *path;       /* for messages: the location, or "standard output" */
  NnFrameJson   *json;       /* the frame's object, reused */
  GString       *line;       /* the frame's JSON text, reused */
  char          *stream;     /* the stream's name, found once per stream */
  guint64        frame;
  gint           width, height; /* 0 unless the caps are raw video */
  gboolean       dropping;      /* the latest message was dropped */
  gint64         drop_warned_us;
};

static GstStaticPadTemplate sink_template =
  GST_STATIC_PAD_TEMPLATE ("sink", GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS_ANY);
static GstStaticPadTemplate src_template =
  GST_STATIC_PAD_TEMPLATE ("src", GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS_ANY);

G_DEFINE_TYPE (GstNnPublish, gst_nn_publish, GST_TYPE_BASE_TRANSFORM);
GST_ELEMENT_REGISTER_DEFINE (nnpublish, "nnpublish", GST_RANK_NONE, GST_TYPE_NN_PUBLISH);

/* The frame's object into self->line; returns the number of results. */
static guint
build_line (GstNnPublish *self, GstBuffer *buf, guint64 frame)
{
  GstBaseTransform *trans = GST_BASE_TRANSFORM (self);
  GstClockTime pts = GST_BUFFER_PTS (buf);
  GstClockTime rt = trans->segment.format == GST_FORMAT_TIME && GST_CLOCK_TIME_IS_VALID (pts) ?
                    gst_segment_to_running_time (&trans->segment, GST_FORMAT_TIME, pts) : GST_CLOCK_TIME_NONE;
  g_string_truncate (self->line, 0);
  return nn_frame_json_write (self->json, self->line, buf, self->stream, frame, rt, self->width, self->height);
}

/* ---- outputs ----------------------------------------------------------------- */

static void
count_drops (GstNnPublish *self, guint n)
{
  GST_OBJECT_LOCK (self);
  self->dropped += n;
  GST_OBJECT_UNLOCK (self);
}

static void
on_mqtt_event (NnMqttEvent event, guint count, const char *text, gpointer data)
{
  GstNnPublish *self = data;
  switch (event) {
  case NN_MQTT_EVENT_UNREACHABLE:
    GST_ELEMENT_WARNING (self, RESOURCE, OPEN_WRITE, ("%s", text), (NULL));
    break;
  case NN_MQTT_EVENT_LOST:
    GST_ELEMENT_WARNING (self, RESOURCE, WRITE, ("%s", text), (NULL));
    break;
  case NN_MQTT_EVENT_CONNECTED:
    GST_ELEMENT_INFO (self, RESOURCE, OPEN_WRITE, ("%s", text), (NULL));
    break;
  case NN_MQTT_EVENT_REFUSED:
    count_drops (self, count);
    GST_ELEMENT_WARNING (self, RESOURCE, WRITE, ("%s", text), (NULL));
    break;
  }
}

static void
dropped_one (GstNnPublish *self)
{
  GST_OBJECT_LOCK (self);
  guint64 total = ++self->dropped;
  guint size = self->queue_size;
  GST_OBJECT_UNLOCK (self);
  gint64 now = g_get_monotonic_time ();
  if (!self->dropping || now - self->drop_warned_us >= DROP_WARNING_INTERVAL_US) {
    GST_ELEMENT_WARNING (self, RESOURCE, WRITE, ("MQTT queue full (%u messages): dropping frame %" G_GUINT64_FORMAT
                         "'s message, %" G_GUINT64_FORMAT " dropped in all", size, self->frame - 1, total),
                         ("the broker is away or slower than the stream; see the \"queue-size\" property"));
    self->drop_warned_us = now;
  }
  self->dropping = TRUE;
}

static GstFlowReturn
gst_nn_publish_transform_ip (GstBaseTransform *trans, GstBuffer *buf)
{
  GstNnPublish *self = GST_NN_PUBLISH (trans);
  if (!self->stream)
    self->stream = nn_upstream_stream_name (GST_BASE_TRANSFORM_SINK_PAD (self));
  if (!self->stream)
    self->stream = gst_object_get_name (GST_OBJECT (self));
  guint64 frame = self->frame++;
  guint n = build_line (self, buf, frame);
  GST_OBJECT_LOCK (self);
  gboolean skip = self->skip_empty && n == 0;
  GST_OBJECT_UNLOCK (self);
  if (skip)
    return GST_FLOW_OK;
  if (self->mqtt) {
    if (nn_mqtt_push (self->mqtt, self->line->str, self->line->len))
      self->dropping = FALSE;
    else
      dropped_one (self);
  }
  if (self->file) {
    g_string_append_c (self->line, '\n');
    if (!nn_shared_file_write (self->file, self->line->str, self->line->len))
      goto write_failed;
  }
  return GST_FLOW_OK;

  /* ERRORS */
write_failed:
  GST_ELEMENT_ERROR (self, RESOURCE, WRITE, ("Could not write to \"%s\"", self->path), ("%s", g_strerror (errno)));
  return GST_FLOW_ERROR;
}

/* ---- start / stop ------------------------------------------------------------ */

static gboolean gst_nn_publish_stop (GstBaseTransform *trans);

static gboolean
gst_nn_publish_start (GstBaseTransform *trans)
{
  GstNnPublish *self = GST_NN_PUBLISH (trans);
  g_autoptr (GError) err = NULL;

  GST_OBJECT_LOCK (self);
  g_autofree char *location = g_strdup (self->location);
  g_autofree char *host = g_strdup (self->mqtt_host);
  g_autofree char *topic = g_strdup (self->topic);
  g_autofree char *client_id = g_strdup (self->client_id);
  NnMqttConfig mc = { .port = self->mqtt_port, .qos = self->qos, .queue_size = self->queue_size,
                      .backoff_min_ms = self->reconnect_min, .backoff_max_ms = self->reconnect_max };
  self->stream = g_strdup (self->stream_name);
  self->dropped = 0;
  self->published_before = 0;
  GST_OBJECT_UNLOCK (self);

  if (!location && !host)
    goto no_output;
  self->frame = 0;
  self->dropping = FALSE;
  self->width = self->height = 0;
  self->json = nn_frame_json_new ();
  self->line = g_string_sized_new (1024);
  if (location) {
    self->path = g_strdup (g_str_equal (location, "-") ? "standard output" : location);
    /* written in place, not to a temporary renamed at the end: a JSON-lines
     * log is read while it grows (tail -f), one whole line per frame */
    self->file = nn_shared_file_open (location);
    if (!self->file)
      goto open_failed;
  }
  if (host) {
    mc.host = host;
    mc.topic = topic;
    mc.client_id = client_id && *client_id ? client_id : NULL;
    NnMqtt *mqtt = nn_mqtt_new (&mc, on_mqtt_event, self, &err);
    if (!mqtt)
      goto mqtt_failed;
    GST_OBJECT_LOCK (self);
    self->mqtt = mqtt;
    GST_OBJECT_UNLOCK (self);
  }
  return TRUE;

  /* ERRORS */
no_output:
  GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS, ("Nothing to publish to"),
                     ("set \"location\" (a file, or - for standard output) or \"mqtt-host\""));
  gst_nn_publish_stop (trans);
  return FALSE;
open_failed:
  GST_ELEMENT_ERROR (self, RESOURCE, OPEN_WRITE, ("Could not open \"%s\" for writing", location),
                     ("%s", g_strerror (errno)));
  gst_nn_publish_stop (trans);
  return FALSE;
mqtt_failed:
  GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS, ("Could not publish to MQTT broker %s:%u", host, mc.port),
                     ("%s", err->message));
  gst_nn_publish_stop (trans);
  return FALSE;
}

static gboolean
gst_nn_publish_stop (GstBaseTransform *trans)
{
  GstNnPublish *self = GST_NN_PUBLISH (trans);
  GST_OBJECT_LOCK (self);
  NnMqtt *mqtt = g_steal_pointer (&self->mqtt);
  GST_OBJECT_UNLOCK (self);
  if (mqtt) {
    guint left = nn_mqtt_queued (mqtt);
    guint64 published = nn_mqtt_published (mqtt);
    nn_mqtt_free (mqtt);
    GST_OBJECT_LOCK (self);
    self->published_before = published;
    self->dropped += left;
    GST_OBJECT_UNLOCK (self);
    if (left)
      GST_ELEMENT_WARNING (self, RESOURCE, WRITE, ("%u MQTT messages were still queued when the element stopped: "
                           "dropped", left), ("counted in \"dropped\"; \"flush-timeout\" waits for them at EOS"));
  }
  g_clear_pointer (&self->file, nn_shared_file_close);
  g_clear_pointer (&self->path, g_free);
  g_clear_pointer (&self->json, nn_frame_json_free);
  if (self->line)
    g_string_free (g_steal_pointer (&self->line), TRUE);
  g_clear_pointer (&self->stream, g_free);
  return TRUE;
}

static gboolean
gst_nn_publish_set_caps (GstBaseTransform *trans, GstCaps *incaps, GstCaps *outcaps)
{
  GstNnPublish *self = GST_NN_PUBLISH (trans);
  GstVideoInfo info;
  gboolean video = gst_structure_has_name (gst_caps_get_structure (incaps, 0), "video/x-raw") &&
                   gst_video_info_from_caps (&info, incaps);
  self->width = video ? GST_VIDEO_INFO_WIDTH (&info) : 0;
  self->height = video ? GST_VIDEO_INFO_HEIGHT (&info) : 0;
  return TRUE;
}

static gboolean
gst_nn_publish_sink_event (GstBaseTransform *trans, GstEvent *event)
{
  GstNnPublish *self = GST_NN_PUBLISH (trans);
  switch (GST_EVENT_TYPE (event)) {
  case GST_EVENT_STREAM_START:
  case GST_EVENT_SEGMENT:
    /* a new stream or segment may come from another source (concat,
     * input-selector): found again at the next buffer */
    GST_OBJECT_LOCK (self);
    gboolean named = self->stream_name != NULL;
    GST_OBJECT_UNLOCK (self);
    if (!named)
      g_clear_pointer (&self->stream, g_free);
    break;
  case GST_EVENT_EOS:
    if (self->mqtt) {
      GST_OBJECT_LOCK (self);
      gint64 wait_us = (gint64) self->flush_timeout * 1000;
      GST_OBJECT_UNLOCK (self);
      guint left = nn_mqtt_drain (self->mqtt, g_get_monotonic_time () + wait_us);
      if (left)
        GST_ELEMENT_WARNING (self, RESOURCE, WRITE, ("%u MQTT messages still queued at end of stream after waiting "
                             "%" G_GINT64_FORMAT " ms", left, wait_us / 1000), (NULL));
    }
    break;
  default:
    break;
  }
  return GST_BASE_TRANSFORM_CLASS (gst_nn_publish_parent_class)->sink_event (trans, event);
}

/* ---- properties -------------------------------------------------------------- */

static void
gst_nn_publish_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  GstNnPublish *self = GST_NN_PUBLISH (object);
  GST_OBJECT_LOCK (self);
  switch (prop_id) {
  case PROP_LOCATION:
    g_free (self->location);
    self->location = g_value_dup_string (value);
    break;
  case PROP_STREAM_NAME:
    g_free (self->stream_name);
    self->stream_name = g_value_dup_string (value);
    break;
  case PROP_SKIP_EMPTY:
    self->skip_empty = g_value_get_boolean (value);
    break;
  case PROP_MQTT_HOST:
    g_free (self->mqtt_host);
    self->mqtt_host = g_value_dup_string (value);
    break;
  case PROP_MQTT_PORT:
    self->mqtt_port = g_value_get_uint (value);
    break;
  case PROP_TOPIC:
    g_free (self->topic);
    self->topic = g_value_dup_string (value);
    break;
  case PROP_CLIENT_ID:
    g_free (self->client_id);
    self->client_id = g_value_dup_string (value);
    break;
  case PROP_QOS:
    self->qos = g_value_get_uint (value);
    break;
  case PROP_QUEUE_SIZE:
    self->queue_size = g_value_get_uint (value);
    break;
  case PROP_RECONNECT_MIN:
    self->reconnect_min = g_value_get_uint (value);
    break;
  case PROP_RECONNECT_MAX:
    self->reconnect_max = g_value_get_uint (value);
    break;
  case PROP_FLUSH_TIMEOUT:
    self->flush_timeout = g_value_get_uint (value);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_nn_publish_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  GstNnPublish *self = GST_NN_PUBLISH (object);
  GST_OBJECT_LOCK (self);
  switch (prop_id) {
  case PROP_LOCATION:
    g_value_set_string (value, self->location);
    break;
  case PROP_STREAM_NAME:
    g_value_set_string (value, self->stream_name);
    break;
  case PROP_SKIP_EMPTY:
    g_value_set_boolean (value, self->skip_empty);
    break;
  case PROP_MQTT_HOST:
    g_value_set_string (value, self->mqtt_host);
    break;
  case PROP_MQTT_PORT:
    g_value_set_uint (value, self->mqtt_port);
    break;
  case PROP_TOPIC:
    g_value_set_string (value, self->topic);
    break;
  case PROP_CLIENT_ID:
    g_value_set_string (value, self->client_id);
    break;
  case PROP_QOS:
    g_value_set_uint (value, self->qos);
    break;
  case PROP_QUEUE_SIZE:
    g_value_set_uint (value, self->queue_size);
    break;
  case PROP_RECONNECT_MIN:
    g_value_set_uint (value, self->reconnect_min);
    break;
  case PROP_RECONNECT_MAX:
    g_value_set_uint (value, self->reconnect_max);
    break;
  case PROP_FLUSH_TIMEOUT:
    g_value_set_uint (value, self->flush_timeout);
    break;
  case PROP_DROPPED:
    g_value_set_uint64 (value, self->dropped);
    break;
  case PROP_QUEUED:
    g_value_set_uint (value, self->mqtt ? nn_mqtt_queued (self->mqtt) : 0);
    break;
  case PROP_PUBLISHED:
    g_value_set_uint64 (value, self->mqtt ? nn_mqtt_published (self->mqtt) : self->published_before);
    break;
  case PROP_CONNECTED:
    g_value_set_boolean (value, self->mqtt && nn_mqtt_connected (self->mqtt));
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_nn_publish_finalize (GObject *object)
{
  GstNnPublish *self = GST_NN_PUBLISH (object);
  g_free (self->location);
  g_free (self->stream_name);
  g_free (self->mqtt_host);
  g_free (self->topic);
  g_free (self->client_id);
  G_OBJECT_CLASS (gst_nn_publish_parent_class)->finalize (object);
}

static void
install_properties (GObjectClass *gc)
{
  const GParamFlags rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY;
  const GParamFlags ro = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS;

  g_object_class_install_property (gc, PROP_LOCATION,
    g_param_spec_string ("location", "Location", "File the JSON lines are written to, one object per frame, created "
                         "or truncated at start and flushed after every line; \"-\" is standard output; elements "
                         "naming the same file share it, line by line (e.g. location=results.jsonl)", NULL, rw));
  g_object_class_install_property (gc, PROP_STREAM_NAME,
    g_param_spec_string ("stream-name", "Stream name", "The \"stream\" of every object; unset: the uri, location or "
                         "device of the nearest upstream element that has one, else the source element's name "
                         "(e.g. stream-name=cam1)", NULL, rw));
  g_object_class_install_property (gc, PROP_SKIP_EMPTY,
    g_param_spec_boolean ("skip-empty", "Skip empty", "Publish nothing for frames that carry no result (with "
                          "nnclassify inference-interval > 1, or below its threshold) (e.g. skip-empty=true)",
                          FALSE, rw));
  g_object_class_install_property (gc, PROP_MQTT_HOST,
    g_param_spec_string ("mqtt-host", "MQTT host", "MQTT broker to publish to (unset: no MQTT); unreachable is a "
                         "warning, the element reconnects in the background (e.g. mqtt-host=localhost)", NULL, rw));
  g_object_class_install_property (gc, PROP_MQTT_PORT,
    g_param_spec_uint ("mqtt-port", "MQTT port", "The broker's TCP port (e.g. mqtt-port=1883)", 1, 65535,
                       DEFAULT_MQTT_PORT, rw));
  g_object_class_install_property (gc, PROP_TOPIC,
    g_param_spec_string ("topic", "Topic", "MQTT topic of the messages, without + or # (e.g. topic=cams/1/results)",
                         DEFAULT_TOPIC, rw));
  g_object_class_install_property (gc, PROP_CLIENT_ID,
    g_param_spec_string ("client-id", "Client id", "MQTT client identifier, unique per broker (unset: a random "
                         "one) (e.g. client-id=cam1-publisher)", NULL, rw));
  g_object_class_install_property (gc, PROP_QOS,
    g_param_spec_uint ("qos", "QoS", "MQTT quality of service: 0 at most once (a message written just before the "
                       "broker dies is lost), 1 at least once, 2 exactly once per connection (e.g. qos=1)", 0, 2,
                       DEFAULT_QOS, rw));
  g_object_class_install_property (gc, PROP_QUEUE_SIZE,
    g_param_spec_uint ("queue-size", "Queue size", "Messages held until the broker has them (while it is away or "
                       "slow); when full, new messages are dropped and counted in \"dropped\" (e.g. "
                       "queue-size=3000)", 1, 60000, DEFAULT_QUEUE_SIZE, rw));
  g_object_class_install_property (gc, PROP_RECONNECT_MIN,
    g_param_spec_uint ("reconnect-min", "Reconnect min", "Milliseconds before the first new attempt after a failed "
                       "connection or a lost broker; each further failure doubles the wait (e.g. reconnect-min=200)",
                       1, G_MAXINT, DEFAULT_RECONNECT_MIN, rw));
  g_object_class_install_property (gc, PROP_RECONNECT_MAX,
    g_param_spec_uint ("reconnect-max", "Reconnect max", "Longest wait between attempts to reach the broker, in "
                       "milliseconds (e.g. reconnect-max=10000)", 1, G_MAXINT, DEFAULT_RECONNECT_MAX, rw));
  g_object_class_install_property (gc, PROP_FLUSH_TIMEOUT,
    g_param_spec_uint ("flush-timeout", "Flush timeout", "At end of stream, hold the EOS up to this many "
                       "milliseconds while queued MQTT messages are delivered; 0 does not wait "
                       "(e.g. flush-timeout=10000)", 0, G_MAXINT, DEFAULT_FLUSH_TIMEOUT, rw));
  g_object_class_install_property (gc, PROP_DROPPED,
    g_param_spec_uint64 ("dropped", "Dropped", "MQTT messages dropped since start: queue full, refused by "
                         "libmosquitto, or still queued when the element stopped; each episode also posts a "
                         "warning", 0, G_MAXUINT64, 0, ro));
  g_object_class_install_property (gc, PROP_QUEUED,
    g_param_spec_uint ("queued", "Queued", "MQTT messages waiting for the broker now", 0, G_MAXUINT, 0, ro));
  g_object_class_install_property (gc, PROP_PUBLISHED,
    g_param_spec_uint64 ("published", "Published", "MQTT messages the broker acknowledged (QoS 1, 2) or that were "
                         "written to it (QoS 0) since start", 0, G_MAXUINT64, 0, ro));
  g_object_class_install_property (gc, PROP_CONNECTED,
    g_param_spec_boolean ("connected", "Connected", "TRUE while connected to the MQTT broker", FALSE, ro));
}

static void
gst_nn_publish_class_init (GstNnPublishClass *klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseTransformClass *trans_class = GST_BASE_TRANSFORM_CLASS (klass);

  gobject_class->set_property = gst_nn_publish_set_property;
  gobject_class->get_property = gst_nn_publish_get_property;
  gobject_class->finalize = gst_nn_publish_finalize;
  install_properties (gobject_class);

  gst_element_class_set_static_metadata (element_class, "Neural-network result publisher", "Filter/Analyzer",
    "Publishes the nnclassify/nnvideoclassify results on each frame as one JSON object (stream, frame, pts, "
    "results with label, class-index, score, box; docs/publish.md) to a JSON-lines file or stdout and to an MQTT "
    "broker (queued while it is away). Example: gst-launch-1.0 filesrc location=cam1.mp4 ! decodebin ! "
    "nnclassify model=models/gesture-lenet.safetensors ! nnpublish location=results.jsonl mqtt-host=localhost "
    "topic=cams/1 ! fakesink",
    "gst-nn project");
  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);

  trans_class->start = GST_DEBUG_FUNCPTR (gst_nn_publish_start);
  trans_class->stop = GST_DEBUG_FUNCPTR (gst_nn_publish_stop);
  trans_class->set_caps = GST_DEBUG_FUNCPTR (gst_nn_publish_set_caps);
  trans_class->sink_event = GST_DEBUG_FUNCPTR (gst_nn_publish_sink_event);
  trans_class->transform_ip = GST_DEBUG_FUNCPTR (gst_nn_publish_transform_ip);
  trans_class->transform_ip_on_passthrough = TRUE;

  GST_DEBUG_CATEGORY_INIT (gst_nn_publish_debug, "nnpublish", 0, "JSON / MQTT publisher of nn results");
}

static void
gst_nn_publish_init (GstNnPublish *self)
{
  self->mqtt_port = DEFAULT_MQTT_PORT;
  self->topic = g_strdup (DEFAULT_TOPIC);
  self->qos = DEFAULT_QOS;
  self->queue_size = DEFAULT_QUEUE_SIZE;
  self->reconnect_min = DEFAULT_RECONNECT_MIN;
  self->reconnect_max = DEFAULT_RECONNECT_MAX;
  self->flush_timeout = DEFAULT_FLUSH_TIMEOUT;
  gst_base_transform_set_passthrough (GST_BASE_TRANSFORM (self), TRUE);
}
