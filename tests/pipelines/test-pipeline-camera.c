/* Cameras as they are: webcams deliver YUY2 or MJPEG, at 640x480 or
 * 1280x720. There is no camera here (and none can be simulated, see
 * docs), so the camera pipelines run through `nn run` with SOURCE replaced
 * by sources that produce exactly those streams: videotestsrc with YUY2 caps,
 * and videotestsrc ! jpegenc (an MJPEG stream that the pipeline's decodebin
 * decodes as it would a camera's). Every frame must be classified, with a
 * label of the model; a rendered gesture sequence sent the same ways must
 * come out of gesture-camera's detector as the same sequence; and the frames
 * must reach nnclassify in the camera's format, unconverted. */
#include <gst/check/gstcheck.h>
#include <glib/gstdio.h>

static const char *const fashion_labels[] = { "t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt",
                                              "sneaker", "bag", "ankle-boot", NULL };
static const char *const gesture_labels[] = { "fist", "point", "peace", "three", "palm", "thumbs-up", "none", NULL };

static char *
root_path (const char *var, const char *rel)
{
  const char *root = g_getenv (var);
  return g_build_filename (root ? root : ".", rel, NULL);
}

/* The string value of "key" in a JSON line (spaces after ':' optional). */
static char *
json_string (const char *line, const char *key)
{
  g_autofree char *pat = g_strdup_printf ("\"%s\":", key);
  const char *p = strstr (line, pat);
  if (!p)
    return NULL;
  p += strlen (pat);
  while (*p == ' ')
    p++;
  if (*p != '"')
    return NULL;
  const char *end = strchr (++p, '"');
  return end ? g_strndup (p, end - p) : NULL;
}

/* nn run PIPELINE with vars; stdout, after checking it exited 0. */
static char *
nn_run (const char *pipeline, char **vars)
{
  g_autofree char *nn = root_path ("NN_BUILD_ROOT", "cli/nn");
  g_autofree char *src = root_path ("NN_SOURCE_ROOT", ".");
  g_autofree char *file = g_strdup_printf ("pipelines/%s.pipeline", pipeline);
  char *argv[8] = { nn, "run", file };
  for (int i = 0; vars[i] && i < 4; i++)
    argv[3 + i] = vars[i];
  char *out = NULL, *err = NULL;
  int status = 0;
  GError *e = NULL;
  fail_unless (g_spawn_sync (src, argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err, &status, &e), "%s: %s", file,
               e ? e->message : "");
  fail_unless (g_spawn_check_wait_status (status, NULL), "nn run %s %s failed:\n%s", file, vars[0], err);
  g_free (err);
  return out;
}

#define N_FRAMES 6

/* A YUY2 or MJPEG "camera" of w x h through `pipeline`: every frame gets a
 * classification with one of the model's labels. */
static void
check_camera (const char *pipeline, gboolean mjpeg, int w, int h, const char *const *labels)
{
  g_autofree char *source = g_strdup_printf (
    "SOURCE=videotestsrc is-live=true pattern=ball num-buffers=%d ! "
    "video/x-raw,format=%s,width=%d,height=%d,framerate=30/1%s", N_FRAMES, mjpeg ? "I420" : "YUY2", w, h,
    mjpeg ? " ! jpegenc ! image/jpeg" : "");
  char *vars[] = { source, "SINK=fakesink", NULL };
  g_autofree char *out = nn_run (pipeline, vars);
  g_auto (GStrv) lines = g_strsplit (out, "\n", -1);
  int results = 0;
  for (char **l = lines; *l; l++) {
    g_autofree char *msg = json_string (*l, "message");
    if (g_strcmp0 (msg, "nn-classification") != 0)
      continue;
    g_autofree char *label = json_string (*l, "label");
    fail_unless (label && g_strv_contains (labels, label), "%s: label %s is not the model's", pipeline, label);
    results++;
  }
  g_print ("%s, %s %dx%d: %d of %d frames classified\n", pipeline, mjpeg ? "MJPEG" : "YUY2", w, h, results, N_FRAMES);
  fail_unless_equals_int (results, N_FRAMES);
}

GST_START_TEST (test_camera_formats)
{
  const int sizes[][2] = { { 640, 480 }, { 1280, 720 } };
  for (int s = 0; s < 2; s++)
    for (int mjpeg = 0; mjpeg < 2; mjpeg++) {
      check_camera ("gesture-camera", mjpeg, sizes[s][0], sizes[s][1], gesture_labels);
      check_camera ("classify-live", mjpeg, sizes[s][0], sizes[s][1], fashion_labels);
    }
}
GST_END_TEST;

/* A hand shown to a YUY2 or MJPEG camera: a rendered gesture sequence,
 * converted to that camera's stream, is announced by gesture-camera (the
 * detector, its defaults) as the same sequence. */
static const char *const sequence[] = { "fist", "peace", "palm", "none", NULL };

static void
check_gestures (const char *video, gboolean mjpeg, int w, int h)
{
  g_autofree char *source = g_strdup_printf (
    "SOURCE=filesrc location=\"%s\" ! decodebin ! videoconvert ! videoscale ! "
    "video/x-raw,format=%s,width=%d,height=%d%s", video, mjpeg ? "I420" : "YUY2", w, h,
    mjpeg ? " ! jpegenc ! image/jpeg" : "");
  char *vars[] = { source, "SINK=fakesink", NULL };
  g_autofree char *out = nn_run ("gesture-camera", vars);
  g_auto (GStrv) lines = g_strsplit (out, "\n", -1);
  GPtrArray *seen = g_ptr_array_new_with_free_func (g_free);
  for (char **l = lines; *l; l++) {
    g_autofree char *msg = json_string (*l, "message");
    if (g_strcmp0 (msg, "nn-gesture") == 0)
      g_ptr_array_add (seen, json_string (*l, "gesture"));
  }
  g_ptr_array_add (seen, NULL);
  g_autofree char *got = g_strjoinv (",", (char **) seen->pdata);
  g_autofree char *want = g_strjoinv (",", (char **) sequence);
  g_ptr_array_free (seen, TRUE);
  g_print ("gesture-camera, %s %dx%d: %s\n", mjpeg ? "MJPEG" : "YUY2", w, h, got);
  fail_unless_equals_string (got, want);
}

