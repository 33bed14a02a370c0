/* nn info: what a model or spec is made of. */
#include "nn-cli.h"

int
cmd_info (int argc, char **argv)
{
  g_autoptr (GOptionContext) ctx = g_option_context_new ("MODEL|SPEC - describe a model");
  int status = 0;
  if (!cli_parse (ctx, &argc, &argv, &status))
    return status;
  if (argc != 2)
    return cli_usage ("info", "expected one MODEL.safetensors or SPEC.json");
  g_autoptr (GError) e = NULL;
  g_autoptr (NnModel) m = nn_model_load (argv[1], &e);
  if (!m)
    return cli_fail ("info", e);
  char buf[64];
  printf ("%s\ninput %s\n\n%-18s %-14s %-18s %10s %12s\n", argv[1],
          nn_shape_to_string (nn_model_input_shape (m), buf, sizeof buf), "layer", "type", "output", "params",
          "FLOPs");
  int64_t params = 0, flops = 0;
  for (int i = 0; i < nn_model_n_layers (m); i++) {
    NnLayerInfo li;
    nn_model_layer_info (m, i, &li);
    printf ("%-18s %-14s %-18s %10" G_GINT64_FORMAT " %12" G_GINT64_FORMAT "\n", li.name, li.type,
            nn_shape_to_string (&li.out, buf, sizeof buf), li.n_params, li.flops);
    params += li.n_params;
    flops += li.flops;
  }
  printf ("\nparameters %" G_GINT64_FORMAT "\nFLOPs per sample %" G_GINT64_FORMAT " (%.2f MFLOP)\n", params, flops,
          flops / 1e6);
  const NnPreprocess *p = nn_model_preprocess (m);
  printf ("preprocess channels %d, size %dx%d, rescale %g\n", p->channels, p->width, p->height, p->rescale);
  if (nn_model_n_labels (m)) {
    printf ("labels");
    for (int i = 0; i < nn_model_n_labels (m); i++)
      printf ("%s %s", i ? "," : "", nn_model_label (m, i));
    printf ("\n");
  }
  return 0;
}
