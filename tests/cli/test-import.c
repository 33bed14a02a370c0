/* nn import: an ONNX fixture to a model file that runs as the .onnx does,
 * with labels and preprocessing from the options; bad input exits 1 with one
 * line naming the file (and the node), usage errors exit 2. */
#include "io/onnx-private.h"
#include <check.h>
#include <glib/gstdio.h>
#include "cli-run.h"
#include "../check-run.h"

static char *fixdir, *tmpdir;

static void
setup (void)
{
  const char *root = g_getenv ("NN_SOURCE_ROOT");
  ck_assert_msg (root != NULL, "NN_SOURCE_ROOT is not set (run through meson test)");
  fixdir = g_build_filename (root, "tests", "fixtures", "onnx", NULL);
  tmpdir = g_dir_make_tmp ("nn-import-XXXXXX", NULL);
  ck_assert (tmpdir != NULL);
}

static void
teardown (void)
{
  GDir *d = g_dir_open (tmpdir, 0, NULL);
  const char *f;
  while (d && (f = g_dir_read_name (d))) {
    g_autofree char *p = g_build_filename (tmpdir, f, NULL);
    g_unlink (p);
  }
  if (d)
    g_dir_close (d);
  g_rmdir (tmpdir);
  g_clear_pointer (&tmpdir, g_free);
  g_clear_pointer (&fixdir, g_free);
}

/* stderr is one line "nn import: <path>: ..." holding `want` */
static void
assert_one_line (const char *err, const char *path, const char *want)
{
  g_autofree char *prefix = g_strdup_printf ("nn import: %s", path);
  ck_assert_msg (g_str_has_prefix (err, prefix), "stderr: %s", err);
  ck_assert_msg (strchr (err, '\n') == err + strlen (err) - 1, "not one line: %s", err);
  ck_assert_msg (strstr (err, want), "\"%s\" not in: %s", want, err);
}

START_TEST (test_import)
{
  g_autofree char *onnx = g_build_filename (fixdir, "fashion-lenet.onnx", NULL);
  g_autofree char *out = g_build_filename (tmpdir, "lenet.safetensors", NULL);
  g_autofree char *labels = g_build_filename (tmpdir, "labels.txt", NULL);
  ck_assert (g_file_set_contents (labels, "zero\none\ntwo\nthree\nfour\n\nfive\nsix\nseven\neight\nnine\n", -1, NULL));
  char *o = NULL, *e = NULL;
  int rc = cli_run (&o, &e, "import", onnx, "-o", out, "--labels-file", labels, "--preprocess",
                    "{\"rescale\": 0.5, \"mean\": 0.25}", NULL);
  ck_assert_msg (rc == 0, "rc %d: %s", rc, e);
  ck_assert_msg (strstr (o, "10 labels"), "%s", o);
  g_free (o);
  g_free (e);
  g_autoptr (GError) err = NULL;
  g_autoptr (NnModel) a = nn_model_load (onnx, &err), b = nn_model_load (out, &err);
  ck_assert_msg (a && b, "%s", err ? err->message : "");
  /* the file holds what the .onnx gives, with the options' labels and preprocess */
  ck_assert_str_eq (nn_model_label (b, 5), "five");
  ck_assert_float_eq_tol (nn_model_preprocess (b)->rescale, 0.5f, 1e-7f);
  ck_assert_float_eq_tol (nn_model_preprocess (b)->mean[0], 0.25f, 1e-7f);
  float x[2 * 784];
  for (int i = 0; i < 2 * 784; i++)
    x[i] = (float) ((i * 37) % 101) / 101.0f;
  g_autofree float *ya = g_memdup2 (nn_model_forward (a, x, 2, FALSE, &err), 20 * sizeof (float));
  const float *yb = nn_model_forward (b, x, 2, FALSE, &err);
  for (int i = 0; i < 20; i++)
    ck_assert_float_eq (ya[i], yb[i]);
  /* the sidecar beside the .onnx gives the labels when no option does */
  g_autofree char *out2 = g_build_filename (tmpdir, "lenet2.safetensors", NULL);
  rc = cli_run (NULL, &e, "import", onnx, "-o", out2, "--labels", "a,b,c,d,e,f,g,h,i,j", NULL);
  ck_assert_msg (rc == 0, "%s", e);
  g_free (e);
  g_autoptr (NnModel) c = nn_model_load (out2, &err);
  ck_assert_str_eq (nn_model_label (c, 9), "j");
  ck_assert_float_eq_tol (nn_model_preprocess (c)->rescale, 1.0f / 255, 1e-7f);
}
END_TEST

