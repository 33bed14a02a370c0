/* nnvideoclassify: the streamed estimate equals libnn's whole-clip forward,
 * sampling, report interval, clip resets, flushes, the EOS summary, formats
 * and error paths. */
#include <math.h>
#include <string.h>

#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <nn/nn.h>

#include "nn-classification-meta.h"
#include "nn-test-util.h"

#define T 4
#define SIDE 8
/* A tiny ConvLSTM clip classifier; a .json gets the same seeded weights here
 * and in the element. */
#define SPEC_CLSTM(c) \
  "{\"input\":[4," #c ",8,8],\"labels\":[\"horror\",\"action\",\"drama\"]," \
  "\"layers\":[{\"name\":\"cl\",\"type\":\"convlstm2d\",\"filters\":3,\"kernel\":3}," \
  "{\"type\":\"global_avgpool\"},{\"name\":\"fc\",\"type\":\"dense\",\"units\":3},{\"type\":\"softmax\"}]}"
#define SPEC_IMAGE "{\"input\":[1,8,8],\"layers\":[{\"type\":\"dense\",\"units\":3},{\"type\":\"softmax\"}]}"
#define SPEC_NO_RNN \
  "{\"input\":[4,1,8,8],\"layers\":[{\"type\":\"flatten\"},{\"type\":\"dense\",\"units\":3},{\"type\":\"softmax\"}]}"

static const char *const labels[] = { "horror", "action", "drama" };
static char *gray_model, *rgb_model;

static void
write_models (void)
{
  gray_model = nn_test_write_temp ("nnvideo-gray-XXXXXX.json", SPEC_CLSTM (1), -1);
  rgb_model = nn_test_write_temp ("nnvideo-rgb-XXXXXX.json", SPEC_CLSTM (3), -1);
}

static void
remove_models (void)
{
  g_unlink (gray_model);
  g_unlink (rgb_model);
  g_clear_pointer (&gray_model, g_free);
  g_clear_pointer (&rgb_model, g_free);
}

typedef struct {
  GstHarness *hs;
  GstBus *bus;
} Fixture;

static void
fixture_open (Fixture *f, const char *model, const char *props, GstVideoFormat fmt)
{
  g_autofree char *desc = g_strdup_printf ("nnvideoclassify name=v model=\"%s\" %s", model, props ? props : "");
  f->hs = gst_harness_new_parse (desc);
  g_autofree char *caps = nn_test_caps_string (fmt, SIDE, SIDE);
  gst_harness_set_src_caps_str (f->hs, caps);
  f->bus = gst_bus_new ();
  gst_element_set_bus (f->hs->element, f->bus);
}

static void
fixture_close (Fixture *f)
{
  gst_element_set_bus (f->hs->element, NULL);
  gst_object_unref (f->bus);
  gst_harness_teardown (f->hs);
}

/* Frame i at 30 fps; returns the output buffer (transfer full). */
static GstBuffer *
push_frame (Fixture *f, GstVideoFormat fmt, guint i, guint seed)
{
  GstBuffer *in = nn_test_gray_frame (fmt, SIDE, SIDE, seed);
  GST_BUFFER_PTS (in) = gst_util_uint64_scale (i, GST_SECOND, 30);
  fail_unless_equals_int (gst_harness_push (f->hs, in), GST_FLOW_OK);
  GstBuffer *out = gst_harness_pull (f->hs);
  fail_unless (out != NULL);
  return out;
}

