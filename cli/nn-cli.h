/* The nn command: one file per verb, sharing these helpers. */
#pragma once
#include <nn/nn.h>
#include <stdio.h>
#include <string.h>
#include <errno.h>
#include <math.h>
#include <json-glib/json-glib.h>

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
