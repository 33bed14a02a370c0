/* convlstm2d: shapes and options, parity with a PyTorch reference ConvLSTM
 * cell (F.conv2d over cat (x_t, h_{t-1})), finite-difference gradients through
 * time, stateful streaming and truncated BPTT. */
#include "recurrent-check.h"
#include "../check-run.h"

START_TEST (test_shapes)
{
  NnShape in = nn_shape_4d (5, 3, 8, 6);
  NnLayer *l = nn_test_layer_new ("{\"type\":\"convlstm2d\",\"name\":\"cl\",\"filters\":4,\"kernel\":3}", &in, 2);
  NnShape last = nn_shape_3d (4, 8, 6), seq = nn_shape_4d (5, 4, 8, 6);
  NnShape ws = nn_shape_4d (16, 7, 3, 3), bs = nn_shape_1d (16);
  ck_assert (nn_shape_equal (&l->out, &last));
  ck_assert_int_eq (l->n_params, 2);
  ck_assert_str_eq (l->params[0].name, "cl.conv.weight");
  ck_assert_str_eq (l->params[1].name, "cl.conv.bias");
  ck_assert (nn_shape_equal (&l->params[0].shape, &ws));
  ck_assert (nn_shape_equal (&l->params[1].shape, &bs));
  ck_assert_int_eq (l->klass->flops (l), 2LL * 5 * 16 * 7 * 9 * 48);
  float bound = 1.0f / sqrtf (63.0f);
  for (int i = 0; i < 16 * 63; i++)
    ck_assert (fabsf (l->params[0].data[i]) <= bound);
  nn_layer_free (l);
  l = nn_test_layer_new ("{\"type\":\"convlstm2d\",\"filters\":4,\"kernel\":5,\"return_sequences\":true}", &in, 1);
  ck_assert (nn_shape_equal (&l->out, &seq));
  nn_layer_free (l);
}
END_TEST

START_TEST (test_errors)
{
  NnShape in = nn_shape_4d (2, 1, 4, 4), img = nn_shape_3d (1, 4, 4);
  g_free (nn_test_layer_error ("{\"type\":\"convlstm2d\",\"name\":\"c\",\"kernel\":3}", &in, NN_ERROR_INVALID));
  g_free (nn_test_layer_error ("{\"type\":\"convlstm2d\",\"filters\":2}", &in, NN_ERROR_INVALID));
  g_free (nn_test_layer_error ("{\"type\":\"convlstm2d\",\"name\":\"even\",\"filters\":2,\"kernel\":4}", &in,
                               NN_ERROR_INVALID));
  g_free (nn_test_layer_error ("{\"type\":\"convlstm2d\",\"filters\":2,\"kernel\":0}", &in, NN_ERROR_INVALID));
  g_free (nn_test_layer_error ("{\"type\":\"convlstm2d\",\"filters\":2,\"kernel\":3}", &img, NN_ERROR_SHAPE));
}
END_TEST

START_TEST (test_pytorch)
{
  ck_assert_int_ge (nn_test_fixture_run ("convlstm2d.json", 1e-4), 4);
}
END_TEST

START_TEST (test_gradients)
{
  const char *specs[] = {
    "{\"type\":\"convlstm2d\",\"filters\":2,\"kernel\":3}",
    "{\"type\":\"convlstm2d\",\"filters\":2,\"kernel\":3,\"return_sequences\":true}",
  };
  for (guint i = 0; i < G_N_ELEMENTS (specs); i++)
    nn_gradcheck (&(NnGradCheck) { .spec = specs[i], .in = nn_shape_4d (3, 2, 4, 3), .n = 2, .seed = i + 1 });
  nn_gradcheck (&(NnGradCheck) { .spec = "{\"type\":\"convlstm2d\",\"filters\":1,\"kernel\":5,\"return_sequences\":true}",
                                 .in = nn_shape_4d (2, 1, 3, 4), .n = 1, .seed = 5 });
}
END_TEST

#define SEQ "{\"type\":\"convlstm2d\",\"filters\":3,\"kernel\":3,\"return_sequences\":true}"
#define STATEFUL "{\"type\":\"convlstm2d\",\"filters\":3,\"kernel\":3,\"return_sequences\":true,\"stateful\":true}"

START_TEST (test_stateful)
{
  rc_check_chunks (SEQ, STATEFUL, nn_shape_4d (4, 2, 5, 4), 1, 2, FALSE);
  rc_check_reset (STATEFUL, nn_shape_4d (2, 2, 3, 3), 2);
}
END_TEST

START_TEST (test_truncated_bptt)
{
  rc_check_chunks (SEQ, STATEFUL, nn_shape_4d (4, 2, 5, 4), 1, 2, TRUE);
  rc_check_chunks (SEQ, STATEFUL, nn_shape_4d (4, 2, 5, 4), 2, 2, TRUE);
  rc_check_chunks (SEQ, STATEFUL, nn_shape_4d (4, 2, 5, 4), 4, 1, TRUE);
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("convlstm2d");
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
