/* NnSpec: malformed specs each give their own exact message (code, JSON path,
 * the nearest valid key); valid specs parse to the expected typed values;
 * every shipped model's spec parses; docs/spec.md carries the key tables
 * generated from the registry; `nn info` prints the typed layers. */
#include <check.h>
#include <glib/gstdio.h>
#include "nn-private.h"
#include "../check-run.h"

#define IN3 "\"input\": [3], "
#define DENSE "{\"type\": \"dense\", \"units\": 2}"

typedef struct {
  const char *json;
  int         code;
  const char *message;
} BadSpec;

static const BadSpec bad_specs[] = {
  { "[1, 2]", NN_ERROR_FORMAT, "spec: not a JSON object" },
  { "{\"layers\": [" DENSE "]}", NN_ERROR_FORMAT, "spec: needs \"input\"" },
  { "{" IN3 "\"layers\": [" DENSE "], \"inputs\": [3]}", NN_ERROR_FORMAT,
    "inputs: unknown key (did you mean \"input\"?)" },
  { "{" IN3 "\"layers\": [" DENSE "], \"optimizer\": \"adam\"}", NN_ERROR_FORMAT,
    "optimizer: unknown key (valid: input, labels, preprocess, layers, gan, vocab, text)" },
  { "{\"input\": [0], \"layers\": [" DENSE "]}", NN_ERROR_FORMAT,
    "input: must be an array of 1 to 4 integers in [1, 16777216]" },
  { "{" IN3 "\"layers\": []}", NN_ERROR_FORMAT, "layers: must be a non-empty array of layer objects" },
  { "{" IN3 "\"labels\": []}", NN_ERROR_FORMAT, "spec: needs \"layers\"" },
  { "{" IN3 "\"labels\": [\"a\", 2], \"layers\": [" DENSE "]}", NN_ERROR_FORMAT,
    "labels: must be an array of strings" },
  { "{" IN3 "\"preprocess\": 1, \"layers\": [" DENSE "]}", NN_ERROR_FORMAT, "preprocess: must be an object" },
  { "{" IN3 "\"preprocess\": {\"rescal\": 1}, \"layers\": [" DENSE "]}", NN_ERROR_FORMAT,
    "preprocess.rescal: unknown key (did you mean \"rescale\"?)" },
  { "{" IN3 "\"preprocess\": {\"mean\": [0.5, 0.5]}, \"layers\": [" DENSE "]}", NN_ERROR_FORMAT,
    "preprocess.mean: must be a number or an array of 1 (one per channel), not of 2" },
  { "{" IN3 "\"preprocess\": {\"std\": 0}, \"layers\": [" DENSE "]}", NN_ERROR_FORMAT,
    "preprocess.std: must not be 0" },
  { "{" IN3 "\"preprocess\": {\"fps\": \"fast\"}, \"layers\": [" DENSE "]}", NN_ERROR_FORMAT,
    "preprocess.fps: must be a number >= 0" },
  { "{" IN3 "\"preprocess\": {\"clips\": 0}, \"layers\": [" DENSE "]}", NN_ERROR_FORMAT,
    "preprocess.clips: must be an integer >= 1" },
  { "{" IN3 "\"vocab\": 5, \"layers\": [" DENSE "]}", NN_ERROR_FORMAT, "vocab: must be a string" },
  { "{" IN3 "\"gan\": {\"latent\": 2, \"clases\": []}, \"layers\": [" DENSE "]}", NN_ERROR_FORMAT,
    "gan.clases: unknown key (did you mean \"classes\"?)" },
  { "{" IN3 "\"gan\": {}, \"layers\": [" DENSE "]}", NN_ERROR_FORMAT, "gan: needs \"latent\"" },
  { "{" IN3 "\"gan\": {\"latent\": 0}, \"layers\": [" DENSE "]}", NN_ERROR_FORMAT,
    "gan.latent: must be an integer >= 1" },
  { "{" IN3 "\"gan\": {\"latent\": 2, \"classes\": \"a\"}, \"layers\": [" DENSE "]}", NN_ERROR_FORMAT,
    "gan.classes: must be an array of strings" },
  { "{" IN3 "\"gan\": {\"latent\": 2, \"range\": [1, \"x\"]}, \"layers\": [" DENSE "]}", NN_ERROR_FORMAT,
    "gan.range: must be [lo, hi] with lo < hi" },
  { "{" IN3 "\"layers\": [3]}", NN_ERROR_FORMAT, "layers[0]: must be an object" },
  { "{" IN3 "\"layers\": [{\"name\": \"d\", \"units\": 2}]}", NN_ERROR_FORMAT, "layers[0]: no \"type\" (layer \"d\")" },
  { "{" IN3 "\"layers\": [{\"type\": 3}]}", NN_ERROR_FORMAT, "layers[0].type: must be a string (layer \"layer0\")" },
  { "{" IN3 "\"layers\": [{\"type\": \"dens\", \"units\": 2}]}", NN_ERROR_UNKNOWN_LAYER,
    "layers[0].type: unknown layer type \"dens\" (did you mean \"dense\"? known: dense, sigmoid, tanh, relu, "
    "leaky_relu, softmax, log_softmax, dropout, conv2d, conv2d_transpose, maxpool2d, avgpool2d, global_avgpool, "
    "flatten, batchnorm2d, upsample2d, embedding, rnn, lstm, convlstm2d, time_distributed) (layer \"dens0\")" },
  { "{" IN3 "\"layers\": [{\"type\": \"dense\", \"units\": 2, \"activaton\": \"relu\"}]}", NN_ERROR_FORMAT,
    "layers[0].activaton: unknown key (did you mean \"activation\"?)" },
  { "{" IN3 "\"layers\": [{\"type\": \"flatten\", \"zzz\": 1}]}", NN_ERROR_FORMAT,
    "layers[0].zzz: unknown key (valid: type, name, activation)" },
  { "{" IN3 "\"layers\": [{\"type\": \"dense\"}]}", NN_ERROR_INVALID,
    "layers[0]: dense needs \"units\" (layer \"dense0\")" },
  { "{" IN3 "\"layers\": [{\"type\": \"dense\", \"units\": -2, \"name\": \"d\"}]}", NN_ERROR_INVALID,
    "layers[0].units: must be an integer >= 1 (layer \"d\")" },
  { "{" IN3 "\"layers\": [{\"type\": \"dense\", \"units\": 2, \"bias\": \"yes\"}]}", NN_ERROR_INVALID,
    "layers[0].bias: must be true or false (layer \"dense0\")" },
  { "{" IN3 "\"layers\": [{\"type\": \"dense\", \"units\": 2, \"activation\": \"swish\"}]}", NN_ERROR_INVALID,
    "layers[0].activation: unknown activation \"swish\" (known: linear, sigmoid, tanh, relu, leaky_relu, softmax, "
    "log_softmax) (layer \"dense0\")" },
  { "{" IN3 "\"layers\": [{\"type\": \"dense\", \"units\": 2, \"activation\": \"rleu\"}]}", NN_ERROR_INVALID,
    "layers[0].activation: unknown activation \"rleu\" (did you mean \"relu\"? known: linear, sigmoid, tanh, relu, "
    "leaky_relu, softmax, log_softmax) (layer \"dense0\")" },
  { "{" IN3 "\"layers\": [{\"type\": \"dense\", \"units\": 2, \"activation\": {\"slope\": 0.5}}]}", NN_ERROR_INVALID,
    "layers[0].activation: must be a name or an object with a \"type\" (layer \"dense0\")" },
  { "{" IN3 "\"layers\": [{\"type\": \"dense\", \"units\": 2, \"activation\": {\"type\": \"leaky_relu\", "
    "\"slop\": 0.2}}]}", NN_ERROR_FORMAT, "layers[0].activation.slop: unknown key (did you mean \"slope\"?)" },
  { "{" IN3 "\"layers\": [{\"type\": \"dense\", \"units\": 2, \"activation\": {\"type\": \"leaky_relu\", "
    "\"slope\": 2}}]}", NN_ERROR_INVALID, "layers[0].activation.slope: must be a number in [1e-06, 1] (layer \"dense0\")" },
  { "{" IN3 "\"layers\": [{\"type\": \"dropout\", \"rate\": 1.5}]}", NN_ERROR_INVALID,
    "layers[0].rate: must be a number in [0, 0.999] (layer \"dropout0\")" },
  { "{\"input\": [1, 8, 8], \"layers\": [{\"type\": \"conv2d\", \"name\": \"c\", \"filters\": 2, \"kernel\": 3, "
    "\"padding\": \"full\"}]}", NN_ERROR_INVALID, "layers[0].padding: must be \"valid\", \"same\", an integer >= 0 "
    "or an array of 2 or 4 of them (layer \"c\")" },
  { "{\"input\": [1, 8, 8], \"layers\": [{\"type\": \"conv2d\", \"name\": \"c\", \"filters\": 2, "
    "\"kernel\": [3, 3, 3]}]}", NN_ERROR_INVALID,
    "layers[0].kernel: must be an integer >= 1 or an array of 2 of them (layer \"c\")" },
  { "{\"input\": [1, 8, 8], \"layers\": [{\"type\": \"maxpool2d\", \"size\": 0}]}", NN_ERROR_INVALID,
    "layers[0].size: must be an integer >= 1 or an array of 2 of them (layer \"maxpool2d0\")" },
  { "{\"input\": [1, 8, 8], \"layers\": [{\"type\": \"upsample2d\", \"name\": \"up\", \"mode\": \"cubic\"}]}",
    NN_ERROR_INVALID, "layers[0].mode: must be \"nearest\" or \"bilinear\" (layer \"up\")" },
  { "{\"input\": [1, 8, 8], \"layers\": [{\"type\": \"batchnorm2d\", \"name\": \"bn\", \"eps\": 0}]}",
    NN_ERROR_INVALID, "layers[0].eps: must be a number in [1e-12, 1] (layer \"bn\")" },
  { "{\"input\": [4, 3], \"layers\": [{\"type\": \"rnn\", \"units\": 2, \"nonlinearity\": \"gelu\"}]}",
    NN_ERROR_INVALID, "layers[0].nonlinearity: must be \"tanh\" or \"relu\" (layer \"rnn0\")" },
  { "{\"input\": [4, 3], \"layers\": [{\"type\": \"lstm\", \"units\": 2, \"return_sequences\": 1}]}",
    NN_ERROR_INVALID, "layers[0].return_sequences: must be true or false (layer \"lstm0\")" },
  { "{\"input\": [4, 3], \"layers\": [{\"type\": \"softmax\", \"axis\": \"last\"}]}", NN_ERROR_INVALID,
    "layers[0].axis: must be an integer in [-5, 4] (layer \"softmax0\")" },
  { "{\"input\": [4, 3], \"layers\": [{\"type\": \"time_distributed\", \"name\": \"td\"}]}", NN_ERROR_INVALID,
    "layers[0]: time_distributed needs \"layer\" (layer \"td\")" },
  { "{\"input\": [4, 3], \"layers\": [{\"type\": \"time_distributed\", \"name\": \"td\", \"layer\": {\"type\": "
    "\"dense\", \"units\": 2, \"activation\": \"relu\"}}]}", NN_ERROR_INVALID,
    "layers[0].layer.activation: not allowed in time_distributed's layer: put the activation after "
    "time_distributed (softmax with \"axis\": -1 for per-step classes) (layer \"td\")" },
  { "{\"input\": [4, 3], \"layers\": [{\"type\": \"time_distributed\", \"layer\": {\"type\": \"dense\", "
    "\"unit\": 2}}]}", NN_ERROR_FORMAT, "layers[0].layer.unit: unknown key (did you mean \"units\"?)" },
  { "{" IN3 "\"layers\": [{\"type\": \"dense\", \"units\": 2, \"name\": \"a\"}, {\"type\": \"dense\", "
    "\"units\": 2, \"name\": \"a\"}]}", NN_ERROR_FORMAT, "layers[1].name: two layers are named \"a\"" },
  { "{" IN3 "\"layers\": [{\"type\": \"dense\", \"units\": 2, \"name\": \"a_relu\"}, {\"type\": \"dense\", "
    "\"units\": 2, \"name\": \"a\", \"activation\": \"relu\"}]}", NN_ERROR_FORMAT,
    "layers[1].activation: two layers are named \"a_relu\"" },
  { "{" IN3 "\"layers\": [{\"type\": \"dense\", \"units\": 2, \"name\": 5}]}", NN_ERROR_FORMAT,
    "layers[0].name: must be a string" },
};

