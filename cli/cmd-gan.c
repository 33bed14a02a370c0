/* nn train-gan: adversarial training of a generator and a discriminator, with
 * per-epoch losses and a sample grid written every epoch. */
#include "nn-cli.h"
#include <unistd.h>

typedef struct {
  char *data, *out, *d_out, *log, *samples, *g_weights, *d_weights;
  double lr, lr_d, beta1, beta2, smooth, ema;
  int epochs, batch, latent, threads, grid;
  gint64 seed;
} GanArgs;

typedef struct {
  GanArgs *a;
  NnModel *g;
  NnGanSpec spec;
  float   *z;          /* (grid, input): fixed, so the grids show one set of samples learning */
  FILE    *log;
  gboolean tty;
  gint64   last_draw;
} GanUi;

/* The dataset shaped for D, labels kept whatever D's outputs: an unconditional
 * D has one output, which the loaders would take as the number of classes, so
 * they are told D's labels, or 256 classes when it has none. */
static NnDataset *
load_real (const char *uri, NnModel *d, GError **error)
{
  int n = nn_model_n_labels (d);
  NnShape out = { 1, { n ? n : 256 } };
  return nn_dataset_load_spec (uri, nn_model_get_spec (d), &out, error);
}

static gboolean
write_grid (GanUi *ui, int epoch, GError **error)
{
  const NnShape *os = nn_model_output_shape (ui->g);
  if (!ui->a->samples || os->ndim != 3)
    return TRUE;
  const float *y = nn_model_forward (ui->g, ui->z, ui->a->grid, FALSE, error);
  if (!y)
    return FALSE;
  int cols = (int) ceil (sqrt (ui->a->grid)), w, h;
  if (ui->spec.n_classes)
    cols = ui->spec.n_classes;
  g_autofree guint8 *px = nn_image_grid (y, ui->a->grid, (int) os->dim[0], (int) os->dim[1], (int) os->dim[2],
                                         ui->spec.lo, ui->spec.hi, cols, 2, &w, &h);
  g_autofree char *path = strstr (ui->a->samples, "%d") ? g_strdup_printf (ui->a->samples, epoch)
                                                        : g_strdup (ui->a->samples);
  return nn_image_write_png (path, px, w, h, (int) os->dim[0], error);
}

static void
log_epoch (GanUi *ui, const NnGanProgress *p)
{
  printf ("epoch %d/%d  d_loss %.4f  g_loss %.4f  D(x) %.3f  D(G(z)) %.3f  %.0f samples/s  %.1fs\n", p->epoch,
          p->epochs, p->d_loss, p->g_loss, p->d_real, p->d_fake, p->samples_per_s, p->seconds);
  fflush (stdout);
  if (ui->log) {
    /* a collapsed run's NaN or inf losses are written as null */
    g_autoptr (JsonBuilder) b = json_builder_new ();
    json_builder_begin_object (b);
    cli_json_member_int (b, "epoch", p->epoch);
    cli_json_member_int (b, "epochs", p->epochs);
    cli_json_member_number (b, "d_loss", p->d_loss);
    cli_json_member_number (b, "g_loss", p->g_loss);
    cli_json_member_number (b, "d_real", p->d_real);
    cli_json_member_number (b, "d_fake", p->d_fake);
    cli_json_member_number (b, "samples_per_s", p->samples_per_s);
    cli_json_member_number (b, "seconds", p->seconds);
    json_builder_end_object (b);
    cli_json_write_line (ui->log, b);
  }
}

static gboolean
on_progress (const NnGanProgress *p, gpointer data)
{
  GanUi *ui = data;
  if (!p->epoch_done) {
    gint64 now = g_get_monotonic_time ();
    if (!ui->tty || (now - ui->last_draw < 100000 && p->batch < p->n_batches))
      return TRUE;
    ui->last_draw = now;
    fprintf (stderr, "\repoch %d/%d %3d%%  d_loss %.4f  g_loss %.4f  %.0f samples/s ", p->epoch, p->epochs,
             (int) (100 * p->batch / MAX (p->n_batches, 1)), p->d_loss, p->g_loss, p->samples_per_s);
    fflush (stderr);
    return TRUE;
  }
  if (ui->tty)
    fprintf (stderr, "\r\033[K");
  log_epoch (ui, p);
  g_autoptr (GError) e = NULL;
  if (!write_grid (ui, p->epoch, &e))
    fprintf (stderr, "nn train-gan: sample grid: %s\n", e->message);
  /* a checkpoint each epoch: a long run can be stopped and still leave a model */
  if (!nn_model_save (ui->g, ui->a->out, &e))
    fprintf (stderr, "nn train-gan: %s\n", e->message);
  return TRUE;
}

