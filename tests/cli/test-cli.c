/* The nn command as a user meets it: help, exit codes, error lines, and a
 * small train -> eval -> predict -> info round trip on CSV data. JSON and
 * CSV outputs are parsed back in test-json-out.c. */
#include <check.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include "../check-run.h"
#include "cli-run.h"

static char *tmp;

static char *
tmp_path (const char *name)
{
  return g_build_filename (tmp, name, NULL);
}

static void
setup (void)
{
  tmp = g_dir_make_tmp ("nn-cli-XXXXXX", NULL);
  /* two Gaussian blobs: class 0 around (-1, -1), class 1 around (1, 1) */
  GString *csv = g_string_new ("x1,x2,label\n");
  GRand *r = g_rand_new_with_seed (3);
  for (int i = 0; i < 200; i++) {
    int c = i % 2;
    g_string_append_printf (csv, "%.4f,%.4f,%d\n", (c ? 1 : -1) + g_rand_double_range (r, -0.6, 0.6),
                            (c ? 1 : -1) + g_rand_double_range (r, -0.6, 0.6), c);
  }
  g_autofree char *p = tmp_path ("blobs.csv");
  g_file_set_contents (p, csv->str, -1, NULL);
  g_string_free (csv, TRUE);
  g_rand_free (r);
  g_autofree char *s = tmp_path ("spec.json");
  g_file_set_contents (s, "{\"input\": [2], \"labels\": [\"neg\", \"pos\"], \"layers\": ["
                          "{\"name\": \"h\", \"type\": \"dense\", \"units\": 8, \"activation\": \"tanh\"},"
                          "{\"name\": \"o\", \"type\": \"dense\", \"units\": 2, \"activation\": \"softmax\"}]}", -1, NULL);
  g_autofree char *q = tmp_path ("rows.csv");
  g_file_set_contents (q, "-1.2,-0.8\n0.9,1.1\n", -1, NULL);
}

static void
teardown (void)
{
  g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", tmp);
  ck_assert_int_eq (system (cmd), 0);
  g_free (tmp);
}

START_TEST (test_help_and_usage)
{
  char *out;
  ck_assert_int_eq (cli_run (&out, NULL, "--help", NULL), 0);
  ck_assert (strstr (out, "train") && strstr (out, "predict"));
  g_free (out);
  const char *verbs[] = { "train", "eval", "predict", "info", "run" };
  for (gsize i = 0; i < G_N_ELEMENTS (verbs); i++) {
    ck_assert_int_eq (cli_run (&out, NULL, verbs[i], "--help", NULL), 0);
    ck_assert_msg (strlen (out) > 40, "nn %s --help says too little", verbs[i]);
    g_free (out);
  }
  ck_assert_int_eq (cli_run (NULL, NULL, NULL), 2);
  ck_assert_int_eq (cli_run (NULL, NULL, "bogus", NULL), 2);
  ck_assert_int_eq (cli_run (NULL, NULL, "train", "--epochs", "x", NULL), 2);
  ck_assert_int_eq (cli_run (NULL, NULL, "train", "spec.json", NULL), 2);   /* no --data, no -o */
  ck_assert_int_eq (cli_run (NULL, NULL, "predict", "--format", "xml", "m", "x.csv", NULL), 2);
}
END_TEST

/* nn --version: "nn MAJOR.MINOR.MICRO" (meson's project version) on stdout,
 * exit 0, nothing on stderr; --help mentions it. */
START_TEST (test_version)
{
  char *out, *err;
  ck_assert_int_eq (cli_run (&out, &err, "--version", NULL), 0);
  ck_assert_msg (g_regex_match_simple ("^nn [0-9]+\\.[0-9]+\\.[0-9]+\n$", out, 0, 0), "nn --version: '%s'", out);
  ck_assert_str_eq (err, "");
  g_free (err);
  char *short_out;
  ck_assert_int_eq (cli_run (&short_out, NULL, "-V", NULL), 0);
  ck_assert_str_eq (short_out, out);
  g_free (short_out);
  g_free (out);
  ck_assert_int_eq (cli_run (&out, NULL, "--help", NULL), 0);
  ck_assert_msg (strstr (out, "--version"), "%s", out);
  g_free (out);
}
END_TEST

