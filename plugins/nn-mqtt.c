/* The MQTT publisher of nnpublish: see nn-mqtt.h.
 *
 * Threads: nn_mqtt_push () runs on the caller's (streaming) thread; the
 * publisher's own thread runs mosquitto_loop () and therefore every
 * libmosquitto callback. `lock` guards the queue and the connection state;
 * it is taken before libmosquitto's own locks (mosquitto_publish under it,
 * callbacks take it inside libmosquitto's callback lock, which the caller
 * side never takes), and never held while notifying, so a bus handler may
 * read the element's properties. mosquitto_threaded_set makes
 * mosquitto_publish only queue the packet and wake the loop: the network is
 * touched on the publisher's thread alone. */
#include "nn-mqtt.h"

#include <errno.h>
#include <string.h>

#include <mosquitto.h>
#include <nn/nn.h>

/* Seconds between pings when idle: a broker that stops answering is given up
 * when a ping has had no answer for as long again, and a connection attempt
 * that never completes after this long. */
#define KEEPALIVE_S 10
/* Longest wait in mosquitto_loop: how soon the thread sees nn_mqtt_free's
 * request when no packet wakes it. */
#define LOOP_MS 250

typedef struct {
  GList    link;     /* in queue or spare; link.data is the entry */
  GString *payload;  /* kept when the entry is recycled: no allocation per message once warm */
  int      mid;
  gboolean handed;   /* given to libmosquitto, waiting for on_publish */
} Entry;

struct _NnMqtt {
  struct mosquitto *mosq;
  char    *host, *topic;
  guint    port, qos, queue_size, backoff_min_ms, backoff_max_ms;
  NnMqttNotify notify;
  gpointer notify_data;
  GThread *thread;

  GMutex   lock;
  GCond    wake;      /* the thread, waiting out a back-off */
  GCond    drained;   /* nn_mqtt_drain: an entry left the queue */
  GQueue   queue;     /* Entry, oldest first; handed ones come first */
  GQueue   spare;     /* Entry, for reuse */
  gboolean connected; /* CONNACK accepted, not lost since */
  gboolean ready;     /* new messages may be handed over (see on_connect) */
  gboolean quit;
  guint64  published;
  int      connack;   /* the broker's last refusal, for the message */
};

static void
lib_init (void)
{
  static gsize done = 0;
  if (g_once_init_enter (&done)) {
    mosquitto_lib_init ();
    g_once_init_leave (&done, 1);
  }
}

static Entry *
entry_of (GList *l)
{
  return l->data;
}

static void
recycle (NnMqtt *m, Entry *e)
{
  g_queue_unlink (&m->queue, &e->link);
  e->handed = FALSE;
  g_queue_push_tail_link (&m->spare, &e->link);
  g_cond_broadcast (&m->drained);
}

static gboolean
any_handed (NnMqtt *m)
{
  return m->queue.head && entry_of (m->queue.head)->handed;
}

/* Gives libmosquitto every queued message not yet given, oldest first.
 * Returns how many it refused (those are removed); *rc gets the last
 * refusal. Called with the lock held. */
static guint
hand_pending (NnMqtt *m, int *rc_out)
{
  guint refused = 0;
  for (GList *l = m->queue.head, *next; l; l = next) {
    next = l->next;
    Entry *e = entry_of (l);
    if (e->handed)
      continue;
    int mid = 0;
    int rc = mosquitto_publish (m->mosq, &mid, m->topic, (int) e->payload->len, e->payload->str, (int) m->qos,
                                false);
    /* QoS 1/2: the message is in libmosquitto's store even when the socket
     * just closed (NO_CONN), and goes out when it reconnects */
    if (rc == MOSQ_ERR_SUCCESS || (rc == MOSQ_ERR_NO_CONN && m->qos > 0)) {
      e->handed = TRUE;
      e->mid = mid;
    } else if (rc == MOSQ_ERR_NO_CONN) {
      break;  /* QoS 0 while the connection is going down: kept for the next one */
    } else {
      refused++;
      *rc_out = rc;
      recycle (m, e);
    }
  }
  return refused;
}

