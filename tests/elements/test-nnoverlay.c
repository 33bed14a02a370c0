/* nnoverlay: draws where the result box is, nowhere else, on every format;
 * text in the right colour on RGB and YUV, UTF-8 labels through Pango with
 * no missing glyph, a font that grows with the frame. */
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

/* Bounding box [x0, y0, x1) x [y0, y1) of the plane-0 pixels that differ; FALSE if none. */
static gboolean
changed_bbox (GstBuffer *a, GstBuffer *b, GstVideoFormat fmt, int w, int h, int bb[4])
{
  GstVideoInfo info;
  GstVideoFrame fa, fb;
  gst_video_info_set_format (&info, fmt, w, h);
  fail_unless (gst_video_frame_map (&fa, &info, a, GST_MAP_READ));
  fail_unless (gst_video_frame_map (&fb, &info, b, GST_MAP_READ));
  const int ps = GST_VIDEO_INFO_COMP_PSTRIDE (&info, 0), st = GST_VIDEO_FRAME_PLANE_STRIDE (&fa, 0);
  const guint8 *pa = GST_VIDEO_FRAME_PLANE_DATA (&fa, 0), *pb = GST_VIDEO_FRAME_PLANE_DATA (&fb, 0);
  bb[0] = w, bb[1] = h, bb[2] = 0, bb[3] = 0;
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      if (memcmp (pa + y * st + x * ps, pb + y * st + x * ps, ps) != 0) {
        bb[0] = MIN (bb[0], x), bb[1] = MIN (bb[1], y);
        bb[2] = MAX (bb[2], x + 1), bb[3] = MAX (bb[3], y + 1);
      }
  gst_video_frame_unmap (&fa);
  gst_video_frame_unmap (&fb);
  return bb[2] > 0;
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
  guint size = 99;
  g_autofree char *desc = NULL;
  g_object_get (e, "font-size", &size, "font-desc", &desc, NULL);
  fail_unless_equals_int (size, 0);
  fail_unless_equals_string (desc, "Sans Bold");
  g_object_set (e, "font-size", 30, "font-desc", "Serif Italic", NULL);
  g_free (desc);
  g_object_get (e, "font-size", &size, "font-desc", &desc, NULL);
  fail_unless_equals_int (size, 30);
  fail_unless_equals_string (desc, "Serif Italic");
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

/* At 224x224 the panel (title + 3 rows, 14 px text) keeps out of the
 * bottom-right quarter; every format gets something drawn, even 33x17. */
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

/* On RGB the text is white and the bars their own green, exactly (opaque
 * drawing blended over black); the panel stays where the result box is. */
GST_START_TEST (test_colours_rgb)
{
  const GstVideoFormat fmts[] = { GST_VIDEO_FORMAT_RGB, GST_VIDEO_FORMAT_BGRx, GST_VIDEO_FORMAT_ARGB };
  for (guint f = 0; f < G_N_ELEMENTS (fmts); f++) {
    GstHarness *hs = overlay_harness (NULL, fmts[f], 224, 224);
    GstBuffer *in = nn_test_gray_frame (fmts[f], 224, 224, 0);
    gst_buffer_memset (in, 0, 0, gst_buffer_get_size (in));
    add_result (in, 224, 224);
    GstBuffer *orig, *out = push_pull (hs, in, &orig);
    GstVideoInfo info;
    GstVideoFrame fr;
    gst_video_info_set_format (&info, fmts[f], 224, 224);
    fail_unless (gst_video_frame_map (&fr, &info, out, GST_MAP_READ));
    const int ps = GST_VIDEO_FRAME_COMP_PSTRIDE (&fr, 0), st = GST_VIDEO_FRAME_PLANE_STRIDE (&fr, 0);
    const int ro = GST_VIDEO_FRAME_COMP_POFFSET (&fr, 0), go = GST_VIDEO_FRAME_COMP_POFFSET (&fr, 1),
              bo = GST_VIDEO_FRAME_COMP_POFFSET (&fr, 2);
    const guint8 *d = GST_VIDEO_FRAME_PLANE_DATA (&fr, 0);
    int white = 0, green = 0, title_white = 0;
    for (int y = 0; y < 224; y++)
      for (int x = 0; x < 224; x++) {
        const guint8 *p = d + y * st + x * ps;
        gboolean is_white = p[ro] == 255 && p[go] == 255 && p[bo] == 255;
        white += is_white;
        title_white += is_white && y < 20;
        green += p[ro] == 40 && p[go] == 220 && p[bo] == 90;
      }
    gst_video_frame_unmap (&fr);
    /* the title line (14 px text from y = 3) and the three labels */
    fail_unless (title_white > 30, "%s: %d white pixels in the title", gst_video_format_to_string (fmts[f]),
                 title_white);
    fail_unless (white > 80, "%s: %d white pixels", gst_video_format_to_string (fmts[f]), white);
    /* bars of 0.7, 0.2 and 0.1 of 42 px, about 8 px high */
    fail_unless (green > 250, "%s: %d bar-green pixels", gst_video_format_to_string (fmts[f]), green);
    gst_buffer_unref (orig);
    gst_buffer_unref (out);
    gst_harness_teardown (hs);
  }
}
GST_END_TEST;

/* On YUV formats the colours reach the chroma: under the green bars U and V
 * drop well below 128 (BT.601 green (40, 220, 90) is about U 98, V 58), and
 * the white text raises the luma with neutral chroma. Drawing only the luma
 * (gray on YUV) leaves every chroma sample at 128 and fails. */
GST_START_TEST (test_colours_yuv)
{
  const GstVideoFormat fmts[] = { GST_VIDEO_FORMAT_I420, GST_VIDEO_FORMAT_YV12, GST_VIDEO_FORMAT_NV12,
                                  GST_VIDEO_FORMAT_NV21, GST_VIDEO_FORMAT_Y42B, GST_VIDEO_FORMAT_Y444 };
  for (guint f = 0; f < G_N_ELEMENTS (fmts); f++) {
    const char *name = gst_video_format_to_string (fmts[f]);
    GstHarness *hs = overlay_harness (NULL, fmts[f], 224, 224);
    /* mid-gray, neutral chroma */
    GstVideoInfo info;
    gst_video_info_set_format (&info, fmts[f], 224, 224);
    GstBuffer *in = gst_buffer_new_allocate (NULL, GST_VIDEO_INFO_SIZE (&info), NULL);
    gst_buffer_memset (in, 0, 128, GST_VIDEO_INFO_SIZE (&info));
    add_result (in, 224, 224);
    GstBuffer *orig, *out = push_pull (hs, in, &orig);
    GstVideoFrame fr;
    fail_unless (gst_video_frame_map (&fr, &info, out, GST_MAP_READ));
    int green = 0, bright = 0, tinted_outside = 0;
    const int cw = GST_VIDEO_FRAME_COMP_WIDTH (&fr, 1), ch = GST_VIDEO_FRAME_COMP_HEIGHT (&fr, 1);
    for (int y = 0; y < ch; y++)
      for (int x = 0; x < cw; x++) {
        const guint8 u = GST_VIDEO_FRAME_COMP_DATA (&fr, 1)[y * GST_VIDEO_FRAME_COMP_STRIDE (&fr, 1) +
                                                           x * GST_VIDEO_FRAME_COMP_PSTRIDE (&fr, 1)];
        const guint8 v = GST_VIDEO_FRAME_COMP_DATA (&fr, 2)[y * GST_VIDEO_FRAME_COMP_STRIDE (&fr, 2) +
                                                           x * GST_VIDEO_FRAME_COMP_PSTRIDE (&fr, 2)];
        gboolean is_green = u < 115 && v < 90;
        green += is_green;
        /* the panel stays in the top-left quarter at 224x224 */
        tinted_outside += (u != 128 || v != 128) && x >= cw / 2 && y >= ch / 2;
      }
    for (int y = 0; y < 30; y++)
      for (int x = 0; x < 112; x++)
        bright += GST_VIDEO_FRAME_COMP_DATA (&fr, 0)[y * GST_VIDEO_FRAME_COMP_STRIDE (&fr, 0) +
                                                    x * GST_VIDEO_FRAME_COMP_PSTRIDE (&fr, 0)] >= 230;
    gst_video_frame_unmap (&fr);
    fail_unless (green > 20, "%s: %d green chroma samples", name, green);
    fail_unless (bright > 30, "%s: %d white luma samples in the title", name, bright);
    fail_unless_equals_int (tinted_outside, 0);
    gst_buffer_unref (orig);
    gst_buffer_unref (out);
    gst_harness_teardown (hs);
  }
}
GST_END_TEST;

/* Runs one whole-frame result with `label` (score 0.9) through an RGB
 * 224x224 frame; returns the output and collects the element's warnings. */
static GstBuffer *
render_label (const char *label, GstBuffer **orig, GList **warnings)
{
  GstHarness *hs = overlay_harness (NULL, GST_VIDEO_FORMAT_RGB, 224, 224);
  GstBus *bus = gst_bus_new ();
  gst_element_set_bus (hs->element, bus);
  GstBuffer *in = nn_test_gray_frame (GST_VIDEO_FORMAT_RGB, 224, 224, 0);
  gst_buffer_memset (in, 0, 0, gst_buffer_get_size (in));
  const gint idx[] = { 0 };
  const gdouble scores[] = { 0.9 };
  nn_buffer_add_classification (in, 224, 224, nn_classification_new (1, &label, idx, scores));
  GstBuffer *out = push_pull (hs, in, orig);
  GstMessage *m;
  *warnings = NULL;
  while ((m = gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING))) {
    GError *err = NULL;
    gst_message_parse_warning (m, &err, NULL);
    *warnings = g_list_append (*warnings, g_strdup (err->message));
    g_error_free (err);
    gst_message_unref (m);
  }
  gst_element_set_bus (hs->element, NULL);
  gst_object_unref (bus);
  gst_harness_teardown (hs);
  return out;
}

