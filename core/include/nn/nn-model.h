/* Models: a network built from a JSON spec, with parameters and a workspace.
 * Include <nn/nn.h>, not this file. */
#pragma once

/* How raw images become the model's input tensor; part of the spec
 * ("preprocess": {"rescale": 0.00392, "mean": [...], "std": [...]}; every key in docs/spec.md)
 * so training, nn predict and the elements see identical inputs. */
typedef struct {
  int   channels;      /* 1 (gray) or 3 (RGB), from the spec's input [C, H, W] */
  int   height, width; /* model input size */
  float rescale;       /* x = (u8 * rescale - mean[c]) / std[c] */
  float mean[3];
  float std[3];
} NnPreprocess;

typedef struct _NnModel NnModel;

/* Build from a spec (JSON text or a .json file); parameters get PyTorch's
 * default initialisation from `seed`.
 * Returns (transfer full) (nullable): NULL with `error` set. */
NN_API NnModel *nn_model_new_from_spec (const char *json, guint64 seed, GError **error) G_GNUC_WARN_UNUSED_RESULT;
NN_API NnModel *nn_model_new_from_spec_file (const char *path, guint64 seed, GError **error) G_GNUC_WARN_UNUSED_RESULT;
/* (transfer full): a model of m's spec holding a copy of m's weights, with a
 * workspace of its own (snapshots for other threads: shared instances, nntrain). */
NN_API NnModel *nn_model_copy (NnModel *m, GError **error) G_GNUC_WARN_UNUSED_RESULT;
/* A .safetensors model (spec in its metadata), a .json spec (fresh weights),
 * or an .onnx model (nn_model_import_onnx with its sidecar, if any).
 * A weight that is NaN or infinite is an error (NN_ERROR_FORMAT) naming the
 * file and the tensor: such a model (a diverged training run saves one)
 * answers garbage with confidence. nn_model_load_flags () with
 * NN_LOAD_ALLOW_NONFINITE, or NN_ALLOW_NONFINITE=1 in the environment (for
 * the CLI and the elements), loads it anyway.
 * Returns (transfer full) (nullable): NULL with `error` set. */
typedef enum {
  NN_LOAD_DEFAULT         = 0,
  NN_LOAD_ALLOW_NONFINITE = 1 << 0, /* keep NaN and infinite weights */
} NnLoadFlags;
NN_API NnModel *nn_model_load (const char *path, GError **error) G_GNUC_WARN_UNUSED_RESULT;
NN_API NnModel *nn_model_load_flags (const char *path, NnLoadFlags flags, GError **error) G_GNUC_WARN_UNUSED_RESULT;
/* An ONNX model (docs/onnx.md): its graph mapped onto our layers, weights
 * named and shaped as PyTorch's. ONNX carries no labels or preprocessing:
 * they come from `sidecar`, a JSON object {"labels": [...], "preprocess":
 * {...}, and "gan", "vocab", "text" as in a spec}; NULL looks for MODEL.json,
 * then MODEL.onnx.json beside the file, and goes without when neither is
 * there. nn_model_load () takes a path ending in ".onnx" this way. An op,
 * attribute or graph shape we cannot map is an error naming the node (its
 * index, op type and name); a truncated or foreign file, external data and
 * an opset outside 11 to 17 are errors too, and so are NaN or infinite
 * weights (as for a .safetensors; nn_model_load_flags () with
 * NN_LOAD_ALLOW_NONFINITE takes them).
 * Returns (transfer full) (nullable): NULL with `error` set. */
NN_API NnModel *nn_model_import_onnx (const char *path, const char *sidecar, GError **error) G_GNUC_WARN_UNUSED_RESULT;
/* The same, with `extra_json` (nullable), an object with the sidecar's keys,
 * overriding the sidecar's (`nn import --labels/--preprocess`). */
NN_API NnModel *nn_model_import_onnx_with (const char *path, const char *sidecar, const char *extra_json,
                                           GError **error) G_GNUC_WARN_UNUSED_RESULT;
/* Copy the weights of a safetensors file into a built model; every tensor the
 * model needs must be there with the right shape, and finite, as for
 * nn_model_load (). */
NN_API gboolean nn_model_load_weights (NnModel *m, const char *path, GError **error);
NN_API gboolean nn_model_load_weights_flags (NnModel *m, const char *path, NnLoadFlags flags, GError **error);
NN_API gboolean nn_model_save (NnModel *m, const char *path, GError **error);
/* Write the model as an ONNX file `path` (opset 13 to 17; docs/onnx.md,
 * "Export"): one input "input" (N, input...), FLOAT or, when the first layer
 * is an embedding, INT64 indices; one output "output". Labels, preprocess,
 * vocab, gan and text blocks go into metadata_props ("nn.labels" ...: JSON)
 * and, when `sidecar_path` is not NULL, into that JSON file too. Both files
 * are written to a temporary name and renamed. A layer with no ONNX form
 * (convlstm2d) is an error (NN_ERROR_INVALID) naming it. */
