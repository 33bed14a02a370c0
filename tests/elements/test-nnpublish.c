/* nnpublish: every frame's JSON line parsed back and checked against the
 * metas on the buffer (hand-made results and nnclassify's own), the stream
 * found upstream through bins, file errors naming the file; MQTT against
 * Debian's mosquitto started by the test on a loopback port of its own:
 * every frame's message arrives in order across a broker killed in the middle
 * of the stream (with messages in flight) and restarted, and an overflow
 * while the broker is away drops exactly the excess, with warnings; the
 * gst-inspect documentation. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <gst/check/gstharness.h>
#include <json-glib/json-glib.h>
#include <mosquitto.h>
#include "nn-classification-meta.h"
#include "nn-test-util.h"

#define CAPS "video/x-raw,format=GRAY8,width=8,height=8,framerate=30/1"

/* ---- frames with hand-made results ---------------------------------------- */

static GstBuffer *
frame_buffer (guint64 i)
{
  GstBuffer *b = nn_test_gray_frame (GST_VIDEO_FORMAT_GRAY8, 8, 8, (guint) i);
  GST_BUFFER_PTS (b) = i * GST_SECOND / 30;
  return b;
}

/* Attaches a result as GstNnInference does: stamped structure, ROI meta.
 * Returns the structure (owned by the meta). */
static GstStructure *
add_result (GstBuffer *b, const char *element, guint id, const char *model, guint k, const char *const *labels,
            const gint *idx, const gdouble *scores, guint x, guint y, guint w, guint h)
{
  GstStructure *s = nn_classification_new (k, labels, idx, scores);
  gst_structure_set (s, "element", G_TYPE_STRING, element, "element-id", G_TYPE_UINT, id, "model", G_TYPE_STRING,
                     model, NULL);
  GstVideoRegionOfInterestMeta *m = gst_buffer_add_video_region_of_interest_meta (b, NN_CLASSIFICATION_NAME, x, y,
                                                                                   w, h);
  m->id = (gint) id;
  gst_video_region_of_interest_meta_add_param (m, s);
  return s;
}

/* ---- reading the JSON back ------------------------------------------------- */

static JsonObject *
parse_object (JsonParser *p, const char *text)
{
  GError *err = NULL;
  fail_unless (json_parser_load_from_data (p, text, -1, &err), "not JSON (%s): %s", err ? err->message : "?", text);
  JsonNode *root = json_parser_get_root (p);
  fail_unless (JSON_NODE_HOLDS_OBJECT (root), "not an object: %s", text);
  return json_node_get_object (root);
}

static char **
read_lines (const char *path, guint *n)
{
  char *text = NULL;
  fail_unless (g_file_get_contents (path, &text, NULL, NULL), "cannot read %s", path);
  fail_unless (g_str_has_suffix (text, "\n") || !*text, "last line of %s not ended", path);
  if (*text)
    text[strlen (text) - 1] = 0;
  char **lines = *text ? g_strsplit (text, "\n", -1) : g_new0 (char *, 1);
  g_free (text);
  *n = g_strv_length (lines);
  return lines;
}

/* One result object against the meta it came from. */
static void
check_result (JsonObject *r, const GstVideoRegionOfInterestMeta *roi)
{
  const GstStructure *s = gst_video_region_of_interest_meta_get_param ((GstVideoRegionOfInterestMeta *) roi,
                                                                       NN_CLASSIFICATION_NAME);
  fail_unless (s != NULL);
  ck_assert_str_eq (json_object_get_string_member (r, "element"), gst_structure_get_string (s, "element"));
  ck_assert_str_eq (json_object_get_string_member (r, "model"), gst_structure_get_string (s, "model"));
  guint id;
  fail_unless (gst_structure_get_uint (s, "element-id", &id));
  ck_assert_int_eq (json_object_get_int_member (r, "element-id"), id);
  ck_assert_str_eq (json_object_get_string_member (r, "label"), gst_structure_get_string (s, "label"));
  gint index;
  gdouble score;
  fail_unless (gst_structure_get_int (s, "class-index", &index) && gst_structure_get_double (s, "score", &score));
  ck_assert_int_eq (json_object_get_int_member (r, "class-index"), index);
  /* %.17g round-trips a double exactly */
  fail_unless (json_object_get_double_member (r, "score") == score, "score %.17g != %.17g",
               json_object_get_double_member (r, "score"), score);
  JsonObject *box = json_object_get_object_member (r, "box");
  ck_assert_int_eq (json_object_get_int_member (box, "x"), roi->x);
  ck_assert_int_eq (json_object_get_int_member (box, "y"), roi->y);
  ck_assert_int_eq (json_object_get_int_member (box, "width"), roi->w);
  ck_assert_int_eq (json_object_get_int_member (box, "height"), roi->h);
  JsonArray *top = json_object_get_array_member (r, "top-k");
  ck_assert_uint_eq (json_array_get_length (top), nn_classification_n_top (s));
  for (guint i = 0; i < json_array_get_length (top); i++) {
    JsonObject *t = json_array_get_object_element (top, i);
    const char *label;
    gint idx;
    gdouble sc;
    fail_unless (nn_classification_get_top (s, i, &label, &idx, &sc));
    ck_assert_str_eq (json_object_get_string_member (t, "label"), label);
    ck_assert_int_eq (json_object_get_int_member (t, "class-index"), idx);
    fail_unless (json_object_get_double_member (t, "score") == sc);
  }
  const char *stable = gst_structure_get_string (s, "stable");
  if (stable)
    ck_assert_str_eq (json_object_get_string_member (r, "stable"), stable);
  else
    fail_if (json_object_has_member (r, "stable"));
}

