/* nn: train, evaluate and run neural networks; the front end of libnn. */
#include "nn-cli.h"
#include <stdarg.h>

static const struct {
  const char *name;
  NnVerbFunc  func;
  const char *summary;
} verbs[] = {
  { "train", cmd_train, "train a model from a spec or a model file" },
  { "eval", cmd_eval, "loss, accuracy, per-class precision/recall, confusion matrix" },
  { "predict", cmd_predict, "run a model on CSV rows or image files" },
  { "info", cmd_info, "layers, shapes, parameters and FLOPs of a model or spec" },
  { "profile", cmd_profile, "time each layer of a forward or training step: share, FLOPs, GFLOP/s, path" },
  { "train-gan", cmd_train_gan, "train a generator against a discriminator (GAN), sample grids every epoch" },
  { "gan-score", cmd_gan_score, "judge a generator's images with a classifier: scores and Frechet distance" },
  { "generate", cmd_generate, "sample text from a character model, or an image grid from a generator" },
  { "export", cmd_export, "write a model as an ONNX file (opset 13 to 17) for other runtimes" },
  { "run", cmd_run, "run a pipeline file with ${VAR} substitution, results as JSON lines" },
  { "import", cmd_import, "an ONNX model (PyTorch, Keras ... exports) -> a .safetensors model file" },
  { "merge-report", cmd_merge_report, "merge the shard files of nn run --list into one report (JSON lines, CSV)" },
};

gboolean
cli_parse (GOptionContext *ctx, int *argc, char ***argv, int *status)
{
  g_autoptr (GError) e = NULL;
  if (!g_option_context_parse (ctx, argc, argv, &e)) {
    fprintf (stderr, "nn: %s\n(see --help)\n", e->message);
    *status = EXIT_USAGE;
    return FALSE;
  }
  return TRUE;
}

int
cli_fail (const char *verb, GError *error)
{
  fprintf (stderr, "nn %s: %s\n", verb, error ? error->message : "failed");
  return 1;
}

int
cli_usage (const char *verb, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  g_autofree char *msg = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  fprintf (stderr, "nn %s: %s\n(see nn %s --help)\n", verb, msg, verb);
  return EXIT_USAGE;
}

void
cli_threads (int n)
{
  if (n > 0)
    nn_set_threads (n);
}

static void
usage (FILE *f)
{
  fprintf (f, "Usage: nn VERB [OPTIONS...]\n\nVerbs:\n");
  for (gsize i = 0; i < G_N_ELEMENTS (verbs); i++)
    fprintf (f, "  %-13s %s\n", verbs[i].name, verbs[i].summary);
  fprintf (f, "\nOptions:\n  -h, --help     this text\n  -V, --version  print \"nn VERSION\" and exit\n");
  fprintf (f, "  --cpu          print the kernel path libnn chose for this CPU (NN_CPU=portable|avx2|avx512 forces one)\n");
  fprintf (f, "\n'nn VERB --help' describes a verb. Exit status: 0 success, 1 error, 2 usage error.\n");
}

int
main (int argc, char **argv)
{
  if (argc < 2) {
    usage (stderr);
    return EXIT_USAGE;
  }
  if (g_str_equal (argv[1], "--help") || g_str_equal (argv[1], "-h") || g_str_equal (argv[1], "help")) {
    usage (stdout);
    return 0;
  }
  /* The version meson builds (project version), so scripts can check what
   * they run against. */
  if (g_str_equal (argv[1], "--version") || g_str_equal (argv[1], "-V")) {
    printf ("nn %s\n", NN_CLI_VERSION);
    return 0;
  }
  if (g_str_equal (argv[1], "--cpu")) {
    g_autoptr (GError) e = NULL;
    if (!nn_cpu_check (&e)) {
      fprintf (stderr, "nn: %s\n", e->message);
      return 1;
    }
    printf ("kernels: %s (this CPU runs: %s)\n", nn_cpu_path_name (), nn_cpu_paths_available ());
    return 0;
  }
  for (gsize i = 0; i < G_N_ELEMENTS (verbs); i++)
    if (g_str_equal (argv[1], verbs[i].name))
      return verbs[i].func (argc - 1, argv + 1);
  fprintf (stderr, "nn: unknown verb \"%s\"\n", argv[1]);
  usage (stderr);
  return EXIT_USAGE;
}
