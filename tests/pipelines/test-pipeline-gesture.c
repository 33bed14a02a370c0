/* The live gesture stand-in, end to end: nn-gesture-render writes a video of
 * a known gesture sequence, `nn run pipelines/gesture-live-standin.pipeline`
 * plays it in real time through nnclassify (smoothing, hysteresis) with the
 * shipped LeNet, and the gestures announced by nn-gesture messages must be
 * exactly the rendered sequence: each once, in order, nothing in between.
 *
 * Enrolment round trip: nncapture records a new gesture ("horns") from
 * rendered streams, switching its label while playing; one command,
 * `nn train models/gesture-lenet.safetensors --add-labels horns --freeze ...
 * --rehearse folder:OLD`, widens the shipped LeNet by that class and
 * fine-tunes it on the recordings with rendered examples of the old classes
 * mixed in; it then recognises the new gesture in streams it has not seen
 * (90 % of settled frames at least) and still the old ones (98 %). */
#include <gst/check/gstcheck.h>
#include <gst/app/gstappsink.h>
#include <glib/gstdio.h>
#include <nn/nn.h>

#include "nn-classification-meta.h"

static const char *const sequence[] = { "fist", "point", "peace", "three", "palm", "thumbs-up", "none", NULL };
#define N_SEQ (G_N_ELEMENTS (sequence) - 1)
#define HOLD_S 1.6
#define FPS 15

static char *
root_path (const char *var, const char *rel)
{
  const char *root = g_getenv (var);
  return g_build_filename (root ? root : ".", rel, NULL);
}

static char *
run (char **argv, const char *cwd)
{
  char *out = NULL, *err = NULL;
  int status = 0;
  GError *e = NULL;
  fail_unless (g_spawn_sync (cwd, argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err, &status, &e), "%s: %s",
               argv[0], e ? e->message : "");
  fail_unless (g_spawn_check_wait_status (status, NULL), "%s failed:\n%s", argv[0], err);
  g_free (err);
  return out;
}

/* The value of "key": "..." in a JSON line, or NULL. */
static char *
json_string (const char *line, const char *key)
{
  g_autofree char *pat = g_strdup_printf ("\"%s\":", key);
  const char *p = strstr (line, pat);
  if (!p)
    return NULL;
  p += strlen (pat);
  p += strspn (p, " "); /* nn run's JSON may or may not space after ':' */
  if (*p++ != '"')
    return NULL;
  const char *end = strchr (p, '"');
  return end ? g_strndup (p, end - p) : NULL;
}

static guint64
json_uint (const char *line, const char *key)
{
  g_autofree char *pat = g_strdup_printf ("\"%s\":", key);
  const char *p = strstr (line, pat);
  return p ? g_ascii_strtoull (p + strlen (pat) + strspn (p + strlen (pat), " "), NULL, 10) : G_MAXUINT64;
}

/* Renders the sequence (hand layout `layout`), plays it through the stand-in
 * pipeline with the extra VAR=VALUE settings, checks the announcements. */
