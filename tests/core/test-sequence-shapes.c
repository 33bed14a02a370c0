/* The seed's four recurrent architectures, each a small task learnt through
 * the public API (spec -> nn_train -> accuracy on fresh data): one-to-one,
 * one-to-many, many-to-one, many-to-many. Also stacked recurrent layers
 * (learning, and a model-level finite-difference check through both) and
 * streaming: a stateful T = 1 model fed step by step equals the whole-sequence
 * model with the same weights. */
#include <check.h>
#include <math.h>
#include <string.h>
#include <nn/nn.h>
#include "../check-run.h"

static NnModel *
build (const char *spec)
{
  g_autoptr (GError) err = NULL;
  NnModel *m = nn_model_new_from_spec (spec, 3, &err);
  ck_assert_msg (m != NULL, "%s: %s", spec, err ? err->message : "?");
  return m;
}

static void
train (NnModel *m, const NnDataset *ds, int epochs, float lr)
{
  g_autoptr (GError) err = NULL;
  NnTrainConfig c;
  nn_train_config_init (&c);
  c.loss = nn_model_default_loss (m);
  c.epochs = epochs;
  c.batch = 32;
  c.optim.lr = lr;
  c.seed = 5;
  ck_assert_msg (nn_train (m, &c, ds, NULL, &err), "%s", err ? err->message : "?");
}

static double
label_accuracy (NnModel *m, const NnDataset *ds)
{
  g_autoptr (GError) err = NULL;
  g_autoptr (NnEvalResult) r = nn_evaluate (m, ds, nn_model_default_loss (m), 100, &err);
  ck_assert_msg (r != NULL, "%s", err ? err->message : "?");
  return r->acc;
}

static int
argmax (const float *v, int n)
{
  int k = 0;
  for (int i = 1; i < n; i++)
    k = v[i] > v[k] ? i : k;
  return k;
}

/* Share of steps whose argmax matches the one-hot target, outputs (T, V). */
static double
step_accuracy (NnModel *m, const NnDataset *ds, int t, int v)
{
  g_autoptr (GError) err = NULL;
  int64_t in_el = nn_shape_numel (&ds->sample_shape), good = 0;
  for (int64_t i = 0; i < ds->n; i++) {
    const float *y = nn_model_forward (m, ds->x + i * in_el, 1, FALSE, &err);
    ck_assert_msg (y != NULL, "%s", err ? err->message : "?");
    for (int s = 0; s < t; s++)
      good += argmax (y + s * v, v) == argmax (ds->y + (i * t + s) * v, v);
  }
  return (double) good / (ds->n * t);
}

/* ---- one-to-one: the sign of x0 + x1 from a single step ---------------------------- */

static NnDataset *
sign_data (int64_t n, guint32 seed)
{
  GRand *r = g_rand_new_with_seed (seed);
  NnDataset *ds = nn_dataset_new (&(NnShape) { 2, { 1, 2 } }, n, TRUE, 0);
  for (int64_t i = 0; i < n; i++) {
    float a = g_rand_double_range (r, -1, 1), b = g_rand_double_range (r, -1, 1);
    ds->x[2 * i] = a, ds->x[2 * i + 1] = b;
    ds->labels[i] = a + b > 0;
  }
  ds->n_classes = 2;
  g_rand_free (r);
  return ds;
}

START_TEST (test_one_to_one)
{
  NnModel *m = build ("{\"input\":[1,2],\"layers\":[{\"type\":\"lstm\",\"units\":8},"
                      "{\"type\":\"dense\",\"units\":2,\"activation\":\"softmax\"}]}");
  g_autoptr (NnDataset) tr = sign_data (1000, 1);
  g_autoptr (NnDataset) te = sign_data (500, 2);
  train (m, tr, 30, 0.02f);
  double acc = label_accuracy (m, te);
  ck_assert_msg (acc > 0.95, "one-to-one accuracy %.3f", acc);
  nn_model_free (m);
}
END_TEST

