/* textcls:FILE — labelled sentences for word-level classifiers, one
 * "label<TAB>text" line each (UTF-8; blank lines are skipped), and the word
 * tokenizer (nn-text.h) that turns a sentence into the model's [T] input.
 *
 * The vocabulary is the training data's: when the spec's "text" block has no
 * "words" yet, the first textcls: file loaded for it (the training data; a
 * --val file is loaded after it) counts its words and writes the most
 * frequent ones into the spec, and so into the model file that `nn train`
 * saves. Everything loaded later, and inference, uses those words. Indices:
 * 0 padding, 1 out of vocabulary, 2 + i the i-th word, most frequent first
 * (ties in byte order, so the vocabulary does not depend on hash order).
 *
 * Labels: the spec's "labels" when it has them (a line with another label is
 * an error, so is a label with no line), else the file's distinct labels in
 * byte order. One sigmoid output is binary (labels 0 and 1, bce); K outputs
 * are K classes (softmax, cce). */
#include "data-private.h"

/* ---- the tokenizer ------------------------------------------------------------------ */

static gboolean
is_apostrophe (gunichar c)
{
  return c == '\'' || c == 0x2019;
}

char **
nn_text_split (const char *text, gboolean lower)
{
  g_return_val_if_fail (text != NULL, NULL);
  g_autofree char *low = lower ? g_utf8_strdown (text, -1) : NULL;
  const char *s = low ? low : text;
  GPtrArray *words = g_ptr_array_new ();
  g_autoptr (GString) w = g_string_new (NULL);
  for (const char *p = s; *p; p = g_utf8_next_char (p)) {
    gunichar c = g_utf8_get_char (p);
    const char *next = g_utf8_next_char (p);
    /* an apostrophe inside a word stays ("don't"); anything else that is not
     * a letter or digit ends the word and is dropped, as Keras' filters */
    gboolean inner = is_apostrophe (c) && w->len > 0 && *next && g_unichar_isalnum (g_utf8_get_char (next));
    if (g_unichar_isalnum (c) || g_unichar_ismark (c) || inner) {
      g_string_append_len (w, p, next - p);
    } else if (w->len) {
      g_ptr_array_add (words, g_strdup (w->str));
      g_string_truncate (w, 0);
    }
  }
  if (w->len)
    g_ptr_array_add (words, g_strdup (w->str));
  g_ptr_array_add (words, NULL);
  return (char **) g_ptr_array_free (words, FALSE);
}

struct _NnTokenizer {
  GHashTable *index;   /* word -> index (>= 2) */
  int         T;
  gboolean    lower, pad_post, trunc_post;
};

NnTokenizer *
nn_tokenizer_new (const NnSpec *spec, GError **error)
{
  g_return_val_if_fail (spec != NULL, NULL);
  const char *src = nn_spec_source (spec) ? nn_spec_source (spec) : "spec";
  const NnTextOptions *o = nn_spec_text (spec);
  const NnShape *in = nn_spec_input_shape (spec);
  if (!o) {
    g_set_error (error, NN_ERROR, NN_ERROR_INVALID, "%s: not a text model (the spec has no \"text\" block)", src);
    return NULL;
  }
  if (o->n_words == 0) {
    g_set_error (error, NN_ERROR, NN_ERROR_INVALID, "%s: \"text\" has no \"words\": the model has not been trained "
                 "on textcls: data", src);
    return NULL;
  }
  NnTokenizer *t = g_new0 (NnTokenizer, 1);
  t->index = g_hash_table_new (g_str_hash, g_str_equal);
  t->T = (int) in->dim[0];
  t->lower = o->lower;
  t->pad_post = o->pad_post;
  t->trunc_post = o->trunc_post;
  /* the words stay the spec's; a repeated word keeps its first index */
  for (int i = o->n_words - 1; i >= 0; i--)
    g_hash_table_insert (t->index, o->words[i], GINT_TO_POINTER (i + 2));
  return t;
}

void
nn_tokenizer_free (NnTokenizer *t)
{
  if (!t)
    return;
  g_hash_table_unref (t->index);
  g_free (t);
}

