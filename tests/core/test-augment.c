/* nn_augment_*: parsing and what each transform does to known images. */
#include "nn-private.h"
#include <check.h>
#include "../check-run.h"

static NnAugment *
aug (const char *desc)
{
  GError *err = NULL;
  NnAugment *a = nn_augment_new (desc, &err);
  ck_assert_msg (a != NULL, "%s: %s", desc, err ? err->message : "");
  return a;
}

static void
ramp (float *x, int n)
{
  for (int i = 0; i < n; i++)
    x[i] = (float) ((i * 37) % 101) / 100.0f;
}

static double
mean_of (const float *x, int n)
{
  double s = 0;
  for (int i = 0; i < n; i++)
    s += x[i];
  return s / n;
}

static double
std_of (const float *x, int n)
{
  double m = mean_of (x, n), s = 0;
  for (int i = 0; i < n; i++)
    s += (x[i] - m) * (x[i] - m);
  return sqrt (s / n);
}

START_TEST (test_parse_errors)
{
  const char *bad[] = { "rotate", "bogus=1", "rotate=abc", "rotate=-5", "flip=x", "flip=", "noise=1e9",
                        "scale=0.1,zoom=2", "contrast=", "blur=6", "colour=-0.1",
                        "cutout=1.5", "cutout=", "randconv=1.5", "randconv=-1", "background=2", "foreground=-0.5", "aspect=1" };
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++) {
    GError *err = NULL;
    NnAugment *a = nn_augment_new (bad[i], &err);
    ck_assert_msg (a == NULL, "%s accepted", bad[i]);
    ck_assert (g_error_matches (err, NN_ERROR, NN_ERROR_INVALID));
    ck_assert_ptr_nonnull (strstr (err->message, "augment"));
    g_error_free (err);
  }
  GError *err = NULL;
  NnAugment *a = nn_augment_new ("zoom=2", &err);
  ck_assert_ptr_null (a);
  ck_assert_ptr_nonnull (strstr (err->message, "zoom"));
  g_error_free (err);
  nn_augment_free (aug ("rotate=15,scale=0.1,crop=0.1,flip=h,noise=0.05,brightness=0.2,contrast=0.2,saturation=0.2"));
  nn_augment_free (aug ("colour=0.2,blur=1.5,cutout=0.4,randconv=0.5,background=0.5,foreground=0.3"));
  nn_augment_free (aug (""));
  nn_augment_free (aug (" flip = hv , rotate=0 "));
}
END_TEST

START_TEST (test_flip_h_mirrors_exactly)
{
  NnAugment *a = aug ("flip=h");
  NnShape s = nn_shape_3d (2, 3, 5);
  float x[30], orig[30];
  ramp (orig, 30);
  GRand *rng = g_rand_new_with_seed (1);
  int flipped = 0, kept = 0;
  for (int t = 0; t < 40; t++) {
    memcpy (x, orig, sizeof x);
    nn_augment_apply (a, x, 1, &s, rng);
    if (memcmp (x, orig, sizeof x) == 0) {
      kept++;
      continue;
    }
    flipped++;
    for (int c = 0; c < 2; c++)
      for (int y = 0; y < 3; y++)
        for (int xx = 0; xx < 5; xx++)
          ck_assert_float_eq (x[c * 15 + y * 5 + xx], orig[c * 15 + y * 5 + (4 - xx)]);
  }
  ck_assert_int_gt (flipped, 5);
  ck_assert_int_gt (kept, 5);
  g_rand_free (rng);
  nn_augment_free (a);
}
END_TEST

START_TEST (test_flip_v_mirrors_rows)
{
  NnAugment *a = aug ("flip=v");
  NnShape s = nn_shape_3d (1, 4, 3);
  float x[12], orig[12];
  ramp (orig, 12);
  GRand *rng = g_rand_new_with_seed (2);
  int flipped = 0;
  for (int t = 0; t < 20; t++) {
    memcpy (x, orig, sizeof x);
    nn_augment_apply (a, x, 1, &s, rng);
    if (memcmp (x, orig, sizeof x) == 0)
      continue;
    flipped++;
    for (int y = 0; y < 4; y++)
      for (int xx = 0; xx < 3; xx++)
        ck_assert_float_eq (x[y * 3 + xx], orig[(3 - y) * 3 + xx]);
  }
  ck_assert_int_gt (flipped, 2);
  g_rand_free (rng);
  nn_augment_free (a);
}
END_TEST

