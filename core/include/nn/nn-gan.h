/* Generative adversarial networks: adversarial training of a generator G and a
 * discriminator D, sampling, image grids and sample-quality measures.
 * Include <nn/nn.h>, not this file.
 *
 * A generator is an ordinary model whose spec carries a top-level
 *   "gan": {"latent": 64, "classes": ["t-shirt", ...], "range": [-1, 1]}
 * Its input holds `latent` standard-normal values followed, for a conditional
 * generator, by a one-hot class (numel = latent + classes; e.g. [74, 1, 1]);
 * its output is usually an image (C, H, W) with pixels in `range` (any shape trains).
 * The discriminator takes G's output shape and ends in one logit (or a
 * sigmoid) per class: a conditional D is scored through the output of the
 * sample's class only (a multi-head discriminator), an unconditional one has
 * one output.
 *
 *   NnGanSpec gs;
 *   nn_gan_spec (g, &gs, &err);
 *   float *z = g_new (float, nn_gan_input_size (&gs) * n);
 *   for (int i = 0; i < n; i++)
 *     nn_gan_sample_input (&gs, rng, class, z + i * nn_gan_input_size (&gs));
 *   const float *img = nn_model_forward (g, z, n, FALSE, &err);
 */
#pragma once

typedef struct {
  int    latent;      /* latent values per sample */
  int    n_classes;   /* 0: unconditional */
  char **classes;     /* NULL-terminated class names (n_classes), or NULL */
  float  lo, hi;      /* the output's pixel range */
} NnGanSpec;

/* Read the "gan" block of a generator's spec and check it against the input.
 * out: (out caller-allocates); it owns `classes` until nn_gan_spec_clear. */
NN_API gboolean nn_gan_spec (const NnModel *g, NnGanSpec *out, GError **error);
NN_API void     nn_gan_spec_clear (NnGanSpec *s);
NN_API int      nn_gan_input_size (const NnGanSpec *s);
/* A class by name or by index ("3"); -1 with an error if there is no such class. */
NN_API int      nn_gan_class_index (const NnGanSpec *s, const char *name, GError **error);
/* z ~ N(0, 1) in the latent part, one-hot `cls` after it (cls < 0: a random class). */
NN_API void     nn_gan_sample_input (const NnGanSpec *s, GRand *rng, int cls, float *input);
/* Spherical interpolation of latent vectors a and b (dim values) at t in [0, 1]. */
NN_API void     nn_gan_slerp (const float *a, const float *b, int dim, float t, float *out);

/* ---- adversarial training ----------------------------------------------------- */
typedef struct {
  int     epoch, epochs;
  int64_t batch, n_batches;
  double  d_loss, g_loss;      /* running means over the epoch */
  double  d_real, d_fake;      /* mean D(x) and D(G(z)) as probabilities */
  double  samples_per_s, seconds;
  gboolean epoch_done;
} NnGanProgress;
/* Return FALSE to stop. G's weights are current when it is called. */
typedef gboolean (*NnGanCallback) (const NnGanProgress *p, gpointer user_data);

typedef struct {
  NnOptimConfig optim_g, optim_d;  /* Adam, lr 2e-4, beta1 0.5, beta2 0.999, eps 1e-8 */
  int      epochs, batch;
  guint64  seed;
  float    label_smooth;           /* real targets are 1 - label_smooth (one-sided) */
  /* Generator weight averaging (an exponential moving average of G's
   * parameters and buffers, updated after every G step): 0 = off, else the
   * decay, e.g. 0.999. Averaged weights make smoother, better samples than
   * the last step's; G holds them during the end-of-epoch callback and after
   * nn_gan_train returns. */
  float    ema;
  NnGanCallback callback;
  gpointer user_data;
} NnGanConfig;
NN_API void nn_gan_config_init (NnGanConfig *c);

/* One iteration at a time, for benchmarks and custom loops. The trainer
 * trains `g` and `d` in place (it holds them, it does not own them): they
 * hold the current weights after every step. */
typedef struct _NnGanTrainer NnGanTrainer;
/* g, d: (transfer none). Returns (transfer full) (nullable): NULL with `error` set. */
NN_API NnGanTrainer *nn_gan_trainer_new (NnModel *g, NnModel *d, const NnGanConfig *c, int batch,
                                         GError **error) G_GNUC_WARN_UNUSED_RESULT;
/* One generator step (non-saturating loss, -log D(G(z))) on fresh z, then one
 * discriminator step on the n real samples x (labels: their classes, NULL
 * for an unconditional GAN) and those fakes. */
NN_API gboolean nn_gan_trainer_step (NnGanTrainer *t, const float *x, const int32_t *labels, int n,
                                     NnGanProgress *acc, GError **error);
/* Exchange G's current weights with their running average (config ema > 0;
 * a no-op otherwise). Call twice to put them back. Swapping the average in
 * also gives it batch-norm statistics of its own (training-mode passes over
 * fresh latents), which a weight average cannot carry. */
NN_API void nn_gan_trainer_swap_average (NnGanTrainer *t);
NN_API void nn_gan_trainer_free (NnGanTrainer *t);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (NnGanTrainer, nn_gan_trainer_free)

/* Shuffled epochs over `real` (labels required for a conditional G). */
NN_API gboolean nn_gan_train (NnModel *g, NnModel *d, const NnGanConfig *c, const NnDataset *real, GError **error);

/* ---- images --------------------------------------------------------------------- */
/* Tile n images (C, H, W) with values in [lo, hi] into `cols` columns with a
 * `pad` pixel border: a packed GRAY8 (C = 1) or RGB24 (C = 3) picture.
 * Returns (transfer full): free with g_free; out_w, out_h (out). */
NN_API guint8 *nn_image_grid (const float *images, int n, int c, int h, int w, float lo, float hi, int cols,
                              int pad, int *out_w, int *out_h) G_GNUC_WARN_UNUSED_RESULT;
/* Write packed GRAY8 or RGB24 pixels (channels 1 or 3) as a PNG through libavcodec. */
NN_API gboolean nn_image_write_png (const char *path, const guint8 *pixels, int w, int h, int channels,
                                    GError **error);

/* ---- sample quality, the way the Inception Score and FID use an Inception net --- */
typedef struct {
  double mean_max_prob;     /* mean of each image's top probability */
  double class_entropy;     /* entropy (nats) of the histogram of predicted classes */
  double inception_score;   /* exp (E_x KL (p(y|x) || p(y))) */
  double asked_share;       /* share predicted as the asked-for class, NAN without */
  int64_t n;
} NnClassifierScore;
/* Classify n images (the classifier's input each) in batches; `asked`
 * (nullable) holds the class each image was meant to be. When `features`
 * (nullable) names a layer, its output is copied into feats (out) (transfer
 * full) (n, *dim), to free with g_free. */
NN_API gboolean nn_classifier_score (NnModel *clf, const float *x, int64_t n, const int32_t *asked,
                                     const char *features, float **feats, int *dim,
                                     NnClassifierScore *out, GError **error);
/* Frechet distance between Gaussians fitted to feature sets a (na, dim) and
 * b (nb, dim): |mu_a - mu_b|^2 + Tr (S_a + S_b - 2 (S_a S_b)^(1/2)). */
NN_API gboolean nn_frechet_distance (const float *a, int64_t na, const float *b, int64_t nb, int dim,
                                     double *out, GError **error);
