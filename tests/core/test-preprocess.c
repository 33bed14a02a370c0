/* nn_preprocess_image: channel conversion, area/bilinear resize, normalisation. */
#include "nn-private.h"
#include <check.h>
#include "../check-run.h"

static NnPreprocess
pre (int c, int h, int w)
{
  NnPreprocess p = { c, h, w, 1.0f, { 0, 0, 0 }, { 1, 1, 1 } };
  return p;
}

START_TEST (test_constant_stays_constant)
{
  guint8 img[5 * 7];
  memset (img, 100, sizeof img);
  float out[3 * 4 * 10];
  int sizes[][2] = { { 3, 4 }, { 10, 10 }, { 5, 7 }, { 1, 1 } };
  for (gsize s = 0; s < G_N_ELEMENTS (sizes); s++) {
    NnPreprocess p = pre (1, sizes[s][0], sizes[s][1]);
    nn_preprocess_image (&p, img, 7, 5, 7, NN_PIXEL_GRAY8, out);
    for (int i = 0; i < sizes[s][0] * sizes[s][1]; i++)
      ck_assert_float_eq_tol (out[i], 100.0f, 1e-3f);
  }
}
END_TEST

START_TEST (test_area_2x2_to_1x1)
{
  guint8 img[4] = { 10, 20, 30, 40 };
  float out[1];
  NnPreprocess p = pre (1, 1, 1);
  nn_preprocess_image (&p, img, 2, 2, 2, NN_PIXEL_GRAY8, out);
  ck_assert_float_eq_tol (out[0], 25.0f, 1e-4f);
}
END_TEST

START_TEST (test_area_fractional)
{
  /* 3 -> 2: boxes [0, 1.5) and [1.5, 3) */
  guint8 img[3] = { 30, 60, 90 };
  float out[2];
  NnPreprocess p = pre (1, 1, 2);
  nn_preprocess_image (&p, img, 3, 1, 3, NN_PIXEL_GRAY8, out);
  ck_assert_float_eq_tol (out[0], (30 + 0.5f * 60) / 1.5f, 1e-3f);
  ck_assert_float_eq_tol (out[1], (0.5f * 60 + 90) / 1.5f, 1e-3f);
}
END_TEST

/* Brute force: coverage of every source pixel by every output box. */
static double
ref_area (const guint8 *img, int w, int h, int W, int H, int ox, int oy)
{
  double sx = (double) w / W, sy = (double) h / H, sum = 0;
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) {
      double cx = MIN (x + 1, (ox + 1) * sx) - MAX (x, ox * sx);
      double cy = MIN (y + 1, (oy + 1) * sy) - MAX (y, oy * sy);
      if (cx > 0 && cy > 0)
        sum += cx * cy * img[y * w + x];
    }
  return sum / (sx * sy);
}

START_TEST (test_area_random_vs_brute_force)
{
  int w = 37, h = 29, W = 10, H = 7;
  guint8 img[37 * 29];
  GRand *rng = g_rand_new_with_seed (5);
  for (gsize i = 0; i < sizeof img; i++)
    img[i] = g_rand_int_range (rng, 0, 256);
  g_rand_free (rng);
  float out[70];
  NnPreprocess p = pre (1, H, W);
  nn_preprocess_image (&p, img, w, h, w, NN_PIXEL_GRAY8, out);
  for (int oy = 0; oy < H; oy++)
    for (int ox = 0; ox < W; ox++)
      ck_assert_float_eq_tol (out[oy * W + ox], ref_area (img, w, h, W, H, ox, oy), 2e-3);
}
END_TEST

START_TEST (test_rgb_to_gray_weights)
{
  guint8 rgb[3] = { 100, 50, 200 }, bgr[3] = { 200, 50, 100 };
  guint8 rgbx[4] = { 100, 50, 200, 7 }, bgrx[4] = { 200, 50, 100, 7 };
  float want = 0.299f * 100 + 0.587f * 50 + 0.114f * 200, out[1];
  NnPreprocess p = pre (1, 1, 1);
  nn_preprocess_image (&p, rgb, 1, 1, 3, NN_PIXEL_RGB24, out);
  ck_assert_float_eq_tol (out[0], want, 1e-3f);
  nn_preprocess_image (&p, bgr, 1, 1, 3, NN_PIXEL_BGR24, out);
  ck_assert_float_eq_tol (out[0], want, 1e-3f);
  nn_preprocess_image (&p, rgbx, 1, 1, 4, NN_PIXEL_RGBX, out);
  ck_assert_float_eq_tol (out[0], want, 1e-3f);
  nn_preprocess_image (&p, bgrx, 1, 1, 4, NN_PIXEL_BGRX, out);
  ck_assert_float_eq_tol (out[0], want, 1e-3f);
}
END_TEST

