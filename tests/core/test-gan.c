/* GANs: a tiny GAN learns a ring of Gaussians with every mode covered, a
 * conditional one puts each class on its own mode; the spec block, latent
 * sampling, slerp, image grids and PNGs, classifier scores and Frechet distances. */
#include "nn-private.h"
#include <check.h>
#include <glib/gstdio.h>
#include "../check-run.h"

#define MODES 8
#define RADIUS 2.0
#define SIGMA 0.05

static const char *ring_g =
  "{\"input\": [%d], \"gan\": {\"latent\": 4%s},"
  " \"layers\": [{\"type\": \"dense\", \"units\": 64, \"activation\": \"relu\"},"
  "              {\"type\": \"dense\", \"units\": 64, \"activation\": \"relu\"},"
  "              {\"type\": \"dense\", \"units\": 2}]}";
static const char *ring_d =
  "{\"input\": [2], \"layers\": [{\"type\": \"dense\", \"units\": 64, \"activation\": \"leaky_relu\"},"
  "              {\"type\": \"dense\", \"units\": 64, \"activation\": \"leaky_relu\"},"
  "              {\"type\": \"dense\", \"units\": %d}]}";

static NnModel *
model (const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  g_autofree char *spec = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  g_autoptr (GError) err = NULL;
  NnModel *m = nn_model_new_from_spec (spec, 3, &err);
  ck_assert_msg (m != NULL, "%s: %s", spec, err ? err->message : "?");
  return m;
}

static NnDataset *
ring_data (int n, GRand *r)
{
  NnShape s = nn_shape_1d (2);
  NnDataset *ds = nn_dataset_new (&s, n, TRUE, 0);
  for (int i = 0; i < n; i++) {
    int k = g_rand_int_range (r, 0, MODES);
    ds->x[2 * i] = (float) (RADIUS * cos (2 * G_PI * k / MODES) + SIGMA * nn_rand_normal (r));
    ds->x[2 * i + 1] = (float) (RADIUS * sin (2 * G_PI * k / MODES) + SIGMA * nn_rand_normal (r));
    ds->labels[i] = k;
  }
  ds->n_classes = MODES;
  return ds;
}

/* The nearest mode of a point, or -1 farther than 4 sigma from all. */
static int
mode_of (const float *p)
{
  for (int k = 0; k < MODES; k++) {
    double dx = p[0] - RADIUS * cos (2 * G_PI * k / MODES), dy = p[1] - RADIUS * sin (2 * G_PI * k / MODES);
    if (sqrt (dx * dx + dy * dy) < 4 * SIGMA * 2.5)
      return k;
  }
  return -1;
}

static void
train_ring (NnModel *g, NnModel *d, int epochs)
{
  GRand *r = g_rand_new_with_seed (5);
  g_autoptr (NnDataset) ds = ring_data (8192, r);
  NnGanConfig c;
  nn_gan_config_init (&c);
  c.optim_g.lr = c.optim_d.lr = 1e-3f;
  /* one-sided smoothing keeps this small GAN from chasing one mode at a time */
  c.label_smooth = 0.1f;
  c.epochs = epochs;
  c.batch = 128;
  c.seed = 2;
  g_autoptr (GError) err = NULL;
  ck_assert_msg (nn_gan_train (g, d, &c, ds, &err), "%s", err ? err->message : "?");
  g_rand_free (r);
}

/* Samples n points of class cls (-1 any) and counts them per mode. */
static int
sample_modes (NnModel *g, int n, int cls, int *count)
{
  NnGanSpec gs;
  g_autoptr (GError) err = NULL;
  ck_assert (nn_gan_spec (g, &gs, &err));
  int in = nn_gan_input_size (&gs), good = 0;
  g_autofree float *z = g_new (float, n * in);
  GRand *r = g_rand_new_with_seed (99);
  for (int i = 0; i < n; i++)
    nn_gan_sample_input (&gs, r, cls, z + i * in);
  const float *y = nn_model_forward (g, z, n, FALSE, &err);
  ck_assert (y != NULL);
  memset (count, 0, sizeof (int) * MODES);
  for (int i = 0; i < n; i++) {
    int k = mode_of (y + 2 * i);
    if (k >= 0) {
      count[k]++;
      good++;
    }
  }
  g_rand_free (r);
  nn_gan_spec_clear (&gs);
  return good;
}