static void
check_live_sequence (const char *layout, char **vars)
{
  g_autofree char *dir = g_dir_make_tmp ("nn-gesture-XXXXXX", NULL);
  g_autofree char *video = g_build_filename (dir, "gestures.mp4", NULL);
  g_autofree char *render = root_path ("NN_BUILD_ROOT", "tools/nn-gesture-render");
  g_autofree char *nn = root_path ("NN_BUILD_ROOT", "cli/nn");
  g_autofree char *src = root_path ("NN_SOURCE_ROOT", ".");
  g_autofree char *seq = g_strjoinv (",", (char **) sequence);
  g_autofree char *hold = g_strdup_printf ("%.1f", HOLD_S);
  g_autofree char *fps = g_strdup_printf ("%d", FPS);
  char *render_argv[] = { render, "video", video, "--sequence", seq, "--hold", hold, "--fps", fps, "--seed", "7",
                          "--layout", (char *) layout, NULL };
  g_free (run (render_argv, NULL));

  g_autofree char *var = g_strconcat ("VIDEO=", video, NULL);
  char *run_argv[10] = { nn, "run", "pipelines/gesture-live-standin.pipeline", var, "SINK=fakesink sync=true", NULL };
  for (int i = 0; vars && vars[i] && i < 4; i++)
    run_argv[5 + i] = vars[i];
  gint64 t0 = g_get_monotonic_time ();
  g_autofree char *out = run (run_argv, src);
  double wall = (g_get_monotonic_time () - t0) / 1e6;

  g_auto (GStrv) lines = g_strsplit (out, "\n", -1);
  GPtrArray *seen = g_ptr_array_new_with_free_func (g_free);
  int per = (int) (HOLD_S * FPS + 0.5), frames = 0;
  for (char **l = lines; *l; l++) {
    g_autofree char *msg = json_string (*l, "message");
    if (g_strcmp0 (msg, "nn-classification") == 0)
      frames++;
    if (g_strcmp0 (msg, "nn-gesture") != 0)
      continue;
    char *g = json_string (*l, "gesture");
    guint64 frame = json_uint (*l, "frame");
    g_print ("frame %3" G_GUINT64_FORMAT ": %s\n", frame, g);
    /* announced while its segment is on screen (after the smoothing window) */
    guint n = seen->len;
    if (n < N_SEQ && g_str_equal (g, sequence[n]))
      fail_unless (frame >= (guint64) n * per && frame < (guint64) (n + 1) * per,
                   "%s announced at frame %" G_GUINT64_FORMAT ", its segment is %d..%d", g, frame, n * per,
                   (n + 1) * per - 1);
    g_ptr_array_add (seen, g);
  }
  g_ptr_array_add (seen, NULL);
  g_autofree char *got = g_strjoinv (",", (char **) seen->pdata);
  g_ptr_array_free (seen, TRUE);
  fail_unless_equals_int (frames, per * (int) N_SEQ);
  fail_unless_equals_string (got, seq);
  /* paced by the clock: as long as the video, not as fast as the CPU allows */
  double length = (double) frames / FPS;
  fail_unless (wall >= 0.9 * length, "played %.1f s of video in %.1f s", length, wall);
  g_print ("gesture stand-in (%s): %s in %.1f s (video %.1f s)\n", layout, got, wall, length);

  g_unlink (video);
  g_rmdir (dir);
}

/* The LeNet on the centre square, the hand held in front of the camera. */
GST_START_TEST (test_gesture_sequence_live)
{
  check_live_sequence ("centre", NULL);
}
GST_END_TEST;

/* The fully convolutional detector, the hand anywhere in the frame. */
GST_START_TEST (test_detector_sequence_live)
{
  char *vars[] = { "MODEL=models/gesture-fcn.safetensors", "MODE=map", "CROP=identity", NULL };
  check_live_sequence ("anywhere", vars);
}
GST_END_TEST;

/* ---- enrolment ------------------------------------------------------------------ */

#define ENROL_FPS 15
#define ENROL_HOLD 1
/* the fine-tuning of the enrolment (models/README.md, "Enrolment") */
#define ENROL_TRAIN_OPTIONS "--epochs", "20", "--freeze", "conv1,bn1,conv2,bn2,conv3,bn3", "--lr", "0.001", "--augment", "flip=h,rotate=10,scale=0.1,brightness=0.2"

static void
render_video (const char *path, const char *seq, int seed)
{
  g_autofree char *render = root_path ("NN_BUILD_ROOT", "tools/nn-gesture-render");
  g_autofree char *s = g_strdup_printf ("%d", seed);
  g_autofree char *hold = g_strdup_printf ("%d", ENROL_HOLD);
  g_autofree char *fps = g_strdup_printf ("%d", ENROL_FPS);
  char *argv[] = { render, "video", (char *) path, "--sequence", (char *) seq, "--hold", hold, "--fps", fps,
                   "--seed", s, "--width", "160", "--height", "120", NULL };
  g_free (run (argv, NULL));
}

/* The label follows the rendered segments: set from the frame's time while
 * the pipeline plays, as a user would while changing gestures. */
static GstPadProbeReturn
relabel (GstPad *pad, GstPadProbeInfo *info, gpointer labels)
{
  GstBuffer *b = GST_PAD_PROBE_INFO_BUFFER (info);
  guint seg = (guint) (GST_BUFFER_PTS (b) / (ENROL_HOLD * GST_SECOND));
  char **l = labels;
  guint n = g_strv_length (l);
  GstElement *cap = GST_ELEMENT (gst_pad_get_parent (pad));
  g_object_set (cap, "label", l[MIN (seg, n - 1)], NULL);
  gst_object_unref (cap);
  return GST_PAD_PROBE_OK;
}

static const char *centre_crop =
  "decodebin ! videoconvert ! videoscale ! video/x-raw,format=RGB,width=640,height=480,pixel-aspect-ratio=1/1 ! "
  "aspectratiocrop aspect-ratio=1/1";

