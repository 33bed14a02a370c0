/* The one table from spec names to layer classes, and the key tables of the
 * spec's sections. Adding a layer kind: one file in layers/ (its class with
 * its key table), one line in core/meson.build, one row here. core/spec.c
 * validates against these tables, `nn info` prints from them and
 * docs/spec.md's key tables are generated from them (`nn info --keys`). */
#include "nn-private.h"

/* JSON text of 1/255, the seed's Rescaling(1./255) */
#define RESCALE_DEFAULT "0.00392156862745098"

const NnKeyDef nn_spec_top_keys[] = {
  { "input", NN_KEY_SHAPE, 1, 1 << 24, NULL, NULL, 0,
    "per-sample input shape, batch excluded: [N] features, [C, H, W] images, [T, F] sequences, [T, C, H, W] clips" },
  { "labels", NN_KEY_STRINGS, 0, 0, "", NULL, 0, "class names, one per output" },
  { "preprocess", NN_KEY_OBJECT, 0, 0, "", NULL, 0, "how 8-bit images and frames become the input (keys below)" },
  { "layers", NN_KEY_LAYERS, 0, 0, NULL, NULL, 0, "the layers in order (keys below)" },
  { "gan", NN_KEY_OBJECT, 0, 0, "", NULL, 0, "generators only: the latent input (keys below)" },
  { "vocab", NN_KEY_STRING, 0, 0, "", NULL, 0, "character models: the characters in index order (UTF-8)" },
  { "text", NN_KEY_OBJECT, 0, 0, "", NULL, 0,
    "word-level text classifiers (`textcls:` data, `nn predict --text`, nntextclassify): the tokenizer (keys below)" },
};
const int nn_spec_n_top_keys = G_N_ELEMENTS (nn_spec_top_keys);

const NnKeyDef nn_spec_preprocess_keys[] = {
  { "rescale", NN_KEY_FLOAT, -1e30, 1e30, RESCALE_DEFAULT, NULL, 0, "x = (pixel * rescale - mean[c]) / std[c]" },
  { "mean", NN_KEY_FLOATS, -1e30, 1e30, "0", NULL, 1 << 1 | 1 << 3,
    "one number, or one per channel (C = 1 or 3)" },
  { "std", NN_KEY_FLOATS, -1e30, 1e30, "1", NULL, 1 << 1 | 1 << 3,
    "one number, or one per channel; not 0" },
  { "fps", NN_KEY_FLOAT, 0, 1e9, "0", NULL, 0,
    "video: frames kept per second (sample k is the first frame at or after k / fps s); 0: every frame" },
  { "clips", NN_KEY_INT, 1, G_MAXINT, "1", NULL, 0,
    "video: at most this many consecutive clips of T sampled frames per video" },
};
const int nn_spec_n_preprocess_keys = G_N_ELEMENTS (nn_spec_preprocess_keys);

const NnKeyDef nn_spec_gan_keys[] = {
  { "latent", NN_KEY_JSON, 0, 0, NULL, NULL, 0, "integer >= 1: standard-normal values at the start of the input" },
  { "classes", NN_KEY_JSON, 0, 0, "", NULL, 0,
    "array of class names: a conditional generator's one-hot class follows the latent values" },
  { "range", NN_KEY_JSON, 0, 0, "[-1, 1]", NULL, 0, "[lo, hi], lo < hi: the pixel range of the output" },
};
const int nn_spec_n_gan_keys = G_N_ELEMENTS (nn_spec_gan_keys);

/* The word tokenizer of the "text" block (core/data/textcls.c). The input's
 * [T] is the padded length; "words" is written by training so that inference
 * tokenizes exactly as the training data was. */
