/* safetensors reader and writer: round trips, a file written by PyTorch through
 * an independent Python writer, and one test per kind of corrupt file, each
 * checking the error code and that the message names the file. */
#include "nn-private.h"
#include <check.h>
#include <glib/gstdio.h>
#include "../check-run.h"

static char *tmpdir;

static void
setup (void)
{
  g_autoptr(GError) err = NULL;
  tmpdir = g_dir_make_tmp ("nn-st-XXXXXX", &err);
  ck_assert_msg (tmpdir != NULL, "g_dir_make_tmp: %s", err ? err->message : "?");
}

static void
teardown (void)
{
  GDir *d = g_dir_open (tmpdir, 0, NULL);
  const char *f;
  while (d && (f = g_dir_read_name (d))) {
    g_autofree char *p = g_build_filename (tmpdir, f, NULL);
    if (g_file_test (p, G_FILE_TEST_IS_DIR))
      g_rmdir (p);
    else
      g_unlink (p);
  }
  if (d)
    g_dir_close (d);
  g_rmdir (tmpdir);
  g_clear_pointer (&tmpdir, g_free);
}

/* ---- helpers ---------------------------------------------------------------- */

static char *
write_bytes (const char *name, const void *bytes, gsize len)
{
  char *path = g_build_filename (tmpdir, name, NULL);
  g_autoptr(GError) err = NULL;
  ck_assert_msg (g_file_set_contents (path, bytes, (gssize) len, &err), "%s", err ? err->message : "");
  return path;
}

/* A file with the given header length field, header text and data bytes. */
static char *
write_st_raw (const char *name, guint64 hlen_field, const char *header, const void *data, gsize dlen)
{
  gsize hlen = strlen (header);
  g_autofree guint8 *buf = g_malloc (8 + hlen + dlen + 1);
  guint64 le = GUINT64_TO_LE (hlen_field);
  memcpy (buf, &le, 8);
  memcpy (buf + 8, header, hlen);
  if (dlen)
    memcpy (buf + 8 + hlen, data, dlen);
  return write_bytes (name, buf, 8 + hlen + dlen);
}

static char *
write_st (const char *name, const char *header, const void *data, gsize dlen)
{
  return write_st_raw (name, strlen (header), header, data, dlen);
}

static const guint8 zeros[64];

/* Opening `path` fails with `code`, naming the file and saying `what`. */
static void
expect_open_error (const char *path, int code, const char *what)
{
  g_autoptr(GError) err = NULL;
  NnSafetensors *st = nn_safetensors_open (path, &err);
  ck_assert_ptr_null (st);
  ck_assert_ptr_nonnull (err);
  ck_assert_msg (err->domain == NN_ERROR, "domain %s", g_quark_to_string (err->domain));
  ck_assert_msg (err->code == code, "code %d, want %d: %s", err->code, code, err->message);
  ck_assert_msg (strstr (err->message, path), "message does not name the file: %s", err->message);
  ck_assert_msg (strstr (err->message, what), "message lacks \"%s\": %s", what, err->message);
}

static char *
fixture_path (const char *name)
{
  const char *root = g_getenv ("NN_SOURCE_ROOT");
  return g_build_filename (root ? root : ".", "tests", "fixtures", name, NULL);
}

/* A copy of the shipped char-lstm in tmpdir with value `v` written over
 * element `index` of `tensor` (an F32 tensor): the patch a diverged training
 * run or a hostile file makes. */