static NnModel *
build (const char *path, const char *weights, gint64 seed, GError **error)
{
  NnModel *m = g_str_has_suffix (path, ".json") ? nn_model_new_from_spec_file (path, (guint64) seed, error)
                                                : nn_model_load (path, error);
  if (m && weights && !nn_model_load_weights (m, weights, error))
    g_clear_pointer (&m, nn_model_free);
  return m;
}

static void
configure (GanArgs *a, NnGanConfig *c)
{
  nn_gan_config_init (c);
  c->optim_g.lr = (float) a->lr;
  c->optim_d.lr = (float) (a->lr_d > 0 ? a->lr_d : a->lr);
  c->optim_g.beta1 = c->optim_d.beta1 = (float) a->beta1;
  c->optim_g.beta2 = c->optim_d.beta2 = (float) a->beta2;
  c->label_smooth = (float) a->smooth;
  c->ema = (float) a->ema;
  c->epochs = a->epochs;
  c->batch = a->batch;
  c->seed = (guint64) a->seed;
}

/* The grid's fixed inputs: one column per class for a conditional G. */
static void
grid_inputs (GanUi *ui)
{
  int in = nn_gan_input_size (&ui->spec);
  ui->z = g_new (float, (gsize) ui->a->grid * in);
  GRand *r = g_rand_new_with_seed ((guint32) ui->a->seed + 17);
  for (int i = 0; i < ui->a->grid; i++)
    nn_gan_sample_input (&ui->spec, r, ui->spec.n_classes ? i % ui->spec.n_classes : -1, ui->z + (gsize) i * in);
  g_rand_free (r);
}

static int
check_latent (GanArgs *a, const NnGanSpec *s)
{
  if (a->latent > 0 && a->latent != s->latent)
    return cli_usage ("train-gan", "--latent %d, but the generator's spec says \"latent\": %d", a->latent,
                      s->latent);
  return 0;
}

static int
run (GanArgs *a, NnModel *g, NnModel *d)
{
  g_autoptr (GError) e = NULL;
  GanUi ui = { .a = a, .g = g, .tty = isatty (fileno (stderr)) };
  if (!nn_gan_spec (g, &ui.spec, &e))
    return cli_fail ("train-gan", e);
  int status = check_latent (a, &ui.spec);
  g_autoptr (NnDataset) real = status ? NULL : load_real (a->data, d, &e);
  if (!status && !real)
    status = cli_fail ("train-gan", e);
  if (!status && a->log && !(ui.log = fopen (a->log, "a"))) {
    fprintf (stderr, "nn train-gan: cannot open log %s: %s\n", a->log, g_strerror (errno));
    status = 1;
  }
  if (!status) {
    grid_inputs (&ui);
    NnGanConfig c;
    configure (a, &c);
    c.callback = on_progress;
    c.user_data = &ui;
    printf ("training a GAN on %" G_GINT64_FORMAT " samples: generator %" G_GINT64_FORMAT " parameters, "
            "discriminator %" G_GINT64_FORMAT ", latent %d, %d classes\n", real->n, nn_model_n_trainable (g),
            nn_model_n_trainable (d), ui.spec.latent, ui.spec.n_classes);
    if (!nn_gan_train (g, d, &c, real, &e) || !nn_model_save (g, a->out, &e) ||
        (a->d_out && !nn_model_save (d, a->d_out, &e)))
      status = cli_fail ("train-gan", e);
    else
      printf ("saved %s%s%s\n", a->out, a->d_out ? " and " : "", a->d_out ? a->d_out : "");
  }
  if (ui.log)
    fclose (ui.log);
  g_free (ui.z);
  nn_gan_spec_clear (&ui.spec);
  return status;
}

