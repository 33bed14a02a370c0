/* The lecture's worked 2-2-2 backpropagation example, to four decimals. */
#include <check.h>
#include "nn-private.h"
#include "../check-run.h"

static const char *spec =
  "{\"input\": [2], \"layers\": ["
  "{\"name\": \"h\", \"type\": \"dense\", \"units\": 2, \"activation\": \"sigmoid\"},"
  "{\"name\": \"o\", \"type\": \"dense\", \"units\": 2, \"activation\": \"sigmoid\"}]}";

static NnModel *
seed_model (void)
{
  GError *e = NULL;
  NnModel *m = nn_model_new_from_spec (spec, 1, &e);
  ck_assert_msg (m != NULL, "%s", e ? e->message : "");
  int n;
  NnParam *p = nn_model_params (m, &n);
  ck_assert_int_eq (n, 4);
  const float hw[] = { 0.3f, 0.6f, 0.4f, 0.2f }, hb[] = { 0.25f, 0.25f };
  const float ow[] = { 0.2f, 0.3f, 0.1f, 0.4f }, ob[] = { 0.31f, 0.31f };
  const float *vals[] = { hw, hb, ow, ob };
  const char *names[] = { "h.weight", "h.bias", "o.weight", "o.bias" };
  for (int i = 0; i < 4; i++) {
    ck_assert_str_eq (p[i].name, names[i]);
    memcpy (p[i].data, vals[i], sizeof (float) * nn_shape_numel (&p[i].shape));
  }
  return m;
}

static const float x[] = { 0.2f, 0.3f }, t[] = { 0.2f, 0.8f };

START_TEST (test_forward_error)
{
  NnModel *m = seed_model ();
  const float *o = nn_model_forward (m, x, 1, FALSE, NULL);
  ck_assert_float_eq_tol (o[0], 0.6486f, 1e-4);
  ck_assert_float_eq_tol (o[1], 0.6480f, 1e-4);
  ck_assert_double_eq_tol (nn_loss (NN_LOSS_SSE, o, t, 1, 2, NULL), 0.1122, 1e-4);
  nn_model_free (m);
}
END_TEST

static void
check_after_step (NnModel *m)
{
  int n;
  NnParam *p = nn_model_params (m, &n);
  const float ow[] = { 0.1746f, 0.2756f, 0.1086f, 0.4083f };
  for (int i = 0; i < 4; i++)
    ck_assert_msg (fabsf (p[2].data[i] - ow[i]) < 1e-4, "o.weight[%d] = %.5f, expected %.4f", i, p[2].data[i], ow[i]);
  ck_assert_float_eq_tol (p[0].data[0], 0.2997f, 1e-4);
}

START_TEST (test_one_sgd_step)
{
  NnModel *m = seed_model ();
  float dout[2];
  const float *o = nn_model_forward (m, x, 1, TRUE, NULL);
  nn_loss (NN_LOSS_SSE, o, t, 1, 2, dout);
  nn_model_zero_grad (m);
  nn_model_backward (m, dout, FALSE);
  NnOptimConfig c;
  nn_optim_config_init (&c, NN_OPT_SGD);
  c.lr = 0.4f;
  int n;
  NnParam *params = nn_model_params (m, &n);
  NnOptimizer *opt = nn_optimizer_new (&c, params, n);
  nn_optimizer_step (opt);
  check_after_step (m);
  nn_optimizer_free (opt);
  nn_model_free (m);
}
END_TEST

/* The same step through the trainer: one epoch of one sample. */
START_TEST (test_one_sgd_step_trainer)
{
  NnModel *m = seed_model ();
  NnShape s = nn_shape_1d (2);
  NnDataset *ds = nn_dataset_new (&s, 1, FALSE, 2);
  memcpy (ds->x, x, sizeof x);
  memcpy (ds->y, t, sizeof t);
  NnTrainConfig c;
  nn_train_config_init (&c);
  c.loss = NN_LOSS_SSE;
  nn_optim_config_init (&c.optim, NN_OPT_SGD);
  c.optim.lr = 0.4f;
  c.epochs = 1;
  c.batch = 1;
  GError *e = NULL;
  ck_assert_msg (nn_train (m, &c, ds, NULL, &e), "%s", e ? e->message : "");
  check_after_step (m);
  nn_dataset_free (ds);
  nn_model_free (m);
}
END_TEST

static Suite *
suite (void)
{
  Suite *s = suite_create ("seed-example");
  TCase *tc = tcase_create ("backprop");
  tcase_add_test (tc, test_forward_error);
  tcase_add_test (tc, test_one_sgd_step);
  tcase_add_test (tc, test_one_sgd_step_trainer);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  return nn_check_run (suite ());
}