START_TEST (test_ring)
{
  g_autoptr (NnModel) g = model (ring_g, 4, "");
  g_autoptr (NnModel) d = model (ring_d, 1);
  int count[MODES], n = 4000;
  int good = sample_modes (g, n, -1, count);
  ck_assert_msg (good < n / 4, "an untrained generator already hits the modes (%d of %d)", good, n);
  train_ring (g, d, 40);
  good = sample_modes (g, n, -1, count);
  GString *s = g_string_new (NULL);
  for (int k = 0; k < MODES; k++)
    g_string_append_printf (s, " %d", count[k]);
  ck_assert_msg (good >= n * 6 / 10, "only %d of %d samples near a mode:%s", good, n, s->str);
  for (int k = 0; k < MODES; k++)
    ck_assert_msg (count[k] >= n / MODES / 4, "mode %d dropped:%s", k, s->str);
  g_string_free (s, TRUE);
}
END_TEST

START_TEST (test_ring_conditional)
{
  g_autoptr (NnModel) g = model (ring_g, 4 + MODES, ", \"classes\": [\"a\",\"b\",\"c\",\"d\",\"e\",\"f\",\"g\",\"h\"]");
  g_autoptr (NnModel) d = model (ring_d, MODES);
  train_ring (g, d, 25);
  for (int k = 0; k < MODES; k++) {
    int count[MODES], n = 400;
    sample_modes (g, n, k, count);
    ck_assert_msg (count[k] >= n * 7 / 10, "class %d: only %d of %d samples on its mode", k, count[k], n);
  }
}
END_TEST

/* A G with batch norm, trained a few steps with a slow weight average (0.999:
 * the average stays near the initial G, and so would its averaged statistics,
 * near the initial 0 and 1): swapping the average in gives other weights and
 * batch-norm statistics that describe the averaged G's own activations;
 * swapping back restores the live G exactly. */
START_TEST (test_weight_average)
{
  g_autoptr (NnModel) g = model ("{\"input\": [4, 1, 1], \"gan\": {\"latent\": 4}, \"layers\": ["
                                 "{\"name\": \"up\", \"type\": \"conv2d_transpose\", \"filters\": 6, \"kernel\": 2},"
                                 "{\"name\": \"bn\", \"type\": \"batchnorm2d\", \"activation\": \"relu\"},"
                                 "{\"type\": \"flatten\"}, {\"type\": \"dense\", \"units\": 2}]}");
  g_autoptr (NnModel) d = model (ring_d, 1);
  GRand *r = g_rand_new_with_seed (5);
  g_autoptr (NnDataset) ds = ring_data (64 * 30, r);
  NnGanConfig c;
  nn_gan_config_init (&c);
  c.optim_g.lr = c.optim_d.lr = 1e-2f;
  c.ema = 0.999f;
  g_autoptr (GError) err = NULL;
  g_autoptr (NnGanTrainer) t = nn_gan_trainer_new (g, d, &c, 64, &err);
  ck_assert_msg (t != NULL, "%s", err ? err->message : "?");
  for (int b = 0; b < 30; b++)
    ck_assert (nn_gan_trainer_step (t, ds->x + b * 64 * 2, NULL, 64, NULL, &err));
  int np;
  NnParam *p = nn_model_params (g, &np);
  int64_t total = 0;
  for (int i = 0; i < np; i++)
    total += nn_shape_numel (&p[i].shape);
  g_autofree float *live = g_new (float, total);
  for (int i = 0, o = 0; i < np; o += nn_shape_numel (&p[i].shape), i++)
    memcpy (live + o, p[i].data, sizeof (float) * nn_shape_numel (&p[i].shape));

  nn_gan_trainer_swap_average (t);
  NnParam *mean = NULL;
  for (int i = 0; i < np; i++)
    mean = g_str_equal (p[i].name, "bn.running_mean") ? &p[i] : mean;
  ck_assert (mean != NULL);
  double moved = 0;
  for (int i = 0, o = 0; i < np; o += nn_shape_numel (&p[i].shape), i++)
    for (int64_t j = 0; p[i].trainable && j < nn_shape_numel (&p[i].shape); j++)
      moved += fabs (p[i].data[j] - live[o + j]);
  ck_assert_msg (moved > 1e-3, "the average equals the live weights");
  /* the running means against the averaged G's own pre-norm activations */
  NnGanSpec gs;
  ck_assert (nn_gan_spec (g, &gs, &err));
  int n = 2000;
  g_autofree float *z = g_new (float, n * 4);
  for (int i = 0; i < n; i++)
    nn_gan_sample_input (&gs, r, 0, z + i * 4);
  ck_assert (nn_model_forward (g, z, n, FALSE, &err));
  NnShape s;
  const float *a = nn_model_layer_output (g, "up", &s);
  ck_assert (a != NULL);
  double far = 0;
  for (int ch = 0; ch < 6; ch++) {
    double m = 0;
    for (int i = 0; i < n; i++)
      for (int k = 0; k < 4; k++)
        m += a[(i * 6 + ch) * 4 + k];
    m /= n * 4;
    ck_assert_msg (fabs (m - mean->data[ch]) < 0.02 + 0.05 * fabs (m), "channel %d: running mean %g, the averaged "
                   "G's activations average %g", ch, mean->data[ch], m);
    far = MAX (far, fabs (m));
  }
  ck_assert_msg (far > 0.1, "the averaged G's activations average near 0 (%g): the check cannot tell", far);
  nn_gan_spec_clear (&gs);

  nn_gan_trainer_swap_average (t);
  for (int i = 0, o = 0; i < np; o += nn_shape_numel (&p[i].shape), i++)
    for (int64_t j = 0; j < nn_shape_numel (&p[i].shape); j++)
      ck_assert_msg (p[i].data[j] == live[o + j], "%s[%" G_GINT64_FORMAT "] not restored", p[i].name, j);
  g_rand_free (r);
}
END_TEST

