/**
 * SECTION:element-nntrain
 * @title: nntrain
 *
 * Learns inside a running pipeline. Each frame that arrives with a label is
 * converted to the model's input, exactly as nnclassify converts it, and
 * stored with its label in a replay buffer of the last "replay-size" frames.
 * With "label-source" property (the default) the label is the "label"
 * property (a class of the model; it may change while playing, as
 * nncapture's) or the last "nn-label" custom downstream event (a structure
 * with a string field "label", serialized with the frames); with
 * "label-source" meta it is each frame's own: the top class of the
 * classification meta an element upstream attached (a teacher nnclassify),
 * skipped when its score is below "min-score" or it is not a class of the
 * model. A background thread trains a copy of "model" on random batches of
 * the replay buffer (Adam, "learning-rate", "batch-size", categorical
 * cross-entropy) and, every "publish-every" steps, publishes the weights to
 * the shared model instance "model-instance" (nnclassify's property of that
 * name): the classifiers' batches that start afterwards run on them, those
 * running finish on the old ones, so no frame is ever classified with a mix
 * of weights (nnclassify's meta says which, "weights-version"). The thread
 * works at most a "cpu-share" of the time (it sleeps in proportion to each
 * step) at a lower priority ("trainer-nice"), so the classifiers keep their
 * frame rate. "training" pauses it, "max-steps" bounds it. Frames pass
 * through unchanged.
 *
 * After each publication the element posts "nn-train-progress" (step, loss:
 * the mean of the steps since the last one, accuracy: on the replay buffer
 * with the new weights, samples: frames in the buffer, version: the
 * instance's snapshot or 0 while no classifier has joined it) and emits
 * "weights-published". With "checkpoint" set, the whole trainer state
 * (weights, Adam's moments and step count, the replay buffer and its labels,
 * the step counter and the generators) is written there when the
 * "save-checkpoint" action signal is emitted and at EOS (to a temporary
 * name, then renamed; the file is also a model file nnclassify loads), and
 * training resumes from it exactly when it exists at start. A checkpoint of
 * another model, a damaged one, a model whose input or output differs from
 * the instance's, or an unknown label is an element error.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 -m videotestsrc pattern=ball ! video/x-raw,width=64,height=48 ! tee name=t \
 *     t. ! queue ! nntrain model=models/gesture-lenet.safetensors model-instance=hands label=fist \
 *         checkpoint=hands.ckpt.safetensors cpu-share=0.5 ! fakesink \
 *     t. ! queue ! nnclassify model=models/gesture-lenet.safetensors model-instance=hands ! fakesink
 * ]|
 */
#include "gstnntrain.h"
#include "nn-classification-meta.h"
#include "nn-input.h"

#include <math.h>
#include <string.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <nn/nn.h>

GST_DEBUG_CATEGORY_STATIC (gst_nn_train_debug);
#define GST_CAT_DEFAULT gst_nn_train_debug

enum {
  PROP_0,
  PROP_MODEL,
  PROP_MODEL_INSTANCE,
  PROP_LABEL,
  PROP_LABEL_SOURCE,
  PROP_MIN_SCORE,
  PROP_REPLAY_SIZE,
  PROP_LEARNING_RATE,
  PROP_BATCH_SIZE,
  PROP_CPU_SHARE,
  PROP_TRAINER_NICE,
  PROP_PUBLISH_EVERY,
  PROP_TRAINING,
  PROP_MAX_STEPS,
  PROP_CHECKPOINT,
  PROP_STEPS,
};

enum { SIGNAL_SAVE_CHECKPOINT, SIGNAL_WEIGHTS_PUBLISHED, N_SIGNALS };
static guint signals[N_SIGNALS];

typedef enum {
  NN_TRAIN_LABEL_PROPERTY,
  NN_TRAIN_LABEL_META,
} NnTrainLabelSource;

#define GST_TYPE_NN_TRAIN_LABEL_SOURCE (nn_train_label_source_get_type ())
static GType
nn_train_label_source_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    { NN_TRAIN_LABEL_PROPERTY, "The \"label\" property, or the last nn-label custom event", "property" },
    { NN_TRAIN_LABEL_META, "Each frame's classification meta from upstream (its top class)", "meta" },
    { 0, NULL, NULL },
  };
  if (g_once_init_enter (&type))
    g_once_init_leave (&type, g_enum_register_static ("GstNnTrainLabelSource", values));
  return type;
}

#define DEFAULT_REPLAY_SIZE 256
#define DEFAULT_LEARNING_RATE 0.001
#define DEFAULT_BATCH_SIZE 16
#define DEFAULT_CPU_SHARE 0.5
#define DEFAULT_TRAINER_NICE 19
#define DEFAULT_PUBLISH_EVERY 20
#define DEFAULT_LABEL_SOURCE NN_TRAIN_LABEL_PROPERTY
#define DEFAULT_MIN_SCORE 0.0
#define LABEL_EVENT "nn-label"