/* One bright pixel rotated by the angle the augmenter draws (replayed from
 * an identical GRand) must land where the rotation about the centre puts it. */
START_TEST (test_rotate_moves_marked_pixel)
{
  NnAugment *a = aug ("rotate=90");
  const int H = 21, W = 21;
  NnShape s = nn_shape_3d (1, H, W);
  float x[21 * 21];
  for (int t = 0; t < 10; t++) {
    memset (x, 0, sizeof x);
    int py = 3, px = 10;   /* above the centre (10, 10) */
    x[py * W + px] = 1.0f;
    GRand *rng = g_rand_new_with_seed (100 + t), *replay = g_rand_new_with_seed (100 + t);
    nn_augment_apply (a, x, 1, &s, rng);
    double th = g_rand_double_range (replay, -90, 90) * G_PI / 180.0;
    /* forward map: p = c + R(th) (q - c) */
    double dx = px - 10, dy = py - 10;
    double ex = 10 + cos (th) * dx - sin (th) * dy, ey = 10 + sin (th) * dx + cos (th) * dy;
    int best = 0;
    for (int i = 1; i < H * W; i++)
      if (x[i] > x[best])
        best = i;
    ck_assert_msg (fabs (best % W - ex) <= 1.0 && fabs (best / W - ey) <= 1.0,
                   "angle %.1f: peak at (%d, %d), expected (%.1f, %.1f)", th * 180 / G_PI, best % W, best / W, ex, ey);
    ck_assert_float_gt (x[best], 0.2f);
    if (fabs (th) > 0.5)
      ck_assert_int_ne (best, py * W + px);
    g_rand_free (rng);
    g_rand_free (replay);
  }
  nn_augment_free (a);
}
END_TEST

START_TEST (test_scale_and_crop_keep_constant_image)
{
  NnAugment *a = aug ("scale=0.3,crop=0.3,rotate=30");
  NnShape s = nn_shape_3d (3, 8, 8);
  float x[3 * 64];
  for (int i = 0; i < 3 * 64; i++)
    x[i] = 0.25f + (i / 64) * 0.25f;
  GRand *rng = g_rand_new_with_seed (3);
  nn_augment_apply (a, x, 1, &s, rng);
  for (int i = 0; i < 3 * 64; i++)
    ck_assert_float_eq_tol (x[i], 0.25f + (i / 64) * 0.25f, 1e-5f);
  g_rand_free (rng);
  nn_augment_free (a);
}
END_TEST

START_TEST (test_crop_zooms_in)
{
  /* a centred square grows (or stays) under crop-and-resize */
  NnAugment *a = aug ("crop=0.5");
  NnShape s = nn_shape_3d (1, 20, 20);
  float x[400];
  int grew = 0;
  GRand *rng = g_rand_new_with_seed (4);
  for (int t = 0; t < 10; t++) {
    for (int i = 0; i < 400; i++)
      x[i] = (i / 20 >= 8 && i / 20 < 12 && i % 20 >= 8 && i % 20 < 12) ? 1.0f : 0.0f;
    nn_augment_apply (a, x, 1, &s, rng);
    double sum = 0;
    for (int i = 0; i < 400; i++)
      sum += x[i];
    ck_assert_double_ge (sum, 16 * 0.99);
    grew += sum > 17;
  }
  ck_assert_int_gt (grew, 5);
  g_rand_free (rng);
  nn_augment_free (a);
}
END_TEST

