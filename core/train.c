/* The trainer: shuffled mini-batches, loss and gradient, optimiser step,
 * validation and early stopping; and evaluation with a confusion matrix. */
#include "train-private.h"
#include "data/data-private.h"

void
nn_train_config_init (NnTrainConfig *c)
{
  *c = (NnTrainConfig) { .loss = NN_LOSS_CCE, .epochs = 10, .batch = 32, .seed = 1 };
  nn_optim_config_init (&c->optim, NN_OPT_ADAM);
}

/* Buffers of one training run, allocated once. */
typedef struct {
  int      batch, in_el, out_el;
  NnShape  image;          /* the input seen as (C, H, W), for augmentation */
  float   *x, *t, *dout;   /* (batch, in), (batch, out), (batch, out) */
  float   *alpha;          /* (batch, H * W) foreground coverage in [0, 1] for background=P, or NULL */
  int      alpha_el;
  int64_t *perm;
} Batch;

static void
batch_init (Batch *b, int batch, int in_el, int out_el, int64_t n)
{
  b->batch = batch;
  b->in_el = in_el;
  b->out_el = out_el;
  b->x = g_new (float, (int64_t) batch * in_el);
  b->t = g_new (float, (int64_t) batch * out_el);
  b->dout = g_new (float, (int64_t) batch * out_el);
  b->perm = g_new (int64_t, n);
  b->alpha = NULL;
  b->alpha_el = 0;
  for (int64_t i = 0; i < n; i++)
    b->perm[i] = i;
}

static void
batch_clear (Batch *b)
{
  g_free (b->x);
  g_free (b->t);
  g_free (b->dout);
  g_free (b->perm);
  g_free (b->alpha);
}

/* Targets of rows perm[from..from+n) as the network's output: one-hot for
 * class labels (a single output takes the label itself, for bce). */
static void
gather (Batch *b, const NnDataset *ds, int64_t from, int n)
{
  for (int i = 0; i < n; i++) {
    int64_t r = b->perm[from + i];
    memcpy (b->x + (int64_t) i * b->in_el, ds->x + r * b->in_el, sizeof (float) * b->in_el);
    if (b->alpha)
      for (int k = 0; k < b->alpha_el; k++)
        b->alpha[(int64_t) i * b->alpha_el + k] = ds->alpha[r * b->alpha_el + k] * (1.0f / 255.0f);
    float *t = b->t + (int64_t) i * b->out_el;
    if (ds->labels) {
      /* one class per sample, or one per step of a (T, classes) output */
      int steps = ds->label_steps, per = b->out_el / steps;
      const int32_t *lab = ds->labels + r * steps;
      memset (t, 0, sizeof (float) * b->out_el);
      for (int s = 0; s < steps; s++)
        if (per == 1)
          t[s] = (float) lab[s];
        else
          t[s * per + lab[s]] = 1.0f;
    } else {
      memcpy (t, ds->y + r * b->out_el, sizeof (float) * b->out_el);
    }
  }
}

static int
argmax (const float *v, int n)
{
  int k = 0;
  for (int i = 1; i < n; i++)
    if (v[i] > v[k])
      k = i;
  return k;
}

static int
predicted_class (const float *out, int out_el)
{
  return out_el == 1 ? out[0] > 0.5f : argmax (out, out_el);
}

/* Right predictions in rows perm[from..from+n), counting every step of
 * per-step labels. */
static int64_t
count_correct (const float *out, const NnDataset *ds, const Batch *b, int64_t from, int n)
{
  int64_t c = 0;
  int steps = ds->label_steps, per = b->out_el / steps;
  for (int i = 0; i < n; i++) {
    const int32_t *lab = ds->labels + b->perm[from + i] * steps;
    for (int s = 0; s < steps; s++)
      c += predicted_class (out + (int64_t) i * b->out_el + s * per, per) == lab[s];
  }
  return c;
}

/* softmax + cross-entropy and sigmoid + bce have the simple, stable gradient
 * (p - t) with respect to the logits: use it and skip the last layer. */
