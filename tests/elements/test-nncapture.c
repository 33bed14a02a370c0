/* nncapture: files in the folder: layout, label changes, interval, count,
 * numbering after existing files, lossless pixels, errors, writes through a
 * temporary name. */
#include <string.h>

#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <glib/gstdio.h>
#include <nn/nn.h>

#include "nn-test-util.h"

#define W 12
#define H 10

static GstHarness *
capture_harness (const char *dir, const char *props, GstVideoFormat fmt)
{
  g_autofree char *desc = g_strdup_printf ("nncapture location=\"%s\" %s", dir, props);
  GstHarness *hs = gst_harness_new_parse (desc);
  g_autofree char *caps = nn_test_caps_string (fmt, W, H);
  gst_harness_set_src_caps_str (hs, caps);
  return hs;
}

/* RGB frame whose pixel (x, y) is (x * 20 + seed, y * 20, 255 - seed). */
static GstBuffer *
rgb_frame (guint8 seed)
{
  GstBuffer *b = gst_buffer_new_allocate (NULL, W * H * 3, NULL);
  GstMapInfo map;
  gst_buffer_map (b, &map, GST_MAP_WRITE);
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++) {
      map.data[(y * W + x) * 3] = (guint8) (x * 20 + seed);
      map.data[(y * W + x) * 3 + 1] = (guint8) (y * 20);
      map.data[(y * W + x) * 3 + 2] = (guint8) (255 - seed);
    }
  gst_buffer_unmap (b, &map);
  return b;
}

static void
push (GstHarness *hs, GstBuffer *in)
{
  fail_unless_equals_int (gst_harness_push (hs, in), GST_FLOW_OK);
  gst_buffer_unref (gst_harness_pull (hs));
}

static int
count_files (const char *dir, const char *label)
{
  g_autofree char *sub = g_build_filename (dir, label, NULL);
  g_autoptr (GDir) d = g_dir_open (sub, 0, NULL);
  int n = 0;
  while (d && g_dir_read_name (d))
    n++;
  return n;
}

static void
expect_pixels (const char *dir, const char *label, const char *file, guint8 seed)
{
  g_autofree char *path = g_build_filename (dir, label, file, NULL);
  NnPreprocess p = { 3, H, W, 1.0f, { 0, 0, 0 }, { 1, 1, 1 } };
  float px[3 * W * H];
  GError *e = NULL;
  fail_unless (nn_image_load (path, &p, px, &e), "%s", e ? e->message : "");
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++) {
      fail_unless_equals_int ((int) px[y * W + x], (guint8) (x * 20 + seed));
      fail_unless_equals_int ((int) px[W * H + y * W + x], (guint8) (y * 20));
      fail_unless_equals_int ((int) px[2 * W * H + y * W + x], (guint8) (255 - seed));
    }
}

static void
remove_tree (const char *dir)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;
  while (d && (name = g_dir_read_name (d))) {
    g_autofree char *p = g_build_filename (dir, name, NULL);
    if (g_file_test (p, G_FILE_TEST_IS_DIR))
      remove_tree (p);
    else
      g_unlink (p);
  }
  g_rmdir (dir);
}

GST_START_TEST (test_properties)
{
  GstElement *e = gst_element_factory_make ("nncapture", NULL);
  fail_unless (e != NULL);
  g_autofree char *location = NULL, *label = NULL;
  guint interval, count;
  g_object_get (e, "location", &location, "label", &label, "interval", &interval, "count", &count, NULL);
  fail_unless_equals_string (location, "capture");
  fail_unless_equals_string (label, "unlabelled");
  fail_unless_equals_int (interval, 1);
  fail_unless_equals_int (count, 0);
  GParamSpec *ps = g_object_class_find_property (G_OBJECT_GET_CLASS (e), "label");
  fail_unless (ps->flags & GST_PARAM_MUTABLE_PLAYING);
  gst_object_unref (e);
}
GST_END_TEST;

