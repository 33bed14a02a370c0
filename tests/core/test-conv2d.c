/* conv2d: shape inference, PyTorch parity, finite-difference gradients. */
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
  assert_out ("{\"type\":\"conv2d\",\"filters\":6,\"kernel\":5}", nn_shape_3d (1, 28, 28), nn_shape_3d (6, 24, 24));
  assert_out ("{\"type\":\"conv2d\",\"filters\":4,\"kernel\":3,\"padding\":\"same\"}", nn_shape_3d (3, 7, 9),
              nn_shape_3d (4, 7, 9));
  assert_out ("{\"type\":\"conv2d\",\"filters\":4,\"kernel\":4,\"padding\":\"same\"}", nn_shape_3d (3, 6, 5),
              nn_shape_3d (4, 6, 5));
  /* TensorFlow's "same" with a stride: ceil (in / stride) */
  assert_out ("{\"type\":\"conv2d\",\"filters\":2,\"kernel\":3,\"stride\":2,\"padding\":\"same\"}",
              nn_shape_3d (1, 7, 8), nn_shape_3d (2, 4, 4));
  assert_out ("{\"type\":\"conv2d\",\"filters\":2,\"kernel\":3,\"stride\":2,\"padding\":1}", nn_shape_3d (1, 7, 9),
              nn_shape_3d (2, 4, 5));
  assert_out ("{\"type\":\"conv2d\",\"filters\":2,\"kernel\":[3,1],\"stride\":[2,1],\"padding\":[1,0]}",
              nn_shape_3d (1, 6, 7), nn_shape_3d (2, 3, 7));
  assert_out ("{\"type\":\"conv2d\",\"filters\":2,\"kernel\":[2,3],\"padding\":[0,1,2,1]}", nn_shape_3d (1, 5, 5),
              nn_shape_3d (2, 5, 6));

  NnLayer *l = nn_test_layer_new ("{\"type\":\"conv2d\",\"name\":\"c1\",\"filters\":6,\"kernel\":[5,3]}",
                                  &(NnShape) { 3, { 3, 10, 10 } }, 1);
  ck_assert_int_eq (l->n_params, 2);
  ck_assert_str_eq (l->params[0].name, "c1.weight");
  NnShape ws = nn_shape_4d (6, 3, 5, 3), bs = nn_shape_1d (6);
  ck_assert (nn_shape_equal (&l->params[0].shape, &ws));
  ck_assert (nn_shape_equal (&l->params[1].shape, &bs));
  ck_assert (l->params[0].decay && !l->params[1].decay);
  ck_assert_int_eq (l->klass->flops (l), 2 * 6 * 3 * 5 * 3 * 6 * 8);
  /* PyTorch's default init: U(-1/sqrt(fan_in), 1/sqrt(fan_in)), not all equal */
  nn_test_uniform_init (l->params[0].data, 6 * 45, 1.0f / sqrtf (45.0f));
  nn_layer_free (l);

  l = nn_test_layer_new ("{\"type\":\"conv2d\",\"filters\":2,\"kernel\":1,\"bias\":false}",
                         &(NnShape) { 3, { 3, 4, 4 } }, 1);
  ck_assert_int_eq (l->n_params, 1);
  nn_layer_free (l);
}
END_TEST

START_TEST (test_errors)
{
  NnShape in = nn_shape_3d (1, 4, 4);
  g_free (nn_test_layer_error ("{\"type\":\"conv2d\",\"name\":\"big\",\"filters\":2,\"kernel\":5}", &in,
                               NN_ERROR_SHAPE));
  g_free (nn_test_layer_error ("{\"type\":\"conv2d\",\"filters\":2,\"kernel\":3,\"stride\":-1}", &in,
                               NN_ERROR_INVALID));
  g_free (nn_test_layer_error ("{\"type\":\"conv2d\",\"filters\":2,\"kernel\":3,\"stride\":0}", &in,
                               NN_ERROR_INVALID));
  g_free (nn_test_layer_error ("{\"type\":\"conv2d\",\"filters\":0,\"kernel\":3}", &in, NN_ERROR_INVALID));
  g_free (nn_test_layer_error ("{\"type\":\"conv2d\",\"kernel\":3}", &in, NN_ERROR_INVALID));
  g_free (nn_test_layer_error ("{\"type\":\"conv2d\",\"filters\":2}", &in, NN_ERROR_INVALID));
  g_free (nn_test_layer_error ("{\"type\":\"conv2d\",\"filters\":2,\"kernel\":3,\"padding\":\"full\"}", &in,
                               NN_ERROR_INVALID));
  g_free (nn_test_layer_error ("{\"type\":\"conv2d\",\"filters\":2,\"kernel\":3,\"padding\":[1,2,3]}", &in,
                               NN_ERROR_INVALID));
  g_free (nn_test_layer_error ("{\"type\":\"conv2d\",\"filters\":2,\"kernel\":3,\"padding\":-1}", &in,
                               NN_ERROR_INVALID));
  g_free (nn_test_layer_error ("{\"type\":\"conv2d\",\"filters\":2,\"kernel\":3,\"padding\":[0,0,-1,0]}", &in,
                               NN_ERROR_INVALID));
  NnShape flat = nn_shape_1d (16);
  g_free (nn_test_layer_error ("{\"type\":\"conv2d\",\"filters\":2,\"kernel\":3}", &flat, NN_ERROR_SHAPE));
}
END_TEST

