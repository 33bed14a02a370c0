/* nn train's checkpoints, resume, schedules, ETA and plots, and nn eval's
 * confusion plot, as a user meets them: the PNGs decode (cairo), have the
 * documented size and show what they should; `nn train --resume` after two
 * epochs writes the very file three epochs straight write. */
#include <check.h>
#include <cairo.h>
#include <glib/gstdio.h>
#include <string.h>
#include "../check-run.h"
#include "cli-run.h"
#include "nn-cli.h"

static char *tmp;

static char *
tmp_path (const char *name)
{
  return g_build_filename (tmp, name, NULL);
}

static void
setup (void)
{
  tmp = g_dir_make_tmp ("nn-train-extras-XXXXXX", NULL);
  /* three classes of 4x4 images: bright columns 0, 1 or 2 (every third column), on noise */
  GString *csv = g_string_new (NULL);
  for (int j = 0; j < 16; j++)
    g_string_append_printf (csv, "x%d,", j);
  g_string_append (csv, "label\n");
  GRand *r = g_rand_new_with_seed (5);
  for (int i = 0; i < 240; i++) {
    int c = i % 3;
    for (int j = 0; j < 16; j++)
      g_string_append_printf (csv, "%.3f,", g_rand_double_range (r, 0.0, 0.6) + (j % 3 == c ? 1.0 : 0.0));
    g_string_append_printf (csv, "%d\n", c);
  }
  g_rand_free (r);
  g_autofree char *p = tmp_path ("cols.csv");
  ck_assert (g_file_set_contents (p, csv->str, -1, NULL));
  g_string_free (csv, TRUE);
  g_autofree char *s = tmp_path ("spec.json");
  ck_assert (g_file_set_contents (s,
    "{\"input\": [1, 4, 4], \"labels\": [\"left\", \"middle\", \"right\"], \"layers\": ["
    "{\"type\": \"conv2d\", \"filters\": 4, \"kernel\": 3, \"padding\": 1, \"activation\": \"relu\"},"
    "{\"type\": \"flatten\"}, {\"type\": \"dense\", \"units\": 16, \"activation\": \"relu\"},"
    "{\"type\": \"dropout\", \"rate\": 0.3}, {\"type\": \"dense\", \"units\": 3, \"activation\": \"softmax\"}]}",
    -1, NULL));
}

static void
teardown (void)
{
  g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", tmp);
  ck_assert_int_eq (system (cmd), 0);
  g_free (tmp);
}

/* ---- reading PNGs back --------------------------------------------------------- */

static cairo_surface_t *
load_png (const char *path, int want_w, int want_h)
{
  cairo_surface_t *s = cairo_image_surface_create_from_png (path);
  ck_assert_msg (cairo_surface_status (s) == CAIRO_STATUS_SUCCESS, "%s: %s", path,
                 cairo_status_to_string (cairo_surface_status (s)));
  ck_assert_int_eq (cairo_image_surface_get_width (s), want_w);
  ck_assert_int_eq (cairo_image_surface_get_height (s), want_h);
  return s;
}

static void
rgb_at (cairo_surface_t *s, int x, int y, int rgb[3])
{
  const guint8 *row = cairo_image_surface_get_data (s) + (gsize) y * cairo_image_surface_get_stride (s);
  guint32 px;
  memcpy (&px, row + 4 * x, 4);
  rgb[0] = (px >> 16) & 0xff;
  rgb[1] = (px >> 8) & 0xff;
  rgb[2] = px & 0xff;
}

static double
luma_at (cairo_surface_t *s, int x, int y)
{
  int c[3];
  rgb_at (s, x, y, c);
  return 0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2];
}

/* Not blank: the grey levels vary. */
static double
variance (cairo_surface_t *s)
{
  int w = cairo_image_surface_get_width (s), h = cairo_image_surface_get_height (s);
  double sum = 0, sq = 0;
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) {
      double v = luma_at (s, x, y);
      sum += v;
      sq += v * v;
    }
  double n = (double) w * h, mean = sum / n;
  return sq / n - mean * mean;
}