/* interval=2 count=3: frames 0, 2, 4 of "a"; then done once; "b" starts afresh. */
GST_START_TEST (test_labels_interval_count)
{
  g_autofree char *dir = g_dir_make_tmp ("nncapture-XXXXXX", NULL);
  GstHarness *hs = capture_harness (dir, "label=a interval=2 count=3", GST_VIDEO_FORMAT_RGB);
  GstBus *bus = gst_bus_new ();
  gst_element_set_bus (hs->element, bus);
  for (guint8 i = 0; i < 10; i++)
    push (hs, rgb_frame (i));
  fail_unless_equals_int (count_files (dir, "a"), 3);
  expect_pixels (dir, "a", "00000.png", 0);
  expect_pixels (dir, "a", "00001.png", 2);
  expect_pixels (dir, "a", "00002.png", 4);

  int saved = 0, done = 0;
  GstMessage *m;
  while ((m = gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT))) {
    const GstStructure *s = gst_message_get_structure (m);
    if (gst_structure_has_name (s, "nn-capture")) {
      guint64 frame;
      fail_unless (gst_structure_get_uint64 (s, "frame", &frame));
      fail_unless_equals_uint64 (frame, saved * 2);
      fail_unless_equals_string (gst_structure_get_string (s, "label"), "a");
      fail_unless (g_str_has_suffix (gst_structure_get_string (s, "path"), ".png"));
      saved++;
    } else if (gst_structure_has_name (s, "nn-capture-done")) {
      done++;
    }
    gst_message_unref (m);
  }
  fail_unless_equals_int (saved, 3);
  fail_unless_equals_int (done, 1);

  /* a new label while playing */
  GstElement *c = gst_harness_find_element (hs, "nncapture");
  g_object_set (c, "label", "b", NULL);
  gst_object_unref (c);
  push (hs, rgb_frame (50));
  push (hs, rgb_frame (51));
  fail_unless_equals_int (count_files (dir, "b"), 1);
  expect_pixels (dir, "b", "00000.png", 50);
  fail_unless_equals_int (count_files (dir, "a"), 3);

  gst_element_set_bus (hs->element, NULL);
  gst_object_unref (bus);
  gst_harness_teardown (hs);

  /* a second session adds after the existing files */
  hs = capture_harness (dir, "label=a", GST_VIDEO_FORMAT_RGB);
  push (hs, rgb_frame (99));
  gst_harness_teardown (hs);
  fail_unless_equals_int (count_files (dir, "a"), 4);
  expect_pixels (dir, "a", "00003.png", 99);
  remove_tree (dir);
}
GST_END_TEST;

/* Other layouts land as the same RGB (or gray) pixels. */
GST_START_TEST (test_formats)
{
  g_autofree char *dir = g_dir_make_tmp ("nncapture-XXXXXX", NULL);
  /* YUV frames here are full range (nn_test_caps_string), so Y = v is v */
  const GstVideoFormat fmts[] = { GST_VIDEO_FORMAT_BGRx, GST_VIDEO_FORMAT_xRGB, GST_VIDEO_FORMAT_GRAY8,
                                  GST_VIDEO_FORMAT_I420, GST_VIDEO_FORMAT_NV12, GST_VIDEO_FORMAT_YUY2,
                                  GST_VIDEO_FORMAT_Y444 };
  for (guint i = 0; i < G_N_ELEMENTS (fmts); i++) {
    const char *name = gst_video_format_to_string (fmts[i]);
    g_autofree char *props = g_strdup_printf ("label=%s", name);
    GstHarness *hs = capture_harness (dir, props, fmts[i]);
    push (hs, nn_test_gray_frame (fmts[i], W, H, 3));
    gst_harness_teardown (hs);
    g_autofree char *path = g_build_filename (dir, name, "00000.png", NULL);
    NnPreprocess p = { 3, H, W, 1.0f, { 0, 0, 0 }, { 1, 1, 1 } };
    float px[3 * W * H];
    GError *e = NULL;
    fail_unless (nn_image_load (path, &p, px, &e), "%s", e ? e->message : "");
    for (int c = 0; c < 3; c++)
      for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
          fail_unless_equals_int ((int) px[c * W * H + y * W + x], nn_test_gray (x, y, 3));
  }
  remove_tree (dir);
}
GST_END_TEST;

