/* folder: datasets of videos (model input [T, C, H, W]): clips, the "fps" and
 * "clips" sampling options, resizing, labels and errors. Videos are encoded
 * here with libav as lossless FFV1 in Matroska, so frame values are exact. */
#include "data/data-private.h"
#include <check.h>
#include <glib/gstdio.h>
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include "../check-run.h"

static char *tmpdir;

static void
rm_rf (const char *path)
{
  if (g_file_test (path, G_FILE_TEST_IS_DIR)) {
    g_autoptr (GDir) d = g_dir_open (path, 0, NULL);
    const char *n;
    while (d && (n = g_dir_read_name (d))) {
      g_autofree char *p = g_build_filename (path, n, NULL);
      rm_rf (p);
    }
    g_rmdir (path);
  } else {
    g_unlink (path);
  }
}

static void
setup (void)
{
  tmpdir = g_dir_make_tmp ("nn-video-XXXXXX", NULL);
  ck_assert_ptr_nonnull (tmpdir);
}

static void
teardown (void)
{
  rm_rf (tmpdir);
  g_clear_pointer (&tmpdir, g_free);
}

/* Frame i of a test video: every pixel base + 4 i. */
static guint8
frame_value (int base, int i)
{
  return (guint8) (base + 4 * i);
}

static void
encode (AVCodecContext *c, AVFrame *f, AVFormatContext *fmt, AVStream *st, AVPacket *pkt)
{
  ck_assert_int_ge (avcodec_send_frame (c, f), 0);
  while (avcodec_receive_packet (c, pkt) >= 0) {
    av_packet_rescale_ts (pkt, c->time_base, st->time_base);
    pkt->stream_index = st->index;
    ck_assert_int_ge (av_interleaved_write_frame (fmt, pkt), 0);
  }
}

/* DIR/cls/name.mkv: n gray frames of w x h at fps, frame i all base + 4 i. */
static void
write_video (const char *cls, const char *name, int n, int w, int h, int fps, int base)
{
  g_autofree char *sub = g_build_filename (tmpdir, cls, NULL);
  g_mkdir_with_parents (sub, 0755);
  g_autofree char *file = g_strdup_printf ("%s.mkv", name);
  g_autofree char *path = g_build_filename (sub, file, NULL);
  AVFormatContext *fmt = NULL;
  ck_assert_int_ge (avformat_alloc_output_context2 (&fmt, NULL, "matroska", path), 0);
  const AVCodec *codec = avcodec_find_encoder (AV_CODEC_ID_FFV1);
  ck_assert_ptr_nonnull (codec);
  AVStream *st = avformat_new_stream (fmt, NULL);
  AVCodecContext *c = avcodec_alloc_context3 (codec);
  c->width = w, c->height = h, c->pix_fmt = AV_PIX_FMT_GRAY8;
  c->time_base = (AVRational) { 1, fps };
  st->time_base = c->time_base;
  ck_assert_int_ge (avcodec_open2 (c, codec, NULL), 0);
  avcodec_parameters_from_context (st->codecpar, c);
  ck_assert_int_ge (avio_open (&fmt->pb, path, AVIO_FLAG_WRITE), 0);
  ck_assert_int_ge (avformat_write_header (fmt, NULL), 0);
  AVFrame *f = av_frame_alloc ();
  AVPacket *pkt = av_packet_alloc ();
  f->format = c->pix_fmt, f->width = w, f->height = h;
  ck_assert_int_ge (av_frame_get_buffer (f, 0), 0);
  for (int i = 0; i < n; i++) {
    ck_assert_int_ge (av_frame_make_writable (f), 0);
    for (int y = 0; y < h; y++)
      memset (f->data[0] + y * f->linesize[0], frame_value (base, i), w);
    f->pts = i;
    encode (c, f, fmt, st, pkt);
  }
  encode (c, NULL, fmt, st, pkt);
  av_write_trailer (fmt);
  av_packet_free (&pkt);
  av_frame_free (&f);
  avcodec_free_context (&c);
  avio_closep (&fmt->pb);
  avformat_free_context (fmt);
}

/* A target for clips [t, c, side, side], pixels as raw bytes (rescale 1). */
static NnDataTarget
target (int t, int c, int side, double fps, int clips)
{
  NnDataTarget tg = { 0 };
  tg.input = (NnShape) { 4, { t, c, side, side } };
  tg.n_out = 2;
  tg.pre = (NnPreprocess) { 1, 1, t * c * side * side, 1.0f, { 0, 0, 0 }, { 1, 1, 1 } };
  tg.fps = fps;
  tg.clips = clips;
  return tg;
}

/* Sample s's step k is frame `frame` of a video of base `base`. */
static void
assert_step (const NnDataset *ds, int s, int k, int base, int frame)
{
  int64_t per_step = nn_shape_numel (&ds->sample_shape) / ds->sample_shape.dim[0];
  const float *x = ds->x + (s * ds->sample_shape.dim[0] + k) * per_step;
  for (int64_t i = 0; i < per_step; i++)
    ck_assert_msg (x[i] == frame_value (base, frame), "sample %d step %d pixel %" G_GINT64_FORMAT ": %g, want %d",
                   s, k, i, x[i], frame_value (base, frame));
}