START_TEST (test_rgb_vs_bgr_planes)
{
  /* 2x1 pixels, stride padded with junk that must be ignored */
  guint8 rgb[8] = { 10, 20, 30, 40, 50, 60, 255, 255 };
  guint8 bgr[8] = { 30, 20, 10, 60, 50, 40, 255, 255 };
  float a[6], b[6];
  NnPreprocess p = pre (3, 1, 2);
  nn_preprocess_image (&p, rgb, 2, 1, 8, NN_PIXEL_RGB24, a);
  nn_preprocess_image (&p, bgr, 2, 1, 8, NN_PIXEL_BGR24, b);
  float want[6] = { 10, 40, 20, 50, 30, 60 };  /* R plane, G plane, B plane */
  for (int i = 0; i < 6; i++) {
    ck_assert_float_eq_tol (a[i], want[i], 1e-4f);
    ck_assert_float_eq_tol (b[i], want[i], 1e-4f);
  }
}
END_TEST

START_TEST (test_gray_to_rgb_replicates)
{
  guint8 g[2] = { 11, 99 };
  float out[6];
  NnPreprocess p = pre (3, 1, 2);
  nn_preprocess_image (&p, g, 2, 1, 2, NN_PIXEL_GRAY8, out);
  for (int c = 0; c < 3; c++) {
    ck_assert_float_eq_tol (out[c * 2], 11, 1e-4f);
    ck_assert_float_eq_tol (out[c * 2 + 1], 99, 1e-4f);
  }
}
END_TEST

START_TEST (test_bilinear_upscale)
{
  /* 1-D 2 -> 4, half-pixel centres: src = (o + .5) / 2 - .5 */
  guint8 row[2] = { 0, 200 };
  float out[4];
  NnPreprocess p = pre (1, 1, 4);
  nn_preprocess_image (&p, row, 2, 1, 2, NN_PIXEL_GRAY8, out);
  float want[4] = { 0, 50, 150, 200 };
  for (int i = 0; i < 4; i++)
    ck_assert_float_eq_tol (out[i], want[i], 1e-3f);

  /* 2-D 2x2 -> 3x3: centre is the mean, edges the midpoints, corners the pixels */
  guint8 sq[4] = { 0, 100, 200, 40 };
  float o9[9];
  p = pre (1, 3, 3);
  nn_preprocess_image (&p, sq, 2, 2, 2, NN_PIXEL_GRAY8, o9);
  float w9[9] = { 0, 50, 100, 100, 85, 70, 200, 120, 40 };
  for (int i = 0; i < 9; i++)
    ck_assert_float_eq_tol (o9[i], w9[i], 1e-3f);
}
END_TEST

START_TEST (test_normalise)
{
  guint8 px[3] = { 255, 0, 51 };
  float out[3];
  NnPreprocess p = { 3, 1, 1, 1.0f / 255, { 0.5f, 0.25f, 0.1f }, { 0.5f, 2.0f, 0.2f } };
  nn_preprocess_image (&p, px, 1, 1, 3, NN_PIXEL_RGB24, out);
  ck_assert_float_eq_tol (out[0], (1.0f - 0.5f) / 0.5f, 1e-5f);
  ck_assert_float_eq_tol (out[1], (0.0f - 0.25f) / 2.0f, 1e-5f);
  ck_assert_float_eq_tol (out[2], (0.2f - 0.1f) / 0.2f, 1e-5f);
}
END_TEST


static Suite *
suite (void)
{
  Suite *s = suite_create ("preprocess");
  TCase *tc = tcase_create ("core");
  tcase_add_test (tc, test_constant_stays_constant);
  tcase_add_test (tc, test_area_2x2_to_1x1);
  tcase_add_test (tc, test_area_fractional);
  tcase_add_test (tc, test_area_random_vs_brute_force);
  tcase_add_test (tc, test_rgb_to_gray_weights);
  tcase_add_test (tc, test_rgb_vs_bgr_planes);
  tcase_add_test (tc, test_gray_to_rgb_replicates);
  tcase_add_test (tc, test_bilinear_upscale);
  tcase_add_test (tc, test_normalise);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  return nn_check_run (suite ());
}
