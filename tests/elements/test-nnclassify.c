/* nnclassify: negotiation, properties, metas, messages, error paths. */
#include <math.h>
#include <string.h>
#include <unistd.h>

#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <nn/nn.h>

#include "nn-classification-meta.h"
#include "nn-test-util.h"

static const GstVideoFormat all_formats[] = {
  GST_VIDEO_FORMAT_GRAY8, GST_VIDEO_FORMAT_RGB, GST_VIDEO_FORMAT_BGR, GST_VIDEO_FORMAT_RGBx,
  GST_VIDEO_FORMAT_BGRx, GST_VIDEO_FORMAT_RGBA, GST_VIDEO_FORMAT_BGRA, GST_VIDEO_FORMAT_xRGB,
  GST_VIDEO_FORMAT_xBGR, GST_VIDEO_FORMAT_ARGB, GST_VIDEO_FORMAT_ABGR, GST_VIDEO_FORMAT_I420,
  GST_VIDEO_FORMAT_NV12, GST_VIDEO_FORMAT_YV12, GST_VIDEO_FORMAT_NV21, GST_VIDEO_FORMAT_YUY2,
  GST_VIDEO_FORMAT_UYVY, GST_VIDEO_FORMAT_YVYU, GST_VIDEO_FORMAT_Y42B, GST_VIDEO_FORMAT_Y444,
};

static char *gray_model, *rgb_model, *flat_model;

static void
write_models (void)
{
  gray_model = nn_test_write_temp ("nnclassify-gray-XXXXXX.json", NN_TEST_SPEC_GRAY, -1);
  rgb_model = nn_test_write_temp ("nnclassify-rgb-XXXXXX.json", NN_TEST_SPEC_RGB, -1);
  flat_model = nn_test_write_temp ("nnclassify-flat-XXXXXX.json", NN_TEST_SPEC_FLAT, -1);
}

static void
remove_models (void)
{
  char **paths[] = { &gray_model, &rgb_model, &flat_model };
  for (guint i = 0; i < G_N_ELEMENTS (paths); i++) {
    g_unlink (*paths[i]);
    g_clear_pointer (paths[i], g_free);
  }
}

static GstHarness *
classify_harness (const char *model, const char *props, GstVideoFormat fmt, int w, int h)
{
  g_autofree char *desc = g_strdup_printf ("nnclassify name=c model=\"%s\" %s", model, props ? props : "");
  GstHarness *hs = gst_harness_new_parse (desc);
  g_autofree char *caps = nn_test_caps_string (fmt, w, h);
  gst_harness_set_src_caps_str (hs, caps);
  return hs;
}

/* Pushes one frame and returns the output (transfer full). */
static GstBuffer *
push_pull (GstHarness *hs, GstVideoFormat fmt, int w, int h, guint seed, guint64 pts)
{
  GstBuffer *in = nn_test_gray_frame (fmt, w, h, seed);
  GST_BUFFER_PTS (in) = pts;
  fail_unless_equals_int (gst_harness_push (hs, in), GST_FLOW_OK);
  GstBuffer *out = gst_harness_pull (hs);
  fail_unless (out != NULL);
  return out;
}

/* Checks the meta's fields hang together; returns the label index. */
static gint
check_result (const GstStructure *s, guint expect_k, const char *const *labels, guint n_labels)
{
  const char *label = gst_structure_get_string (s, "label");
  gint index = -1;
  gdouble score = -1;
  fail_unless (label != NULL);
  fail_unless (gst_structure_get_int (s, "class-index", &index));
  fail_unless (gst_structure_get_double (s, "score", &score));
  fail_unless (index >= 0 && (guint) index < n_labels, "index %d", index);
  fail_unless_equals_string (label, labels[index]);
  fail_unless (score >= 0.0 && score <= 1.0, "score %f", score);
  fail_unless_equals_int (nn_classification_n_top (s), expect_k);
  gdouble prev = 2.0;
  for (guint i = 0; i < expect_k; i++) {
    const char *l;
    gint idx;
    gdouble v;
    fail_unless (nn_classification_get_top (s, i, &l, &idx, &v));
    fail_unless_equals_string (l, labels[idx]);
    fail_unless (v <= prev, "top-k not sorted");
    prev = v;
    if (i == 0) {
      fail_unless_equals_int (idx, index);
      fail_unless_equals_float (v, score);
    }
  }
  fail_if (nn_classification_get_top (s, expect_k, NULL, NULL, NULL));
  return index;
}

static const char *const gray_labels[] = { "a", "b", "c" };
static const char *const rgb_labels[] = { "red", "green", "blue", "gray" };

GST_START_TEST (test_properties)
{
  GstElement *e = gst_element_factory_make ("nnclassify", NULL);
  fail_unless (e != NULL);
  g_autofree char *model = NULL, *labels = NULL;
  guint top_k, interval;
  gdouble threshold, latency, throughput;
  g_object_get (e, "model", &model, "top-k", &top_k, "threshold", &threshold, "inference-interval", &interval,
                "labels", &labels, "latency", &latency, "throughput", &throughput, NULL);
  fail_unless (model == NULL && labels == NULL);
  fail_unless_equals_int (top_k, 3);
  fail_unless_equals_float (threshold, 0.0);
  fail_unless_equals_int (interval, 1);
  fail_unless_equals_float (latency, 0.0);
  fail_unless_equals_float (throughput, 0.0);

  g_object_set (e, "model", "/x/m.safetensors", "top-k", 5, "threshold", 0.25, "inference-interval", 4, "labels",
                "/x/l.txt", NULL);
  g_clear_pointer (&model, g_free);
  g_clear_pointer (&labels, g_free);
  g_object_get (e, "model", &model, "top-k", &top_k, "threshold", &threshold, "inference-interval", &interval,
                "labels", &labels, NULL);
  fail_unless_equals_string (model, "/x/m.safetensors");
  fail_unless_equals_string (labels, "/x/l.txt");
  fail_unless_equals_int (top_k, 5);
  fail_unless_equals_float (threshold, 0.25);
  fail_unless_equals_int (interval, 4);

  GParamSpec *ps = g_object_class_find_property (G_OBJECT_GET_CLASS (e), "model");
  fail_unless (ps->flags & GST_PARAM_MUTABLE_READY);
  ps = g_object_class_find_property (G_OBJECT_GET_CLASS (e), "latency");
  fail_if (ps->flags & G_PARAM_WRITABLE);
  gst_object_unref (e);
}
GST_END_TEST;

