/* nn train: fit a model to a dataset, with progress and per-epoch metrics. */
#include "nn-cli.h"
#include <unistd.h>

typedef struct {
  FILE   *log;
  gboolean tty;
  gint64  last_draw;
} TrainUi;

static void
fmt_metric (char *buf, gsize len, const char *name, double v, gboolean pct)
{
  if (isnan (v))
    buf[0] = 0;
  else if (pct)
    g_snprintf (buf, len, "  %s %.2f%%", name, 100.0 * v);
  else
    g_snprintf (buf, len, "  %s %.4f", name, v);
}

static gboolean
on_progress (const NnTrainProgress *p, gpointer data)
{
  TrainUi *ui = data;
  if (!p->epoch_done) {
    gint64 now = g_get_monotonic_time ();
    if (!ui->tty || (now - ui->last_draw < 100000 && p->batch < p->n_batches))
      return TRUE;
    ui->last_draw = now;
    int w = 30, fill = (int) (w * p->batch / MAX (p->n_batches, 1));
    char bar[64];
    for (int i = 0; i < w; i++)
      bar[i] = i < fill ? '#' : '.';
    bar[w] = 0;
    fprintf (stderr, "\repoch %d/%d [%s] %3d%%  loss %.4f  %.0f samples/s ", p->epoch, p->epochs, bar,
             (int) (100 * p->batch / MAX (p->n_batches, 1)), p->loss, p->samples_per_s);
    fflush (stderr);
    return TRUE;
  }
  if (ui->tty)
    fprintf (stderr, "\r\033[K");
  char acc[48], vl[48], va[48];
  fmt_metric (acc, sizeof acc, "acc", p->acc, TRUE);
  fmt_metric (vl, sizeof vl, "val_loss", p->val_loss, FALSE);
  fmt_metric (va, sizeof va, "val_acc", p->val_acc, TRUE);
  printf ("epoch %d/%d  loss %.4f%s%s%s  %.0f samples/s  %.1fs%s\n", p->epoch, p->epochs, p->loss, acc, vl, va,
          p->samples_per_s, p->seconds, p->best ? "  *" : "");
  fflush (stdout);
  if (ui->log) {
    /* metrics not measured (no validation set, regression's accuracy) are
     * NaN, and a diverged loss NaN or inf: all written as null */
    g_autoptr (JsonBuilder) b = json_builder_new ();
    json_builder_begin_object (b);
    cli_json_member_int (b, "epoch", p->epoch);
    cli_json_member_int (b, "epochs", p->epochs);
    cli_json_member_number (b, "loss", p->loss);
    cli_json_member_number (b, "acc", p->acc);
    cli_json_member_number (b, "val_loss", p->val_loss);
    cli_json_member_number (b, "val_acc", p->val_acc);
    cli_json_member_number (b, "samples_per_s", p->samples_per_s);
    cli_json_member_number (b, "seconds", p->seconds);
    json_builder_end_object (b);
    cli_json_write_line (ui->log, b);
  }
  return TRUE;
}

typedef struct {
  char *data, *val, *weights, *loss, *optimizer, *out, *log, *augment;
  double lr, l1, l2, val_split, momentum, clip_norm, clip_value, rho, beta1, beta2;
  int epochs, batch, early_stop, threads, bptt;
  gint64 seed;
  gboolean nesterov;
} TrainArgs;

static char default_optimizer[] = "adam";

