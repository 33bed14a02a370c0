/* Shared model instances: the process-wide table, each instance's queue and
 * batcher thread, and the weights' snapshots (see nn-shared.h). */
#include "nn-private.h"

/* Immutable weights with their own workspace (only the batcher runs them).
 * The instance's current pointer holds one reference, each running batch
 * another, and the first snapshot is kept for the instance's description. */
typedef struct {
  gint     refs;       /* atomic */
  guint64  version;
  NnModel *model;
} Snapshot;

struct _NnSharedClient {
  NnSharedModel  *inst;
  GList           link;      /* data = self; in inst->queue while queued */
  GCond           cond;      /* done */
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
  GQueue     queue;      /* of NnSharedClient, oldest first */
  int        n_active;
  gboolean   quit;
  Snapshot  *current;
  guint64    n_batches;

  /* the batcher's own, sized once */
  NnSharedClient **batch;    /* (batch_size) */
  float     *batch_in;       /* (batch_size, input...) */
  GThread   *thread;
};

static GMutex table_lock;
static GHashTable *table;    /* name -> NnSharedModel, under table_lock */
static guint n_loads;        /* atomic */

static Snapshot *
snapshot_new (NnModel *model, guint64 version)
{
  Snapshot *s = g_new0 (Snapshot, 1);
  s->refs = 1;
  s->version = version;
  s->model = model;
  return s;
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
    nn_model_free (s->model);
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

static void
run_batch (NnSharedModel *inst, int n, Snapshot *snap, guint64 batch_no, gint64 t_start)
{
  g_autoptr (GError) err = NULL;
  for (int i = 0; i < n; i++)
    memcpy (inst->batch_in + i * inst->in_numel, inst->batch[i]->input, sizeof (float) * inst->in_numel);
  const float *out = nn_model_forward (snap->model, inst->batch_in, n, FALSE, &err);
  /* the clients wait for `done` (set below, under the lock) before they
   * touch their output again */
  for (int i = 0; i < n && out; i++)
    memcpy (inst->batch[i]->output, out + i * inst->out_numel, sizeof (float) * inst->out_numel);

  g_mutex_lock (&inst->lock);
  for (int i = 0; i < n; i++) {
    NnSharedClient *c = inst->batch[i];
    c->info = (NnSharedRunInfo) { .batch = batch_no, .n = n, .index = i, .version = snap->version,
                                  .queued_us = t_start - c->t_queued };
    if (!out)
      c->error = g_error_new (NN_ERROR, err->code, "model instance \"%s\": %s", inst->name, err->message);
    c->done = TRUE;
    g_cond_signal (&c->cond);
  }
  g_mutex_unlock (&inst->lock);
}

static gpointer
batcher (gpointer data)
{
  NnSharedModel *inst = data;
  /* one thread: the streams' own threads (conversion, the rest of their
   * pipelines) keep the other cores busy, and an OpenMP team here spins
   * between batches against them (8 streams of 640x480 on 2 cores: 11.3 s
   * with a team of 2, 4.1 s without) */
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
  snapshot_unref (inst->current);
  snapshot_unref (inst->first);
  g_mutex_clear (&inst->lock);
  g_cond_clear (&inst->wake);
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
  g_queue_init (&inst->queue);
  inst->current = snapshot_new (model, 1);
  inst->first = snapshot_ref (inst->current);
  inst->in_numel = nn_shape_numel (nn_model_input_shape (model));
  inst->out_numel = nn_shape_numel (nn_model_output_shape (model));
  inst->batch = g_new0 (NnSharedClient *, batch_size);
  inst->batch_in = g_new0 (float, batch_size * inst->in_numel);
  if (!nn_model_reserve (model, batch_size, error))
    goto fail;
  inst->thread = g_thread_try_new ("nn-batcher", batcher, inst, error);
  if (!inst->thread)
    goto fail;
  return inst;

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
  return inst->first->model;
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
  const NnModel *ref = inst->first->model;
  char a[64], b[64];
  if (!nn_shape_equal (nn_model_input_shape (weights), nn_model_input_shape (ref)) ||
      !nn_shape_equal (nn_model_output_shape (weights), nn_model_output_shape (ref)))
    goto bad_shape;
  /* the workspace is sized here, in the publisher's thread, not by a batch */
  if (!nn_model_reserve (weights, inst->batch_size, error))
    goto fail;
  Snapshot *snap = snapshot_new (weights, 0);
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
fail:
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
  g_cond_init (&c->cond);
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
  g_cond_clear (&c->cond);
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
  g_cond_signal (&inst->wake);
  while (!c->done)
    g_cond_wait (&c->cond, &inst->lock);
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
