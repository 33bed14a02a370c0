/* conv-direct.c's kernel at one vector width, included once per width with
 * V (float vector type), VI (int vector of the same size), VW (its floats)
 * and VEC (name) (the width's suffix). Every function is always_inline: the
 * path's entry in conv-direct.c, compiled for its ISA, holds the whole
 * kernel. */

static inline __attribute__ ((always_inline)) V
VEC (load) (const float *p)
{
  V v;
  memcpy (&v, p, sizeof v);
  return v;
}

/* nn_max_nan on vectors, in place on a: a when a > b or a is NaN, else b
 * (b's NaN too). Pointers: a 64-byte vector passed by value draws GCC's ABI
 * note on the baseline target. */
static inline __attribute__ ((always_inline)) void
VEC (max) (V *a, const V *b)
{
  VI m = (*a > *b) | (*a != *a);
  *a = (V) ((m & (VI) *a) | (~m & (VI) *b));
}

/* One channel's 16 distinct source vectors for VW pooled positions from q0:
 * rows and columns a + ki, b + kj in 0 .. 3 of the padded input. */
static inline __attribute__ ((always_inline)) void
VEC (sources) (const Poly *g, const float *planes, int64_t q0, V src[4][4])
{
  for (int r = 0; r < 4; r++)
    for (int s = 0; s < 4; s++)
      src[r][s] = VEC (load) (planes + ((r & 1) * 2 + (s & 1)) * g->plane + (int64_t) (r / 2) * g->pitch + s / 2 + q0);
}

/* A 3x3 kernel k over the four window positions: 36 multiply-adds, the
 * constant loops unrolled. */
static inline __attribute__ ((always_inline)) void
VEC (taps3x3) (const V src[4][4], const float *k, V acc[4])
{
  for (int ki = 0; ki < 3; ki++)
    for (int kj = 0; kj < 3; kj++) {
      V wv = { 0 };
      wv += k[ki * 3 + kj];
      for (int a = 0; a < 2; a++)
        for (int b = 0; b < 2; b++)
          acc[2 * a + b] += wv * src[a + ki][b + kj];
    }
}

static inline __attribute__ ((always_inline)) void
VEC (forward) (const NnUnfold *u, int f, const float *w, const float *bias, const float *x, float *y, float *scratch)
{
  Poly g = poly_geom (u);
  float *planes = scratch, *rows = planes + 4 * u->c * g.plane;
  split (u, &g, x, planes);
  V src[3][4][4];   /* (c, 4, 4); nn_direct_pool2_applies: c <= 3 */
  for (int64_t q0 = 0; q0 < g.q; q0 += VW) {
    for (int c = 0; c < u->c; c++)
      VEC (sources) (&g, planes + 4 * c * g.plane, q0, src[c]);
    for (int fi = 0; fi < f; fi++) {
      V acc[4] = { 0 };
      for (int c = 0; c < u->c; c++)
        VEC (taps3x3) (src[c], w + (fi * u->c + c) * 9, acc);
      VEC (max) (&acc[0], &acc[1]);
      VEC (max) (&acc[2], &acc[3]);
      VEC (max) (&acc[0], &acc[2]);
      memcpy (rows + fi * g.qv + q0, &acc[0], sizeof acc[0]);
    }
  }
  for (int fi = 0; fi < f; fi++) {
    float b = bias ? bias[fi] : 0.0f;
    float *yf = y + (int64_t) fi * g.ph * g.pw;
    const float *rf = rows + fi * g.qv;
    for (int py = 0; py < g.ph; py++)
      for (int px = 0; px < g.pw; px++)
        yf[py * g.pw + px] = rf[(int64_t) py * g.pitch + px] + b;
  }
}
