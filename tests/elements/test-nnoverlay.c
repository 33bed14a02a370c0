/* nnoverlay: draws where the result box is, nowhere else, on every format. */
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>

#include "nn-classification-meta.h"
#include "nn-test-util.h"

static const GstVideoFormat all_formats[] = {
  GST_VIDEO_FORMAT_RGB, GST_VIDEO_FORMAT_BGR, GST_VIDEO_FORMAT_RGBx, GST_VIDEO_FORMAT_BGRx,
  GST_VIDEO_FORMAT_xRGB, GST_VIDEO_FORMAT_xBGR, GST_VIDEO_FORMAT_RGBA, GST_VIDEO_FORMAT_BGRA,
  GST_VIDEO_FORMAT_ARGB, GST_VIDEO_FORMAT_ABGR, GST_VIDEO_FORMAT_GRAY8, GST_VIDEO_FORMAT_I420,
  GST_VIDEO_FORMAT_YV12, GST_VIDEO_FORMAT_NV12, GST_VIDEO_FORMAT_NV21, GST_VIDEO_FORMAT_Y42B,
  GST_VIDEO_FORMAT_Y444,
};

static GstHarness *
overlay_harness (const char *props, GstVideoFormat fmt, int w, int h)
{
  g_autofree char *desc = g_strdup_printf ("nnoverlay %s", props ? props : "");
  GstHarness *hs = gst_harness_new_parse (desc);
  g_autofree char *caps = nn_test_caps_string (fmt, w, h);
  gst_harness_set_src_caps_str (hs, caps);
  return hs;
}

static void
add_result (GstBuffer *buf, int w, int h)
{
  const char *labels[] = { "Sneaker", "Bag", "Ankle boot" };
  const gint idx[] = { 7, 8, 9 };
  const gdouble scores[] = { 0.7, 0.2, 0.1 };
  nn_buffer_add_classification (buf, w, h, nn_classification_new (3, labels, idx, scores));
}

/* Pixels (in plane 0, i.e. packed pixels or luma) that differ inside the
 * rectangle [x0, x1) x [y0, y1). */
static int
count_changed (GstBuffer *a, GstBuffer *b, GstVideoFormat fmt, int w, int h, int x0, int y0, int x1, int y1)
{
  GstVideoInfo info;
  GstVideoFrame fa, fb;
  gst_video_info_set_format (&info, fmt, w, h);
  fail_unless (gst_video_frame_map (&fa, &info, a, GST_MAP_READ));
  fail_unless (gst_video_frame_map (&fb, &info, b, GST_MAP_READ));
  const int ps = GST_VIDEO_INFO_COMP_PSTRIDE (&info, 0), st = GST_VIDEO_FRAME_PLANE_STRIDE (&fa, 0);
  const guint8 *pa = GST_VIDEO_FRAME_PLANE_DATA (&fa, 0), *pb = GST_VIDEO_FRAME_PLANE_DATA (&fb, 0);
  int n = 0;
  for (int y = MAX (y0, 0); y < MIN (y1, h); y++)
    for (int x = MAX (x0, 0); x < MIN (x1, w); x++)
      n += memcmp (pa + y * st + x * ps, pb + y * st + x * ps, ps) != 0;
  gst_video_frame_unmap (&fa);
  gst_video_frame_unmap (&fb);
  return n;
}

/* Pushes `in` (with or without a result) and returns (output, a copy of the input). */
static GstBuffer *
push_pull (GstHarness *hs, GstBuffer *in, GstBuffer **orig)
{
  *orig = gst_buffer_copy_deep (in);
  fail_unless_equals_int (gst_harness_push (hs, in), GST_FLOW_OK);
  GstBuffer *out = gst_harness_pull (hs);
  fail_unless (out != NULL);
  return out;
}

GST_START_TEST (test_properties)
{
  GstElement *e = gst_element_factory_make ("nnoverlay", NULL);
  fail_unless (e != NULL);
  guint scale = 99;
  g_object_get (e, "scale", &scale, NULL);
  fail_unless_equals_int (scale, 0);
  g_object_set (e, "scale", 3, NULL);
  g_object_get (e, "scale", &scale, NULL);
  fail_unless_equals_int (scale, 3);
  gst_object_unref (e);
}
GST_END_TEST;

GST_START_TEST (test_nothing_without_result)
{
  for (guint f = 0; f < G_N_ELEMENTS (all_formats); f++) {
    GstHarness *hs = overlay_harness (NULL, all_formats[f], 64, 48);
    GstBuffer *orig, *out = push_pull (hs, nn_test_gray_frame (all_formats[f], 64, 48, f), &orig);
    fail_unless_equals_int (count_changed (orig, out, all_formats[f], 64, 48, 0, 0, 64, 48), 0);
    gst_buffer_unref (orig);
    gst_buffer_unref (out);
    gst_harness_teardown (hs);
  }
}
GST_END_TEST;

