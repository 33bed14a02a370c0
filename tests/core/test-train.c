/* Losses (finite-difference checked), optimisers, regularisation, clipping,
 * early stopping, reproducibility: the trainer's parts and the whole. */
#include <check.h>
#include "nn-private.h"
#include "../check-run.h"

static void
random_fill (float *v, int n, float lo, float hi, GRand *r)
{
  for (int i = 0; i < n; i++)
    v[i] = (float) g_rand_double_range (r, lo, hi);
}

static void
check_loss_gradient (NnLossKind k, gboolean probs)
{
  enum { N = 3, D = 4 };
  float o[N * D], t[N * D], d[N * D];
  GRand *r = g_rand_new_with_seed (k + 7);
  random_fill (o, N * D, probs ? 0.05f : -2.0f, probs ? 0.95f : 2.0f, r);
  random_fill (t, N * D, 0.0f, 1.0f, r);
  if (k == NN_LOSS_CCE) /* one-hot targets */
    for (int i = 0; i < N; i++)
      for (int j = 0; j < D; j++)
        t[i * D + j] = j == i % D;
  nn_loss (k, o, t, N, D, d);
  double maxg = 0;
  for (int i = 0; i < N * D; i++) {
    float h = 1e-3f, keep = o[i];
    o[i] = keep + h;
    double lp = nn_loss (k, o, t, N, D, NULL);
    o[i] = keep - h;
    double lm = nn_loss (k, o, t, N, D, NULL);
    o[i] = keep;
    double num = (lp - lm) / (2 * h);
    ck_assert_msg (fabs (num - d[i]) <= 1e-2 * fabs (num) + 1e-3, "%s: d[%d] analytic %g numeric %g",
                   nn_loss_name (k), i, d[i], num);
    maxg = MAX (maxg, fabs (d[i]));
  }
  ck_assert_msg (maxg > 1e-3, "gradient of %s is trivial", nn_loss_name (k));
  g_rand_free (r);
}

START_TEST (test_loss_gradients)
{
  check_loss_gradient (NN_LOSS_SSE, FALSE);
  check_loss_gradient (NN_LOSS_MSE, FALSE);
  check_loss_gradient (NN_LOSS_BCE, TRUE);
  check_loss_gradient (NN_LOSS_CCE, TRUE);
}
END_TEST

START_TEST (test_loss_values)
{
  const float o[] = { 0.5f, 0.25f }, t[] = { 1.0f, 0.0f };
  ck_assert_double_eq_tol (nn_loss (NN_LOSS_SSE, o, t, 1, 2, NULL), 0.5 * (0.25 + 0.0625), 1e-6);
  ck_assert_double_eq_tol (nn_loss (NN_LOSS_MSE, o, t, 1, 2, NULL), (0.25 + 0.0625) / 2, 1e-6);
  ck_assert_double_eq_tol (nn_loss (NN_LOSS_BCE, o, t, 1, 2, NULL), -(log (0.5) + log (0.75)) / 2, 1e-6);
  ck_assert_double_eq_tol (nn_loss (NN_LOSS_CCE, o, t, 1, 2, NULL), -log (0.5), 1e-6);
  NnLossKind k;
  GError *e = NULL;
  ck_assert (!nn_loss_from_name ("hinge", &k, &e));
  ck_assert (strstr (e->message, "hinge"));
  g_error_free (e);
}
END_TEST