int
cmd_train_gan (int argc, char **argv)
{
  GanArgs a = { .epochs = 10, .batch = 64, .seed = 1, .lr = 2e-4, .beta1 = 0.5, .beta2 = 0.999, .grid = 64 };
  GOptionEntry entries[] = {
    { "data", 'd', 0, G_OPTION_ARG_STRING, &a.data, "Real images: idx:PREFIX, folder:DIR or csv:FILE", "SOURCE" },
    { "latent", 0, 0, G_OPTION_ARG_INT, &a.latent, "Latent size (checked against the generator's \"gan\" block)", "N" },
    { "epochs", 'e', 0, G_OPTION_ARG_INT, &a.epochs, "Epochs (default 10)", "N" },
    { "batch", 'b', 0, G_OPTION_ARG_INT, &a.batch, "Mini-batch size (default 64)", "N" },
    { "lr", 0, 0, G_OPTION_ARG_DOUBLE, &a.lr, "Adam learning rate (default 0.0002)", "F" },
    { "lr-d", 0, 0, G_OPTION_ARG_DOUBLE, &a.lr_d, "Discriminator learning rate (default: --lr)", "F" },
    { "beta1", 0, 0, G_OPTION_ARG_DOUBLE, &a.beta1, "Adam beta1 (default 0.5)", "F" },
    { "beta2", 0, 0, G_OPTION_ARG_DOUBLE, &a.beta2, "Adam beta2 (default 0.999)", "F" },
    { "label-smooth", 0, 0, G_OPTION_ARG_DOUBLE, &a.smooth, "One-sided label smoothing: real targets 1 - F", "F" },
    { "ema", 0, 0, G_OPTION_ARG_DOUBLE, &a.ema, "Save a running average of the generator's weights with this "
      "decay (e.g. 0.999; default 0: the last step's)", "F" },
    { "g-weights", 0, 0, G_OPTION_ARG_FILENAME, &a.g_weights, "Start the generator from these weights", "FILE" },
    { "d-weights", 0, 0, G_OPTION_ARG_FILENAME, &a.d_weights, "Start the discriminator from these weights", "FILE" },
    { "samples", 0, 0, G_OPTION_ARG_FILENAME, &a.samples, "Write a sample grid every epoch (%d = epoch)", "FILE.png" },
    { "grid", 0, 0, G_OPTION_ARG_INT, &a.grid, "Images in the sample grid (default 64)", "N" },
    { "seed", 0, 0, G_OPTION_ARG_INT64, &a.seed, "Random seed (default 1)", "N" },
    { "threads", 0, 0, G_OPTION_ARG_INT, &a.threads, "Threads to split the work over (default: one per core)", "N" },
    { "log", 0, 0, G_OPTION_ARG_FILENAME, &a.log, "Append per-epoch losses as JSON lines", "FILE.jsonl" },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &a.out, "Where to save the generator", "G.safetensors" },
    { "d-output", 0, 0, G_OPTION_ARG_FILENAME, &a.d_out, "Where to save the discriminator", "D.safetensors" },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("GENERATOR DISCRIMINATOR - train a GAN");
  g_option_context_set_description (ctx, "GENERATOR and DISCRIMINATOR are .json specs or .safetensors models; the "
                                    "generator's spec carries \"gan\": {\"latent\": N, \"classes\": [...]}.");
  g_option_context_add_main_entries (ctx, entries, NULL);
  int status = 0;
  if (!cli_parse (ctx, &argc, &argv, &status))
    return status;
  if (argc != 3)
    return cli_usage ("train-gan", "expected GENERATOR and DISCRIMINATOR");
  if (!a.data)
    return cli_usage ("train-gan", "--data is required");
  if (!a.out)
    return cli_usage ("train-gan", "-o G.safetensors is required");
  if (a.epochs < 0 || a.batch < 1 || a.grid < 1 || a.lr <= 0 || a.smooth < 0 || a.smooth >= 1 || a.ema < 0 ||
      a.ema >= 1)
    return cli_usage ("train-gan", "--epochs >= 0, --batch >= 1, --grid >= 1, --lr > 0, 0 <= --label-smooth < 1, 0 <= --ema < 1");
  cli_threads (a.threads);
  g_autoptr (GError) e = NULL;
  g_autoptr (NnModel) g = build (argv[1], a.g_weights, a.seed, &e);
  if (!g)
    return cli_fail ("train-gan", e);
  g_autoptr (NnModel) d = build (argv[2], a.d_weights, a.seed + 1, &e);
  if (!d)
    return cli_fail ("train-gan", e);
  return run (&a, g, d);
}

