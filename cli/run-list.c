/* nn run PIPELINE --list FILES --output DIR [--shard i/n]: classify a list of
 * videos, or the shard of it one task of a job array owns. The pipeline
 * runs once per file with INPUT set to it, and its nnvideoclassify's
 * end-of-stream verdict with the per-clip scores (clip-messages) becomes
 * one JSON line of DIR/shard-I-of-N.jsonl, written and fsync'ed before the
 * next file starts. A file the pipeline cannot read (missing, corrupt) is a
 * line with its error, not a failed task; the task fails only for what
 * would fail every file (the pipeline, the model, the output folder).
 *
 * A rerun reads the lines there first and skips their files, so a killed
 * task loses at most the file it was on and repeats none; a half-written
 * last line (killed mid-write) is cut off and its file redone. The shard
 * file is locked while a task writes it: the same shard running twice
 * (a resubmission while the first still runs) stops with an error rather
 * than writing a file twice. */
#include "nn-cli.h"
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/* The path as one gst-launch value: in double quotes, with " and \ escaped,
 * so that spaces and '!' in a file name stay part of it. */
static char *
quoted (const char *path)
{
  GString *s = g_string_new ("\"");
  for (const char *p = path; *p; p++) {
    if (*p == '"' || *p == '\\')
      g_string_append_c (s, '\\');
    g_string_append_c (s, *p);
  }
  g_string_append_c (s, '"');
  return g_string_free (s, FALSE);
}

static GstElement *
find_video_classify (GstElement *pipeline)
{
  if (!GST_IS_BIN (pipeline))
    return NULL;
  GstIterator *it = gst_bin_iterate_recurse (GST_BIN (pipeline));
  GValue item = G_VALUE_INIT;
  GstElement *found = NULL;
  while (!found && gst_iterator_next (it, &item) == GST_ITERATOR_OK) {
    GstElement *el = g_value_get_object (&item);
    GstElementFactory *f = gst_element_get_factory (el);
    if (f && g_str_equal (GST_OBJECT_NAME (f), "nnvideoclassify"))
      found = gst_object_ref (el);
    g_value_reset (&item);
  }
  g_value_unset (&item);
  gst_iterator_free (it);
  return found;
}

typedef struct {
  GArray             *clips;   /* one JSON-ready copy per clip: GValue arrays */
  GstStructure       *final;   /* the end-of-stream summary */
  char               *error;   /* the file's error (a line of the report) */
  GError             *fatal;   /* an error that every file would meet */
} Outcome;

static void
clear_value (gpointer v)
{
  g_value_unset (v);
}

/* Runs the pipeline description (INPUT already in it) to its end, or until
 * it makes no progress (no message, the position still) for `stall`
 * seconds: decodebin drops the error of a demuxer that fails while it is
 * being tried (seen with a truncated MP4 in GStreamer 1.22), and the
 * pipeline then waits forever for a preroll that never comes. */
