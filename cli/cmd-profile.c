/* nn profile: where an inference forward, or a training step, spends its
 * time, layer by layer (nn_model_profile): median, min and max of each
 * layer's time, its share of the whole call, its FLOPs and the GFLOP/s it
 * reaches, the path it took where its kind has several, and the whole call
 * timed as users run it, so the per-call overhead shows. */
#include "nn-cli.h"

/* Backward's products: dx and dW, each as many FLOPs as the forward's; the
 * first layer's dx is not computed (nobody needs it). */
static double
backward_flops_factor (int i)
{
  return i ? 2 : 1;
}

static double
gflops (double flops, double us)
{
  return us > 0 && flops > 0 ? flops / (us * 1e3) : NAN;
}

/* The forward FLOPs of a layer's pass: its own plus those of the layers its
 * one pass ran (fusion), for the whole batch. */
static double
pass_flops (const NnModelProfile *p, int i)
{
  double f = (double) p->layers[i].flops;
  for (int j = i + 1; j < p->n_layers && p->layers[j].fused_into == i; j++)
    f += (double) p->layers[j].flops;
  return f * p->batch;
}

static double
layers_sum (const NnModelProfile *p)
{
  double s = p->loss_us[0] + p->optim_us[0];
  for (int i = 0; i < p->n_layers; i++)
    s += p->layers[i].forward_us[0] + p->layers[i].backward_us[0];
  return s;
}

static void
json_times (JsonBuilder *b, const char *name, const double t[3])
{
  json_builder_set_member_name (b, name);
  json_builder_begin_object (b);
  cli_json_member_number (b, "median", t[0]);
  cli_json_member_number (b, "min", t[1]);
  cli_json_member_number (b, "max", t[2]);
  json_builder_end_object (b);
}

static int
print_json (const char *path, const NnModelProfile *p)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  json_builder_begin_object (b);
  cli_json_member_string (b, "model", path);
  cli_json_member_string (b, "mode", p->training ? "train" : "inference");
  cli_json_member_int (b, "batch", p->batch);
  cli_json_member_int (b, "threads", p->threads);
  cli_json_member_int (b, "runs", p->runs);
  cli_json_member_string (b, "kernels", nn_cpu_path_name ());
  json_builder_set_member_name (b, "layers");
  json_builder_begin_array (b);
  for (int i = 0; i < p->n_layers; i++) {
    const NnLayerProfile *l = &p->layers[i];
    json_builder_begin_object (b);
    cli_json_member_string (b, "name", l->name);
    cli_json_member_string (b, "type", l->type);
    cli_json_member_int (b, "flops", l->flops);
    cli_json_member_string (b, "algorithm", l->algorithm);
    cli_json_member_string (b, "fused_into", l->fused_into >= 0 ? p->layers[l->fused_into].name : NULL);
    json_times (b, "forward_us", l->forward_us);
    cli_json_member_number (b, "forward_share", l->forward_us[0] / p->total_us[0]);
    cli_json_member_number (b, "forward_gflops", gflops (pass_flops (p, i), l->forward_us[0]));
    if (p->training) {
      json_times (b, "backward_us", l->backward_us);
      cli_json_member_number (b, "backward_share", l->backward_us[0] / p->total_us[0]);
      cli_json_member_number (b, "backward_gflops",
                              gflops (backward_flops_factor (i) * pass_flops (p, i), l->backward_us[0]));
    }
    json_builder_end_object (b);
  }
  json_builder_end_array (b);
  if (p->training) {
    cli_json_member_string (b, "loss", p->loss);
    cli_json_member_string (b, "optimizer", p->optimizer);
    json_times (b, "loss_us", p->loss_us);
    json_times (b, "optimizer_us", p->optim_us);
  }
  cli_json_member_number (b, "layers_sum_us", layers_sum (p));
  json_times (b, "total_us", p->total_us);
  json_builder_end_object (b);
  return cli_json_write_line (stdout, b) ? 0 : 1;
}

static void
print_row (const char *name, const char *type, const char *algo, const double t[3], double total, double fl)
{
  double g = gflops (fl, t[0]);
  printf ("%-16s %-16s %-28s %10.2f %10.2f %10.2f %6.1f%% %10.3f ", name, type, algo, t[0], t[1], t[2],
          100 * t[0] / total, fl / 1e6);
  if (isnan (g))
    printf ("%8s\n", "-");
  else
    printf ("%8.2f\n", g);
}