START_TEST (test_spec)
{
  g_autoptr (GError) err = NULL;
  g_autoptr (NnModel) g = model (ring_g, 6, ", \"classes\": [\"left\", \"right\"], \"range\": [0, 1]");
  NnGanSpec gs;
  ck_assert (nn_gan_spec (g, &gs, &err));
  ck_assert_int_eq (gs.latent, 4);
  ck_assert_int_eq (gs.n_classes, 2);
  ck_assert_int_eq (nn_gan_input_size (&gs), 6);
  ck_assert (gs.lo == 0.0f && gs.hi == 1.0f);
  ck_assert_int_eq (nn_gan_class_index (&gs, "right", NULL), 1);
  ck_assert_int_eq (nn_gan_class_index (&gs, "LEFT", NULL), 0);
  ck_assert_int_eq (nn_gan_class_index (&gs, "1", NULL), 1);
  ck_assert_int_eq (nn_gan_class_index (&gs, "2", &err), -1);
  ck_assert (strstr (err->message, "left, right"));
  g_clear_error (&err);
  ck_assert_int_eq (nn_gan_class_index (&gs, "up", &err), -1);
  g_clear_error (&err);
  /* one-hot after the latent part; a random class when none is asked */
  GRand *r = g_rand_new_with_seed (1);
  float in[6];
  nn_gan_sample_input (&gs, r, 1, in);
  ck_assert (in[4] == 0.0f && in[5] == 1.0f);
  int seen[2] = { 0 };
  for (int i = 0; i < 50; i++) {
    nn_gan_sample_input (&gs, r, -1, in);
    ck_assert (in[4] + in[5] == 1.0f);
    seen[in[5] > 0]++;
  }
  ck_assert (seen[0] > 5 && seen[1] > 5);
  g_rand_free (r);
  nn_gan_spec_clear (&gs);

  /* an input that does not hold latent + classes: the built generator's to see */
  g_autoptr (NnModel) b = model (ring_g, 5, "");
  ck_assert (!nn_gan_spec (b, &gs, &err));
  ck_assert_msg (err->code == NN_ERROR_SHAPE, "%s", err->message);
  g_clear_error (&err);
  /* bad values in the block: refused when the spec is read (core/spec.c) */
  const char *bad[] = { ", \"classes\": [1, 2]", ", \"range\": [1, -1]", ", \"range\": [0]" };
  const char *why[] = { "gan.classes: must be an array of strings", "gan.range: must be [lo, hi] with lo < hi",
                        "gan.range: must be [lo, hi] with lo < hi" };
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++) {
    g_autofree char *spec = g_strdup_printf (ring_g, 4, bad[i]);
    ck_assert_ptr_null (nn_model_new_from_spec (spec, 1, &err));
    ck_assert_str_eq (err->message, why[i]);
    g_clear_error (&err);
  }
  g_autoptr (NnModel) plain = model (ring_d, 1);
  ck_assert (!nn_gan_spec (plain, &gs, &err));
  ck_assert (strstr (err->message, "not a generator"));
  g_clear_error (&err);
  /* a discriminator without one output per class */
  g_autoptr (NnModel) d = model (ring_d, 3);
  NnGanConfig c;
  nn_gan_config_init (&c);
  ck_assert (c.optim_g.beta1 == 0.5f && c.optim_d.lr == 2e-4f);
  NnGanTrainer *t = nn_gan_trainer_new (g, d, &c, 8, &err);
  ck_assert (t == NULL && err->code == NN_ERROR_SHAPE);
}
END_TEST

