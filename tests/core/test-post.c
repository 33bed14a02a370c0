/* Post-processing: the object in a class map and smoothing with hysteresis,
 * on hand-made inputs whose answers are worked out by hand. */
#include "nn-private.h"
#include <check.h>
#include "../check-run.h"

#define H 5
#define W 6
#define NC 3   /* class 0 is the background */

/* A map that is background everywhere (0.9, 0.05, 0.05). */
static void
map_background (float *map)
{
  for (int k = 0; k < H * W; k++) {
    map[k] = 0.9f;
    map[H * W + k] = 0.05f;
    map[2 * H * W + k] = 0.05f;
  }
}

static void
set_cell (float *map, int x, int y, float bg, float c1, float c2)
{
  int k = y * W + x;
  map[k] = bg;
  map[H * W + k] = c1;
  map[2 * H * W + k] = c2;
}

static void
find (const float *map, int background, int min_cells, NnClassMapResult *r)
{
  int scratch[2 * H * W];
  ck_assert_uint_eq (nn_classmap_scratch_size (H, W), 2 * H * W);
  nn_classmap_find (map, NC, H, W, background, 0.5, min_cells, scratch, r);
}

START_TEST (test_one_blob)
{
  float map[NC * H * W], probs[NC];
  map_background (map);
  for (int y = 2; y <= 3; y++)
    for (int x = 1; x <= 3; x++)
      set_cell (map, x, y, 0.1f, 0.7f, 0.2f);
  NnClassMapResult r = { .probs = probs };
  find (map, 0, 1, &r);
  ck_assert (r.found);
  ck_assert_int_eq (r.x, 1);
  ck_assert_int_eq (r.y, 2);
  ck_assert_int_eq (r.w, 3);
  ck_assert_int_eq (r.h, 2);
  ck_assert_int_eq (r.cells, 6);
  /* background left out, the rest renormalised: 0.7 / 0.9 and 0.2 / 0.9 */
  ck_assert_float_eq_tol (probs[0], 0.0f, 1e-7f);
  ck_assert_float_eq_tol (probs[1], 0.7f / 0.9f, 1e-5f);
  ck_assert_float_eq_tol (probs[2], 0.2f / 0.9f, 1e-5f);
}
END_TEST

/* A: 3 strong cells of class 1 (sum 2.7); B: 4 cells of class 2 (sum 3.2),
 * touching A only diagonally, so they are separate blobs and B wins. */
START_TEST (test_two_blobs_strongest)
{
  float map[NC * H * W], probs[NC];
  map_background (map);
  set_cell (map, 0, 0, 0.1f, 0.8f, 0.1f);
  set_cell (map, 1, 0, 0.1f, 0.8f, 0.1f);
  set_cell (map, 0, 1, 0.1f, 0.8f, 0.1f);
  for (int y = 1; y <= 2; y++)
    for (int x = 2; x <= 3; x++)
      set_cell (map, x, y, 0.2f, 0.1f, 0.7f);
  NnClassMapResult r = { .probs = probs };
  find (map, 0, 1, &r);
  ck_assert (r.found);
  ck_assert_int_eq (r.x, 2);
  ck_assert_int_eq (r.y, 1);
  ck_assert_int_eq (r.w, 2);
  ck_assert_int_eq (r.h, 2);
  ck_assert_int_eq (r.cells, 4);
  ck_assert_float_eq_tol (probs[2], 0.7f / 0.8f, 1e-5f);
  ck_assert_float_eq_tol (probs[1], 0.1f / 0.8f, 1e-5f);

  /* B dimmer (sum 2.04): A wins though it has fewer cells */
  for (int y = 1; y <= 2; y++)
    for (int x = 2; x <= 3; x++)
      set_cell (map, x, y, 0.49f, 0.01f, 0.5f);
  find (map, 0, 1, &r);
  ck_assert (r.found);
  ck_assert_int_eq (r.x, 0);
  ck_assert_int_eq (r.y, 0);
  ck_assert_int_eq (r.w, 2);
  ck_assert_int_eq (r.h, 2);
  ck_assert_int_eq (r.cells, 3);
  ck_assert_float_eq_tol (probs[1], 0.8f / 0.9f, 1e-5f);
}
END_TEST