/* The clip model's output for frames of `seeds`, by libnn on the whole clip. */
static void
clip_output (const char *model, const guint *seeds, double *out)
{
  GError *e = NULL;
  NnModel *m = nn_model_load (model, &e);
  fail_unless (m != NULL, "%s", e ? e->message : "");
  const NnShape *in = nn_model_input_shape (m);
  NnPreprocess p = *nn_model_preprocess (m);
  p.channels = (int) in->dim[1];
  p.height = p.width = SIDE;
  for (int c = 1; c < 3; c++)
    p.std[c] = p.std[0], p.mean[c] = p.mean[0];
  float x[T * 3 * SIDE * SIDE];
  guint8 px[SIDE * SIDE * 3];
  for (int t = 0; t < T; t++) {
    for (int i = 0; i < SIDE * SIDE * 3; i++)
      px[i] = nn_test_gray ((i / 3) % SIDE, (i / 3) / SIDE, seeds[t]);
    nn_preprocess_image (&p, px, SIDE, SIDE, SIDE * 3, NN_PIXEL_RGB24, x + t * p.channels * SIDE * SIDE);
  }
  fail_unless (nn_model_reserve (m, 1, &e));
  const float *y = nn_model_forward (m, x, 1, FALSE, &e);
  fail_unless (y != NULL, "%s", e ? e->message : "");
  for (int i = 0; i < 3; i++)
    out[i] = y[i];
  nn_model_free (m);
}

static gdouble
prob (const GstStructure *s, int i)
{
  const GValue *a = gst_structure_get_value (s, "probabilities");
  fail_unless (a && GST_VALUE_HOLDS_ARRAY (a));
  fail_unless_equals_int (gst_value_array_get_size (a), 3);
  return g_value_get_double (gst_value_array_get_value (a, i));
}

/* Checks a message's fields hang together; returns its structure. */
static const GstStructure *
check_message (GstMessage *msg, gboolean final, guint64 samples)
{
  fail_unless (msg != NULL, "no message");
  const GstStructure *s = gst_message_get_structure (msg);
  fail_unless (gst_structure_has_name (s, "nn-video-classification"));
  gboolean fin;
  guint64 n;
  gint idx;
  gdouble score, sum = 0, best = -1;
  fail_unless (gst_structure_get_boolean (s, "final", &fin));
  fail_unless_equals_int (fin, final);
  fail_unless (gst_structure_get_uint64 (s, "samples", &n));
  fail_unless_equals_uint64 (n, samples);
  fail_unless (gst_structure_get_int (s, "class-index", &idx) && idx >= 0 && idx < 3);
  fail_unless (gst_structure_get_double (s, "score", &score));
  fail_unless_equals_string (gst_structure_get_string (s, "label"), labels[idx]);
  for (int i = 0; i < 3; i++) {
    sum += prob (s, i);
    best = MAX (best, prob (s, i));
  }
  fail_unless (fabs (sum - 1.0) < 1e-4, "probabilities sum to %f", sum);
  fail_unless_equals_float (score, best);
  fail_unless_equals_float (prob (s, idx), score);
  return s;
}

/* ---- results --------------------------------------------------------------- */

GST_START_TEST (test_clip_end_equals_libnn)
{
  Fixture f;
  const guint seeds[2 * T] = { 3, 9, 27, 81, 5, 25, 125, 7 };
  double a[3], b[3];
  clip_output (gray_model, seeds, a);
  clip_output (gray_model, seeds + T, b);
  fixture_open (&f, gray_model, NULL, GST_VIDEO_FORMAT_GRAY8);
  for (guint i = 0; i < 2 * T; i++) {
    GstBuffer *out = push_frame (&f, GST_VIDEO_FORMAT_GRAY8, i, seeds[i]);
    const GstStructure *meta = nn_buffer_get_classification_structure (out);
    fail_unless (meta != NULL, "frame %u has no meta", i);
    GstMessage *msg = gst_bus_pop_filtered (f.bus, GST_MESSAGE_ELEMENT);
    const GstStructure *s = check_message (msg, FALSE, i + 1);
    guint clips;
    guint64 frame;
    fail_unless (gst_structure_get_uint (s, "clips", &clips) && gst_structure_get_uint64 (s, "frame", &frame));
    fail_unless_equals_int (clips, (i + 1) / T);
    fail_unless_equals_uint64 (frame, i);
    fail_unless_equals_int (nn_classification_n_top (meta), 3);
    fail_unless_equals_string (gst_structure_get_string (meta, "label"), gst_structure_get_string (s, "label"));
    /* a clip's end: the estimate is libnn's output on the whole clip (then the mean of two) */
    for (int c = 0; c < 3 && (i == T - 1 || i == 2 * T - 1); c++) {
      double want = i == T - 1 ? a[c] : (a[c] + b[c]) / 2;
      fail_unless (fabs (prob (s, c) - want) < 1e-5, "frame %u class %d: %f, libnn %f", i, c, prob (s, c), want);
    }
    gst_message_unref (msg);
    gst_buffer_unref (out);
  }
  fail_unless (gst_bus_pop_filtered (f.bus, GST_MESSAGE_ELEMENT) == NULL);
  gdouble latency;
  GstElement *v = gst_harness_find_element (f.hs, "nnvideoclassify");
  g_object_get (v, "latency", &latency, NULL);
  fail_unless (latency > 0.0, "latency %f", latency);
  gst_object_unref (v);
  fixture_close (&f);
}
GST_END_TEST;

