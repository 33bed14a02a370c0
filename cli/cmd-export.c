/* nn export: a model as an ONNX file for other runtimes (docs/onnx.md,
 * "Export"). */
#include "nn-cli.h"

int
cmd_export (int argc, char **argv)
{
  g_autofree char *out = NULL;
  int opset = 13;
  gboolean sidecar = FALSE, random_weights = FALSE;
  GOptionEntry entries[] = {
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &out, "The ONNX file to write", "MODEL.onnx" },
    { "opset", 0, 0, G_OPTION_ARG_INT, &opset, "ONNX opset, 13 to 17 (default 13)", "N" },
    { "sidecar", 0, 0, G_OPTION_ARG_NONE, &sidecar,
      "Also write the labels, preprocess and other blocks ONNX does not carry to MODEL.json beside the file "
      "(they are in the file's metadata_props either way)", NULL },
    CLI_RANDOM_WEIGHTS_ENTRY (&random_weights),
    { NULL }
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("MODEL - write a model as ONNX");
  g_option_context_add_main_entries (ctx, entries, NULL);
  int status = 0;
  if (!cli_parse (ctx, &argc, &argv, &status))
    return status;
  if (argc != 2)
    return cli_usage ("export", "expected one MODEL");
  if (!out)
    return cli_usage ("export", "-o MODEL.onnx is required");
  if (opset < 13 || opset > 17)
    return cli_usage ("export", "--opset must be in 13..17");
  g_autofree char *json = NULL;
  if (sidecar) {
    g_autofree char *stem = g_str_has_suffix (out, ".onnx") ? g_strndup (out, strlen (out) - 5) : g_strdup (out);
    json = g_strconcat (stem, ".json", NULL);
  }
  g_autoptr (GError) e = NULL;
  g_autoptr (NnModel) m = cli_load_model (argv[1], random_weights, &e);
  if (!m || !nn_model_export_onnx (m, out, opset, json, &e))
    return cli_fail ("export", e);
  printf ("wrote %s (opset %d)%s%s\n", out, opset, json ? " and " : "", json ? json : "");
  return 0;
}