START_TEST (test_brightness_shifts_mean)
{
  NnAugment *a = aug ("brightness=0.5");
  NnShape s = nn_shape_3d (1, 10, 10);
  float x[100], orig[100];
  ramp (orig, 100);
  GRand *rng = g_rand_new_with_seed (5);
  int moved = 0;
  for (int t = 0; t < 10; t++) {
    memcpy (x, orig, sizeof x);
    nn_augment_apply (a, x, 1, &s, rng);
    double d = x[0] - orig[0];
    for (int i = 0; i < 100; i++)
      ck_assert_float_eq_tol (x[i] - orig[i], d, 1e-5);
    ck_assert_double_le (fabs (d), 0.5 + 1e-6);   /* range of the ramp is 1 */
    ck_assert_double_eq_tol (mean_of (x, 100) - mean_of (orig, 100), d, 1e-5);
    moved += fabs (d) > 0.01;
  }
  ck_assert_int_gt (moved, 5);
  g_rand_free (rng);
  nn_augment_free (a);
}
END_TEST

START_TEST (test_contrast_scales_std_keeps_mean)
{
  NnAugment *a = aug ("contrast=0.5");
  NnShape s = nn_shape_3d (1, 10, 10);
  float x[100], orig[100];
  ramp (orig, 100);
  GRand *rng = g_rand_new_with_seed (6);
  int changed = 0;
  for (int t = 0; t < 10; t++) {
    memcpy (x, orig, sizeof x);
    nn_augment_apply (a, x, 1, &s, rng);
    ck_assert_double_eq_tol (mean_of (x, 100), mean_of (orig, 100), 1e-5);
    double f = std_of (x, 100) / std_of (orig, 100);
    ck_assert_double_ge (f, 0.5 - 1e-4);
    ck_assert_double_le (f, 1.5 + 1e-4);
    changed += fabs (f - 1) > 0.01;
  }
  ck_assert_int_gt (changed, 5);
  g_rand_free (rng);
  nn_augment_free (a);
}
END_TEST

START_TEST (test_saturation_rgb_only)
{
  NnAugment *a = aug ("saturation=0.8");
  /* RGB: gray pixels stay, the luma of a colour pixel is kept */
  NnShape s = nn_shape_3d (3, 1, 2);
  float x[6] = { 0.5f, 0.9f, 0.5f, 0.1f, 0.5f, 0.3f };  /* px0 gray 0.5, px1 (0.9, 0.1, 0.3) */
  float luma = 0.299f * 0.9f + 0.587f * 0.1f + 0.114f * 0.3f;
  GRand *rng = g_rand_new_with_seed (7);
  nn_augment_apply (a, x, 1, &s, rng);
  for (int c = 0; c < 3; c++)
    ck_assert_float_eq_tol (x[c * 2], 0.5f, 1e-6f);
  ck_assert_float_eq_tol (0.299f * x[1] + 0.587f * x[3] + 0.114f * x[5], luma, 1e-5f);
  ck_assert_float_ne (x[1], 0.9f);
  /* gray samples are left alone */
  NnShape g = nn_shape_3d (1, 2, 3);
  float y[6], oy[6];
  ramp (oy, 6);
  memcpy (y, oy, sizeof y);
  nn_augment_apply (a, y, 1, &g, rng);
  ck_assert_mem_eq (y, oy, sizeof y);
  g_rand_free (rng);
  nn_augment_free (a);
}
END_TEST

START_TEST (test_noise_sigma)
{
  NnAugment *a = aug ("noise=0.05");
  NnShape s = nn_shape_3d (1, 100, 100);
  float *x = g_new0 (float, 10000);
  GRand *rng = g_rand_new_with_seed (8);
  nn_augment_apply (a, x, 1, &s, rng);
  ck_assert_double_lt (fabs (mean_of (x, 10000)), 0.003);
  ck_assert_double_eq_tol (std_of (x, 10000), 0.05, 0.003);
  g_free (x);
  g_rand_free (rng);
  nn_augment_free (a);
}
END_TEST