/* Every format, odd and even sizes, gray and colour models. */
GST_START_TEST (test_formats)
{
  const int sizes[][2] = { { 8, 8 }, { 33, 17 }, { 64, 48 }, { 3, 2 } };
  for (guint f = 0; f < G_N_ELEMENTS (all_formats); f++)
    for (guint s = 0; s < G_N_ELEMENTS (sizes); s++)
      for (int m = 0; m < 2; m++) {
        GstVideoFormat fmt = all_formats[f];
        int w = sizes[s][0], h = sizes[s][1];
        GstHarness *hs = classify_harness (m ? rgb_model : gray_model, "top-k=2", fmt, w, h);
        GstBuffer *out = push_pull (hs, fmt, w, h, f + s, 0);
        const GstStructure *st = nn_buffer_get_classification_structure (out);
        fail_unless (st != NULL, "no meta for %s %dx%d", gst_video_format_to_string (fmt), w, h);
        check_result (st, 2, m ? rgb_labels : gray_labels, m ? 4 : 3);
        gst_buffer_unref (out);
        gst_harness_teardown (hs);
      }
}
GST_END_TEST;

/* The whole-frame ROI meta and the result equal libnn's own answer. */
GST_START_TEST (test_meta_matches_libnn)
{
  const int w = 33, h = 17;
  GstHarness *hs = classify_harness (gray_model, "top-k=3", GST_VIDEO_FORMAT_GRAY8, w, h);
  GstBuffer *out = push_pull (hs, GST_VIDEO_FORMAT_GRAY8, w, h, 7, 0);

  GstVideoRegionOfInterestMeta *roi = gst_buffer_get_video_region_of_interest_meta (out);
  fail_unless (roi != NULL);
  fail_unless_equals_string (g_quark_to_string (roi->roi_type), "nn-classification");
  fail_unless (roi->x == 0 && roi->y == 0 && roi->w == (guint) w && roi->h == (guint) h);

  const char *label;
  gint index;
  gdouble score;
  fail_unless (nn_buffer_get_classification (out, &label, &index, &score));

  g_autoptr (GError) err = NULL;
  g_autoptr (NnModel) m = nn_model_load (gray_model, &err);
  fail_unless (m != NULL, "%s", err ? err->message : "");
  guint8 pixels[17][33];
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      pixels[y][x] = nn_test_gray (x, y, 7);
  float input[64];
  nn_preprocess_image (nn_model_preprocess (m), &pixels[0][0], w, h, w, NN_PIXEL_GRAY8, input);
  fail_unless (nn_model_reserve (m, 1, &err));
  const float *p = nn_model_forward (m, input, 1, FALSE, &err);
  fail_unless (p != NULL);
  int best = 0;
  for (int i = 1; i < 3; i++)
    if (p[i] > p[best])
      best = i;
  fail_unless_equals_int (index, best);
  fail_unless_equals_string (label, gray_labels[best]);
  fail_unless (fabs (score - p[best]) < 1e-6, "score %f vs %f", score, p[best]);
  check_result (nn_buffer_get_classification_structure (out), 3, gray_labels, 3);

  gst_buffer_unref (out);
  gst_harness_teardown (hs);
}
GST_END_TEST;

/* An ONNX model runs as model=X.onnx, labels from its sidecar X.json: the
 * fixture of the shipped LeNet (PyTorch's export of its weights) answers as
 * the shipped .safetensors does. */
GST_START_TEST (test_onnx_model)
{
  const char *root = g_getenv ("NN_SOURCE_ROOT");
  fail_unless (root != NULL);
  g_autofree char *onnx = g_build_filename (root, "tests", "fixtures", "onnx", "fashion-lenet.onnx", NULL);
  g_autofree char *st = g_build_filename (root, "models", "fashion-lenet.safetensors", NULL);
  const char *label[2];
  gint index[2];
  gdouble score[2];
  GstBuffer *out[2];
  const char *models[2] = { onnx, st };
  for (int k = 0; k < 2; k++) {
    GstHarness *hs = classify_harness (models[k], "top-k=2", GST_VIDEO_FORMAT_GRAY8, 28, 28);
    out[k] = push_pull (hs, GST_VIDEO_FORMAT_GRAY8, 28, 28, 5, 0);
    fail_unless (nn_buffer_get_classification (out[k], &label[k], &index[k], &score[k]));
    gst_harness_teardown (hs);
  }
  fail_unless_equals_int (index[0], index[1]);
  fail_unless_equals_string (label[0], label[1]);
  fail_unless (fabs (score[0] - score[1]) < 1e-5, "score %f (onnx) vs %f", score[0], score[1]);
  fail_if (g_str_has_prefix (label[0], "class "), "no labels from the sidecar: %s", label[0]);
  gst_buffer_unref (out[0]);
  gst_buffer_unref (out[1]);
}
GST_END_TEST;

static void
check_message (GstMessage *msg, guint64 frame, guint64 pts)
{
  fail_unless (msg != NULL);
  const GstStructure *s = gst_message_get_structure (msg);
  fail_unless (gst_structure_has_name (s, "nn-classification"));
  guint64 f, t;
  fail_unless (gst_structure_get_uint64 (s, "frame", &f));
  fail_unless (gst_structure_get_uint64 (s, "pts", &t));
  fail_unless_equals_uint64 (f, frame);
  fail_unless_equals_uint64 (t, pts);
  check_result (s, 3, gray_labels, 3);
}

GST_START_TEST (test_bus_messages)
{
  GstHarness *hs = classify_harness (gray_model, NULL, GST_VIDEO_FORMAT_GRAY8, 28, 28);
  GstBus *bus = gst_bus_new ();
  gst_element_set_bus (hs->element, bus);
  for (guint i = 0; i < 5; i++) {
    GstBuffer *out = push_pull (hs, GST_VIDEO_FORMAT_GRAY8, 28, 28, i, i * GST_SECOND / 30);
    const char *label;
    fail_unless (nn_buffer_get_classification (out, &label, NULL, NULL));
    GstMessage *msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT);
    check_message (msg, i, i * GST_SECOND / 30);
    fail_unless_equals_string (gst_structure_get_string (gst_message_get_structure (msg), "label"), label);
    gst_message_unref (msg);
  }
  fail_unless (gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT) == NULL);

  GstElement *c = gst_harness_find_element (hs, "nnclassify");
  gdouble latency, throughput;
  g_object_get (c, "latency", &latency, "throughput", &throughput, NULL);
  fail_unless (latency > 0.0, "latency %f", latency);
  fail_unless (throughput > 0.0, "throughput %f", throughput);
  gst_object_unref (c);

  gst_element_set_bus (hs->element, NULL);
  gst_object_unref (bus);
  gst_harness_teardown (hs);
}
GST_END_TEST;

