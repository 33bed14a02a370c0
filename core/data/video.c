/* folder:DIR for video models (input [T, C, H, W]): DIR/<class>/<video>,
 * classes sorted by name, every file decoded with libav.
 *
 * Sampling comes from the spec's "preprocess":
 *   "fps":   frames per second kept from each video (0 or absent: every
 *            frame); frame k of the clip is the first frame at or after
 *            k / fps seconds, as nnvideoclassify samples a stream.
 *   "clips": at most this many clips per video (default 1), consecutive and
 *            non-overlapping from the first frame, so a long video gives
 *            several samples; a video too short for one clip is an error.
 * Frames go through the converter the elements use (avframe.h, nn-image.h),
 * with the range and matrix the stream declares. */
#include "data-private.h"
#include "avframe.h"
#include <json-glib/json-glib.h>
#include <libavformat/avformat.h>
#include <libavcodec/avcodec.h>

typedef struct {
  const NnDataTarget *t;
  NnPreprocess pre;      /* one frame (C, H, W) */
  int          steps;    /* T */
  gsize        frame_numel;
  GArray      *x;        /* floats of every clip so far */
} Loader;

typedef struct {
  AVFormatContext *fmt;
  AVCodecContext  *ctx;
  AVPacket        *pkt;
  AVFrame         *frame;
  NnAvConvert      conv;
  int              stream;
  double           time_base;
  NnFrameSampler   sampler;
  int64_t          decoded;  /* frames decoded (for streams without times) */
} Decoder;

/* Sampling (t->fps, t->clips) comes typed from the spec (nn_data_target_init). */

/* ---- decoding ---------------------------------------------------------------- */

static void
decoder_close (Decoder *d)
{
  nn_av_convert_clear (&d->conv);
  av_frame_free (&d->frame);
  av_packet_free (&d->pkt);
  avcodec_free_context (&d->ctx);
  avformat_close_input (&d->fmt);
}

static const char *
decoder_open (Decoder *d, const char *path)
{
  memset (d, 0, sizeof *d);
  d->pkt = av_packet_alloc ();
  d->frame = av_frame_alloc ();
  if (avformat_open_input (&d->fmt, path, NULL, NULL) < 0 || avformat_find_stream_info (d->fmt, NULL) < 0)
    return "not a video libav can open";
  d->stream = av_find_best_stream (d->fmt, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0);
  const AVCodec *codec = d->stream >= 0 ? avcodec_find_decoder (d->fmt->streams[d->stream]->codecpar->codec_id) : NULL;
  if (!codec)
    return "no video stream or no decoder for it";
  d->ctx = avcodec_alloc_context3 (codec);
  if (!d->ctx || avcodec_parameters_to_context (d->ctx, d->fmt->streams[d->stream]->codecpar) < 0 ||
      avcodec_open2 (d->ctx, codec, NULL) < 0)
    return "cannot open the video decoder";
  d->time_base = av_q2d (d->fmt->streams[d->stream]->time_base);
  return NULL;
}

/* Next decoded frame into d->frame: 1, end of stream: 0, error: -1. */
static int
decoder_next (Decoder *d)
{
  for (;;) {
    int r = avcodec_receive_frame (d->ctx, d->frame);
    if (r >= 0)
      return 1;
    if (r == AVERROR_EOF)
      return 0;
    if (r != AVERROR (EAGAIN))
      return -1;
    if (av_read_frame (d->fmt, d->pkt) < 0) {
      if (avcodec_send_packet (d->ctx, NULL) < 0)
        return 0;
      continue;
    }
    if (d->pkt->stream_index == d->stream && avcodec_send_packet (d->ctx, d->pkt) < 0 &&
        d->pkt->size > 0) {
      av_packet_unref (d->pkt);
      return -1;
    }
    av_packet_unref (d->pkt);
  }
}

/* Seconds of the current frame; frame counting at 25/s without timestamps. */
static double
frame_time (Decoder *d)
{
  int64_t ts = d->frame->best_effort_timestamp;
  AVRational rate = d->fmt->streams[d->stream]->avg_frame_rate;
  if (ts != AV_NOPTS_VALUE)
    return ts * d->time_base;
  return d->decoded / (rate.num > 0 && rate.den > 0 ? av_q2d (rate) : 25.0);
}

/* Does the sampler keep the current frame? (nn-video.h: the rule
 * nnvideoclassify follows too) */
