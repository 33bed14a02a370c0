/* Shared model instances: the process-wide table, each instance's queue,
 * batcher and lanes, and the weights' snapshots (see nn-shared.h).
 *
 * A batch runs on all cores: it splits into one chunk per lane (a lane per
 * core, at most one per sample), the batcher runs the first and a worker
 * thread per further lane the others, each on a model of its own (a model's
 * forward is not reentrant: it owns its workspace). The workers sleep on a
 * condition between batches: a spinning team (OpenMP's) took the cores from
 * the streams' threads, which convert the next frames meanwhile. */
#include "nn-private.h"

/* Immutable weights, a model per lane (model[0] as published, the others
 * copies with their own workspace, made once per snapshot, never per
 * stream). The instance's current pointer holds one reference, each running
 * batch another, and the first snapshot is kept for the instance's
 * description. */
typedef struct {
  gint     refs;       /* atomic */
  guint64  version;
  int      n_lanes;
  NnModel *model[NN_MAX_THREADS];
} Snapshot;

struct _NnSharedClient {
  NnSharedModel  *inst;
  GList           link;      /* data = self; in inst->queue while queued */
  gboolean        queued, done, active;   /* under inst->lock */
  gint64          t_queued;
  float          *input;     /* (input...) */
  float          *output;    /* (output...) */
  GError         *error;     /* the batch's failure, for run () to hand over */
  NnSharedRunInfo info;
};

struct _NnSharedModel {
  char      *name;
  char      *path;       /* canonical */
  int        batch_size;
  gint64     timeout_us;
  int        refs;       /* under table_lock */
  Snapshot  *first;
  int64_t    in_numel, out_numel;

  GMutex     lock;
  GCond      wake;       /* to the batcher: a sample queued, a client ended, quit */
  GCond      done;       /* to the clients: a batch's rows are done */
  GQueue     queue;      /* of NnSharedClient, oldest first */
  int        n_active;
  gboolean   quit;
  Snapshot  *current;
  guint64    n_batches;

  /* the batcher's own, sized once */
  NnSharedClient **batch;    /* (batch_size) */
  float     *batch_in;       /* (batch_size, input...) */
  GThread   *thread;

  /* lanes 1 .. n_lanes-1: their threads and the batch they share */
  int        n_lanes, lane_max;  /* lane_max: the most samples of a chunk */
  int64_t    sample_flops;
  GThread   *worker[NN_MAX_THREADS];
  GMutex     work_lock;
  GCond      work_cond;      /* to the workers: a batch, or quit */
  GCond      work_done;      /* to the batcher: the last chunk is done */
  guint64    work_gen;       /* batches handed out */
  int        work_lanes, work_left, work_n;
  Snapshot  *work_snap;
  gboolean   work_quit;
};

static GMutex table_lock;
static GHashTable *table;    /* name -> NnSharedModel, under table_lock */
static guint n_loads;        /* atomic */

static void snapshot_unref (Snapshot *s);

/* Takes `model` (also on failure) and gives each further lane a copy; every
 * workspace is sized here, in the caller's thread, not by a batch. */
static Snapshot *
snapshot_new (NnSharedModel *inst, NnModel *model, guint64 version, GError **error)
{
  Snapshot *s = g_new0 (Snapshot, 1);
  s->refs = 1;
  s->version = version;
  s->model[0] = model;
  s->n_lanes = 1;
  /* lane 0 runs a whole batch when a second lane is not worth waking */
  if (!nn_model_reserve (model, inst->batch_size, error))
    goto fail;
  for (; s->n_lanes < inst->n_lanes; s->n_lanes++) {
    s->model[s->n_lanes] = nn_model_copy (model, error);
    if (!s->model[s->n_lanes] || !nn_model_reserve (s->model[s->n_lanes], inst->lane_max, error))
      goto fail;
  }
  return s;

fail:
  snapshot_unref (s);
  return NULL;
}

static Snapshot *
snapshot_ref (Snapshot *s)
{
  g_atomic_int_inc (&s->refs);
  return s;
}

static void
snapshot_unref (Snapshot *s)
{
  if (s && g_atomic_int_dec_and_test (&s->refs)) {
    for (int i = 0; i < NN_MAX_THREADS; i++)
      nn_model_free (s->model[i]);
    g_free (s);
  }
}

/* ---- the batcher -------------------------------------------------------------- */

/* Until batch_size samples are queued, or one from every active client, or
 * the oldest has waited timeout_us. Called and returns with the lock held. */
