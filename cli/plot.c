/* PNG figures drawn with cairo: training curves (nn train --plot) and a
 * confusion matrix (nn eval --plot). Sizes are fixed by the data (see
 * nn-cli.h), so a test can find the parts it checks. */
#include "nn-cli.h"
#include <cairo.h>

#define FONT "sans-serif"

/* Colours: training blue, validation orange (matplotlib's first two). */
static const double train_rgb[3] = { 0.122, 0.467, 0.706 };
static const double val_rgb[3] = { 1.0, 0.498, 0.055 };

static void
set_rgb (cairo_t *cr, const double rgb[3])
{
  cairo_set_source_rgb (cr, rgb[0], rgb[1], rgb[2]);
}

/* Text anchored at (x, y): ax, ay in [0, 1] place the point across the
 * text's width and height (0.5, 0.5: centred). */
static void
text_at (cairo_t *cr, const char *s, double x, double y, double ax, double ay)
{
  cairo_text_extents_t e;
  cairo_text_extents (cr, s, &e);
  cairo_move_to (cr, x - e.x_bearing - ax * e.width, y - e.y_bearing - ay * e.height);
  cairo_show_text (cr, s);
}

/* Ticks at 1, 2 or 5 times a power of ten, about `want` of them over
 * [lo, hi]; returns the step. */
static double
nice_step (double lo, double hi, int want)
{
  double raw = (hi - lo) / MAX (want, 1), p = pow (10.0, floor (log10 (raw))), f = raw / p;
  return (f < 1.5 ? 1.0 : f < 3.5 ? 2.0 : f < 7.5 ? 5.0 : 10.0) * p;
}

static void
format_tick (char *buf, gsize len, double v, double step)
{
  int decimals = step >= 1.0 ? 0 : (int) MIN (6, ceil (-log10 (step) - 1e-9));
  g_snprintf (buf, len, "%.*f", decimals, fabs (v) < step * 1e-6 ? 0.0 : v);
}

typedef struct {
  double x, y, w, h;          /* the plotting area inside the axes */
  double x0, x1, y0, y1;      /* data range */
} Panel;

static double
px (const Panel *p, double x)
{
  return p->x + (x - p->x0) / (p->x1 - p->x0) * p->w;
}

static double
py (const Panel *p, double y)
{
  return p->y + p->h - (y - p->y0) / (p->y1 - p->y0) * p->h;
}

