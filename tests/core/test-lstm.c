/* lstm: shapes and options, PyTorch parity (nn.LSTM), finite-difference
 * gradients through time, stateful streaming and truncated BPTT. */
#include "recurrent-check.h"
#include "layers/recurrent-private.h"
#include "../check-run.h"

START_TEST (test_shapes)
{
  NnShape in = nn_shape_2d (7, 3);
  NnLayer *l = nn_test_layer_new ("{\"type\":\"lstm\",\"name\":\"enc\",\"units\":5}", &in, 2);
  NnShape last = nn_shape_1d (5), seq = nn_shape_2d (7, 5);
  ck_assert (nn_shape_equal (&l->out, &last));
  ck_assert_int_eq (l->n_params, 4);
  const char *names[] = { "enc.weight_ih", "enc.weight_hh", "enc.bias_ih", "enc.bias_hh" };
  NnShape shapes[] = { nn_shape_2d (20, 3), nn_shape_2d (20, 5), nn_shape_1d (20), nn_shape_1d (20) };
  for (int i = 0; i < 4; i++) {
    ck_assert_str_eq (l->params[i].name, names[i]);
    ck_assert (nn_shape_equal (&l->params[i].shape, &shapes[i]));
  }
  ck_assert (l->params[0].decay && l->params[1].decay && !l->params[2].decay);
  ck_assert_int_eq (l->klass->flops (l), 2 * 7 * 20 * (3 + 5));
  /* PyTorch's init: U(-1/sqrt(H), 1/sqrt(H)) everywhere, not constant */
  nn_test_uniform_init (l->params[1].data, 100, 1.0f / sqrtf (5.0f));
  nn_layer_free (l);
  l = nn_test_layer_new ("{\"type\":\"lstm\",\"units\":5,\"return_sequences\":true}", &in, 1);
  ck_assert (nn_shape_equal (&l->out, &seq));
  nn_layer_free (l);
}
END_TEST

START_TEST (test_errors)
{
  NnShape in = nn_shape_2d (4, 3), flat = nn_shape_1d (12), img = nn_shape_3d (1, 4, 4);
  g_free (nn_test_layer_error ("{\"type\":\"lstm\",\"name\":\"l1\"}", &in, NN_ERROR_INVALID));
  g_free (nn_test_layer_error ("{\"type\":\"lstm\",\"units\":0}", &in, NN_ERROR_INVALID));
  g_free (nn_test_layer_error ("{\"type\":\"lstm\",\"units\":\"four\"}", &in, NN_ERROR_INVALID));
  g_free (nn_test_layer_error ("{\"type\":\"lstm\",\"name\":\"flat\",\"units\":4}", &flat, NN_ERROR_SHAPE));
  g_free (nn_test_layer_error ("{\"type\":\"lstm\",\"units\":4}", &img, NN_ERROR_SHAPE));
}
END_TEST

START_TEST (test_pytorch)
{
  ck_assert_int_ge (nn_test_fixture_run ("lstm.json", 1e-4), 4);
}
END_TEST

START_TEST (test_gradients)
{
  const char *specs[] = {
    "{\"type\":\"lstm\",\"units\":3}",
    "{\"type\":\"lstm\",\"units\":4,\"return_sequences\":true}",
  };
  for (guint i = 0; i < G_N_ELEMENTS (specs); i++)
    nn_gradcheck (&(NnGradCheck) { .spec = specs[i], .in = nn_shape_2d (5, 3), .n = 2, .seed = i + 1 });
  /* T = 1 would leave weight_hh without gradient (h_0 = 0); T = 2 is the shortest */
  nn_gradcheck (&(NnGradCheck) { .spec = specs[1], .in = nn_shape_2d (2, 2), .n = 3, .seed = 9 });
}
END_TEST

#define SEQ "{\"type\":\"lstm\",\"units\":4,\"return_sequences\":true}"
#define STATEFUL "{\"type\":\"lstm\",\"units\":4,\"return_sequences\":true,\"stateful\":true}"

START_TEST (test_stateful)
{
  /* a sequence in one call equals T calls of one step (the streaming model) */
  rc_check_chunks (SEQ, STATEFUL, nn_shape_2d (6, 3), 1, 3, FALSE);
  rc_check_chunks (SEQ, STATEFUL, nn_shape_2d (6, 3), 2, 3, FALSE);
  rc_check_reset (STATEFUL, nn_shape_2d (3, 3), 2);
  rc_check_reset ("{\"type\":\"lstm\",\"units\":2,\"stateful\":true}", nn_shape_2d (1, 3), 1);
}
END_TEST