START_TEST (test_pytorch)
{
  ck_assert_int_ge (nn_test_fixture_run ("conv2d.json", 1e-4), 7);
  /* inference through Winograd's tiles; backward after it unfolds */
  ck_assert_int_ge (nn_test_fixture_run ("conv2d-winograd.json", 1e-4), 3);
}
END_TEST

START_TEST (test_gradients)
{
  const char *specs[] = {
    "{\"type\":\"conv2d\",\"filters\":3,\"kernel\":3}",
    "{\"type\":\"conv2d\",\"filters\":2,\"kernel\":3,\"stride\":2,\"padding\":\"same\"}",
    "{\"type\":\"conv2d\",\"filters\":2,\"kernel\":[2,3],\"stride\":[1,2],\"padding\":[1,0,2,1]}",
    "{\"type\":\"conv2d\",\"filters\":2,\"kernel\":1,\"bias\":false}",
  };
  for (guint i = 0; i < G_N_ELEMENTS (specs); i++)
    nn_gradcheck (&(NnGradCheck) { .spec = specs[i], .in = nn_shape_3d (2, 5, 7), .n = 2, .seed = i + 1 });
}
END_TEST

/* Inference takes 3x3 stride-1 convolutions of 4 or more channels through
 * Winograd's tiles; training unfolds. Both must give the same y, at odd and
 * even sizes, every padding, a batch and two threads, and inference must
 * follow the weights when they change. */
static void
check_winograd (const char *spec, NnShape in, int n, int threads)
{
  nn_set_threads (threads);
  NnLayer *l = nn_test_layer_new (spec, &in, n);
  /* 4+ channels: the fast path it has is Winograd's (the direct one takes 1-3) */
  ck_assert_msg (in.dim[0] >= 4 && l->klass->can_pool2 (l), "%s: no Winograd path", spec);
  int64_t nx = n * nn_shape_numel (&l->in), ny = n * nn_shape_numel (&l->out);
  g_autofree float *x = g_new (float, nx);
  g_autofree float *want = g_new (float, ny);
  g_autofree float *got = g_new (float, ny);
  GRand *rng = g_rand_new_with_seed (3);
  for (int64_t i = 0; i < nx; i++)
    x[i] = (float) g_rand_double_range (rng, -1, 1);
  for (int round = 0; round < 2; round++) {
    if (round) /* as an optimiser step would */
      for (int64_t i = 0; i < nn_shape_numel (&l->params[0].shape); i++)
        l->params[0].data[i] += (float) g_rand_double_range (rng, -0.1, 0.1);
    l->klass->forward (l, x, want, n, TRUE);
    l->klass->forward (l, x, got, n, FALSE);
    for (int64_t i = 0; i < ny; i++)
      ck_assert_msg (fabsf (got[i] - want[i]) <= 1e-5f * (1.0f + fabsf (want[i])),
                     "%s, round %d: y[%" G_GINT64_FORMAT "] = %.7g, unfolded %.7g", spec, round, i, got[i], want[i]);
  }
  g_rand_free (rng);
  nn_layer_free (l);
  nn_set_threads (1);
}

START_TEST (test_winograd)
{
  const char *same = "{\"type\":\"conv2d\",\"filters\":32,\"kernel\":3,\"padding\":\"same\"}";
  check_winograd (same, nn_shape_3d (16, 14, 14), 1, 1);   /* LeNet's conv2 */
  check_winograd (same, nn_shape_3d (16, 14, 14), 5, 2);
  check_winograd ("{\"type\":\"conv2d\",\"filters\":3,\"kernel\":3}", nn_shape_3d (5, 9, 8), 2, 1);
  check_winograd ("{\"type\":\"conv2d\",\"filters\":4,\"kernel\":3,\"padding\":[0,2,1,3],\"bias\":false}",
                  nn_shape_3d (4, 7, 11), 1, 1);
  check_winograd ("{\"type\":\"conv2d\",\"filters\":2,\"kernel\":3,\"padding\":2}", nn_shape_3d (6, 3, 4), 3, 2);
  check_winograd (same, nn_shape_3d (8, 1, 1), 1, 1);
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("conv2d");
  TCase *tc = tcase_create ("core");
  tcase_add_test (tc, test_shapes);
  tcase_add_test (tc, test_errors);
  tcase_add_test (tc, test_pytorch);
  tcase_add_test (tc, test_gradients);
  tcase_add_test (tc, test_winograd);
  suite_add_tcase (s, tc);
  return nn_check_run (s);
}
