/* The elements' input path (plugins/nn-input.c) against frames written by
 * others:
 * - gray and colour patches converted by libswscale (what FFmpeg-based
 *   encoders are fed with) to full- and limited-range I420, NV12, YUY2 (and
 *   every other accepted YUV layout) in BT.601 and BT.709, labelled in the
 *   caps as GStreamer labels them, reach the model as the RGB picture does:
 *   within one grey level for gray patches, within the codes' rounding for
 *   colour (tests/core/test-image.c checks the decoding itself to 0.02
 *   levels against the H.273 formulas). GstVideoConverter is not the writer
 *   here: from 8-bit RGB it truncates and works in 8-bit fixed point (a gray
 *   patch gets Cb 127 in BT.709), 3-4 levels off on its own;
 * - the first frame of an H.264 and of a VP8 file (encoded as real encoders
 *   do, limited range) gives the same tensor through the dataset reader
 *   (`nn train --data folder:`) and through the element's conversion of
 *   decodebin's output. */
#include <gst/app/gstappsink.h>
#include <gst/check/gstcheck.h>
#include <gst/video/video.h>
#include <glib/gstdio.h>
#include <libswscale/swscale.h>
#include <nn/nn.h>

#include "nn-input.h"

#define W 64
#define H 48
#define PATCH 8

static void
patch_rgb (int x, int y, gboolean gray, guint8 rgb[3])
{
  guint32 h = (guint32) ((x / PATCH) * 2654435761u) ^ (guint32) ((y / PATCH) * 40503u + 17u);
  h ^= h >> 13;
  h *= 0x5bd1e995u;
  h ^= h >> 15;
  /* colours within [24, 231]: GStreamer's converter has no headroom to clip */
  for (int c = 0; c < 3; c++)
    rgb[c] = (guint8) (24 + ((h >> (gray ? 0 : 8 * c)) & 0xff) * 208 / 256);
}

static GstBuffer *
rgb_frame (gboolean gray, GstVideoInfo *info)
{
  gst_video_info_set_format (info, GST_VIDEO_FORMAT_RGB, W, H);
  GstBuffer *buf = gst_buffer_new_allocate (NULL, GST_VIDEO_INFO_SIZE (info), NULL);
  GstVideoFrame f;
  fail_unless (gst_video_frame_map (&f, info, buf, GST_MAP_WRITE));
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++)
      patch_rgb (x, y, gray, (guint8 *) GST_VIDEO_FRAME_PLANE_DATA (&f, 0) + y * GST_VIDEO_FRAME_PLANE_STRIDE (&f, 0) + x * 3);
  gst_video_frame_unmap (&f);
  return buf;
}

/* RGB24 -> the layout of out_info with libswscale, exact rounding, the
 * coefficients and range of out_info's colorimetry. */