struct _GstNnTrain {
  GstVideoFilter parent;

  /* properties, under the object lock */
  char   *model_path, *instance_name, *label, *checkpoint;
  guint   replay_size, batch_size, publish_every;
  double  learning_rate, cpu_share, min_score;
  int     trainer_nice;
  NnTrainLabelSource label_source;

  /* from start () to stop () */
  NnModel *model;            /* the trainer's copy, touched by the thread only while it runs */
  NnOptimizer *opt;          /* the thread's, like the model */
  NnImageConverter *convert;
  int      in_numel, n_out;
  float   *stage;            /* one converted frame, before it enters the replay buffer */
  char    *current;          /* streaming thread: the label of `current_idx` */
  int      current_idx;      /* -1: not learning from these frames */
  gboolean warned_meta;      /* a meta's class the model lacks was reported */

  /* the replay buffer, the step counter and the thread's requests, under `lock` */
  GMutex   lock;
  GCond    cond;
  NnOnlineState st;          /* replay buffer, steps, sampler and optimiser: what a checkpoint holds */
  gboolean training;
  guint64  max_steps;
  gboolean stopping, save_requested;
  guint64  saves_done;
  GThread *thread;
};

G_DEFINE_TYPE (GstNnTrain, gst_nn_train, GST_TYPE_VIDEO_FILTER);
GST_ELEMENT_REGISTER_DEFINE (nntrain, "nntrain", GST_RANK_NONE, GST_TYPE_NN_TRAIN);

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink", GST_PAD_SINK, GST_PAD_ALWAYS,
  GST_STATIC_CAPS (GST_VIDEO_CAPS_MAKE (NN_INPUT_FORMATS)));
static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src", GST_PAD_SRC, GST_PAD_ALWAYS,
  GST_STATIC_CAPS (GST_VIDEO_CAPS_MAKE (NN_INPUT_FORMATS)));

/* ---- the training thread --------------------------------------------------------- */

typedef struct {
  float *x, *t, *dout;
  int   *rows;
} Batch;

/* Fraction of the replay buffer's samples the trainer's weights classify right. */
static double
replay_accuracy (GstNnTrain *self, Batch *b, int bs)
{
  int correct = 0, n;
  g_mutex_lock (&self->lock);
  n = self->st.count;
  for (int start = 0; start < n; start += bs) {
    int k = MIN (bs, n - start);
    memcpy (b->x, self->st.replay_x + (gsize) start * self->in_numel, (gsize) k * self->in_numel * sizeof (float));
    for (int i = 0; i < k; i++)
      b->rows[i] = self->st.replay_y[start + i];
    g_mutex_unlock (&self->lock);
    const float *y = nn_model_forward (self->model, b->x, k, FALSE, NULL);
    for (int i = 0; y && i < k; i++) {
      int best = 0;
      for (int j = 1; j < self->n_out; j++)
        if (y[i * self->n_out + j] > y[i * self->n_out + best])
          best = j;
      correct += best == b->rows[i];
    }
    g_mutex_lock (&self->lock);
    n = MIN (n, self->st.count);
  }
  g_mutex_unlock (&self->lock);
  return n > 0 ? (double) correct / n : NAN;
}

/* Called with `lock` held, which keeps the streaming thread from changing the
 * replay buffer while it is written (a rare wait: on request and at EOS).
 * `path` was read when the thread started (the property is fixed while it
 * runs): taking the object lock here would invert set_property's order. */
static gboolean
save_checkpoint (GstNnTrain *self, const char *path, GError **error)
{
  if (!path)
    return TRUE;
  /* written to a temporary file renamed over `path` */
  if (!nn_checkpoint_save_online (path, self->model, &self->st, error))
    return FALSE;
  GST_INFO_OBJECT (self, "checkpoint %s written at step %" G_GUINT64_FORMAT, path, self->st.steps);
  return TRUE;
}

/* Posted without `lock`: a bus sync handler may set properties that take it. */
static void
save_failed (GstNnTrain *self, const char *path, const GError *err)
{
  GST_ELEMENT_ERROR (self, RESOURCE, WRITE, ("Could not write the checkpoint \"%s\"", path), ("%s", err->message));
}

/* Publishes the trainer's weights; FALSE after an element error. */
static gboolean
publish (GstNnTrain *self, NnSharedModel **inst, const char *name, guint64 *version)
{
  g_autoptr (GError) err = NULL;
  if (!*inst && name)
    *inst = nn_shared_model_lookup (name);  /* the classifiers may join after the trainer started */
  if (!*inst)
    return TRUE;
  NnModel *w = nn_model_copy (self->model, &err);
  if (!w || !(*version = nn_shared_model_publish (*inst, w, &err)))
    goto failed;
  g_signal_emit (self, signals[SIGNAL_WEIGHTS_PUBLISHED], 0, *version, (gpointer) self->model);
  return TRUE;

failed:
  GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS, ("Cannot hand the weights of \"%s\" to model instance \"%s\"",
                     self->model_path, name), ("%s", err->message));
  return FALSE;
}

