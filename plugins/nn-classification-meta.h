/* Classification results as nnclassify attaches them to buffers.
 *
 * nnclassify adds a GstVideoRegionOfInterestMeta, roi_type "nn-classification",
 * covering the whole frame (mode=whole) or the detected object's box in frame
 * coordinates (mode=map), with one parameter, a GstStructure named
 * "nn-classification":
 *
 *   label        (string)     best class
 *   class-index  (int)        its index in the model's output
 *   score        (double)     its score (a probability for softmax models)
 *   top-k-labels (GstValueArray of string)  best first
 *   top-k-indices(GstValueArray of int)
 *   top-k-scores (GstValueArray of double)
 *
 *   element      (string)     the name of the element that classified
 *   element-id   (uint)       its id, distinct per element of the process;
 *                             also the meta's id (GstVideoRegionOfInterestMeta.id)
 *   model        (string)     the model file's name without folder and extension
 *   weights-version (uint64)  with model-instance: the instance's weights
 *                             snapshot the frame ran on (nntrain publishes new ones)
 *
 * With smoothing, "stable" (string) is the current stable label. The element
 * message it posts has the same fields plus pts (guint64) and frame (guint64),
 * and x, y, width, height in mode=map; each change of the stable label posts
 * an "nn-gesture" message (gesture, class-index, previous, score, pts, frame). Applications read a buffer's result with:
 *
 *   const char *label; gint index; gdouble score;
 *   if (nn_buffer_get_classification (buf, &label, &index, &score))
 *     g_print ("%s %.2f\n", label, score);
 */
#pragma once

#include <gst/gst.h>
#include <gst/video/video.h>

G_BEGIN_DECLS

#define NN_CLASSIFICATION_NAME "nn-classification"

/* A result structure; labels[i], indices[i], scores[i] for i < k, best first.
 * labels[0] is the top label. (transfer full) */
GstStructure *nn_classification_new (guint k, const char *const *labels, const gint *indices,
                                     const gdouble *scores) G_GNUC_WARN_UNUSED_RESULT;

/* Attach `s` (transfer full) to `buf` (must be writable) as a whole-frame ROI meta. */
GstVideoRegionOfInterestMeta *nn_buffer_add_classification (GstBuffer *buf, guint width, guint height,
                                                            GstStructure *s);

/* The buffer's classification structure, or NULL. (transfer none) */
const GstStructure *nn_buffer_get_classification_structure (GstBuffer *buf);

/* TRUE if `buf` carries a classification; any out argument may be NULL.
 * `label` stays valid as long as the buffer's meta does. */
gboolean nn_buffer_get_classification (GstBuffer *buf, const char **label, gint *index, gdouble *score);

/* Number of top-k entries in a result structure, and entry i of them. */
guint    nn_classification_n_top (const GstStructure *s);
gboolean nn_classification_get_top (const GstStructure *s, guint i, const char **label, gint *index,
                                    gdouble *score);

G_END_DECLS
