/* nn train: fit a model to a dataset, with progress and per-epoch metrics. */
#include "nn-cli.h"
#include <unistd.h>

typedef struct {
  FILE   *log;
  gboolean tty;
  gint64  last_draw;
  gboolean show_lr;       /* a schedule changes it */
  const char *plot;       /* redrawn after every epoch */
  GArray *history;        /* the trainer's, every finished epoch */
  GError *plot_error;
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
    char eta[32];
    cli_format_duration (eta, sizeof eta, p->eta_s);
    fprintf (stderr, "\repoch %d/%d [%s] %3d%%  loss %.4f  %.0f samples/s  eta %s ", p->epoch, p->epochs, bar,
             (int) (100 * p->batch / MAX (p->n_batches, 1)), p->loss, p->samples_per_s, eta);
    fflush (stderr);
    return TRUE;
  }
  if (ui->tty)
    fprintf (stderr, "\r\033[K");
  char acc[48], vl[48], va[48], lr[48] = "", eta[48] = "";
  fmt_metric (acc, sizeof acc, "acc", p->acc, TRUE);
  fmt_metric (vl, sizeof vl, "val_loss", p->val_loss, FALSE);
  fmt_metric (va, sizeof va, "val_acc", p->val_acc, TRUE);
  if (ui->show_lr)
    g_snprintf (lr, sizeof lr, "  lr %.3g", p->lr);
  if (p->epoch < p->epochs) {
    char d[32];
    cli_format_duration (d, sizeof d, p->eta_s);
    g_snprintf (eta, sizeof eta, "  eta %s", d);
  }
  printf ("epoch %d/%d  loss %.4f%s%s%s%s  %.0f samples/s  %.1fs%s%s\n", p->epoch, p->epochs, p->loss, acc, vl, va, lr,
          p->samples_per_s, p->seconds, eta, p->best ? "  *" : "");
  fflush (stdout);
  if (ui->plot && !cli_plot_curves (ui->plot, (const NnTrainProgress *) ui->history->data, ui->history->len,
                                    &ui->plot_error))
    return FALSE;
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
    cli_json_member_number (b, "lr", p->lr);
    cli_json_member_number (b, "eta_s", p->eta_s);
    json_builder_end_object (b);
    cli_json_write_line (ui->log, b);
  }
  return TRUE;
}

