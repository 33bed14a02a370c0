/* time_distributed: shapes and parameter names, option errors, PyTorch parity
 * (dense and conv2d per step), finite-difference gradients. */
#include "gradcheck.h"
#include "../check-run.h"

START_TEST (test_shapes)
{
  NnShape in = nn_shape_2d (6, 5), out = nn_shape_2d (6, 3), ws = nn_shape_2d (3, 5);
  NnLayer *l = nn_test_layer_new ("{\"type\":\"time_distributed\",\"name\":\"td\",\"layer\":{\"type\":\"dense\","
                                  "\"units\":3}}", &in, 4);
  ck_assert (nn_shape_equal (&l->out, &out));
  ck_assert_int_eq (l->n_params, 2);
  ck_assert_str_eq (l->params[0].name, "td.weight");
  ck_assert_str_eq (l->params[1].name, "td.bias");
  ck_assert (nn_shape_equal (&l->params[0].shape, &ws));
  ck_assert_ptr_nonnull (nn_layer_param (l, "bias"));
  ck_assert_int_eq (l->klass->flops (l), 6 * 2 * 5 * 3);
  /* the inner layer's init ran: dense's U(-1/sqrt(5), 1/sqrt(5)) */
  float hi = 0;
  for (int i = 0; i < 15; i++)
    hi = fmaxf (hi, fabsf (l->params[0].data[i]));
  ck_assert (hi > 0.0f && hi <= 1.0f / sqrtf (5.0f));
  nn_layer_free (l);

  NnShape vin = nn_shape_4d (3, 1, 8, 8), vout = nn_shape_4d (3, 4, 4, 4);
  l = nn_test_layer_new ("{\"type\":\"time_distributed\",\"layer\":{\"type\":\"conv2d\",\"filters\":4,\"kernel\":3,"
                         "\"stride\":2,\"padding\":\"same\"}}", &vin, 2);
  ck_assert (nn_shape_equal (&l->out, &vout));
  nn_layer_free (l);
}
END_TEST

START_TEST (test_errors)
{
  NnShape in = nn_shape_2d (4, 3), flat = nn_shape_1d (4);
  char *msg = nn_test_layer_error ("{\"type\":\"time_distributed\",\"name\":\"td\"}", &in, NN_ERROR_INVALID);
  g_free (msg);
  g_free (nn_test_layer_error ("{\"type\":\"time_distributed\",\"layer\":3}", &in, NN_ERROR_INVALID));
  g_free (nn_test_layer_error ("{\"type\":\"time_distributed\",\"layer\":{\"type\":\"dense\",\"units\":2}}", &flat,
                               NN_ERROR_SHAPE));
  msg = nn_test_layer_error ("{\"type\":\"time_distributed\",\"name\":\"t2\",\"layer\":{\"type\":\"dense\"}}", &in,
                             NN_ERROR_INVALID);
  ck_assert_msg (strstr (msg, "units"), "%s", msg);
  g_free (msg);
  g_free (nn_test_layer_error ("{\"type\":\"time_distributed\",\"layer\":{\"type\":\"nope\"}}", &in,
                               NN_ERROR_UNKNOWN_LAYER));
  g_free (nn_test_layer_error ("{\"type\":\"time_distributed\",\"layer\":{\"type\":\"conv2d\",\"filters\":2,"
                               "\"kernel\":3}}", &in, NN_ERROR_SHAPE));
  g_free (nn_test_layer_error ("{\"type\":\"time_distributed\",\"layer\":{\"type\":\"dense\",\"units\":2,"
                               "\"activation\":\"softmax\"}}", &in, NN_ERROR_INVALID));
}
END_TEST

START_TEST (test_pytorch)
{
  ck_assert_int_ge (nn_test_fixture_run ("time-distributed.json", 1e-4), 2);
}
END_TEST

START_TEST (test_gradients)
{
  nn_gradcheck (&(NnGradCheck) { .spec = "{\"type\":\"time_distributed\",\"layer\":{\"type\":\"dense\",\"units\":3}}",
                                 .in = nn_shape_2d (4, 3), .n = 2, .seed = 1 });
  nn_gradcheck (&(NnGradCheck) { .spec = "{\"type\":\"time_distributed\",\"layer\":{\"type\":\"conv2d\","
                                         "\"filters\":2,\"kernel\":3}}",
                                 .in = nn_shape_4d (2, 1, 4, 5), .n = 2, .seed = 2 });
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("time-distributed");
  TCase *tc = tcase_create ("core");
  tcase_add_test (tc, test_shapes);
  tcase_add_test (tc, test_errors);
  tcase_add_test (tc, test_pytorch);
  tcase_add_test (tc, test_gradients);
  suite_add_tcase (s, tc);
  return nn_check_run (s);
}
