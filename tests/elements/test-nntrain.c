/* nntrain (issue 17 point 3): frames with a label set while playing are
 * learned in a background thread and handed to an nnclassify sharing the
 * model instance; progress messages count up; a checkpoint is written at EOS
 * and resumed, exactly (N + M steps straight = N, checkpoint, M more, bit for
 * bit); labels from upstream (classification meta, nn-label events); every
 * frame recomputed with the weights of the version its meta names, also
 * over hundreds of swaps; the classifier's per-frame latency idle and while
 * training (reported, not asserted: the machine's load decides times). */
#include <math.h>
#include <string.h>

#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <gst/check/gstcheck.h>
#include <nn/nn.h>

#include "nn-classification-meta.h"
#include "nn-input.h"
#include "nn-test-util.h"

#define SIZE 16

static const char *const colours[] = { "red", "green", "blue" };
static const guint8 rgb[3][3] = { { 220, 30, 30 }, { 30, 200, 40 }, { 40, 40, 210 } };

static char *spec;

static void
setup (void)
{
  spec = nn_test_write_temp ("nntrain-XXXXXX.json", NN_TEST_SPEC_RGB, -1);
}

static void
teardown (void)
{
  g_unlink (spec);
  g_clear_pointer (&spec, g_free);
}

/* A frame of colour `c` with a little per-frame noise. */
static GstBuffer *
colour_frame (int c, guint k)
{
  GstBuffer *b = gst_buffer_new_allocate (NULL, SIZE * SIZE * 3, NULL);
  GstMapInfo m;
  fail_unless (gst_buffer_map (b, &m, GST_MAP_WRITE));
  for (int i = 0; i < SIZE * SIZE; i++)
    for (int ch = 0; ch < 3; ch++)
      m.data[i * 3 + ch] = (guint8) (rgb[c][ch] + ((i * 7 + k * 13 + ch * 5) % 21) - 10);
  gst_buffer_unmap (b, &m);
  GST_BUFFER_PTS (b) = (GstClockTime) k * GST_SECOND / 30;
  GST_BUFFER_DURATION (b) = GST_SECOND / 30;
  return b;
}

typedef struct {
  GstElement *pipe, *src, *train, *sink;
  guint k;
} Run;

static void
run_start (Run *r, const char *instance, const char *extra)
{
  g_autofree char *desc = g_strdup_printf (
    "appsrc name=src format=time caps=video/x-raw,format=RGB,width=%d,height=%d,framerate=30/1 ! "
    "nntrain name=train model=%s model-instance=%s %s ! nnclassify name=cls model=%s model-instance=%s ! "
    "appsink name=sink sync=false", SIZE, SIZE, spec, instance, extra, spec, instance);
  GError *err = NULL;
  r->pipe = gst_parse_launch (desc, &err);
  fail_unless (r->pipe != NULL, "%s", err ? err->message : "?");
  r->src = gst_bin_get_by_name (GST_BIN (r->pipe), "src");
  r->train = gst_bin_get_by_name (GST_BIN (r->pipe), "train");
  r->sink = gst_bin_get_by_name (GST_BIN (r->pipe), "sink");
  r->k = 0;
  fail_unless (gst_element_set_state (r->pipe, GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE);
}

/* Pushes one frame of colour `c` and returns the classifier's label index for it. */
static int
run_frame (Run *r, int c)
{
  fail_unless_equals_int (gst_app_src_push_buffer (GST_APP_SRC (r->src), colour_frame (c, r->k++)), GST_FLOW_OK);
  GstSample *s = gst_app_sink_try_pull_sample (GST_APP_SINK (r->sink), 10 * GST_SECOND);
  fail_unless (s != NULL, "no output for frame %u", r->k);
  const char *label;
  gint index;
  gdouble score;
  fail_unless (nn_buffer_get_classification (gst_sample_get_buffer (s), &label, &index, &score));
  gst_sample_unref (s);
  return index;
}

typedef struct {
  guint n;
  guint64 last_step, last_version;
  double last_acc;
  gboolean increasing;
} Progress;

/* Reads the bus: progress messages into `p`; an error fails the test. */
static void
drain_bus (Run *r, Progress *p)
{
  g_autoptr (GstBus) bus = gst_element_get_bus (r->pipe);
  GstMessage *msg;
  while ((msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT | GST_MESSAGE_ERROR))) {
    if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
      g_autoptr (GError) e = NULL;
      gst_message_parse_error (msg, &e, NULL);
      fail ("error from %s: %s", GST_OBJECT_NAME (GST_MESSAGE_SRC (msg)), e->message);
    }
    const GstStructure *s = gst_message_get_structure (msg);
    if (gst_structure_has_name (s, "nn-train-progress")) {
      guint64 step, version;
      double loss, acc;
      guint samples;
      fail_unless (gst_structure_get (s, "step", G_TYPE_UINT64, &step, "loss", G_TYPE_DOUBLE, &loss, "accuracy",
                                      G_TYPE_DOUBLE, &acc, "samples", G_TYPE_UINT, &samples, "version",
                                      G_TYPE_UINT64, &version, NULL));
      fail_unless (isfinite (loss) && loss >= 0.0);
      fail_unless (samples > 0);
      if (p->n > 0 && step <= p->last_step)
        p->increasing = FALSE;
      p->n++;
      p->last_step = step;
      p->last_version = version;
      p->last_acc = acc;
    }
    gst_message_unref (msg);
  }
}