/* Pixels of the title line (label and score) that are the text's white. */
static int
title_pixels (GstBuffer *out)
{
  GstMapInfo map;
  fail_unless (gst_buffer_map (out, &map, GST_MAP_READ));
  int n = 0;
  for (int y = 0; y < 20; y++)
    for (int x = 0; x < 224; x++)
      n += map.data[(y * 224 + x) * 3] > 200 && map.data[(y * 224 + x) * 3 + 1] > 200;
  gst_buffer_unmap (out, &map);
  return n;
}

/* UTF-8 labels are laid out by Pango: accented letters, an em dash and a CJK
 * character come out as text (their own glyphs: "Ünïcødé" differs from
 * "Unicode"), and the element, which asks Pango for unknown glyphs
 * (pango_layout_get_unknown_glyphs_count) on every label, posts no warning.
 * A character no font has (U+10FFFD, private use) does get the warning, once. */
GST_START_TEST (test_utf8_labels)
{
  const char *labels[] = { "chat noir \u2014 \u732B", "\u00DCn\u00EFc\u00F8d\u00E9", "Unicode" };
  GstBuffer *outs[3];
  for (guint i = 0; i < G_N_ELEMENTS (labels); i++) {
    GstBuffer *orig;
    GList *warnings;
    outs[i] = render_label (labels[i], &orig, &warnings);
    fail_unless (g_utf8_validate (labels[i], -1, NULL));
    int n = title_pixels (outs[i]);
    fail_unless (n > 40, "\"%s\": only %d text pixels", labels[i], n);
    fail_unless (warnings == NULL, "\"%s\": %s", labels[i], warnings ? (char *) warnings->data : "");
    gst_buffer_unref (orig);
  }
  GstMapInfo a, b;
  fail_unless (gst_buffer_map (outs[1], &a, GST_MAP_READ));
  fail_unless (gst_buffer_map (outs[2], &b, GST_MAP_READ));
  fail_unless (a.size == b.size && memcmp (a.data, b.data, a.size) != 0);
  gst_buffer_unmap (outs[1], &a);
  gst_buffer_unmap (outs[2], &b);
  for (guint i = 0; i < G_N_ELEMENTS (outs); i++)
    gst_buffer_unref (outs[i]);

  GstBuffer *orig;
  GList *warnings;
  const char *missing = "odd \U0010FFFD";
  GstBuffer *out = render_label (missing, &orig, &warnings);
  fail_unless_equals_int (g_list_length (warnings), 1);
  fail_unless (strstr (warnings->data, missing) != NULL, "%s", (char *) warnings->data);
  g_list_free_full (warnings, g_free);
  gst_buffer_unref (orig);
  gst_buffer_unref (out);
}
GST_END_TEST;