static gboolean
fused_gradient (NnModel *m, NnLossKind k)
{
  const char *last = nn_model_last_activation (m);
  return (k == NN_LOSS_CCE && g_str_equal (last, "softmax")) || (k == NN_LOSS_BCE && g_str_equal (last, "sigmoid"));
}

/* The loss of rows [lo, lo + n) of a global batch of `total` rows, and its
 * gradient scaled by 1/total, so that the gradients of every slice add up to
 * the gradient of the global batch's mean loss (one process: lo 0, n total). */
static double
loss_and_gradient (NnModel *m, NnLossKind k, const float *out, Batch *b, int lo, int n, int total,
                   gboolean *skip_last)
{
  const float *t = b->t + (int64_t) lo * b->out_el;
  float *dout = b->dout + (int64_t) lo * b->out_el;
  int64_t len = (int64_t) n * b->out_el;
  *skip_last = fused_gradient (m, k);
  double loss = nn_loss (k, out, t, n, b->out_el, *skip_last ? NULL : dout);
  if (*skip_last) {
    float scale = k == NN_LOSS_CCE ? 1.0f / total : 1.0f / ((int64_t) total * b->out_el);
    for (int64_t i = 0; i < len; i++)
      dout[i] = (out[i] - t[i]) * scale;
  } else if (n != total) {
    float scale = (float) n / total;
    for (int64_t i = 0; i < len; i++)
      dout[i] *= scale;
  }
  return loss;
}

/* Data-parallel state: one buffer that carries every trainable gradient, then
 * the slice's loss sum and right predictions, through one allreduce a step. */
typedef struct {
  const NnTrainDist *d;   /* NULL: one process */
  NnParam *params;
  int      n_params;
  float   *buf;
  gsize    n_grad, n_all;   /* floats of the gradients; of every parameter and buffer */
} Dist;

static void
dist_init (Dist *s, const NnTrainDist *d, NnParam *params, int n_params)
{
  *s = (Dist) { d && d->size > 1 ? d : NULL, params, n_params };
  if (!s->d)
    return;
  for (int i = 0; i < n_params; i++) {
    gsize n = nn_shape_numel (&params[i].shape);
    s->n_all += n;
    if (params[i].trainable && params[i].grad)
      s->n_grad += n;
  }
  s->buf = g_new (float, MAX (s->n_all, s->n_grad + 2));
}

/* Rank 0's parameters and buffers (its initial, --weights or resumed values)
 * to every rank, in one broadcast. */
static gboolean
dist_broadcast_params (Dist *s, GError **error)
{
  gsize o = 0;
  for (int i = 0; i < s->n_params; i++) {
    gsize n = nn_shape_numel (&s->params[i].shape);
    memcpy (s->buf + o, s->params[i].data, sizeof (float) * n);
    o += n;
  }
  if (!s->d->broadcast (s->buf, s->n_all, s->d->user, error))
    return FALSE;
  o = 0;
  for (int i = 0; i < s->n_params; i++) {
    gsize n = nn_shape_numel (&s->params[i].shape);
    memcpy (s->params[i].data, s->buf + o, sizeof (float) * n);
    o += n;
  }
  return TRUE;
}

/* Sum the gradients, the loss sum and the right predictions over the ranks. */
static gboolean
dist_allreduce (Dist *s, double *loss_sum, int64_t *correct, GError **error)
{
  gsize o = 0;
  for (int i = 0; i < s->n_params; i++)
    if (s->params[i].trainable && s->params[i].grad) {
      gsize n = nn_shape_numel (&s->params[i].shape);
      memcpy (s->buf + o, s->params[i].grad, sizeof (float) * n);
      o += n;
    }
  s->buf[o] = (float) *loss_sum;
  s->buf[o + 1] = (float) *correct;
  if (!s->d->allreduce (s->buf, s->n_grad + 2, s->d->user, error))
    return FALSE;
  o = 0;
  for (int i = 0; i < s->n_params; i++)
    if (s->params[i].trainable && s->params[i].grad) {
      gsize n = nn_shape_numel (&s->params[i].shape);
      memcpy (s->params[i].grad, s->buf + o, sizeof (float) * n);
      o += n;
    }
  *loss_sum = s->buf[o];
  *correct = (int64_t) llround (s->buf[o + 1]);
  return TRUE;
}