START_TEST (test_small_blob_is_noise)
{
  float map[NC * H * W], probs[NC];
  map_background (map);
  set_cell (map, 4, 3, 0.0f, 1.0f, 0.0f);
  set_cell (map, 4, 4, 0.0f, 1.0f, 0.0f);
  NnClassMapResult r = { .probs = probs };
  find (map, 0, 2, &r);
  ck_assert (r.found);
  find (map, 0, 3, &r);
  ck_assert (!r.found);
  /* no object: the whole map's mean, so the background wins */
  ck_assert_int_eq (r.x, 0);
  ck_assert_int_eq (r.y, 0);
  ck_assert_int_eq (r.w, W);
  ck_assert_int_eq (r.h, H);
  ck_assert_int_eq (r.cells, H * W);
  ck_assert_float_eq_tol (probs[0], (28 * 0.9f) / 30, 1e-5f);
  ck_assert_float_eq_tol (probs[1], (28 * 0.05f + 2) / 30, 1e-5f);
  /* no background class: nothing is an object */
  find (map, -1, 1, &r);
  ck_assert (!r.found);
}
END_TEST

static const float A[2] = { 0.9f, 0.1f }, B[2] = { 0.1f, 0.9f };

/* A A A B A B B B B A B: glitches of one B or one A in three never win. */
START_TEST (test_smoother_hysteresis)
{
  const float *seq[] = { A, A, A, B, A, B, B, B, B, A, B };
  const int n = G_N_ELEMENTS (seq);
  /* expected stable class after each push, and where it changes */
  const int want_stable[] = { -1, -1, 0, 0, 0, 0, 0, 1, 1, 1, 1 };
  g_autoptr (NnSmoother) s = nn_smoother_new (2, 3, 0.3);
  float sm[2];
  int stable, previous, changes = 0;
  for (int i = 0; i < n; i++) {
    gboolean changed = nn_smoother_push (s, seq[i], sm, &stable, &previous);
    ck_assert_int_eq (stable, want_stable[i]);
    ck_assert_int_eq (nn_smoother_stable (s), stable);
    ck_assert_int_eq (changed, i == 2 || i == 7);
    if (changed) {
      changes++;
      ck_assert_int_eq (previous, i == 2 ? -1 : 0);
    }
    if (i == 3) {   /* A A B */
      ck_assert_float_eq_tol (sm[0], 1.9f / 3, 1e-6f);
      ck_assert_float_eq_tol (sm[1], 1.1f / 3, 1e-6f);
    }
    if (i == 0)     /* fewer results than the window: their mean */
      ck_assert_float_eq_tol (sm[0], 0.9f, 1e-6f);
  }
  ck_assert_int_eq (changes, 2);

  /* without averaging or margin every glitch is a change */
  nn_smoother_configure (s, 1, 0.0);
  nn_smoother_reset (s);
  ck_assert_int_eq (nn_smoother_stable (s), -1);
  changes = 0;
  for (int i = 0; i < n; i++)
    changes += nn_smoother_push (s, seq[i], sm, NULL, NULL);
  ck_assert_int_eq (changes, 6);   /* the first A, then one per flip: 3, 4, 5, 9, 10 */
}
END_TEST

/* A lead below the margin never switches, however long it lasts. */
START_TEST (test_smoother_margin)
{
  const float a[2] = { 0.6f, 0.4f }, b[2] = { 0.45f, 0.55f };
  g_autoptr (NnSmoother) s = nn_smoother_new (2, 2, 0.2);
  float sm[2];
  int stable;
  nn_smoother_push (s, a, sm, &stable, NULL);
  ck_assert (nn_smoother_push (s, a, sm, &stable, NULL));
  for (int i = 0; i < 20; i++)
    ck_assert (!nn_smoother_push (s, b, sm, &stable, NULL));
  ck_assert_int_eq (stable, 0);
  nn_smoother_configure (s, 2, 0.05);   /* history kept: b leads by 0.1 */
  int previous;
  ck_assert (nn_smoother_push (s, b, sm, &stable, &previous));
  ck_assert_int_eq (stable, 1);
  ck_assert_int_eq (previous, 0);
  /* a window beyond the ring is clamped, not overrun */
  nn_smoother_configure (s, 100, 0.05);
  ck_assert (!nn_smoother_push (s, b, sm, &stable, NULL));
  ck_assert_float_eq_tol (sm[1], 0.55f, 1e-6f);
}
END_TEST

