/* See nn-element-util.h. */
#include "nn-element-util.h"

#include <string.h>

char *
nn_element_model_name (const char *path)
{
  char *base = g_path_get_basename (path);
  char *dot = strrchr (base, '.');
  if (dot && dot != base)
    *dot = '\0';
  return base;
}

char **
nn_element_model_labels (const NnModel *m, int n)
{
  char **labels = g_new0 (char *, n + 1);
  for (int i = 0; i < n; i++) {
    const char *l = nn_model_label (m, i);
    labels[i] = l ? g_strdup (l) : g_strdup_printf ("class %d", i);
  }
  return labels;
}
