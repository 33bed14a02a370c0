/* safetensors: the model file format (https://github.com/huggingface/safetensors).
 *
 *   u64 LE N | N bytes of JSON header | data area
 *
 * The header maps tensor names to {"dtype", "shape", "data_offsets": [begin, end]}
 * (offsets relative to the data area) plus an optional "__metadata__" object of
 * strings. Files come from other programs and from users' disks, so every field
 * is checked before any tensor byte is touched, and each failure is a GError
 * naming the file. */
#include "nn-private.h"

/* The reference implementation refuses headers above 100 MB; so do we, which
 * also keeps a corrupt length from making us parse the whole disk. */
#define ST_MAX_HEADER ((guint64) 100 * 1000 * 1000)

struct _NnSafetensors {
  char        *path;
  GMappedFile *map;
  NnStTensor  *tensors;     /* (n), in data-area order */
  int          n;
  GHashTable  *by_name;     /* name -> NnStTensor* */
  GHashTable  *metadata;    /* key -> value, owned strings */
};

typedef struct {
  const char *name;
  gsize       itemsize;
} StDtype;

static const StDtype st_dtypes[] = {
  { "BOOL", 1 }, { "U8", 1 }, { "I8", 1 }, { "F8_E5M2", 1 }, { "F8_E4M3", 1 },
  { "I16", 2 }, { "U16", 2 }, { "F16", 2 }, { "BF16", 2 },
  { "I32", 4 }, { "U32", 4 }, { "F32", 4 },
  { "I64", 8 }, { "U64", 8 }, { "F64", 8 },
};

static const StDtype *
st_dtype_lookup (const char *name)
{
  for (gsize i = 0; i < G_N_ELEMENTS (st_dtypes); i++)
    if (strcmp (st_dtypes[i].name, name) == 0)
      return &st_dtypes[i];
  return NULL;
}

static void
st_fail (GError **error, const NnSafetensors *st, const char *fmt, ...) G_GNUC_PRINTF (3, 4);

/* Every format error: "<path>: <what>". */
static void
st_fail (GError **error, const NnSafetensors *st, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  g_autofree char *what = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  g_set_error (error, NN_ERROR, NN_ERROR_FORMAT, "%s: %s", st->path, what);
}

/* ---- reading ---------------------------------------------------------------- */

static gboolean
st_map (NnSafetensors *st, GError **error)
{
  if (g_file_test (st->path, G_FILE_TEST_IS_DIR)) {
    g_set_error (error, NN_ERROR, NN_ERROR_IO, "%s: is a directory, not a safetensors file", st->path);
    return FALSE;
  }
  if (!g_file_test (st->path, G_FILE_TEST_EXISTS)) {
    g_set_error (error, NN_ERROR, NN_ERROR_IO, "%s: no such file", st->path);
    return FALSE;
  }
  g_autoptr(GError) err = NULL;
  st->map = g_mapped_file_new (st->path, FALSE, &err);
  if (!st->map) {
    g_set_error (error, NN_ERROR, NN_ERROR_IO, "%s: cannot read: %s", st->path, err->message);
    return FALSE;
  }
  return TRUE;
}

/* Returns the header bytes and their length, checking the length prefix. */
static const char *
st_header (NnSafetensors *st, gsize *hlen, GError **error)
{
  const guint8 *p = (const guint8 *) g_mapped_file_get_contents (st->map);
  gsize len = g_mapped_file_get_length (st->map);
  if (len == 0) {
    st_fail (error, st, "empty file");
    return NULL;
  }
  if (len < 8) {
    st_fail (error, st, "file of %" G_GSIZE_FORMAT " bytes is too short for the 8-byte header length", len);
    return NULL;
  }
  guint64 n;
  memcpy (&n, p, 8);
  n = GUINT64_FROM_LE (n);
  if (n > ST_MAX_HEADER) {
    st_fail (error, st, "header length %" G_GUINT64_FORMAT " is absurdly large (limit %" G_GUINT64_FORMAT
             "); not a safetensors file?", n, ST_MAX_HEADER);
    return NULL;
  }
  if (n > len - 8) {
    st_fail (error, st, "header length %" G_GUINT64_FORMAT " runs past the end of the %" G_GSIZE_FORMAT
             "-byte file (truncated?)", n, len);
    return NULL;
  }
  *hlen = (gsize) n;
  return (const char *) p + 8;
}