/* At 224x224 the box (title + 3 rows at scale 2) stays in the top-left quarter. */
GST_START_TEST (test_draws_in_box_only)
{
  const int sizes[][2] = { { 224, 224 }, { 33, 17 }, { 320, 240 } };
  for (guint f = 0; f < G_N_ELEMENTS (all_formats); f++)
    for (guint s = 0; s < G_N_ELEMENTS (sizes); s++) {
      const GstVideoFormat fmt = all_formats[f];
      const int w = sizes[s][0], h = sizes[s][1];
      GstHarness *hs = overlay_harness (NULL, fmt, w, h);
      GstBuffer *in = nn_test_gray_frame (fmt, w, h, f);
      add_result (in, w, h);
      GstBuffer *orig, *out = push_pull (hs, in, &orig);
      int inside = count_changed (orig, out, fmt, w, h, 0, 0, w / 2 + 1, h / 2 + 1);
      fail_unless (inside > 0, "%s %dx%d: nothing drawn", gst_video_format_to_string (fmt), w, h);
      if (w >= 224)
        fail_unless_equals_int (count_changed (orig, out, fmt, w, h, w / 2, h / 2, w, h), 0);
      gst_buffer_unref (orig);
      gst_buffer_unref (out);
      gst_harness_teardown (hs);
    }
}
GST_END_TEST;

/* The text is drawn in white: some pixels in the title line become white. */
GST_START_TEST (test_text_is_white)
{
  GstHarness *hs = overlay_harness (NULL, GST_VIDEO_FORMAT_RGB, 224, 224);
  GstBuffer *in = nn_test_gray_frame (GST_VIDEO_FORMAT_RGB, 224, 224, 0);
  gst_buffer_memset (in, 0, 0, gst_buffer_get_size (in));
  add_result (in, 224, 224);
  GstBuffer *orig, *out = push_pull (hs, in, &orig);
  GstMapInfo map;
  fail_unless (gst_buffer_map (out, &map, GST_MAP_READ));
  int white = 0;
  /* scale 2 at 224: the title's glyphs are 14 pixels high from y = 4 */
  for (int y = 4; y < 18; y++)
    for (int x = 0; x < 112; x++)
      white += map.data[(y * 224 + x) * 3] == 255 && map.data[(y * 224 + x) * 3 + 1] == 255;
  gst_buffer_unmap (out, &map);
  fail_unless (white > 50, "only %d white pixels", white);
  gst_buffer_unref (orig);
  gst_buffer_unref (out);
  gst_harness_teardown (hs);
}
GST_END_TEST;

GST_START_TEST (test_remembers_last_result)
{
  GstHarness *hs = overlay_harness (NULL, GST_VIDEO_FORMAT_I420, 224, 224);
  GstBuffer *in = nn_test_gray_frame (GST_VIDEO_FORMAT_I420, 224, 224, 1);
  add_result (in, 224, 224);
  GstBuffer *orig, *out = push_pull (hs, in, &orig);
  int first = count_changed (orig, out, GST_VIDEO_FORMAT_I420, 224, 224, 0, 0, 224, 224);
  gst_buffer_unref (orig);
  gst_buffer_unref (out);

  out = push_pull (hs, nn_test_gray_frame (GST_VIDEO_FORMAT_I420, 224, 224, 1), &orig);
  fail_unless (first > 0);
  fail_unless_equals_int (count_changed (orig, out, GST_VIDEO_FORMAT_I420, 224, 224, 0, 0, 224, 224), first);
  gst_buffer_unref (orig);
  gst_buffer_unref (out);
  gst_harness_teardown (hs);
}
GST_END_TEST;

GST_START_TEST (test_scale)
{
  int changed[2];
  const char *props[] = { "scale=1", "scale=4" };
  for (int i = 0; i < 2; i++) {
    GstHarness *hs = overlay_harness (props[i], GST_VIDEO_FORMAT_GRAY8, 320, 240);
    GstBuffer *in = nn_test_gray_frame (GST_VIDEO_FORMAT_GRAY8, 320, 240, 2);
    add_result (in, 320, 240);
    GstBuffer *orig, *out = push_pull (hs, in, &orig);
    changed[i] = count_changed (orig, out, GST_VIDEO_FORMAT_GRAY8, 320, 240, 0, 0, 320, 240);
    gst_buffer_unref (orig);
    gst_buffer_unref (out);
    gst_harness_teardown (hs);
  }
  fail_unless (changed[0] > 0);
  fail_unless (changed[1] > 8 * changed[0], "scale 1: %d, scale 4: %d", changed[0], changed[1]);
}
GST_END_TEST;

