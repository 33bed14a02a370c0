/* libnn internals: the layer vtable, the registry, spec helpers, file I/O.
 * Not installed; nothing here is public API. */
#pragma once

#define NN_COMPILATION 1
#include "nn/nn.h"
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

/* ---- layers ---------------------------------------------------------------
 * A layer kind is one file in core/layers/ exporting one NnLayerClass. Its
 * instance struct embeds NnLayer as the first member. Activations live in the
 * model's workspace; a layer keeps only what its backward needs beyond its
 * input x and output y (masks, argmax, im2col scratch), sized in `reserve`. */
#define NN_LAYER_MAX_PARAMS 6

typedef struct _NnLayer NnLayer;

/* ---- spec keys ------------------------------------------------------------
 * Every key a spec may hold is declared once in a table: the top level, the
 * "preprocess" and "gan" blocks and the keys every layer has (core/registry.c),
 * and each layer kind's options (its file in core/layers/, referenced from
 * its class). core/spec.c validates against them, `nn info` prints the typed
 * values and docs/spec.md's key tables are generated from them. */
typedef enum {
  NN_KEY_INT,        /* an integer in [min, max] */
  NN_KEY_FLOAT,      /* a number in [min, max] */
  NN_KEY_BOOL,
  NN_KEY_STRING,     /* a string; one of `choices` ("a|b") when given */
  NN_KEY_INTS,       /* an integer in [min, max] or an array of them (lengths in `counts`), or a word of `choices` */
  NN_KEY_FLOATS,     /* a number or an array of numbers (lengths in `counts`; 0 there: checked by the reader) */
  NN_KEY_STRINGS,    /* an array of strings */
  NN_KEY_SHAPE,      /* an array of 1 to 4 integers in [min, max] */
  NN_KEY_ACTIVATION, /* an activation layer's type, or an object with its "type" and options */
  NN_KEY_LAYER,      /* a layer object (time_distributed's inner layer) */
  NN_KEY_LAYERS,     /* the non-empty array of layer objects */
  NN_KEY_OBJECT,     /* an object whose keys have a table of their own */
  NN_KEY_JSON,       /* any JSON value, checked where it is read (the gan block's values, by nn_gan_spec) */
} NnKeyType;

#define NN_INT_MAX (G_MAXINT / 4)   /* the largest integer option: sizes times sizes stay in int */

typedef struct {
  const char *name;
  NnKeyType   type;
  double      min, max;    /* INT, FLOAT, INTS, SHAPE */
  const char *def;         /* default as JSON text; NULL: required; "": none (the reader decides, see doc) */
  const char *choices;     /* STRING, INTS: allowed words "a|b" (NULL: any string; no words for INTS) */
  guint       counts;      /* INTS, FLOATS: allowed array lengths as bits (1 << n) */
  const char *doc;         /* one line for docs/spec.md */
} NnKeyDef;

typedef struct _NnLayerClass NnLayerClass;

/* One typed value of a spec key. */
typedef struct {
  const NnKeyDef *key;
  gboolean  set;           /* given in the spec (else the default, or nothing) */
  gboolean  has;           /* holds a value: set, or a default applied */
  int64_t   i[4];          /* INT: i[0]; INTS: n of them */
  double    f[4];          /* FLOAT: f[0]; FLOATS: n of them */
  int       n;             /* INTS, FLOATS: how many were given (0 for a word) */
  gboolean  b;             /* BOOL */
  char     *s;             /* STRING, or the word an INTS key was given */
  char    **strv;          /* STRINGS */
  NnSpecLayer *layer;      /* ACTIVATION (NULL for "linear"), LAYER */
} NnSpecValue;

struct _NnSpecLayer {
  const NnLayerClass *klass;
  char        *name;       /* given, or "<type><index>" (the activation layer: "<name>_<type>") */
  char        *path;       /* JSON path for messages, "layers[2]" */
  int          n_values;   /* the common keys then the kind's */
  NnSpecValue *values;
};

