/* nn profile's structure, never its times: every layer listed in the model's
 * order with the FLOPs its flops () gives, times non-negative and ordered
 * (min <= median <= max), fused layers pointing at the pass that ran them,
 * the training step's backward, loss and optimiser rows, --json parsing, and
 * bad arguments refused (usage: exit 2; a missing file: exit 1 naming it). */
#include <check.h>
#include <glib.h>
#include <json-glib/json-glib.h>
#include <nn/nn.h>
#include <string.h>
#include "../check-run.h"
#include "cli-run.h"

static char *
model (const char *name)
{
  const char *root = g_getenv ("NN_SOURCE_ROOT");
  return g_build_filename (root ? root : ".", "models", name, NULL);
}

static void
check_times (JsonObject *o, const char *member)
{
  ck_assert_msg (json_object_has_member (o, member), "%s missing", member);
  JsonObject *t = json_object_get_object_member (o, member);
  double med = json_object_get_double_member (t, "median"), lo = json_object_get_double_member (t, "min"),
         hi = json_object_get_double_member (t, "max");
  ck_assert_msg (lo >= 0 && lo <= med && med <= hi, "%s: min %g median %g max %g", member, lo, med, hi);
}

/* Runs nn profile MODEL ARGS... --json and checks the layers against the
 * model built here; returns the parsed root (unref the parser). */
static JsonObject *
profile_json (JsonParser *parser, const char *path, const char *mode, const char *batch, gboolean train)
{
  g_autofree char *out = NULL, *err = NULL;
  int rc = train ? cli_run (&out, &err, "profile", path, "--batch", batch, "--runs", "3", "--threads", "1", "--train",
                            "--json", NULL)
                 : cli_run (&out, &err, "profile", path, "--batch", batch, "--runs", "3", "--threads", "1", "--json",
                            NULL);
  ck_assert_msg (rc == 0, "exit %d: %s", rc, err);
  g_autoptr (GError) e = NULL;
  ck_assert_msg (json_parser_load_from_data (parser, out, -1, &e), "%s", e ? e->message : "");
  JsonObject *root = json_node_get_object (json_parser_get_root (parser));
  ck_assert_str_eq (json_object_get_string_member (root, "mode"), mode);
  ck_assert_int_eq (json_object_get_int_member (root, "batch"), atoi (batch));
  ck_assert_int_eq (json_object_get_int_member (root, "runs"), 3);
  check_times (root, "total_us");

  g_autoptr (NnModel) m = nn_model_load (path, &e);
  ck_assert_msg (m, "%s", e ? e->message : "");
  JsonArray *layers = json_object_get_array_member (root, "layers");
  ck_assert_int_eq (json_array_get_length (layers), nn_model_n_layers (m));
  for (int i = 0; i < nn_model_n_layers (m); i++) {
    NnLayerInfo li;
    nn_model_layer_info (m, i, &li);
    JsonObject *l = json_array_get_object_element (layers, i);
    ck_assert_str_eq (json_object_get_string_member (l, "name"), li.name);
    ck_assert_str_eq (json_object_get_string_member (l, "type"), li.type);
    ck_assert_int_eq (json_object_get_int_member (l, "flops"), li.flops);
    check_times (l, "forward_us");
    if (train)
      check_times (l, "backward_us");
    else
      ck_assert (!json_object_has_member (l, "backward_us"));
  }
  return root;
}

static JsonObject *
layer (JsonObject *root, int i)
{
  return json_array_get_object_element (json_object_get_array_member (root, "layers"), i);
}

