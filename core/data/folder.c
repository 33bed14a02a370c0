/* folder:DIR — DIR/<class>/<image>, classes sorted by name. Images are
 * decoded with libav at their native size and go through the same
 * nn_preprocess_image as video frames in the elements. */
#include "data-private.h"
#include <libavformat/avformat.h>
#include <libavcodec/avcodec.h>
#include <libswscale/swscale.h>
#include <libavutil/imgutils.h>

typedef struct {
  guint8 *buf;     /* packed GRAY8 or RGB24, reused */
  gsize   size;
  int     width, height, stride;
  NnPixelFormat fmt;
} Image;

static gboolean
is_gray (enum AVPixelFormat f)
{
  const AVPixFmtDescriptor *d = av_pix_fmt_desc_get (f);
  return d && d->nb_components <= 2 && !(d->flags & AV_PIX_FMT_FLAG_PAL);
}

/* swscale deprecates the YUVJ formats (it warns on every image): use the
 * plain YUV format and say the range is full instead. */
static enum AVPixelFormat
unjpeg (enum AVPixelFormat f, gboolean *full)
{
  switch (f) {
    case AV_PIX_FMT_YUVJ420P: *full = TRUE; return AV_PIX_FMT_YUV420P;
    case AV_PIX_FMT_YUVJ422P: *full = TRUE; return AV_PIX_FMT_YUV422P;
    case AV_PIX_FMT_YUVJ444P: *full = TRUE; return AV_PIX_FMT_YUV444P;
    case AV_PIX_FMT_YUVJ440P: *full = TRUE; return AV_PIX_FMT_YUV440P;
    case AV_PIX_FMT_YUVJ411P: *full = TRUE; return AV_PIX_FMT_YUV411P;
    default: return f;
  }
}

/* Frame -> packed pixels in img (gray stays gray, everything else RGB24). */
static gboolean
frame_to_image (const AVFrame *f, Image *img)
{
  gboolean gray = is_gray (f->format);
  enum AVPixelFormat dst = gray ? AV_PIX_FMT_GRAY8 : AV_PIX_FMT_RGB24;
  img->width = f->width;
  img->height = f->height;
  img->stride = f->width * (gray ? 1 : 3);
  img->fmt = gray ? NN_PIXEL_GRAY8 : NN_PIXEL_RGB24;
  gsize need = (gsize) img->stride * f->height;
  if (need > img->size) {
    img->buf = g_realloc (img->buf, need);
    img->size = need;
  }
  /* PNG gray and RGB are full range; only YUV carries a range of its own */
  const AVPixFmtDescriptor *d = av_pix_fmt_desc_get (f->format);
  gboolean yuv = d && !(d->flags & AV_PIX_FMT_FLAG_RGB) && d->nb_components >= 3;
  gboolean full = !yuv || f->color_range == AVCOL_RANGE_JPEG;
  enum AVPixelFormat src = unjpeg (f->format, &full);
  struct SwsContext *sws = sws_getContext (f->width, f->height, src, f->width, f->height, dst,
                                           SWS_POINT | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT, NULL, NULL, NULL);
  if (!sws)
    return FALSE;
  const int *coefs = sws_getCoefficients (SWS_CS_ITU601);
  sws_setColorspaceDetails (sws, coefs, full, coefs, 1, 0, 1 << 16, 1 << 16);
  guint8 *planes[4] = { img->buf };
  int strides[4] = { img->stride };
  int rows = sws_scale (sws, (const guint8 *const *) f->data, f->linesize, 0, f->height, planes, strides);
  sws_freeContext (sws);
  return rows == f->height;
}

/* libav happily opens text (tty) or audio files; only image demuxers count. */
static gboolean
is_image_demuxer (const AVInputFormat *f)
{
  return strcmp (f->name, "image2") == 0 || strcmp (f->name, "gif") == 0 || g_str_has_suffix (f->name, "_pipe");
}

/* Opens, decodes the first frame of the first video stream; NULL on failure
 * with a short reason. */