static void
wait_for_batch (NnSharedModel *inst)
{
  while (!inst->quit) {
    int target = CLAMP (inst->n_active, 1, inst->batch_size);
    if ((int) inst->queue.length >= target)
      return;
    NnSharedClient *oldest = inst->queue.head->data;
    gint64 deadline = oldest->t_queued + inst->timeout_us;
    if (g_get_monotonic_time () >= deadline)
      return;
    g_cond_wait_until (&inst->wake, &inst->lock, deadline);
  }
}

/* Lane `lane` of `lanes`: its share of the batch's samples, in and out.
 * The clients wait for `done` (set by the batcher under the instance's lock
 * once every lane is through) before they touch their output again. */
static void
run_lane (NnSharedModel *inst, Snapshot *snap, int n, int lane, int lanes)
{
  g_autoptr (GError) err = NULL;
  int lo = n * lane / lanes, hi = n * (lane + 1) / lanes;
  float *in = inst->batch_in + lo * inst->in_numel;
  for (int i = lo; i < hi; i++)
    memcpy (in + (i - lo) * inst->in_numel, inst->batch[i]->input, sizeof (float) * inst->in_numel);
  const float *out = nn_model_forward (snap->model[lane], in, hi - lo, FALSE, &err);
  for (int i = lo; i < hi; i++)
    if (out)
      memcpy (inst->batch[i]->output, out + (i - lo) * inst->out_numel, sizeof (float) * inst->out_numel);
    else
      inst->batch[i]->error = g_error_new (NN_ERROR, err->code, "model instance \"%s\": %s", inst->name,
                                           err->message);
}

static gpointer
worker (gpointer data)
{
  NnSharedModel *inst = data;
  /* a lane is one thread: the cores are the lanes */
  nn_parallel_limit_thread (1);
  g_mutex_lock (&inst->work_lock);
  int lane = inst->work_lanes;   /* handed over by lanes_start */
  inst->work_lanes = 0;
  g_cond_signal (&inst->work_done);
  guint64 seen = inst->work_gen;
  for (;;) {
    while (!inst->work_quit && inst->work_gen == seen)
      g_cond_wait (&inst->work_cond, &inst->work_lock);
    if (inst->work_quit)
      break;
    seen = inst->work_gen;
    if (lane >= inst->work_lanes)
      continue;   /* a batch of fewer samples than lanes */
    Snapshot *snap = inst->work_snap;
    int n = inst->work_n, lanes = inst->work_lanes;
    g_mutex_unlock (&inst->work_lock);
    run_lane (inst, snap, n, lane, lanes);
    g_mutex_lock (&inst->work_lock);
    if (--inst->work_left == 0)
      g_cond_signal (&inst->work_done);
  }
  g_mutex_unlock (&inst->work_lock);
  return NULL;
}

/* A lane's chunk is worth waking a worker for from this much work on (2
 * MFLOP, some 40 us here; a wake-up costs 5-20 us of the two threads):
 * a model of one small dense layer runs its batch on the batcher alone. */
#define LANE_MIN_FLOPS (2 * 1000 * 1000)

static void
run_batch (NnSharedModel *inst, int n, Snapshot *snap, guint64 batch_no, gint64 t_start)
{
  int64_t worth = MAX (inst->sample_flops * n / LANE_MIN_FLOPS, 1);
  int lanes = (int) MIN (MIN (MIN (inst->n_lanes, snap->n_lanes), n), worth);
  if (lanes > 1) {
    g_mutex_lock (&inst->work_lock);
    inst->work_snap = snap;
    inst->work_n = n;
    inst->work_lanes = lanes;
    inst->work_left = lanes - 1;
    inst->work_gen++;
    g_mutex_unlock (&inst->work_lock);
    /* after the unlock, so that a woken worker does not block on the lock */
    g_cond_broadcast (&inst->work_cond);
  }
  run_lane (inst, snap, n, 0, lanes);
  if (lanes > 1) {
    g_mutex_lock (&inst->work_lock);
    while (inst->work_left > 0)
      g_cond_wait (&inst->work_done, &inst->work_lock);
    g_mutex_unlock (&inst->work_lock);
  }

  g_mutex_lock (&inst->lock);
  for (int i = 0; i < n; i++) {
    NnSharedClient *c = inst->batch[i];
    c->info = (NnSharedRunInfo) { .batch = batch_no, .n = n, .index = i, .version = snap->version,
                                  .queued_us = t_start - c->t_queued, .lanes = lanes };
    c->done = TRUE;
  }
  g_mutex_unlock (&inst->lock);
  /* one broadcast after the unlock: signalled under the lock, each woken
   * client blocked on it again while the batcher signalled the next (a
   * sleep and a wake more per frame). The condition is the instance's, so
   * a client that returns and is freed meanwhile leaves nothing dangling;
   * a client queued for the next batch rechecks its flag and waits on. */
  g_cond_broadcast (&inst->done);
}

