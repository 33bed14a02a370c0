/* Error domain and logging: process-wide knobs of libnn (threads: parallel.c). */
#include "nn-private.h"
#include <stdarg.h>

G_DEFINE_QUARK (nn-error-quark, nn_error)

static NnLogFunc log_func;
static gpointer  log_data;

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