/* The text follows the frame: the panel at 640x480 is about four times as
 * tall as at 160x120 (font 30 px against 8 px); font-size overrides it. */
GST_START_TEST (test_font_size)
{
  const struct {
    const char *props;
    int w, h;
  } runs[] = { { NULL, 160, 120 }, { NULL, 640, 480 }, { "font-size=10", 640, 480 }, { "font-size=40", 640, 480 } };
  int heights[4], widths[4];
  for (guint i = 0; i < G_N_ELEMENTS (runs); i++) {
    GstHarness *hs = overlay_harness (runs[i].props, GST_VIDEO_FORMAT_GRAY8, runs[i].w, runs[i].h);
    GstBuffer *in = nn_test_gray_frame (GST_VIDEO_FORMAT_GRAY8, runs[i].w, runs[i].h, 2);
    add_result (in, runs[i].w, runs[i].h);
    GstBuffer *orig, *out = push_pull (hs, in, &orig);
    int bb[4];
    fail_unless (changed_bbox (orig, out, GST_VIDEO_FORMAT_GRAY8, runs[i].w, runs[i].h, bb));
    fail_unless (bb[0] == 0 && bb[1] == 0, "the panel starts at (%d, %d)", bb[0], bb[1]);
    widths[i] = bb[2], heights[i] = bb[3];
    gst_buffer_unref (orig);
    gst_buffer_unref (out);
    gst_harness_teardown (hs);
  }
  fail_unless (heights[1] > 3 * heights[0], "panel %d px tall at 120 lines, %d at 480", heights[0], heights[1]);
  fail_unless (widths[1] > 3 * widths[0], "panel %d px wide at 160, %d at 640", widths[0], widths[1]);
  fail_unless (heights[3] > 3 * heights[2], "font-size 10: %d px, 40: %d px", heights[2], heights[3]);
  fail_unless (heights[2] < heights[1] && heights[1] < heights[3]);
}
GST_END_TEST;

