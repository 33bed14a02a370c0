/* nn merge-report: the shard files of `nn run --list` (DIR/shard-I-of-N.jsonl)
 * into one report in the list's order: the lines as the tasks wrote them
 * (JSON lines) and a table (CSV). It refuses an incomplete set (a file of
 * the list in no shard, a shard whose last line is half-written: a task
 * that did not finish), shards of two different splits, and lines of
 * another list, so a report is never silently short. Both outputs are
 * written to a temporary name and renamed. */
#include "nn-cli.h"

/* Every shard file in dir, all of one split n. */
static GPtrArray *
shard_files (const char *dir, guint *n, GError **error)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, error);
  if (!d)
    return NULL;
  GPtrArray *files = g_ptr_array_new_with_free_func (g_free);
  *n = 0;
  for (const char *name; (name = g_dir_read_name (d));) {
    guint i, m;
    if (!cli_shard_file_parse (name, &i, &m))
      continue;
    if (*n && m != *n) {
      g_set_error (error, NN_ERROR, NN_ERROR_INVALID, "%s holds shards of %u and of %u tasks (two runs with "
                   "different splits?): keep one split's files", dir, *n, m);
      g_ptr_array_free (files, TRUE);
      return NULL;
    }
    *n = m;
    g_ptr_array_add (files, g_strdup (name));
  }
  if (files->len == 0) {
    g_set_error (error, NN_ERROR, NN_ERROR_INVALID, "%s: no shard-I-of-N.jsonl file (did the tasks of nn run "
                 "--list run?)", dir);
    g_ptr_array_free (files, TRUE);
    return NULL;
  }
  return files;
}

static void
csv_number (GString *row, JsonNode *n)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  if (n && JSON_NODE_HOLDS_VALUE (n))
    g_string_append (row, g_ascii_dtostr (buf, sizeof buf, json_node_get_double (n)));
}

/* CSV: index,path,verdict,error,clips then one probability column per
 * label (the labels of the first classified file; every file must have
 * the same). */
static void
csv_header (GString *csv, JsonArray *labels)
{
  g_string_append (csv, "index,path,verdict,error,clips");
  for (guint i = 0; labels && i < json_array_get_length (labels); i++) {
    g_string_append_c (csv, ',');
    cli_csv_append_field (csv, json_array_get_string_element (labels, i));
  }
  g_string_append_c (csv, '\n');
}

static gboolean
csv_row (GString *csv, JsonArray *labels, const CliShardLine *l, const char *where, GError **error)
{
  JsonObject *o = l->object;
  JsonArray *lab = json_object_has_member (o, "labels") ? json_object_get_array_member (o, "labels") : NULL;
  JsonArray *probs = json_object_has_member (o, "probabilities") ? json_object_get_array_member (o, "probabilities")
                                                                 : NULL;
  if (lab && probs && json_array_get_length (lab) != json_array_get_length (probs)) {
    g_set_error (error, NN_ERROR, NN_ERROR_FORMAT, "%s: %u labels, %u probabilities", where,
                 json_array_get_length (lab), json_array_get_length (probs));
    return FALSE;
  }
  if (lab) {
    gboolean same = json_array_get_length (lab) == json_array_get_length (labels);
    for (guint i = 0; same && i < json_array_get_length (lab); i++)
      same = !g_strcmp0 (json_array_get_string_element (lab, i), json_array_get_string_element (labels, i));
    if (!same) {
      g_set_error (error, NN_ERROR, NN_ERROR_FORMAT, "%s: its labels differ from the first file's (shards of two "
                   "models?)", where);
      return FALSE;
    }
  }
  g_string_append_printf (csv, "%u,", l->index);
  cli_csv_append_field (csv, json_object_get_string_member (o, "path"));
  g_string_append_c (csv, ',');
  cli_csv_append_field (csv, json_object_get_string_member_with_default (o, "verdict", NULL));
  g_string_append_c (csv, ',');
  cli_csv_append_field (csv, json_object_get_string_member_with_default (o, "error", NULL));
  g_string_append_c (csv, ',');
  if (json_object_has_member (o, "clips"))
    g_string_append_printf (csv, "%u", json_array_get_length (json_object_get_array_member (o, "clips")));
  guint n_labels = labels ? json_array_get_length (labels) : 0;
  for (guint i = 0; i < n_labels; i++) {
    g_string_append_c (csv, ',');
    if (probs)
      csv_number (csv, json_array_get_element (probs, i));
  }
  g_string_append_c (csv, '\n');
  return TRUE;
}

