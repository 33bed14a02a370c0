/* GstNnInference: the base of the elements that run a libnn model on video
 * frames (nnclassify, nnvideoclassify). It owns what they share:
 *   - the "model" and "labels" properties, loading the model in start() with
 *     one set of error messages, the labels (the model's, or a labels file
 *     whose count must match), and the model name and element id that every
 *     result carries;
 *   - the colour-correct conversion of any accepted caps to the model's
 *     input (nn-input.h), built in set_info();
 *   - running the model on a frame, timed: the "latency" and "throughput"
 *     properties;
 *   - attaching results as metas and posting them as element messages;
 *   - with "model-instance", sharing one loaded model with the other
 *     elements of the process that name the same instance, their frames run
 *     in batches of up to "batch-size" (nn-shared.h; docs/multistream.md).
 * A subclass says what kind of model it runs (setup) and what it does with
 * each frame (process). */
#pragma once

#include <gst/video/video.h>
#include <gst/video/gstvideofilter.h>
#include <nn/nn.h>

G_BEGIN_DECLS

#define GST_TYPE_NN_INFERENCE (gst_nn_inference_get_type ())
G_DECLARE_DERIVABLE_TYPE (GstNnInference, gst_nn_inference, GST, NN_INFERENCE, GstVideoFilter)

struct _GstNnInferenceClass {
  GstVideoFilterClass parent_class;

  /* TRUE if the subclass runs the model as it is loaded, frame by frame with
   * no state in the model, so that streams may share it ("model-instance");
   * a subclass that derives its own model in setup() leaves it FALSE and
   * such elements refuse "model-instance" with an element error. */
  gboolean shareable;

  /* After the model is loaded: check that it is a model this element runs,
   * replace *model if the element runs a derived one (a streaming copy; free
   * the old one), and give the geometry of one frame's input and the number
   * of classes. FALSE with `error` set refuses the model. */
  gboolean      (*setup)    (GstNnInference *self, NnModel **model, NnPreprocess *frame, int *n_classes,
                             GError **error);
  /* One frame of negotiated caps. */
  GstFlowReturn (*process)  (GstNnInference *self, GstBuffer *buf);
  /* Free what setup() and process() allocated (after a failed start too). */
  void          (*teardown) (GstNnInference *self);
};

/* From start() to stop(): the model, one frame's geometry, the classes.
 * With a model instance the model is the instance's, to read only. */
NnModel            *gst_nn_inference_model (GstNnInference *self);
const NnPreprocess *gst_nn_inference_frame (GstNnInference *self);
int                 gst_nn_inference_n_classes (GstNnInference *self);
const char *const  *gst_nn_inference_labels (GstNnInference *self);

/* Converts buf's frame to the model input and runs the model, timed for
 * "latency"/"throughput". Returns the output (owned by the model) or NULL
 * with an element error posted. */
const float *gst_nn_inference_run (GstNnInference *self, GstBuffer *buf);

/* The k best of scores[0..n_classes) into the element's scratch: labels,
 * indices and scores, best first (nn_topk). Valid until the next call. */
void gst_nn_inference_top (GstNnInference *self, const float *scores, int k, const char ***labels, gint **idx,
                           gdouble **vals);

/* Adds "element", "model" and "element-id" to `s` (the result's provenance). */
void gst_nn_inference_stamp (GstNnInference *self, GstStructure *s);
/* Attaches `s` (transfer full, stamped here) to buf as an "nn-classification"
 * ROI meta over (x, y, w, h) whose id is the element's id; NULL (and a
 * warning) when buf is not writable. */
GstVideoRegionOfInterestMeta *gst_nn_inference_attach (GstNnInference *self, GstBuffer *buf, GstStructure *s,
                                                       guint x, guint y, guint w, guint h);
/* Posts `s` (transfer full, stamped here) as an element message. */
void gst_nn_inference_post (GstNnInference *self, GstStructure *s);

G_END_DECLS
