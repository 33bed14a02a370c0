/* An MQTT publisher with a bounded queue, for nnpublish (libmosquitto).
 *
 * nn_mqtt_push () never waits on the network: it copies the message into a
 * queue of at most queue_size messages and returns. A thread of its own
 * connects (with back-off from backoff_min to backoff_max, doubling), hands
 * queued messages to libmosquitto in order once connected, and removes each
 * one when the broker acknowledged it (QoS 1, 2) or when it was written to
 * the socket (QoS 0). While the broker is away, messages wait in the queue;
 * when it is full, a new message is refused (counted by the caller).
 *
 * Delivery across a lost connection: QoS 1 and 2 messages handed over but
 * not acknowledged are sent again by libmosquitto when the connection is back,
 * before any newer one (at least once, in order); QoS 0 messages not yet
 * written go again from the queue, in order; a QoS 0 message written just
 * before the broker died may be lost (at most once). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _NnMqtt NnMqtt;

typedef struct {
  const char *host;
  guint       port;
  const char *topic;
  const char *client_id;      /* NULL: libmosquitto picks a random one */
  guint       qos;            /* 0, 1 or 2 */
  guint       queue_size;     /* >= 1 */
  guint       backoff_min_ms; /* first wait after a failed attempt or a lost connection */
  guint       backoff_max_ms;
} NnMqttConfig;

typedef enum {
  NN_MQTT_EVENT_UNREACHABLE, /* an attempt to connect failed (first of an outage only) */
  NN_MQTT_EVENT_LOST,        /* an established connection was lost */
  NN_MQTT_EVENT_CONNECTED,   /* connected (again) */
  NN_MQTT_EVENT_REFUSED,     /* libmosquitto refused one message: it is dropped */
} NnMqttEvent;

/* Called on the publisher's thread (REFUSED also in nn_mqtt_push's caller),
 * with no lock of NnMqtt held; `text` says what happened in a sentence (host,
 * port, reason); `count` is the number of messages refused (REFUSED). */
typedef void (*NnMqttNotify) (NnMqttEvent event, guint count, const char *text, gpointer user_data);

/* Checks the configuration (topic valid for publishing, ranges) and starts
 * the thread, which connects in the background: an unreachable broker is not
 * an error here. (transfer full) */
NnMqtt *nn_mqtt_new (const NnMqttConfig *config, NnMqttNotify notify, gpointer user_data,
                     GError **error) G_GNUC_WARN_UNUSED_RESULT;

/* Disconnects, stops the thread and frees what is still queued. */
void nn_mqtt_free (NnMqtt *m);

/* Queues a copy of payload[0..len). FALSE when the queue is full (nothing
 * queued). */
gboolean nn_mqtt_push (NnMqtt *m, const char *payload, gsize len);

/* Messages queued and not yet acknowledged (or written, QoS 0). */
guint nn_mqtt_queued (NnMqtt *m);
/* Messages the broker acknowledged (or written, QoS 0) since nn_mqtt_new. */
guint64 nn_mqtt_published (NnMqtt *m);
gboolean nn_mqtt_connected (NnMqtt *m);

/* Waits until the queue is empty or until the monotonic time `deadline_us`;
 * returns the number of messages still queued. */
guint nn_mqtt_drain (NnMqtt *m, gint64 deadline_us);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (NnMqtt, nn_mqtt_free)

G_END_DECLS