/* Nothing to do now: paused, at max-steps or no sample yet. Under `lock`. */
static gboolean
idle_now (GstNnTrain *self)
{
  return !self->training || self->st.count == 0 || (self->max_steps > 0 && self->st.steps >= self->max_steps);
}

/* The trainer yields to the streaming threads when they compete for a core:
 * on Linux a thread's nice value is its own (setpriority on its id). At 19
 * the thread goes to SCHED_IDLE instead: a nice thread still holds the core
 * until the scheduler's next tick when a frame arrives, an idle-class one is
 * preempted at the wake-up, which is what keeps the classifiers' p99 down. */
static void
lower_priority (GstNnTrain *self, int nice)
{
#ifdef SCHED_IDLE
  if (nice >= 19) {
    struct sched_param sp = { 0 };
    if (pthread_setschedparam (pthread_self (), SCHED_IDLE, &sp) == 0)
      return;
    GST_WARNING_OBJECT (self, "could not put the trainer in SCHED_IDLE; using nice %d", nice);
  }
#endif
#ifdef SYS_gettid
  if (nice > 0 && setpriority (PRIO_PROCESS, (id_t) syscall (SYS_gettid), nice) != 0)
    GST_WARNING_OBJECT (self, "could not set the trainer's nice value to %d: %s", nice, g_strerror (errno));
#endif
}

static gpointer
train_thread (gpointer data)
{
  GstNnTrain *self = data;
  GST_OBJECT_LOCK (self);
  int bs = (int) self->batch_size, every = (int) self->publish_every, nice = self->trainer_nice;
  double share = self->cpu_share;
  g_autofree char *name = self->instance_name && *self->instance_name ? g_strdup (self->instance_name) : NULL;
  g_autofree char *ckpt = self->checkpoint && *self->checkpoint ? g_strdup (self->checkpoint) : NULL;
  GST_OBJECT_UNLOCK (self);

  lower_priority (self, nice);
  /* one core: cpu-share is then a share of one core, and a team spread over
   * every core would take the classifiers' cores at each step */
  nn_set_thread_limit (1);
  NnSharedModel *inst = NULL;
  /* every buffer of a step is made here once */
  Batch b = { g_new (float, (gsize) bs * self->in_numel), g_new (float, (gsize) bs * self->n_out),
              g_new (float, (gsize) bs * self->n_out), g_new (int, bs) };
  double loss_sum = 0.0;
  int since = 0;
  gboolean ok = nn_model_reserve (self->model, bs, NULL);

  g_mutex_lock (&self->lock);
  while (ok && !self->stopping) {
    if (self->save_requested) {
      g_autoptr (GError) serr = NULL;
      self->save_requested = FALSE;
      if (!(ok = save_checkpoint (self, ckpt, &serr))) {
        /* before the requester goes on: at EOS the error precedes the EOS message */
        g_mutex_unlock (&self->lock);
        save_failed (self, ckpt, serr);
        g_mutex_lock (&self->lock);
      }
      self->saves_done++;
      g_cond_broadcast (&self->cond);
      continue;
    }
    if (idle_now (self)) {
      g_cond_wait (&self->cond, &self->lock);
      continue;
    }
    int n = self->st.count;
    for (int i = 0; i < bs; i++) {
      int r = g_rand_int_range (self->st.rng, 0, n);
      memcpy (b.x + (gsize) i * self->in_numel, self->st.replay_x + (gsize) r * self->in_numel,
              (gsize) self->in_numel * sizeof (float));
      b.rows[i] = self->st.replay_y[r];
    }
    g_mutex_unlock (&self->lock);

    gint64 t0 = g_get_monotonic_time ();
    memset (b.t, 0, (gsize) bs * self->n_out * sizeof (float));
    for (int i = 0; i < bs; i++)
      b.t[i * self->n_out + b.rows[i]] = 1.0f;
    g_autoptr (GError) err = NULL;
    const float *y = nn_model_forward (self->model, b.x, bs, TRUE, &err);
    if (!y) {
      GST_ELEMENT_ERROR (self, STREAM, FAILED, ("Training step failed"), ("%s", err->message));
      g_mutex_lock (&self->lock);
      break;
    }
    loss_sum += nn_loss (NN_LOSS_CCE, y, b.t, bs, self->n_out, b.dout);
    since++;
    nn_model_zero_grad (self->model);
    nn_model_backward (self->model, b.dout, FALSE);
    nn_optimizer_step (self->opt);
    g_mutex_lock (&self->lock);
    guint64 step = ++self->st.steps;
    g_mutex_unlock (&self->lock);
    if (step % (guint64) every == 0) {
      guint64 version = 0;
      ok = publish (self, &inst, name, &version);
      double acc = replay_accuracy (self, &b, bs);
      g_mutex_lock (&self->lock);
      guint samples = (guint) self->st.count;
      g_mutex_unlock (&self->lock);
      GstStructure *s = gst_structure_new ("nn-train-progress", "step", G_TYPE_UINT64, step, "loss", G_TYPE_DOUBLE,
                                           loss_sum / since, "accuracy", G_TYPE_DOUBLE, acc, "samples", G_TYPE_UINT,
                                           samples, "version", G_TYPE_UINT64, version, NULL);
      gst_element_post_message (GST_ELEMENT (self), gst_message_new_element (GST_OBJECT (self), s));
      loss_sum = 0.0;
      since = 0;
    }
    /* a duty cycle of `share`: rest (1 - share) / share of the time worked */
    gint64 worked = g_get_monotonic_time () - t0;
    g_mutex_lock (&self->lock);
    if (share < 1.0 && !self->stopping && !self->save_requested)
      g_cond_wait_until (&self->cond, &self->lock, g_get_monotonic_time () + (gint64) (worked * (1.0 - share) / share));
  }
  /* a save asked for while stopping (EOS) still happens before the thread ends */
  if (ok && self->save_requested) {
    g_autoptr (GError) serr = NULL;
    self->save_requested = FALSE;
    if (!save_checkpoint (self, ckpt, &serr)) {
      g_mutex_unlock (&self->lock);
      save_failed (self, ckpt, serr);
      g_mutex_lock (&self->lock);
    }
    self->saves_done++;
  }
  self->stopping = TRUE;  /* after an error: nothing waits for this thread any more */
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);

  g_free (b.x);
  g_free (b.t);
  g_free (b.dout);
  g_free (b.rows);
  nn_shared_model_release (inst);
  return NULL;
}

