/* dropout: shape inference, inference is the identity, training drops about
 * `rate` of the units and scales the rest, finite-difference gradients with
 * a fixed mask. Its randomness has no PyTorch fixture to match. */
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

#define N_UNITS 20000

START_TEST (test_shapes)
{
  assert_out ("{\"type\":\"dropout\",\"rate\":0.3}", nn_shape_3d (4, 3, 2), nn_shape_3d (4, 3, 2));
  assert_out ("{\"type\":\"dropout\"}", nn_shape_1d (10), nn_shape_1d (10));
}
END_TEST

START_TEST (test_errors)
{
  NnShape in = nn_shape_1d (8);
  g_free (nn_test_layer_error ("{\"type\":\"dropout\",\"name\":\"d\",\"rate\":1.0}", &in, NN_ERROR_INVALID));
  g_free (nn_test_layer_error ("{\"type\":\"dropout\",\"rate\":-0.1}", &in, NN_ERROR_INVALID));
  g_free (nn_test_layer_error ("{\"type\":\"dropout\",\"rate\":\"half\"}", &in, NN_ERROR_INVALID));
}
END_TEST

static void
check_rate (float rate)
{
  g_autofree char *spec = g_strdup_printf ("{\"type\":\"dropout\",\"rate\":%g}", rate);
  NnLayer *l = nn_test_layer_new (spec, &(NnShape) { 1, { N_UNITS / 2 } }, 2);
  g_autofree float *x = g_new (float, N_UNITS), *y = g_new (float, N_UNITS);
  g_autofree float *dy = g_new (float, N_UNITS), *dx = g_new (float, N_UNITS);
  for (int i = 0; i < N_UNITS; i++) {
    x[i] = 0.5f + (float) i / N_UNITS;
    dy[i] = 1.0f - (float) i / N_UNITS;
  }

  l->klass->forward (l, x, y, 2, FALSE);
  ck_assert_msg (memcmp (x, y, sizeof (float) * N_UNITS) == 0, "%s: inference is not the identity", spec);
  l->klass->backward (l, x, y, dy, dx, 2);
  ck_assert_msg (memcmp (dx, dy, sizeof (float) * N_UNITS) == 0, "%s: inference backward is not the identity", spec);

  l->klass->forward (l, x, y, 2, TRUE);
  l->klass->backward (l, x, y, dy, dx, 2);
  int dropped = 0;
  float keep = 1.0f / (1.0f - rate);
  for (int i = 0; i < N_UNITS; i++) {
    gboolean off = y[i] == 0.0f;
    dropped += off;
    ck_assert_msg (off || fabsf (y[i] - x[i] * keep) <= 1e-6f * y[i], "%s: survivor %d not scaled", spec, i);
    ck_assert_msg (dx[i] == (off ? 0.0f : dy[i] * keep), "%s: dx[%d] does not follow the mask", spec, i);
  }
  /* binomial: 4 standard deviations are under 0.015 for 20000 units */
  ck_assert_msg (fabs ((double) dropped / N_UNITS - rate) < 0.015, "%s: dropped %d of %d", spec, dropped, N_UNITS);
  nn_layer_free (l);
}

START_TEST (test_statistics)
{
  check_rate (0.5f);
  check_rate (0.2f);
  check_rate (0.0f);

  /* two training passes draw different masks */
  NnLayer *l = nn_test_layer_new ("{\"type\":\"dropout\"}", &(NnShape) { 1, { 64 } }, 1);
  float x[64], a[64], b[64];
  for (int i = 0; i < 64; i++)
    x[i] = 1.0f;
  l->klass->forward (l, x, a, 1, TRUE);
  l->klass->forward (l, x, b, 1, TRUE);
  ck_assert (memcmp (a, b, sizeof a) != 0);
  nn_layer_free (l);
}
END_TEST

START_TEST (test_gradients)
{
  nn_gradcheck (&(NnGradCheck) { .spec = "{\"type\":\"dropout\",\"rate\":0.4}", .in = nn_shape_3d (2, 3, 4), .n = 2,
                                 .training = TRUE, .seed = 1 });
  nn_gradcheck (&(NnGradCheck) { .spec = "{\"type\":\"dropout\",\"rate\":0.4}", .in = nn_shape_1d (9), .n = 2,
                                 .training = FALSE, .seed = 2 });
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("dropout");
  TCase *tc = tcase_create ("core");
  tcase_add_test (tc, test_shapes);
  tcase_add_test (tc, test_errors);
  tcase_add_test (tc, test_statistics);
  tcase_add_test (tc, test_gradients);
  suite_add_tcase (s, tc);
  return nn_check_run (s);
}
