/* embedding: shapes and options, PyTorch parity (nn.Embedding), index
 * clamping, and the scatter-add gradient (finite differences in the weight). */
#include "gradcheck.h"
#include "../check-run.h"

START_TEST (test_shapes)
{
  NnShape in = nn_shape_1d (7), out = nn_shape_2d (7, 3), ws = nn_shape_2d (10, 3);
  NnLayer *l = nn_test_layer_new ("{\"type\":\"embedding\",\"name\":\"emb\",\"vocab\":10,\"units\":3}", &in, 1);
  ck_assert (nn_shape_equal (&l->out, &out));
  ck_assert_int_eq (l->n_params, 1);
  ck_assert_str_eq (l->params[0].name, "emb.weight");
  ck_assert (nn_shape_equal (&l->params[0].shape, &ws));
  /* N(0, 1): some values beyond 1 in magnitude, mean near 0 */
  double sum = 0, big = 0;
  for (int i = 0; i < 30; i++) {
    sum += l->params[0].data[i];
    big = MAX (big, fabs (l->params[0].data[i]));
  }
  ck_assert (big > 1.0 && fabs (sum / 30) < 0.8);
  nn_layer_free (l);
}
END_TEST

START_TEST (test_errors)
{
  NnShape in = nn_shape_1d (5), seq = nn_shape_2d (5, 2);
  g_free (nn_test_layer_error ("{\"type\":\"embedding\",\"name\":\"e\",\"units\":3}", &in, NN_ERROR_INVALID));
  g_free (nn_test_layer_error ("{\"type\":\"embedding\",\"vocab\":4}", &in, NN_ERROR_INVALID));
  g_free (nn_test_layer_error ("{\"type\":\"embedding\",\"vocab\":0,\"units\":3}", &in, NN_ERROR_INVALID));
  g_free (nn_test_layer_error ("{\"type\":\"embedding\",\"vocab\":4,\"units\":3}", &seq, NN_ERROR_SHAPE));
}
END_TEST

START_TEST (test_pytorch)
{
  ck_assert_int_ge (nn_test_fixture_run ("embedding.json", 1e-6), 2);
}
END_TEST

START_TEST (test_clamp)
{
  /* called without the model's check, out-of-range (even beyond int64),
   * fractional and NaN indices read valid rows, never outside */
  NnShape in = nn_shape_1d (8);
  NnLayer *l = nn_test_layer_new ("{\"type\":\"embedding\",\"vocab\":3,\"units\":2}", &in, 1);
  float x[8] = { -4.0f, 7.0f, 1.2f, 1.6f, NAN, 1e30f, INFINITY, -1e30f }, y[16];
  l->klass->forward (l, x, y, 1, FALSE);
  const float *w = l->params[0].data;
  int rows[8] = { 0, 2, 1, 2, 0, 2, 2, 0 };
  for (int i = 0; i < 8; i++)
    for (int j = 0; j < 2; j++)
      ck_assert_float_eq (y[i * 2 + j], w[rows[i] * 2 + j]);
  nn_layer_free (l);
}
END_TEST

/* Indices outside the table are errors of the model's forward (PyTorch:
 * IndexError), decided on the float before any integer conversion: 1e30,
 * inf, NaN, -1 and vocab itself are refused with a message naming the layer
 * and the index; the largest index and a rounding one pass. */
START_TEST (test_index_range)
{
  g_autoptr (GError) e = NULL;
  g_autoptr (NnModel) m = nn_model_new_from_spec ("{\"input\":[3],\"layers\":[{\"name\":\"emb\","
                                                  "\"type\":\"embedding\",\"vocab\":5,\"units\":2}]}", 1, &e);
  ck_assert_msg (m != NULL, "%s", e ? e->message : "");
  const float good[3] = { 0.0f, 4.0f, 3.6f };
  ck_assert_msg (nn_model_forward (m, good, 1, FALSE, &e) != NULL, "%s", e ? e->message : "");
  const float bad[][2] = { { 1e30f, 0 }, { -1.0f, 0 }, { NAN, 0 }, { INFINITY, 0 }, { -INFINITY, 0 },
                           { 5.0f, 0 }, { 4.5f, 0 }, { 9.3e18f, 0 }, { -1e30f, 0 } };
  const char *shown[] = { "1e+30", "-1", "nan", "inf", "-inf", "5", "4.5", "9.3e+18", "-1e+30" };
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++) {
    /* the bad index in the second sample, at position 2 */
    float x[6] = { 1, 2, 3, 0, 1, bad[i][0] };
    g_clear_error (&e);
    ck_assert_msg (nn_model_forward (m, x, 2, i % 2 == 0, &e) == NULL, "index %s accepted", shown[i]);
    ck_assert (g_error_matches (e, NN_ERROR, NN_ERROR_INVALID));
    ck_assert_msg (strstr (e->message, "\"emb\"") && strstr (e->message, shown[i]) &&
                   strstr (e->message, "sample 1, position 2") && strstr (e->message, "0..4"), "%s", e->message);
  }
  /* the model is usable after a refused batch */
  g_clear_error (&e);
  const float *y = nn_model_forward (m, good, 1, FALSE, &e);
  ck_assert_msg (y != NULL, "%s", e ? e->message : "");
}
END_TEST

/* L = sum (y * g) is linear in the weight: its gradient is exactly the
 * scatter-add of g, which central differences reproduce. */
START_TEST (test_gradient)
{
  NnShape in = nn_shape_1d (6);
  NnLayer *l = nn_test_layer_new ("{\"type\":\"embedding\",\"vocab\":4,\"units\":3}", &in, 2);
  float x[12] = { 0, 1, 1, 3, 0, 0, 2, 2, 2, 1, 3, 0 }, y[36], g[36], dx[12];
  for (int i = 0; i < 36; i++)
    g[i] = sinf (i * 0.7f);
  l->klass->forward (l, x, y, 2, TRUE);
  l->klass->backward (l, x, y, g, dx, 2);
  for (int i = 0; i < 12; i++)
    ck_assert_float_eq (dx[i], 0.0f);
  float *w = l->params[0].data;
  for (int k = 0; k < 12; k++) {
    float keep = w[k];
    double loss[2];
    for (int s = 0; s < 2; s++) {
      w[k] = keep + (s ? -0.5f : 0.5f);
      l->klass->forward (l, x, y, 2, TRUE);
      loss[s] = 0;
      for (int i = 0; i < 36; i++)
        loss[s] += (double) y[i] * g[i];
    }
    w[k] = keep;
    ck_assert_msg (fabs ((loss[0] - loss[1]) - l->params[0].grad[k]) < 1e-4, "weight[%d]", k);
  }
  nn_layer_free (l);
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("embedding");
  TCase *tc = tcase_create ("core");
  tcase_add_test (tc, test_shapes);
  tcase_add_test (tc, test_errors);
  tcase_add_test (tc, test_pytorch);
  tcase_add_test (tc, test_clamp);
  tcase_add_test (tc, test_index_range);
  tcase_add_test (tc, test_gradient);
  suite_add_tcase (s, tc);
  return nn_check_run (s);
}
