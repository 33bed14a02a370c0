/* Shared model instances: one loaded model serving many streams of a process,
 * their frames run together in batches. Include <nn/nn.h>, not this file.
 *
 * A process-wide table maps an instance name to one loaded model, its queue
 * and a batcher thread. Each stream holds a client (a seat: its input and
 * output, sized once) and runs its frames through it:
 *
 *   NnSharedModel *inst = nn_shared_model_acquire ("cams", "models/fashion-lenet.safetensors", 8, 5000, &err);
 *   NnSharedClient *c = nn_shared_client_new (inst);
 *   float *x = nn_shared_client_input (c);               // fill one sample (input shape)
 *   const float *y = nn_shared_client_run (c, &err);     // this sample's output
 *   nn_shared_client_free (c);
 *   nn_shared_model_release (inst);
 *
 * Batching: the batcher takes the queued samples as one forward of up to
 * batch_size (split in chunks over a lane per core, see docs/multistream.md), as soon as every active client has one queued or batch_size
 * are there, and otherwise when the oldest has waited timeout_us. A client
 * is active from its first run until nn_shared_client_set_active (FALSE)
 * (end of its stream), so a stream that ends does not hold the others back;
 * a stream that stalls holds them back by at most timeout_us.
 *
 * Weights are immutable snapshots: a batch takes a reference to the current
 * snapshot when it starts and runs wholly on it; nn_shared_model_publish ()
 * swaps in new weights atomically for the batches that start afterwards, and
 * a snapshot is freed when its last batch is done. No batch mixes snapshots.
 *
 * Nothing is allocated per sample: clients, the queue's links, the batch
 * input and the model's workspace are sized when the instance and clients
 * are made. All calls are thread-safe; a client is used by one thread at a
 * time. */
#pragma once

typedef struct _NnSharedModel NnSharedModel;
typedef struct _NnSharedClient NnSharedClient;

/* Joins the instance called `name`, creating it on the first call: that one
 * loads `path` (nn_model_load) and starts the batcher. Later calls must name
 * the same file (compared as canonical paths) and the same batch_size and
 * timeout_us; anything else is NN_ERROR_INVALID naming the instance and
 * both values. batch_size >= 1; timeout_us >= 0 (microseconds).
 * Returns (transfer full) (nullable): release with nn_shared_model_release. */
NN_API NnSharedModel *nn_shared_model_acquire (const char *name, const char *path, int batch_size, gint64 timeout_us,
                                               GError **error) G_GNUC_WARN_UNUSED_RESULT;
/* Another reference to the instance called `name` if one exists, else NULL:
 * for a publisher (nntrain) that must not decide the streams' batching.
 * Returns (transfer full) (nullable): release with nn_shared_model_release. */
NN_API NnSharedModel *nn_shared_model_lookup (const char *name) G_GNUC_WARN_UNUSED_RESULT;
/* Drops one reference; the last one stops the batcher and frees the model.
 * All of the reference's clients must be freed first. */
NN_API void nn_shared_model_release (NnSharedModel *inst);

/* (transfer none): the model as first loaded, to read its shapes, labels and
 * preprocessing (the same for every snapshot); valid while `inst` is held.
 * Never run it: only the batcher runs models. */
NN_API const NnModel *nn_shared_model_model (NnSharedModel *inst);
/* (transfer none): the name and the canonical path of the model file. */
NN_API const char *nn_shared_model_name (NnSharedModel *inst);
NN_API const char *nn_shared_model_path (NnSharedModel *inst);
NN_API int    nn_shared_model_batch_size (NnSharedModel *inst);

/* Publishes new weights (transfer full: the instance owns `weights`, also on
 * failure): the batches that start after this call run on them; those
 * running finish on the snapshot they started with. `weights` must have the
 * first model's input and output shapes (else NN_ERROR_SHAPE).
 * Returns the new snapshot's version (the first is 1), 0 with `error` set. */
NN_API guint64 nn_shared_model_publish (NnSharedModel *inst, NnModel *weights, GError **error);
/* The current snapshot's version. */
NN_API guint64 nn_shared_model_version (NnSharedModel *inst);

/* Model files the instance table has loaded since the process started: one
 * per instance created, however many streams share it. */
NN_API guint nn_shared_model_n_loads (void);

/* A seat for one stream: its input (one sample) and output, allocated here.
 * Returns (transfer full): free with nn_shared_client_free. */
NN_API NnSharedClient *nn_shared_client_new (NnSharedModel *inst) G_GNUC_WARN_UNUSED_RESULT;
/* Must not be called while its run is in progress (the stream has stopped). */
NN_API void nn_shared_client_free (NnSharedClient *c);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (NnSharedClient, nn_shared_client_free)

/* (transfer none): where to write one sample (the model's input shape). */
NN_API float *nn_shared_client_input (NnSharedClient *c);
/* Runs the input in the instance's next batch and waits for it.
 * Returns (transfer none) (nullable): the output of one sample (the model's
 * output shape), the client's, valid until its next run; NULL with `error`. */
NN_API const float *nn_shared_client_run (NnSharedClient *c, GError **error);
/* FALSE: the stream ended (EOS), batches stop waiting for it; the next run
 * makes it active again. */
NN_API void nn_shared_client_set_active (NnSharedClient *c, gboolean active);

/* How the last run's output was computed. */
typedef struct {
  guint64 batch;     /* sequence number of the batch in the instance, from 1 */
  int     n;         /* samples in that batch */
  int     index;     /* this client's row in it */
  guint64 version;   /* the weights' snapshot */
  gint64  queued_us; /* from the run's call to the batch's start */
  int     lanes;     /* threads the batch ran on, a chunk of its rows each */
} NnSharedRunInfo;
NN_API void nn_shared_client_last_run (const NnSharedClient *c, NnSharedRunInfo *info);
