/* im2col and col2im: a convolution's input unfolded into a column matrix
 * (one row per channel and kernel tap, one column per output position) and
 * folded back. conv2d unfolds its input, convlstm2d its input and state,
 * conv2d_transpose its output gradient (its forward is conv2d's fold). */
#include "nn-private.h"

/* Output columns [lo, hi) of kernel column kj read inside the row; the rest
 * read padding. */
static void
valid_cols (const NnUnfold *u, int kj, int *lo, int *hi)
{
  int first = u->pl - kj, last = u->w + u->pl - kj;   /* need first <= ox*sw < last */
  *lo = first <= 0 ? 0 : (first + u->sw - 1) / u->sw;
  *hi = last <= 0 ? 0 : MIN (u->ow, (last + u->sw - 1) / u->sw);
  *lo = MIN (*lo, *hi);
}

void
nn_im2col (const NnUnfold *u, const float *x, float *col)
{
  int64_t ohw = nn_unfold_cols (u);
  for (int c = 0; c < u->c; c++)
    for (int ki = 0; ki < u->kh; ki++)
      for (int kj = 0; kj < u->kw; kj++) {
        float *row = col + (((int64_t) c * u->kh + ki) * u->kw + kj) * ohw;
        const float *plane = x + (int64_t) c * u->h * u->w;
        int lo, hi;
        valid_cols (u, kj, &lo, &hi);
        for (int oy = 0; oy < u->oh; oy++) {
          int iy = oy * u->sh + ki - u->pt;
          float *r = row + (int64_t) oy * u->ow;
          if (iy < 0 || iy >= u->h) {
            memset (r, 0, sizeof (float) * u->ow);
            continue;
          }
          /* rows are short (tens of floats): plain loops beat library calls */
          const float *src = plane + (int64_t) iy * u->w + kj - u->pl;
          for (int ox = 0; ox < lo; ox++)
            r[ox] = 0.0f;
          if (u->sw == 1)
            for (int ox = lo; ox < hi; ox++)
              r[ox] = src[ox];
          else
            for (int ox = lo; ox < hi; ox++)
              r[ox] = src[ox * u->sw];
          for (int ox = hi; ox < u->ow; ox++)
            r[ox] = 0.0f;
        }
      }
}

/* Stride 1: the padded input is (oh + kh - 1) x (ow + kw - 1) per channel. */
int64_t
nn_unfold_pad_size (const NnUnfold *u)
{
  return (int64_t) u->c * (u->oh + u->kh - 1) * (u->ow + u->kw - 1) + NN_UNFOLD_SLACK;
}

void
nn_im2col_unit (const NnUnfold *u, const float *x, float *col, float *pad)
{
  g_assert (u->sh == 1 && u->sw == 1);
  int hp = u->oh + u->kh - 1, wp = u->ow + u->kw - 1;
  for (int c = 0; c < u->c; c++) {
    float *plane = pad + (int64_t) c * hp * wp;
    for (int iy = 0; iy < u->h; iy++)
      memcpy (plane + (int64_t) (iy + u->pt) * wp + u->pl, x + ((int64_t) c * u->h + iy) * u->w,
              sizeof (float) * u->w);
  }
  const float *end = col + nn_unfold_rows (u) * nn_unfold_cols (u);
  int span = (u->ow + 7) & ~7;
  float *dst = col;
  for (int c = 0; c < u->c; c++)
    for (int ki = 0; ki < u->kh; ki++)
      for (int kj = 0; kj < u->kw; kj++) {
        const float *src = pad + ((int64_t) c * hp + ki) * wp + kj;
        for (int oy = 0; oy < u->oh; oy++, dst += u->ow, src += wp) {
          if (dst + span > end) {
            memcpy (dst, src, sizeof (float) * u->ow);
            continue;
          }
          for (int ox = 0; ox < u->ow; ox += 8)
            memcpy (dst + ox, src + ox, 8 * sizeof (float));
        }
      }
}

void
nn_col2im (const NnUnfold *u, const float *col, float *dx, gboolean accumulate)
{
  int64_t ohw = nn_unfold_cols (u);
  if (!accumulate)
    memset (dx, 0, sizeof (float) * u->c * u->h * u->w);
  for (int c = 0; c < u->c; c++)
    for (int ki = 0; ki < u->kh; ki++)
      for (int kj = 0; kj < u->kw; kj++) {
        const float *row = col + (((int64_t) c * u->kh + ki) * u->kw + kj) * ohw;
        float *plane = dx + (int64_t) c * u->h * u->w;
        int lo, hi;
        valid_cols (u, kj, &lo, &hi);
        for (int oy = 0; oy < u->oh; oy++) {
          int iy = oy * u->sh + ki - u->pt;
          if (iy < 0 || iy >= u->h)
            continue;
          const float *r = row + (int64_t) oy * u->ow;
          float *dst = plane + (int64_t) iy * u->w + kj - u->pl;
          for (int ox = lo; ox < hi; ox++)
            dst[ox * u->sw] += r[ox];
        }
      }
}