GST_START_TEST (test_inference_interval)
{
  GstHarness *hs = classify_harness (gray_model, "inference-interval=3", GST_VIDEO_FORMAT_I420, 16, 16);
  GstBus *bus = gst_bus_new ();
  gst_element_set_bus (hs->element, bus);
  for (guint i = 0; i < 9; i++) {
    GstBuffer *out = push_pull (hs, GST_VIDEO_FORMAT_I420, 16, 16, i, i);
    gboolean has = nn_buffer_get_classification (out, NULL, NULL, NULL);
    fail_unless_equals_int (has, i % 3 == 0);
    gst_buffer_unref (out);
  }
  for (guint i = 0; i < 9; i += 3) {
    GstMessage *msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT);
    check_message (msg, i, i);
    gst_message_unref (msg);
  }
  fail_unless (gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT) == NULL);
  gst_element_set_bus (hs->element, NULL);
  gst_object_unref (bus);
  gst_harness_teardown (hs);
}
GST_END_TEST;

GST_START_TEST (test_threshold_and_top_k)
{
  /* softmax over 3 random classes never reaches 1 */
  GstHarness *hs = classify_harness (gray_model, "threshold=1.0", GST_VIDEO_FORMAT_GRAY8, 8, 8);
  GstBuffer *out = push_pull (hs, GST_VIDEO_FORMAT_GRAY8, 8, 8, 1, 0);
  fail_if (nn_buffer_get_classification (out, NULL, NULL, NULL));
  gst_buffer_unref (out);
  gst_harness_teardown (hs);

  hs = classify_harness (gray_model, "top-k=10", GST_VIDEO_FORMAT_GRAY8, 8, 8);
  out = push_pull (hs, GST_VIDEO_FORMAT_GRAY8, 8, 8, 1, 0);
  check_result (nn_buffer_get_classification_structure (out), 3, gray_labels, 3);
  gst_buffer_unref (out);
  gst_harness_teardown (hs);
}
GST_END_TEST;

GST_START_TEST (test_labels_override)
{
  static const char *const mine[] = { "cat", "dog", "fish" };
  g_autofree char *path = nn_test_write_temp ("nnclassify-labels-XXXXXX.txt", "cat\ndog\r\n\nfish\n", -1);
  g_autofree char *props = g_strdup_printf ("labels=\"%s\"", path);
  GstHarness *hs = classify_harness (gray_model, props, GST_VIDEO_FORMAT_GRAY8, 8, 8);
  GstBuffer *out = push_pull (hs, GST_VIDEO_FORMAT_GRAY8, 8, 8, 3, 0);
  check_result (nn_buffer_get_classification_structure (out), 3, mine, 3);
  gst_buffer_unref (out);
  gst_harness_teardown (hs);
  g_unlink (path);
}
GST_END_TEST;

/* The same gray picture as GRAY8, RGB, BGRx, xRGB and I420 gives the same answer. */
GST_START_TEST (test_same_result_across_formats)
{
  const GstVideoFormat fmts[] = { GST_VIDEO_FORMAT_RGB, GST_VIDEO_FORMAT_BGRx, GST_VIDEO_FORMAT_xRGB,
                                  GST_VIDEO_FORMAT_I420, GST_VIDEO_FORMAT_NV12, GST_VIDEO_FORMAT_YUY2,
                                  GST_VIDEO_FORMAT_UYVY, GST_VIDEO_FORMAT_Y444 };
  const char *models[] = { gray_model, rgb_model, flat_model };
  for (guint m = 0; m < G_N_ELEMENTS (models); m++)
    for (guint seed = 0; seed < 4; seed++) {
      GstHarness *hs = classify_harness (models[m], "top-k=3", GST_VIDEO_FORMAT_GRAY8, 40, 30);
      GstBuffer *ref = push_pull (hs, GST_VIDEO_FORMAT_GRAY8, 40, 30, seed, 0);
      gst_harness_teardown (hs);
      const GstStructure *rs = nn_buffer_get_classification_structure (ref);
      fail_unless (rs != NULL);
      for (guint f = 0; f < G_N_ELEMENTS (fmts); f++) {
        hs = classify_harness (models[m], "top-k=3", fmts[f], 40, 30);
        GstBuffer *out = push_pull (hs, fmts[f], 40, 30, seed, 0);
        const GstStructure *s = nn_buffer_get_classification_structure (out);
        fail_unless (s != NULL);
        for (guint i = 0; i < 3; i++) {
          gint ri, oi;
          gdouble rv, ov;
          fail_unless (nn_classification_get_top (rs, i, NULL, &ri, &rv));
          fail_unless (nn_classification_get_top (s, i, NULL, &oi, &ov));
          fail_unless (fabs (rv - ov) < 1e-4, "model %u %s: %f vs %f", m, gst_video_format_to_string (fmts[f]),
                       rv, ov);
          fail_unless_equals_int (ri, oi);
        }
        gst_buffer_unref (out);
        gst_harness_teardown (hs);
      }
      gst_buffer_unref (ref);
    }
}
GST_END_TEST;

/* Two classifiers on one stream: each meta and message says which element
 * and model it comes from, and the metas' ids differ. */
GST_START_TEST (test_two_classifiers_distinct)
{
  g_autofree char *desc = g_strdup_printf (
    "videotestsrc num-buffers=2 ! video/x-raw,format=I420,width=16,height=16 ! nnclassify name=first model=\"%s\" ! "
    "nnclassify name=second model=\"%s\" ! appsink name=out sync=false", gray_model, rgb_model);
  GstElement *p = gst_parse_launch (desc, NULL);
  fail_unless (p != NULL);
  GstElement *sink = gst_bin_get_by_name (GST_BIN (p), "out");
  GstBus *bus = gst_element_get_bus (p);
  gst_element_set_state (p, GST_STATE_PLAYING);
  GstSample *sample = NULL;
  g_signal_emit_by_name (sink, "pull-sample", &sample);
  fail_unless (sample != NULL);
  GstBuffer *buf = gst_sample_get_buffer (sample);
  gpointer state = NULL;
  GstMeta *m;
  const char *names[2] = { NULL, NULL }, *models[2] = { NULL, NULL };
  gint ids[2] = { 0, 0 };
  int n = 0;
  while ((m = gst_buffer_iterate_meta_filtered (buf, &state, GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE))) {
    GstVideoRegionOfInterestMeta *roi = (GstVideoRegionOfInterestMeta *) m;
    GstStructure *s = gst_video_region_of_interest_meta_get_param (roi, NN_CLASSIFICATION_NAME);
    fail_unless (s != NULL && n < 2);
    names[n] = gst_structure_get_string (s, "element");
    models[n] = gst_structure_get_string (s, "model");
    guint eid = 0;
    fail_unless (gst_structure_get_uint (s, "element-id", &eid));
    fail_unless_equals_int ((gint) eid, roi->id);
    ids[n++] = roi->id;
  }
  fail_unless_equals_int (n, 2);
  fail_unless_equals_string (names[0], "first");
  fail_unless_equals_string (names[1], "second");
  fail_unless (ids[0] > 0 && ids[1] > 0 && ids[0] != ids[1], "ids %d %d", ids[0], ids[1]);
  g_autofree char *gray_name = g_path_get_basename (gray_model), *rgb_name = g_path_get_basename (rgb_model);
  *strrchr (gray_name, '.') = '\0';
  *strrchr (rgb_name, '.') = '\0';
  fail_unless_equals_string (models[0], gray_name);
  fail_unless_equals_string (models[1], rgb_name);
  /* the messages carry the same provenance */
  GstMessage *msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT);
  fail_unless (msg != NULL);
  const GstStructure *ms = gst_message_get_structure (msg);
  fail_unless_equals_string (gst_structure_get_string (ms, "element"), GST_OBJECT_NAME (GST_MESSAGE_SRC (msg)));
  fail_unless (gst_structure_get_string (ms, "model") != NULL);
  gst_message_unref (msg);
  gst_sample_unref (sample);
  gst_element_set_state (p, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (sink);
  gst_object_unref (p);
}
GST_END_TEST;