GST_START_TEST (test_eos_summary)
{
  Fixture f;
  const guint seeds[T + 2] = { 1, 2, 3, 4, 5, 6 };
  double a[3];
  clip_output (gray_model, seeds, a);
  fixture_open (&f, gray_model, "report-interval=100", GST_VIDEO_FORMAT_I420);
  for (guint i = 0; i < T + 2; i++)
    gst_buffer_unref (push_frame (&f, GST_VIDEO_FORMAT_I420, i, seeds[i]));
  fail_unless (gst_bus_pop_filtered (f.bus, GST_MESSAGE_ELEMENT) == NULL, "report-interval=100 posted");
  fail_unless (gst_harness_push_event (f.hs, gst_event_new_eos ()));
  GstMessage *msg = gst_bus_pop_filtered (f.bus, GST_MESSAGE_ELEMENT);
  const GstStructure *s = check_message (msg, TRUE, T + 2);
  /* one complete clip: the verdict is its output; the partial one is left out */
  int best = 0;
  for (int c = 0; c < 3; c++) {
    fail_unless (fabs (prob (s, c) - a[c]) < 1e-5);
    best = a[c] > a[best] ? c : best;
  }
  fail_unless_equals_string (gst_structure_get_string (s, "verdict"), labels[best]);
  const GstStructure *genres = gst_value_get_structure (gst_structure_get_value (s, "genres"));
  fail_unless (genres != NULL);
  for (int c = 0; c < 3; c++) {
    gdouble v;
    fail_unless (gst_structure_get_double (genres, labels[c], &v));
    fail_unless_equals_float (v, prob (s, c));
  }
  gst_message_unref (msg);
  fixture_close (&f);
}
GST_END_TEST;

/* clip-messages: one nn-video-clip at the end of each complete clip, with
 * that clip's own output (libnn's on the clip), none for a partial clip. */
GST_START_TEST (test_clip_messages)
{
  Fixture f;
  const guint seeds[2 * T + 1] = { 4, 8, 15, 16, 23, 42, 7, 19, 2 };
  double want[2][3];
  clip_output (gray_model, seeds, want[0]);
  clip_output (gray_model, seeds + T, want[1]);
  fixture_open (&f, gray_model, "report-interval=100 clip-messages=true", GST_VIDEO_FORMAT_GRAY8);
  for (guint i = 0; i < 2 * T + 1; i++) {
    gst_buffer_unref (push_frame (&f, GST_VIDEO_FORMAT_GRAY8, i, seeds[i]));
    GstMessage *msg = gst_bus_pop_filtered (f.bus, GST_MESSAGE_ELEMENT);
    if ((i + 1) % T != 0) {
      fail_unless (msg == NULL, "a message after frame %u, inside a clip", i);
      continue;
    }
    fail_unless (msg != NULL, "no nn-video-clip after frame %u", i);
    const GstStructure *s = gst_message_get_structure (msg);
    fail_unless (gst_structure_has_name (s, "nn-video-clip"), "%s", gst_structure_get_name (s));
    guint clip;
    guint64 frame, pts;
    fail_unless (gst_structure_get_uint (s, "clip", &clip) && gst_structure_get_uint64 (s, "frame", &frame) &&
                 gst_structure_get_uint64 (s, "pts", &pts));
    fail_unless_equals_int (clip, i / T);
    fail_unless_equals_uint64 (frame, i);
    fail_unless_equals_uint64 (pts, gst_util_uint64_scale (i, GST_SECOND, 30));
    for (int c = 0; c < 3; c++)
      fail_unless (fabs (prob (s, c) - want[clip][c]) < 1e-5, "clip %u class %d: %f, libnn %f", clip, c,
                   prob (s, c), want[clip][c]);
    fail_unless (gst_structure_get_string (s, "model") != NULL, "the clip message names no model");
    gst_message_unref (msg);
    fail_unless (gst_bus_pop_filtered (f.bus, GST_MESSAGE_ELEMENT) == NULL, "two messages after frame %u", i);
  }
  /* the summary is the mean of the clips the messages gave */
  fail_unless (gst_harness_push_event (f.hs, gst_event_new_eos ()));
  GstMessage *msg = gst_bus_pop_filtered (f.bus, GST_MESSAGE_ELEMENT);
  const GstStructure *s = check_message (msg, TRUE, 2 * T + 1);
  for (int c = 0; c < 3; c++)
    fail_unless (fabs (prob (s, c) - (want[0][c] + want[1][c]) / 2) < 1e-5);
  gst_message_unref (msg);
  fixture_close (&f);
}
GST_END_TEST;

