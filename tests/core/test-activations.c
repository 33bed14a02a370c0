/* sigmoid, tanh, relu, leaky_relu, softmax: shape inference, PyTorch parity,
 * finite-difference gradients. */
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
  ck_assert_int_ge (nn_test_fixture_run ("activations.json", 1e-5), 7);
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

/* leaky_relu's "slope", standalone and through a layer's "activation" object */
START_TEST (test_leaky_slope)
{
  NnShape in = nn_shape_1d (4);
  NnLayer *l = nn_test_layer_new ("{\"type\":\"leaky_relu\",\"slope\":0.2}", &in, 1);
  float x[4] = { -2.0f, -0.5f, 0.0f, 3.0f }, y[4], dy[4] = { 1, 1, 1, 1 }, dx[4];
  l->klass->forward (l, x, y, 1, FALSE);
  float want[4] = { -0.4f, -0.1f, 0.0f, 3.0f };
  for (int i = 0; i < 4; i++)
    ck_assert_float_eq_tol (y[i], want[i], 1e-6f);
  l->klass->backward (l, x, y, dy, dx, 1);
  ck_assert_float_eq_tol (dx[0], 0.2f, 1e-6f);
  ck_assert_float_eq_tol (dx[3], 1.0f, 1e-6f);
  nn_layer_free (l);
  nn_gradcheck (&(NnGradCheck) { .spec = "{\"type\":\"leaky_relu\",\"slope\":0.2}", .in = nn_shape_1d (6),
                                 .n = 3, .seed = 4 });
  g_free (nn_test_layer_error ("{\"type\":\"leaky_relu\",\"name\":\"act\",\"slope\":0}", &in, NN_ERROR_INVALID));
  g_free (nn_test_layer_error ("{\"type\":\"leaky_relu\",\"name\":\"act\",\"slope\":2}", &in, NN_ERROR_INVALID));

  g_autoptr (GError) e = NULL;
  g_autoptr (NnModel) m = nn_model_new_from_spec ("{\"input\":[2],\"layers\":[{\"name\":\"fc\",\"type\":\"dense\","
                                                  "\"units\":2,\"activation\":{\"type\":\"leaky_relu\",\"slope\":0.5}}]}",
                                                  1, &e);
  ck_assert_msg (m != NULL, "%s", e ? e->message : "");
  NnLayerInfo info;
  nn_model_layer_info (m, 1, &info);
  ck_assert_str_eq (info.name, "fc_leaky_relu");
  int np;
  NnParam *p = nn_model_params (m, &np);
  float w[4] = { 1, 0, 0, 1 }, b[2] = { 0, 0 }, xin[2] = { -1.0f, 2.0f };
  memcpy (p[0].data, w, sizeof w);
  memcpy (p[1].data, b, sizeof b);
  const float *out = nn_model_forward (m, xin, 1, FALSE, &e);
  ck_assert_float_eq_tol (out[0], -0.5f, 1e-6f);
  ck_assert_float_eq_tol (out[1], 2.0f, 1e-6f);
  g_autoptr (NnModel) bad = nn_model_new_from_spec ("{\"input\":[2],\"layers\":[{\"name\":\"fc\",\"type\":\"dense\","
                                                    "\"units\":2,\"activation\":{\"slope\":0.5}}]}", 1, &e);
  ck_assert (bad == NULL);
  ck_assert_msg (strstr (e->message, "\"fc\"") && strstr (e->message, "\"type\""), "%s", e->message);
}
END_TEST

/* "axis": -1 normalises each step of a (T, V) sequence, 0 (the default) each
 * class column; any axis agrees with a plain softmax over that axis. */