static void
run_finish (Run *r)
{
  fail_unless_equals_int (gst_app_src_end_of_stream (GST_APP_SRC (r->src)), GST_FLOW_OK);
  g_autoptr (GstBus) bus = gst_element_get_bus (r->pipe);
  GstMessage *msg = gst_bus_timed_pop_filtered (bus, 30 * GST_SECOND, GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  fail_unless (msg != NULL && GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS, "no EOS");
  gst_message_unref (msg);
  gst_element_set_state (r->pipe, GST_STATE_NULL);
  gst_object_unref (r->src);
  gst_object_unref (r->train);
  gst_object_unref (r->sink);
  gst_object_unref (r->pipe);
}

/* Waits until the trainer has taken `steps` steps (it stops there with
 * max-steps). */
static void
wait_steps (Run *r, guint64 steps)
{
  guint64 now = 0;
  gint64 end = g_get_monotonic_time () + 120 * G_USEC_PER_SEC;
  while (g_get_monotonic_time () < end) {
    g_object_get (r->train, "steps", &now, NULL);
    if (now >= steps)
      break;
    g_usleep (5000);
  }
  fail_unless (now == steps, "%" G_GUINT64_FORMAT " steps, want %" G_GUINT64_FORMAT, now, steps);
}

static gchar *
read_file (const char *path, gsize *len)
{
  gchar *data = NULL;
  g_autoptr (GError) e = NULL;
  fail_unless (g_file_get_contents (path, &data, len, &e), "%s", e ? e->message : "?");
  return data;
}

/* The replay buffer a checkpoint holds, read with the core's loader. */
static void
load_replay (const char *ckpt, NnModel **m, NnOnlineState *st, NnOptimizer **opt, int capacity)
{
  g_autoptr (GError) err = NULL;
  *m = nn_model_load (spec, &err);
  fail_unless (*m != NULL);
  NnOptimConfig oc;
  nn_optim_config_init (&oc, NN_OPT_ADAM);
  int n = 0;
  NnParam *params = nn_model_params (*m, &n);
  *opt = nn_optimizer_new (&oc, params, n);
  int numel = (int) nn_shape_numel (nn_model_input_shape (*m));
  *st = (NnOnlineState) { .opt = *opt, .rng = g_rand_new (), .replay_x = g_new (float, capacity * numel),
                          .replay_y = g_new (int32_t, capacity), .capacity = capacity };
  fail_unless (nn_checkpoint_load_online (ckpt, *m, st, &err), "%s", err ? err->message : "?");
}

static void
free_replay (NnModel *m, NnOnlineState *st, NnOptimizer *opt)
{
  g_rand_free (st->rng);
  g_free (st->replay_x);
  g_free (st->replay_y);
  nn_optimizer_free (opt);
  nn_model_free (m);
}

/* Shows each colour with its label, then classifies with no label until the
 * classifier names all three (the weights came across swaps) or 60 s pass. */
static gboolean
enrol (Run *r, Progress *p)
{
  for (int c = 0; c < 3; c++) {
    g_object_set (r->train, "label", colours[c], NULL);
    for (int i = 0; i < 40; i++)
      run_frame (r, c);
  }
  g_object_set (r->train, "label", "", NULL);
  gint64 end = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;
  while (g_get_monotonic_time () < end) {
    drain_bus (r, p);
    int right = 0;
    for (int c = 0; c < 3; c++)
      right += run_frame (r, c) == c;
    if (right == 3 && p->last_version >= 2)
      return TRUE;
    g_usleep (20000);
  }
  return FALSE;
}

GST_START_TEST (test_learns_across_swaps)
{
  g_autofree char *ckpt = g_build_filename (g_get_tmp_dir (), "nntrain-learn.ckpt.safetensors", NULL);
  g_unlink (ckpt);
  Run r;
  Progress p = { .increasing = TRUE };
  g_autofree char *extra = g_strdup_printf ("publish-every=5 learning-rate=0.02 cpu-share=1.0 checkpoint=%s", ckpt);
  run_start (&r, "learn", extra);
  /* before training the fresh weights do not tell the three colours apart */
  int right0 = 0;
  for (int c = 0; c < 3; c++)
    right0 += run_frame (&r, c) == c;
  fail_unless (right0 < 3, "the untrained model already names the colours: the test would prove nothing");
  fail_if (g_file_test (ckpt, G_FILE_TEST_EXISTS));
  fail_unless (enrol (&r, &p), "the classifier did not learn the colours (%u progress messages, version %"
               G_GUINT64_FORMAT ")", p.n, p.last_version);
  fail_unless (p.n >= 2 && p.increasing, "%u progress messages, increasing %d", p.n, p.increasing);
  run_finish (&r);
  GST_INFO ("fresh weights named %d of 3 colours; learned after %u progress messages", right0, p.n);

  /* the checkpoint written at EOS holds the learned weights */
  fail_unless (g_file_test (ckpt, G_FILE_TEST_EXISTS));
  g_autoptr (GError) err = NULL;
  g_autoptr (NnModel) m = nn_model_load (ckpt, &err);
  fail_unless (m != NULL, "%s", err ? err->message : "?");

  /* resumed with a learning rate of 0 the first publication gives the
   * classifier the checkpoint's weights unchanged: it names every colour */
  Progress q = { .increasing = TRUE };
  g_autofree char *extra2 = g_strdup_printf ("publish-every=1 learning-rate=0 cpu-share=1.0 checkpoint=%s", ckpt);
  run_start (&r, "resume", extra2);
  g_object_set (r.train, "label", "red", NULL);
  run_frame (&r, 0);
  g_object_set (r.train, "label", "", NULL);
  gint64 end = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;
  while (q.last_version < 1 && g_get_monotonic_time () < end) {
    run_frame (&r, 0);
    drain_bus (&r, &q);
    g_usleep (10000);
  }
  fail_unless (q.last_version >= 1, "no publication after resuming");
  for (int c = 0; c < 3; c++)
    fail_unless_equals_int (run_frame (&r, c), c);
  run_finish (&r);
  g_unlink (ckpt);
}
GST_END_TEST;

/* The whole trainer state is the checkpoint: N steps, a checkpoint, a
 * restart that takes M more with no frame arriving gives the file of N + M
 * straight steps byte for byte (weights, Adam's moments and step count,
 * replay buffer, counter, generators), with one thread. */
GST_START_TEST (test_resume_exact)
{
  enum { N = 37, M = 29 };
  nn_set_threads (1);
  g_autofree char *straight = g_build_filename (g_get_tmp_dir (), "nntrain-straight.ckpt.safetensors", NULL);
  g_autofree char *split = g_build_filename (g_get_tmp_dir (), "nntrain-split.ckpt.safetensors", NULL);
  const char *paths[2] = { straight, split };
  guint64 first[2] = { N + M, N };
  g_unlink (straight);
  g_unlink (split);
  for (int k = 0; k < 2; k++) {
    Run r;
    /* the frames are all stored before the first step: the steps then depend on nothing else */
    g_autofree char *extra = g_strdup_printf ("training=false max-steps=%" G_GUINT64_FORMAT " publish-every=7 "
                                              "batch-size=5 replay-size=20 learning-rate=0.01 cpu-share=1.0 "
                                              "trainer-nice=0 checkpoint=%s", first[k], paths[k]);
    run_start (&r, k == 0 ? "exact-a" : "exact-b", extra);
    for (int i = 0; i < 27; i++) {  /* more than replay-size: the ring wraps */
      g_object_set (r.train, "label", colours[i % 3], NULL);
      run_frame (&r, i % 3);
    }
    g_object_set (r.train, "training", TRUE, NULL);
    wait_steps (&r, first[k]);
    run_finish (&r);
  }
  /* the restart: no frames, the checkpoint's buffer alone */
  Run r;
  g_autofree char *extra = g_strdup_printf ("max-steps=%d publish-every=7 batch-size=5 replay-size=20 "
                                            "learning-rate=0.01 cpu-share=1.0 trainer-nice=0 checkpoint=%s", N + M,
                                            split);
  run_start (&r, "exact-c", extra);
  wait_steps (&r, N + M);
  run_finish (&r);

  gsize la, lb;
  g_autofree gchar *a = read_file (straight, &la);
  g_autofree gchar *b = read_file (split, &lb);
  g_autoptr (GError) err = NULL;
  g_autoptr (NnModel) ma = nn_model_load (straight, &err);
  g_autoptr (NnModel) mb = nn_model_load (split, &err);
  fail_unless (ma && mb, "%s", err ? err->message : "?");
  int n = 0, nb = 0;
  NnParam *pa = nn_model_params (ma, &n), *pb = nn_model_params (mb, &nb);
  fail_unless_equals_int (n, nb);
  for (int i = 0; i < n; i++)
    fail_unless (memcmp (pa[i].data, pb[i].data, nn_shape_numel (&pa[i].shape) * sizeof (float)) == 0,
                 "weights %s differ after resuming", pa[i].name);
  fail_unless (la == lb && memcmp (a, b, la) == 0, "the checkpoints differ (%zu and %zu bytes): the optimiser, "
               "buffer or generators did not resume exactly", la, lb);
  /* and the training did change the weights */
  g_autoptr (NnModel) m0 = nn_model_load (spec, &err);
  NnParam *p0 = nn_model_params (m0, &nb);
  fail_if (memcmp (p0[0].data, pa[0].data, nn_shape_numel (&p0[0].shape) * sizeof (float)) == 0);
  g_unlink (straight);
  g_unlink (split);
  nn_set_threads (0);
}
GST_END_TEST;

/* Runs three frames through a trainer with checkpoint=`ckpt` and returns the error's text. */
static char *
checkpoint_error (const char *ckpt)
{
  g_autofree char *desc = g_strdup_printf ("videotestsrc num-buffers=3 ! video/x-raw,format=RGB,width=16,height=16 ! "
                                           "nntrain model=%s checkpoint=%s ! fakesink", spec, ckpt);
  GstElement *pipe = gst_parse_launch (desc, NULL);
  fail_unless (pipe != NULL);
  gst_element_set_state (pipe, GST_STATE_PLAYING);
  g_autoptr (GstBus) bus = gst_element_get_bus (pipe);
  GstMessage *msg = gst_bus_timed_pop_filtered (bus, 20 * GST_SECOND, GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  fail_unless (msg != NULL && GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR, "checkpoint %s: no error", ckpt);
  g_autoptr (GError) e = NULL;
  g_autofree char *dbg = NULL;
  gst_message_parse_error (msg, &e, &dbg);
  gst_message_unref (msg);
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (pipe);
  return g_strdup_printf ("%s | %s", e->message, dbg ? dbg : "");
}

/* A checkpoint of another model, a damaged one, a plain model file, or one
 * that cannot be written: element errors naming the file. */
GST_START_TEST (test_checkpoint_errors)
{
  g_autoptr (GError) err = NULL;
  g_autofree char *flat = nn_test_write_temp ("nntrain-flat-XXXXXX.json", NN_TEST_SPEC_FLAT, -1);
  g_autofree char *other = g_build_filename (g_get_tmp_dir (), "nntrain-other.ckpt.safetensors", NULL);
  g_autoptr (NnModel) m = nn_model_load (flat, &err);
  fail_unless (m != NULL);
  NnOptimConfig oc;
  nn_optim_config_init (&oc, NN_OPT_ADAM);
  int n = 0;
  NnParam *params = nn_model_params (m, &n);
  g_autoptr (NnOptimizer) opt = nn_optimizer_new (&oc, params, n);
  float x[2 * 64] = { 0 };
  int32_t y[2] = { 0, 1 };
  g_autoptr (GRand) rng = g_rand_new_with_seed (3);
  NnOnlineState st = { .opt = opt, .rng = rng, .replay_x = x, .replay_y = y, .capacity = 2, .count = 2 };
  fail_unless (nn_checkpoint_save_online (other, m, &st, &err), "%s", err ? err->message : "?");
  g_autofree char *e1 = checkpoint_error (other);
  fail_unless (strstr (e1, "Could not resume") && strstr (e1, "another model") && strstr (e1, other), "%s", e1);

  /* the same file with its tail damaged */
  gsize len;
  g_autofree gchar *data = read_file (other, &len);
  g_autofree char *bad = g_build_filename (g_get_tmp_dir (), "nntrain-damaged.ckpt.safetensors", NULL);
  fail_unless (g_file_set_contents (bad, data, (gssize) (len / 2), NULL));
  g_autofree char *e2 = checkpoint_error (bad);
  fail_unless (strstr (e2, "Could not resume") && strstr (e2, bad), "%s", e2);

  /* a plain model file is not a checkpoint */
  g_autofree char *plain = g_build_filename (g_get_tmp_dir (), "nntrain-plain.safetensors", NULL);
  g_autoptr (NnModel) rgb = nn_model_load (spec, &err);
  fail_unless (nn_model_save (rgb, plain, &err));
  g_autofree char *e3 = checkpoint_error (plain);
  fail_unless (strstr (e3, "not a checkpoint"), "%s", e3);
  /* a checkpoint that cannot be written at EOS */
  g_autofree char *e4 = checkpoint_error ("/nonexistent-nntrain-dir/x.ckpt.safetensors");
  fail_unless (strstr (e4, "Could not write the checkpoint") && strstr (e4, "/nonexistent-nntrain-dir/"), "%s", e4);
  g_unlink (other);
  g_unlink (bad);
  g_unlink (plain);
  g_unlink (flat);
}
GST_END_TEST;

static GstBuffer *
with_meta (GstBuffer *b, const char *label, int index, double score)
{
  const char *labels[1] = { label };
  gint idx[1] = { index };
  gdouble scores[1] = { score };
  nn_buffer_add_classification (b, SIZE, SIZE, nn_classification_new (1, labels, idx, scores));
  return b;
}

static void
push (Run *r, GstBuffer *b)
{
  r->k++;
  fail_unless_equals_int (gst_app_src_push_buffer (GST_APP_SRC (r->src), b), GST_FLOW_OK);
  GstSample *s = gst_app_sink_try_pull_sample (GST_APP_SINK (r->sink), 10 * GST_SECOND);
  fail_unless (s != NULL, "no output for frame %u", r->k);
  gst_sample_unref (s);
}

/* Labels from upstream: with label-source=meta each frame's class is its
 * classification meta's top class (too low a score, a class the model lacks
 * or no meta: not stored, one warning); with the property source an nn-label
 * event sets the label of the frames after it. The replay buffer the
 * checkpoint holds shows what was stored, in order. */
GST_START_TEST (test_labels_from_upstream)
{
  g_autofree char *ckpt = g_build_filename (g_get_tmp_dir (), "nntrain-meta.ckpt.safetensors", NULL);
  g_unlink (ckpt);
  Run r;
  g_autofree char *extra = g_strdup_printf ("label-source=meta min-score=0.5 training=false replay-size=64 "
                                            "label=gray checkpoint=%s", ckpt);
  run_start (&r, "meta", extra);
  int want[64], n_want = 0;
  for (guint i = 0; i < 24; i++) {
    int c = (int) (i * 7 % 3);
    GstBuffer *b = colour_frame (c, r.k);
    switch (i % 6) {
    case 4:  /* a teacher unsure of it */
      push (&r, with_meta (b, colours[c], c, 0.3));
      break;
    case 5:  /* a class the student does not have, or no meta at all */
      push (&r, i % 12 == 5 ? with_meta (b, "purple", 7, 0.99) : b);
      break;
    default:
      push (&r, with_meta (b, colours[c], c, 0.9));
      want[n_want++] = c;
    }
  }
  g_signal_emit_by_name (r.train, "save-checkpoint");
  NnModel *m;
  NnOnlineState st;
  NnOptimizer *opt;
  load_replay (ckpt, &m, &st, &opt, 64);
  fail_unless_equals_int (st.count, n_want);
  for (int i = 0; i < n_want; i++)
    fail_unless_equals_int (st.replay_y[i], want[i]);
  free_replay (m, &st, opt);
  g_autoptr (GstBus) bus = gst_element_get_bus (r.pipe);
  GstMessage *w = gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING);
  fail_unless (w != NULL, "no warning for the class the model lacks");
  g_autoptr (GError) we = NULL;
  gst_message_parse_warning (w, &we, NULL);
  fail_unless (strstr (we->message, "purple") != NULL, "%s", we->message);
  gst_message_unref (w);
  fail_if ((w = gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING)) != NULL, "more than one warning");

  /* the property source, set by events in the stream */
  g_object_set (r.train, "label-source", 0, NULL);
  GstPad *sink = gst_element_get_static_pad (r.train, "sink");
  for (int i = 0; i < 3; i++) {
    const char *label = i == 2 ? "" : colours[1 + i];
    fail_unless (gst_pad_send_event (sink, gst_event_new_custom (GST_EVENT_CUSTOM_DOWNSTREAM,
                                                                 gst_structure_new ("nn-label", "label",
                                                                                    G_TYPE_STRING, label, NULL))));
    for (int j = 0; j < 2; j++)
      push (&r, colour_frame (0, r.k));
    if (i < 2)
      want[n_want++] = 1 + i, want[n_want++] = 1 + i;
  }
  gst_object_unref (sink);
  g_signal_emit_by_name (r.train, "save-checkpoint");
  load_replay (ckpt, &m, &st, &opt, 64);
  fail_unless_equals_int (st.count, n_want);
  for (int i = 0; i < n_want; i++)
    fail_unless_equals_int (st.replay_y[i], want[i]);
  free_replay (m, &st, opt);
  run_finish (&r);
  g_unlink (ckpt);
}
GST_END_TEST;