/* ---- failures --------------------------------------------------------------- */

/* Starts nnclassify with `props`; the state change must fail with an error
 * message whose text or debug mentions `needle`. */
static void
expect_start_error (const char *model, const char *labels, const char *needle, GQuark domain)
{
  GstElement *e = gst_element_factory_make ("nnclassify", NULL);
  g_object_set (e, "model", model, "labels", labels, NULL);
  GstBus *bus = gst_bus_new ();
  gst_element_set_bus (e, bus);
  fail_unless_equals_int (gst_element_set_state (e, GST_STATE_PAUSED), GST_STATE_CHANGE_FAILURE);
  GstMessage *msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  fail_unless (msg != NULL, "no error message");
  GError *err = NULL;
  char *debug = NULL;
  gst_message_parse_error (msg, &err, &debug);
  fail_unless (err->domain == domain, "domain %s", g_quark_to_string (err->domain));
  fail_unless (strstr (err->message, needle) != NULL, "\"%s\" not in \"%s\"", needle, err->message);
  fail_unless (debug != NULL && debug[0]);
  g_error_free (err);
  g_free (debug);
  gst_message_unref (msg);
  gst_element_set_state (e, GST_STATE_NULL);
  gst_element_set_bus (e, NULL);
  gst_object_unref (bus);
  gst_object_unref (e);
}

GST_START_TEST (test_missing_model)
{
  expect_start_error ("/nonexistent/dir/model.safetensors", NULL, "/nonexistent/dir/model.safetensors",
                      GST_RESOURCE_ERROR);
  expect_start_error (NULL, NULL, "No model", GST_RESOURCE_ERROR);
}
GST_END_TEST;

GST_START_TEST (test_garbage_model)
{
  g_autofree char *st = nn_test_write_temp ("nnclassify-bad-XXXXXX.safetensors", "\x10\x00\x00\x00 not a model", 16);
  g_autofree char *js = nn_test_write_temp ("nnclassify-bad-XXXXXX.json", "{\"input\": [1, 8", -1);
  expect_start_error (st, NULL, st, GST_RESOURCE_ERROR);
  expect_start_error (js, NULL, js, GST_RESOURCE_ERROR);
  g_unlink (st);
  g_unlink (js);
}
GST_END_TEST;

GST_START_TEST (test_bad_labels)
{
  g_autofree char *two = nn_test_write_temp ("nnclassify-labels-XXXXXX.txt", "x\ny\n", -1);
  expect_start_error (gray_model, two, two, GST_RESOURCE_ERROR);
  expect_start_error (gray_model, "/nonexistent/labels.txt", "/nonexistent/labels.txt", GST_RESOURCE_ERROR);
  g_unlink (two);
}
GST_END_TEST;

/* Models that do not take images are refused at negotiation. */
/* Starts nnclassify with `mode` and `model`: the start must fail with a
 * RESOURCE SETTINGS error naming the model file; returns its message. */
static char *
start_refused (const char *mode, const char *model)
{
  GstElement *e = gst_element_factory_make ("nnclassify", NULL);
  gst_util_set_object_arg (G_OBJECT (e), "mode", mode);
  g_object_set (e, "model", model, NULL);
  GstBus *bus = gst_bus_new ();
  gst_element_set_bus (e, bus);
  fail_unless_equals_int (gst_element_set_state (e, GST_STATE_PAUSED), GST_STATE_CHANGE_FAILURE);
  GstMessage *msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  fail_unless (msg != NULL, "%s started", model);
  GError *err = NULL;
  gst_message_parse_error (msg, &err, NULL);
  fail_unless (g_error_matches (err, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS), "%s", err->message);
  fail_unless (strstr (err->message, model) != NULL, "%s", err->message);
  char *message = g_strdup (err->message);
  g_error_free (err);
  gst_message_unref (msg);
  gst_element_set_state (e, GST_STATE_NULL);
  gst_element_set_bus (e, NULL);
  gst_object_unref (bus);
  gst_object_unref (e);
  return message;
}

GST_START_TEST (test_unsupported_model_input)
{
  const char *specs[] = {
    "{\"input\":[63],\"layers\":[{\"type\":\"dense\",\"units\":2}]}",
    "{\"input\":[2,4,4],\"layers\":[{\"type\":\"dense\",\"units\":2}]}",
    "{\"input\":[4,4],\"layers\":[{\"type\":\"dense\",\"units\":2}]}",
  };
  for (guint i = 0; i < G_N_ELEMENTS (specs); i++) {
    g_autofree char *path = nn_test_write_temp ("nnclassify-shape-XXXXXX.json", specs[i], -1);
    /* refused when the element starts, before any caps */
    g_autofree char *message = start_refused ("whole", path);
    fail_unless (strstr (message, "does not take images") != NULL, "spec %u: %s", i, message);
    g_unlink (path);
  }
}
GST_END_TEST;

/* Going to READY and back reloads the model and restarts frame numbers. */
GST_START_TEST (test_restart)
{
  GstHarness *hs = classify_harness (gray_model, "inference-interval=3", GST_VIDEO_FORMAT_GRAY8, 8, 8);
  gst_buffer_unref (push_pull (hs, GST_VIDEO_FORMAT_GRAY8, 8, 8, 0, 0));
  gst_buffer_unref (push_pull (hs, GST_VIDEO_FORMAT_GRAY8, 8, 8, 0, 0));
  fail_unless_equals_int (gst_element_set_state (hs->element, GST_STATE_READY), GST_STATE_CHANGE_SUCCESS);
  gst_harness_play (hs);
  gst_harness_set_src_caps_str (hs, "video/x-raw,format=GRAY8,width=8,height=8,framerate=30/1");
  GstBuffer *out = push_pull (hs, GST_VIDEO_FORMAT_GRAY8, 8, 8, 0, 0);
  fail_unless (nn_buffer_get_classification (out, NULL, NULL, NULL));
  gst_buffer_unref (out);
  out = push_pull (hs, GST_VIDEO_FORMAT_GRAY8, 8, 8, 0, 0);
  fail_if (nn_buffer_get_classification (out, NULL, NULL, NULL));
  gst_buffer_unref (out);
  gst_harness_teardown (hs);
}
GST_END_TEST;