START_TEST (test_malformed)
{
  const BadSpec *b = &bad_specs[_i];
  g_autoptr (GError) e = NULL;
  g_autoptr (NnSpec) s = nn_spec_parse (b->json, NULL, &e);
  ck_assert_msg (s == NULL, "accepted: %s", b->json);
  ck_assert_msg (e->domain == NN_ERROR && e->code == b->code, "code %d, wanted %d: %s", e->code, b->code,
                 e->message);
  ck_assert_str_eq (e->message, b->message);
  /* every case has a message of its own */
  for (int j = 0; j < _i; j++)
    ck_assert_msg (strcmp (bad_specs[j].message, b->message) != 0, "cases %d and %d share a message", j, _i);
  /* nn_model_new_from_spec reports the same */
  g_autoptr (GError) e2 = NULL;
  g_autoptr (NnModel) m = nn_model_new_from_spec (b->json, 1, &e2);
  ck_assert (m == NULL);
  ck_assert_str_eq (e2->message, b->message);
}
END_TEST

START_TEST (test_invalid_json)
{
  g_autoptr (GError) e = NULL;
  g_autoptr (NnSpec) s = nn_spec_parse ("{\"input\": [3], \"layers\": [", NULL, &e);
  ck_assert (s == NULL && g_error_matches (e, NN_ERROR, NN_ERROR_FORMAT));
  ck_assert_msg (g_str_has_prefix (e->message, "spec: invalid JSON: "), "%s", e->message);
}
END_TEST

