/* folder: datasets and nn_image_load, from PNG and JPEG files encoded here
 * with libav. */
#include "data/data-private.h"
#include <check.h>
#include <glib/gstdio.h>
#include <libavcodec/avcodec.h>
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
  tmpdir = g_dir_make_tmp ("nn-folder-XXXXXX", NULL);
  ck_assert_ptr_nonnull (tmpdir);
}

static void
teardown (void)
{
  rm_rf (tmpdir);
  g_clear_pointer (&tmpdir, g_free);
}

/* One still image: packed GRAY8 / YA8 / RGB24 / RGBA for PNG, YUVJ420P planes for JPEG. */
static void
encode (const char *path, enum AVCodecID id, enum AVPixelFormat fmt, int w, int h, const guint8 *px)
{
  const AVCodec *codec = avcodec_find_encoder (id);
  ck_assert_ptr_nonnull (codec);
  AVCodecContext *ctx = avcodec_alloc_context3 (codec);
  ctx->width = w;
  ctx->height = h;
  ctx->pix_fmt = fmt;
  ctx->time_base = (AVRational) { 1, 25 };
  if (id == AV_CODEC_ID_MJPEG) {
    ctx->flags |= AV_CODEC_FLAG_QSCALE;
    ctx->global_quality = FF_QP2LAMBDA * 2;
  }
  ck_assert_int_ge (avcodec_open2 (ctx, codec, NULL), 0);
  AVFrame *f = av_frame_alloc ();
  f->width = w;
  f->height = h;
  f->format = fmt;
  ck_assert_int_ge (av_frame_get_buffer (f, 0), 0);
  if (fmt == AV_PIX_FMT_YUVJ420P) {
    /* px is gray: Y = px, neutral chroma */
    for (int y = 0; y < h; y++)
      memcpy (f->data[0] + y * f->linesize[0], px + y * w, w);
    for (int p = 1; p < 3; p++)
      for (int y = 0; y < (h + 1) / 2; y++)
        memset (f->data[p] + y * f->linesize[p], 128, (w + 1) / 2);
  } else {
    int bpp = fmt == AV_PIX_FMT_RGBA ? 4 : fmt == AV_PIX_FMT_RGB24 ? 3 : fmt == AV_PIX_FMT_YA8 ? 2 : 1;
    for (int y = 0; y < h; y++)
      memcpy (f->data[0] + y * f->linesize[0], px + y * w * bpp, w * bpp);
  }
  f->quality = ctx->global_quality;
  AVPacket *pkt = av_packet_alloc ();
  ck_assert_int_ge (avcodec_send_frame (ctx, f), 0);
  ck_assert_int_ge (avcodec_send_frame (ctx, NULL), 0);
  ck_assert_int_ge (avcodec_receive_packet (ctx, pkt), 0);
  ck_assert (g_file_set_contents (path, (const char *) pkt->data, pkt->size, NULL));
  av_packet_free (&pkt);
  av_frame_free (&f);
  avcodec_free_context (&ctx);
}

static char *
sub (const char *a, const char *b)
{
  char *p = g_build_filename (tmpdir, a, b, NULL);
  g_autofree char *dir = g_path_get_dirname (p);
  ck_assert_int_eq (g_mkdir_with_parents (dir, 0755), 0);
  return p;
}

/* 8x8 gray PNG of constant value v */
static void
gray_png (const char *cls, const char *file, guint8 v)
{
  guint8 px[64];
  memset (px, v, sizeof px);
  g_autofree char *p = sub (cls, file);
  encode (p, AV_CODEC_ID_PNG, AV_PIX_FMT_GRAY8, 8, 8, px);
}

static const char *const names[] = { "bird", "ant", "cat" };

static NnDataTarget
target (int c, int h, int w, int n_out, gboolean labels)
{
  NnDataTarget t = { 0 };
  t.input = nn_shape_3d (c, h, w);
  t.n_out = n_out;
  t.pre = (NnPreprocess) { c, h, w, 1.0f / 255, { 0, 0, 0 }, { 1, 1, 1 } };
  if (labels) {
    t.n_labels = 3;
    t.labels = names;
  }
  return t;
}

static NnDataset *
load_ok (const NnDataTarget *t)
{
  g_autofree char *uri = g_strconcat ("folder:", tmpdir, NULL);
  g_autoptr (GError) err = NULL;
  NnDataset *ds = nn_data_load_uri (uri, t, &err);
  ck_assert_msg (ds != NULL, "%s", err ? err->message : "");
  return ds;
}

