/* GANs: the generator's "gan" spec block, latent sampling, and adversarial
 * training with the non-saturating loss.
 *
 * The generator step chains the two models by hand: D's backward hands out
 * dL/dG(z), the gradient at its input, which becomes the output gradient of
 * G's backward. G and D train in place; nothing is copied between models. */
#include "nn-private.h"

/* ---- the spec ---------------------------------------------------------------- */

static gboolean
spec_check (const NnModel *g, NnGanSpec *out, GError **error)
{
  char buf[64];
  const NnShape *in = nn_model_input_shape (g);
  if (nn_shape_numel (in) != nn_gan_input_size (out)) {
    g_set_error (error, NN_ERROR, NN_ERROR_SHAPE, "spec: \"gan\" has %d latent values and %d classes but the "
                 "input %s holds %" G_GINT64_FORMAT, out->latent, out->n_classes,
                 nn_shape_to_string (in, buf, sizeof buf), nn_shape_numel (in));
    return FALSE;
  }
  return TRUE;
}

gboolean
nn_gan_spec (const NnModel *g, NnGanSpec *out, GError **error)
{
  memset (out, 0, sizeof *out);
  const char *const *classes = NULL;
  /* the block's values were typed and checked when the spec was read */
  if (!nn_spec_gan (nn_model_get_spec (g), &out->latent, &classes, &out->n_classes, &out->lo, &out->hi)) {
    g_set_error (error, NN_ERROR, NN_ERROR_FORMAT,
                 "spec: not a generator (no \"gan\": {\"latent\": N, \"classes\": [...]} block)");
    return FALSE;
  }
  out->classes = classes ? g_strdupv ((char **) classes) : NULL;
  if (!spec_check (g, out, error)) {
    nn_gan_spec_clear (out);
    return FALSE;
  }
  return TRUE;
}

void
nn_gan_spec_clear (NnGanSpec *s)
{
  g_strfreev (s->classes);
  memset (s, 0, sizeof *s);
}

int
nn_gan_input_size (const NnGanSpec *s)
{
  return s->latent + s->n_classes;
}

int
nn_gan_class_index (const NnGanSpec *s, const char *name, GError **error)
{
  for (int i = 0; i < s->n_classes; i++)
    if (g_ascii_strcasecmp (s->classes[i], name) == 0)
      return i;
  char *end = NULL;
  gint64 v = g_ascii_strtoll (name, &end, 10);
  if (end && end != name && !*end && v >= 0 && v < s->n_classes)
    return (int) v;
  if (s->n_classes == 0) {
    g_set_error (error, NN_ERROR, NN_ERROR_INVALID, "class \"%s\": the generator is not conditional", name);
  } else {
    g_autofree char *all = g_strjoinv (", ", s->classes);
    g_set_error (error, NN_ERROR, NN_ERROR_INVALID, "no class \"%s\" (0-%d or one of: %s)", name,
                 s->n_classes - 1, all);
  }
  return -1;
}

void
nn_gan_sample_input (const NnGanSpec *s, GRand *rng, int cls, float *input)
{
  for (int i = 0; i < s->latent; i++)
    input[i] = (float) nn_rand_normal (rng);
  if (s->n_classes == 0)
    return;
  if (cls < 0 || cls >= s->n_classes)
    cls = g_rand_int_range (rng, 0, s->n_classes);
  memset (input + s->latent, 0, sizeof (float) * s->n_classes);
  input[s->latent + cls] = 1.0f;
}

void
nn_gan_slerp (const float *a, const float *b, int dim, float t, float *out)
{
  /* the ends exactly, so a walk passes through its random points */
  if (t <= 0.0f || t >= 1.0f) {
    memmove (out, t <= 0.0f ? a : b, sizeof (float) * dim);
    return;
  }
  double ab = 0, aa = 0, bb = 0;
  for (int i = 0; i < dim; i++) {
    ab += (double) a[i] * b[i];
    aa += (double) a[i] * a[i];
    bb += (double) b[i] * b[i];
  }
  double cosw = ab / MAX (sqrt (aa * bb), 1e-12), omega = acos (CLAMP (cosw, -1.0, 1.0)), so = sin (omega);
  /* nearly parallel vectors: the straight line is the arc */
  double ka = so < 1e-6 ? 1.0 - t : sin ((1.0 - t) * omega) / so, kb = so < 1e-6 ? t : sin (t * omega) / so;
  for (int i = 0; i < dim; i++)
    out[i] = (float) (ka * a[i] + kb * b[i]);
}