static GstBuffer *
sws_convert (GstBuffer *in, GstVideoInfo *in_info, GstVideoInfo *out_info)
{
  static const struct { GstVideoFormat g; enum AVPixelFormat av; gboolean swap_uv; } map[] = {
    { GST_VIDEO_FORMAT_I420, AV_PIX_FMT_YUV420P }, { GST_VIDEO_FORMAT_YV12, AV_PIX_FMT_YUV420P, TRUE },
    { GST_VIDEO_FORMAT_NV12, AV_PIX_FMT_NV12 }, { GST_VIDEO_FORMAT_NV21, AV_PIX_FMT_NV21 },
    { GST_VIDEO_FORMAT_YUY2, AV_PIX_FMT_YUYV422 }, { GST_VIDEO_FORMAT_UYVY, AV_PIX_FMT_UYVY422 },
    { GST_VIDEO_FORMAT_YVYU, AV_PIX_FMT_YVYU422 }, { GST_VIDEO_FORMAT_Y42B, AV_PIX_FMT_YUV422P },
    { GST_VIDEO_FORMAT_Y444, AV_PIX_FMT_YUV444P }, { GST_VIDEO_FORMAT_I420_10LE, AV_PIX_FMT_YUV420P10LE },
    { GST_VIDEO_FORMAT_P010_10LE, AV_PIX_FMT_P010LE },
  };
  guint i = 0;
  while (map[i].g != GST_VIDEO_INFO_FORMAT (out_info))
    i++;
  struct SwsContext *sws = sws_getContext (W, H, AV_PIX_FMT_RGB24, W, H, map[i].av,
                                           SWS_POINT | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT | SWS_FULL_CHR_H_INP,
                                           NULL, NULL, NULL);
  fail_unless (sws != NULL);
  const int *coefs = sws_getCoefficients (out_info->colorimetry.matrix == GST_VIDEO_COLOR_MATRIX_BT709 ?
                                          SWS_CS_ITU709 : SWS_CS_ITU601);
  sws_setColorspaceDetails (sws, coefs, 1, coefs, out_info->colorimetry.range == GST_VIDEO_COLOR_RANGE_0_255, 0,
                            1 << 16, 1 << 16);
  GstBuffer *out = gst_buffer_new_allocate (NULL, GST_VIDEO_INFO_SIZE (out_info), NULL);
  GstVideoFrame fi, fo;
  fail_unless (gst_video_frame_map (&fi, in_info, in, GST_MAP_READ));
  fail_unless (gst_video_frame_map (&fo, out_info, out, GST_MAP_WRITE));
  const guint8 *src[4] = { GST_VIDEO_FRAME_PLANE_DATA (&fi, 0) };
  int src_stride[4] = { GST_VIDEO_FRAME_PLANE_STRIDE (&fi, 0) };
  guint8 *dst[4] = { 0 };
  int dst_stride[4] = { 0 };
  for (guint p = 0; p < GST_VIDEO_FRAME_N_PLANES (&fo); p++) {
    guint q = map[i].swap_uv && p > 0 ? 3 - p : p;
    dst[q] = GST_VIDEO_FRAME_PLANE_DATA (&fo, p);
    dst_stride[q] = GST_VIDEO_FRAME_PLANE_STRIDE (&fo, p);
  }
  fail_unless_equals_int (sws_scale (sws, src, src_stride, 0, H, dst, dst_stride), H);
  gst_video_frame_unmap (&fi);
  gst_video_frame_unmap (&fo);
  sws_freeContext (sws);
  return out;
}

static void
to_sample (GstBuffer *buf, GstVideoInfo *info, const NnPreprocess *p, float *out)
{
  g_autoptr (GError) err = NULL;
  NnImageConverter *c = nn_input_converter_new (info, p, &err);
  fail_unless (c != NULL, "%s", err ? err->message : "");
  GstVideoFrame f;
  fail_unless (gst_video_frame_map (&f, info, buf, GST_MAP_READ));
  nn_input_convert (c, &f, out);
  gst_video_frame_unmap (&f);
  nn_image_converter_free (c);
}

static const GstVideoFormat yuv_formats[] = {
  GST_VIDEO_FORMAT_I420, GST_VIDEO_FORMAT_NV12, GST_VIDEO_FORMAT_YUY2, GST_VIDEO_FORMAT_YV12,
  GST_VIDEO_FORMAT_NV21, GST_VIDEO_FORMAT_UYVY, GST_VIDEO_FORMAT_YVYU, GST_VIDEO_FORMAT_Y42B,
  GST_VIDEO_FORMAT_Y444, GST_VIDEO_FORMAT_I420_10LE, GST_VIDEO_FORMAT_P010_10LE,
};

