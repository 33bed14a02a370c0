/* csv:FILE — one sample per line: numel(input) feature columns, then either
 * one class column (an index or a label name) or numel(output) regression
 * targets. A first line whose first cell is not a number is a header. */
#include "data-private.h"
#include <errno.h>
#include <float.h>

typedef struct {
  const char         *path;
  const NnDataTarget *t;
  int64_t             n_in;
  int                 n_targets;   /* columns after the features */
  gboolean            classify;
} CsvCtx;

typedef enum {
  NUM_OK,
  NUM_NOT_A_NUMBER,   /* empty, trailing text, "inf", "nan" */
  NUM_OUT_OF_RANGE,   /* a number whose magnitude no float holds */
} NumStatus;

/* A cell as the float it will be stored in. strtod then a range check, so
 * that 1e39 and 1e400 (beyond FLT_MAX) are reported as out of range rather
 * than read as inf or called "not a number", and so that underflow (1e-40,
 * 1e-310: strtod sets ERANGE) is not an error: it gives the nearest float
 * subnormal or 0, as strtof does. g_ascii_strtod: the decimal point is '.'
 * whatever the locale. */
static NumStatus
parse_number (const char *cell, double *out)
{
  char *end;
  while (g_ascii_isspace (*cell))
    cell++;
  if (!*cell)
    return NUM_NOT_A_NUMBER;
  errno = 0;
  double v = g_ascii_strtod (cell, &end);
  int err = errno;
  if (end == cell)
    return NUM_NOT_A_NUMBER;
  while (g_ascii_isspace (*end))
    end++;
  if (*end != '\0')
    return NUM_NOT_A_NUMBER;
  /* "inf", "nan" and their kin are words, not values in a data file */
  if (err != ERANGE && !isfinite (v))
    return NUM_NOT_A_NUMBER;
  /* ERANGE with a finite result is underflow: keep the (sub)normal or 0 */
  if (!isfinite (v) || isinf ((float) v))
    return NUM_OUT_OF_RANGE;
  *out = (double) (float) v;
  return NUM_OK;
}

static void
number_error (const CsvCtx *c, int lineno, int column, char *cell, NumStatus st, GError **error)
{
  g_strstrip (cell);
  if (st == NUM_OUT_OF_RANGE)
    g_set_error (error, NN_ERROR, NN_ERROR_FORMAT, "%s:%d: column %d: %s is outside the float range (+-%g)",
                 c->path, lineno, column, cell, (double) FLT_MAX);
  else
    g_set_error (error, NN_ERROR, NN_ERROR_FORMAT, "%s:%d: column %d: \"%s\" is not a number", c->path, lineno,
                 column, cell);
}

static int
count_cells (const char *line)
{
  int n = 1;
  for (; *line; line++)
    n += *line == ',';
  return n;
}

static gboolean
parse_label (const CsvCtx *c, char *cell, int lineno, int column, int32_t *out, GError **error)
{
  double v;
  g_strstrip (cell);
  int idx = -1;
  NumStatus st = parse_number (cell, &v);
  if (st == NUM_OUT_OF_RANGE) {
    number_error (c, lineno, column, cell, st, error);
    return FALSE;
  }
  if (st == NUM_OK) {
    if (v != floor (v) || v < 0 || v >= c->t->n_out) {
      g_set_error (error, NN_ERROR, NN_ERROR_FORMAT,
                   "%s:%d: class label %s is not an integer in 0..%" G_GINT64_FORMAT,
                   c->path, lineno, cell, c->t->n_out - 1);
      return FALSE;
    }
    idx = (int) v;
  } else if ((idx = nn_data_label_index (c->t, cell)) < 0 || idx >= c->t->n_out) {
    g_set_error (error, NN_ERROR, NN_ERROR_FORMAT,
                 "%s:%d: class label \"%s\" is neither an index in 0..%" G_GINT64_FORMAT " nor a label of the model",
                 c->path, lineno, cell, c->t->n_out - 1);
    return FALSE;
  }
  *out = idx;
  return TRUE;
}