START_TEST (test_truncated_bptt)
{
  /* bptt = k: gradients equal backward through separate k-step stateful calls */
  rc_check_chunks (SEQ, STATEFUL, nn_shape_2d (6, 3), 1, 2, TRUE);
  rc_check_chunks (SEQ, STATEFUL, nn_shape_2d (6, 3), 2, 2, TRUE);
  rc_check_chunks (SEQ, STATEFUL, nn_shape_2d (6, 3), 3, 2, TRUE);
  rc_check_chunks (SEQ, STATEFUL, nn_shape_2d (6, 3), 6, 2, TRUE);
}
END_TEST

START_TEST (test_bptt_one_by_hand)
{
  /* bptt = 1 on a sequence of a single step: weight_hh still learns from the
   * initial state, which is zero, so its gradient is exactly zero; with T = 2
   * it gets only the within-step term dg_1^T h_0. */
  NnShape in = nn_shape_2d (2, 2);
  NnLayer *l = nn_test_layer_new (SEQ, &in, 1);
  l->bptt = 1;
  float x[4] = { 0.5f, -0.3f, 0.2f, 0.9f }, y[8], dy[8] = { 0, 0, 0, 0, 1, -1, 0.5f, 2 }, dx[4];
  l->klass->forward (l, x, y, 1, TRUE);
  l->klass->backward (l, x, y, dy, dx, 1);
  /* step 0 gets no gradient: dx of step 0 is zero, only step 1 trains */
  ck_assert (dx[0] == 0.0f && dx[1] == 0.0f);
  ck_assert (fabsf (dx[2]) + fabsf (dx[3]) > 1e-4f);
  /* the step-1 gate gradient: one step of an LSTM from (h_0, c_0) = y[0..3], c */
  NnLayer *one = nn_test_layer_new ("{\"type\":\"lstm\",\"units\":4,\"return_sequences\":true,\"stateful\":true}",
                                    &(NnShape) { 2, { 1, 2 } }, 1);
  rc_copy_params (one, l);
  float y0[4], y1[4];
  one->klass->forward (one, x, y0, 1, TRUE);
  one->klass->forward (one, x + 2, y1, 1, TRUE);
  one->klass->backward (one, x + 2, y1, dy + 4, dx, 1);
  for (int p = 0; p < 4; p++)
    for (int64_t j = 0; j < nn_shape_numel (&l->params[p].shape); j++)
      ck_assert_msg (fabsf (l->params[p].grad[j] - one->params[p].grad[j]) < 1e-6f, "%s[%d]", l->params[p].name, (int) j);
  nn_layer_free (one);
  nn_layer_free (l);
}
END_TEST

/* The cell's own exp (vectorisable) against libm, saturation included. */
START_TEST (test_gate_functions)
{
  double worst = 0.0;
  for (float v = -100.0f; v <= 100.0f; v += 0.01f) {
    float s = nn_gate_sigmoid (v), t = nn_gate_tanh (v);
    ck_assert_msg (isfinite (s) && isfinite (t) && s >= 0.0f && s <= 1.0f && t >= -1.0f && t <= 1.0f, "%g", v);
    worst = MAX (worst, fabs (s - 1.0 / (1.0 + exp (-(double) v))));
    worst = MAX (worst, fabs (t - tanh ((double) v)));
    if (fabsf (v) < 80.0f)
      ck_assert_msg (fabs (nn_gate_exp (v) / exp ((double) v) - 1.0) < 1e-6, "exp (%g)", v);
  }
  ck_assert_msg (worst < 1e-6, "gate functions off by %g", worst);
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("lstm");
  TCase *tc = tcase_create ("core");
  tcase_add_test (tc, test_shapes);
  tcase_add_test (tc, test_errors);
  tcase_add_test (tc, test_pytorch);
  tcase_add_test (tc, test_gradients);
  tcase_add_test (tc, test_stateful);
  tcase_add_test (tc, test_truncated_bptt);
  tcase_add_test (tc, test_bptt_one_by_hand);
  tcase_add_test (tc, test_gate_functions);
  suite_add_tcase (s, tc);
  return nn_check_run (s);
}
