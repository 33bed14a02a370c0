/* rnn: the seed's simple recurrent cell. Shapes and options, PyTorch parity
 * (nn.RNN, tanh and relu), finite-difference gradients through time,
 * stateful streaming and truncated BPTT. */
#include "recurrent-check.h"
#include "../check-run.h"

START_TEST (test_shapes)
{
  NnShape in = nn_shape_2d (6, 3);
  NnLayer *l = nn_test_layer_new ("{\"type\":\"rnn\",\"name\":\"r\",\"units\":4}", &in, 2);
  NnShape last = nn_shape_1d (4), seq = nn_shape_2d (6, 4);
  ck_assert (nn_shape_equal (&l->out, &last));
  const char *names[] = { "r.weight_ih", "r.weight_hh", "r.bias_ih", "r.bias_hh" };
  NnShape shapes[] = { nn_shape_2d (4, 3), nn_shape_2d (4, 4), nn_shape_1d (4), nn_shape_1d (4) };
  ck_assert_int_eq (l->n_params, 4);
  for (int i = 0; i < 4; i++) {
    ck_assert_str_eq (l->params[i].name, names[i]);
    ck_assert (nn_shape_equal (&l->params[i].shape, &shapes[i]));
  }
  ck_assert_int_eq (l->klass->flops (l), 2 * 6 * 4 * (3 + 4));
  float bound = 0.5f;
  for (int i = 0; i < 16; i++)
    ck_assert (fabsf (l->params[1].data[i]) <= bound);
  nn_layer_free (l);
  l = nn_test_layer_new ("{\"type\":\"rnn\",\"units\":4,\"return_sequences\":true,\"nonlinearity\":\"relu\"}", &in, 1);
  ck_assert (nn_shape_equal (&l->out, &seq));
  nn_layer_free (l);
}
END_TEST

START_TEST (test_errors)
{
  NnShape in = nn_shape_2d (4, 3), flat = nn_shape_1d (12);
  g_free (nn_test_layer_error ("{\"type\":\"rnn\",\"name\":\"r1\"}", &in, NN_ERROR_INVALID));
  g_free (nn_test_layer_error ("{\"type\":\"rnn\",\"units\":-2}", &in, NN_ERROR_INVALID));
  g_free (nn_test_layer_error ("{\"type\":\"rnn\",\"name\":\"r2\",\"units\":2,\"nonlinearity\":\"gelu\"}", &in,
                               NN_ERROR_INVALID));
  g_free (nn_test_layer_error ("{\"type\":\"rnn\",\"units\":4}", &flat, NN_ERROR_SHAPE));
}
END_TEST

START_TEST (test_pytorch)
{
  ck_assert_int_ge (nn_test_fixture_run ("rnn.json", 1e-4), 4);
}
END_TEST

START_TEST (test_gradients)
{
  const char *specs[] = {
    "{\"type\":\"rnn\",\"units\":3}",
    "{\"type\":\"rnn\",\"units\":4,\"return_sequences\":true}",
    "{\"type\":\"rnn\",\"units\":3,\"return_sequences\":true,\"nonlinearity\":\"relu\"}",
  };
  for (guint i = 0; i < G_N_ELEMENTS (specs); i++)
    nn_gradcheck (&(NnGradCheck) { .spec = specs[i], .in = nn_shape_2d (5, 3), .n = 2, .seed = i + 1 });
}
END_TEST

#define SEQ "{\"type\":\"rnn\",\"units\":4,\"return_sequences\":true}"
#define STATEFUL "{\"type\":\"rnn\",\"units\":4,\"return_sequences\":true,\"stateful\":true}"

START_TEST (test_stateful)
{
  rc_check_chunks (SEQ, STATEFUL, nn_shape_2d (5, 3), 1, 3, FALSE);
  rc_check_reset (STATEFUL, nn_shape_2d (3, 3), 2);
  rc_check_reset ("{\"type\":\"rnn\",\"units\":2,\"stateful\":true}", nn_shape_2d (1, 2), 1);
}
END_TEST

START_TEST (test_truncated_bptt)
{
  for (int k = 1; k <= 6; k++)
    if (6 % k == 0)
      rc_check_chunks (SEQ, STATEFUL, nn_shape_2d (6, 3), k, 2, TRUE);
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("rnn");
  TCase *tc = tcase_create ("core");
  tcase_add_test (tc, test_shapes);
  tcase_add_test (tc, test_errors);
  tcase_add_test (tc, test_pytorch);
  tcase_add_test (tc, test_gradients);
  tcase_add_test (tc, test_stateful);
  tcase_add_test (tc, test_truncated_bptt);
  suite_add_tcase (s, tc);
  return nn_check_run (s);
}