/* ---- smoothing, nn-gesture, class maps ------------------------------------------ */

/* A model with weights we choose: built from `spec`, params[i] filled by
 * `fill`, saved to a temporary safetensors (g_unlink and g_free it). */
static char *
save_model (const char *spec, void (*fill) (NnParam *p, int n))
{
  GError *err = NULL;
  NnModel *m = nn_model_new_from_spec (spec, 1, &err);
  fail_unless (m != NULL, "%s", err ? err->message : "");
  int n = 0;
  NnParam *p = nn_model_params (m, &n);
  fill (p, n);
  char *path = nn_test_write_temp ("nnclassify-chosen-XXXXXX.safetensors", "", 0);
  fail_unless (nn_model_save (m, path, &err), "%s", err ? err->message : "");
  nn_model_free (m);
  return path;
}

/* Mean brightness b in [0, 1] -> logits (10 - 20b, 3, 20b - 10): "dark" below
 * about 0.35, "mid" around 0.5, "bright" above about 0.65. */
#define BRIGHTNESS_SPEC \
  "{\"input\":[1,8,8],\"labels\":[\"dark\",\"mid\",\"bright\"],\"preprocess\":{\"rescale\":0.00392156862745098}," \
  "\"layers\":[{\"name\":\"fc\",\"type\":\"dense\",\"units\":3},{\"type\":\"softmax\"}]}"

static void
fill_brightness (NnParam *p, int n)
{
  fail_unless_equals_int (n, 2);  /* fc.weight [3, 64], fc.bias [3] */
  const float slope[3] = { -20.0f, 0.0f, 20.0f }, bias[3] = { 10.0f, 3.0f, -10.0f };
  for (int c = 0; c < 3; c++) {
    for (int i = 0; i < 64; i++)
      p[0].data[c * 64 + i] = slope[c] / 64.0f;
    p[1].data[c] = bias[c];
  }
}

static GstBuffer *
flat_frame (int w, int h, guint8 v)
{
  GstBuffer *b = gst_buffer_new_allocate (NULL, (gsize) w * h, NULL);
  gst_buffer_memset (b, 0, v, (gsize) w * h);
  return b;
}

/* Pushes frames of the given values; returns the nn-gesture messages' labels
 * joined by spaces, and checks each names the previous one. */
static char *
gestures_for (GstHarness *hs, GstBus *bus, const guint8 *values, int n)
{
  GString *seen = g_string_new (NULL);
  g_autofree char *last = g_strdup ("");
  for (int i = 0; i < n; i++) {
    GstBuffer *in = flat_frame (8, 8, values[i]);
    GST_BUFFER_PTS (in) = i * GST_SECOND / 30;
    fail_unless_equals_int (gst_harness_push (hs, in), GST_FLOW_OK);
    gst_buffer_unref (gst_harness_pull (hs));
    GstMessage *m;
    while ((m = gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT))) {
      const GstStructure *st = gst_message_get_structure (m);
      if (gst_structure_has_name (st, "nn-gesture")) {
        guint64 frame;
        fail_unless (gst_structure_get_uint64 (st, "frame", &frame));
        fail_unless_equals_uint64 (frame, i);
        fail_unless_equals_string (gst_structure_get_string (st, "previous"), last);
        g_free (last);
        last = g_strdup (gst_structure_get_string (st, "gesture"));
        g_string_append_printf (seen, "%s%s", seen->len ? " " : "", last);
      }
      gst_message_unref (m);
    }
  }
  return g_string_free (seen, FALSE);
}

static GstHarness *
gesture_harness (const char *model, const char *props, GstBus **bus)
{
  g_autofree char *desc = g_strdup_printf ("nnclassify model=\"%s\" %s", model, props);
  GstHarness *hs = gst_harness_new_parse (desc);
  gst_harness_set_src_caps_str (hs, "video/x-raw,format=GRAY8,width=8,height=8,framerate=30/1");
  *bus = gst_bus_new ();
  gst_element_set_bus (hs->element, *bus);
  return hs;
}

static void
gesture_teardown (GstHarness *hs, GstBus *bus)
{
  gst_element_set_bus (hs->element, NULL);
  gst_object_unref (bus);
  gst_harness_teardown (hs);
}

/* One-frame glitches do not flicker through; a held change does, once. */
GST_START_TEST (test_smoothing_hysteresis)
{
  g_autofree char *model = save_model (BRIGHTNESS_SPEC, fill_brightness);
  guint8 v[40];
  for (int i = 0; i < 40; i++)
    v[i] = i < 20 ? 20 : 128;  /* dark, then mid */
  v[8] = 240;                   /* glitches */
  v[14] = 128;
  v[30] = 20;

  GstBus *bus;
  GstHarness *hs = gesture_harness (model, "smoothing=4 hysteresis=0.2", &bus);
  g_autofree char *smoothed = gestures_for (hs, bus, v, 40);
  fail_unless_equals_string (smoothed, "dark mid");
  gesture_teardown (hs, bus);

  /* without averaging every glitch is a gesture */
  hs = gesture_harness (model, "smoothing=1 hysteresis=0.0", &bus);
  g_autofree char *raw = gestures_for (hs, bus, v, 40);
  fail_unless_equals_string (raw, "dark bright dark mid dark mid dark mid");
  gesture_teardown (hs, bus);

  /* smoothing=0 (the default): no nn-gesture at all */
  hs = gesture_harness (model, "", &bus);
  g_autofree char *off = gestures_for (hs, bus, v, 40);
  fail_unless_equals_string (off, "");
  gesture_teardown (hs, bus);
  g_unlink (model);
}
GST_END_TEST;

/* The meta's top-k is the smoothed one and carries the stable label. */
GST_START_TEST (test_smoothing_meta)
{
  g_autofree char *model = save_model (BRIGHTNESS_SPEC, fill_brightness);
  GstBus *bus;
  GstHarness *hs = gesture_harness (model, "smoothing=2 hysteresis=0.5", &bus);
  const guint8 v[] = { 20, 20, 235, 235 };
  const char *stable[] = { NULL, "dark", "dark", "bright" };
  for (int i = 0; i < 4; i++) {
    GstBuffer *in = flat_frame (8, 8, v[i]);
    fail_unless_equals_int (gst_harness_push (hs, in), GST_FLOW_OK);
    GstBuffer *out = gst_harness_pull (hs);
    const GstStructure *s = nn_buffer_get_classification_structure (out);
    fail_unless (s != NULL);
    fail_unless_equals_string (gst_structure_get_string (s, "stable"), stable[i]);
    gdouble score;
    fail_unless (gst_structure_get_double (s, "score", &score));
    if (i == 2) /* half dark, half bright: neither is sure */
      fail_unless (score < 0.6, "smoothed score %f", score);
    gst_buffer_unref (out);
  }
  gesture_teardown (hs, bus);
  g_unlink (model);
}
GST_END_TEST;

