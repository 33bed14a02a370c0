/* Class folders and label names, shared by the folder: readers (images in
 * folder.c, videos in video.c) and the labelled loaders (csv.c, idx.c). A
 * leaf: it uses no other loader. */
#include "data-private.h"

int
nn_data_label_index (const NnDataTarget *t, const char *name)
{
  for (int i = 0; i < t->n_labels; i++)
    if (t->labels[i] && strcmp (t->labels[i], name) == 0)
      return i;
  return -1;
}

char **
nn_data_label_copy (const NnDataTarget *t)
{
  if (t->n_labels <= 0)
    return NULL;
  char **names = g_new0 (char *, t->n_labels + 1);
  for (int i = 0; i < t->n_labels; i++)
    names[i] = g_strdup (t->labels[i] ? t->labels[i] : "");
  return names;
}

gboolean
nn_label_check (const char *label, GError **error)
{
  const char *why = NULL;
  if (!label || !*label)
    why = "is empty";
  else if (strlen (label) > NN_LABEL_MAX_BYTES)
    why = "is longer than " G_STRINGIFY (NN_LABEL_MAX_BYTES) " bytes";
  else if (!g_utf8_validate (label, -1, NULL))
    why = "is not valid UTF-8";
  else if (strchr (label, '/') || strchr (label, '\\'))
    why = "holds a path separator";
  else if (label[0] == '.')
    why = "starts with '.'";
  else if (strstr (label, ".."))
    why = "holds \"..\"";
  else
    for (const char *p = label; *p && !why; p = g_utf8_next_char (p))
      if (g_unichar_iscntrl (g_utf8_get_char (p)))
        why = "holds a control character";
  if (!why)
    return TRUE;
  /* escaped and cut, so that the message itself stays one printable line */
  g_autofree char *shown = g_strescape (label ? label : "(null)", NULL);
  if (strlen (shown) > 2 * NN_LABEL_MAX_BYTES)
    strcpy (shown + 2 * NN_LABEL_MAX_BYTES - 3, "...");
  g_set_error (error, NN_ERROR, NN_ERROR_INVALID, "label \"%s\" %s: a label must be one folder name (at most %d "
               "bytes of UTF-8, no '/', '\\', \"..\", leading '.' or control character)", shown, why,
               NN_LABEL_MAX_BYTES);
  return FALSE;
}

gboolean
nn_label_is_safe (const char *label)
{
  return nn_label_check (label, NULL);
}

static int
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

GPtrArray *
nn_data_list_sorted (const char *dir, GFileTest test, GError **error)
{
  g_autoptr (GError) err = NULL;
  g_autoptr (GDir) d = g_dir_open (dir, 0, &err);
  if (!d) {
    g_set_error (error, NN_ERROR, NN_ERROR_IO, "%s: %s", dir, err->message);
    return NULL;
  }
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  const char *name;
  while ((name = g_dir_read_name (d))) {
    /* hidden files and temporaries ("*.tmp*", e.g. nncapture's
     * ".00007.png.tmp-XXXXXX" left by an interrupted write) are not samples */
    if (name[0] == '.' || strstr (name, ".tmp"))
      continue;
    g_autofree char *path = g_build_filename (dir, name, NULL);
    if (g_file_test (path, test))
      g_ptr_array_add (names, g_strdup (name));
  }
  g_ptr_array_sort (names, compare_names);
  return names;
}

/* Class index of each sub-folder: the model's label of that name, or its
 * rank when the model has no labels. */
gboolean
nn_data_class_indices (const char *dir, GPtrArray *classes, const NnDataTarget *t, int *index, GError **error)
{
  if (t->n_labels <= 0 && classes->len != t->n_out) {
    g_set_error (error, NN_ERROR, NN_ERROR_SHAPE,
                 "%s: %u class folders but the model has %" G_GINT64_FORMAT " outputs (and no labels)",
                 dir, classes->len, t->n_out);
    return FALSE;
  }
  for (guint i = 0; i < classes->len; i++) {
    const char *name = g_ptr_array_index (classes, i);
    g_autoptr (GError) bad = NULL;
    if (!nn_label_check (name, &bad)) {
      g_set_error (error, NN_ERROR, NN_ERROR_FORMAT, "%s: class folder: %s", dir, bad->message);
      return FALSE;
    }
    index[i] = t->n_labels > 0 ? nn_data_label_index (t, name) : (int) i;
    if (index[i] < 0 || index[i] >= t->n_out) {
      g_set_error (error, NN_ERROR, NN_ERROR_FORMAT, "%s/%s: folder \"%s\" matches no label of the model",
                   dir, name, name);
      return FALSE;
    }
  }
  return TRUE;
}

char **
nn_data_class_names (GPtrArray *classes, const NnDataTarget *t)
{
  if (t->n_labels > 0)
    return nn_data_label_copy (t);
  char **names = g_new0 (char *, classes->len + 1);
  for (guint i = 0; i < classes->len; i++)
    names[i] = g_strdup (g_ptr_array_index (classes, i));
  return names;
}
