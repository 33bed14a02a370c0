/* nn eval: loss, accuracy, per-class precision and recall, confusion matrix. */
#include "nn-cli.h"

static const char *
class_name (NnModel *m, int i, char *buf, gsize len)
{
  const char *l = nn_model_label (m, i);
  if (l)
    return l;
  g_snprintf (buf, len, "%d", i);
  return buf;
}

static void
per_class (const NnEvalResult *r, int k, double *precision, double *recall, int64_t *support)
{
  int64_t tp = r->confusion[(int64_t) k * r->n_classes + k], col = 0, row = 0;
  for (int j = 0; j < r->n_classes; j++) {
    row += r->confusion[(int64_t) k * r->n_classes + j];
    col += r->confusion[(int64_t) j * r->n_classes + k];
  }
  *precision = col ? (double) tp / col : NAN;
  *recall = row ? (double) tp / row : NAN;
  *support = row;
}

static void
print_text (NnModel *m, const NnEvalResult *r, NnLossKind loss)
{
  char buf[32];
  printf ("samples   %" G_GINT64_FORMAT "\nloss      %.4f (%s)\n", r->n, r->loss, nn_loss_name (loss));
  if (!r->confusion)
    return;
  printf ("accuracy  %.2f%%\n\n%-14s %9s %9s %8s\n", 100.0 * r->acc, "class", "precision", "recall", "support");
  for (int k = 0; k < r->n_classes; k++) {
    double p, rc;
    int64_t s;
    per_class (r, k, &p, &rc, &s);
    printf ("%-14s %8.2f%% %8.2f%% %8" G_GINT64_FORMAT "\n", class_name (m, k, buf, sizeof buf), 100 * p, 100 * rc, s);
  }
  printf ("\nconfusion matrix (row = true class, column = predicted)\n%14s", "");
  for (int j = 0; j < r->n_classes; j++)
    printf (" %6d", j);
  printf ("\n");
  for (int i = 0; i < r->n_classes; i++) {
    printf ("%-14.14s", class_name (m, i, buf, sizeof buf));
    for (int j = 0; j < r->n_classes; j++)
      printf (" %6" G_GINT64_FORMAT, r->confusion[(int64_t) i * r->n_classes + j]);
    printf ("\n");
  }
}

static void
print_json (NnModel *m, const NnEvalResult *r, NnLossKind loss)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  char buf[32];
  json_builder_begin_object (b);
  cli_json_member_int (b, "samples", r->n);
  cli_json_member_number (b, "loss", r->loss);
  cli_json_member_string (b, "loss_fn", nn_loss_name (loss));
  if (r->confusion) {
    cli_json_member_number (b, "accuracy", r->acc);
    json_builder_set_member_name (b, "classes");
    json_builder_begin_array (b);
    for (int k = 0; k < r->n_classes; k++) {
      double p, rc;
      int64_t s;
      per_class (r, k, &p, &rc, &s);
      json_builder_begin_object (b);
      cli_json_member_string (b, "label", class_name (m, k, buf, sizeof buf));
      /* a class never predicted (or absent) has no precision (recall): null */
      cli_json_member_number (b, "precision", p);
      cli_json_member_number (b, "recall", rc);
      cli_json_member_int (b, "support", s);
      json_builder_end_object (b);
    }
    json_builder_end_array (b);
    json_builder_set_member_name (b, "confusion");
    json_builder_begin_array (b);
    for (int i = 0; i < r->n_classes; i++) {
      json_builder_begin_array (b);
      for (int j = 0; j < r->n_classes; j++)
        json_builder_add_int_value (b, r->confusion[(int64_t) i * r->n_classes + j]);
      json_builder_end_array (b);
    }
    json_builder_end_array (b);
  }
  json_builder_end_object (b);
  cli_json_write_line (stdout, b);
}

int
cmd_eval (int argc, char **argv)
{
  g_autofree char *data = NULL, *loss_name = NULL, *plot = NULL;
  gboolean json = FALSE, random_weights = FALSE;
  int batch = 256, threads = 0;
  GOptionEntry entries[] = {
    { "data", 'd', 0, G_OPTION_ARG_STRING, &data, "Data: csv:FILE, idx:PREFIX, folder:DIR or text:FILE", "SOURCE" },
    { "loss", 0, 0, G_OPTION_ARG_STRING, &loss_name, "sse, mse, bce or cce (default: from the last layer)", "NAME" },
    { "batch", 'b', 0, G_OPTION_ARG_INT, &batch, "Batch size (default 256)", "N" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print one JSON object (NaN and inf as null)", NULL },
    { "plot", 0, 0, G_OPTION_ARG_FILENAME, &plot, "Draw the confusion matrix as a heat map into this PNG", "CONFUSION.png" },
    CLI_RANDOM_WEIGHTS_ENTRY (&random_weights),
    { "threads", 0, 0, G_OPTION_ARG_INT, &threads, "Threads to split the work over (default: one per core)", "N" },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("MODEL - evaluate a model on a dataset");
  g_option_context_add_main_entries (ctx, entries, NULL);
  int status = 0;
  if (!cli_parse (ctx, &argc, &argv, &status))
    return status;
  if (argc != 2)
    return cli_usage ("eval", "expected one MODEL");
  if (!data)
    return cli_usage ("eval", "--data is required");
  cli_threads (threads);
  g_autoptr (GError) e = NULL;
  g_autoptr (NnModel) m = cli_load_model (argv[1], random_weights, &e);
  if (!m)
    return cli_fail ("eval", e);
  NnLossKind loss = nn_model_default_loss (m);
  if (loss_name && !nn_loss_from_name (loss_name, &loss, &e))
    return cli_usage ("eval", "%s", e->message);
  g_autoptr (NnDataset) ds = nn_dataset_load (data, m, &e);
  if (!ds)
    return cli_fail ("eval", e);
  g_autoptr (NnEvalResult) r = nn_evaluate (m, ds, loss, batch, &e);
  if (!r)
    return cli_fail ("eval", e);
  (json ? print_json : print_text) (m, r, loss);
  if (plot) {
    if (!r->confusion) {
      g_set_error (&e, NN_ERROR, NN_ERROR_INVALID, "%s: no confusion matrix to plot: the data have no class labels",
                   plot);
      return cli_fail ("eval", e);
    }
    g_autofree const char **labels = g_new0 (const char *, r->n_classes);
    for (int k = 0; k < r->n_classes; k++)
      labels[k] = nn_model_label (m, k);
    if (!cli_plot_confusion (plot, r->confusion, r->n_classes, labels, &e))
      return cli_fail ("eval", e);
  }
  return 0;
}
