/* Image grids of generated samples and PNG output through libavcodec's encoder. */
#include "nn-private.h"
#include <libavcodec/avcodec.h>
#include <libavutil/imgutils.h>

static guint8
to_u8 (float v, float lo, float hi)
{
  float u = (v - lo) / (hi - lo) * 255.0f + 0.5f;
  return (guint8) CLAMP (u, 0.0f, 255.0f);
}

guint8 *
nn_image_grid (const float *images, int n, int c, int h, int w, float lo, float hi, int cols, int pad, int *out_w,
               int *out_h)
{
  g_return_val_if_fail (n > 0 && (c == 1 || c == 3) && cols > 0 && hi > lo, NULL);
  int rows = (n + cols - 1) / cols;
  int W = cols * w + (cols + 1) * pad, H = rows * h + (rows + 1) * pad;
  guint8 *px = g_malloc0 ((gsize) W * H * c);
  for (int i = 0; i < n; i++) {
    int x0 = pad + (i % cols) * (w + pad), y0 = pad + (i / cols) * (h + pad);
    const float *img = images + (int64_t) i * c * h * w;
    for (int y = 0; y < h; y++)
      for (int x = 0; x < w; x++)
        for (int k = 0; k < c; k++)
          px[((gsize) (y0 + y) * W + x0 + x) * c + k] = to_u8 (img[((int64_t) k * h + y) * w + x], lo, hi);
  }
  *out_w = W;
  *out_h = H;
  return px;
}

static gboolean
encode_png (const guint8 *pixels, int w, int h, int channels, AVPacket *pkt, GError **error)
{
  const AVCodec *codec = avcodec_find_encoder (AV_CODEC_ID_PNG);
  AVCodecContext *ctx = codec ? avcodec_alloc_context3 (codec) : NULL;
  AVFrame *f = av_frame_alloc ();
  gboolean ok = FALSE;
  if (!ctx || !f)
    goto out;
  ctx->width = w;
  ctx->height = h;
  ctx->pix_fmt = channels == 1 ? AV_PIX_FMT_GRAY8 : AV_PIX_FMT_RGB24;
  ctx->time_base = (AVRational) { 1, 1 };
  if (avcodec_open2 (ctx, codec, NULL) < 0)
    goto out;
  f->width = w;
  f->height = h;
  f->format = ctx->pix_fmt;
  if (av_frame_get_buffer (f, 0) < 0)
    goto out;
  for (int y = 0; y < h; y++)
    memcpy (f->data[0] + (gsize) y * f->linesize[0], pixels + (gsize) y * w * channels, (gsize) w * channels);
  ok = avcodec_send_frame (ctx, f) >= 0 && avcodec_send_frame (ctx, NULL) >= 0 &&
       avcodec_receive_packet (ctx, pkt) >= 0;
out:
  if (!ok)
    g_set_error (error, NN_ERROR, NN_ERROR_FAILED, "cannot encode a %dx%d PNG with libavcodec", w, h);
  av_frame_free (&f);
  avcodec_free_context (&ctx);
  return ok;
}

gboolean
nn_image_write_png (const char *path, const guint8 *pixels, int w, int h, int channels, GError **error)
{
  if ((channels != 1 && channels != 3) || w < 1 || h < 1) {
    g_set_error (error, NN_ERROR, NN_ERROR_INVALID, "%s: cannot write a %dx%d image of %d channels", path, w, h,
                 channels);
    return FALSE;
  }
  AVPacket *pkt = av_packet_alloc ();
  gboolean ok = pkt && encode_png (pixels, w, h, channels, pkt, error);
  g_autoptr (GError) e = NULL;
  if (ok && !g_file_set_contents (path, (const char *) pkt->data, pkt->size, &e)) {
    g_set_error (error, NN_ERROR, NN_ERROR_IO, "%s: %s", path, e->message);
    ok = FALSE;
  }
  av_packet_free (&pkt);
  return ok;
}