/* top-k: best first, ties keep the lower index, NaN below every number. */
START_TEST (test_topk)
{
  const float scores[6] = { 0.1f, 0.4f, NAN, 0.4f, -1.0f, 0.05f };
  int idx[6];
  float val[6];
  nn_topk (scores, 6, 3, idx, val);
  ck_assert_int_eq (idx[0], 1);
  ck_assert_int_eq (idx[1], 3);
  ck_assert_int_eq (idx[2], 0);
  ck_assert_float_eq (val[2], 0.1f);
  nn_topk (scores, 6, 6, idx, val);
  const int want[6] = { 1, 3, 0, 5, 4, 2 };
  for (int i = 0; i < 6; i++)
    ck_assert_int_eq (idx[i], want[i]);
  ck_assert (isnan (val[5]));
  nn_topk (scores, 6, 1, idx, val);
  ck_assert_int_eq (idx[0], 1);
}
END_TEST

/* Sampling by time: sample k is the first frame at or after k / fps. */
START_TEST (test_frame_sampler)
{
  NnFrameSampler s;
  nn_frame_sampler_init (&s, 10.0);
  /* 25 fps frames starting at 2 s: kept at 0, 0.12, 0.2, 0.32, 0.4 ... */
  int kept = 0, first_kept[5], n = 0;
  for (int f = 0; f < 25; f++)
    if (nn_frame_sampler_take (&s, 2.0 + f / 25.0)) {
      if (n < 5)
        first_kept[n++] = f;
      kept++;
    }
  ck_assert_int_eq (kept, 10);
  const int want[5] = { 0, 3, 5, 8, 10 };
  for (int i = 0; i < 5; i++)
    ck_assert_int_eq (first_kept[i], want[i]);
  /* millisecond timestamps (WebM): 12 fps truncated to ms, sampled at 6 fps,
   * keep every other frame (frame 4 is at 0.333 s, before 1/3 s) */
  nn_frame_sampler_init (&s, 6.0);
  for (int f = 0; f < 24; f++)
    ck_assert_int_eq (nn_frame_sampler_take (&s, floor (f * 1000.0 / 12.0) / 1000.0), f % 2 == 0);
    /* no rate: every frame; no time: every frame */
  nn_frame_sampler_init (&s, 0.0);
  ck_assert (nn_frame_sampler_take (&s, 0.0) && nn_frame_sampler_take (&s, 0.0));
  nn_frame_sampler_init (&s, 5.0);
  ck_assert (nn_frame_sampler_take (&s, NAN) && nn_frame_sampler_take (&s, NAN));
}
END_TEST

/* A clip model's frame: (C, H, W) of [T, C, H, W], one-channel statistics spread. */
START_TEST (test_clip_frame)
{
  NnShape clip = { 4, { 8, 3, 24, 32 } }, flat = { 3, { 3, 24, 32 } }, two = { 4, { 8, 2, 24, 32 } };
  NnPreprocess pre = { 1, 0, 0, 0.5f, { 0.25f, 0, 0 }, { 2.0f, 1, 1 } }, f;
  int steps = 0;
  ck_assert (nn_clip_frame (&clip, &pre, &f, &steps));
  ck_assert_int_eq (steps, 8);
  ck_assert_int_eq (f.channels, 3);
  ck_assert_int_eq (f.height, 24);
  ck_assert_int_eq (f.width, 32);
  for (int c = 0; c < 3; c++) {
    ck_assert_float_eq (f.mean[c], 0.25f);
    ck_assert_float_eq (f.std[c], 2.0f);
  }
  ck_assert_float_eq (f.rescale, 0.5f);
  ck_assert (!nn_clip_frame (&flat, &pre, &f, NULL));
  ck_assert (!nn_clip_frame (&two, &pre, &f, NULL));
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("post");
  TCase *tc = tcase_create ("post");
  tcase_add_test (tc, test_one_blob);
  tcase_add_test (tc, test_two_blobs_strongest);
  tcase_add_test (tc, test_small_blob_is_noise);
  tcase_add_test (tc, test_smoother_hysteresis);
  tcase_add_test (tc, test_smoother_margin);
  tcase_add_test (tc, test_topk);
  tcase_add_test (tc, test_frame_sampler);
  tcase_add_test (tc, test_clip_frame);
  suite_add_tcase (s, tc);
  return nn_check_run (s);
}
