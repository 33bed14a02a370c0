/* nnvideoclassify: runs a libnn sequence model (e.g. a ConvLSTM) over a
 * video stream, one sampled frame per time step, and classifies the video. */
#pragma once

#include <gst/video/video.h>
#include "gstnninference.h"

G_BEGIN_DECLS

#define GST_TYPE_NN_VIDEO_CLASSIFY (gst_nn_video_classify_get_type ())
G_DECLARE_FINAL_TYPE (GstNnVideoClassify, gst_nn_video_classify, GST, NN_VIDEO_CLASSIFY, GstNnInference)

GST_ELEMENT_REGISTER_DECLARE (nnvideoclassify);

/* Name of the element messages (running estimates and the end-of-stream summary). */
#define NN_VIDEO_CLASSIFICATION_NAME "nn-video-classification"
/* posted at the end of each complete clip when clip-messages is TRUE */
#define NN_VIDEO_CLIP_NAME "nn-video-clip"

G_END_DECLS
