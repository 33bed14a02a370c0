/* sigmoid, tanh, relu, leaky_relu, softmax: shape inference, PyTorch parity,
 * finite-difference gradients. */
#include "gradcheck.h"

static void
assert_out (const char *spec, NnShape in, NnShape want)
{
  NnLayer *l = nn_test_layer_new (spec, &in, 1);
  char a[64], b[64];
  ck_assert_msg (nn_shape_equal (&l->out, &want), "%s: out %s, wanted %s", spec,
                 nn_shape_to_string (&l->out, a, sizeof a), nn_shape_to_string (&want, b, sizeof b));
  nn_layer_free (l);
}

static const char *kinds[] = { "sigmoid", "tanh", "relu", "leaky_relu", "softmax" };

START_TEST (test_shapes)
{
  for (guint k = 0; k < G_N_ELEMENTS (kinds); k++) {
    g_autofree char *spec = g_strdup_printf ("{\"type\":\"%s\"}", kinds[k]);
    assert_out (spec, nn_shape_1d (10), nn_shape_1d (10));
    assert_out (spec, nn_shape_3d (4, 3, 2), nn_shape_3d (4, 3, 2));
    NnLayer *l = nn_test_layer_new (spec, &(NnShape) { 1, { 3 } }, 1);
    ck_assert_int_eq (l->n_params, 0);
    nn_layer_free (l);
  }
}
END_TEST

START_TEST (test_errors)
{
  NnShape in = nn_shape_1d (8);
  g_autofree char *msg = nn_test_layer_error ("{\"type\":\"gelu\",\"name\":\"act\"}", &in, NN_ERROR_UNKNOWN_LAYER);
  ck_assert_msg (strstr (msg, "\"gelu\""), "%s", msg);
  g_free (nn_test_layer_error ("{\"name\":\"act\"}", &in, NN_ERROR_FORMAT));
}
END_TEST

START_TEST (test_pytorch)
{
  ck_assert_int_ge (nn_test_fixture_run ("activations.json", 1e-5), 6);
}
END_TEST

START_TEST (test_gradients)
{
  for (guint k = 0; k < G_N_ELEMENTS (kinds); k++) {
    g_autofree char *spec = g_strdup_printf ("{\"type\":\"%s\"}", kinds[k]);
    nn_gradcheck (&(NnGradCheck) { .spec = spec, .in = nn_shape_1d (6), .n = 3, .seed = k + 1 });
    nn_gradcheck (&(NnGradCheck) { .spec = spec, .in = nn_shape_3d (4, 2, 3), .n = 2, .seed = k + 11 });
  }
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("activations");
  TCase *tc = tcase_create ("core");
  tcase_add_test (tc, test_shapes);
  tcase_add_test (tc, test_errors);
  tcase_add_test (tc, test_pytorch);
  tcase_add_test (tc, test_gradients);
  suite_add_tcase (s, tc);
  SRunner *sr = srunner_create (s);
  srunner_run_all (sr, CK_NORMAL);
  int failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed ? 1 : 0;
}
