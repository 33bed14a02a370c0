/* Post-processing for live use: the object in a class map and temporal
 * smoothing with hysteresis. Both run once per frame, so they allocate
 * nothing per call: the caller owns the class-map scratch, and a smoother
 * owns its ring of past results. */
#include "nn-private.h"

#include <string.h>

/* ---- class maps -------------------------------------------------------------- */

typedef struct {
  int          h, w, min_cells;
  float        bg_max;  /* cells below this background probability are objects */
  const float *bgp;     /* (h, w) background probabilities */
  int         *blob;    /* (h, w) component of each cell, 0 for none */
  int         *stack;   /* (h, w) flood-fill scratch */
} Blobs;

gsize
nn_classmap_scratch_size (int h, int w)
{
  return 2 * (gsize) MAX (h, 0) * MAX (w, 0);
}

/* Labels the 4-connected blob around `seed` with `id`; returns the sum of its
 * object probabilities, 0 for blobs too small to ever win. */
static double
fill_blob (Blobs *b, int seed, int id)
{
  const int w = b->w, h = b->h;
  int top = 0, cells = 0;
  double sum = 0.0;
  b->blob[seed] = id;
  b->stack[top++] = seed;
  while (top > 0) {
    int k = b->stack[--top], x = k % w, y = k / w;
    sum += 1.0 - b->bgp[k];
    cells++;
    int nb[4] = { x > 0 ? k - 1 : -1, x < w - 1 ? k + 1 : -1, y > 0 ? k - w : -1, y < h - 1 ? k + w : -1 };
    for (int i = 0; i < 4; i++)
      if (nb[i] >= 0 && b->blob[nb[i]] == 0 && b->bgp[nb[i]] < b->bg_max) {
        b->blob[nb[i]] = id;
        b->stack[top++] = nb[i];
      }
  }
  return cells >= b->min_cells ? sum : 0.0;
}

/* Id of the strongest blob, 0 if there is none. */
static int
strongest_blob (Blobs *b)
{
  const int n = b->h * b->w;
  memset (b->blob, 0, sizeof (int) * n);
  int id = 0, best = 0;
  double best_sum = 0.0;
  for (int k = 0; k < n; k++)
    if (b->blob[k] == 0 && b->bgp[k] < b->bg_max) {
      double sum = fill_blob (b, k, ++id);
      if (sum > best_sum) {
        best_sum = sum;
        best = id;
      }
    }
  return best;
}

/* The background is left out of a blob's mean so that its label is an object. */
static void
drop_background (float *probs, int classes, int background)
{
  double rest = 0.0;
  probs[background] = 0.0f;
  for (int c = 0; c < classes; c++)
    rest += probs[c];
  for (int c = 0; c < classes; c++)
    probs[c] = rest > 0 ? (float) (probs[c] / rest) : 0.0f;
}

void
nn_classmap_find (const float *map, int classes, int h, int w, int background, double object_threshold,
                  int min_cells, int *scratch, NnClassMapResult *res)
{
  g_return_if_fail (map && res && res->probs && classes > 0 && h > 0 && w > 0 && background < classes);
  g_return_if_fail (background < 0 || scratch);
  const int n = h * w;
  Blobs b = { h, w, min_cells, (float) (1.0 - object_threshold), NULL, scratch, scratch ? scratch + n : NULL };
  int best = 0;
  if (background >= 0) {
    b.bgp = map + (gsize) background * n;
    best = strongest_blob (&b);
  }
  int count = 0, x0 = w, y0 = h, x1 = -1, y1 = -1;
  memset (res->probs, 0, sizeof (float) * classes);
  for (int k = 0; k < n; k++) {
    if (best && b.blob[k] != best)
      continue;
    for (int c = 0; c < classes; c++)
      res->probs[c] += map[(gsize) c * n + k];
    count++;
    x0 = MIN (x0, k % w), x1 = MAX (x1, k % w), y0 = MIN (y0, k / w), y1 = MAX (y1, k / w);
  }
  res->found = best != 0;
  res->cells = count;
  res->x = x0, res->y = y0, res->w = x1 - x0 + 1, res->h = y1 - y0 + 1;
  if (best)
    drop_background (res->probs, classes, background);
  else
    for (int c = 0; c < classes; c++)
      res->probs[c] /= MAX (count, 1);
}