START_TEST (test_colour_gain_per_channel)
{
  NnAugment *a = aug ("colour=0.3");
  /* a gray ramp: each channel is scaled about the sample's black by its
   * own factor within 1 +- 0.3, so the channels part and black stays */
  int h = 4, w = 5, plane = h * w;
  NnShape s = nn_shape_3d (3, h, w);
  float x[60], o[60];
  for (int c = 0; c < 3; c++)
    for (int i = 0; i < plane; i++)
      o[c * plane + i] = 0.1f + 0.04f * i;
  GRand *rng = g_rand_new_with_seed (11);
  int parted = 0;
  for (int t = 0; t < 20; t++) {
    memcpy (x, o, sizeof x);
    nn_augment_apply (a, x, 1, &s, rng);
    float f[3];
    for (int c = 0; c < 3; c++) {
      ck_assert_float_eq_tol (x[c * plane], 0.1f, 1e-6f);
      f[c] = (x[c * plane + plane - 1] - 0.1f) / (o[plane - 1] - 0.1f);
      ck_assert (f[c] >= 0.7f - 1e-5f && f[c] <= 1.3f + 1e-5f);
      for (int i = 1; i < plane; i++)
        ck_assert_float_eq_tol (x[c * plane + i] - 0.1f, f[c] * (o[i] - 0.1f), 1e-5f);
    }
    parted += fabsf (f[0] - f[1]) > 0.01f || fabsf (f[1] - f[2]) > 0.01f;
  }
  ck_assert_int_ge (parted, 15);
  /* one channel: nothing to tint */
  NnShape g = nn_shape_3d (1, h, w);
  memcpy (x, o, sizeof (float) * plane);
  nn_augment_apply (a, x, 1, &g, rng);
  ck_assert_mem_eq (x, o, sizeof (float) * plane);
  g_rand_free (rng);
  nn_augment_free (a);
}
END_TEST

START_TEST (test_blur_spreads_a_point)
{
  NnAugment *a = aug ("blur=2");
  int n = 21;
  NnShape s = nn_shape_3d (1, n, n);
  float x[21 * 21];
  GRand *rng = g_rand_new_with_seed (12);
  int blurred = 0;
  for (int t = 0; t < 10; t++) {
    memset (x, 0, sizeof x);
    x[10 * n + 10] = 1.0f;
    nn_augment_apply (a, x, 1, &s, rng);
    double sum = 0;
    for (int i = 0; i < n * n; i++)
      sum += x[i];
    /* away from the edges the kernel keeps the mass, and is symmetric */
    ck_assert_double_eq_tol (sum, 1.0, 1e-5);
    ck_assert_float_eq_tol (x[10 * n + 9], x[10 * n + 11], 1e-6f);
    ck_assert_float_eq_tol (x[9 * n + 10], x[11 * n + 10], 1e-6f);
    ck_assert_float_eq_tol (x[10 * n + 9], x[9 * n + 10], 1e-6f);
    ck_assert (x[10 * n + 10] >= x[10 * n + 11]);
    blurred += x[10 * n + 10] < 0.9f;
  }
  ck_assert_int_ge (blurred, 5);
  /* a constant image stays constant (clamp-to-edge) */
  for (int i = 0; i < n * n; i++)
    x[i] = 0.25f;
  nn_augment_apply (a, x, 1, &s, rng);
  for (int i = 0; i < n * n; i++)
    ck_assert_float_eq_tol (x[i], 0.25f, 1e-5f);
  g_rand_free (rng);
  nn_augment_free (a);
}
END_TEST