START_TEST (test_errors_name_the_file)
{
  char *err;
  ck_assert_int_eq (cli_run (NULL, &err, "info", "/nonexistent/m.safetensors", NULL), 1);
  ck_assert (strstr (err, "/nonexistent/m.safetensors"));
  ck_assert_int_eq (strchr (err, '\n') - err + 1, (long) strlen (err)); /* one line */
  g_free (err);
  g_autofree char *spec = tmp_path ("spec.json"), *out = tmp_path ("m.safetensors");
  ck_assert_int_eq (cli_run (NULL, &err, "train", spec, "--data", "csv:/nonexistent.csv", "-o", out, NULL), 1);
  ck_assert (strstr (err, "/nonexistent.csv"));
  g_free (err);
  ck_assert_int_eq (cli_run (NULL, &err, "train", spec, "--data", "nope:x", "-o", out, NULL), 1);
  ck_assert (strstr (err, "nope"));
  g_free (err);
  ck_assert (!g_file_test (out, G_FILE_TEST_EXISTS));
}
END_TEST

START_TEST (test_train_eval_predict_info)
{
  g_autofree char *spec = tmp_path ("spec.json"), *data = tmp_path ("blobs.csv"), *model = tmp_path ("m.safetensors");
  g_autofree char *log = tmp_path ("log.jsonl"), *rows = tmp_path ("rows.csv");
  g_autofree char *src = g_strconcat ("csv:", data, NULL);
  char *out, *err;
  ck_assert_int_eq (cli_run (&out, &err, "train", spec, "--data", src, "--val-split", "0.25", "--epochs", "15",
                         "--batch", "16", "--lr", "0.02", "--seed", "4", "--log", log, "-o", model, NULL), 0);
  ck_assert_msg (strstr (out, "epoch 15/15") && strstr (out, "val_acc"), "%s", out);
  g_free (out);
  g_free (err);
  g_autofree char *lines = NULL;
  ck_assert (g_file_get_contents (log, &lines, NULL, NULL));
  g_auto (GStrv) split = g_strsplit (lines, "\n", -1);
  ck_assert_int_eq (g_strv_length (split), 16);
  ck_assert (strstr (lines, "\"epoch\":15,") && strstr (lines, "\"val_loss\":"));

  ck_assert_int_eq (cli_run (&out, NULL, "eval", model, "--data", src, "--json", NULL), 0);
  ck_assert (strstr (out, "\"accuracy\"") && strstr (out, "\"confusion\"") && strstr (out, "\"precision\""));
  ck_assert (strstr (out, "\"accuracy\":1") || strstr (out, "\"accuracy\":0.99"));
  g_free (out);

  ck_assert_int_eq (cli_run (&out, NULL, "predict", model, "--format", "json", rows, NULL), 0);
  gchar **pl = g_strsplit (out, "\n", -1);
  ck_assert (strstr (pl[0], "\"label\":\"neg\""));
  ck_assert (strstr (pl[1], "\"label\":\"pos\""));
  g_strfreev (pl);
  g_free (out);
  ck_assert_int_eq (cli_run (&out, NULL, "predict", model, rows, NULL), 0);
  ck_assert_int_eq (strlen (out) > 0 && strchr (out, ','), 1); /* csv: the output vector */
  g_free (out);

  ck_assert_int_eq (cli_run (&out, NULL, "info", model, NULL), 0);
  ck_assert (strstr (out, "parameters 42") && strstr (out, "neg, pos"));
  g_free (out);
}
END_TEST

/* Enrolment from the command line: a trained model widened by a label,
 * its hidden layer frozen, the old data rehearsed; and the errors. */
