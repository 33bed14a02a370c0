/* nn export as a user meets it: a shipped model and its sidecar written,
 * the ConvLSTM model refused in one line naming the layer (exit 1, no file
 * left), usage errors (exit 2). The exported graphs themselves are checked in
 * tests/core/test-onnx-export.c. */
#include <check.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <string.h>
#include "../check-run.h"
#include "cli-run.h"

static char *tmp;

static void
setup (void)
{
  tmp = g_dir_make_tmp ("nn-export-XXXXXX", NULL);
  ck_assert (tmp);
}

static void
teardown (void)
{
  g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", tmp);
  ck_assert_int_eq (system (cmd), 0);
  g_clear_pointer (&tmp, g_free);
}

static char *
model (const char *name)
{
  const char *root = g_getenv ("NN_SOURCE_ROOT");
  return g_build_filename (root ? root : ".", "models", name, NULL);
}

START_TEST (test_export_with_sidecar)
{
  g_autofree char *src = model ("fashion-lenet.safetensors");
  g_autofree char *onnx = g_build_filename (tmp, "lenet.onnx", NULL);
  g_autofree char *side = g_build_filename (tmp, "lenet.json", NULL);
  g_autofree char *out = NULL, *err = NULL;
  ck_assert_int_eq (cli_run (&out, &err, "export", src, "-o", onnx, "--opset", "17", "--sidecar", NULL), 0);
  ck_assert_msg (strstr (out, onnx) && strstr (out, "opset 17") && strstr (out, side), "%s", out);
  /* a protobuf starting with field 1 (ir_version, varint): byte 0x08 */
  g_autofree char *data = NULL;
  gsize len;
  ck_assert (g_file_get_contents (onnx, &data, &len, NULL));
  ck_assert_int_gt (len, 800000);   /* the weights, 0.8 MB */
  ck_assert_int_eq ((guchar) data[0], 0x08);
  g_autoptr (JsonParser) p = json_parser_new ();
  ck_assert (json_parser_load_from_file (p, side, NULL));
  JsonObject *o = json_node_get_object (json_parser_get_root (p));
  JsonArray *labels = json_object_get_array_member (o, "labels");
  ck_assert_int_eq (json_array_get_length (labels), 10);
  ck_assert_str_eq (json_array_get_string_element (labels, 9), "ankle-boot");
  ck_assert (json_object_has_member (o, "preprocess"));
  ck_assert (!json_object_has_member (o, "layers"));
}
END_TEST

START_TEST (test_convlstm_refused)
{
  g_autofree char *src = model ("trailer-genre-convlstm.safetensors");
  g_autofree char *onnx = g_build_filename (tmp, "trailer.onnx", NULL);
  g_autofree char *err = NULL;
  ck_assert_int_eq (cli_run (NULL, &err, "export", src, "-o", onnx, "--sidecar", NULL), 1);
  ck_assert_msg (g_str_has_prefix (err, "nn export: ") && strstr (err, "layer \"clstm\"") &&
                 strstr (err, "convlstm2d"), "%s", err);
  ck_assert_msg (strchr (err, '\n') == err + strlen (err) - 1, "not one line: %s", err);
  ck_assert (!g_file_test (onnx, G_FILE_TEST_EXISTS));
}
END_TEST

START_TEST (test_usage)
{
  g_autofree char *src = model ("fashion-mlp.safetensors");
  g_autofree char *onnx = g_build_filename (tmp, "mlp.onnx", NULL);
  g_autofree char *spec = model ("fashion-mlp.json");
  char *err = NULL;
  ck_assert_int_eq (cli_run (NULL, &err, "export", src, NULL), 2);       /* no -o */
  ck_assert_msg (strstr (err, "-o"), "%s", err);
  g_free (err);
  ck_assert_int_eq (cli_run (NULL, &err, "export", src, "-o", onnx, "--opset", "12", NULL), 2);
  ck_assert_msg (strstr (err, "13..17"), "%s", err);
  g_free (err);
  ck_assert_int_eq (cli_run (NULL, NULL, "export", "-o", onnx, NULL), 2);    /* no MODEL */
  /* a spec has no weights: refused unless asked for */
  ck_assert_int_eq (cli_run (NULL, &err, "export", spec, "-o", onnx, NULL), 1);
  ck_assert_msg (strstr (err, "--random-weights"), "%s", err);
  g_free (err);
  ck_assert (!g_file_test (onnx, G_FILE_TEST_EXISTS));
  ck_assert_int_eq (cli_run (NULL, NULL, "export", spec, "-o", onnx, "--random-weights", NULL), 0);
  ck_assert (g_file_test (onnx, G_FILE_TEST_EXISTS));
}
END_TEST

static Suite *
suite (void)
{
  Suite *s = suite_create ("export");
  TCase *tc = tcase_create ("export");
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_add_test (tc, test_export_with_sidecar);
  tcase_add_test (tc, test_convlstm_refused);
  tcase_add_test (tc, test_usage);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  return nn_check_run (suite ());
}
