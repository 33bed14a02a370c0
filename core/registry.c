/* The one table from spec names to layer classes. Adding a layer kind: one
 * file in layers/, one line in core/meson.build, one row here. */
#include "nn-private.h"

extern const NnLayerClass nn_dense_class;
extern const NnLayerClass nn_sigmoid_class;
extern const NnLayerClass nn_tanh_class;
extern const NnLayerClass nn_relu_class;
extern const NnLayerClass nn_leaky_relu_class;
extern const NnLayerClass nn_softmax_class;
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