/* ---- training ------------------------------------------------------------------ */

void
nn_gan_config_init (NnGanConfig *c)
{
  *c = (NnGanConfig) { .epochs = 10, .batch = 64, .seed = 1 };
  for (int k = 0; k < 2; k++) {
    NnOptimConfig *o = k ? &c->optim_d : &c->optim_g;
    nn_optim_config_init (o, NN_OPT_ADAM);
    o->lr = 2e-4f;
    o->beta1 = 0.5f;
    o->beta2 = 0.999f;
    o->eps = 1e-8f;
  }
}

struct _NnGanTrainer {
  NnModel     *g, *d;         /* not owned */
  NnGanSpec    spec;
  NnParam     *dp;            /* D's parameters and buffers */
  int          ndp;
  NnOptimizer *opt_g, *opt_d;
  int          batch, in_el, img_el, d_out;
  gboolean     d_sigmoid;     /* D ends in a sigmoid: its output is a probability */
  float        smooth;
  GRand       *rng;
  float       *z, *x2, *dout; /* (batch, in), (2 batch, img), (2 batch, d_out) */
  float       *dgz;           /* (batch, img): dL/dG(z), handed from D to G */
  float       *dbuf;          /* D's buffers (running statistics) across the G step */
  int32_t     *cls;           /* (2 batch) the classes D judges each row as */
  NnParam     *gp;            /* G's parameters and buffers */
  int          ngp;
  float        ema;           /* decay of the weight average, 0: none */
  float       *avg;           /* G's averaged parameters and buffers, one after another */
  gboolean     avg_in;        /* G holds the averaged weights */
  guint64      seed;
};

static gboolean
trainer_check (NnGanTrainer *t, GError **error)
{
  char a[64], b[64];
  const NnShape *go = nn_model_output_shape (t->g), *di = nn_model_input_shape (t->d);
  if (nn_shape_numel (go) != nn_shape_numel (di)) {
    g_set_error (error, NN_ERROR, NN_ERROR_SHAPE, "the generator makes %s images, the discriminator takes %s",
                 nn_shape_to_string (go, a, sizeof a), nn_shape_to_string (di, b, sizeof b));
    return FALSE;
  }
  int want = MAX (t->spec.n_classes, 1);
  if (t->d_out != want) {
    g_set_error (error, NN_ERROR, NN_ERROR_SHAPE, "the discriminator has %d outputs; a GAN with %d classes needs %d "
                 "(one real/fake score per class)", t->d_out, t->spec.n_classes, want);
    return FALSE;
  }
  return TRUE;
}

/* The G step runs D in training mode, which moves D's running statistics on
 * a batch of fakes alone; D's statistics follow D's own (mixed) batches only,
 * so they are put back after it. save: TRUE to keep, FALSE to restore. */
static void
d_buffers (NnGanTrainer *t, gboolean save)
{
  float *b = t->dbuf;
  for (int i = 0; i < t->ndp; i++) {
    if (t->dp[i].trainable)
      continue;
    size_t sz = sizeof (float) * nn_shape_numel (&t->dp[i].shape);
    memcpy (save ? b : t->dp[i].data, save ? t->dp[i].data : b, sz);
    b += nn_shape_numel (&t->dp[i].shape);
  }
}

static int64_t
d_buffer_size (NnGanTrainer *t)
{
  int64_t n = 0;
  for (int i = 0; i < t->ndp; i++)
    n += t->dp[i].trainable ? 0 : nn_shape_numel (&t->dp[i].shape);
  return n;
}

