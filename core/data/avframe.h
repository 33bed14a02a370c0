/* Decoded libav frames -> model input samples, through the same converter
 * the elements use (nn-image.h), so a frame of a file is the same tensor in
 * `nn train` and in a pipeline. Shared by the image (folder.c) and video
 * (video.c) readers. Not installed. */
#pragma once

#include "nn-private.h"
#include <libavutil/frame.h>

typedef struct {
  NnImageConverter  *conv;   /* for `info` and `pre` below, rebuilt when they change */
  NnImageInfo        info;
  NnPreprocess       pre;
  struct SwsContext *sws;    /* layouts the converter does not read go to RGB24 first */
  guint8            *buf;
  gsize              size;
} NnAvConvert;

/* The layout, range and matrix libav reports for `f`, as GStreamer's
 * decoders report them in caps; FALSE when the converter cannot read it. */
gboolean nn_av_image_info (const AVFrame *f, NnImageInfo *info);
/* f -> one sample (C, H, W) shaped by pre; NULL on success, else a short
 * reason. Reuses c's converter while the frame geometry stays the same. */
const char *nn_av_frame_to_sample (NnAvConvert *c, const AVFrame *f, const NnPreprocess *pre, float *out);
void nn_av_convert_clear (NnAvConvert *c);
