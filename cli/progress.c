/* How the nn command shows time left. */
#include "nn-cli.h"

void
cli_format_duration (char *buf, gsize len, double seconds)
{
  if (!isfinite (seconds) || seconds < 0) {
    g_strlcpy (buf, "--", len);
    return;
  }
  gint64 s = (gint64) llround (seconds);
  if (s >= 3600)
    g_snprintf (buf, len, "%" G_GINT64_FORMAT "h%02dm", s / 3600, (int) (s % 3600 / 60));
  else if (s >= 60)
    g_snprintf (buf, len, "%dm%02ds", (int) (s / 60), (int) (s % 60));
  else
    g_snprintf (buf, len, "%ds", (int) s);
}
