/* nn run: run a pipeline file (gst-launch syntax with ${VAR} placeholders),
 * print every element message as a JSON line, show progress on a terminal,
 * and exit non-zero with the pipeline's error on failure. */
#include "nn-cli.h"
#include <gst/gst.h>
#include <unistd.h>
#include <glib-unix.h>

/* ${VAR} and ${VAR:-default}; VAR from the command line, then the environment. */
static char *
substitute (const char *text, GHashTable *vars, GError **error)
{
  GString *out = g_string_new (NULL);
  for (const char *p = text; *p;) {
    if (p[0] != '$' || p[1] != '{') {
      g_string_append_c (out, *p++);
      continue;
    }
    const char *end = strchr (p, '}');
    if (!end) {
      g_set_error (error, NN_ERROR, NN_ERROR_FORMAT, "unterminated ${ in the pipeline");
      return g_string_free (out, TRUE), NULL;
    }
    g_autofree char *inner = g_strndup (p + 2, end - p - 2);
    char *def = strstr (inner, ":-");
    if (def) {
      *def = 0;
      def += 2;
    }
    const char *v = g_hash_table_lookup (vars, inner);
    if (!v)
      v = g_getenv (inner);
    if (!v)
      v = def;
    if (!v) {
      g_set_error (error, NN_ERROR, NN_ERROR_INVALID, "the pipeline needs %s=VALUE", inner);
      return g_string_free (out, TRUE), NULL;
    }
    g_string_append (out, v);
    p = end + 1;
  }
  return g_string_free (out, FALSE);
}

/* Pipeline files may hold comment lines (#) and line continuations. */
static char *
strip_comments (const char *text)
{
  GString *out = g_string_new (NULL);
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  for (int i = 0; lines[i]; i++) {
    char *l = g_strstrip (lines[i]);
    if (*l == '#' || !*l)
      continue;
    gsize n = strlen (l);
    if (n && l[n - 1] == '\\')
      l[n - 1] = ' ';
    g_string_append_printf (out, "%s ", l);
  }
  return g_string_free (out, FALSE);
}

typedef struct {
  GMainLoop  *loop;
  GstElement *pipeline;
  int         status;
  gboolean    tty;
} Run;

/* One JSON line per element message: {"message": NAME, "element": SOURCE,
 * ...the structure's fields}, through json-out.c (NaN and inf as null). */
static void
print_message (Run *r, GstMessage *msg)
{
  const GstStructure *st = gst_message_get_structure (msg);
  if (!st)
    return;
  g_autoptr (JsonBuilder) b = json_builder_new ();
  json_builder_begin_object (b);
  cli_json_member_string (b, "message", gst_structure_get_name (st));
  cli_json_member_string (b, "element", GST_OBJECT_NAME (GST_MESSAGE_SRC (msg)));
  for (int i = 0, n = gst_structure_n_fields (st); i < n; i++) {
    const char *name = gst_structure_nth_field_name (st, i);
    /* a field named like the two above would make a duplicate key */
    if (g_str_equal (name, "message") || g_str_equal (name, "element"))
      continue;
    json_builder_set_member_name (b, name);
    cli_json_add_gvalue (b, gst_structure_get_value (st, name));
  }
  json_builder_end_object (b);
  g_autofree char *line = cli_json_to_line (b);
  if (r->tty)
    fprintf (stderr, "\r\033[K");
  fputs (line, stdout);
  fflush (stdout);
}

static gboolean
on_bus (GstBus *bus, GstMessage *msg, gpointer data)
{
  Run *r = data;
  switch (GST_MESSAGE_TYPE (msg)) {
    case GST_MESSAGE_ELEMENT:
      print_message (r, msg);
      break;
    case GST_MESSAGE_ERROR: {
      g_autoptr (GError) e = NULL;
      g_autofree char *dbg = NULL;
      gst_message_parse_error (msg, &e, &dbg);
      fprintf (stderr, "%snn run: error from %s: %s\n", r->tty ? "\r\033[K" : "", GST_OBJECT_NAME (GST_MESSAGE_SRC (msg)),
               e->message);
      if (dbg)
        fprintf (stderr, "  (%s)\n", dbg);
      if (e->domain == GST_RESOURCE_ERROR && GST_IS_ELEMENT (GST_MESSAGE_SRC (msg)) &&
          g_str_has_prefix (GST_OBJECT_NAME (GST_MESSAGE_SRC (msg)), "v4l2src"))
        fprintf (stderr, "  No camera there: pass DEVICE=/dev/videoN, or run a file or test source instead, e.g.\n"
                         "  nn run pipelines/gesture-live-standin.pipeline\n");
      r->status = 1;
      g_main_loop_quit (r->loop);
      break;
    }
    case GST_MESSAGE_EOS:
      g_main_loop_quit (r->loop);
      break;
    default:
      break;
  }
  return TRUE;
}

