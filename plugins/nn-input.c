/* Caps -> libnn's image converter; see nn-input.h. */
#include "nn-input.h"

static gboolean
map_format (GstVideoFormat f, NnPixelFormat *out)
{
  switch (f) {
    case GST_VIDEO_FORMAT_GRAY8: *out = NN_PIXEL_GRAY8; return TRUE;
    case GST_VIDEO_FORMAT_RGB: *out = NN_PIXEL_RGB24; return TRUE;
    case GST_VIDEO_FORMAT_BGR: *out = NN_PIXEL_BGR24; return TRUE;
    case GST_VIDEO_FORMAT_RGBx: case GST_VIDEO_FORMAT_RGBA: *out = NN_PIXEL_RGBX; return TRUE;
    case GST_VIDEO_FORMAT_BGRx: case GST_VIDEO_FORMAT_BGRA: *out = NN_PIXEL_BGRX; return TRUE;
    case GST_VIDEO_FORMAT_xRGB: case GST_VIDEO_FORMAT_ARGB: *out = NN_PIXEL_XRGB; return TRUE;
    case GST_VIDEO_FORMAT_xBGR: case GST_VIDEO_FORMAT_ABGR: *out = NN_PIXEL_XBGR; return TRUE;
    case GST_VIDEO_FORMAT_I420: *out = NN_PIXEL_I420; return TRUE;
    case GST_VIDEO_FORMAT_YV12: *out = NN_PIXEL_YV12; return TRUE;
    case GST_VIDEO_FORMAT_NV12: *out = NN_PIXEL_NV12; return TRUE;
    case GST_VIDEO_FORMAT_NV21: *out = NN_PIXEL_NV21; return TRUE;
    case GST_VIDEO_FORMAT_YUY2: *out = NN_PIXEL_YUY2; return TRUE;
    case GST_VIDEO_FORMAT_UYVY: *out = NN_PIXEL_UYVY; return TRUE;
    case GST_VIDEO_FORMAT_YVYU: *out = NN_PIXEL_YVYU; return TRUE;
    case GST_VIDEO_FORMAT_Y42B: *out = NN_PIXEL_Y42B; return TRUE;
    case GST_VIDEO_FORMAT_Y444: *out = NN_PIXEL_Y444; return TRUE;
    case GST_VIDEO_FORMAT_I420_10LE: *out = NN_PIXEL_I420_10LE; return TRUE;
    case GST_VIDEO_FORMAT_P010_10LE: *out = NN_PIXEL_P010_10LE; return TRUE;
    default: return FALSE;
  }
}

static NnColorMatrix
map_matrix (GstVideoColorMatrix m)
{
  switch (m) {
    case GST_VIDEO_COLOR_MATRIX_BT601: return NN_COLOR_MATRIX_BT601;
    case GST_VIDEO_COLOR_MATRIX_BT709: return NN_COLOR_MATRIX_BT709;
    case GST_VIDEO_COLOR_MATRIX_BT2020: return NN_COLOR_MATRIX_BT2020;
    case GST_VIDEO_COLOR_MATRIX_SMPTE240M: return NN_COLOR_MATRIX_SMPTE240M;
    /* FCC's coefficients are BT.601's to two decimals */
    case GST_VIDEO_COLOR_MATRIX_FCC: return NN_COLOR_MATRIX_BT601;
    default: return NN_COLOR_MATRIX_AUTO;
  }
}

gboolean
nn_input_image_info (const GstVideoInfo *vi, NnImageInfo *out)
{
  if (!map_format (GST_VIDEO_INFO_FORMAT (vi), &out->format))
    return FALSE;
  out->width = GST_VIDEO_INFO_WIDTH (vi);
  out->height = GST_VIDEO_INFO_HEIGHT (vi);
  gboolean yuv = GST_VIDEO_INFO_IS_YUV (vi);
  switch (vi->colorimetry.range) {
    case GST_VIDEO_COLOR_RANGE_0_255: out->range = NN_COLOR_RANGE_FULL; break;
    case GST_VIDEO_COLOR_RANGE_16_235: out->range = NN_COLOR_RANGE_LIMITED; break;
    default: out->range = yuv ? NN_COLOR_RANGE_LIMITED : NN_COLOR_RANGE_FULL; break;
  }
  out->matrix = map_matrix (vi->colorimetry.matrix);
  return TRUE;
}

NnImageConverter *
nn_input_converter_new (const GstVideoInfo *vi, const NnPreprocess *pre, GError **error)
{
  NnImageInfo info;
  if (!nn_input_image_info (vi, &info)) {
    g_set_error (error, NN_ERROR, NN_ERROR_INVALID, "the %s format is not read by the converter",
                 gst_video_format_to_string (GST_VIDEO_INFO_FORMAT (vi)));
    return NULL;
  }
  return nn_image_converter_new (&info, pre, error);
}

void
nn_input_convert (NnImageConverter *c, const GstVideoFrame *frame, float *out)
{
  const guint8 *planes[GST_VIDEO_MAX_PLANES];
  int strides[GST_VIDEO_MAX_PLANES];
  for (guint i = 0; i < GST_VIDEO_FRAME_N_PLANES (frame); i++) {
    planes[i] = GST_VIDEO_FRAME_PLANE_DATA (frame, i);
    strides[i] = GST_VIDEO_FRAME_PLANE_STRIDE (frame, i);
  }
  nn_image_converter_run (c, planes, strides, out);
}