/* A frame's object against the buffer nnpublish passed on. */
static void
check_frame (JsonObject *o, GstBuffer *b, guint64 frame, const char *stream, GstClockTime running_time)
{
  ck_assert_str_eq (json_object_get_string_member (o, "stream"), stream);
  ck_assert_int_eq (json_object_get_int_member (o, "frame"), frame);
  ck_assert_int_eq (json_object_get_int_member (o, "pts"), GST_BUFFER_PTS (b));
  ck_assert_int_eq (json_object_get_int_member (o, "running-time"), running_time);
  ck_assert_int_eq (json_object_get_int_member (o, "width"), 8);
  ck_assert_int_eq (json_object_get_int_member (o, "height"), 8);
  JsonArray *results = json_object_get_array_member (o, "results");
  guint n = 0;
  gpointer state = NULL;
  GstMeta *m;
  while ((m = gst_buffer_iterate_meta_filtered (b, &state, GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE))) {
    fail_unless (n < json_array_get_length (results), "frame %" G_GUINT64_FORMAT ": more metas than results", frame);
    check_result (json_array_get_object_element (results, n), (GstVideoRegionOfInterestMeta *) m);
    n++;
  }
  ck_assert_uint_eq (json_array_get_length (results), n);
}

/* A harness around DESC whose messages go to `bus` from the start (the
 * harness starts its element as it adds it); `stream_name`, unless NULL,
 * set on the nnpublish element named "pub". */
static GstHarness *
harness_full (const char *desc, GstBus *bus, const char *stream_name)
{
  GError *err = NULL;
  GstElement *bin = gst_parse_bin_from_description (desc, TRUE, &err);
  fail_unless (bin != NULL, "%s: %s", desc, err ? err->message : "?");
  if (stream_name) {
    GstElement *pub = gst_bin_get_by_name (GST_BIN (bin), "pub");
    g_object_set (pub, "stream-name", stream_name, NULL);
    gst_object_unref (pub);
  }
  gst_element_set_bus (bin, bus);
  GstHarness *h = gst_harness_new_with_element (bin, "sink", "src");
  gst_object_unref (bin);
  gst_harness_set_src_caps_str (h, CAPS);
  return h;
}

static GstHarness *
harness_with_bus (const char *desc, GstBus *bus)
{
  return harness_full (desc, bus, NULL);
}

/* The error an element posts when it cannot start with `props`. */
static GError *
start_error (const char *props)
{
  g_autofree char *desc = g_strdup_printf ("nnpublish %s", props);
  GstElement *e = gst_parse_launch (desc, NULL);
  fail_unless (e != NULL);
  GstBus *bus = gst_bus_new ();
  gst_element_set_bus (e, bus);
  ck_assert_int_eq (gst_element_set_state (e, GST_STATE_PLAYING), GST_STATE_CHANGE_FAILURE);
  GstMessage *m = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  fail_unless (m != NULL, "%s: no error message", desc);
  GError *err = NULL;
  gst_message_parse_error (m, &err, NULL);
  gst_message_unref (m);
  gst_element_set_state (e, GST_STATE_NULL);
  gst_object_unref (e);
  gst_object_unref (bus);
  return err;
}

/* ---- JSON lines to a file ---------------------------------------------------- */

/* Hand-made results: none, one whole-frame, two (a box with "stable", a NaN
 * score); a stream name that is not UTF-8 comes out valid; a segment that
 * starts at 1 s makes running time differ from PTS. */
GST_START_TEST (test_file_json_lines)
{
  g_autofree char *path = nn_test_write_temp ("nnpublish-XXXXXX.jsonl", "", 0);
  /* a stream name that is not UTF-8 (a file name in Latin-1) */
  g_autofree char *desc = g_strdup_printf ("nnpublish name=pub location=%s", path);
  GstBus *bus = gst_bus_new ();
  GstHarness *h = harness_full (desc, bus, "cam-\xe9");
  GstSegment seg;
  gst_segment_init (&seg, GST_FORMAT_TIME);
  seg.start = GST_SECOND;
  seg.time = GST_SECOND;
  gst_harness_push_event (h, gst_event_new_segment (&seg));

  const char *l3[] = { "b", "a", "c" };
  const gint i3[] = { 1, 0, 2 };
  const gdouble s3[] = { 0.625, 0.25, 0.125 };
  const char *lbad[] = { "d" };
  const gint ibad[] = { 4 };
  const gdouble sbad[] = { NAN };
  GstBuffer *out[4];
  for (guint64 i = 0; i < 4; i++) {
    GstBuffer *b = frame_buffer (i);
    GST_BUFFER_PTS (b) += GST_SECOND;
    if (i == 1)
      add_result (b, "nnclassify0", 1, "fashion-lenet", 3, l3, i3, s3, 0, 0, 8, 8);
    if (i == 2) {
      GstStructure *s = add_result (b, "nnclassify0", 1, "gesture-fcn", 2, l3, i3, s3, 2, 3, 4, 5);
      gst_structure_set (s, "stable", G_TYPE_STRING, "a", NULL);
      add_result (b, "nnvideoclassify0", 2, "trailer", 1, lbad, ibad, sbad, 0, 0, 8, 8);
    }
    ck_assert_int_eq (gst_harness_push (h, b), GST_FLOW_OK);
    out[i] = gst_harness_pull (h);
  }
  gst_harness_teardown (h);
  gst_object_unref (bus);

  guint n;
  char **lines = read_lines (path, &n);
  ck_assert_uint_eq (n, 4);
  JsonParser *p = json_parser_new ();
  for (guint i = 0; i < 4; i++) {
    JsonObject *o = parse_object (p, lines[i]);
    if (i != 2) {
      check_frame (o, out[i], i, "cam-\xef\xbf\xbd", i * GST_SECOND / 30);
      continue;
    }
    /* frame 2: a box with "stable"; a NaN score is null */
    JsonArray *results = json_object_get_array_member (o, "results");
    ck_assert_uint_eq (json_array_get_length (results), 2);
    JsonObject *r0 = json_array_get_object_element (results, 0);
    ck_assert_str_eq (json_object_get_string_member (r0, "stable"), "a");
    JsonObject *box = json_object_get_object_member (r0, "box");
    ck_assert_int_eq (json_object_get_int_member (box, "x"), 2);
    ck_assert_int_eq (json_object_get_int_member (box, "height"), 5);
    ck_assert_uint_eq (json_array_get_length (json_object_get_array_member (r0, "top-k")), 2);
    JsonObject *r1 = json_array_get_object_element (results, 1);
    ck_assert_str_eq (json_object_get_string_member (r1, "label"), "d");
    fail_unless (json_object_get_null_member (r1, "score"));
    ck_assert_str_eq (json_object_get_string_member (r1, "element"), "nnvideoclassify0");
    ck_assert_int_eq (json_object_get_int_member (r1, "element-id"), 2);
    ck_assert_str_eq (json_object_get_string_member (r1, "model"), "trailer");
  }
  g_object_unref (p);
  g_strfreev (lines);
  for (guint i = 0; i < 4; i++)
    gst_buffer_unref (out[i]);
  g_unlink (path);
}
GST_END_TEST;

