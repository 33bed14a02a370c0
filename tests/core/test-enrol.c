/* Enrolment: nn_model_add_labels widens a classifier head (dense, or a 1x1
 * conv2d class map) without changing the old classes' logits, nn_model_freeze
 * keeps frozen layers bit for bit through training, and what cannot be done
 * is an error saying why. */
#include <check.h>
#include "nn-private.h"
#include "../check-run.h"

static const char *mlp = "{\"input\": [3], \"labels\": [\"a\", \"b\", \"c\"], \"layers\": ["
                         "{\"name\": \"fc\", \"type\": \"dense\", \"units\": 5, \"activation\": \"relu\"},"
                         "{\"name\": \"drop\", \"type\": \"dropout\", \"rate\": 0.1},"
                         "{\"name\": \"out\", \"type\": \"dense\", \"units\": 3}]}";

static const char *fcn = "{\"input\": [2, 6, 6], \"labels\": [\"a\", \"b\"], \"layers\": ["
                         "{\"name\": \"c1\", \"type\": \"conv2d\", \"filters\": 4, \"kernel\": 3, \"activation\": \"relu\"},"
                         "{\"name\": \"head\", \"type\": \"conv2d\", \"filters\": 2, \"kernel\": 1},"
                         "{\"name\": \"softmax\", \"type\": \"softmax\"}]}";

static NnModel *
widen (NnModel *m, const char *labels)
{
  g_auto (GStrv) l = g_strsplit (labels, ",", -1);
  GError *e = NULL;
  NnModel *w = nn_model_add_labels (m, (const char *const *) l, 5, &e);
  ck_assert_msg (w, "%s", e ? e->message : "");
  return w;
}

START_TEST (test_dense_head_keeps_old_logits)
{
  g_autoptr (NnModel) m = nn_model_new_from_spec (mlp, 3, NULL);
  g_autoptr (NnModel) w = widen (m, "d,e");
  ck_assert_int_eq (nn_model_n_labels (w), 5);
  ck_assert_str_eq (nn_model_label (w, 2), "c");
  ck_assert_str_eq (nn_model_label (w, 3), "d");
  ck_assert_str_eq (nn_model_label (w, 4), "e");
  ck_assert_int_eq (nn_model_output_shape (w)->dim[0], 5);
  const float x[] = { 0.3f, -1.2f, 2.0f, 1.0f, 0.5f, -0.25f };
  float old[6];
  memcpy (old, nn_model_forward (m, x, 2, FALSE, NULL), sizeof old);
  const float *y = nn_model_forward (w, x, 2, FALSE, NULL);
  for (int r = 0; r < 2; r++)
    for (int k = 0; k < 3; k++)
      ck_assert_msg (y[r * 5 + k] == old[r * 3 + k], "row %d class %d: %g, was %g", r, k, y[r * 5 + k], old[r * 3 + k]);
  /* the new rows are not left at zero: the new classes can be learnt */
  int np;
  NnParam *p = nn_model_params (w, &np);
  ck_assert_str_eq (p[2].name, "out.weight");
  ck_assert_int_eq (p[2].shape.dim[0], 5);
  double sum = 0;
  for (int i = 3 * 5; i < 5 * 5; i++)
    sum += fabsf (p[2].data[i]);
  ck_assert (sum > 0.0);
}
END_TEST

/* A class map: the softmax over classes at every cell changes, so compare
 * the logits (the head's output) and check the softmax's new normalisation. */
START_TEST (test_class_map_head_keeps_old_logits)
{
  g_autoptr (NnModel) m = nn_model_new_from_spec (fcn, 4, NULL);
  g_autoptr (NnModel) w = widen (m, "z");
  ck_assert_int_eq (nn_model_output_shape (w)->dim[0], 3);
  nn_model_set_fusion (m, FALSE);
  nn_model_set_fusion (w, FALSE);
  float x[2 * 36];
  for (int i = 0; i < 72; i++)
    x[i] = sinf (0.7f * i);
  ck_assert (nn_model_forward (m, x, 1, FALSE, NULL));
  NnShape s_old, s_new;
  float old[2 * 16];
  memcpy (old, nn_model_layer_output (m, "head", &s_old), sizeof old);
  ck_assert (nn_model_forward (w, x, 1, FALSE, NULL));
  const float *y = nn_model_layer_output (w, "head", &s_new);
  ck_assert_int_eq (s_new.dim[0], 3);
  ck_assert_int_eq (s_old.dim[0], 2);
  for (int i = 0; i < 2 * 16; i++)
    ck_assert_msg (y[i] == old[i], "logit %d: %g, was %g", i, y[i], old[i]);
}
END_TEST

