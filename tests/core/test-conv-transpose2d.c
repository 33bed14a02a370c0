/* conv2d_transpose: shape inference, PyTorch parity, finite-difference gradients. */
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
  /* DCGAN's doubling: k4 s2 p1 */
  assert_out ("{\"type\":\"conv2d_transpose\",\"filters\":32,\"kernel\":4,\"stride\":2,\"padding\":1}",
              nn_shape_3d (64, 7, 7), nn_shape_3d (32, 14, 14));
  assert_out ("{\"type\":\"conv2d_transpose\",\"filters\":2,\"kernel\":3}", nn_shape_3d (1, 4, 5),
              nn_shape_3d (2, 6, 7));
  assert_out ("{\"type\":\"conv2d_transpose\",\"filters\":2,\"kernel\":3,\"stride\":2,\"padding\":1,"
              "\"output_padding\":1}", nn_shape_3d (1, 7, 7), nn_shape_3d (2, 14, 14));
  assert_out ("{\"type\":\"conv2d_transpose\",\"filters\":1,\"kernel\":[2,3],\"stride\":[2,1],\"padding\":[0,1]}",
              nn_shape_3d (3, 3, 5), nn_shape_3d (1, 6, 5));

  NnLayer *l = nn_test_layer_new ("{\"type\":\"conv2d_transpose\",\"name\":\"up\",\"filters\":6,\"kernel\":[5,3]}",
                                  &(NnShape) { 3, { 3, 4, 4 } }, 1);
  ck_assert_int_eq (l->n_params, 2);
  ck_assert_str_eq (l->params[0].name, "up.weight");
  /* PyTorch's layout: (in, out, kh, kw) */
  NnShape ws = nn_shape_4d (3, 6, 5, 3), bs = nn_shape_1d (6);
  ck_assert (nn_shape_equal (&l->params[0].shape, &ws));
  ck_assert (nn_shape_equal (&l->params[1].shape, &bs));
  ck_assert (l->params[0].decay && !l->params[1].decay);
  ck_assert_int_eq (l->klass->flops (l), 2 * 3 * 6 * 5 * 3 * 4 * 4);
  /* PyTorch's default init: fan_in from weight.size(1) = out * kh * kw */
  nn_test_uniform_init (l->params[0].data, 3 * 90, 1.0f / sqrtf (90.0f));
  nn_layer_free (l);

  l = nn_test_layer_new ("{\"type\":\"conv2d_transpose\",\"filters\":2,\"kernel\":1,\"bias\":false}",
                         &(NnShape) { 3, { 3, 4, 4 } }, 1);
  ck_assert_int_eq (l->n_params, 1);
  nn_layer_free (l);
}
END_TEST

START_TEST (test_errors)
{
  NnShape in = nn_shape_3d (1, 2, 2);
  g_free (nn_test_layer_error ("{\"type\":\"conv2d_transpose\",\"name\":\"crop\",\"filters\":2,\"kernel\":1,"
                               "\"padding\":2}", &in, NN_ERROR_SHAPE));
  g_free (nn_test_layer_error ("{\"type\":\"conv2d_transpose\",\"filters\":2,\"kernel\":3,\"stride\":0}", &in,
                               NN_ERROR_INVALID));
  g_free (nn_test_layer_error ("{\"type\":\"conv2d_transpose\",\"filters\":2,\"kernel\":3,\"output_padding\":1}",
                               &in, NN_ERROR_INVALID));
  g_free (nn_test_layer_error ("{\"type\":\"conv2d_transpose\",\"filters\":2,\"kernel\":3,\"stride\":2,"
                               "\"output_padding\":2}", &in, NN_ERROR_INVALID));
  g_free (nn_test_layer_error ("{\"type\":\"conv2d_transpose\",\"filters\":2,\"kernel\":3,\"padding\":-1}", &in,
                               NN_ERROR_INVALID));
  g_free (nn_test_layer_error ("{\"type\":\"conv2d_transpose\",\"filters\":0,\"kernel\":3}", &in, NN_ERROR_INVALID));
  g_free (nn_test_layer_error ("{\"type\":\"conv2d_transpose\",\"kernel\":3}", &in, NN_ERROR_INVALID));
  g_free (nn_test_layer_error ("{\"type\":\"conv2d_transpose\",\"filters\":2}", &in, NN_ERROR_INVALID));
  NnShape flat = nn_shape_1d (16);
  g_free (nn_test_layer_error ("{\"type\":\"conv2d_transpose\",\"filters\":2,\"kernel\":3}", &flat,
                               NN_ERROR_SHAPE));
}
END_TEST

START_TEST (test_pytorch)
{
  ck_assert_int_ge (nn_test_fixture_run ("conv_transpose2d.json", 1e-4), 7);
}
END_TEST

START_TEST (test_gradients)
{
  const char *specs[] = {
    "{\"type\":\"conv2d_transpose\",\"filters\":3,\"kernel\":3}",
    "{\"type\":\"conv2d_transpose\",\"filters\":2,\"kernel\":4,\"stride\":2,\"padding\":1}",
    "{\"type\":\"conv2d_transpose\",\"filters\":2,\"kernel\":3,\"stride\":2,\"padding\":1,\"output_padding\":1}",
    "{\"type\":\"conv2d_transpose\",\"filters\":2,\"kernel\":[2,3],\"stride\":[1,2],\"padding\":[1,0],"
    "\"bias\":false}",
  };
  for (guint i = 0; i < G_N_ELEMENTS (specs); i++)
    nn_gradcheck (&(NnGradCheck) { .spec = specs[i], .in = nn_shape_3d (2, 3, 4), .n = 2, .seed = i + 1 });
  /* a 1x1 input (a DCGAN's projection) takes one product for the batch */
  nn_gradcheck (&(NnGradCheck) { .spec = "{\"type\":\"conv2d_transpose\",\"filters\":3,\"kernel\":4}",
                                 .in = nn_shape_3d (5, 1, 1), .n = 3, .seed = 9 });
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("conv2d_transpose");
  TCase *tc = tcase_create ("core");
  tcase_add_test (tc, test_shapes);
  tcase_add_test (tc, test_errors);
  tcase_add_test (tc, test_pytorch);
  tcase_add_test (tc, test_gradients);
  suite_add_tcase (s, tc);
  return nn_check_run (s);
}