START_TEST (test_add_labels)
{
  g_autofree char *spec = tmp_path ("spec.json"), *data = tmp_path ("blobs.csv"), *model = tmp_path ("m.safetensors");
  g_autofree char *wide = tmp_path ("wide.safetensors");
  g_autofree char *src = g_strconcat ("csv:", data, NULL);
  char *out, *err;
  ck_assert_int_eq (cli_run (NULL, NULL, "train", spec, "--data", src, "--epochs", "1", "-o", model, NULL), 0);
  ck_assert_int_eq (cli_run (&out, &err, "train", model, "--add-labels", "mid", "--freeze", "h", "--data", src,
                             "--rehearse", src, "--epochs", "1", "-o", wide, NULL), 0);
  /* 400 rows: the data and its rehearsal; o's 8x3 + 3 trainable, h frozen */
  ck_assert_msg (strstr (out, "training on 400 samples") && strstr (out, " 27 parameters"), "%s", out);
  g_free (out);
  g_free (err);
  ck_assert_int_eq (cli_run (&out, NULL, "info", wide, NULL), 0);
  ck_assert_msg (strstr (out, "neg, pos, mid"), "%s", out);
  g_free (out);
  /* a small rehearsal set: 30 of each old class join the 200 rows */
  ck_assert_int_eq (cli_run (&out, &err, "train", model, "--add-labels", "mid", "--data", src, "--rehearse", src,
                             "--rehearse-per-class", "30", "--epochs", "1", "-o", wide, NULL), 0);
  ck_assert_msg (strstr (out, "training on 260 samples"), "%s", out);
  g_free (out);
  g_free (err);
  ck_assert_int_eq (cli_run (NULL, &err, "train", model, "--data", src, "--rehearse-per-class", "3", "-o", wide,
                             NULL), 1);
  ck_assert_msg (strstr (err, "--rehearse-per-class needs --rehearse SOURCE"), "%s", err);
  g_free (err);
  ck_assert_int_eq (cli_run (NULL, &err, "train", model, "--data", src, "--rehearse", src, "--rehearse-per-class",
                             "-2", "-o", wide, NULL), 1);
  ck_assert_msg (strstr (err, "cannot keep -2 examples per class"), "%s", err);
  g_free (err);
  struct { const char *opt, *val, *says; } bad[] = {
    { "--add-labels", "pos", "cannot add label \"pos\": the model has it already" },
    { "--freeze", "nope", "cannot freeze \"nope\": the model has no such layer" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++) {
    ck_assert_int_eq (cli_run (NULL, &err, "train", model, bad[i].opt, bad[i].val, "--data", src, "-o", wide, NULL), 1);
    ck_assert_msg (strstr (err, bad[i].says), "%s", err);
    g_free (err);
  }
}
END_TEST

/* The seed's text classifier from the command line: train an Embedding ->
 * LSTM -> Dense(sigmoid) on textcls: sentences, then classify sentences
 * given with --text, in a file and on standard input, from the model file
 * alone (its vocabulary travels in it). */
START_TEST (test_text_train_predict)
{
  g_autofree char *spec = tmp_path ("text.json"), *data = tmp_path ("reviews.txt"), *model = tmp_path ("t.safetensors");
  g_autofree char *sentences = tmp_path ("sentences.txt"), *bad = tmp_path ("bad.txt");
  GString *d = g_string_new (NULL);
  GRand *r = g_rand_new_with_seed (5);
  const char *filler[] = { "the", "film", "was", "a", "plot", "really" };
  for (int i = 0; i < 120; i++) {
    gboolean pos = i % 2;
    g_string_append_printf (d, "%s\t%s %s %s!\n", pos ? "positive" : "negative",
                            filler[g_rand_int_range (r, 0, 6)], pos ? "excellent" : "awful",
                            filler[g_rand_int_range (r, 0, 6)]);
  }
  ck_assert (g_file_set_contents (data, d->str, -1, NULL));
  g_string_free (d, TRUE);
  g_rand_free (r);
  ck_assert (g_file_set_contents (spec, "{\"input\": [4], \"labels\": [\"negative\", \"positive\"],"
                                  "\"text\": {\"padding\": \"post\", \"vocab_size\": 16}, \"layers\": ["
                                  "{\"type\": \"embedding\", \"vocab\": 16, \"units\": 8},"
                                  "{\"type\": \"lstm\", \"units\": 8},"
                                  "{\"type\": \"dense\", \"units\": 1, \"activation\": \"sigmoid\"}]}", -1, NULL));
  g_autofree char *src = g_strconcat ("textcls:", data, NULL);
  char *out, *err;
  ck_assert_int_eq (cli_run (&out, &err, "train", spec, "--data", src, "--epochs", "25", "--batch", "16", "--lr", "0.02",
                         "--seed", "2", "-o", model, NULL), 0);
  g_free (out);
  g_free (err);
  ck_assert_int_eq (cli_run (&out, NULL, "predict", model, "--text", "The EXCELLENT film!", "--text",
                         "a awful, plot", NULL), 0);
  ck_assert_msg (g_str_has_prefix (out, "The EXCELLENT film!,positive,") &&
                 strstr (out, "\n\"a awful, plot\",negative,"), "%s", out);
  g_free (out);
  ck_assert (g_file_set_contents (sentences, "a excellent, film\n\nthe awful plot\n", -1, NULL));
  ck_assert_int_eq (cli_run (&out, NULL, "predict", model, "--text-file", sentences, "--format", "json", NULL), 0);
  g_auto (GStrv) lines = g_strsplit (out, "\n", -1);
  g_free (out);
  ck_assert_int_eq (g_strv_length (lines), 3);
  ck_assert_msg (strstr (lines[0], "\"input\":\"a excellent, film\",\"line\":1,\"label\":\"positive\",\"class\":1"),
                 "%s", lines[0]);
  ck_assert_msg (strstr (lines[1], "\"line\":3,\"label\":\"negative\",\"class\":0"), "%s", lines[1]);
  /* standard input */
  g_autofree char *cmd = g_strdup_printf ("sh -c 'printf \"the excellent film\\n\" | %s predict %s --text-file -'",
                                          NN_CLI_PATH, model);
  int status;
  ck_assert (g_spawn_command_line_sync (cmd, &out, NULL, &status, NULL));
  ck_assert_msg (WIFEXITED (status) && WEXITSTATUS (status) == 0 && g_str_has_prefix (out, "the excellent film,positive,"),
                 "%s", out);
  g_free (out);
  /* usage and errors */
  ck_assert_int_eq (cli_run (NULL, NULL, "predict", model, "--text", "x", sentences, NULL), 2);
  g_autofree char *csv_model = tmp_path ("csv.json");
  ck_assert (g_file_set_contents (csv_model, "{\"input\": [2], \"layers\": [{\"type\": \"dense\", \"units\": 1}]}",
                                  -1, NULL));
  ck_assert_int_eq (cli_run (NULL, &err, "predict", csv_model, "--random-weights", "--text", "x", NULL), 1);
  ck_assert_msg (strstr (err, "not a text model"), "%s", err);
  g_free (err);
  ck_assert (g_file_set_contents (bad, "positive\tfine\nno label here\n", -1, NULL));
  g_autofree char *bad_src = g_strconcat ("textcls:", bad, NULL);
  ck_assert_int_eq (cli_run (NULL, &err, "eval", model, "--data", bad_src, NULL), 1);
  g_autofree char *want = g_strconcat (bad, ":2: no label", NULL);
  ck_assert_msg (strstr (err, want), "%s", err);
  g_free (err);
}
END_TEST

/* pipelines/text-classify.pipeline: nntextclassify with the shipped binary
 * fortunes model, one JSON line per line of the file. */
START_TEST (test_text_pipeline)
{
  const char *src = g_getenv ("NN_SOURCE_ROOT"), *build = g_getenv ("NN_BUILD_ROOT");
  ck_assert (src && build);
  g_autofree char *plugins = g_build_filename (build, "plugins", NULL), *reg = tmp_path ("registry.bin");
  g_setenv ("GST_PLUGIN_PATH_1_0", plugins, TRUE);
  g_setenv ("GST_REGISTRY_1_0", reg, TRUE);
  g_autofree char *pipe = g_build_filename (src, "pipelines", "text-classify.pipeline", NULL);
  g_autofree char *model = g_build_filename (src, "models", "fortunes-computers-politics.safetensors", NULL);
  g_autofree char *input = tmp_path ("lines.txt");
  ck_assert (g_file_set_contents (input, "The compiler crashed and the program lost all my files.\n"
                                  "The senator voted against the new tax bill.", -1, NULL));
  g_autofree char *model_arg = g_strconcat ("MODEL=", model, NULL), *input_arg = g_strconcat ("INPUT=", input, NULL);
  char *out;
  ck_assert_int_eq (cli_run (&out, NULL, "run", pipe, input_arg, model_arg, NULL), 0);
  g_auto (GStrv) lines = g_strsplit (out, "\n", -1);
  g_free (out);
  ck_assert_int_eq (g_strv_length (lines), 3);
  ck_assert_msg (strstr (lines[0], "\"message\":\"nn-classification\"") &&
                 strstr (lines[0], "\"label\":\"computers\"") &&
                 strstr (lines[0], "\"top-k-labels\":[\"computers\",\"politics\"]") &&
                 strstr (lines[0], "\"model\":\"fortunes-computers-politics\""), "%s", lines[0]);
  ck_assert_msg (strstr (lines[1], "\"label\":\"politics\"") &&
                 strstr (lines[1], "\"text\":\"The senator voted against the new tax bill.\""), "%s", lines[1]);
}
END_TEST

/* Without a camera, the camera pipeline fails with a line that says what is
 * missing and which pipeline to run instead. */
START_TEST (test_run_missing_camera)
{
  const char *src = g_getenv ("NN_SOURCE_ROOT"), *build = g_getenv ("NN_BUILD_ROOT");
  ck_assert (src && build);
  g_autofree char *plugins = g_build_filename (build, "plugins", NULL), *reg = tmp_path ("registry.bin");
  g_setenv ("GST_PLUGIN_PATH_1_0", plugins, TRUE);
  g_setenv ("GST_REGISTRY_1_0", reg, TRUE);
  g_autofree char *pipe = g_build_filename (src, "pipelines", "gesture-camera.pipeline", NULL);
  g_autofree char *model = g_build_filename (src, "models", "gesture-fcn.safetensors", NULL);
  g_autofree char *model_arg = g_strconcat ("MODEL=", model, NULL);
  char *err;
  ck_assert_int_eq (cli_run (NULL, &err, "run", pipe, "DEVICE=/dev/nn-no-such-camera", "SINK=fakesink", model_arg, NULL), 1);
  ck_assert_msg (strstr (err, "/dev/nn-no-such-camera") && strstr (err, "No camera") &&
                 strstr (err, "gesture-live-standin.pipeline"), "%s", err);
  g_free (err);
  /* a pipeline that needs a variable says which */
  g_autofree char *file_pipe = g_build_filename (src, "pipelines", "classify-file.pipeline", NULL);
  ck_assert_int_eq (cli_run (NULL, &err, "run", file_pipe, NULL), 2);
  ck_assert_msg (strstr (err, "INPUT=VALUE"), "%s", err);
  g_free (err);
}
END_TEST

static Suite *
suite (void)
{
  Suite *s = suite_create ("cli");
  TCase *tc = tcase_create ("cli");
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_set_timeout (tc, 120);
  tcase_add_test (tc, test_help_and_usage);
  tcase_add_test (tc, test_version);
  tcase_add_test (tc, test_errors_name_the_file);
  tcase_add_test (tc, test_train_eval_predict_info);
  tcase_add_test (tc, test_add_labels);
  tcase_add_test (tc, test_text_train_predict);
  tcase_add_test (tc, test_text_pipeline);
  tcase_add_test (tc, test_run_missing_camera);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  return nn_check_run (suite ());
}
