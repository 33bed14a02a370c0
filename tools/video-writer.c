#include "video-writer.h"
#include <gst/app/gstappsrc.h>
#include <gst/gst.h>

static gboolean encode (const char *path, const char *desc, const guint8 *frames, int n, gsize fsize, int fps,
                        GError **error);

gboolean
nn_write_gray_video (const char *path, const guint8 *frames, int n, int w, int h, int size, int fps,
                     GError **error)
{
  g_autofree char *desc = g_strdup_printf (
    "appsrc name=src format=time caps=video/x-raw,format=GRAY8,width=%d,height=%d,framerate=%d/1 ! videoscale ! "
    "video/x-raw,width=%d,height=%d ! videoconvert ! video/x-raw,format=I420 ! x264enc speed-preset=fast "
    "pass=quant quantizer=12 ! h264parse ! mp4mux ! filesink location=\"%s\"", w, h, fps, size, size, path);
  return encode (path, desc, frames, n, (gsize) w * h, fps, error);
}

gboolean
nn_write_rgb_video (const char *path, const guint8 *frames, int n, int w, int h, int fps, GError **error)
{
  g_autofree char *desc = g_strdup_printf (
    "appsrc name=src format=time caps=video/x-raw,format=RGB,width=%d,height=%d,framerate=%d/1 ! "
    "videoconvert ! video/x-raw,format=I420 ! x264enc speed-preset=fast "
    "pass=quant quantizer=12 ! h264parse ! mp4mux ! filesink location=\"%s\"", w, h, fps, path);
  return encode (path, desc, frames, n, (gsize) w * h * 3, fps, error);
}

static gboolean
encode (const char *path, const char *desc, const guint8 *frames, int n, gsize fsize, int fps, GError **error)
{
  GstElement *pipe = gst_parse_launch (desc, error);
  if (!pipe)
    return FALSE;
  GstElement *src = gst_bin_get_by_name (GST_BIN (pipe), "src");
  gst_element_set_state (pipe, GST_STATE_PLAYING);
  for (int i = 0; i < n; i++) {
    GstBuffer *b = gst_buffer_new_memdup (frames + i * fsize, fsize);
    GST_BUFFER_PTS (b) = gst_util_uint64_scale (i, GST_SECOND, fps);
    GST_BUFFER_DURATION (b) = gst_util_uint64_scale (1, GST_SECOND, fps);
    gst_app_src_push_buffer (GST_APP_SRC (src), b);
  }
  gst_app_src_end_of_stream (GST_APP_SRC (src));
  GstBus *bus = gst_element_get_bus (pipe);
  GstMessage *m = gst_bus_timed_pop_filtered (bus, GST_CLOCK_TIME_NONE, GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  gboolean ok = GST_MESSAGE_TYPE (m) == GST_MESSAGE_EOS;
  if (!ok) {
    GError *e = NULL;
    gst_message_parse_error (m, &e, NULL);
    g_propagate_prefixed_error (error, e, "%s: ", path);
  }
  gst_message_unref (m);
  gst_object_unref (bus);
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (src);
  gst_object_unref (pipe);
  return ok;
}
