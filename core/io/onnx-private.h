/* ONNX in libnn: what the importer (onnx-import.c) and the exporter
 * (onnx-export.c) share. The message types come from onnx.pb-c.h, which
 * protoc-c generates at build time from Debian's onnx.proto (core/meson.build);
 * nothing here is public API.
 *
 * A model file is a serialised onnx.ModelProto: nn_onnx_read () maps and
 * unpacks it, nn_onnx_write () packs one and writes it atomically. Tensors
 * (initializers, Constant nodes' values) hold their data either in raw_data
 * (little-endian bytes) or in a typed repeated field (float_data, int32_data,
 * int64_data, double_data); the readers below accept both and check the
 * element count against the dims before touching a value. */
#pragma once

#include "nn-private.h"
#include "onnx.pb-c.h"

/* The default-domain ("" or "ai.onnx") opsets we read and the one we write. */
#define NN_ONNX_OPSET_MIN    11
#define NN_ONNX_OPSET_MAX    17
#define NN_ONNX_OPSET_EXPORT 13
/* IR version 7 is what opset 13 files carry (ONNX 1.8). */
#define NN_ONNX_IR_EXPORT    7
/* Tensors above this many elements are refused (a corrupt dims list must not
 * become a huge allocation); 2^31 floats is 8 GB. */
#define NN_ONNX_MAX_NUMEL    ((int64_t) 1 << 31)

/* Map `path` and unpack it as a ModelProto; NN_ERROR_IO when it cannot be
 * read, NN_ERROR_FORMAT ("<path>: not an ONNX model ...") when protobuf-c
 * refuses the bytes or the model has no graph. Returns (transfer full): free
 * with nn_onnx_model_free. */
Onnx__ModelProto *nn_onnx_read (const char *path, GError **error);
void              nn_onnx_model_free (Onnx__ModelProto *m);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Onnx__ModelProto, nn_onnx_model_free)

/* Pack `m` and write it to `path` through a temporary file and a rename. */
gboolean nn_onnx_write (const Onnx__ModelProto *m, const char *path, GError **error);

/* The default domain's opset version, or -1 when the model imports none. */
int64_t nn_onnx_opset (const Onnx__ModelProto *m);

/* The attribute `name` of node `n`, or NULL. */
const Onnx__AttributeProto *nn_onnx_attr (const Onnx__NodeProto *n, const char *name);
/* Its INT value, `def` when absent. */
int64_t nn_onnx_attr_int (const Onnx__NodeProto *n, const char *name, int64_t def);
/* Its FLOAT value, `def` when absent. */
float   nn_onnx_attr_float (const Onnx__NodeProto *n, const char *name, float def);
/* Its STRING value (a new string), `def` duplicated when absent. */
char   *nn_onnx_attr_string (const Onnx__NodeProto *n, const char *name, const char *def);
/* Its INTS value: the count, the values in *v (borrowed, NULL when absent);
 * -1 when absent. */
int     nn_onnx_attr_ints (const Onnx__NodeProto *n, const char *name, const int64_t **v);

/* The element count of `t` from its dims (each >= 0, product at most
 * NN_ONNX_MAX_NUMEL); FALSE with NN_ERROR_FORMAT naming the tensor else. */
gboolean nn_onnx_tensor_numel (const Onnx__TensorProto *t, int64_t *numel, GError **error);
/* The tensor's dims as an NnShape (at most NN_MAX_DIMS of them). */
gboolean nn_onnx_tensor_shape (const Onnx__TensorProto *t, NnShape *shape, GError **error);
/* Its values converted to float (FLOAT, DOUBLE, FLOAT16, INT8..INT64, UINT8..,
 * BOOL), from raw_data or the typed field. External data (data_location
 * EXTERNAL), strings and a count that does not match the dims are errors
 * naming the tensor. Returns (transfer full): g_free; *numel set. A tensor of
 * 0 elements gives a non-NULL empty block. */
float   *nn_onnx_tensor_floats (const Onnx__TensorProto *t, int64_t *numel, GError **error);
/* The same as integers (INT64, INT32 and the small integer types; float
 * types are refused): shapes, axes, indices. */
int64_t *nn_onnx_tensor_ints (const Onnx__TensorProto *t, int64_t *numel, GError **error);
/* The name of a data type ("FLOAT", "INT64", "type 42" for unknown). Returns
 * (transfer none) a static string, or buf. */
const char *nn_onnx_dtype_name (int32_t data_type, char *buf, gsize len);