START_TEST (test_cutout_one_rectangle)
{
  NnAugment *a = aug ("cutout=0.5");
  int h = 16, w = 20, plane = h * w;
  NnShape s = nn_shape_3d (3, h, w);
  float *x = g_new (float, 3 * plane), *o = g_new (float, 3 * plane);
  for (int i = 0; i < 3 * plane; i++)
    o[i] = (float) ((i * 7919) % 1000) / 1000.0f + 0.5f;  /* no two neighbours alike */
  GRand *rng = g_rand_new_with_seed (13);
  int hit = 0;
  for (int t = 0; t < 30; t++) {
    memcpy (x, o, sizeof (float) * 3 * plane);
    nn_augment_apply (a, x, 1, &s, rng);
    /* the changed pixels are the same in every channel and fill their bounding box */
    int y0 = h, y1 = -1, x0 = w, x1 = -1, changed = 0;
    for (int y = 0; y < h; y++)
      for (int xx = 0; xx < w; xx++) {
        gboolean ch0 = x[y * w + xx] != o[y * w + xx];
        for (int c = 1; c < 3; c++)
          ck_assert_int_eq (x[c * plane + y * w + xx] != o[c * plane + y * w + xx], ch0);
        if (ch0) {
          changed++;
          y0 = MIN (y0, y), y1 = MAX (y1, y), x0 = MIN (x0, xx), x1 = MAX (x1, xx);
        }
      }
    if (!changed)
      continue;
    hit++;
    ck_assert_int_eq (changed, (y1 - y0 + 1) * (x1 - x0 + 1));
    ck_assert_int_le (y1 - y0 + 1, h / 2 + 1);
    ck_assert_int_le (x1 - x0 + 1, w / 2 + 1);
    for (int c = 0; c < 3; c++) {
      float v = x[c * plane + y0 * w + x0];
      ck_assert (v >= 0.5f && v <= 1.5f);
      for (int y = y0; y <= y1; y++)
        for (int xx = x0; xx <= x1; xx++)
          ck_assert_float_eq (x[c * plane + y * w + xx], v);
    }
  }
  ck_assert_int_ge (hit, 20);
  g_free (x);
  g_free (o);
  g_rand_free (rng);
  nn_augment_free (a);
}
END_TEST

/* A random convolution keeps the sample's mean, never raises its spread
 * (the mix of two samples of the same spread), reaches at most 3 pixels (the
 * largest kernel is 7x7), and a flat sample stays flat: it changes looks, not
 * shapes or levels. */
START_TEST (test_randconv_local_keeps_mean)
{
  NnAugment *a = aug ("randconv=1");
  int c = 3, h = 15, w = 17, plane = h * w, n = c * plane;
  NnShape s = nn_shape_3d (c, h, w);
  float *x = g_new (float, n);
  GRand *rng = g_rand_new_with_seed (21);
  int changed = 0;
  for (int t = 0; t < 40; t++) {
    /* one bright pixel at (7, 8) on a dark background, in every channel */
    for (int i = 0; i < n; i++)
      x[i] = 0.25f;
    for (int ch = 0; ch < c; ch++)
      x[ch * plane + 7 * w + 8] = 2.0f;
    double m0 = mean_of (x, n), s0 = std_of (x, n);
    nn_augment_apply (a, x, 1, &s, rng);
    ck_assert_double_eq_tol (mean_of (x, n), m0, 1e-5);
    ck_assert (std_of (x, n) <= s0 + 1e-5);
    for (int ch = 0; ch < c; ch++) {
      const float *p = x + ch * plane;
      float far = p[0];  /* (0, 0) is more than 3 pixels away */
      for (int y = 0; y < h; y++)
        for (int xx = 0; xx < w; xx++)
          if (ABS (y - 7) > 3 || ABS (xx - 8) > 3)
            ck_assert_float_eq_tol (p[y * w + xx], far, 1e-5f);
      changed += fabsf (p[7 * w + 8] - 2.0f) > 1e-3f;
    }
  }
  ck_assert_int_ge (changed, 30);  /* the mix weight is U(0, 1): almost every draw moves the pixel */
  for (int i = 0; i < n; i++)
    x[i] = 0.5f;
  nn_augment_apply (a, x, 1, &s, rng);
  for (int i = 0; i < n; i++)
    ck_assert_float_eq_tol (x[i], 0.5f, 1e-6f);
  g_free (x);
  g_rand_free (rng);
  nn_augment_free (a);
}
END_TEST

/* A clip (T, C, H, W): every frame gets the same transform, noise apart;
 * another clip of the batch gets other draws. Before, the trainer handed a
 * clip model's batch to augmentation as single frames. */
