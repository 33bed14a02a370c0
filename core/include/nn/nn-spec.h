/* NnSpec: a model spec parsed and validated once into typed values.
 * Include <nn/nn.h>, not this file.
 *
 * A spec (docs/spec.md) is JSON text; nn_spec_parse checks every key of it
 * against the key tables of the registry (top level, "preprocess", and one
 * table per layer kind), fills in the defaults, and reports the first problem
 * as a GError naming the JSON path:
 *
 *   models/x.json: layers[0].activaton: unknown key (did you mean "activation"?)
 *
 * Unknown keys and malformed JSON are NN_ERROR_FORMAT, values of the wrong
 * type or out of range are NN_ERROR_FORMAT at the top level and in
 * "preprocess", NN_ERROR_INVALID in a layer's options (the layer is named),
 * an unknown layer type NN_ERROR_UNKNOWN_LAYER. Shapes are checked when a
 * model is built from the spec (nn_model_new), which reads only the typed
 * values, never the JSON.
 *
 *   g_autoptr (NnSpec) s = nn_spec_load ("models/fashion-lenet.json", &err);
 *   const NnPreprocess *p = nn_spec_preprocess (s);
 *   g_autoptr (NnModel) m = nn_model_new (s, 1, &err);
 */
#pragma once

typedef struct _NnSpec NnSpec;
typedef struct _NnSpecLayer NnSpecLayer;

/* Parse JSON text. `source` names it in messages (a file name), or NULL.
 * Returns: (transfer full): a new spec, or NULL with `error` set. */
NN_API NnSpec *nn_spec_parse (const char *json, const char *source, GError **error) G_GNUC_WARN_UNUSED_RESULT;
/* A .json spec, or the "nn.spec" metadata of a .safetensors model file;
 * messages start with the file name.
 * Returns: (transfer full): a new spec, or NULL with `error` set. */
NN_API NnSpec *nn_spec_load (const char *path, GError **error) G_GNUC_WARN_UNUSED_RESULT;
/* Specs are reference counted (a model keeps a reference to the one it was
 * built from). Returns: (transfer full): `spec`. */
NN_API NnSpec *nn_spec_ref (NnSpec *spec);
/* Drops one reference; the last frees the spec. NULL is ignored. */
NN_API void    nn_spec_free (NnSpec *spec);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (NnSpec, nn_spec_free)

/* (transfer none) (nullable): the source given to nn_spec_parse / the path. */
NN_API const char    *nn_spec_source (const NnSpec *spec);
/* (transfer none): per-sample input shape, batch excluded. */
NN_API const NnShape *nn_spec_input_shape (const NnSpec *spec);
/* (transfer none): channels and size from "input", rescale, mean and std
 * from "preprocess", defaults filled in. */
NN_API const NnPreprocess *nn_spec_preprocess (const NnSpec *spec);
/* Video frame sampling ("preprocess" "fps": 0 = every frame; "clips", >= 1). */
NN_API double nn_spec_fps (const NnSpec *spec);
NN_API int    nn_spec_clips (const NnSpec *spec);
NN_API int    nn_spec_n_labels (const NnSpec *spec);
/* (transfer none) (nullable): label i, NULL when out of range. */
NN_API const char *nn_spec_label (const NnSpec *spec, int i);
/* (transfer none) (nullable): a character model's "vocab". */
NN_API const char *nn_spec_vocab (const NnSpec *spec);
/* Whether the spec has a "gan" block (a generator; nn_gan_spec reads it). */
NN_API gboolean    nn_spec_is_generator (const NnSpec *spec);
/* A generator's "gan" block, typed and checked when the spec was read: the
 * latent size, the class names (transfer none) (nullable: NULL when
 * unconditional) and the output range. FALSE when the spec has no block; any
 * out argument may be NULL. */
NN_API gboolean    nn_spec_gan (const NnSpec *spec, int *latent, const char *const **classes, int *n_classes,
                                float *lo, float *hi);