static gboolean
keep_frame (Decoder *d)
{
  double t = frame_time (d);
  d->decoded++;
  return nn_frame_sampler_take (&d->sampler, t);
}

/* Appends up to `clips` whole clips of `path` to l->x; returns how many. */
static int
load_video (Loader *l, const char *path, GError **error)
{
  Decoder d;
  const char *why = decoder_open (&d, path);
  nn_frame_sampler_init (&d.sampler, l->t->fps);
  gsize clip = l->frame_numel * l->steps, base = l->x->len;
  int64_t want = (int64_t) l->steps * l->t->clips, got = 0;
  while (!why && got < want) {
    int r = decoder_next (&d);
    if (r < 0)
      why = "cannot decode a frame";
    if (r <= 0)
      break;
    if (!keep_frame (&d))
      continue;
    g_array_set_size (l->x, base + (got + 1) * l->frame_numel);
    why = nn_av_frame_to_sample (&d.conv, d.frame, &l->pre, &g_array_index (l->x, float, base + got * l->frame_numel));
    got++;
  }
  if (!why && got < l->steps)
    g_set_error (error, NN_ERROR, NN_ERROR_FORMAT, "%s: %" G_GINT64_FORMAT " frames at %g fps, a clip needs %d", path,
                 got, l->t->fps, l->steps);
  else if (why)
    g_set_error (error, NN_ERROR, NN_ERROR_FORMAT, "%s: %s", path, why);
  decoder_close (&d);
  if (why || got < l->steps)
    return -1;
  int n = (int) (got / l->steps);
  g_array_set_size (l->x, base + n * clip);
  return n;
}

/* ---- the folder --------------------------------------------------------------- */

/* The frame geometry of a [T, C, H, W] input; the model parses "preprocess"
 * for flat inputs, so its per-channel values are spread over C here. */
static gboolean
frame_preprocess (const char *dir, const NnDataTarget *t, NnPreprocess *pre, GError **error)
{
  char buf[64];
  if (nn_clip_frame (&t->input, &t->pre, pre, NULL))
    return TRUE;
  g_set_error (error, NN_ERROR, NN_ERROR_SHAPE, "%s: the model input %s is not a clip [T, 1|3, H, W]", dir,
               nn_shape_to_string (&t->input, buf, sizeof buf));
  return FALSE;
}

static gboolean
load_class (Loader *l, const char *dir, const char *name, int index, GArray *labels, GError **error)
{
  g_autofree char *sub = g_build_filename (dir, name, NULL);
  g_autoptr (GPtrArray) files = nn_data_list_sorted (sub, G_FILE_TEST_IS_REGULAR, error);
  if (!files)
    return FALSE;
  for (guint i = 0; i < files->len; i++) {
    g_autofree char *path = g_build_filename (sub, g_ptr_array_index (files, i), NULL);
    int n = load_video (l, path, error);
    if (n < 0)
      return FALSE;
    for (int k = 0; k < n; k++)
      g_array_append_val (labels, index);
  }
  return TRUE;
}

NnDataset *
nn_data_load_video_folder (const char *dir, const NnDataTarget *t, GError **error)
{
  Loader l = { .t = t, .steps = (int) t->input.dim[0] };
  if (!frame_preprocess (dir, t, &l.pre, error))
    return NULL;
  l.frame_numel = (gsize) l.pre.channels * l.pre.height * l.pre.width;
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
  g_autoptr (GArray) x = l.x = g_array_new (FALSE, FALSE, sizeof (float));
  g_autoptr (GArray) labels = g_array_new (FALSE, FALSE, sizeof (int));
  for (guint c = 0; c < classes->len; c++)
    if (!load_class (&l, dir, g_ptr_array_index (classes, c), index[c], labels, error))
      return NULL;
  if (labels->len == 0) {
    g_set_error (error, NN_ERROR, NN_ERROR_EMPTY, "%s: no videos in the class sub-folders", dir);
    return NULL;
  }
  NnDataset *ds = nn_dataset_new (&t->input, labels->len, TRUE, 0);
  memcpy (ds->x, x->data, sizeof (float) * x->len);
  for (guint i = 0; i < labels->len; i++)
    ds->labels[i] = g_array_index (labels, int, i);
  ds->n_classes = (int) t->n_out;
  ds->class_names = nn_data_class_names (classes, t);
  return ds;
}