/* Each optimiser on f(w) = 1/2 w^2 moves towards 0 and matches a hand step. */
START_TEST (test_optimizer_steps)
{
  NnOptimKind kinds[] = { NN_OPT_SGD, NN_OPT_MOMENTUM, NN_OPT_RMSPROP, NN_OPT_ADAM };
  for (gsize i = 0; i < G_N_ELEMENTS (kinds); i++) {
    float w = 1.0f, g;
    NnParam p = { .name = (char *) "w", .shape = nn_shape_1d (1), .data = &w, .grad = &g, .trainable = TRUE };
    NnOptimConfig c;
    nn_optim_config_init (&c, kinds[i]);
    c.lr = 0.1f;
    NnOptimizer *o = nn_optimizer_new (&c, &p, 1);
    g = w;
    nn_optimizer_step (o);
    /* first steps by hand: sgd/momentum w - lr g; rmsprop g/sqrt(0.1 g^2); adam lr sign(g) */
    float expect[] = { 0.9f, 0.9f, 1.0f - 0.1f / (sqrtf (0.1f) + 1e-7f), 0.9f };
    ck_assert_msg (fabsf (w - expect[i]) < 1e-5, "optimizer %d first step: %f vs %f", kinds[i], w, expect[i]);
    for (int s = 0; s < 200; s++) {
      g = w;
      nn_optimizer_step (o);
    }
    ck_assert_msg (fabsf (w) < 0.2f, "optimizer %d did not approach the minimum: w = %f", kinds[i], w);
    nn_optimizer_free (o);
  }
}
END_TEST

START_TEST (test_regularisation_and_clipping)
{
  float w[2] = { 2.0f, -3.0f }, g[2] = { 0, 0 };
  NnParam p = { .name = (char *) "w", .shape = nn_shape_1d (2), .data = w, .grad = g, .trainable = TRUE, .decay = TRUE };
  NnOptimConfig c;
  nn_optim_config_init (&c, NN_OPT_SGD);
  c.lr = 0.1f;
  c.l1 = 0.5f;
  c.l2 = 0.25f;
  NnOptimizer *o = nn_optimizer_new (&c, &p, 1);
  ck_assert_double_eq_tol (nn_optimizer_penalty (o), 0.5 * 5 + 0.25 * 13, 1e-5);
  nn_optimizer_step (o); /* grad = l1 sign(w) + 2 l2 w */
  ck_assert_float_eq_tol (w[0], 2.0f - 0.1f * (0.5f + 1.0f), 1e-6);
  ck_assert_float_eq_tol (w[1], -3.0f - 0.1f * (-0.5f - 1.5f), 1e-6);
  nn_optimizer_free (o);

  nn_optim_config_init (&c, NN_OPT_SGD);
  c.lr = 1.0f;
  c.clip_norm = 1.0f;
  w[0] = w[1] = 0.0f;
  g[0] = 3.0f;
  g[1] = 4.0f;
  o = nn_optimizer_new (&c, &p, 1);
  nn_optimizer_step (o);
  ck_assert_float_eq_tol (w[0], -0.6f, 1e-4);
  ck_assert_float_eq_tol (w[1], -0.8f, 1e-4);
  nn_optimizer_free (o);

  c.clip_norm = 0;
  c.clip_value = 0.5f;
  w[0] = w[1] = 0.0f;
  g[0] = 3.0f;
  g[1] = -0.25f;
  o = nn_optimizer_new (&c, &p, 1);
  nn_optimizer_step (o);
  ck_assert_float_eq_tol (w[0], -0.5f, 1e-6);
  ck_assert_float_eq_tol (w[1], 0.25f, 1e-6);
  nn_optimizer_free (o);
}
END_TEST

/* XOR, the classic that needs a hidden layer. */
static NnDataset *
xor_data (void)
{
  NnShape s = nn_shape_1d (2);
  NnDataset *ds = nn_dataset_new (&s, 4, TRUE, 0);
  const float x[] = { 0, 0, 0, 1, 1, 0, 1, 1 };
  memcpy (ds->x, x, sizeof x);
  for (int i = 0; i < 4; i++)
    ds->labels[i] = (i == 1 || i == 2);
  ds->n_classes = 2;
  return ds;
}