START_TEST (test_add_labels_errors)
{
  g_autoptr (NnModel) m = nn_model_new_from_spec (mlp, 3, NULL);
  struct { const char *labels, *says; } bad[] = {
    { "b", "cannot add label \"b\": the model has it already" },
    { "d,d", "cannot add label \"d\" twice" },
    { "../x", "../x" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++) {
    g_auto (GStrv) l = g_strsplit (bad[i].labels, ",", -1);
    GError *e = NULL;
    ck_assert (nn_model_add_labels (m, (const char *const *) l, 1, &e) == NULL);
    ck_assert_msg (e && strstr (e->message, bad[i].says), "%s: %s", bad[i].labels, e ? e->message : "no error");
    g_error_free (e);
  }
  const char *none[] = { NULL }, *one[] = { "n", NULL };
  GError *e = NULL;
  ck_assert (nn_model_add_labels (m, none, 1, &e) == NULL);
  ck_assert_str_eq (e->message, "cannot add labels: no label given");
  g_clear_error (&e);

  /* the last layer with weights is not a classifier head that can grow */
  g_autoptr (NnModel) bn = nn_model_new_from_spec (
    "{\"input\": [1, 4, 4], \"labels\": [\"a\"], \"layers\": ["
    "{\"name\": \"c\", \"type\": \"conv2d\", \"filters\": 1, \"kernel\": 1},"
    "{\"name\": \"bn\", \"type\": \"batchnorm2d\"}]}", 1, &e);
  ck_assert_msg (bn, "%s", e ? e->message : "");
  ck_assert (nn_model_add_labels (bn, one, 1, &e) == NULL);
  ck_assert_msg (strstr (e->message, "\"bn\", is a batchnorm2d"), "%s", e->message);
  g_clear_error (&e);

  /* a layer after the head that changes the shape */
  g_autoptr (NnModel) pool = nn_model_new_from_spec (
    "{\"input\": [1, 4, 4], \"labels\": [\"a\", \"b\"], \"layers\": ["
    "{\"name\": \"head\", \"type\": \"conv2d\", \"filters\": 2, \"kernel\": 1},"
    "{\"name\": \"p\", \"type\": \"maxpool2d\", \"size\": 2}]}", 1, &e);
  ck_assert_msg (pool, "%s", e ? e->message : "");
  ck_assert (nn_model_add_labels (pool, one, 1, &e) == NULL);
  ck_assert_msg (strstr (e->message, "layer \"p\" (maxpool2d) after the classifier"), "%s", e->message);
  g_clear_error (&e);

  /* no labels to extend */
  g_autoptr (NnModel) unl = nn_model_new_from_spec (
    "{\"input\": [3], \"layers\": [{\"name\": \"o\", \"type\": \"dense\", \"units\": 2}]}", 1, &e);
  ck_assert_msg (unl, "%s", e ? e->message : "");
  ck_assert (nn_model_add_labels (unl, one, 1, &e) == NULL);
  ck_assert_str_eq (e->message, "cannot add labels: the model has no labels to extend");
  g_clear_error (&e);
}
END_TEST

/* `epochs` of Adam on ds, batches of 8, cross-entropy. */
static void
train_adam (NnModel *m, NnDataset *ds, int epochs)
{
  GError *e = NULL;
  NnTrainConfig c;
  nn_train_config_init (&c);
  nn_optim_config_init (&c.optim, NN_OPT_ADAM);
  c.loss = NN_LOSS_CCE;
  c.epochs = epochs;
  c.batch = 8;
  ck_assert_msg (nn_train (m, &c, ds, NULL, &e), "%s", e ? e->message : "");
}

/* One Adam step on a batch: the frozen layer's tensors stay bit for bit, the
 * others move. */
START_TEST (test_freeze_leaves_params_bit_identical)
{
  g_autoptr (NnModel) m = nn_model_new_from_spec (mlp, 3, NULL);
  GError *e = NULL;
  const char *frozen[] = { "fc", NULL };
  ck_assert_msg (nn_model_freeze (m, frozen, &e), "%s", e ? e->message : "");
  int np;
  NnParam *p = nn_model_params (m, &np);
  ck_assert_int_eq (np, 4);
  float *before[4];
  for (int i = 0; i < np; i++)
    before[i] = g_memdup2 (p[i].data, sizeof (float) * nn_shape_numel (&p[i].shape));
  ck_assert_int_eq (nn_model_n_trainable (m), 5 * 3 + 3);

  NnShape shape = nn_shape_1d (3);
  g_autoptr (NnDataset) ds = nn_dataset_new (&shape, 8, 1, 0);
  ds->n_classes = 3;
  for (int i = 0; i < 8 * 3; i++)
    ds->x[i] = cosf (1.3f * i);
  for (int i = 0; i < 8; i++)
    ds->labels[i] = i % 3;
  train_adam (m, ds, 1);
  for (int i = 0; i < np; i++) {
    gboolean same = memcmp (before[i], p[i].data, sizeof (float) * nn_shape_numel (&p[i].shape)) == 0;
    gboolean is_frozen = g_str_has_prefix (p[i].name, "fc.");
    ck_assert_msg (same == is_frozen, "%s %s", p[i].name, same ? "did not move" : "moved");
    g_free (before[i]);
  }

  const char *unknown[] = { "nope", NULL }, *empty[] = { "drop", NULL };
  ck_assert (!nn_model_freeze (m, unknown, &e));
  ck_assert_str_eq (e->message, "cannot freeze \"nope\": the model has no such layer");
  g_clear_error (&e);
  ck_assert (!nn_model_freeze (m, empty, &e));
  ck_assert_str_eq (e->message, "cannot freeze \"drop\": the layer has no weights");
  g_clear_error (&e);
}
END_TEST

/* A frozen batchnorm2d keeps its running statistics through training and
 * normalises with them, so the frozen layers' outputs are what they were at
 * inference; an unfrozen one moves them. */
/* Below the first trainable layer the backward does nothing: a model whose
 * first layers are frozen gets the same gradients for its trainable tensors,
 * bit for bit, as without the freeze, and its frozen tensors' gradient
 * buffers are never written. */
START_TEST (test_frozen_prefix_backward)
{
  const char *spec = "{\"input\": [2, 6, 6], \"labels\": [\"a\", \"b\", \"c\"], \"layers\": ["
                     "{\"name\": \"c1\", \"type\": \"conv2d\", \"filters\": 3, \"kernel\": 3},"
                     "{\"name\": \"r1\", \"type\": \"relu\"},"
                     "{\"name\": \"c2\", \"type\": \"conv2d\", \"filters\": 4, \"kernel\": 3},"
                     "{\"name\": \"f\", \"type\": \"flatten\"},"
                     "{\"name\": \"o\", \"type\": \"dense\", \"units\": 3}]}";
  float x[4 * 72], dout[4 * 3];
  for (int i = 0; i < 4 * 72; i++)
    x[i] = sinf (0.37f * i);
  for (int i = 0; i < 4 * 3; i++)
    dout[i] = cosf (1.1f * i);
  float *grads[2][8] = { { 0 } };
  int np = 0;
  for (int frozen = 0; frozen < 2; frozen++) {
    GError *e = NULL;
    g_autoptr (NnModel) m = nn_model_new_from_spec (spec, 7, &e);
    ck_assert_msg (m, "%s", e ? e->message : "");
    ck_assert (nn_model_reserve (m, 4, &e));
    const char *names[] = { "c1", NULL };
    if (frozen)
      ck_assert_msg (nn_model_freeze (m, names, &e), "%s", e ? e->message : "");
    NnParam *p = nn_model_params (m, &np);
    ck_assert_int_le (np, 8);
    nn_model_zero_grad (m);
    for (int i = 0; i < np; i++)
      if (p[i].grad)
        for (int64_t k = 0; k < nn_shape_numel (&p[i].shape); k++)
          p[i].grad[k] = 1234.0f;   /* a backward that reaches the layer adds to it */
    ck_assert (nn_model_forward (m, x, 4, TRUE, &e));
    nn_model_backward (m, dout, FALSE);
    for (int i = 0; i < np; i++)
      grads[frozen][i] = p[i].grad ? g_memdup2 (p[i].grad, sizeof (float) * nn_shape_numel (&p[i].shape)) : NULL;
    for (int i = 0; frozen && i < np; i++) {
      gboolean is_frozen = g_str_has_prefix (p[i].name, "c1.");
      if (!p[i].grad)
        continue;
      if (is_frozen)
        ck_assert_msg (p[i].grad[0] == 1234.0f, "%s: a frozen layer's gradient was computed", p[i].name);
      else
        ck_assert_msg (memcmp (grads[0][i], grads[1][i], sizeof (float) * nn_shape_numel (&p[i].shape)) == 0,
                       "%s: not the gradient of the unfrozen model", p[i].name);
    }
  }
  for (int f = 0; f < 2; f++)
    for (int i = 0; i < np; i++)
      g_free (grads[f][i]);
}
END_TEST

START_TEST (test_freeze_batchnorm_keeps_statistics)
{
  const char *spec = "{\"input\": [2, 4, 4], \"labels\": [\"a\", \"b\"], \"layers\": ["
                     "{\"name\": \"c\", \"type\": \"conv2d\", \"filters\": 3, \"kernel\": 3, \"padding\": \"same\"},"
                     "{\"name\": \"bn\", \"type\": \"batchnorm2d\"}, {\"name\": \"r\", \"type\": \"relu\"},"
                     "{\"name\": \"g\", \"type\": \"global_avgpool\"},"
                     "{\"name\": \"o\", \"type\": \"dense\", \"units\": 2, \"activation\": \"softmax\"}]}";
  NnShape shape = nn_shape_3d (2, 4, 4);
  g_autoptr (NnDataset) ds = nn_dataset_new (&shape, 16, 1, 0);
  ds->n_classes = 2;
  for (int i = 0; i < 16 * 32; i++)
    ds->x[i] = 3.0f + 2.0f * cosf (0.7f * i);   /* far from the initial statistics (0, 1) */
  for (int i = 0; i < 16; i++)
    ds->labels[i] = i % 2;
  for (int frozen = 0; frozen < 2; frozen++) {
    GError *e = NULL;
    g_autoptr (NnModel) m = nn_model_new_from_spec (spec, 5, &e);
    ck_assert_msg (m, "%s", e ? e->message : "");
    const char *names[] = { "bn", "c", NULL };
    if (frozen)
      ck_assert_msg (nn_model_freeze (m, names, &e), "%s", e ? e->message : "");
    int np;
    NnParam *p = nn_model_params (m, &np);
    float before[4][3];
    int k = 0;
    for (int i = 0; i < np; i++)
      if (g_str_has_prefix (p[i].name, "bn."))
        memcpy (before[k++], p[i].data, sizeof before[0]);
    ck_assert_int_eq (k, 4);
    /* what the frozen part gives at inference, before training */
    float out0[2 * 2], out1[2 * 2];
    g_autofree float *x2 = g_memdup2 (ds->x, sizeof (float) * 2 * 32);
    const float *y = nn_model_forward (m, x2, 2, FALSE, &e);
    ck_assert_msg (y, "%s", e ? e->message : "");
    memcpy (out0, y, sizeof out0);
    train_adam (m, ds, 2);
    k = 0;
    for (int i = 0; i < np; i++)
      if (g_str_has_prefix (p[i].name, "bn.")) {
        gboolean same = memcmp (before[k++], p[i].data, sizeof before[0]) == 0;
        ck_assert_msg (same == frozen, "%s %s (frozen %d)", p[i].name, same ? "did not move" : "moved", frozen);
      }
    y = nn_model_forward (m, x2, 2, FALSE, &e);
    ck_assert_msg (y, "%s", e ? e->message : "");
    memcpy (out1, y, sizeof out1);
    ck_assert_msg (memcmp (out0, out1, sizeof out0) != 0, "the head did not learn");
  }
}
END_TEST

START_TEST (test_dataset_concat)
{
  NnShape shape = nn_shape_1d (2);
  g_autoptr (NnDataset) a = nn_dataset_new (&shape, 2, 1, 0), b = nn_dataset_new (&shape, 1, 1, 0);
  a->n_classes = 2;
  b->n_classes = 3;
  a->x[0] = 1, a->x[3] = 4, b->x[1] = 7;
  a->labels[1] = 1, b->labels[0] = 2;
  GError *e = NULL;
  g_autoptr (NnDataset) ab = nn_dataset_concat (a, b, &e);
  ck_assert_msg (ab, "%s", e ? e->message : "");
  ck_assert_int_eq (ab->n, 3);
  ck_assert_int_eq (ab->n_classes, 3);
  ck_assert (ab->x[0] == 1 && ab->x[3] == 4 && ab->x[5] == 7);
  ck_assert (ab->labels[0] == 0 && ab->labels[1] == 1 && ab->labels[2] == 2);
  NnShape other = nn_shape_1d (3);
  g_autoptr (NnDataset) c = nn_dataset_new (&other, 1, 1, 0);
  ck_assert (nn_dataset_concat (a, c, &e) == NULL);
  ck_assert (g_error_matches (e, NN_ERROR, NN_ERROR_SHAPE));
  g_clear_error (&e);
}
END_TEST

/* A small rehearsal set: at most N rows of each class, rows of the data in
 * its order, the same for the same seed and another for another seed. */
START_TEST (test_dataset_per_class)
{
  NnShape shape = nn_shape_1d (1);
  g_autoptr (NnDataset) ds = nn_dataset_new (&shape, 60, 1, 0);
  ds->n_classes = 3;
  for (int i = 0; i < 60; i++) {
    ds->x[i] = (float) i;                  /* a row's value is its index */
    ds->labels[i] = i < 40 ? i % 2 : 2;    /* 20, 20 and 20 rows; class 2 is the last 20 */
  }
  GError *e = NULL;
  g_autoptr (NnDataset) a = nn_dataset_per_class (ds, 5, 7, &e), b = nn_dataset_per_class (ds, 5, 7, &e);
  g_autoptr (NnDataset) c = nn_dataset_per_class (ds, 5, 8, &e), all = nn_dataset_per_class (ds, 100, 7, &e);
  ck_assert_msg (a && b && c && all, "%s", e ? e->message : "");
  ck_assert_int_eq (a->n, 15);
  ck_assert_int_eq (all->n, 60);
  ck_assert_int_eq (a->n_classes, 3);
  int count[3] = { 0 };
  for (int64_t i = 0; i < a->n; i++) {
    int row = (int) a->x[i];
    ck_assert_int_eq (a->labels[i], ds->labels[row]);
    ck_assert (i == 0 || a->x[i] > a->x[i - 1]);   /* the data's order */
    count[a->labels[i]]++;
  }
  ck_assert (count[0] == 5 && count[1] == 5 && count[2] == 5);
  ck_assert (memcmp (a->x, b->x, sizeof (float) * 15) == 0);
  ck_assert_msg (memcmp (a->x, c->x, sizeof (float) * 15) != 0, "seeds 7 and 8 chose the same rows");
  /* not simply the first rows of each class */
  ck_assert (!(a->x[9] == 9.0f && a->x[14] == 44.0f));
  ck_assert (nn_dataset_per_class (ds, 0, 7, &e) == NULL);
  ck_assert_str_eq (e->message, "cannot keep 0 examples per class: at least 1");
  g_clear_error (&e);
  g_autoptr (NnDataset) reg = nn_dataset_new (&shape, 4, 0, 1);
  ck_assert (nn_dataset_per_class (reg, 2, 7, &e) == NULL);
  ck_assert (g_error_matches (e, NN_ERROR, NN_ERROR_INVALID));
  g_clear_error (&e);
}
END_TEST

static Suite *
suite (void)
{
  Suite *s = suite_create ("enrol");
  TCase *tc = tcase_create ("enrol");
  tcase_add_test (tc, test_dense_head_keeps_old_logits);
  tcase_add_test (tc, test_class_map_head_keeps_old_logits);
  tcase_add_test (tc, test_add_labels_errors);
  tcase_add_test (tc, test_freeze_leaves_params_bit_identical);
  tcase_add_test (tc, test_freeze_batchnorm_keeps_statistics);
  tcase_add_test (tc, test_frozen_prefix_backward);
  tcase_add_test (tc, test_dataset_concat);
  tcase_add_test (tc, test_dataset_per_class);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  return nn_check_run (suite ());
}