/* The final message of a stream of `n` frames (T frames per clip). */
static GstMessage *
eos_message (Fixture *f, guint n, const char *props)
{
  fixture_open (f, gray_model, props, GST_VIDEO_FORMAT_GRAY8);
  for (guint i = 0; i < n; i++)
    gst_buffer_unref (push_frame (f, GST_VIDEO_FORMAT_GRAY8, i, i + 11));
  fail_unless (gst_bus_pop_filtered (f->bus, GST_MESSAGE_ELEMENT) == NULL, "report-interval=100 posted");
  fail_unless (gst_harness_push_event (f->hs, gst_event_new_eos ()));
  GstMessage *msg = gst_bus_pop_filtered (f->bus, GST_MESSAGE_ELEMENT);
  fail_unless (msg != NULL, "no final message after %u frames", n);
  fail_unless (gst_bus_pop_filtered (f->bus, GST_MESSAGE_ELEMENT) == NULL, "two final messages");
  return msg;
}

static void
check_summary (const GstStructure *s, guint64 frames, guint64 samples, guint clips, gboolean complete)
{
  gboolean fin, comp;
  guint64 n, fr;
  guint c;
  fail_unless (gst_structure_get_boolean (s, "final", &fin) && fin);
  fail_unless (gst_structure_get_boolean (s, "complete", &comp), "no complete field");
  fail_unless_equals_int (comp, complete);
  fail_unless (gst_structure_get_uint64 (s, "samples", &n));
  fail_unless_equals_uint64 (n, samples);
  fail_unless (gst_structure_get_uint64 (s, "frames", &fr));
  fail_unless_equals_uint64 (fr, frames);
  fail_unless (gst_structure_get_uint (s, "clips", &c));
  fail_unless_equals_int (c, clips);
  fail_unless (gst_structure_get_string (s, "verdict") != NULL, "no verdict field");
  fail_unless (gst_structure_get_string (s, "model") != NULL, "the final message names no model");
}

/* No frame at all: the final message still comes, says 0 samples, not complete, no verdict. */
GST_START_TEST (test_eos_no_frames)
{
  Fixture f;
  GstMessage *msg = eos_message (&f, 0, "report-interval=100");
  const GstStructure *s = gst_message_get_structure (msg);
  fail_unless (gst_structure_has_name (s, "nn-video-classification"));
  check_summary (s, 0, 0, 0, FALSE);
  fail_unless_equals_string (gst_structure_get_string (s, "verdict"), "");
  fail_if (gst_structure_has_field (s, "label"), "a label with nothing classified");
  fail_if (gst_structure_has_field (s, "probabilities"), "probabilities with nothing classified");
  gst_message_unref (msg);
  fixture_close (&f);
}
GST_END_TEST;