/* Rank 0's flag to every rank. */
static gboolean
dist_flag (Dist *s, gboolean *flag, GError **error)
{
  float v = *flag;
  if (!s->d->broadcast (&v, 1, s->d->user, error))
    return FALSE;
  *flag = v != 0.0f;
  return TRUE;
}

static void
dist_clear (Dist *s)
{
  g_free (s->buf);
}

static gboolean
check_dataset (NnModel *m, const NnDataset *ds, const char *what, GError **error)
{
  const NnShape *in = nn_model_input_shape (m), *out = nn_model_output_shape (m);
  char a[64], b[64];
  if (ds->n < 1) {
    g_set_error (error, NN_ERROR, NN_ERROR_EMPTY, "%s data: no samples", what);
    return FALSE;
  }
  if (nn_shape_numel (&ds->sample_shape) != nn_shape_numel (in)) {
    g_set_error (error, NN_ERROR, NN_ERROR_SHAPE, "%s data: samples of shape %s, the model takes %s", what,
                 nn_shape_to_string (&ds->sample_shape, a, sizeof a), nn_shape_to_string (in, b, sizeof b));
    return FALSE;
  }
  int64_t out_el = nn_shape_numel (out);
  if (ds->labels) {
    if (ds->label_steps < 1 || out_el % ds->label_steps) {
      g_set_error (error, NN_ERROR, NN_ERROR_SHAPE, "%s data: %d labels per sample do not divide the model's %"
                   G_GINT64_FORMAT " outputs", what, ds->label_steps, out_el);
      return FALSE;
    }
    int64_t per = out_el / ds->label_steps, classes = per == 1 ? 2 : per;
    for (int64_t i = 0; i < ds->n * ds->label_steps; i++)
      if (ds->labels[i] < 0 || ds->labels[i] >= classes) {
        g_set_error (error, NN_ERROR, NN_ERROR_SHAPE, "%s data: sample %" G_GINT64_FORMAT " has class %d, the model has %"
                     G_GINT64_FORMAT " outputs", what, i / ds->label_steps, ds->labels[i], per);
        return FALSE;
      }
  } else if (!ds->y || ds->target_dim != out_el) {
    g_set_error (error, NN_ERROR, NN_ERROR_SHAPE, "%s data: %d target values per sample, the model has %" G_GINT64_FORMAT
                 " outputs", what, ds->y ? ds->target_dim : 0, out_el);
    return FALSE;
  }
  return TRUE;
}

/* Early stopping keeps the weights of the best epoch. */
static void
snapshot_take (NnTrainState *s)
{
  for (int i = 0; i < s->n_params; i++) {
    gsize bytes = sizeof (float) * nn_shape_numel (&s->params[i].shape);
    if (!s->best_params[i])
      s->best_params[i] = g_malloc (bytes);
    memcpy (s->best_params[i], s->params[i].data, bytes);
  }
}

static void
snapshot_restore (NnTrainState *s)
{
  for (int i = 0; i < s->n_params; i++)
    if (s->best_params[i])
      memcpy (s->params[i].data, s->best_params[i], sizeof (float) * nn_shape_numel (&s->params[i].shape));
}

static void
state_clear (NnTrainState *s)
{
  for (int i = 0; i < s->n_params; i++)
    g_free (s->best_params[i]);
  g_free (s->best_params);
  g_rand_free (s->rng);
}

static void
shuffle (int64_t *perm, int64_t n, GRand *rng)
{
  for (int64_t i = n - 1; i > 0; i--) {
    int64_t j = (int64_t) (g_rand_double (rng) * (i + 1));
    int64_t t = perm[i];
    perm[i] = perm[j];
    perm[j] = t;
  }
}

/* The rate of this process's steps so far (validation included) times the
 * steps left. */
typedef struct {
  gint64  t0;
  int64_t steps;
} Clock;

static double
eta (const Clock *k, int64_t steps_left)
{
  if (k->steps == 0)
    return NAN;
  return (g_get_monotonic_time () - k->t0) / 1e6 / (double) k->steps * (double) steps_left;
}