/* A 1x1 convolution as a class map: bright pixels are "object", dark ones
 * "none"; the third class never wins. */
#define MAP_SPEC \
  "{\"input\":[1,8,8],\"labels\":[\"none\",\"object\",\"other\"],\"preprocess\":{\"rescale\":0.00392156862745098}," \
  "\"layers\":[{\"name\":\"head\",\"type\":\"conv2d\",\"filters\":3,\"kernel\":1},{\"type\":\"softmax\"}]}"

static void
fill_map (NnParam *p, int n)
{
  fail_unless_equals_int (n, 2);  /* head.weight [3, 1, 1, 1], head.bias [3] */
  const float w[3] = { -10.0f, 10.0f, 0.0f }, b[3] = { 5.0f, -5.0f, -8.0f };
  for (int c = 0; c < 3; c++) {
    p[0].data[c] = w[c];
    p[1].data[c] = b[c];
  }
}

/* 64x48 gray frame, dark, with bright rectangles (x, y, w, h) in 8x6 cells. */
static GstBuffer *
rect_frame (const int (*rects)[4], int n)
{
  GstBuffer *b = flat_frame (64, 48, 10);
  GstMapInfo map;
  gst_buffer_map (b, &map, GST_MAP_WRITE);
  for (int r = 0; r < n; r++)
    for (int y = rects[r][1]; y < rects[r][1] + rects[r][3]; y++)
      memset (map.data + y * 64 + rects[r][0], 250, rects[r][2]);
  gst_buffer_unmap (b, &map);
  return b;
}

static GstVideoRegionOfInterestMeta *
roi_of (GstBuffer *b)
{
  GstVideoRegionOfInterestMeta *roi =
    (GstVideoRegionOfInterestMeta *) gst_buffer_get_meta (b, GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE);
  fail_unless (roi != NULL);
  fail_unless_equals_string (g_quark_to_string (roi->roi_type), NN_CLASSIFICATION_NAME);
  return roi;
}

GST_START_TEST (test_map_mode_box)
{
  g_autofree char *model = save_model (MAP_SPEC, fill_map);
  g_autofree char *desc = g_strdup_printf ("nnclassify mode=map model=\"%s\"", model);
  GstHarness *hs = gst_harness_new_parse (desc);
  gst_harness_set_src_caps_str (hs, "video/x-raw,format=GRAY8,width=64,height=48,framerate=30/1");
  GstBus *bus = gst_bus_new ();
  gst_element_set_bus (hs->element, bus);

  /* the larger of two blobs wins; the box is in frame pixels */
  const int two[2][4] = { { 16, 12, 24, 18 }, { 56, 42, 8, 6 } };
  fail_unless_equals_int (gst_harness_push (hs, rect_frame (two, 2)), GST_FLOW_OK);
  GstBuffer *out = gst_harness_pull (hs);
  GstVideoRegionOfInterestMeta *roi = roi_of (out);
  fail_unless_equals_int (roi->x, 16);
  fail_unless_equals_int (roi->y, 12);
  fail_unless_equals_int (roi->w, 24);
  fail_unless_equals_int (roi->h, 18);
  const char *label;
  gdouble score;
  fail_unless (nn_buffer_get_classification (out, &label, NULL, &score));
  fail_unless_equals_string (label, "object");
  fail_unless (score > 0.99, "score %f", score);
  gst_buffer_unref (out);
  GstMessage *m = gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT);
  guint x, y, w, h;
  fail_unless (gst_structure_get (gst_message_get_structure (m), "x", G_TYPE_UINT, &x, "y", G_TYPE_UINT, &y,
                                  "width", G_TYPE_UINT, &w, "height", G_TYPE_UINT, &h, NULL));
  fail_unless (x == 16 && y == 12 && w == 24 && h == 18, "message box %u %u %u %u", x, y, w, h);
  gst_message_unref (m);

  /* nothing there: the background over the whole frame */
  fail_unless_equals_int (gst_harness_push (hs, rect_frame (two, 0)), GST_FLOW_OK);
  out = gst_harness_pull (hs);
  roi = roi_of (out);
  fail_unless (roi->x == 0 && roi->y == 0 && roi->w == 64 && roi->h == 48);
  fail_unless (nn_buffer_get_classification (out, &label, NULL, NULL));
  fail_unless_equals_string (label, "none");
  gst_buffer_unref (out);

  gst_element_set_bus (hs->element, NULL);
  gst_object_unref (bus);
  gst_harness_teardown (hs);
  g_unlink (model);
}
GST_END_TEST;

/* Blobs under min-cells are noise: a lone bright cell is not an object. */
GST_START_TEST (test_map_mode_min_cells)
{
  g_autofree char *model = save_model (MAP_SPEC, fill_map);
  const int one[1][4] = { { 56, 42, 8, 6 } };
  const char *expect[] = { "object", "none" };
  for (int i = 0; i < 2; i++) {
    g_autofree char *desc = g_strdup_printf ("nnclassify mode=map min-cells=%d model=\"%s\"", i + 1, model);
    GstHarness *hs = gst_harness_new_parse (desc);
    gst_harness_set_src_caps_str (hs, "video/x-raw,format=GRAY8,width=64,height=48,framerate=30/1");
    fail_unless_equals_int (gst_harness_push (hs, rect_frame (one, 1)), GST_FLOW_OK);
    GstBuffer *out = gst_harness_pull (hs);
    const char *label;
    fail_unless (nn_buffer_get_classification (out, &label, NULL, NULL));
    fail_unless_equals_string (label, expect[i]);
    GstVideoRegionOfInterestMeta *roi = roi_of (out);
    fail_unless_equals_int (roi->w, i == 0 ? 8 : 64);
    gst_buffer_unref (out);
    gst_harness_teardown (hs);
  }
  g_unlink (model);
}
GST_END_TEST;

/* mode=map wants [classes, H, W]. */
GST_START_TEST (test_map_mode_needs_a_map)
{
  g_autofree char *message = start_refused ("map", gray_model);
  fail_unless (strstr (message, "class map") != NULL, "%s", message);
}
GST_END_TEST;

/* A shipped model's path (transfer full). */
static char *
shipped_model (const char *name)
{
  const char *root = g_getenv ("NN_SOURCE_ROOT");
  return g_build_filename (root ? root : ".", "models", name, NULL);
}

/* Starts nnclassify with `mode` and `model`: refused, the error naming the
 * kind expected and the kind found. */
static void
expect_kind_refused (const char *mode, const char *model, const char *want, const char *got)
{
  g_autofree char *message = start_refused (mode, model);
  fail_unless (strstr (message, want) != NULL, "\"%s\" not in %s", want, message);
  fail_unless (strstr (message, got) != NULL, "\"%s\" not in %s", got, message);
}