int
cmd_merge_report (int argc, char **argv)
{
  g_autofree char *jsonl = NULL, *csv_file = NULL;
  GOptionEntry entries[] = {
    { "jsonl", 'j', 0, G_OPTION_ARG_FILENAME, &jsonl, "Write the report as JSON lines (one per file of the list, in "
      "its order, as the tasks wrote them)", "FILE" },
    { "csv", 'c', 0, G_OPTION_ARG_FILENAME, &csv_file, "Write the report as CSV: index, path, verdict, error, "
      "clips, then one probability column per label", "FILE" },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("LIST DIR - merge the shards of nn run --list into one "
                                                         "report");
  g_option_context_set_description (ctx, "LIST is the file list given to nn run --list, DIR its --output folder. "
                                         "Exit status 1, and nothing written, when a file of the list is in no "
                                         "shard (a task that has not finished or failed).\n");
  g_option_context_add_main_entries (ctx, entries, NULL);
  int status = 0;
  if (!cli_parse (ctx, &argc, &argv, &status))
    return status;
  if (argc != 3)
    return cli_usage ("merge-report", "expected LIST DIR");
  if (!jsonl && !csv_file)
    return cli_usage ("merge-report", "nothing to write: give --jsonl FILE and/or --csv FILE");

  g_autoptr (GError) e = NULL;
  guint n_list = 0, n_shards = 0;
  g_auto (GStrv) list = cli_list_read (argv[1], &n_list, &e);
  if (!list)
    return cli_fail ("merge-report", e);
  g_autoptr (GPtrArray) files = shard_files (argv[2], &n_shards, &e);
  if (!files)
    return cli_fail ("merge-report", e);
  g_autoptr (GHashTable) lines = cli_shard_table_new ();
  for (guint f = 0; f < files->len; f++) {
    guint i, n;
    cli_shard_file_parse (files->pdata[f], &i, &n);
    g_autofree char *path = g_build_filename (argv[2], files->pdata[f], NULL);
    gsize complete = 0;
    gboolean exists = FALSE;
    g_autofree char *text = NULL;
    gsize len = 0;
    if (!cli_shard_read (path, list, n_list, i, n, lines, &complete, &exists, &e) ||
        !g_file_get_contents (path, &text, &len, &e))
      return cli_fail ("merge-report", e);
    if (complete < len) {
      fprintf (stderr, "nn merge-report: %s: the last line is half-written (its task was killed): rerun shard "
               "%u/%u\n", path, i, n);
      return 1;
    }
  }
  guint missing = 0;
  for (guint i = 0; i < n_list; i++) {
    if (g_hash_table_contains (lines, GUINT_TO_POINTER (i)))
      continue;
    if (++missing <= 10)
      fprintf (stderr, "nn merge-report: missing: %s (index %u, shard %u/%u)\n", list[i], i, i % n_shards,
               n_shards);
  }
  if (missing) {
    fprintf (stderr, "nn merge-report: %u of %u files are in no shard of %s (a task that has not finished, or "
             "failed): rerun those shards; nothing written\n", missing, n_list, argv[2]);
    return 1;
  }

  g_autoptr (GString) out = g_string_new (NULL), csv = g_string_new (NULL);
  JsonArray *labels = NULL;
  for (guint i = 0; i < n_list && !labels; i++) {
    const CliShardLine *l = g_hash_table_lookup (lines, GUINT_TO_POINTER (i));
    if (json_object_has_member (l->object, "labels"))
      labels = json_object_get_array_member (l->object, "labels");
  }
  csv_header (csv, labels);
  guint errors = 0;
  for (guint i = 0; i < n_list; i++) {
    const CliShardLine *l = g_hash_table_lookup (lines, GUINT_TO_POINTER (i));
    g_string_append (out, l->text);
    g_string_append_c (out, '\n');
    errors += json_object_has_member (l->object, "error");
    g_autofree char *where = g_strdup_printf ("%s (index %u)", list[i], i);
    if (!csv_row (csv, labels, l, where, &e))
      return cli_fail ("merge-report", e);
  }
  if ((jsonl && !g_file_set_contents (jsonl, out->str, (gssize) out->len, &e)) ||
      (csv_file && !g_file_set_contents (csv_file, csv->str, (gssize) csv->len, &e)))
    return cli_fail ("merge-report", e);
  fprintf (stderr, "nn merge-report: %u files (%u classified, %u errors) from %u shard files%s%s%s%s\n", n_list,
           n_list - errors, errors, files->len, jsonl ? " -> " : "", jsonl ? jsonl : "", csv_file ? " -> " : "",
           csv_file ? csv_file : "");
  return 0;
}
