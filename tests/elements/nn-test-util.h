/* Helpers shared by the element and pipeline tests: temporary model specs
 * and synthetic frames in any 8-bit format. */
#pragma once

#include <unistd.h>

#include <glib/gstdio.h>
#include <gst/check/gstcheck.h>
#include <gst/video/video.h>

/* Tiny classifiers: libnn loads a .json spec with fresh seeded weights. */
#define NN_TEST_SPEC_GRAY \
  "{\"input\":[1,8,8],\"labels\":[\"a\",\"b\",\"c\"]," \
  "\"layers\":[{\"name\":\"fc\",\"type\":\"dense\",\"units\":3},{\"type\":\"softmax\"}]}"
#define NN_TEST_SPEC_RGB \
  "{\"input\":[3,8,8],\"labels\":[\"red\",\"green\",\"blue\",\"gray\"]," \
  "\"layers\":[{\"name\":\"fc\",\"type\":\"dense\",\"units\":4},{\"type\":\"softmax\"}]}"
#define NN_TEST_SPEC_FLAT \
  "{\"input\":[64],\"labels\":[\"a\",\"b\",\"c\"]," \
  "\"layers\":[{\"name\":\"fc\",\"type\":\"dense\",\"units\":3},{\"type\":\"softmax\"}]}"

/* Writes `contents` to a new temporary file named after `tmpl` (with XXXXXX);
 * returns its path (g_free it, g_unlink the file). */
static inline char *
nn_test_write_temp (const char *tmpl, const char *contents, gssize len)
{
  GError *err = NULL;
  char *path = NULL;
  int fd = g_file_open_tmp (tmpl, &path, &err);
  fail_unless (fd >= 0, "g_file_open_tmp: %s", err ? err->message : "?");
  close (fd);
  fail_unless (g_file_set_contents (path, contents, len, &err), "write %s: %s", path, err ? err->message : "?");
  return path;
}

/* Deterministic gray test image value at (x, y). */
static inline guint8
nn_test_gray (int x, int y, guint seed)
{
  return (guint8) ((x * 37 + y * 91 + seed * 53 + ((x * y) ^ seed) * 7) & 0xff);
}

/* A frame whose every pixel has the colour (v, v, v) with v = nn_test_gray:
 * R=G=B for RGB formats (alpha 255), Y=v and U=V=128 for YUV, v for GRAY8. */
static inline GstBuffer *
nn_test_gray_frame (GstVideoFormat fmt, int width, int height, guint seed)
{
  GstVideoInfo info;
  GstVideoFrame f;
  fail_unless (gst_video_info_set_format (&info, fmt, width, height));
  GstBuffer *buf = gst_buffer_new_allocate (NULL, GST_VIDEO_INFO_SIZE (&info), NULL);
  gst_buffer_memset (buf, 0, 0, GST_VIDEO_INFO_SIZE (&info));
  gst_buffer_add_video_meta_full (buf, GST_VIDEO_FRAME_FLAG_NONE, fmt, width, height, GST_VIDEO_INFO_N_PLANES (&info),
                                  info.offset, info.stride);
  fail_unless (gst_video_frame_map (&f, &info, buf, GST_MAP_WRITE));
  for (int c = 0; c < (int) GST_VIDEO_FRAME_N_COMPONENTS (&f); c++) {
    guint8 *d = GST_VIDEO_FRAME_COMP_DATA (&f, c);
    int ps = GST_VIDEO_FRAME_COMP_PSTRIDE (&f, c), st = GST_VIDEO_FRAME_COMP_STRIDE (&f, c);
    int cw = GST_VIDEO_FRAME_COMP_WIDTH (&f, c), chh = GST_VIDEO_FRAME_COMP_HEIGHT (&f, c);
    gboolean chroma = GST_VIDEO_INFO_IS_YUV (&info) && c > 0;
    gboolean alpha = c == 3;
    for (int y = 0; y < chh; y++)
      for (int x = 0; x < cw; x++)
        d[y * st + x * ps] = chroma ? 128 : alpha ? 255 : nn_test_gray (x, y, seed);
  }
  gst_video_frame_unmap (&f);
  return buf;
}

/* Caps for nn_test_gray_frame: YUV frames carry Y = v, so they say full
 * range (colorimetry 1:4:0:0, BT.601 matrix); without it they would be read
 * as the limited range that YUV caps default to. */
static inline char *
nn_test_caps_string (GstVideoFormat fmt, int width, int height)
{
  gboolean yuv = GST_VIDEO_FORMAT_INFO_IS_YUV (gst_video_format_get_info (fmt));
  return g_strdup_printf ("video/x-raw,format=%s,width=%d,height=%d,framerate=30/1%s",
                          gst_video_format_to_string (fmt), width, height, yuv ? ",colorimetry=1:4:0:0" : "");
}