static char *
patched_model (const char *name, const char *tensor, gsize index, float v)
{
  const char *root = g_getenv ("NN_SOURCE_ROOT");
  g_autofree char *src = g_build_filename (root ? root : ".", "models", "char-lstm.safetensors", NULL);
  g_autofree char *bytes = NULL;
  gsize len;
  g_autoptr(GError) err = NULL;
  ck_assert_msg (g_file_get_contents (src, &bytes, &len, &err), "%s", err ? err->message : "");
  guint64 hlen;
  memcpy (&hlen, bytes, 8);
  hlen = GUINT64_FROM_LE (hlen);
  ck_assert (hlen < len - 8);
  g_autoptr(JsonParser) jp = json_parser_new ();
  ck_assert (json_parser_load_from_data (jp, bytes + 8, (gssize) hlen, &err));
  JsonObject *t = json_object_get_object_member (json_node_get_object (json_parser_get_root (jp)), tensor);
  ck_assert_ptr_nonnull (t);
  ck_assert_str_eq (json_object_get_string_member (t, "dtype"), "F32");
  gint64 off = json_array_get_int_element (json_object_get_array_member (t, "data_offsets"), 0);
  gsize at = 8 + hlen + (gsize) off + index * 4;
  ck_assert (at + 4 <= len);
  guint32 le;
  memcpy (&le, &v, 4);
  le = GUINT32_TO_LE (le);
  memcpy (bytes + at, &le, 4);
  return write_bytes (name, bytes, len);
}

/* A NaN or infinite weight is an error naming the file and the tensor;
 * NN_LOAD_ALLOW_NONFINITE or NN_ALLOW_NONFINITE=1 loads it as it is. */
START_TEST (test_nonfinite_weights)
{
  g_autofree char *nan_file = patched_model ("nan.safetensors", "lstm.weight_hh", 7, NAN);
  g_autoptr(GError) err = NULL;
  NnModel *m = nn_model_load (nan_file, &err);
  ck_assert_ptr_null (m);
  ck_assert_msg (g_error_matches (err, NN_ERROR, NN_ERROR_FORMAT), "%s", err ? err->message : "");
  ck_assert_msg (strstr (err->message, nan_file) && strstr (err->message, "\"lstm.weight_hh\"") &&
                 strstr (err->message, "index 7") && strstr (err->message, "1 non-finite value "), "%s", err->message);
  g_clear_error (&err);
  /* allowed: the NaN is there, the rest as in the file */
  m = nn_model_load_flags (nan_file, NN_LOAD_ALLOW_NONFINITE, &err);
  ck_assert_msg (m != NULL, "%s", err ? err->message : "");
  int n;
  NnParam *p = nn_model_params (m, &n);
  gboolean seen = FALSE;
  for (int i = 0; i < n; i++)
    if (g_str_equal (p[i].name, "lstm.weight_hh")) {
      ck_assert (isnan (p[i].data[7]) && isfinite (p[i].data[6]) && isfinite (p[i].data[8]));
      seen = TRUE;
    }
  ck_assert (seen);
  /* the same weights file into a built model: refused, then allowed */
  ck_assert (!nn_model_load_weights (m, nan_file, &err));
  ck_assert_ptr_nonnull (strstr (err->message, "lstm.weight_hh"));
  g_clear_error (&err);
  ck_assert_msg (nn_model_load_weights_flags (m, nan_file, NN_LOAD_ALLOW_NONFINITE, &err), "%s",
                 err ? err->message : "");
  nn_model_free (m);
  /* infinities too, in another tensor; the environment allows them for the CLI and elements */
  g_autofree char *inf_file = patched_model ("inf.safetensors", "head.bias", 92, -INFINITY);
  m = nn_model_load (inf_file, &err);
  ck_assert_ptr_null (m);
  ck_assert_msg (strstr (err->message, "\"head.bias\"") && strstr (err->message, "-inf"), "%s", err->message);
  g_clear_error (&err);
  g_setenv ("NN_ALLOW_NONFINITE", "1", TRUE);
  m = nn_model_load (inf_file, &err);
  g_unsetenv ("NN_ALLOW_NONFINITE");
  ck_assert_msg (m != NULL, "%s", err ? err->message : "");
  nn_model_free (m);
  /* an unpatched copy loads */
  g_autofree char *ok_file = patched_model ("ok.safetensors", "head.bias", 0, 0.25f);
  m = nn_model_load (ok_file, &err);
  ck_assert_msg (m != NULL, "%s", err ? err->message : "");
  nn_model_free (m);
}
END_TEST

