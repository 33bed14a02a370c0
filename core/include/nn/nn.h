/* libnn: a small neural-network core that trains and runs networks.
 *
 * A network is described by a JSON spec (see docs/spec.md) and built into an
 * NnModel, which owns its parameters and a workspace sized for a maximum batch,
 * so forward and training steps allocate nothing.
 *
 *   g_autoptr(GError) err = NULL;
 *   NnModel *m = nn_model_load ("models/fashion-lenet.safetensors", &err);
 *   const float *probs = nn_model_forward (m, input, 1, FALSE, &err);   // (1, classes)
 *   nn_model_free (m);
 *
 * Data layout is PyTorch's: float32, NCHW, batch first; sequences N x T x ...
 * Every fallible call takes a GError **; the core never aborts, exits or prints.
 */
#pragma once

#include <glib.h>
#include <stdint.h>

G_BEGIN_DECLS

#if defined(NN_COMPILATION)
#define NN_API __attribute__((visibility ("default")))
#else
#define NN_API
#endif

/* ---- errors ------------------------------------------------------------- */
#define NN_ERROR (nn_error_quark ())
NN_API GQuark nn_error_quark (void);

typedef enum {
  NN_ERROR_FAILED,        /* anything else */
  NN_ERROR_IO,            /* file missing, unreadable, a directory ... */
  NN_ERROR_FORMAT,        /* corrupt or truncated file, bad JSON, bad CSV/IDX */
  NN_ERROR_SHAPE,         /* shapes that do not fit together */
  NN_ERROR_UNKNOWN_LAYER, /* spec names a layer type we do not have */
  NN_ERROR_INVALID,       /* bad option value or argument */
  NN_ERROR_EMPTY,         /* a dataset with no samples */
} NnError;

/* ---- runtime ------------------------------------------------------------ */
/* Threads libnn splits batches and layers over (default: one per core; n < 1
 * restores that). OpenBLAS itself is kept single-threaded. */
NN_API void nn_set_threads (int n);
NN_API int  nn_get_threads (void);
/* The calling thread's own cap on the threads its work is split over (n < 1:
 * none): a background trainer keeps its steps on one core, so that its duty
 * cycle is one core's and the streaming threads keep the others. */
NN_API void nn_set_thread_limit (int n);
/* The kernel path libnn chose at load time for this CPU: "portable",
 * "avx2" (AVX2 + FMA) or "avx512"; the environment variable NN_CPU forces one
 * the CPU runs (docs/cpu-dispatch.md). */
NN_API const char *nn_cpu_path_name (void);
/* The paths this CPU runs, in that order, separated by spaces. */
NN_API const char *nn_cpu_paths_available (void);
/* FALSE when NN_CPU names an unknown path or one this CPU cannot run (the
 * kernels then take the best path it runs); creating a layer fails the same. */
NN_API gboolean nn_cpu_check (GError **error);

typedef enum { NN_LOG_DEBUG, NN_LOG_INFO, NN_LOG_WARNING } NnLogLevel;
typedef void (*NnLogFunc) (NnLogLevel level, const char *msg, gpointer user_data);
/* Route the core's diagnostics; by default they are dropped. */
NN_API void nn_set_log_func (NnLogFunc func, gpointer user_data);

/* ---- shapes and tensors ------------------------------------------------- */
#define NN_MAX_DIMS 5

typedef struct {
  int     ndim;
  int64_t dim[NN_MAX_DIMS];
} NnShape;

NN_API int64_t nn_shape_numel (const NnShape *s);
NN_API gboolean nn_shape_equal (const NnShape *a, const NnShape *b);
/* "[1, 28, 28]" in buf. Returns (transfer none): buf. */
NN_API char *nn_shape_to_string (const NnShape *s, char *buf, gsize len);

typedef struct {
  NnShape  shape;
  float   *data;   /* owned */
} NnTensor;

/* Zero-filled. Returns (transfer full): free with nn_tensor_free. */
NN_API NnTensor *nn_tensor_new (const NnShape *shape) G_GNUC_WARN_UNUSED_RESULT;
NN_API NnTensor *nn_tensor_new_2d (int64_t rows, int64_t cols) G_GNUC_WARN_UNUSED_RESULT;
NN_API void      nn_tensor_free (NnTensor *t);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (NnTensor, nn_tensor_free)

/* ---- parameters ---------------------------------------------------------- */
typedef struct {
  char    *name;       /* "<layer>.<param>", e.g. "fc1.weight" */
  NnShape  shape;      /* PyTorch's shape */
  float   *data;       /* (numel) */
  float   *grad;       /* (numel), NULL for buffers */
  gboolean trainable;  /* FALSE for buffers such as running_mean */
  gboolean decay;      /* L1/L2 apply (weights yes, biases no) */
} NnParam;

#include "nn-model.h"
#include "nn-image.h"
#include "nn-video.h"
#include "nn-data.h"
#include "nn-train.h"
#include "nn-gan.h"
#include "nn-post.h"
#include "nn-spec.h"
#include "nn-label.h"
#include "nn-text.h"
#include "nn-shared.h"

G_END_DECLS