static gboolean
show_progress (gpointer data)
{
  Run *r = data;
  gint64 pos = -1, dur = -1;
  if (!gst_element_query_position (r->pipeline, GST_FORMAT_TIME, &pos))
    return G_SOURCE_CONTINUE;
  gst_element_query_duration (r->pipeline, GST_FORMAT_TIME, &dur);
  if (dur > 0)
    fprintf (stderr, "\r%.1f / %.1f s (%d%%) ", pos / 1e9, dur / 1e9, (int) (100.0 * pos / dur));
  else
    fprintf (stderr, "\r%.1f s ", pos / 1e9);
  fflush (stderr);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_sigint (gpointer data)
{
  Run *r = data;
  /* like gst-launch -e: finish files properly */
  gst_element_send_event (r->pipeline, gst_event_new_eos ());
  return G_SOURCE_CONTINUE;
}

int
cmd_run (int argc, char **argv)
{
  gboolean print = FALSE;
  GOptionEntry entries[] = {
    { "print", 'p', 0, G_OPTION_ARG_NONE, &print, "Print the substituted pipeline and exit", NULL },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("PIPELINE [VAR=VALUE...] - run a pipeline file");
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_add_group (ctx, gst_init_get_option_group ());
  int status = 0;
  if (!cli_parse (ctx, &argc, &argv, &status))
    return status;
  if (argc < 2)
    return cli_usage ("run", "expected a PIPELINE file");
  g_autoptr (GHashTable) vars = g_hash_table_new (g_str_hash, g_str_equal);
  for (int i = 2; i < argc; i++) {
    char *eq = strchr (argv[i], '=');
    if (!eq)
      return cli_usage ("run", "\"%s\" is not VAR=VALUE", argv[i]);
    *eq = 0;
    g_hash_table_insert (vars, argv[i], eq + 1);
  }
  g_autoptr (GError) e = NULL;
  g_autofree char *text = NULL;
  if (!g_file_get_contents (argv[1], &text, NULL, &e))
    return cli_fail ("run", e);
  g_autofree char *flat = strip_comments (text);
  g_autofree char *desc = substitute (flat, vars, &e);
  if (!desc)
    return cli_usage ("run", "%s: %s", argv[1], e->message);
  if (print) {
    printf ("%s\n", desc);
    return 0;
  }
  Run r = { .tty = isatty (fileno (stderr)) };
  r.pipeline = gst_parse_launch (desc, &e);
  if (!r.pipeline || e) {
    fprintf (stderr, "nn run: %s: %s\n", argv[1], e ? e->message : "could not build the pipeline");
    g_clear_object (&r.pipeline);
    return 1;
  }
  r.loop = g_main_loop_new (NULL, FALSE);
  GstBus *bus = gst_element_get_bus (r.pipeline);
  gst_bus_add_watch (bus, on_bus, &r);
  guint tick = r.tty ? g_timeout_add (500, show_progress, &r) : 0;
  guint sig = g_unix_signal_add (SIGINT, on_sigint, &r);
  if (gst_element_set_state (r.pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    r.status = 1;
    /* the error message on the bus says why */
    GstMessage *m = gst_bus_timed_pop_filtered (bus, GST_SECOND, GST_MESSAGE_ERROR);
    if (m) {
      on_bus (bus, m, &r);
      gst_message_unref (m);
    } else {
      fprintf (stderr, "nn run: %s: the pipeline could not start\n", argv[1]);
    }
  } else {
    g_main_loop_run (r.loop);
  }
  if (r.tty)
    fprintf (stderr, "\r\033[K");
  if (tick)
    g_source_remove (tick);
  g_source_remove (sig);
  gst_bus_remove_watch (bus);
  gst_object_unref (bus);
  gst_element_set_state (r.pipeline, GST_STATE_NULL);
  gst_object_unref (r.pipeline);
  g_main_loop_unref (r.loop);
  return r.status;
}
