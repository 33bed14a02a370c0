/* nn generate: samples from a generative model. Image generators (a "gan"
 * block in the spec) write a PNG grid. */
#include "nn-cli.h"

typedef struct {
  int    n, cols, threads;
  char  *cls, *out;
  gint64 seed;
} GenerateArgs;

/* n inputs: the asked-for class for all, or classes in turn (one per column). */
static float *
image_inputs (const NnGanSpec *s, const GenerateArgs *a, int cls)
{
  int in = nn_gan_input_size (s);
  float *z = g_new (float, (gsize) a->n * in);
  GRand *r = g_rand_new_with_seed ((guint32) a->seed);
  for (int i = 0; i < a->n; i++)
    nn_gan_sample_input (s, r, cls >= 0 ? cls : s->n_classes ? i % s->n_classes : -1, z + (gsize) i * in);
  g_rand_free (r);
  return z;
}

static int
generate_images (NnModel *g, const GenerateArgs *a)
{
  g_autoptr (GError) e = NULL;
  NnGanSpec s;
  if (!nn_gan_spec (g, &s, &e))
    return cli_fail ("generate", e);
  const NnShape *os = nn_model_output_shape (g);
  int status = 0, cls = -1;
  if (os->ndim != 3 || (os->dim[0] != 1 && os->dim[0] != 3)) {
    char buf[64];
    status = cli_usage ("generate", "the generator makes %s, not gray or RGB images",
                        nn_shape_to_string (os, buf, sizeof buf));
  } else if (a->cls && (cls = nn_gan_class_index (&s, a->cls, &e)) < 0) {
    status = cli_usage ("generate", "%s", e->message);
  }
  if (status) {
    nn_gan_spec_clear (&s);
    return status;
  }
  g_autofree float *z = image_inputs (&s, a, cls);
  const float *y = nn_model_forward (g, z, a->n, FALSE, &e);
  int cols = a->cols > 0 ? a->cols : cls < 0 && s.n_classes ? s.n_classes : (int) ceil (sqrt (a->n)), w, h;
  g_autofree guint8 *px = y ? nn_image_grid (y, a->n, (int) os->dim[0], (int) os->dim[1], (int) os->dim[2], s.lo,
                                             s.hi, cols, 2, &w, &h) : NULL;
  nn_gan_spec_clear (&s);
  if (!px || !nn_image_write_png (a->out, px, w, h, (int) os->dim[0], &e))
    return cli_fail ("generate", e);
  printf ("wrote %d images to %s (%dx%d)\n", a->n, a->out, w, h);
  return 0;
}

int
cmd_generate (int argc, char **argv)
{
  if (generate_text_wanted (argc, argv))
    return cmd_generate_text (argc, argv);
  GenerateArgs a = { .n = 64, .seed = 1 };
  gboolean random_weights = FALSE;
  GOptionEntry entries[] = {
    { "count", 'n', 0, G_OPTION_ARG_INT, &a.n, "How many samples (default 64)", "N" },
    { "class", 'c', 0, G_OPTION_ARG_STRING, &a.cls, "Class to generate, by name or index (conditional models; "
      "default: classes in turn)", "NAME" },
    { "seed", 's', 0, G_OPTION_ARG_INT64, &a.seed, "Random seed (default 1)", "S" },
    { "cols", 0, 0, G_OPTION_ARG_INT, &a.cols, "Grid columns (default: one per class, or square)", "N" },
    { "threads", 0, 0, G_OPTION_ARG_INT, &a.threads, "Threads to split the work over (default: one per core)", "N" },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &a.out, "Output image", "GRID.png" },
    CLI_RANDOM_WEIGHTS_ENTRY (&random_weights),
    { NULL }
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("MODEL - generate samples");
  g_option_context_add_main_entries (ctx, entries, NULL);
  int status = 0;
  if (!cli_parse (ctx, &argc, &argv, &status))
    return status;
  if (argc != 2)
    return cli_usage ("generate", "expected one MODEL");
  if (!a.out)
    return cli_usage ("generate", "-o GRID.png is required");
  if (a.n < 1 || a.n > 100000 || a.cols < 0)
    return cli_usage ("generate", "-n must be in 1..100000 and --cols >= 0");
  cli_threads (a.threads);
  g_autoptr (GError) e = NULL;
  g_autoptr (NnModel) m = cli_load_model (argv[1], random_weights, &e);
  if (!m)
    return cli_fail ("generate", e);
  return generate_images (m, &a);
}
