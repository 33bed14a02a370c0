/* upsample2d: shape inference, PyTorch parity, finite-difference gradients. */
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
  assert_out ("{\"type\":\"upsample2d\"}", nn_shape_3d (4, 7, 5), nn_shape_3d (4, 14, 10));
  assert_out ("{\"type\":\"upsample2d\",\"scale\":3,\"mode\":\"bilinear\"}", nn_shape_3d (1, 2, 3),
              nn_shape_3d (1, 6, 9));
  assert_out ("{\"type\":\"upsample2d\",\"scale\":[1,4]}", nn_shape_3d (2, 3, 3), nn_shape_3d (2, 3, 12));
}
END_TEST

START_TEST (test_errors)
{
  NnShape in = nn_shape_3d (2, 3, 3), flat = nn_shape_1d (9);
  g_free (nn_test_layer_error ("{\"type\":\"upsample2d\",\"name\":\"up\",\"scale\":0}", &in, NN_ERROR_INVALID));
  g_free (nn_test_layer_error ("{\"type\":\"upsample2d\",\"scale\":-2}", &in, NN_ERROR_INVALID));
  g_free (nn_test_layer_error ("{\"type\":\"upsample2d\",\"mode\":\"bicubic\"}", &in, NN_ERROR_INVALID));
  g_free (nn_test_layer_error ("{\"type\":\"upsample2d\"}", &flat, NN_ERROR_SHAPE));
}
END_TEST

START_TEST (test_pytorch)
{
  ck_assert_int_ge (nn_test_fixture_run ("upsample2d.json", 1e-4), 5);
}
END_TEST

START_TEST (test_gradients)
{
  const char *specs[] = {
    "{\"type\":\"upsample2d\",\"scale\":2}",
    "{\"type\":\"upsample2d\",\"scale\":2,\"mode\":\"bilinear\"}",
    "{\"type\":\"upsample2d\",\"scale\":[3,2],\"mode\":\"bilinear\"}",
  };
  for (guint i = 0; i < G_N_ELEMENTS (specs); i++)
    nn_gradcheck (&(NnGradCheck) { .spec = specs[i], .in = nn_shape_3d (2, 3, 4), .n = 2, .seed = i + 1 });
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("upsample2d");
  TCase *tc = tcase_create ("core");
  tcase_add_test (tc, test_shapes);
  tcase_add_test (tc, test_errors);
  tcase_add_test (tc, test_pytorch);
  tcase_add_test (tc, test_gradients);
  suite_add_tcase (s, tc);
  return nn_check_run (s);
}