START_TEST (test_clips_and_labels)
{
  write_video ("b", "0", 8, 8, 8, 8, 100);
  write_video ("a", "1", 8, 8, 8, 8, 10);
  write_video ("a", "0", 8, 8, 8, 8, 40);
  NnDataTarget t = target (4, 1, 8, 0.0, 1);
  g_autoptr (GError) e = NULL;
  g_autoptr (NnDataset) ds = nn_data_load_folder (tmpdir, &t, &e);
  ck_assert_msg (ds != NULL, "%s", e ? e->message : "");
  ck_assert_int_eq (ds->n, 3);
  ck_assert_int_eq (ds->sample_shape.ndim, 4);
  ck_assert_int_eq (ds->n_classes, 2);
  ck_assert_str_eq (ds->class_names[0], "a");
  ck_assert_str_eq (ds->class_names[1], "b");
  /* classes sorted, then files sorted: a/0, a/1, b/0; the first 4 frames */
  const int bases[] = { 40, 10, 100 }, labels[] = { 0, 0, 1 };
  for (int s = 0; s < 3; s++) {
    ck_assert_int_eq (ds->labels[s], labels[s]);
    for (int k = 0; k < 4; k++)
      assert_step (ds, s, k, bases[s], k);
  }
}
END_TEST

START_TEST (test_fps_sampling)
{
  /* 12 fps, sampled at 4 fps: frames 0, 3, 6, 9 */
  write_video ("a", "0", 12, 8, 8, 12, 0);
  write_video ("b", "0", 12, 8, 8, 12, 1);
  NnDataTarget t = target (4, 1, 8, 4.0, 1);
  g_autoptr (GError) e = NULL;
  g_autoptr (NnDataset) ds = nn_data_load_folder (tmpdir, &t, &e);
  ck_assert_msg (ds != NULL, "%s", e ? e->message : "");
  ck_assert_int_eq (ds->n, 2);
  for (int k = 0; k < 4; k++) {
    assert_step (ds, 0, k, 0, 3 * k);
    assert_step (ds, 1, k, 1, 3 * k);
  }
}
END_TEST

START_TEST (test_several_clips)
{
  /* 30 frames at half the rate: 15 samples, so 3 clips of 4 fit (the rest dropped) */
  write_video ("a", "0", 30, 8, 8, 10, 0);
  write_video ("b", "0", 8, 8, 8, 10, 2);   /* 4 samples: one clip */
  NnDataTarget t = target (4, 1, 8, 5.0, 10);
  g_autoptr (GError) e = NULL;
  g_autoptr (NnDataset) ds = nn_data_load_folder (tmpdir, &t, &e);
  ck_assert_msg (ds != NULL, "%s", e ? e->message : "");
  ck_assert_int_eq (ds->n, 4);
  for (int s = 0; s < 3; s++) {
    ck_assert_int_eq (ds->labels[s], 0);
    for (int k = 0; k < 4; k++)
      assert_step (ds, s, k, 0, 2 * (4 * s + k));
  }
  ck_assert_int_eq (ds->labels[3], 1);
  assert_step (ds, 3, 3, 2, 6);

  /* "clips" caps them */
  t.clips = 2;
  g_autoptr (NnDataset) two = nn_data_load_folder (tmpdir, &t, &e);
  ck_assert_msg (two != NULL, "%s", e ? e->message : "");
  ck_assert_int_eq (two->n, 3);
  assert_step (two, 1, 0, 0, 8);
}
END_TEST

START_TEST (test_resize_and_rgb)
{
  write_video ("a", "0", 4, 24, 16, 8, 30);
  write_video ("b", "0", 4, 24, 16, 8, 60);
  NnDataTarget t = target (2, 3, 6, 0.0, 1);
  t.pre.rescale = 0.5f;
  g_autoptr (GError) e = NULL;
  g_autoptr (NnDataset) ds = nn_data_load_folder (tmpdir, &t, &e);
  ck_assert_msg (ds != NULL, "%s", e ? e->message : "");
  ck_assert_int_eq (ds->n, 2);
  ck_assert_int_eq (nn_shape_numel (&ds->sample_shape), 2 * 3 * 6 * 6);
  /* gray frames as RGB: every channel the gray value, resized, times rescale */
  for (int k = 0; k < 2; k++)
    for (int i = 0; i < 3 * 36; i++)
      ck_assert_float_eq_tol (ds->x[k * 108 + i], frame_value (30, k) * 0.5f, 1e-4);
  ck_assert_float_eq_tol (ds->x[216 + 108 + 5], frame_value (60, 1) * 0.5f, 1e-4);
}
END_TEST

START_TEST (test_too_short)
{
  write_video ("a", "short", 6, 8, 8, 8, 0);
  write_video ("b", "long", 12, 8, 8, 8, 0);
  NnDataTarget t = target (4, 1, 8, 4.0, 1);  /* 6 frames at half rate: 3 samples < 4 */
  g_autoptr (GError) e = NULL;
  NnDataset *ds = nn_data_load_folder (tmpdir, &t, &e);
  ck_assert_ptr_null (ds);
  ck_assert_msg (g_error_matches (e, NN_ERROR, NN_ERROR_FORMAT), "%s", e ? e->message : "no error");
  ck_assert_msg (strstr (e->message, "short.mkv") && strstr (e->message, "a clip needs 4"), "%s", e->message);
}
END_TEST

