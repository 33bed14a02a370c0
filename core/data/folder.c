/* folder:DIR — DIR/<class>/<image>, classes sorted by name. Images are
 * decoded with libav at their native size and go through the same converter
 * as video frames in the elements (avframe.h, nn-image.h). */
#include "data-private.h"
#include "avframe.h"
#include <libavformat/avformat.h>
#include <libavcodec/avcodec.h>

/* libav happily opens text (tty) or audio files; only image demuxers count. */
static gboolean
is_image_demuxer (const AVInputFormat *f)
{
  return strcmp (f->name, "image2") == 0 || strcmp (f->name, "gif") == 0 || g_str_has_suffix (f->name, "_pipe");
}

/* Opens, decodes the first frame of the first video stream into one sample
 * shaped by `pre` in `out`; NULL on success, else a short reason. */
static const char *
decode_file (const char *path, NnAvConvert *conv, const NnPreprocess *pre, float *out)
{
  AVFormatContext *fmt = NULL;
  AVCodecContext *ctx = NULL;
  AVPacket *pkt = av_packet_alloc ();
  AVFrame *frame = av_frame_alloc ();
  const char *why = NULL;
  if (avformat_open_input (&fmt, path, NULL, NULL) < 0 || !is_image_demuxer (fmt->iformat)) {
    why = "not an image libav can open";
    goto out;
  }
  int si = av_find_best_stream (fmt, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0);
  const AVCodec *codec = si >= 0 ? avcodec_find_decoder (fmt->streams[si]->codecpar->codec_id) : NULL;
  if (!codec) {
    why = "no image stream or no decoder for it";
    goto out;
  }
  ctx = avcodec_alloc_context3 (codec);
  if (!ctx || avcodec_parameters_to_context (ctx, fmt->streams[si]->codecpar) < 0 ||
      avcodec_open2 (ctx, codec, NULL) < 0) {
    why = "cannot open the decoder";
    goto out;
  }
  int got = 0;
  while (!got && av_read_frame (fmt, pkt) >= 0) {
    if (pkt->stream_index == si && avcodec_send_packet (ctx, pkt) >= 0)
      got = avcodec_receive_frame (ctx, frame) >= 0;
    av_packet_unref (pkt);
  }
  if (!got && avcodec_send_packet (ctx, NULL) >= 0)
    got = avcodec_receive_frame (ctx, frame) >= 0;
  if (!got || frame->width <= 0 || frame->height <= 0)
    why = "cannot decode an image from it";
  else
    why = nn_av_frame_to_sample (conv, frame, pre, out);
out:
  av_frame_free (&frame);
  av_packet_free (&pkt);
  avcodec_free_context (&ctx);
  avformat_close_input (&fmt);
  return why;
}

static gboolean
check_target (const char *dir, const NnDataTarget *t, GError **error)
{
  int64_t numel = (int64_t) t->pre.channels * t->pre.height * t->pre.width;
  if ((t->pre.channels != 1 && t->pre.channels != 3) || numel != nn_shape_numel (&t->input)) {
    char buf[64];
    g_set_error (error, NN_ERROR, NN_ERROR_SHAPE, "%s: the model input %s is not an image of 1 or 3 channels",
                 dir, nn_shape_to_string (&t->input, buf, sizeof buf));
    return FALSE;
  }
  return TRUE;
}

/* All files of every class folder, as (path, class) in order. */
static gboolean
collect (const char *dir, GPtrArray *classes, const int *index, GPtrArray *paths, GArray *labels,
         GError **error)
{
  for (guint c = 0; c < classes->len; c++) {
    g_autofree char *sub = g_build_filename (dir, g_ptr_array_index (classes, c), NULL);
    g_autoptr (GPtrArray) files = nn_data_list_sorted (sub, G_FILE_TEST_IS_REGULAR, error);
    if (!files)
      return FALSE;
    for (guint i = 0; i < files->len; i++) {
      g_ptr_array_add (paths, g_build_filename (sub, g_ptr_array_index (files, i), NULL));
      g_array_append_val (labels, index[c]);
    }
  }
  return TRUE;
}

static gboolean
decode_all (GPtrArray *paths, const NnDataTarget *t, NnDataset *ds, GError **error)
{
  NnAvConvert conv = { 0 };
  gsize d = (gsize) nn_shape_numel (&t->input);
  gboolean ok = TRUE;
  for (guint i = 0; i < paths->len && ok; i++) {
    const char *why = decode_file (g_ptr_array_index (paths, i), &conv, &t->pre, ds->x + i * d);
    if (why) {
      g_set_error (error, NN_ERROR, NN_ERROR_FORMAT, "%s: %s", (char *) g_ptr_array_index (paths, i), why);
      ok = FALSE;
    }
  }
  nn_av_convert_clear (&conv);
  return ok;
}

NnDataset *
nn_data_load_image_folder (const char *dir, const NnDataTarget *t, GError **error)
{
  if (!check_target (dir, t, error))
    return NULL;
  g_autoptr (GPtrArray) classes = nn_data_list_sorted (dir, G_FILE_TEST_IS_DIR, error);
  if (!classes)
    return NULL;
  if (classes->len == 0) {
    g_set_error (error, NN_ERROR, NN_ERROR_EMPTY, "%s: no class sub-folders", dir);
    return NULL;
  }
  g_autofree int *index = g_new (int, classes->len);
  if (!nn_data_class_indices (dir, classes, t, index, error))
    return NULL;
  g_autoptr (GPtrArray) paths = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GArray) labels = g_array_new (FALSE, FALSE, sizeof (int));
  if (!collect (dir, classes, index, paths, labels, error))
    return NULL;
  if (paths->len == 0) {
    g_set_error (error, NN_ERROR, NN_ERROR_EMPTY, "%s: no images in the class sub-folders", dir);
    return NULL;
  }
  g_autoptr (NnDataset) ds = nn_dataset_new (&t->input, paths->len, TRUE, 0);
  if (!decode_all (paths, t, ds, error))
    return NULL;
  for (guint i = 0; i < paths->len; i++)
    ds->labels[i] = g_array_index (labels, int, i);
  ds->n_classes = (int) t->n_out;
  ds->class_names = nn_data_class_names (classes, t);
  return g_steal_pointer (&ds);
}

gboolean
nn_image_load (const char *path, const NnPreprocess *p, float *out, GError **error)
{
  g_return_val_if_fail (path && p && out, FALSE);
  if (p->channels != 1 && p->channels != 3) {
    g_set_error (error, NN_ERROR, NN_ERROR_SHAPE, "%s: the model input has %d channels, not 1 or 3",
                 path, p->channels);
    return FALSE;
  }
  if (!g_file_test (path, G_FILE_TEST_IS_REGULAR)) {
    g_set_error (error, NN_ERROR, NN_ERROR_IO, "%s: no such file", path);
    return FALSE;
  }
  NnAvConvert conv = { 0 };
  const char *why = decode_file (path, &conv, p, out);
  if (why)
    g_set_error (error, NN_ERROR, NN_ERROR_FORMAT, "%s: %s", path, why);
  nn_av_convert_clear (&conv);
  return why == NULL;
}