void
nn_gan_trainer_free (NnGanTrainer *t)
{
  if (!t)
    return;
  nn_optimizer_free (t->opt_g);
  nn_optimizer_free (t->opt_d);
  nn_gan_spec_clear (&t->spec);
  if (t->rng)
    g_rand_free (t->rng);
  g_free (t->z);
  g_free (t->x2);
  g_free (t->dout);
  g_free (t->dgz);
  g_free (t->dbuf);
  g_free (t->cls);
  g_free (t->avg);
  g_free (t);
}

static void
average_init (NnGanTrainer *t)
{
  int64_t n = 0;
  for (int i = 0; i < t->ngp; i++)
    n += nn_shape_numel (&t->gp[i].shape);
  t->avg = g_new (float, n);
  float *a = t->avg;
  for (int i = 0; i < t->ngp; i++) {
    int64_t k = nn_shape_numel (&t->gp[i].shape);
    memcpy (a, t->gp[i].data, sizeof (float) * k);
    a += k;
  }
}

static void
average_update (NnGanTrainer *t)
{
  float *a = t->avg, keep = t->ema, take = 1.0f - t->ema;
  for (int i = 0; i < t->ngp; i++) {
    int64_t k = nn_shape_numel (&t->gp[i].shape);
    const float *w = t->gp[i].data;
    for (int64_t j = 0; j < k; j++)
      a[j] = keep * a[j] + take * w[j];
    a += k;
  }
}

/* Batch-norm statistics do not average the way weights do: running means of
 * the live G's activations do not describe the averaged G's, and with them
 * the averaged G's samples lose contrast (Fréchet 69 against 13 after 4
 * epochs). So the averaged G gets statistics of its own: training-mode
 * passes over fresh latents until the running means settle (momentum 0.1:
 * 0.9^100 of the old ones is left). Its own random stream leaves training's
 * untouched. */
#define AVERAGE_STAT_BATCHES 100

static void
average_refresh_statistics (NnGanTrainer *t)
{
  gboolean buffers = FALSE;
  for (int i = 0; i < t->ngp; i++)
    buffers |= !t->gp[i].trainable;
  if (!buffers)
    return;
  g_autoptr (GRand) rng = g_rand_new_with_seed ((guint32) (t->seed * 40503u + 11));
  for (int b = 0; b < AVERAGE_STAT_BATCHES; b++) {
    for (int i = 0; i < t->batch; i++)
      nn_gan_sample_input (&t->spec, rng, t->spec.n_classes ? i % t->spec.n_classes : 0,
                           t->z + (int64_t) i * t->in_el);
    if (!nn_model_forward (t->g, t->z, t->batch, TRUE, NULL))
      return;
  }
}

void
nn_gan_trainer_swap_average (NnGanTrainer *t)
{
  float *a = t->avg;
  for (int i = 0; a && i < t->ngp; i++) {
    int64_t k = nn_shape_numel (&t->gp[i].shape);
    float *w = t->gp[i].data;
    for (int64_t j = 0; j < k; j++) {
      float v = w[j];
      w[j] = a[j];
      a[j] = v;
    }
    a += k;
  }
  if (!t->avg)
    return;
  t->avg_in = !t->avg_in;
  if (t->avg_in)
    average_refresh_statistics (t);
}

static void
trainer_alloc (NnGanTrainer *t, int batch)
{
  t->in_el = nn_gan_input_size (&t->spec);
  t->img_el = (int) nn_shape_numel (nn_model_input_shape (t->d));
  t->z = g_new (float, (int64_t) batch * t->in_el);
  t->x2 = g_new (float, (int64_t) 2 * batch * t->img_el);
  t->dout = g_new0 (float, (int64_t) 2 * batch * t->d_out);
  t->dgz = g_new (float, (int64_t) batch * t->img_el);
  t->dbuf = g_new (float, MAX (d_buffer_size (t), 1));
  t->cls = g_new0 (int32_t, 2 * batch);
}