static gboolean
st_is_int (JsonNode *node)
{
  return node && JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_INT64;
}

static gboolean
st_parse_shape (NnSafetensors *st, const char *name, JsonNode *node, NnShape *shape, GError **error)
{
  if (!node || !JSON_NODE_HOLDS_ARRAY (node)) {
    st_fail (error, st, "tensor \"%s\": \"shape\" is missing or not an array", name);
    return FALSE;
  }
  JsonArray *a = json_node_get_array (node);
  guint nd = json_array_get_length (a);
  if (nd > NN_MAX_DIMS) {
    st_fail (error, st, "tensor \"%s\": %u dimensions, at most %d supported", name, nd, NN_MAX_DIMS);
    return FALSE;
  }
  shape->ndim = (int) nd;
  for (guint i = 0; i < nd; i++) {
    JsonNode *d = json_array_get_element (a, i);
    if (!st_is_int (d)) {
      st_fail (error, st, "tensor \"%s\": shape entry %u is not an integer", name, i);
      return FALSE;
    }
    shape->dim[i] = json_node_get_int (d);
    if (shape->dim[i] < 0) {
      st_fail (error, st, "tensor \"%s\": negative dimension %" G_GINT64_FORMAT, name, shape->dim[i]);
      return FALSE;
    }
  }
  return TRUE;
}

/* numel * itemsize, refusing anything that overflows int64 or gsize. */
static gboolean
st_byte_size (const NnShape *shape, gsize itemsize, guint64 *out)
{
  guint64 n = itemsize;
  for (int i = 0; i < shape->ndim; i++)
    if (__builtin_mul_overflow (n, (guint64) shape->dim[i], &n))
      return FALSE;
  if (n > G_MAXINT64 || n > G_MAXSIZE)
    return FALSE;
  *out = n;
  return TRUE;
}

static gboolean
st_parse_offsets (NnSafetensors *st, const char *name, JsonNode *node, guint64 area, guint64 off[2],
                  GError **error)
{
  JsonArray *a = node && JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
  if (!a || json_array_get_length (a) != 2 || !st_is_int (json_array_get_element (a, 0)) ||
      !st_is_int (json_array_get_element (a, 1))) {
    st_fail (error, st, "tensor \"%s\": \"data_offsets\" must be two integers [begin, end]", name);
    return FALSE;
  }
  gint64 b = json_array_get_int_element (a, 0), e = json_array_get_int_element (a, 1);
  if (b < 0 || e < 0) {
    st_fail (error, st, "tensor \"%s\": negative data offset", name);
    return FALSE;
  }
  if (b > e) {
    st_fail (error, st, "tensor \"%s\": data_offsets begin %" G_GINT64_FORMAT " > end %" G_GINT64_FORMAT,
             name, b, e);
    return FALSE;
  }
  if ((guint64) e > area) {
    st_fail (error, st, "tensor \"%s\": data ends at %" G_GINT64_FORMAT " but the data area holds only %"
             G_GUINT64_FORMAT " bytes (truncated file?)", name, e, area);
    return FALSE;
  }
  off[0] = (guint64) b;
  off[1] = (guint64) e;
  return TRUE;
}

static gboolean
st_parse_tensor (NnSafetensors *st, const char *name, JsonNode *node, const guint8 *data, guint64 area,
                 NnStTensor *t, GError **error)
{
  if (!JSON_NODE_HOLDS_OBJECT (node)) {
    st_fail (error, st, "tensor \"%s\": entry is not a JSON object", name);
    return FALSE;
  }
  JsonObject *o = json_node_get_object (node);
  JsonNode *dn = json_object_get_member (o, "dtype");
  const char *dtype = dn && JSON_NODE_HOLDS_VALUE (dn) && json_node_get_value_type (dn) == G_TYPE_STRING
                      ? json_node_get_string (dn) : NULL;
  if (!dtype) {
    st_fail (error, st, "tensor \"%s\": \"dtype\" is missing or not a string", name);
    return FALSE;
  }
  const StDtype *dt = st_dtype_lookup (dtype);
  if (!dt) {
    st_fail (error, st, "tensor \"%s\": unknown dtype \"%s\"", name, dtype);
    return FALSE;
  }
  guint64 off[2], size;
  if (!st_parse_shape (st, name, json_object_get_member (o, "shape"), &t->shape, error))
    return FALSE;
  if (!st_byte_size (&t->shape, dt->itemsize, &size)) {
    char sb[128];
    st_fail (error, st, "tensor \"%s\": shape %s of %s is too large (size overflows)", name,
             nn_shape_to_string (&t->shape, sb, sizeof sb), dtype);
    return FALSE;
  }
  if (!st_parse_offsets (st, name, json_object_get_member (o, "data_offsets"), area, off, error))
    return FALSE;
  if (off[1] - off[0] != size) {
    char sb[128];
    st_fail (error, st, "tensor \"%s\": data_offsets span %" G_GUINT64_FORMAT " bytes but shape %s of %s needs %"
             G_GUINT64_FORMAT, name, off[1] - off[0], nn_shape_to_string (&t->shape, sb, sizeof sb), dtype, size);
    return FALSE;
  }
  t->name = g_strdup (name);
  g_strlcpy (t->dtype, dt->name, sizeof t->dtype);
  t->data = data + off[0];
  t->nbytes = (gsize) size;
  return TRUE;
}

