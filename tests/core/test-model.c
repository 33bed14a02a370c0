/* Models: PyTorch parity through a safetensors file made by PyTorch, save and
 * load round trip, and every bad spec or weight file as a clear error. */
#include <check.h>
#include "nn-private.h"
#include <glib/gstdio.h>
#include "../check-run.h"

static char *
fixture (const char *name)
{
  const char *root = g_getenv ("NN_SOURCE_ROOT");
  return g_build_filename (root ? root : ".", "tests", "fixtures", name, NULL);
}

START_TEST (test_pytorch_parity)
{
  g_autofree char *path = fixture ("model-mlp-torch.safetensors"), *jpath = fixture ("model-mlp-torch.json");
  GError *e = NULL;
  NnModel *m = nn_model_load (path, &e);
  ck_assert_msg (m, "%s", e ? e->message : "");
  JsonParser *p = json_parser_new ();
  ck_assert (json_parser_load_from_file (p, jpath, NULL));
  JsonObject *o = json_node_get_object (json_parser_get_root (p));
  JsonArray *xa = json_object_get_array_member (o, "x"), *ya = json_object_get_array_member (o, "y");
  int n = json_object_get_int_member (o, "n");
  float x[64];
  for (guint i = 0; i < json_array_get_length (xa); i++)
    x[i] = json_array_get_double_element (xa, i);
  const float *y = nn_model_forward (m, x, n, FALSE, &e);
  ck_assert (y);
  ck_assert_int_eq (json_array_get_length (ya), n * 4);
  for (int i = 0; i < n * 4; i++)
    ck_assert_msg (fabs (y[i] - json_array_get_double_element (ya, i)) < 1e-5, "y[%d] = %g, PyTorch %g", i, y[i],
                   json_array_get_double_element (ya, i));
  ck_assert_str_eq (nn_model_label (m, 3), "d");
  g_object_unref (p);
  nn_model_free (m);
}
END_TEST

static const char *mlp = "{\"input\": [3], \"labels\": [\"x\", \"y\"], \"layers\": ["
                         "{\"name\": \"fc\", \"type\": \"dense\", \"units\": 4, \"activation\": \"relu\"},"
                         "{\"name\": \"out\", \"type\": \"dense\", \"units\": 2, \"activation\": \"softmax\"}]}";

