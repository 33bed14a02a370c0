/* libav frames -> samples; see avframe.h. */
#include "avframe.h"
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>

/* *jpeg: the YUVJ formats, full range whatever color_range says. */
static gboolean
map_format (enum AVPixelFormat f, NnPixelFormat *out, gboolean *jpeg)
{
  *jpeg = FALSE;
  switch (f) {
    case AV_PIX_FMT_GRAY8: *out = NN_PIXEL_GRAY8; return TRUE;
    case AV_PIX_FMT_RGB24: *out = NN_PIXEL_RGB24; return TRUE;
    case AV_PIX_FMT_BGR24: *out = NN_PIXEL_BGR24; return TRUE;
    case AV_PIX_FMT_RGBA: case AV_PIX_FMT_RGB0: *out = NN_PIXEL_RGBX; return TRUE;
    case AV_PIX_FMT_BGRA: case AV_PIX_FMT_BGR0: *out = NN_PIXEL_BGRX; return TRUE;
    case AV_PIX_FMT_ARGB: case AV_PIX_FMT_0RGB: *out = NN_PIXEL_XRGB; return TRUE;
    case AV_PIX_FMT_ABGR: case AV_PIX_FMT_0BGR: *out = NN_PIXEL_XBGR; return TRUE;
    case AV_PIX_FMT_YUVJ420P: *jpeg = TRUE; /* fall through */
    case AV_PIX_FMT_YUV420P: *out = NN_PIXEL_I420; return TRUE;
    case AV_PIX_FMT_NV12: *out = NN_PIXEL_NV12; return TRUE;
    case AV_PIX_FMT_NV21: *out = NN_PIXEL_NV21; return TRUE;
    case AV_PIX_FMT_YUYV422: *out = NN_PIXEL_YUY2; return TRUE;
    case AV_PIX_FMT_UYVY422: *out = NN_PIXEL_UYVY; return TRUE;
    case AV_PIX_FMT_YVYU422: *out = NN_PIXEL_YVYU; return TRUE;
    case AV_PIX_FMT_YUVJ422P: *jpeg = TRUE; /* fall through */
    case AV_PIX_FMT_YUV422P: *out = NN_PIXEL_Y42B; return TRUE;
    case AV_PIX_FMT_YUVJ444P: *jpeg = TRUE; /* fall through */
    case AV_PIX_FMT_YUV444P: *out = NN_PIXEL_Y444; return TRUE;
    case AV_PIX_FMT_YUV420P10LE: *out = NN_PIXEL_I420_10LE; return TRUE;
    case AV_PIX_FMT_P010LE: *out = NN_PIXEL_P010_10LE; return TRUE;
    default: return FALSE;
  }
}

static NnColorMatrix
map_matrix (enum AVColorSpace s)
{
  switch (s) {
    case AVCOL_SPC_BT470BG: case AVCOL_SPC_SMPTE170M: case AVCOL_SPC_FCC: return NN_COLOR_MATRIX_BT601;
    case AVCOL_SPC_BT709: return NN_COLOR_MATRIX_BT709;
    case AVCOL_SPC_BT2020_NCL: case AVCOL_SPC_BT2020_CL: return NN_COLOR_MATRIX_BT2020;
    case AVCOL_SPC_SMPTE240M: return NN_COLOR_MATRIX_SMPTE240M;
    default: return NN_COLOR_MATRIX_AUTO;
  }
}

static gboolean
is_yuv (enum AVPixelFormat f)
{
  const AVPixFmtDescriptor *d = av_pix_fmt_desc_get (f);
  return d && !(d->flags & AV_PIX_FMT_FLAG_RGB) && d->nb_components >= 3;
}

gboolean
nn_av_image_info (const AVFrame *f, NnImageInfo *info)
{
  gboolean jpeg;
  if (!map_format (f->format, &info->format, &jpeg))
    return FALSE;
  info->width = f->width;
  info->height = f->height;
  /* unspecified: limited for YUV (what codecs carry, and how GStreamer's
   * decoders label it), full for RGB and gray */
  if (jpeg || f->color_range == AVCOL_RANGE_JPEG)
    info->range = NN_COLOR_RANGE_FULL;
  else if (f->color_range == AVCOL_RANGE_MPEG || is_yuv (f->format))
    info->range = NN_COLOR_RANGE_LIMITED;
  else
    info->range = NN_COLOR_RANGE_FULL;
  info->matrix = map_matrix (f->colorspace);
  return TRUE;
}