START_TEST (test_inference_lenet)
{
  g_autofree char *path = model ("fashion-lenet.safetensors");
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonObject *root = profile_json (parser, path, "inference", "2", FALSE);
  /* conv -> relu -> maxpool runs as one pass in inference: the relu and the
   * pool name it and take no time of their own; the conv names its path */
  JsonObject *conv1 = layer (root, 0), *relu1 = layer (root, 1), *pool1 = layer (root, 2);
  ck_assert_str_eq (json_object_get_string_member (conv1, "type"), "conv2d");
  ck_assert (json_object_get_null_member (conv1, "fused_into"));
  ck_assert_str_eq (json_object_get_string_member (relu1, "fused_into"), "conv1");
  ck_assert_str_eq (json_object_get_string_member (pool1, "fused_into"), "conv1");
  ck_assert (json_object_get_double_member (json_object_get_object_member (pool1, "forward_us"), "max") == 0);
  ck_assert_msg (strstr (json_object_get_string_member (conv1, "algorithm"), "pooled"), "%s",
                 json_object_get_string_member (conv1, "algorithm"));
  /* batch 2 takes the dense layers' gemm, not batch 1's gemv */
  for (guint i = 0; i < json_array_get_length (json_object_get_array_member (root, "layers")); i++)
    if (g_str_equal (json_object_get_string_member (layer (root, i), "type"), "dense"))
      ck_assert_str_eq (json_object_get_string_member (layer (root, i), "algorithm"), "gemm");
}
END_TEST

START_TEST (test_training_mlp)
{
  g_autofree char *path = model ("fashion-mlp.json");
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonObject *root = profile_json (parser, path, "train", "4", TRUE);
  ck_assert_str_eq (json_object_get_string_member (root, "loss"), "cce");
  ck_assert_str_eq (json_object_get_string_member (root, "optimizer"), "adam");
  check_times (root, "loss_us");
  check_times (root, "optimizer_us");
  /* training fuses nothing */
  for (guint i = 0; i < json_array_get_length (json_object_get_array_member (root, "layers")); i++)
    ck_assert (json_object_get_null_member (layer (root, i), "fused_into"));
}
END_TEST

START_TEST (test_text_lists_layers_in_order)
{
  g_autofree char *path = model ("gesture-fcn.json");
  g_autofree char *out = NULL;
  ck_assert_int_eq (cli_run (&out, NULL, "profile", path, "--runs", "2", NULL), 0);
  g_autoptr (NnModel) m = nn_model_load (path, NULL);
  ck_assert (m);
  const char *at = out;
  for (int i = 0; i < nn_model_n_layers (m); i++) {
    NnLayerInfo li;
    nn_model_layer_info (m, i, &li);
    g_autofree char *row = g_strdup_printf ("\n%s ", li.name);
    const char *next = strstr (at, row);
    ck_assert_msg (next, "layer %s not listed after the previous one:\n%s", li.name, out);
    at = next + 1;
  }
  ck_assert_msg (strstr (at, "whole call") && strstr (at, "overhead"), "%s", out);
}
END_TEST

START_TEST (test_bad_arguments)
{
  g_autofree char *path = model ("fashion-mlp.json");
  ck_assert_int_eq (cli_run (NULL, NULL, "profile", NULL), 2);
  ck_assert_int_eq (cli_run (NULL, NULL, "profile", path, "--batch", "0", NULL), 2);
  ck_assert_int_eq (cli_run (NULL, NULL, "profile", path, "--runs", "0", NULL), 2);
  ck_assert_int_eq (cli_run (NULL, NULL, "profile", path, "--batch", "x", NULL), 2);
  ck_assert_int_eq (cli_run (NULL, NULL, "profile", path, path, NULL), 2);
  g_autofree char *err = NULL;
  ck_assert_int_eq (cli_run (NULL, &err, "profile", "/nonexistent/m.safetensors", NULL), 1);
  ck_assert_msg (strstr (err, "/nonexistent/m.safetensors"), "%s", err);
}
END_TEST

static Suite *
suite (void)
{
  Suite *s = suite_create ("profile");
  TCase *tc = tcase_create ("profile");
  tcase_set_timeout (tc, 120);
  tcase_add_test (tc, test_inference_lenet);
  tcase_add_test (tc, test_training_mlp);
  tcase_add_test (tc, test_text_lists_layers_in_order);
  tcase_add_test (tc, test_bad_arguments);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  return nn_check_run (suite ());
}