/* ---- round trips ----------------------------------------------------------- */

START_TEST (test_round_trip)
{
  float w[6] = { 1.5f, -0.0f, INFINITY, -INFINITY, 1e-45f, 3.4028235e38f };
  float b[2] = { NAN, -7.25f };
  float s[1] = { 42.0f };
  NnParam params[] = {
    { .name = "fc1.weight", .shape = nn_shape_2d (2, 3), .data = w },
    { .name = "fc1.bias", .shape = nn_shape_1d (2), .data = b },
    { .name = "scalar", .shape = { 0 }, .data = s },
    { .name = "empty", .shape = nn_shape_2d (0, 4), .data = NULL },
  };
  const char *meta[] = { "nn.spec", "{\"layers\": [\"quoted\\\"\", \"\u00e9\"]}", "nn.epochs", "3", NULL };
  g_autofree char *path = g_build_filename (tmpdir, "rt.safetensors", NULL);
  g_autoptr(GError) err = NULL;
  ck_assert_msg (nn_safetensors_write (path, params, 4, meta, &err), "%s", err ? err->message : "");

  /* the data area starts 8-aligned, the header padded with spaces */
  g_autofree char *raw = NULL;
  gsize rlen;
  ck_assert (g_file_get_contents (path, &raw, &rlen, NULL));
  guint64 hlen;
  memcpy (&hlen, raw, 8);
  hlen = GUINT64_FROM_LE (hlen);
  ck_assert_uint_eq (hlen % 8, 0);
  ck_assert_uint_eq (rlen, 8 + hlen + sizeof w + sizeof b + sizeof s);

  g_autoptr(NnSafetensors) st = nn_safetensors_open (path, &err);
  ck_assert_msg (st != NULL, "%s", err ? err->message : "");
  ck_assert_str_eq (nn_safetensors_path (st), path);
  ck_assert_int_eq (nn_safetensors_n_tensors (st), 4);
  const char *order[] = { "fc1.weight", "fc1.bias", "scalar", "empty" };
  for (int i = 0; i < 4; i++) {
    const NnStTensor *t = nn_safetensors_nth (st, i);
    ck_assert_str_eq (t->name, order[i]);
    ck_assert_str_eq (t->dtype, "F32");
    ck_assert (nn_shape_equal (&t->shape, &params[i].shape));
    ck_assert_uint_eq (t->nbytes, 4 * nn_shape_numel (&params[i].shape));
  }
  ck_assert_str_eq (nn_safetensors_metadata (st, "nn.spec"), meta[1]);
  ck_assert_str_eq (nn_safetensors_metadata (st, "nn.epochs"), "3");
  ck_assert_ptr_null (nn_safetensors_metadata (st, "nope"));

  float w2[6], b2[2], s2[1];
  ck_assert (nn_safetensors_read_f32 (st, "fc1.weight", &params[0].shape, w2, &err));
  ck_assert (nn_safetensors_read_f32 (st, "fc1.bias", &params[1].shape, b2, &err));
  ck_assert (nn_safetensors_read_f32 (st, "scalar", &params[2].shape, s2, &err));
  ck_assert (nn_safetensors_read_f32 (st, "empty", &params[3].shape, NULL, &err));
  ck_assert_int_eq (memcmp (w, w2, sizeof w), 0);
  ck_assert_int_eq (memcmp (b, b2, sizeof b), 0);
  ck_assert_int_eq (memcmp (s, s2, sizeof s), 0);
}
END_TEST

