/* The one place the nn command turns values into JSON and CSV text.
 * JSON goes through json-glib (JsonBuilder, JsonGenerator) so every string is
 * escaped as JSON wants it (UTF-8 kept, control characters escaped), and a
 * number JSON cannot hold (NaN, +-inf) is written as null instead of the
 * invalid "nan" or "inf". CSV fields are quoted as RFC 4180 says. */
#include "nn-cli.h"
#include <gst/gst.h>

void
cli_json_add_number (JsonBuilder *b, double v)
{
  if (isfinite (v))
    json_builder_add_double_value (b, v);
  else
    json_builder_add_null_value (b);
}

void
cli_json_member_number (JsonBuilder *b, const char *name, double v)
{
  json_builder_set_member_name (b, name);
  cli_json_add_number (b, v);
}

void
cli_json_member_int (JsonBuilder *b, const char *name, gint64 v)
{
  json_builder_set_member_name (b, name);
  json_builder_add_int_value (b, v);
}

void
cli_json_member_string (JsonBuilder *b, const char *name, const char *v)
{
  json_builder_set_member_name (b, name);
  if (v)
    json_builder_add_string_value (b, v);
  else
    json_builder_add_null_value (b);
}

/* Strings that are not UTF-8 (file names in another encoding, bytes from an
 * element) would make JSON a parser refuses: their invalid bytes become
 * U+FFFD, as g_utf8_make_valid does. */
static void
add_string (JsonBuilder *b, const char *s)
{
  if (!s) {
    json_builder_add_null_value (b);
  } else if (g_utf8_validate (s, -1, NULL)) {
    json_builder_add_string_value (b, s);
  } else {
    g_autofree char *valid = g_utf8_make_valid (s, -1);
    json_builder_add_string_value (b, valid);
  }
}

static gboolean
add_field (GQuark field, const GValue *v, gpointer data)
{
  JsonBuilder *b = data;
  json_builder_set_member_name (b, g_quark_to_string (field));
  cli_json_add_gvalue (b, v);
  return TRUE;
}

void
cli_json_add_structure (JsonBuilder *b, const GstStructure *s)
{
  json_builder_begin_object (b);
  gst_structure_foreach (s, add_field, b);
  json_builder_end_object (b);
}

void
cli_json_add_gvalue (JsonBuilder *b, const GValue *v)
{
  GType t = G_VALUE_TYPE (v);
  if (t == G_TYPE_STRING) {
    add_string (b, g_value_get_string (v));
  } else if (t == G_TYPE_DOUBLE) {
    cli_json_add_number (b, g_value_get_double (v));
  } else if (t == G_TYPE_FLOAT) {
    cli_json_add_number (b, g_value_get_float (v));
  } else if (t == G_TYPE_BOOLEAN) {
    json_builder_add_boolean_value (b, g_value_get_boolean (v));
  } else if (t == G_TYPE_INT) {
    json_builder_add_int_value (b, g_value_get_int (v));
  } else if (t == G_TYPE_UINT) {
    json_builder_add_int_value (b, g_value_get_uint (v));
  } else if (t == G_TYPE_LONG) {
    json_builder_add_int_value (b, g_value_get_long (v));
  } else if (t == G_TYPE_INT64) {
    json_builder_add_int_value (b, g_value_get_int64 (v));
  } else if (t == G_TYPE_UINT64) {
    /* GST_CLOCK_TIME_NONE and other values past int64 do not fit a JSON
     * integer that readers keep exact: null rather than a wrapped number */
    guint64 u = g_value_get_uint64 (v);
    if (u <= G_MAXINT64)
      json_builder_add_int_value (b, (gint64) u);
    else
      json_builder_add_null_value (b);
  } else if (t == G_TYPE_ULONG) {
    gulong u = g_value_get_ulong (v);
    if ((guint64) u <= G_MAXINT64)
      json_builder_add_int_value (b, (gint64) u);
    else
      json_builder_add_null_value (b);
  } else if (t == G_TYPE_CHAR) {
    json_builder_add_int_value (b, g_value_get_schar (v));
  } else if (t == G_TYPE_UCHAR) {
    json_builder_add_int_value (b, g_value_get_uchar (v));
  } else if (GST_VALUE_HOLDS_ARRAY (v) || GST_VALUE_HOLDS_LIST (v)) {
    gboolean arr = GST_VALUE_HOLDS_ARRAY (v);
    guint n = arr ? gst_value_array_get_size (v) : gst_value_list_get_size (v);
    json_builder_begin_array (b);
    for (guint i = 0; i < n; i++)
      cli_json_add_gvalue (b, arr ? gst_value_array_get_value (v, i) : gst_value_list_get_value (v, i));
    json_builder_end_array (b);
  } else if (GST_VALUE_HOLDS_STRUCTURE (v)) {
    const GstStructure *s = gst_value_get_structure (v);
    if (s)
      cli_json_add_structure (b, s);
    else
      json_builder_add_null_value (b);
  } else {
    /* enums, fractions, caps, buffers...: GStreamer's own text for them */
    g_autofree char *ser = gst_value_serialize (v);
    add_string (b, ser);
  }
}

char *
cli_json_to_line (JsonBuilder *b)
{
  g_autoptr (JsonNode) root = json_builder_get_root (b);
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  json_generator_set_root (gen, root);
  gsize len = 0;
  char *text = json_generator_to_data (gen, &len);
  char *line = g_realloc (text, len + 2);
  line[len] = '\n';
  line[len + 1] = 0;
  return line;
}

gboolean
cli_json_write_line (FILE *f, JsonBuilder *b)
{
  g_autofree char *line = cli_json_to_line (b);
  return fputs (line, f) >= 0 && fflush (f) == 0;
}

void
cli_csv_append_field (GString *out, const char *field)
{
  if (!field)
    return;
  if (!strpbrk (field, ",\"\r\n")) {
    g_string_append (out, field);
    return;
  }
  g_string_append_c (out, '"');
  for (const char *p = field; *p; p++) {
    if (*p == '"')
      g_string_append_c (out, '"');
    g_string_append_c (out, *p);
  }
  g_string_append_c (out, '"');
}