/* Limited-range YUV (what decoders and cameras give) is saved as the RGB a
 * model sees: Y 235 is white, Y 16 black. */
GST_START_TEST (test_limited_range_yuv)
{
  g_autofree char *dir = g_dir_make_tmp ("nncapture-XXXXXX", NULL);
  g_autofree char *desc = g_strdup_printf ("nncapture location=\"%s\" label=yuv", dir);
  GstHarness *hs = gst_harness_new_parse (desc);
  gst_harness_set_src_caps_str (hs, "video/x-raw,format=I420,width=12,height=10,framerate=30/1,colorimetry=bt601");
  GstVideoInfo info;
  gst_video_info_set_format (&info, GST_VIDEO_FORMAT_I420, W, H);
  GstBuffer *b = gst_buffer_new_allocate (NULL, GST_VIDEO_INFO_SIZE (&info), NULL);
  GstVideoFrame f;
  fail_unless (gst_video_frame_map (&f, &info, b, GST_MAP_WRITE));
  for (int y = 0; y < H; y++)
    memset ((guint8 *) GST_VIDEO_FRAME_PLANE_DATA (&f, 0) + y * GST_VIDEO_FRAME_PLANE_STRIDE (&f, 0), y < H / 2 ? 235 : 16, W);
  for (int p = 1; p < 3; p++)
    for (int y = 0; y < H / 2; y++)
      memset ((guint8 *) GST_VIDEO_FRAME_PLANE_DATA (&f, p) + y * GST_VIDEO_FRAME_PLANE_STRIDE (&f, p), 128, W / 2);
  gst_video_frame_unmap (&f);
  push (hs, b);
  gst_harness_teardown (hs);
  g_autofree char *path = g_build_filename (dir, "yuv", "00000.png", NULL);
  NnPreprocess p = { 3, H, W, 1.0f, { 0, 0, 0 }, { 1, 1, 1 } };
  float px[3 * W * H];
  GError *e = NULL;
  fail_unless (nn_image_load (path, &p, px, &e), "%s", e ? e->message : "");
  for (int c = 0; c < 3; c++) {
    fail_unless_equals_int ((int) px[c * W * H], 255);
    fail_unless_equals_int ((int) px[c * W * H + (H - 1) * W], 0);
  }
  remove_tree (dir);
}
GST_END_TEST;

GST_START_TEST (test_unwritable_location)
{
  g_autofree char *file = nn_test_write_temp ("nncapture-file-XXXXXX", "x", 1);
  g_autofree char *desc = g_strdup_printf ("nncapture location=\"%s\" label=a", file);
  GstHarness *hs = gst_harness_new_parse (desc);
  GstBus *bus = gst_bus_new ();
  gst_element_set_bus (hs->element, bus);
  g_autofree char *caps = nn_test_caps_string (GST_VIDEO_FORMAT_RGB, W, H);
  gst_harness_set_src_caps_str (hs, caps);
  fail_unless_equals_int (gst_harness_push (hs, rgb_frame (0)), GST_FLOW_ERROR);
  GstMessage *m = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  fail_unless (m != NULL);
  GError *err = NULL;
  gst_message_parse_error (m, &err, NULL);
  fail_unless (g_error_matches (err, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_OPEN_WRITE), "%s", err->message);
  fail_unless (strstr (err->message, file) != NULL, "%s", err->message);
  g_error_free (err);
  gst_message_unref (m);
  gst_element_set_bus (hs->element, NULL);
  gst_object_unref (bus);
  gst_harness_teardown (hs);
  g_unlink (file);
}
GST_END_TEST;

/* Pushes one frame labelled `label` into location dir/in; expects a
 * RESOURCE SETTINGS error quoting `shown`. */