START_TEST (test_write_overwrites)
{
  float a[3] = { 1, 2, 3 }, c[1] = { 9 };
  NnParam p1 = { .name = "a", .shape = nn_shape_1d (3), .data = a };
  NnParam p2 = { .name = "c", .shape = nn_shape_1d (1), .data = c };
  g_autofree char *path = g_build_filename (tmpdir, "ow.safetensors", NULL);
  g_autoptr(GError) err = NULL;
  ck_assert (nn_safetensors_write (path, &p1, 1, NULL, &err));
  ck_assert (nn_safetensors_write (path, &p2, 1, NULL, &err));
  g_autoptr(NnSafetensors) st = nn_safetensors_open (path, &err);
  ck_assert_msg (st != NULL, "%s", err ? err->message : "");
  ck_assert_int_eq (nn_safetensors_n_tensors (st), 1);
  ck_assert_ptr_null (nn_safetensors_get (st, "a"));
  float got;
  ck_assert (nn_safetensors_read_f32 (st, "c", &p2.shape, &got, &err));
  ck_assert_float_eq (got, 9.0f);
}
END_TEST

/* A rejected write leaves the previous model untouched. */
START_TEST (test_write_failure_keeps_old)
{
  float a[3] = { 1, 2, 3 };
  NnParam ok = { .name = "a", .shape = nn_shape_1d (3), .data = a };
  NnParam dup[2] = { ok, ok };
  g_autofree char *path = g_build_filename (tmpdir, "keep.safetensors", NULL);
  g_autoptr(GError) err = NULL;
  ck_assert (nn_safetensors_write (path, &ok, 1, NULL, &err));
  g_autofree char *before = NULL, *after = NULL;
  gsize lb, la;
  ck_assert (g_file_get_contents (path, &before, &lb, NULL));
  ck_assert (!nn_safetensors_write (path, dup, 2, NULL, &err));
  ck_assert_int_eq (err->code, NN_ERROR_INVALID);
  ck_assert_ptr_nonnull (strstr (err->message, path));
  ck_assert (g_file_get_contents (path, &after, &la, NULL));
  ck_assert_uint_eq (la, lb);
  ck_assert_int_eq (memcmp (before, after, la), 0);
}
END_TEST

START_TEST (test_write_bad_dir)
{
  float a[1] = { 1 };
  NnParam p = { .name = "a", .shape = nn_shape_1d (1), .data = a };
  g_autofree char *path = g_build_filename (tmpdir, "no-such-dir", "m.safetensors", NULL);
  g_autoptr(GError) err = NULL;
  ck_assert (!nn_safetensors_write (path, &p, 1, NULL, &err));
  ck_assert (err->domain == NN_ERROR);
  ck_assert_int_eq (err->code, NN_ERROR_IO);
  ck_assert_msg (strstr (err->message, path), "%s", err->message);
}
END_TEST

