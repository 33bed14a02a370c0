/* Encode frames as an H.264 MP4 with GStreamer (appsrc ! videoconvert !
 * x264enc ! mp4mux); shared by the tools and the whole-pipeline tests.
 *
 * Files are written as real encoders and cameras write them: limited range
 * (luma 16-235, chroma 16-240), BT.601 for SD and BT.709 for HD (720 lines or
 * more), and labelled so both in the H.264 VUI and in the MP4 'colr' box.
 * Full range (0-255) is written on request and labelled full range. Gray
 * frames are expanded to RGB first: videoconvert copies GRAY8 into Y unchanged
 * while labelling the result limited range, so white would come out as 255 in
 * a file that says 235 is white. */
#pragma once
#include <glib.h>

typedef enum {
  NN_VIDEO_LIMITED_RANGE, /* 16-235: what encoders, decoders and cameras use */
  NN_VIDEO_FULL_RANGE,    /* 0-255 (JPEG-style), labelled so */
} NnVideoRange;

/* n frames of w x h: 1 byte a pixel (gray) when `channels` is 1, packed RGB24
 * when 3; scaled to out_w x out_h; fps frames/s. gst_init() must have been
 * called. */
gboolean nn_write_video (const char *path, const guint8 *frames, int n, int channels, int w, int h, int out_w,
                         int out_h, int fps, NnVideoRange range, GError **error);

/* The colorimetry (GStreamer's string form) nn_write_video labels a file of
 * `height` lines with: "bt601", "bt709" or their full-range forms. */
char *nn_video_colorimetry (int height, NnVideoRange range);

/* Limited-range shorthands. frames: n frames of w x h bytes; scaled to
 * size x size. */
gboolean nn_write_gray_video (const char *path, const guint8 *frames, int n, int w, int h, int size, int fps,
                              GError **error);

/* frames: n packed RGB24 frames of w x h, encoded at their own size. */
gboolean nn_write_rgb_video (const char *path, const guint8 *frames, int n, int w, int h, int fps, GError **error);