static void
notify_refused (NnMqtt *m, guint refused, int rc)
{
  if (!refused)
    return;
  g_autofree char *text = g_strdup_printf ("libmosquitto refused %u message%s for topic \"%s\": %s", refused,
                                           refused == 1 ? "" : "s", m->topic, mosquitto_strerror (rc));
  m->notify (NN_MQTT_EVENT_REFUSED, refused, text, m->notify_data);
}

/* The connection is gone: QoS 0 messages handed but not written were
 * dropped with libmosquitto's packet queue, so they go again from ours. */
static void
went_down (NnMqtt *m)
{
  m->connected = FALSE;
  m->ready = FALSE;
  if (m->qos == 0)
    for (GList *l = m->queue.head; l; l = l->next)
      entry_of (l)->handed = FALSE;
}

/* ---- libmosquitto callbacks (the publisher's thread) ---------------------- */

static void
on_connect (struct mosquitto *mosq, void *data, int rc)
{
  NnMqtt *m = data;
  guint refused = 0;
  int why = 0;
  g_mutex_lock (&m->lock);
  if (rc == 0) {
    m->connected = TRUE;
    /* libmosquitto sends again what it holds unacknowledged only after this
     * callback returns: new messages wait for the first acknowledgement,
     * or they would overtake older ones */
    m->ready = !any_handed (m);
    if (m->ready)
      refused = hand_pending (m, &why);
  } else {
    m->connack = rc;
  }
  g_mutex_unlock (&m->lock);
  if (rc == 0) {
    g_autofree char *text = g_strdup_printf ("Connected to MQTT broker %s:%u", m->host, m->port);
    m->notify (NN_MQTT_EVENT_CONNECTED, 0, text, m->notify_data);
  }
  notify_refused (m, refused, why);
}

static void
on_disconnect (struct mosquitto *mosq, void *data, int rc)
{
  NnMqtt *m = data;
  g_mutex_lock (&m->lock);
  went_down (m);
  g_mutex_unlock (&m->lock);
}

static void
on_publish (struct mosquitto *mosq, void *data, int mid)
{
  NnMqtt *m = data;
  guint refused = 0;
  int why = 0;
  g_mutex_lock (&m->lock);
  for (GList *l = m->queue.head; l; l = l->next) {
    Entry *e = entry_of (l);
    if (e->handed && e->mid == mid) {
      recycle (m, e);
      m->published++;
      break;
    }
  }
  if (m->connected && !m->ready)
    m->ready = TRUE;  /* the first acknowledgement after a reconnection: the resent ones went first */
  if (m->ready)
    refused = hand_pending (m, &why);
  g_mutex_unlock (&m->lock);
  notify_refused (m, refused, why);
}

/* ---- the publisher's thread ----------------------------------------------- */

/* Why rc failed, in words; errno as it was right after the call. */
static char *
describe (NnMqtt *m, int rc, int err)
{
  if (rc == MOSQ_ERR_CONN_REFUSED && m->connack)
    return g_strdup (mosquitto_connack_string (m->connack));
  if (rc == MOSQ_ERR_ERRNO)
    return g_strdup (g_strerror (err));
  return g_strdup (mosquitto_strerror (rc));
}

/* Waits `ms` or until nn_mqtt_free; lock held. */
static void
back_off (NnMqtt *m, guint ms)
{
  gint64 until = g_get_monotonic_time () + (gint64) ms * 1000;
  while (!m->quit && g_cond_wait_until (&m->wake, &m->lock, until))
    ;
}