START_TEST (test_save_load_round_trip)
{
  GError *e = NULL;
  g_autofree char *dir = g_dir_make_tmp ("nn-model-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "m.safetensors", NULL);
  NnModel *a = nn_model_new_from_spec (mlp, 9, &e);
  ck_assert (nn_model_save (a, path, &e));
  NnModel *b = nn_model_load (path, &e);
  ck_assert_msg (b, "%s", e ? e->message : "");
  const float x[] = { 0.5f, -1.0f, 2.0f };
  float ya[2];
  memcpy (ya, nn_model_forward (a, x, 1, FALSE, NULL), sizeof ya);
  const float *yb = nn_model_forward (b, x, 1, FALSE, NULL);
  ck_assert (memcmp (ya, yb, sizeof ya) == 0);
  ck_assert_str_eq (nn_model_label (b, 1), "y");
  /* --weights: load into a freshly built model of the same spec */
  NnModel *c = nn_model_new_from_spec (mlp, 77, &e);
  ck_assert (nn_model_load_weights (c, path, &e));
  ck_assert (memcmp (ya, nn_model_forward (c, x, 1, FALSE, NULL), sizeof ya) == 0);
  nn_model_free (a);
  nn_model_free (b);
  nn_model_free (c);
  g_unlink (path);
  g_rmdir (dir);
}
END_TEST

static void
expect_spec_error (const char *json, int code, const char *needle)
{
  GError *e = NULL;
  NnModel *m = nn_model_new_from_spec (json, 1, &e);
  ck_assert_msg (m == NULL, "spec accepted: %s", json);
  ck_assert_int_eq (e->domain, NN_ERROR);
  ck_assert_msg (e->code == code, "code %d, expected %d (%s)", e->code, code, e->message);
  ck_assert_msg (strstr (e->message, needle), "\"%s\" does not mention \"%s\"", e->message, needle);
  g_error_free (e);
}

START_TEST (test_bad_specs)
{
  expect_spec_error ("{\"input\": [3], \"layers\": [", NN_ERROR_FORMAT, "invalid JSON");
  expect_spec_error ("[1, 2]", NN_ERROR_FORMAT, "not a JSON object");
  expect_spec_error ("{\"layers\": [{\"type\": \"dense\", \"units\": 2}]}", NN_ERROR_FORMAT, "input");
  expect_spec_error ("{\"input\": [0], \"layers\": [{\"type\": \"dense\", \"units\": 2}]}", NN_ERROR_FORMAT, "input");
  expect_spec_error ("{\"input\": [-3], \"layers\": [{\"type\": \"dense\", \"units\": 2}]}", NN_ERROR_FORMAT, "input");
  expect_spec_error ("{\"input\": [3], \"layers\": []}", NN_ERROR_FORMAT, "layers");
  expect_spec_error ("{\"input\": [3], \"layers\": [{\"type\": \"quantum\", \"name\": \"q\"}]}",
                     NN_ERROR_UNKNOWN_LAYER, "quantum");
  expect_spec_error ("{\"input\": [3], \"layers\": [{\"name\": \"d\", \"units\": 2}]}", NN_ERROR_FORMAT, "type");
  expect_spec_error ("{\"input\": [3], \"layers\": [{\"type\": \"dense\", \"name\": \"d\"}]}", NN_ERROR_INVALID, "units");
  expect_spec_error ("{\"input\": [3], \"layers\": [{\"type\": \"dense\", \"units\": -2, \"name\": \"d\"}]}",
                     NN_ERROR_INVALID, "\"d\"");
  expect_spec_error ("{\"input\": [3], \"layers\": [{\"type\": \"dense\", \"units\": 2, \"activation\": \"swish\"}]}",
                     NN_ERROR_INVALID, "swish");
  expect_spec_error ("{\"input\": [3], \"layers\": [{\"type\": \"dense\", \"units\": 2, \"name\": \"a\"},"
                     "{\"type\": \"dense\", \"units\": 2, \"name\": \"a\"}]}", NN_ERROR_FORMAT, "\"a\"");
  expect_spec_error ("{\"input\": [3], \"labels\": [\"a\"], \"layers\": [{\"type\": \"dense\", \"units\": 2}]}",
                     NN_ERROR_SHAPE, "labels");
  expect_spec_error ("{\"input\": [3], \"labels\": [1, 2], \"layers\": [{\"type\": \"dense\", \"units\": 2}]}",
                     NN_ERROR_FORMAT, "labels");
  expect_spec_error ("{\"input\": [3], \"layers\": [{\"type\": \"dropout\", \"rate\": 1.5, \"name\": \"dr\"}]}",
                     NN_ERROR_INVALID, "rate");
}
END_TEST

/* Weight files that do not fit the spec: missing tensor, wrong shape, no spec. */
START_TEST (test_weights_mismatch)
{
  GError *e = NULL;
  g_autofree char *dir = g_dir_make_tmp ("nn-model-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "m.safetensors", NULL);
  NnModel *a = nn_model_new_from_spec (mlp, 1, &e);
  ck_assert (nn_model_save (a, path, &e));
  /* wider hidden layer: shape mismatch on fc.weight */
  NnModel *wide = nn_model_new_from_spec ("{\"input\": [3], \"layers\": [{\"name\": \"fc\", \"type\": \"dense\", "
                                          "\"units\": 5}, {\"name\": \"out\", \"type\": \"dense\", \"units\": 2}]}", 1, &e);
  ck_assert (!nn_model_load_weights (wide, path, &e));
  ck_assert_int_eq (e->code, NN_ERROR_SHAPE);
  ck_assert (strstr (e->message, "fc.weight") && strstr (e->message, "m.safetensors"));
  g_clear_error (&e);
  /* an extra layer the file does not have: missing tensor */
  NnModel *more = nn_model_new_from_spec ("{\"input\": [3], \"layers\": [{\"name\": \"fc\", \"type\": \"dense\", "
                                          "\"units\": 4}, {\"name\": \"out\", \"type\": \"dense\", \"units\": 2},"
                                          "{\"name\": \"extra\", \"type\": \"dense\", \"units\": 2}]}", 1, &e);
  ck_assert (!nn_model_load_weights (more, path, &e));
  ck_assert (strstr (e->message, "extra.weight"));
  g_clear_error (&e);
  /* a safetensors file without nn.spec cannot be a model by itself */
  int n;
  NnParam *p = nn_model_params (a, &n);
  const char *meta[] = { "format", "pt", NULL };
  ck_assert (nn_safetensors_write (path, p, n, meta, &e));
  ck_assert (nn_model_load (path, &e) == NULL);
  ck_assert (strstr (e->message, "nn.spec"));
  g_clear_error (&e);
  /* a directory and a missing path */
  ck_assert (nn_model_load (dir, &e) == NULL);
  ck_assert_int_eq (e->code, NN_ERROR_IO);
  g_clear_error (&e);
  ck_assert (nn_model_load ("/nonexistent/model.safetensors", &e) == NULL);
  ck_assert (strstr (e->message, "/nonexistent/model.safetensors"));
  g_clear_error (&e);
  ck_assert (nn_model_load ("/nonexistent/spec.json", &e) == NULL);
  ck_assert_int_eq (e->code, NN_ERROR_IO);
  g_clear_error (&e);
  nn_model_free (a);
  nn_model_free (wide);
  nn_model_free (more);
  g_unlink (path);
  g_rmdir (dir);
}
END_TEST

START_TEST (test_info_and_workspace)
{
  GError *e = NULL;
  NnModel *m = nn_model_new_from_spec (mlp, 1, &e);
  ck_assert_int_eq (nn_model_n_layers (m), 4);
  NnLayerInfo li;
  nn_model_layer_info (m, 0, &li);
  ck_assert_str_eq (li.name, "fc");
  ck_assert_int_eq (li.n_params, 16);
  ck_assert_int_eq (li.flops, 24);
  nn_model_layer_info (m, 1, &li);
  ck_assert_str_eq (li.type, "relu");
  ck_assert_int_eq (nn_model_n_trainable (m), 16 + 10);
  ck_assert (!nn_model_forward (m, NULL, 0, FALSE, &e));
  g_clear_error (&e);
  /* the workspace grows once, then is reused: the output pointer stays */
  float x[3 * 8] = { 0 };
  const float *y1 = nn_model_forward (m, x, 8, FALSE, &e);
  const float *y2 = nn_model_forward (m, x, 3, FALSE, &e);
  ck_assert_ptr_eq (y1, y2);
  nn_model_free (m);
}
END_TEST

/* dL/dx at the model's input against central differences, L = sum (y * g) */
START_TEST (test_backward_input)
{
  GError *e = NULL;
  NnModel *m = nn_model_new_from_spec (mlp, 3, &e);
  float x[6] = { 0.3f, -0.8f, 1.1f, -0.2f, 0.5f, 0.9f }, g[4] = { 0.7f, -1.3f, 0.2f, 0.9f };
  nn_model_forward (m, x, 2, FALSE, &e);
  float dx[6];
  memcpy (dx, nn_model_backward_input (m, g, FALSE), sizeof dx);
  double maxg = 0;
  for (int i = 0; i < 6; i++) {
    float keep = x[i], h = 1e-2f;
    double l[2];
    for (int s = 0; s < 2; s++) {
      x[i] = keep + (s ? -h : h);
      const float *y = nn_model_forward (m, x, 2, FALSE, &e);
      l[s] = 0;
      for (int j = 0; j < 4; j++)
        l[s] += (double) y[j] * g[j];
    }
    x[i] = keep;
    double num = (l[0] - l[1]) / (2 * h);
    ck_assert_msg (fabs (num - dx[i]) < 1e-3 + 1e-2 * fabs (num), "dx[%d] %g vs numeric %g", i, dx[i], num);
    maxg = MAX (maxg, fabs (dx[i]));
  }
  ck_assert (maxg > 1e-3);
  nn_model_free (m);
}
END_TEST

static Suite *
suite (void)
{
  Suite *s = suite_create ("model");
  TCase *tc = tcase_create ("model");
  tcase_add_test (tc, test_pytorch_parity);
  tcase_add_test (tc, test_save_load_round_trip);
  tcase_add_test (tc, test_bad_specs);
  tcase_add_test (tc, test_weights_mismatch);
  tcase_add_test (tc, test_info_and_workspace);
  tcase_add_test (tc, test_backward_input);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  return nn_check_run (suite ());
}