GST_START_TEST (test_patches_written_by_swscale)
{
  GstVideoFormat fmt = yuv_formats[__i__];
  static const char *colorimetries[] = { "bt601", "bt709", "1:4:0:0" /* full-range BT.601 */,
                                         "1:3:5:1" /* full-range BT.709 */ };
  for (int gray = 0; gray < 2; gray++) {
    GstVideoInfo rgb_info;
    GstBuffer *rgb = rgb_frame (gray, &rgb_info);
    for (int ch = 1; ch <= 3; ch += 2) {
      /* the model's size: a quarter, so each sample averages whole patches' halves */
      NnPreprocess p = { ch, H / 4, W / 4, 1.0f, { 0, 0, 0 }, { 1, 1, 1 } };
      float want[3 * (H / 4) * (W / 4)], got[3 * (H / 4) * (W / 4)];
      to_sample (rgb, &rgb_info, &p, want);
      for (guint c = 0; c < G_N_ELEMENTS (colorimetries); c++) {
        GstVideoInfo yuv_info;
        gst_video_info_set_format (&yuv_info, fmt, W, H);
        fail_unless (gst_video_colorimetry_from_string (&yuv_info.colorimetry, colorimetries[c]));
        GstBuffer *yuv = sws_convert (rgb, &rgb_info, &yuv_info);
        to_sample (yuv, &yuv_info, &p, got);
        /* rounding: half a code of Y, and of Cb through B's coefficient
         * (1.77 in BT.601, 1.86 in BT.709); 10-bit codes are 4 times finer */
        gboolean limited = yuv_info.colorimetry.range == GST_VIDEO_COLOR_RANGE_16_235;
        double k = 1 << (GST_VIDEO_FORMAT_INFO_DEPTH (yuv_info.finfo, 0) - 8);
        double step_y = (limited ? 255.0 / 219.0 : 1.0) / k, step_c = (limited ? 255.0 / 224.0 : 1.0) / k;
        double bound = gray ? 1.0 : 0.5 * (step_y + 1.8556 * step_c) + 0.01;
        /* full-range 10-bit: swscale scales 8-bit codes by 4 (white 1020),
         * H.273 and GStreamer by 1023/255 (white 1023), which we follow: up
         * to 0.75 levels apart at white */
        if (k > 1 && !limited)
          bound += 255.0 * 3.0 / 1023.0;
        double worst = 0.0;
        for (int i = 0; i < ch * (H / 4) * (W / 4); i++)
          worst = MAX (worst, fabs (got[i] - want[i]));
        fail_unless (worst <= bound, "%s %s %s %dch: %.3f grey levels from the RGB picture (bound %.3f)",
                     gst_video_format_to_string (fmt), colorimetries[c], gray ? "gray" : "colour", ch, worst, bound);
        gst_buffer_unref (yuv);
      }
    }
    gst_buffer_unref (rgb);
  }
}
GST_END_TEST;

/* The colorimetry the caps carry is what is honoured: the same Y plane read
 * as limited range is stretched, read as full range is not. */
GST_START_TEST (test_range_from_caps)
{
  GstVideoInfo info;
  GstCaps *caps = gst_caps_from_string ("video/x-raw,format=I420,width=4,height=4,colorimetry=bt601");
  fail_unless (gst_video_info_from_caps (&info, caps));
  gst_caps_unref (caps);
  NnImageInfo ii;
  fail_unless (nn_input_image_info (&info, &ii));
  fail_unless_equals_int (ii.range, NN_COLOR_RANGE_LIMITED);
  fail_unless_equals_int (ii.matrix, NN_COLOR_MATRIX_BT601);
  /* no colorimetry in the caps: GStreamer's default for the height */
  caps = gst_caps_from_string ("video/x-raw,format=NV12,width=1280,height=720");
  fail_unless (gst_video_info_from_caps (&info, caps));
  gst_caps_unref (caps);
  fail_unless (nn_input_image_info (&info, &ii));
  fail_unless_equals_int (ii.range, NN_COLOR_RANGE_LIMITED);
  fail_unless_equals_int (nn_color_matrix_resolve (ii.matrix, 720), NN_COLOR_MATRIX_BT709);
  caps = gst_caps_from_string ("video/x-raw,format=GRAY8,width=4,height=4");
  fail_unless (gst_video_info_from_caps (&info, caps));
  gst_caps_unref (caps);
  fail_unless (nn_input_image_info (&info, &ii));
  fail_unless_equals_int (ii.range, NN_COLOR_RANGE_FULL);
  caps = gst_caps_from_string ("video/x-raw,format=v210,width=4,height=4");
  fail_unless (gst_video_info_from_caps (&info, caps));
  gst_caps_unref (caps);
  fail_if (nn_input_image_info (&info, &ii));
}
GST_END_TEST;

/* ---- a file through the dataset reader and through the element's path ---- */

