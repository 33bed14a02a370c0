/* nn generate for character-level language models (a spec with a "vocab" and
 * an input of [T] character indices): prime a streaming copy of the model with
 * the prime text one character per step, then sample the next character from
 * its softmax and feed it back, O(1) work per generated character.
 * Sampling follows the seed's temperature rule, p_i ∝ exp(log p_i / T);
 * temperature 0 takes the most likely character. */
#include "nn-cli.h"

typedef struct {
  char   *prime;
  int     length, threads;
  double  temperature;
  gint64  seed;
} TextArgs;

typedef struct {
  gunichar *chars;     /* (n) in index order */
  glong     n;
  int       fallback;  /* index read for characters outside the vocab */
} Vocab;

/* The spec's "vocab" (typed by the spec parser), or NULL. */
static char *
spec_vocab (const NnModel *m)
{
  return g_strdup (nn_spec_vocab (nn_model_get_spec (m)));
}

static gboolean
is_text_model (const NnModel *m)
{
  g_autofree char *v = spec_vocab (m);
  return v && nn_model_input_shape (m)->ndim == 1;
}

gboolean
generate_text_wanted (int argc, char **argv)
{
  static const char *const opts[] = { "--prime", "--length", "--temperature" };
  for (int i = 1; i < argc; i++)
    for (gsize k = 0; k < G_N_ELEMENTS (opts); k++)
      if (g_str_has_prefix (argv[i], opts[k]))
        return TRUE;
  for (int i = 1; i < argc; i++) {
    if (argv[i][0] == '-' || !(g_str_has_suffix (argv[i], ".safetensors") || g_str_has_suffix (argv[i], ".json")) ||
        !g_file_test (argv[i], G_FILE_TEST_IS_REGULAR))
      continue;
    g_autoptr (NnModel) m = nn_model_load (argv[i], NULL);
    if (m && is_text_model (m))
      return TRUE;
  }
  return FALSE;
}

static gboolean
vocab_init (Vocab *v, const NnModel *m, GError **error)
{
  g_autofree char *text = spec_vocab (m);
  const NnShape *out = nn_model_output_shape (m);
  if (!text || nn_model_input_shape (m)->ndim != 1) {
    g_set_error (error, NN_ERROR, NN_ERROR_INVALID, "not a text model: it needs a \"vocab\" string and an input of "
                 "[T] character indices");
    return FALSE;
  }
  v->chars = g_utf8_to_ucs4 (text, -1, NULL, &v->n, NULL);
  if (!v->chars || v->n < 1 || out->ndim != 2 || out->dim[1] != v->n) {
    char buf[64];
    g_set_error (error, NN_ERROR, NN_ERROR_SHAPE, "the model outputs %s per sample, not (T, %ld) next-character "
                 "probabilities over its \"vocab\"", nn_shape_to_string (out, buf, sizeof buf), v->n);
    return FALSE;
  }
  v->fallback = 0;
  for (glong i = 0; i < v->n; i++)
    if (v->chars[i] == ' ')
      v->fallback = (int) i;
  return TRUE;
}

static int
vocab_index (const Vocab *v, gunichar c)
{
  for (glong i = 0; i < v->n; i++)
    if (v->chars[i] == c)
      return (int) i;
  return -1;
}

/* The seed's rule, normalised: p_i ∝ exp(log p_i / T); T = 0 is the argmax. */
static int
sample (const float *p, int n, double temperature, GRand *rng, double *work)
{
  int best = 0;
  for (int i = 1; i < n; i++)
    best = p[i] > p[best] ? i : best;
  if (temperature <= 0.0)
    return best;
  double top = log (MAX (p[best], 1e-30f)) / temperature, sum = 0.0;
  for (int i = 0; i < n; i++)
    sum += work[i] = exp (log (MAX (p[i], 1e-30f)) / temperature - top);
  double u = g_rand_double (rng) * sum;
  for (int i = 0; i < n; i++)
    if ((u -= work[i]) < 0.0)
      return i;
  return best;
}

static void
put_char (GString *s, gunichar c)
{
  g_string_append_unichar (s, c);
}