START_TEST (test_slerp)
{
  float a[3] = { 1, 0, 0 }, b[3] = { 0, 2, 0 }, o[3];
  nn_gan_slerp (a, b, 3, 0.0f, o);
  ck_assert (fabsf (o[0] - 1) < 1e-6f && fabsf (o[1]) < 1e-6f);
  nn_gan_slerp (a, b, 3, 1.0f, o);
  ck_assert (fabsf (o[0]) < 1e-6f && fabsf (o[1] - 2) < 1e-6f);
  /* halfway along the arc: 45 degrees, not the chord's midpoint */
  nn_gan_slerp (a, b, 3, 0.5f, o);
  ck_assert_msg (fabsf (o[0] - (float) (sin (G_PI / 4) / sin (G_PI / 2))) < 1e-5f, "%g", o[0]);
  ck_assert (fabsf (o[1] - 2 * (float) sin (G_PI / 4)) < 1e-5f);
  /* parallel vectors: the line */
  float c[3] = { 2, 0, 0 };
  nn_gan_slerp (a, c, 3, 0.25f, o);
  ck_assert (fabsf (o[0] - 1.25f) < 1e-5f);
}
END_TEST

START_TEST (test_grid_png)
{
  /* two 2x3 gray images in [-1, 1], one per column, 1 pixel border */
  float img[12] = { -1, 0, 1, 1, 1, 1, 1, 1, 1, -1, -1, -1 };
  int w, h;
  g_autofree guint8 *px = nn_image_grid (img, 2, 1, 2, 3, -1, 1, 2, 1, &w, &h);
  ck_assert_int_eq (w, 2 * 3 + 3);
  ck_assert_int_eq (h, 2 + 2);
  ck_assert_int_eq (px[0], 0);
  ck_assert_int_eq (px[w + 1], 0);
  ck_assert_int_eq (px[w + 2], 128);
  ck_assert_int_eq (px[w + 3], 255);
  ck_assert_int_eq (px[2 * w + 1], 255);
  ck_assert_int_eq (px[w + 5], 255);
  ck_assert_int_eq (px[2 * w + 7], 0);

  g_autofree char *dir = g_dir_make_tmp ("nn-gan-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "grid.png", NULL);
  g_autoptr (GError) err = NULL;
  ck_assert_msg (nn_image_write_png (path, px, w, h, 1, &err), "%s", err ? err->message : "?");
  /* read back through the data loader's decoder, unscaled */
  NnPreprocess p = { .channels = 1, .height = h, .width = w, .rescale = 1.0f, .std = { 1, 1, 1 } };
  g_autofree float *back = g_new (float, w * h);
  ck_assert_msg (nn_image_load (path, &p, back, &err), "%s", err ? err->message : "?");
  for (int i = 0; i < w * h; i++)
    ck_assert_msg (fabsf (back[i] - px[i]) < 0.5f, "pixel %d: %g, wrote %d", i, back[i], px[i]);
  ck_assert (!nn_image_write_png (path, px, w, h, 2, &err));
  g_clear_error (&err);
  g_autofree char *nowhere = g_build_filename (dir, "no", "such", "grid.png", NULL);
  ck_assert (!nn_image_write_png (nowhere, px, w, h, 1, &err));
  ck_assert_int_eq (err->code, NN_ERROR_IO);
  g_unlink (path);
  g_rmdir (dir);
}
END_TEST

static float *
gaussian_set (int n, int dim, const double *mu, const double *sd, guint32 seed)
{
  GRand *r = g_rand_new_with_seed (seed);
  float *x = g_new (float, n * dim);
  for (int i = 0; i < n; i++)
    for (int j = 0; j < dim; j++)
      x[i * dim + j] = (float) (mu[j] + sd[j] * nn_rand_normal (r));
  g_rand_free (r);
  return x;
}

START_TEST (test_frechet)
{
  enum { N = 20000, D = 4 };
  double mu0[D] = { 0 }, mu1[D] = { 1, 0, -2, 0 }, sd1[D] = { 1, 1, 1, 1 }, sd2[D] = { 1, 2, 0.5, 3 };
  g_autofree float *a = gaussian_set (N, D, mu0, sd1, 1), *b = gaussian_set (N, D, mu1, sd1, 2);
  g_autofree float *c = gaussian_set (N, D, mu0, sd2, 3);
  double f;
  g_autoptr (GError) err = NULL;
  ck_assert (nn_frechet_distance (a, N, a, N, D, &f, &err));
  ck_assert_msg (fabs (f) < 1e-6, "self distance %g", f);
  /* equal covariances: the squared distance of the means, 5 */
  ck_assert (nn_frechet_distance (a, N, b, N, D, &f, &err));
  ck_assert_msg (fabs (f - 5.0) < 0.15, "mean shift: %g", f);
  /* diagonal covariances: sum (sd_a - sd_b)^2 = 0 + 1 + 0.25 + 4 */
  ck_assert (nn_frechet_distance (a, N, c, N, D, &f, &err));
  ck_assert_msg (fabs (f - 5.25) < 0.25, "covariances: %g", f);
  ck_assert (!nn_frechet_distance (a, 1, c, N, D, &f, &err));
}
END_TEST

START_TEST (test_classifier_score)
{
  /* a fixed 2-class "classifier": softmax of (x0, x1) * 10 */
  g_autoptr (GError) err = NULL;
  g_autoptr (NnModel) clf = model ("{\"input\": [2], \"layers\": [{\"name\": \"fc\", \"type\": \"dense\", "
                                   "\"units\": 2, \"bias\": false}, {\"type\": \"softmax\"}]}");
  NnParam *p = nn_model_params (clf, &(int) { 0 });
  float w[4] = { 10, 0, 0, 10 };
  memcpy (p[0].data, w, sizeof w);
  float x[8] = { 1, 0, 1, 0, 0, 1, 1, 0 };
  int32_t asked[4] = { 0, 0, 1, 1 };
  NnClassifierScore s;
  g_autofree float *feats = NULL;
  int dim = 0;
  ck_assert_msg (nn_classifier_score (clf, x, 4, asked, "fc", &feats, &dim, &s, &err), "%s",
                 err ? err->message : "?");
  double pmax = 1.0 / (1.0 + exp (-10.0));
  ck_assert (fabs (s.mean_max_prob - pmax) < 1e-5);
  ck_assert_msg (fabs (s.class_entropy - (-(0.75 * log (0.75) + 0.25 * log (0.25)))) < 1e-9, "%g", s.class_entropy);
  ck_assert (fabs (s.asked_share - 0.75) < 1e-9);
  ck_assert (s.inception_score > 1.0 && s.inception_score < 2.0);
  ck_assert_int_eq (dim, 2);
  ck_assert (feats[0] == 10.0f && feats[1] == 0.0f && feats[5] == 10.0f);
  ck_assert (!nn_classifier_score (clf, x, 4, NULL, "nope", &feats, &dim, &s, &err));
  ck_assert (strstr (err->message, "nope"));
}
END_TEST

int
main (void)
{
  /* tiny matrices: OpenBLAS's threads would only add overhead */
  nn_set_threads (1);
  Suite *s = suite_create ("gan");
  TCase *tc = tcase_create ("core");
  tcase_set_timeout (tc, 120);
  tcase_add_test (tc, test_ring);
  tcase_add_test (tc, test_ring_conditional);
  tcase_add_test (tc, test_weight_average);
  tcase_add_test (tc, test_spec);
  tcase_add_test (tc, test_slerp);
  tcase_add_test (tc, test_grid_png);
  tcase_add_test (tc, test_frechet);
  tcase_add_test (tc, test_classifier_score);
  suite_add_tcase (s, tc);
  return nn_check_run (s);
}
