/* csv: datasets, the URI dispatch and nn_dataset_split. */
#include "data/data-private.h"
#include <check.h>
#include <glib/gstdio.h>
#include <float.h>
#include <stdlib.h>
#include "../check-run.h"

static char *tmpdir;

static void
setup (void)
{
  tmpdir = g_dir_make_tmp ("nn-csv-XXXXXX", NULL);
  ck_assert_ptr_nonnull (tmpdir);
}

static void
teardown (void)
{
  g_autoptr (GDir) d = g_dir_open (tmpdir, 0, NULL);
  const char *n;
  while (d && (n = g_dir_read_name (d))) {
    g_autofree char *p = g_build_filename (tmpdir, n, NULL);
    g_unlink (p);
  }
  g_rmdir (tmpdir);
  g_clear_pointer (&tmpdir, g_free);
}

static char *
write_csv (const char *name, const char *text)
{
  char *p = g_build_filename (tmpdir, name, NULL);
  ck_assert (g_file_set_contents (p, text, -1, NULL));
  return p;
}

static const char *const names[] = { "cat", "dog", "eel" };

/* input [n_in], n_out outputs, optionally the 3 labels above */
static NnDataTarget
target (int n_in, int n_out, gboolean labels)
{
  NnDataTarget t = { 0 };
  t.input = nn_shape_1d (n_in);
  t.n_out = n_out;
  t.pre = (NnPreprocess) { 1, 1, n_in, 1.0f / 255, { 0 }, { 1, 1, 1 } };
  if (labels) {
    t.n_labels = n_out;
    t.labels = names;
  }
  return t;
}

static void
expect_error (const char *name, const char *text, NnDataTarget t, int code, const char *needle)
{
  g_autofree char *p = write_csv (name, text);
  g_autoptr (GError) err = NULL;
  NnDataset *ds = nn_data_load_csv (p, &t, &err);
  ck_assert_msg (ds == NULL, "%s loaded", name);
  ck_assert_msg (g_error_matches (err, NN_ERROR, code), "%s: code %d: %s", name, err ? err->code : -1,
                 err ? err->message : "");
  ck_assert_msg (strstr (err->message, p) != NULL, "message does not name the file: %s", err->message);
  if (needle)
    ck_assert_msg (strstr (err->message, needle) != NULL, "'%s' not in: %s", needle, err->message);
}

START_TEST (test_classification_with_header)
{
  g_autofree char *p = write_csv ("c.csv", "a,b,c,label\n1,2,3,0\n4.5, -5 ,6e1,2\r\n\n7,8,9,1\n\n");
  NnDataTarget t = target (3, 3, FALSE);
  g_autoptr (GError) err = NULL;
  g_autoptr (NnDataset) ds = nn_data_load_csv (p, &t, &err);
  ck_assert_msg (ds != NULL, "%s", err ? err->message : "");
  ck_assert_int_eq (ds->n, 3);
  ck_assert_ptr_nonnull (ds->labels);
  ck_assert_ptr_null (ds->y);
  ck_assert_int_eq (ds->n_classes, 3);
  ck_assert_ptr_null (ds->class_names);
  float want[9] = { 1, 2, 3, 4.5f, -5, 60, 7, 8, 9 };
  for (int i = 0; i < 9; i++)
    ck_assert_float_eq (ds->x[i], want[i]);
  ck_assert_int_eq (ds->labels[0], 0);
  ck_assert_int_eq (ds->labels[1], 2);
  ck_assert_int_eq (ds->labels[2], 1);
  ck_assert_int_eq (ds->sample_shape.ndim, 1);
  ck_assert_int_eq (ds->sample_shape.dim[0], 3);
}
END_TEST

START_TEST (test_label_names)
{
  g_autofree char *p = write_csv ("n.csv", "0.5,dog\n0.25, eel\n1,0\n");
  NnDataTarget t = target (1, 3, TRUE);
  g_autoptr (GError) err = NULL;
  g_autoptr (NnDataset) ds = nn_data_load_csv (p, &t, &err);
  ck_assert_msg (ds != NULL, "%s", err ? err->message : "");
  ck_assert_int_eq (ds->n, 3);
  ck_assert_int_eq (ds->labels[0], 1);
  ck_assert_int_eq (ds->labels[1], 2);
  ck_assert_int_eq (ds->labels[2], 0);
  ck_assert_str_eq (ds->class_names[1], "dog");
  ck_assert_ptr_null (ds->class_names[3]);
}
END_TEST