START_TEST (test_clip_frames_share_draws)
{
  int t = 4, c = 3, h = 10, w = 12, frame = c * h * w, n = 2;
  NnShape s = { .ndim = 4, .dim = { t, c, h, w } };
  float *x = g_new (float, n * t * frame), *o = g_new (float, frame);
  ramp (o, frame);
  NnAugment *a = aug ("rotate=20,crop=0.2,flip=h,randconv=1,cutout=0.4,blur=1,brightness=0.2,contrast=0.3,colour=0.3");
  GRand *rng = g_rand_new_with_seed (5);
  for (int i = 0; i < n * t; i++)
    memcpy (x + i * frame, o, sizeof (float) * frame);
  nn_augment_apply (a, x, n, &s, rng);
  for (int f = 1; f < t; f++) {
    ck_assert_mem_eq (x + f * frame, x, sizeof (float) * frame);
    ck_assert_mem_eq (x + (t + f) * frame, x + t * frame, sizeof (float) * frame);
  }
  ck_assert (memcmp (x, o, sizeof (float) * frame) != 0);
  ck_assert (memcmp (x, x + t * frame, sizeof (float) * frame) != 0);
  nn_augment_free (a);
  /* noise alone: new in every frame, with its sigma */
  a = aug ("noise=0.1");
  for (int i = 0; i < n * t; i++)
    memcpy (x + i * frame, o, sizeof (float) * frame);
  nn_augment_apply (a, x, n, &s, rng);
  for (int f = 1; f < n * t; f++)
    ck_assert (memcmp (x + f * frame, x, sizeof (float) * frame) != 0);
  for (int i = 0; i < n * t * frame; i++)
    x[i] -= o[i % frame];
  ck_assert_double_eq_tol (std_of (x, n * t * frame), 0.1, 0.01);
  g_free (x);
  g_free (o);
  g_rand_free (rng);
  nn_augment_free (a);
}
END_TEST

/* Applies `desc` to a ramp whose left half has alpha 1 (the subject) and
 * right half alpha 0. The half the key must leave (the subject's for
 * background, the other for foreground) stays exactly as it was; the other
 * stays within the sample's range of each channel and mostly changes.
 * Returns the smallest spread, over the channels, of the changed half. */
static float
check_halves (NnAugment *a, gboolean keep_subject, GRand *rng)
{
  const int c = 3, h = 16, w = 16, plane = h * w;
  float x[3 * 16 * 16], orig[3 * 16 * 16], alpha[16 * 16];
  ramp (x, c * plane);
  memcpy (orig, x, sizeof x);
  for (int i = 0; i < plane; i++)
    alpha[i] = i % w < w / 2 ? 1.0f : 0.0f;
  NnShape s = nn_shape_3d (c, h, w);
  nn_augment_apply_alpha (a, x, alpha, 1, &s, rng);
  float spread = 1e9f;
  for (int ch = 0; ch < c; ch++) {
    float lo = 1e9f, hi = -1e9f, clo = 1e9f, chi = -1e9f;
    for (int i = 0; i < plane; i++) {
      lo = MIN (lo, orig[ch * plane + i]);
      hi = MAX (hi, orig[ch * plane + i]);
    }
    int changed = 0;
    for (int i = 0; i < plane; i++) {
      int k = ch * plane + i;
      if ((i % w < w / 2) == keep_subject) {
        ck_assert_float_eq (x[k], orig[k]);
      } else {
        ck_assert (x[k] >= lo - 1e-6f && x[k] <= hi + 1e-6f);
        changed += x[k] != orig[k];
        clo = MIN (clo, x[k]);
        chi = MAX (chi, x[k]);
      }
    }
    ck_assert_int_gt (changed, plane / 2 - 8);
    spread = MIN (spread, chi - clo);
  }
  return spread;
}

/* background: the subject (alpha 1) is kept exactly, the rest replaced by a
 * texture (not one flat colour) within the sample's range; without alpha
 * nothing is drawn. */