static gboolean
st_parse_metadata (NnSafetensors *st, JsonNode *node, GError **error)
{
  if (JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  if (!JSON_NODE_HOLDS_OBJECT (node)) {
    st_fail (error, st, "\"__metadata__\" is not a JSON object");
    return FALSE;
  }
  JsonObject *o = json_node_get_object (node);
  g_autoptr(GList) keys = json_object_get_members (o);
  for (GList *k = keys; k; k = k->next) {
    JsonNode *v = json_object_get_member (o, k->data);
    if (!JSON_NODE_HOLDS_VALUE (v) || json_node_get_value_type (v) != G_TYPE_STRING) {
      st_fail (error, st, "__metadata__ value of \"%s\" is not a string", (const char *) k->data);
      return FALSE;
    }
    g_hash_table_insert (st->metadata, g_strdup (k->data), g_strdup (json_node_get_string (v)));
  }
  return TRUE;
}

static int
st_cmp_offset (gconstpointer a, gconstpointer b)
{
  const NnStTensor *x = a, *y = b;
  if (x->data != y->data)
    return x->data < y->data ? -1 : 1;
  return x->nbytes < y->nbytes ? -1 : x->nbytes > y->nbytes;
}

/* As the reference implementation requires, the tensors tile the data area
 * exactly: sorted by begin, each starts where the previous ended, the first
 * at 0 and the last at the end of the file. A gap or a trailing byte is as
 * much a sign of a damaged or foreign file as an overlap. */
static gboolean
st_check_layout (NnSafetensors *st, const guint8 *data, guint64 area, GError **error)
{
  qsort (st->tensors, st->n, sizeof *st->tensors, st_cmp_offset);
  const NnStTensor *prev = NULL;
  guint64 at = 0;
  for (int i = 0; i < st->n; i++) {
    const NnStTensor *t = &st->tensors[i];
    guint64 begin = (guint64) (t->data - data);
    if (begin < at) {
      st_fail (error, st, "tensors \"%s\" and \"%s\" overlap in the data area", prev->name, t->name);
      return FALSE;
    }
    if (begin > at) {
      st_fail (error, st, "bytes %" G_GUINT64_FORMAT "-%" G_GUINT64_FORMAT " of the data area belong to no "
               "tensor (before \"%s\")", at, begin - 1, t->name);
      return FALSE;
    }
    at = begin + t->nbytes;
    prev = t;
  }
  if (at != area) {
    st_fail (error, st, "%" G_GUINT64_FORMAT " bytes after the last tensor belong to no tensor", area - at);
    return FALSE;
  }
  return TRUE;
}

static gboolean
st_parse_header (NnSafetensors *st, const char *hdr, gsize hlen, GError **error)
{
  if (!g_utf8_validate (hdr, (gssize) hlen, NULL)) {
    st_fail (error, st, "header is not valid UTF-8 text; not a safetensors file?");
    return FALSE;
  }
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  g_autoptr(GError) jerr = NULL;
  if (!json_parser_load_from_data (parser, hdr, (gssize) hlen, &jerr)) {
    st_fail (error, st, "header is not valid JSON: %s", jerr->message);
    return FALSE;
  }
  JsonNode *root = json_parser_get_root (parser);
  if (!root || !JSON_NODE_HOLDS_OBJECT (root)) {
    st_fail (error, st, "header is not a JSON object");
    return FALSE;
  }
  JsonObject *o = json_node_get_object (root);
  const guint8 *data = (const guint8 *) hdr + hlen;
  guint64 area = g_mapped_file_get_length (st->map) - 8 - hlen;
  g_autoptr(GList) keys = json_object_get_members (o);
  st->tensors = g_new0 (NnStTensor, g_list_length (keys));
  for (GList *k = keys; k; k = k->next) {
    const char *name = k->data;
    JsonNode *node = json_object_get_member (o, name);
    if (strcmp (name, "__metadata__") == 0) {
      if (!st_parse_metadata (st, node, error))
        return FALSE;
    } else if (!st_parse_tensor (st, name, node, data, area, &st->tensors[st->n++], error))
      return FALSE;
  }
  if (!st_check_layout (st, data, area, error))
    return FALSE;
  for (int i = 0; i < st->n; i++)
    g_hash_table_insert (st->by_name, st->tensors[i].name, &st->tensors[i]);
  return TRUE;
}

NnSafetensors *
nn_safetensors_open (const char *path, GError **error)
{
  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);
  g_autoptr(NnSafetensors) st = g_new0 (NnSafetensors, 1);
  st->path = g_strdup (path);
  st->by_name = g_hash_table_new (g_str_hash, g_str_equal);
  st->metadata = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  gsize hlen;
  const char *hdr;
  if (!st_map (st, error) || !(hdr = st_header (st, &hlen, error)) || !st_parse_header (st, hdr, hlen, error))
    return NULL;
  return g_steal_pointer (&st);
}