static const char *xor_spec =
  "{\"input\": [2], \"labels\": [\"zero\", \"one\"], \"layers\": ["
  "{\"name\": \"h\", \"type\": \"dense\", \"units\": 8, \"activation\": \"tanh\"},"
  "{\"name\": \"o\", \"type\": \"dense\", \"units\": 2, \"activation\": \"softmax\"}]}";

START_TEST (test_xor_each_optimizer)
{
  NnOptimKind kinds[] = { NN_OPT_SGD, NN_OPT_MOMENTUM, NN_OPT_RMSPROP, NN_OPT_ADAM };
  float lrs[] = { 0.5f, 0.1f, 0.01f, 0.02f };
  NnDataset *ds = xor_data ();
  for (gsize i = 0; i < G_N_ELEMENTS (kinds); i++) {
    GError *e = NULL;
    NnModel *m = nn_model_new_from_spec (xor_spec, 3, &e);
    ck_assert (m);
    NnTrainConfig c;
    nn_train_config_init (&c);
    nn_optim_config_init (&c.optim, kinds[i]);
    c.optim.lr = lrs[i];
    c.epochs = 500;
    c.batch = 4;
    ck_assert_msg (nn_train (m, &c, ds, NULL, &e), "%s", e ? e->message : "");
    NnEvalResult *r = nn_evaluate (m, ds, NN_LOSS_CCE, 4, &e);
    ck_assert_msg (r->acc == 1.0, "optimizer %d: XOR accuracy %.2f loss %.3f", kinds[i], r->acc, r->loss);
    nn_eval_result_free (r);
    nn_model_free (m);
  }
  nn_dataset_free (ds);
}
END_TEST

/* softmax + cce takes the fused (p - t) gradient: it must equal the chained one. */
START_TEST (test_fused_gradient_matches_chain)
{
  GError *e = NULL;
  NnModel *a = nn_model_new_from_spec (xor_spec, 5, &e), *b = nn_model_new_from_spec (xor_spec, 5, &e);
  const float x[] = { 0.3f, -0.7f, 1.0f, 0.5f }, t[] = { 1, 0, 0, 1 };
  float d[4];
  const float *o = nn_model_forward (a, x, 2, TRUE, NULL);
  nn_loss (NN_LOSS_CCE, o, t, 2, 2, d);
  nn_model_zero_grad (a);
  nn_model_backward (a, d, FALSE);
  o = nn_model_forward (b, x, 2, TRUE, NULL);
  for (int i = 0; i < 4; i++)
    d[i] = (o[i] - t[i]) / 2;
  nn_model_zero_grad (b);
  nn_model_backward (b, d, TRUE);
  int n;
  NnParam *pa = nn_model_params (a, &n), *pb = nn_model_params (b, &n);
  for (int i = 0; i < n; i++)
    for (int64_t j = 0; j < nn_shape_numel (&pa[i].shape); j++)
      ck_assert_float_eq_tol (pa[i].grad[j], pb[i].grad[j], 1e-5);
  nn_model_free (a);
  nn_model_free (b);
}
END_TEST

/* Noisy 1-D regression with a big net: validation loss rises; early stopping
 * must stop before the last epoch and restore the best weights. */
static gboolean
record (const NnTrainProgress *p, gpointer data)
{
  if (p->epoch_done) {
    GArray *a = data;
    g_array_append_val (a, p->val_loss);
  }
  return TRUE;
}