static gpointer
batcher (gpointer data)
{
  NnSharedModel *inst = data;
  /* the batcher is lane 0; no OpenMP team under it: one spins between
   * batches against the streams' threads (8 streams of 640x480 on 2 cores:
   * 11.3 s with a team of 2, 4.1 s without) */
  nn_parallel_limit_thread (1);
  g_mutex_lock (&inst->lock);
  for (;;) {
    while (!inst->quit && inst->queue.length == 0)
      g_cond_wait (&inst->wake, &inst->lock);
    if (inst->queue.length == 0)
      break;   /* quit: no client is left to wait */
    wait_for_batch (inst);
    int n = MIN ((int) inst->queue.length, inst->batch_size);
    for (int i = 0; i < n; i++) {
      GList *l = g_queue_pop_head_link (&inst->queue);
      inst->batch[i] = l->data;
      inst->batch[i]->queued = FALSE;
    }
    /* the whole batch on the snapshot current now: a publish from here on
     * is for the next one */
    Snapshot *snap = snapshot_ref (inst->current);
    guint64 batch_no = ++inst->n_batches;
    g_mutex_unlock (&inst->lock);

    run_batch (inst, n, snap, batch_no, g_get_monotonic_time ());
    snapshot_unref (snap);
    g_mutex_lock (&inst->lock);
  }
  g_mutex_unlock (&inst->lock);
  return NULL;
}

/* ---- instances ------------------------------------------------------------------ */

/* The workers of lanes 1 .. n_lanes-1; on failure inst->n_lanes is the
 * lanes that have one. */
static gboolean
lanes_start (NnSharedModel *inst, int n_lanes, GError **error)
{
  g_mutex_lock (&inst->work_lock);
  for (inst->n_lanes = 1; inst->n_lanes < n_lanes; inst->n_lanes++) {
    inst->work_lanes = inst->n_lanes;
    GThread *t = g_thread_try_new ("nn-lane", worker, inst, error);
    if (!t)
      break;
    inst->worker[inst->n_lanes] = t;
    /* its lane number taken before the next is handed out */
    while (inst->work_lanes)
      g_cond_wait (&inst->work_done, &inst->work_lock);
  }
  g_mutex_unlock (&inst->work_lock);
  return inst->n_lanes == n_lanes;
}

static void
instance_free (NnSharedModel *inst)
{
  if (inst->thread) {
    g_mutex_lock (&inst->lock);
    inst->quit = TRUE;
    g_cond_signal (&inst->wake);
    g_mutex_unlock (&inst->lock);
    g_thread_join (inst->thread);
  }
  g_mutex_lock (&inst->work_lock);
  inst->work_quit = TRUE;
  g_cond_broadcast (&inst->work_cond);
  g_mutex_unlock (&inst->work_lock);
  for (int i = 1; i < inst->n_lanes; i++)
    g_thread_join (inst->worker[i]);
  snapshot_unref (inst->current);
  snapshot_unref (inst->first);
  g_mutex_clear (&inst->lock);
  g_cond_clear (&inst->wake);
  g_cond_clear (&inst->done);
  g_mutex_clear (&inst->work_lock);
  g_cond_clear (&inst->work_cond);
  g_cond_clear (&inst->work_done);
  g_free (inst->batch);
  g_free (inst->batch_in);
  g_free (inst->name);
  g_free (inst->path);
  g_free (inst);
}

