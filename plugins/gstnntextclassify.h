/* nntextclassify: runs a libnn word classifier on text/x-raw buffers. */
#pragma once

#include <gst/base/gstbasetransform.h>

G_BEGIN_DECLS

#define GST_TYPE_NN_TEXT_CLASSIFY (gst_nn_text_classify_get_type ())
G_DECLARE_FINAL_TYPE (GstNnTextClassify, gst_nn_text_classify, GST, NN_TEXT_CLASSIFY, GstBaseTransform)

GST_ELEMENT_REGISTER_DECLARE (nntextclassify);

G_END_DECLS
