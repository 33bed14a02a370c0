/* nn run: run a pipeline file (gst-launch syntax with ${VAR} placeholders),
 * print every element message as a JSON line, show progress on a terminal,
 * and exit non-zero with the pipeline's error on failure. SINK=auto becomes a
 * window sink where a display answers and a fakesink elsewhere. */
#include "nn-cli.h"
#include <gst/gst.h>
#include <unistd.h>
#include <glib-unix.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>

/* ---- the default sink ---------------------------------------------------------
 * Pipelines that show frames end in ${SINK:-auto}. "auto" is resolved here,
 * not by autovideosink: on a machine with no display autovideosink falls
 * through to a DirectFB sink that segfaults with no message, so a window sink
 * is only chosen when a display answers, and frames go to a fakesink
 * otherwise (results are still printed). */

/* connect() to a socket address, giving up after one second. */
static gboolean
connects (int family, const struct sockaddr *addr, socklen_t len)
{
  int fd = socket (family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return FALSE;
  gboolean ok = connect (fd, addr, len) == 0;
  if (!ok && errno == EINPROGRESS) {
    struct pollfd p = { .fd = fd, .events = POLLOUT };
    int err = 0;
    socklen_t elen = sizeof err;
    ok = poll (&p, 1, 1000) == 1 && getsockopt (fd, SOL_SOCKET, SO_ERROR, &err, &elen) == 0 && err == 0;
  }
  close (fd);
  return ok;
}

static gboolean
unix_connects (const char *path, gboolean abstract)
{
  struct sockaddr_un a = { .sun_family = AF_UNIX };
  gsize n = strlen (path), off = abstract ? 1 : 0;
  if (n + off >= sizeof a.sun_path)
    return FALSE;
  memcpy (a.sun_path + off, path, n);
  return connects (AF_UNIX, (struct sockaddr *) &a, (socklen_t) (offsetof (struct sockaddr_un, sun_path) + off + n +
                                                                 (abstract ? 0 : 1)));
}

/* DISPLAY is [host]:number[.screen]: a local server listens on
 * /tmp/.X11-unix/X<number> (or the abstract socket of that name), a remote
 * one (ssh -X gives localhost:10) on TCP port 6000 + number. */
static gboolean
x11_reachable (const char *display)
{
  const char *colon = strrchr (display, ':');
  if (!colon || !g_ascii_isdigit (colon[1]))
    return FALSE;
  guint64 number = g_ascii_strtoull (colon + 1, NULL, 10);
  g_autofree char *host = g_strndup (display, colon - display);
  if (!*host || g_str_equal (host, "unix")) {
    g_autofree char *path = g_strdup_printf ("/tmp/.X11-unix/X%" G_GUINT64_FORMAT, number);
    return unix_connects (path, FALSE) || unix_connects (path, TRUE);
  }
  if (host[0] == '/') /* a socket path (XQuartz's launchd form) */
    return unix_connects (host, FALSE);
  g_autofree char *port = g_strdup_printf ("%" G_GUINT64_FORMAT, 6000 + number);
  struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res = NULL;
  if (getaddrinfo (host, port, &hints, &res) != 0)
    return FALSE;
  gboolean ok = FALSE;
  for (struct addrinfo *r = res; r && !ok; r = r->ai_next)
    ok = connects (r->ai_family, r->ai_addr, r->ai_addrlen);
  freeaddrinfo (res);
  return ok;
}

/* WAYLAND_DISPLAY is a socket name in XDG_RUNTIME_DIR, or an absolute path. */
static gboolean
wayland_reachable (const char *name)
{
  const char *dir = g_getenv ("XDG_RUNTIME_DIR");
  if (name[0] != '/' && !dir)
    return FALSE;
  g_autofree char *path = name[0] == '/' ? g_strdup (name) : g_build_filename (dir, name, NULL);
  return unix_connects (path, FALSE);
}

/* What SINK=auto means on this machine; decided (and said on stderr) once. */
static const char *
auto_sink (void)
{
  static const char *sink;
  if (sink)
    return sink;
  const char *wl = g_getenv ("WAYLAND_DISPLAY"), *x = g_getenv ("DISPLAY");
  if (wl && *wl && wayland_reachable (wl)) {
    sink = "autovideosink";
    fprintf (stderr, "nn run: SINK=%s (Wayland display %s)\n", sink, wl);
  } else if (x && *x && x11_reachable (x)) {
    sink = "autovideosink";
    fprintf (stderr, "nn run: SINK=%s (X display %s)\n", sink, x);
  } else {
    sink = "fakesink sync=true";
    g_autofree char *why = NULL;
    if ((wl && *wl) || (x && *x))
      why = g_strdup_printf ("%s%s%s%s%s cannot be reached", wl && *wl ? "WAYLAND_DISPLAY=" : "", wl && *wl ? wl : "",
                             wl && *wl && x && *x ? " and " : "", x && *x ? "DISPLAY=" : "", x && *x ? x : "");
    else
      why = g_strdup ("no display (DISPLAY and WAYLAND_DISPLAY are unset)");
    fprintf (stderr, "nn run: %s: SINK=%s (results are printed, frames not shown; set SINK=... to choose)\n", why,
             sink);
  }
  return sink;
}

/* Variable values with a meaning of their own: SINK=auto. */
static const char *
resolve (const char *name, const char *value)
{
  return g_str_equal (name, "SINK") && g_str_equal (value, "auto") ? auto_sink () : value;
}

/* The '}' that closes the "${" at p, counting nested ${...}; NULL if none. */
static const char *
closing_brace (const char *p)
{
  int depth = 0;
  for (const char *q = p; *q; q++) {
    if (q[0] == '$' && q[1] == '{') {
      depth++;
      q++;
    } else if (*q == '}' && --depth == 0) {
      return q;
    }
  }
  return NULL;
}

/* ${VAR} and ${VAR:-default}; VAR from the command line, then the
 * environment; a default may itself hold ${...} (substituted only when used). */
char *
cli_run_substitute (const char *text, GHashTable *vars, GError **error)
{
  GString *out = g_string_new (NULL);
  for (const char *p = text; *p;) {
    if (p[0] != '$' || p[1] != '{') {
      g_string_append_c (out, *p++);
      continue;
    }
    const char *end = closing_brace (p);
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
    g_autofree char *expanded = NULL;
    if (!v && def) {
      expanded = cli_run_substitute (def, vars, error);
      if (!expanded)
        return g_string_free (out, TRUE), NULL;
      v = expanded;
    }
    if (!v) {
      g_set_error (error, NN_ERROR, NN_ERROR_INVALID, "the pipeline needs %s=VALUE", inner);
      return g_string_free (out, TRUE), NULL;
    }
    g_string_append (out, resolve (inner, v));
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
    case GST_MESSAGE_WARNING: {
      /* a warning is how an element says it loses something and goes on
       * (nnpublish dropping results, a broker gone): never swallowed */
      g_autoptr (GError) e = NULL;
      gst_message_parse_warning (msg, &e, NULL);
      fprintf (stderr, "%snn run: warning from %s: %s\n", r->tty ? "\r\033[K" : "",
               GST_OBJECT_NAME (GST_MESSAGE_SRC (msg)), e->message);
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
  g_autofree char *list = NULL, *output = NULL, *shard = NULL;
  int stall = 60;
  GOptionEntry entries[] = {
    { "print", 'p', 0, G_OPTION_ARG_NONE, &print, "Print the substituted pipeline and exit", NULL },
    { "list", 'l', 0, G_OPTION_ARG_FILENAME, &list, "Run the pipeline once per file of FILE (one path a line), "
      "INPUT set to the file; one JSON line per file (index, path, verdict, per-clip scores, or the error) appended "
      "to DIR/shard-I-of-N.jsonl (--output DIR). A rerun skips the files done", "FILE" },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output, "With --list: the folder of the shard files", "DIR" },
    { "shard", 0, 0, G_OPTION_ARG_STRING, &shard, "With --list: run shard I of N (the files whose index in the list "
      "is I modulo N); default SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT when set, else 0/1", "I/N" },
    { "stall-timeout", 0, 0, G_OPTION_ARG_INT, &stall, "With --list: a file whose pipeline makes no progress for S "
      "seconds is an error line (default 60; 0 = wait forever)", "S" },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("PIPELINE [VAR=VALUE...] - run a pipeline file");
  g_option_context_set_description (ctx, "A library of videos, in shards (e.g. a Slurm job array), then one report:\n"
                                         "  nn run pipelines/trailer-genre.pipeline --list videos.txt --output out "
                                         "--shard 0/4\n  ...\n  nn merge-report --jsonl report.jsonl --csv "
                                         "report.csv videos.txt out\n");
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
  if ((output || shard) && !list)
    return cli_usage ("run", "--output and --shard go with --list");
  if (list && !output)
    return cli_usage ("run", "--list needs --output DIR (the folder of the shard files)");
  guint si, sn;
  g_autoptr (GError) se = NULL;
  if (shard && !cli_shard_parse (shard, &si, &sn, &se))
    return cli_usage ("run", "--shard: %s", se->message);
  if (stall < 0)
    return cli_usage ("run", "--stall-timeout must be 0 or more");
  if (list && print)
    return cli_usage ("run", "--print and --list do not go together");
  if (list && g_hash_table_contains (vars, "INPUT"))
    return cli_usage ("run", "with --list, INPUT is each file of the list: drop INPUT=");
  g_autoptr (GError) e = NULL;
  g_autofree char *text = NULL;
  if (!g_file_get_contents (argv[1], &text, NULL, &e))
    return cli_fail ("run", e);
  g_autofree char *flat = strip_comments (text);
  if (list)
    return cli_run_list (argv[1], flat, vars, list, output, shard, (guint) stall);
  g_autofree char *desc = cli_run_substitute (flat, vars, &e);
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