/* F16 and BF16 bit patterns chosen by hand, with F64 at an unaligned offset. */
START_TEST (test_half_bf16_f64)
{
  const guint16 f16[] = { 0x3c00, 0xc000, 0x7bff, 0x0001, 0x8400, 0x3555, 0x7c00, 0x0000 };
  const float f16_want[] = { 1.0f, -2.0f, 65504.0f, 5.9604645e-08f, -6.1035156e-05f, 0.33325195f, INFINITY, 0.0f };
  const guint16 bf16[] = { 0x3f80, 0xc049, 0x0001, 0xff80 };
  const float bf16_want[] = { 1.0f, -3.140625f, 9.18355e-41f, -INFINITY };
  const double f64[] = { 0.1, -1e300 };
  guint8 data[16 + 8 + 2 + 16];
  for (int i = 0; i < 8; i++) {
    guint16 v = GUINT16_TO_LE (f16[i]);
    memcpy (data + 2 * i, &v, 2);
  }
  for (int i = 0; i < 4; i++) {
    guint16 v = GUINT16_TO_LE (bf16[i]);
    memcpy (data + 16 + 2 * i, &v, 2);
  }
  memset (data + 24, 0, 2);
  for (int i = 0; i < 2; i++) {
    guint64 v;
    memcpy (&v, &f64[i], 8);
    v = GUINT64_TO_LE (v);
    memcpy (data + 26 + 8 * i, &v, 8);
  }
  const char *hdr = "{\"h\":{\"dtype\":\"F16\",\"shape\":[2,4],\"data_offsets\":[0,16]},"
                    "\"b\":{\"dtype\":\"BF16\",\"shape\":[4],\"data_offsets\":[16,24]},"
                    "\"u\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[24,26]},"
                    "\"d\":{\"dtype\":\"F64\",\"shape\":[2,1],\"data_offsets\":[26,42]}}";
  g_autofree char *path = write_st ("h.safetensors", hdr, data, sizeof data);
  g_autoptr(GError) err = NULL;
  g_autoptr(NnSafetensors) st = nn_safetensors_open (path, &err);
  ck_assert_msg (st != NULL, "%s", err ? err->message : "");
  float h[8], b[4], d[2];
  NnShape hs = nn_shape_2d (2, 4), bs = nn_shape_1d (4), ds = nn_shape_2d (2, 1);
  ck_assert (nn_safetensors_read_f32 (st, "h", &hs, h, &err));
  ck_assert (nn_safetensors_read_f32 (st, "b", &bs, b, &err));
  ck_assert (nn_safetensors_read_f32 (st, "d", &ds, d, &err));
  for (int i = 0; i < 8; i++)
    ck_assert_msg (h[i] == f16_want[i], "f16[%d] = %g, want %g", i, h[i], f16_want[i]);
  ck_assert (!signbit (h[7]));
  for (int i = 0; i < 4; i++)
    ck_assert_msg (b[i] == bf16_want[i], "bf16[%d] = %g, want %g", i, b[i], bf16_want[i]);
  ck_assert_float_eq (d[0], 0.1f);
  ck_assert (isinf (d[1]) && d[1] < 0);
  ck_assert_str_eq (nn_safetensors_get (st, "u")->dtype, "U8");

  /* F16 NaN stays NaN */
  guint16 nan16 = GUINT16_TO_LE (0x7e00);
  g_autofree char *p2 = write_st ("nan.safetensors", "{\"n\":{\"dtype\":\"F16\",\"shape\":[],\"data_offsets\":[0,2]}}",
                                  &nan16, 2);
  g_autoptr(NnSafetensors) st2 = nn_safetensors_open (p2, &err);
  ck_assert_ptr_nonnull (st2);
  NnShape scalar = { 0 };
  ck_assert (nn_safetensors_read_f32 (st2, "n", &scalar, h, &err));
  ck_assert (isnan (h[0]));
}
END_TEST

START_TEST (test_read_int_dtype)
{
  g_autofree char *path = write_st ("i.safetensors", "{\"i\":{\"dtype\":\"I32\",\"shape\":[2],\"data_offsets\":[0,8]}}",
                                    zeros, 8);
  g_autoptr(GError) err = NULL;
  g_autoptr(NnSafetensors) st = nn_safetensors_open (path, &err);
  ck_assert_ptr_nonnull (st);
  float f[2];
  NnShape s = nn_shape_1d (2);
  ck_assert (!nn_safetensors_read_f32 (st, "i", &s, f, &err));
  ck_assert_int_eq (err->code, NN_ERROR_FORMAT);
  ck_assert_ptr_nonnull (strstr (err->message, path));
  ck_assert_ptr_nonnull (strstr (err->message, "I32"));
}
END_TEST

/* ---- a file written by PyTorch (tests/fixtures/st-make-fixture.py) --------- */