START_TEST (test_not_a_video)
{
  write_video ("a", "0", 8, 8, 8, 8, 0);
  write_video ("b", "0", 8, 8, 8, 8, 0);
  g_autofree char *bad = g_build_filename (tmpdir, "a", "notes.txt", NULL);
  g_file_set_contents (bad, "not a video", -1, NULL);
  NnDataTarget t = target (4, 1, 8, 0.0, 1);
  g_autoptr (GError) e = NULL;
  ck_assert_ptr_null (nn_data_load_folder (tmpdir, &t, &e));
  ck_assert_msg (g_error_matches (e, NN_ERROR, NN_ERROR_FORMAT), "%s", e ? e->message : "no error");
  ck_assert_msg (strstr (e->message, "notes.txt") != NULL, "%s", e->message);
}
END_TEST

START_TEST (test_bad_shapes_and_folders)
{
  g_autoptr (GError) e = NULL;
  NnDataTarget t = target (4, 2, 8, 0.0, 1);  /* 2 channels */
  ck_assert_ptr_null (nn_data_load_folder (tmpdir, &t, &e));
  ck_assert (g_error_matches (e, NN_ERROR, NN_ERROR_SHAPE));
  g_clear_error (&e);
  t = target (4, 1, 8, 0.0, 1);
  ck_assert_ptr_null (nn_data_load_folder (tmpdir, &t, &e));
  ck_assert (g_error_matches (e, NN_ERROR, NN_ERROR_EMPTY));
  g_clear_error (&e);
  /* three folders for two outputs */
  write_video ("a", "0", 4, 8, 8, 8, 0);
  write_video ("b", "0", 4, 8, 8, 8, 0);
  write_video ("c", "0", 4, 8, 8, 8, 0);
  ck_assert_ptr_null (nn_data_load_folder (tmpdir, &t, &e));
  ck_assert (g_error_matches (e, NN_ERROR, NN_ERROR_SHAPE));
}
END_TEST

/* Through the public API: the spec's "fps" and "clips" reach the loader. */
START_TEST (test_spec_sampling)
{
  write_video ("x", "0", 16, 8, 8, 8, 0);
  write_video ("y", "0", 16, 8, 8, 8, 3);
  g_autoptr (GError) e = NULL;
  g_autoptr (NnModel) m = nn_model_new_from_spec (
    "{\"input\":[2,1,8,8],\"labels\":[\"y\",\"x\"],\"preprocess\":{\"rescale\":1,\"fps\":2,\"clips\":3},"
    "\"layers\":[{\"type\":\"convlstm2d\",\"filters\":2,\"kernel\":3},{\"type\":\"global_avgpool\"},"
    "{\"type\":\"dense\",\"units\":2},{\"type\":\"softmax\"}]}", 1, &e);
  ck_assert_msg (m != NULL, "%s", e ? e->message : "");
  g_autofree char *uri = g_strdup_printf ("folder:%s", tmpdir);
  g_autoptr (NnDataset) ds = nn_dataset_load (uri, m, &e);
  ck_assert_msg (ds != NULL, "%s", e ? e->message : "");
  /* 16 frames at 8 fps sampled at 2 fps: frames 0, 4, 8, 12: two clips each */
  ck_assert_int_eq (ds->n, 4);
  ck_assert_int_eq (ds->labels[0], 1);  /* x is the model's label 1 */
  ck_assert_int_eq (ds->labels[2], 0);
  assert_step (ds, 1, 1, 0, 12);
  assert_step (ds, 2, 0, 3, 0);

  g_autoptr (NnModel) bad = nn_model_new_from_spec (
    "{\"input\":[2,1,8,8],\"preprocess\":{\"fps\":\"fast\"},\"layers\":[{\"type\":\"flatten\"},"
    "{\"type\":\"dense\",\"units\":2}]}", 1, &e);
  /* the spec is checked when it is read (core/spec.c), before any dataset */
  ck_assert_ptr_null (bad);
  ck_assert (g_error_matches (e, NN_ERROR, NN_ERROR_FORMAT));
  ck_assert_msg (strstr (e->message, "fps") != NULL, "%s", e->message);
}
END_TEST

static Suite *
suite (void)
{
  Suite *s = suite_create ("data-video");
  TCase *tc = tcase_create ("video");
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_add_test (tc, test_clips_and_labels);
  tcase_add_test (tc, test_fps_sampling);
  tcase_add_test (tc, test_several_clips);
  tcase_add_test (tc, test_resize_and_rgb);
  tcase_add_test (tc, test_too_short);
  tcase_add_test (tc, test_not_a_video);
  tcase_add_test (tc, test_bad_shapes_and_folders);
  tcase_add_test (tc, test_spec_sampling);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  return nn_check_run (suite ());
}
