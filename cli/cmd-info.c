/* nn info: what a model or spec is made of: the built layers with their
 * shapes, parameters and FLOPs, then the spec's typed layers and options as
 * the registry's tables read them (defaults filled in). `nn info --keys`
 * prints those tables (the key tables of docs/spec.md). */
#include "nn-cli.h"

static void
print_spec_layer (const NnSpecLayer *l, const char *label)
{
  printf ("%-12s %-18s %-16s", label, nn_spec_layer_name (l), nn_spec_layer_type (l));
  /* options 0 and 1 are "type" and "name", printed above */
  for (int i = 2; i < nn_spec_layer_n_options (l); i++) {
    g_autofree char *v = nn_spec_layer_option_text (l, i);
    printf (" %s=%s%s", nn_spec_layer_option_name (l, i), v, nn_spec_layer_option_is_set (l, i) ? "" : "*");
  }
  printf ("\n");
}

int
cmd_info (int argc, char **argv)
{
  gboolean keys = FALSE;
  GOptionEntry entries[] = {
    { "keys", 0, 0, G_OPTION_ARG_NONE, &keys,
      "Print every spec key of every section and layer kind (Markdown, as in docs/spec.md) and exit", NULL },
    { NULL },
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("MODEL|SPEC - describe a model");
  g_option_context_add_main_entries (ctx, entries, NULL);
  int status = 0;
  if (!cli_parse (ctx, &argc, &argv, &status))
    return status;
  if (keys) {
    if (argc != 1)
      return cli_usage ("info", "--keys takes no MODEL");
    g_autofree char *md = nn_spec_keys_markdown ();
    fputs (md, stdout);
    return 0;
  }
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
  const NnSpec *spec = nn_model_get_spec (m);
  const NnPreprocess *p = nn_spec_preprocess (spec);
  printf ("preprocess channels %d, size %dx%d, rescale %g, mean", p->channels, p->width, p->height, p->rescale);
  for (int c = 0; c < MIN (p->channels, 3); c++)
    printf (" %g", p->mean[c]);
  printf (", std");
  for (int c = 0; c < MIN (p->channels, 3); c++)
    printf (" %g", p->std[c]);
  if (nn_spec_fps (spec) > 0)
    printf (", fps %g, clips %d", nn_spec_fps (spec), nn_spec_clips (spec));
  printf ("\n");
  if (nn_spec_n_labels (spec)) {
    printf ("labels");
    for (int i = 0; i < nn_spec_n_labels (spec); i++)
      printf ("%s %s", i ? "," : "", nn_spec_label (spec, i));
    printf ("\n");
  }
  printf ("\nspec layers (typed options; * = default)\n");
  for (int i = 0; i < nn_spec_n_layers (spec); i++) {
    const NnSpecLayer *l = nn_spec_layer (spec, i);
    g_autofree char *label = g_strdup_printf ("layers[%d]", i);
    print_spec_layer (l, label);
  }
  return 0;
}
