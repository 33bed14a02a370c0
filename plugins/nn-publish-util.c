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

/* The object of a frame is a tree of json-glib nodes built once and updated
 * in place: a value changes without an allocation (a string only when it
 * differs from the last frame's), result objects are kept in a pool and
 * put into the "results" array by reference, and the generator walks the
 * same tree every frame. A layout (which members exist, in schema order) is
 * rebuilt only when it changes: width/height appear with video caps,
 * "stable" with smoothing. */

typedef struct {
  JsonNode   *node, *label, *index, *score;
  JsonObject *o;
} TopSlot;

typedef struct {
  JsonNode  *node;      /* the result object */
  JsonObject *o, *box_o; /* the result's and the box's objects (held by node and box) */
  JsonNode  *element, *element_id, *model, *label, *index, *score, *box, *x, *y, *w, *h, *top_node, *stable;
  JsonArray *top;
  GPtrArray *tops;      /* TopSlot, the pool of top-k entries */
  gboolean   has_stable;
} ResultSlot;

struct _NnFrameJson {
  JsonNode      *root;
  JsonObject    *o;     /* the root's object (held by root) */
  JsonNode      *stream, *frame, *pts, *running_time, *width, *height, *results_node;
  JsonArray     *results;
  GPtrArray     *slots; /* ResultSlot, the pool of results */
  gboolean       has_size;
  JsonGenerator *generator;
};

static JsonNode *
null_node (void)
{
  return json_node_init_null (json_node_alloc ());
}

/* `o`[name] = n, the object holding its own reference */
static void
put (JsonObject *o, const char *name, JsonNode *n)
{
  json_object_set_member (o, name, json_node_ref (n));
}

/* Replaces node's object by a new one with `o`'s members (transfer full). */
static void
set_layout (JsonNode *node, JsonObject *o)
{
  json_node_set_object (node, o);
  json_object_unref (o);
}

/* The setters below change a member's value in place; a node that must
 * change type (null <-> a value: a PTS that is missing, a NaN score) is
 * replaced in its object, keeping its place (json-glib cannot retype a
 * node that the object also holds). The member must be in the layout. */
static void
replace (JsonObject *o, const char *name, JsonNode **n, JsonNode *fresh)
{
  json_object_set_member (o, name, json_node_ref (fresh));
  json_node_unref (*n);
  *n = fresh;
}

static gboolean
holds (JsonNode *n, GType t)
{
  return JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == t;
}

static void
set_null (JsonObject *o, const char *name, JsonNode **n)
{
  if (!JSON_NODE_HOLDS_NULL (*n))
    replace (o, name, n, null_node ());
}

/* Invalid UTF-8 (a file name in another encoding) would make a line no JSON
 * parser reads: its bad bytes become U+FFFD. */
static void
set_string (JsonObject *o, const char *name, JsonNode **n, const char *s)
{
  if (!s) {
    set_null (o, name, n);
    return;
  }
  if (holds (*n, G_TYPE_STRING) && g_strcmp0 (json_node_get_string (*n), s) == 0)
    return;
  g_autofree char *valid = g_utf8_validate (s, -1, NULL) ? NULL : g_utf8_make_valid (s, -1);
  if (holds (*n, G_TYPE_STRING))
    json_node_set_string (*n, valid ? valid : s);
  else
    replace (o, name, n, json_node_init_string (json_node_alloc (), valid ? valid : s));
}

static void
set_int (JsonObject *o, const char *name, JsonNode **n, gint64 v)
{
  if (holds (*n, G_TYPE_INT64))
    json_node_set_int (*n, v);
  else
    replace (o, name, n, json_node_init_int (json_node_alloc (), v));
}

/* NaN and infinities are not JSON numbers: null. */
static void
set_number (JsonObject *o, const char *name, JsonNode **n, gdouble v)
{
  if (!isfinite (v))
    set_null (o, name, n);
  else if (holds (*n, G_TYPE_DOUBLE))
    json_node_set_double (*n, v);
  else
    replace (o, name, n, json_node_init_double (json_node_alloc (), v));
}

