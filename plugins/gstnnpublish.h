/* nnpublish: publishes the classification results on each buffer as one JSON
 * object per frame, to a file or stdout (JSON lines) and to an MQTT broker. */
#pragma once

#include <gst/base/gstbasetransform.h>

G_BEGIN_DECLS

#define GST_TYPE_NN_PUBLISH (gst_nn_publish_get_type ())
G_DECLARE_FINAL_TYPE (GstNnPublish, gst_nn_publish, GST, NN_PUBLISH, GstBaseTransform)

GST_ELEMENT_REGISTER_DECLARE (nnpublish);

G_END_DECLS