static gpointer
run (gpointer data)
{
  NnMqtt *m = data;
  guint delay = m->backoff_min_ms;
  /* up: a CONNACK was accepted on this connection (on_disconnect has
   * already cleared m->connected by the time mosquitto_loop fails) */
  gboolean connecting = FALSE, up = FALSE, outage_reported = FALSE;

  g_mutex_lock (&m->lock);
  while (!m->quit) {
    int rc, err;
    g_mutex_unlock (&m->lock);
    if (!connecting) {
      m->connack = 0;
      rc = mosquitto_connect_async (m->mosq, m->host, (int) m->port, KEEPALIVE_S);
      err = errno;
      connecting = rc == MOSQ_ERR_SUCCESS;
    } else {
      rc = mosquitto_loop (m->mosq, LOOP_MS, 1);
      err = errno;
    }
    g_mutex_lock (&m->lock);
    if (rc == MOSQ_ERR_SUCCESS) {
      if (m->connected && !up) {
        up = TRUE;
        delay = m->backoff_min_ms;
        outage_reported = FALSE;
      }
      continue;
    }
    if (m->quit)
      break;
    gboolean was_connected = up || m->connected;
    went_down (m);
    connecting = up = FALSE;
    /* one warning per outage, not one per attempt */
    if (was_connected || !outage_reported) {
      g_autofree char *why = describe (m, rc, err);
      g_autofree char *text = was_connected ?
        g_strdup_printf ("Lost the MQTT broker %s:%u (%s); reconnecting, messages queue up to %u", m->host, m->port,
                         why, m->queue_size) :
        g_strdup_printf ("Could not connect to the MQTT broker %s:%u (%s); retrying every %u to %u ms, messages "
                         "queue up to %u", m->host, m->port, why, m->backoff_min_ms, m->backoff_max_ms,
                         m->queue_size);
      outage_reported = TRUE;
      g_mutex_unlock (&m->lock);
      m->notify (was_connected ? NN_MQTT_EVENT_LOST : NN_MQTT_EVENT_UNREACHABLE, 0, text, m->notify_data);
      g_mutex_lock (&m->lock);
    }
    if (was_connected)
      delay = m->backoff_min_ms;
    back_off (m, delay);
    delay = (guint) MIN ((guint64) delay * 2, (guint64) m->backoff_max_ms);
  }
  g_mutex_unlock (&m->lock);
  return NULL;
}

/* ---- public --------------------------------------------------------------- */

NnMqtt *
nn_mqtt_new (const NnMqttConfig *c, NnMqttNotify notify, gpointer user_data, GError **error)
{
  g_return_val_if_fail (c != NULL && notify != NULL, NULL);
  if (!c->host || !*c->host) {
    g_set_error (error, NN_ERROR, NN_ERROR_INVALID, "no MQTT broker host");
    return NULL;
  }
  if (!c->topic || mosquitto_pub_topic_check (c->topic) != MOSQ_ERR_SUCCESS ||
      mosquitto_validate_utf8 (c->topic, (int) strlen (c->topic)) != MOSQ_ERR_SUCCESS) {
    g_set_error (error, NN_ERROR, NN_ERROR_INVALID, "\"%s\" is not an MQTT topic to publish to (UTF-8, not empty, "
                 "no + or # wildcard)", c->topic ? c->topic : "");
    return NULL;
  }
  if (c->port == 0 || c->port > 65535 || c->qos > 2 || c->queue_size == 0 || c->backoff_min_ms == 0 ||
      c->backoff_min_ms > c->backoff_max_ms) {
    g_set_error (error, NN_ERROR, NN_ERROR_INVALID, "MQTT settings out of range: port %u (1-65535), qos %u (0-2), "
                 "queue size %u (>= 1), reconnect %u to %u ms (0 < min <= max)", c->port, c->qos, c->queue_size,
                 c->backoff_min_ms, c->backoff_max_ms);
    return NULL;
  }
  lib_init ();
  NnMqtt *m = g_new0 (NnMqtt, 1);
  m->host = g_strdup (c->host);
  m->topic = g_strdup (c->topic);
  m->port = c->port;
  m->qos = c->qos;
  m->queue_size = c->queue_size;
  m->backoff_min_ms = c->backoff_min_ms;
  m->backoff_max_ms = c->backoff_max_ms;
  m->notify = notify;
  m->notify_data = user_data;
  g_mutex_init (&m->lock);
  g_cond_init (&m->wake);
  g_cond_init (&m->drained);
  m->mosq = mosquitto_new (c->client_id, true, m);
  if (!m->mosq) {
    g_set_error (error, NN_ERROR, NN_ERROR_INVALID, "could not make an MQTT client%s%s: %s",
                 c->client_id ? " with id " : "", c->client_id ? c->client_id : "", g_strerror (errno));
    nn_mqtt_free (m);
    return NULL;
  }
  mosquitto_threaded_set (m->mosq, true);
  mosquitto_connect_callback_set (m->mosq, on_connect);
  mosquitto_disconnect_callback_set (m->mosq, on_disconnect);
  mosquitto_publish_callback_set (m->mosq, on_publish);
  m->thread = g_thread_new ("nn-mqtt", run, m);
  return m;
}