typedef struct {
  char *data, *val, *weights, *loss, *optimizer, *out, *log, *augment, *schedule, *checkpoint, *resume, *plot;
  char *add_labels, *freeze, *rehearse;
  double lr, l1, l2, val_split, momentum, clip_norm, clip_value, rho, beta1, beta2;
  int epochs, batch, early_stop, threads, bptt, rehearse_per_class;
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
  g_free (a->schedule);
  g_free (a->checkpoint);
  g_free (a->resume);
  g_free (a->plot);
  g_free (a->add_labels);
  g_free (a->freeze);
  g_free (a->rehearse);
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

/* Rehearsal: stored examples of the old classes join the training data, so
 * that fine-tuning on new classes does not forget the old ones; with
 * --rehearse-per-class, a few of each, chosen by the seed. */
static gboolean
add_rehearsal (NnModel *m, TrainArgs *a, NnDataset **train, GError **error)
{
  if (a->rehearse_per_class != 0 && !a->rehearse) {
    g_set_error (error, NN_ERROR, NN_ERROR_INVALID, "--rehearse-per-class needs --rehearse SOURCE");
    return FALSE;
  }
  if (!a->rehearse)
    return TRUE;
  g_autoptr (NnDataset) old = nn_dataset_load (a->rehearse, m, error);
  if (!old)
    return FALSE;
  if (a->rehearse_per_class != 0) {
    NnDataset *few = nn_dataset_per_class (old, a->rehearse_per_class, (guint64) a->seed, error);
    if (!few) {
      g_prefix_error (error, "--rehearse %s: ", a->rehearse);
      return FALSE;
    }
    nn_dataset_free (old);
    old = few;
  }
  NnDataset *both = nn_dataset_concat (*train, old, error);
  if (!both)
    return FALSE;
  nn_dataset_free (*train);
  *train = both;
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
  if (a->schedule && !nn_schedule_parse (a->schedule, &c->schedule, error))
    return FALSE;
  c->checkpoint = a->checkpoint;
  c->resume = a->resume;
  return TRUE;
}

static NnModel *
build_model (const char *path, TrainArgs *a, GError **error)
{
  NnModel *m = g_str_has_suffix (path, ".json") ? nn_model_new_from_spec_file (path, (guint64) a->seed, error)
                                                : nn_model_load (path, error);
  if (m && a->weights && !nn_model_load_weights (m, a->weights, error))
    g_clear_pointer (&m, nn_model_free);
  /* a resumed run's model is already widened: the checkpoint holds it */
  if (m && a->add_labels && !a->resume) {
    g_auto (GStrv) labels = g_strsplit (a->add_labels, ",", -1);
    NnModel *w = nn_model_add_labels (m, (const char *const *) labels, (guint64) a->seed, error);
    nn_model_free (m);
    m = w;
  }
  if (m && a->freeze) {
    g_auto (GStrv) layers = g_strsplit (a->freeze, ",", -1);
    if (!nn_model_freeze (m, (const char *const *) layers, error))
      g_clear_pointer (&m, nn_model_free);
  }
  return m;
}

/* What a checkpoint keeps of the command line: every option but these (the
 * weights come from the checkpoint), so that --resume alone runs the same
 * command again, --threads included: another number of threads sums in
 * another order. */
static gboolean
kept_in_checkpoint (const GOptionEntry *o)
{
  const char *not_kept[] = { "resume", "weights", "add-labels" };
  for (gsize i = 0; i < G_N_ELEMENTS (not_kept); i++)
    if (strcmp (o->long_name, not_kept[i]) == 0)
      return FALSE;
  return TRUE;
}

static char *
options_json (const GOptionEntry *entries)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  json_builder_begin_object (b);
  for (const GOptionEntry *o = entries; o->long_name; o++) {
    if (!kept_in_checkpoint (o))
      continue;
    switch (o->arg) {
    case G_OPTION_ARG_STRING:
    case G_OPTION_ARG_FILENAME:
      cli_json_member_string (b, o->long_name, *(char **) o->arg_data);
      break;
    case G_OPTION_ARG_INT:
      cli_json_member_int (b, o->long_name, *(int *) o->arg_data);
      break;
    case G_OPTION_ARG_INT64:
      cli_json_member_int (b, o->long_name, *(gint64 *) o->arg_data);
      break;
    case G_OPTION_ARG_DOUBLE:
      /* an option value is finite: strtod's inf or nan would be written as null and refused back */
      cli_json_member_number (b, o->long_name, *(double *) o->arg_data);
      break;
    case G_OPTION_ARG_NONE:
      json_builder_set_member_name (b, o->long_name);
      json_builder_add_boolean_value (b, *(gboolean *) o->arg_data);
      break;
    default:
      break;
    }
  }
  json_builder_end_object (b);
  g_autoptr (JsonNode) root = json_builder_get_root (b);
  return json_to_string (root, FALSE);
}

/* The checkpoint's options become the defaults the command line overrides.
 * Strings set here are kept in `owned`, since GOption does not free a value
 * it replaces. */
static gboolean
options_from_checkpoint (const char *path, const GOptionEntry *entries, GPtrArray *owned, GError **error)
{
  g_autofree char *note = nn_checkpoint_note (path, error);
  if (!note)
    return FALSE;
  g_autoptr (JsonParser) parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, note, -1, NULL) || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser))) {
    g_set_error (error, NN_ERROR, NN_ERROR_FORMAT, "%s: not a checkpoint of nn train (its note is not the options)",
                 path);
    return FALSE;
  }
  JsonObject *obj = json_node_get_object (json_parser_get_root (parser));
  for (const GOptionEntry *o = entries; o->long_name; o++) {
    JsonNode *v = json_object_get_member (obj, o->long_name);
    if (!v || !kept_in_checkpoint (o))
      continue;
    GType t = JSON_NODE_HOLDS_VALUE (v) ? json_node_get_value_type (v) : G_TYPE_NONE;
    gboolean ok = TRUE;
    switch (o->arg) {
    case G_OPTION_ARG_STRING:
    case G_OPTION_ARG_FILENAME:
      if ((ok = JSON_NODE_HOLDS_NULL (v) || t == G_TYPE_STRING)) {
        char *str = g_strdup (JSON_NODE_HOLDS_NULL (v) ? NULL : json_node_get_string (v));
        if (str)
          g_ptr_array_add (owned, str);
        *(char **) o->arg_data = str;
      }
      break;
    case G_OPTION_ARG_INT:
      if ((ok = t == G_TYPE_INT64 && json_node_get_int (v) >= G_MININT && json_node_get_int (v) <= G_MAXINT))
        *(int *) o->arg_data = (int) json_node_get_int (v);
      break;
    case G_OPTION_ARG_INT64:
      if ((ok = t == G_TYPE_INT64))
        *(gint64 *) o->arg_data = json_node_get_int (v);
      break;
    case G_OPTION_ARG_DOUBLE:
      if ((ok = t == G_TYPE_DOUBLE || t == G_TYPE_INT64))
        *(double *) o->arg_data = json_node_get_double (v);
      break;
    case G_OPTION_ARG_NONE:
      if ((ok = t == G_TYPE_BOOLEAN))
        *(gboolean *) o->arg_data = json_node_get_boolean (v);
      break;
    default:
      break;
    }
    if (!ok) {
      g_set_error (error, NN_ERROR, NN_ERROR_FORMAT, "%s: the checkpoint's option \"%s\" has a value of the wrong type",
                   path, o->long_name);
      return FALSE;
    }
  }
  return TRUE;
}

