/* ONNX files and tensors: reading, writing and decoding what the importer and
 * the exporter share (onnx-private.h). protobuf-c does the wire format; this
 * file checks what protobuf cannot (dims against data, data types, external
 * data) before a value is read. */
#include "io/onnx-private.h"

/* protobuf-c unpacks nested messages by recursion, with no depth limit: a
 * file of nested subgraphs (an attribute's graph holding a node whose
 * attribute holds a graph ...) would overflow the stack. This walks the wire
 * format with the message descriptors first and refuses nesting deeper than
 * NN_ONNX_MAX_DEPTH; anything else malformed is left to protobuf-c. */
#define NN_ONNX_MAX_DEPTH 32

static gboolean
read_varint (const guint8 **p, const guint8 *end, guint64 *v)
{
  *v = 0;
  for (int shift = 0; shift < 64 && *p < end; shift += 7) {
    guint8 b = *(*p)++;
    *v |= (guint64) (b & 0x7f) << shift;
    if (!(b & 0x80))
      return TRUE;
  }
  return FALSE;
}

static gboolean
depth_ok (const ProtobufCMessageDescriptor *d, const guint8 *p, const guint8 *end, int depth)
{
  if (depth > NN_ONNX_MAX_DEPTH)
    return FALSE;
  while (p < end) {
    guint64 key, v;
    if (!read_varint (&p, end, &key))
      return TRUE;
    switch (key & 7) {
    case 0:
      if (!read_varint (&p, end, &v))
        return TRUE;
      break;
    case 1:
      p += MIN ((gsize) (end - p), 8);
      break;
    case 5:
      p += MIN ((gsize) (end - p), 4);
      break;
    case 2: {
      if (!read_varint (&p, end, &v) || v > (guint64) (end - p))
        return TRUE;
      const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field (d, (unsigned) (key >> 3));
      if (f && f->type == PROTOBUF_C_TYPE_MESSAGE && !depth_ok (f->descriptor, p, p + v, depth + 1))
        return FALSE;
      p += v;
      break;
    }
    default:
      return TRUE;
    }
  }
  return TRUE;
}

Onnx__ModelProto *
nn_onnx_read (const char *path, GError **error)
{
  if (g_file_test (path, G_FILE_TEST_IS_DIR)) {
    g_set_error (error, NN_ERROR, NN_ERROR_IO, "%s: is a directory, not an ONNX model", path);
    return NULL;
  }
  g_autoptr(GError) err = NULL;
  g_autoptr(GMappedFile) map = g_mapped_file_new (path, FALSE, &err);
  if (!map) {
    g_set_error (error, NN_ERROR, NN_ERROR_IO, "%s: cannot read: %s", path, err->message);
    return NULL;
  }
  gsize len = g_mapped_file_get_length (map);
  const guint8 *data = (const guint8 *) g_mapped_file_get_contents (map);
  if (len == 0) {
    g_set_error (error, NN_ERROR, NN_ERROR_FORMAT, "%s: empty file, not an ONNX model", path);
    return NULL;
  }
  if (!depth_ok (&onnx__model_proto__descriptor, data, data + len, 0)) {
    g_set_error (error, NN_ERROR, NN_ERROR_FORMAT, "%s: not an ONNX model we read (messages nested more than %d "
                 "deep)", path, NN_ONNX_MAX_DEPTH);
    return NULL;
  }
  /* protobuf-c checks every length and tag against the buffer, so a
   * truncated or foreign file is refused here rather than read past. */
  Onnx__ModelProto *m = onnx__model_proto__unpack (NULL, len, data);
  if (!m) {
    g_set_error (error, NN_ERROR, NN_ERROR_FORMAT,
                 "%s: not an ONNX model (the protobuf data is truncated or malformed)", path);
    return NULL;
  }
  /* Any bytes that happen to parse as protobuf parse as a ModelProto with
   * unknown fields; a model has at least an IR version and a graph. */
  if (!m->has_ir_version || !m->graph) {
    g_set_error (error, NN_ERROR, NN_ERROR_FORMAT, "%s: not an ONNX model (%s)", path,
                 !m->has_ir_version ? "no ir_version" : "no graph");
    onnx__model_proto__free_unpacked (m, NULL);
    return NULL;
  }
  return m;
}