NnGanTrainer *
nn_gan_trainer_new (NnModel *g, NnModel *d, const NnGanConfig *c, int batch, GError **error)
{
  g_autoptr (NnGanTrainer) t = g_new0 (NnGanTrainer, 1);
  t->g = g, t->d = d, t->batch = batch, t->smooth = c->label_smooth;
  if (batch < 1) {
    g_set_error (error, NN_ERROR, NN_ERROR_INVALID, "batch must be >= 1");
    return NULL;
  }
  if (!nn_gan_spec (g, &t->spec, error))
    return NULL;
  t->d_out = (int) nn_shape_numel (nn_model_output_shape (d));
  t->d_sigmoid = g_str_equal (nn_model_last_activation (d), "sigmoid");
  if (!trainer_check (t, error))
    return NULL;
  if (!nn_model_reserve (g, batch, error) || !nn_model_reserve (d, 2 * batch, error))
    return NULL;
  if (c->ema < 0 || c->ema >= 1) {
    g_set_error (error, NN_ERROR, NN_ERROR_INVALID, "the generator's weight average needs 0 <= decay < 1, got %g",
                 c->ema);
    return NULL;
  }
  t->gp = nn_model_params (g, &t->ngp);
  t->dp = nn_model_params (d, &t->ndp);
  t->opt_g = nn_optimizer_new (&c->optim_g, t->gp, t->ngp);
  t->opt_d = nn_optimizer_new (&c->optim_d, t->dp, t->ndp);
  t->rng = g_rand_new_with_seed ((guint32) (c->seed * 2654435761u + 7));
  nn_model_set_seed (g, c->seed);
  nn_model_set_seed (d, c->seed + 1);
  trainer_alloc (t, batch);
  t->ema = c->ema;
  t->seed = c->seed;
  if (t->ema > 0)
    average_init (t);
  return g_steal_pointer (&t);
}

static double
softplus (double v)
{
  return v > 0 ? v + log1p (exp (-v)) : log1p (exp (v));
}

/* Binary cross-entropy of the score D gave row i for its class against
 * `target`, averaged over `rows`; the gradient (p - target) / rows goes to
 * that one output (the logit, or the sigmoid's input when D ends in one). */
static double
bce_row (NnGanTrainer *t, const float *out, int i, float target, int rows, double *prob)
{
  int k = t->spec.n_classes ? t->cls[i] : 0;
  double o = out[(int64_t) i * t->d_out + k], p, loss;
  if (t->d_sigmoid) {
    p = CLAMP (o, 1e-7, 1.0 - 1e-7);
    loss = -(target * log (p) + (1.0 - target) * log (1.0 - p));
  } else {
    p = 1.0 / (1.0 + exp (-o));
    loss = softplus (o) - target * o;
  }
  t->dout[(int64_t) i * t->d_out + k] = (float) ((p - target) / rows);
  *prob += p;
  return loss / rows;
}

/* G: minimise -log D(G(z)); the gradient at D's input is G's output gradient.
 * Returns G(z), which stays in G's workspace. D's parameter gradients from
 * this pass are zeroed before D's own step. */
static const float *
generator_step (NnGanTrainer *t, int n, NnGanProgress *acc, GError **error)
{
  for (int i = 0; i < n; i++) {
    t->cls[n + i] = t->spec.n_classes ? g_rand_int_range (t->rng, 0, t->spec.n_classes) : 0;
    nn_gan_sample_input (&t->spec, t->rng, t->cls[n + i], t->z + (int64_t) i * t->in_el);
  }
  const float *fake = nn_model_forward (t->g, t->z, n, TRUE, error);
  d_buffers (t, TRUE);
  const float *out = fake ? nn_model_forward (t->d, fake, n, TRUE, error) : NULL;
  d_buffers (t, FALSE);
  if (!out)
    return NULL;
  memset (t->dout, 0, sizeof (float) * 2 * n * t->d_out);
  double loss = 0, pf = 0;
  /* the fake rows sit at n..2n-1 of cls; the gradient rows at 0..n-1 */
  for (int i = 0; i < n; i++) {
    t->cls[i] = t->cls[n + i];
    loss += bce_row (t, out, i, 1.0f, n, &pf);
  }
  /* D's next forward reuses the buffer the input gradient lives in */
  memcpy (t->dgz, nn_model_backward_input (t->d, t->dout, t->d_sigmoid), sizeof (float) * n * t->img_el);
  nn_model_zero_grad (t->g);
  nn_model_backward (t->g, t->dgz, FALSE);
  nn_optimizer_step (t->opt_g);
  if (t->avg)
    average_update (t);
  acc->g_loss += loss;
  return fake;
}