START_TEST (test_softmax_axis)
{
  NnShape in = nn_shape_3d (2, 3, 4);
  const char *specs[] = { "{\"type\":\"softmax\"}", "{\"type\":\"softmax\",\"axis\":1}",
                          "{\"type\":\"softmax\",\"axis\":-1}", "{\"type\":\"softmax\",\"axis\":-3}" };
  int axis[] = { 0, 1, 2, 0 };
  float x[48], y[48];
  for (int i = 0; i < 48; i++)
    x[i] = sinf (1.3f * i) * 3.0f;
  for (guint k = 0; k < G_N_ELEMENTS (specs); k++) {
    NnLayer *l = nn_test_layer_new (specs[k], &in, 2);
    l->klass->forward (l, x, y, 2, FALSE);
    int64_t stride[3] = { 12, 4, 1 }, len = in.dim[axis[k]];
    for (int n = 0; n < 2; n++)
      for (int i = 0; i < 24; i++) {
        /* i walks every element; the softmax row through it along the axis */
        int64_t pos = i % stride[axis[k]] + (i / (stride[axis[k]] * len)) * stride[axis[k]] * len, base = n * 24 + pos;
        if ((i / stride[axis[k]]) % len)
          continue;
        double sum = 0.0;
        for (int64_t j = 0; j < len; j++)
          sum += exp (x[base + j * stride[axis[k]]]);
        for (int64_t j = 0; j < len; j++) {
          double want = exp (x[base + j * stride[axis[k]]]) / sum;
          ck_assert_msg (fabs (y[base + j * stride[axis[k]]] - want) < 1e-6, "%s: y[%" G_GINT64_FORMAT "]", specs[k],
                         base + j * stride[axis[k]]);
        }
      }
    nn_layer_free (l);
    nn_gradcheck (&(NnGradCheck) { .spec = specs[k], .in = in, .n = 2, .seed = k + 21 });
  }
  nn_gradcheck (&(NnGradCheck) { .spec = specs[2], .in = nn_shape_2d (5, 3), .n = 2, .seed = 31 });
  NnShape seq = nn_shape_2d (3, 4);
  g_free (nn_test_layer_error ("{\"type\":\"softmax\",\"name\":\"sm\",\"axis\":2}", &seq, NN_ERROR_INVALID));
  g_free (nn_test_layer_error ("{\"type\":\"softmax\",\"axis\":-3}", &seq, NN_ERROR_INVALID));
  g_free (nn_test_layer_error ("{\"type\":\"softmax\",\"axis\":\"last\"}", &seq, NN_ERROR_INVALID));
}
END_TEST

/* log_softmax is the log of softmax along the same axis, and stays finite
 * where softmax underflows. */
START_TEST (test_log_softmax)
{
  NnShape in = nn_shape_3d (2, 3, 4);
  const char *axes[] = { "0", "1", "-1" };
  float x[48], y[48], ls[48];
  for (int i = 0; i < 48; i++)
    x[i] = sinf (1.7f * i) * 4.0f;
  for (guint k = 0; k < G_N_ELEMENTS (axes); k++) {
    g_autofree char *sm = g_strdup_printf ("{\"type\":\"softmax\",\"axis\":%s}", axes[k]);
    g_autofree char *lsm = g_strdup_printf ("{\"type\":\"log_softmax\",\"axis\":%s}", axes[k]);
    NnLayer *a = nn_test_layer_new (sm, &in, 2), *b = nn_test_layer_new (lsm, &in, 2);
    a->klass->forward (a, x, y, 2, FALSE);
    b->klass->forward (b, x, ls, 2, FALSE);
    for (int i = 0; i < 48; i++)
      ck_assert_msg (fabs (ls[i] - log (y[i])) < 1e-5, "%s: y[%d] %g, log softmax %g", lsm, i, ls[i], log (y[i]));
    nn_layer_free (a);
    nn_layer_free (b);
    nn_gradcheck (&(NnGradCheck) { .spec = lsm, .in = in, .n = 2, .seed = k + 41 });
  }
  /* softmax gives 0 for -200 against 0; log_softmax gives -200 */
  NnShape two = nn_shape_1d (2);
  NnLayer *l = nn_test_layer_new ("{\"type\":\"log_softmax\"}", &two, 1);
  float big[2] = { 0.0f, -200.0f }, out[2];
  l->klass->forward (l, big, out, 1, FALSE);
  ck_assert_msg (fabsf (out[0]) < 1e-6f && fabsf (out[1] + 200.0f) < 1e-3f, "log_softmax %g %g", out[0], out[1]);
  nn_layer_free (l);
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
  tcase_add_test (tc, test_softmax_axis);
  tcase_add_test (tc, test_leaky_slope);
  tcase_add_test (tc, test_log_softmax);
  suite_add_tcase (s, tc);
  return nn_check_run (s);
}
