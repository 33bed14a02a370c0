/* Error domain, threads and logging: the process-wide knobs of libnn. */
#include "nn-private.h"
#include <cblas.h>
#include <stdarg.h>

G_DEFINE_QUARK (nn-error-quark, nn_error)

static NnLogFunc log_func;
static gpointer  log_data;

void
nn_set_threads (int n)
{
  openblas_set_num_threads (n < 1 ? 1 : n);
}

int
nn_get_threads (void)
{
  return openblas_get_num_threads ();
}

void
nn_set_log_func (NnLogFunc func, gpointer user_data)
{
  log_func = func;
  log_data = user_data;
}

void
nn_log (NnLogLevel level, const char *fmt, ...)
{
  if (!log_func)
    return;
  va_list ap;
  va_start (ap, fmt);
  g_autofree char *msg = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  log_func (level, msg, log_data);
}
