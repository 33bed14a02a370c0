/* upsample2d: shape inference, PyTorch parity, finite-difference gradients. */
#include "gradcheck.h"
#include <float.h>
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

/* Infinities and values near the float limit, against PyTorch 1.13's
 * float32 F.interpolate(x, scale_factor=..., mode=..., align_corners=False)
 * (Debian's python3-torch; tests/fixtures/make-upsample-edge-values.py
 * prints them; JSON fixtures cannot hold inf or NaN).
 * Bilinear takes (1 - t) * a + t * b: an inf tap with weight 0 (the border,
 * or the one-row case whose two row taps coincide) gives NaN as in PyTorch,
 * one with a weight gives inf, and mixing 3e38 with -3.4e38 does not
 * overflow. Nearest copies whatever it finds. Finite values agree to 1 ulp:
 * PyTorch's AVX2 kernels fuse one of the two products into an FMA, its
 * default ones do not, so the last bit depends on the CPU it ran on. */
typedef struct {
  const char *spec;
  int c, h, w, oh, ow;
  float x[4];
  float y[16];
} EdgeCase;

static void
check_edge (const EdgeCase *k)
{
  NnShape in = nn_shape_3d (k->c, k->h, k->w);
  NnLayer *l = nn_test_layer_new (k->spec, &in, 1);
  float y[16];
  ck_assert_int_eq (nn_shape_numel (&l->out), k->oh * k->ow);
  l->klass->forward (l, k->x, y, 1, FALSE);
  for (int i = 0; i < k->oh * k->ow; i++) {
    if (isnan (k->y[i]))
      ck_assert_msg (isnan (y[i]), "%s: y[%d] = %.9g, PyTorch gives nan", k->spec, i, y[i]);
    else if (isinf (k->y[i]) || k->y[i] == 0.0f)
      ck_assert_msg (y[i] == k->y[i], "%s: y[%d] = %.9g, PyTorch gives %.9g", k->spec, i, y[i], k->y[i]);
    else
      ck_assert_msg (isfinite (y[i]) && fabsf (y[i] - k->y[i]) <= fabsf (k->y[i]) * FLT_EPSILON,
                     "%s: y[%d] = %.9g, PyTorch gives %.9g", k->spec, i, y[i], k->y[i]);
  }
  nn_layer_free (l);
}

START_TEST (test_pytorch_edges)
{
  const float inf = INFINITY, nan = NAN;
  const char *bil12 = "{\"type\":\"upsample2d\",\"scale\":[1,2],\"mode\":\"bilinear\"}";
  const char *bil21 = "{\"type\":\"upsample2d\",\"scale\":[2,1],\"mode\":\"bilinear\"}";
  const char *bil2 = "{\"type\":\"upsample2d\",\"scale\":2,\"mode\":\"bilinear\"}";
  const char *bil13 = "{\"type\":\"upsample2d\",\"scale\":[1,3],\"mode\":\"bilinear\"}";
  const char *near2 = "{\"type\":\"upsample2d\",\"scale\":2}";
  const EdgeCase cases[] = {
    /* [[1, inf, 2]] x (1, 2): the single row's second tap has weight 0 */
    { bil12, 1, 1, 3, 1, 6, { 1, inf, 2 }, { nan, nan, nan, nan, nan, 2 } },
    { bil12, 1, 1, 3, 1, 6, { 1, -inf, 2 }, { nan, nan, nan, nan, nan, 2 } },
    { bil21, 1, 3, 1, 6, 1, { 1, inf, 2 }, { nan, nan, nan, nan, nan, 2 } },
    { bil13, 1, 1, 3, 1, 9, { inf, 5, -inf }, { nan, nan, nan, nan, nan, nan, nan, nan, nan } },
    /* [[1, inf], [3, 4]] x 2 */
    { bil2, 1, 2, 2, 4, 4, { 1, inf, 3, 4 },
      { nan, inf, inf, inf, nan, inf, inf, inf, nan, inf, inf, inf, 3.0f, 3.25f, 3.75f, 4.0f } },
    /* [[3e38, 3.4e38], [3.4e38, 3e38]] x 2 */
    { bil2, 1, 2, 2, 4, 4, { 3e38f, 3.4e38f, 3.4e38f, 3e38f },
      { 3.0000000054977558e+38f, 3.099999992159408e+38f, 3.299999965482712e+38f, 3.3999999521443642e+38f,
        3.099999992159408e+38f, 3.149999985490234e+38f, 3.249999972151886e+38f, 3.299999965482712e+38f,
        3.299999965482712e+38f, 3.249999972151886e+38f, 3.149999985490234e+38f, 3.099999992159408e+38f,
        3.3999999521443642e+38f, 3.299999965482712e+38f, 3.099999992159408e+38f, 3.0000000054977558e+38f } },
    /* [[3e38, -3.4e38]] x (1, 2): b - a would overflow to -inf */
    { bil12, 1, 1, 2, 1, 4, { 3e38f, -3.4e38f },
      { 3.0000000054977558e+38f, 1.4000000160872258e+38f, -1.7999999627338342e+38f, -3.3999999521443642e+38f } },
    /* FLT_MAX everywhere stays FLT_MAX */
    { bil12, 1, 1, 3, 1, 6, { FLT_MAX, FLT_MAX, FLT_MAX }, { FLT_MAX, FLT_MAX, FLT_MAX, FLT_MAX, FLT_MAX, FLT_MAX } },
    /* nearest: [[1, inf], [-inf, nan]] x 2 copies each value into its 2x2 block */
    { near2, 1, 2, 2, 4, 4, { 1, inf, -inf, nan },
      { 1, 1, inf, inf, 1, 1, inf, inf, -inf, -inf, nan, nan, -inf, -inf, nan, nan } },
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    check_edge (&cases[i]);
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
  tcase_add_test (tc, test_pytorch_edges);
  tcase_add_test (tc, test_gradients);
  suite_add_tcase (s, tc);
  return nn_check_run (s);
}