/* Columns of the first data row decide classification vs regression. */
static gboolean
decide_targets (CsvCtx *c, int cols, int lineno, GError **error)
{
  c->n_targets = cols - (int) c->n_in;
  if (c->n_targets == 1 && c->t->n_out > 1)
    c->classify = TRUE;
  else if (c->n_targets != c->t->n_out) {
    g_set_error (error, NN_ERROR, NN_ERROR_FORMAT,
                 "%s:%d: %d columns; the model needs %" G_GINT64_FORMAT " features then 1 class column or %"
                 G_GINT64_FORMAT " target columns",
                 c->path, lineno, cols, c->n_in, c->t->n_out);
    return FALSE;
  }
  return TRUE;
}

static gboolean
parse_row (const CsvCtx *c, char *line, int lineno, NnDataset *ds, int64_t row, GError **error)
{
  g_auto (GStrv) cells = g_strsplit (line, ",", -1);
  int cols = (int) g_strv_length (cells);
  if (cols != c->n_in + c->n_targets) {
    g_set_error (error, NN_ERROR, NN_ERROR_FORMAT, "%s:%d: %s row: %d columns, expected %" G_GINT64_FORMAT,
                 c->path, lineno, cols < c->n_in + c->n_targets ? "short" : "long", cols,
                 c->n_in + c->n_targets);
    return FALSE;
  }
  float *x = ds->x + row * c->n_in;
  for (int i = 0; i < cols; i++) {
    double v;
    if (c->classify && i == cols - 1)
      return parse_label (c, cells[i], lineno, i + 1, &ds->labels[row], error);
    NumStatus st = parse_number (cells[i], &v);
    if (st != NUM_OK) {
      number_error (c, lineno, i + 1, cells[i], st, error);
      return FALSE;
    }
    if (i < c->n_in)
      x[i] = (float) v;
    else
      ds->y[row * c->n_targets + (i - c->n_in)] = (float) v;
  }
  return TRUE;
}

static gboolean
is_blank (const char *s)
{
  for (; *s; s++)
    if (!g_ascii_isspace (*s))
      return FALSE;
  return TRUE;
}

static gboolean
is_header (char *line)
{
  const char *comma = strchr (line, ',');
  g_autofree char *first = comma ? g_strndup (line, comma - line) : g_strdup (line);
  double v;
  /* an out-of-range number is still a number: the row is data, and an error */
  return parse_number (first, &v) == NUM_NOT_A_NUMBER;
}

NnDataset *
nn_data_load_csv (const char *path, const NnDataTarget *t, GError **error)
{
  g_autofree char *text = NULL;
  g_autoptr (GError) err = NULL;
  if (!g_file_get_contents (path, &text, NULL, &err)) {
    g_set_error (error, NN_ERROR, NN_ERROR_IO, "%s: %s", path, err->message);
    return NULL;
  }
  CsvCtx c = { path, t, nn_shape_numel (&t->input), 0, FALSE };
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  g_autoptr (NnDataset) ds = NULL;
  int64_t n = 0;
  for (int i = 0; lines[i]; i++) {
    char *line = lines[i];
    gsize len = strlen (line);
    if (len && line[len - 1] == '\r')
      line[len - 1] = '\0';
    if (is_blank (line) || (i == 0 && is_header (line)))
      continue;
    if (!ds) {
      if (!decide_targets (&c, count_cells (line), i + 1, error))
        return NULL;
      ds = nn_dataset_new (&t->input, g_strv_length (lines), c.classify, c.classify ? 0 : c.n_targets);
    }
    if (!parse_row (&c, line, i + 1, ds, n, error))
      return NULL;
    n++;
  }
  if (n == 0) {
    g_set_error (error, NN_ERROR, NN_ERROR_EMPTY, "%s: no data rows", path);
    return NULL;
  }
  ds->n = n;
  if (c.classify) {
    ds->n_classes = (int) t->n_out;
    if (t->n_labels == t->n_out)
      ds->class_names = nn_data_label_copy (t);
  }
  return g_steal_pointer (&ds);
}
