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
int cmd_profile (int argc, char **argv);
/* nn train over MPI (train-mpi.c). Under mpirun with more than one process
 * (and built with MPI), join MPI_COMM_WORLD and fill `d` with its rank, size
 * and hooks; otherwise one process (size 1). */
gboolean cli_mpi_init (NnTrainDist *d, GError **error);
/* --threads when not given: the cores shared by this machine's ranks, 0 (the
 * default) for one process. */
int cli_mpi_default_threads (const NnTrainDist *d);
/* Leave MPI: a failed rank (status != 0) ends every rank with MPI_Abort.
 * Returns status. */
int cli_mpi_end (int status);
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
int cmd_export (int argc, char **argv);
int cmd_merge_report (int argc, char **argv);

/* nn run --list (run-list.c): the pipeline (comments stripped, not yet
 * substituted) once per file of the list's shard, INPUT set to the file,
 * one JSON line per file appended to the shard file in out_dir; a file
 * whose pipeline makes no progress for `stall` seconds (0: no limit) is an
 * error line. */
int cli_run_list (const char *pipeline, const char *flat, GHashTable *vars, const char *list, const char *out_dir,
                  const char *shard, guint stall);
/* ${VAR} and ${VAR:-default} of a pipeline file (cmd-run.c) */
char *cli_run_substitute (const char *text, GHashTable *vars, GError **error);

/* A file list classified in shards (shards.c). A list has one path a line
 * (blank and # lines skipped); shard i of n owns the files whose index in
 * the list is i modulo n. */
char **cli_list_read (const char *path, guint *n, GError **error);
gboolean cli_shard_parse (const char *text, guint *i, guint *n, GError **error);
/* arg (--shard) when set, else SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT
 * when both are set, else 0/1 */
gboolean cli_shard_choose (const char *arg, guint *i, guint *n, GError **error);
/* DIR/shard-I-of-N.jsonl, and the reverse for a file name */
char *cli_shard_file (const char *dir, guint i, guint n);
gboolean cli_shard_file_parse (const char *name, guint *i, guint *n);

typedef struct {
  guint       index;   /* in the list */
  char       *text;    /* the line as written, without its newline */
  JsonNode   *node;    /* parsed; object is its object */
  JsonObject *object;
} CliShardLine;
void cli_shard_line_free (CliShardLine *l);
/* index -> CliShardLine, owning its lines */
GHashTable *cli_shard_table_new (void);
/* Adds the complete lines of a shard file to done, each checked: a JSON
 * object whose index and path are that line of the list, in this shard,
 * seen once, with "verdict" or "error". *complete is the length of the
 * complete lines: less than the file's when its last line is half-written
 * (a killed task). A missing file is empty (*exists FALSE). */
gboolean cli_shard_read (const char *file, char **list, guint n_list, guint shard, guint n_shards, GHashTable *done,
                         gsize *complete, gboolean *exists, GError **error);