START_TEST (test_early_stopping_restores_best)
{
  NnShape s = nn_shape_1d (1);
  NnDataset *tr = nn_dataset_new (&s, 16, FALSE, 1), *va = nn_dataset_new (&s, 64, FALSE, 1);
  GRand *r = g_rand_new_with_seed (11);
  for (int i = 0; i < 16; i++) {
    tr->x[i] = i / 8.0f - 1;
    tr->y[i] = sinf (3 * tr->x[i]) + (float) g_rand_double_range (r, -0.8, 0.8);
  }
  for (int i = 0; i < 64; i++) {
    va->x[i] = i / 32.0f - 1;
    va->y[i] = sinf (3 * va->x[i]);
  }
  const char *spec = "{\"input\": [1], \"layers\": [{\"type\": \"dense\", \"units\": 64, \"activation\": \"tanh\"},"
                     "{\"type\": \"dense\", \"units\": 64, \"activation\": \"tanh\"}, {\"type\": \"dense\", \"units\": 1}]}";
  GError *e = NULL;
  NnModel *m = nn_model_new_from_spec (spec, 2, &e);
  NnTrainConfig c;
  nn_train_config_init (&c);
  c.loss = NN_LOSS_MSE;
  c.optim.lr = 0.01f;
  c.epochs = 2000;
  c.batch = 16;
  c.early_stop = 20;
  GArray *hist = g_array_new (FALSE, FALSE, sizeof (double));
  c.callback = record;
  c.user_data = hist;
  ck_assert (nn_train (m, &c, tr, va, &e));
  ck_assert_msg (hist->len < 2000, "early stopping never stopped");
  double best = INFINITY;
  for (guint i = 0; i < hist->len; i++)
    best = MIN (best, g_array_index (hist, double, i));
  NnEvalResult *res = nn_evaluate (m, va, NN_LOSS_MSE, 64, &e);
  ck_assert_double_eq_tol (res->loss, best, 1e-6);
  ck_assert (g_array_index (hist, double, hist->len - 1) > best);
  nn_eval_result_free (res);
  g_array_free (hist, TRUE);
  g_rand_free (r);
  nn_dataset_free (tr);
  nn_dataset_free (va);
  nn_model_free (m);
}
END_TEST

static void
train_once (guint64 seed, float *out_w)
{
  GError *e = NULL;
  NnModel *m = nn_model_new_from_spec (
    "{\"input\": [2], \"layers\": [{\"name\": \"h\", \"type\": \"dense\", \"units\": 8, \"activation\": \"relu\"},"
    "{\"type\": \"dropout\", \"rate\": 0.3}, {\"type\": \"dense\", \"units\": 2, \"activation\": \"softmax\"}]}",
    seed, &e);
  NnDataset *ds = xor_data ();
  NnTrainConfig c;
  nn_train_config_init (&c);
  c.seed = seed;
  c.epochs = 20;
  c.batch = 2;
  ck_assert (nn_train (m, &c, ds, NULL, &e));
  int n;
  memcpy (out_w, nn_model_params (m, &n)[0].data, sizeof (float) * 16);
  nn_dataset_free (ds);
  nn_model_free (m);
}

START_TEST (test_seed_reproducible)
{
  float a[16], b[16], c[16];
  train_once (42, a);
  train_once (42, b);
  train_once (43, c);
  ck_assert (memcmp (a, b, sizeof a) == 0);
  ck_assert (memcmp (a, c, sizeof a) != 0);
}
END_TEST

START_TEST (test_bad_training_input)
{
  GError *e = NULL;
  NnModel *m = nn_model_new_from_spec (xor_spec, 1, &e);
  NnShape s3 = nn_shape_1d (3), s2 = nn_shape_1d (2);
  NnDataset *wrong = nn_dataset_new (&s3, 2, TRUE, 0), *empty = nn_dataset_new (&s2, 0, TRUE, 0);
  NnTrainConfig c;
  nn_train_config_init (&c);
  ck_assert (!nn_train (m, &c, wrong, NULL, &e));
  ck_assert_int_eq (e->code, NN_ERROR_SHAPE);
  g_clear_error (&e);
  ck_assert (!nn_train (m, &c, empty, NULL, &e));
  ck_assert_int_eq (e->code, NN_ERROR_EMPTY);
  g_clear_error (&e);
  NnDataset *bad = xor_data ();
  bad->labels[2] = 7;
  ck_assert (!nn_train (m, &c, bad, NULL, &e));
  ck_assert (strstr (e->message, "class 7"));
  g_clear_error (&e);
  nn_dataset_free (bad);
  nn_dataset_free (wrong);
  nn_dataset_free (empty);
  nn_model_free (m);
}
END_TEST

