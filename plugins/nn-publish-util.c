/* What nnpublish does besides being an element: see nn-publish-util.h. */
#include "nn-publish-util.h"

#include <errno.h>
#include <math.h>

#include <glib/gstdio.h>
#include <gst/video/video.h>

#include "nn-classification-meta.h"

/* ---- shared files ------------------------------------------------------------ */

struct _NnSharedFile {
  char  *key;   /* the canonical path, or "-" */
  FILE  *file;
  GMutex lock;  /* a line and its flush */
  guint  refs;  /* under shared_files_lock */
};

static GMutex shared_files_lock;
static GHashTable *shared_files; /* key -> NnSharedFile, for the process's life */

NnSharedFile *
nn_shared_file_open (const char *location)
{
  g_autofree char *key = g_str_equal (location, "-") ? g_strdup ("-") : g_canonicalize_filename (location, NULL);
  g_mutex_lock (&shared_files_lock);
  if (!shared_files)
    shared_files = g_hash_table_new (g_str_hash, g_str_equal);
  NnSharedFile *sf = g_hash_table_lookup (shared_files, key);
  if (!sf) {
    FILE *f = g_str_equal (key, "-") ? stdout : g_fopen (location, "w");
    if (!f) {
      int err = errno;
      g_mutex_unlock (&shared_files_lock);
      errno = err;
      return NULL;
    }
    sf = g_new0 (NnSharedFile, 1);
    sf->key = g_steal_pointer (&key);
    sf->file = f;
    g_mutex_init (&sf->lock);
    g_hash_table_insert (shared_files, sf->key, sf);
  }
  sf->refs++;
  g_mutex_unlock (&shared_files_lock);
  return sf;
}

void
nn_shared_file_close (NnSharedFile *sf)
{
  g_mutex_lock (&shared_files_lock);
  if (--sf->refs == 0) {
    g_hash_table_remove (shared_files, sf->key);
    if (sf->file != stdout)
      fclose (sf->file);
    g_mutex_clear (&sf->lock);
    g_free (sf->key);
    g_free (sf);
  }
  g_mutex_unlock (&shared_files_lock);
}

gboolean
nn_shared_file_write (NnSharedFile *sf, const char *line, gsize len)
{
  g_mutex_lock (&sf->lock);
  gboolean ok = fwrite (line, 1, len, sf->file) == len && fflush (sf->file) == 0;
  int err = errno;
  g_mutex_unlock (&sf->lock);
  errno = err;
  return ok;
}

/* ---- the stream's name ------------------------------------------------------- */

static char *
source_property (GstElement *el)
{
  static const char *const names[] = { "uri", "location", "device" };
  for (guint i = 0; i < G_N_ELEMENTS (names); i++) {
    GParamSpec *p = g_object_class_find_property (G_OBJECT_GET_CLASS (el), names[i]);
    if (!p || p->value_type != G_TYPE_STRING || !(p->flags & G_PARAM_READABLE))
      continue;
    char *v = NULL;
    g_object_get (el, names[i], &v, NULL);
    if (v && *v)
      return v;
    g_free (v);
  }
  return NULL;
}

/* The first pad of the other direction that `pad` leads through (a ghost
 * pad's internal pad, an element's sink pad for its source pad). */
static GstPad *
first_internal_link (GstPad *pad)
{
  GstIterator *it = gst_pad_iterate_internal_links (pad);
  if (!it)
    return NULL;
  GstPad *out = NULL;
  GValue v = G_VALUE_INIT;
  for (gboolean done = FALSE; !done;) {
    switch (gst_iterator_next (it, &v)) {
    case GST_ITERATOR_OK:
      out = g_value_dup_object (&v);
      g_value_reset (&v);
      done = TRUE;
      break;
    case GST_ITERATOR_RESYNC:
      gst_iterator_resync (it);
      break;
    default:
      done = TRUE;
      break;
    }
  }
  g_value_unset (&v);
  gst_iterator_free (it);
  return out;
}

/* For an element that picks one of several inputs (concat, input-selector):
 * the sink pad it takes frames from now. */
static GstPad *
active_pad (GstPad *srcpad)
{
  GstElement *el = gst_pad_get_parent_element (srcpad);
  if (!el)
    return NULL;
  GstPad *active = NULL;
  GParamSpec *p = g_object_class_find_property (G_OBJECT_GET_CLASS (el), "active-pad");
  if (p && g_type_is_a (p->value_type, GST_TYPE_PAD) && (p->flags & G_PARAM_READABLE))
    g_object_get (el, "active-pad", &active, NULL);
  gst_object_unref (el);
  return active;
}