/* Asks the thread for a checkpoint and waits for it to be written. */
static void
request_checkpoint (GstNnTrain *self)
{
  g_mutex_lock (&self->lock);
  if (self->thread && !self->stopping) {
    guint64 want = self->saves_done + 1;
    self->save_requested = TRUE;
    g_cond_broadcast (&self->cond);
    while (self->saves_done < want && !self->stopping)
      g_cond_wait (&self->cond, &self->lock);
  }
  g_mutex_unlock (&self->lock);
}

static void
gst_nn_train_save_checkpoint (GstNnTrain *self)
{
  request_checkpoint (self);
}

/* ---- streaming ------------------------------------------------------------------- */

static int
label_index (const NnModel *m, const char *label)
{
  for (int i = 0; i < nn_model_n_labels (m); i++)
    if (g_strcmp0 (nn_model_label (m, i), label) == 0)
      return i;
  return -1;
}

/* The class of this frame from upstream's classification meta, -1 for none. */
static int
meta_class (GstNnTrain *self, GstBuffer *buf, double min_score)
{
  const char *label;
  double score;
  if (!nn_buffer_get_classification (buf, &label, NULL, &score) || !label || score < min_score)
    return -1;
  int idx = label_index (self->model, label);
  if (idx < 0 && !self->warned_meta) {
    /* a teacher may know classes the student does not: those frames are skipped */
    self->warned_meta = TRUE;
    GST_ELEMENT_WARNING (self, STREAM, FORMAT, ("Upstream's class \"%s\" is not a class of the model: such frames "
                         "are not learned from", label), ("%s has %d labels", self->model_path,
                         nn_model_n_labels (self->model)));
  }
  return idx;
}

static GstFlowReturn
gst_nn_train_transform_ip (GstBaseTransform *trans, GstBuffer *buf)
{
  GstNnTrain *self = GST_NN_TRAIN (trans);
  GstVideoFrame f;
  int cls;

  if (G_UNLIKELY (!self->convert))
    goto not_negotiated;
  GST_OBJECT_LOCK (self);
  NnTrainLabelSource source = self->label_source;
  double min_score = self->min_score;
  if (source == NN_TRAIN_LABEL_PROPERTY && g_strcmp0 (self->label, self->current) != 0) {
    /* the label changes rarely: look it up then, not per frame */
    g_free (self->current);
    self->current = g_strdup (self->label);
    self->current_idx = self->current && *self->current ? label_index (self->model, self->current) : -1;
    if (self->current && *self->current && self->current_idx < 0) {
      GST_OBJECT_UNLOCK (self);
      goto unknown_label;
    }
  }
  GST_OBJECT_UNLOCK (self);
  cls = source == NN_TRAIN_LABEL_META ? meta_class (self, buf, min_score) : self->current_idx;
  if (cls < 0)
    return GST_FLOW_OK;
  if (!gst_video_frame_map (&f, &GST_VIDEO_FILTER (self)->in_info, buf, GST_MAP_READ))
    goto map_failed;
  nn_input_convert (self->convert, &f, self->stage);
  gst_video_frame_unmap (&f);
  g_mutex_lock (&self->lock);
  NnOnlineState *st = &self->st;
  memcpy (st->replay_x + (gsize) st->head * self->in_numel, self->stage, (gsize) self->in_numel * sizeof (float));
  st->replay_y[st->head] = cls;
  st->head = (st->head + 1) % st->capacity;
  st->count = MIN (st->count + 1, st->capacity);
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
  return GST_FLOW_OK;

  /* ERRORS */
not_negotiated:
  GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, (NULL), ("no caps set before the first buffer"));
  return GST_FLOW_NOT_NEGOTIATED;