/* ---- one version per frame ---- */

typedef struct {
  GMutex lock;
  GCond cond;
  GHashTable *weights;  /* version -> (float *) all parameters, concatenated */
  gsize numel;
} Versions;

static float *
flatten (NnModel *m, gsize *numel)
{
  int n = 0;
  NnParam *p = nn_model_params (m, &n);
  gsize total = 0;
  for (int i = 0; i < n; i++)
    total += nn_shape_numel (&p[i].shape);
  float *w = g_new (float, total), *o = w;
  for (int i = 0; i < n; i++) {
    memcpy (o, p[i].data, nn_shape_numel (&p[i].shape) * sizeof (float));
    o += nn_shape_numel (&p[i].shape);
  }
  *numel = total;
  return w;
}

/* weights-published, in the trainer's thread */
static void
on_published (GstElement *train, guint64 version, gpointer model, Versions *v)
{
  gsize numel;
  float *w = flatten (model, &numel);
  g_mutex_lock (&v->lock);
  fail_unless (!g_hash_table_contains (v->weights, GUINT_TO_POINTER ((guint) version)), "version %" G_GUINT64_FORMAT
               " published twice", version);
  g_hash_table_insert (v->weights, GUINT_TO_POINTER ((guint) version), w);
  g_cond_broadcast (&v->cond);
  g_mutex_unlock (&v->lock);
}