const NnKeyDef nn_spec_text_keys[] = {
  { "padding", NN_KEY_STRING, 0, 0, "\"pre\"", "pre|post", 0,
    "where short sentences get their 0s (Keras pad_sequences): before the words or after them" },
  { "truncating", NN_KEY_STRING, 0, 0, "\"pre\"", "pre|post", 0,
    "which words a sentence longer than T loses: the first ones or the last ones" },
  { "vocab_size", NN_KEY_INT, 3, 1 << 24, "10000", NULL, 0,
    "most indices, padding (0) and out-of-vocabulary (1) included: the embedding's `vocab` must be at least this" },
  { "min_count", NN_KEY_INT, 1, G_MAXINT, "1", NULL, 0, "a training word seen fewer times is out of vocabulary" },
  { "lower", NN_KEY_BOOL, 0, 0, "true", NULL, 0, "lower-case before splitting" },
  { "words", NN_KEY_STRINGS, 0, 0, "", NULL, 0,
    "the vocabulary, index 2 onwards, most frequent first; filled in from the training data when absent" },
};
const int nn_spec_n_text_keys = G_N_ELEMENTS (nn_spec_text_keys);

const NnKeyDef nn_spec_layer_common_keys[] = {
  { "type", NN_KEY_STRING, 0, 0, NULL, NULL, 0, "the layer kind (a row of the registry)" },
  { "name", NN_KEY_STRING, 0, 0, "", NULL, 0, "prefixes its tensor names; default `<type><index>`" },
  { "activation", NN_KEY_ACTIVATION, 0, 0, "\"linear\"", NULL, 0,
    "appends an activation layer `<name>_<type>`: a type, or {\"type\": ..., options}; \"linear\": none" },
};
const int nn_spec_n_layer_common_keys = G_N_ELEMENTS (nn_spec_layer_common_keys);

extern const NnLayerClass nn_dense_class;
extern const NnLayerClass nn_sigmoid_class;
extern const NnLayerClass nn_tanh_class;
extern const NnLayerClass nn_relu_class;
extern const NnLayerClass nn_leaky_relu_class;
extern const NnLayerClass nn_softmax_class;
extern const NnLayerClass nn_log_softmax_class;
extern const NnLayerClass nn_dropout_class;
extern const NnLayerClass nn_conv2d_class;
extern const NnLayerClass nn_conv2d_transpose_class;
extern const NnLayerClass nn_maxpool2d_class;
extern const NnLayerClass nn_avgpool2d_class;
extern const NnLayerClass nn_global_avgpool_class;
extern const NnLayerClass nn_flatten_class;
extern const NnLayerClass nn_batchnorm2d_class;
extern const NnLayerClass nn_upsample2d_class;
extern const NnLayerClass nn_embedding_class;
extern const NnLayerClass nn_rnn_class;
extern const NnLayerClass nn_lstm_class;
extern const NnLayerClass nn_convlstm2d_class;
extern const NnLayerClass nn_time_distributed_class;

static const NnLayerClass *const classes[] = {
  &nn_dense_class,
  &nn_sigmoid_class,
  &nn_tanh_class,
  &nn_relu_class,
  &nn_leaky_relu_class,
  &nn_softmax_class,
  &nn_log_softmax_class,
  &nn_dropout_class,
  &nn_conv2d_class,
  &nn_conv2d_transpose_class,
  &nn_maxpool2d_class,
  &nn_avgpool2d_class,
  &nn_global_avgpool_class,
  &nn_flatten_class,
  &nn_batchnorm2d_class,
  &nn_upsample2d_class,
  &nn_embedding_class,
  &nn_rnn_class,
  &nn_lstm_class,
  &nn_convlstm2d_class,
  &nn_time_distributed_class,
};

const NnLayerClass *
nn_layer_class_lookup (const char *type)
{
  for (gsize i = 0; i < G_N_ELEMENTS (classes); i++)
    if (strcmp (classes[i]->type, type) == 0)
      return classes[i];
  return NULL;
}

const char *const *
nn_layer_type_names (void)
{
  static const char *names[G_N_ELEMENTS (classes) + 1];
  if (!names[0])
    for (gsize i = 0; i < G_N_ELEMENTS (classes); i++)
      names[i] = classes[i]->type;
  return names;
}

const NnLayerClass *const *
nn_layer_classes (int *n)
{
  *n = G_N_ELEMENTS (classes);
  return classes;
}
