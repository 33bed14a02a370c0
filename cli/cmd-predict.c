/* nn predict: run a model on CSV rows (already preprocessed input tensors),
 * on image files, or on sentences (--text, --text-file: a word classifier
 * tokenizes them with the vocabulary its model file carries), one result per
 * line. */
#include "nn-cli.h"
#include <errno.h>

typedef struct {
  NnModel *m;
  gboolean json;
  int64_t  in_el, out_el;
  gboolean text;     /* sentences: CSV output is sentence,label,score */
} Predict;

static int
argmax (const float *v, int64_t n)
{
  int k = 0;
  for (int64_t i = 1; i < n; i++)
    if (v[i] > v[k])
      k = (int) i;
  return k;
}

/* line: the CSV or text line the input came from, 0 for an image or a --text sentence */
static void
print_result (Predict *p, const char *source, int line, const float *out)
{
  int k = p->out_el == 1 ? out[0] > 0.5f : argmax (out, p->out_el);
  float score = p->out_el == 1 ? (k ? out[0] : 1.0f - out[0]) : out[k];
  const char *label = nn_model_label (p->m, k);
  char idx[16];
  g_snprintf (idx, sizeof idx, "%d", k);
  if (p->json) {
    g_autoptr (JsonBuilder) b = json_builder_new ();
    json_builder_begin_object (b);
    cli_json_member_string (b, "input", source);
    if (line > 0)
      cli_json_member_int (b, "line", line);
    cli_json_member_string (b, "label", label ? label : idx);
    cli_json_member_int (b, "class", k);
    cli_json_member_number (b, "score", score);
    json_builder_set_member_name (b, "output");
    json_builder_begin_array (b);
    for (int64_t i = 0; i < p->out_el; i++)
      cli_json_add_number (b, out[i]);
    json_builder_end_array (b);
    json_builder_end_object (b);
    cli_json_write_line (stdout, b);
    return;
  }
  g_autoptr (GString) s = g_string_new (NULL);
  if (line > 0 && !p->text) {
    for (int64_t i = 0; i < p->out_el; i++)
      g_string_append_printf (s, "%s%.6g", i ? "," : "", out[i]);
  } else {
    cli_csv_append_field (s, source);
    g_string_append_c (s, ',');
    cli_csv_append_field (s, label ? label : idx);
    g_string_append_printf (s, ",%.6g", score);
  }
  g_string_append_c (s, '\n');
  fputs (s->str, stdout);
}

static gboolean
parse_row (const char *line, float *x, int64_t n, const char *where, GError **error)
{
  g_auto (GStrv) cells = g_strsplit (line, ",", -1);
  if ((int64_t) g_strv_length (cells) != n) {
    g_set_error (error, NN_ERROR, NN_ERROR_FORMAT, "%s: %u values, the model takes %" G_GINT64_FORMAT, where,
                 g_strv_length (cells), n);
    return FALSE;
  }
  for (int64_t i = 0; i < n; i++) {
    char *end;
    errno = 0;
    x[i] = (float) g_ascii_strtod (g_strstrip (cells[i]), &end);
    if (errno || end == cells[i] || *end) {
      g_set_error (error, NN_ERROR, NN_ERROR_FORMAT, "%s: \"%s\" is not a number", where, cells[i]);
      return FALSE;
    }
  }
  return TRUE;
}

static gboolean
predict_csv (Predict *p, const char *path, float *x, GError **error)
{
  g_autofree char *text = NULL;
  g_autoptr (GError) e = NULL;
  if (!g_file_get_contents (path, &text, NULL, &e)) {
    g_set_error (error, NN_ERROR, NN_ERROR_IO, "%s", e->message);
    return FALSE;
  }
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  for (int i = 0; lines[i]; i++) {
    char *l = g_strstrip (lines[i]);
    if (!*l || *l == '#')
      continue;
    g_autofree char *where = g_strdup_printf ("%s:%d", path, i + 1);
    if (!parse_row (l, x, p->in_el, where, error))
      return FALSE;
    const float *out = nn_model_forward (p->m, x, 1, FALSE, error);
    if (!out)
      return FALSE;
    print_result (p, path, i + 1, out);
  }
  return TRUE;
}

static gboolean
predict_image (Predict *p, const char *path, float *x, GError **error)
{
  if (!nn_image_load (path, nn_model_preprocess (p->m), x, error))
    return FALSE;
  const float *out = nn_model_forward (p->m, x, 1, FALSE, error);
  if (!out)
    return FALSE;
  print_result (p, path, 0, out);
  return TRUE;
}

static gboolean
predict_sentence (Predict *p, const NnTokenizer *tok, const char *sentence, int line, float *x, GError **error)
{
  nn_tokenizer_encode (tok, sentence, x);
  const float *out = nn_model_forward (p->m, x, 1, FALSE, error);
  if (!out)
    return FALSE;
  print_result (p, sentence, line, out);
  return TRUE;
}