static int
capture (const char *video, const char *dir, const char *seq)
{
  g_autofree char *desc = g_strdup_printf (
    "filesrc location=\"%s\" ! %s ! videoscale ! video/x-raw,width=96,height=96 ! "
    "nncapture name=cap location=\"%s\" interval=3 ! fakesink sync=false", video, centre_crop, dir);
  GError *e = NULL;
  GstElement *pipe = gst_parse_launch (desc, &e);
  fail_unless (pipe != NULL, "%s", e ? e->message : "");
  GstElement *cap = gst_bin_get_by_name (GST_BIN (pipe), "cap");
  GstPad *sink = gst_element_get_static_pad (cap, "sink");
  g_auto (GStrv) labels = g_strsplit (seq, ",", -1);
  gst_pad_add_probe (sink, GST_PAD_PROBE_TYPE_BUFFER, relabel, labels, NULL);
  gst_object_unref (sink);
  gst_element_set_state (pipe, GST_STATE_PLAYING);
  GstBus *bus = gst_element_get_bus (pipe);
  int saved = 0;
  for (;;) {
    GstMessage *m = gst_bus_timed_pop_filtered (bus, GST_CLOCK_TIME_NONE,
                                                GST_MESSAGE_EOS | GST_MESSAGE_ERROR | GST_MESSAGE_ELEMENT);
    GstMessageType t = GST_MESSAGE_TYPE (m);
    fail_if (t == GST_MESSAGE_ERROR, "capture pipeline failed");
    if (t == GST_MESSAGE_ELEMENT && gst_structure_has_name (gst_message_get_structure (m), "nn-capture"))
      saved++;
    gst_message_unref (m);
    if (t == GST_MESSAGE_EOS)
      break;
  }
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (cap);
  gst_object_unref (pipe);
  return saved;
}