START_TEST (test_errors)
{
  g_autofree char *onnx = g_build_filename (fixdir, "fashion-lenet.onnx", NULL);
  g_autofree char *out = g_build_filename (tmpdir, "x.safetensors", NULL);
  char *e = NULL;
  /* labels that do not fit the outputs */
  ck_assert_int_eq (cli_run (NULL, &e, "import", onnx, "-o", out, "--labels", "a,b,c", NULL), 1);
  assert_one_line (e, onnx, "3 labels");
  g_free (e);
  ck_assert_int_eq (cli_run (NULL, &e, "import", onnx, "-o", out, "--preprocess", "{\"rescale\":", NULL), 1);
  ck_assert_msg (strstr (e, "--preprocess"), "%s", e);
  g_free (e);
  /* a truncated file, and one that is not ONNX */
  g_autofree char *bytes = NULL;
  gsize len;
  ck_assert (g_file_get_contents (onnx, &bytes, &len, NULL));
  g_autofree char *cut = g_build_filename (tmpdir, "cut.onnx", NULL);
  ck_assert (g_file_set_contents (cut, bytes, (gssize) (len - 100), NULL));
  ck_assert_int_eq (cli_run (NULL, &e, "import", cut, "-o", out, NULL), 1);
  assert_one_line (e, cut, "truncated");
  g_free (e);
  g_autofree char *readme = g_build_filename (fixdir, "README.md", NULL);
  ck_assert_int_eq (cli_run (NULL, &e, "import", readme, "-o", out, NULL), 1);
  assert_one_line (e, readme, "not an ONNX model");
  g_free (e);
  /* an op we do not map: named with its node */
  g_autoptr (Onnx__ModelProto) m = nn_onnx_read (onnx, NULL);
  ck_assert (m != NULL);
  free (m->graph->node[1]->op_type);
  m->graph->node[1]->op_type = strdup ("HardSwish");
  g_autofree char *bad = g_build_filename (tmpdir, "hardswish.onnx", NULL);
  ck_assert (nn_onnx_write (m, bad, NULL));
  ck_assert_int_eq (cli_run (NULL, &e, "import", bad, "-o", out, NULL), 1);
  assert_one_line (e, bad, "node 1 (HardSwish '");
  g_free (e);
  ck_assert (!g_file_test (out, G_FILE_TEST_EXISTS));
  /* usage */
  ck_assert_int_eq (cli_run (NULL, NULL, "import", onnx, NULL), 2);
  ck_assert_int_eq (cli_run (NULL, NULL, "import", "-o", out, NULL), 2);
  ck_assert_int_eq (cli_run (NULL, NULL, "import", onnx, "-o", out, "--labels", "a", "--labels-file", onnx, NULL), 2);
  char *o = NULL;
  ck_assert_int_eq (cli_run (&o, NULL, "import", "--help", NULL), 0);
  ck_assert_msg (strstr (o, "--labels-file") && strstr (o, "docs/onnx.md"), "%s", o);
  g_free (o);
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("import");
  TCase *tc = tcase_create ("cli");
  tcase_set_timeout (tc, 120);
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_add_test (tc, test_import);
  tcase_add_test (tc, test_errors);
  suite_add_tcase (s, tc);
  return nn_check_run (s);
}