void
nn_mqtt_free (NnMqtt *m)
{
  if (!m)
    return;
  if (m->thread) {
    g_mutex_lock (&m->lock);
    m->quit = TRUE;
    g_cond_signal (&m->wake);
    g_mutex_unlock (&m->lock);
    /* queues DISCONNECT and wakes mosquitto_loop */
    mosquitto_disconnect (m->mosq);
    g_thread_join (m->thread);
  }
  if (m->mosq)
    mosquitto_destroy (m->mosq);
  for (GQueue *q = &m->queue; q; q = q == &m->queue ? &m->spare : NULL) {
    GList *l;
    while ((l = g_queue_pop_head_link (q))) {
      Entry *e = entry_of (l);
      g_string_free (e->payload, TRUE);
      g_free (e);
    }
  }
  g_mutex_clear (&m->lock);
  g_cond_clear (&m->wake);
  g_cond_clear (&m->drained);
  g_free (m->host);
  g_free (m->topic);
  g_free (m);
}

gboolean
nn_mqtt_push (NnMqtt *m, const char *payload, gsize len)
{
  g_return_val_if_fail (m != NULL && payload != NULL, FALSE);
  guint refused = 0;
  int why = 0;
  g_mutex_lock (&m->lock);
  if (m->queue.length >= m->queue_size) {
    g_mutex_unlock (&m->lock);
    return FALSE;
  }
  GList *l = g_queue_pop_head_link (&m->spare);
  Entry *e;
  if (l) {
    e = entry_of (l);
    g_string_truncate (e->payload, 0);
  } else {
    e = g_new0 (Entry, 1);
    e->link.data = e;
    e->payload = g_string_sized_new (len + 1);
  }
  g_string_append_len (e->payload, payload, (gssize) len);
  e->handed = FALSE;
  g_queue_push_tail_link (&m->queue, &e->link);
  if (m->ready)
    refused = hand_pending (m, &why);
  g_mutex_unlock (&m->lock);
  notify_refused (m, refused, why);
  return TRUE;
}

guint
nn_mqtt_queued (NnMqtt *m)
{
  g_mutex_lock (&m->lock);
  guint n = m->queue.length;
  g_mutex_unlock (&m->lock);
  return n;
}

guint64
nn_mqtt_published (NnMqtt *m)
{
  g_mutex_lock (&m->lock);
  guint64 n = m->published;
  g_mutex_unlock (&m->lock);
  return n;
}

gboolean
nn_mqtt_connected (NnMqtt *m)
{
  g_mutex_lock (&m->lock);
  gboolean c = m->connected;
  g_mutex_unlock (&m->lock);
  return c;
}

guint
nn_mqtt_drain (NnMqtt *m, gint64 deadline_us)
{
  g_mutex_lock (&m->lock);
  while (m->queue.length && g_cond_wait_until (&m->drained, &m->lock, deadline_us))
    ;
  guint n = m->queue.length;
  g_mutex_unlock (&m->lock);
  return n;
}
