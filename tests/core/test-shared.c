/* Shared model instances (nn-shared.h): one load per instance, batches across
 * clients whose every row equals the sample run alone, no batch on two
 * snapshots while weights are published, streams that stall, end or leave
 * release the others, and no allocation per sample in the steady state.
 *
 * Linked with --wrap for GLib's and libc's allocators (tests/core/meson.build):
 * calls from libnn's code and this file are counted while `counting` is set. */
#include <check.h>
#include "nn-private.h"
#include <glib/gstdio.h>
#include <stdarg.h>
#include "../check-run.h"

/* ---- allocation counter ------------------------------------------------------ */

static gint counting, n_allocs;
#define COUNT() do { if (g_atomic_int_get (&counting)) g_atomic_int_inc (&n_allocs); } while (0)

gpointer __real_g_malloc (gsize n);
gpointer __real_g_malloc0 (gsize n);
gpointer __real_g_malloc_n (gsize a, gsize b);
gpointer __real_g_malloc0_n (gsize a, gsize b);
gpointer __real_g_realloc (gpointer p, gsize n);
gpointer __real_g_realloc_n (gpointer p, gsize a, gsize b);
gpointer __real_g_try_malloc (gsize n);
char    *__real_g_strdup (const char *s);
void    *__real_malloc (size_t n);
void    *__real_calloc (size_t a, size_t b);
void    *__real_realloc (void *p, size_t n);
int      __real_posix_memalign (void **p, size_t a, size_t n);

gpointer __wrap_g_malloc (gsize n) { COUNT (); return __real_g_malloc (n); }
gpointer __wrap_g_malloc0 (gsize n) { COUNT (); return __real_g_malloc0 (n); }
gpointer __wrap_g_malloc_n (gsize a, gsize b) { COUNT (); return __real_g_malloc_n (a, b); }
gpointer __wrap_g_malloc0_n (gsize a, gsize b) { COUNT (); return __real_g_malloc0_n (a, b); }
gpointer __wrap_g_realloc (gpointer p, gsize n) { COUNT (); return __real_g_realloc (p, n); }
gpointer __wrap_g_realloc_n (gpointer p, gsize a, gsize b) { COUNT (); return __real_g_realloc_n (p, a, b); }
gpointer __wrap_g_try_malloc (gsize n) { COUNT (); return __real_g_try_malloc (n); }
char    *__wrap_g_strdup (const char *s) { COUNT (); return __real_g_strdup (s); }
char    *__wrap_g_strdup_printf (const char *fmt, ...);
char    *
__wrap_g_strdup_printf (const char *fmt, ...)
{
  COUNT ();
  va_list ap;
  va_start (ap, fmt);
  char *s = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  return s;
}
void    *__wrap_malloc (size_t n) { COUNT (); return __real_malloc (n); }
void    *__wrap_calloc (size_t a, size_t b) { COUNT (); return __real_calloc (a, b); }
void    *__wrap_realloc (void *p, size_t n) { COUNT (); return __real_realloc (p, n); }
int      __wrap_posix_memalign (void **p, size_t a, size_t n) { COUNT (); return __real_posix_memalign (p, a, n); }

/* ---- fixtures -------------------------------------------------------------------- */

/* A small convolutional classifier: conv, pool and dense layers, so that a
 * batch goes through every kind of product. */
static const char *spec = "{\"input\": [1, 8, 8], \"labels\": [\"a\", \"b\", \"c\", \"d\", \"e\"], \"layers\": ["
  "{\"name\": \"conv\", \"type\": \"conv2d\", \"filters\": 4, \"kernel\": 3, \"padding\": \"same\", \"activation\": \"relu\"},"
  "{\"name\": \"pool\", \"type\": \"maxpool2d\", \"size\": 2},"
  "{\"name\": \"flat\", \"type\": \"flatten\"},"
  "{\"name\": \"fc\", \"type\": \"dense\", \"units\": 5, \"activation\": \"softmax\"}]}";
/* The same input and output through Winograd's convolutions (4+ input
 * channels), pooled (conv b) and not (conv c); 2.4 MFLOP a sample, enough
 * for a batch to take every lane. */