GST_START_TEST (test_camera_gestures)
{
  g_autofree char *dir = g_dir_make_tmp ("nn-camera-XXXXXX", NULL);
  g_autofree char *video = g_build_filename (dir, "gestures.mp4", NULL);
  g_autofree char *render = root_path ("NN_BUILD_ROOT", "tools/nn-gesture-render");
  g_autofree char *seq = g_strjoinv (",", (char **) sequence);
  char *argv[] = { render, "video", video, "--sequence", seq, "--hold", "1.6", "--fps", "15", "--seed", "7",
                   "--layout", "anywhere", NULL };
  char *err = NULL;
  int status = 0;
  fail_unless (g_spawn_sync (NULL, argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL, &err, &status, NULL));
  fail_unless (g_spawn_check_wait_status (status, NULL), "nn-gesture-render failed:\n%s", err);
  g_free (err);
  check_gestures (video, FALSE, 640, 480);
  check_gestures (video, TRUE, 1280, 720);
  g_unlink (video);
  g_rmdir (dir);
}
GST_END_TEST;

/* The camera's frames reach nnclassify in the camera's own format (no
 * conversion in front of it): the pipeline `nn run --print` substitutes, run
 * here, with the caps nnclassify's sink pad ends up with. */
static char *
classify_format (const char *pipeline, const char *source)
{
  g_autofree char *nn = root_path ("NN_BUILD_ROOT", "cli/nn");
  g_autofree char *src = root_path ("NN_SOURCE_ROOT", ".");
  g_autofree char *file = g_strdup_printf ("pipelines/%s.pipeline", pipeline);
  g_autofree char *var = g_strconcat ("SOURCE=", source, NULL);
  char *argv[] = { nn, "run", "--print", file, var, "SINK=fakesink", NULL };
  char *desc = NULL;
  int status = 0;
  fail_unless (g_spawn_sync (src, argv, NULL, G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, &desc, NULL, &status, NULL));
  fail_unless (g_spawn_check_wait_status (status, NULL), "nn run --print %s failed", file);
  /* model paths are relative to the source root */
  g_autofree char *cwd = g_get_current_dir ();
  fail_unless (g_chdir (src) == 0);
  GError *e = NULL;
  GstElement *pipe = gst_parse_launch (desc, &e);
  g_free (desc);
  fail_unless (pipe != NULL && e == NULL, "%s", e ? e->message : "");
  fail_unless (gst_element_set_state (pipe, GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE);
  GstBus *bus = gst_element_get_bus (pipe);
  GstMessage *m = gst_bus_timed_pop_filtered (bus, GST_CLOCK_TIME_NONE, GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  fail_unless (GST_MESSAGE_TYPE (m) == GST_MESSAGE_EOS, "%s did not run to the end", file);
  gst_message_unref (m);
  gst_object_unref (bus);
  GstElement *nc = NULL;
  GstIterator *it = gst_bin_iterate_elements (GST_BIN (pipe));
  GValue v = G_VALUE_INIT;
  while (!nc && gst_iterator_next (it, &v) == GST_ITERATOR_OK) {
    GstElement *el = g_value_get_object (&v);
    if (g_str_equal (GST_OBJECT_NAME (gst_element_get_factory (el)), "nnclassify"))
      nc = gst_object_ref (el);
    g_value_reset (&v);
  }
  g_value_unset (&v);
  gst_iterator_free (it);
  fail_unless (nc != NULL, "%s has no nnclassify", file);
  GstPad *pad = gst_element_get_static_pad (nc, "sink");
  GstCaps *caps = gst_pad_get_current_caps (pad);
  fail_unless (caps != NULL);
  char *format = g_strdup (gst_structure_get_string (gst_caps_get_structure (caps, 0), "format"));
  gst_caps_unref (caps);
  gst_object_unref (pad);
  gst_object_unref (nc);
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (pipe);
  fail_unless (g_chdir (cwd) == 0);
  return format;
}

GST_START_TEST (test_camera_format_reaches_nnclassify)
{
  const char *pipelines[] = { "gesture-camera", "classify-live" };
  for (guint i = 0; i < G_N_ELEMENTS (pipelines); i++) {
    g_autofree char *yuy2 = classify_format (pipelines[i], "videotestsrc num-buffers=2 ! "
                                                           "video/x-raw,format=YUY2,width=1280,height=720");
    fail_unless_equals_string (yuy2, "YUY2");
    /* a 4:2:0 JPEG decodes to I420 */
    g_autofree char *mjpeg = classify_format (pipelines[i], "videotestsrc num-buffers=2 ! "
                                                            "video/x-raw,format=I420,width=640,height=480 ! jpegenc");
    fail_unless_equals_string (mjpeg, "I420");
  }
}
GST_END_TEST;

static Suite *
pipeline_camera_suite (void)
{
  Suite *s = suite_create ("pipeline-camera");
  TCase *tc = tcase_create ("camera");
  tcase_set_timeout (tc, 120);
  tcase_add_test (tc, test_camera_formats);
  tcase_add_test (tc, test_camera_gestures);
  tcase_add_test (tc, test_camera_format_reaches_nnclassify);
  suite_add_tcase (s, tc);
  return s;
}

GST_CHECK_MAIN (pipeline_camera);