static NnSharedModel *
instance_new (const char *name, const char *path, int batch_size, gint64 timeout_us, GError **error)
{
  NnModel *model = nn_model_load (path, error);
  if (!model)
    return NULL;
  g_atomic_int_inc (&n_loads);
  NnSharedModel *inst = g_new0 (NnSharedModel, 1);
  inst->name = g_strdup (name);
  inst->path = g_strdup (path);
  inst->batch_size = batch_size;
  inst->timeout_us = timeout_us;
  g_mutex_init (&inst->lock);
  g_cond_init (&inst->wake);
  g_cond_init (&inst->done);
  g_queue_init (&inst->queue);
  g_mutex_init (&inst->work_lock);
  g_cond_init (&inst->work_cond);
  g_cond_init (&inst->work_done);
  inst->in_numel = nn_shape_numel (nn_model_input_shape (model));
  inst->out_numel = nn_shape_numel (nn_model_output_shape (model));
  inst->batch = g_new0 (NnSharedClient *, batch_size);
  inst->batch_in = g_new0 (float, batch_size * inst->in_numel);
  for (int i = 0; i < nn_model_n_layers (model); i++) {
    NnLayerInfo info;
    nn_model_layer_info (model, i, &info);
    inst->sample_flops += info.flops;
  }
  /* a lane per core (nn_set_threads), none idle in a full batch */
  int n_lanes = MIN (nn_get_threads (), batch_size);
  inst->lane_max = (batch_size + n_lanes - 1) / n_lanes;
  if (!lanes_start (inst, n_lanes, error))
    goto fail_model;
  inst->current = snapshot_new (inst, model, 1, error);
  if (!inst->current)
    goto fail;
  inst->first = snapshot_ref (inst->current);
  inst->thread = g_thread_try_new ("nn-batcher", batcher, inst, error);
  if (!inst->thread)
    goto fail;
  return inst;

fail_model:
  nn_model_free (model);
fail:
  instance_free (inst);
  return NULL;
}

NnSharedModel *
nn_shared_model_acquire (const char *name, const char *path, int batch_size, gint64 timeout_us, GError **error)
{
  g_return_val_if_fail (name && *name && path, NULL);
  if (batch_size < 1 || timeout_us < 0) {
    g_set_error (error, NN_ERROR, NN_ERROR_INVALID, "model instance \"%s\": batch size %d and timeout %"
                 G_GINT64_FORMAT " us (need >= 1 and >= 0)", name, batch_size, timeout_us);
    return NULL;
  }
  g_autofree char *canon = g_canonicalize_filename (path, NULL);
  g_mutex_lock (&table_lock);
  if (!table)
    table = g_hash_table_new (g_str_hash, g_str_equal);
  NnSharedModel *inst = g_hash_table_lookup (table, name);
  if (inst) {
    if (strcmp (inst->path, canon) != 0)
      goto other_file;
    if (inst->batch_size != batch_size || inst->timeout_us != timeout_us)
      goto other_batching;
    inst->refs++;
  } else {
    /* loaded under the table's lock: a second stream of the same name waits
     * for this load rather than reading the file again */
    inst = instance_new (name, canon, batch_size, timeout_us, error);
    if (!inst)
      goto out;
    inst->refs = 1;
    g_hash_table_insert (table, inst->name, inst);
  }
out:
  g_mutex_unlock (&table_lock);
  return inst;

  /* ERRORS */
other_file:
  g_set_error (error, NN_ERROR, NN_ERROR_INVALID, "model instance \"%s\" runs %s; %s cannot share it (give it "
               "another instance name)", name, inst->path, canon);
  inst = NULL;
  goto out;
other_batching:
  g_set_error (error, NN_ERROR, NN_ERROR_INVALID, "model instance \"%s\" batches %d samples with a timeout of %"
               G_GINT64_FORMAT " us; this stream asks for %d and %" G_GINT64_FORMAT " us", name, inst->batch_size,
               inst->timeout_us, batch_size, timeout_us);
  inst = NULL;
  goto out;
}

NnSharedModel *
nn_shared_model_lookup (const char *name)
{
  g_return_val_if_fail (name, NULL);
  g_mutex_lock (&table_lock);
  NnSharedModel *inst = table ? g_hash_table_lookup (table, name) : NULL;
  if (inst)
    inst->refs++;
  g_mutex_unlock (&table_lock);
  return inst;
}

void
nn_shared_model_release (NnSharedModel *inst)
{
  if (!inst)
    return;
  g_mutex_lock (&table_lock);
  gboolean last = --inst->refs == 0;
  if (last)
    g_hash_table_remove (table, inst->name);
  g_mutex_unlock (&table_lock);
  if (last)
    instance_free (inst);
}

const NnModel *
nn_shared_model_model (NnSharedModel *inst)
{
  return inst->first->model[0];
}

const char *
nn_shared_model_name (NnSharedModel *inst)
{
  return inst->name;
}

const char *
nn_shared_model_path (NnSharedModel *inst)
{
  return inst->path;
}

int
nn_shared_model_batch_size (NnSharedModel *inst)
{
  return inst->batch_size;
}