/* The weights of `version`, waiting for the signal that may still be on its way. */
static const float *
version_weights (Versions *v, guint64 version)
{
  gint64 end = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  g_mutex_lock (&v->lock);
  const float *w;
  while (!(w = g_hash_table_lookup (v->weights, GUINT_TO_POINTER ((guint) version))) &&
         g_cond_wait_until (&v->cond, &v->lock, end))
    ;
  g_mutex_unlock (&v->lock);
  fail_unless (w != NULL, "frame ran on version %" G_GUINT64_FORMAT ", which was never published", version);
  return w;
}

/* Frames through nnclassify while nntrain publishes every step: each frame's
 * scores equal, to 1e-6, those of the weights of the version its meta names,
 * recomputed alone, until `frames` frames have run on `min_distinct`
 * versions or more and `min_swaps` were published. */
static void
frames_on_one_version (const char *instance, guint frames, guint64 min_swaps, guint min_distinct)
{
  Versions v = { .weights = g_hash_table_new_full (NULL, NULL, NULL, g_free) };
  g_mutex_init (&v.lock);
  g_cond_init (&v.cond);
  g_autoptr (GError) err = NULL;
  g_autoptr (NnModel) ref = nn_model_load (spec, &err);
  fail_unless (ref != NULL);
  /* version 1: the file as the instance loaded it */
  g_hash_table_insert (v.weights, GUINT_TO_POINTER (1), flatten (ref, &v.numel));
  int n_params = 0;
  NnParam *params = nn_model_params (ref, &n_params);
  GstVideoInfo vi;
  gst_video_info_set_format (&vi, GST_VIDEO_FORMAT_RGB, SIZE, SIZE);
  NnImageConverter *conv = nn_input_converter_new (&vi, nn_model_preprocess (ref), &err);
  fail_unless (conv != NULL, "%s", err ? err->message : "?");
  float *x = g_new (float, nn_shape_numel (nn_model_input_shape (ref)));

  Run r;
  Progress p = { .increasing = TRUE };
  g_autofree char *desc = g_strdup_printf (
    "appsrc name=src format=time caps=video/x-raw,format=RGB,width=%d,height=%d,framerate=30/1 ! "
    "nntrain name=train model=%s model-instance=%s publish-every=1 batch-size=4 replay-size=32 cpu-share=1.0 "
    "trainer-nice=0 learning-rate=0.05 ! nnclassify name=cls model=%s model-instance=%s top-k=4 ! "
    "appsink name=sink sync=false", SIZE, SIZE, spec, instance, spec, instance);
  r.pipe = gst_parse_launch (desc, &err);
  fail_unless (r.pipe != NULL, "%s", err ? err->message : "?");
  r.src = gst_bin_get_by_name (GST_BIN (r.pipe), "src");
  r.train = gst_bin_get_by_name (GST_BIN (r.pipe), "train");
  r.sink = gst_bin_get_by_name (GST_BIN (r.pipe), "sink");
  r.k = 0;
  g_signal_connect (r.train, "weights-published", G_CALLBACK (on_published), &v);
  fail_unless (gst_element_set_state (r.pipe, GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE);

  g_autoptr (GHashTable) seen = g_hash_table_new (NULL, NULL);
  double worst = 0.0;
  guint i;
  for (i = 0; i < frames || p.last_version < min_swaps || g_hash_table_size (seen) < min_distinct; i++) {
    fail_if (i > 50 * frames, "only %" G_GUINT64_FORMAT " swaps and %u versions seen by %u frames", p.last_version,
             g_hash_table_size (seen), i);
    if (i % 20 == 0)
      g_object_set (r.train, "label", colours[(i / 20) % 3], NULL);
    fail_unless_equals_int (gst_app_src_push_buffer (GST_APP_SRC (r.src), colour_frame ((int) (i / 20) % 3, r.k++)),
                            GST_FLOW_OK);
    GstSample *s = gst_app_sink_try_pull_sample (GST_APP_SINK (r.sink), 10 * GST_SECOND);
    fail_unless (s != NULL, "no output for frame %u", i);
    GstBuffer *buf = gst_sample_get_buffer (s);
    const GstStructure *cs = nn_buffer_get_classification_structure (buf);
    guint64 version;
    fail_unless (cs != NULL && gst_structure_get_uint64 (cs, "weights-version", &version), "frame %u: no version", i);
    /* the frame's own input, through the classifier's conversion */
    GstVideoFrame f;
    fail_unless (gst_video_frame_map (&f, &vi, buf, GST_MAP_READ));
    nn_input_convert (conv, &f, x);
    gst_video_frame_unmap (&f);
    const float *w = version_weights (&v, version);
    for (int k = 0; k < n_params; k++) {
      memcpy (params[k].data, w, nn_shape_numel (&params[k].shape) * sizeof (float));
      w += nn_shape_numel (&params[k].shape);
    }
    const float *y = nn_model_forward (ref, x, 1, FALSE, &err);
    fail_unless (y != NULL);
    guint n_top = nn_classification_n_top (cs);
    fail_unless_equals_int (n_top, 4);
    for (guint t = 0; t < n_top; t++) {
      gint index;
      gdouble score;
      fail_unless (nn_classification_get_top (cs, t, NULL, &index, &score));
      double d = fabs (score - y[index]);
      worst = MAX (worst, d);
      fail_unless (d <= 1e-6, "frame %u on version %" G_GUINT64_FORMAT ": class %d scored %.9g, its weights give "
                   "%.9g", i, version, index, score, (double) y[index]);
    }
    g_hash_table_add (seen, GUINT_TO_POINTER ((guint) version));
    gst_sample_unref (s);
    drain_bus (&r, &p);
  }
  fail_unless (p.increasing);
  run_finish (&r);
  guint distinct = g_hash_table_size (seen);
  g_print ("nntrain one version per frame: %u frames on %u distinct versions of %" G_GUINT64_FORMAT
           " published, largest score difference %.2g\n", i, distinct, p.last_version, worst);
  g_free (x);
  nn_image_converter_free (conv);
  g_hash_table_destroy (v.weights);
  g_mutex_clear (&v.lock);
  g_cond_clear (&v.cond);
}

GST_START_TEST (test_frames_on_one_version)
{
  frames_on_one_version ("versions", 120, 10, 5);
}
GST_END_TEST;

/* Hundreds of swaps while the classifier runs, each frame checked as above
 * (under ASan: no race on a freed snapshot). */
GST_START_TEST (test_swap_stress)
{
  frames_on_one_version ("stress", 600, 300, 50);
}
GST_END_TEST;

static int
cmp_gint64 (const void *a, const void *b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;
  return (x > y) - (x < y);
}

/* The 99th percentile of the classifier's time per frame (push to pull). */
static gint64
p99_us (Run *r, int n)
{
  gint64 *t = g_new (gint64, n);
  for (int i = 0; i < n; i++) {
    gint64 t0 = g_get_monotonic_time ();
    run_frame (r, i % 3);
    t[i] = g_get_monotonic_time () - t0;
  }
  qsort (t, n, sizeof *t, cmp_gint64);
  gint64 v = t[(n * 99) / 100];
  g_free (t);
  return v;
}

/* Latency idle and while training with cpu-share=0.5: printed for the
 * report; the training must be running during the second measurement. */
GST_START_TEST (test_latency_while_training)
{
  Run r;
  Progress p = { .increasing = TRUE };
  run_start (&r, "latency", "publish-every=10 cpu-share=0.5 batch-size=32");
  p99_us (&r, 50);  /* warm-up: the first frames allocate and fault pages in */
  gint64 idle = p99_us (&r, 300);
  guint64 steps0;
  g_object_set (r.train, "label", "red", NULL);
  run_frame (&r, 0);
  g_object_get (r.train, "steps", &steps0, NULL);
  gint64 busy = p99_us (&r, 300);
  guint64 steps1;
  g_object_get (r.train, "steps", &steps1, NULL);
  drain_bus (&r, &p);
  fail_unless (steps1 > steps0, "no training during the measurement");
  g_print ("nntrain latency: classifier p99 per frame %" G_GINT64_FORMAT " us idle, %" G_GINT64_FORMAT
           " us while training (%" G_GUINT64_FORMAT " steps, cpu-share 0.5), ratio %.2f\n", idle, busy,
           steps1 - steps0, (double) busy / (double) MAX (idle, 1));
  run_finish (&r);
}
GST_END_TEST;

/* A model whose shapes differ from the instance's is an element error. */
GST_START_TEST (test_instance_mismatch)
{
  g_autofree char *gray = nn_test_write_temp ("nntrain-gray-XXXXXX.json", NN_TEST_SPEC_GRAY, -1);
  g_autofree char *desc = g_strdup_printf (
    "videotestsrc num-buffers=5 ! video/x-raw,format=RGB,width=16,height=16 ! tee name=t "
    "t. ! queue ! nnclassify model=%s model-instance=mismatch ! fakesink "
    "t. ! queue ! nntrain model=%s model-instance=mismatch label=a ! fakesink", spec, gray);
  GstElement *pipe = gst_parse_launch (desc, NULL);
  fail_unless (pipe != NULL);
  /* the classifier joins first: PAUSED, then the trainer finds the instance */
  GstElement *cls = gst_bin_get_by_name (GST_BIN (pipe), "nnclassify0");
  fail_unless (cls != NULL);
  gst_element_set_state (cls, GST_STATE_PAUSED);
  gst_element_set_state (pipe, GST_STATE_PLAYING);
  g_autoptr (GstBus) bus = gst_element_get_bus (pipe);
  GstMessage *msg = gst_bus_timed_pop_filtered (bus, 20 * GST_SECOND, GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  fail_unless (msg != NULL && GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR);
  g_autoptr (GError) e = NULL;
  gst_message_parse_error (msg, &e, NULL);
  fail_unless (strstr (e->message, "mismatch") != NULL, "%s", e->message);
  gst_message_unref (msg);
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (cls);
  gst_object_unref (pipe);
  g_unlink (gray);
}
GST_END_TEST;

static Suite *
nntrain_suite (void)
{
  Suite *s = suite_create ("nntrain");
  TCase *tc = tcase_create ("general");
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_set_timeout (tc, 240);
  tcase_add_test (tc, test_learns_across_swaps);
  tcase_add_test (tc, test_resume_exact);
  tcase_add_test (tc, test_checkpoint_errors);
  tcase_add_test (tc, test_labels_from_upstream);
  tcase_add_test (tc, test_frames_on_one_version);
  tcase_add_test (tc, test_swap_stress);
  tcase_add_test (tc, test_latency_while_training);
  tcase_add_test (tc, test_instance_mismatch);
  suite_add_tcase (s, tc);
  return s;
}

GST_CHECK_MAIN (nntrain);