/* --resume FILE or --resume=FILE, looked for before the options are parsed. */
static const char *
resume_arg (int argc, char **argv)
{
  for (int i = 1; i < argc; i++) {
    if (strcmp (argv[i], "--") == 0)
      break;
    if (strcmp (argv[i], "--resume") == 0 && i + 1 < argc)
      return argv[i + 1];
    if (g_str_has_prefix (argv[i], "--resume="))
      return argv[i] + strlen ("--resume=");
  }
  return NULL;
}

static int
train (int argc, char **argv)
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
    { "schedule", 0, 0, G_OPTION_ARG_STRING, &a.schedule, "Learning-rate schedule: step:every=N[,gamma=F], "
      "cosine[:warmup=N,min=F] or plateau[:patience=N,factor=F,min=F,threshold=F]", "SCHEDULE" },
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
    { "checkpoint", 0, 0, G_OPTION_ARG_FILENAME, &a.checkpoint, "After every epoch, save all the run's state here "
      "(a model file too)", "CKPT.safetensors" },
    { "resume", 0, 0, G_OPTION_ARG_FILENAME, &a.resume, "Continue the run of this checkpoint, with its options "
      "(those given here override them; --epochs to train longer)", "CKPT.safetensors" },
    { "plot", 0, 0, G_OPTION_ARG_FILENAME, &a.plot, "Draw loss and accuracy per epoch (training and validation) "
      "into this PNG, after every epoch", "CURVES.png" },
    { "add-labels", 0, 0, G_OPTION_ARG_STRING, &a.add_labels, "Enrolment: widen the classifier head of MODEL by "
      "these classes, keeping the old classes' weights", "NAME[,NAME...]" },
    { "freeze", 0, 0, G_OPTION_ARG_STRING, &a.freeze, "Leave these layers' weights as they are", "LAYER[,LAYER...]" },
    { "rehearse", 0, 0, G_OPTION_ARG_STRING, &a.rehearse, "Mix these stored examples (of the old classes) into "
      "the training data of every epoch", "SOURCE" },
    { "rehearse-per-class", 0, 0, G_OPTION_ARG_INT, &a.rehearse_per_class, "Keep at most N examples of each class "
      "of --rehearse, chosen reproducibly by --seed", "N" },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &a.out, "Where to save the trained model", "OUT.safetensors" },
    { NULL }
  };
  g_autoptr (GError) e = NULL;
  /* with --resume, the checkpoint's options are the defaults */
  g_autoptr (GPtrArray) resumed = g_ptr_array_new_with_free_func (g_free);
  const char *resume = resume_arg (argc, argv);
  if (resume && !options_from_checkpoint (resume, entries, resumed, &e))
    return cli_fail ("train", e);
  g_autoptr (GOptionContext) ctx = g_option_context_new ("SPEC.json|MODEL.safetensors - train a model");
  g_option_context_add_main_entries (ctx, entries, NULL);
  int status = 0;
  gboolean parsed = cli_parse (ctx, &argc, &argv, &status);
  /* what still points into `resumed` becomes the options' own copy */
  for (GOptionEntry *o = entries; o->long_name; o++)
    if ((o->arg == G_OPTION_ARG_STRING || o->arg == G_OPTION_ARG_FILENAME) && *(char **) o->arg_data &&
        g_ptr_array_find (resumed, *(char **) o->arg_data, NULL))
      *(char **) o->arg_data = g_strdup (*(char **) o->arg_data);
  if (!parsed)
    return status;
  if (a.resume && argc != 1)
    return cli_usage ("train", "with --resume the model comes from the checkpoint: give no SPEC or MODEL");
  if (a.resume && a.weights)
    return cli_usage ("train", "with --resume the weights come from the checkpoint: --weights is not allowed");
  if (!a.resume && argc != 2)
    return cli_usage ("train", "expected one SPEC.json or MODEL.safetensors");
  if (!a.data)
    return cli_usage ("train", "--data is required");
  if (!a.out)
    return cli_usage ("train", "-o OUT.safetensors is required");
  /* the model saved at the end would replace the state a resume needs */
  if (a.checkpoint && g_str_equal (a.checkpoint, a.out))
    return cli_usage ("train", "--checkpoint and -o name the same file");
  NnTrainDist dist;
  if (!cli_mpi_init (&dist, &e))
    return cli_fail ("train", e);
  /* under mpirun only rank 0 reports and writes; an error names its rank */
  g_autofree char *verb = dist.size > 1 ? g_strdup_printf ("train (rank %d of %d)", dist.rank, dist.size)
                                        : g_strdup ("train");
  gboolean writer = dist.rank == 0;
  cli_threads (a.threads > 0 ? a.threads : cli_mpi_default_threads (&dist));

  g_autoptr (NnModel) m = build_model (a.resume ? a.resume : argv[1], &a, &e);
  if (!m)
    return cli_fail (verb, e);
  NnTrainConfig c;
  if (!configure (&a, &c, m, &e))
    return cli_usage ("train", "%s", e->message);
  g_autoptr (NnAugment) aug = NULL;
  if (a.augment && !(aug = nn_augment_new (a.augment, &e)))
    return cli_usage ("train", "%s", e->message);
  c.augment = aug;
  g_autoptr (NnDataset) train = NULL, val = NULL;
  if (!load_data (m, &a, &train, &val, &e) || !add_rehearsal (m, &a, &train, &e))
    return cli_fail (verb, e);
  /* before the first epoch, naming the data (nn_train says it too, without) */
  if (aug && nn_augment_needs_alpha (aug) && !train->alpha)
    return cli_usage ("train", "--augment background/foreground: %s has no image with an alpha channel marking the "
                      "foreground (RGBA PNGs, as nn-gesture-render crops --alpha writes)", a.data);
  g_autoptr (GArray) history = g_array_new (FALSE, FALSE, sizeof (NnTrainProgress));
  TrainUi ui = { .tty = isatty (fileno (stderr)), .show_lr = a.schedule != NULL, .plot = a.plot, .history = history };
  if (writer && a.log && !(ui.log = fopen (a.log, "a"))) {
    fprintf (stderr, "nn train: cannot open log %s: %s\n", a.log, g_strerror (errno));
    return 1;
  }
  g_autofree char *note = options_json (entries);
  c.checkpoint_note = note;
  c.history = history;
  c.callback = on_progress;
  c.user_data = &ui;
  c.dist = &dist;
  if (writer)
    printf ("training on %" G_GINT64_FORMAT " samples, validating on %" G_GINT64_FORMAT ", %" G_GINT64_FORMAT
            " parameters, loss %s", train->n, val ? val->n : 0, nn_model_n_trainable (m), nn_loss_name (c.loss));
  if (writer && dist.size > 1)
    printf (", %d MPI ranks", dist.size);
  if (writer)
    printf ("\n");
  gboolean ok = nn_train (m, &c, train, val, &e) && !ui.plot_error && (!writer || nn_model_save (m, a.out, &e));
  /* a resumed run that had no epoch left draws the checkpoint's */
  if (ok && writer && a.plot && history->len && !cli_plot_curves (a.plot, (const NnTrainProgress *) history->data, history->len, &e))
    ok = FALSE;
  if (ui.log)
    fclose (ui.log);
  if (ui.plot_error) {
    int rc = cli_fail (verb, ui.plot_error);
    g_error_free (ui.plot_error);
    return rc;
  }
  if (!ok)
    return cli_fail (verb, e);
  if (writer)
    printf ("saved %s\n", a.out);
  return 0;
}

int
cmd_train (int argc, char **argv)
{
  return cli_mpi_end (train (argc, argv));
}