START_TEST (test_torch_fixture)
{
  g_autofree char *path = fixture_path ("st-torch.safetensors");
  g_autofree char *jpath = fixture_path ("st-torch.json");
  g_autoptr(GError) err = NULL;
  g_autoptr(NnSafetensors) st = nn_safetensors_open (path, &err);
  ck_assert_msg (st != NULL, "%s", err ? err->message : "");
  ck_assert_str_eq (nn_safetensors_metadata (st, "format"), "pt");
  g_autoptr(JsonParser) jp = json_parser_new ();
  ck_assert_msg (json_parser_load_from_file (jp, jpath, &err), "%s", err ? err->message : "");
  JsonObject *want = json_node_get_object (json_parser_get_root (jp));
  const char *names[] = { "weight", "bias", "half", "brain", "double" };
  ck_assert_int_eq (nn_safetensors_n_tensors (st), G_N_ELEMENTS (names));
  float w[6] = { 0 }, bias[2] = { 0 };
  for (gsize k = 0; k < G_N_ELEMENTS (names); k++) {
    JsonObject *o = json_object_get_object_member (want, names[k]);
    JsonArray *sh = json_object_get_array_member (o, "shape"), *vals = json_object_get_array_member (o, "values");
    NnShape s = { .ndim = (int) json_array_get_length (sh) };
    for (int i = 0; i < s.ndim; i++)
      s.dim[i] = json_array_get_int_element (sh, i);
    float got[8];
    ck_assert_msg (nn_safetensors_read_f32 (st, names[k], &s, got, &err), "%s", err ? err->message : "");
    ck_assert_int_eq (nn_shape_numel (&s), json_array_get_length (vals));
    for (guint i = 0; i < json_array_get_length (vals); i++) {
      /* PyTorch's float32 values are exact in JSON's doubles */
      float e = (float) json_array_get_double_element (vals, i);
      ck_assert_msg (got[i] == e, "%s[%u] = %.9g, want %.9g", names[k], i, got[i], e);
    }
    if (k == 0)
      memcpy (w, got, sizeof w);
    if (k == 1)
      memcpy (bias, got, sizeof bias);
  }
  /* the Linear(3, 2) read back reproduces PyTorch's output */
  JsonObject *ly = json_object_get_object_member (want, "linear_y");
  JsonArray *x = json_object_get_array_member (ly, "x"), *y = json_object_get_array_member (ly, "values");
  for (int o = 0; o < 2; o++) {
    double acc = bias[o];
    for (int i = 0; i < 3; i++)
      acc += (double) w[o * 3 + i] * json_array_get_double_element (x, i);
    ck_assert_double_eq_tol (acc, json_array_get_double_element (y, o), 1e-5);
  }
}
END_TEST

/* ---- corrupt files ------------------------------------------------------------ */

START_TEST (test_empty_file)
{
  g_autofree char *p = write_bytes ("empty.safetensors", "", 0);
  expect_open_error (p, NN_ERROR_FORMAT, "empty file");
}
END_TEST

START_TEST (test_four_bytes)
{
  g_autofree char *p = write_bytes ("four.safetensors", "\x10\0\0\0", 4);
  expect_open_error (p, NN_ERROR_FORMAT, "too short");
}
END_TEST

START_TEST (test_truncated_data)
{
  float a[4] = { 1, 2, 3, 4 };
  NnParam p = { .name = "a", .shape = nn_shape_1d (4), .data = a };
  g_autofree char *path = g_build_filename (tmpdir, "trunc.safetensors", NULL);
  ck_assert (nn_safetensors_write (path, &p, 1, NULL, NULL));
  g_autofree char *raw = NULL;
  gsize len;
  ck_assert (g_file_get_contents (path, &raw, &len, NULL));
  g_autofree char *cut = write_bytes ("trunc.safetensors", raw, len - 6);
  expect_open_error (cut, NN_ERROR_FORMAT, "truncated");
}
END_TEST

START_TEST (test_garbage)
{
  guint8 junk[256];
  GRand *r = g_rand_new_with_seed (7);
  for (gsize i = 0; i < sizeof junk; i++)
    junk[i] = (guint8) g_rand_int (r);
  g_rand_free (r);
  /* a small length so that the header itself is what is judged */
  junk[0] = 100;
  memset (junk + 1, 0, 7);
  g_autofree char *p = write_bytes ("junk.safetensors", junk, sizeof junk);
  expect_open_error (p, NN_ERROR_FORMAT, "header");
  /* and a length that is garbage too */
  g_autofree char *p2 = write_bytes ("junk2.safetensors", "PK\x03\x04garbage, a zip file maybe", 30);
  expect_open_error (p2, NN_ERROR_FORMAT, "header length");
}
END_TEST

