/* maxpool2d and avgpool2d: shape inference, PyTorch parity, finite-difference gradients. */
#include "gradcheck.h"
#include "../check-run.h"

static void
assert_out (const char *spec, NnShape in, NnShape want)
{
  NnLayer *l = nn_test_layer_new (spec, &in, 1);
  char a[64], b[64];
  ck_assert_msg (nn_shape_equal (&l->out, &want), "%s: out %s, wanted %s", spec,
                 nn_shape_to_string (&l->out, a, sizeof a), nn_shape_to_string (&want, b, sizeof b));
  ck_assert_int_eq (l->n_params, 0);
  nn_layer_free (l);
}

START_TEST (test_shapes)
{
  const char *kinds[] = { "maxpool2d", "avgpool2d" };
  for (int k = 0; k < 2; k++) {
    g_autofree char *s1 = g_strdup_printf ("{\"type\":\"%s\",\"size\":2}", kinds[k]);
    g_autofree char *s2 = g_strdup_printf ("{\"type\":\"%s\",\"size\":3,\"stride\":2,\"padding\":1}", kinds[k]);
    g_autofree char *s3 = g_strdup_printf ("{\"type\":\"%s\",\"size\":[3,2],\"stride\":[1,2],\"padding\":[1,0]}",
                                           kinds[k]);
    g_autofree char *s4 = g_strdup_printf ("{\"type\":\"%s\"}", kinds[k]);
    assert_out (s1, nn_shape_3d (6, 28, 28), nn_shape_3d (6, 14, 14));
    assert_out (s1, nn_shape_3d (2, 7, 9), nn_shape_3d (2, 3, 4));   /* floor, like PyTorch */
    assert_out (s2, nn_shape_3d (2, 7, 8), nn_shape_3d (2, 4, 4));
    assert_out (s3, nn_shape_3d (1, 6, 7), nn_shape_3d (1, 6, 3));
    assert_out (s4, nn_shape_3d (1, 4, 4), nn_shape_3d (1, 2, 2));   /* size defaults to 2 */
  }
}
END_TEST

START_TEST (test_errors)
{
  NnShape in = nn_shape_3d (1, 4, 4);
  g_free (nn_test_layer_error ("{\"type\":\"maxpool2d\",\"name\":\"p\",\"size\":5}", &in, NN_ERROR_SHAPE));
  g_free (nn_test_layer_error ("{\"type\":\"avgpool2d\",\"size\":[2,6]}", &in, NN_ERROR_SHAPE));
  g_free (nn_test_layer_error ("{\"type\":\"maxpool2d\",\"size\":2,\"stride\":-1}", &in, NN_ERROR_INVALID));
  g_free (nn_test_layer_error ("{\"type\":\"avgpool2d\",\"size\":0}", &in, NN_ERROR_INVALID));
  g_free (nn_test_layer_error ("{\"type\":\"maxpool2d\",\"size\":2,\"padding\":2}", &in, NN_ERROR_INVALID));
  g_free (nn_test_layer_error ("{\"type\":\"maxpool2d\",\"size\":2,\"padding\":-1}", &in, NN_ERROR_INVALID));
  NnShape flat = nn_shape_1d (16);
  g_free (nn_test_layer_error ("{\"type\":\"avgpool2d\"}", &flat, NN_ERROR_SHAPE));
}
END_TEST

START_TEST (test_pytorch)
{
  ck_assert_int_ge (nn_test_fixture_run ("pool2d.json", 1e-4), 8);
}
END_TEST

START_TEST (test_gradients)
{
  const char *specs[] = {
    "{\"type\":\"maxpool2d\",\"size\":2}",
    "{\"type\":\"maxpool2d\",\"size\":3,\"stride\":2,\"padding\":1}",
    "{\"type\":\"avgpool2d\",\"size\":2}",
    "{\"type\":\"avgpool2d\",\"size\":[3,2],\"stride\":[1,2],\"padding\":[1,1]}",
  };
  /* 70 distinct inputs are 0.013 apart, so a step of 1e-3 never swaps a max */
  for (guint i = 0; i < G_N_ELEMENTS (specs); i++)
    nn_gradcheck (&(NnGradCheck) { .spec = specs[i], .in = nn_shape_3d (1, 5, 7), .n = 2, .h = 1e-3f,
                                   .seed = i + 1 });
}
END_TEST

/* The 2x2 window's fast paths (even widths in blocks of rows, odd widths row
 * by row) against a plain scan, NaN included: a NaN anywhere in a window
 * is that window's maximum, as in PyTorch. */
static void
check_2x2 (int c, int h, int w)
{
  NnShape in = nn_shape_3d (c, h, w);
  NnLayer *l = nn_test_layer_new ("{\"type\":\"maxpool2d\",\"size\":2}", &in, 1);
  int oh = h / 2, ow = w / 2;
  g_autofree float *x = g_new (float, c * h * w);
  g_autofree float *y = g_new (float, c * oh * ow);
  GRand *rng = g_rand_new_with_seed (7);
  for (int i = 0; i < c * h * w; i++)
    x[i] = g_rand_int_range (rng, 0, 97) == 0 ? NAN : (float) g_rand_double_range (rng, -1, 1);
  g_rand_free (rng);
  l->klass->forward (l, x, y, 1, FALSE);
  for (int q = 0; q < c; q++)
    for (int oy = 0; oy < oh; oy++)
      for (int ox = 0; ox < ow; ox++) {
        float m = -INFINITY;
        gboolean nan = FALSE;
        for (int dy = 0; dy < 2; dy++)
          for (int dx = 0; dx < 2; dx++) {
            float v = x[(q * h + 2 * oy + dy) * w + 2 * ox + dx];
            nan |= isnan (v);
            m = MAX (m, v);
          }
        float got = y[(q * oh + oy) * ow + ox];
        ck_assert_msg (nan ? isnan (got) : got == m, "%dx%dx%d at (%d, %d, %d): %g, wanted %g", c, h, w, q, oy,
                       ox, got, nan ? NAN : m);
      }
  nn_layer_free (l);
}

START_TEST (test_2x2_paths)
{
  check_2x2 (3, 28, 28);     /* one block */
  check_2x2 (2, 9, 7);       /* odd: row by row, last row and column dropped */
  check_2x2 (2, 7, 1500);    /* a row pair per block */
  check_2x2 (1, 6, 3000);    /* wider than a block: row by row */
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("pool2d");
  TCase *tc = tcase_create ("core");
  tcase_add_test (tc, test_shapes);
  tcase_add_test (tc, test_errors);
  tcase_add_test (tc, test_pytorch);
  tcase_add_test (tc, test_gradients);
  tcase_add_test (tc, test_2x2_paths);
  suite_add_tcase (s, tc);
  return nn_check_run (s);
}
