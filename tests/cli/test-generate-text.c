/* nn generate on a character model, as a user meets it: nn train on a
 * text:FILE, then sampling with a prime, a length, a seed and the seed's
 * temperature rule. The corpus draws a, b, c independently with p = .6, .3, .1,
 * so what a sampler must produce is known: those frequencies at temperature 1,
 * p^(1/T) renormalised at temperature T, always "a" at temperature 0. */
#include <check.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>
#include "../check-run.h"
#include "cli-run.h"

static char *tmp, *model;

static const double probs[3] = { 0.6, 0.3, 0.1 };

/* Train once for the whole suite (unchecked fixture). */
static void
setup (void)
{
  tmp = g_dir_make_tmp ("nn-gentext-XXXXXX", NULL);
  GRand *r = g_rand_new_with_seed (5);
  GString *text = g_string_new (NULL);
  for (int i = 0; i < 8000; i++) {
    double u = g_rand_double (r);
    g_string_append_c (text, u < probs[0] ? 'a' : u < probs[0] + probs[1] ? 'b' : 'c');
  }
  g_rand_free (r);
  g_autofree char *corpus = g_build_filename (tmp, "corpus.txt", NULL);
  g_autofree char *spec = g_build_filename (tmp, "spec.json", NULL);
  model = g_build_filename (tmp, "model.safetensors", NULL);
  g_assert (g_file_set_contents (corpus, text->str, -1, NULL));
  g_string_free (text, TRUE);
  g_assert (g_file_set_contents (spec, "{\"input\": [16], \"vocab\": \"abc\", \"layers\": ["
                                 "{\"type\": \"embedding\", \"vocab\": 3, \"units\": 4},"
                                 "{\"type\": \"lstm\", \"units\": 8, \"return_sequences\": true},"
                                 "{\"type\": \"time_distributed\", \"layer\": {\"type\": \"dense\", \"units\": 3}},"
                                 "{\"type\": \"softmax\", \"axis\": -1}]}", -1, NULL));
  g_autofree char *data = g_strconcat ("text:", corpus, NULL);
  char *err = NULL;
  int rc = cli_run (NULL, &err, "train", spec, "-d", data, "-e", "6", "--lr", "0.01", "--threads", "1", "-o", model, NULL);
  if (rc != 0)
    g_error ("nn train on text: exit %d: %s", rc, err);
  g_free (err);
}

static void
teardown (void)
{
  g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", tmp);
  g_assert (system (cmd) == 0);
  g_free (tmp);
  g_free (model);
}

static char *
generate (const char *prime, const char *length, const char *temperature, const char *seed)
{
  char *out = NULL, *err = NULL;
  int rc = cli_run (&out, &err, "generate", model, "--prime", prime, "--length", length, "--temperature", temperature,
                "--seed", seed, NULL);
  ck_assert_msg (rc == 0, "exit %d: %s", rc, err);
  g_free (err);
  ck_assert_msg (g_str_has_prefix (out, prime), "output does not start with the prime: %s", out);
  ck_assert_msg (strlen (out) == strlen (prime) + (size_t) atoi (length) + 1, "%zu characters", strlen (out));
  ck_assert (out[strlen (out) - 1] == '\n');
  return out;
}

static void
check_frequencies (const char *temperature, const double *want)
{
  g_autofree char *out = generate ("ab", "3000", temperature, "7");
  int count[3] = { 0 };
  for (const char *p = out + 2; *p != '\n'; p++) {
    ck_assert_msg (*p >= 'a' && *p <= 'c', "character %d outside the vocab", *p);
    count[*p - 'a']++;
  }
  for (int i = 0; i < 3; i++)
    ck_assert_msg (fabs (count[i] / 3000.0 - want[i]) < 0.05, "T=%s: '%c' %.3f, expected %.3f", temperature, 'a' + i,
                   count[i] / 3000.0, want[i]);
}

START_TEST (test_temperature_one_matches_corpus)
{
  check_frequencies ("1", probs);
}
END_TEST

START_TEST (test_temperature_rule)
{
  /* p_i ∝ exp(log p_i / T) = p_i^(1/T): T = 0.5 squares and renormalises */
  double sq[3], sum = 0.0;
  for (int i = 0; i < 3; i++)
    sum += sq[i] = probs[i] * probs[i];
  for (int i = 0; i < 3; i++)
    sq[i] /= sum;
  check_frequencies ("0.5", sq);
}
END_TEST

START_TEST (test_greedy_and_seeds)
{
  g_autofree char *greedy = generate ("cb", "50", "0", "1");
  for (const char *p = greedy + 2; *p != '\n'; p++)
    ck_assert_msg (*p == 'a', "temperature 0 is not greedy: %s", greedy);
  g_autofree char *a = generate ("", "200", "1", "3"), *b = generate ("", "200", "1", "3"),
                  *c = generate ("", "200", "1", "4");
  ck_assert_str_eq (a, b);
  ck_assert_str_ne (a, c);
}
END_TEST

START_TEST (test_defaults_and_errors)
{
  char *out = NULL, *err = NULL;
  /* the model alone picks the text generator: 200 characters by default */
  ck_assert_int_eq (cli_run (&out, NULL, "generate", model, NULL), 0);
  ck_assert_int_eq (strlen (out), 201);
  g_free (out);
  ck_assert_int_eq (cli_run (NULL, &err, "generate", model, "--temperature", "-1", NULL), 2);
  ck_assert (strstr (err, "--temperature"));
  g_free (err);
  ck_assert_int_eq (cli_run (NULL, &err, "generate", model, "--prime", "a\xff", NULL), 2);
  ck_assert (strstr (err, "UTF-8"));
  g_free (err);
  g_autofree char *missing = g_build_filename (tmp, "missing.safetensors", NULL);
  ck_assert_int_eq (cli_run (NULL, &err, "generate", missing, "--length", "5", NULL), 1);
  ck_assert (strstr (err, "missing.safetensors"));
  g_free (err);
  /* a prime with characters the model does not know still runs, with a note */
  ck_assert_int_eq (cli_run (&out, &err, "generate", model, "--prime", "xyz", "--length", "3", NULL), 0);
  ck_assert (g_str_has_prefix (out, "xyz") && strstr (err, "outside the vocabulary"));
  g_free (out);
  g_free (err);
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("generate-text");
  TCase *tc = tcase_create ("cli");
  tcase_add_unchecked_fixture (tc, setup, teardown);
  tcase_set_timeout (tc, 120);
  tcase_add_test (tc, test_temperature_one_matches_corpus);
  tcase_add_test (tc, test_temperature_rule);
  tcase_add_test (tc, test_greedy_and_seeds);
  tcase_add_test (tc, test_defaults_and_errors);
  suite_add_tcase (s, tc);
  return nn_check_run (s);
}