/* nnclassify's own metas, frame by frame, with skip-empty dropping the
 * frames inference-interval leaves without a result. */
GST_START_TEST (test_file_after_nnclassify)
{
  g_autofree char *spec = nn_test_write_temp ("nnpublish-XXXXXX.json", NN_TEST_SPEC_GRAY, -1);
  g_autofree char *path = nn_test_write_temp ("nnpublish-XXXXXX.jsonl", "", 0);
  g_autofree char *desc = g_strdup_printf ("nnclassify name=cls model=%s top-k=3 inference-interval=2 ! "
                                           "nnpublish location=%s skip-empty=true stream-name=cam-b", spec, path);
  GstHarness *h = gst_harness_new_parse (desc);
  gst_harness_set_src_caps_str (h, CAPS);
  enum { N = 10 };
  GstBuffer *out[N];
  for (guint64 i = 0; i < N; i++) {
    ck_assert_int_eq (gst_harness_push (h, frame_buffer (i)), GST_FLOW_OK);
    out[i] = gst_harness_pull (h);
  }
  gst_harness_teardown (h);

  guint n;
  char **lines = read_lines (path, &n);
  ck_assert_uint_eq (n, N / 2);
  JsonParser *p = json_parser_new ();
  for (guint j = 0; j < n; j++) {
    guint64 i = 2 * j;
    JsonObject *o = parse_object (p, lines[j]);
    fail_unless (nn_buffer_get_classification_structure (out[i]) != NULL);
    check_frame (o, out[i], i, "cam-b", GST_BUFFER_PTS (out[i]));
    JsonObject *r = json_array_get_object_element (json_object_get_array_member (o, "results"), 0);
    ck_assert_str_eq (json_object_get_string_member (r, "element"), "cls");
    ck_assert_uint_eq (json_array_get_length (json_object_get_array_member (r, "top-k")), 3);
  }
  g_object_unref (p);
  g_strfreev (lines);
  for (guint i = 0; i < N; i++)
    gst_buffer_unref (out[i]);
  g_unlink (path);
  g_unlink (spec);
}
GST_END_TEST;