/* Registry tables of the sections (core/registry.c). */
extern const NnKeyDef nn_spec_top_keys[];
extern const int      nn_spec_n_top_keys;
extern const NnKeyDef nn_spec_preprocess_keys[];
extern const int      nn_spec_n_preprocess_keys;
extern const NnKeyDef nn_spec_gan_keys[];
extern const int      nn_spec_n_gan_keys;
extern const NnKeyDef nn_spec_layer_common_keys[];  /* "type", "name", "activation" */
extern const int      nn_spec_n_layer_common_keys;

/* A layer object parsed against its kind's table (core/spec.c): for
 * standalone layers (tests) and composite ones. `path` names it in messages;
 * `def_name` is its name when it gives none; `inner`: a time_distributed's
 * layer (no "activation"). */
NnSpecLayer *nn_spec_layer_parse (JsonObject *o, const char *path, const char *def_name, gboolean inner,
                                  GError **error);
void         nn_spec_layer_free (NnSpecLayer *l);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (NnSpecLayer, nn_spec_layer_free)
/* The spec of a streaming copy: input [T, ...] -> [1, ...], recurrent layers
 * stateful (transfer full). */
NnSpec *nn_spec_streaming (const NnSpec *s, GError **error);

#define NN_KEYS(table) .keys = (table), .n_keys = G_N_ELEMENTS (table)

struct _NnLayerClass {
  const char *type;       /* spec name, "dense" */
  gsize       size;       /* instance size */
  const NnKeyDef *keys;   /* the kind's options (NN_KEYS), beside the common ones */
  int         n_keys;
  gboolean    activation; /* may be a layer's "activation" */
  const char *doc;        /* one line for docs/spec.md */
  /* Read the layer's typed options (nn_spec_layer_int ...: the spec has
   * checked types, ranges and required keys), validate them against l->in,
   * set l->out and add parameters with nn_layer_add_param(). */
  gboolean (*create)   (NnLayer *l, const NnSpecLayer *spec, GError **error);
  /* Optional: size per-sample caches for batches of up to n, and per-thread
   * scratch for nn_get_threads() threads. Called again when either grows. */
  gboolean (*reserve)  (NnLayer *l, int n, GError **error);
  /* x (n, in...) -> y (n, out...). */
  void     (*forward)  (NnLayer *l, const float *x, float *y, int n, gboolean training);
  /* dy (n, out...) -> dx (n, in...), dx NULL when nobody needs it; parameter
   * gradients are accumulated (+=). x and y are those of the last forward. */
  void     (*backward) (NnLayer *l, const float *x, const float *y, const float *dy, float *dx, int n);
  /* Optional: PyTorch's default initialisation of the parameters. */
  void     (*init)     (NnLayer *l, GRand *rng);
  /* Optional: forward multiply-adds x 2 per sample. */
  int64_t  (*flops)    (const NnLayer *l);
  /* Optional: recurrent layers forget their carried state. */
  void     (*reset_state) (NnLayer *l);
  /* Optional: free what create/reserve allocated (params are freed for you). */
  void     (*finalize) (NnLayer *l);
  /* Optional: extra spec keys to write back (canonical spec). */
  void     (*to_json)  (const NnLayer *l, JsonBuilder *b);
  /* Optional, inference: whether this layer can pool its own output 2x2
   * (max, stride 2) as it computes it, and doing so: x (n, in...) -> y (n,
   * C, OH/2, OW/2). The model then runs conv -> relu -> maxpool as one pass
   * (the pooling commutes with a rising activation). */
  gboolean (*can_pool2)     (const NnLayer *l);
  void     (*forward_pool2) (NnLayer *l, const float *x, float *y, int n);
  /* Optional: reject an input the forward cannot take (embedding indices
   * out of range); nn_model_forward calls it before the forward. */
  gboolean (*check_input)   (NnLayer *l, const float *x, int n, GError **error);
  /* Optional: the path a forward of n samples takes where the kind has
   * several (nn_model_profile); `pooled`: the fused conv -> act -> pool pass. */
  const char *(*algorithm) (const NnLayer *l, int n, gboolean training, gboolean pooled);
  /* Optional, layers that draw random numbers in training (dropout): draw
   * what a training forward of n rows would, computing nothing (a rank of
   * data-parallel training with no row of a global batch). */
  void     (*skip_rows)     (NnLayer *l, int n);
};