/* ---- nn gan-score ------------------------------------------------------------- */

typedef struct {
  char *clf, *data, *train, *features;
  int n, threads;
  gint64 seed;
} ScoreArgs;

/* Generated images as the classifier's inputs: quantised to 8 bits, then
 * preprocessed like any picture it is shown. */
static float *
generated_inputs (NnModel *g, const NnGanSpec *s, NnModel *clf, const ScoreArgs *a, int32_t *asked, GError **error)
{
  const NnShape *os = nn_model_output_shape (g);
  int c = (int) os->dim[0], h = (int) os->dim[1], w = (int) os->dim[2], in = nn_gan_input_size (s), chunk = 256;
  int64_t cin = nn_shape_numel (nn_model_input_shape (clf));
  float *x = g_new (float, (gsize) a->n * cin), *z = g_new (float, (gsize) chunk * in);
  guint8 *px = g_new (guint8, (gsize) c * h * w);
  GRand *r = g_rand_new_with_seed ((guint32) a->seed);
  gboolean ok = TRUE;
  for (int from = 0; from < a->n && ok; from += chunk) {
    int b = MIN (chunk, a->n - from);
    for (int i = 0; i < b; i++) {
      asked[from + i] = s->n_classes ? (from + i) % s->n_classes : -1;
      nn_gan_sample_input (s, r, asked[from + i], z + (gsize) i * in);
    }
    const float *y = nn_model_forward (g, z, b, FALSE, error);
    ok = y != NULL;
    for (int i = 0; ok && i < b; i++) {
      for (int p = 0; p < h * w; p++)
        for (int k = 0; k < c; k++) {
          float u = (y[((gsize) i * c + k) * h * w + p] - s->lo) / (s->hi - s->lo) * 255.0f + 0.5f;
          px[(gsize) p * c + k] = (guint8) CLAMP (u, 0.0f, 255.0f);
        }
      nn_preprocess_image (nn_model_preprocess (clf), px, w, h, w * c, c == 1 ? NN_PIXEL_GRAY8 : NN_PIXEL_RGB24,
                           x + (gsize) (from + i) * cin);
    }
  }
  g_rand_free (r);
  g_free (px);
  g_free (z);
  if (!ok)
    g_clear_pointer (&x, g_free);
  return x;
}

typedef struct {
  NnClassifierScore s;
  float *feats;
  int dim;
  double fd;
} ScoreRow;

static void
print_row (const char *what, const ScoreRow *r, const char *asked_name)
{
  printf ("%-26s %8" G_GINT64_FORMAT " %10.4f %10.4f %8.3f ", what, r->s.n, r->s.mean_max_prob, r->s.class_entropy,
          r->s.inception_score);
  if (isnan (r->s.asked_share))
    printf ("%10s ", "-");
  else
    printf ("%9.2f%% ", 100.0 * r->s.asked_share);
  printf ("%10.3f   %s\n", r->fd, asked_name);
}

static gboolean
score_set (NnModel *clf, const float *x, int64_t n, const int32_t *asked, const ScoreArgs *a, ScoreRow *r,
           GError **error)
{
  return nn_classifier_score (clf, x, n, asked, a->features, &r->feats, &r->dim, &r->s, error);
}