/* D: real rows (target 1 - smooth) and the fakes (target 0) in one batch. */
static gboolean
discriminator_step (NnGanTrainer *t, const float *x, const int32_t *labels, const float *fake, int n,
                    NnGanProgress *acc, GError **error)
{
  memcpy (t->x2, x, sizeof (float) * n * t->img_el);
  memcpy (t->x2 + (int64_t) n * t->img_el, fake, sizeof (float) * n * t->img_el);
  for (int i = 0; i < n; i++)
    t->cls[i] = labels ? labels[i] : 0;
  const float *out = nn_model_forward (t->d, t->x2, 2 * n, TRUE, error);
  if (!out)
    return FALSE;
  memset (t->dout, 0, sizeof (float) * 2 * n * t->d_out);
  double loss = 0, pr = 0, pf = 0;
  for (int i = 0; i < n; i++) {
    loss += bce_row (t, out, i, 1.0f - t->smooth, n, &pr);
    loss += bce_row (t, out, n + i, 0.0f, n, &pf);
  }
  nn_model_zero_grad (t->d);
  nn_model_backward (t->d, t->dout, t->d_sigmoid);
  nn_optimizer_step (t->opt_d);
  acc->d_loss += loss;
  acc->d_real += pr / n;
  acc->d_fake += pf / n;
  return TRUE;
}

gboolean
nn_gan_trainer_step (NnGanTrainer *t, const float *x, const int32_t *labels, int n, NnGanProgress *acc,
                     GError **error)
{
  NnGanProgress dummy = { 0 };
  if (!acc)
    acc = &dummy;
  if (n < 1 || n > t->batch) {
    g_set_error (error, NN_ERROR, NN_ERROR_INVALID, "GAN step: %d samples for a batch of %d", n, t->batch);
    return FALSE;
  }
  if (t->spec.n_classes && !labels) {
    g_set_error (error, NN_ERROR, NN_ERROR_INVALID, "a conditional GAN needs the real samples' classes");
    return FALSE;
  }
  for (int i = 0; t->spec.n_classes && i < n; i++)
    if (labels[i] < 0 || labels[i] >= t->spec.n_classes) {
      g_set_error (error, NN_ERROR, NN_ERROR_SHAPE, "GAN step: sample %d has class %d, the GAN has %d classes", i,
                   labels[i], t->spec.n_classes);
      return FALSE;
    }
  const float *fake = generator_step (t, n, acc, error);
  return fake && discriminator_step (t, x, t->spec.n_classes ? labels : NULL, fake, n, acc, error);
}

static void
shuffle (int64_t *perm, int64_t n, GRand *rng)
{
  for (int64_t i = n - 1; i > 0; i--) {
    int64_t j = (int64_t) (g_rand_double (rng) * (i + 1));
    int64_t v = perm[i];
    perm[i] = perm[j];
    perm[j] = v;
  }
}

typedef struct {
  float   *x;
  int32_t *labels;
  int64_t *perm;
} GanBatch;

static void
gan_batch_clear (GanBatch *b)
{
  g_free (b->x);
  g_free (b->labels);
  g_free (b->perm);
}

static void
gather (GanBatch *b, const NnDataset *ds, int64_t from, int n, int64_t el)
{
  for (int i = 0; i < n; i++) {
    int64_t r = b->perm[from + i];
    memcpy (b->x + i * el, ds->x + r * el, sizeof (float) * el);
    b->labels[i] = ds->labels ? ds->labels[r] : 0;
  }
}