int
nn_tokenizer_length (const NnTokenizer *t)
{
  return t->T;
}

int
nn_tokenizer_index (const NnTokenizer *t, const char *word)
{
  int i = GPOINTER_TO_INT (g_hash_table_lookup (t->index, word));
  return i ? i : NN_TEXT_OOV;
}

int
nn_tokenizer_encode (const NnTokenizer *t, const char *text, float *out)
{
  g_auto (GStrv) words = nn_text_split (text, t->lower);
  int n = (int) g_strv_length (words), T = t->T;
  int keep = MIN (n, T);
  /* truncating "pre" drops the first words, "post" the last */
  int from = t->trunc_post ? 0 : n - keep;
  /* padding "pre" puts the 0s first */
  int at = t->pad_post ? 0 : T - keep;
  for (int i = 0; i < T; i++)
    out[i] = (float) NN_TEXT_PAD;
  for (int i = 0; i < keep; i++)
    out[at + i] = (float) nn_tokenizer_index (t, words[from + i]);
  return n;
}

/* ---- the vocabulary from training data ------------------------------------------------ */

typedef struct {
  const char *word;
  int         count;
} WordCount;

static int
compare_counts (gconstpointer a, gconstpointer b)
{
  const WordCount *x = a, *y = b;
  if (x->count != y->count)
    return x->count > y->count ? -1 : 1;
  return strcmp (x->word, y->word);
}

/* The most frequent words of `texts` that pass min_count, at most
 * vocab_size - 2 of them (transfer full, NULL-terminated). */
static char **
build_vocab (GPtrArray *texts, const NnTextOptions *o)
{
  g_autoptr (GHashTable) counts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  for (guint i = 0; i < texts->len; i++) {
    g_auto (GStrv) words = nn_text_split (texts->pdata[i], o->lower);
    for (int k = 0; words[k]; k++) {
      gpointer old = g_hash_table_lookup (counts, words[k]);
      if (old)
        g_hash_table_insert (counts, g_strdup (words[k]), GINT_TO_POINTER (GPOINTER_TO_INT (old) + 1));
      else
        g_hash_table_insert (counts, g_strdup (words[k]), GINT_TO_POINTER (1));
    }
  }
  g_autoptr (GArray) all = g_array_new (FALSE, FALSE, sizeof (WordCount));
  GHashTableIter it;
  gpointer k, v;
  g_hash_table_iter_init (&it, counts);
  while (g_hash_table_iter_next (&it, &k, &v))
    if (GPOINTER_TO_INT (v) >= o->min_count) {
      WordCount wc = { k, GPOINTER_TO_INT (v) };
      g_array_append_val (all, wc);
    }
  g_array_sort (all, compare_counts);
  guint n = MIN (all->len, (guint) (o->vocab_size - 2));
  char **words = g_new0 (char *, n + 1);
  for (guint i = 0; i < n; i++)
    words[i] = g_strdup (g_array_index (all, WordCount, i).word);
  return words;
}

/* ---- the dataset ------------------------------------------------------------------------ */

typedef struct {
  GPtrArray *labels;  /* label of each example (borrowed from the file text) */
  GPtrArray *texts;
  GArray    *lines;   /* line number of each example */
} Examples;

static void
examples_clear (Examples *e)
{
  g_ptr_array_unref (e->labels);
  g_ptr_array_unref (e->texts);
  g_array_unref (e->lines);
}

