/* Learning-rate schedules: parsing, each formula step by step against its
 * definition, plateau reduction on a controlled sequence of losses, and the
 * lr the trainer really applies. */
#include <check.h>
#include "train-private.h"
#include "../check-run.h"

START_TEST (test_parse)
{
  NnScheduleConfig s;
  GError *e = NULL;
  ck_assert (nn_schedule_parse ("constant", &s, &e));
  ck_assert_int_eq (s.kind, NN_SCHEDULE_CONSTANT);
  ck_assert (nn_schedule_parse ("step:every=3", &s, &e));
  ck_assert_int_eq (s.kind, NN_SCHEDULE_STEP);
  ck_assert_int_eq (s.every, 3);
  ck_assert_double_eq (s.gamma, 0.1);
  ck_assert (nn_schedule_parse (" cosine : warmup=2, min=1e-5 ", &s, &e));
  ck_assert_int_eq (s.kind, NN_SCHEDULE_COSINE);
  ck_assert_int_eq (s.warmup, 2);
  ck_assert_double_eq (s.min_lr, 1e-5);
  ck_assert (nn_schedule_parse ("plateau", &s, &e));
  ck_assert_int_eq (s.patience, 10);
  ck_assert_double_eq (s.factor, 0.1);
  ck_assert_double_eq (s.threshold, 1e-4);
  ck_assert (nn_schedule_parse ("plateau:patience=2,factor=0.5,min=0.001", &s, &e));
  /* the canonical text parses back to the same schedule */
  char *text = nn_schedule_to_string (&s);
  ck_assert_str_eq (text, "plateau:patience=2,factor=0.5,min=0.001,threshold=0.0001");
  NnScheduleConfig back;
  ck_assert (nn_schedule_parse (text, &back, &e));
  ck_assert (memcmp (&s, &back, sizeof s) == 0);
  g_free (text);

  const struct { const char *desc, *msg; } bad[] = {
    { "linear", "unknown schedule \"linear\"" },
    { "step", "every=N" },
    { "step:every=0", "every=0" },
    { "step:every=1.5", "every=1.5" },
    { "step:every=2,gamma=2", "gamma=2" },
    { "cosine:patience=3", "unknown key \"patience\" (warmup, min)" },
    { "plateau:factor=1", "factor=1" },
    { "plateau:threshold=1", "threshold=1" },
    { "plateau:patience=x", "patience=x" },
    { "constant:every=2", "it takes none" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++) {
    ck_assert_msg (!nn_schedule_parse (bad[i].desc, &s, &e), "%s parsed", bad[i].desc);
    ck_assert_msg (strstr (e->message, bad[i].msg), "%s: %s", bad[i].desc, e->message);
    g_clear_error (&e);
  }
}
END_TEST

/* step: base * gamma^floor (epoch / every), epochs from 0 here */
START_TEST (test_step_formula)
{
  NnScheduleConfig s;
  GError *e = NULL;
  ck_assert (nn_schedule_parse ("step:every=3,gamma=0.5", &s, &e));
  const int spe = 5, epochs = 10;
  for (int64_t k = 0; k < spe * epochs; k++) {
    int epoch = (int) (k / spe);
    double want = 0.1 * pow (0.5, epoch / 3);
    ck_assert_msg (nn_schedule_lr (&s, 0.1, k, spe, epochs) == want, "step %d: %g, want %g", (int) k,
                   nn_schedule_lr (&s, 0.1, k, spe, epochs), want);
  }
  ck_assert_double_eq (nn_schedule_lr (&s, 0.1, 14, spe, epochs), 0.1);
  ck_assert_double_eq (nn_schedule_lr (&s, 0.1, 15, spe, epochs), 0.05);
  ck_assert_double_eq (nn_schedule_lr (&s, 0.1, 49, spe, epochs), 0.1 / 8);
}
END_TEST

START_TEST (test_cosine_formula)
{
  NnScheduleConfig s;
  GError *e = NULL;
  ck_assert (nn_schedule_parse ("cosine:warmup=2,min=0.001", &s, &e));
  const int spe = 4, epochs = 6, warm = 8, total = 24;
  const double base = 0.1, min = 0.001;
  double prev = INFINITY;
  for (int64_t k = 0; k < total; k++) {
    double lr = nn_schedule_lr (&s, base, k, spe, epochs), want;
    if (k < warm)
      want = base * (k + 1) / warm;
    else
      want = min + (base - min) * (1 + cos (G_PI * (k - warm) / (total - warm))) / 2;
    ck_assert_msg (fabs (lr - want) <= 1e-15, "step %d: %.17g, want %.17g", (int) k, lr, want);
    if (k >= warm) {
      ck_assert (lr < prev || k == warm);
      prev = lr;
    }
  }
  /* the warm-up rises linearly to the base, the cosine starts there, halves
   * the distance to min half-way and ends just above min */
  ck_assert_double_eq_tol (nn_schedule_lr (&s, base, 0, spe, epochs), base / 8, 1e-15);
  ck_assert_double_eq_tol (nn_schedule_lr (&s, base, 7, spe, epochs), base, 1e-15);
  ck_assert_double_eq_tol (nn_schedule_lr (&s, base, 8, spe, epochs), base, 1e-15);
  ck_assert_double_eq_tol (nn_schedule_lr (&s, base, 16, spe, epochs), (base + min) / 2, 1e-15);
  double last = nn_schedule_lr (&s, base, total - 1, spe, epochs);
  ck_assert (last > min && last < min + 0.01 * (base - min));
  /* without warm-up the first step has the base lr */
  ck_assert (nn_schedule_parse ("cosine", &s, &e));
  ck_assert_double_eq (nn_schedule_lr (&s, base, 0, spe, epochs), base);
}
END_TEST

/* ReduceLROnPlateau: more than `patience` epochs in a row without a loss
 * below best * (1 - threshold) multiply lr by factor, down to min. */
START_TEST (test_plateau_sequence)
{
  NnScheduleConfig c;
  GError *e = NULL;
  ck_assert (nn_schedule_parse ("plateau:patience=2,factor=0.5,min=0.02", &c, &e));
  NnSchedule s;
  nn_schedule_start (&s, &c, 0.1);
  /* 0.89995 is not below 0.9 * (1 - 1e-4) = 0.89991: no improvement */
  const double loss[] = { 1.0, 0.9, 0.95, 0.89995, 0.91, 0.8, 0.85, 0.85, 0.85, 0.85, 0.85, 0.85, 0.85, 0.85, 0.85 };
  const double want[] = { 0.1, 0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.05, 0.025, 0.025, 0.025, 0.02, 0.02, 0.02, 0.02 };
  const gboolean lowered[] = { 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 1, 0, 0, 0 };
  for (gsize i = 0; i < G_N_ELEMENTS (loss); i++) {
    gboolean changed = nn_schedule_epoch_end (&s, loss[i]);
    ck_assert_msg (s.lr == want[i] && changed == lowered[i], "epoch %d: lr %g (want %g), lowered %d", (int) i + 1,
                   s.lr, want[i], changed);
    ck_assert_double_eq (nn_schedule_step_lr (&s, 1000, 10, 100), s.lr);
  }
  ck_assert_double_eq (s.best, 0.8);
  /* a NaN loss is a bad epoch, not a new best */
  nn_schedule_start (&s, &c, 0.1);
  nn_schedule_epoch_end (&s, 1.0);
  nn_schedule_epoch_end (&s, NAN);
  ck_assert_double_eq (s.best, 1.0);
  ck_assert_int_eq (s.bad_epochs, 1);
  /* the other kinds ignore losses */
  ck_assert (nn_schedule_parse ("step:every=1", &c, &e));
  nn_schedule_start (&s, &c, 0.1);
  ck_assert (!nn_schedule_epoch_end (&s, 5.0) && !nn_schedule_epoch_end (&s, 6.0));
}
END_TEST

static gboolean
record_lr (const NnTrainProgress *p, gpointer data)
{
  if (!p->epoch_done)
    g_array_append_val ((GArray *) data, p->lr);
  return TRUE;
}

static NnModel *
small_model (NnDataset **ds)
{
  GError *e = NULL;
  NnModel *m = nn_model_new_from_spec (
    "{\"input\": [2], \"layers\": [{\"type\": \"dense\", \"units\": 4, \"activation\": \"tanh\"},"
    "{\"type\": \"dense\", \"units\": 2, \"activation\": \"softmax\"}]}", 3, &e);
  NnShape s = nn_shape_1d (2);
  *ds = nn_dataset_new (&s, 10, 1, 0);
  for (int i = 0; i < 10; i++) {
    (*ds)->x[2 * i] = (float) i / 10;
    (*ds)->x[2 * i + 1] = (float) (i % 3) / 3;
    (*ds)->labels[i] = i % 2;
  }
  return m;
}

/* The trainer sets each step's lr from the schedule: 10 samples in batches
 * of 4 are 3 steps an epoch. */
START_TEST (test_trainer_applies_schedule)
{
  NnDataset *ds;
  NnModel *m = small_model (&ds);
  NnTrainConfig c;
  nn_train_config_init (&c);
  c.optim.lr = 0.05f;
  c.epochs = 4;
  c.batch = 4;
  GError *e = NULL;
  ck_assert (nn_schedule_parse ("cosine:warmup=1,min=0.001", &c.schedule, &e));
  GArray *lrs = g_array_new (FALSE, FALSE, sizeof (double));
  c.callback = record_lr;
  c.user_data = lrs;
  ck_assert_msg (nn_train (m, &c, ds, NULL, &e), "%s", e ? e->message : "");
  ck_assert_int_eq (lrs->len, 12);
  for (guint k = 0; k < lrs->len; k++)
    ck_assert_double_eq (g_array_index (lrs, double, k), nn_schedule_lr (&c.schedule, 0.05f, k, 3, 4));
  g_array_set_size (lrs, 0);

  /* plateau with a threshold no training loss meets after the first epoch
   * and no patience: every later epoch halves the lr of the next; the
   * history records each epoch's */
  ck_assert (nn_schedule_parse ("plateau:patience=0,factor=0.5,threshold=0.999", &c.schedule, &e));
  c.history = g_array_new (FALSE, FALSE, sizeof (NnTrainProgress));
  ck_assert_msg (nn_train (m, &c, ds, NULL, &e), "%s", e ? e->message : "");
  const double want[] = { 0.05f, 0.05f, 0.025f, 0.0125f };
  ck_assert_int_eq (c.history->len, 4);
  for (guint i = 0; i < 4; i++) {
    const NnTrainProgress *p = &g_array_index (c.history, NnTrainProgress, i);
    ck_assert_int_eq (p->epoch, i + 1);
    ck_assert_msg (fabs (p->lr - want[i]) < 1e-9, "epoch %u: lr %g, want %g", i + 1, p->lr, want[i]);
    for (int k = 0; k < 3; k++)
      ck_assert_double_eq_tol (g_array_index (lrs, double, i * 3 + k), want[i], 1e-9);
    /* the ETA falls to 0 at the end */
    ck_assert (isfinite (p->eta_s) && p->eta_s >= 0);
  }
  ck_assert_double_eq (g_array_index (c.history, NnTrainProgress, 3).eta_s, 0.0);
  g_array_free (c.history, TRUE);
  g_array_free (lrs, TRUE);
  nn_dataset_free (ds);
  nn_model_free (m);
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("schedule");
  TCase *tc = tcase_create ("schedule");
  tcase_add_test (tc, test_parse);
  tcase_add_test (tc, test_step_formula);
  tcase_add_test (tc, test_cosine_formula);
  tcase_add_test (tc, test_plateau_sequence);
  tcase_add_test (tc, test_trainer_applies_schedule);
  suite_add_tcase (s, tc);
  return nn_check_run (s);
}