static void
print_text (const char *path, const NnModelProfile *p)
{
  printf ("%s: %s, batch %d, %d thread%s, kernels %s; median of %d runs (min, max), microseconds\n\n", path,
          p->training ? "training step" : "inference forward", p->batch, p->threads, p->threads == 1 ? "" : "s",
          nn_cpu_path_name (), p->runs);
  printf ("%-16s %-16s %-28s %10s %10s %10s %7s %10s %8s\n", "layer", "type", "algorithm", "median", "min", "max",
          "share", "MFLOP", "GFLOP/s");
  double total = p->total_us[0];
  for (int i = 0; i < p->n_layers; i++) {
    const NnLayerProfile *l = &p->layers[i];
    if (l->fused_into >= 0) {
      g_autofree char *what = g_strdup_printf ("(in %s's pass)", p->layers[l->fused_into].name);
      printf ("%-16s %-16s %-28s\n", l->name, l->type, what);
      continue;
    }
    print_row (l->name, p->training ? "forward" : l->type, l->algorithm ? l->algorithm : "", l->forward_us, total,
               pass_flops (p, i));
  }
  if (p->training) {
    for (int i = p->n_layers - 1; i >= 0; i--) {
      const NnLayerProfile *l = &p->layers[i];
      print_row (l->name, "backward", "", l->backward_us, total, backward_flops_factor (i) * pass_flops (p, i));
    }
    print_row (p->loss, "loss+gradient", "", p->loss_us, total, 0);
    print_row (p->optimizer, "zero+step", "", p->optim_us, total, 0);
  }
  double sum = layers_sum (p), fl = 0;
  for (int i = 0; i < p->n_layers; i++)
    fl += (double) p->layers[i].flops * p->batch * (p->training ? 1 + backward_flops_factor (i) : 1);
  printf ("\nsum of the parts   %10.2f us\n", sum);
  printf ("whole call         %10.2f us (min %.2f, max %.2f): %.2f GFLOP/s, %.0f samples/s\n", total, p->total_us[1],
          p->total_us[2], gflops (fl, total), p->batch / (total / 1e6));
  printf ("overhead           %10.2f us (whole call - sum of the parts)\n", total - sum);
}

int
cmd_profile (int argc, char **argv)
{
  gboolean json = FALSE, train = FALSE;
  int batch = 1, threads = 0, runs = 21;
  GOptionEntry entries[] = {
    { "batch", 'b', 0, G_OPTION_ARG_INT, &batch, "Samples per forward (default 1)", "N" },
    { "train", 0, 0, G_OPTION_ARG_NONE, &train,
      "Profile a training step (forward, loss, backward, Adam step) instead of an inference forward", NULL },
    { "threads", 't', 0, G_OPTION_ARG_INT, &threads, "Threads (default: OpenBLAS's)", "T" },
    { "runs", 'r', 0, G_OPTION_ARG_INT, &runs, "Timed runs after one warm-up (default 21)", "R" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print one JSON object", NULL },
    { NULL },
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("MODEL - time each layer of a forward or training step");
  g_option_context_set_description (ctx,
      "Weights do not change the time: a .json spec runs with random ones. Times are wall clock: on a busy\n"
      "machine compare proportions.\n\nExample: nn profile models/fashion-lenet.safetensors --batch 64 --threads 1\n");
  g_option_context_add_main_entries (ctx, entries, NULL);
  int status = 0;
  if (!cli_parse (ctx, &argc, &argv, &status))
    return status;
  if (argc != 2)
    return cli_usage ("profile", "expected one MODEL");
  if (batch < 1 || runs < 1 || threads < 0)
    return cli_usage ("profile", "--batch and --runs must be at least 1, --threads at least 0");
  cli_threads (threads);
  g_autoptr (GError) e = NULL;
  g_autoptr (NnModel) m = cli_load_model (argv[1], TRUE, &e);
  if (!m)
    return cli_fail ("profile", e);
  g_autoptr (NnModelProfile) p = nn_model_profile (m, batch, train, runs, &e);
  if (!p)
    return cli_fail ("profile", e);
  if (json)
    return print_json (argv[1], p);
  print_text (argv[1], p);
  return 0;
}