struct _NnLayer {
  const NnLayerClass *klass;
  char    *name;
  NnShape  in, out;           /* per sample, batch excluded */
  NnParam  params[NN_LAYER_MAX_PARAMS];
  int      n_params;
  int      capacity;          /* batch the caches hold */
  int      threads;           /* threads the per-thread scratch serves */
  GRand   *rng;               /* the model's, for dropout and friends */
  gboolean owns_rng;          /* standalone layers (tests) own theirs */
  int      bptt;              /* recurrent layers: truncate backprop through time to chunks of this many steps (0 = full) */
  int      rows_before, rows_after; /* data-parallel training: rows of the global batch other ranks hold before and
                                     * after this rank's, whose random draws (dropout) are skipped */
  NnSpecLayer *own_spec;      /* standalone layers (nn_layer_new) own their parsed spec */
};

/* Set every layer's bptt (the trainer's --bptt). */
void nn_model_set_bptt (NnModel *m, int steps);
/* Data-parallel training: the next training forward holds rows [before,
 * before + n) of a global batch of before + n + after rows. Layers that draw
 * per unit (dropout) draw for the whole global batch and keep their own rows,
 * so N ranks draw the masks one process would. */
void nn_model_set_row_window (NnModel *m, int before, int after);
/* Draw what a training forward of n rows would, without one. */
void nn_model_skip_rows (NnModel *m, int n);

/* Registry: the one table from spec names to classes (core/registry.c). */
const NnLayerClass *nn_layer_class_lookup (const char *type);
const char *const  *nn_layer_type_names (void);
/* Every class, in registry order; *n gets their number. */
const NnLayerClass *const *nn_layer_classes (int *n);

/* Add a parameter "<layer>.<pname>" of `shape`; returns its data (zeroed). */
/* Inference's conv2d -> batchnorm2d as one convolution (core/model.c): the
 * folded weights, and the conv run with them (pooled 2x2 or not). */
void nn_batchnorm2d_fold (const NnLayer *bn, const float *w, const float *b, int64_t per_filter, float *wf, float *bf);
void nn_conv2d_forward_with (NnLayer *conv, const float *w, const float *b, const float *x, float *y, int n,
                             gboolean pool2);
/* Parameter i of the model's list (nn_model_params) and its layer's own record. */
void nn_model_set_trainable (NnModel *m, int i, gboolean trainable);
float *nn_layer_add_param (NnLayer *l, const char *pname, const NnShape *shape,
                           gboolean trainable, gboolean decay);
NnParam *nn_layer_param (NnLayer *l, const char *pname);

/* A standalone layer, for tests: built from a JSON object text against an
 * input shape (its messages name the layer, path "layer"). */
NnLayer *nn_layer_new (const char *spec_json, const NnShape *in, guint64 seed, GError **error);
/* A layer from its typed spec, named `name` (the model's builder, and
 * time_distributed for its inner layer). */
NnLayer *nn_layer_new_from_spec (const NnSpecLayer *spec, const char *name, const NnShape *in, GRand *rng,
                                 GError **error);
gboolean nn_layer_reserve (NnLayer *l, int n, GError **error);
void     nn_layer_free (NnLayer *l);

/* Layers that split a batch over threads give thread t > 0 its own share of
 * the parameter gradients: the gradients of params[0..n_params) one after
 * another, share t at first + (t - 1) * stride. */