START_TEST (test_regression)
{
  g_autofree char *p = write_csv ("r.csv", "x1,x2,y1,y2\n1,2,0.5,0.25\n3,4,-1,2\n");
  NnDataTarget t = target (2, 2, FALSE);
  g_autoptr (GError) err = NULL;
  g_autoptr (NnDataset) ds = nn_data_load_csv (p, &t, &err);
  ck_assert_msg (ds != NULL, "%s", err ? err->message : "");
  ck_assert_int_eq (ds->n, 2);
  ck_assert_ptr_null (ds->labels);
  ck_assert_int_eq (ds->target_dim, 2);
  float wx[4] = { 1, 2, 3, 4 }, wy[4] = { 0.5f, 0.25f, -1, 2 };
  for (int i = 0; i < 4; i++) {
    ck_assert_float_eq (ds->x[i], wx[i]);
    ck_assert_float_eq (ds->y[i], wy[i]);
  }
  /* one output, one target column: regression too (no header here) */
  g_autofree char *q = write_csv ("r1.csv", "1,2,0.5\n3,4,1\n");
  NnDataTarget t1 = target (2, 1, FALSE);
  g_autoptr (NnDataset) d1 = nn_data_load_csv (q, &t1, &err);
  ck_assert_msg (d1 != NULL, "%s", err ? err->message : "");
  ck_assert_int_eq (d1->target_dim, 1);
  ck_assert_float_eq (d1->y[1], 1.0f);
}
END_TEST

START_TEST (test_errors)
{
  expect_error ("nonnum.csv", "a,b,l\n1,2,0\n1,x,1\n", target (2, 2, FALSE), NN_ERROR_FORMAT, ":3:");
  expect_error ("nonnum2.csv", "1,2,0\n1,2,0\n1,nan,1\n", target (2, 2, FALSE), NN_ERROR_FORMAT, ":3:");
  expect_error ("short.csv", "1,2,0\n1,2\n", target (2, 2, FALSE), NN_ERROR_FORMAT, ":2: short");
  expect_error ("long.csv", "1,2,0\n1,2,0,4\n", target (2, 2, FALSE), NN_ERROR_FORMAT, ":2: long");
  expect_error ("range.csv", "1,2,0\n1,2,2\n", target (2, 2, FALSE), NN_ERROR_FORMAT, ":2:");
  expect_error ("neg.csv", "1,2,-1\n", target (2, 2, FALSE), NN_ERROR_FORMAT, ":1:");
  expect_error ("frac.csv", "1,2,0.5\n", target (2, 2, FALSE), NN_ERROR_FORMAT, ":1:");
  expect_error ("name.csv", "1,cow\n", target (1, 3, TRUE), NN_ERROR_FORMAT, "cow");
  expect_error ("nolabels.csv", "1,2,dog\n", target (2, 3, FALSE), NN_ERROR_FORMAT, ":1:");
  expect_error ("cols.csv", "h1,h2\n1,2,3,4,5\n", target (2, 2, FALSE), NN_ERROR_FORMAT, ":2:");
  expect_error ("empty.csv", "a,b,label\n\n", target (2, 2, FALSE), NN_ERROR_EMPTY, NULL);
  expect_error ("void.csv", "", target (2, 2, FALSE), NN_ERROR_EMPTY, NULL);

  g_autofree char *missing = g_build_filename (tmpdir, "missing.csv", NULL);
  NnDataTarget t = target (2, 2, FALSE);
  g_autoptr (GError) err = NULL;
  ck_assert_ptr_null (nn_data_load_csv (missing, &t, &err));
  ck_assert (g_error_matches (err, NN_ERROR, NN_ERROR_IO));
  ck_assert_ptr_nonnull (strstr (err->message, missing));
}
END_TEST

/* Values beyond float range are errors naming file, line and column (as
 * features, targets and class labels, and in the first row, which is then
 * data rather than a header); "inf" and "nan" are not numbers; the largest
 * float is read; subnormals and underflow are read as strtof reads them. */