static void
expect_error (const NnDataTarget *t, const char *dir, int code, const char *needle)
{
  g_autoptr (GError) err = NULL;
  NnDataset *ds = nn_data_load_folder (dir, t, &err);
  ck_assert_msg (ds == NULL, "%s loaded", dir);
  ck_assert_msg (g_error_matches (err, NN_ERROR, code), "code %d: %s", err ? err->code : -1,
                 err ? err->message : "");
  ck_assert_msg (strstr (err->message, needle) != NULL, "'%s' not in: %s", needle, err->message);
}

START_TEST (test_classes_sorted)
{
  gray_png ("bird", "b1.png", 200);
  gray_png ("ant", "a2.png", 20);
  gray_png ("ant", "a1.png", 10);
  gray_png ("cat", "c1.png", 255);
  g_autofree char *hidden = sub ("cat", ".hidden.png");
  ck_assert (g_file_set_contents (hidden, "junk", -1, NULL));
  g_autofree char *stray = g_build_filename (tmpdir, "README", NULL);
  ck_assert (g_file_set_contents (stray, "not a class", -1, NULL));
  NnDataTarget t = target (1, 4, 4, 3, FALSE);
  g_autoptr (NnDataset) ds = load_ok (&t);
  ck_assert_int_eq (ds->n, 4);
  ck_assert_int_eq (ds->n_classes, 3);
  ck_assert_str_eq (ds->class_names[0], "ant");
  ck_assert_str_eq (ds->class_names[1], "bird");
  ck_assert_str_eq (ds->class_names[2], "cat");
  ck_assert_ptr_null (ds->class_names[3]);
  int want_label[4] = { 0, 0, 1, 2 };
  float want_v[4] = { 10, 20, 200, 255 };
  for (int i = 0; i < 4; i++) {
    ck_assert_int_eq (ds->labels[i], want_label[i]);
    for (int k = 0; k < 16; k++)
      ck_assert_float_eq_tol (ds->x[i * 16 + k], want_v[i] / 255, 1e-6f);
  }
}
END_TEST

START_TEST (test_model_labels_map)
{
  gray_png ("ant", "a.png", 1);
  gray_png ("cat", "c.png", 2);
  NnDataTarget t = target (1, 8, 8, 3, TRUE);   /* bird, ant, cat */
  g_autoptr (NnDataset) ds = load_ok (&t);
  ck_assert_int_eq (ds->n, 2);
  ck_assert_int_eq (ds->labels[0], 1);
  ck_assert_int_eq (ds->labels[1], 2);
  ck_assert_str_eq (ds->class_names[0], "bird");

  gray_png ("dog", "d.png", 3);
  expect_error (&t, tmpdir, NN_ERROR_FORMAT, "folder \"dog\"");
}
END_TEST

/* A gradient PNG decodes losslessly, so the dataset equals
 * nn_preprocess_image on the raw pixels; RGB channels stay in order. */
START_TEST (test_rgb_png_matches_preprocess)
{
  int w = 13, h = 9;
  guint8 px[13 * 9 * 3];
  for (int i = 0; i < w * h; i++) {
    px[3 * i] = (guint8) (i * 7);
    px[3 * i + 1] = (guint8) (255 - i);
    px[3 * i + 2] = (guint8) ((i * 31) ^ 0x55);
  }
  g_autofree char *p = sub ("x", "grad.png");
  encode (p, AV_CODEC_ID_PNG, AV_PIX_FMT_RGB24, w, h, px);
  NnDataTarget t = target (3, 5, 6, 1, FALSE);
  g_autoptr (NnDataset) ds = load_ok (&t);
  float want[3 * 30];
  nn_preprocess_image (&t.pre, px, w, h, w * 3, NN_PIXEL_RGB24, want);
  for (int i = 0; i < 90; i++)
    ck_assert_float_eq_tol (ds->x[i], want[i], 1e-6f);
  /* gray model: luma of the same image */
  NnDataTarget g = target (1, 5, 6, 1, FALSE);
  g_autoptr (NnDataset) dg = load_ok (&g);
  nn_preprocess_image (&g.pre, px, w, h, w * 3, NN_PIXEL_RGB24, want);
  for (int i = 0; i < 30; i++)
    ck_assert_float_eq_tol (dg->x[i], want[i], 1e-6f);
  /* nn_image_load gives the same sample */
  float one[90];
  g_autoptr (GError) err = NULL;
  ck_assert_msg (nn_image_load (p, &t.pre, one, &err), "%s", err ? err->message : "");
  ck_assert_mem_eq (one, ds->x, sizeof one);
  ck_assert_ptr_null (ds->alpha);  /* no image had an alpha channel */
}
END_TEST

