/* Pixels -> model input: one colour-correct conversion for every caller.
 *
 * A frame in any of the layouts cameras, decoders and image files deliver
 * (packed RGB, gray, planar and semi-planar YUV, packed 4:2:2, 10-bit YUV)
 * becomes one input sample (C, H, W) of the model's size, honouring the
 * frame's colour range (full or limited "studio" range) and YCbCr matrix.
 * The elements, the dataset readers and `nn predict` all go through this, so
 * one frame of one file is the same tensor in training and in a pipeline.
 *
 *   NnImageInfo info = { NN_PIXEL_I420, 640, 480, NN_COLOR_RANGE_LIMITED, NN_COLOR_MATRIX_BT601 };
 *   NnImageConverter *c = nn_image_converter_new (&info, nn_model_preprocess (m), &err);  // once, at negotiation
 *   nn_image_converter_run (c, planes, strides, input);                                  // per frame, no allocation
 *
 * How: each colour component is resized on its own plane (area average when
 * shrinking, bilinear when enlarging, chroma at its own subsampled size),
 * then one affine map per output pixel takes (Y, Cb, Cr) or (R, G, B) to the
 * model's channels (RGB, or BT.601 luma of that RGB for gray models) with
 * the range expansion folded in, clips to [0, 255] and applies the
 * preprocess rescale and mean/std. Resizing first means a 640x480 frame costs
 * one pass over its samples whatever the model size, and no RGB frame is
 * ever built. The map is linear, so averaging before converting equals
 * converting before averaging except where a source pixel lies outside the
 * RGB cube (then the average is clipped instead of each pixel).
 */
#pragma once

#include "nn-model.h"

G_BEGIN_DECLS

/* Sample layouts, named as GStreamer names them. Planes: see
 * nn_pixel_format_n_planes(); 16-bit formats are little-endian. */
typedef enum {
  NN_PIXEL_GRAY8,
  NN_PIXEL_RGB24,
  NN_PIXEL_BGR24,
  NN_PIXEL_RGBX,      /* RGBx and RGBA */
  NN_PIXEL_BGRX,      /* BGRx and BGRA */
  NN_PIXEL_XRGB,      /* xRGB and ARGB */
  NN_PIXEL_XBGR,      /* xBGR and ABGR */
  NN_PIXEL_I420,      /* Y, U, V planes; chroma 2x2 subsampled */
  NN_PIXEL_YV12,      /* Y, V, U planes */
  NN_PIXEL_NV12,      /* Y plane, interleaved UV plane */
  NN_PIXEL_NV21,      /* Y plane, interleaved VU plane */
  NN_PIXEL_YUY2,      /* packed 4:2:2, Y0 U Y1 V */
  NN_PIXEL_UYVY,      /* packed 4:2:2, U Y0 V Y1 */
  NN_PIXEL_YVYU,      /* packed 4:2:2, Y0 V Y1 U */
  NN_PIXEL_Y42B,      /* planar 4:2:2 */
  NN_PIXEL_Y444,      /* planar 4:4:4 */
  NN_PIXEL_I420_10LE, /* planar 4:2:0, 10 bits in the low bits of 16 */
  NN_PIXEL_P010_10LE, /* semi-planar 4:2:0, 10 bits in the high bits of 16 */
  NN_PIXEL_N_FORMATS
} NnPixelFormat;

typedef enum {
  NN_COLOR_RANGE_FULL,     /* 0-255 (0-1023) */
  NN_COLOR_RANGE_LIMITED,  /* Y 16-235, Cb/Cr 16-240 (x4 for 10 bits), what video codecs carry */
} NnColorRange;

typedef enum {
  NN_COLOR_MATRIX_AUTO,    /* unspecified: BT.601 up to 576 lines, BT.709 above, BT.2020 from 2160 (GStreamer's rule) */
  NN_COLOR_MATRIX_BT601,
  NN_COLOR_MATRIX_BT709,
  NN_COLOR_MATRIX_BT2020,
  NN_COLOR_MATRIX_SMPTE240M,
} NnColorMatrix;

/* A frame's layout. range applies to YUV and gray (RGB is always full);
 * matrix to YUV only. */
typedef struct {
  NnPixelFormat format;
  int           width, height;
  NnColorRange  range;
  NnColorMatrix matrix;
} NnImageInfo;

typedef struct _NnImageConverter NnImageConverter;

/* Planes a frame of this format has (1 to 3); 0 for an unknown format. */
NN_API int nn_pixel_format_n_planes (NnPixelFormat f);
/* "I420", "RGB", ... (transfer none); NULL for an unknown format. */
NN_API const char *nn_pixel_format_name (NnPixelFormat f);
/* The matrix AUTO stands for at this frame height. */
NN_API NnColorMatrix nn_color_matrix_resolve (NnColorMatrix m, int height);

/* Builds the resize taps, the colour map and the scratch for frames of `src`
 * to samples shaped by `dst` (channels 1 or 3, height, width, rescale,
 * mean, std). Returns (transfer full) (nullable): NULL with `error` set for
 * an unknown format, a size < 1 or a model geometry that is not an image. */
NN_API NnImageConverter *nn_image_converter_new (const NnImageInfo *src, const NnPreprocess *dst, GError **error)
  G_GNUC_WARN_UNUSED_RESULT;
/* One frame -> one sample (C, H, W) in `out`. planes[i] and strides[i] (bytes
 * per row) for i < nn_pixel_format_n_planes(). Allocates nothing; a
 * converter serves one thread at a time. */
NN_API void nn_image_converter_run (NnImageConverter *c, const guint8 *const *planes, const int *strides,
                                    float *out);
/* (transfer none): the frame layout the converter was built for. */
NN_API const NnImageInfo *nn_image_converter_info (const NnImageConverter *c);
NN_API void nn_image_converter_free (NnImageConverter *c);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (NnImageConverter, nn_image_converter_free)

/* A packed single-plane frame (gray or an RGB layout, full range) -> one
 * sample: nn_image_converter_new + run + free, for one-off images. Formats
 * with more than one plane are refused (g_return_if_fail). */
NN_API void nn_preprocess_image (const NnPreprocess *p, const guint8 *pixels, int width, int height,
                                 int stride, NnPixelFormat fmt, float *out);

G_END_DECLS