static const char *wide_spec = "{\"input\": [1, 8, 8], \"labels\": [\"a\", \"b\", \"c\", \"d\", \"e\"], \"layers\": ["
  "{\"name\": \"a\", \"type\": \"conv2d\", \"filters\": 64, \"kernel\": 3, \"padding\": \"same\", \"activation\": \"relu\"},"
  "{\"name\": \"pa\", \"type\": \"maxpool2d\", \"size\": 2},"
  "{\"name\": \"b\", \"type\": \"conv2d\", \"filters\": 128, \"kernel\": 3, \"padding\": \"same\", \"activation\": \"relu\"},"
  "{\"name\": \"pb\", \"type\": \"maxpool2d\", \"size\": 2},"
  "{\"name\": \"c\", \"type\": \"conv2d\", \"filters\": 8, \"kernel\": 3, \"padding\": 1, \"activation\": \"tanh\"},"
  "{\"name\": \"flat\", \"type\": \"flatten\"},"
  "{\"name\": \"fc\", \"type\": \"dense\", \"units\": 5, \"activation\": \"softmax\"}]}";
static const char *other_spec = "{\"input\": [1, 8, 8], \"labels\": [\"a\", \"b\"], \"layers\": ["
  "{\"name\": \"flat\", \"type\": \"flatten\"}, {\"name\": \"fc\", \"type\": \"dense\", \"units\": 2}]}";
#define IN 64
#define OUT 5

static char *dir, *path, *other_path, *wide_path;

static void
setup (void)
{
  dir = g_dir_make_tmp ("nn-shared-XXXXXX", NULL);
  path = g_build_filename (dir, "m.json", NULL);
  other_path = g_build_filename (dir, "other.json", NULL);
  wide_path = g_build_filename (dir, "wide.json", NULL);
  ck_assert (g_file_set_contents (path, spec, -1, NULL));
  ck_assert (g_file_set_contents (wide_path, wide_spec, -1, NULL));
  ck_assert (g_file_set_contents (other_path, other_spec, -1, NULL));
}

static void
teardown (void)
{
  g_unlink (path);
  g_unlink (other_path);
  g_unlink (wide_path);
  g_rmdir (dir);
  g_clear_pointer (&wide_path, g_free);
  g_clear_pointer (&path, g_free);
  g_clear_pointer (&other_path, g_free);
  g_clear_pointer (&dir, g_free);
}

/* Sample `k` of stream `s`: distinct for every pair. */
static void
sample (float *x, int s, int k)
{
  for (int i = 0; i < IN; i++)
    x[i] = (float) sin (0.37 * i * (s + 1) + 0.91 * k + 0.13 * s);
}

/* The same sample run alone, batch 1, on the model `m`. */
static void
alone (NnModel *m, int s, int k, float *y)
{
  float x[IN];
  sample (x, s, k);
  const float *o = nn_model_forward (m, x, 1, FALSE, NULL);
  ck_assert (o);
  memcpy (y, o, sizeof (float) * OUT);
}

/* ---- one load per instance ---------------------------------------------------- */

START_TEST (test_one_load_per_instance)
{
  GError *e = NULL;
  guint loads = nn_shared_model_n_loads ();
  NnSharedModel *a[3];
  for (int i = 0; i < 3; i++) {
    a[i] = nn_shared_model_acquire ("cams", path, 4, 1000, &e);
    ck_assert_msg (a[i], "%s", e ? e->message : "");
  }
  ck_assert_ptr_eq (a[0], a[1]);
  ck_assert_ptr_eq (a[0], a[2]);
  ck_assert_uint_eq (nn_shared_model_n_loads (), loads + 1);
  ck_assert_int_eq (nn_shape_numel (nn_model_input_shape (nn_shared_model_model (a[0]))), IN);

  /* the same file through another spelling of its path is the same file */
  g_autofree char *dotted = g_build_filename (dir, ".", "m.json", NULL);
  NnSharedModel *d = nn_shared_model_acquire ("cams", dotted, 4, 1000, &e);
  ck_assert_msg (d == a[0], "%s", e ? e->message : "");
  nn_shared_model_release (d);

  /* another name: another load */
  NnSharedModel *b = nn_shared_model_acquire ("doors", path, 1, 0, &e);
  ck_assert (b && b != a[0]);
  ck_assert_uint_eq (nn_shared_model_n_loads (), loads + 2);

  /* the same name with another file, or other batching: refused, named */
  ck_assert (!nn_shared_model_acquire ("cams", other_path, 4, 1000, &e));
  ck_assert (g_error_matches (e, NN_ERROR, NN_ERROR_INVALID));
  ck_assert_msg (strstr (e->message, "\"cams\"") && strstr (e->message, "m.json") && strstr (e->message, "other.json"),
                 "%s", e->message);
  g_clear_error (&e);
  ck_assert (!nn_shared_model_acquire ("cams", path, 8, 1000, &e));
  ck_assert_msg (g_error_matches (e, NN_ERROR, NN_ERROR_INVALID) && strstr (e->message, "batches 4"), "%s",
                 e->message);
  g_clear_error (&e);
  ck_assert (!nn_shared_model_acquire ("x", path, 0, 1000, &e));
  g_clear_error (&e);
  ck_assert (!nn_shared_model_acquire ("y", "/nonexistent/m.safetensors", 1, 0, &e));
  ck_assert (g_error_matches (e, NN_ERROR, NN_ERROR_IO));
  g_clear_error (&e);
  ck_assert_uint_eq (nn_shared_model_n_loads (), loads + 2);

  nn_shared_model_release (b);
  for (int i = 0; i < 3; i++)
    nn_shared_model_release (a[i]);
  /* freed with the last reference: the name is free for another file */
  NnSharedModel *c = nn_shared_model_acquire ("cams", other_path, 2, 0, &e);
  ck_assert_msg (c, "%s", e ? e->message : "");
  ck_assert_uint_eq (nn_shared_model_n_loads (), loads + 3);
  nn_shared_model_release (c);
}
END_TEST