static void
run_to_eos (const char *desc)
{
  GError *err = NULL;
  GstElement *pipe = gst_parse_launch (desc, &err);
  fail_unless (pipe != NULL, "%s: %s", desc, err ? err->message : "?");
  gst_element_set_state (pipe, GST_STATE_PLAYING);
  GstBus *bus = gst_element_get_bus (pipe);
  GstMessage *m = gst_bus_timed_pop_filtered (bus, 30 * GST_SECOND, GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  fail_unless (m && GST_MESSAGE_TYPE (m) == GST_MESSAGE_EOS, "%s did not reach EOS", desc);
  gst_message_unref (m);
  gst_object_unref (bus);
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (pipe);
}

/* Two elements naming one file share it: created once, whole lines from
 * both, none over another (two fopen "w" would truncate and overwrite). */
GST_START_TEST (test_shared_file)
{
  g_autofree char *path = nn_test_write_temp ("nnpublish-XXXXXX.jsonl", "stale\n", -1);
  g_autofree char *da = g_strdup_printf ("nnpublish location=%s stream-name=a", path);
  /* the same file by another spelling */
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *base = g_path_get_basename (path);
  g_autofree char *db = g_strdup_printf ("nnpublish location=%s/./%s stream-name=b", dir, base);
  GstBus *bus = gst_bus_new ();
  GstHarness *ha = harness_with_bus (da, bus);
  for (guint64 i = 0; i < 3; i++) {
    ck_assert_int_eq (gst_harness_push (ha, frame_buffer (i)), GST_FLOW_OK);
    gst_buffer_unref (gst_harness_pull (ha));
  }
  GstHarness *hb = harness_with_bus (db, bus);
  for (guint64 i = 0; i < 3; i++) {
    ck_assert_int_eq (gst_harness_push (hb, frame_buffer (i)), GST_FLOW_OK);
    gst_buffer_unref (gst_harness_pull (hb));
    ck_assert_int_eq (gst_harness_push (ha, frame_buffer (3 + i)), GST_FLOW_OK);
    gst_buffer_unref (gst_harness_pull (ha));
  }
  gst_harness_teardown (ha);
  ck_assert_int_eq (gst_harness_push (hb, frame_buffer (3)), GST_FLOW_OK);
  gst_buffer_unref (gst_harness_pull (hb));
  gst_harness_teardown (hb);
  gst_object_unref (bus);

  guint n;
  char **lines = read_lines (path, &n);
  ck_assert_uint_eq (n, 10);
  const char *want_stream = "aaabababab";
  const gint64 want_frame[] = { 0, 1, 2, 0, 3, 1, 4, 2, 5, 3 };
  JsonParser *p = json_parser_new ();
  for (guint i = 0; i < n; i++) {
    JsonObject *o = parse_object (p, lines[i]);
    char want[2] = { want_stream[i], 0 };
    ck_assert_str_eq (json_object_get_string_member (o, "stream"), want);
    ck_assert_int_eq (json_object_get_int_member (o, "frame"), want_frame[i]);
  }
  g_object_unref (p);
  g_strfreev (lines);
  g_unlink (path);
}
GST_END_TEST;

/* location=- writes to standard output (fd 1, pointed at a file here). */
GST_START_TEST (test_stdout)
{
  g_autofree char *path = nn_test_write_temp ("nnpublish-XXXXXX.out", "", 0);
  fflush (stdout);
  int saved = dup (1);
  int fd = open (path, O_WRONLY | O_TRUNC);
  fail_unless (saved >= 0 && fd >= 0 && dup2 (fd, 1) == 1);
  close (fd);
  GstBus *bus = gst_bus_new ();
  GstHarness *h = harness_with_bus ("nnpublish location=- stream-name=out", bus);
  for (guint64 i = 0; i < 3; i++) {
    ck_assert_int_eq (gst_harness_push (h, frame_buffer (i)), GST_FLOW_OK);
    gst_buffer_unref (gst_harness_pull (h));
  }
  gst_harness_teardown (h);
  gst_object_unref (bus);
  fflush (stdout);
  fail_unless (dup2 (saved, 1) == 1);
  close (saved);
  guint n;
  char **lines = read_lines (path, &n);
  ck_assert_uint_eq (n, 3);
  JsonParser *p = json_parser_new ();
  for (guint i = 0; i < n; i++) {
    JsonObject *o = parse_object (p, lines[i]);
    ck_assert_str_eq (json_object_get_string_member (o, "stream"), "out");
    ck_assert_int_eq (json_object_get_int_member (o, "frame"), i);
  }
  g_object_unref (p);
  g_strfreev (lines);
  g_unlink (path);
}
GST_END_TEST;

/* Runs DESC (...nnpublish location=OUT...) to EOS; returns the first line's stream. */
static char *
stream_of (const char *desc, const char *out)
{
  run_to_eos (desc);
  guint n;
  char **lines = read_lines (out, &n);
  fail_unless (n > 0);
  JsonParser *p = json_parser_new ();
  char *stream = g_strdup (json_object_get_string_member (parse_object (p, lines[0]), "stream"));
  g_object_unref (p);
  g_strfreev (lines);
  return stream;
}

/* Without stream-name: filesrc's location found through a bin's ghost pads
 * (out of nnpublish's bin, into the source's) and through decodebin,
 * concat's active input, uridecodebin's uri, the source's name when no
 * element has one. */
GST_START_TEST (test_stream_name_upstream)
{
  GString *raw = g_string_new (NULL);
  for (int i = 0; i < 64 * 3; i++)
    g_string_append_c (raw, (char) i);
  g_autofree char *src = nn_test_write_temp ("nnpublish-XXXXXX.gray", raw->str, (gssize) raw->len);
  g_string_free (raw, TRUE);
  g_autofree char *out = nn_test_write_temp ("nnpublish-XXXXXX.jsonl", "", 0);

  g_autofree char *d1 = g_strdup_printf ("bin.( filesrc location=%s ) ! rawvideoparse format=gray8 width=8 height=8 ! "
                                         "bin.( nnpublish location=%s ) ! fakesink", src, out);
  g_autofree char *s1 = stream_of (d1, out);
  ck_assert_str_eq (s1, src);

  /* concat: each file's frames named after it (its active input, found
   * again at the new segment) */
  g_autofree char *src2 = nn_test_write_temp ("nnpublish-XXXXXX.gray", "0123456789abcdef0123456789abcdef0123456789abcdef"
                                              "0123456789abcdef", 64);
  g_autofree char *dc = g_strdup_printf ("concat name=c ! rawvideoparse format=gray8 width=8 height=8 ! "
                                         "nnpublish location=%s ! fakesink  filesrc location=%s ! c.  "
                                         "filesrc location=%s ! c.", out, src, src2);
  run_to_eos (dc);
  guint n;
  char **lines = read_lines (out, &n);
  ck_assert_uint_eq (n, 4);
  JsonParser *p = json_parser_new ();
  for (guint i = 0; i < n; i++)
    ck_assert_str_eq (json_object_get_string_member (parse_object (p, lines[i]), "stream"), i < 3 ? src : src2);
  g_object_unref (p);
  g_strfreev (lines);
  g_unlink (src2);

  g_autofree char *d2 = g_strdup_printf ("videotestsrc name=lobby num-buffers=2 ! " CAPS " ! nnpublish location=%s ! "
                                         "fakesink", out);
  g_autofree char *s2 = stream_of (d2, out);
  ck_assert_str_eq (s2, "lobby");

  /* a real file through decodebin (the location of the filesrc before it)
   * and uridecodebin (its uri) */
  g_autofree char *mp4 = nn_test_write_temp ("nnpublish-XXXXXX.mp4", "", 0);
  g_autofree char *enc = g_strdup_printf ("videotestsrc num-buffers=3 ! video/x-raw,format=I420,width=32,height=32 ! "
                                          "avenc_mpeg4 ! mp4mux ! filesink location=%s", mp4);
  run_to_eos (enc);
  g_autofree char *d3 = g_strdup_printf ("filesrc location=%s ! decodebin ! nnpublish location=%s ! fakesink", mp4, out);
  g_autofree char *s3 = stream_of (d3, out);
  ck_assert_str_eq (s3, mp4);
  g_autofree char *uri = gst_filename_to_uri (mp4, NULL);
  g_autofree char *d4 = g_strdup_printf ("uridecodebin uri=%s ! nnpublish location=%s ! fakesink", uri, out);
  g_autofree char *s4 = stream_of (d4, out);
  ck_assert_str_eq (s4, uri);
  g_unlink (mp4);
  g_unlink (src);
  g_unlink (out);
}
GST_END_TEST;

/* A file that cannot be opened fails the start naming it; a write error
 * (/dev/full) stops the flow naming it; no output at all is refused. */
GST_START_TEST (test_file_errors)
{
  GError *e = start_error ("location=/nonexistent-dir/out.jsonl");
  fail_unless (g_error_matches (e, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_OPEN_WRITE), "%s", e->message);
  fail_unless (strstr (e->message, "/nonexistent-dir/out.jsonl") != NULL, "%s", e->message);
  g_error_free (e);

  e = start_error ("");
  fail_unless (g_error_matches (e, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS), "%s", e->message);
  g_error_free (e);

  GstBus *bus = gst_bus_new ();
  GstHarness *h = harness_with_bus ("nnpublish location=/dev/full", bus);
  ck_assert_int_eq (gst_harness_push (h, frame_buffer (0)), GST_FLOW_ERROR);
  GstMessage *m = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  fail_unless (m != NULL);
  gst_message_parse_error (m, &e, NULL);
  fail_unless (g_error_matches (e, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_WRITE), "%s", e->message);
  fail_unless (strstr (e->message, "/dev/full") != NULL, "%s", e->message);
  g_error_free (e);
  gst_message_unref (m);
  gst_harness_teardown (h);
  gst_object_unref (bus);
}
GST_END_TEST;

/* ---- a mosquitto broker of the test's own ------------------------------------ */

typedef struct {
  GPid  pid;    /* 0 when not running */
  int   port;
  char *dir;    /* config and persistence */
  char *conf;
} Broker;

static Broker broker;

static int
free_port (void)
{
  int fd = socket (AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
  socklen_t len = sizeof a;
  fail_unless (fd >= 0 && bind (fd, (struct sockaddr *) &a, sizeof a) == 0 &&
               getsockname (fd, (struct sockaddr *) &a, &len) == 0, "no free port: %s", g_strerror (errno));
  close (fd);
  return ntohs (a.sin_port);
}

static gboolean
port_open (int port)
{
  int fd = socket (AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons (port),
                           .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
  gboolean ok = connect (fd, (struct sockaddr *) &a, sizeof a) == 0;
  close (fd);
  return ok;
}

/* Check runs each test in a child and a failed check exits it at once,
 * before any teardown: the broker dies with the test process. */
static void
die_with_parent (gpointer data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

/* Persistence keeps the test subscriber's session (and the messages queued
 * for it) across a restart; autosave after every change, so a SIGKILL loses
 * nothing older than the last change. */
static void
broker_start (void)
{
  if (!broker.dir) {
    broker.dir = g_dir_make_tmp ("nnpublish-mqtt-XXXXXX", NULL);
    broker.port = free_port ();
    broker.conf = g_build_filename (broker.dir, "mosquitto.conf", NULL);
    g_autofree char *conf = g_strdup_printf ("listener %d 127.0.0.1\nallow_anonymous true\npersistence true\n"
                                             "persistence_location %s/\nautosave_interval 1\n"
                                             "autosave_on_changes true\n%s", broker.port, broker.dir,
                                             geteuid () == 0 ? "user root\n" : "");
    fail_unless (g_file_set_contents (broker.conf, conf, -1, NULL));
  }
  g_autofree char *exe = g_find_program_in_path ("mosquitto");
  if (!exe)
    exe = g_strdup ("/usr/sbin/mosquitto");
  char *argv[] = { exe, "-c", broker.conf, NULL };
  GError *err = NULL;
  fail_unless (g_spawn_async (NULL, argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL |
                              G_SPAWN_STDERR_TO_DEV_NULL, die_with_parent, NULL, &broker.pid, &err),
               "cannot start %s (scripts/install-deps.sh installs mosquitto): %s", exe, err ? err->message : "?");
  for (int i = 0; i < 500 && !port_open (broker.port); i++) {
    int st;
    fail_if (waitpid (broker.pid, &st, WNOHANG) == broker.pid, "mosquitto exited at start (port %d taken?)",
             broker.port);
    g_usleep (10000);
  }
  fail_unless (port_open (broker.port), "mosquitto not listening on %d after 5 s", broker.port);
}

static void
broker_kill (void)
{
  if (!broker.pid)
    return;
  kill (broker.pid, SIGKILL);
  waitpid (broker.pid, NULL, 0);
  g_spawn_close_pid (broker.pid);
  broker.pid = 0;
}

static void
broker_teardown (void)
{
  broker_kill ();
  if (broker.dir) {
    /* the config, mosquitto.db and a mosquitto.db.new of a save cut short */
    GDir *d = g_dir_open (broker.dir, 0, NULL);
    const char *name;
    while (d && (name = g_dir_read_name (d))) {
      g_autofree char *f = g_build_filename (broker.dir, name, NULL);
      g_unlink (f);
    }
    if (d)
      g_dir_close (d);
    g_rmdir (broker.dir);
  }
  g_clear_pointer (&broker.dir, g_free);
  g_clear_pointer (&broker.conf, g_free);
}

/* ---- a subscriber: libmosquitto, a persistent session, QoS 1 ----------------- */

typedef struct {
  struct mosquitto *mosq;
  GMutex     lock;
  GCond      cond;
  GPtrArray *payloads;   /* char*, in arrival order */
  guint      subacks;
} Sub;

static void
sub_on_connect (struct mosquitto *mosq, void *data, int rc)
{
  if (rc == 0)
    mosquitto_subscribe (mosq, NULL, "nn/test", 1);
}

static void
sub_on_subscribe (struct mosquitto *mosq, void *data, int mid, int n, const int *granted)
{
  Sub *s = data;
  g_mutex_lock (&s->lock);
  s->subacks++;
  g_cond_broadcast (&s->cond);
  g_mutex_unlock (&s->lock);
}

static void
sub_on_message (struct mosquitto *mosq, void *data, const struct mosquitto_message *msg)
{
  Sub *s = data;
  g_mutex_lock (&s->lock);
  g_ptr_array_add (s->payloads, g_strndup (msg->payload, msg->payloadlen));
  g_cond_broadcast (&s->cond);
  g_mutex_unlock (&s->lock);
}

static void
sub_wait_subacks (Sub *s, guint n)
{
  gint64 until = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  g_mutex_lock (&s->lock);
  while (s->subacks < n && g_cond_wait_until (&s->cond, &s->lock, until))
    ;
  guint got = s->subacks;
  g_mutex_unlock (&s->lock);
  fail_unless (got >= n, "no SUBACK within 10 s");
}

/* Makes the broker save its database in a state that has all this
 * subscriber has acknowledged so far (so a SIGKILL after it redelivers
 * nothing): a new subscription is a change, and autosave follows every
 * change; the database's time then passes the time taken before. */
static void
sub_checkpoint (Sub *s)
{
  static int n = 0;
  gint64 t0 = g_get_real_time ();
  g_mutex_lock (&s->lock);
  guint acks = s->subacks;
  g_mutex_unlock (&s->lock);
  g_autofree char *topic = g_strdup_printf ("nn/checkpoint/%d", n++);
  ck_assert_int_eq (mosquitto_subscribe (s->mosq, NULL, topic, 1), MOSQ_ERR_SUCCESS);
  sub_wait_subacks (s, acks + 1);
  g_autofree char *db = g_build_filename (broker.dir, "mosquitto.db", NULL);
  for (int i = 0; i < 500; i++) {
    GStatBuf st;
    if (g_stat (db, &st) == 0 && (gint64) st.st_mtim.tv_sec * G_USEC_PER_SEC + st.st_mtim.tv_nsec / 1000 > t0)
      return;
    g_usleep (10000);
  }
  fail ("mosquitto did not save its database within 5 s");
}

static Sub *
sub_new (void)
{
  Sub *s = g_new0 (Sub, 1);
  g_mutex_init (&s->lock);
  g_cond_init (&s->cond);
  s->payloads = g_ptr_array_new_with_free_func (g_free);
  s->mosq = mosquitto_new ("nnpublish-test-sub", false, s);
  mosquitto_connect_callback_set (s->mosq, sub_on_connect);
  mosquitto_subscribe_callback_set (s->mosq, sub_on_subscribe);
  mosquitto_message_callback_set (s->mosq, sub_on_message);
  mosquitto_reconnect_delay_set (s->mosq, 1, 1, false);
  ck_assert_int_eq (mosquitto_connect (s->mosq, "127.0.0.1", broker.port, 10), MOSQ_ERR_SUCCESS);
  ck_assert_int_eq (mosquitto_loop_start (s->mosq), MOSQ_ERR_SUCCESS);
  sub_wait_subacks (s, 1);
  sub_checkpoint (s);
  return s;
}

static void
sub_free (Sub *s)
{
  mosquitto_disconnect (s->mosq);
  mosquitto_loop_stop (s->mosq, false);
  mosquitto_destroy (s->mosq);
  g_ptr_array_unref (s->payloads);
  g_mutex_clear (&s->lock);
  g_cond_clear (&s->cond);
  g_free (s);
}

static guint
sub_wait (Sub *s, guint n, int seconds)
{
  gint64 until = g_get_monotonic_time () + (gint64) seconds * G_USEC_PER_SEC;
  g_mutex_lock (&s->lock);
  while (s->payloads->len < n && g_cond_wait_until (&s->cond, &s->lock, until))
    ;
  guint got = s->payloads->len;
  g_mutex_unlock (&s->lock);
  return got;
}

/* The frame numbers received, checked to be JSON of stream "cam". */
static GArray *
sub_frames (Sub *s)
{
  GArray *frames = g_array_new (FALSE, FALSE, sizeof (gint64));
  JsonParser *p = json_parser_new ();
  g_mutex_lock (&s->lock);
  for (guint i = 0; i < s->payloads->len; i++) {
    JsonObject *o = parse_object (p, g_ptr_array_index (s->payloads, i));
    ck_assert_str_eq (json_object_get_string_member (o, "stream"), "cam");
    gint64 f = json_object_get_int_member (o, "frame");
    JsonArray *r = json_object_get_array_member (o, "results");
    ck_assert_uint_eq (json_array_get_length (r), 1);
    ck_assert_int_eq (json_object_get_int_member (json_array_get_object_element (r, 0), "class-index"), f % 3);
    g_array_append_val (frames, f);
  }
  g_mutex_unlock (&s->lock);
  g_object_unref (p);
  return frames;
}

static GstHarness *
publisher (const char *extra, GstBus *bus)
{
  g_autofree char *desc = g_strdup_printf ("nnpublish mqtt-host=127.0.0.1 mqtt-port=%d topic=nn/test qos=1 "
                                           "stream-name=cam reconnect-min=50 reconnect-max=200 %s",
                                           broker.port, extra);
  return harness_with_bus (desc, bus);
}

static void
push_frames (GstHarness *h, guint64 from, guint64 to)
{
  static const char *labels[] = { "a", "b", "c" };
  for (guint64 i = from; i < to; i++) {
    GstBuffer *b = frame_buffer (i);
    const gint idx[] = { (gint) (i % 3) };
    const gdouble score[] = { 0.5 };
    add_result (b, "nnclassify0", 1, "m", 1, &labels[i % 3], idx, score, 0, 0, 8, 8);
    ck_assert_int_eq (gst_harness_push (h, b), GST_FLOW_OK);
    gst_buffer_unref (gst_harness_pull (h));
  }
}

static guint
queued (GstHarness *h)
{
  GstElement *e = gst_harness_find_element (h, "nnpublish");
  guint n;
  g_object_get (e, "queued", &n, NULL);
  gst_object_unref (e);
  return n;
}

static guint64
uint64_prop (GstHarness *h, const char *name)
{
  GstElement *e = gst_harness_find_element (h, "nnpublish");
  guint64 n;
  g_object_get (e, name, &n, NULL);
  gst_object_unref (e);
  return n;
}

static guint
wait_queued (GstHarness *h, guint n, int seconds)
{
  for (int i = 0; i < seconds * 100 && queued (h) != n; i++)
    g_usleep (10000);
  return queued (h);
}

/* The first warning on the bus whose text contains `needle` within `seconds`. */
static gboolean
wait_warning (GstBus *bus, const char *needle, int seconds)
{
  gint64 until = g_get_monotonic_time () + (gint64) seconds * G_USEC_PER_SEC;
  for (;;) {
    gint64 left = until - g_get_monotonic_time ();
    if (left <= 0)
      return FALSE;
    GstMessage *m = gst_bus_timed_pop_filtered (bus, left * GST_USECOND, GST_MESSAGE_WARNING);
    if (!m)
      return FALSE;
    GError *e = NULL;
    gst_message_parse_warning (m, &e, NULL);
    gboolean hit = strstr (e->message, needle) != NULL;
    g_error_free (e);
    gst_message_unref (m);
    if (hit)
      return TRUE;
  }
}

static void
check_sequence (GArray *frames, const gint64 *want, guint n)
{
  GString *got = g_string_new (NULL);
  for (guint i = 0; i < frames->len; i++)
    g_string_append_printf (got, "%" G_GINT64_FORMAT " ", g_array_index (frames, gint64, i));
  ck_assert_uint_eq (frames->len, n);
  for (guint i = 0; i < n; i++)
    fail_unless (g_array_index (frames, gint64, i) == want[i], "message %u is frame %" G_GINT64_FORMAT
                 ", not %" G_GINT64_FORMAT ": %s", i, g_array_index (frames, gint64, i), want[i], got->str);
  g_string_free (got, TRUE);
}

/* QoS 1 and 2, 40 frames; the broker is frozen after frame 9 (so 10-19 are written to its
 * socket and never acknowledged), killed, 20-29 are pushed while it is down,
 * it restarts on the same port, 30-39 follow. The subscriber gets 0..39,
 * each once, in order: the unacknowledged ones are sent again before the
 * queued ones, which go before the new ones. */
GST_START_TEST (test_mqtt_restart_in_order)
{
  /* a loop test: __i__ is the QoS, 1 then 2 */
  broker_start ();
  Sub *sub = sub_new ();
  GstBus *bus = gst_bus_new ();
  g_autofree char *qos = g_strdup_printf ("qos=%d", __i__);
  GstHarness *h = publisher (qos, bus);

  push_frames (h, 0, 10);
  ck_assert_uint_eq (sub_wait (sub, 10, 20), 10);
  ck_assert_uint_eq (wait_queued (h, 0, 20), 0);
  sub_checkpoint (sub);

  kill (broker.pid, SIGSTOP);
  int st;
  fail_unless (waitpid (broker.pid, &st, WUNTRACED) == broker.pid && WIFSTOPPED (st));
  push_frames (h, 10, 20);
  ck_assert_uint_eq (queued (h), 10);
  broker_kill ();
  fail_unless (wait_warning (bus, "Lost the MQTT broker", 20), "no warning for the lost broker");
  push_frames (h, 20, 30);
  ck_assert_uint_eq (queued (h), 20);
  broker_start ();
  push_frames (h, 30, 40);
  ck_assert_uint_eq (sub_wait (sub, 40, 30), 40);
  ck_assert_uint_eq (wait_queued (h, 0, 20), 0);
  /* nothing more comes (no duplicate) */
  g_usleep (300000);
  GArray *frames = sub_frames (sub);
  gint64 want[40];
  for (int i = 0; i < 40; i++)
    want[i] = i;
  check_sequence (frames, want, 40);
  g_array_unref (frames);
  ck_assert_uint_eq (uint64_prop (h, "dropped"), 0);
  ck_assert_uint_eq (uint64_prop (h, "published"), 40);

  gst_harness_teardown (h);
  gst_object_unref (bus);
  sub_free (sub);
  broker_teardown ();
}
GST_END_TEST;

/* Broker away from the start (a warning, no hang): queue-size=5 and 8 frames
 * drop exactly the last 3, counted and warned; when the broker is back the 5
 * arrive in order, then the next frames. */
GST_START_TEST (test_mqtt_overflow_while_away)
{
  broker_start ();
  Sub *sub = sub_new ();
  broker_kill ();

  GstBus *bus = gst_bus_new ();
  GstHarness *h = publisher ("queue-size=5", bus);
  fail_unless (wait_warning (bus, "Could not connect to the MQTT broker", 10), "no warning for the absent broker");
  push_frames (h, 0, 8);
  ck_assert_uint_eq (queued (h), 5);
  ck_assert_uint_eq (uint64_prop (h, "dropped"), 3);
  fail_unless (wait_warning (bus, "MQTT queue full", 1), "no warning for the drops");

  broker_start ();
  ck_assert_uint_eq (sub_wait (sub, 5, 30), 5);
  ck_assert_uint_eq (wait_queued (h, 0, 20), 0);
  push_frames (h, 8, 10);
  ck_assert_uint_eq (sub_wait (sub, 7, 20), 7);
  g_usleep (300000);
  GArray *frames = sub_frames (sub);
  const gint64 want[] = { 0, 1, 2, 3, 4, 8, 9 };
  check_sequence (frames, want, G_N_ELEMENTS (want));
  g_array_unref (frames);
  ck_assert_uint_eq (uint64_prop (h, "dropped"), 3);

  gst_harness_teardown (h);
  gst_object_unref (bus);
  sub_free (sub);
  broker_teardown ();
}
GST_END_TEST;

/* QoS 0 (a message leaves the queue once written): messages still queued
 * at EOS are waited for (flush-timeout); an invalid topic and back-off
 * range are refused at start. */
GST_START_TEST (test_mqtt_eos_and_settings)
{
  broker_start ();
  Sub *sub = sub_new ();
  GstBus *bus = gst_bus_new ();
  GstHarness *h = publisher ("flush-timeout=20000 qos=0", bus);
  push_frames (h, 0, 20);
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  /* the EOS went on only once the queue was empty */
  ck_assert_uint_eq (queued (h), 0);
  ck_assert_uint_eq (uint64_prop (h, "published"), 20);
  ck_assert_uint_eq (sub_wait (sub, 20, 20), 20);
  gst_harness_teardown (h);

  GError *e = start_error ("mqtt-host=127.0.0.1 topic=nn/#");
  fail_unless (g_error_matches (e, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS), "%s", e->message);
  fail_unless (strstr (e->message, "127.0.0.1") != NULL, "%s", e->message);
  g_error_free (e);
  e = start_error ("mqtt-host=127.0.0.1 reconnect-min=500 reconnect-max=100");
  fail_unless (g_error_matches (e, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS), "%s", e->message);
  g_error_free (e);
  gst_object_unref (bus);
  sub_free (sub);
  broker_teardown ();
}
GST_END_TEST;

/* ---- documentation ------------------------------------------------------------- */

/* What gst-inspect-1.0 prints: a description with an example line and a
 * blurb with an example for every writable property. */
GST_START_TEST (test_inspect)
{
  GstElementFactory *f = gst_element_factory_find ("nnpublish");
  fail_unless (f != NULL);
  const char *desc = gst_element_factory_get_metadata (f, GST_ELEMENT_METADATA_DESCRIPTION);
  fail_unless (strstr (desc, "nnpublish location=") && strstr (desc, "mqtt-host="), "%s", desc);
  GstElement *e = gst_element_factory_create (f, NULL);
  guint n;
  GParamSpec **props = g_object_class_list_properties (G_OBJECT_GET_CLASS (e), &n);
  const char *own[] = { "location", "stream-name", "skip-empty", "mqtt-host", "mqtt-port", "topic", "client-id",
                        "qos", "queue-size", "reconnect-min", "reconnect-max", "flush-timeout", "dropped", "queued",
                        "published", "connected" };
  for (guint i = 0; i < G_N_ELEMENTS (own); i++) {
    GParamSpec *p = g_object_class_find_property (G_OBJECT_GET_CLASS (e), own[i]);
    fail_unless (p != NULL, "no property %s", own[i]);
    const char *blurb = g_param_spec_get_blurb (p);
    fail_unless (blurb && strlen (blurb) > 20, "%s: no description", own[i]);
    if (p->flags & G_PARAM_WRITABLE) {
      g_autofree char *example = g_strdup_printf ("e.g. %s=", own[i]);
      fail_unless (strstr (blurb, example) != NULL, "%s: no example in \"%s\"", own[i], blurb);
    }
  }
  g_free (props);
  gst_object_unref (e);
  gst_object_unref (f);

#ifndef __SANITIZE_ADDRESS__
  /* gst-inspect-1.0 itself (not under ASan: the uninstrumented program
   * cannot load the instrumented plugin) */
  char *argv[] = { "gst-inspect-1.0", "nnpublish", NULL };
  char *out = NULL;
  int status;
  fail_unless (g_spawn_sync (NULL, argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, &out,
                             NULL, &status, NULL) && g_spawn_check_wait_status (status, NULL));
  for (guint i = 0; i < G_N_ELEMENTS (own); i++)
    fail_unless (strstr (out, own[i]) != NULL, "gst-inspect-1.0 nnpublish does not show %s", own[i]);
  fail_unless (strstr (out, "nnpublish location=results.jsonl") != NULL);
  g_free (out);
#endif
}
GST_END_TEST;

static void
setup (void)
{
  mosquitto_lib_init ();
}

static void
teardown (void)
{
  broker_teardown ();
}

static Suite *
nnpublish_suite (void)
{
  Suite *s = suite_create ("nnpublish");
  TCase *tc = tcase_create ("file");
  tcase_set_timeout (tc, 60);
  tcase_add_test (tc, test_file_json_lines);
  tcase_add_test (tc, test_file_after_nnclassify);
  tcase_add_test (tc, test_stream_name_upstream);
  tcase_add_test (tc, test_file_errors);
  tcase_add_test (tc, test_stdout);
  tcase_add_test (tc, test_shared_file);
  tcase_add_test (tc, test_inspect);
  suite_add_tcase (s, tc);
  TCase *mq = tcase_create ("mqtt");
  tcase_set_timeout (mq, 120);
  tcase_add_checked_fixture (mq, setup, teardown);
  tcase_add_loop_test (mq, test_mqtt_restart_in_order, 1, 3);
  tcase_add_test (mq, test_mqtt_overflow_while_away);
  tcase_add_test (mq, test_mqtt_eos_and_settings);
  suite_add_tcase (s, mq);
  return s;
}

GST_CHECK_MAIN (nnpublish);
