/* The ONNX importer's shared state (onnx-import.c walks the graph and maps
 * ops onto layers; onnx-fold.c computes what is constant): the values of the
 * graph, each a constant or a view of the layers' output, and the context of
 * one import. Nothing here is public API. */
#pragma once

#include "io/onnx-private.h"

#define MAXD 8
/* The batch size in folded shape tensors: unknown until run time. */
#define BATCH G_MININT64

typedef struct {
  gboolean is_int;
  int      ndim;
  int64_t  dim[MAXD];      /* BATCH for a batch-sized axis (then the values are the same along it) */
  int64_t  n;              /* values held: batch axes count 1 */
  float   *f;              /* (n) when !is_int */
  int64_t *i;              /* (n) when is_int */
} Const;

typedef struct {
  int      ndim;
  int64_t  dim[MAXD];      /* ONNX dims; dim[k] is BATCH where map[k] == 0 */
  int      map[MAXD];      /* our axis for each ONNX axis: 0 the batch, 1.. per-sample; -1 an axis of size 1 ours lacks */
  NnShape  s;              /* our per-sample shape */
  int      stamp;          /* layers in the chain when it was made */
  gboolean is_int;         /* integer values (token indices) */
  int      rec;            /* >= 0: an output of recurrent layer `rec` */
  gboolean last;           /* ... its last step only (the layer's return_sequences must be false) */
  gboolean seq;            /* ... its every-step output, time at our axis 1 */
  int      pad[4];         /* a pending zero Pad of H, W: top, left, bottom, right */
  int64_t  steps;          /* > 0: (N, T, ...) reshaped to a batch of N*T steps (T = steps): ONNX's batch axis is
                            * N*T, s is one step's shape and every layer is time_distributed until the Reshape back */
} Dyn;

typedef struct {
  gboolean is_dyn;
  Const    c;
  Dyn      d;
} Value;

typedef struct {
  const char       *path;
  int64_t           opset;
  const Onnx__GraphProto *g;
  GHashTable       *values;   /* name -> Value* */
  GHashTable       *inits;    /* name -> const Onnx__TensorProto* (decoded when first read) */
  GPtrArray        *layers;   /* Layer* */
  GPtrArray        *params;   /* Param* */
  GHashTable       *names;    /* layer names taken */
  NnShape           input;    /* per sample */
  int64_t           fixed_batch; /* the graph input's batch when fixed, else -1 */
  int64_t           steps;    /* the latest layer's input was a batch of steps (Dyn.steps) */
  int               idx;      /* node being read */
  const Onnx__NodeProto *node;
} Ctx;

/* Every error while a node is read: "<path>: node 3 (Conv '/conv1/Conv'): <what>". */
void nn_onnx_fail (Ctx *c, GError **error, int code, const char *fmt, ...) G_GNUC_PRINTF (4, 5);
/* The same with `e`'s message (freed). Returns FALSE. */
gboolean nn_onnx_prefix (Ctx *c, GError **error, GError *e);
/* "[N, 3, 28, 28]" in buf (N: the batch). Returns buf. */
const char *nn_onnx_dims_str (int ndim, const int64_t *dim, char *buf, gsize len);
void nn_onnx_value_free (gpointer v);
/* The value named `name`: made by an earlier node, or an initializer (decoded
 * the first time). */
Value *nn_onnx_value_get (Ctx *c, const char *name, GError **error);
/* Input k of the node being read, NULL (no error) when absent or empty. */
Value *nn_onnx_in (Ctx *c, int k, GError **error);
/* Input k as a constant not depending on the batch; NULL with an error when it
 * is not one, or when required and absent. */
const Const *nn_onnx_in_const (Ctx *c, int k, const char *what, gboolean required, GError **error);
/* Output k of the node, a new value (NULL when the node leaves it out). */
Value *nn_onnx_out_new (Ctx *c, int k);
/* A constant's values as floats (transfer full). */
gboolean nn_onnx_const_floats (Ctx *c, const Const *k, const char *what, float **out, GError **error);
gboolean nn_onnx_const_int_list (Ctx *c, const Const *k, const char *what, GError **error);
void     nn_onnx_const_set_dims (Const *k, int ndim, const int64_t *dim);
gboolean nn_onnx_const_alloc (Ctx *c, Const *k, gboolean is_int, GError **error);
gboolean nn_onnx_axis_norm (Ctx *c, int64_t axis, int rank, int *out, GError **error);
/* The axes of Squeeze/Unsqueeze (an attribute before opset 13, an input
 * since); *n = -1 when there are none. */
gboolean nn_onnx_node_axes (Ctx *c, int64_t *axes, int *n, GError **error);
/* Output dims of Unsqueeze (inserting) or Squeeze (removing) `axes`; keep[j]
 * is the input axis of output axis j, -1 an inserted one. */
gboolean nn_onnx_squeeze_plan (Ctx *c, gboolean unsqueeze, int ndim, const int64_t *dim, const int64_t *axes,
                               int n_axes, int *out_ndim, int *keep, GError **error);
/* The node being read, whose inputs are all constants, computed. */
gboolean nn_onnx_fold (Ctx *c, GError **error);
