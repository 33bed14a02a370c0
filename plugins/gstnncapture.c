/**
 * SECTION:element-nncapture
 * @title: nncapture
 *
 * Records a user's own examples for `nn train`: every "interval"-th frame is
 * written as a PNG to `location/<label>/NNNNN.png`, the folder: dataset
 * layout, so `nn train SPEC --data folder:DIR` (or a fine-tune with
 * `--weights`) learns from it. "label" may change while the pipeline runs
 * (show a gesture, set the label, show the next); numbering continues after
 * the files already in a label's folder. With "count" > 0 each label gets at
 * most that many frames, then the element posts "nn-capture-done" and saves
 * nothing until the label changes. Each saved frame posts "nn-capture"
 * (label, path, index, frame). Frames pass through unchanged. The element
 * takes the raw formats nnclassify takes; YUV frames are saved as the RGB the
 * classifiers would see (range and matrix of the caps honoured, the same
 * conversion), GRAY8 frames as gray PNGs. Each file is
 * written under a hidden temporary name (".NNNNN.png.tmp-XXXXXX") and renamed
 * into place, so an interrupted capture never leaves a truncated image (and
 * folder: datasets skip a leftover temporary).
 *
 * A label is a name, not a path (nn_label_check (), docs/security.md): one
 * folder name of at most 100 bytes of UTF-8, without '/', '\\', "..", a
 * leading '.' or a control character. Any other label, set before or while
 * playing, is refused with a RESOURCE SETTINGS error naming it, and nothing
 * is written outside `location`.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 -m v4l2src ! videoconvert ! aspectratiocrop aspect-ratio=1/1 ! videoscale ! \
 *     video/x-raw,format=RGB,width=96,height=96 ! nncapture location=my-gestures label=horns interval=5 count=50 ! \
 *     videoconvert ! autovideosink
 * ]|
 */
#include "gstnncapture.h"
#include "nn-input.h"

#include <math.h>

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <unistd.h>
#include <libavcodec/avcodec.h>
#include <stdio.h>
#include <string.h>

GST_DEBUG_CATEGORY_STATIC (gst_nn_capture_debug);
#define GST_CAT_DEFAULT gst_nn_capture_debug


enum {
  PROP_0,
  PROP_LOCATION,
  PROP_LABEL,
  PROP_INTERVAL,
  PROP_COUNT,
};

#define DEFAULT_PROP_LOCATION "capture"
#define DEFAULT_PROP_LABEL "unlabelled"
#define DEFAULT_PROP_INTERVAL 1
#define DEFAULT_PROP_COUNT 0

struct _GstNnCapture {
  GstVideoFilter parent;

  /* properties, under the object lock */
  char  *location;
  char  *label;
  guint  interval;
  guint  count;

  /* streaming thread */
  char        *current;    /* label of the frames being saved */
  guint        saved;      /* frames saved for `current` */
  guint        next_index; /* file number for `current` */
  gboolean     done_posted;
  guint64      frame;
  NnImageConverter *convert; /* the frame -> RGB (GRAY8 stays gray), as a model would see it */
  float       *pixels;     /* (C, H, W) the converter's output, 0..255 */
  AVCodecContext *codec;
  AVFrame     *avframe;
  AVPacket    *packet;
};

G_DEFINE_TYPE (GstNnCapture, gst_nn_capture, GST_TYPE_VIDEO_FILTER);
GST_ELEMENT_REGISTER_DEFINE (nncapture, "nncapture", GST_RANK_NONE, GST_TYPE_NN_CAPTURE);

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink", GST_PAD_SINK, GST_PAD_ALWAYS,
  GST_STATIC_CAPS (GST_VIDEO_CAPS_MAKE (NN_INPUT_FORMATS)));
static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src", GST_PAD_SRC, GST_PAD_ALWAYS,
  GST_STATIC_CAPS (GST_VIDEO_CAPS_MAKE (NN_INPUT_FORMATS)));

/* ---- PNG encoding ------------------------------------------------------------ */

static void
clear_encoder (GstNnCapture *self)
{
  avcodec_free_context (&self->codec);
  av_frame_free (&self->avframe);
  av_packet_free (&self->packet);
  g_clear_pointer (&self->convert, nn_image_converter_free);
  g_clear_pointer (&self->pixels, g_free);
}