/* FALSE on an error; *halted when the callback stopped the epoch midway
 * (with several ranks it runs on rank 0, and the epoch goes on to its end
 * on every rank: the ranks' steps must stay in step). */
static gboolean
run_epoch (NnModel *m, const NnTrainConfig *c, const NnDataset *ds, Batch *b, NnTrainState *s, Dist *dist,
           Clock *clock, NnTrainProgress *p, gboolean *halted, GError **error)
{
  shuffle (b->perm, ds->n, s->rng);
  double loss = 0.0;
  int64_t correct = 0, seen = 0;
  int rank = dist->d ? dist->d->rank : 0, size = dist->d ? dist->d->size : 1;
  gint64 t0 = g_get_monotonic_time ();
  p->n_batches = (ds->n + b->batch - 1) / b->batch;
  for (int64_t from = 0, k = 0; from < ds->n; from += b->batch, k++) {
    int n = (int) MIN ((int64_t) b->batch, ds->n - from);
    p->lr = nn_schedule_step_lr (&s->sched, (int64_t) (p->epoch - 1) * p->n_batches + k, p->n_batches, c->epochs);
    nn_optimizer_set_lr (s->opt, (float) p->lr);
    /* every rank gathers and augments the whole global batch, so that the
     * augmentation draws what one process draws; its own rows are [lo, hi),
     * none when the batch has fewer rows than there are ranks */
    int lo = (int) ((int64_t) n * rank / size), hi = (int) ((int64_t) n * (rank + 1) / size);
    gather (b, ds, from, n);
    if (c->augment)
      nn_augment_apply_alpha (c->augment, b->x, b->alpha, n, &b->image, s->rng);
    double step_loss = 0.0;
    int64_t step_correct = 0;
    nn_model_zero_grad (m);
    if (hi > lo) {
      if (dist->d)
        nn_model_set_row_window (m, lo, n - hi);
      const float *out = nn_model_forward (m, b->x + (int64_t) lo * b->in_el, hi - lo, TRUE, error);
      if (!out)
        return FALSE;
      gboolean skip_last;
      step_loss = loss_and_gradient (m, c->loss, out, b, lo, hi - lo, n, &skip_last) * (hi - lo);
      if (ds->labels)
        step_correct = count_correct (out, ds, b, from + lo, hi - lo);
      nn_model_backward (m, b->dout + (int64_t) lo * b->out_el, skip_last);
    } else {
      nn_model_skip_rows (m, n);
    }
    if (dist->d && !dist_allreduce (dist, &step_loss, &step_correct, error))
      return FALSE;
    nn_optimizer_step (s->opt);
    loss += step_loss;
    correct += step_correct;
    seen += n;
    clock->steps++;
    p->batch = k + 1;
    p->loss = loss / seen;
    p->acc = ds->labels ? (double) correct / ((double) seen * ds->label_steps) : NAN;
    p->seconds = (g_get_monotonic_time () - t0) / 1e6;
    p->samples_per_s = seen / MAX (p->seconds, 1e-9);
    p->eta_s = eta (clock, (int64_t) (c->epochs - p->epoch) * p->n_batches + p->n_batches - p->batch);
    if (!isfinite (p->loss)) {
      g_set_error (error, NN_ERROR, NN_ERROR_FAILED,
                   "training diverged at epoch %d (loss is not finite): try a smaller --lr or --clip-norm", p->epoch);
      return FALSE;
    }
    if (rank == 0 && c->callback && !c->callback (p, c->user_data)) {
      *halted = TRUE;
      if (!dist->d)
        return TRUE;
    }
  }
  return TRUE;
}

/* Validation, early stopping and the plateau schedule after an epoch. With
 * several ranks rank 0 validates and broadcasts its figures, from which every
 * rank takes the same decisions (and the same snapshot). */