const NnStTensor *
nn_safetensors_get (const NnSafetensors *st, const char *name)
{
  g_return_val_if_fail (st != NULL && name != NULL, NULL);
  return g_hash_table_lookup (st->by_name, name);
}

int
nn_safetensors_n_tensors (const NnSafetensors *st)
{
  g_return_val_if_fail (st != NULL, 0);
  return st->n;
}

const NnStTensor *
nn_safetensors_nth (const NnSafetensors *st, int i)
{
  g_return_val_if_fail (st != NULL && i >= 0 && i < st->n, NULL);
  return &st->tensors[i];
}

const char *
nn_safetensors_metadata (const NnSafetensors *st, const char *key)
{
  g_return_val_if_fail (st != NULL && key != NULL, NULL);
  return g_hash_table_lookup (st->metadata, key);
}

const char *
nn_safetensors_path (const NnSafetensors *st)
{
  g_return_val_if_fail (st != NULL, NULL);
  return st->path;
}

/* IEEE half to float, subnormals, infinities and NaN included. */
static float
st_half_to_float (guint16 h)
{
  guint32 sign = (guint32) (h & 0x8000) << 16, exp = (h >> 10) & 0x1f, man = h & 0x3ff, bits;
  if (exp == 0x1f)
    bits = sign | 0x7f800000u | (man << 13);
  else if (exp != 0)
    bits = sign | ((exp + 112) << 23) | (man << 13);
  else if (man == 0)
    bits = sign;
  else {
    /* subnormal: man * 2^-24, exact in float */
    float f = (float) man * 0x1p-24f;
    return sign ? -f : f;
  }
  float f;
  memcpy (&f, &bits, 4);
  return f;
}

/* The mapped data need not be aligned, hence memcpy for every element. */
static void
st_convert (const NnStTensor *t, float *dst, int64_t n)
{
  const guint8 *p = t->data;
  if (strcmp (t->dtype, "F32") == 0) {
    for (int64_t i = 0; i < n; i++) {
      guint32 u;
      memcpy (&u, p + 4 * i, 4);
      u = GUINT32_FROM_LE (u);
      memcpy (&dst[i], &u, 4);
    }
  } else if (strcmp (t->dtype, "F64") == 0) {
    for (int64_t i = 0; i < n; i++) {
      guint64 u;
      double d;
      memcpy (&u, p + 8 * i, 8);
      u = GUINT64_FROM_LE (u);
      memcpy (&d, &u, 8);
      dst[i] = (float) d;
    }
  } else {
    gboolean half = strcmp (t->dtype, "F16") == 0;
    for (int64_t i = 0; i < n; i++) {
      guint16 h;
      memcpy (&h, p + 2 * i, 2);
      h = GUINT16_FROM_LE (h);
      if (half)
        dst[i] = st_half_to_float (h);
      else {
        /* bfloat16 is the top half of a float */
        guint32 u = (guint32) h << 16;
        memcpy (&dst[i], &u, 4);
      }
    }
  }
}