/* Mid-stream, with the remembered result (no new one): a font-size set while
 * playing and new caps of twice the size both redraw the panel larger. */
GST_START_TEST (test_font_follows_changes)
{
  GstHarness *hs = overlay_harness ("name=ov font-size=10", GST_VIDEO_FORMAT_RGB, 320, 240);
  GstBuffer *in = nn_test_gray_frame (GST_VIDEO_FORMAT_RGB, 320, 240, 4);
  add_result (in, 320, 240);
  int bb[3][4];
  GstBuffer *orig, *out = push_pull (hs, in, &orig);
  fail_unless (changed_bbox (orig, out, GST_VIDEO_FORMAT_RGB, 320, 240, bb[0]));
  gst_buffer_unref (orig);
  gst_buffer_unref (out);

  GstElement *ov = gst_bin_get_by_name (GST_BIN (hs->element), "ov");
  fail_unless (ov != NULL);
  g_object_set (ov, "font-size", 30, NULL);
  out = push_pull (hs, nn_test_gray_frame (GST_VIDEO_FORMAT_RGB, 320, 240, 4), &orig);
  fail_unless (changed_bbox (orig, out, GST_VIDEO_FORMAT_RGB, 320, 240, bb[1]));
  gst_buffer_unref (orig);
  gst_buffer_unref (out);
  fail_unless (bb[1][3] > 2 * bb[0][3], "font-size 10: %d px tall, 30: %d px", bb[0][3], bb[1][3]);

  /* back to following the frame: 8 px at 120 lines, then 30 px at 480 */
  g_object_set (ov, "font-size", 0, NULL);
  gst_object_unref (ov);
  g_autofree char *small = nn_test_caps_string (GST_VIDEO_FORMAT_RGB, 160, 120);
  gst_harness_set_src_caps_str (hs, small);
  out = push_pull (hs, nn_test_gray_frame (GST_VIDEO_FORMAT_RGB, 160, 120, 4), &orig);
  fail_unless (changed_bbox (orig, out, GST_VIDEO_FORMAT_RGB, 160, 120, bb[0]));
  gst_buffer_unref (orig);
  gst_buffer_unref (out);
  g_autofree char *big = nn_test_caps_string (GST_VIDEO_FORMAT_RGB, 640, 480);
  gst_harness_set_src_caps_str (hs, big);
  out = push_pull (hs, nn_test_gray_frame (GST_VIDEO_FORMAT_RGB, 640, 480, 4), &orig);
  fail_unless (changed_bbox (orig, out, GST_VIDEO_FORMAT_RGB, 640, 480, bb[2]));
  gst_buffer_unref (orig);
  gst_buffer_unref (out);
  fail_unless (bb[2][3] > 3 * bb[0][3], "at 160x120: %d px tall, at 640x480: %d px", bb[0][3], bb[2][3]);
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
  GstHarness *hs = overlay_harness (NULL, GST_VIDEO_FORMAT_RGB, w, h);
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
  tcase_add_test (tc, test_colours_rgb);
  tcase_add_test (tc, test_colours_yuv);
  tcase_add_test (tc, test_utf8_labels);
  tcase_add_test (tc, test_font_size);
  tcase_add_test (tc, test_font_follows_changes);
  tcase_add_test (tc, test_remembers_last_result);
  tcase_add_test (tc, test_after_nnclassify);
  tcase_add_test (tc, test_draws_region_box);
  return s;
}

GST_CHECK_MAIN (nnoverlay);