NN_API gboolean nn_model_export_onnx (NnModel *m, const char *path, int opset, const char *sidecar_path,
                                      GError **error);
NN_API void     nn_model_free (NnModel *m);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (NnModel, nn_model_free)

/* Enrolment (docs/training.md): a copy of `m` whose classifier head (the
 * last layer with weights: a dense layer or a conv2d class map, followed only
 * by activations, softmax, dropout or flatten) has one more output per label
 * in `labels` (NULL-terminated), appended after the old ones. Every tensor is
 * copied, so the old classes' logits are unchanged; the new outputs' weights
 * are the layer's fresh initialisation drawn from `seed`. A model without
 * labels, a head of another kind, a label the model has or given twice, and
 * an unsafe label (nn_label_check) are errors (NN_ERROR_INVALID).
 * Returns (transfer full) (nullable): NULL with `error` set. */
NN_API NnModel *nn_model_add_labels (NnModel *m, const char *const *labels, guint64 seed,
                                     GError **error) G_GNUC_WARN_UNUSED_RESULT;
/* Freeze the weights of the named layers (NULL-terminated): their parameters
 * are no longer trainable, so training steps leave them bit for bit as they
 * are (their gradients are still computed, for the layers below). A frozen
 * batchnorm2d also keeps its running statistics and normalises with them
 * while the rest trains (Keras's rule for a frozen BatchNormalization). A name
 * that is no layer, or a layer without weights, is an error
 * (NN_ERROR_INVALID) and freezes nothing. */
NN_API gboolean nn_model_freeze (NnModel *m, const char *const *layers, GError **error);

/* (transfer none): owned by the model, valid while it lives. */
NN_API const NnShape *nn_model_input_shape (const NnModel *m);   /* per sample */
NN_API const NnShape *nn_model_output_shape (const NnModel *m);  /* per sample */
NN_API const NnPreprocess *nn_model_preprocess (const NnModel *m);
NN_API int            nn_model_n_labels (const NnModel *m);
/* (transfer none) (nullable): NULL if out of range. */
NN_API const char    *nn_model_label (const NnModel *m, int i);
/* The canonical spec JSON (transfer full). */
NN_API char          *nn_model_spec_json (const NnModel *m);

/* Make room for batches of up to n samples (allocates only when growing). */
NN_API gboolean nn_model_reserve (NnModel *m, int n, GError **error);
/* x: (n, input...) -> (n, output...), owned by the model, valid until the next call.
 * Returns (transfer none) (nullable): NULL with `error` set.
 * Inference (training FALSE) runs a conv2d -> relu/leaky_relu -> 2x2 max pool
 * block as one pass where it can (see nn_model_set_fusion). */
NN_API const float *nn_model_forward (NnModel *m, const float *x, int n, gboolean training, GError **error);
/* Whether inference may fuse blocks (TRUE by default). A fused block's conv
 * and activation outputs are not kept: turn fusion off to read them with
 * nn_model_layer_output. */
NN_API void nn_model_set_fusion (NnModel *m, gboolean fusion);
/* (transfer none) (nullable): output of the layer called `name` in the last
 * forward, (n, out...) as in
 * nn_model_layer_info; NULL if there is no such layer, no forward yet, or the
 * layer's output was fused away. Feature extraction (e.g. Frechet distances)
 * reads it. */
NN_API const float *nn_model_layer_output (const NnModel *m, const char *name, NnShape *shape);
/* dout: gradient of the loss w.r.t. the output of the last forward (n, output...),
 * which must be a training forward or an unfused one.
 * Accumulates parameter gradients; `skip_last` skips the last layer (used for
 * the fused softmax+cross-entropy and sigmoid+bce gradients). */
NN_API void nn_model_backward (NnModel *m, const float *dout, gboolean skip_last);
/* The same, also returning dL/dx at the model's input, (n, input...), owned by
 * the model until the next call: chains models (a GAN's G step through D).
 * Returns (transfer none). */
NN_API const float *nn_model_backward_input (NnModel *m, const float *dout, gboolean skip_last);
NN_API void nn_model_zero_grad (NnModel *m);
/* (transfer none): the model's parameter array; n_params (out). */
NN_API NnParam *nn_model_params (NnModel *m, int *n_params);
NN_API int64_t  nn_model_n_trainable (const NnModel *m);
/* Name of the last layer's type ("softmax", "sigmoid", ...) (transfer none). */
NN_API const char *nn_model_last_activation (const NnModel *m);
NN_API void nn_model_set_seed (NnModel *m, guint64 seed);

