/* Word-level text: the tokenizer of word classifiers (textcls: datasets,
 * `nn predict --text`, the nntextclassify element). Include <nn/nn.h>, not
 * this file.
 *
 * The spec's "text" block (docs/spec.md) configures it and, once a model is
 * trained, holds its vocabulary ("words"), so the .safetensors file alone
 * tokenizes a sentence exactly as training did. A sentence becomes the
 * model's [T] input: lower-cased (when "lower"), split into words (runs of
 * letters, digits and inner apostrophes; every other character separates),
 * each word its index (0 is padding, 1 out of vocabulary, word i of "words"
 * is 2 + i), then cut or padded with 0 to T at the "truncating"/"padding"
 * end, as Keras' pad_sequences does. */
#pragma once

#define NN_TEXT_PAD 0
#define NN_TEXT_OOV 1

typedef struct {
  gboolean     pad_post;    /* "padding": "post" */
  gboolean     trunc_post;  /* "truncating": "post" */
  gboolean     lower;
  int          vocab_size;  /* most indices, 0 and 1 included */
  int          min_count;
  int          n_words;     /* 0 until training has filled "words" in */
  char       **words;       /* (n_words) index 2 + i, NULL-terminated */
} NnTextOptions;

/* (transfer none) (nullable): the spec's "text" block, NULL when it has none. */
NN_API const NnTextOptions *nn_spec_text (const NnSpec *spec);

/* The words of `text` (valid UTF-8) as the tokenizer splits them.
 * Returns (transfer full): NULL-terminated, possibly empty. */
NN_API char **nn_text_split (const char *text, gboolean lower);

typedef struct _NnTokenizer NnTokenizer;
/* A tokenizer for the spec's "text" block and its "words" (a trained model).
 * Returns (transfer full) (nullable): NULL with `error` set (naming the spec's
 * source) when the spec has no "text" block, no words yet, or an input that
 * is not [T]. */
NN_API NnTokenizer *nn_tokenizer_new (const NnSpec *spec, GError **error) G_GNUC_WARN_UNUSED_RESULT;
NN_API void         nn_tokenizer_free (NnTokenizer *t);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (NnTokenizer, nn_tokenizer_free)
/* T, the padded length. */
NN_API int          nn_tokenizer_length (const NnTokenizer *t);
/* Index of one word (already split and lower-cased), NN_TEXT_OOV when unknown. */
NN_API int          nn_tokenizer_index (const NnTokenizer *t, const char *word);
/* `text` (valid UTF-8) into out[T] as indices (floats, what the embedding
 * reads); returns how many words the sentence had before truncation. */
NN_API int          nn_tokenizer_encode (const NnTokenizer *t, const char *text, float *out);