/* nnclassify's meta drives the overlay. */
GST_START_TEST (test_after_nnclassify)
{
  g_autofree char *model = nn_test_write_temp ("nnoverlay-XXXXXX.json", NN_TEST_SPEC_GRAY, -1);
  g_autofree char *desc = g_strdup_printf ("nnclassify model=\"%s\" ! nnoverlay", model);
  GstHarness *hs = gst_harness_new_parse (desc);
  gst_harness_set_src_caps_str (hs, "video/x-raw,format=RGBx,width=224,height=224,framerate=30/1");
  GstBuffer *orig, *out = push_pull (hs, nn_test_gray_frame (GST_VIDEO_FORMAT_RGBx, 224, 224, 3), &orig);
  fail_unless (nn_buffer_get_classification (out, NULL, NULL, NULL));
  fail_unless (count_changed (orig, out, GST_VIDEO_FORMAT_RGBx, 224, 224, 0, 0, 112, 112) > 0);
  gst_buffer_unref (orig);
  gst_buffer_unref (out);
  gst_harness_teardown (hs);
  g_unlink (model);
}
GST_END_TEST;

/* A result with a region (nnclassify mode=map): its outline is drawn in the
 * box colour, the inside of the box and the rest of the frame stay as they
 * were (the result panel aside). */
GST_START_TEST (test_draws_region_box)
{
  const int w = 224, h = 224, bx = 120, by = 110, bw = 60, bh = 50;
  GstHarness *hs = overlay_harness ("scale=2", GST_VIDEO_FORMAT_RGB, w, h);
  GstBuffer *in = nn_test_gray_frame (GST_VIDEO_FORMAT_RGB, w, h, 5);
  const char *labels[] = { "palm" };
  const gint idx[] = { 4 };
  const gdouble scores[] = { 0.9 };
  GstVideoRegionOfInterestMeta *roi =
    gst_buffer_add_video_region_of_interest_meta (in, NN_CLASSIFICATION_NAME, bx, by, bw, bh);
  gst_video_region_of_interest_meta_add_param (roi, nn_classification_new (1, labels, idx, scores));
  GstBuffer *orig, *out = push_pull (hs, in, &orig);
  GstMapInfo map;
  gst_buffer_map (out, &map, GST_MAP_READ);
  const int corners[][2] = { { bx, by + bh - 1 }, { bx + bw - 1, by + bh - 1 }, { bx + bw / 2, by + bh - 1 },
                             { bx, by + bh / 2 }, { bx + bw - 1, by + bh / 2 } };
  for (guint i = 0; i < G_N_ELEMENTS (corners); i++) {
    const guint8 *p = map.data + (corners[i][1] * w + corners[i][0]) * 3;
    fail_unless (p[0] == 255 && p[1] == 200 && p[2] == 0, "outline at (%d, %d) is %d %d %d", corners[i][0],
                 corners[i][1], p[0], p[1], p[2]);
  }
  gst_buffer_unmap (out, &map);
  /* the label sits above the box; inside and below nothing changes */
  fail_unless_equals_int (count_changed (orig, out, GST_VIDEO_FORMAT_RGB, w, h, bx + 2, by + 2, bx + bw - 2,
                                         by + bh - 2), 0);
  fail_unless_equals_int (count_changed (orig, out, GST_VIDEO_FORMAT_RGB, w, h, 0, by + bh, w, h), 0);
  fail_unless (count_changed (orig, out, GST_VIDEO_FORMAT_RGB, w, h, bx, by - 16, bx + bw, by) > 0,
               "no label above the box");
  gst_buffer_unref (orig);
  gst_buffer_unref (out);
  gst_harness_teardown (hs);
}
GST_END_TEST;

static Suite *
nnoverlay_suite (void)
{
  Suite *s = suite_create ("nnoverlay");
  TCase *tc = tcase_create ("general");
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_properties);
  tcase_add_test (tc, test_nothing_without_result);
  tcase_add_test (tc, test_draws_in_box_only);
  tcase_add_test (tc, test_text_is_white);
  tcase_add_test (tc, test_remembers_last_result);
  tcase_add_test (tc, test_scale);
  tcase_add_test (tc, test_after_nnclassify);
  tcase_add_test (tc, test_draws_region_box);
  return s;
}

GST_CHECK_MAIN (nnoverlay);