/* Images with an alpha channel (RGBA, gray + alpha) give the dataset an
 * alpha plane at the input's size, resized as the colours are; an image
 * without one is opaque; the colours are not premultiplied; splitting keeps
 * each row's alpha with its row. */
START_TEST (test_alpha_channel)
{
  guint8 rgba[8 * 8 * 4], ya[8 * 8 * 2];
  for (int i = 0; i < 64; i++) {
    rgba[4 * i] = 10;
    rgba[4 * i + 1] = 20;
    rgba[4 * i + 2] = 30;
    rgba[4 * i + 3] = i % 8 < 4 ? 255 : 0;  /* left half foreground */
    ya[2 * i] = 100;
    ya[2 * i + 1] = 128;
  }
  for (int k = 0; k < 3; k++) {
    g_autofree char *file = g_strdup_printf ("c%d.png", k);
    g_autofree char *pc = sub ("cat", file);
    encode (pc, AV_CODEC_ID_PNG, AV_PIX_FMT_RGBA, 8, 8, rgba);
  }
  g_autofree char *pb = sub ("bird", "b1.png");
  encode (pb, AV_CODEC_ID_PNG, AV_PIX_FMT_YA8, 8, 8, ya);
  gray_png ("ant", "a1.png", 50);
  NnDataTarget t = target (3, 4, 4, 3, TRUE);
  g_autoptr (NnDataset) ds = load_ok (&t);
  ck_assert_int_eq (ds->n, 5);
  ck_assert_ptr_nonnull (ds->alpha);
  /* rows: ant (no alpha), bird (gray + alpha), cat x3 */
  for (int i = 0; i < 16; i++) {
    ck_assert_int_eq (ds->alpha[i], 255);
    ck_assert_int_eq (ds->alpha[16 + i], 128);
    for (int r = 2; r < 5; r++)
      ck_assert_int_eq (ds->alpha[16 * r + i], i % 4 < 2 ? 255 : 0);
    ck_assert_float_eq_tol (ds->x[4 * 48 + i], 10.0f / 255, 1e-6f);
    ck_assert_float_eq_tol (ds->x[4 * 48 + 32 + i], 30.0f / 255, 1e-6f);
  }
  g_autoptr (NnDataset) tr = NULL, va = NULL;
  g_autoptr (GError) err = NULL;
  ck_assert (nn_dataset_split (ds, 0.4, 7, &tr, &va, &err));
  for (NnDataset *part = tr; part; part = part == tr ? va : NULL) {
    ck_assert_ptr_nonnull (part->alpha);
    for (int64_t r = 0; r < part->n; r++) {
      int want = part->labels[r] == 1 ? 255 : part->labels[r] == 0 ? 128 : 0;  /* ant, bird, cat */
      ck_assert_int_eq (part->alpha[16 * r + 3], want);  /* the right-hand column */
    }
  }
  /* joined with rows that had no alpha: those are opaque */
  NnDataTarget t1 = t;
  g_autoptr (NnDataset) plain = nn_dataset_new (&t1.input, 2, 1, 0);
  g_autoptr (NnDataset) both = nn_dataset_concat (plain, ds, &err);
  ck_assert_ptr_nonnull (both);
  ck_assert_int_eq (both->alpha[0], 255);
  ck_assert_int_eq (both->alpha[32 + 16 + 3], 128);
}
END_TEST

START_TEST (test_jpeg)
{
  guint8 px[16 * 16];
  memset (px, 180, sizeof px);
  g_autofree char *p = sub ("j", "img.jpg");
  encode (p, AV_CODEC_ID_MJPEG, AV_PIX_FMT_YUVJ420P, 16, 16, px);
  NnDataTarget t = target (1, 4, 4, 1, FALSE);
  g_autoptr (NnDataset) ds = load_ok (&t);
  for (int k = 0; k < 16; k++)
    ck_assert_float_eq_tol (ds->x[k], 180.0f / 255, 3.0f / 255);
}
END_TEST