START_TEST (test_background_behind_alpha)
{
  g_autoptr (NnAugment) a = aug ("background=1");
  ck_assert (nn_augment_needs_alpha (a));
  g_autoptr (GRand) rng = g_rand_new_with_seed (3);
  ck_assert_float_gt (check_halves (a, TRUE, rng), 1e-3f);
  const int n = 3 * 16 * 16;
  float x[3 * 16 * 16], orig[3 * 16 * 16];
  ramp (x, n);
  memcpy (orig, x, sizeof x);
  NnShape s = nn_shape_3d (3, 16, 16);
  nn_augment_apply (a, x, 1, &s, rng);
  ck_assert_int_eq (memcmp (x, orig, sizeof x), 0);
  g_autoptr (NnAugment) b = aug ("flip=h,noise=0.1");
  ck_assert (!nn_augment_needs_alpha (b));
}
END_TEST

/* foreground: the other way round: the background (alpha 0) is kept
 * exactly, the subject mixed with a texture within the sample's range. */
START_TEST (test_foreground_on_alpha)
{
  g_autoptr (NnAugment) a = aug ("foreground=1");
  ck_assert (nn_augment_needs_alpha (a));
  g_autoptr (GRand) rng = g_rand_new_with_seed (4);
  for (int trial = 0; trial < 5; trial++)
    check_halves (a, FALSE, rng);
}
END_TEST

/* The geometry moves the alpha with the image: a square of value 10 whose
 * alpha is 1, rotated and scaled; afterwards every pixel the moved alpha
 * calls fully foreground still holds 10 (the moved square), which fails if
 * the alpha stayed where it was. */
START_TEST (test_background_alpha_follows_geometry)
{
  g_autoptr (NnAugment) a = aug ("rotate=40,scale=0.3,crop=0.3,background=1");
  const int h = 24, w = 24;
  g_autoptr (GRand) rng = g_rand_new_with_seed (5);
  int moved = 0;
  for (int trial = 0; trial < 20; trial++) {
    float x[24 * 24], alpha[24 * 24];
    for (int y = 0; y < h; y++)
      for (int i = 0; i < w; i++) {
        gboolean in = y >= 2 && y < 12 && i >= 3 && i < 13;
        x[y * w + i] = in ? 10.0f : 0.0f;
        alpha[y * w + i] = in ? 1.0f : 0.0f;
      }
    NnShape s = nn_shape_3d (1, h, w);
    nn_augment_apply_alpha (a, x, alpha, 1, &s, rng);
    int full = 0;
    for (int i = 0; i < h * w; i++) {
      if (alpha[i] >= 1.0f) {
        ck_assert_float_eq_tol (x[i], 10.0f, 1e-5f);
        full++;
      }
      gboolean was_in = i / w >= 2 && i / w < 12 && i % w >= 3 && i % w < 13;
      moved += (alpha[i] >= 1.0f) != was_in;
    }
    ck_assert_int_gt (full, 10);
  }
  ck_assert_int_gt (moved, 100);
}
END_TEST

/* aspect stretches the width against the height and keeps the area: a
 * centred square becomes wider or taller rectangles of about its area. */
START_TEST (test_aspect_stretches_keeps_area)
{
  g_autoptr (NnAugment) a = aug ("aspect=0.4");
  g_autoptr (GRand) rng = g_rand_new_with_seed (8);
  const int n = 32;
  double lo_ratio = 1.0, hi_ratio = 1.0;
  for (int trial = 0; trial < 40; trial++) {
    float x[32 * 32];
    for (int i = 0; i < n * n; i++)
      x[i] = (i / n >= 11 && i / n < 21 && i % n >= 11 && i % n < 21) ? 1.0f : 0.0f;
    NnShape s = nn_shape_3d (1, n, n);
    nn_augment_apply (a, x, 1, &s, rng);
    int x0 = n, x1 = -1, y0 = n, y1 = -1;
    double area = 0;
    for (int i = 0; i < n * n; i++) {
      area += x[i];
      if (x[i] > 0.5f) {
        x0 = MIN (x0, i % n); x1 = MAX (x1, i % n);
        y0 = MIN (y0, i / n); y1 = MAX (y1, i / n);
      }
    }
    double ratio = (double) (x1 - x0 + 1) / (y1 - y0 + 1);
    lo_ratio = MIN (lo_ratio, ratio);
    hi_ratio = MAX (hi_ratio, ratio);
    ck_assert_msg (fabs (area - 100.0) < 15.0, "area %g", area);
    ck_assert_msg (ratio > 0.3 && ratio < 2.2, "ratio %g", ratio);  /* (1 + a)^2 and the pixel grid */
  }
  ck_assert_msg (lo_ratio < 0.7 && hi_ratio > 1.4, "ratios %g .. %g", lo_ratio, hi_ratio);
}
END_TEST

