/* A list of files classified in shards: the list file, the shard a task
 * runs (--shard i/n or the Slurm array's variables), and the shard files of
 * one JSON line per file that `nn run --list` appends to and
 * `nn merge-report` reads. A shard owns the files whose index in the list is
 * i modulo n, so the split depends on the list alone. */
#include "nn-cli.h"

char **
cli_list_read (const char *path, guint *n, GError **error)
{
  g_autofree char *text = NULL;
  if (!g_file_get_contents (path, &text, NULL, error))
    return NULL;
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  GPtrArray *files = g_ptr_array_new ();
  for (int i = 0; lines[i]; i++) {
    char *l = g_strstrip (lines[i]);
    if (!*l || *l == '#')
      continue;
    /* the path is a JSON string of the report, read back on a rerun */
    if (!g_utf8_validate (l, -1, NULL)) {
      g_ptr_array_free (files, TRUE);
      g_set_error (error, NN_ERROR, NN_ERROR_FORMAT, "%s line %d: the path is not UTF-8 (the report's JSON "
                   "needs it): rename the file", path, i + 1);
      return NULL;
    }
    g_ptr_array_add (files, g_strdup (l));
  }
  if (files->len == 0) {
    g_ptr_array_free (files, TRUE);
    g_set_error (error, NN_ERROR, NN_ERROR_FORMAT, "%s: no file in the list (one path a line)", path);
    return NULL;
  }
  *n = files->len;
  g_ptr_array_add (files, NULL);
  return (char **) g_ptr_array_free (files, FALSE);
}

/* "i/n" with 0 <= i < n, digits only. */
gboolean
cli_shard_parse (const char *text, guint *i, guint *n, GError **error)
{
  g_auto (GStrv) parts = g_strsplit (text, "/", -1);
  guint64 a, b;
  if (g_strv_length (parts) != 2 || !g_ascii_string_to_unsigned (parts[0], 10, 0, G_MAXUINT, &a, NULL) ||
      !g_ascii_string_to_unsigned (parts[1], 10, 1, G_MAXUINT, &b, NULL) || a >= b) {
    g_set_error (error, NN_ERROR, NN_ERROR_INVALID, "shard \"%s\" is not i/n with 0 <= i < n (e.g. 0/4)", text);
    return FALSE;
  }
  *i = (guint) a;
  *n = (guint) b;
  return TRUE;
}

/* A task of `sbatch --array=0-3` has SLURM_ARRAY_TASK_ID 0..3 and
 * SLURM_ARRAY_TASK_COUNT 4. An array of some tasks only (a resubmitted
 * --array=2 has COUNT 1) does not say how many shards there are: refused,
 * --shard says it. */
gboolean
cli_shard_choose (const char *arg, guint *i, guint *n, GError **error)
{
  if (arg)
    return cli_shard_parse (arg, i, n, error);
  const char *id = g_getenv ("SLURM_ARRAY_TASK_ID"), *count = g_getenv ("SLURM_ARRAY_TASK_COUNT");
  if (!id || !count) {
    *i = 0;
    *n = 1;
    return TRUE;
  }
  g_autofree char *text = g_strdup_printf ("%s/%s", id, count);
  if (!cli_shard_parse (text, i, n, NULL)) {
    g_set_error (error, NN_ERROR, NN_ERROR_INVALID, "SLURM_ARRAY_TASK_ID=%s and SLURM_ARRAY_TASK_COUNT=%s are not a "
                 "shard i/n (an array of part of the tasks, such as one resubmitted task?): pass --shard %s/N", id,
                 count, id);
    return FALSE;
  }
  return TRUE;
}

char *
cli_shard_file (const char *dir, guint i, guint n)
{
  g_autofree char *name = g_strdup_printf ("shard-%u-of-%u.jsonl", i, n);
  return g_build_filename (dir, name, NULL);
}

gboolean
cli_shard_file_parse (const char *name, guint *i, guint *n)
{
  unsigned a, b;
  int end = 0;
  if (sscanf (name, "shard-%u-of-%u.jsonl%n", &a, &b, &end) != 2 || name[end] || b == 0 || a >= b)
    return FALSE;
  /* only the name cli_shard_file writes (no "+1", "01", spaces) */
  g_autofree char *canon = g_strdup_printf ("shard-%u-of-%u.jsonl", a, b);
  if (!g_str_equal (canon, name))
    return FALSE;
  *i = a;
  *n = b;
  return TRUE;
}

void
cli_shard_line_free (CliShardLine *l)
{
  if (!l)
    return;
  g_free (l->text);
  if (l->node)
    json_node_unref (l->node);
  g_free (l);
}

static gboolean
member_is (JsonObject *o, const char *name, JsonNodeType type, GType value_type)
{
  JsonNode *n = json_object_get_member (o, name);
  return n && JSON_NODE_TYPE (n) == type && (type != JSON_NODE_VALUE || json_node_get_value_type (n) == value_type);
}

/* What a reader of the report may take for granted: labels are strings,
 * probabilities numbers, clips arrays. */