/* Pixels within 40 of an RGB colour in x range [x0, x1). */
static int
count_colour (cairo_surface_t *s, int x0, int x1, const int want[3])
{
  int h = cairo_image_surface_get_height (s), n = 0;
  for (int y = 0; y < h; y++)
    for (int x = x0; x < x1; x++) {
      int c[3];
      rgb_at (s, x, y, c);
      n += abs (c[0] - want[0]) < 40 && abs (c[1] - want[1]) < 40 && abs (c[2] - want[2]) < 40;
    }
  return n;
}

static const int blue[3] = { 31, 119, 180 }, orange[3] = { 255, 127, 14 };

/* ---- the parts on their own ---------------------------------------------------- */

START_TEST (test_duration_format)
{
  char b[32];
  const struct { double s; const char *want; } cases[] = {
    { 0, "0s" }, { 0.4, "0s" }, { 12.6, "13s" }, { 59.4, "59s" }, { 60, "1m00s" }, { 185, "3m05s" },
    { 3599, "59m59s" }, { 3600, "1h00m" }, { 3725, "1h02m" }, { 100 * 3600.0, "100h00m" },
    { NAN, "--" }, { INFINITY, "--" }, { -1, "--" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++) {
    cli_format_duration (b, sizeof b, cases[i].s);
    ck_assert_str_eq (b, cases[i].want);
  }
}
END_TEST

static NnTrainProgress *
history (int n, gboolean val, gboolean acc)
{
  NnTrainProgress *h = g_new0 (NnTrainProgress, n);
  for (int i = 0; i < n; i++)
    h[i] = (NnTrainProgress) { .epoch = i + 1, .loss = 1.0 / (i + 1), .acc = acc ? 0.5 + 0.05 * i : NAN,
                               .val_loss = val ? 1.2 / (i + 1) : NAN, .val_acc = val && acc ? 0.45 + 0.05 * i : NAN };
  return h;
}

START_TEST (test_curves_drawn)
{
  GError *e = NULL;
  g_autofree char *png = tmp_path ("curves.png");
  /* loss and accuracy panels, both series */
  g_autofree NnTrainProgress *h = history (8, TRUE, TRUE);
  ck_assert_msg (cli_plot_curves (png, h, 8, &e), "%s", e ? e->message : "");
  cairo_surface_t *s = load_png (png, 2 * CLI_PLOT_PANEL_W, CLI_PLOT_H);
  ck_assert (variance (s) > 100);
  for (int panel = 0; panel < 2; panel++) {
    int x0 = panel * CLI_PLOT_PANEL_W, x1 = x0 + CLI_PLOT_PANEL_W;
    ck_assert_msg (count_colour (s, x0, x1, blue) > 200, "panel %d: no training curve", panel);
    ck_assert_msg (count_colour (s, x0, x1, orange) > 200, "panel %d: no validation curve", panel);
  }
  cairo_surface_destroy (s);
  /* no validation: no orange; no accuracy (regression): one panel */
  g_autofree NnTrainProgress *t = history (8, FALSE, FALSE);
  ck_assert (cli_plot_curves (png, t, 8, &e));
  s = load_png (png, CLI_PLOT_PANEL_W, CLI_PLOT_H);
  ck_assert (count_colour (s, 0, CLI_PLOT_PANEL_W, blue) > 200);
  ck_assert_int_eq (count_colour (s, 0, CLI_PLOT_PANEL_W, orange), 0);
  cairo_surface_destroy (s);
  /* one epoch is a dot each */
  ck_assert (cli_plot_curves (png, h, 1, &e));
  s = load_png (png, 2 * CLI_PLOT_PANEL_W, CLI_PLOT_H);
  ck_assert (count_colour (s, 0, CLI_PLOT_PANEL_W, blue) > 10 && count_colour (s, 0, CLI_PLOT_PANEL_W, orange) > 10);
  cairo_surface_destroy (s);
  /* nothing to draw, or nowhere to write it: errors naming the file */
  ck_assert (!cli_plot_curves (png, h, 0, &e));
  ck_assert (strstr (e->message, png) && strstr (e->message, "no epoch"));
  g_clear_error (&e);
  g_autofree char *bad = tmp_path ("no-such-dir/curves.png");
  ck_assert (!cli_plot_curves (bad, h, 8, &e));
  ck_assert_msg (strstr (e->message, bad), "%s", e->message);
  g_clear_error (&e);
}
END_TEST

/* Corner of cell (row i, column j), clear of the count in its middle. */
static double
cell_luma (cairo_surface_t *s, int n, int i, int j)
{
  int cell = cli_plot_confusion_cell (n);
  return luma_at (s, CLI_PLOT_CM_LEFT + j * cell + 3, CLI_PLOT_CM_TOP + i * cell + 3);
}

static void
assert_confusion_size (const char *png, int n, cairo_surface_t **s)
{
  int cell = cli_plot_confusion_cell (n);
  *s = load_png (png, CLI_PLOT_CM_LEFT + n * cell + CLI_PLOT_CM_RIGHT, CLI_PLOT_CM_TOP + n * cell + CLI_PLOT_CM_BOTTOM);
}

START_TEST (test_confusion_drawn)
{
  GError *e = NULL;
  g_autofree char *png = tmp_path ("cm.png");
  /* a good model on 4 classes of different sizes, and one class it never gets */
  const int64_t cm[16] = { 50, 2, 0, 1,
                           3, 200, 5, 0,
                           0, 1, 9, 0,
                           4, 4, 0, 0 };
  const char *labels[4] = { "cat", "dog", NULL, "a very long class name indeed" };
  ck_assert_msg (cli_plot_confusion (png, cm, 4, labels, &e), "%s", e ? e->message : "");
  cairo_surface_t *s;
  assert_confusion_size (png, 4, &s);
  ck_assert (variance (s) > 100);
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 4; j++)
      if (j != i)
        ck_assert_msg (cell_luma (s, 4, i, i) + 60 < cell_luma (s, 4, i, j), "row %d: diagonal %g, column %d %g", i,
                       cell_luma (s, 4, i, i), j, cell_luma (s, 4, i, j));
  /* the class never predicted right: its row's diagonal is white */
  ck_assert (cell_luma (s, 4, 3, 3) > 250);
  cairo_surface_destroy (s);
  /* sizes: 2 classes get the largest cells, 100 the smallest */
  g_autofree int64_t *big = g_new0 (int64_t, 100 * 100);
  for (int k = 0; k < 100; k++)
    big[k * 100 + k] = 7;
  ck_assert (cli_plot_confusion (png, big, 100, NULL, &e));
  assert_confusion_size (png, 100, &s);
  ck_assert_int_eq (cli_plot_confusion_cell (100), 20);
  ck_assert_int_eq (cli_plot_confusion_cell (2), 64);
  ck_assert (cell_luma (s, 100, 42, 42) < 100 && cell_luma (s, 100, 42, 43) > 250);
  cairo_surface_destroy (s);
  ck_assert (!cli_plot_confusion (png, cm, 0, NULL, &e));
  ck_assert (strstr (e->message, png));
  g_clear_error (&e);
}
END_TEST

