#include "video-writer.h"
#include <gst/app/gstappsrc.h>
#include <gst/gst.h>
#include <gst/video/video.h>

char *
nn_video_colorimetry (int height, NnVideoRange range)
{
  GstVideoColorimetry c;
  /* SD is BT.601, HD BT.709: what encoders assume when a stream says nothing */
  gst_video_colorimetry_from_string (&c, height >= 720 ? GST_VIDEO_COLORIMETRY_BT709 : GST_VIDEO_COLORIMETRY_BT601);
  c.range = range == NN_VIDEO_FULL_RANGE ? GST_VIDEO_COLOR_RANGE_0_255 : GST_VIDEO_COLOR_RANGE_16_235;
  return gst_video_colorimetry_to_string (&c);
}

/* GStreamer 1.22's qtdemux ignores the full-range flag of an MP4 'colr' box
 * and reports limited range, and h264parse then prefers that to the VUI. A
 * full-range file therefore goes to mp4mux without colorimetry in its caps, so
 * it writes no 'colr' box and readers (GStreamer, FFmpeg) take the range from
 * the H.264 VUI, which x264enc writes from the caps. */
static GstPadProbeReturn
drop_colorimetry (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  (void) pad;
  (void) data;
  GstEvent *ev = GST_PAD_PROBE_INFO_EVENT (info);
  if (GST_EVENT_TYPE (ev) != GST_EVENT_CAPS)
    return GST_PAD_PROBE_OK;
  GstCaps *caps;
  gst_event_parse_caps (ev, &caps);
  GstCaps *plain = gst_caps_copy (caps);
  gst_structure_remove_field (gst_caps_get_structure (plain, 0), "colorimetry");
  gst_event_unref (ev);
  GST_PAD_PROBE_INFO_DATA (info) = gst_event_new_caps (plain);
  gst_caps_unref (plain);
  return GST_PAD_PROBE_OK;
}

gboolean
nn_write_video (const char *path, const guint8 *frames, int n, int channels, int w, int h, int out_w, int out_h,
                int fps, NnVideoRange range, GError **error)
{
  g_return_val_if_fail (path && frames && n > 0 && (channels == 1 || channels == 3) && w > 0 && h > 0 && fps > 0,
                        FALSE);
  g_autofree char *colorimetry = nn_video_colorimetry (out_h, range);
  /* The frames go in as RGB (gray expanded below) and one videoconvert makes
   * I420 of the asked-for range and matrix from them: white is Y=235 in a
   * limited-range file, 255 in a full-range one. */
  g_autofree char *desc = g_strdup_printf (
    "appsrc name=src format=time caps=video/x-raw,format=RGB,width=%d,height=%d,framerate=%d/1,"
    "pixel-aspect-ratio=1/1,colorimetry=sRGB ! videoscale ! video/x-raw,width=%d,height=%d ! videoconvert ! "
    "video/x-raw,format=I420,colorimetry=%s ! x264enc speed-preset=fast pass=quant quantizer=12 ! "
    "h264parse name=parse ! mp4mux ! filesink name=out", w, h, fps, out_w, out_h, colorimetry);
  GError *e = NULL;
  GstElement *pipe = gst_parse_launch (desc, &e);
  if (!pipe || e) {
    g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_MISSING_PLUGIN, "%s: cannot build the encoder (%s)", path,
                 e ? e->message : "gst_parse_launch failed");
    g_clear_error (&e);
    g_clear_object (&pipe);
    return FALSE;
  }
  GstElement *src = gst_bin_get_by_name (GST_BIN (pipe), "src");
  GstElement *out = gst_bin_get_by_name (GST_BIN (pipe), "out");
  g_object_set (out, "location", path, NULL);
  gst_object_unref (out);
  if (range == NN_VIDEO_FULL_RANGE) {
    GstElement *parse = gst_bin_get_by_name (GST_BIN (pipe), "parse");
    GstPad *pad = gst_element_get_static_pad (parse, "src");
    gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, drop_colorimetry, NULL, NULL);
    gst_object_unref (pad);
    gst_object_unref (parse);
  }
  gboolean ok = gst_element_set_state (pipe, GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE;
  gsize in_size = (gsize) w * h * channels, rgb_size = (gsize) w * h * 3;
  for (int i = 0; ok && i < n; i++) {
    const guint8 *f = frames + i * in_size;
    GstBuffer *b;
    if (channels == 3) {
      b = gst_buffer_new_memdup (f, rgb_size);
    } else {
      b = gst_buffer_new_allocate (NULL, rgb_size, NULL);
      GstMapInfo map;
      gst_buffer_map (b, &map, GST_MAP_WRITE);
      for (gsize k = 0; k < (gsize) w * h; k++)
        map.data[3 * k] = map.data[3 * k + 1] = map.data[3 * k + 2] = f[k];
      gst_buffer_unmap (b, &map);
    }
    GST_BUFFER_PTS (b) = gst_util_uint64_scale (i, GST_SECOND, fps);
    GST_BUFFER_DURATION (b) = gst_util_uint64_scale (1, GST_SECOND, fps);
    if (gst_app_src_push_buffer (GST_APP_SRC (src), b) != GST_FLOW_OK)
      break; /* the bus says why */
  }
  gst_app_src_end_of_stream (GST_APP_SRC (src));
  GstBus *bus = gst_element_get_bus (pipe);
  GstMessage *m = gst_bus_timed_pop_filtered (bus, GST_CLOCK_TIME_NONE, GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  ok = GST_MESSAGE_TYPE (m) == GST_MESSAGE_EOS;
  if (!ok) {
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

gboolean
nn_write_gray_video (const char *path, const guint8 *frames, int n, int w, int h, int size, int fps,
                     GError **error)
{
  return nn_write_video (path, frames, n, 1, w, h, size, size, fps, NN_VIDEO_LIMITED_RANGE, error);
}

gboolean
nn_write_rgb_video (const char *path, const guint8 *frames, int n, int w, int h, int fps, GError **error)
{
  return nn_write_video (path, frames, n, 3, w, h, w, h, fps, NN_VIDEO_LIMITED_RANGE, error);
}