static void
set_time (JsonObject *o, const char *name, JsonNode **n, GstClockTime t)
{
  if (GST_CLOCK_TIME_IS_VALID (t) && t <= G_MAXINT64)
    set_int (o, name, n, (gint64) t);
  else
    set_null (o, name, n);
}

static TopSlot *
top_slot_new (void)
{
  TopSlot *t = g_new0 (TopSlot, 1);
  t->label = null_node ();
  t->index = null_node ();
  t->score = null_node ();
  t->o = json_object_new ();
  put (t->o, "label", t->label);
  put (t->o, "class-index", t->index);
  put (t->o, "score", t->score);
  t->node = json_node_init_object (json_node_alloc (), t->o);
  json_object_unref (t->o); /* the node holds it */
  return t;
}

static void
top_slot_free (gpointer p)
{
  TopSlot *t = p;
  json_node_unref (t->node);
  json_node_unref (t->label);
  json_node_unref (t->index);
  json_node_unref (t->score);
  g_free (t);
}

static void
result_layout (ResultSlot *r)
{
  JsonObject *o = json_object_new ();
  put (o, "element", r->element);
  put (o, "element-id", r->element_id);
  put (o, "model", r->model);
  put (o, "label", r->label);
  put (o, "class-index", r->index);
  put (o, "score", r->score);
  put (o, "box", r->box);
  put (o, "top-k", r->top_node);
  if (r->has_stable)
    put (o, "stable", r->stable);
  r->o = o;
  set_layout (r->node, o);
}

static ResultSlot *
result_slot_new (void)
{
  ResultSlot *r = g_new0 (ResultSlot, 1);
  JsonNode **values[] = { &r->element, &r->element_id, &r->model, &r->label, &r->index, &r->score, &r->x, &r->y,
                          &r->w, &r->h, &r->stable };
  for (guint i = 0; i < G_N_ELEMENTS (values); i++)
    *values[i] = null_node ();
  r->box_o = json_object_new ();
  put (r->box_o, "x", r->x);
  put (r->box_o, "y", r->y);
  put (r->box_o, "width", r->w);
  put (r->box_o, "height", r->h);
  r->box = json_node_init_object (json_node_alloc (), r->box_o);
  json_object_unref (r->box_o);
  r->top = json_array_new ();
  r->top_node = json_node_init_array (json_node_alloc (), r->top);
  r->tops = g_ptr_array_new_with_free_func (top_slot_free);
  r->node = json_node_init_object (json_node_alloc (), NULL);
  result_layout (r);
  return r;
}

static void
result_slot_free (gpointer p)
{
  ResultSlot *r = p;
  JsonNode *nodes[] = { r->node, r->element, r->element_id, r->model, r->label, r->index, r->score, r->box, r->x,
                        r->y, r->w, r->h, r->top_node, r->stable };
  for (guint i = 0; i < G_N_ELEMENTS (nodes); i++)
    json_node_unref (nodes[i]);
  json_array_unref (r->top);
  g_ptr_array_unref (r->tops);
  g_free (r);
}

/* Empties an array whose elements the pools also hold (nothing is freed). */
static void
clear_array (JsonArray *a)
{
  for (guint i = json_array_get_length (a); i > 0; i--)
    json_array_remove_element (a, i - 1);
}