/* ---- batches ------------------------------------------------------------------ */

#define STREAMS 8
#define FRAMES 40
#define FRAMES_MAX 2000

typedef struct {
  NnSharedClient *c;
  int      s, frames;     /* frames to run; the number run when done */
  gint    *stop;          /* (nullable) ends the stream early when set */
  gint    *newest;        /* (nullable) the newest snapshot seen, for the publisher */
  gint    *finished;      /* (nullable) streams done */
  gint    *published;     /* (nullable) the newest snapshot published: at most 50 frames per snapshot */
  float    y[FRAMES_MAX][OUT];
  NnSharedRunInfo info[FRAMES_MAX];
  gboolean failed;
} Stream;

static gpointer
stream_thread (gpointer data)
{
  Stream *st = data;
  int k;
  for (k = 0; k < st->frames && !(st->stop && g_atomic_int_get (st->stop)); k++) {
    /* keeps the streams from running out of frames before the publisher,
     * however the threads are scheduled */
    while (st->published && k >= 50 * g_atomic_int_get (st->published) && !g_atomic_int_get (st->stop))
      g_usleep (200);
    sample (nn_shared_client_input (st->c), st->s, k);
    const float *y = nn_shared_client_run (st->c, NULL);
    if (!y) {
      st->failed = TRUE;
      return NULL;
    }
    memcpy (st->y[k], y, sizeof st->y[k]);
    nn_shared_client_last_run (st->c, &st->info[k]);
    if (st->newest)
      while (TRUE) {
        gint seen = g_atomic_int_get (st->newest);
        if ((gint) st->info[k].version <= seen ||
            g_atomic_int_compare_and_exchange (st->newest, seen, (gint) st->info[k].version))
          break;
      }
  }
  st->frames = k;
  nn_shared_client_set_active (st->c, FALSE);
  if (st->finished)
    g_atomic_int_inc (st->finished);
  return NULL;
}

/* (batch, row) pairs are unique and every batch ran on one snapshot. */
static int
check_batches (Stream *st, int n_streams, int *max_n)
{
  g_autoptr (GHashTable) rows = g_hash_table_new (g_int64_hash, g_int64_equal);
  g_autoptr (GHashTable) versions = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  g_autoptr (GHashTable) seen = g_hash_table_new (g_direct_hash, g_direct_equal);
  *max_n = 0;
  for (int s = 0; s < n_streams; s++)
    for (int k = 0; k < st[s].frames; k++) {
      NnSharedRunInfo *i = &st[s].info[k];
      ck_assert (i->batch >= 1 && i->index >= 0 && i->index < i->n);
      gint64 *key = g_new (gint64, 1);
      *key = (gint64) i->batch * 64 + i->index;
      ck_assert_msg (!g_hash_table_contains (rows, key), "batch %" G_GUINT64_FORMAT " row %d twice", i->batch,
                     i->index);
      g_hash_table_add (rows, key);
      gint64 *bkey = g_new (gint64, 1);
      *bkey = (gint64) i->batch;
      gpointer v = g_hash_table_lookup (versions, bkey);
      ck_assert_msg (!v || GPOINTER_TO_SIZE (v) == i->version, "batch %" G_GUINT64_FORMAT " mixes snapshots %zu "
                     "and %" G_GUINT64_FORMAT, i->batch, GPOINTER_TO_SIZE (v), i->version);
      if (!v)
        g_hash_table_insert (versions, bkey, GSIZE_TO_POINTER (i->version));
      else
        g_free (bkey);
      g_hash_table_add (seen, GSIZE_TO_POINTER (i->version));
      *max_n = MAX (*max_n, i->n);
    }
  /* rows keys are freed here: the table does not own them */
  GHashTableIter it;
  gpointer key;
  g_hash_table_iter_init (&it, rows);
  while (g_hash_table_iter_next (&it, &key, NULL))
    g_free (key);
  return (int) g_hash_table_size (seen);
}