/* The kind the spec declares decides, not a shape that fits: the char-lstm
 * (input [64], a square) is a text model, not an 8x8 image; a generator, a
 * clip classifier and a class map in mode=whole are refused too, and an
 * image classifier in mode=map. */
GST_START_TEST (test_model_kind)
{
  g_autofree char *lstm = shipped_model ("char-lstm.safetensors");
  g_autofree char *fcn = shipped_model ("gesture-fcn.safetensors");
  g_autofree char *lenet = shipped_model ("gesture-lenet.safetensors");
  g_autofree char *gan = shipped_model ("fashion-dcgan.safetensors");
  g_autofree char *clip = shipped_model ("trailer-genre-convlstm.safetensors");
  /* a text model by its first layer alone (no vocab), its input [64] */
  g_autofree char *embed = nn_test_write_temp ("nnclassify-embed-XXXXXX.json",
    "{\"input\":[64],\"layers\":[{\"type\":\"embedding\",\"vocab\":10,\"units\":2},{\"type\":\"flatten\"},"
    "{\"type\":\"dense\",\"units\":3},{\"type\":\"softmax\"}]}", -1);
  expect_kind_refused ("whole", lstm, "an image classifier", "a text model");
  expect_kind_refused ("map", lstm, "a class map model", "a text model");
  expect_kind_refused ("whole", embed, "an image classifier", "a text model");
  expect_kind_refused ("whole", gan, "an image classifier", "a generator");
  expect_kind_refused ("whole", clip, "an image classifier", "a video clip classifier");
  expect_kind_refused ("whole", fcn, "an image classifier", "mode=map");
  expect_kind_refused ("map", lenet, "a class map model", "an image classifier");
  /* the flat [64] image classifier of the same shape as the char-lstm is still taken */
  g_autofree char *flat = nn_test_write_temp ("nnclassify-flat-XXXXXX.json", NN_TEST_SPEC_FLAT, -1);
  GstElement *e = gst_element_factory_make ("nnclassify", NULL);
  g_object_set (e, "model", flat, NULL);
  fail_unless (gst_element_set_state (e, GST_STATE_PAUSED) != GST_STATE_CHANGE_FAILURE);
  gst_element_set_state (e, GST_STATE_NULL);
  gst_object_unref (e);
  g_unlink (flat);
  g_unlink (embed);
}
GST_END_TEST;

/* A model file replaced on disk while playing (truncated, overwritten with
 * garbage, another model renamed over it): the element runs the model it
 * loaded when it started, unchanged; the next start reads the file again and
 * refuses the garbage with an error naming it. */