static void
classify (const char *pipeline_file, const char *desc, guint stall, Outcome *o)
{
  g_autoptr (GError) e = NULL;
  GstElement *p = gst_parse_launch (desc, &e);
  if (!p || e) {
    g_set_error (&o->fatal, NN_ERROR, NN_ERROR_INVALID, "%s: %s", pipeline_file,
                 e ? e->message : "could not build the pipeline");
    g_clear_object (&p);
    return;
  }
  GstElement *vc = find_video_classify (p);
  if (!vc) {
    g_set_error (&o->fatal, NN_ERROR, NN_ERROR_INVALID, "%s: --list needs a pipeline with an nnvideoclassify "
                 "element (its end-of-stream verdict is a file's line)", pipeline_file);
    gst_object_unref (p);
    return;
  }
  g_object_set (vc, "clip-messages", TRUE, NULL);
  GstBus *bus = gst_element_get_bus (p);
  gboolean started = gst_element_set_state (p, GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE;
  gint64 last_progress = g_get_monotonic_time (), last_pos = -1;
  for (gboolean done = FALSE; !done;) {
    /* after a failed start the error is already on the bus */
    GstMessage *m = gst_bus_timed_pop_filtered (bus, GST_SECOND, GST_MESSAGE_ERROR | GST_MESSAGE_EOS |
                                                GST_MESSAGE_ELEMENT | GST_MESSAGE_STATE_CHANGED);
    if (!m && !started) {
      o->error = g_strdup ("the pipeline could not start");
      break;
    }
    gint64 now = g_get_monotonic_time (), pos = -1;
    if (m || (gst_element_query_position (p, GST_FORMAT_TIME, &pos) && pos != last_pos)) {
      last_progress = now;
      last_pos = pos >= 0 ? pos : last_pos;
    } else if (stall && now - last_progress > (gint64) stall * G_USEC_PER_SEC) {
      o->error = g_strdup_printf ("no progress for %u s (a damaged file whose error was lost?)", stall);
      break;
    }
    if (!m)
      continue;
    const GstStructure *st = gst_message_get_structure (m);
    switch (GST_MESSAGE_TYPE (m)) {
    case GST_MESSAGE_ERROR: {
      g_autoptr (GError) err = NULL;
      gst_message_parse_error (m, &err, NULL);
      /* the factory's name: an instance name (qtdemux3) counts the files
       * before it, and the report must not depend on how a list was split */
      GstObject *from = GST_MESSAGE_SRC (m);
      GstElementFactory *f = GST_IS_ELEMENT (from) ? gst_element_get_factory (GST_ELEMENT (from)) : NULL;
      const char *src = f ? GST_OBJECT_NAME (f) : GST_OBJECT_NAME (from);
      /* the classifier's own errors (model, shapes) are not the file's */
      if (GST_MESSAGE_SRC (m) == GST_OBJECT (vc))
        g_set_error (&o->fatal, NN_ERROR, NN_ERROR_INVALID, "%s: %s", src, err->message);
      else
        o->error = g_strdup_printf ("%s: %s", src, err->message);
      done = TRUE;
      break;
    }
    case GST_MESSAGE_EOS:
      done = TRUE;
      break;
    case GST_MESSAGE_ELEMENT:
      if (GST_MESSAGE_SRC (m) != GST_OBJECT (vc) || !st)
        break;
      if (gst_structure_has_name (st, "nn-video-clip")) {
        GValue copy = G_VALUE_INIT;
        g_value_init (&copy, GST_TYPE_ARRAY);
        g_value_copy (gst_structure_get_value (st, "probabilities"), &copy);
        g_array_append_val (o->clips, copy);
      } else if (gst_structure_has_name (st, "nn-video-classification")) {
        gboolean final = FALSE;
        if (gst_structure_get_boolean (st, "final", &final) && final && !o->final)
          o->final = gst_structure_copy (st);
      }
      break;
    default:
      break;
    }
    gst_message_unref (m);
  }
  if (!o->fatal && !o->error && !o->final)
    o->error = g_strdup ("the stream ended with no verdict from nnvideoclassify");
  gst_element_set_state (p, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (vc);
  gst_object_unref (p);
}

static void
member_field (JsonBuilder *b, const GstStructure *s, const char *name)
{
  const GValue *v = gst_structure_get_value (s, name);
  if (!v)
    return;
  json_builder_set_member_name (b, name);
  cli_json_add_gvalue (b, v);
}

/* {"index", "path", then "error", or "verdict", "complete", "label",
 * "score", "labels", "probabilities" (the video), "clips" (per clip, in the
 * labels' order), "samples", "frames"} */
static char *
result_line (guint index, const char *path, const Outcome *o)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  json_builder_begin_object (b);
  cli_json_member_int (b, "index", index);
  cli_json_member_string (b, "path", path);
  if (o->error) {
    cli_json_member_string (b, "error", o->error);
  } else {
    const GstStructure *s = o->final;
    cli_json_member_string (b, "verdict", gst_structure_get_string (s, "verdict"));
    for (const char *const *f = (const char *const[]) { "complete", "label", "score", "labels", "probabilities",
                                                        NULL }; *f; f++)
      member_field (b, s, *f);
    json_builder_set_member_name (b, "clips");
    json_builder_begin_array (b);
    for (guint i = 0; i < o->clips->len; i++)
      cli_json_add_gvalue (b, &g_array_index (o->clips, GValue, i));
    json_builder_end_array (b);
    member_field (b, s, "samples");
    member_field (b, s, "frames");
  }
  json_builder_end_object (b);
  return cli_json_to_line (b);
}

static gboolean
write_all (int fd, const char *file, const char *text, GError **error)
{
  for (gsize n = strlen (text); n;) {
    ssize_t w = write (fd, text, n);
    if (w < 0 && errno == EINTR)
      continue;
    if (w < 0) {
      int err = errno;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (err), "%s: cannot write: %s", file,
                   g_strerror (err));
      return FALSE;
    }
    text += w;
    n -= (gsize) w;
  }
  /* on disk before the next file starts: a task killed later keeps it */
  if (fsync (fd) != 0) {
    int err = errno;
    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (err), "%s: fsync: %s", file, g_strerror (err));
    return FALSE;
  }
  return TRUE;
}

/* The shard file opened for appending and locked, its complete lines in
 * done and a half-written tail cut off; -1 on error. */