/* STREAMS streams through one instance of `file`, every batch of all of
 * them: each row equals its sample run alone. */
static void
check_match_alone (const char *file, int want_lanes)
{
  GError *e = NULL;
  /* a timeout far above any scheduling delay: every batch waits for all */
  NnSharedModel *inst = nn_shared_model_acquire ("batch", file, STREAMS, 2 * G_USEC_PER_SEC, &e);
  ck_assert_msg (inst, "%s", e ? e->message : "");
  Stream *st = g_new0 (Stream, STREAMS);
  GThread *t[STREAMS];
  for (int s = 0; s < STREAMS; s++) {
    st[s].c = nn_shared_client_new (inst);
    st[s].s = s;
    st[s].frames = FRAMES;
    /* all running from the start: a thread that starts late would otherwise
     * find the first ones' frames already run in smaller batches */
    nn_shared_client_set_active (st[s].c, TRUE);
  }
  for (int s = 0; s < STREAMS; s++)
    t[s] = g_thread_new ("stream", stream_thread, &st[s]);
  for (int s = 0; s < STREAMS; s++)
    g_thread_join (t[s]);

  g_autoptr (NnModel) m = nn_model_load (file, &e);
  ck_assert (m);
  for (int s = 0; s < STREAMS; s++) {
    ck_assert (!st[s].failed);
    for (int k = 0; k < FRAMES; k++) {
      float y[OUT];
      alone (m, s, k, y);
      for (int j = 0; j < OUT; j++)
        ck_assert_msg (fabsf (st[s].y[k][j] - y[j]) <= 1e-5f, "stream %d frame %d class %d: %g in the batch, %g "
                       "alone", s, k, j, st[s].y[k][j], y[j]);
    }
    /* each stream's results are its own: they differ from its neighbour's */
    ck_assert (memcmp (st[s].y, st[(s + 1) % STREAMS].y, sizeof (float) * OUT * FRAMES) != 0);
  }
  int max_n;
  ck_assert_int_eq (check_batches (st, STREAMS, &max_n), 1);
  ck_assert_int_eq (max_n, STREAMS);
  for (int s = 0; s < STREAMS; s++)
    for (int k = 0; k < st[s].frames; k++)
      if (st[s].info[k].n == STREAMS)
        ck_assert_int_eq (st[s].info[k].lanes, want_lanes);
  for (int s = 0; s < STREAMS; s++)
    nn_shared_client_free (st[s].c);
  g_free (st);
  nn_shared_model_release (inst);
}

START_TEST (test_batches_match_alone)
{
  nn_set_threads (2);
  /* a few kFLOP a sample: not worth a second lane */
  check_match_alone (path, 1);
  nn_set_threads (0);
}
END_TEST

/* A batch splits over lanes (threads, a model copy each): with 3 lanes a
 * batch of 8 runs as rows 0-1, 2-4 and 5-7, and every row is still its
 * own sample's, through Winograd's batched products too. */
START_TEST (test_lanes_match_alone)
{
  nn_set_threads (3);
  check_match_alone (wide_path, 3);
  nn_set_threads (0);
}
END_TEST

/* A batch of n through a model gives each sample's batch-1 output (within
 * 1e-5: batched products may sum in another order), on one thread and two,
 * for the shipped LeNets (Winograd's products over groups of samples, a
 * group's last one partial) and the wide spec. */
