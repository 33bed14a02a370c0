/* Losses, optimisers and the trainer. Include <nn/nn.h>, not this file. */
#pragma once

typedef enum { NN_LOSS_SSE, NN_LOSS_MSE, NN_LOSS_BCE, NN_LOSS_CCE } NnLossKind;
NN_API gboolean nn_loss_from_name (const char *name, NnLossKind *out, GError **error);
NN_API const char *nn_loss_name (NnLossKind k);  /* (transfer none) */
/* The loss the last layer calls for: cce after softmax, bce after sigmoid, else mse. */
NN_API NnLossKind nn_model_default_loss (NnModel *m);
/* Mean loss over the batch of `n` rows of `dim` values; writes dL/dout into
 * `dout` when non-NULL. sse is the seed's 1/2 sum (t - o)^2 per sample,
 * averaged over the batch; mse is PyTorch's mean over all elements. */
NN_API double nn_loss (NnLossKind k, const float *out, const float *target, int n, int dim, float *dout);

typedef enum { NN_OPT_SGD, NN_OPT_MOMENTUM, NN_OPT_RMSPROP, NN_OPT_ADAM } NnOptimKind;
NN_API gboolean nn_optim_from_name (const char *name, NnOptimKind *out, GError **error);
NN_API const char *nn_optim_name (NnOptimKind k);  /* (transfer none) */

typedef struct {
  NnOptimKind kind;
  float lr;
  float momentum;     /* momentum (0.9) */
  gboolean nesterov;
  float rho;          /* rmsprop decay (0.9, Keras) */
  float beta1, beta2; /* adam (0.9, 0.999) */
  float eps;          /* 1e-7 (Keras) */
  float l1, l2;       /* weight decay added to the loss: l1*sum|w| + l2*sum w^2 */
  float clip_norm;    /* clip the global gradient norm (0 = off) */
  float clip_value;   /* clip each gradient element (0 = off) */
} NnOptimConfig;
NN_API void nn_optim_config_init (NnOptimConfig *c, NnOptimKind kind);

typedef struct _NnOptimizer NnOptimizer;
/* params: (transfer none), held (not copied): they must outlive the optimizer.
 * Returns (transfer full). */
NN_API NnOptimizer *nn_optimizer_new (const NnOptimConfig *c, NnParam *params, int n_params) G_GNUC_WARN_UNUSED_RESULT;
/* Regularise, clip, then update every trainable parameter from its grad. */
NN_API void nn_optimizer_step (NnOptimizer *o);
/* The learning rate of the next steps (a schedule changes it between steps). */
NN_API void nn_optimizer_set_lr (NnOptimizer *o, float lr);
NN_API float nn_optimizer_get_lr (const NnOptimizer *o);
/* The regularisation term l1*sum|w| + l2*sum w^2 (for reporting). */
NN_API double nn_optimizer_penalty (const NnOptimizer *o);
NN_API void nn_optimizer_free (NnOptimizer *o);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (NnOptimizer, nn_optimizer_free)

typedef struct {
  int    epoch, epochs;
  int64_t batch, n_batches;     /* progress inside the epoch */
  double loss, acc;             /* running / epoch training figures */
  double val_loss, val_acc;     /* NAN without validation data */
  double samples_per_s;
  double seconds;
  gboolean epoch_done;
  gboolean best;                /* this epoch improved the validation loss */
  double lr;                    /* the learning rate of the last step */
  double eta_s;                 /* seconds the run still needs, from the rate measured so far (NAN before a step) */
} NnTrainProgress;
/* Return FALSE to stop training. */
typedef gboolean (*NnTrainCallback) (const NnTrainProgress *p, gpointer user_data);

typedef struct _NnAugment NnAugment;

/* Learning-rate schedules, from the optimiser's lr (the base):
 *   step     base * gamma^floor ((epoch - 1) / every), epochs from 1
 *   cosine   linear warm-up over the first `warmup` epochs (base * (s + 1) / W at
 *            step s < W), then min + (base - min) (1 + cos (pi (s - W) / (T - W))) / 2
 *            to the last of the T steps; lr changes every step
 *   plateau  PyTorch's ReduceLROnPlateau: after an epoch whose monitored loss
 *            (validation loss, else training loss) is not below best * (1 - threshold),
 *            a bad epoch; more than `patience` bad epochs in a row multiply lr by
 *            `factor` (not below `min`) and start counting again */