/* Feed the prime; returns the output after its last character. */
static const float *
prime_model (NnModel *s, const Vocab *v, const char *prime, GString *text, GError **error)
{
  /* without a prime, start where a text starts: after a line break */
  int nl = vocab_index (v, '\n');
  const float *y = NULL;
  int unknown = 0;
  if (!*prime) {
    float x = (float) (nl >= 0 ? nl : v->fallback);
    return nn_model_forward (s, &x, 1, FALSE, error);
  }
  for (const char *p = prime; *p; p = g_utf8_next_char (p)) {
    gunichar c = g_utf8_get_char (p);
    int k = vocab_index (v, c);
    unknown += k < 0;
    float x = (float) (k >= 0 ? k : v->fallback);
    put_char (text, c);
    if (!(y = nn_model_forward (s, &x, 1, FALSE, error)))
      return NULL;
  }
  if (unknown) {
    char fb[8] = { 0 };
    g_unichar_to_utf8 (v->chars[v->fallback], fb);
    fprintf (stderr, "nn generate: %d prime character%s outside the vocabulary, read as \"%s\"\n", unknown,
             unknown > 1 ? "s are" : " is", fb);
  }
  return y;
}

static int
generate (NnModel *m, const TextArgs *a)
{
  g_autoptr (GError) e = NULL;
  Vocab v = { 0 };
  if (!vocab_init (&v, m, &e)) {
    g_free (v.chars);
    return cli_fail ("generate", e);
  }
  g_autoptr (NnModel) s = nn_model_new_streaming (m, &e);
  g_autoptr (GString) text = g_string_new (NULL);
  const float *y = s ? prime_model (s, &v, a->prime, text, &e) : NULL;
  GRand *rng = g_rand_new_with_seed ((guint32) a->seed);
  g_autofree double *work = g_new (double, v.n);
  for (int i = 0; y && i < a->length; i++) {
    int k = sample (y, (int) v.n, a->temperature, rng, work);
    put_char (text, v.chars[k]);
    float x = (float) k;
    if (i + 1 < a->length)
      y = nn_model_forward (s, &x, 1, FALSE, &e);
  }
  g_rand_free (rng);
  g_free (v.chars);
  if (!y)
    return cli_fail ("generate", e);
  fwrite (text->str, 1, text->len, stdout);
  if (!text->len || text->str[text->len - 1] != '\n')
    fputc ('\n', stdout);
  return 0;
}

int
cmd_generate_text (int argc, char **argv)
{
  TextArgs a = { .length = 200, .temperature = 1.0, .seed = 1 };
  gboolean random_weights = FALSE;
  GOptionEntry entries[] = {
    /* FILENAME: the bytes as given, not converted from the locale (checked as UTF-8 below) */
    { "prime", 'p', 0, G_OPTION_ARG_FILENAME, &a.prime, "Text to start from (default: the start of a line)", "TEXT" },
    { "length", 'l', 0, G_OPTION_ARG_INT, &a.length, "Characters to generate (default 200)", "N" },
    { "temperature", 't', 0, G_OPTION_ARG_DOUBLE, &a.temperature, "Sampling temperature: p_i ∝ exp(log p_i / T); "
      "0 = always the most likely character (default 1)", "T" },
    { "seed", 's', 0, G_OPTION_ARG_INT64, &a.seed, "Random seed (default 1)", "S" },
    { "threads", 0, 0, G_OPTION_ARG_INT, &a.threads, "Threads to split the work over (default: one per core)", "N" },
    CLI_RANDOM_WEIGHTS_ENTRY (&random_weights),
    { NULL }
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("MODEL - generate text from a character-level model");
  g_option_context_add_main_entries (ctx, entries, NULL);
  int status = 0;
  if (!cli_parse (ctx, &argc, &argv, &status)) {
    g_free (a.prime);
    return status;
  }
  g_autofree char *prime = a.prime ? a.prime : g_strdup ("");
  a.prime = prime;
  if (argc != 2)
    return cli_usage ("generate", "expected one MODEL");
  if (a.length < 0 || a.length > 10000000 || !(a.temperature >= 0.0 && a.temperature <= 100.0))
    return cli_usage ("generate", "--length must be in 0..10000000 and --temperature in [0, 100]");
  if (!g_utf8_validate (prime, -1, NULL))
    return cli_usage ("generate", "--prime is not UTF-8 text");
  cli_threads (a.threads);
  g_autoptr (GError) e = NULL;
  g_autoptr (NnModel) m = cli_load_model (argv[1], random_weights, &e);
  if (!m)
    return cli_fail ("generate", e);
  return generate (m, &a);
}