static void
check_batch_equals_single (const char *file)
{
  GError *e = NULL;
  g_autoptr (NnModel) m = nn_model_load (file, &e);
  ck_assert_msg (m, "%s", e ? e->message : "");
  int64_t in = nn_shape_numel (nn_model_input_shape (m)), out = nn_shape_numel (nn_model_output_shape (m));
  const int n_max = 9;
  g_autofree float *x = g_new (float, n_max * in);
  g_autofree float *single = g_new (float, n_max * out);
  g_autofree float *batch = g_new (float, n_max * out);
  for (int64_t i = 0; i < n_max * in; i++)
    x[i] = (float) (0.5 + 0.5 * sin (0.011 * i + 0.3 * (i / in)));
  for (int threads = 1; threads <= 2; threads++) {
    nn_set_threads (threads);
    for (int i = 0; i < n_max; i++) {
      const float *y = nn_model_forward (m, x + i * in, 1, FALSE, &e);
      ck_assert_msg (y, "%s", e ? e->message : "");
      memcpy (single + i * out, y, sizeof (float) * out);
    }
    const int sizes[] = { 2, 3, 8, 9 };
    for (guint k = 0; k < G_N_ELEMENTS (sizes); k++) {
      int n = sizes[k];
      const float *y = nn_model_forward (m, x, n, FALSE, &e);
      ck_assert_msg (y, "%s", e ? e->message : "");
      memcpy (batch, y, sizeof (float) * n * out);
      for (int64_t i = 0; i < n * out; i++)
        ck_assert_msg (fabsf (batch[i] - single[i]) <= 1e-5f, "%s, %d thread(s), batch %d: sample %d output %d "
                       "= %.8g, alone %.8g", file, threads, n, (int) (i / out), (int) (i % out), batch[i], single[i]);
    }
    /* the samples differ, so a row in the wrong place would show */
    ck_assert (memcmp (single, single + out, sizeof (float) * out) != 0);
  }
  nn_set_threads (0);
}

START_TEST (test_batch_equals_single)
{
  const char *root = g_getenv ("NN_SOURCE_ROOT");
  ck_assert_msg (root, "NN_SOURCE_ROOT is not set (run through meson test)");
  const char *models[] = { "gesture-lenet", "fashion-lenet" };
  for (guint i = 0; i < G_N_ELEMENTS (models); i++) {
    g_autofree char *name = g_strconcat (models[i], ".safetensors", NULL);
    g_autofree char *file = g_build_filename (root, "models", name, NULL);
    check_batch_equals_single (file);
  }
  check_batch_equals_single (wide_path);
}
END_TEST

/* ---- snapshots -------------------------------------------------------------- */

#define VERSIONS 12

typedef struct {
  NnSharedModel *inst;
  gint    *stop, *newest, *finished, *published;
} Publisher;

/* Publishes versions 2..VERSIONS, each once a frame has run on the one
 * before, then stops the streams. */
static gpointer
publish_thread (gpointer data)
{
  Publisher *p = data;
  for (guint64 v = 2; v <= VERSIONS; v++) {
    while (g_atomic_int_get (p->newest) < (gint) v - 1 && g_atomic_int_get (p->finished) < STREAMS)
      g_usleep (500);
    /* version v's weights: the spec's with seed v */
    NnModel *w = nn_model_new_from_spec (spec, v, NULL);
    guint64 got = nn_shared_model_publish (p->inst, w, NULL);
    if (got != v)
      return GINT_TO_POINTER (1);
    g_atomic_int_set (p->published, (gint) v);
  }
  while (g_atomic_int_get (p->newest) < VERSIONS && g_atomic_int_get (p->finished) < STREAMS)
    g_usleep (500);
  g_atomic_int_set (p->stop, 1);
  return NULL;
}