static void
progress_update (NnGanProgress *p, const NnGanProgress *sum, int64_t k, int64_t seen, gint64 t0)
{
  p->batch = k;
  p->d_loss = sum->d_loss / k;
  p->g_loss = sum->g_loss / k;
  p->d_real = sum->d_real / k;
  p->d_fake = sum->d_fake / k;
  p->seconds = (g_get_monotonic_time () - t0) / 1e6;
  p->samples_per_s = seen / MAX (p->seconds, 1e-9);
}

static gboolean
gan_epoch (NnGanTrainer *t, const NnGanConfig *c, const NnDataset *ds, GanBatch *b, NnGanProgress *p,
           gboolean *stop, GError **error)
{
  int64_t el = nn_shape_numel (&ds->sample_shape), seen = 0, k = 0;
  NnGanProgress sum = { 0 };
  gint64 t0 = g_get_monotonic_time ();
  shuffle (b->perm, ds->n, t->rng);
  p->n_batches = (ds->n + t->batch - 1) / t->batch;
  for (int64_t from = 0; from < ds->n && !*stop; from += t->batch) {
    int n = (int) MIN ((int64_t) t->batch, ds->n - from);
    gather (b, ds, from, n, el);
    if (!nn_gan_trainer_step (t, b->x, b->labels, n, &sum, error))
      return FALSE;
    seen += n;
    progress_update (p, &sum, ++k, seen, t0);
    if (!isfinite (p->d_loss) || !isfinite (p->g_loss)) {
      g_set_error (error, NN_ERROR, NN_ERROR_FAILED, "GAN training diverged at epoch %d (loss is not finite): "
                   "try a smaller --lr", p->epoch);
      return FALSE;
    }
    if (c->callback && !c->callback (p, c->user_data))
      *stop = TRUE;
  }
  return TRUE;
}

gboolean
nn_gan_train (NnModel *g, NnModel *d, const NnGanConfig *c, const NnDataset *real, GError **error)
{
  if (c->epochs < 0 || c->batch < 1) {
    g_set_error (error, NN_ERROR, NN_ERROR_INVALID, "batch must be >= 1 and epochs >= 0");
    return FALSE;
  }
  if (real->n < 1) {
    g_set_error (error, NN_ERROR, NN_ERROR_EMPTY, "training data: no samples");
    return FALSE;
  }
  int batch = (int) MIN ((int64_t) c->batch, real->n);
  g_autoptr (NnGanTrainer) t = nn_gan_trainer_new (g, d, c, batch, error);
  if (!t)
    return FALSE;
  if (nn_shape_numel (&real->sample_shape) != t->img_el || (t->spec.n_classes && !real->labels)) {
    g_set_error (error, NN_ERROR, NN_ERROR_SHAPE, "training data: %" G_GINT64_FORMAT " values per sample%s, the "
                 "discriminator takes %d%s", nn_shape_numel (&real->sample_shape),
                 real->labels ? "" : " without labels", t->img_el, t->spec.n_classes ? " and a class" : "");
    return FALSE;
  }
  int64_t el = t->img_el;
  GanBatch b = { g_new (float, batch * el), g_new (int32_t, batch), g_new (int64_t, real->n) };
  for (int64_t i = 0; i < real->n; i++)
    b.perm[i] = i;
  gboolean ok = TRUE, stop = FALSE;
  for (int e = 1; e <= c->epochs && ok && !stop; e++) {
    NnGanProgress p = { .epoch = e, .epochs = c->epochs };
    ok = gan_epoch (t, c, real, &b, &p, &stop, error);
    p.epoch_done = TRUE;
    nn_gan_trainer_swap_average (t);
    if (ok && c->callback && !c->callback (&p, c->user_data))
      stop = TRUE;
    nn_gan_trainer_swap_average (t);
  }
  nn_gan_trainer_swap_average (t);
  gan_batch_clear (&b);
  return ok;
}