guint
nn_shared_model_n_loads (void)
{
  return g_atomic_int_get (&n_loads);
}

guint64
nn_shared_model_publish (NnSharedModel *inst, NnModel *weights, GError **error)
{
  const NnModel *ref = inst->first->model[0];
  char a[64], b[64];
  if (!nn_shape_equal (nn_model_input_shape (weights), nn_model_input_shape (ref)) ||
      !nn_shape_equal (nn_model_output_shape (weights), nn_model_output_shape (ref)))
    goto bad_shape;
  /* the lanes' copies and workspaces are made here, in the publisher's
   * thread, not by a batch */
  Snapshot *snap = snapshot_new (inst, weights, 0, error);
  if (!snap)
    return 0;
  g_mutex_lock (&inst->lock);
  Snapshot *old = inst->current;
  snap->version = old->version + 1;
  inst->current = snap;
  guint64 version = snap->version;
  g_mutex_unlock (&inst->lock);
  snapshot_unref (old);
  return version;

  /* ERRORS */
bad_shape:
  g_set_error (error, NN_ERROR, NN_ERROR_SHAPE, "model instance \"%s\": new weights take %s and give %s, the "
               "instance's model takes %s and gives %s", inst->name,
               nn_shape_to_string (nn_model_input_shape (weights), a, sizeof a),
               nn_shape_to_string (nn_model_output_shape (weights), b, sizeof b),
               nn_shape_to_string (nn_model_input_shape (ref), (char[64]) { 0 }, 64),
               nn_shape_to_string (nn_model_output_shape (ref), (char[64]) { 0 }, 64));
  nn_model_free (weights);
  return 0;
}

guint64
nn_shared_model_version (NnSharedModel *inst)
{
  g_mutex_lock (&inst->lock);
  guint64 v = inst->current->version;
  g_mutex_unlock (&inst->lock);
  return v;
}

/* ---- clients --------------------------------------------------------------------- */

NnSharedClient *
nn_shared_client_new (NnSharedModel *inst)
{
  NnSharedClient *c = g_new0 (NnSharedClient, 1);
  c->inst = inst;
  c->link.data = c;
  c->input = g_new0 (float, inst->in_numel);
  c->output = g_new0 (float, inst->out_numel);
  return c;
}

void
nn_shared_client_free (NnSharedClient *c)
{
  if (!c)
    return;
  NnSharedModel *inst = c->inst;
  g_mutex_lock (&inst->lock);
  g_warn_if_fail (!c->queued);
  if (c->active) {
    inst->n_active--;
    g_cond_signal (&inst->wake);
  }
  g_mutex_unlock (&inst->lock);
  g_clear_error (&c->error);
  g_free (c->input);
  g_free (c->output);
  g_free (c);
}

float *
nn_shared_client_input (NnSharedClient *c)
{
  return c->input;
}

const float *
nn_shared_client_run (NnSharedClient *c, GError **error)
{
  NnSharedModel *inst = c->inst;
  g_mutex_lock (&inst->lock);
  if (!c->active) {
    c->active = TRUE;
    inst->n_active++;
  }
  c->done = FALSE;
  c->queued = TRUE;
  c->t_queued = g_get_monotonic_time ();
  g_queue_push_tail_link (&inst->queue, &c->link);
  /* the batcher waits for a first sample (to start the timeout) or for a
   * batch that may go (wait_for_batch's target); waking it for every sample
   * cost a context switch each */
  int len = (int) inst->queue.length;
  if (len == 1 || len >= CLAMP (inst->n_active, 1, inst->batch_size))
    g_cond_signal (&inst->wake);
  while (!c->done)
    g_cond_wait (&inst->done, &inst->lock);
  g_mutex_unlock (&inst->lock);
  if (c->error) {
    g_propagate_error (error, c->error);
    c->error = NULL;
    return NULL;
  }
  return c->output;
}

void
nn_shared_client_set_active (NnSharedClient *c, gboolean active)
{
  NnSharedModel *inst = c->inst;
  g_mutex_lock (&inst->lock);
  if (c->active != !!active) {
    c->active = !!active;
    inst->n_active += active ? 1 : -1;
    /* a batch waiting for this stream's sample may go now */
    g_cond_signal (&inst->wake);
  }
  g_mutex_unlock (&inst->lock);
}

void
nn_shared_client_last_run (const NnSharedClient *c, NnSharedRunInfo *info)
{
  *info = c->info;
}