/* swscale's coefficient table for the frame's matrix */
static int
sws_colorspace (const AVFrame *f)
{
  switch (nn_color_matrix_resolve (map_matrix (f->colorspace), f->height)) {
    case NN_COLOR_MATRIX_BT709: return SWS_CS_ITU709;
    case NN_COLOR_MATRIX_BT2020: return SWS_CS_BT2020;
    case NN_COLOR_MATRIX_SMPTE240M: return SWS_CS_SMPTE240M;
    default: return SWS_CS_ITU601;
  }
}

/* A layout the converter does not read (palette, 16-bit RGB, 4:1:1 ...):
 * swscale makes full-range RGB24 of it at its own size. */
static const char *
to_rgb24 (NnAvConvert *c, const AVFrame *f, NnImageInfo *info, const guint8 **plane, int *stride)
{
  *stride = f->width * 3;
  gsize need = (gsize) *stride * f->height;
  if (need > c->size) {
    c->buf = g_realloc (c->buf, need);
    c->size = need;
  }
  enum AVPixelFormat src = f->format;
  int full = !is_yuv (src) || f->color_range == AVCOL_RANGE_JPEG;
  /* swscale deprecates the YUVJ formats: the plain ones with full range */
  switch (src) {
    case AV_PIX_FMT_YUVJ440P: src = AV_PIX_FMT_YUV440P; full = 1; break;
    case AV_PIX_FMT_YUVJ411P: src = AV_PIX_FMT_YUV411P; full = 1; break;
    default: break;
  }
  c->sws = sws_getCachedContext (c->sws, f->width, f->height, src, f->width, f->height, AV_PIX_FMT_RGB24,
                                 SWS_POINT | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT, NULL, NULL, NULL);
  if (!c->sws)
    return "cannot convert its pixel format";
  const int *coefs = sws_getCoefficients (sws_colorspace (f));
  sws_setColorspaceDetails (c->sws, coefs, full, coefs, 1, 0, 1 << 16, 1 << 16);
  guint8 *dst[4] = { c->buf };
  int dst_stride[4] = { *stride };
  if (sws_scale (c->sws, (const guint8 *const *) f->data, f->linesize, 0, f->height, dst, dst_stride) != f->height)
    return "cannot convert its pixel format";
  *info = (NnImageInfo) { NN_PIXEL_RGB24, f->width, f->height, NN_COLOR_RANGE_FULL, NN_COLOR_MATRIX_AUTO };
  *plane = c->buf;
  return NULL;
}

const char *
nn_av_frame_to_sample (NnAvConvert *c, const AVFrame *f, const NnPreprocess *pre, float *out)
{
  NnImageInfo info;
  const guint8 *planes[4];
  int strides[4];
  if (nn_av_image_info (f, &info)) {
    for (int i = 0; i < 4; i++) {
      planes[i] = f->data[i];
      strides[i] = f->linesize[i];
    }
  } else {
    const char *why = to_rgb24 (c, f, &info, &planes[0], &strides[0]);
    if (why)
      return why;
  }
  if (!c->conv || memcmp (&info, &c->info, sizeof info) != 0 || memcmp (pre, &c->pre, sizeof *pre) != 0) {
    g_clear_pointer (&c->conv, nn_image_converter_free);
    c->conv = nn_image_converter_new (&info, pre, NULL);
    if (!c->conv)
      return "cannot convert its pixel format to the model's input";
    c->info = info;
    c->pre = *pre;
  }
  nn_image_converter_run (c->conv, planes, strides, out);
  return NULL;
}

void
nn_av_convert_clear (NnAvConvert *c)
{
  g_clear_pointer (&c->conv, nn_image_converter_free);
  sws_freeContext (c->sws);
  c->sws = NULL;
  g_clear_pointer (&c->buf, g_free);
  c->size = 0;
}