static gboolean
end_epoch (NnModel *m, const NnTrainConfig *c, const NnDataset *val, int batch, NnTrainState *s, Dist *dist,
           NnTrainProgress *p, GError **error)
{
  if (val) {
    gboolean failed = FALSE;
    if (!dist->d || dist->d->rank == 0) {
      g_autoptr (NnEvalResult) r = nn_evaluate (m, val, c->loss, batch, error);
      failed = r == NULL;
      if (r) {
        p->val_loss = r->loss;
        p->val_acc = val->labels ? r->acc : NAN;
      }
    }
    if (dist->d) {
      float v[3] = { p->val_loss, p->val_acc, failed };
      GError *e = NULL;
      gboolean sent = dist->d->broadcast (v, G_N_ELEMENTS (v), dist->d->user, failed ? &e : error);
      g_clear_error (&e);
      if (!sent)
        return FALSE;
      p->val_loss = v[0];
      p->val_acc = v[1];
      if (v[2] != 0.0f && dist->d->rank != 0) {
        g_set_error (error, NN_ERROR, NN_ERROR_FAILED, "validation failed on rank 0");
        return FALSE;
      }
    }
    if (failed)
      return FALSE;
    if ((p->best = p->val_loss < s->best)) {
      s->best = p->val_loss;
      s->since_best = 0;
      if (c->early_stop > 0)
        snapshot_take (s);
    } else if (c->early_stop > 0 && ++s->since_best >= c->early_stop) {
      s->stopped = TRUE;
    }
  }
  nn_schedule_epoch_end (&s->sched, val ? p->val_loss : p->loss);
  p->epoch_done = TRUE;
  s->epoch = p->epoch;
  return TRUE;
}

gboolean
nn_train (NnModel *m, const NnTrainConfig *c, const NnDataset *train, const NnDataset *val, GError **error)
{
  if (c->batch < 1 || c->epochs < 0) {
    g_set_error (error, NN_ERROR, NN_ERROR_INVALID, "batch must be >= 1 and epochs >= 0");
    return FALSE;
  }
  if (!check_dataset (m, train, "training", error) || (val && !check_dataset (m, val, "validation", error)))
    return FALSE;
  if (c->augment && nn_augment_needs_alpha (c->augment) && !train->alpha) {
    g_set_error (error, NN_ERROR, NN_ERROR_INVALID,
                 "augment: background and foreground need training images with an alpha channel marking the subject "
                 "(folder: RGBA PNGs, as nn-gesture-render --alpha writes), and these have none");
    return FALSE;
  }
  int batch = (int) MIN ((int64_t) c->batch, train->n);
  if (!nn_model_reserve (m, batch, error))
    return FALSE;
  int n_params;
  NnParam *params = nn_model_params (m, &n_params);
  g_autoptr (NnOptimizer) opt = nn_optimizer_new (&c->optim, params, n_params);
  Batch b;
  batch_init (&b, batch, nn_shape_numel (nn_model_input_shape (m)), nn_shape_numel (nn_model_output_shape (m)),
              train->n);
  /* a flat [784] input is still a 28x28 image to rotate or crop; a clip
   * [T, C, H, W] is augmented whole (the same draws for its frames) */
  const NnPreprocess *pre = nn_model_preprocess (m);
  const NnShape *in = nn_model_input_shape (m);
  b.image = in->ndim == 4 ? *in : nn_shape_3d (pre->channels, pre->height, pre->width);
  if (c->augment && nn_augment_needs_alpha (c->augment)) {
    /* one plane per image, T per clip */
    b.alpha_el = (int) (nn_shape_numel (&b.image) / b.image.dim[b.image.ndim - 3]);
    if ((gsize) b.alpha_el != nn_dataset_alpha_plane (train)) {
      g_set_error (error, NN_ERROR, NN_ERROR_SHAPE, "augment: the training data's alpha planes (%" G_GSIZE_FORMAT
                   " values) are not the input's (%d)", nn_dataset_alpha_plane (train), b.alpha_el);
      batch_clear (&b);
      return FALSE;
    }
    b.alpha = g_new (float, (int64_t) batch * b.alpha_el);
  }
  g_autoptr (GArray) own_history = c->history ? NULL : g_array_new (FALSE, FALSE, sizeof (NnTrainProgress));
  NnTrainState s = {
    .params = params, .n_params = n_params, .opt = opt,
    .rng = g_rand_new_with_seed ((guint32) (c->seed * 2654435761u + 1)), .model_rng = nn_model_rng (m),
    .order = b.perm, .n = train->n, .best = INFINITY, .best_params = g_new0 (float *, MAX (n_params, 1)),
    .history = c->history ? c->history : own_history,
  };
  nn_model_set_seed (m, c->seed);
  nn_model_set_bptt (m, c->bptt);
  nn_schedule_start (&s.sched, &c->schedule, c->optim.lr);
  gboolean ok = !c->resume || nn_checkpoint_read (&s, c, m, error), halted = FALSE;
  Dist dist;
  dist_init (&dist, c->dist, params, n_params);
  int rank = dist.d ? dist.d->rank : 0;
  ok = ok && (!dist.d || dist_broadcast_params (&dist, error));
  int64_t n_batches = (train->n + batch - 1) / batch;
  Clock clock = { g_get_monotonic_time (), 0 };
  for (int e = s.epoch + 1; e <= c->epochs && ok && !s.stopped && !halted; e++) {
    NnTrainProgress p = { .epoch = e, .epochs = c->epochs, .val_loss = NAN, .val_acc = NAN, .eta_s = NAN };
    if (!(ok = run_epoch (m, c, train, &b, &s, &dist, &clock, &p, &halted, error)) ||
        !(ok = end_epoch (m, c, val, batch, &s, &dist, &p, error)))
      break;
    p.eta_s = eta (&clock, (int64_t) (c->epochs - e) * n_batches);
    g_array_append_val (s.history, p);
    /* an epoch the callback cut short is no state to continue from; with
     * several ranks rank 0 writes it */
    if (c->checkpoint && !halted && rank == 0 && !(ok = nn_checkpoint_write (&s, c, m, n_batches, error)))
      break;
    if (rank == 0 && c->callback && !c->callback (&p, c->user_data))
      halted = TRUE;
    if (dist.d && !(ok = dist_flag (&dist, &halted, error)))
      break;
  }
  if (ok && val && c->early_stop > 0)
    snapshot_restore (&s);
  nn_model_set_row_window (m, 0, 0);
  dist_clear (&dist);
  state_clear (&s);
  batch_clear (&b);
  return ok;
}