/* One sentence per line of `path` ("-": standard input); blank lines skipped. */
static gboolean
predict_text_file (Predict *p, const NnTokenizer *tok, const char *path, float *x, GError **error)
{
  g_autofree char *text = NULL;
  gsize len = 0;
  g_autoptr (GError) e = NULL;
  gboolean ok;
  if (g_str_equal (path, "-")) {
    g_autoptr (GIOChannel) ch = g_io_channel_unix_new (0);
    ok = g_io_channel_set_encoding (ch, NULL, &e) &&
         g_io_channel_read_to_end (ch, &text, &len, &e) == G_IO_STATUS_NORMAL;
  } else {
    ok = g_file_get_contents (path, &text, &len, &e);
  }
  const char *name = g_str_equal (path, "-") ? "standard input" : path;
  if (!ok) {
    g_set_error (error, NN_ERROR, NN_ERROR_IO, "%s: %s", name, e ? e->message : "read failed");
    return FALSE;
  }
  g_auto (GStrv) lines = g_strsplit (text ? text : "", "\n", -1);
  for (int i = 0; lines[i]; i++) {
    const char *bad;
    if (!g_utf8_validate (lines[i], -1, &bad)) {
      g_set_error (error, NN_ERROR, NN_ERROR_FORMAT, "%s:%d: not UTF-8 (byte %d of the line)", name, i + 1,
                   (int) (bad - lines[i]) + 1);
      return FALSE;
    }
    char *l = g_strstrip (lines[i]);
    if (*l && !predict_sentence (p, tok, l, i + 1, x, error))
      return FALSE;
  }
  return TRUE;
}

int
cmd_predict (int argc, char **argv)
{
  g_autofree char *format = NULL;
  gboolean random_weights = FALSE;
  g_auto (GStrv) texts = NULL;
  g_autofree char *text_file = NULL;
  GOptionEntry entries[] = {
    { "text", 't', 0, G_OPTION_ARG_STRING_ARRAY, &texts, "classify this sentence (a word classifier; repeatable)",
      "SENTENCE" },
    { "text-file", 0, 0, G_OPTION_ARG_FILENAME, &text_file, "classify each line of FILE (- for standard input)",
      "FILE" },
    { "format", 'f', 0, G_OPTION_ARG_STRING, &format, "csv (output vector / file,label,score) or json", "csv|json" },
    CLI_RANDOM_WEIGHTS_ENTRY (&random_weights),
    { NULL }
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("MODEL [INPUT...] - classify CSV rows, image files or "
                                                         "sentences");
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_set_description (ctx, "A .csv INPUT holds one preprocessed input tensor (C*H*W values) per row;\n"
                                         "any other INPUT is decoded as an image and preprocessed like the training data.\n"
                                         "MODEL is a trained .safetensors model; a .json spec has no weights and is\n"
                                         "refused unless --random-weights is given.\n"
                                         "csv: one line per CSV row (the output vector) or per image (file,label,score),\n"
                                         "fields quoted as RFC 4180 says. json: one object per line, {\"input\", \"line\"\n"
                                         "(CSV rows), \"label\", \"class\", \"score\", \"output\"}; NaN and inf are null.\n"
                                         "--text and --text-file take a word classifier (a spec with a \"text\" block,\n"
                                         "trained on textcls: data) instead of INPUTs: csv prints sentence,label,score;\n"
                                         "json's \"input\" is the sentence and \"line\" its line in --text-file.\n");
  int status = 0;
  if (!cli_parse (ctx, &argc, &argv, &status))
    return status;
  if (format && !g_str_equal (format, "csv") && !g_str_equal (format, "json"))
    return cli_usage ("predict", "--format must be csv or json");
  gboolean text = texts || text_file;
  if (text && argc != 2)
    return cli_usage ("predict", "--text and --text-file take MODEL alone, no INPUT");
  if (!text && argc < 3)
    return cli_usage ("predict", "expected MODEL and at least one INPUT (or --text / --text-file)");
  g_autoptr (GError) e = NULL;
  g_autoptr (NnModel) m = cli_load_model (argv[1], random_weights, &e);
  if (!m)
    return cli_fail ("predict", e);
  Predict p = { m, format && g_str_equal (format, "json"), nn_shape_numel (nn_model_input_shape (m)),
                nn_shape_numel (nn_model_output_shape (m)), text };
  g_autofree float *x = g_new (float, p.in_el);
  if (text) {
    g_autoptr (NnTokenizer) tok = nn_tokenizer_new (nn_model_get_spec (m), &e);
    if (!tok)
      return cli_fail ("predict", e);
    for (int i = 0; texts && texts[i]; i++) {
      if (!g_utf8_validate (texts[i], -1, NULL)) {
        g_set_error (&e, NN_ERROR, NN_ERROR_FORMAT, "--text: sentence %d is not UTF-8", i + 1);
        return cli_fail ("predict", e);
      }
      if (!predict_sentence (&p, tok, texts[i], 0, x, &e))
        return cli_fail ("predict", e);
    }
    if (text_file && !predict_text_file (&p, tok, text_file, x, &e))
      return cli_fail ("predict", e);
    return 0;
  }
  for (int i = 2; i < argc; i++) {
    gboolean ok = g_str_has_suffix (argv[i], ".csv") ? predict_csv (&p, argv[i], x, &e)
                                                     : predict_image (&p, argv[i], x, &e);
    if (!ok)
      return cli_fail ("predict", e);
  }
  return 0;
}