/* Fewer frames than one clip: the partial estimate, marked incomplete, verdict "". */
GST_START_TEST (test_eos_short_of_a_clip)
{
  Fixture f;
  GstMessage *msg = eos_message (&f, T - 1, "report-interval=100");
  const GstStructure *s = check_message (msg, TRUE, T - 1);
  check_summary (s, T - 1, T - 1, 0, FALSE);
  fail_unless_equals_string (gst_structure_get_string (s, "verdict"), "");
  gst_message_unref (msg);
  fixture_close (&f);
  /* clip-length=0 (never reset): complete from T samples on, as the model was trained */
  msg = eos_message (&f, T - 1, "report-interval=100 clip-length=0");
  check_summary (gst_message_get_structure (msg), T - 1, T - 1, 0, FALSE);
  gst_message_unref (msg);
  fixture_close (&f);
  msg = eos_message (&f, T, "report-interval=100 clip-length=0");
  s = check_message (msg, TRUE, T);
  check_summary (s, T, T, 0, TRUE);
  fail_unless_equals_string (gst_structure_get_string (s, "verdict"), gst_structure_get_string (s, "label"));
  gst_message_unref (msg);
  fixture_close (&f);
}
GST_END_TEST;

/* Exactly one clip: complete, the verdict is libnn's output on that clip. */
GST_START_TEST (test_eos_one_clip)
{
  Fixture f;
  const guint seeds[T] = { 11, 12, 13, 14 };
  double a[3];
  clip_output (gray_model, seeds, a);
  GstMessage *msg = eos_message (&f, T, "report-interval=100");
  const GstStructure *s = check_message (msg, TRUE, T);
  check_summary (s, T, T, 1, TRUE);
  int best = 0;
  for (int c = 0; c < 3; c++) {
    fail_unless (fabs (prob (s, c) - a[c]) < 1e-5);
    best = a[c] > a[best] ? c : best;
  }
  fail_unless_equals_string (gst_structure_get_string (s, "verdict"), labels[best]);
  gst_message_unref (msg);
  fixture_close (&f);
}
GST_END_TEST;

/* ---- sampling and state ------------------------------------------------------ */

static guint
count_messages (Fixture *f, guint64 *last_samples)
{
  guint n = 0;
  GstMessage *msg;
  while ((msg = gst_bus_pop_filtered (f->bus, GST_MESSAGE_ELEMENT))) {
    gst_structure_get_uint64 (gst_message_get_structure (msg), "samples", last_samples);
    n++;
    gst_message_unref (msg);
  }
  return n;
}

GST_START_TEST (test_sampling)
{
  /* 30 fps input: every 3rd frame by count or by time; reports every 2nd fed */
  const char *props[] = { "frame-step=3", "sample-rate=10", "sample-rate=10 report-interval=2" };
  const guint expect_msgs[] = { 4, 4, 2 };
  for (guint p = 0; p < G_N_ELEMENTS (props); p++) {
    Fixture f;
    fixture_open (&f, gray_model, props[p], GST_VIDEO_FORMAT_GRAY8);
    guint metas = 0;
    for (guint i = 0; i < 12; i++) {
      GstBuffer *out = push_frame (&f, GST_VIDEO_FORMAT_GRAY8, i, i);
      metas += nn_buffer_get_classification (out, NULL, NULL, NULL);
      gst_buffer_unref (out);
    }
    guint64 samples = 0;
    fail_unless_equals_int (count_messages (&f, &samples), expect_msgs[p]);
    fail_unless_equals_int (metas, expect_msgs[p]);
    fail_unless_equals_uint64 (samples, 4);
    fixture_close (&f);
  }
}
GST_END_TEST;

