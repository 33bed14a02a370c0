/* Every shipped pipeline on a machine with no display: each file in
 * pipelines/ runs through `nn run` with DISPLAY and WAYLAND_DISPLAY unset and
 * small inputs made here with the tools. File pipelines exit 0 (and write
 * their output), pipelines that show frames say once that SINK=auto became a
 * fakesink, camera pipelines (there is no /dev/video0 here; elsewhere a
 * missing path stands in) exit 1 naming the device, and nothing dies of a
 * signal. A pipeline file with no case here fails the test, so a new one
 * cannot be shipped untried. */
#include <gst/check/gstcheck.h>
#include <glib/gstdio.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

typedef struct {
  const char *pipeline;  /* pipelines/<name>.pipeline */
  const char *vars[6];   /* VAR=VALUE; {dir} is the test's temporary folder, {camera} a missing camera */
  int         status;    /* expected exit status */
  const char *stdout_has; /* a result line the run must print, or NULL */
  const char *stderr_has; /* what stderr must say, or NULL */
  const char *output;    /* a file the run must write, or NULL */
} Case;

static const Case cases[] = {
  { "classify-file", { "INPUT={dir}/fashion.mp4", "OUTPUT={dir}/classified.mp4" }, 0, "nn-classification", NULL,
    "{dir}/classified.mp4" },
  { "classify-live", { "SOURCE=videotestsrc is-live=true pattern=ball num-buffers=6" }, 0, "nn-classification",
    NULL, NULL },
  { "classify-live", { "SOURCE=v4l2src device={camera}" }, 1, NULL, "{camera}", NULL },
  { "gan-to-classifier", { "FRAMES=3", "OUTPUT={dir}/gan-classified.mp4" }, 0, "nn-classification", NULL,
    "{dir}/gan-classified.mp4" },
  { "gan-walk", { "FRAMES=3", "OUTPUT={dir}/gan-walk.mp4" }, 0, NULL, NULL, "{dir}/gan-walk.mp4" },
  { "gesture-camera", { "DEVICE={camera}" }, 1, NULL, "{camera}", NULL },
  { "gesture-live-standin", { "VIDEO={dir}/gestures.mp4" }, 0, "nn-classification", NULL, NULL },
  /* nntrain and nnclassify share the instance; the checkpoint is written at EOS */
  { "live-enrolment", { "VIDEO={dir}/gestures.mp4", "CHECKPOINT={dir}/enrol.ckpt.safetensors" }, 0,
    "nn-classification", NULL, "{dir}/enrol.ckpt.safetensors" },
  { "trailer-genre", { "INPUT={dir}/trailer.mp4" }, 0, "\"final\"", NULL, NULL },
  { "text-classify", { "INPUT={dir}/sentences.txt" }, 0, "nn-classification", NULL, NULL },
  /* streams of different lengths: the shorter ones end while the others run */
  { "multistream-files", { "IN1={dir}/fashion.mp4", "IN2={dir}/gestures.mp4", "IN3={dir}/trailer.mp4",
    "IN4={dir}/fashion.mp4", "OUTPUT={dir}/multi.jsonl" }, 0, "nn-classification", NULL, "{dir}/multi.jsonl" },
};

static char *
root_path (const char *var, const char *rel)
{
  const char *root = g_getenv (var);
  return g_build_filename (root ? root : ".", rel, NULL);
}

static void
run_tool (char **argv)
{
  char *err = NULL;
  int status = 0;
  GError *e = NULL;
  fail_unless (g_spawn_sync (NULL, argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL, &err, &status, &e),
               "%s: %s", argv[0], e ? e->message : "");
  fail_unless (g_spawn_check_wait_status (status, NULL), "%s failed:\n%s", argv[0], err);
  g_free (err);
}

static void
put_be32 (FILE *f, guint32 v)
{
  guint8 b[4] = { v >> 24, v >> 16, v >> 8, v };
  fwrite (b, 1, 4, f);
}

/* Four 28x28 IDX images (a bright block on black) for nn-idx2video. */
static void
write_idx (const char *prefix)
{
  g_autofree char *ip = g_strconcat (prefix, "-images-idx3-ubyte", NULL);
  g_autofree char *lp = g_strconcat (prefix, "-labels-idx1-ubyte", NULL);
  FILE *f = fopen (ip, "wb");
  fail_unless (f != NULL);
  put_be32 (f, 0x803);
  put_be32 (f, 4);
  put_be32 (f, 28);
  put_be32 (f, 28);
  for (int k = 0; k < 4; k++)
    for (int i = 0; i < 784; i++)
      fputc (i / 28 >= 4 + k && i / 28 < 24 && i % 28 >= 8 && i % 28 < 20 ? 200 : 0, f);
  fclose (f);
  f = fopen (lp, "wb");
  fail_unless (f != NULL);
  put_be32 (f, 0x801);
  put_be32 (f, 4);
  for (int k = 0; k < 4; k++)
    fputc (k, f);
  fclose (f);
}