int64_t nn_layer_grad_size (const NnLayer *l);
void    nn_layer_grad_shares_zero (const NnLayer *l, float *first, int64_t stride, int threads);
/* Adds shares 1 .. threads-1 into the layer's gradients, in thread order. */
void    nn_layer_grad_shares_add (NnLayer *l, const float *first, int64_t stride, int threads);

/* ---- JSON option helpers (the gan block): each reports a GError naming block and key ---- */
gboolean nn_spec_int (JsonObject *o, const char *layer, const char *key, int def, int min, int *out, GError **error);
gboolean nn_spec_float (JsonObject *o, const char *layer, const char *key, double def, double min, double max, double *out, GError **error);
/* An int or an [a, b] pair (kernel, stride). */
gboolean nn_spec_pair (JsonObject *o, const char *layer, const char *key, int def, int min, int out[2], GError **error);
const char *nn_spec_string (JsonObject *o, const char *key, const char *def);
gboolean nn_spec_bool (JsonObject *o, const char *key, gboolean def);

/* ---- shapes ---------------------------------------------------------------- */
static inline NnShape nn_shape_1d (int64_t a) { return (NnShape) { 1, { a } }; }
static inline NnShape nn_shape_2d (int64_t a, int64_t b) { return (NnShape) { 2, { a, b } }; }
static inline NnShape nn_shape_3d (int64_t a, int64_t b, int64_t c) { return (NnShape) { 3, { a, b, c } }; }
static inline NnShape nn_shape_4d (int64_t a, int64_t b, int64_t c, int64_t d) { return (NnShape) { 4, { a, b, c, d } }; }

/* ---- threads (core/parallel.c) -------------------------------------------------
 * fn (lo, hi, thread, data) runs on [lo, hi) of [0, n), the ranges split
 * evenly over at most max_threads threads (thread < max_threads: an index
 * into per-thread scratch). Runs inline for one thread or when nested. */
#define NN_MAX_THREADS 64
typedef void (*NnRangeFunc) (int lo, int hi, int thread, gpointer data);
void nn_parallel_for (int n, int max_threads, NnRangeFunc fn, gpointer data);
/* How many threads nn_parallel_for (n, max_threads, ...) runs on: threads
 * 0 .. team-1 each get a non-empty range. */
int  nn_parallel_team (int n, int max_threads);
/* Caps the calling thread's teams at n threads (0: no cap of its own). */
void nn_parallel_limit_thread (int n);

/* ---- unfolding (core/unfold.c) ---------------------------------------------------
 * A convolution's geometry: input (c, h, w), kernel kh x kw, stride, top and
 * left padding, output (oh, ow); bottom and right padding are whatever the
 * output needs, read as zeros. Columns: (c*kh*kw, oh*ow). */
typedef struct {
  int c, h, w, kh, kw, sh, sw, pt, pl, oh, ow;
} NnUnfold;

static inline int64_t nn_unfold_rows (const NnUnfold *u) { return (int64_t) u->c * u->kh * u->kw; }
static inline int64_t nn_unfold_cols (const NnUnfold *u) { return (int64_t) u->oh * u->ow; }
/* x (c, h, w) -> col; padding reads as zero. */
void nn_im2col (const NnUnfold *u, const float *x, float *col);
/* The same for stride 1, faster: through `pad` (nn_unfold_pad_size floats,
 * zeroed once by its owner; only the interior is ever written), each column
 * row is copied in whole 8-float chunks, spilling only into what is written
 * after it and never past the end of col. */
#define NN_UNFOLD_SLACK 8
int64_t nn_unfold_pad_size (const NnUnfold *u);
void nn_im2col_unit (const NnUnfold *u, const float *x, float *col, float *pad);
/* col -> dx (c, h, w), summing overlapping windows, into dx as it is
 * (accumulate) or into zeros. */
void nn_col2im (const NnUnfold *u, const float *col, float *dx, gboolean accumulate);

/* ---- Winograd F(2x2, 3x3) (core/winograd.c) --------------------------------------
 * A stride-1 3x3 convolution's forward in 2x2 output tiles: 2.25x fewer
 * multiplications than the unfolded product and no unfolding. Inference
 * only: training unfolds, since backward reuses the columns. */