START_TEST (test_snapshots_never_mix)
{
  GError *e = NULL;
  NnSharedModel *inst = nn_shared_model_acquire ("snap", path, 4, 500, &e);
  ck_assert_msg (inst, "%s", e ? e->message : "");
  ck_assert_uint_eq (nn_shared_model_version (inst), 1);

  /* weights of another shape are refused, and freed */
  ck_assert_uint_eq (nn_shared_model_publish (inst, nn_model_new_from_spec (other_spec, 1, NULL), &e), 0);
  ck_assert_msg (g_error_matches (e, NN_ERROR, NN_ERROR_SHAPE) && strstr (e->message, "\"snap\""), "%s", e->message);
  g_clear_error (&e);

  Stream *st = g_new0 (Stream, STREAMS);
  GThread *t[STREAMS];
  gint stop = 0, newest = 0, finished = 0, published = 1;
  Publisher pub = { inst, &stop, &newest, &finished, &published };
  for (int s = 0; s < STREAMS; s++) {
    st[s].c = nn_shared_client_new (inst);
    st[s].s = s;
    st[s].frames = FRAMES_MAX;
    st[s].stop = &stop;
    st[s].newest = &newest;
    st[s].finished = &finished;
    st[s].published = &published;
  }
  for (int s = 0; s < STREAMS; s++)
    t[s] = g_thread_new ("stream", stream_thread, &st[s]);
  GThread *pt = g_thread_new ("publisher", publish_thread, &pub);
  for (int s = 0; s < STREAMS; s++)
    g_thread_join (t[s]);
  ck_assert (g_thread_join (pt) == NULL);

  /* every output is what its snapshot's weights give the sample alone */
  NnModel *ref[VERSIONS + 1] = { NULL };
  ref[1] = nn_model_load (path, &e);
  for (int v = 2; v <= VERSIONS; v++)
    ref[v] = nn_model_new_from_spec (spec, v, &e);
  for (int s = 0; s < STREAMS; s++) {
    ck_assert (!st[s].failed);
    for (int k = 0; k < st[s].frames; k++) {
      guint64 v = st[s].info[k].version;
      ck_assert (v >= 1 && v <= VERSIONS);
      float y[OUT];
      alone (ref[v], s, k, y);
      for (int j = 0; j < OUT; j++)
        ck_assert_msg (fabsf (st[s].y[k][j] - y[j]) <= 1e-5f, "stream %d frame %d (snapshot %" G_GUINT64_FORMAT
                       "): %g, alone %g", s, k, v, st[s].y[k][j], y[j]);
    }
  }
  int max_n;
  int n_versions = check_batches (st, STREAMS, &max_n);
  ck_assert_msg (n_versions == VERSIONS, "the frames saw %d snapshot(s) of %d", n_versions, VERSIONS);
  for (int v = 1; v <= VERSIONS; v++)
    nn_model_free (ref[v]);
  for (int s = 0; s < STREAMS; s++)
    nn_shared_client_free (st[s].c);
  g_free (st);
  nn_shared_model_release (inst);
}
END_TEST

/* ---- streams that stall, end or leave -------------------------------------------- */

typedef struct {
  NnSharedClient *c;
  NnSharedRunInfo info;
  gboolean ok;
  gint     done;
} OneRun;

static gpointer
one_run (gpointer data)
{
  OneRun *r = data;
  sample (nn_shared_client_input (r->c), 0, 0);
  r->ok = nn_shared_client_run (r->c, NULL) != NULL;
  nn_shared_client_last_run (r->c, &r->info);
  g_atomic_int_set (&r->done, 1);
  return NULL;
}

START_TEST (test_stall_end_leave)
{
  GError *e = NULL;
  const gint64 timeout = 20000;
  NnSharedModel *inst = nn_shared_model_acquire ("stall", path, 4, timeout, &e);
  ck_assert_msg (inst, "%s", e ? e->message : "");
  NnSharedClient *a = nn_shared_client_new (inst), *b = nn_shared_client_new (inst);
  NnSharedRunInfo info;

  /* b has joined but not started (a late stream): a's frames do not wait */
  sample (nn_shared_client_input (a), 0, 0);
  ck_assert (nn_shared_client_run (a, NULL));
  nn_shared_client_last_run (a, &info);
  ck_assert_int_eq (info.n, 1);

  /* b ran once and stalls: a's next frame waits the timeout, then runs alone */
  ck_assert (nn_shared_client_run (b, NULL));
  ck_assert (nn_shared_client_run (a, NULL));
  nn_shared_client_last_run (a, &info);
  ck_assert_int_eq (info.n, 1);
  ck_assert_msg (info.queued_us >= timeout, "waited %" G_GINT64_FORMAT " us", info.queued_us);

  /* with a timeout no test would wait out, a frame waiting for two stalled
   * streams goes once one ends (EOS) and the other's element is removed */
  NnSharedModel *inst2 = nn_shared_model_acquire ("stall-long", path, 4, 600 * G_USEC_PER_SEC, &e);
  ck_assert_msg (inst2, "%s", e ? e->message : "");
  NnSharedClient *c = nn_shared_client_new (inst2), *d = nn_shared_client_new (inst2);
  NnSharedClient *f = nn_shared_client_new (inst2);
  ck_assert (nn_shared_client_run (c, NULL));   /* alone: runs at once */
  nn_shared_client_set_active (f, TRUE);        /* f started too */
  OneRun r = { .c = d };
  GThread *t = g_thread_new ("d", one_run, &r);
  g_usleep (20000);
  ck_assert (!g_atomic_int_get (&r.done));      /* d waits for c and f */
  nn_shared_client_set_active (c, FALSE);       /* c's stream ended */
  g_usleep (20000);
  ck_assert (!g_atomic_int_get (&r.done));      /* and f */
  nn_shared_client_free (f);                    /* f's element removed */
  g_thread_join (t);
  ck_assert (r.ok);
  ck_assert_int_eq (r.info.n, 1);

  nn_shared_client_free (c);
  nn_shared_client_free (d);
  nn_shared_model_release (inst2);
  nn_shared_client_free (a);
  nn_shared_client_free (b);
  nn_shared_model_release (inst);
}
END_TEST