static char *
encode_clip (const char *dir, const char *encoder, const char *mux, const char *ext, int w, int h)
{
  char *path = g_strdup_printf ("%s/%s-%dx%d.%s", dir, encoder, w, h, ext);
  g_autofree char *desc = g_strdup_printf (
    "videotestsrc pattern=smpte num-buffers=4 ! video/x-raw,format=RGB,width=%d,height=%d,framerate=10/1 ! "
    "videoconvert ! video/x-raw,format=I420 ! %s ! %s ! filesink location=\"%s\"", w, h, encoder, mux, path);
  g_autoptr (GError) err = NULL;
  GstElement *p = gst_parse_launch (desc, &err);
  fail_unless (p != NULL, "%s", err ? err->message : "");
  gst_element_set_state (p, GST_STATE_PLAYING);
  GstBus *bus = gst_element_get_bus (p);
  GstMessage *m = gst_bus_timed_pop_filtered (bus, 60 * GST_SECOND, GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  fail_unless (m && GST_MESSAGE_TYPE (m) == GST_MESSAGE_EOS, "encoding %s failed", path);
  gst_message_unref (m);
  gst_object_unref (bus);
  gst_element_set_state (p, GST_STATE_NULL);
  gst_object_unref (p);
  return path;
}

/* decodebin ! appsink: the first frame and its caps, as the element gets them. */
static GstSample *
first_frame (const char *path)
{
  g_autofree char *desc = g_strdup_printf ("filesrc location=\"%s\" ! decodebin ! appsink name=out sync=false", path);
  GstElement *p = gst_parse_launch (desc, NULL);
  fail_unless (p != NULL);
  GstElement *sink = gst_bin_get_by_name (GST_BIN (p), "out");
  gst_element_set_state (p, GST_STATE_PLAYING);
  GstSample *s = gst_app_sink_try_pull_sample (GST_APP_SINK (sink), 30 * GST_SECOND);
  fail_unless (s != NULL, "no frame decoded from %s", path);
  gst_element_set_state (p, GST_STATE_NULL);
  gst_object_unref (sink);
  gst_object_unref (p);
  return s;
}

GST_START_TEST (test_file_frame_same_tensor)
{
  static const struct { const char *enc, *mux, *ext; int w, h; } files[] = {
    { "x264enc", "mp4mux", "mp4", 96, 64 },
    { "x264enc", "mp4mux", "mp4", 1280, 720 },   /* HD: BT.709 by default on both paths */
    { "vp8enc", "webmmux", "webm", 96, 64 },
  };
  g_autofree char *root = g_dir_make_tmp ("nn-input-XXXXXX", NULL);
  g_autofree char *dir = g_build_filename (root, "clips", "a", NULL);
  fail_unless (g_mkdir_with_parents (dir, 0755) == 0);
  for (guint i = 0; i < G_N_ELEMENTS (files); i++) {
    for (int ch = 1; ch <= 3; ch += 2) {
      g_autofree char *path = encode_clip (dir, files[i].enc, files[i].mux, files[i].ext, files[i].w, files[i].h);
      /* a one-frame clip model: the dataset reader's sample is the first frame */
      g_autofree char *spec = g_strdup_printf (
        "{\"input\":[1,%d,24,32],\"preprocess\":{\"rescale\":0.00392156862745098},\"labels\":[\"a\"],"
        "\"layers\":[{\"type\":\"flatten\"},{\"type\":\"dense\",\"units\":1},{\"type\":\"sigmoid\"}]}", ch);
      g_autoptr (GError) err = NULL;
      NnModel *m = nn_model_new_from_spec (spec, 1, &err);
      fail_unless (m != NULL, "%s", err ? err->message : "");
      g_autofree char *uri = g_strdup_printf ("folder:%s/clips", root);
      NnDataset *ds = nn_dataset_load (uri, m, &err);
      fail_unless (ds != NULL, "%s", err ? err->message : "");
      fail_unless_equals_int ((int) ds->n, 1);

      GstSample *s = first_frame (path);
      GstVideoInfo info;
      fail_unless (gst_video_info_from_caps (&info, gst_sample_get_caps (s)));
      NnPreprocess p = *nn_model_preprocess (m);
      p.channels = ch;
      p.height = 24;
      p.width = 32;
      float got[3 * 24 * 32];
      to_sample (gst_sample_get_buffer (s), &info, &p, got);
      double worst = 0.0;
      for (int k = 0; k < ch * 24 * 32; k++)
        worst = MAX (worst, fabs (got[k] - ds->x[k]));
      fail_unless (worst < 1e-6, "%s %dch: the element's tensor is %g from the dataset reader's", path, ch, worst);
      gst_sample_unref (s);
      nn_dataset_free (ds);
      nn_model_free (m);
      g_unlink (path);
    }
  }
  g_rmdir (dir);
  g_autofree char *clips = g_build_filename (root, "clips", NULL);
  g_rmdir (clips);
  g_rmdir (root);
}
GST_END_TEST;

static Suite *
input_suite (void)
{
  Suite *s = suite_create ("input");
  TCase *tc = tcase_create ("general");
  tcase_set_timeout (tc, 120);
  tcase_add_loop_test (tc, test_patches_written_by_swscale, 0, G_N_ELEMENTS (yuv_formats));
  tcase_add_test (tc, test_range_from_caps);
  tcase_add_test (tc, test_file_frame_same_tensor);
  suite_add_tcase (s, tc);
  return s;
}

GST_CHECK_MAIN (input);