/* After a flush, the first clip sees only the new frames. */
GST_START_TEST (test_flush_resets_state)
{
  Fixture f;
  const guint seeds[T] = { 11, 12, 13, 14 };
  double a[3];
  clip_output (gray_model, seeds, a);
  fixture_open (&f, gray_model, "report-interval=4", GST_VIDEO_FORMAT_GRAY8);
  for (guint i = 0; i < 3; i++)
    gst_buffer_unref (push_frame (&f, GST_VIDEO_FORMAT_GRAY8, i, 40 + i));
  fail_unless (gst_harness_push_event (f.hs, gst_event_new_flush_start ()));
  fail_unless (gst_harness_push_event (f.hs, gst_event_new_flush_stop (TRUE)));
  GstSegment seg;
  gst_segment_init (&seg, GST_FORMAT_TIME);
  fail_unless (gst_harness_push_event (f.hs, gst_event_new_segment (&seg)));
  for (guint i = 0; i < T; i++)
    gst_buffer_unref (push_frame (&f, GST_VIDEO_FORMAT_GRAY8, i, seeds[i]));
  GstMessage *msg = gst_bus_pop_filtered (f.bus, GST_MESSAGE_ELEMENT);
  const GstStructure *s = check_message (msg, FALSE, T);
  for (int c = 0; c < 3; c++)
    fail_unless (fabs (prob (s, c) - a[c]) < 1e-5, "class %d: %f, libnn %f", c, prob (s, c), a[c]);
  gst_message_unref (msg);
  fixture_close (&f);
}
GST_END_TEST;

/* Without clip resets the state runs across clip boundaries: the 5th step
 * differs from a fresh clip's first step. */
GST_START_TEST (test_clip_length_zero_carries_state)
{
  Fixture f;
  fixture_open (&f, gray_model, "clip-length=0", GST_VIDEO_FORMAT_GRAY8);
  gdouble p[2 * T];
  for (guint i = 0; i < 2 * T; i++) {
    gst_buffer_unref (push_frame (&f, GST_VIDEO_FORMAT_GRAY8, i, i % T));
    GstMessage *msg = gst_bus_pop_filtered (f.bus, GST_MESSAGE_ELEMENT);
    const GstStructure *s = check_message (msg, FALSE, i + 1);
    guint clips;
    fail_unless (gst_structure_get_uint (s, "clips", &clips));
    fail_unless_equals_int (clips, 0);
    p[i] = prob (s, 0);
    gst_message_unref (msg);
  }
  fail_if (fabs (p[T] - p[0]) < 1e-7, "state was reset after %d frames", T);
  fixture_close (&f);
}
GST_END_TEST;

GST_START_TEST (test_formats)
{
  const GstVideoFormat fmts[] = { GST_VIDEO_FORMAT_GRAY8, GST_VIDEO_FORMAT_RGB, GST_VIDEO_FORMAT_BGRx,
                                  GST_VIDEO_FORMAT_xRGB, GST_VIDEO_FORMAT_I420, GST_VIDEO_FORMAT_NV12 };
  const guint seeds[T] = { 2, 4, 6, 8 };
  for (int m = 0; m < 2; m++) {
    const char *model = m ? rgb_model : gray_model;
    double a[3];
    clip_output (model, seeds, a);
    /* YUV to RGB expands the luma range, so colour models see other values */
    for (guint i = 0; i < G_N_ELEMENTS (fmts) - (m ? 2 : 0); i++) {
      Fixture f;
      fixture_open (&f, model, "report-interval=4", fmts[i]);
      for (guint j = 0; j < T; j++)
        gst_buffer_unref (push_frame (&f, fmts[i], j, seeds[j]));
      GstMessage *msg = gst_bus_pop_filtered (f.bus, GST_MESSAGE_ELEMENT);
      const GstStructure *s = check_message (msg, FALSE, T);
      /* gray pixels: every format carries the same values */
      for (int c = 0; c < 3; c++)
        fail_unless (fabs (prob (s, c) - a[c]) < 2e-3, "%s, %s model: class %d %f vs %f",
                     gst_video_format_to_string (fmts[i]), m ? "rgb" : "gray", c, prob (s, c), a[c]);
      gst_message_unref (msg);
      fixture_close (&f);
    }
  }
}
GST_END_TEST;

/* ---- failures ------------------------------------------------------------------ */

