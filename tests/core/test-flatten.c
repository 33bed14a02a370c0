/* flatten: shape inference, PyTorch parity, finite-difference gradients. */
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
  assert_out ("{\"type\":\"flatten\"}", nn_shape_3d (16, 4, 4), nn_shape_1d (256));
  assert_out ("{\"type\":\"flatten\"}", nn_shape_2d (3, 5), nn_shape_1d (15));
  assert_out ("{\"type\":\"flatten\"}", nn_shape_1d (7), nn_shape_1d (7));
}
END_TEST

START_TEST (test_errors)
{
  /* flatten takes any shape; an unknown type is the error it can meet */
  NnShape in = nn_shape_3d (1, 2, 2);
  g_free (nn_test_layer_error ("{\"type\":\"flaten\",\"name\":\"f\"}", &in, NN_ERROR_UNKNOWN_LAYER));
}
END_TEST

START_TEST (test_pytorch)
{
  ck_assert_int_ge (nn_test_fixture_run ("flatten.json", 1e-6), 1);
}
END_TEST

START_TEST (test_gradients)
{
  nn_gradcheck (&(NnGradCheck) { .spec = "{\"type\":\"flatten\"}", .in = nn_shape_3d (2, 3, 4), .n = 2, .seed = 1 });
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("flatten");
  TCase *tc = tcase_create ("core");
  tcase_add_test (tc, test_shapes);
  tcase_add_test (tc, test_errors);
  tcase_add_test (tc, test_pytorch);
  tcase_add_test (tc, test_gradients);
  suite_add_tcase (s, tc);
  return nn_check_run (s);
}