/* The small inputs, made with the project's tools. */
static void
make_inputs (const char *dir)
{
  g_autofree char *idx2video = root_path ("NN_BUILD_ROOT", "tools/nn-idx2video");
  g_autofree char *trailer = root_path ("NN_BUILD_ROOT", "tools/nn-trailer-gen");
  g_autofree char *render = root_path ("NN_BUILD_ROOT", "tools/nn-gesture-render");
  g_autofree char *prefix = g_build_filename (dir, "images", NULL);
  g_autofree char *uri = g_strconcat ("idx:", prefix, NULL);
  g_autofree char *fashion = g_build_filename (dir, "fashion.mp4", NULL);
  g_autofree char *trailer_mp4 = g_build_filename (dir, "trailer.mp4", NULL);
  g_autofree char *gestures = g_build_filename (dir, "gestures.mp4", NULL);
  write_idx (prefix);
  g_autofree char *sentences = g_build_filename (dir, "sentences.txt", NULL);
  fail_unless (g_file_set_contents (sentences, "The compiler crashed.\nThe senator voted.\n", -1, NULL));
  char *a1[] = { idx2video, "-d", uri, "-n", "4", "-o", fashion, NULL };
  run_tool (a1);
  char *a2[] = { trailer, "--genre", "drama", "--frames", "12", trailer_mp4, NULL };
  run_tool (a2);
  char *a3[] = { render, "video", gestures, "--sequence", "fist,palm", "--hold", "0.4", "--fps", "10", "--width",
                 "160", "--height", "120", NULL };
  run_tool (a3);
}

/* The pipelines' default camera; on a machine that has one, a path that
 * surely names none, so the missing-camera path is still what runs. */
static const char *
missing_camera (const char *dir)
{
  static char *camera;
  if (!camera)
    camera = g_file_test ("/dev/video0", G_FILE_TEST_EXISTS) ? g_build_filename (dir, "video0", NULL)
                                                              : g_strdup ("/dev/video0");
  return camera;
}

static char *
fill (const char *s, const char *dir)
{
  GString *g = g_string_new (s);
  g_string_replace (g, "{dir}", dir, 0);
  g_string_replace (g, "{camera}", missing_camera (dir), 0);
  return g_string_free (g, FALSE);
}

static int
count (const char *text, const char *what)
{
  int n = 0;
  for (const char *p = text; (p = strstr (p, what)); p += strlen (what))
    n++;
  return n;
}

static void
run_case (const Case *c, const char *dir, char **env)
{
  g_autofree char *nn = root_path ("NN_BUILD_ROOT", "cli/nn");
  g_autofree char *src = root_path ("NN_SOURCE_ROOT", ".");
  g_autofree char *file = g_strdup_printf ("pipelines/%s.pipeline", c->pipeline);
  GPtrArray *argv = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (argv, g_strdup (nn));
  g_ptr_array_add (argv, g_strdup ("run"));
  g_ptr_array_add (argv, g_strdup (file));
  for (int i = 0; i < (int) G_N_ELEMENTS (c->vars) && c->vars[i]; i++)
    g_ptr_array_add (argv, fill (c->vars[i], dir));
  g_ptr_array_add (argv, NULL);
  g_autofree char *output = c->output ? fill (c->output, dir) : NULL;
  if (output)
    g_unlink (output);

  char *out = NULL, *err = NULL;
  int status = 0;
  GError *e = NULL;
  fail_unless (g_spawn_sync (src, (char **) argv->pdata, env, G_SPAWN_DEFAULT, NULL, NULL, &out, &err, &status, &e),
               "%s: %s", file, e ? e->message : "");
  g_ptr_array_free (argv, TRUE);
  g_print ("%s (%s): exit %d\n%s", file, c->vars[0] ? c->vars[0] : "defaults",
           WIFEXITED (status) ? WEXITSTATUS (status) : -1, err);
  fail_if (WIFSIGNALED (status), "%s died of signal %d:\n%s", file, WIFSIGNALED (status) ? WTERMSIG (status) : 0,
           err);
  fail_unless (WIFEXITED (status) && WEXITSTATUS (status) == c->status, "%s exited %d, want %d:\n%s", file,
               WEXITSTATUS (status), c->status, err);
  if (c->stderr_has) {
    g_autofree char *want = fill (c->stderr_has, dir);
    fail_unless (strstr (err, want) != NULL, "%s: stderr does not name %s:\n%s", file, want, err);
  }
  if (c->stdout_has)
    fail_unless (strstr (out, c->stdout_has) != NULL, "%s printed no %s", file, c->stdout_has);
  if (output) {
    GStatBuf st;
    fail_unless (g_stat (output, &st) == 0 && st.st_size > 0, "%s wrote no %s", file, output);
    g_unlink (output);
  }
  /* a pipeline that shows frames says once where they went instead */
  g_autofree char *path = g_build_filename (src, file, NULL);
  g_autofree char *text = NULL;
  fail_unless (g_file_get_contents (path, &text, NULL, NULL));
  int said = count (err, "SINK=fakesink");
  fail_unless (said == (strstr (text, "${SINK:-auto}") ? 1 : 0), "%s: the sink choice was said %d times:\n%s", file,
               said, err);
  g_free (out);
  g_free (err);
}