static gboolean
open_encoder (GstNnCapture *self, const GstVideoInfo *info)
{
  gboolean gray = GST_VIDEO_INFO_FORMAT (info) == GST_VIDEO_FORMAT_GRAY8;
  int w = GST_VIDEO_INFO_WIDTH (info), h = GST_VIDEO_INFO_HEIGHT (info);
  const AVCodec *png = avcodec_find_encoder (AV_CODEC_ID_PNG);
  clear_encoder (self);
  if (!png || !(self->codec = avcodec_alloc_context3 (png)))
    return FALSE;
  self->codec->width = w;
  self->codec->height = h;
  self->codec->pix_fmt = gray ? AV_PIX_FMT_GRAY8 : AV_PIX_FMT_RGB24;
  self->codec->time_base = (AVRational) { 1, 25 };
  self->avframe = av_frame_alloc ();
  self->packet = av_packet_alloc ();
  if (!self->avframe || !self->packet || avcodec_open2 (self->codec, png, NULL) < 0)
    return FALSE;
  self->avframe->width = w;
  self->avframe->height = h;
  self->avframe->format = self->codec->pix_fmt;
  /* the same colour-correct conversion the classifiers use, at the frame's
   * size: a YUV frame is saved as the RGB a model would see */
  NnPreprocess pre = { gray ? 1 : 3, h, w, 1.0f, { 0, 0, 0 }, { 1, 1, 1 } };
  self->convert = nn_input_converter_new (info, &pre, NULL);
  self->pixels = g_new (float, (gsize) pre.channels * w * h);
  return self->convert && av_frame_get_buffer (self->avframe, 0) >= 0;
}

/* The frame as packed RGB24 (or GRAY8) rows of the encoder's frame. */
static void
pack_frame (GstNnCapture *self, GstVideoFrame *f)
{
  int w = GST_VIDEO_FRAME_WIDTH (f), h = GST_VIDEO_FRAME_HEIGHT (f);
  int nch = self->codec->pix_fmt == AV_PIX_FMT_GRAY8 ? 1 : 3;
  gsize plane = (gsize) w * h;
  nn_input_convert (self->convert, f, self->pixels);
  for (int y = 0; y < h; y++) {
    guint8 *dst = self->avframe->data[0] + (gsize) y * self->avframe->linesize[0];
    const float *src = self->pixels + (gsize) y * w;
    for (int x = 0; x < w; x++)
      for (int c = 0; c < nch; c++)
        dst[x * nch + c] = (guint8) lrintf (src[c * plane + x]);
  }
}

/* Write `path` whole or not at all: the bytes go to a hidden temporary in the
 * same folder (".NNNNN.png.tmp-XXXXXX"), which is then renamed into place
 * (atomic within one file system). A capture interrupted mid-write leaves at
 * most that temporary, which folder: datasets skip (nn_data_list_sorted),
 * never a truncated NNNNN.png that would break every later load. */
static gboolean
write_via_temporary (const char *path, const guint8 *data, gsize len, GError **error)
{
  g_autofree char *dir = g_path_get_dirname (path), *base = g_path_get_basename (path);
  g_autofree char *tmp_name = g_strdup_printf (".%s.tmp-XXXXXX", base);
  g_autofree char *tmp = g_build_filename (dir, tmp_name, NULL);
  int fd = g_mkstemp_full (tmp, O_WRONLY, 0644), saved = 0;
  if (fd < 0) {
    saved = errno;
    goto fail;
  }
  for (gsize done = 0; done < len;) {
    gssize n = write (fd, data + done, len - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      saved = n < 0 ? errno : EIO;
      close (fd);
      goto fail_unlink;
    }
    done += (gsize) n;
  }
  if (close (fd) != 0 || g_rename (tmp, path) != 0) {
    saved = errno;
    goto fail_unlink;
  }
  return TRUE;

fail_unlink:
  g_unlink (tmp);
fail:
  g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved), "%s: %s", tmp, g_strerror (saved));
  return FALSE;
}

static gboolean
encode_to (GstNnCapture *self, const char *path, GError **error)
{
  /* PNG frames are independent: flush after each one and start again */
  if (avcodec_send_frame (self->codec, self->avframe) < 0 || avcodec_receive_packet (self->codec, self->packet) < 0) {
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "the PNG encoder failed");
    return FALSE;
  }
  gboolean ok = write_via_temporary (path, self->packet->data, self->packet->size, error);
  av_packet_unref (self->packet);
  return ok;
}

/* ---- file names ---------------------------------------------------------------- */

/* One past the largest NNNNN.png already in dir. */
static guint
first_free_index (const char *dir)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  guint next = 0;
  const char *name;
  while (d && (name = g_dir_read_name (d))) {
    char *end = NULL;
    guint64 v = g_ascii_strtoull (name, &end, 10);
    if (end != name && g_str_equal (end, ".png"))
      next = MAX (next, (guint) v + 1);
  }
  return next;
}