START_TEST (test_float_range)
{
  const char *big[] = { "1e39", "1e400", "-1e39", "-1e400", "3.5e38", "1e999999" };
  for (guint i = 0; i < G_N_ELEMENTS (big); i++) {
    g_autofree char *feature = g_strdup_printf ("0.5,1,1\n1,%s,1\n", big[i]);
    g_autofree char *needle = g_strdup_printf (":2: column 2: %s is outside the float range", big[i]);
    expect_error ("big-feature.csv", feature, target (2, 2, FALSE), NN_ERROR_FORMAT, needle);
    g_autofree char *first = g_strdup_printf ("%s,1,2\n", big[i]);
    g_autofree char *needle1 = g_strdup_printf (":1: column 1: %s is outside", big[i]);
    expect_error ("big-first.csv", first, target (2, 2, FALSE), NN_ERROR_FORMAT, needle1);
    g_autofree char *tgt = g_strdup_printf ("x,y,t1,t2\n1,2,0.5,%s\n", big[i]);
    g_autofree char *needle2 = g_strdup_printf (":2: column 4: %s is outside", big[i]);
    expect_error ("big-target.csv", tgt, target (2, 2, FALSE), NN_ERROR_FORMAT, needle2);
    g_autofree char *label = g_strdup_printf ("1,2,0\n1,2,%s\n", big[i]);
    g_autofree char *needle3 = g_strdup_printf (":2: column 3: %s is outside", big[i]);
    expect_error ("big-label.csv", label, target (2, 3, FALSE), NN_ERROR_FORMAT, needle3);
  }
  expect_error ("inf.csv", "1,2,0\n1,inf,1\n", target (2, 2, FALSE), NN_ERROR_FORMAT, ":2: column 2: \"inf\" is not a number");
  expect_error ("ninf.csv", "1,2,0\n-infinity,1,1\n", target (2, 2, FALSE), NN_ERROR_FORMAT, ":2: column 1:");
  expect_error ("nan.csv", "1,2,0\n1, NaN ,1\n", target (2, 2, FALSE), NN_ERROR_FORMAT, ":2: column 2: \"NaN\"");

  const char *tiny[] = { "1e-40", "-1e-40", "1e-310", "1.4e-45", "7e-46", "1e-46", "3.4028234e38", "-3.4028234e38",
                         "1.17549435e-38", "1e-400" };
  GString *text = g_string_new ("a,b\n");
  for (guint i = 0; i < G_N_ELEMENTS (tiny); i++)
    g_string_append_printf (text, "%s,%u\n", tiny[i], i % 2);
  g_autofree char *p = write_csv ("tiny.csv", text->str);
  g_string_free (text, TRUE);
  NnDataTarget t = target (1, 2, FALSE);
  g_autoptr (GError) err = NULL;
  g_autoptr (NnDataset) ds = nn_data_load_csv (p, &t, &err);
  ck_assert_msg (ds != NULL, "%s", err ? err->message : "");
  ck_assert_int_eq (ds->n, G_N_ELEMENTS (tiny));
  for (guint i = 0; i < G_N_ELEMENTS (tiny); i++) {
    /* the test runs in the C locale, where strtof is the reference */
    float want = strtof (tiny[i], NULL);
    ck_assert_msg (memcmp (&ds->x[i], &want, sizeof want) == 0, "%s read as %a, strtof gives %a", tiny[i],
                   (double) ds->x[i], (double) want);
  }
  /* the subnormals are kept, not flushed: 1e-40 is about 2^-133 */
  ck_assert (ds->x[0] > 0.0f && ds->x[0] < FLT_MIN && fpclassify (ds->x[0]) == FP_SUBNORMAL);
  ck_assert (ds->x[1] < 0.0f && ds->x[1] > -FLT_MIN);
  ck_assert_float_eq (ds->x[2], 0.0f);
  ck_assert_float_eq (ds->x[6], FLT_MAX);
}
END_TEST

START_TEST (test_uri_dispatch)
{
  g_autofree char *p = write_csv ("u.csv", "1,2,1\n");
  g_autofree char *uri = g_strconcat ("csv:", p, NULL);
  NnDataTarget t = target (2, 2, FALSE);
  g_autoptr (GError) err = NULL;
  g_autoptr (NnDataset) ds = nn_data_load_uri (uri, &t, &err);
  ck_assert_msg (ds != NULL, "%s", err ? err->message : "");
  ck_assert_int_eq (ds->labels[0], 1);

  ck_assert_ptr_null (nn_data_load_uri ("parquet:/x.pq", &t, &err));
  ck_assert (g_error_matches (err, NN_ERROR, NN_ERROR_INVALID));
  ck_assert_ptr_nonnull (strstr (err->message, "parquet:/x.pq"));
  ck_assert_ptr_nonnull (strstr (err->message, "csv:"));
  ck_assert_ptr_nonnull (strstr (err->message, "idx:"));
  ck_assert_ptr_nonnull (strstr (err->message, "folder:"));
  g_clear_error (&err);
  ck_assert_ptr_null (nn_data_load_uri (p, &t, &err));
  ck_assert (g_error_matches (err, NN_ERROR, NN_ERROR_INVALID));
}
END_TEST

static NnDataset *
numbered (int n)
{
  NnShape s = nn_shape_1d (2);
  NnDataset *ds = nn_dataset_new (&s, n, TRUE, 1);
  for (int i = 0; i < n; i++) {
    ds->x[2 * i] = i;
    ds->x[2 * i + 1] = -i;
    ds->labels[i] = i % 3;
    ds->y[i] = i * 10;
  }
  ds->n_classes = 3;
  ds->class_names = g_strdupv ((char **) (const char *[]) { "a", "b", "c", NULL });
  return ds;
}