/* ---- no allocation per sample ------------------------------------------------- */

typedef struct {
  NnSharedClient *c;
  int      s;
  GMutex  *lock;
  GCond   *cond;
  gint    *go, *warm;
} Steady;

static gpointer
steady_thread (gpointer data)
{
  Steady *st = data;
  for (int k = 0; k < 5; k++) {
    sample (nn_shared_client_input (st->c), st->s, k);
    nn_shared_client_run (st->c, NULL);
  }
  g_mutex_lock (st->lock);
  (*st->warm)++;
  g_cond_broadcast (st->cond);
  while (!*st->go)
    g_cond_wait (st->cond, st->lock);
  g_mutex_unlock (st->lock);
  for (int k = 0; k < 100; k++) {
    sample (nn_shared_client_input (st->c), st->s, k);
    nn_shared_client_run (st->c, NULL);
  }
  return NULL;
}

START_TEST (test_no_allocation_per_sample)
{
  GError *e = NULL;
  NnSharedModel *inst = nn_shared_model_acquire ("alloc", path, 4, 1000, &e);
  ck_assert_msg (inst, "%s", e ? e->message : "");
  /* the counter sees libnn's allocations: a client's seat is three */
  g_atomic_int_set (&counting, 1);
  nn_shared_client_free (nn_shared_client_new (inst));
  g_atomic_int_set (&counting, 0);
  ck_assert_int_ge (g_atomic_int_get (&n_allocs), 3);
  GMutex lock;
  GCond cond;
  g_mutex_init (&lock);
  g_cond_init (&cond);
  gint go = 0, warm = 0;
  Steady st[4];
  GThread *t[4];
  for (int s = 0; s < 4; s++) {
    st[s] = (Steady) { nn_shared_client_new (inst), s, &lock, &cond, &go, &warm };
    t[s] = g_thread_new ("steady", steady_thread, &st[s]);
  }
  g_mutex_lock (&lock);
  while (warm < 4)
    g_cond_wait (&cond, &lock);
  g_atomic_int_set (&n_allocs, 0);
  g_atomic_int_set (&counting, 1);
  go = 1;
  g_cond_broadcast (&cond);
  g_mutex_unlock (&lock);
  /* g_thread_join's own frees are GLib's internal calls, not counted */
  for (int s = 0; s < 4; s++)
    g_thread_join (t[s]);
  g_atomic_int_set (&counting, 0);
  ck_assert_msg (g_atomic_int_get (&n_allocs) == 0, "%d allocations in 400 steady runs", n_allocs);
  for (int s = 0; s < 4; s++)
    nn_shared_client_free (st[s].c);
  g_mutex_clear (&lock);
  g_cond_clear (&cond);
  nn_shared_model_release (inst);
}
END_TEST

static Suite *
suite (void)
{
  Suite *s = suite_create ("shared");
  TCase *tc = tcase_create ("shared");
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_add_test (tc, test_one_load_per_instance);
  tcase_add_test (tc, test_batches_match_alone);
  tcase_add_test (tc, test_lanes_match_alone);
  tcase_add_test (tc, test_batch_equals_single);
  tcase_add_test (tc, test_snapshots_never_mix);
  tcase_add_test (tc, test_stall_end_leave);
  tcase_add_test (tc, test_no_allocation_per_sample);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  return nn_check_run (suite ());
}