static void
fill_result (ResultSlot *r, const GstVideoRegionOfInterestMeta *roi, const GstStructure *s)
{
  const char *stable = gst_structure_get_string (s, "stable");
  if (r->has_stable != (stable != NULL)) {
    r->has_stable = stable != NULL;
    result_layout (r);
  }
  JsonObject *o = r->o;
  set_string (o, "element", &r->element, gst_structure_get_string (s, "element"));
  guint id;
  set_int (o, "element-id", &r->element_id, gst_structure_get_uint (s, "element-id", &id) ? id : (guint) roi->id);
  set_string (o, "model", &r->model, gst_structure_get_string (s, "model"));
  set_string (o, "label", &r->label, gst_structure_get_string (s, "label"));
  gint index;
  set_int (o, "class-index", &r->index, gst_structure_get_int (s, "class-index", &index) ? index : -1);
  gdouble score;
  set_number (o, "score", &r->score, gst_structure_get_double (s, "score", &score) ? score : NAN);
  set_int (r->box_o, "x", &r->x, roi->x);
  set_int (r->box_o, "y", &r->y, roi->y);
  set_int (r->box_o, "width", &r->w, roi->w);
  set_int (r->box_o, "height", &r->h, roi->h);
  if (stable)
    set_string (o, "stable", &r->stable, stable);
  clear_array (r->top);
  for (guint i = 0, n = nn_classification_n_top (s); i < n; i++) {
    if (i == r->tops->len)
      g_ptr_array_add (r->tops, top_slot_new ());
    TopSlot *t = g_ptr_array_index (r->tops, i);
    const char *label;
    gint idx;
    gdouble sc;
    nn_classification_get_top (s, i, &label, &idx, &sc);
    set_string (t->o, "label", &t->label, label);
    set_int (t->o, "class-index", &t->index, idx);
    set_number (t->o, "score", &t->score, sc);
    json_array_add_element (r->top, json_node_ref (t->node));
  }
}

static void
root_layout (NnFrameJson *j)
{
  JsonObject *o = json_object_new ();
  put (o, "stream", j->stream);
  put (o, "frame", j->frame);
  put (o, "pts", j->pts);
  put (o, "running-time", j->running_time);
  if (j->has_size) {
    put (o, "width", j->width);
    put (o, "height", j->height);
  }
  put (o, "results", j->results_node);
  j->o = o;
  set_layout (j->root, o);
  /* the generator holds a copy of the root node, which refers to the
   * object: a new object needs a new copy */
  json_generator_set_root (j->generator, j->root);
}

NnFrameJson *
nn_frame_json_new (void)
{
  NnFrameJson *j = g_new0 (NnFrameJson, 1);
  JsonNode **values[] = { &j->stream, &j->frame, &j->pts, &j->running_time, &j->width, &j->height };
  for (guint i = 0; i < G_N_ELEMENTS (values); i++)
    *values[i] = null_node ();
  j->results = json_array_new ();
  j->results_node = json_node_init_array (json_node_alloc (), j->results);
  j->slots = g_ptr_array_new_with_free_func (result_slot_free);
  j->root = json_node_init_object (json_node_alloc (), NULL);
  j->generator = json_generator_new ();
  root_layout (j);
  return j;
}

void
nn_frame_json_free (NnFrameJson *j)
{
  if (!j)
    return;
  g_object_unref (j->generator);
  JsonNode *nodes[] = { j->root, j->stream, j->frame, j->pts, j->running_time, j->width, j->height,
                        j->results_node };
  for (guint i = 0; i < G_N_ELEMENTS (nodes); i++)
    json_node_unref (nodes[i]);
  json_array_unref (j->results);
  g_ptr_array_unref (j->slots);
  g_free (j);
}

guint
nn_frame_json_write (NnFrameJson *j, GString *out, GstBuffer *buf, const char *stream, guint64 frame,
                     GstClockTime running_time, gint width, gint height)
{
  if (j->has_size != (width > 0)) {
    j->has_size = width > 0;
    root_layout (j);
  }
  set_string (j->o, "stream", &j->stream, stream);
  set_int (j->o, "frame", &j->frame, (gint64) frame);
  set_time (j->o, "pts", &j->pts, GST_BUFFER_PTS (buf));
  set_time (j->o, "running-time", &j->running_time, running_time);
  if (width > 0) {
    set_int (j->o, "width", &j->width, width);
    set_int (j->o, "height", &j->height, height);
  }
  clear_array (j->results);
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
    if (n == j->slots->len)
      g_ptr_array_add (j->slots, result_slot_new ());
    ResultSlot *r = g_ptr_array_index (j->slots, n);
    fill_result (r, roi, s);
    json_array_add_element (j->results, json_node_ref (r->node));
    n++;
  }
  json_generator_to_gstring (j->generator, out);
  return n;
}