START_TEST (test_split)
{
  g_autoptr (NnDataset) ds = numbered (10);
  NnDataset *tr = NULL, *va = NULL, *tr2 = NULL, *va2 = NULL, *tr3 = NULL, *va3 = NULL;
  g_autoptr (GError) err = NULL;
  ck_assert (nn_dataset_split (ds, 0.3, 42, &tr, &va, &err));
  ck_assert_int_eq (tr->n, 7);
  ck_assert_int_eq (va->n, 3);
  ck_assert_int_eq (va->n_classes, 3);
  ck_assert_str_eq (va->class_names[2], "c");
  int seen[10] = { 0 };
  gboolean shuffled = FALSE;
  for (int i = 0; i < 10; i++) {
    const NnDataset *d = i < 7 ? tr : va;
    int j = i < 7 ? i : i - 7;
    int id = (int) d->x[2 * j];
    ck_assert_float_eq (d->x[2 * j + 1], -id);
    ck_assert_int_eq (d->labels[j], id % 3);
    ck_assert_float_eq (d->y[j], id * 10);
    seen[id]++;
    shuffled |= id != i;
  }
  for (int i = 0; i < 10; i++)
    ck_assert_int_eq (seen[i], 1);
  ck_assert (shuffled);
  ck_assert (nn_dataset_split (ds, 0.3, 42, &tr2, &va2, &err));
  ck_assert_mem_eq (tr->x, tr2->x, sizeof (float) * 14);
  ck_assert (nn_dataset_split (ds, 0.3, 43, &tr3, &va3, &err));
  ck_assert (memcmp (tr->x, tr3->x, sizeof (float) * 14) != 0);
  nn_dataset_free (tr); nn_dataset_free (va);
  nn_dataset_free (tr2); nn_dataset_free (va2);
  nn_dataset_free (tr3); nn_dataset_free (va3);

  ck_assert (nn_dataset_split (ds, 0.0, 1, &tr, &va, &err));
  ck_assert_int_eq (tr->n, 10);
  ck_assert_ptr_null (va);
  nn_dataset_free (tr);

  ck_assert (!nn_dataset_split (ds, 1.0, 1, &tr, &va, &err));
  ck_assert (g_error_matches (err, NN_ERROR, NN_ERROR_INVALID));
  ck_assert_ptr_null (tr);
  g_clear_error (&err);
  ck_assert (!nn_dataset_split (ds, -0.1, 1, &tr, &va, &err));
  ck_assert (g_error_matches (err, NN_ERROR, NN_ERROR_INVALID));
  g_clear_error (&err);
  g_autoptr (NnDataset) one = numbered (1);
  ck_assert (!nn_dataset_split (one, 0.5, 1, &tr, &va, &err));
  ck_assert (g_error_matches (err, NN_ERROR, NN_ERROR_EMPTY));
}
END_TEST


/* nn_dataset_load reads the input size, outputs and labels from a model */
START_TEST (test_load_through_model)
{
  g_autoptr (GError) err = NULL;
  g_autoptr (NnModel) m = nn_model_new_from_spec (
    "{\"input\": [2], \"labels\": [\"no\", \"yes\", \"maybe\"],"
    " \"layers\": [{\"name\": \"fc\", \"type\": \"dense\", \"units\": 3}, {\"type\": \"softmax\"}]}", 1, &err);
  ck_assert_msg (m != NULL, "%s", err ? err->message : "");
  g_autofree char *p = write_csv ("m.csv", "a,b,answer\n1,2,maybe\n3,4,0\n");
  g_autofree char *uri = g_strconcat ("csv:", p, NULL);
  g_autoptr (NnDataset) ds = nn_dataset_load (uri, m, &err);
  ck_assert_msg (ds != NULL, "%s", err ? err->message : "");
  ck_assert_int_eq (ds->n, 2);
  ck_assert_int_eq (ds->n_classes, 3);
  ck_assert_int_eq (ds->labels[0], 2);
  ck_assert_int_eq (ds->labels[1], 0);
  ck_assert_str_eq (ds->class_names[2], "maybe");
  ck_assert_float_eq (ds->x[3], 4.0f);
  ck_assert_ptr_null (nn_dataset_load ("tsv:x", m, &err));
  ck_assert (g_error_matches (err, NN_ERROR, NN_ERROR_INVALID));
}
END_TEST

static Suite *
suite (void)
{
  Suite *s = suite_create ("data-csv");
  TCase *tc = tcase_create ("core");
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_add_test (tc, test_classification_with_header);
  tcase_add_test (tc, test_label_names);
  tcase_add_test (tc, test_regression);
  tcase_add_test (tc, test_errors);
  tcase_add_test (tc, test_float_range);
  tcase_add_test (tc, test_uri_dispatch);
  tcase_add_test (tc, test_split);
  tcase_add_test (tc, test_load_through_model);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  return nn_check_run (suite ());
}
