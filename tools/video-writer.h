/* Encode 8-bit gray frames as an H.264 MP4 with GStreamer (appsrc ! x264enc !
 * mp4mux); shared by nn-idx2video and the whole-pipeline tests. */
#pragma once
#include <glib.h>

/* frames: n frames of w x h bytes; scaled to size x size; fps frames/s.
 * gst_init() must have been called. */
gboolean nn_write_gray_video (const char *path, const guint8 *frames, int n, int w, int h, int size, int fps,
                              GError **error);

/* frames: n packed RGB24 frames of w x h, encoded at their own size. */
gboolean nn_write_rgb_video (const char *path, const guint8 *frames, int n, int w, int h, int fps, GError **error);