/* Splits `text` in place into examples; errors name path:line. */
static gboolean
parse_lines (const char *path, char *text, gsize len, Examples *ex, GError **error)
{
  ex->labels = g_ptr_array_new ();
  ex->texts = g_ptr_array_new ();
  ex->lines = g_array_new (FALSE, FALSE, sizeof (int));
  char *p = text, *end = text + len;
  for (int line = 1; p < end; line++) {
    char *nl = memchr (p, '\n', end - p);
    char *eol = nl ? nl : end;
    *eol = 0;
    if (eol > p && eol[-1] == '\r')
      eol[-1] = 0;
    const char *bad;
    if (!g_utf8_validate (p, -1, &bad)) {
      g_set_error (error, NN_ERROR, NN_ERROR_FORMAT, "%s:%d: not UTF-8 (byte %d of the line)", path, line,
                   (int) (bad - p) + 1);
      return FALSE;
    }
    char *tab = strchr (p, '\t');
    char *label = p;
    if (tab)
      *tab = 0;
    g_strstrip (label);
    if (!tab && !*label) {
      p = eol + 1;
      continue;  /* a blank line */
    }
    if (!tab || !*label) {
      g_set_error (error, NN_ERROR, NN_ERROR_FORMAT, "%s:%d: no label: a line is label<TAB>text", path, line);
      return FALSE;
    }
    g_ptr_array_add (ex->labels, label);
    g_ptr_array_add (ex->texts, tab + 1);
    g_array_append_val (ex->lines, line);
    p = eol + 1;
  }
  return TRUE;
}

static int
compare_str (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

/* The class names: the target's labels, or the file's distinct labels sorted
 * (transfer full, NULL-terminated); checks their number against the model. */
static char **
class_names (const char *path, const NnDataTarget *t, const Examples *ex, int K, GError **error)
{
  if (t->n_labels) {
    if (t->n_labels != K) {
      g_set_error (error, NN_ERROR, NN_ERROR_SHAPE, "%s: textcls: the model has %d labels for %d classes", path,
                   t->n_labels, K);
      return NULL;
    }
    return nn_data_label_copy (t);
  }
  g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GPtrArray) names = g_ptr_array_new ();
  for (guint i = 0; i < ex->labels->len; i++)
    if (g_hash_table_add (seen, ex->labels->pdata[i]))
      g_ptr_array_add (names, g_strdup (ex->labels->pdata[i]));
  g_ptr_array_sort (names, compare_str);
  if ((int) names->len != K) {
    g_ptr_array_add (names, NULL);
    g_autofree char *all = g_strjoinv (", ", (char **) names->pdata);
    g_set_error (error, NN_ERROR, NN_ERROR_SHAPE, "%s: textcls: %u labels (%s), the model has %d classes%s", path,
                 names->len - 1, all, K, K == 2 ? " (one sigmoid output is two)" : "");
    g_strfreev ((char **) g_ptr_array_free (g_steal_pointer (&names), FALSE));
    return NULL;
  }
  g_ptr_array_add (names, NULL);
  return (char **) g_ptr_array_free (g_steal_pointer (&names), FALSE);
}

static gboolean
check_model (const char *path, const NnDataTarget *t, const NnTextOptions *o, GError **error)
{
  char buf[64];
  if (!o) {
    g_set_error (error, NN_ERROR, NN_ERROR_INVALID, "%s: textcls: the model spec has no \"text\" block (the "
                 "tokenizer's options, docs/spec.md)", path);
    return FALSE;
  }
  if (t->input.ndim != 1 || t->input.dim[0] < 1) {
    g_set_error (error, NN_ERROR, NN_ERROR_SHAPE, "%s: textcls: needs a model whose input is [T] word indices, "
                 "not %s", path, nn_shape_to_string (&t->input, buf, sizeof buf));
    return FALSE;
  }
  const NnSpecLayer *l0 = t->spec ? nn_spec_layer (t->spec, 0) : NULL;
  if (l0 && g_str_equal (nn_spec_layer_type (l0), "embedding") && nn_spec_layer_int (l0, "vocab") < o->vocab_size) {
    g_set_error (error, NN_ERROR, NN_ERROR_SHAPE, "%s: textcls: \"text\".\"vocab_size\" %d is more than the "
                 "embedding's \"vocab\" %d", path, o->vocab_size, nn_spec_layer_int (l0, "vocab"));
    return FALSE;
  }
  return TRUE;
}