void
nn_onnx_model_free (Onnx__ModelProto *m)
{
  if (m)
    onnx__model_proto__free_unpacked (m, NULL);
}

gboolean
nn_onnx_write (const Onnx__ModelProto *m, const char *path, GError **error)
{
  gsize len = onnx__model_proto__get_packed_size (m);
  g_autofree guint8 *buf = g_try_malloc (MAX (len, 1));
  if (!buf) {
    g_set_error (error, NN_ERROR, NN_ERROR_IO, "%s: cannot allocate %" G_GSIZE_FORMAT " bytes", path, len);
    return FALSE;
  }
  onnx__model_proto__pack (m, buf);
  /* g_file_set_contents writes a temporary file and renames it over `path`. */
  g_autoptr(GError) err = NULL;
  if (!g_file_set_contents (path, (const char *) buf, (gssize) len, &err)) {
    g_set_error (error, NN_ERROR, NN_ERROR_IO, "%s: cannot write: %s", path, err->message);
    return FALSE;
  }
  return TRUE;
}

int64_t
nn_onnx_opset (const Onnx__ModelProto *m)
{
  for (size_t i = 0; i < m->n_opset_import; i++) {
    const Onnx__OperatorSetIdProto *o = m->opset_import[i];
    if ((!o->domain || !o->domain[0] || strcmp (o->domain, "ai.onnx") == 0) && o->has_version)
      return o->version;
  }
  return -1;
}

/* ---- attributes ------------------------------------------------------------ */

const Onnx__AttributeProto *
nn_onnx_attr (const Onnx__NodeProto *n, const char *name)
{
  for (size_t i = 0; i < n->n_attribute; i++)
    if (n->attribute[i]->name && strcmp (n->attribute[i]->name, name) == 0)
      return n->attribute[i];
  return NULL;
}

int64_t
nn_onnx_attr_int (const Onnx__NodeProto *n, const char *name, int64_t def)
{
  const Onnx__AttributeProto *a = nn_onnx_attr (n, name);
  return a && a->has_i ? a->i : def;
}

float
nn_onnx_attr_float (const Onnx__NodeProto *n, const char *name, float def)
{
  const Onnx__AttributeProto *a = nn_onnx_attr (n, name);
  return a && a->has_f ? a->f : def;
}

char *
nn_onnx_attr_string (const Onnx__NodeProto *n, const char *name, const char *def)
{
  const Onnx__AttributeProto *a = nn_onnx_attr (n, name);
  if (!a || !a->has_s)
    return g_strdup (def);
  /* empty bytes may come unpacked as NULL data */
  return a->s.data ? g_strndup ((const char *) a->s.data, a->s.len) : g_strdup ("");
}

int
nn_onnx_attr_ints (const Onnx__NodeProto *n, const char *name, const int64_t **v)
{
  const Onnx__AttributeProto *a = nn_onnx_attr (n, name);
  *v = a ? a->ints : NULL;
  return a ? (int) MIN (a->n_ints, (size_t) G_MAXINT) : -1;
}

/* ---- tensors --------------------------------------------------------------- */

const char *
nn_onnx_dtype_name (int32_t data_type, char *buf, gsize len)
{
  const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value (&onnx__tensor_proto__data_type__descriptor,
                                                                      data_type);
  if (v)
    return v->name;
  g_snprintf (buf, len, "type %d", data_type);
  return buf;
}

static const char *
tensor_name (const Onnx__TensorProto *t)
{
  return t->name && t->name[0] ? t->name : "(unnamed)";
}

gboolean
nn_onnx_tensor_numel (const Onnx__TensorProto *t, int64_t *numel, GError **error)
{
  int64_t n = 1;
  for (size_t i = 0; i < t->n_dims; i++) {
    if (t->dims[i] < 0 || (t->dims[i] > 0 && n > NN_ONNX_MAX_NUMEL / t->dims[i])) {
      g_set_error (error, NN_ERROR, NN_ERROR_FORMAT, "tensor '%s': dimension %zu is %" G_GINT64_FORMAT
                   " (negative, or more than %" G_GINT64_FORMAT " elements in all)",
                   tensor_name (t), i, t->dims[i], NN_ONNX_MAX_NUMEL);
      return FALSE;
    }
    n *= t->dims[i];
  }
  *numel = n;
  return TRUE;
}

