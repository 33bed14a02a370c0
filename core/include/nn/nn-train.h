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
} NnTrainProgress;
/* Return FALSE to stop training. */
typedef gboolean (*NnTrainCallback) (const NnTrainProgress *p, gpointer user_data);

typedef struct _NnAugment NnAugment;

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
} NnTrainConfig;
NN_API void nn_train_config_init (NnTrainConfig *c);
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

/* Data augmentation: "rotate=15,scale=0.1,crop=0.1,flip=h,noise=0.05,brightness=0.2,contrast=0.2,saturation=0.2,
 * colour=0.15,blur=1,cutout=0.3" (colour: a gain per channel; blur: Gaussian sigma up to N pixels; cutout: a
 * rectangle of random colour up to that share of each side)
 * Returns (transfer full) (nullable): NULL with `error` set. */
NN_API NnAugment *nn_augment_new (const char *desc, GError **error) G_GNUC_WARN_UNUSED_RESULT;
/* Transform n samples of shape (C, H, W) in place, drawing from `rng`. */
NN_API void nn_augment_apply (const NnAugment *a, float *x, int n, const NnShape *shape, GRand *rng);
NN_API void nn_augment_free (NnAugment *a);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (NnAugment, nn_augment_free)
