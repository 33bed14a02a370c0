/* Post-processing of model outputs for live use: the object in a class map,
 * and temporal smoothing of per-frame results with a stable label.
 * Include <nn/nn.h>, not this file.
 *
 *   int *scratch = g_new (int, nn_classmap_scratch_size (h, w));
 *   NnClassMapResult r = { .probs = g_new (float, classes) };
 *   nn_classmap_find (map, classes, h, w, bg, 0.5, 1, scratch, &r);
 *
 *   NnSmoother *s = nn_smoother_new (classes, 8, 0.2);
 *   if (nn_smoother_push (s, scores, smoothed, &stable, &previous)) ...
 */
#pragma once

/* ---- class maps ---------------------------------------------------------- */

typedef struct {
  gboolean found;  /* a blob of at least min_cells cells */
  int      x, y;   /* its extent in cells: first column and row ... */
  int      w, h;   /* ... and size (the whole map when none was found) */
  int      cells;  /* cells averaged into probs */
  float   *probs;  /* (classes), caller-owned: the blob's mean class
                    * probabilities with the background left out and the rest
                    * renormalised; with no blob, the map's mean */
} NnClassMapResult;

/* Ints of scratch nn_classmap_find needs for an h x w map. */
NN_API gsize nn_classmap_scratch_size (int h, int w);
/* The object in a class map (classes, h, w), softmax over the classes at each
 * cell: the cells whose `background` probability is below 1 - object_threshold
 * form 4-connected blobs; blobs of fewer than min_cells cells are noise; the
 * blob with the largest summed object probability wins (the first on a tie).
 * background < 0: no class is background, so nothing is found. Allocates
 * nothing; `scratch` holds nn_classmap_scratch_size (h, w) ints. */
NN_API void  nn_classmap_find (const float *map, int classes, int h, int w, int background,
                               double object_threshold, int min_cells, int *scratch, NnClassMapResult *res);

/* ---- temporal smoothing -------------------------------------------------- */

typedef struct _NnSmoother NnSmoother;

/* Means of the last `window` results (1 or more) and a stable class that
 * changes only when another class leads the mean by more than `hysteresis`.
 * `window` is also the largest window nn_smoother_configure accepts. */
/* Returns (transfer full): free with nn_smoother_free. */
NN_API NnSmoother *nn_smoother_new (int classes, int window, double hysteresis) G_GNUC_WARN_UNUSED_RESULT;
NN_API void        nn_smoother_free (NnSmoother *s);
/* A new window (clamped to 1 .. the one given to new) and margin; the history
 * is kept, so a live stream can retune without starting over. */
NN_API void        nn_smoother_configure (NnSmoother *s, int window, double hysteresis);
/* Forget the history and the stable class. */
NN_API void        nn_smoother_reset (NnSmoother *s);
/* Adds this result (classes scores); smoothed_out (out caller-allocates)
 * (classes) gets the mean of
 * the last min(window, seen) results. The stable class is first set once
 * `window` results are in. *stable gets it (-1 before), *previous the one
 * before this call; returns TRUE when it changed. Either pointer may be NULL. */
/* stable, previous: (out) (optional). */
NN_API gboolean    nn_smoother_push (NnSmoother *s, const float *scores, float *smoothed_out, int *stable,
                                     int *previous);
NN_API int         nn_smoother_stable (const NnSmoother *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (NnSmoother, nn_smoother_free)

/* ---- top-k ---------------------------------------------------------------- */

/* The k best of scores[0..n) (k <= n), best first, into idx[0..k) and
 * val[0..k); ties keep the lower index; NaN ranks below every number.
 * idx, val: (out caller-allocates), k entries each. Allocates nothing. */
NN_API void nn_topk (const float *scores, int n, int k, int *idx, float *val);