START_TEST (test_seed_reproducible)
{
  NnAugment *a = aug ("rotate=15,scale=0.1,crop=0.1,flip=hv,noise=0.05,brightness=0.2,contrast=0.2,saturation=0.2,"
                      "colour=0.2,blur=1,cutout=0.3,randconv=0.5");
  NnShape s = nn_shape_3d (3, 12, 12);
  int n = 4, d = 3 * 144;
  float *x1 = g_new (float, n * d), *x2 = g_new (float, n * d), *x3 = g_new (float, n * d);
  ramp (x1, n * d);
  memcpy (x2, x1, sizeof (float) * n * d);
  memcpy (x3, x1, sizeof (float) * n * d);
  GRand *r1 = g_rand_new_with_seed (9), *r2 = g_rand_new_with_seed (9), *r3 = g_rand_new_with_seed (10);
  nn_augment_apply (a, x1, n, &s, r1);
  nn_augment_apply (a, x2, n, &s, r2);
  nn_augment_apply (a, x3, n, &s, r3);
  ck_assert_mem_eq (x1, x2, sizeof (float) * n * d);
  ck_assert (memcmp (x1, x3, sizeof (float) * n * d) != 0);
  /* samples of a batch get different draws */
  ck_assert (memcmp (x1, x1 + d, sizeof (float) * d) != 0);
  /* larger samples later grow the scratch */
  NnShape big = nn_shape_3d (1, 40, 40);
  float *xb = g_new0 (float, 1600);
  nn_augment_apply (a, xb, 1, &big, r1);
  g_free (xb);
  g_free (x1); g_free (x2); g_free (x3);
  g_rand_free (r1); g_rand_free (r2); g_rand_free (r3);
  nn_augment_free (a);
}
END_TEST

static Suite *
suite (void)
{
  Suite *s = suite_create ("augment");
  TCase *tc = tcase_create ("core");
  tcase_add_test (tc, test_parse_errors);
  tcase_add_test (tc, test_flip_h_mirrors_exactly);
  tcase_add_test (tc, test_flip_v_mirrors_rows);
  tcase_add_test (tc, test_rotate_moves_marked_pixel);
  tcase_add_test (tc, test_scale_and_crop_keep_constant_image);
  tcase_add_test (tc, test_crop_zooms_in);
  tcase_add_test (tc, test_brightness_shifts_mean);
  tcase_add_test (tc, test_contrast_scales_std_keeps_mean);
  tcase_add_test (tc, test_saturation_rgb_only);
  tcase_add_test (tc, test_noise_sigma);
  tcase_add_test (tc, test_colour_gain_per_channel);
  tcase_add_test (tc, test_blur_spreads_a_point);
  tcase_add_test (tc, test_cutout_one_rectangle);
  tcase_add_test (tc, test_randconv_local_keeps_mean);
  tcase_add_test (tc, test_clip_frames_share_draws);
  tcase_add_test (tc, test_background_behind_alpha);
  tcase_add_test (tc, test_foreground_on_alpha);
  tcase_add_test (tc, test_background_alpha_follows_geometry);
  tcase_add_test (tc, test_aspect_stretches_keeps_area);
  tcase_add_test (tc, test_seed_reproducible);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  return nn_check_run (suite ());
}