gboolean
nn_safetensors_read_f32 (const NnSafetensors *st, const char *name, const NnShape *expect, float *dst,
                         GError **error)
{
  g_return_val_if_fail (st != NULL && name != NULL && expect != NULL, FALSE);
  const NnStTensor *t = nn_safetensors_get (st, name);
  if (!t) {
    g_set_error (error, NN_ERROR, NN_ERROR_FORMAT, "missing tensor \"%s\" in %s", name, st->path);
    return FALSE;
  }
  if (!nn_shape_equal (&t->shape, expect)) {
    char a[128], b[128];
    g_set_error (error, NN_ERROR, NN_ERROR_SHAPE, "tensor \"%s\" in %s has shape %s, expected %s", name, st->path,
                 nn_shape_to_string (&t->shape, a, sizeof a), nn_shape_to_string (expect, b, sizeof b));
    return FALSE;
  }
  if (strcmp (t->dtype, "F32") && strcmp (t->dtype, "F16") && strcmp (t->dtype, "BF16") && strcmp (t->dtype, "F64")) {
    g_set_error (error, NN_ERROR, NN_ERROR_FORMAT, "tensor \"%s\" in %s has dtype %s; only F32, F16, BF16 "
                 "and F64 can be read as floats", name, st->path, t->dtype);
    return FALSE;
  }
  st_convert (t, dst, nn_shape_numel (&t->shape));
  return TRUE;
}

void
nn_safetensors_free (NnSafetensors *st)
{
  if (!st)
    return;
  for (int i = 0; i < st->n; i++)
    g_free (st->tensors[i].name);
  g_free (st->tensors);
  g_hash_table_unref (st->by_name);
  g_hash_table_unref (st->metadata);
  if (st->map)
    g_mapped_file_unref (st->map);
  g_free (st->path);
  g_free (st);
}

/* ---- writing ---------------------------------------------------------------- */

static gboolean
st_write_fail (GError **error, const char *path, const char *what, const char *name)
{
  g_set_error (error, NN_ERROR, NN_ERROR_INVALID, "%s: cannot write tensor \"%s\": %s", path,
               name ? name : "(null)", what);
  return FALSE;
}

/* The JSON header; *data_len receives the size of the data area. */
static char *
st_build_header (const char *path, const NnStEntry *entries, int n_entries, const char *const *metadata,
                 guint64 *data_len, GError **error)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  json_builder_begin_object (b);
  if (metadata && metadata[0]) {
    json_builder_set_member_name (b, "__metadata__");
    json_builder_begin_object (b);
    for (int i = 0; metadata[i]; i += 2) {
      if (!metadata[i + 1]) {
        g_set_error (error, NN_ERROR, NN_ERROR_INVALID, "%s: metadata key \"%s\" has no value", path, metadata[i]);
        return NULL;
      }
      json_builder_set_member_name (b, metadata[i]);
      json_builder_add_string_value (b, metadata[i + 1]);
    }
    json_builder_end_object (b);
  }
  guint64 off = 0, size;
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  for (int i = 0; i < n_entries; i++) {
    const NnStEntry *p = &entries[i];
    const StDtype *dt = p->dtype ? st_dtype_lookup (p->dtype) : NULL;
    if (!p->name || !*p->name || strcmp (p->name, "__metadata__") == 0 || !g_hash_table_add (seen, (char *) p->name)) {
      st_write_fail (error, path, "empty, reserved or duplicate name", p->name);
      return NULL;
    }
    if (!dt || (dt->itemsize != 1 && dt->itemsize != 4 && dt->itemsize != 8)) {
      st_write_fail (error, path, "no dtype, or one of 2 bytes (only 1, 4 and 8 are written)", p->name);
      return NULL;
    }
    if (p->shape.ndim < 0 || p->shape.ndim > NN_MAX_DIMS || !st_byte_size (&p->shape, dt->itemsize, &size) ||
        (size && !p->data)) {
      st_write_fail (error, path, "invalid shape or no data", p->name);
      return NULL;
    }
    json_builder_set_member_name (b, p->name);
    json_builder_begin_object (b);
    json_builder_set_member_name (b, "dtype");
    json_builder_add_string_value (b, dt->name);
    json_builder_set_member_name (b, "shape");
    json_builder_begin_array (b);
    for (int d = 0; d < p->shape.ndim; d++)
      json_builder_add_int_value (b, p->shape.dim[d]);
    json_builder_end_array (b);
    json_builder_set_member_name (b, "data_offsets");
    json_builder_begin_array (b);
    json_builder_add_int_value (b, (gint64) off);
    json_builder_add_int_value (b, (gint64) (off + size));
    json_builder_end_array (b);
    json_builder_end_object (b);
    if (__builtin_add_overflow (off, size, &off) || off > G_MAXINT64) {
      st_write_fail (error, path, "model too large", p->name);
      return NULL;
    }
  }
  json_builder_end_object (b);
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autoptr(JsonNode) root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  *data_len = off;
  return json_generator_to_data (gen, NULL);
}