GST_START_TEST (test_model_replaced_while_playing)
{
  g_autoptr (GError) err = NULL;
  g_autoptr (NnModel) src = nn_model_load (gray_model, &err);
  fail_unless (src != NULL, "%s", err ? err->message : "");
  g_autofree char *dir = g_dir_make_tmp ("nnclassify-replace-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "m.safetensors", NULL);
  g_autofree char *other = g_build_filename (dir, "other.safetensors", NULL);
  fail_unless (nn_model_save (src, path, &err), "%s", err ? err->message : "");
  g_autoptr (NnModel) diff = nn_model_new_from_spec (NN_TEST_SPEC_GRAY, 99, &err);
  fail_unless (diff != NULL && nn_model_save (diff, other, &err));
  GstHarness *hs = classify_harness (path, "top-k=3", GST_VIDEO_FORMAT_GRAY8, 8, 8);
  GstBuffer *out = push_pull (hs, GST_VIDEO_FORMAT_GRAY8, 8, 8, 5, 0);
  gdouble first, score;
  gint idx0, idx;
  fail_unless (nn_buffer_get_classification (out, NULL, &idx0, &first));
  gst_buffer_unref (out);
  for (int r = 0; r < 3; r++) {
    if (r == 0)
      fail_unless (truncate (path, 0) == 0);
    else if (r == 1)
      fail_unless (g_file_set_contents (path, "\x10\x00\x00\x00 not a model any more", -1, NULL));
    else
      fail_unless (g_rename (other, path) == 0);
    out = push_pull (hs, GST_VIDEO_FORMAT_GRAY8, 8, 8, 5, (r + 1) * GST_MSECOND);
    fail_unless (nn_buffer_get_classification (out, NULL, &idx, &score));
    fail_unless_equals_int (idx, idx0);
    fail_unless_equals_float (score, first);
    gst_buffer_unref (out);
  }
  gst_harness_teardown (hs);
  /* a fresh start reads what is there now: garbage is an error naming the file */
  fail_unless (g_file_set_contents (path, "\x10\x00\x00\x00 garbage", -1, NULL));
  expect_start_error (path, NULL, path, GST_RESOURCE_ERROR);
  g_unlink (path);
  g_rmdir (dir);
}
GST_END_TEST;

/* Runs `desc` to its end: the number of nnclassify results posted, and the
 * error that ended it (NULL at EOS; transfer full). */
static guint
run_to_end (const char *desc, GError **error, char **from)
{
  GError *err = NULL;
  GstElement *pipe = gst_parse_launch (desc, &err);
  fail_unless (pipe != NULL && err == NULL, "%s: %s", desc, err ? err->message : "");
  GstBus *bus = gst_element_get_bus (pipe);
  fail_unless (gst_element_set_state (pipe, GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE);
  guint results = 0;
  for (;;) {
    GstMessage *m = gst_bus_timed_pop_filtered (bus, 60 * GST_SECOND,
                                                GST_MESSAGE_EOS | GST_MESSAGE_ERROR | GST_MESSAGE_ELEMENT);
    fail_unless (m != NULL, "%s: neither EOS nor an error", desc);
    GstMessageType t = GST_MESSAGE_TYPE (m);
    if (t == GST_MESSAGE_ELEMENT)
      results += gst_structure_has_name (gst_message_get_structure (m), NN_CLASSIFICATION_NAME);
    if (t == GST_MESSAGE_ERROR) {
      gst_message_parse_error (m, error, NULL);
      *from = gst_object_get_name (GST_MESSAGE_SRC (m));
    }
    gst_message_unref (m);
    if (t != GST_MESSAGE_ELEMENT)
      break;
  }
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (pipe);
  return results;
}

/* A video with corrupt bytes in the middle: the pipeline either goes on past
 * the damage (the decoder conceals it) to EOS, or stops with the demuxer's or
 * decoder's error naming that element; nnclassify itself never fails on what
 * a decoder hands it, and classifies the frames before the damage. */
GST_START_TEST (test_corrupt_video_mid_stream)
{
  g_autofree char *dir = g_dir_make_tmp ("nnclassify-corrupt-XXXXXX", NULL);
  const char *muxers[][2] = { { "matroskamux", "mkv" }, { "mp4mux", "mp4" } };
  for (guint k = 0; k < G_N_ELEMENTS (muxers); k++) {
    g_autofree char *name = g_strdup_printf ("v.%s", muxers[k][1]);
    g_autofree char *path = g_build_filename (dir, name, NULL);
    g_autofree char *make = g_strdup_printf ("videotestsrc num-buffers=60 pattern=ball ! video/x-raw,width=64,"
                                             "height=64,framerate=30/1 ! x264enc key-int-max=10 ! %s ! filesink "
                                             "location=\"%s\"", muxers[k][0], path);
    GError *err = NULL;
    char *from = NULL;
    run_to_end (make, &err, &from);
    fail_unless (err == NULL, "%s: %s", make, err ? err->message : "");
    g_autofree char *desc = g_strdup_printf ("filesrc location=\"%s\" ! decodebin ! videoconvert ! videoscale ! "
                                             "video/x-raw,format=GRAY8,width=8,height=8 ! nnclassify name=c "
                                             "model=\"%s\" ! fakesink", path, gray_model);
    guint whole = run_to_end (desc, &err, &from);
    fail_unless (err == NULL && whole == 60, "intact %s: %u results, %s", name, whole, err ? err->message : "");
    /* 2 kB of garbage from the middle on */
    g_autofree char *bytes = NULL;
    gsize len;
    fail_unless (g_file_get_contents (path, &bytes, &len, NULL));
    for (gsize i = len / 2; i < len / 2 + 2048 && i < len; i++)
      bytes[i] = (char) (i * 131 + 17);
    fail_unless (g_file_set_contents (path, bytes, (gssize) len, NULL));
    guint got = run_to_end (desc, &err, &from);
    fail_unless (got > 0, "%s: nothing classified before the damage", name);
    if (err) {
      fail_if (g_str_equal (from, "c"), "%s: nnclassify failed: %s", name, err->message);
      fail_unless (err->message && err->message[0]);
      g_print ("%s: %u results, then %s: %s\n", name, got, from, err->message);
      g_clear_error (&err);
    } else {
      fail_unless (got <= 60, "%s: %u results", name, got);
      g_print ("%s: %u results to EOS\n", name, got);
    }
    g_free (from);
    g_unlink (path);
  }
  g_rmdir (dir);
}
GST_END_TEST;

/* Results posted on `bus` until none comes for `idle`, or until `want` came. */
static guint
count_results (GstBus *bus, GstClockTime idle, guint want)
{
  guint n = 0;
  GstMessage *m;
  while (n < want && (m = gst_bus_timed_pop_filtered (bus, idle, GST_MESSAGE_ELEMENT | GST_MESSAGE_ERROR))) {
    fail_if (GST_MESSAGE_TYPE (m) == GST_MESSAGE_ERROR, "an error while stalled");
    n += gst_structure_has_name (gst_message_get_structure (m), NN_CLASSIFICATION_NAME);
    gst_message_unref (m);
  }
  return n;
}

/* A sink that stalls behind a full queue: back-pressure stops nnclassify
 * after the few frames the queue and sink hold (no unbounded buffering),
 * the stream resumes when the sink takes frames again, and shutting down
 * while stalled does not hang. */
GST_START_TEST (test_stalled_sink)
{
  g_autofree char *desc = g_strdup_printf ("videotestsrc num-buffers=500 ! video/x-raw,format=GRAY8,width=8,height=8,"
                                           "framerate=30/1 ! nnclassify model=\"%s\" ! queue max-size-buffers=4 "
                                           "max-size-bytes=0 max-size-time=0 ! appsink name=s max-buffers=1 "
                                           "drop=false sync=false", gray_model);
  GError *err = NULL;
  GstElement *pipe = gst_parse_launch (desc, &err);
  fail_unless (pipe != NULL && err == NULL, "%s", err ? err->message : "");
  GstBus *bus = gst_element_get_bus (pipe);
  GstElement *sink = gst_bin_get_by_name (GST_BIN (pipe), "s");
  gst_element_set_state (pipe, GST_STATE_PLAYING);
  /* nobody pulls: the queue (4) and the sink (1, plus one in each streaming
   * thread's hands) fill, then everything waits */
  guint stalled = count_results (bus, GST_SECOND, G_MAXUINT);
  /* the sink takes 20 frames: 20 more are classified, then it waits again */
  for (int i = 0; i < 20; i++) {
    GstSample *sample = NULL;
    g_signal_emit_by_name (sink, "pull-sample", &sample);
    fail_unless (sample != NULL);
    gst_sample_unref (sample);
  }
  fail_unless_equals_int (count_results (bus, 30 * GST_SECOND, 20), 20);
  guint extra = count_results (bus, GST_SECOND, G_MAXUINT);
  /* what the pipeline holds besides what was pulled: a handful, not 500 */
  fail_unless (stalled >= 1 && stalled + extra <= 10, "%u + %u frames classified behind a stalled sink", stalled,
               extra);
  /* shutting down while stalled returns */
  fail_unless_equals_int (gst_element_set_state (pipe, GST_STATE_NULL), GST_STATE_CHANGE_SUCCESS);
  gst_object_unref (sink);
  gst_object_unref (bus);
  gst_object_unref (pipe);
}
GST_END_TEST;

static Suite *
nnclassify_suite (void)
{
  Suite *s = suite_create ("nnclassify");
  TCase *tc = tcase_create ("general");
  tcase_add_unchecked_fixture (tc, write_models, remove_models);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_properties);
  tcase_add_test (tc, test_formats);
  tcase_add_test (tc, test_meta_matches_libnn);
  tcase_add_test (tc, test_bus_messages);
  tcase_add_test (tc, test_inference_interval);
  tcase_add_test (tc, test_threshold_and_top_k);
  tcase_add_test (tc, test_labels_override);
  tcase_add_test (tc, test_same_result_across_formats);
  tcase_add_test (tc, test_two_classifiers_distinct);
  tcase_add_test (tc, test_missing_model);
  tcase_add_test (tc, test_garbage_model);
  tcase_add_test (tc, test_bad_labels);
  tcase_add_test (tc, test_unsupported_model_input);
  tcase_add_test (tc, test_model_kind);
  tcase_add_test (tc, test_model_replaced_while_playing);
  tcase_add_test (tc, test_corrupt_video_mid_stream);
  tcase_add_test (tc, test_stalled_sink);
  tcase_add_test (tc, test_restart);
  tcase_add_test (tc, test_smoothing_hysteresis);
  tcase_add_test (tc, test_smoothing_meta);
  tcase_add_test (tc, test_map_mode_box);
  tcase_add_test (tc, test_map_mode_needs_a_map);
  tcase_add_test (tc, test_map_mode_min_cells);
  tcase_add_test (tc, test_onnx_model);
  return s;
}

GST_CHECK_MAIN (nnclassify);