unknown_label:
  GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS, ("The label \"%s\" is not a class of the model", self->current),
                     ("%s has %d labels", self->model_path, nn_model_n_labels (self->model)));
  return GST_FLOW_ERROR;
map_failed:
  GST_ELEMENT_ERROR (self, STREAM, FAILED, ("Could not map the video frame"), (NULL));
  return GST_FLOW_ERROR;
}

static gboolean
gst_nn_train_set_info (GstVideoFilter *filter, GstCaps *incaps, GstVideoInfo *in_info, GstCaps *outcaps,
                       GstVideoInfo *out_info)
{
  GstNnTrain *self = GST_NN_TRAIN (filter);
  g_autoptr (GError) err = NULL;
  g_clear_pointer (&self->convert, nn_image_converter_free);
  self->convert = nn_input_converter_new (in_info, nn_model_preprocess (self->model), &err);
  if (!self->convert)
    goto no_converter;
  return TRUE;

  /* ERRORS */
no_converter:
  GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, ("Cannot feed %s frames to the model",
                     gst_video_format_to_string (GST_VIDEO_INFO_FORMAT (in_info))), ("%s", err->message));
  return FALSE;
}

static gboolean
gst_nn_train_sink_event (GstBaseTransform *trans, GstEvent *event)
{
  GstNnTrain *self = GST_NN_TRAIN (trans);
  const GstStructure *s;
  if (GST_EVENT_TYPE (event) == GST_EVENT_EOS)
    request_checkpoint (self);
  if (GST_EVENT_TYPE (event) == GST_EVENT_CUSTOM_DOWNSTREAM && (s = gst_event_get_structure (event)) &&
      gst_structure_has_name (s, LABEL_EVENT)) {
    /* the label of the frames that follow, as if the property were set now */
    const char *label = gst_structure_get_string (s, "label");
    GST_OBJECT_LOCK (self);
    g_free (self->label);
    self->label = g_strdup (label);
    GST_OBJECT_UNLOCK (self);
    g_object_notify (G_OBJECT (self), "label");
  }
  return GST_BASE_TRANSFORM_CLASS (gst_nn_train_parent_class)->sink_event (trans, event);
}

static void
stop_thread (GstNnTrain *self)
{
  g_mutex_lock (&self->lock);
  self->stopping = TRUE;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
  g_clear_pointer (&self->thread, g_thread_join);
}

static void
free_state (GstNnTrain *self)
{
  g_clear_pointer (&self->opt, nn_optimizer_free);
  g_clear_pointer (&self->model, nn_model_free);
  g_clear_pointer (&self->st.rng, g_rand_free);
  g_clear_pointer (&self->st.replay_x, g_free);
  g_clear_pointer (&self->st.replay_y, g_free);
  g_clear_pointer (&self->stage, g_free);
}