typedef struct {
  NnUnfold  g;               /* 3x3, stride 1 */
  int       f;               /* filters */
  int       th, tw;          /* output tiles down and across */
  float    *u;               /* (16, f, c) the transformed weights */
  float    *w_seen;          /* (f, c, 3, 3) the weights u was made from */
  gboolean  ready;
  int       group;           /* samples whose products run together (nn_winograd_reserve) */
} NnWinograd;

gboolean nn_winograd_applies (const NnUnfold *u);
/* FALSE when out of memory; nn_winograd_clear frees. */
gboolean nn_winograd_init (NnWinograd *wg, const NnUnfold *u, int f);
void     nn_winograd_clear (NnWinograd *wg);
/* For forwards of up to n samples: returns the floats of scratch one such
 * forward needs; allocate zeroed (a zero border is kept in it). */
int64_t  nn_winograd_reserve (NnWinograd *wg, int n);
/* Transforms w (f, c, 3, 3) unless these are the weights last seen; call
 * before forwards run in parallel. */
void     nn_winograd_prepare (NnWinograd *wg, const float *w);
/* n samples (any n; groups of up to those reserved run together):
 * x (n, c, h, w) -> y (n, f, oh, ow) + bias (f, or NULL). */
void     nn_winograd_forward (const NnWinograd *wg, const float *bias, const float *x, float *y, int n,
                              float *scratch);
/* The same pooled 2x2 (max, stride 2, odd edges dropped): y (n, f, oh/2, ow/2). */
void     nn_winograd_forward_pool2 (const NnWinograd *wg, const float *bias, const float *x, float *y, int n,
                                    float *scratch);

/* ---- direct convolution, pooled (core/conv-direct.c) --------------------------
 * Inference for few input channels (3x3, stride 1, c <= 3): the
 * convolution and a 2x2 max pool (stride 2, odd edges dropped) in one pass.
 * Scratch: nn_direct_pool2_scratch_size floats, allocated zeroed (the
 * padding is kept in it). x (c, h, w) -> y (f, oh/2, ow/2). */
gboolean nn_direct_pool2_applies (const NnUnfold *u);
int64_t  nn_direct_pool2_scratch_size (const NnUnfold *u, int f);
void     nn_direct_pool2_forward (const NnUnfold *u, int f, const float *w, const float *bias, const float *x,
                                  float *y, float *scratch);

/* ---- shared maths (core/ops.c) ------------------------------------------------ */
/* Uniform in [-bound, bound], PyTorch's kaiming_uniform(a=sqrt 5) and bias bound. */
void nn_fill_uniform (float *p, int64_t n, float bound, GRand *rng);
double nn_rand_normal (GRand *rng);
/* y (n, out) = x (n, in) W^T (out, in) + b, the dense product, used by several layers. */
void nn_linear_forward (const float *x, const float *w, const float *b, float *y, int n, int in, int out);
/* dx = dy W, dW += dy^T x, db += sum dy */
void nn_linear_backward (const float *x, const float *w, const float *dy, float *dx, float *dw, float *db,
                         int n, int in, int out);
/* Activation functions shared by the activation layers and the recurrent cells. */
typedef enum { NN_ACT_NONE, NN_ACT_SIGMOID, NN_ACT_TANH, NN_ACT_RELU, NN_ACT_LEAKY_RELU, NN_ACT_SOFTMAX } NnAct;
#define NN_LEAKY_SLOPE 0.01f   /* leaky_relu's default negative slope, PyTorch's */
/* slope: leaky_relu's negative slope, in (0, 1]; the other kinds ignore it */
void nn_act_forward (NnAct a, float slope, const float *x, float *y, int64_t n);
/* dx = dy * f'(x) using the output y */
void nn_act_backward (NnAct a, float slope, const float *y, const float *dy, float *dx, int64_t n);

