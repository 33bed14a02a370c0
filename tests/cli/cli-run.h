/* Runs the nn command built with the tests (NN_CLI_PATH) with the given
 * arguments (NULL-terminated); *out and *err (each may be NULL) get its
 * stdout and stderr (g_free them). Returns the exit status, -1 when it did
 * not exit. Shared by the Check suites of tests/cli. */
#pragma once
#include <check.h>
#include <glib.h>
#include <stdarg.h>
#include <sys/wait.h>

static inline int
cli_run (char **out, char **err, ...)
{
  GPtrArray *argv = g_ptr_array_new ();
  g_ptr_array_add (argv, (gpointer) NN_CLI_PATH);
  va_list ap;
  va_start (ap, err);
  for (const char *a; (a = va_arg (ap, const char *));)
    g_ptr_array_add (argv, (gpointer) a);
  va_end (ap);
  g_ptr_array_add (argv, NULL);
  int status = -1;
  GError *e = NULL;
  char *o = NULL, *r = NULL;
  ck_assert_msg (g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL, &o, &r, &status, &e),
                 "%s", e ? e->message : "");
  g_ptr_array_free (argv, TRUE);
  if (out)
    *out = o;
  else
    g_free (o);
  if (err)
    *err = r;
  else
    g_free (r);
  return WIFEXITED (status) ? WEXITSTATUS (status) : -1;
}