/* ---- through the nn command ------------------------------------------------------- */

static void
train (const char *out, const char *epochs, const char *extra1, const char *extra2, const char *extra3,
       const char *extra4)
{
  g_autofree char *spec = tmp_path ("spec.json"), *data = tmp_path ("cols.csv"), *src = g_strconcat ("csv:", data, NULL);
  g_autofree char *cmd_out = NULL, *err = NULL;
  /* the first NULL extra ends the arguments */
  int rc = cli_run (&cmd_out, &err, "train", spec, "--data", src, "--val-split", "0.25",
                    "--optimizer", "momentum", "--lr", "0.05", "--batch", "16", "--augment", "rotate=10,flip=h,noise=0.05",
                    "--threads", "1", "--epochs", epochs, "-o", out, extra1, extra2, extra3, extra4, NULL);
  ck_assert_msg (rc == 0, "nn train: %d\n%s%s", rc, cmd_out, err);
}

static gboolean
same_file (const char *a, const char *b)
{
  g_autofree char *x = NULL, *y = NULL;
  gsize nx, ny;
  ck_assert (g_file_get_contents (a, &x, &nx, NULL) && g_file_get_contents (b, &y, &ny, NULL));
  return nx == ny && memcmp (x, y, nx) == 0;
}

START_TEST (test_resume_same_file)
{
  g_autofree char *straight = tmp_path ("straight.safetensors"), *two = tmp_path ("two.safetensors");
  g_autofree char *resumed = tmp_path ("resumed.safetensors"), *ckpt = tmp_path ("ckpt.safetensors");
  g_autofree char *log = tmp_path ("log.jsonl"), *curves = tmp_path ("curves.png");
  train (straight, "3", "--schedule", "step:every=2,gamma=0.5", NULL, NULL);
  train (two, "2", "--schedule", "step:every=2,gamma=0.5", "--checkpoint", ckpt);
  ck_assert (!same_file (straight, two));

  /* the checkpoint's options, the epochs raised; the log and plot cover all three epochs */
  char *out = NULL, *err = NULL;
  int rc = cli_run (&out, &err, "train", "--resume", ckpt, "--epochs", "3", "-o", resumed, "--log", log, "--plot", curves,
                    NULL);
  ck_assert_msg (rc == 0, "%s%s", out, err);
  ck_assert_msg (strstr (out, "epoch 3/3") && !strstr (out, "epoch 2/3") && strstr (out, "lr 0.025"), "%s", out);
  g_free (out);
  g_free (err);
  ck_assert_msg (same_file (straight, resumed), "the resumed run's model differs from the straight run's");
  cairo_surface_t *s = load_png (curves, 2 * CLI_PLOT_PANEL_W, CLI_PLOT_H);
  ck_assert (count_colour (s, 0, CLI_PLOT_PANEL_W, blue) > 100 && count_colour (s, 0, CLI_PLOT_PANEL_W, orange) > 100);
  cairo_surface_destroy (s);
  /* the log line of the epoch run here: its lr (0.05 halved once) and a finished ETA */
  g_autofree char *text = NULL;
  ck_assert (g_file_get_contents (log, &text, NULL, NULL));
  ck_assert_msg (strstr (text, "\"epoch\":3,") && strstr (text, "\"lr\":0.025") && strstr (text, "\"eta_s\":0"), "%s",
                 text);

  /* a checkpoint is also a model */
  g_autofree char *data = tmp_path ("cols.csv"), *src = g_strconcat ("csv:", data, NULL);
  ck_assert_int_eq (cli_run (NULL, NULL, "eval", ckpt, "--data", src, NULL), 0);

  /* what cannot resume: a SPEC besides, --weights, another batch size, no checkpoint */
  g_autofree char *spec = tmp_path ("spec.json");
  ck_assert_int_eq (cli_run (NULL, &err, "train", spec, "--resume", ckpt, "-o", resumed, NULL), 2);
  ck_assert_msg (strstr (err, "give no SPEC or MODEL"), "%s", err);
  g_free (err);
  ck_assert_int_eq (cli_run (NULL, &err, "train", "--resume", ckpt, "--weights", straight, NULL), 2);
  ck_assert_msg (strstr (err, "--weights is not allowed"), "%s", err);
  g_free (err);
  ck_assert_int_eq (cli_run (NULL, &err, "train", "--resume", ckpt, "--epochs", "3", "--batch", "8", NULL), 1);
  ck_assert_msg (strstr (err, "batch size 16, this run has 8") && strstr (err, ckpt), "%s", err);
  g_free (err);
  ck_assert_int_eq (cli_run (NULL, &err, "train", "--resume", straight, NULL), 1);
  ck_assert_msg (strstr (err, "not a checkpoint") && strstr (err, straight), "%s", err);
  g_free (err);
  ck_assert_int_eq (cli_run (NULL, &err, "train", "--resume", "/nonexistent.safetensors", NULL), 1);
  ck_assert_msg (strstr (err, "/nonexistent.safetensors: no such file"), "%s", err);
  g_free (err);
  ck_assert_int_eq (cli_run (NULL, &err, "train", spec, "--data", src, "-o", resumed, "--schedule", "linear", NULL), 2);
  ck_assert_msg (strstr (err, "unknown schedule \"linear\""), "%s", err);
  g_free (err);
  ck_assert_int_eq (cli_run (NULL, &err, "train", spec, "--data", src, "-o", ckpt, "--checkpoint", ckpt, NULL), 2);
  ck_assert_msg (strstr (err, "--checkpoint and -o name the same file"), "%s", err);
  g_free (err);

  /* resuming a finished run trains nothing and still draws its curves */
  g_autofree char *again = tmp_path ("again.png"), *copy = tmp_path ("copy.safetensors");
  ck_assert_int_eq (cli_run (&out, &err, "train", "--resume", ckpt, "-o", copy, "--plot", again, NULL), 0);
  ck_assert_msg (!strstr (out, "epoch "), "%s", out);
  g_free (out);
  g_free (err);
  s = load_png (again, 2 * CLI_PLOT_PANEL_W, CLI_PLOT_H);
  ck_assert (count_colour (s, 0, CLI_PLOT_PANEL_W, blue) > 100);
  cairo_surface_destroy (s);
}
END_TEST