gboolean
nn_onnx_tensor_shape (const Onnx__TensorProto *t, NnShape *shape, GError **error)
{
  int64_t numel;
  if (!nn_onnx_tensor_numel (t, &numel, error))
    return FALSE;
  if (t->n_dims > NN_MAX_DIMS) {
    g_set_error (error, NN_ERROR, NN_ERROR_FORMAT, "tensor '%s': %zu dimensions (at most %d)",
                 tensor_name (t), t->n_dims, NN_MAX_DIMS);
    return FALSE;
  }
  shape->ndim = (int) t->n_dims;
  for (size_t i = 0; i < t->n_dims; i++)
    shape->dim[i] = t->dims[i];
  return TRUE;
}

typedef enum { KIND_FLOAT, KIND_INT, KIND_UINT } ValueKind;

typedef struct {
  int32_t   type;
  gsize     size;      /* bytes per element in raw_data */
  ValueKind kind;
} DtypeInfo;

static const DtypeInfo dtype_infos[] = {
  { ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT,  4, KIND_FLOAT },
  { ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE, 8, KIND_FLOAT },
  { ONNX__TENSOR_PROTO__DATA_TYPE__INT8,   1, KIND_INT },
  { ONNX__TENSOR_PROTO__DATA_TYPE__INT16,  2, KIND_INT },
  { ONNX__TENSOR_PROTO__DATA_TYPE__INT32,  4, KIND_INT },
  { ONNX__TENSOR_PROTO__DATA_TYPE__INT64,  8, KIND_INT },
  { ONNX__TENSOR_PROTO__DATA_TYPE__UINT8,  1, KIND_UINT },
  { ONNX__TENSOR_PROTO__DATA_TYPE__UINT16, 2, KIND_UINT },
  { ONNX__TENSOR_PROTO__DATA_TYPE__UINT32, 4, KIND_UINT },
  { ONNX__TENSOR_PROTO__DATA_TYPE__UINT64, 8, KIND_UINT },
  { ONNX__TENSOR_PROTO__DATA_TYPE__BOOL,   1, KIND_UINT },
};

/* One element i of raw little-endian bytes, as double and as int64. */
static void
raw_value (const DtypeInfo *d, const guint8 *p, double *f, int64_t *v)
{
  switch (d->type) {
  case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT: {
    guint32 u; memcpy (&u, p, 4); u = GUINT32_FROM_LE (u);
    float x; memcpy (&x, &u, 4);
    *f = x; *v = 0;
    return;
  }
  case ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE: {
    guint64 u; memcpy (&u, p, 8); u = GUINT64_FROM_LE (u);
    double x; memcpy (&x, &u, 8);
    *f = x; *v = 0;
    return;
  }
  default:
    break;
  }
  guint64 u = 0;
  for (gsize b = 0; b < d->size; b++)
    u |= (guint64) p[b] << (8 * b);
  int64_t s;
  if (d->kind == KIND_INT && d->size < 8 && (u >> (8 * d->size - 1)) & 1)
    s = (int64_t) (u | (~(guint64) 0 << (8 * d->size)));   /* sign-extend */
  else
    s = (int64_t) u;
  *v = s;
  *f = d->kind == KIND_UINT ? (double) u : (double) s;
}

