/* batchnorm2d: shape inference, PyTorch parity (training and inference,
 * running statistics included), finite-difference gradients. */
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
  assert_out ("{\"type\":\"batchnorm2d\"}", nn_shape_3d (16, 7, 5), nn_shape_3d (16, 7, 5));
  assert_out ("{\"type\":\"batchnorm2d\"}", nn_shape_1d (10), nn_shape_1d (10));

  NnLayer *l = nn_test_layer_new ("{\"type\":\"batchnorm2d\",\"name\":\"bn\"}", &(NnShape) { 3, { 4, 2, 2 } }, 1);
  const char *names[] = { "bn.weight", "bn.bias", "bn.running_mean", "bn.running_var" };
  const float init[] = { 1.0f, 0.0f, 0.0f, 1.0f };
  ck_assert_int_eq (l->n_params, 4);
  for (int k = 0; k < 4; k++) {
    NnShape cs = nn_shape_1d (4);
    ck_assert_str_eq (l->params[k].name, names[k]);
    ck_assert (nn_shape_equal (&l->params[k].shape, &cs));
    ck_assert (l->params[k].trainable == (k < 2));
    ck_assert (!l->params[k].decay);
    ck_assert ((l->params[k].grad != NULL) == (k < 2));
    for (int c = 0; c < 4; c++)
      ck_assert_float_eq (l->params[k].data[c], init[k]);
  }
  nn_layer_free (l);
}
END_TEST

START_TEST (test_errors)
{
  NnShape in = nn_shape_3d (2, 3, 3), two = nn_shape_2d (4, 4);
  g_free (nn_test_layer_error ("{\"type\":\"batchnorm2d\",\"name\":\"bn\",\"momentum\":1.5}", &in, NN_ERROR_INVALID));
  g_free (nn_test_layer_error ("{\"type\":\"batchnorm2d\",\"eps\":0}", &in, NN_ERROR_INVALID));
  g_free (nn_test_layer_error ("{\"type\":\"batchnorm2d\",\"eps\":\"small\"}", &in, NN_ERROR_INVALID));
  g_free (nn_test_layer_error ("{\"type\":\"batchnorm2d\"}", &two, NN_ERROR_SHAPE));
}
END_TEST

START_TEST (test_pytorch)
{
  ck_assert_int_ge (nn_test_fixture_run ("batchnorm2d.json", 1e-4), 5);
}
END_TEST

/* Inference after training uses the running statistics, not the batch's. */
START_TEST (test_running_stats)
{
  NnLayer *l = nn_test_layer_new ("{\"type\":\"batchnorm2d\",\"momentum\":1.0}", &(NnShape) { 1, { 1 } }, 4);
  float x[4] = { 1, 2, 3, 6 }, y[4];
  l->klass->forward (l, x, y, 4, TRUE);
  ck_assert_float_eq_tol (l->params[2].data[0], 3.0f, 1e-6f);
  ck_assert_float_eq_tol (l->params[3].data[0], 14.0f / 3.0f, 1e-5f);   /* unbiased */
  float z = 3.0f + sqrtf (14.0f / 3.0f + 1e-5f);
  l->klass->forward (l, &z, y, 1, FALSE);
  ck_assert_float_eq_tol (y[0], 1.0f, 1e-5f);
  nn_layer_free (l);
}
END_TEST

START_TEST (test_gradients)
{
  const char *spec = "{\"type\":\"batchnorm2d\"}";
  nn_gradcheck (&(NnGradCheck) { .spec = spec, .in = nn_shape_3d (3, 3, 4), .n = 2, .training = TRUE, .seed = 1 });
  nn_gradcheck (&(NnGradCheck) { .spec = spec, .in = nn_shape_3d (3, 3, 4), .n = 2, .training = FALSE, .seed = 2 });
  nn_gradcheck (&(NnGradCheck) { .spec = spec, .in = nn_shape_1d (5), .n = 4, .training = TRUE, .seed = 3 });
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("batchnorm2d");
  TCase *tc = tcase_create ("core");
  tcase_add_test (tc, test_shapes);
  tcase_add_test (tc, test_errors);
  tcase_add_test (tc, test_pytorch);
  tcase_add_test (tc, test_running_stats);
  tcase_add_test (tc, test_gradients);
  suite_add_tcase (s, tc);
  return nn_check_run (s);
}
