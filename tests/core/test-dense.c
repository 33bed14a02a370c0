/* dense: shape inference, PyTorch parity, finite-difference gradients. */
#include "gradcheck.h"
#include "../check-run.h"

static void
assert_out (const char *spec, NnShape in, NnShape want)
{
  NnLayer *l = nn_test_layer_new (spec, &in, 1);
  char a[64], b[64];
  ck_assert_msg (nn_shape_equal (&l->out, &want), "%s: out %s, wanted %s", spec,
                 nn_shape_to_string (&l->out, a, sizeof a), nn_shape_to_string (&want, b, sizeof b));
  nn_layer_free (l);
}

START_TEST (test_shapes)
{
  assert_out ("{\"type\":\"dense\",\"units\":10}", nn_shape_1d (784), nn_shape_1d (10));
  assert_out ("{\"type\":\"dense\",\"units\":3}", nn_shape_3d (16, 4, 4), nn_shape_1d (3));

  NnLayer *l = nn_test_layer_new ("{\"type\":\"dense\",\"name\":\"fc1\",\"units\":4}", &(NnShape) { 1, { 9 } }, 1);
  NnShape ws = nn_shape_2d (4, 9), bs = nn_shape_1d (4);
  ck_assert_int_eq (l->n_params, 2);
  ck_assert_str_eq (l->params[0].name, "fc1.weight");
  ck_assert_str_eq (l->params[1].name, "fc1.bias");
  ck_assert (nn_shape_equal (&l->params[0].shape, &ws) && nn_shape_equal (&l->params[1].shape, &bs));
  ck_assert (l->params[0].decay && !l->params[1].decay);
  ck_assert_int_eq (l->klass->flops (l), 2 * 9 * 4);
  for (int i = 0; i < 36; i++)
    ck_assert (fabsf (l->params[0].data[i]) <= 1.0f / 3.0f);
  nn_layer_free (l);
}
END_TEST

START_TEST (test_errors)
{
  NnShape in = nn_shape_1d (8);
  g_free (nn_test_layer_error ("{\"type\":\"dense\",\"name\":\"fc\"}", &in, NN_ERROR_INVALID));
  g_free (nn_test_layer_error ("{\"type\":\"dense\",\"units\":0}", &in, NN_ERROR_INVALID));
  g_free (nn_test_layer_error ("{\"type\":\"dense\",\"units\":-3}", &in, NN_ERROR_INVALID));
  g_free (nn_test_layer_error ("{\"type\":\"dense\",\"units\":\"ten\"}", &in, NN_ERROR_INVALID));
}
END_TEST

START_TEST (test_pytorch)
{
  ck_assert_int_ge (nn_test_fixture_run ("dense.json", 1e-4), 3);
}
END_TEST

START_TEST (test_gradients)
{
  nn_gradcheck (&(NnGradCheck) { .spec = "{\"type\":\"dense\",\"units\":4}", .in = nn_shape_1d (7), .n = 3, .seed = 1 });
  nn_gradcheck (&(NnGradCheck) { .spec = "{\"type\":\"dense\",\"units\":3,\"bias\":false}", .in = nn_shape_3d (2, 2, 3),
                                 .n = 2, .seed = 2 });
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("dense");
  TCase *tc = tcase_create ("core");
  tcase_add_test (tc, test_shapes);
  tcase_add_test (tc, test_errors);
  tcase_add_test (tc, test_pytorch);
  tcase_add_test (tc, test_gradients);
  suite_add_tcase (s, tc);
  return nn_check_run (s);
}