/* --augment background reaches training through the dataset's alpha: two
 * classes told apart by where their bright half is; with alpha 0 everywhere
 * and background=1 every input is a random texture and the model stays near
 * chance, with alpha 255 (all foreground) it learns them as without the key;
 * without alpha the trainer refuses the key. */
static double
train_acc_with_alpha (int alpha, const char *augment, GError **e)
{
  NnModel *m = nn_model_new_from_spec ("{\"input\": [1, 4, 4], \"labels\": [\"lr\", \"tb\"], \"layers\": ["
                                       "{\"type\": \"flatten\"},"
                                       "{\"name\": \"o\", \"type\": \"dense\", \"units\": 2, "
                                       "\"activation\": \"softmax\"}]}", 1, e);
  ck_assert_ptr_nonnull (m);
  NnShape s = nn_shape_3d (1, 4, 4);
  NnDataset *ds = nn_dataset_new (&s, 64, 1, 0);
  ds->n_classes = 2;
  for (int i = 0; i < 64; i++) {
    ds->labels[i] = i % 2;
    for (int p = 0; p < 16; p++)
      ds->x[i * 16 + p] = (i % 2 ? p / 4 >= 2 : p % 4 >= 2) ? 1.0f : 0.0f;
  }
  if (alpha >= 0)
    memset (nn_dataset_alloc_alpha (ds), alpha, 64 * 16);
  NnTrainConfig c;
  nn_train_config_init (&c);
  c.epochs = 30;
  c.batch = 8;
  c.optim.lr = 0.05f;
  g_autoptr (GArray) hist = g_array_new (FALSE, FALSE, sizeof (NnTrainProgress));
  c.history = hist;
  c.augment = augment ? nn_augment_new (augment, NULL) : NULL;
  double acc = nn_train (m, &c, ds, NULL, e) ? g_array_index (hist, NnTrainProgress, hist->len - 1).acc : -1.0;
  nn_augment_free ((NnAugment *) c.augment);
  nn_dataset_free (ds);
  nn_model_free (m);
  return acc;
}

START_TEST (test_background_needs_alpha)
{
  GError *e = NULL;
  ck_assert_double_eq (train_acc_with_alpha (255, NULL, &e), 1.0);
  ck_assert_double_eq (train_acc_with_alpha (255, "background=1", &e), 1.0);
  double blind = train_acc_with_alpha (0, "background=1", &e);
  ck_assert_msg (blind >= 0.0 && blind < 0.8, "accuracy %g on random backgrounds", blind);
  ck_assert_double_eq (train_acc_with_alpha (-1, "background=1", &e), -1.0);
  ck_assert (g_error_matches (e, NN_ERROR, NN_ERROR_INVALID));
  ck_assert_ptr_nonnull (strstr (e->message, "alpha"));
  g_clear_error (&e);
}
END_TEST

static Suite *
suite (void)
{
  Suite *s = suite_create ("train");
  TCase *tc = tcase_create ("train");
  tcase_set_timeout (tc, 300);
  tcase_add_test (tc, test_loss_gradients);
  tcase_add_test (tc, test_background_needs_alpha);
  tcase_add_test (tc, test_loss_values);
  tcase_add_test (tc, test_optimizer_steps);
  tcase_add_test (tc, test_regularisation_and_clipping);
  tcase_add_test (tc, test_xor_each_optimizer);
  tcase_add_test (tc, test_fused_gradient_matches_chain);
  tcase_add_test (tc, test_early_stopping_restores_best);
  tcase_add_test (tc, test_seed_reproducible);
  tcase_add_test (tc, test_bad_training_input);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  return nn_check_run (suite ());
}