static void
expect_start_error (const char *model, const char *needle)
{
  GstElement *e = gst_element_factory_make ("nnvideoclassify", NULL);
  g_object_set (e, "model", model, NULL);
  GstBus *bus = gst_bus_new ();
  gst_element_set_bus (e, bus);
  fail_unless_equals_int (gst_element_set_state (e, GST_STATE_PAUSED), GST_STATE_CHANGE_FAILURE);
  GstMessage *msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  fail_unless (msg != NULL, "no error message");
  GError *err = NULL;
  char *debug = NULL;
  gst_message_parse_error (msg, &err, &debug);
  fail_unless (err->domain == GST_RESOURCE_ERROR, "domain %s", g_quark_to_string (err->domain));
  g_autofree char *all = g_strdup_printf ("%s %s", err->message, debug ? debug : "");
  fail_unless (strstr (all, needle) != NULL, "\"%s\" not in \"%s\"", needle, all);
  g_error_free (err);
  g_free (debug);
  gst_message_unref (msg);
  gst_element_set_state (e, GST_STATE_NULL);
  gst_element_set_bus (e, NULL);
  gst_object_unref (bus);
  gst_object_unref (e);
}

GST_START_TEST (test_bad_models)
{
  expect_start_error (NULL, "No model");
  expect_start_error ("/nonexistent/trailer.safetensors", "/nonexistent/trailer.safetensors");
  g_autofree char *garbage = nn_test_write_temp ("nnvideo-XXXXXX.safetensors", "not a model", -1);
  expect_start_error (garbage, garbage);
  g_autofree char *image = nn_test_write_temp ("nnvideo-image-XXXXXX.json", SPEC_IMAGE, -1);
  expect_start_error (image, "does not take video clips");
  /* the kind the spec declares, named with the kind expected */
  expect_start_error (image, "runs a video clip classifier, the model is an image classifier");
  const char *root = g_getenv ("NN_SOURCE_ROOT");
  g_autofree char *lstm = g_build_filename (root ? root : ".", "models", "char-lstm.safetensors", NULL);
  expect_start_error (lstm, "runs a video clip classifier, the model is a text model");
  g_autofree char *gan = g_build_filename (root ? root : ".", "models", "fashion-dcgan.safetensors", NULL);
  expect_start_error (gan, "runs a video clip classifier, the model is a generator");
  g_autofree char *no_rnn = nn_test_write_temp ("nnvideo-nornn-XXXXXX.json", SPEC_NO_RNN, -1);
  expect_start_error (no_rnn, "cannot run frame by frame");
  g_unlink (garbage);
  g_unlink (image);
  g_unlink (no_rnn);
}
GST_END_TEST;

GST_START_TEST (test_bad_caps)
{
  g_autofree char *desc = g_strdup_printf ("nnvideoclassify name=v model=\"%s\"", gray_model);
  GstHarness *hs = gst_harness_new_parse (desc);
  gst_harness_set_src_caps_str (hs, "video/x-raw,format=GRAY16_LE,width=8,height=8,framerate=30/1");
  GstBuffer *in = gst_buffer_new_allocate (NULL, 128, NULL);
  fail_unless_equals_int (gst_harness_push (hs, in), GST_FLOW_NOT_NEGOTIATED);
  gst_harness_teardown (hs);
}
GST_END_TEST;

static Suite *
nnvideoclassify_suite (void)
{
  Suite *s = suite_create ("nnvideoclassify");
  TCase *tc = tcase_create ("general");
  tcase_add_unchecked_fixture (tc, write_models, remove_models);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_clip_end_equals_libnn);
  tcase_add_test (tc, test_eos_summary);
  tcase_add_test (tc, test_clip_messages);
  tcase_add_test (tc, test_eos_no_frames);
  tcase_add_test (tc, test_eos_short_of_a_clip);
  tcase_add_test (tc, test_eos_one_clip);
  tcase_add_test (tc, test_sampling);
  tcase_add_test (tc, test_flush_resets_state);
  tcase_add_test (tc, test_clip_length_zero_carries_state);
  tcase_add_test (tc, test_formats);
  tcase_add_test (tc, test_bad_models);
  tcase_add_test (tc, test_bad_caps);
  return s;
}

GST_CHECK_MAIN (nnvideoclassify);