/* ---- one-to-many: a number at step 0, its binary digits (MSB first) out --------- */

#define DIGITS 3

static NnDataset *
digit_data (int64_t n, guint32 seed)
{
  GRand *r = g_rand_new_with_seed (seed);
  NnDataset *ds = nn_dataset_new (&(NnShape) { 2, { DIGITS, 1 } }, n, FALSE, DIGITS * 2);
  for (int64_t i = 0; i < n; i++) {
    int k = g_rand_int_range (r, 0, 1 << DIGITS);
    /* the middle of the k-th interval, jittered: the value is a real number */
    double v = (k + g_rand_double_range (r, 0.2, 0.8)) / (1 << DIGITS);
    ds->x[i * DIGITS] = (float) v;
    for (int t = 0; t < DIGITS; t++)
      ds->y[(i * DIGITS + t) * 2 + ((k >> (DIGITS - 1 - t)) & 1)] = 1.0f;
  }
  g_rand_free (r);
  return ds;
}

START_TEST (test_one_to_many)
{
  NnModel *m = build ("{\"input\":[3,1],\"layers\":[{\"type\":\"lstm\",\"units\":24,\"return_sequences\":true},"
                      "{\"type\":\"time_distributed\",\"layer\":{\"type\":\"dense\",\"units\":2}},"
                      "{\"type\":\"softmax\",\"axis\":-1}]}");
  g_autoptr (NnDataset) tr = digit_data (2000, 3);
  g_autoptr (NnDataset) te = digit_data (400, 4);
  train (m, tr, 30, 0.01f);
  double acc = step_accuracy (m, te, DIGITS, 2);
  ck_assert_msg (acc > 0.9, "one-to-many per-digit accuracy %.3f", acc);
  nn_model_free (m);
}
END_TEST

/* ---- many-to-one: are most of 9 bits ones? ------------------------------------------ */

static NnDataset *
majority_data (int64_t n, guint32 seed)
{
  GRand *r = g_rand_new_with_seed (seed);
  NnDataset *ds = nn_dataset_new (&(NnShape) { 2, { 9, 1 } }, n, TRUE, 0);
  for (int64_t i = 0; i < n; i++) {
    int ones = 0;
    for (int t = 0; t < 9; t++)
      ones += (ds->x[i * 9 + t] = g_rand_boolean (r) ? 1.0f : 0.0f) > 0;
    ds->labels[i] = ones > 4;
  }
  ds->n_classes = 2;
  g_rand_free (r);
  return ds;
}

static void
many_to_one (const char *spec)
{
  NnModel *m = build (spec);
  g_autoptr (NnDataset) tr = majority_data (2000, 5);
  g_autoptr (NnDataset) te = majority_data (500, 6);
  train (m, tr, 20, 0.01f);
  double acc = label_accuracy (m, te);
  ck_assert_msg (acc > 0.92, "%s: many-to-one accuracy %.3f", spec, acc);
  nn_model_free (m);
}

START_TEST (test_many_to_one)
{
  many_to_one ("{\"input\":[9,1],\"layers\":[{\"type\":\"lstm\",\"units\":16},"
               "{\"type\":\"dense\",\"units\":2,\"activation\":\"softmax\"}]}");
  many_to_one ("{\"input\":[9,1],\"layers\":[{\"type\":\"rnn\",\"units\":16},"
               "{\"type\":\"dense\",\"units\":2,\"activation\":\"softmax\"}]}");
}
END_TEST

START_TEST (test_stacked)
{
  many_to_one ("{\"input\":[9,1],\"layers\":[{\"type\":\"lstm\",\"units\":12,\"return_sequences\":true},"
               "{\"type\":\"lstm\",\"units\":12},{\"type\":\"dense\",\"units\":2,\"activation\":\"softmax\"}]}");
}
END_TEST

/* ---- many-to-many: echo each token one step late (tagging) ------------------------ */