NnDataset *
nn_data_load_textcls (const char *path, const NnDataTarget *t, GError **error)
{
  g_autofree char *text = NULL;
  gsize len = 0;
  g_autoptr (GError) e = NULL;
  const NnTextOptions *o = t->spec ? nn_spec_text (t->spec) : NULL;
  if (!check_model (path, t, o, error))
    return NULL;
  if (!g_file_get_contents (path, &text, &len, &e)) {
    g_set_error (error, NN_ERROR, NN_ERROR_IO, "%s: %s", path, e->message);
    return NULL;
  }
  if (len == 0) {
    g_set_error (error, NN_ERROR, NN_ERROR_EMPTY, "%s: textcls: the file is empty", path);
    return NULL;
  }
  Examples ex;
  gboolean ok = parse_lines (path, text, len, &ex, error);
  NnDataset *ds = NULL;
  if (ok && ex.labels->len == 0) {
    g_set_error (error, NN_ERROR, NN_ERROR_EMPTY, "%s: textcls: no label<TAB>text lines", path);
    ok = FALSE;
  }
  int K = t->n_out == 1 ? 2 : (int) t->n_out;
  g_auto (GStrv) names = ok ? class_names (path, t, &ex, K, error) : NULL;
  ok = ok && names;
  g_autofree int32_t *cls = ok ? g_new (int32_t, ex.labels->len) : NULL;
  g_autofree int *count = ok ? g_new0 (int, K) : NULL;
  for (guint i = 0; ok && i < ex.labels->len; i++) {
    cls[i] = -1;
    for (int k = 0; k < K && cls[i] < 0; k++)
      if (g_str_equal (names[k], ex.labels->pdata[i]))
        cls[i] = k;
    if (cls[i] < 0) {
      g_autofree char *all = g_strjoinv (", ", names);
      g_set_error (error, NN_ERROR, NN_ERROR_INVALID, "%s:%d: label \"%s\" is not one of the model's (%s)", path,
                   g_array_index (ex.lines, int, i), (char *) ex.labels->pdata[i], all);
      ok = FALSE;
    } else {
      count[cls[i]]++;
    }
  }
  for (int k = 0; ok && k < K; k++)
    if (count[k] == 0) {
      g_set_error (error, NN_ERROR, NN_ERROR_EMPTY, "%s: textcls: class \"%s\" has no examples", path, names[k]);
      ok = FALSE;
    }
  g_autoptr (GPtrArray) vocab_rows = NULL;
  if (ok && o->n_words == 0 && t->holdout > 0.0) {
    /* counted on the rows that will train only (nn_dataset_load_split):
     * a word seen only in validation is out of the vocabulary */
    g_autofree guint32 *order = NULL;
    int64_t n_val = 0;
    ok = nn_data_split_order (ex.texts->len, t->holdout, t->holdout_seed, &order, &n_val, error);
    if (ok) {
      vocab_rows = g_ptr_array_new ();
      for (int64_t i = 0; i < (int64_t) ex.texts->len - n_val; i++)
        g_ptr_array_add (vocab_rows, ex.texts->pdata[order[i]]);
    }
  }
  if (ok && o->n_words == 0) {
    char **words = build_vocab (vocab_rows ? vocab_rows : ex.texts, o);
    if (!words[0]) {
      g_strfreev (words);
      g_set_error (error, NN_ERROR, NN_ERROR_EMPTY, "%s: textcls: no word is seen %d times or more (\"min_count\")",
                   path, o->min_count);
      ok = FALSE;
    } else {
      nn_spec_set_text_words ((NnSpec *) t->spec, words);
    }
  }
  g_autoptr (NnTokenizer) tok = ok ? nn_tokenizer_new (t->spec, error) : NULL;
  if (tok) {
    int T = (int) t->input.dim[0];
    ds = nn_dataset_new (&t->input, ex.labels->len, 1, 0);
    ds->n_classes = K;
    ds->class_names = g_steal_pointer (&names);
    for (guint i = 0; i < ex.labels->len; i++) {
      nn_tokenizer_encode (tok, ex.texts->pdata[i], ds->x + (gsize) i * T);
      ds->labels[i] = cls[i];
    }
  }
  examples_clear (&ex);
  return ds;
}
