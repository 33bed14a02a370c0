/* global_avgpool: shape inference, PyTorch parity, finite-difference gradients. */
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
  assert_out ("{\"type\":\"global_avgpool\"}", nn_shape_3d (16, 7, 5), nn_shape_1d (16));
  assert_out ("{\"type\":\"global_avgpool\"}", nn_shape_3d (3, 1, 1), nn_shape_1d (3));
}
END_TEST

START_TEST (test_errors)
{
  NnShape flat = nn_shape_1d (16), two = nn_shape_2d (4, 4);
  g_free (nn_test_layer_error ("{\"type\":\"global_avgpool\",\"name\":\"gap\"}", &flat, NN_ERROR_SHAPE));
  g_free (nn_test_layer_error ("{\"type\":\"global_avgpool\"}", &two, NN_ERROR_SHAPE));
}
END_TEST

START_TEST (test_pytorch)
{
  ck_assert_int_ge (nn_test_fixture_run ("global-avgpool.json", 1e-4), 1);
}
END_TEST

START_TEST (test_gradients)
{
  nn_gradcheck (&(NnGradCheck) { .spec = "{\"type\":\"global_avgpool\"}", .in = nn_shape_3d (3, 4, 5), .n = 2,
                                 .seed = 1 });
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("global_avgpool");
  TCase *tc = tcase_create ("core");
  tcase_add_test (tc, test_shapes);
  tcase_add_test (tc, test_errors);
  tcase_add_test (tc, test_pytorch);
  tcase_add_test (tc, test_gradients);
  suite_add_tcase (s, tc);
  return nn_check_run (s);
}