/* Frame, ticks, grid, tick labels and the axis titles. */
static void
draw_axes (cairo_t *cr, const Panel *p, const char *title, const char *ylabel, gboolean integer_x)
{
  char buf[32];
  cairo_set_line_width (cr, 1.0);
  cairo_select_font_face (cr, FONT, CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size (cr, 11);
  double ys = nice_step (p->y0, p->y1, 5);
  for (double v = ceil (p->y0 / ys) * ys; v <= p->y1 + ys * 1e-9; v += ys) {
    double y = round (py (p, v)) + 0.5;
    cairo_set_source_rgb (cr, 0.9, 0.9, 0.9);
    cairo_move_to (cr, p->x, y);
    cairo_line_to (cr, p->x + p->w, y);
    cairo_stroke (cr);
    cairo_set_source_rgb (cr, 0, 0, 0);
    cairo_move_to (cr, p->x - 5, y);
    cairo_line_to (cr, p->x, y);
    cairo_stroke (cr);
    format_tick (buf, sizeof buf, v, ys);
    text_at (cr, buf, p->x - 8, y, 1.0, 0.5);
  }
  double xs = nice_step (p->x0, p->x1, 8);
  if (integer_x)
    xs = MAX (1.0, round (xs));
  for (double v = ceil (p->x0 / xs) * xs; v <= p->x1 + xs * 1e-9; v += xs) {
    double x = round (px (p, v)) + 0.5;
    cairo_set_source_rgb (cr, 0, 0, 0);
    cairo_move_to (cr, x, p->y + p->h);
    cairo_line_to (cr, x, p->y + p->h + 5);
    cairo_stroke (cr);
    format_tick (buf, sizeof buf, v, xs);
    text_at (cr, buf, x, p->y + p->h + 8, 0.5, 0.0);
  }
  cairo_set_source_rgb (cr, 0, 0, 0);
  cairo_rectangle (cr, round (p->x) + 0.5, round (p->y) + 0.5, round (p->w), round (p->h));
  cairo_stroke (cr);
  cairo_set_font_size (cr, 12);
  text_at (cr, "epoch", p->x + p->w / 2, p->y + p->h + 26, 0.5, 0.0);
  cairo_save (cr);
  cairo_translate (cr, p->x - 48, p->y + p->h / 2);
  cairo_rotate (cr, -G_PI / 2);
  text_at (cr, ylabel, 0, 0, 0.5, 0.5);
  cairo_restore (cr);
  cairo_select_font_face (cr, FONT, CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD);
  cairo_set_font_size (cr, 13);
  text_at (cr, title, p->x, p->y - 12, 0.0, 0.5);
}

/* One series: a line through the finite points and a dot on each. */
static void
draw_series (cairo_t *cr, const Panel *p, const NnTrainProgress *h, int n, gsize offset, double scale,
             const double rgb[3])
{
  set_rgb (cr, rgb);
  cairo_set_line_width (cr, 2.0);
  gboolean down = FALSE;
  for (int i = 0; i < n; i++) {
    double v = G_STRUCT_MEMBER (double, &h[i], offset) * scale;
    if (!isfinite (v)) {
      down = FALSE;
      continue;
    }
    if (down)
      cairo_line_to (cr, px (p, h[i].epoch), py (p, v));
    else
      cairo_move_to (cr, px (p, h[i].epoch), py (p, v));
    down = TRUE;
  }
  cairo_stroke (cr);
  for (int i = 0; i < n; i++) {
    double v = G_STRUCT_MEMBER (double, &h[i], offset) * scale;
    if (isfinite (v)) {
      cairo_arc (cr, px (p, h[i].epoch), py (p, v), 3.0, 0, 2 * G_PI);
      cairo_fill (cr);
    }
  }
}

static gboolean
any_finite (const NnTrainProgress *h, int n, gsize offset)
{
  for (int i = 0; i < n; i++)
    if (isfinite (G_STRUCT_MEMBER (double, &h[i], offset)))
      return TRUE;
  return FALSE;
}

/* Above the plot, right-aligned: a line of the colour and the name. */
static void
draw_legend (cairo_t *cr, const Panel *p, gboolean val)
{
  const char *names[2] = { "training", "validation" };
  const double *rgb[2] = { train_rgb, val_rgb };
  cairo_select_font_face (cr, FONT, CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size (cr, 11);
  double x = p->x + p->w, y = p->y - 12;
  for (int i = val ? 1 : 0; i >= 0; i--) {
    cairo_text_extents_t e;
    cairo_text_extents (cr, names[i], &e);
    x -= e.x_advance;
    cairo_set_source_rgb (cr, 0, 0, 0);
    text_at (cr, names[i], x, y, 0.0, 0.5);
    x -= 26;
    set_rgb (cr, rgb[i]);
    cairo_set_line_width (cr, 2.0);
    cairo_move_to (cr, x, y);
    cairo_line_to (cr, x + 20, y);
    cairo_stroke (cr);
    x -= 14;
  }
}

/* A panel of one metric, training and validation: y over the values'
 * range and a margin, not below 0 (losses and accuracies are not). */
static void
draw_panel (cairo_t *cr, double left, const NnTrainProgress *h, int n, gsize train_off, gsize val_off,
            double scale, const char *title, const char *ylabel)
{
  /* the first and last epochs' dots clear of the frame */
  double xpad = MAX (0.25, 0.02 * n);
  Panel p = { left + 70, 40, CLI_PLOT_PANEL_W - 90, CLI_PLOT_H - 100, 1 - xpad, n + xpad, INFINITY, -INFINITY };
  for (int i = 0; i < n; i++) {
    double v[2] = { G_STRUCT_MEMBER (double, &h[i], train_off) * scale, G_STRUCT_MEMBER (double, &h[i], val_off) * scale };
    for (int k = 0; k < 2; k++)
      if (isfinite (v[k])) {
        p.y0 = MIN (p.y0, v[k]);
        p.y1 = MAX (p.y1, v[k]);
      }
  }
  double pad = MAX ((p.y1 - p.y0) * 0.08, MAX (fabs (p.y1), 1e-3) * 0.02);
  p.y0 = MAX (p.y0 - pad, 0.0);
  p.y1 = p.y1 + pad;
  draw_axes (cr, &p, title, ylabel, TRUE);
  cairo_save (cr);
  cairo_rectangle (cr, p.x, p.y - 4, p.w, p.h + 8);
  cairo_clip (cr);
  gboolean val = any_finite (h, n, val_off);
  if (val)
    draw_series (cr, &p, h, n, val_off, scale, val_rgb);
  draw_series (cr, &p, h, n, train_off, scale, train_rgb);
  cairo_restore (cr);
  draw_legend (cr, &p, val);
}

static cairo_status_t
append_png (void *closure, const unsigned char *data, unsigned int length)
{
  g_byte_array_append (closure, data, length);
  return CAIRO_STATUS_SUCCESS;
}

/* Encodes the surface and writes it to a temporary name renamed to path. */
static gboolean
write_png (cairo_surface_t *s, const char *path, GError **error)
{
  g_autoptr (GByteArray) png = g_byte_array_new ();
  cairo_status_t st = cairo_surface_write_to_png_stream (s, append_png, png);
  if (st != CAIRO_STATUS_SUCCESS) {
    g_set_error (error, NN_ERROR, NN_ERROR_FAILED, "%s: cannot encode the PNG: %s", path, cairo_status_to_string (st));
    return FALSE;
  }
  g_autoptr (GError) e = NULL;
  if (!g_file_set_contents (path, (const char *) png->data, png->len, &e)) {
    g_set_error (error, NN_ERROR, NN_ERROR_IO, "%s: cannot write the plot: %s", path, e->message);
    return FALSE;
  }
  return TRUE;
}

static cairo_t *
white_canvas (int w, int h, cairo_surface_t **s)
{
  *s = cairo_image_surface_create (CAIRO_FORMAT_RGB24, w, h);
  cairo_t *cr = cairo_create (*s);
  cairo_set_source_rgb (cr, 1, 1, 1);
  cairo_paint (cr);
  return cr;
}

static gboolean
finish (cairo_t *cr, cairo_surface_t *s, const char *path, GError **error)
{
  cairo_status_t st = cairo_status (cr);
  cairo_destroy (cr);
  cairo_surface_flush (s);
  gboolean ok = st == CAIRO_STATUS_SUCCESS;
  if (!ok)
    g_set_error (error, NN_ERROR, NN_ERROR_FAILED, "%s: cannot draw the plot: %s", path, cairo_status_to_string (st));
  ok = ok && write_png (s, path, error);
  cairo_surface_destroy (s);
  return ok;
}

gboolean
cli_plot_curves (const char *path, const NnTrainProgress *h, int n, GError **error)
{
  if (n < 1) {
    g_set_error (error, NN_ERROR, NN_ERROR_EMPTY, "%s: no epoch to plot", path);
    return FALSE;
  }
  gsize acc = G_STRUCT_OFFSET (NnTrainProgress, acc), val_acc = G_STRUCT_OFFSET (NnTrainProgress, val_acc);
  int panels = cli_plot_curves_panels (h, n);
  cairo_surface_t *s;
  cairo_t *cr = white_canvas (CLI_PLOT_PANEL_W * panels, CLI_PLOT_H, &s);
  draw_panel (cr, 0, h, n, G_STRUCT_OFFSET (NnTrainProgress, loss), G_STRUCT_OFFSET (NnTrainProgress, val_loss), 1.0,
              "loss", "loss");
  if (panels == 2)
    draw_panel (cr, CLI_PLOT_PANEL_W, h, n, acc, val_acc, 100.0, "accuracy", "accuracy (%)");
  return finish (cr, s, path, error);
}

int
cli_plot_curves_panels (const NnTrainProgress *h, int n)
{
  return any_finite (h, n, G_STRUCT_OFFSET (NnTrainProgress, acc)) ? 2 : 1;
}

int
cli_plot_confusion_cell (int n_classes)
{
  return CLAMP (480 / MAX (n_classes, 1), 20, 64);
}

/* The label cut to fit `width` pixels, with an ellipsis. */
static char *
fit_label (cairo_t *cr, const char *label, double width)
{
  cairo_text_extents_t e;
  cairo_text_extents (cr, label, &e);
  if (e.x_advance <= width)
    return g_strdup (label);
  glong len = g_utf8_strlen (label, -1);
  for (glong k = len - 1; k > 0; k--) {
    g_autofree char *head = g_utf8_substring (label, 0, k);
    char *s = g_strconcat (head, "…", NULL);
    cairo_text_extents (cr, s, &e);
    if (e.x_advance <= width)
      return s;
    g_free (s);
  }
  return g_strdup ("…");
}

gboolean
cli_plot_confusion (const char *path, const int64_t *confusion, int n, const char *const *labels, GError **error)
{
  if (n < 1 || n > CLI_PLOT_MAX_CLASSES) {
    g_set_error (error, NN_ERROR, NN_ERROR_INVALID, "%s: a confusion matrix of %d classes (1 to %d can be drawn)", path,
                 n, CLI_PLOT_MAX_CLASSES);
    return FALSE;
  }
  int cell = cli_plot_confusion_cell (n), side = n * cell;
  cairo_surface_t *s;
  cairo_t *cr = white_canvas (CLI_PLOT_CM_LEFT + side + CLI_PLOT_CM_RIGHT, CLI_PLOT_CM_TOP + side + CLI_PLOT_CM_BOTTOM,
                              &s);
  double x0 = CLI_PLOT_CM_LEFT, y0 = CLI_PLOT_CM_TOP;
  /* each row shaded by its share of the true class (the recall on the
   * diagonal), so classes of different sizes compare */
  cairo_select_font_face (cr, FONT, CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size (cr, CLAMP (cell / 3.2, 8, 13));
  for (int i = 0; i < n; i++) {
    int64_t row = 0;
    for (int j = 0; j < n; j++)
      row += confusion[(int64_t) i * n + j];
    for (int j = 0; j < n; j++) {
      int64_t v = confusion[(int64_t) i * n + j];
      double f = row ? (double) v / row : 0.0;
      /* white to dark blue */
      cairo_set_source_rgb (cr, 1.0 - 0.97 * f, 1.0 - 0.80 * f, 1.0 - 0.55 * f);
      cairo_rectangle (cr, x0 + j * cell, y0 + i * cell, cell, cell);
      cairo_fill (cr);
      char buf[32];
      g_snprintf (buf, sizeof buf, "%" G_GINT64_FORMAT, v);
      if (f > 0.5)
        cairo_set_source_rgb (cr, 1, 1, 1);
      else
        cairo_set_source_rgb (cr, 0.15, 0.15, 0.15);
      cairo_text_extents_t e;
      cairo_text_extents (cr, buf, &e);
      if (e.width < cell - 2)
        text_at (cr, buf, x0 + (j + 0.5) * cell, y0 + (i + 0.5) * cell, 0.5, 0.5);
    }
  }
  cairo_set_source_rgb (cr, 0.6, 0.6, 0.6);
  cairo_set_line_width (cr, 1.0);
  for (int k = 0; k <= n; k++) {
    cairo_move_to (cr, x0 + k * cell + 0.5, y0);
    cairo_line_to (cr, x0 + k * cell + 0.5, y0 + side);
    cairo_move_to (cr, x0, y0 + k * cell + 0.5);
    cairo_line_to (cr, x0 + side, y0 + k * cell + 0.5);
  }
  cairo_stroke (cr);
  /* class names: rows on the left, columns below, turned */
  cairo_set_source_rgb (cr, 0, 0, 0);
  cairo_set_font_size (cr, 12);
  for (int k = 0; k < n; k++) {
    char num[16];
    g_snprintf (num, sizeof num, "%d", k);
    const char *name = labels && labels[k] ? labels[k] : num;
    g_autofree char *fit = fit_label (cr, name, CLI_PLOT_CM_LEFT - 40);
    text_at (cr, fit, x0 - 8, y0 + (k + 0.5) * cell, 1.0, 0.5);
    cairo_save (cr);
    cairo_translate (cr, x0 + (k + 0.5) * cell, y0 + side + 8);
    cairo_rotate (cr, -G_PI / 2);
    g_autofree char *fitc = fit_label (cr, name, CLI_PLOT_CM_BOTTOM - 40);
    text_at (cr, fitc, 0, 0, 1.0, 0.5);
    cairo_restore (cr);
  }
  cairo_select_font_face (cr, FONT, CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD);
  cairo_set_font_size (cr, 13);
  text_at (cr, "predicted class", x0 + side / 2.0, y0 + side + CLI_PLOT_CM_BOTTOM - 14, 0.5, 1.0);
  cairo_save (cr);
  cairo_translate (cr, 16, y0 + side / 2.0);
  cairo_rotate (cr, -G_PI / 2);
  text_at (cr, "true class", 0, 0, 0.5, 0.5);
  cairo_restore (cr);
  text_at (cr, "confusion matrix", (x0 + side + CLI_PLOT_CM_RIGHT) / 2.0, y0 - 18, 0.5, 1.0);
  return finish (cr, s, path, error);
}
