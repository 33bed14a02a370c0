/* nnclassify: runs a libnn image classifier on video frames. */
#pragma once

#include <gst/video/video.h>
#include "gstnninference.h"

G_BEGIN_DECLS

#define GST_TYPE_NN_CLASSIFY (gst_nn_classify_get_type ())
G_DECLARE_FINAL_TYPE (GstNnClassify, gst_nn_classify, GST, NN_CLASSIFY, GstNnInference)

GST_ELEMENT_REGISTER_DECLARE (nnclassify);

G_END_DECLS
