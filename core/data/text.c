/* text:FILE — a character-level language-model dataset. The model's spec
 * carries its vocabulary as a top-level "vocab" string (UTF-8, one character
 * per token, in index order), so training, evaluation and `nn generate` agree
 * on the indices. Input [T]: each sample is T consecutive characters (their
 * indices as floats); its target is the next character at every step, one-hot
 * (T, V), which is what a softmax over the last axis and cce expect.
 * Windows start every T/2 characters: every character is a target with some
 * context, while the one-hot targets (T*V floats a window) stay bounded. */
#include "data-private.h"

/* One-hot targets take T*V floats per window: refuse what would not fit. */

/* `c` as it is written inside a JSON string. */
static void
append_json_char (GString *s, gunichar c)
{
  static const char *const named[] = { ['\b'] = "\\b", ['\t'] = "\\t", ['\n'] = "\\n", ['\f'] = "\\f",
                                       ['\r'] = "\\r" };
  if (c == '"' || c == '\\')
    g_string_append_printf (s, "\\%c", (char) c);
  else if (c < G_N_ELEMENTS (named) && named[c])
    g_string_append (s, named[c]);
  else if (c < 0x20)
    g_string_append_printf (s, "\\u%04x", c);
  else
    g_string_append_unichar (s, c);
}

typedef struct {
  GHashTable *index;   /* gunichar -> index + 1 */
  int         n;
  int         fallback;
} TextVocab;

static void
vocab_clear (TextVocab *v)
{
  if (v->index)
    g_hash_table_unref (v->index);
}

static int
vocab_lookup (const TextVocab *v, gunichar c)
{
  int i = GPOINTER_TO_INT (g_hash_table_lookup (v->index, GUINT_TO_POINTER (c)));
  return i > 0 ? i - 1 : -1;
}

static gboolean
vocab_parse (TextVocab *v, const char *vocab, GError **error)
{
  if (!g_utf8_validate (vocab, -1, NULL) || !*vocab) {
    g_set_error (error, NN_ERROR, NN_ERROR_INVALID, "spec: \"vocab\" must be a non-empty UTF-8 string");
    return FALSE;
  }
  v->index = g_hash_table_new (g_direct_hash, g_direct_equal);
  for (const char *p = vocab; *p; p = g_utf8_next_char (p)) {
    gunichar c = g_utf8_get_char (p);
    if (vocab_lookup (v, c) >= 0) {
      g_autoptr (GString) esc = g_string_new (NULL);
      append_json_char (esc, c);
      g_set_error (error, NN_ERROR, NN_ERROR_INVALID, "spec: \"vocab\" has \"%s\" twice", esc->str);
      return FALSE;
    }
    g_hash_table_insert (v->index, GUINT_TO_POINTER (c), GINT_TO_POINTER (++v->n));
  }
  /* a space is the least surprising stand-in for a character the model never saw */
  int space = vocab_lookup (v, ' ');
  v->fallback = space >= 0 ? space : 0;
  return TRUE;
}

static int
compare_chars (gconstpointer a, gconstpointer b)
{
  guint x = GPOINTER_TO_UINT (a), y = GPOINTER_TO_UINT (b);
  return x < y ? -1 : x > y;
}

/* The characters of `text`, sorted and escaped: what "vocab" should say. */
static char *
text_characters (const char *text, guint *n)
{
  g_autoptr (GHashTable) seen = g_hash_table_new (g_direct_hash, g_direct_equal);
  for (const char *p = text; *p; p = g_utf8_next_char (p))
    g_hash_table_add (seen, GUINT_TO_POINTER (g_utf8_get_char (p)));
  GList *keys = g_list_sort (g_hash_table_get_keys (seen), compare_chars);
  *n = g_hash_table_size (seen);
  GString *s = g_string_new (NULL);
  for (GList *k = keys; k; k = k->next)
    append_json_char (s, GPOINTER_TO_UINT (k->data));
  g_list_free (keys);
  return g_string_free (s, FALSE);
}