static void
expect_label_refused (const char *dir, const char *label, const char *shown)
{
  g_autofree char *in = g_build_filename (dir, "in", NULL);
  GstHarness *hs = capture_harness (in, "label=ok", GST_VIDEO_FORMAT_RGB);
  GstBus *bus = gst_bus_new ();
  gst_element_set_bus (hs->element, bus);
  push (hs, rgb_frame (0));
  /* set while playing, as an application does */
  GstElement *e = gst_harness_find_element (hs, "nncapture");
  g_object_set (e, "label", label, NULL);
  gst_object_unref (e);
  fail_unless_equals_int (gst_harness_push (hs, rgb_frame (1)), GST_FLOW_ERROR);
  GstMessage *m = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  fail_unless (m != NULL, "label \"%s\" taken", shown);
  GError *err = NULL;
  gst_message_parse_error (m, &err, NULL);
  fail_unless (g_error_matches (err, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS), "%s", err->message);
  fail_unless (strstr (err->message, shown) != NULL, "%s does not name %s", err->message, shown);
  g_error_free (err);
  gst_message_unref (m);
  gst_element_set_bus (hs->element, NULL);
  gst_object_unref (bus);
  gst_harness_teardown (hs);
  /* the one frame of "ok", nothing else anywhere under dir */
  fail_unless_equals_int (count_files (dir, ""), 1);
  fail_unless_equals_int (count_files (in, ""), 1);
  fail_unless_equals_int (count_files (in, "ok"), 1);
  remove_tree (in);
}

/* Labels are names: a path, a hidden name, control characters or an
 * over-long label is refused with an error naming it, set before the first
 * frame or while playing, and nothing is written outside location. */
