/* Video frames -> a model's input, for every element that feeds a model
 * (nnclassify, nnvideoclassify, nncapture): the caps' format and colorimetry
 * (range and matrix) mapped onto libnn's colour-correct converter, which is
 * built once when caps are set and run per frame without allocating. The
 * dataset readers (core/data) use the same converter, so a frame gives the
 * same tensor in `nn train` and in a pipeline. */
#pragma once

#include <gst/video/video.h>
#include <nn/nn.h>

G_BEGIN_DECLS

/* Raw formats the converter reads directly: what cameras and decoders
 * produce, so no videoconvert is needed in front of the elements. */
#define NN_INPUT_FORMATS \
  "{ GRAY8, RGB, BGR, RGBx, BGRx, RGBA, BGRA, xRGB, xBGR, ARGB, ABGR, I420, YV12, NV12, NV21, YUY2, UYVY, " \
  "YVYU, Y42B, Y444, I420_10LE, P010_10LE }"

/* The caps' layout and colorimetry as libnn sees them; FALSE for a format
 * outside NN_INPUT_FORMATS. An unknown range is limited for YUV and full
 * for RGB and gray; an unknown matrix is GStreamer's default for the height. */
gboolean nn_input_image_info (const GstVideoInfo *vi, NnImageInfo *out);

/* (transfer full) (nullable): the converter for frames of `vi` to samples
 * shaped by `pre`; NULL with `error` set when the format is not readable or
 * `pre` is not an image. */
NnImageConverter *nn_input_converter_new (const GstVideoInfo *vi, const NnPreprocess *pre, GError **error);

/* One mapped frame -> one sample (C, H, W) in `out`. */
void nn_input_convert (NnImageConverter *c, const GstVideoFrame *frame, float *out);

G_END_DECLS