static gboolean
gst_nn_train_start (GstBaseTransform *trans)
{
  GstNnTrain *self = GST_NN_TRAIN (trans);
  g_autoptr (GError) err = NULL;
  NnSharedModel *inst = NULL;
  GST_OBJECT_LOCK (self);
  g_autofree char *path = g_strdup (self->model_path);
  g_autofree char *ckpt = g_strdup (self->checkpoint);
  g_autofree char *name = g_strdup (self->instance_name);
  int capacity = (int) self->replay_size;
  float lr = (float) self->learning_rate;
  GST_OBJECT_UNLOCK (self);
  char a[64], b[64];

  if (!path)
    goto no_model;
  if (!(self->model = nn_model_load (path, &err)))
    goto load_failed;
  if (name && *name && (inst = nn_shared_model_lookup (name))) {
    const NnModel *im = nn_shared_model_model (inst);
    gboolean same = nn_shape_equal (nn_model_input_shape (self->model), nn_model_input_shape (im)) &&
                    nn_shape_equal (nn_model_output_shape (self->model), nn_model_output_shape (im));
    nn_shared_model_release (inst);
    if (!same)
      goto instance_mismatch;
  }
  if (nn_model_output_shape (self->model)->ndim != 1 || nn_model_n_labels (self->model) < 1)
    goto not_classifier;
  self->in_numel = (int) nn_shape_numel (nn_model_input_shape (self->model));
  self->n_out = (int) nn_shape_numel (nn_model_output_shape (self->model));
  self->stage = g_new (float, self->in_numel);

  NnOptimConfig oc;
  nn_optim_config_init (&oc, NN_OPT_ADAM);
  oc.lr = lr;
  int n_params = 0;
  NnParam *params = nn_model_params (self->model, &n_params);
  self->opt = nn_optimizer_new (&oc, params, n_params);
  self->st = (NnOnlineState) { .opt = self->opt, .rng = g_rand_new_with_seed (1),
                               .replay_x = g_new (float, (gsize) capacity * self->in_numel),
                               .replay_y = g_new (int32_t, capacity), .capacity = capacity };
  if (ckpt && *ckpt && g_file_test (ckpt, G_FILE_TEST_EXISTS)) {
    /* resume: weights, optimiser, replay buffer, counter and generators as saved */
    if (!nn_checkpoint_load_online (ckpt, self->model, &self->st, &err))
      goto resume_failed;
    GST_INFO_OBJECT (self, "resuming from %s at step %" G_GUINT64_FORMAT " with %d samples", ckpt, self->st.steps,
                     self->st.count);
  }
  self->stopping = self->save_requested = FALSE;
  self->current_idx = -1;
  self->warned_meta = FALSE;
  g_clear_pointer (&self->current, g_free);
  self->thread = g_thread_new ("nntrain", train_thread, self);
  return TRUE;

  /* ERRORS */
no_model:
  GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND, ("No model file given"), ("set the \"model\" property"));
  return FALSE;
load_failed:
  GST_ELEMENT_ERROR (self, RESOURCE, OPEN_READ, ("Could not load model \"%s\"", path), ("%s", err->message));
  return FALSE;
resume_failed:
  GST_ELEMENT_ERROR (self, RESOURCE, OPEN_READ, ("Could not resume from checkpoint \"%s\"", ckpt),
                     ("%s", err->message));
  free_state (self);
  return FALSE;
instance_mismatch:
  GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS, ("Model \"%s\" cannot give its weights to model instance \"%s\"",
                     path, name), ("it takes %s and gives %s, not the instance's shapes",
                     nn_shape_to_string (nn_model_input_shape (self->model), a, sizeof a),
                     nn_shape_to_string (nn_model_output_shape (self->model), b, sizeof b)));
  free_state (self);
  return FALSE;
not_classifier:
  GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS, ("Model \"%s\" is not a classifier with labels", path), (NULL));
  free_state (self);
  return FALSE;
}

static gboolean
gst_nn_train_stop (GstBaseTransform *trans)
{
  GstNnTrain *self = GST_NN_TRAIN (trans);
  stop_thread (self);
  g_clear_pointer (&self->convert, nn_image_converter_free);
  free_state (self);
  g_clear_pointer (&self->current, g_free);
  return TRUE;
}

/* ---- properties --------------------------------------------------------------------- */

