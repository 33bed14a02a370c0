/* folder:DIR — DIR/<class>/<image>, classes sorted by name. Images are
 * decoded with libav at their native size and go through the same converter
 * as video frames in the elements (avframe.h, nn-image.h). */
#include "data-private.h"
#include "avframe.h"
#include <libavformat/avformat.h>
#include <libavcodec/avcodec.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>

/* An image's alpha channel at the model's input size: swscale gives RGBA
 * (whatever layout carries the alpha), whose fourth byte goes through the
 * same converter as the colours, as a gray plane, so the two stay aligned. */
typedef struct {
  NnAvConvert        conv;
  struct SwsContext *sws;
  guint8            *rgba, *plane;
  gsize              size;
  float             *out;   /* (H, W) of the input */
  AVFrame           *gray;  /* the alpha as a GRAY8 frame over `plane` */
} AlphaReader;

static void
alpha_reader_clear (AlphaReader *r)
{
  nn_av_convert_clear (&r->conv);
  sws_freeContext (r->sws);
  g_free (r->rgba);
  g_free (r->plane);
  g_free (r->out);
  av_frame_free (&r->gray);
  memset (r, 0, sizeof *r);
}

/* FALSE when f has no alpha; else the coverage into out (H * W bytes). */
static gboolean
read_alpha (AlphaReader *r, const AVFrame *f, const NnPreprocess *pre, guint8 *out, const char **why)
{
  const AVPixFmtDescriptor *d = av_pix_fmt_desc_get (f->format);
  if (!d || !(d->flags & AV_PIX_FMT_FLAG_ALPHA))
    return FALSE;
  gsize px = (gsize) f->width * f->height;
  if (px > r->size) {
    r->rgba = g_renew (guint8, r->rgba, px * 4);
    r->plane = g_renew (guint8, r->plane, px);
    r->size = px;
  }
  if (!r->out)
    r->out = g_new (float, (gsize) pre->width * pre->height);
  r->sws = sws_getCachedContext (r->sws, f->width, f->height, f->format, f->width, f->height, AV_PIX_FMT_RGBA,
                                 SWS_POINT, NULL, NULL, NULL);
  guint8 *dst[4] = { r->rgba };
  int dst_stride[4] = { f->width * 4 };
  if (!r->sws ||
      sws_scale (r->sws, (const guint8 *const *) f->data, f->linesize, 0, f->height, dst, dst_stride) != f->height) {
    *why = "cannot read its alpha channel";
    return TRUE;
  }
  for (gsize i = 0; i < px; i++)
    r->plane[i] = r->rgba[i * 4 + 3];
  if (!r->gray)
    r->gray = av_frame_alloc ();
  AVFrame *g = r->gray;
  g->format = AV_PIX_FMT_GRAY8;
  g->width = f->width;
  g->height = f->height;
  g->color_range = AVCOL_RANGE_JPEG;
  g->data[0] = r->plane;
  g->linesize[0] = f->width;
  /* u8 -> [0, 1]: rescale 1/255, no mean or std */
  NnPreprocess gray = { .channels = 1, .height = pre->height, .width = pre->width, .rescale = 1.0f / 255.0f,
                        .std = { 1.0f, 1.0f, 1.0f } };
  *why = nn_av_frame_to_sample (&r->conv, g, &gray, r->out);
  for (gsize i = 0; !*why && i < (gsize) pre->width * pre->height; i++)
    out[i] = (guint8) lrintf (CLAMP (r->out[i], 0.0f, 1.0f) * 255.0f);
  return TRUE;
}

/* libav happily opens text (tty) or audio files; only image demuxers count. */
static gboolean
is_image_demuxer (const AVInputFormat *f)
{
  return strcmp (f->name, "image2") == 0 || strcmp (f->name, "gif") == 0 || g_str_has_suffix (f->name, "_pipe");
}

/* Opens, decodes the first frame of the first video stream into one sample
 * shaped by `pre` in `out`; NULL on success, else a short reason. With
 * `alpha`, *has_alpha says whether the image had an alpha channel, read into
 * alpha_out (H * W). */
static const char *
decode_file (const char *path, NnAvConvert *conv, const NnPreprocess *pre, float *out, AlphaReader *alpha,
             guint8 *alpha_out, gboolean *has_alpha)
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
  if (!why && alpha)
    *has_alpha = read_alpha (alpha, frame, pre, alpha_out, &why);
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

/* ds gets an alpha plane at the first image that has one (the images
 * before it opaque), so a folder without any keeps ds->alpha NULL. A flat
 * input of several channels has no (H, W) plane: no alpha is read for it. */
static gboolean
decode_all (GPtrArray *paths, const NnDataTarget *t, NnDataset *ds, GError **error)
{
  NnAvConvert conv = { 0 };
  AlphaReader alpha = { 0 };
  gsize d = (gsize) nn_shape_numel (&t->input), plane = (gsize) t->pre.width * t->pre.height;
  g_autofree guint8 *a = g_malloc (plane);
  gboolean ok = TRUE;
  for (guint i = 0; i < paths->len && ok; i++) {
    gboolean has_alpha = FALSE;
    const char *why = decode_file (g_ptr_array_index (paths, i), &conv, &t->pre, ds->x + i * d,
                                   nn_dataset_alpha_plane (ds) == plane ? &alpha : NULL, a, &has_alpha);
    if (!why && has_alpha)
      memcpy (nn_dataset_alloc_alpha (ds) + i * plane, a, plane);
    if (why) {
      g_set_error (error, NN_ERROR, NN_ERROR_FORMAT, "%s: %s", (char *) g_ptr_array_index (paths, i), why);
      ok = FALSE;
    }
  }
  nn_av_convert_clear (&conv);
  alpha_reader_clear (&alpha);
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
  const char *why = decode_file (path, &conv, p, out, NULL, NULL, NULL);
  if (why)
    g_set_error (error, NN_ERROR, NN_ERROR_FORMAT, "%s: %s", path, why);
  nn_av_convert_clear (&conv);
  return why == NULL;
}