/* ---- what the model's inference fusion asks of the layers --------------------- */
/* A maxpool2d of size 2, stride 2, no padding (core/layers/pool2d.c). */
gboolean nn_layer_is_maxpool2 (const NnLayer *l);
/* relu or leaky_relu: rising and piecewise linear, so max (act (a), act (b))
 * = act (max (a, b)) exactly (core/layers/activation.c). */
gboolean nn_layer_is_rising_act (const NnLayer *l, NnAct *act, float *slope);

/* max that lets a NaN through from either side, as PyTorch's pooling does,
 * written as a compare and a blend so that loops of it vectorise */
static inline float
nn_max_nan (float a, float b)
{
  return a > b || a != a ? a : b;
}

/* A weight that is NaN or infinite is an error naming `path` and the tensor,
 * unless `flags` (or NN_ALLOW_NONFINITE=1) allow it (core/model.c). */
gboolean nn_model_check_finite (const NnModel *m, const char *path, NnLoadFlags flags, GError **error);
/* ONNX import with load flags (core/io/onnx-import.c): nn_model_import_onnx_with
 * is this with NN_LOAD_DEFAULT. */
NnModel *nn_onnx_import (const char *path, const char *sidecar, const char *extra_json, NnLoadFlags flags,
                         GError **error);

/* ---- safetensors (core/io/safetensors.c) ------------------------------------ */
typedef struct {
  char         *name;
  char          dtype[8];     /* "F32", "F16", "BF16", "F64", "I64", ... */
  NnShape       shape;
  const guint8 *data;         /* into the mapped file */
  gsize         nbytes;
} NnStTensor;

typedef struct _NnSafetensors NnSafetensors;
/* Reads and fully validates the file: header length, JSON, dtypes, shapes,
 * sizes (overflow-checked), offsets tiling the data area exactly (no overlap, gap or trailing byte). */
NnSafetensors    *nn_safetensors_open (const char *path, GError **error);
const NnStTensor *nn_safetensors_get (const NnSafetensors *st, const char *name);
int               nn_safetensors_n_tensors (const NnSafetensors *st);
const NnStTensor *nn_safetensors_nth (const NnSafetensors *st, int i);
/* __metadata__ string value, or NULL */
const char       *nn_safetensors_metadata (const NnSafetensors *st, const char *key);
const char       *nn_safetensors_path (const NnSafetensors *st);
/* Copies a tensor into `dst` as float32 (F32, F16, BF16 and F64 accepted) after
 * checking its shape equals `expect`. */
gboolean          nn_safetensors_read_f32 (const NnSafetensors *st, const char *name, const NnShape *expect,
                                           float *dst, GError **error);
void              nn_safetensors_free (NnSafetensors *st);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (NnSafetensors, nn_safetensors_free)
/* Writes params as F32 with the given __metadata__ (key, value, ..., NULL). */
gboolean nn_safetensors_write (const char *path, const NnParam *params, int n_params,
                               const char *const *metadata, GError **error);
/* A tensor to write: data of numel (shape) items of dtype ("F32", "U32",
 * "I64", ...: items of 1, 4 or 8 bytes), in host byte order. */
typedef struct {
  const char *name;
  const char *dtype;
  NnShape     shape;
  const void *data;
} NnStEntry;
NnStEntry nn_st_entry_f32 (const NnParam *p);
/* Writes the entries in order (temporary file + rename). */
gboolean nn_safetensors_write_entries (const char *path, const NnStEntry *entries, int n_entries,
                                       const char *const *metadata, GError **error);

/* nn_model_save with more tensors after the model's and more metadata
 * (key, value, ..., NULL) after its own: the trainer's checkpoints. */
gboolean nn_model_save_extra (NnModel *m, const char *path, const NnStEntry *extra, int n_extra,
                              const char *const *metadata, GError **error);

/* ---- logging ---------------------------------------------------------------- */
void nn_log (NnLogLevel level, const char *fmt, ...) G_GNUC_PRINTF (2, 3);