/* A file's name starts its messages, from the spec and from the layers. */
START_TEST (test_source_prefix)
{
  g_autoptr (GError) e = NULL;
  g_autoptr (NnSpec) s = nn_spec_parse ("{\"input\": [3], \"layers\": [{\"type\": \"dense\", \"units\": 2, "
                                        "\"activaton\": \"relu\"}]}", "models/x.json", &e);
  ck_assert (s == NULL);
  ck_assert_str_eq (e->message, "models/x.json: layers[0].activaton: unknown key (did you mean \"activation\"?)");
  g_clear_error (&e);
  g_autofree char *dir = g_dir_make_tmp ("nn-spec-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "typo.json", NULL);
  ck_assert (g_file_set_contents (path, "{\"input\": [3], \"preprocess\": {\"sdt\": 1}, \"layers\": [{\"type\": "
                                        "\"dense\", \"units\": 2}]}", -1, NULL));
  g_autoptr (NnModel) m = nn_model_load (path, &e);
  ck_assert (m == NULL);
  g_autofree char *want = g_strdup_printf ("%s: preprocess.sdt: unknown key (did you mean \"std\"?)", path);
  ck_assert_str_eq (e->message, want);
  g_clear_error (&e);
  /* a shape error found while building names the file and the layer */
  ck_assert (g_file_set_contents (path, "{\"input\": [3], \"layers\": [{\"type\": \"conv2d\", \"name\": \"c\", "
                                        "\"filters\": 2, \"kernel\": 3}]}", -1, NULL));
  g_autoptr (NnModel) m2 = nn_model_load (path, &e);
  ck_assert (m2 == NULL && g_error_matches (e, NN_ERROR, NN_ERROR_SHAPE));
  ck_assert_msg (g_str_has_prefix (e->message, path) && strstr (e->message, "\"c\""), "%s", e->message);
  g_clear_error (&e);
  g_autoptr (NnSpec) none = nn_spec_load ("/nonexistent/spec.json", &e);
  ck_assert (none == NULL && g_error_matches (e, NN_ERROR, NN_ERROR_IO));
  ck_assert (strstr (e->message, "/nonexistent/spec.json"));
  g_unlink (path);
  g_rmdir (dir);
}
END_TEST

START_TEST (test_typed_values)
{
  g_autoptr (GError) e = NULL;
  g_autoptr (NnSpec) s = nn_spec_parse (
    "{\"input\": [2, 3, 8, 8], \"labels\": [\"a\", \"b\"], \"vocab\": \"xy\",\n"
    " \"preprocess\": {\"rescale\": 0.5, \"mean\": [0.1, 0.2, 0.3], \"std\": 2, \"fps\": 6, \"clips\": 3},\n"
    " \"layers\": [\n"
    "  {\"type\": \"time_distributed\", \"name\": \"td\", \"layer\": {\"type\": \"conv2d\", \"filters\": 4, "
    "\"kernel\": [3, 5], \"padding\": \"same\"}},\n"
    "  {\"type\": \"time_distributed\", \"layer\": {\"type\": \"maxpool2d\"}},\n"
    "  {\"type\": \"convlstm2d\", \"filters\": 2, \"kernel\": 3, \"activation\": {\"type\": \"leaky_relu\", "
    "\"slope\": 0.2}},\n"
    "  {\"type\": \"flatten\"},\n"
    "  {\"type\": \"dense\", \"units\": 2, \"bias\": false, \"activation\": \"softmax\"}]}", "t.json", &e);
  ck_assert_msg (s != NULL, "%s", e ? e->message : "");
  ck_assert_str_eq (nn_spec_source (s), "t.json");
  const NnShape *in = nn_spec_input_shape (s);
  ck_assert_int_eq (in->ndim, 4);
  ck_assert_int_eq (in->dim[1], 3);
  const NnPreprocess *p = nn_spec_preprocess (s);
  ck_assert_int_eq (p->channels, 3);
  ck_assert_int_eq (p->height, 8);
  ck_assert_float_eq (p->rescale, 0.5f);
  ck_assert_float_eq (p->mean[2], 0.3f);
  ck_assert_float_eq (p->std[1], 2.0f);
  ck_assert (nn_spec_fps (s) == 6.0);
  ck_assert_int_eq (nn_spec_clips (s), 3);
  ck_assert_int_eq (nn_spec_n_labels (s), 2);
  ck_assert_str_eq (nn_spec_label (s, 1), "b");
  ck_assert_ptr_null (nn_spec_label (s, 2));
  ck_assert_str_eq (nn_spec_vocab (s), "xy");
  ck_assert (!nn_spec_is_generator (s));
  ck_assert_int_eq (nn_spec_n_layers (s), 5);

  const NnSpecLayer *td = nn_spec_layer (s, 0), *conv = nn_spec_layer_inner (td);
  ck_assert_str_eq (nn_spec_layer_name (td), "td");
  ck_assert_str_eq (nn_spec_layer_type (conv), "conv2d");
  int v[4] = { 0 };
  ck_assert_int_eq (nn_spec_layer_int (conv, "filters"), 4);
  ck_assert_int_eq (nn_spec_layer_ints (conv, "kernel", v), 2);
  ck_assert (v[0] == 3 && v[1] == 5);
  ck_assert_int_eq (nn_spec_layer_ints (conv, "stride", v), 1);  /* the default, 1 */
  ck_assert_int_eq (v[0], 1);
  ck_assert (!nn_spec_layer_has (conv, "stride") && nn_spec_layer_has (conv, "padding"));
  ck_assert_str_eq (nn_spec_layer_string (conv, "padding"), "same");
  ck_assert_int_eq (nn_spec_layer_ints (conv, "padding", v), 0);
  ck_assert (nn_spec_layer_bool (conv, "bias"));
  const NnSpecLayer *pool = nn_spec_layer_inner (nn_spec_layer (s, 1));
  ck_assert_str_eq (nn_spec_layer_name (nn_spec_layer (s, 1)), "time_distributed1");
  ck_assert_int_eq (nn_spec_layer_ints (pool, "size", v), 1);
  ck_assert_int_eq (v[0], 2);
  ck_assert_int_eq (nn_spec_layer_ints (pool, "stride", v), 0);  /* no default: the size is used */

  const NnSpecLayer *cl = nn_spec_layer (s, 2), *act = nn_spec_layer_activation (cl);
  ck_assert_str_eq (nn_spec_layer_name (cl), "convlstm2d2");
  ck_assert_int_eq (nn_spec_layer_ints (cl, "kernel", v), 1);   /* a plain integer key reads as one */
  ck_assert_int_eq (v[0], 3);
  ck_assert (!nn_spec_layer_bool (cl, "return_sequences") && !nn_spec_layer_bool (cl, "stateful"));
  ck_assert_str_eq (nn_spec_layer_name (act), "convlstm2d2_leaky_relu");
  ck_assert (nn_spec_layer_double (act, "slope") == 0.2);
  ck_assert_ptr_null (nn_spec_layer_activation (nn_spec_layer (s, 3)));
  const NnSpecLayer *fc = nn_spec_layer (s, 4);
  ck_assert (!nn_spec_layer_bool (fc, "bias"));
  ck_assert_str_eq (nn_spec_layer_type (nn_spec_layer_activation (fc)), "softmax");
  ck_assert_int_eq (nn_spec_layer_int (nn_spec_layer_activation (fc), "axis"), 0);
  ck_assert_ptr_null (nn_spec_layer (s, 5));

  /* display texts: given values, defaults, nested layers */
  g_autofree char *t_kernel = nn_spec_layer_option_text (conv, 4);
  ck_assert_str_eq (nn_spec_layer_option_name (conv, 4), "kernel");
  ck_assert_str_eq (t_kernel, "[3, 5]");
  ck_assert (nn_spec_layer_option_is_set (conv, 4) && !nn_spec_layer_option_is_set (conv, 5));
  g_autofree char *t_act = nn_spec_layer_option_text (cl, 2);
  ck_assert_str_eq (t_act, "leaky_relu(slope=0.2)");
  g_autofree char *t_inner = nn_spec_layer_option_text (td, 3);
  ck_assert_str_eq (t_inner, "conv2d(filters=4 kernel=[3, 5] stride=1 padding=\"same\" bias=true)");

  /* the model built from it: layers from the typed values, the spec kept */
  g_autoptr (NnModel) m = nn_model_new (s, 1, &e);
  ck_assert_msg (m != NULL, "%s", e ? e->message : "");
  ck_assert_ptr_eq (nn_model_get_spec (m), s);
  ck_assert_int_eq (nn_model_n_layers (m), 7);
  NnLayerInfo li;
  nn_model_layer_info (m, 0, &li);
  ck_assert_int_eq (li.out.dim[1], 4);   /* [T, 4, 8, 8]: "same" */
  ck_assert_int_eq (li.out.dim[3], 8);
  nn_model_layer_info (m, 3, &li);
  ck_assert_str_eq (li.name, "convlstm2d2_leaky_relu");
  ck_assert_str_eq (nn_model_label (m, 0), "a");
  ck_assert_float_eq (nn_model_preprocess (m)->mean[1], 0.2f);
}
END_TEST

/* Standalone layers (nn_layer_new) go through the same tables. */
START_TEST (test_standalone_layer)
{
  g_autoptr (GError) e = NULL;
  NnShape in = nn_shape_1d (3);
  NnLayer *l = nn_layer_new ("{\"type\": \"dense\", \"name\": \"fc\", \"unit\": 2}", &in, 1, &e);
  ck_assert (l == NULL);
  ck_assert_str_eq (e->message, "layer.unit: unknown key (did you mean \"units\"?)");
  g_clear_error (&e);
  l = nn_layer_new ("{\"type\": \"dense\", \"units\": 2}", &in, 1, &e);
  ck_assert (l != NULL);
  ck_assert_str_eq (l->name, "dense");
  ck_assert_int_eq (l->out.dim[0], 2);
  nn_layer_free (l);
}
END_TEST

/* A dataset is shaped by the spec alone (and the network's output shape):
 * labels name the CSV's classes. */
START_TEST (test_dataset_from_spec)
{
  g_autoptr (GError) e = NULL;
  g_autoptr (NnSpec) s = nn_spec_parse ("{\"input\": [2], \"labels\": [\"no\", \"yes\"], \"layers\": ["
                                        "{\"type\": \"dense\", \"units\": 2}]}", NULL, &e);
  ck_assert (s != NULL);
  g_autofree char *dir = g_dir_make_tmp ("nn-spec-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "rows.csv", NULL);
  ck_assert (g_file_set_contents (path, "1,2,yes\n3,4,no\n", -1, NULL));
  g_autofree char *uri = g_strdup_printf ("csv:%s", path);
  NnShape out = nn_shape_1d (2);
  g_autoptr (NnDataset) ds = nn_dataset_load_spec (uri, s, &out, &e);
  ck_assert_msg (ds != NULL, "%s", e ? e->message : "");
  ck_assert_int_eq (ds->n, 2);
  ck_assert_int_eq (ds->labels[0], 1);
  ck_assert_int_eq (ds->labels[1], 0);
  ck_assert_float_eq (ds->x[2], 3.0f);
  g_unlink (path);
  g_rmdir (dir);
}
END_TEST

/* Every shipped model and spec parses, and the typed view agrees with the model. */
START_TEST (test_shipped_models)
{
  const char *root = g_getenv ("NN_SOURCE_ROOT");
  ck_assert (root != NULL);
  g_autofree char *dir = g_build_filename (root, "models", NULL);
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  ck_assert (d != NULL);
  int n = 0;
  for (const char *f; (f = g_dir_read_name (d));) {
    if (!g_str_has_suffix (f, ".json") && !g_str_has_suffix (f, ".safetensors"))
      continue;
    g_autofree char *path = g_build_filename (dir, f, NULL);
    g_autoptr (GError) e = NULL;
    g_autoptr (NnSpec) s = nn_spec_load (path, &e);
    ck_assert_msg (s != NULL, "%s", e ? e->message : "");
    ck_assert_int_ge (nn_spec_n_layers (s), 1);
    n++;
  }
  ck_assert_int_ge (n, 10);
}
END_TEST

static G_GNUC_NO_INLINE char *
read_source (const char *rel)
{
  const char *root = g_getenv ("NN_SOURCE_ROOT");
  ck_assert (root != NULL);
  g_autofree char *path = g_build_filename (root, rel, NULL);
  char *text = NULL;
  gboolean ok = g_file_get_contents (path, &text, NULL, NULL);
  ck_assert_msg (ok, "cannot read %s", path);
  return text;
}

/* docs/spec.md carries the generated key tables unchanged, so it misses no
 * key of any table (regenerate: nn info --keys). */
START_TEST (test_docs_tables)
{
  g_autofree char *doc = read_source ("docs/spec.md");
  g_autofree char *md = nn_spec_keys_markdown ();
  ck_assert_msg (strstr (doc, md) != NULL, "docs/spec.md's key tables differ from the registry's: run "
                 "`nn info --keys` and paste its output between the keys:begin and keys:end markers");
  /* and each key of each table has its row */
  int nc;
  const NnLayerClass *const *all = nn_layer_classes (&nc);
  for (int i = 0; i < nc; i++) {
    g_autofree char *head = g_strdup_printf ("### `%s`", all[i]->type);
    ck_assert_msg (strstr (doc, head), "docs/spec.md has no section for %s", all[i]->type);
    for (int k = 0; k < all[i]->n_keys; k++) {
      g_autofree char *row = g_strdup_printf ("| `%s` |", all[i]->keys[k].name);
      ck_assert_msg (strstr (strstr (doc, head), row), "docs/spec.md misses %s.%s", all[i]->type,
                     all[i]->keys[k].name);
    }
  }
}
END_TEST

static char *
run_nn (const char *const *args, int *status)
{
  const char *build = g_getenv ("NN_BUILD_ROOT");
  ck_assert (build != NULL);
  g_autofree char *nn = g_build_filename (build, "cli", "nn", NULL);
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_ptr_array_add (argv, nn);
  for (int i = 0; args[i]; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);
  char *out = NULL;
  g_autoptr (GError) e = NULL;
  ck_assert_msg (g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, &out,
                               NULL, status, &e), "%s", e ? e->message : "");
  return out;
}

START_TEST (test_nn_info)
{
  int status;
  const char *keys_args[] = { "info", "--keys", NULL };
  g_autofree char *keys = run_nn (keys_args, &status);
  ck_assert_int_eq (status, 0);
  g_autofree char *md = nn_spec_keys_markdown ();
  ck_assert_str_eq (keys, md);
  const char *root = g_getenv ("NN_SOURCE_ROOT");
  g_autofree char *lenet = g_build_filename (root, "models", "fashion-lenet.json", NULL);
  const char *info_args[] = { "info", lenet, NULL };
  g_autofree char *info = run_nn (info_args, &status);
  ck_assert_int_eq (status, 0);
  ck_assert_msg (strstr (info, "spec layers (typed options; * = default)\n"), "%s", info);
  /* conv1: given keys plain, defaults starred, the activation typed */
  ck_assert_msg (strstr (info, "layers[0]    conv1              conv2d           activation=relu filters=16 kernel=3 "
                               "stride=1* padding=\"same\" bias=true*\n"), "%s", info);
  ck_assert_msg (strstr (info, "preprocess channels 1, size 28x28"), "%s", info);
}
END_TEST

static Suite *
suite (void)
{
  Suite *s = suite_create ("spec");
  TCase *tc = tcase_create ("spec");
  tcase_add_loop_test (tc, test_malformed, 0, G_N_ELEMENTS (bad_specs));
  tcase_add_test (tc, test_invalid_json);
  tcase_add_test (tc, test_source_prefix);
  tcase_add_test (tc, test_typed_values);
  tcase_add_test (tc, test_standalone_layer);
  tcase_add_test (tc, test_dataset_from_spec);
  tcase_add_test (tc, test_shipped_models);
  tcase_add_test (tc, test_docs_tables);
  tcase_add_test (tc, test_nn_info);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  return nn_check_run (suite ());
}