START_TEST (test_header_past_end)
{
  g_autofree char *p = write_st_raw ("past.safetensors", 1000, "{}", NULL, 0);
  expect_open_error (p, NN_ERROR_FORMAT, "past the end");
}
END_TEST

START_TEST (test_header_2_63)
{
  g_autofree char *p = write_st_raw ("huge.safetensors", G_GUINT64_CONSTANT (1) << 63, "{}", NULL, 0);
  expect_open_error (p, NN_ERROR_FORMAT, "absurdly large");
}
END_TEST

/* Malformed headers: each file fails to open with NN_ERROR_FORMAT, naming
 * the file and saying what is wrong. */
typedef struct {
  const char *file, *header;
  gsize       data;     /* zero bytes after the header */
  const char *what;
} BadHeader;

static const BadHeader bad_headers[] = {
  { "arr.safetensors", "[1, 2, 3]", 0,
    "not a JSON object" },
  { "blank.safetensors", "        ", 0,
    "not a JSON object" },
  { "bad.safetensors", "{\"a\": {\"dtype\": \"F32\",", 0,
    "not valid JSON" },
  { "ent.safetensors", "{\"a\": [1, 2]}", 0,
    "not a JSON object" },
  { "nodt.safetensors", "{\"a\": {\"shape\": [1], \"data_offsets\": [0, 4]}}", 4,
    "\"dtype\" is missing" },
  { "noof.safetensors", "{\"a\": {\"dtype\": \"F32\", \"shape\": [1]}}", 4,
    "data_offsets" },
  { "f99.safetensors", "{\"a\":{\"dtype\":\"F99\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4,
    "unknown dtype \"F99\"" },
  { "neg.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2,-1],\"data_offsets\":[0,4]}}", 4,
    "negative dimension" },
  { "fshape.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}}", 4,
    "not an integer" },
  { "sixd.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1,1,1,1,1,1],\"data_offsets\":[0,4]}}", 4,
    "dimensions" },
  { "ovf.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1099511627776,1099511627776,1099511627776],"
    "\"data_offsets\":[0,4]}}", 4,
    "overflow" },
  { "oor.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[8,24]}}", 16,
    "data area holds only 16 bytes" },
  { "bae.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,4]}}", 16,
    "begin 8 > end 4" },
  { "size.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,16]}}", 16,
    "needs 12" },
  { "ovl.safetensors", "{\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]},"
    "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 16,
    "\"a\" and \"b\" overlap" },
  /* the reference implementation rejects bytes that belong to no tensor */
  { "gap.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
    "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}", 16,
    "bytes 4-7 of the data area belong to no tensor (before \"b\")" },
  { "lead.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}", 16,
    "bytes 0-7 of the data area belong to no tensor" },
  { "trail.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 16,
    "8 bytes after the last tensor belong to no tensor" },
  { "meta.safetensors", "{\"__metadata__\":{\"ok\":\"yes\",\"epochs\":3},"
    "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4,
    "\"epochs\" is not a string" },
  { "meta2.safetensors", "{\"__metadata__\":[\"x\"]}", 0,
    "__metadata__" },
};

START_TEST (test_bad_headers)
{
  for (guint i = 0; i < G_N_ELEMENTS (bad_headers); i++) {
    const BadHeader *b = &bad_headers[i];
    g_autofree char *p = write_st (b->file, b->header, b->data ? zeros : NULL, b->data);
    expect_open_error (p, NN_ERROR_FORMAT, b->what);
  }
}
END_TEST