START_TEST (test_eval_plot)
{
  g_autofree char *model = tmp_path ("m.safetensors"), *png = tmp_path ("confusion.png");
  train (model, "6", NULL, NULL, NULL, NULL);
  g_autofree char *data = tmp_path ("cols.csv"), *src = g_strconcat ("csv:", data, NULL);
  char *out = NULL, *err = NULL;
  int rc = cli_run (&out, &err, "eval", model, "--data", src, "--plot", png, NULL);
  ck_assert_msg (rc == 0, "%s%s", out, err);
  ck_assert_msg (strstr (out, "accuracy"), "%s", out);
  g_free (out);
  g_free (err);
  cairo_surface_t *s;
  assert_confusion_size (png, 3, &s);
  ck_assert (variance (s) > 100);
  /* a good model: each diagonal cell darker than the rest of its row */
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++)
      if (i != j)
        ck_assert_msg (cell_luma (s, 3, i, i) + 60 < cell_luma (s, 3, i, j), "row %d: %g vs %g", i,
                       cell_luma (s, 3, i, i), cell_luma (s, 3, i, j));
  cairo_surface_destroy (s);
  /* nowhere to write: exit 1 naming the file */
  g_autofree char *bad = tmp_path ("none/confusion.png");
  ck_assert_int_eq (cli_run (NULL, &err, "eval", model, "--data", src, "--plot", bad, NULL), 1);
  ck_assert_msg (strstr (err, bad), "%s", err);
  g_free (err);
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("train-extras");
  TCase *tc = tcase_create ("train-extras");
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_set_timeout (tc, 120);
  tcase_add_test (tc, test_duration_format);
  tcase_add_test (tc, test_curves_drawn);
  tcase_add_test (tc, test_confusion_drawn);
  tcase_add_test (tc, test_resume_same_file);
  tcase_add_test (tc, test_eval_plot);
  suite_add_tcase (s, tc);
  return nn_check_run (s);
}
