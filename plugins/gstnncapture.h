/* nncapture: saves video frames as a labelled image folder (enrolment). */
#pragma once

#include <gst/video/video.h>
#include <gst/video/gstvideofilter.h>

G_BEGIN_DECLS

#define GST_TYPE_NN_CAPTURE (gst_nn_capture_get_type ())
G_DECLARE_FINAL_TYPE (GstNnCapture, gst_nn_capture, GST, NN_CAPTURE, GstVideoFilter)

GST_ELEMENT_REGISTER_DECLARE (nncapture);

G_END_DECLS