START_TEST (test_missing_tensor)
{
  float a[2] = { 1, 2 };
  NnParam p = { .name = "a", .shape = nn_shape_1d (2), .data = a };
  g_autofree char *path = g_build_filename (tmpdir, "miss.safetensors", NULL);
  g_autoptr(GError) err = NULL;
  ck_assert (nn_safetensors_write (path, &p, 1, NULL, &err));
  g_autoptr(NnSafetensors) st = nn_safetensors_open (path, &err);
  ck_assert_ptr_nonnull (st);
  float out[2];
  ck_assert (!nn_safetensors_read_f32 (st, "fc9.weight", &p.shape, out, &err));
  ck_assert (err->domain == NN_ERROR);
  ck_assert_int_eq (err->code, NN_ERROR_FORMAT);
  g_autofree char *want = g_strdup_printf ("missing tensor \"fc9.weight\" in %s", path);
  ck_assert_str_eq (err->message, want);
}
END_TEST

START_TEST (test_shape_mismatch)
{
  float a[6] = { 0 };
  NnParam p = { .name = "fc1.weight", .shape = nn_shape_2d (2, 3), .data = a };
  g_autofree char *path = g_build_filename (tmpdir, "shape.safetensors", NULL);
  g_autoptr(GError) err = NULL;
  ck_assert (nn_safetensors_write (path, &p, 1, NULL, &err));
  g_autoptr(NnSafetensors) st = nn_safetensors_open (path, &err);
  ck_assert_ptr_nonnull (st);
  float out[6] = { 0 };
  NnShape other = nn_shape_2d (3, 2);
  ck_assert (!nn_safetensors_read_f32 (st, "fc1.weight", &other, out, &err));
  ck_assert (err->domain == NN_ERROR);
  ck_assert_int_eq (err->code, NN_ERROR_SHAPE);
  ck_assert_ptr_nonnull (strstr (err->message, path));
  ck_assert_ptr_nonnull (strstr (err->message, "\"fc1.weight\""));
  ck_assert_ptr_nonnull (strstr (err->message, "[2, 3]"));
  ck_assert_ptr_nonnull (strstr (err->message, "[3, 2]"));
}
END_TEST

START_TEST (test_directory)
{
  g_autofree char *p = g_build_filename (tmpdir, "adir.safetensors", NULL);
  ck_assert_int_eq (g_mkdir (p, 0700), 0);
  expect_open_error (p, NN_ERROR_IO, "directory");
}
END_TEST

START_TEST (test_missing_path)
{
  g_autofree char *p = g_build_filename (tmpdir, "nothere.safetensors", NULL);
  expect_open_error (p, NN_ERROR_IO, "no such file");
}
END_TEST

static Suite *
safetensors_suite (void)
{
  Suite *s = suite_create ("io-safetensors");
  TCase *tc = tcase_create ("round-trip");
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_add_test (tc, test_round_trip);
  tcase_add_test (tc, test_write_overwrites);
  tcase_add_test (tc, test_write_failure_keeps_old);
  tcase_add_test (tc, test_write_bad_dir);
  tcase_add_test (tc, test_half_bf16_f64);
  tcase_add_test (tc, test_read_int_dtype);
  tcase_add_test (tc, test_torch_fixture);
  tcase_add_test (tc, test_nonfinite_weights);
  suite_add_tcase (s, tc);

  tc = tcase_create ("corrupt");
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_add_test (tc, test_empty_file);
  tcase_add_test (tc, test_four_bytes);
  tcase_add_test (tc, test_truncated_data);
  tcase_add_test (tc, test_garbage);
  tcase_add_test (tc, test_header_past_end);
  tcase_add_test (tc, test_header_2_63);
  tcase_add_test (tc, test_bad_headers);
  tcase_add_test (tc, test_missing_tensor);
  tcase_add_test (tc, test_shape_mismatch);
  tcase_add_test (tc, test_directory);
  tcase_add_test (tc, test_missing_path);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  return nn_check_run (safetensors_suite ());
}