START_TEST (test_errors)
{
  NnDataTarget t = target (1, 4, 4, 2, FALSE);
  g_autofree char *missing = g_build_filename (tmpdir, "nope", NULL);
  expect_error (&t, missing, NN_ERROR_IO, missing);
  expect_error (&t, tmpdir, NN_ERROR_EMPTY, tmpdir);
  g_autofree char *a = sub ("a", "x");
  g_autofree char *b = sub ("b", "x");
  expect_error (&t, tmpdir, NN_ERROR_EMPTY, tmpdir);
  /* class count must match the outputs when the model has no labels */
  gray_png ("a", "1.png", 5);
  gray_png ("b", "1.png", 5);
  gray_png ("c", "1.png", 5);
  expect_error (&t, tmpdir, NN_ERROR_SHAPE, "3 class folders");
  NnDataTarget t3 = target (1, 4, 4, 3, FALSE);
  g_autofree char *bad = sub ("b", "broken.png");
  ck_assert (g_file_set_contents (bad, "\x89PNG\r\n\x1a\n garbage garbage", -1, NULL));
  expect_error (&t3, tmpdir, NN_ERROR_FORMAT, bad);
  g_unlink (bad);
  g_autofree char *txt = sub ("c", "notes.txt");
  ck_assert (g_file_set_contents (txt, "some notes\n", -1, NULL));
  expect_error (&t3, tmpdir, NN_ERROR_FORMAT, txt);
  g_unlink (txt);
  g_autoptr (NnDataset) ok = load_ok (&t3);
  ck_assert_int_eq (ok->n, 3);
  /* not an image input */
  NnDataTarget v = t3;
  v.pre.channels = 2;
  expect_error (&v, tmpdir, NN_ERROR_SHAPE, tmpdir);

  float out[16];
  g_autoptr (GError) err = NULL;
  ck_assert (!nn_image_load (missing, &t.pre, out, &err));
  ck_assert (g_error_matches (err, NN_ERROR, NN_ERROR_IO));
  ck_assert_ptr_nonnull (strstr (err->message, missing));
  g_clear_error (&err);
  ck_assert (g_file_set_contents (bad, "not an image", -1, NULL));
  ck_assert (!nn_image_load (bad, &t.pre, out, &err));
  ck_assert (g_error_matches (err, NN_ERROR, NN_ERROR_FORMAT));
  ck_assert_ptr_nonnull (strstr (err->message, bad));
}
END_TEST

/* nn_label_check: the one rule for labels that become folder names
 * (nncapture's labels, folder: class folders). */
START_TEST (test_label_rule)
{
  char longest[NN_LABEL_MAX_BYTES + 2];
  memset (longest, 'z', sizeof longest);
  longest[NN_LABEL_MAX_BYTES] = '\0';
  const char *good[] = { "cat", "thumbs up", "v1.2", "a.b", "\xc3\xa9t\xc3\xa9", "A-b_c+d", longest };
  for (guint i = 0; i < G_N_ELEMENTS (good); i++) {
    g_autoptr (GError) err = NULL;
    ck_assert_msg (nn_label_check (good[i], &err), "%s: %s", good[i], err ? err->message : "");
    ck_assert (nn_label_is_safe (good[i]));
  }
  longest[NN_LABEL_MAX_BYTES] = 'z';
  longest[NN_LABEL_MAX_BYTES + 1] = '\0';
  const struct { const char *label, *why; } bad[] = {
    { NULL, "empty" }, { "", "empty" }, { longest, "longer than 100 bytes" }, { "a/b", "separator" },
    { "/abs", "separator" }, { "a\\b", "separator" }, { "..", "starts with '.'" }, { ".", "starts with '.'" },
    { ".hidden", "starts with '.'" }, { "a..b", "\"..\"" }, { "x\ty", "control" }, { "x\ny", "control" },
    { "x\x7f", "control" }, { "x\xc2\x9b", "control" }, { "x\xff", "UTF-8" }, { "x\xc3", "UTF-8" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++) {
    g_autoptr (GError) err = NULL;
    ck_assert_msg (!nn_label_check (bad[i].label, &err), "case %u taken", i);
    ck_assert (!nn_label_is_safe (bad[i].label));
    ck_assert (g_error_matches (err, NN_ERROR, NN_ERROR_INVALID));
    ck_assert_msg (strstr (err->message, bad[i].why) != NULL, "case %u: %s", i, err->message);
    /* the message is one printable line whatever the label holds */
    for (const char *p = err->message; *p; p = g_utf8_next_char (p))
      ck_assert_msg (!g_unichar_iscntrl (g_utf8_get_char (p)), "case %u: a control character in %s", i,
                     err->message);
  }
}
END_TEST

/* A class folder whose name is not a safe label is an error naming it. */
START_TEST (test_class_folder_not_a_label)
{
  char long_name[NN_LABEL_MAX_BYTES + 2];
  memset (long_name, 'q', sizeof long_name - 1);
  long_name[NN_LABEL_MAX_BYTES + 1] = '\0';
  const struct { const char *name, *shown; } bad[] = {
    { "x\ty", "x\\ty" }, { "a..b", "a..b" }, { "back\\slash", "back\\\\slash" }, { "x\xff", "x\\377" },
    { long_name, "longer than 100 bytes" },
  };
  NnDataTarget t = target (1, 4, 4, 2, FALSE);
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++) {
    gray_png ("ok", "1.png", 1);
    gray_png (bad[i].name, "1.png", 2);
    expect_error (&t, tmpdir, NN_ERROR_FORMAT, bad[i].shown);
    expect_error (&t, tmpdir, NN_ERROR_FORMAT, "class folder");
    g_autofree char *p = g_build_filename (tmpdir, bad[i].name, NULL);
    rm_rf (p);
    /* the same pair with a good name loads */
    gray_png ("fine", "1.png", 2);
    g_autoptr (NnDataset) ds = load_ok (&t);
    ck_assert_int_eq (ds->n, 2);
    g_autofree char *f = g_build_filename (tmpdir, "fine", NULL);
    rm_rf (f);
  }
}
END_TEST