/* The spec as given, pretty-printed (transfer full). */
NN_API char       *nn_spec_to_json (const NnSpec *spec);

/* The layers as written, in order ("activation" options are not separate
 * layers here: see nn_spec_layer_activation). */
NN_API int                nn_spec_n_layers (const NnSpec *spec);
/* (transfer none): layer i, owned by the spec; NULL when out of range. */
NN_API const NnSpecLayer *nn_spec_layer (const NnSpec *spec, int i);
/* (transfer none): "dense", "conv2d", ... */
NN_API const char *nn_spec_layer_type (const NnSpecLayer *l);
/* (transfer none): the given name or "<type><index>". */
NN_API const char *nn_spec_layer_name (const NnSpecLayer *l);
/* (transfer none) (nullable): the layer appended by the "activation" option
 * (named "<name>_<type>"), NULL for none or "linear". */
NN_API const NnSpecLayer *nn_spec_layer_activation (const NnSpecLayer *l);
/* (transfer none) (nullable): time_distributed's inner layer. */
NN_API const NnSpecLayer *nn_spec_layer_inner (const NnSpecLayer *l);

/* Typed option values, defaults filled in. The key must be one of the kind's
 * table (a programmer error otherwise: 0, FALSE or NULL and a critical). */
NN_API gboolean    nn_spec_layer_has (const NnSpecLayer *l, const char *key);  /* given in the spec */
NN_API int         nn_spec_layer_int (const NnSpecLayer *l, const char *key);
NN_API double      nn_spec_layer_double (const NnSpecLayer *l, const char *key);
NN_API gboolean    nn_spec_layer_bool (const NnSpecLayer *l, const char *key);
/* (transfer none) (nullable): a string option, or the word given to an
 * option that takes a word or integers ("padding": "same"); else NULL. */
NN_API const char *nn_spec_layer_string (const NnSpecLayer *l, const char *key);
/* Integers of an integer or int-or-array option ("kernel": 3 or [3, 5]) into out[4];
 * returns how many were given (1 for a plain integer, 0 for a word). */
NN_API int         nn_spec_layer_ints (const NnSpecLayer *l, const char *key, int out[4]);

/* The options of the layer's kind, in table order, for display (nn info). */
NN_API int         nn_spec_layer_n_options (const NnSpecLayer *l);
/* (transfer none): the key of option i. */
NN_API const char *nn_spec_layer_option_name (const NnSpecLayer *l, int i);
NN_API gboolean    nn_spec_layer_option_is_set (const NnSpecLayer *l, int i);
/* The value of option i as JSON text, "-" when it has none (transfer full). */
NN_API char       *nn_spec_layer_option_text (const NnSpecLayer *l, int i);

/* The key tables of every section and layer kind as the Markdown that
 * docs/spec.md carries between its "keys:begin" and "keys:end" markers
 * (transfer full); `nn info --keys` prints it. */
NN_API char *nn_spec_keys_markdown (void);

/* ---- models and datasets from a spec ------------------------------------- */
/* Build a model from a parsed spec (the model keeps a reference); parameters
 * get PyTorch's default initialisation from `seed`.
 * Returns: (transfer full): a new model, or NULL with `error` set. */
NN_API NnModel *nn_model_new (NnSpec *spec, guint64 seed, GError **error) G_GNUC_WARN_UNUSED_RESULT;
/* (transfer none): the spec the model was built from: the elements read its
 * preprocess fps, labels and vocab without parsing JSON. */
NN_API NnSpec  *nn_model_get_spec (const NnModel *m);
/* Load a dataset shaped for `spec`; `output` is the per-sample output shape
 * of the network (CSV target columns, class count).
 * Returns: (transfer full): the dataset, or NULL with `error` set. */
NN_API NnDataset *nn_dataset_load_spec (const char *uri, const NnSpec *spec, const NnShape *output,
                                        GError **error) G_GNUC_WARN_UNUSED_RESULT;