typedef struct {
  const char *name;
  const char *type;
  NnShape     out;        /* per sample */
  int64_t     n_params;
  int64_t     flops;      /* forward multiply-adds x 2 per sample */
} NnLayerInfo;
NN_API int  nn_model_n_layers (const NnModel *m);
/* info (out caller-allocates); its strings are (transfer none), the model's. */
NN_API void nn_model_layer_info (const NnModel *m, int i, NnLayerInfo *info);

/* Per-layer profile (nn profile): where a forward, or a training step, spends
 * its time. Each layer is timed on its own over `runs` runs (median, min and
 * max, microseconds); the whole call is also timed as users run it, so the
 * sum of the layers and the real total can be compared (the difference is
 * the per-call overhead). Times are wall clock, taken with whatever else the
 * machine runs: compare proportions, not absolutes, on a busy machine. */
typedef struct {
  const char *name;        /* (transfer none): the model's */
  const char *type;
  int64_t     flops;       /* forward, per sample: nn_model_layer_info's */
  /* (nullable) (transfer none): the path the layer took where it has several
   * ("winograd", "direct pooled", "unfolded gemm", "gemv" ...) */
  const char *algorithm;
  int         fused_into;  /* -1, or the layer whose one pass ran this one (inference fusion): times 0 here */
  double      forward_us[3];   /* median, min, max */
  double      backward_us[3];  /* training only (0 otherwise) */
} NnLayerProfile;

typedef struct {
  int             batch, runs, threads;
  gboolean        training;
  int             n_layers;
  NnLayerProfile *layers;      /* (n_layers), in the model's order */
  const char     *loss;        /* training: the loss (nn_model_default_loss) */
  const char     *optimizer;   /* training: "adam", the trainer's default */
  double          loss_us[3];  /* training: loss and its gradient */
  double          optim_us[3]; /* training: zeroing the gradients and the optimiser's step */
  double          total_us[3]; /* nn_model_forward (or forward, loss, backward, step) timed whole */
} NnModelProfile;

/* Profile `m` at batch `batch` on random inputs (inference, or training
 * steps, which change the weights) over `runs` runs after one warm-up, with
 * nn_get_threads () threads. A batch or run count below 1 is an error
 * (NN_ERROR_INVALID), and so is what nn_model_forward refuses.
 * Returns (transfer full) (nullable): NULL with `error` set. */
NN_API NnModelProfile *nn_model_profile (NnModel *m, int batch, gboolean training, int runs,
                                         GError **error) G_GNUC_WARN_UNUSED_RESULT;
NN_API void nn_model_profile_free (NnModelProfile *p);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (NnModelProfile, nn_model_profile_free)

/* A streaming copy of a sequence model: the same weights, one time step per
 * forward (input [1, ...] instead of [T, ...]), recurrent state carried from
 * call to call, so a video is classified with O(1) work per frame. Start a
 * new stream with nn_model_reset_state().
 * Returns (transfer full) (nullable): NULL with `error` set. */
NN_API NnModel *nn_model_new_streaming (const NnModel *m, GError **error) G_GNUC_WARN_UNUSED_RESULT;
/* Recurrent models: forget carried state (no-op for feed-forward models). */
NN_API void nn_model_reset_state (NnModel *m);

/* The kind of model its spec declares, checked by each element before it
 * runs one (a shape that happens to fit is not a kind): a generator has a
 * "gan" block; a text model a "vocab" or a first "embedding" layer; a video
 * clip classifier takes [T, 1|3, H, W]; an image classifier takes
 * [1|3, H, W] (or [N], N a square: a flattened gray image) and gives [classes];
 * a class-map model takes an image and gives [classes, H, W]. */
typedef enum {
  NN_MODEL_KIND_OTHER,
  NN_MODEL_KIND_IMAGE_CLASSIFIER,
  NN_MODEL_KIND_CLASS_MAP,
  NN_MODEL_KIND_CLIP_CLASSIFIER,
  NN_MODEL_KIND_TEXT,
  NN_MODEL_KIND_GENERATOR,
} NnModelKind;
NN_API NnModelKind nn_model_kind (const NnModel *m);
/* (transfer none): "an image classifier", "a text model", ... for messages. */
NN_API const char *nn_model_kind_name (NnModelKind kind);
/* TRUE when `m` is of kind `want`; else FALSE with `error` (NN_ERROR_INVALID)
 * naming the model's source, the kind expected and the kind found. */
NN_API gboolean nn_model_check_kind (const NnModel *m, NnModelKind want, GError **error);

/* Pixels -> input samples (nn_image_converter_new, nn_preprocess_image): see nn-image.h. */