/* What an interrupted writer leaves (nncapture's hidden ".NAME.tmp-XXXXXX",
 * another tool's "NAME.tmp"), even as a 0-byte or half-written image, is
 * neither loaded nor an error; a class folder holding only temporaries is
 * empty. */
START_TEST (test_leftover_temporaries_skipped)
{
  gray_png ("ant", "00000.png", 10);
  gray_png ("bird", "00000.png", 200);
  g_autofree char *hidden_tmp = sub ("ant", ".x.png.tmp");
  ck_assert (g_file_set_contents (hidden_tmp, "", 0, NULL));
  g_autofree char *capture_tmp = sub ("ant", ".00001.png.tmp-a1B2c3");
  ck_assert (g_file_set_contents (capture_tmp, "\x89PNG\r\n\x1a\n half", -1, NULL));
  g_autofree char *plain_tmp = sub ("bird", "00001.png.tmp");
  ck_assert (g_file_set_contents (plain_tmp, "\x89PNG", -1, NULL));
  NnDataTarget t = target (1, 4, 4, 2, FALSE);
  g_autoptr (NnDataset) ds = load_ok (&t);
  ck_assert_int_eq (ds->n, 2);
  ck_assert_int_eq (ds->labels[0], 0);
  ck_assert_int_eq (ds->labels[1], 1);
  ck_assert_float_eq_tol (ds->x[0], 10.0f / 255, 1e-6f);
  ck_assert_float_eq_tol (ds->x[16], 200.0f / 255, 1e-6f);
  /* without the filter the half-written file is a format error naming it:
   * loading it directly still fails as before */
  float px[16];
  g_autoptr (GError) err = NULL;
  ck_assert (!nn_image_load (capture_tmp, &t.pre, px, &err));
  ck_assert_ptr_nonnull (strstr (err->message, capture_tmp));
  /* a third class folder with only a temporary has no samples */
  g_autofree char *only_tmp = sub ("cat", ".00000.png.tmp-zzzzzz");
  ck_assert (g_file_set_contents (only_tmp, "", 0, NULL));
  NnDataTarget t3 = target (1, 4, 4, 3, FALSE);
  g_autoptr (NnDataset) ds3 = load_ok (&t3);
  ck_assert_int_eq (ds3->n, 2);
}
END_TEST

static Suite *
suite (void)
{
  Suite *s = suite_create ("data-folder");
  TCase *tc = tcase_create ("core");
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_add_test (tc, test_classes_sorted);
  tcase_add_test (tc, test_model_labels_map);
  tcase_add_test (tc, test_rgb_png_matches_preprocess);
  tcase_add_test (tc, test_jpeg);
  tcase_add_test (tc, test_alpha_channel);
  tcase_add_test (tc, test_errors);
  tcase_add_test (tc, test_leftover_temporaries_skipped);
  tcase_add_test (tc, test_label_rule);
  tcase_add_test (tc, test_class_folder_not_a_label);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  return nn_check_run (suite ());
}