GST_START_TEST (test_label_is_a_name)
{
  g_autofree char *dir = g_dir_make_tmp ("nncapture-XXXXXX", NULL);
  g_autofree char *tmp = g_dir_make_tmp ("nncapture-XXXXXX", NULL);
  g_autofree char *escaped = g_build_filename (dir, "escaped", NULL);
  g_autofree char *abs = g_build_filename (tmp, "abs", NULL);
  char long_label[NN_LABEL_MAX_BYTES + 2];
  memset (long_label, 'x', NN_LABEL_MAX_BYTES + 1);
  long_label[NN_LABEL_MAX_BYTES + 1] = '\0';
  const char *bad[][2] = {
    { "../escaped", "../escaped" }, { "../../escaped", "../../escaped" }, { "..", ".." }, { ".", "." },
    { ".hidden", ".hidden" }, { "a/b", "a/b" }, { "a\\b", "a\\\\b" }, { "", "label \"\"" },
    { "tab\there", "tab\\there" }, { "bell\x07", "bell\\007" }, { "del\x7f", "del\\177" },
    { "c1\xc2\x85", "c1\\302\\205" }, { "bad\xff", "bad\\377" }, { "a..b", "a..b" }, { abs, abs },
    { long_label, "longer than 100 bytes" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    expect_label_refused (dir, bad[i][0], bad[i][1]);
  fail_if (g_file_test (escaped, G_FILE_TEST_EXISTS));
  fail_unless_equals_int (count_files (tmp, ""), 0);
  /* refused from the first frame too */
  GstHarness *hs = capture_harness (dir, "label=../escaped", GST_VIDEO_FORMAT_RGB);
  fail_unless_equals_int (gst_harness_push (hs, rgb_frame (0)), GST_FLOW_ERROR);
  gst_harness_teardown (hs);
  fail_unless_equals_int (count_files (dir, ""), 0);
  /* no label at all (NULL) is refused too, not written into location itself */
  hs = capture_harness (dir, "", GST_VIDEO_FORMAT_RGB);
  GstElement *e = gst_harness_find_element (hs, "nncapture");
  g_object_set (e, "label", NULL, NULL);
  gst_object_unref (e);
  fail_unless_equals_int (gst_harness_push (hs, rgb_frame (0)), GST_FLOW_ERROR);
  gst_harness_teardown (hs);
  fail_unless_equals_int (count_files (dir, ""), 0);
  /* a name may be any printable UTF-8 up to the limit: 50 two-byte letters, spaces, dots inside */
  GString *utf8 = g_string_new (NULL);
  for (int i = 0; i < NN_LABEL_MAX_BYTES / 2; i++)
    g_string_append (utf8, "\xc3\xa9");
  const char *good[] = { utf8->str, "thumbs up", "v1.2", "A-b_c" };
  for (guint i = 0; i < G_N_ELEMENTS (good); i++) {
    g_autofree char *props = g_strdup_printf ("label=\"%s\"", good[i]);
    hs = capture_harness (dir, props, GST_VIDEO_FORMAT_RGB);
    push (hs, rgb_frame (0));
    gst_harness_teardown (hs);
    fail_unless_equals_int (count_files (dir, good[i]), 1);
  }
  fail_unless_equals_int (count_files (dir, ""), G_N_ELEMENTS (good));
  g_string_free (utf8, TRUE);
  remove_tree (dir);
  remove_tree (tmp);
}
GST_END_TEST;

/* Each file is written under a hidden temporary name and renamed: after a
 * capture the label folder holds only NNNNN.png files; a leftover temporary
 * from an interrupted run neither takes a number nor is touched; a rename
 * that fails posts a write error naming the file and leaves no temporary. */
GST_START_TEST (test_temporary_then_rename)
{
  g_autofree char *dir = g_dir_make_tmp ("nncapture-XXXXXX", NULL);
  g_autofree char *sub = g_build_filename (dir, "a", NULL);
  fail_unless_equals_int (g_mkdir_with_parents (sub, 0755), 0);
  g_autofree char *leftover = g_build_filename (sub, ".00000.png.tmp-AbCdEf", NULL);
  fail_unless (g_file_set_contents (leftover, "", 0, NULL));

  GstHarness *hs = capture_harness (dir, "label=a", GST_VIDEO_FORMAT_RGB);
  GstBus *bus = gst_bus_new ();
  gst_element_set_bus (hs->element, bus);
  push (hs, rgb_frame (7));
  push (hs, rgb_frame (8));
  expect_pixels (dir, "a", "00000.png", 7);
  expect_pixels (dir, "a", "00001.png", 8);
  {
    g_autoptr (GDir) d = g_dir_open (sub, 0, NULL);
    const char *name;
    int pngs = 0;
    while ((name = g_dir_read_name (d))) {
      if (g_str_equal (name, ".00000.png.tmp-AbCdEf"))
        continue;
      fail_unless (name[0] != '.' && !strstr (name, "tmp"), "temporary left: %s", name);
      fail_unless (g_str_has_suffix (name, ".png"), "%s", name);
      pngs++;
    }
    fail_unless_equals_int (pngs, 2);
  }
  fail_unless (g_file_test (leftover, G_FILE_TEST_EXISTS));

  /* the next name is taken by a folder: the rename fails */
  g_autofree char *blocker = g_build_filename (sub, "00002.png", "inside", NULL);
  fail_unless_equals_int (g_mkdir_with_parents (blocker, 0755), 0);
  fail_unless_equals_int (gst_harness_push (hs, rgb_frame (9)), GST_FLOW_ERROR);
  GstMessage *m = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  fail_unless (m != NULL);
  GError *err = NULL;
  gst_message_parse_error (m, &err, NULL);
  fail_unless (g_error_matches (err, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_WRITE), "%s", err->message);
  fail_unless (strstr (err->message, "00002.png") != NULL, "%s", err->message);
  g_error_free (err);
  gst_message_unref (m);
  /* 00000.png, 00001.png, the 00002.png folder and the old leftover only */
  fail_unless_equals_int (count_files (dir, "a"), 4);

  gst_element_set_bus (hs->element, NULL);
  gst_object_unref (bus);
  gst_harness_teardown (hs);
  remove_tree (dir);
}
GST_END_TEST;

static Suite *
nncapture_suite (void)
{
  Suite *s = suite_create ("nncapture");
  TCase *tc = tcase_create ("general");
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_properties);
  tcase_add_test (tc, test_labels_interval_count);
  tcase_add_test (tc, test_formats);
  tcase_add_test (tc, test_limited_range_yuv);
  tcase_add_test (tc, test_unwritable_location);
  tcase_add_test (tc, test_label_is_a_name);
  tcase_add_test (tc, test_temporary_then_rename);
  return s;
}

GST_CHECK_MAIN (nncapture);