/* Fraction of frames of each segment classified as that segment's gesture. */
static void
recognition (const char *model, const char *video, const char *seq, double *rate)
{
  g_autofree char *desc = g_strdup_printf (
    "filesrc location=\"%s\" ! %s ! nnclassify model=\"%s\" ! appsink name=out sync=false", video, centre_crop, model);
  GError *e = NULL;
  GstElement *pipe = gst_parse_launch (desc, &e);
  fail_unless (pipe != NULL, "%s", e ? e->message : "");
  GstElement *sink = gst_bin_get_by_name (GST_BIN (pipe), "out");
  gst_element_set_state (pipe, GST_STATE_PLAYING);
  g_auto (GStrv) labels = g_strsplit (seq, ",", -1);
  guint n = g_strv_length (labels);
  int right[16] = { 0 }, total[16] = { 0 };
  GstSample *s;
  while ((s = gst_app_sink_pull_sample (GST_APP_SINK (sink)))) {
    GstBuffer *b = gst_sample_get_buffer (s);
    guint seg = MIN ((guint) (GST_BUFFER_PTS (b) / (ENROL_HOLD * GST_SECOND)), n - 1);
    /* the first frames after a change may still show the previous gesture
     * (encoder and decoder delays): only the settled part of a segment counts */
    if (GST_BUFFER_PTS (b) - seg * ENROL_HOLD * GST_SECOND < GST_SECOND / 5) {
      gst_sample_unref (s);
      continue;
    }
    const char *label = NULL;
    fail_unless (nn_buffer_get_classification (b, &label, NULL, NULL));
    right[seg] += g_str_equal (label, labels[seg]);
    if (!g_str_equal (label, labels[seg]))
      g_print ("segment %u (%s): %s\n", seg, labels[seg], label);
    total[seg]++;
    gst_sample_unref (s);
  }
  for (guint i = 0; i < n; i++)
    rate[i] = total[i] ? (double) right[i] / total[i] : 0.0;
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (sink);
  gst_object_unref (pipe);
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

GST_START_TEST (test_enrolment_round_trip)
{
  g_autofree char *tmp = g_dir_make_tmp ("nn-enrol-XXXXXX", NULL);
  g_autofree char *data = g_build_filename (tmp, "data", NULL);
  g_autofree char *old_data = g_build_filename (tmp, "old", NULL);
  g_autofree char *video = g_build_filename (tmp, "stream.mp4", NULL);

  /* 1. rehearsal: rendered examples of the old classes, kept apart */
  g_autofree char *render = root_path ("NN_BUILD_ROOT", "tools/nn-gesture-render");
  char *crops_argv[] = { render, "crops", old_data, "--n", "30", "--seed", "41", NULL };
  g_free (run (crops_argv, NULL));

  /* 2. record the new gesture, and the one it is easiest to confuse with,
   * from ten rendered streams (ten people, rooms, cameras); nncapture numbers
   * its files after those already there */
  int saved = 0;
  for (int seed = 31; seed < 41; seed++) {
    render_video (video, "horns,point,horns,point", seed);
    saved += capture (video, data, "horns,point,horns,point");
  }
  g_autofree char *horns_dir = g_build_filename (data, "horns", NULL);
  fail_unless (g_file_test (horns_dir, G_FILE_TEST_IS_DIR));
  fail_unless_equals_int (saved, 10 * 4 * ENROL_HOLD * (ENROL_FPS / 3));

  /* 3. enrolment in one command: the shipped model widened by "horns" and
   * fine-tuned on the recordings with the old classes rehearsed */
  g_autofree char *shipped = root_path ("NN_SOURCE_ROOT", "models/gesture-lenet.safetensors");
  g_autofree char *tuned = g_build_filename (tmp, "tuned.safetensors", NULL);
  g_autofree char *nn = root_path ("NN_BUILD_ROOT", "cli/nn");
  g_autofree char *folder = g_strconcat ("folder:", data, NULL);
  g_autofree char *old_folder = g_strconcat ("folder:", old_data, NULL);
  char *train_argv[] = { nn, "train", shipped, "--add-labels", "horns", "--data", folder, "--rehearse", old_folder,
                         ENROL_TRAIN_OPTIONS, "--threads", "1", "--seed", "1", "-o", tuned, NULL };
  g_autofree char *log = run (train_argv, NULL);
  g_print ("%s", log);
  g_autoptr (GError) e = NULL;
  g_autoptr (NnModel) enrolled = nn_model_load (tuned, &e);
  fail_unless (enrolled != NULL, "%s", e ? e->message : "");
  fail_unless_equals_int (nn_model_n_labels (enrolled), 8);
  fail_unless_equals_string (nn_model_label (enrolled, 7), "horns");

  /* 4. streams nobody was recorded from: the new gesture between every old one */
  static const char eval_seq[] = "horns,fist,point,horns,peace,three,horns,palm,thumbs-up,horns,none";
  g_auto (GStrv) eval_labels = g_strsplit (eval_seq, ",", -1);
  guint n_seg = g_strv_length (eval_labels);
  double horns = 0, old = 0;
  int n_horns = 0, n_old = 0;
  for (int seed = 77; seed < 79; seed++) {
    render_video (video, eval_seq, seed);
    double rate[16];
    recognition (tuned, video, eval_seq, rate);
    for (guint i = 0; i < n_seg; i++) {
      gboolean is_new = g_str_equal (eval_labels[i], "horns");
      g_print ("enrolment, stream %d: %s %.0f %%\n", seed, eval_labels[i], 100 * rate[i]);
      *(is_new ? &horns : &old) += rate[i];
      *(is_new ? &n_horns : &n_old) += 1;
    }
  }
  horns /= n_horns;
  old /= n_old;
  g_print ("enrolment: %d frames recorded; horns %.1f %%, old gestures %.1f %% of settled frames recognised\n", saved,
           100 * horns, 100 * old);
  fail_unless (horns >= 0.9, "horns recognised in %.1f %% of its frames", 100 * horns);
  fail_unless (old >= 0.98, "old gestures recognised in %.1f %% of their frames", 100 * old);
  remove_tree (tmp);
}
GST_END_TEST;

static Suite *
pipeline_gesture_suite (void)
{
  Suite *s = suite_create ("pipeline-gesture");
  TCase *tc = tcase_create ("gesture");
  tcase_set_timeout (tc, 120);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_gesture_sequence_live);
  TCase *det = tcase_create ("detector");
  tcase_set_timeout (det, 120);
  suite_add_tcase (s, det);
  tcase_add_test (det, test_detector_sequence_live);
  TCase *enrol = tcase_create ("enrolment");
  tcase_set_timeout (enrol, 400);   /* 20 epochs of the gesture-lenet's unfrozen layers: about 20 s in release, 200 s under ASan (x3: 1,200 s) */
  suite_add_tcase (s, enrol);
  tcase_add_test (enrol, test_enrolment_round_trip);
  return s;
}

GST_CHECK_MAIN (pipeline_gesture);