NnEvalResult *
nn_evaluate (NnModel *m, const NnDataset *ds, NnLossKind loss, int batch, GError **error)
{
  if (!check_dataset (m, ds, "evaluation", error))
    return NULL;
  batch = (int) CLAMP ((int64_t) batch, 1, ds->n);
  Batch b;
  int out_el = nn_shape_numel (nn_model_output_shape (m));
  batch_init (&b, batch, nn_shape_numel (nn_model_input_shape (m)), out_el, ds->n);
  NnEvalResult *r = g_new0 (NnEvalResult, 1);
  r->n = ds->n;
  int steps = ds->labels ? ds->label_steps : 1, per = out_el / steps;
  if (ds->labels) {
    r->n_classes = per == 1 ? 2 : per;
    r->confusion = g_new0 (int64_t, (int64_t) r->n_classes * r->n_classes);
  }
  int64_t correct = 0;
  for (int64_t from = 0; from < ds->n; from += batch) {
    int n = (int) MIN ((int64_t) batch, ds->n - from);
    gather (&b, ds, from, n);
    const float *out = nn_model_forward (m, b.x, n, FALSE, error);
    if (!out) {
      nn_eval_result_free (g_steal_pointer (&r));
      break;
    }
    r->loss += nn_loss (loss, out, b.t, n, out_el, NULL) * n;
    for (int i = 0; ds->labels && i < n; i++)
      for (int s = 0; s < steps; s++) {
        int pred = predicted_class (out + (int64_t) i * out_el + s * per, per);
        int truth = ds->labels[(from + i) * steps + s];
        r->confusion[(int64_t) truth * r->n_classes + pred]++;
        correct += pred == truth;
      }
  }
  if (r) {
    r->loss /= ds->n;
    r->acc = ds->labels ? (double) correct / ((double) ds->n * steps) : NAN;
  }
  batch_clear (&b);
  return r;
}

void
nn_eval_result_free (NnEvalResult *r)
{
  if (!r)
    return;
  g_free (r->confusion);
  g_free (r);
}