/* Decode t into either fout (float) or iout (int64), numel elements. */
static gboolean
tensor_decode (const Onnx__TensorProto *t, gboolean want_float, float **fout, int64_t **iout, int64_t *numel,
               GError **error)
{
  char buf[32];
  const char *name = tensor_name (t);
  if (t->has_data_location && t->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL) {
    g_set_error (error, NN_ERROR, NN_ERROR_FORMAT,
                 "tensor '%s': its data is in an external file (data_location EXTERNAL), which is not supported; "
                 "save the model with its weights inside (onnx.save_model (m, path, save_as_external_data=False))",
                 name);
    return FALSE;
  }
  if (t->segment) {
    g_set_error (error, NN_ERROR, NN_ERROR_FORMAT, "tensor '%s': segmented tensors are not supported", name);
    return FALSE;
  }
  const DtypeInfo *d = NULL;
  int32_t type = t->has_data_type ? t->data_type : ONNX__TENSOR_PROTO__DATA_TYPE__UNDEFINED;
  for (gsize i = 0; i < G_N_ELEMENTS (dtype_infos); i++)
    if (dtype_infos[i].type == type)
      d = &dtype_infos[i];
  if (!d) {
    g_set_error (error, NN_ERROR, NN_ERROR_FORMAT, "tensor '%s': data type %s is not supported", name,
                 nn_onnx_dtype_name (type, buf, sizeof buf));
    return FALSE;
  }
  if (!want_float && d->kind == KIND_FLOAT) {
    g_set_error (error, NN_ERROR, NN_ERROR_FORMAT, "tensor '%s': data type %s where integers are expected", name,
                 nn_onnx_dtype_name (type, buf, sizeof buf));
    return FALSE;
  }
  int64_t n;
  if (!nn_onnx_tensor_numel (t, &n, error))
    return FALSE;

  /* Where the values are: raw bytes, or the one typed field the type uses. */
  size_t have;
  const char *field;
  if (t->has_raw_data) {
    have = t->raw_data.len / d->size;
    field = "raw_data";
    if (t->raw_data.len % d->size) {
      g_set_error (error, NN_ERROR, NN_ERROR_FORMAT, "tensor '%s': raw_data holds %zu bytes, not a whole number "
                   "of %s values", name, t->raw_data.len, nn_onnx_dtype_name (type, buf, sizeof buf));
      return FALSE;
    }
  } else if (type == ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT) {
    have = t->n_float_data; field = "float_data";
  } else if (type == ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE) {
    have = t->n_double_data; field = "double_data";
  } else if (type == ONNX__TENSOR_PROTO__DATA_TYPE__INT64) {
    have = t->n_int64_data; field = "int64_data";
  } else if (type == ONNX__TENSOR_PROTO__DATA_TYPE__UINT32 || type == ONNX__TENSOR_PROTO__DATA_TYPE__UINT64) {
    have = t->n_uint64_data; field = "uint64_data";
  } else {
    have = t->n_int32_data; field = "int32_data";
  }
  if ((int64_t) have != n) {
    g_set_error (error, NN_ERROR, NN_ERROR_FORMAT, "tensor '%s': %s holds %zu values, its dims say %" G_GINT64_FORMAT,
                 name, field, have, n);
    return FALSE;
  }

  float *fv = want_float ? g_try_new (float, MAX (n, 1)) : NULL;
  int64_t *iv = want_float ? NULL : g_try_new (int64_t, MAX (n, 1));
  if (!fv && !iv) {
    g_set_error (error, NN_ERROR, NN_ERROR_FORMAT, "tensor '%s': cannot allocate %" G_GINT64_FORMAT " values",
                 name, n);
    return FALSE;
  }
  for (int64_t i = 0; i < n; i++) {
    double f;
    int64_t v;
    if (t->has_raw_data)
      raw_value (d, t->raw_data.data + i * d->size, &f, &v);
    else if (type == ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT)
      f = t->float_data[i], v = 0;
    else if (type == ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE)
      f = t->double_data[i], v = 0;
    else if (type == ONNX__TENSOR_PROTO__DATA_TYPE__INT64)
      v = t->int64_data[i], f = (double) v;
    else if (d->kind == KIND_UINT && d->size >= 4)
      v = (int64_t) t->uint64_data[i], f = (double) t->uint64_data[i];
    else
      v = t->int32_data[i], f = (double) v;
    if (fv)
      fv[i] = (float) f;
    else
      iv[i] = v;
  }
  *numel = n;
  if (fout)
    *fout = fv;
  if (iout)
    *iout = iv;
  return TRUE;
}

float *
nn_onnx_tensor_floats (const Onnx__TensorProto *t, int64_t *numel, GError **error)
{
  float *f = NULL;
  return tensor_decode (t, TRUE, &f, NULL, numel, error) ? f : NULL;
}

int64_t *
nn_onnx_tensor_ints (const Onnx__TensorProto *t, int64_t *numel, GError **error)
{
  int64_t *v = NULL;
  return tensor_decode (t, FALSE, NULL, &v, numel, error) ? v : NULL;
}
