/* nntrain: learns from labelled frames while the pipeline runs and hands the
 * weights to the classifiers of a shared model instance. */
#pragma once

#include <gst/video/video.h>
#include <gst/video/gstvideofilter.h>

G_BEGIN_DECLS

#define GST_TYPE_NN_TRAIN (gst_nn_train_get_type ())
G_DECLARE_FINAL_TYPE (GstNnTrain, gst_nn_train, GST, NN_TRAIN, GstVideoFilter)

GST_ELEMENT_REGISTER_DECLARE (nntrain);

G_END_DECLS