typedef enum { NN_SCHEDULE_CONSTANT, NN_SCHEDULE_STEP, NN_SCHEDULE_COSINE, NN_SCHEDULE_PLATEAU } NnScheduleKind;
typedef struct {
  NnScheduleKind kind;
  int    every;       /* step: epochs between reductions */
  double gamma;       /* step: factor (0.1) */
  int    warmup;      /* cosine: warm-up epochs (0) */
  double min_lr;      /* cosine: the final lr; plateau: the floor (0) */
  int    patience;    /* plateau: bad epochs tolerated (10) */
  double factor;      /* plateau: factor (0.1) */
  double threshold;   /* plateau: relative improvement that counts (1e-4) */
} NnScheduleConfig;
/* "constant", "step:every=N[,gamma=F]", "cosine[:warmup=N,min=F]" or
 * "plateau[:patience=N,factor=F,min=F,threshold=F]"; unset keys take the
 * defaults above. */
NN_API gboolean nn_schedule_parse (const char *desc, NnScheduleConfig *s, GError **error);
/* The canonical text of a schedule (every key), parseable again. (transfer full) */
NN_API char *nn_schedule_to_string (const NnScheduleConfig *s);
/* The lr of step/cosine/constant schedules at a step (0-based) of a run of
 * `epochs` epochs of `steps_per_epoch` steps each; a plateau schedule's lr
 * depends on the losses seen and is not a function of the step (returns base). */
NN_API double nn_schedule_lr (const NnScheduleConfig *s, double base, int64_t step, int64_t steps_per_epoch,
                              int epochs);

/* Data-parallel training over `size` processes (Horovod's scheme) with the
 * transport left to the caller (the nn command's is MPI, cli/train-mpi.c).
 * Every rank calls nn_train with the same model spec, data, seed and config:
 * rank 0's parameters are broadcast first; each rank takes its slice of every
 * global batch of `batch` rows (the same shuffled order everywhere); the
 * gradients, scaled so that their sum is the one-process mean over the global
 * batch, are summed in one allreduce per step; every rank applies the same
 * optimiser step. Validation, early stopping and the callback (which sees the
 * global figures) run on rank 0, whose decisions are broadcast: a FALSE from
 * the callback mid-epoch stops every rank at the end of that epoch.
 * Batchnorm statistics are each rank's own (rank 0's are kept). */
typedef struct {
  int rank, size;  /* size <= 1: one process, the hooks are not called */
  /* Sum n floats element-wise over every rank, in place on each. */
  gboolean (*allreduce) (float *buf, gsize n, gpointer user, GError **error);
  /* Replace n floats on every rank by rank 0's. */
  gboolean (*broadcast) (float *buf, gsize n, gpointer user, GError **error);
  gpointer user;
} NnTrainDist;

typedef struct {
  NnLossKind    loss;
  NnOptimConfig optim;
  int           epochs;
  int           batch;
  guint64       seed;
  int           early_stop;     /* patience in epochs, 0 = off; restores the best weights */
  int           bptt;           /* truncated backpropagation through time: chunk length in steps, 0 = full */
  const NnAugment *augment;     /* NULL = none */
  NnTrainCallback callback;
  gpointer      user_data;
  NnScheduleConfig schedule;    /* constant unless set */
  /* After every epoch the whole state of the run (weights, optimiser state,
   * counters, random generators, schedule, early-stopping best, history) is
   * written here (a temporary file renamed over it), a safetensors file that
   * nn_model_load also reads as a model. NULL = none. */
  const char   *checkpoint;
  const char   *checkpoint_note; /* the caller's text kept in the checkpoint (nn_checkpoint_note); nullable */
  /* Continue the run a checkpoint stopped: the same data and configuration
   * give, with one thread, the weights of an uninterrupted run bit for bit.
   * `epochs` may be raised to train further. NULL = a new run. */
  const char   *resume;
  /* (element-type NnTrainProgress) (nullable): every finished epoch is
   * appended; a resumed run appends the checkpoint's epochs first. */
  GArray       *history;
  /* Data-parallel training (NnTrainDist); NULL = one process. The
   * checkpoint is written by rank 0 alone; every rank resumes from it. */
  const NnTrainDist *dist;
} NnTrainConfig;
NN_API void nn_train_config_init (NnTrainConfig *c);
/* The caller's note of a checkpoint (NnTrainConfig.checkpoint_note), "" when
 * it has none. Returns (transfer full) (nullable): NULL with `error` set when
 * the file is not a checkpoint. */