static void
gst_nn_train_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  GstNnTrain *self = GST_NN_TRAIN (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
  case PROP_MODEL:
    g_free (self->model_path);
    self->model_path = g_value_dup_string (value);
    break;
  case PROP_MODEL_INSTANCE:
    g_free (self->instance_name);
    self->instance_name = g_value_dup_string (value);
    break;
  case PROP_LABEL:
    g_free (self->label);
    self->label = g_value_dup_string (value);
    break;
  case PROP_LABEL_SOURCE:
    self->label_source = g_value_get_enum (value);
    break;
  case PROP_MIN_SCORE:
    self->min_score = g_value_get_double (value);
    break;
  case PROP_REPLAY_SIZE:
    self->replay_size = g_value_get_uint (value);
    break;
  case PROP_LEARNING_RATE:
    self->learning_rate = g_value_get_double (value);
    break;
  case PROP_BATCH_SIZE:
    self->batch_size = g_value_get_uint (value);
    break;
  case PROP_CPU_SHARE:
    self->cpu_share = g_value_get_double (value);
    break;
  case PROP_TRAINER_NICE:
    self->trainer_nice = g_value_get_int (value);
    break;
  case PROP_PUBLISH_EVERY:
    self->publish_every = g_value_get_uint (value);
    break;
  case PROP_TRAINING:
  case PROP_MAX_STEPS:
    /* the thread reads them under `lock` and waits on its condition */
    g_mutex_lock (&self->lock);
    if (prop_id == PROP_TRAINING)
      self->training = g_value_get_boolean (value);
    else
      self->max_steps = g_value_get_uint64 (value);
    g_cond_broadcast (&self->cond);
    g_mutex_unlock (&self->lock);
    break;
  case PROP_CHECKPOINT:
    g_free (self->checkpoint);
    self->checkpoint = g_value_dup_string (value);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_nn_train_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  GstNnTrain *self = GST_NN_TRAIN (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
  case PROP_MODEL:
    g_value_set_string (value, self->model_path);
    break;
  case PROP_MODEL_INSTANCE:
    g_value_set_string (value, self->instance_name);
    break;
  case PROP_LABEL:
    g_value_set_string (value, self->label);
    break;
  case PROP_LABEL_SOURCE:
    g_value_set_enum (value, self->label_source);
    break;
  case PROP_MIN_SCORE:
    g_value_set_double (value, self->min_score);
    break;
  case PROP_REPLAY_SIZE:
    g_value_set_uint (value, self->replay_size);
    break;
  case PROP_LEARNING_RATE:
    g_value_set_double (value, self->learning_rate);
    break;
  case PROP_BATCH_SIZE:
    g_value_set_uint (value, self->batch_size);
    break;
  case PROP_CPU_SHARE:
    g_value_set_double (value, self->cpu_share);
    break;
  case PROP_TRAINER_NICE:
    g_value_set_int (value, self->trainer_nice);
    break;
  case PROP_PUBLISH_EVERY:
    g_value_set_uint (value, self->publish_every);
    break;
  case PROP_TRAINING:
  case PROP_MAX_STEPS:
  case PROP_STEPS:
    g_mutex_lock (&self->lock);
    if (prop_id == PROP_TRAINING)
      g_value_set_boolean (value, self->training);
    else if (prop_id == PROP_MAX_STEPS)
      g_value_set_uint64 (value, self->max_steps);
    else
      g_value_set_uint64 (value, self->st.steps);
    g_mutex_unlock (&self->lock);
    break;
  case PROP_CHECKPOINT:
    g_value_set_string (value, self->checkpoint);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_nn_train_finalize (GObject *object)
{
  GstNnTrain *self = GST_NN_TRAIN (object);
  g_free (self->model_path);
  g_free (self->instance_name);
  g_free (self->label);
  g_free (self->checkpoint);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);
  G_OBJECT_CLASS (gst_nn_train_parent_class)->finalize (object);
}

static void
gst_nn_train_class_init (GstNnTrainClass *klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseTransformClass *trans_class = GST_BASE_TRANSFORM_CLASS (klass);
  GstVideoFilterClass *filter_class = GST_VIDEO_FILTER_CLASS (klass);
  GParamFlags rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS;

  GST_DEBUG_CATEGORY_INIT (gst_nn_train_debug, "nntrain", 0, "learning from labelled frames in a pipeline");

  gobject_class->set_property = gst_nn_train_set_property;
  gobject_class->get_property = gst_nn_train_get_property;
  gobject_class->finalize = gst_nn_train_finalize;

  g_object_class_install_property (gobject_class, PROP_MODEL,
    g_param_spec_string ("model", "Model", "Model file (.safetensors) to train from, e.g. "
                         "model=models/gesture-lenet.safetensors", NULL, rw | GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_MODEL_INSTANCE,
    g_param_spec_string ("model-instance", "Model instance", "Shared model instance (nnclassify's model-instance) "
                         "that receives the weights, e.g. model-instance=hands", NULL, rw | GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_LABEL,
    g_param_spec_string ("label", "Label", "Class of the frames arriving now, one of the model's labels; may change "
                         "while playing (or by an nn-label custom event); empty: learn nothing from them; with "
                         "label-source=property, e.g. label=fist", NULL, rw | GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_LABEL_SOURCE,
    g_param_spec_enum ("label-source", "Label source", "Where a frame's label comes from: the label property, or "
                       "the top class of the classification meta upstream attached (a teacher nnclassify), e.g. "
                       "label-source=meta", GST_TYPE_NN_TRAIN_LABEL_SOURCE, DEFAULT_LABEL_SOURCE,
                       rw | GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_MIN_SCORE,
    g_param_spec_double ("min-score", "Minimum score", "With label-source=meta, frames whose top score is lower are "
                         "not learned from, e.g. min-score=0.9", 0.0, 1.0, DEFAULT_MIN_SCORE,
                         rw | GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_REPLAY_SIZE,
    g_param_spec_uint ("replay-size", "Replay size", "The last frames kept (converted) to train on, e.g. "
                       "replay-size=512", 1, 1 << 20, DEFAULT_REPLAY_SIZE, rw | GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_LEARNING_RATE,
    g_param_spec_double ("learning-rate", "Learning rate", "Adam's learning rate, e.g. learning-rate=0.0005", 0.0,
                         10.0, DEFAULT_LEARNING_RATE, rw | GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_BATCH_SIZE,
    g_param_spec_uint ("batch-size", "Batch size", "Samples of the replay buffer per training step (not the "
                       "classifiers' batching), e.g. batch-size=32", 1, 4096, DEFAULT_BATCH_SIZE,
                       rw | GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_CPU_SHARE,
    g_param_spec_double ("cpu-share", "CPU share", "Fraction of the time the training thread may work (it sleeps "
                         "the rest), e.g. cpu-share=0.25", 0.01, 1.0, DEFAULT_CPU_SHARE,
                         rw | GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_TRAINER_NICE,
    g_param_spec_int ("trainer-nice", "Trainer nice", "Nice value of the training thread (Linux), so that the "
                      "streaming threads win a contended core; 19 (the default) puts it in SCHED_IDLE, which "
                      "yields at once when a frame arrives; 0 keeps the process's, e.g. trainer-nice=10", 0, 19,
                      DEFAULT_TRAINER_NICE, rw | GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_PUBLISH_EVERY,
    g_param_spec_uint ("publish-every", "Publish every", "Training steps between two hand-overs of the weights to "
                       "the instance, e.g. publish-every=50", 1, G_MAXUINT, DEFAULT_PUBLISH_EVERY,
                       rw | GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_TRAINING,
    g_param_spec_boolean ("training", "Training", "FALSE pauses the training thread between two steps (frames are "
                          "still stored), e.g. training=false", TRUE, rw | GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_MAX_STEPS,
    g_param_spec_uint64 ("max-steps", "Maximum steps", "Training stops when \"steps\" reaches this (a resumed run "
                         "counts the checkpoint's); 0: no limit, e.g. max-steps=2000", 0, G_MAXUINT64, 0,
                         rw | GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_CHECKPOINT,
    g_param_spec_string ("checkpoint", "Checkpoint", "File of the whole trainer state (weights, optimiser, replay "
                         "buffer, counters), written on \"save-checkpoint\" and at EOS and resumed from at start "
                         "when it exists; also a model file, e.g. checkpoint=hands.ckpt.safetensors", NULL,
                         rw | GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_STEPS,
    g_param_spec_uint64 ("steps", "Steps", "Training steps done, with those of the checkpoint resumed from; read "
                         "only, e.g. g_object_get (train, \"steps\", &steps, NULL)", 0, G_MAXUINT64, 0,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  /**
   * GstNnTrain::save-checkpoint:
   *
   * Writes the trainer's state to "checkpoint" now, between two training
   * steps, and returns when the file is in place.
   */
  signals[SIGNAL_SAVE_CHECKPOINT] = g_signal_new_class_handler ("save-checkpoint", G_TYPE_FROM_CLASS (klass),
    G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION, G_CALLBACK (gst_nn_train_save_checkpoint), NULL, NULL, NULL, G_TYPE_NONE, 0);
  /**
   * GstNnTrain::weights-published:
   * @version: the instance's snapshot version the weights became
   * @model: (transfer none): the trainer's NnModel holding exactly those
   *   weights, valid during the emission only; read it, never run it
   *
   * Emitted from the training thread after each publication, before the
   * next step (to log or keep the weights of a version).
   */
  signals[SIGNAL_WEIGHTS_PUBLISHED] = g_signal_new ("weights-published", G_TYPE_FROM_CLASS (klass),
    G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_UINT64, G_TYPE_POINTER);

  gst_element_class_set_static_metadata (element_class, "Neural network trainer", "Filter/Video",
    "Learns from labelled frames in a background thread and hands the weights to the classifiers of a shared "
    "model instance between two frames, e.g. nntrain model=m.safetensors model-instance=hands label=fist",
    "gst-nn");
  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);

  trans_class->start = GST_DEBUG_FUNCPTR (gst_nn_train_start);
  trans_class->stop = GST_DEBUG_FUNCPTR (gst_nn_train_stop);
  trans_class->sink_event = GST_DEBUG_FUNCPTR (gst_nn_train_sink_event);
  trans_class->transform_ip = GST_DEBUG_FUNCPTR (gst_nn_train_transform_ip);
  trans_class->transform_ip_on_passthrough = FALSE;
  filter_class->set_info = GST_DEBUG_FUNCPTR (gst_nn_train_set_info);
}

static void
gst_nn_train_init (GstNnTrain *self)
{
  self->replay_size = DEFAULT_REPLAY_SIZE;
  self->learning_rate = DEFAULT_LEARNING_RATE;
  self->batch_size = DEFAULT_BATCH_SIZE;
  self->cpu_share = DEFAULT_CPU_SHARE;
  self->trainer_nice = DEFAULT_TRAINER_NICE;
  self->publish_every = DEFAULT_PUBLISH_EVERY;
  self->label_source = DEFAULT_LABEL_SOURCE;
  self->min_score = DEFAULT_MIN_SCORE;
  self->training = TRUE;
  self->current_idx = -1;
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  /* not passthrough: basetransform would skip transform_ip then */
  gst_base_transform_set_in_place (GST_BASE_TRANSFORM (self), TRUE);
}
