/* The nn command: one file per verb, sharing these helpers. */
#pragma once
#include <nn/nn.h>
#include <stdio.h>
#include <string.h>
#include <errno.h>
#include <math.h>
#include <json-glib/json-glib.h>
#include <gst/gst.h>

#define EXIT_USAGE 2

typedef int (*NnVerbFunc) (int argc, char **argv);

/* Parse options for `verb`; on a usage error print it and return FALSE with
 * *status = 2; --help prints and returns FALSE with *status = 0. */
gboolean cli_parse (GOptionContext *ctx, int *argc, char ***argv, int *status);
/* Print "nn VERB: message" on stderr and return 1. */
int cli_fail (const char *verb, GError *error);
int cli_usage (const char *verb, const char *fmt, ...) G_GNUC_PRINTF (2, 3);
/* Apply --threads (0 = OpenBLAS default) */
void cli_threads (int n);
/* Load a model for a verb that runs it (predict, eval, generate, gan-score).
 * A .json spec has no weights: its outputs would come from random weights and
 * look like results, so it is an error naming --random-weights unless
 * random_weights is set. */
NnModel *cli_load_model (const char *path, gboolean random_weights, GError **error);
#define CLI_RANDOM_WEIGHTS_ENTRY(ptr) \
  { "random-weights", 0, 0, G_OPTION_ARG_NONE, (ptr), "Allow a .json spec (no weights): run it with random weights", NULL }

/* JSON and CSV output (json-out.c). All JSON the command writes is built with
 * JsonBuilder and written by JsonGenerator: strings come out valid (UTF-8
 * kept, invalid bytes replaced), NaN and +-inf as null. */
void cli_json_add_number (JsonBuilder *b, double v);
void cli_json_member_number (JsonBuilder *b, const char *name, double v);
void cli_json_member_int (JsonBuilder *b, const char *name, gint64 v);
/* NULL is written as null */
void cli_json_member_string (JsonBuilder *b, const char *name, const char *v);
/* Any GValue a GstStructure holds: numbers, strings, booleans, arrays and
 * lists, nested structures; other types as GStreamer serialises them. */
void cli_json_add_gvalue (JsonBuilder *b, const GValue *v);
void cli_json_add_structure (JsonBuilder *b, const GstStructure *s);
/* The builder's (finished) root as one compact line ending in "\n". */
char *cli_json_to_line (JsonBuilder *b);
gboolean cli_json_write_line (FILE *f, JsonBuilder *b);
/* Append one CSV field, quoted as RFC 4180 says when it holds a comma, a
 * quote, CR or LF (quotes doubled). */
void cli_csv_append_field (GString *out, const char *field);

/* Figures (plot.c), PNG through cairo, written to a temporary name and
 * renamed. Training curves: a panel of loss per epoch and, when the history
 * has accuracies, one of accuracy (%), each with training (blue) and
 * validation (orange) where measured; CLI_PLOT_PANEL_W x CLI_PLOT_H pixels a
 * panel, side by side. */
#define CLI_PLOT_PANEL_W 480
#define CLI_PLOT_H 400
gboolean cli_plot_curves (const char *path, const NnTrainProgress *history, int n, GError **error);
int      cli_plot_curves_panels (const NnTrainProgress *history, int n);
/* Confusion matrix (row = true class) as a heat map, each row shaded by its
 * share of the true class, counts in the cells, class names (labels[k], or
 * k where NULL) on both axes. Cells of cli_plot_confusion_cell (n) pixels
 * from (CLI_PLOT_CM_LEFT, CLI_PLOT_CM_TOP); the image is LEFT + n cell +
 * RIGHT wide and TOP + n cell + BOTTOM high. */
#define CLI_PLOT_CM_LEFT 130
#define CLI_PLOT_CM_RIGHT 30
#define CLI_PLOT_CM_TOP 50
#define CLI_PLOT_CM_BOTTOM 120
#define CLI_PLOT_MAX_CLASSES 200
int      cli_plot_confusion_cell (int n_classes);
gboolean cli_plot_confusion (const char *path, const int64_t *confusion, int n_classes, const char *const *labels,
                             GError **error);
/* "1h02m", "3m05s", "12s"; "--" for NaN or infinity (progress.c) */
void cli_format_duration (char *buf, gsize len, double seconds);

int cmd_train (int argc, char **argv);
int cmd_eval (int argc, char **argv);
int cmd_predict (int argc, char **argv);
int cmd_info (int argc, char **argv);
int cmd_run (int argc, char **argv);
int cmd_train_gan (int argc, char **argv);
int cmd_generate (int argc, char **argv);
/* nn generate on a character-level model (generate-text.c): wanted when the
 * arguments name a text model or use its options. */
gboolean generate_text_wanted (int argc, char **argv);
int cmd_generate_text (int argc, char **argv);
int cmd_gan_score (int argc, char **argv);
int cmd_import (int argc, char **argv);