GST_START_TEST (test_every_pipeline_headless)
{
  g_autofree char *dir = g_dir_make_tmp ("nn-headless-XXXXXX", NULL);
  make_inputs (dir);
  char **env = g_get_environ ();
  env = g_environ_unsetenv (env, "DISPLAY");
  env = g_environ_unsetenv (env, "WAYLAND_DISPLAY");

  /* every shipped pipeline has a case */
  g_autofree char *pdir = root_path ("NN_SOURCE_ROOT", "pipelines");
  GDir *d = g_dir_open (pdir, 0, NULL);
  fail_unless (d != NULL, "%s: cannot list", pdir);
  int files = 0;
  for (const char *name; (name = g_dir_read_name (d));) {
    if (!g_str_has_suffix (name, ".pipeline"))
      continue;
    g_autofree char *base = g_strndup (name, strlen (name) - strlen (".pipeline"));
    gboolean found = FALSE;
    for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
      found |= g_str_equal (cases[i].pipeline, base);
    fail_unless (found, "pipelines/%s has no case in test-pipeline-headless.c", name);
    files++;
  }
  g_dir_close (d);
  fail_unless (files >= 7, "only %d pipeline files found in %s", files, pdir);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    run_case (&cases[i], dir, env);
  g_strfreev (env);

  const char *inputs[] = { "fashion.mp4", "trailer.mp4", "gestures.mp4", "images-images-idx3-ubyte",
                           "images-labels-idx1-ubyte", "sentences.txt" };
  for (guint i = 0; i < G_N_ELEMENTS (inputs); i++) {
    g_autofree char *p = g_build_filename (dir, inputs[i], NULL);
    g_unlink (p);
  }
  g_rmdir (dir);
}
GST_END_TEST;

/* stderr of `nn run --print` on a pipeline ending in ${SINK:-auto}. */
static char *
sink_choice (char **env)
{
  g_autofree char *nn = root_path ("NN_BUILD_ROOT", "cli/nn");
  g_autofree char *src = root_path ("NN_SOURCE_ROOT", ".");
  char *argv[] = { nn, "run", "--print", "pipelines/gesture-live-standin.pipeline", NULL };
  char *err = NULL;
  int status = 0;
  fail_unless (g_spawn_sync (src, argv, env, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL, &err, &status, NULL));
  fail_unless (g_spawn_check_wait_status (status, NULL), "nn run --print failed:\n%s", err);
  return err;
}

/* A display that answers gets a window sink, one that does not a fakesink:
 * a listening socket stands in for a Wayland compositor (nothing is shown,
 * --print only substitutes). */
GST_START_TEST (test_sink_follows_display)
{
  g_autofree char *dir = g_dir_make_tmp ("nn-display-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "wayland-test", NULL);
  int fd = socket (AF_UNIX, SOCK_STREAM, 0);
  struct sockaddr_un a = { .sun_family = AF_UNIX };
  fail_unless (fd >= 0 && strlen (path) < sizeof a.sun_path);
  strcpy (a.sun_path, path);
  fail_unless (bind (fd, (struct sockaddr *) &a, sizeof a) == 0 && listen (fd, 4) == 0);

  char **env = g_get_environ ();
  env = g_environ_unsetenv (env, "DISPLAY");
  env = g_environ_setenv (env, "WAYLAND_DISPLAY", path, TRUE);
  g_autofree char *live = sink_choice (env);
  fail_unless (strstr (live, "SINK=autovideosink") != NULL, "a listening display was not used:\n%s", live);

  close (fd);
  g_unlink (path);
  g_autofree char *gone = sink_choice (env);
  fail_unless (strstr (gone, "cannot be reached") && strstr (gone, "SINK=fakesink"), "a dead display was used:\n%s",
               gone);
  env = g_environ_unsetenv (env, "WAYLAND_DISPLAY");
  env = g_environ_setenv (env, "DISPLAY", ":99", TRUE);
  env = g_environ_setenv (env, "SINK", "fakesink sync=false", TRUE);
  g_autofree char *given = sink_choice (env);
  fail_unless (strstr (given, "SINK=") == NULL, "a SINK given was overridden:\n%s", given);
  g_strfreev (env);
  g_rmdir (dir);
}
GST_END_TEST;

static Suite *
pipeline_headless_suite (void)
{
  Suite *s = suite_create ("pipeline-headless");
  TCase *tc = tcase_create ("headless");
  tcase_set_timeout (tc, 120);
  tcase_add_test (tc, test_every_pipeline_headless);
  tcase_add_test (tc, test_sink_follows_display);
  suite_add_tcase (s, tc);
  return s;
}

GST_CHECK_MAIN (pipeline_headless);