static NnDataset *
delay_data (int64_t n, guint32 seed)
{
  GRand *r = g_rand_new_with_seed (seed);
  NnDataset *ds = nn_dataset_new (&(NnShape) { 1, { 8 } }, n, FALSE, 8 * 3);
  for (int64_t i = 0; i < n; i++)
    for (int t = 0; t < 8; t++) {
      int tok = g_rand_int_range (r, 0, 3);
      ds->x[i * 8 + t] = (float) tok;
      /* the output at t is the token at t-1; the first step answers 0 */
      ds->y[(i * 8 + t) * 3 + (t ? (int) ds->x[i * 8 + t - 1] : 0)] = 1.0f;
    }
  g_rand_free (r);
  return ds;
}

START_TEST (test_many_to_many)
{
  NnModel *m = build ("{\"input\":[8],\"layers\":[{\"type\":\"embedding\",\"vocab\":3,\"units\":8},"
                      "{\"type\":\"lstm\",\"units\":16,\"return_sequences\":true},"
                      "{\"type\":\"time_distributed\",\"layer\":{\"type\":\"dense\",\"units\":3}},"
                      "{\"type\":\"softmax\",\"axis\":-1}]}");
  ck_assert_int_eq (nn_model_default_loss (m), NN_LOSS_CCE);
  g_autoptr (NnDataset) tr = delay_data (1500, 7);
  g_autoptr (NnDataset) te = delay_data (300, 8);
  train (m, tr, 15, 0.01f);
  double acc = step_accuracy (m, te, 8, 3);
  ck_assert_msg (acc > 0.97, "many-to-many per-step accuracy %.3f", acc);
  nn_model_free (m);
}
END_TEST

/* ---- stacked: finite differences through embedding, two lstms and a dense ---------- */

static double
model_loss (NnModel *m, const float *x, const float *g, int n, int out_el)
{
  const float *y = nn_model_forward (m, x, n, TRUE, NULL);
  ck_assert (y != NULL);
  double s = 0.0;
  for (int i = 0; i < n * out_el; i++)
    s += (double) y[i] * g[i];
  return s;
}

START_TEST (test_stacked_gradients)
{
  NnModel *m = build ("{\"input\":[5],\"layers\":[{\"type\":\"embedding\",\"vocab\":4,\"units\":3},"
                      "{\"type\":\"lstm\",\"units\":4,\"return_sequences\":true},{\"type\":\"rnn\",\"units\":3,"
                      "\"return_sequences\":true},{\"type\":\"lstm\",\"units\":3},{\"type\":\"dense\",\"units\":2}]}");
  int n = 2, out_el = 2;
  float x[10] = { 0, 3, 1, 1, 2, 3, 0, 2, 1, 3 }, g[4] = { 0.7f, -1.1f, 0.4f, 0.9f };
  model_loss (m, x, g, n, out_el);
  nn_model_zero_grad (m);
  nn_model_backward (m, g, FALSE);
  int np;
  NnParam *ps = nn_model_params (m, &np);
  ck_assert_int_eq (np, 1 + 4 + 4 + 4 + 2);
  const float h = 1e-2f;
  for (int p = 0; p < np; p++) {
    double biggest = 0.0;
    for (int64_t j = 0; j < nn_shape_numel (&ps[p].shape); j++) {
      float keep = ps[p].data[j];
      ps[p].data[j] = keep + h;
      double up = model_loss (m, x, g, n, out_el);
      ps[p].data[j] = keep - h;
      double down = model_loss (m, x, g, n, out_el);
      ps[p].data[j] = keep;
      double num = (up - down) / (2 * h), a = ps[p].grad[j];
      ck_assert_msg (fabs (a - num) <= 1e-2 * MAX (MAX (fabs (a), fabs (num)), 0.1), "%s[%d]: analytic %g, numeric %g",
                     ps[p].name, (int) j, a, num);
      biggest = MAX (biggest, fabs (a));
    }
    ck_assert_msg (biggest > 1e-4, "%s: gradient is all zero", ps[p].name);
  }
  nn_model_free (m);
}
END_TEST