static int
open_shard (const char *file, char **list, guint n_list, guint shard, guint n_shards, GHashTable *done,
            GError **error)
{
  int fd = open (file, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) {
    int err = errno;
    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (err), "%s: cannot open: %s", file, g_strerror (err));
    return -1;
  }
  /* the file's entry in its folder outlives a crash of the node, as its lines do */
  g_autofree char *dir = g_path_get_dirname (file);
  int dfd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    fsync (dfd);
    close (dfd);
  }
  if (flock (fd, LOCK_EX | LOCK_NB) != 0) {
    int err = errno;
    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (err), "%s: %s", file,
                 err == EWOULDBLOCK ? "another task is writing it (is shard running twice?)" : g_strerror (err));
    close (fd);
    return -1;
  }
  gsize complete = 0;
  gboolean exists = FALSE;
  struct stat st;
  if (!cli_shard_read (file, list, n_list, shard, n_shards, done, &complete, &exists, error) || fstat (fd, &st) != 0) {
    if (error && !*error)
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno), "%s: %s", file, g_strerror (errno));
    close (fd);
    return -1;
  }
  if ((gsize) st.st_size > complete) {
    fprintf (stderr, "nn run: %s: the last line is half-written (a task killed while writing it): it is dropped and "
             "its file classified again\n", file);
    if (ftruncate (fd, (off_t) complete) != 0 || fsync (fd) != 0) {
      int err = errno;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (err), "%s: cannot cut the half-written line: %s",
                   file, g_strerror (err));
      close (fd);
      return -1;
    }
  }
  return fd;
}

int
cli_run_list (const char *pipeline, const char *flat, GHashTable *vars, const char *list_file, const char *out_dir,
              const char *shard_arg, guint stall)
{
  g_autoptr (GError) e = NULL;
  guint n_list = 0, shard = 0, n_shards = 1;
  g_auto (GStrv) list = cli_list_read (list_file, &n_list, &e);
  if (!list)
    return cli_fail ("run", e);
  if (!cli_shard_choose (shard_arg, &shard, &n_shards, &e))
    return cli_fail ("run", e);
  if (g_mkdir_with_parents (out_dir, 0755) != 0) {
    int err = errno;
    fprintf (stderr, "nn run: %s: cannot create the folder: %s\n", out_dir, g_strerror (err));
    return 1;
  }
  g_autofree char *file = cli_shard_file (out_dir, shard, n_shards);
  g_autoptr (GHashTable) done = cli_shard_table_new ();
  int fd = open_shard (file, list, n_list, shard, n_shards, done, &e);
  if (fd < 0)
    return cli_fail ("run", e);
  guint mine = n_list > shard ? (n_list - shard + n_shards - 1) / n_shards : 0;
  fprintf (stderr, "nn run: shard %u/%u: %u files, %u already in %s\n", shard, n_shards, mine,
           g_hash_table_size (done), file);

  g_autoptr (GHashTable) run_vars = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
  GHashTableIter it;
  gpointer k, v;
  g_hash_table_iter_init (&it, vars);
  while (g_hash_table_iter_next (&it, &k, &v))
    g_hash_table_insert (run_vars, k, g_strdup (v));
  int status = 0;
  guint ran = 0, failed = 0;
  for (guint i = shard; i < n_list && status == 0; i += n_shards) {
    if (g_hash_table_contains (done, GUINT_TO_POINTER (i)))
      continue;
    g_hash_table_insert (run_vars, "INPUT", quoted (list[i]));
    g_autofree char *desc = cli_run_substitute (flat, run_vars, &e);
    if (!desc) {
      fprintf (stderr, "nn run: %s: %s\n", pipeline, e->message);
      status = EXIT_USAGE;
      break;
    }
    Outcome o = { .clips = g_array_new (FALSE, TRUE, sizeof (GValue)) };
    g_array_set_clear_func (o.clips, clear_value);
    classify (pipeline, desc, stall, &o);
    if (o.fatal) {
      fprintf (stderr, "nn run: %s: %s\n", list[i], o.fatal->message);
      status = 1;
    } else {
      g_autofree char *line = result_line (i, list[i], &o);
      if (!write_all (fd, file, line, &e)) {
        status = cli_fail ("run", e);
      } else {
        ran++;
        failed += o.error != NULL;
        fprintf (stderr, "nn run: [%u] %s: %s\n", i, list[i],
                 o.error ? o.error : *gst_structure_get_string (o.final, "verdict") ?
                 gst_structure_get_string (o.final, "verdict") : "no verdict (shorter than a clip)");
      }
    }
    g_clear_error (&o.fatal);
    g_free (o.error);
    if (o.final)
      gst_structure_free (o.final);
    g_array_unref (o.clips);
  }
  if (close (fd) != 0 && status == 0) {
    fprintf (stderr, "nn run: %s: %s\n", file, g_strerror (errno));
    status = 1;
  }
  if (status == 0)
    fprintf (stderr, "nn run: shard %u/%u done: %u classified now (%u of them errors), %u before\n", shard, n_shards,
             ran, failed, g_hash_table_size (done));
  return status;
}
