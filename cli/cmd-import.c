/* nn import: an ONNX model -> a .safetensors model file (docs/onnx.md). The
 * labels and preprocessing ONNX does not carry come from the sidecar beside
 * the file (MODEL.json or MODEL.onnx.json), --sidecar, or the options, which
 * override the sidecar's. */
#include "nn-cli.h"

/* --labels a,b,c or the non-empty lines of --labels-file, as a JSON array. */
static gboolean
add_labels (JsonBuilder *b, const char *list, const char *file, GError **error)
{
  g_autofree char *text = NULL;
  if (file && !g_file_get_contents (file, &text, NULL, error))
    return FALSE;
  g_auto (GStrv) items = g_strsplit (file ? text : list, file ? "\n" : ",", -1);
  json_builder_set_member_name (b, "labels");
  json_builder_begin_array (b);
  for (char **s = items; *s; s++)
    if (*g_strstrip (*s))
      json_builder_add_string_value (b, *s);
  json_builder_end_array (b);
  return TRUE;
}

/* --preprocess JSON: an object with the spec's preprocess keys. */
static gboolean
add_preprocess (JsonBuilder *b, const char *json, GError **error)
{
  g_autoptr (JsonParser) p = json_parser_new ();
  if (!json_parser_load_from_data (p, json, -1, error))
    return FALSE;
  JsonNode *root = json_parser_get_root (p);
  if (!root || !JSON_NODE_HOLDS_OBJECT (root)) {
    g_set_error (error, NN_ERROR, NN_ERROR_INVALID, "--preprocess: not a JSON object");
    return FALSE;
  }
  json_builder_set_member_name (b, "preprocess");
  json_builder_add_value (b, json_node_copy (root));
  return TRUE;
}

int
cmd_import (int argc, char **argv)
{
  g_autofree char *out = NULL, *labels = NULL, *labels_file = NULL, *preprocess = NULL, *sidecar = NULL;
  GOptionEntry entries[] = {
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &out, "The model file to write (.safetensors)", "FILE" },
    { "labels", 0, 0, G_OPTION_ARG_STRING, &labels, "Class names, comma-separated, one per output", "A,B,C" },
    { "labels-file", 0, 0, G_OPTION_ARG_FILENAME, &labels_file, "Class names, one per line", "FILE" },
    { "preprocess", 0, 0, G_OPTION_ARG_STRING, &preprocess,
      "How 8-bit images become the input, as the spec's \"preprocess\" object, e.g. "
      "'{\"rescale\": 0.00392, \"mean\": [0.485, 0.456, 0.406], \"std\": [0.229, 0.224, 0.225]}'", "JSON" },
    { "sidecar", 0, 0, G_OPTION_ARG_FILENAME, &sidecar,
      "JSON with \"labels\", \"preprocess\" (and \"gan\", \"vocab\", \"text\"); default MODEL.json or "
      "MODEL.onnx.json beside the model when there", "FILE" },
    { NULL },
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("MODEL.onnx -o MODEL.safetensors - import an ONNX model");
  g_option_context_set_description (ctx,
    "Maps the ONNX graph (opsets 11 to 17) onto nn's layers and writes a model file whose spec\n"
    "and weights (PyTorch's names and layouts) every nn verb and element reads. The elements and\n"
    "verbs also take MODEL.onnx directly; importing once checks it and saves the work at each load.\n"
    "Supported ops, attributes and the sidecar: docs/onnx.md.\n\n"
    "Example:\n  nn import lenet.onnx -o lenet.safetensors --labels-file classes.txt \\\n"
    "      --preprocess '{\"rescale\": 0.00392156862745098}'");
  g_option_context_add_main_entries (ctx, entries, NULL);
  int status = 0;
  if (!cli_parse (ctx, &argc, &argv, &status))
    return status;
  if (argc != 2)
    return cli_usage ("import", "expected one MODEL.onnx");
  if (!out)
    return cli_usage ("import", "-o MODEL.safetensors is required");
  if (labels && labels_file)
    return cli_usage ("import", "--labels and --labels-file exclude each other");

  g_autoptr (GError) e = NULL;
  g_autoptr (JsonBuilder) b = json_builder_new ();
  json_builder_begin_object (b);
  if ((labels || labels_file) && !add_labels (b, labels, labels_file, &e))
    return cli_fail ("import", e);
  if (preprocess && !add_preprocess (b, preprocess, &e)) {
    g_prefix_error (&e, "--preprocess: ");
    return cli_fail ("import", e);
  }
  json_builder_end_object (b);
  g_autoptr (JsonNode) root = json_builder_get_root (b);
  g_autofree char *extra = json_to_string (root, FALSE);

  g_autoptr (NnModel) m = nn_model_import_onnx_with (argv[1], sidecar, extra, &e);
  if (!m || !nn_model_save (m, out, &e))
    return cli_fail ("import", e);
  char in[64], o[64];
  printf ("%s -> %s: %d layers, input %s, output %s, %d labels\n", argv[1], out, nn_model_n_layers (m),
          nn_shape_to_string (nn_model_input_shape (m), in, sizeof in),
          nn_shape_to_string (nn_model_output_shape (m), o, sizeof o), nn_model_n_labels (m));
  return 0;
}