static int
score_run (ScoreArgs *a, NnModel *g, NnModel *clf)
{
  g_autoptr (GError) e = NULL;
  NnGanSpec s;
  if (!nn_gan_spec (g, &s, &e))
    return cli_fail ("gan-score", e);
  g_autoptr (NnDataset) test = nn_dataset_load (a->data, clf, &e);
  g_autoptr (NnDataset) train = test && a->train ? nn_dataset_load (a->train, clf, &e) : NULL;
  g_autofree int32_t *asked = g_new (int32_t, a->n);
  g_autofree float *gen = test && (!a->train || train) ? generated_inputs (g, &s, clf, a, asked, &e) : NULL;
  ScoreRow rg = { 0 }, rt = { 0 }, rr = { 0 };
  int64_t nt = test ? MIN (test->n, (int64_t) a->n) : 0, nr = train ? MIN (train->n, (int64_t) a->n) : 0;
  gboolean ok = gen && score_set (clf, gen, a->n, s.n_classes ? asked : NULL, a, &rg, &e) &&
                score_set (clf, test->x, nt, test->labels, a, &rt, &e) &&
                (!train || score_set (clf, train->x, nr, train->labels, a, &rr, &e)) &&
                nn_frechet_distance (rg.feats, a->n, rt.feats, nt, rg.dim, &rg.fd, &e) &&
                (!train || nn_frechet_distance (rr.feats, nr, rt.feats, nt, rr.dim, &rr.fd, &e));
  int status = 0;
  if (ok) {
    rt.fd = 0.0;
    printf ("classifier features: layer \"%s\" (%d values); Frechet distances to the test images\n", a->features,
            rg.dim);
    printf ("%-26s %8s %10s %10s %8s %10s %10s\n", "images", "n", "mean-max-p", "class-H", "IS", "class-ok",
            "frechet");
    print_row ("generated", &rg, s.n_classes ? "(class-ok: the asked-for class)" : "");
    if (train)
      print_row ("real (training set)", &rr, "(class-ok: accuracy)");
    print_row ("real (test set)", &rt, "(class-ok: accuracy)");
  } else {
    status = cli_fail ("gan-score", e);
  }
  g_free (rg.feats);
  g_free (rt.feats);
  g_free (rr.feats);
  nn_gan_spec_clear (&s);
  return status;
}

int
cmd_gan_score (int argc, char **argv)
{
  ScoreArgs a = { .n = 10000, .seed = 1, .features = (char *) "fc1_relu" };
  gboolean random_weights = FALSE;
  GOptionEntry entries[] = {
    { "classifier", 'c', 0, G_OPTION_ARG_FILENAME, &a.clf, "The classifier that judges the images", "MODEL" },
    { "data", 'd', 0, G_OPTION_ARG_STRING, &a.data, "Real test images (idx:PREFIX, folder:DIR)", "SOURCE" },
    { "train", 0, 0, G_OPTION_ARG_STRING, &a.train, "Real training images, for the train-test reference distance", "SOURCE" },
    { "features", 0, 0, G_OPTION_ARG_STRING, &a.features, "Classifier layer whose output are the features (default fc1_relu)", "LAYER" },
    { "count", 'n', 0, G_OPTION_ARG_INT, &a.n, "Images per set (default 10000)", "N" },
    { "seed", 's', 0, G_OPTION_ARG_INT64, &a.seed, "Random seed (default 1)", "S" },
    { "threads", 0, 0, G_OPTION_ARG_INT, &a.threads, "Threads to split the work over (default: one per core)", "N" },
    CLI_RANDOM_WEIGHTS_ENTRY (&random_weights),
    { NULL }
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("GENERATOR - score generated images with a classifier");
  g_option_context_add_main_entries (ctx, entries, NULL);
  int status = 0;
  if (!cli_parse (ctx, &argc, &argv, &status))
    return status;
  if (argc != 2 || !a.clf || !a.data)
    return cli_usage ("gan-score", "expected GENERATOR, --classifier MODEL and --data SOURCE");
  if (a.n < 2)
    return cli_usage ("gan-score", "-n must be >= 2");
  cli_threads (a.threads);
  g_autoptr (GError) e = NULL;
  g_autoptr (NnModel) g = cli_load_model (argv[1], random_weights, &e);
  g_autoptr (NnModel) clf = g ? cli_load_model (a.clf, random_weights, &e) : NULL;
  if (!clf)
    return cli_fail ("gan-score", e);
  return score_run (&a, g, clf);
}