static gboolean
check_target (const char *path, const NnDataTarget *t, const char *text, TextVocab *v, GError **error)
{
  char buf[64];
  if (t->input.ndim != 1 || t->input.dim[0] < 1) {
    g_set_error (error, NN_ERROR, NN_ERROR_SHAPE, "%s: text: needs a model whose input is [T] character indices, not %s",
                 path, nn_shape_to_string (&t->input, buf, sizeof buf));
    return FALSE;
  }
  if (!t->vocab) {
    guint n;
    g_autofree char *chars = text_characters (text, &n);
    g_set_error (error, NN_ERROR, NN_ERROR_INVALID, "%s: text: the model spec has no \"vocab\" string; for this file "
                 "it would be \"vocab\": \"%s\" (%u characters)", path, chars, n);
    return FALSE;
  }
  if (!vocab_parse (v, t->vocab, error))
    return FALSE;
  int64_t T = t->input.dim[0];
  if (t->n_out != T * v->n) {
    g_set_error (error, NN_ERROR, NN_ERROR_SHAPE, "%s: text: the model outputs %" G_GINT64_FORMAT " values per sample; "
                 "next-character targets over %" G_GINT64_FORMAT " steps and a %d-character vocab are %" G_GINT64_FORMAT,
                 path, t->n_out, T, v->n, T * v->n);
    return FALSE;
  }
  return TRUE;
}

/* Vocabulary indices of every character of `text`. */
static int32_t *
text_indices (const char *text, const TextVocab *v, int64_t *n)
{
  int64_t len = g_utf8_strlen (text, -1);
  int32_t *idx = g_new (int32_t, MAX (len, 1));
  int64_t i = 0;
  for (const char *p = text; *p; p = g_utf8_next_char (p), i++) {
    int k = vocab_lookup (v, g_utf8_get_char (p));
    idx[i] = k >= 0 ? k : v->fallback;
  }
  *n = i;
  return idx;
}

static NnDataset *
text_windows (const char *path, const NnDataTarget *t, const int32_t *idx, int64_t n_chars, int V, GError **error)
{
  int64_t T = t->input.dim[0], stride = MAX (T / 2, 1);
  if (n_chars < T + 1) {
    g_set_error (error, NN_ERROR, NN_ERROR_EMPTY, "%s: text: %" G_GINT64_FORMAT " characters, a sample needs %"
                 G_GINT64_FORMAT " (T + 1)", path, n_chars, T + 1);
    return NULL;
  }
  int64_t n = (n_chars - 1 - T) / stride + 1;
  /* the next character of every step is a class label; the trainer expands
   * them to one-hot per batch, so memory is n*T, not n*T*V */
  NnDataset *ds = nn_dataset_new (&t->input, n, (int) T, 0);
  ds->n_classes = V;
  for (int64_t i = 0; i < n; i++) {
    const int32_t *w = idx + i * stride;
    float *x = ds->x + i * T;
    int32_t *y = ds->labels + i * T;
    for (int64_t s = 0; s < T; s++) {
      x[s] = (float) w[s];
      y[s] = w[s + 1];
    }
  }
  return ds;
}

NnDataset *
nn_data_load_text (const char *path, const NnDataTarget *t, GError **error)
{
  g_autofree char *text = NULL;
  gsize len = 0;
  g_autoptr (GError) e = NULL;
  if (!g_file_get_contents (path, &text, &len, &e)) {
    g_set_error (error, NN_ERROR, NN_ERROR_IO, "%s: %s", path, e->message);
    return NULL;
  }
  if (len == 0) {
    g_set_error (error, NN_ERROR, NN_ERROR_EMPTY, "%s: text: the file is empty", path);
    return NULL;
  }
  const char *bad;
  if (!g_utf8_validate (text, (gssize) len, &bad)) {
    g_set_error (error, NN_ERROR, NN_ERROR_FORMAT, "%s: text: not UTF-8 (byte %" G_GSIZE_FORMAT ")", path,
                 (gsize) (bad - text));
    return NULL;
  }
  TextVocab v = { 0 };
  NnDataset *ds = NULL;
  if (check_target (path, t, text, &v, error)) {
    int64_t n_chars;
    g_autofree int32_t *idx = text_indices (text, &v, &n_chars);
    ds = text_windows (path, t, idx, n_chars, v.n, error);
  }
  vocab_clear (&v);
  return ds;
}

char *
nn_data_spec_vocab (const NnModel *m)
{
  return g_strdup (nn_spec_vocab (nn_model_get_spec (m)));
}