static void
switch_label (GstNnCapture *self, const char *location, const char *label)
{
  g_free (self->current);
  self->current = g_strdup (label);
  g_autofree char *dir = g_build_filename (location, label, NULL);
  self->next_index = first_free_index (dir);
  self->saved = 0;
  self->done_posted = FALSE;
  GST_INFO_OBJECT (self, "label \"%s\": files from %05u", label, self->next_index);
}

static void
post (GstNnCapture *self, GstStructure *s)
{
  gst_element_post_message (GST_ELEMENT (self), gst_message_new_element (GST_OBJECT (self), s));
}

/* ---- streaming ------------------------------------------------------------------- */

static GstFlowReturn
save_frame (GstNnCapture *self, GstBuffer *buf, const char *location, guint64 frame_no)
{
  g_autoptr (GError) err = NULL;
  g_autofree char *dir = g_build_filename (location, self->current, NULL);
  g_autofree char *name = g_strdup_printf ("%05u.png", self->next_index);
  g_autofree char *path = g_build_filename (dir, name, NULL);
  GstVideoFrame f;
  if (g_mkdir_with_parents (dir, 0755) != 0)
    goto no_dir;
  if (!gst_video_frame_map (&f, &GST_VIDEO_FILTER (self)->in_info, buf, GST_MAP_READ))
    goto map_failed;
  pack_frame (self, &f);
  gst_video_frame_unmap (&f);
  if (!encode_to (self, path, &err))
    goto write_failed;
  self->next_index++;
  self->saved++;
  post (self, gst_structure_new ("nn-capture", "label", G_TYPE_STRING, self->current, "path", G_TYPE_STRING, path,
                                 "index", G_TYPE_UINT, self->saved, "frame", G_TYPE_UINT64, frame_no, NULL));
  return GST_FLOW_OK;

  /* ERRORS */
no_dir:
  GST_ELEMENT_ERROR (self, RESOURCE, OPEN_WRITE, ("Could not create folder \"%s\"", dir), ("%s", g_strerror (errno)));
  return GST_FLOW_ERROR;
map_failed:
  GST_ELEMENT_ERROR (self, STREAM, FAILED, ("Could not map the video frame"), (NULL));
  return GST_FLOW_ERROR;
write_failed:
  GST_ELEMENT_ERROR (self, RESOURCE, WRITE, ("Could not write \"%s\"", path), ("%s", err->message));
  return GST_FLOW_ERROR;
}

static GstFlowReturn
gst_nn_capture_transform_ip (GstBaseTransform *trans, GstBuffer *buf)
{
  GstNnCapture *self = GST_NN_CAPTURE (trans);

  GST_OBJECT_LOCK (self);
  g_autofree char *location = g_strdup (self->location);
  g_autofree char *label = g_strdup (self->label);
  guint interval = self->interval, count = self->count;
  GST_OBJECT_UNLOCK (self);

  if (G_UNLIKELY (!self->codec))
    goto not_negotiated;
  if (!self->current || g_strcmp0 (label, self->current) != 0) {
    /* a label is a folder name, never a path: it must not lead out of location */
    g_autoptr (GError) bad = NULL;
    if (!nn_label_check (label, &bad)) {
      GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS, ("Refusing the label: %s", bad->message),
                         ("nothing is written for it under \"%s\"", location));
      return GST_FLOW_ERROR;
    }
    switch_label (self, location, label);
  }
  guint64 frame_no = self->frame++;
  if (frame_no % interval != 0)
    return GST_FLOW_OK;
  if (count > 0 && self->saved >= count) {
    if (!self->done_posted)
      post (self, gst_structure_new ("nn-capture-done", "label", G_TYPE_STRING, self->current, "count", G_TYPE_UINT,
                                     self->saved, NULL));
    self->done_posted = TRUE;
    return GST_FLOW_OK;
  }
  return save_frame (self, buf, location, frame_no);

  /* ERRORS */
not_negotiated:
  GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, (NULL), ("no caps set before the first buffer"));
  return GST_FLOW_NOT_NEGOTIATED;
}

static gboolean
gst_nn_capture_set_info (GstVideoFilter *filter, GstCaps *incaps, GstVideoInfo *in_info, GstCaps *outcaps,
                         GstVideoInfo *out_info)
{
  GstNnCapture *self = GST_NN_CAPTURE (filter);
  if (!open_encoder (self, in_info))
    goto no_encoder;
  return TRUE;

  /* ERRORS */
no_encoder:
  GST_ELEMENT_ERROR (self, LIBRARY, INIT, ("Could not open libavcodec's PNG encoder"), (NULL));
  clear_encoder (self);
  return FALSE;
}