static const char *
decode_file (const char *path, Image *img)
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
  else if (!frame_to_image (frame, img))
    why = "cannot convert its pixel format";
out:
  av_frame_free (&frame);
  av_packet_free (&pkt);
  avcodec_free_context (&ctx);
  avformat_close_input (&fmt);
  return why;
}

static int
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

GPtrArray *
nn_data_list_sorted (const char *dir, GFileTest test, GError **error)
{
  g_autoptr (GError) err = NULL;
  g_autoptr (GDir) d = g_dir_open (dir, 0, &err);
  if (!d) {
    g_set_error (error, NN_ERROR, NN_ERROR_IO, "%s: %s", dir, err->message);
    return NULL;
  }
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  const char *name;
  while ((name = g_dir_read_name (d))) {
    /* hidden files and temporaries ("*.tmp*", e.g. nncapture's
     * ".00007.png.tmp-XXXXXX" left by an interrupted write) are not samples */
    if (name[0] == '.' || strstr (name, ".tmp"))
      continue;
    g_autofree char *path = g_build_filename (dir, name, NULL);
    if (g_file_test (path, test))
      g_ptr_array_add (names, g_strdup (name));
  }
  g_ptr_array_sort (names, compare_names);
  return names;
}

/* Class index of each sub-folder: the model's label of that name, or its
 * rank when the model has no labels. */
static gboolean
map_classes (const char *dir, GPtrArray *classes, const NnDataTarget *t, int *index, GError **error)
{
  if (t->n_labels <= 0 && classes->len != t->n_out) {
    g_set_error (error, NN_ERROR, NN_ERROR_SHAPE,
                 "%s: %u class folders but the model has %" G_GINT64_FORMAT " outputs (and no labels)",
                 dir, classes->len, t->n_out);
    return FALSE;
  }
  for (guint i = 0; i < classes->len; i++) {
    const char *name = g_ptr_array_index (classes, i);
    index[i] = t->n_labels > 0 ? nn_data_label_index (t, name) : (int) i;
    if (index[i] < 0 || index[i] >= t->n_out) {
      g_set_error (error, NN_ERROR, NN_ERROR_FORMAT, "%s/%s: folder \"%s\" matches no label of the model",
                   dir, name, name);
      return FALSE;
    }
  }
  return TRUE;
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

static char **
class_names (GPtrArray *classes, const NnDataTarget *t)
{
  if (t->n_labels > 0)
    return nn_data_label_copy (t);
  char **names = g_new0 (char *, classes->len + 1);
  for (guint i = 0; i < classes->len; i++)
    names[i] = g_strdup (g_ptr_array_index (classes, i));
  return names;
}

static gboolean
decode_all (GPtrArray *paths, const NnDataTarget *t, NnDataset *ds, GError **error)
{
  Image img = { 0 };
  gsize d = (gsize) nn_shape_numel (&t->input);
  gboolean ok = TRUE;
  for (guint i = 0; i < paths->len && ok; i++) {
    const char *why = decode_file (g_ptr_array_index (paths, i), &img);
    if (why) {
      g_set_error (error, NN_ERROR, NN_ERROR_FORMAT, "%s: %s", (char *) g_ptr_array_index (paths, i), why);
      ok = FALSE;
    } else {
      nn_preprocess_image (&t->pre, img.buf, img.width, img.height, img.stride, img.fmt, ds->x + i * d);
    }
  }
  g_free (img.buf);
  return ok;
}

NnDataset *
nn_data_load_folder (const char *dir, const NnDataTarget *t, GError **error)
{
  if (t->input.ndim == 4)
    return nn_data_load_video_folder (dir, t, error);
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
  if (!map_classes (dir, classes, t, index, error))
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
  ds->class_names = class_names (classes, t);
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
  Image img = { 0 };
  const char *why = decode_file (path, &img);
  if (why)
    g_set_error (error, NN_ERROR, NN_ERROR_FORMAT, "%s: %s", path, why);
  else
    nn_preprocess_image (p, img.buf, img.width, img.height, img.stride, img.fmt, out);
  g_free (img.buf);
  return why == NULL;
}