NN_API char *nn_checkpoint_note (const char *path, GError **error) G_GNUC_WARN_UNUSED_RESULT;
/* The state of an online trainer (the nntrain element): it draws batches
 * from a ring buffer of samples it keeps while frames arrive. A checkpoint
 * of it has the checkpoint format of nn_train (a model file with the
 * optimiser's moments and step count and the generators' states) plus the
 * ring buffer, in its physical order, and the step counter; kind "online". */
typedef struct {
  NnOptimizer *opt;       /* (transfer none) its moments and step count are saved and restored */
  GRand   *rng;           /* (transfer none) the sampler's generator */
  float   *replay_x;      /* (capacity, input numel) */
  int32_t *replay_y;      /* (capacity) class indices */
  int      capacity;
  int      count;         /* samples held, <= capacity */
  int      head;          /* where the next sample goes */
  guint64  steps;         /* training steps taken */
} NnOnlineState;
/* Writes the model's weights and `s` to `path` (a temporary file renamed
 * over it); nn_model_load reads the file as a model. */
NN_API gboolean nn_checkpoint_save_online (const char *path, NnModel *m, const NnOnlineState *s, GError **error);
/* Restores a checkpoint of nn_checkpoint_save_online into `m` (a model made
 * from the same spec: same layers and labels, else NN_ERROR_INVALID) and `s`
 * (opt made for m's parameters with the same rule; replay arrays allocated
 * for s->capacity). With the capacity of the save the buffer comes back as it
 * was; with another one its newest samples, oldest first. On failure `m` and
 * `s` may be partly overwritten. */
NN_API gboolean nn_checkpoint_load_online (const char *path, NnModel *m, NnOnlineState *s, GError **error);

/* val: (nullable). */
NN_API gboolean nn_train (NnModel *m, const NnTrainConfig *c, const NnDataset *train,
                          const NnDataset *val, GError **error);

typedef struct {
  double   loss;
  double   acc;
  int      n_classes;
  int64_t *confusion;   /* (n_classes, n_classes), row = true class */
  int64_t  n;
} NnEvalResult;
/* Returns (transfer full) (nullable): NULL with `error` set. */
NN_API NnEvalResult *nn_evaluate (NnModel *m, const NnDataset *ds, NnLossKind loss, int batch, GError **error);
NN_API void nn_eval_result_free (NnEvalResult *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (NnEvalResult, nn_eval_result_free)

/* Data augmentation: "rotate=15,scale=0.1,aspect=0.2,crop=0.1,flip=h,noise=0.05,brightness=0.2,contrast=0.2,saturation=0.2,
 * colour=0.15,blur=1,cutout=0.3,randconv=0.5" (colour: a gain per channel; blur: Gaussian sigma up to N pixels;
 * cutout: a rectangle of random colour up to that share of each side; randconv: the probability of a random
 * convolution mixed with the sample; background=P: the probability of a random background behind the
 * foreground that the sample's alpha marks, which nn_augment_apply_alpha takes; foreground=P: of a random
 * texture mixed into that foreground)
 * Returns (transfer full) (nullable): NULL with `error` set. */
NN_API NnAugment *nn_augment_new (const char *desc, GError **error) G_GNUC_WARN_UNUSED_RESULT;
/* Transform n samples of shape (C, H, W), or clips (T, C, H, W) with the same draws for every frame but the
 * noise, in place, drawing from `rng`. */
NN_API void nn_augment_apply (const NnAugment *a, float *x, int n, const NnShape *shape, GRand *rng);
/* As nn_augment_apply, with `alpha` (nullable; n planes of (H, W), T a sample for clips): the coverage in
 * [0, 1] of each image's foreground (NnDataset.alpha / 255), moved by the geometry with the image. The
 * background and foreground keys need it: without alpha, they draw nothing. */
NN_API void nn_augment_apply_alpha (const NnAugment *a, float *x, float *alpha, int n, const NnShape *shape,
                                    GRand *rng);
/* TRUE when a key of `a` needs the samples' alpha (background, foreground). */
NN_API gboolean nn_augment_needs_alpha (const NnAugment *a);
NN_API void nn_augment_free (NnAugment *a);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (NnAugment, nn_augment_free)
