/* cli/json-out.c on its own: every kind of value a GStreamer message can
 * carry becomes JSON that json-glib parses back to the same value; NaN, inf
 * and GST_CLOCK_TIME_NONE become null; strings that are not UTF-8 are made
 * valid; CSV fields are quoted as RFC 4180 says. */
#include <check.h>
#include <glib/gstdio.h>
#include <string.h>
#include "nn-cli.h"
#include "../check-run.h"

static JsonObject *
parse_line (JsonParser *p, const char *line)
{
  ck_assert (g_str_has_suffix (line, "\n"));
  ck_assert_msg (strchr (line, '\n') == line + strlen (line) - 1, "not one line: %s", line);
  g_autoptr (GError) e = NULL;
  ck_assert_msg (json_parser_load_from_data (p, line, -1, &e), "%s: %s", e ? e->message : "", line);
  ck_assert (JSON_NODE_HOLDS_OBJECT (json_parser_get_root (p)));
  return json_node_get_object (json_parser_get_root (p));
}

static gboolean
is_null (JsonObject *o, const char *name)
{
  JsonNode *n = json_object_get_member (o, name);
  return n && JSON_NODE_HOLDS_NULL (n);
}

START_TEST (test_structure_values)
{
  GstStructure *inner = gst_structure_new ("inner", "k", G_TYPE_INT, -3, NULL);
  GValue arr = G_VALUE_INIT, v = G_VALUE_INIT;
  gst_value_array_init (&arr, 3);
  const char *strs[] = { "caf\xc3\xa9", "a, \"b\"\n", "\xe6\x97\xa5" };
  for (int i = 0; i < 3; i++) {
    g_value_init (&v, G_TYPE_STRING);
    g_value_set_string (&v, strs[i]);
    gst_value_array_append_and_take_value (&arr, &v);
    memset (&v, 0, sizeof v);
  }
  GValue list = G_VALUE_INIT;
  gst_value_list_init (&list, 2);
  for (int i = 0; i < 2; i++) {
    g_value_init (&v, G_TYPE_FLOAT);
    g_value_set_float (&v, i ? NAN : 0.25f);
    gst_value_list_append_and_take_value (&list, &v);
    memset (&v, 0, sizeof v);
  }
  GstStructure *s = gst_structure_new ("msg", "d", G_TYPE_DOUBLE, 1.5, "nan", G_TYPE_DOUBLE, (double) NAN,
                                       "inf", G_TYPE_DOUBLE, (double) INFINITY, "ninf", G_TYPE_FLOAT, -INFINITY,
                                       "f", G_TYPE_FLOAT, 0.5f, "i", G_TYPE_INT, -7, "u", G_TYPE_UINT, 4000000000u,
                                       "big", G_TYPE_INT64, G_MAXINT64, "pts", G_TYPE_UINT64, (guint64) 40000000,
                                       "none", G_TYPE_UINT64, GST_CLOCK_TIME_NONE, "yes", G_TYPE_BOOLEAN, TRUE,
                                       "s", G_TYPE_STRING, "na\xc3\xafve \"q\"\t\\",
                                       "null-string", G_TYPE_STRING, NULL, "inner", GST_TYPE_STRUCTURE, inner,
                                       "frac", GST_TYPE_FRACTION, 30000, 1001, NULL);
  gst_structure_take_value (s, "arr", &arr);
  gst_structure_take_value (s, "list", &list);
  gst_structure_free (inner);

  g_autoptr (JsonBuilder) b = json_builder_new ();
  cli_json_add_structure (b, s);
  g_autofree char *line = cli_json_to_line (b);
  gst_structure_free (s);
  g_autoptr (JsonParser) p = json_parser_new ();
  JsonObject *o = parse_line (p, line);
  ck_assert_double_eq (json_object_get_double_member (o, "d"), 1.5);
  ck_assert (is_null (o, "nan") && is_null (o, "inf") && is_null (o, "ninf") && is_null (o, "none"));
  ck_assert_msg (!strstr (line, ":nan") && !strstr (line, ":inf") && !strstr (line, ":-inf"), "%s", line);
  ck_assert_double_eq (json_object_get_double_member (o, "f"), 0.5);
  ck_assert_int_eq (json_object_get_int_member (o, "i"), -7);
  ck_assert_int_eq (json_object_get_int_member (o, "u"), 4000000000);
  ck_assert_int_eq (json_object_get_int_member (o, "big"), G_MAXINT64);
  ck_assert_int_eq (json_object_get_int_member (o, "pts"), 40000000);
  ck_assert (json_object_get_boolean_member (o, "yes"));
  ck_assert_str_eq (json_object_get_string_member (o, "s"), "na\xc3\xafve \"q\"\t\\");
  ck_assert (is_null (o, "null-string"));
  ck_assert_int_eq (json_object_get_int_member (json_object_get_object_member (o, "inner"), "k"), -3);
  ck_assert_str_eq (json_object_get_string_member (o, "frac"), "30000/1001");
  JsonArray *a = json_object_get_array_member (o, "arr");
  ck_assert_int_eq (json_array_get_length (a), 3);
  for (int i = 0; i < 3; i++)
    ck_assert_str_eq (json_array_get_string_element (a, i), strs[i]);
  JsonArray *l = json_object_get_array_member (o, "list");
  ck_assert_int_eq (json_array_get_length (l), 2);
  ck_assert_double_eq (json_array_get_double_element (l, 0), 0.25);
  ck_assert (JSON_NODE_HOLDS_NULL (json_array_get_element (l, 1)));
  /* written as UTF-8, with JSON's own escapes only */
  ck_assert (g_utf8_validate (line, -1, NULL));
  ck_assert (strstr (line, "caf\xc3\xa9"));
  for (const char *c = line; (c = strchr (c, '\\')); c += 2)
    ck_assert_msg (strchr ("\"\\/bfnrtu", c[1]), "%s", line);
}
END_TEST

