/* nngansrc: video frames drawn by a libnn generator (GAN). */
#pragma once

#include <gst/base/gstpushsrc.h>
#include <gst/video/video.h>

G_BEGIN_DECLS

#define GST_TYPE_NN_GAN_SRC (gst_nn_gan_src_get_type ())
G_DECLARE_FINAL_TYPE (GstNnGanSrc, gst_nn_gan_src, GST, NN_GAN_SRC, GstPushSrc)

GST_ELEMENT_REGISTER_DECLARE (nngansrc);

G_END_DECLS