static gboolean
well_typed (JsonObject *o)
{
  if (json_object_has_member (o, "error"))
    return member_is (o, "error", JSON_NODE_VALUE, G_TYPE_STRING) && !json_object_has_member (o, "verdict");
  if (!member_is (o, "verdict", JSON_NODE_VALUE, G_TYPE_STRING))
    return FALSE;
  if (json_object_has_member (o, "labels")) {
    if (!member_is (o, "labels", JSON_NODE_ARRAY, 0))
      return FALSE;
    JsonArray *a = json_object_get_array_member (o, "labels");
    for (guint i = 0; i < json_array_get_length (a); i++)
      if (json_node_get_value_type (json_array_get_element (a, i)) != G_TYPE_STRING)
        return FALSE;
  }
  if (json_object_has_member (o, "probabilities")) {
    if (!member_is (o, "probabilities", JSON_NODE_ARRAY, 0))
      return FALSE;
    JsonArray *a = json_object_get_array_member (o, "probabilities");
    for (guint i = 0; i < json_array_get_length (a); i++) {
      JsonNode *n = json_array_get_element (a, i);
      /* null is a NaN the classifier gave (json-out.c) */
      if (!JSON_NODE_HOLDS_NULL (n) && json_node_get_value_type (n) != G_TYPE_DOUBLE &&
          json_node_get_value_type (n) != G_TYPE_INT64)
        return FALSE;
    }
  }
  return !json_object_has_member (o, "clips") || member_is (o, "clips", JSON_NODE_ARRAY, 0);
}

/* One line: an object with the index and path of a file of this shard,
 * and either "error" or "verdict". */
static CliShardLine *
parse_line (const char *text, char **list, guint n_list, guint shard, guint n_shards, GError **error)
{
  g_autoptr (JsonParser) p = json_parser_new ();
  if (!json_parser_load_from_data (p, text, -1, error))
    return NULL;
  JsonNode *root = json_parser_get_root (p);
  JsonObject *o = root && JSON_NODE_HOLDS_OBJECT (root) ? json_node_get_object (root) : NULL;
  JsonNode *idx = o ? json_object_get_member (o, "index") : NULL;
  JsonNode *path = o ? json_object_get_member (o, "path") : NULL;
  if (!idx || json_node_get_value_type (idx) != G_TYPE_INT64 || !path ||
      json_node_get_value_type (path) != G_TYPE_STRING ||
      !well_typed (o)) {
    g_set_error (error, NN_ERROR, NN_ERROR_FORMAT, "not a result line (an object with index, path, and either "
                 "error or verdict, labels, probabilities, clips)");
    return NULL;
  }
  gint64 k = json_node_get_int (idx);
  if (k < 0 || k >= n_list || !g_str_equal (json_node_get_string (path), list[k])) {
    g_set_error (error, NN_ERROR, NN_ERROR_FORMAT, "index %" G_GINT64_FORMAT " \"%s\" is not that line of the "
                 "list (written for another list?)", k, json_node_get_string (path));
    return NULL;
  }
  if (k % n_shards != shard) {
    g_set_error (error, NN_ERROR, NN_ERROR_FORMAT, "index %" G_GINT64_FORMAT " does not belong to shard %u/%u",
                 k, shard, n_shards);
    return NULL;
  }
  CliShardLine *l = g_new0 (CliShardLine, 1);
  l->index = (guint) k;
  l->text = g_strdup (text);
  l->node = json_node_ref (root);
  l->object = o;
  return l;
}

gboolean
cli_shard_read (const char *file, char **list, guint n_list, guint shard, guint n_shards, GHashTable *done,
                gsize *complete, gboolean *exists, GError **error)
{
  g_autofree char *text = NULL;
  gsize len = 0;
  g_autoptr (GError) e = NULL;
  *complete = 0;
  *exists = g_file_get_contents (file, &text, &len, &e);
  if (!*exists) {
    if (g_error_matches (e, G_FILE_ERROR, G_FILE_ERROR_NOENT))
      return TRUE;
    g_propagate_error (error, g_steal_pointer (&e));
    return FALSE;
  }
  int line = 0;
  for (gsize at = 0; at < len; line++) {
    const char *nl = memchr (text + at, '\n', len - at);
    if (!nl)
      break; /* a half-written last line: not complete */
    g_autofree char *one = g_strndup (text + at, nl - (text + at));
    if (strlen (one) != (gsize) (nl - (text + at))) {
      g_set_error (error, NN_ERROR, NN_ERROR_FORMAT, "%s line %d: a NUL byte", file, line + 1);
      return FALSE;
    }
    CliShardLine *l = parse_line (one, list, n_list, shard, n_shards, &e);
    if (!l) {
      g_set_error (error, NN_ERROR, NN_ERROR_FORMAT, "%s line %d: %s", file, line + 1, e->message);
      return FALSE;
    }
    if (g_hash_table_contains (done, GUINT_TO_POINTER (l->index))) {
      g_set_error (error, NN_ERROR, NN_ERROR_FORMAT, "%s line %d: index %u (%s) is there twice", file, line + 1,
                   l->index, list[l->index]);
      cli_shard_line_free (l);
      return FALSE;
    }
    g_hash_table_insert (done, GUINT_TO_POINTER (l->index), l);
    at = nl - text + 1;
    *complete = at;
  }
  return TRUE;
}

GHashTable *
cli_shard_table_new (void)
{
  return g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, (GDestroyNotify) cli_shard_line_free);
}