static gboolean
gst_nn_capture_start (GstBaseTransform *trans)
{
  GstNnCapture *self = GST_NN_CAPTURE (trans);
  g_clear_pointer (&self->current, g_free);
  self->frame = 0;
  return TRUE;
}

static gboolean
gst_nn_capture_stop (GstBaseTransform *trans)
{
  GstNnCapture *self = GST_NN_CAPTURE (trans);
  clear_encoder (self);
  g_clear_pointer (&self->current, g_free);
  return TRUE;
}

/* ---- properties --------------------------------------------------------------------- */

static void
gst_nn_capture_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  GstNnCapture *self = GST_NN_CAPTURE (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
  case PROP_LOCATION:
    g_free (self->location);
    self->location = g_value_dup_string (value);
    break;
  case PROP_LABEL:
    g_free (self->label);
    self->label = g_value_dup_string (value);
    break;
  case PROP_INTERVAL:
    self->interval = g_value_get_uint (value);
    break;
  case PROP_COUNT:
    self->count = g_value_get_uint (value);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_nn_capture_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  GstNnCapture *self = GST_NN_CAPTURE (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
  case PROP_LOCATION:
    g_value_set_string (value, self->location);
    break;
  case PROP_LABEL:
    g_value_set_string (value, self->label);
    break;
  case PROP_INTERVAL:
    g_value_set_uint (value, self->interval);
    break;
  case PROP_COUNT:
    g_value_set_uint (value, self->count);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_nn_capture_finalize (GObject *object)
{
  GstNnCapture *self = GST_NN_CAPTURE (object);
  g_free (self->location);
  g_free (self->label);
  g_free (self->current);
  clear_encoder (self);
  G_OBJECT_CLASS (gst_nn_capture_parent_class)->finalize (object);
}

static void
gst_nn_capture_class_init (GstNnCaptureClass *klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseTransformClass *trans_class = GST_BASE_TRANSFORM_CLASS (klass);
  GstVideoFilterClass *filter_class = GST_VIDEO_FILTER_CLASS (klass);
  const GParamFlags rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS;

  gobject_class->set_property = gst_nn_capture_set_property;
  gobject_class->get_property = gst_nn_capture_get_property;
  gobject_class->finalize = gst_nn_capture_finalize;

  g_object_class_install_property (gobject_class, PROP_LOCATION,
    g_param_spec_string ("location", "Location", "Dataset folder: frames go to LOCATION/<label>/NNNNN.png",
                         DEFAULT_PROP_LOCATION, rw | GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_LABEL,
    g_param_spec_string ("label", "Label", "Class of the frames being recorded (the sub-folder); may change while "
                         "playing", DEFAULT_PROP_LABEL, rw | GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_INTERVAL,
    g_param_spec_uint ("interval", "Interval", "Save every Nth frame", 1, G_MAXUINT, DEFAULT_PROP_INTERVAL,
                       rw | GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_COUNT,
    g_param_spec_uint ("count", "Count", "Frames to save per label, then post nn-capture-done (0 = no limit)", 0,
                       G_MAXUINT, DEFAULT_PROP_COUNT, rw | GST_PARAM_MUTABLE_PLAYING));

  gst_element_class_set_static_metadata (element_class, "Neural-network example recorder", "Filter/Video",
                                         "Saves video frames as a labelled image folder for nn train",
                                         "gst-nn developers");
  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);

  trans_class->start = GST_DEBUG_FUNCPTR (gst_nn_capture_start);
  trans_class->stop = GST_DEBUG_FUNCPTR (gst_nn_capture_stop);
  trans_class->transform_ip = GST_DEBUG_FUNCPTR (gst_nn_capture_transform_ip);
  trans_class->transform_ip_on_passthrough = FALSE;
  filter_class->set_info = GST_DEBUG_FUNCPTR (gst_nn_capture_set_info);

  GST_DEBUG_CATEGORY_INIT (gst_nn_capture_debug, "nncapture", 0, "libnn example recorder");
}

static void
gst_nn_capture_init (GstNnCapture *self)
{
  self->location = g_strdup (DEFAULT_PROP_LOCATION);
  self->label = g_strdup (DEFAULT_PROP_LABEL);
  self->interval = DEFAULT_PROP_INTERVAL;
  self->count = DEFAULT_PROP_COUNT;
  /* not passthrough: basetransform would skip transform_ip then */
  gst_base_transform_set_in_place (GST_BASE_TRANSFORM (self), TRUE);
}