/* n items of `itemsize` bytes, host order -> little-endian */
static void
st_put_le (guint8 *dst, const void *src, int64_t n, gsize itemsize)
{
#if G_BYTE_ORDER == G_LITTLE_ENDIAN
  (void) itemsize;
  if (n > 0)
    memcpy (dst, src, (gsize) n * itemsize);
#else
  const guint8 *s = src;
  for (int64_t i = 0; i < n; i++)
    for (gsize k = 0; k < itemsize; k++)
      dst[i * itemsize + k] = s[i * itemsize + itemsize - 1 - k];
#endif
}

gboolean
nn_safetensors_write_entries (const char *path, const NnStEntry *entries, int n_entries,
                              const char *const *metadata, GError **error)
{
  g_return_val_if_fail (path != NULL && (entries != NULL || n_entries == 0), FALSE);
  guint64 data_len;
  g_autofree char *json = st_build_header (path, entries, n_entries, metadata, &data_len, error);
  if (!json)
    return FALSE;
  /* Padded with spaces so the data area starts 8-byte aligned, as the reference writer does. */
  gsize jlen = strlen (json), hlen = (jlen + 7) / 8 * 8;
  guint64 total = 8 + hlen + data_len;
  if (total > G_MAXSSIZE) {
    g_set_error (error, NN_ERROR, NN_ERROR_INVALID, "%s: model of %" G_GUINT64_FORMAT " bytes is too large",
                 path, total);
    return FALSE;
  }
  g_autofree guint8 *buf = g_try_malloc ((gsize) total);
  if (!buf) {
    g_set_error (error, NN_ERROR, NN_ERROR_IO, "%s: out of memory for %" G_GUINT64_FORMAT " bytes", path, total);
    return FALSE;
  }
  guint64 le = GUINT64_TO_LE ((guint64) hlen);
  memcpy (buf, &le, 8);
  memcpy (buf + 8, json, jlen);
  memset (buf + 8 + jlen, ' ', hlen - jlen);
  guint8 *d = buf + 8 + hlen;
  for (int i = 0; i < n_entries; i++) {
    gsize itemsize = st_dtype_lookup (entries[i].dtype)->itemsize;
    int64_t n = nn_shape_numel (&entries[i].shape);
    st_put_le (d, entries[i].data, n, itemsize);
    d += n * itemsize;
  }
  /* g_file_set_contents writes a temporary file and renames it over `path`,
   * so a failed save leaves the previous model intact. */
  g_autoptr(GError) err = NULL;
  if (!g_file_set_contents (path, (const char *) buf, (gssize) total, &err)) {
    g_set_error (error, NN_ERROR, NN_ERROR_IO, "%s: cannot write model: %s", path, err->message);
    return FALSE;
  }
  return TRUE;
}

NnStEntry
nn_st_entry_f32 (const NnParam *p)
{
  return (NnStEntry) { p->name, "F32", p->shape, p->data };
}

gboolean
nn_safetensors_write (const char *path, const NnParam *params, int n_params, const char *const *metadata,
                      GError **error)
{
  g_return_val_if_fail (path != NULL && (params != NULL || n_params == 0), FALSE);
  g_autofree NnStEntry *e = g_new (NnStEntry, MAX (n_params, 1));
  for (int i = 0; i < n_params; i++)
    e[i] = nn_st_entry_f32 (&params[i]);
  return nn_safetensors_write_entries (path, e, n_params, metadata, error);
}
