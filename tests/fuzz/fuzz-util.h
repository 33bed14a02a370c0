/* Shared by the libFuzzer targets (tests/fuzz/run.sh builds and runs them):
 * the loaders read files, so each input is written to a private temporary
 * folder first. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>

static char *fuzz_dir;

static void
fuzz_rm_rf (const char *path)
{
  if (g_file_test (path, G_FILE_TEST_IS_DIR) && !g_file_test (path, G_FILE_TEST_IS_SYMLINK)) {
    GDir *d = g_dir_open (path, 0, NULL);
    const char *n;
    while (d && (n = g_dir_read_name (d))) {
      char *p = g_build_filename (path, n, NULL);
      fuzz_rm_rf (p);
      g_free (p);
    }
    if (d)
      g_dir_close (d);
    g_rmdir (path);
  } else {
    g_unlink (path);
  }
}

static void
fuzz_cleanup (void)
{
  if (fuzz_dir)
    fuzz_rm_rf (fuzz_dir);
  g_clear_pointer (&fuzz_dir, g_free);
}

/* The private folder, made once per process and removed at exit. */
static const char *
fuzz_tmpdir (void)
{
  if (!fuzz_dir) {
    fuzz_dir = g_dir_make_tmp ("nn-fuzz-XXXXXX", NULL);
    if (!fuzz_dir)
      abort ();
    atexit (fuzz_cleanup);
  }
  return fuzz_dir;
}

/* Writes `len` bytes to `name` under the private folder (sub-folders made);
 * returns the path (g_free). */
static char *
fuzz_write (const char *name, const uint8_t *data, size_t len)
{
  char *path = g_build_filename (fuzz_tmpdir (), name, NULL);
  char *dir = g_path_get_dirname (path);
  g_mkdir_with_parents (dir, 0700);
  g_free (dir);
  if (!g_file_set_contents (path, (const char *) data, (gssize) len, NULL))
    abort ();
  return path;
}

/* Empties the private folder between inputs. */
static void
fuzz_clear (void)
{
  GDir *d = g_dir_open (fuzz_tmpdir (), 0, NULL);
  const char *n;
  while (d && (n = g_dir_read_name (d))) {
    char *p = g_build_filename (fuzz_dir, n, NULL);
    fuzz_rm_rf (p);
    g_free (p);
  }
  if (d)
    g_dir_close (d);
}

/* A failed load must say why: a NULL result without an error is a bug. */
#define FUZZ_CHECK_ERROR(ok, err) \
  do { \
    if (!(ok) && !(err)) \
      abort (); \
    if ((err) && !(err)->message) \
      abort (); \
  } while (0)