/* ---- temporal smoothing ------------------------------------------------------ */

struct _NnSmoother {
  int    classes;
  int    capacity;   /* results the ring holds */
  int    window;     /* results averaged, <= capacity */
  double hysteresis;
  float *history;    /* (capacity, classes) ring of results */
  int    len, pos;   /* results held; slot of the next one */
  int    stable;     /* -1 before the first */
};

NnSmoother *
nn_smoother_new (int classes, int window, double hysteresis)
{
  g_return_val_if_fail (classes > 0 && window > 0, NULL);
  NnSmoother *s = g_new0 (NnSmoother, 1);
  s->classes = classes;
  s->capacity = s->window = window;
  s->hysteresis = hysteresis;
  s->history = g_new0 (float, (gsize) window * classes);
  s->stable = -1;
  return s;
}

void
nn_smoother_free (NnSmoother *s)
{
  if (!s)
    return;
  g_free (s->history);
  g_free (s);
}

void
nn_smoother_configure (NnSmoother *s, int window, double hysteresis)
{
  g_return_if_fail (s);
  s->window = CLAMP (window, 1, s->capacity);
  s->hysteresis = hysteresis;
}

void
nn_smoother_reset (NnSmoother *s)
{
  g_return_if_fail (s);
  s->len = s->pos = 0;
  s->stable = -1;
}

int
nn_smoother_stable (const NnSmoother *s)
{
  g_return_val_if_fail (s, -1);
  return s->stable;
}

/* out = mean of the last min(window, len) results, newest first. */
static void
mean_of_last (const NnSmoother *s, float *out)
{
  const int nc = s->classes, m = MIN (s->window, s->len);
  memset (out, 0, sizeof (float) * nc);
  for (int i = 0; i < m; i++) {
    const float *h = s->history + (gsize) ((s->pos + s->capacity - 1 - i) % s->capacity) * nc;
    for (int c = 0; c < nc; c++)
      out[c] += h[c];
  }
  for (int c = 0; c < nc; c++)
    out[c] /= m;
}

/* Hysteresis keeps a label from flickering when two classes run close. */
static gboolean
update_stable (NnSmoother *s, const float *smoothed)
{
  int best = 0;
  for (int c = 1; c < s->classes; c++)
    if (smoothed[c] > smoothed[best])
      best = c;
  if (s->stable < 0) {
    if (s->len < s->window)
      return FALSE;
    s->stable = best;
    return TRUE;
  }
  if (best == s->stable || smoothed[best] - smoothed[s->stable] <= s->hysteresis)
    return FALSE;
  s->stable = best;
  return TRUE;
}

gboolean
nn_smoother_push (NnSmoother *s, const float *scores, float *smoothed_out, int *stable, int *previous)
{
  g_return_val_if_fail (s && scores && smoothed_out, FALSE);
  memcpy (s->history + (gsize) s->pos * s->classes, scores, sizeof (float) * s->classes);
  s->pos = (s->pos + 1) % s->capacity;
  s->len = MIN (s->len + 1, s->capacity);
  mean_of_last (s, smoothed_out);
  int before = s->stable;
  gboolean changed = update_stable (s, smoothed_out);
  if (previous)
    *previous = before;
  if (stable)
    *stable = s->stable;
  return changed;
}

/* ---- top-k ---------------------------------------------------------------- */

/* insertion into the k kept so far: k is small (a handful of classes) */
void
nn_topk (const float *scores, int n, int k, int *idx, float *val)
{
  g_return_if_fail (scores && idx && val && k >= 0 && k <= n);
  int filled = 0;
  for (int i = 0; i < n; i++) {
    float v = isnan (scores[i]) ? -INFINITY : scores[i];
    if (filled == k && (k == 0 || !(v > val[k - 1])))
      continue;
    int j = filled < k ? filled++ : k - 1;
    for (; j > 0 && v > val[j - 1]; j--) {
      val[j] = val[j - 1];
      idx[j] = idx[j - 1];
    }
    val[j] = v;
    idx[j] = i;
  }
  for (int j = 0; j < k; j++)
    val[j] = scores[idx[j]];
}