char *
nn_upstream_stream_name (GstPad *sinkpad)
{
  GstPad *pad = gst_object_ref (sinkpad);
  char *found = NULL, *last = NULL;
  /* bounded: a pipeline deeper than this is not one a person wrote */
  for (int hop = 0; hop < 256 && pad && !found; hop++) {
    GstPad *peer = gst_pad_get_peer (pad);
    gst_object_unref (pad);
    pad = NULL;
    if (!peer)
      break;
    GstElement *el = gst_pad_get_parent_element (peer); /* NULL for a ghost pad's internal pad */
    if (el) {
      found = source_property (el);
      g_free (last);
      last = gst_object_get_name (GST_OBJECT (el));
      gst_object_unref (el);
    }
    if (!found)
      pad = active_pad (peer);
    if (!found && !pad)
      pad = first_internal_link (peer);
    gst_object_unref (peer);
  }
  if (pad)
    gst_object_unref (pad);
  if (found) {
    g_free (last);
    return found;
  }
  return last;
}

/* ---- JSON ---------------------------------------------------------------------- */

/* Invalid UTF-8 (a file name in another encoding) would make a line no JSON
 * parser reads: its bad bytes become U+FFFD. */
static void
add_string (JsonBuilder *b, const char *name, const char *s)
{
  json_builder_set_member_name (b, name);
  if (!s) {
    json_builder_add_null_value (b);
  } else if (g_utf8_validate (s, -1, NULL)) {
    json_builder_add_string_value (b, s);
  } else {
    g_autofree char *valid = g_utf8_make_valid (s, -1);
    json_builder_add_string_value (b, valid);
  }
}

/* NaN and infinities are not JSON numbers: null. */
static void
add_number (JsonBuilder *b, const char *name, gdouble v)
{
  json_builder_set_member_name (b, name);
  if (isfinite (v))
    json_builder_add_double_value (b, v);
  else
    json_builder_add_null_value (b);
}

static void
add_int (JsonBuilder *b, const char *name, gint64 v)
{
  json_builder_set_member_name (b, name);
  json_builder_add_int_value (b, v);
}

static void
add_time (JsonBuilder *b, const char *name, GstClockTime t)
{
  json_builder_set_member_name (b, name);
  if (GST_CLOCK_TIME_IS_VALID (t) && t <= G_MAXINT64)
    json_builder_add_int_value (b, (gint64) t);
  else
    json_builder_add_null_value (b);
}

static void
add_result (JsonBuilder *b, const GstVideoRegionOfInterestMeta *roi, const GstStructure *s)
{
  json_builder_begin_object (b);
  add_string (b, "element", gst_structure_get_string (s, "element"));
  guint id;
  add_int (b, "element-id", gst_structure_get_uint (s, "element-id", &id) ? id : (guint) roi->id);
  add_string (b, "model", gst_structure_get_string (s, "model"));
  add_string (b, "label", gst_structure_get_string (s, "label"));
  gint index;
  add_int (b, "class-index", gst_structure_get_int (s, "class-index", &index) ? index : -1);
  gdouble score;
  add_number (b, "score", gst_structure_get_double (s, "score", &score) ? score : NAN);
  json_builder_set_member_name (b, "box");
  json_builder_begin_object (b);
  add_int (b, "x", roi->x);
  add_int (b, "y", roi->y);
  add_int (b, "width", roi->w);
  add_int (b, "height", roi->h);
  json_builder_end_object (b);
  json_builder_set_member_name (b, "top-k");
  json_builder_begin_array (b);
  for (guint i = 0, n = nn_classification_n_top (s); i < n; i++) {
    const char *label;
    gint idx;
    gdouble sc;
    nn_classification_get_top (s, i, &label, &idx, &sc);
    json_builder_begin_object (b);
    add_string (b, "label", label);
    add_int (b, "class-index", idx);
    add_number (b, "score", sc);
    json_builder_end_object (b);
  }
  json_builder_end_array (b);
  const char *stable = gst_structure_get_string (s, "stable");
  if (stable)
    add_string (b, "stable", stable);
  json_builder_end_object (b);
}

guint
nn_frame_json (JsonBuilder *b, GstBuffer *buf, const char *stream, guint64 frame, GstClockTime running_time,
               gint width, gint height)
{
  json_builder_reset (b);
  json_builder_begin_object (b);
  add_string (b, "stream", stream);
  add_int (b, "frame", (gint64) frame);
  add_time (b, "pts", GST_BUFFER_PTS (buf));
  add_time (b, "running-time", running_time);
  if (width > 0) {
    add_int (b, "width", width);
    add_int (b, "height", height);
  }
  json_builder_set_member_name (b, "results");
  json_builder_begin_array (b);
  guint n = 0;
  gpointer state = NULL;
  GstMeta *m;
  GQuark type = g_quark_from_static_string (NN_CLASSIFICATION_NAME);
  while ((m = gst_buffer_iterate_meta_filtered (buf, &state, GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE))) {
    GstVideoRegionOfInterestMeta *roi = (GstVideoRegionOfInterestMeta *) m;
    const GstStructure *s = roi->roi_type == type ?
                            gst_video_region_of_interest_meta_get_param (roi, NN_CLASSIFICATION_NAME) : NULL;
    if (!s)
      continue;
    add_result (b, roi, s);
    n++;
  }
  json_builder_end_array (b);
  json_builder_end_object (b);
  return n;
}