START_TEST (test_members_and_numbers)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  json_builder_begin_object (b);
  cli_json_member_number (b, "x", 0.1);
  cli_json_member_number (b, "nan", NAN);
  cli_json_member_number (b, "neg-inf", -INFINITY);
  cli_json_member_int (b, "n", -42);
  cli_json_member_string (b, "s", "\xe6\x97\xa5\xe6\x9c\xac");
  cli_json_member_string (b, "none", NULL);
  /* GstStructures refuse strings that are not UTF-8, a bare GValue does not */
  GValue bad = G_VALUE_INIT;
  g_value_init (&bad, G_TYPE_STRING);
  g_value_set_static_string (&bad, "ab\xff" "c");
  json_builder_set_member_name (b, "bad");
  cli_json_add_gvalue (b, &bad);
  g_value_unset (&bad);
  json_builder_end_object (b);
  g_autofree char *line = cli_json_to_line (b);
  g_autoptr (JsonParser) p = json_parser_new ();
  JsonObject *o = parse_line (p, line);
  ck_assert_double_eq (json_object_get_double_member (o, "x"), 0.1);
  ck_assert (is_null (o, "nan") && is_null (o, "neg-inf") && is_null (o, "none"));
  ck_assert_int_eq (json_object_get_int_member (o, "n"), -42);
  ck_assert_str_eq (json_object_get_string_member (o, "s"), "\xe6\x97\xa5\xe6\x9c\xac");
  /* the invalid byte is replaced (U+FFFD), the rest kept */
  ck_assert_str_eq (json_object_get_string_member (o, "bad"), "ab\xef\xbf\xbd" "c");
  ck_assert (g_utf8_validate (line, -1, NULL));
}
END_TEST

static char *
csv_field (const char *s)
{
  GString *out = g_string_new (NULL);
  cli_csv_append_field (out, s);
  return g_string_free (out, FALSE);
}

START_TEST (test_csv_fields)
{
  static const struct {
    const char *in, *out;
  } cases[] = {
    { "plain", "plain" },
    { "", "" },
    { "with space", "with space" },
    { "a,b", "\"a,b\"" },
    { "say \"hi\"", "\"say \"\"hi\"\"\"" },
    { "\"", "\"\"\"\"" },
    { "two\nlines", "\"two\nlines\"" },
    { "cr\rhere", "\"cr\rhere\"" },
    { "\xe6\x97\xa5\xe6\x9c\xac", "\xe6\x97\xa5\xe6\x9c\xac" },
    { "n\xc3\xa9, \"x\"", "\"n\xc3\xa9, \"\"x\"\"\"" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autofree char *got = csv_field (cases[i].in);
    ck_assert_str_eq (got, cases[i].out);
  }
  g_autofree char *none = csv_field (NULL);
  ck_assert_str_eq (none, "");
}
END_TEST

static Suite *
suite (void)
{
  Suite *s = suite_create ("json-values");
  TCase *tc = tcase_create ("json-values");
  tcase_add_test (tc, test_structure_values);
  tcase_add_test (tc, test_members_and_numbers);
  tcase_add_test (tc, test_csv_fields);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  /* GstValue needs gst_init, not one plugin: scan none (a fresh registry of
   * every installed plugin takes long under ASan) */
  g_autofree char *dir = g_dir_make_tmp ("nn-json-values-XXXXXX", NULL);
  g_autofree char *reg = g_build_filename (dir, "registry.bin", NULL);
  g_setenv ("GST_REGISTRY_1_0", reg, TRUE);
  g_setenv ("GST_PLUGIN_SYSTEM_PATH_1_0", "", TRUE);
  g_setenv ("GST_PLUGIN_PATH_1_0", "", TRUE);
  gst_init (NULL, NULL);
  int status = nn_check_run (suite ());
  g_unlink (reg);
  g_rmdir (dir);
  return status;
}