/* GOption hands out copies of string arguments */
static void
train_args_clear (TrainArgs *a)
{
  if (a->optimizer != default_optimizer)
    g_free (a->optimizer);
  g_free (a->data);
  g_free (a->val);
  g_free (a->weights);
  g_free (a->loss);
  g_free (a->out);
  g_free (a->log);
  g_free (a->augment);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (TrainArgs, train_args_clear)

static gboolean
load_data (NnModel *m, TrainArgs *a, NnDataset **train, NnDataset **val, GError **error)
{
  /* a split takes what only training data may decide (a word classifier's
   * vocabulary) from the training part */
  if (!a->val && a->val_split > 0.0)
    return nn_dataset_load_split (a->data, m, a->val_split, (guint64) a->seed, train, val, error);
  g_autoptr (NnDataset) all = nn_dataset_load (a->data, m, error);
  if (!all)
    return FALSE;
  if (a->val) {
    *val = nn_dataset_load (a->val, m, error);
    if (!*val)
      return FALSE;
  }
  *train = g_steal_pointer (&all);
  return TRUE;
}

static gboolean
configure (TrainArgs *a, NnTrainConfig *c, NnModel *m, GError **error)
{
  nn_train_config_init (c);
  NnOptimKind ok;
  if (!nn_optim_from_name (a->optimizer, &ok, error))
    return FALSE;
  nn_optim_config_init (&c->optim, ok);
  if (a->loss) {
    if (!nn_loss_from_name (a->loss, &c->loss, error))
      return FALSE;
  } else {
    c->loss = nn_model_default_loss (m);
  }
  if (a->lr > 0)
    c->optim.lr = a->lr;
  c->optim.l1 = a->l1;
  c->optim.l2 = a->l2;
  c->optim.momentum = a->momentum;
  c->optim.nesterov = a->nesterov;
  c->optim.rho = a->rho;
  c->optim.beta1 = a->beta1;
  c->optim.beta2 = a->beta2;
  c->optim.clip_norm = a->clip_norm;
  c->optim.clip_value = a->clip_value;
  c->epochs = a->epochs;
  c->batch = a->batch;
  c->seed = (guint64) a->seed;
  c->early_stop = a->early_stop;
  c->bptt = a->bptt;
  return TRUE;
}

static NnModel *
build_model (const char *path, TrainArgs *a, GError **error)
{
  NnModel *m = g_str_has_suffix (path, ".json") ? nn_model_new_from_spec_file (path, (guint64) a->seed, error)
                                                : nn_model_load (path, error);
  if (m && a->weights && !nn_model_load_weights (m, a->weights, error))
    g_clear_pointer (&m, nn_model_free);
  return m;
}

int
cmd_train (int argc, char **argv)
{
  g_auto (TrainArgs) a = { .optimizer = default_optimizer, .epochs = 10, .batch = 32, .seed = 1, .momentum = 0.9, .rho = 0.9,
                  .beta1 = 0.9, .beta2 = 0.999 };
  GOptionEntry entries[] = {
    { "data", 'd', 0, G_OPTION_ARG_STRING, &a.data, "Training data: csv:FILE, idx:PREFIX, folder:DIR or text:FILE", "SOURCE" },
    { "val", 0, 0, G_OPTION_ARG_STRING, &a.val, "Validation data", "SOURCE" },
    { "val-split", 0, 0, G_OPTION_ARG_DOUBLE, &a.val_split, "Hold out this fraction of the training data for validation", "F" },
    { "weights", 'w', 0, G_OPTION_ARG_FILENAME, &a.weights, "Start from these weights (.safetensors)", "FILE" },
    { "loss", 0, 0, G_OPTION_ARG_STRING, &a.loss, "sse, mse, bce or cce (default: from the last layer)", "NAME" },
    { "optimizer", 0, 0, G_OPTION_ARG_STRING, &a.optimizer, "sgd, momentum, rmsprop or adam (default adam)", "NAME" },
    { "lr", 0, 0, G_OPTION_ARG_DOUBLE, &a.lr, "Learning rate (default 0.001 adam/rmsprop, 0.01 sgd)", "F" },
    { "momentum", 0, 0, G_OPTION_ARG_DOUBLE, &a.momentum, "Momentum (default 0.9)", "F" },
    { "nesterov", 0, 0, G_OPTION_ARG_NONE, &a.nesterov, "Nesterov momentum", NULL },
    { "rho", 0, 0, G_OPTION_ARG_DOUBLE, &a.rho, "RMSprop decay (default 0.9)", "F" },
    { "beta1", 0, 0, G_OPTION_ARG_DOUBLE, &a.beta1, "Adam beta1 (default 0.9)", "F" },
    { "beta2", 0, 0, G_OPTION_ARG_DOUBLE, &a.beta2, "Adam beta2 (default 0.999)", "F" },
    { "epochs", 'e', 0, G_OPTION_ARG_INT, &a.epochs, "Epochs (default 10)", "N" },
    { "batch", 'b', 0, G_OPTION_ARG_INT, &a.batch, "Mini-batch size (default 32)", "N" },
    { "l1", 0, 0, G_OPTION_ARG_DOUBLE, &a.l1, "L1 weight decay", "F" },
    { "l2", 0, 0, G_OPTION_ARG_DOUBLE, &a.l2, "L2 weight decay", "F" },
    { "clip-norm", 0, 0, G_OPTION_ARG_DOUBLE, &a.clip_norm, "Clip the global gradient norm", "F" },
    { "clip-value", 0, 0, G_OPTION_ARG_DOUBLE, &a.clip_value, "Clip each gradient element", "F" },
    { "bptt", 0, 0, G_OPTION_ARG_INT, &a.bptt, "Truncated backpropagation through time: chunks of N steps (0 = full)", "N" },
    { "early-stop", 0, 0, G_OPTION_ARG_INT, &a.early_stop, "Stop after N epochs without validation improvement and restore the best weights", "N" },
    { "augment", 0, 0, G_OPTION_ARG_STRING, &a.augment, "Data augmentation, e.g. rotate=15,flip=h,noise=0.05", "LIST" },
    { "seed", 0, 0, G_OPTION_ARG_INT64, &a.seed, "Random seed (default 1): same seed, same run", "N" },
    { "threads", 0, 0, G_OPTION_ARG_INT, &a.threads, "Threads to split the work over (default: one per core)", "N" },
    { "log", 0, 0, G_OPTION_ARG_FILENAME, &a.log, "Append per-epoch metrics as JSON lines", "FILE.jsonl" },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &a.out, "Where to save the trained model", "OUT.safetensors" },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("SPEC.json|MODEL.safetensors - train a model");
  g_option_context_add_main_entries (ctx, entries, NULL);
  int status = 0;
  if (!cli_parse (ctx, &argc, &argv, &status))
    return status;
  if (argc != 2)
    return cli_usage ("train", "expected one SPEC.json or MODEL.safetensors");
  if (!a.data)
    return cli_usage ("train", "--data is required");
  if (!a.out)
    return cli_usage ("train", "-o OUT.safetensors is required");
  cli_threads (a.threads);

  g_autoptr (GError) e = NULL;
  g_autoptr (NnModel) m = build_model (argv[1], &a, &e);
  if (!m)
    return cli_fail ("train", e);
  NnTrainConfig c;
  if (!configure (&a, &c, m, &e))
    return cli_usage ("train", "%s", e->message);
  g_autoptr (NnAugment) aug = NULL;
  if (a.augment && !(aug = nn_augment_new (a.augment, &e)))
    return cli_usage ("train", "%s", e->message);
  c.augment = aug;
  g_autoptr (NnDataset) train = NULL, val = NULL;
  if (!load_data (m, &a, &train, &val, &e))
    return cli_fail ("train", e);
  TrainUi ui = { .tty = isatty (fileno (stderr)) };
  if (a.log && !(ui.log = fopen (a.log, "a"))) {
    fprintf (stderr, "nn train: cannot open log %s: %s\n", a.log, g_strerror (errno));
    return 1;
  }
  c.callback = on_progress;
  c.user_data = &ui;
  printf ("training on %" G_GINT64_FORMAT " samples, validating on %" G_GINT64_FORMAT ", %" G_GINT64_FORMAT
          " parameters, loss %s\n", train->n, val ? val->n : 0, nn_model_n_trainable (m), nn_loss_name (c.loss));
  gboolean ok = nn_train (m, &c, train, val, &e) && nn_model_save (m, a.out, &e);
  if (ui.log)
    fclose (ui.log);
  if (!ok)
    return cli_fail ("train", e);
  printf ("saved %s\n", a.out);
  return 0;
}