/* ---- streaming: stateful T = 1 calls equal one whole-sequence call ----------------- */

START_TEST (test_streaming)
{
  const char *whole = "{\"input\":[6,3],\"layers\":[{\"type\":\"lstm\",\"name\":\"l1\",\"units\":5,"
                      "\"return_sequences\":true},{\"type\":\"lstm\",\"name\":\"l2\",\"units\":4,\"return_sequences\":true},"
                      "{\"type\":\"time_distributed\",\"name\":\"head\",\"layer\":{\"type\":\"dense\",\"units\":3}},"
                      "{\"type\":\"softmax\",\"axis\":-1}]}";
  const char *step = "{\"input\":[1,3],\"layers\":[{\"type\":\"lstm\",\"name\":\"l1\",\"units\":5,"
                     "\"return_sequences\":true,\"stateful\":true},{\"type\":\"lstm\",\"name\":\"l2\",\"units\":4,"
                     "\"return_sequences\":true,\"stateful\":true},"
                     "{\"type\":\"time_distributed\",\"name\":\"head\",\"layer\":{\"type\":\"dense\",\"units\":3}},"
                     "{\"type\":\"softmax\",\"axis\":-1}]}";
  NnModel *a = nn_model_new_from_spec (whole, 11, NULL), *b = nn_model_new_from_spec (step, 12, NULL);
  ck_assert (a && b);
  int na, nb;
  NnParam *pa = nn_model_params (a, &na), *pb = nn_model_params (b, &nb);
  ck_assert_int_eq (na, nb);
  for (int i = 0; i < na; i++) {
    ck_assert_str_eq (pa[i].name, pb[i].name);
    memcpy (pb[i].data, pa[i].data, sizeof (float) * nn_shape_numel (&pa[i].shape));
  }
  int n = 2;
  float x[2 * 6 * 3], xs[2 * 3], ya[2 * 6 * 3];
  for (int i = 0; i < 36; i++)
    x[i] = sinf (i * 0.9f);
  memcpy (ya, nn_model_forward (a, x, n, FALSE, NULL), sizeof ya);
  for (int round = 0; round < 2; round++) {
    nn_model_reset_state (b);
    for (int t = 0; t < 6; t++) {
      for (int i = 0; i < n; i++)
        memcpy (xs + i * 3, x + (i * 6 + t) * 3, sizeof (float) * 3);
      const float *yb = nn_model_forward (b, xs, n, FALSE, NULL);
      for (int i = 0; i < n; i++)
        for (int k = 0; k < 3; k++)
          ck_assert_msg (fabsf (yb[i * 3 + k] - ya[(i * 6 + t) * 3 + k]) < 1e-5f, "round %d step %d sample %d", round,
                         t, i);
    }
  }
  /* without a reset the state carries on, and the first step differs */
  const float *yb = nn_model_forward (b, x, 1, FALSE, NULL);
  ck_assert (fabsf (yb[0] - ya[0]) > 1e-6f || fabsf (yb[1] - ya[1]) > 1e-6f);
  nn_model_free (a);
  nn_model_free (b);
}
END_TEST

int
main (void)
{
  nn_set_threads (1);
  Suite *s = suite_create ("sequence-shapes");
  TCase *tc = tcase_create ("core");
  tcase_set_timeout (tc, 120);
  tcase_add_test (tc, test_one_to_one);
  tcase_add_test (tc, test_one_to_many);
  tcase_add_test (tc, test_many_to_one);
  tcase_add_test (tc, test_stacked);
  tcase_add_test (tc, test_many_to_many);
  tcase_add_test (tc, test_stacked_gradients);
  tcase_add_test (tc, test_streaming);
  suite_add_tcase (s, tc);
  return nn_check_run (s);
}
