/* Checkpoints: a run stopped after two epochs and resumed for the third
 * gives the weights of three epochs straight, bit for bit with one thread,
 * for momentum SGD, RMSprop and Adam, with dropout, augmentation, a
 * schedule, validation and early stopping's snapshot on; the file is a
 * model; resuming with another configuration or from a damaged file is an
 * error naming the file. */
#include <check.h>
#include <glib/gstdio.h>
#include "train-private.h"
#include "../check-run.h"

static char *tmp;

static void
setup (void)
{
  tmp = g_dir_make_tmp ("nn-ckpt-XXXXXX", NULL);
  nn_set_threads (1);
}

static void
teardown (void)
{
  g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", tmp);
  ck_assert_int_eq (system (cmd), 0);
  g_clear_pointer (&tmp, g_free);
  nn_set_threads (0);
}

static const char *spec =
  "{\"input\": [1, 6, 6], \"labels\": [\"a\", \"b\", \"c\"], \"layers\": ["
  "{\"type\": \"conv2d\", \"filters\": 3, \"kernel\": 3, \"activation\": \"relu\"},"
  "{\"type\": \"flatten\"},"
  "{\"name\": \"h\", \"type\": \"dense\", \"units\": 12, \"activation\": \"relu\"},"
  "{\"type\": \"dropout\", \"rate\": 0.3},"
  "{\"name\": \"out\", \"type\": \"dense\", \"units\": 3, \"activation\": \"softmax\"}]}";

/* Three classes: a bright row, column or diagonal on noise. */
static NnDataset *
data (int n, guint32 seed)
{
  NnShape s = nn_shape_3d (1, 6, 6);
  NnDataset *ds = nn_dataset_new (&s, n, 1, 0);
  GRand *r = g_rand_new_with_seed (seed);
  for (int i = 0; i < n; i++) {
    float *x = ds->x + i * 36;
    int k = i % 3, at = g_rand_int_range (r, 0, 6);
    for (int j = 0; j < 36; j++)
      x[j] = (float) g_rand_double_range (r, 0.0, 0.3);
    for (int j = 0; j < 6; j++)
      x[k == 0 ? at * 6 + j : k == 1 ? j * 6 + at : j * 7] = 1.0f;
    ds->labels[i] = k;
  }
  g_rand_free (r);
  return ds;
}

typedef struct {
  int      halt_after;   /* stop at the end of this epoch (0: never) */
  NnModel *m;            /* whose weights to copy there */
  float   *w;
} Halt;

static gboolean
halt (const NnTrainProgress *p, gpointer data)
{
  Halt *h = data;
  if (!(p->epoch_done && h->halt_after && p->epoch >= h->halt_after))
    return TRUE;
  /* the weights as the checkpoint has them: early stopping restores the
   * best after this */
  int n;
  NnParam *params = nn_model_params (h->m, &n);
  int64_t total = 0;
  for (int i = 0; i < n; i++)
    total += nn_shape_numel (&params[i].shape);
  h->w = g_new (float, total);
  for (int i = 0, at = 0; i < n; at += nn_shape_numel (&params[i].shape), i++)
    memcpy (h->w + at, params[i].data, sizeof (float) * nn_shape_numel (&params[i].shape));
  return FALSE;
}

static void
assert_weights_are (NnModel *m, const float *w)
{
  int n;
  NnParam *params = nn_model_params (m, &n);
  for (int i = 0, at = 0; i < n; at += nn_shape_numel (&params[i].shape), i++)
    ck_assert_msg (memcmp (w + at, params[i].data, sizeof (float) * nn_shape_numel (&params[i].shape)) == 0,
                   "%s differs", params[i].name);
}

static void
config (NnTrainConfig *c, NnOptimKind kind, const NnAugment *aug, Halt *h)
{
  nn_train_config_init (c);
  nn_optim_config_init (&c->optim, kind);
  c->optim.lr = kind == NN_OPT_MOMENTUM ? 0.05f : 0.005f;
  c->epochs = 3;
  c->batch = 8;
  c->seed = 7;
  c->augment = aug;
  c->callback = halt;
  c->user_data = h;
  GError *e = NULL;
  ck_assert (nn_schedule_parse (kind == NN_OPT_ADAM ? "cosine:warmup=1" : "plateau:patience=0,factor=0.5,threshold=0.5", &c->schedule,
                                &e));
}

static void
assert_same_weights (NnModel *a, NnModel *b, const char *what)
{
  int na, nb;
  NnParam *pa = nn_model_params (a, &na), *pb = nn_model_params (b, &nb);
  ck_assert_int_eq (na, nb);
  for (int i = 0; i < na; i++)
    ck_assert_msg (memcmp (pa[i].data, pb[i].data, sizeof (float) * nn_shape_numel (&pa[i].shape)) == 0,
                   "%s: %s differs", what, pa[i].name);
}

static void
resume_matches (NnOptimKind kind, int early_stop)
{
  GError *e = NULL;
  NnDataset *tr = data (40, 1), *va = data (15, 2);
  NnAugment *aug = nn_augment_new ("rotate=10,flip=h,noise=0.05,brightness=0.1", &e);
  g_autofree char *ckpt = g_build_filename (tmp, "run.ckpt.safetensors", NULL);

  /* three epochs straight */
  Halt never = { 0 };
  NnTrainConfig c;
  config (&c, kind, aug, &never);
  c.early_stop = early_stop;
  c.history = g_array_new (FALSE, FALSE, sizeof (NnTrainProgress));
  NnModel *straight = nn_model_new_from_spec (spec, 7, &e);
  ck_assert_msg (nn_train (straight, &c, tr, va, &e), "%s", e ? e->message : "");
  GArray *h_straight = c.history;

  /* the same run, stopped after two, its checkpoint written each epoch */
  NnModel *first = nn_model_new_from_spec (spec, 7, &e);
  Halt two = { 2, first, NULL };
  config (&c, kind, aug, &two);
  c.early_stop = early_stop;
  c.checkpoint = ckpt;
  c.checkpoint_note = "{\"note\": 1}";
  ck_assert_msg (nn_train (first, &c, tr, va, &e), "%s", e ? e->message : "");
  ck_assert (g_file_test (ckpt, G_FILE_TEST_EXISTS));

  /* the checkpoint is a model: the weights after two epochs */
  NnModel *loaded = nn_model_load (ckpt, &e);
  ck_assert_msg (loaded, "%s", e ? e->message : "");
  ck_assert (two.w);
  assert_weights_are (loaded, two.w);
  g_free (two.w);
  char *note = nn_checkpoint_note (ckpt, &e);
  ck_assert_str_eq (note, "{\"note\": 1}");
  g_free (note);

  /* resumed into a model built with other weights: they all come from the file */
  config (&c, kind, aug, &never);
  c.early_stop = early_stop;
  c.resume = ckpt;
  c.history = g_array_new (FALSE, FALSE, sizeof (NnTrainProgress));
  NnModel *resumed = nn_model_new_from_spec (spec, 99, &e);
  ck_assert_msg (nn_train (resumed, &c, tr, va, &e), "%s", e ? e->message : "");
  assert_same_weights (straight, resumed, nn_optim_name (kind));

  /* the history: the checkpoint's two epochs, then the third, as measured straight */
  ck_assert_int_eq (c.history->len, 3);
  ck_assert_int_eq (h_straight->len, 3);
  for (guint i = 0; i < 3; i++) {
    const NnTrainProgress *a = &g_array_index (h_straight, NnTrainProgress, i);
    const NnTrainProgress *b = &g_array_index (c.history, NnTrainProgress, i);
    ck_assert_int_eq (a->epoch, b->epoch);
    ck_assert_msg (a->loss == b->loss && a->acc == b->acc && a->val_loss == b->val_loss && a->val_acc == b->val_acc &&
                   a->lr == b->lr && a->best == b->best, "%s epoch %u: loss %.9g/%.9g val_loss %.9g/%.9g lr %g/%g",
                   nn_optim_name (kind), i + 1, a->loss, b->loss, a->val_loss, b->val_loss, a->lr, b->lr);
  }
  /* the schedule did something: the lr is not the same in every epoch */
  ck_assert (g_array_index (h_straight, NnTrainProgress, 0).lr != g_array_index (h_straight, NnTrainProgress, 2).lr);
  g_array_free (h_straight, TRUE);
  g_array_free (c.history, TRUE);

  /* and nothing but the checkpoint is left in its folder (written to a
   * temporary name, renamed) */
  GDir *d = g_dir_open (tmp, 0, NULL);
  int files = 0;
  for (const char *name; (name = g_dir_read_name (d)); files++)
    ck_assert_str_eq (name, "run.ckpt.safetensors");
  g_dir_close (d);
  ck_assert_int_eq (files, 1);

  nn_model_free (straight);
  nn_model_free (first);
  nn_model_free (loaded);
  nn_model_free (resumed);
  nn_augment_free (aug);
  nn_dataset_free (tr);
  nn_dataset_free (va);
}

/* without early stopping the final weights are the third epoch's; with it,
 * the best epoch's, from the snapshot the checkpoint carries or a later one */
START_TEST (test_resume_momentum)
{
  resume_matches (NN_OPT_MOMENTUM, 0);
  resume_matches (NN_OPT_MOMENTUM, 5);
}
END_TEST

START_TEST (test_resume_rmsprop)
{
  resume_matches (NN_OPT_RMSPROP, 0);
  resume_matches (NN_OPT_RMSPROP, 5);
}
END_TEST

START_TEST (test_resume_adam)
{
  resume_matches (NN_OPT_ADAM, 0);
  resume_matches (NN_OPT_ADAM, 5);
}
END_TEST

/* One epoch's checkpoint, for the refusal tests. */
static char *
one_epoch (NnDataset *tr, NnTrainConfig *c, Halt *h)
{
  GError *e = NULL;
  char *ckpt = g_build_filename (tmp, "one.safetensors", NULL);
  config (c, NN_OPT_ADAM, NULL, h);
  c->epochs = 1;
  c->checkpoint = ckpt;
  NnModel *m = nn_model_new_from_spec (spec, 7, &e);
  ck_assert_msg (nn_train (m, c, tr, NULL, &e), "%s", e ? e->message : "");
  nn_model_free (m);
  c->checkpoint = NULL;
  c->epochs = 2;
  c->resume = ckpt;
  return ckpt;
}

static void
assert_resume_fails (NnTrainConfig *c, NnDataset *tr, const char *msg)
{
  GError *e = NULL;
  NnModel *m = nn_model_new_from_spec (spec, 7, &e);
  ck_assert_msg (!nn_train (m, c, tr, NULL, &e), "resumed (want: %s)", msg);
  ck_assert_msg (strstr (e->message, msg) && strstr (e->message, c->resume), "%s (want: %s)", e->message, msg);
  g_error_free (e);
  nn_model_free (m);
}

START_TEST (test_resume_refuses_other_run)
{
  NnDataset *tr = data (40, 1), *small = data (30, 1);
  Halt never = { 0 };
  NnTrainConfig c;
  g_autofree char *ckpt = one_epoch (tr, &c, &never);

  nn_optim_config_init (&c.optim, NN_OPT_MOMENTUM);
  assert_resume_fails (&c, tr, "optimizer adam, this run has momentum");
  nn_optim_config_init (&c.optim, NN_OPT_ADAM);
  c.batch = 16;
  assert_resume_fails (&c, tr, "batch size 8, this run has 16");
  c.batch = 8;
  c.seed = 8;
  assert_resume_fails (&c, tr, "seed 7, this run has 8");
  c.seed = 7;
  c.schedule.kind = NN_SCHEDULE_CONSTANT;
  assert_resume_fails (&c, tr, "schedule cosine:warmup=1,min=0, this run has constant");
  GError *e = NULL;
  ck_assert (nn_schedule_parse ("cosine:warmup=1", &c.schedule, &e));
  c.loss = NN_LOSS_MSE;
  assert_resume_fails (&c, tr, "loss cce, this run has mse");
  c.loss = NN_LOSS_CCE;
  assert_resume_fails (&c, small, "number of training samples 40, this run has 30");

  /* a plain model is not a checkpoint; a missing file is an I/O error */
  NnModel *m = nn_model_new_from_spec (spec, 7, &e);
  g_autofree char *plain = g_build_filename (tmp, "plain.safetensors", NULL);
  ck_assert (nn_model_save (m, plain, &e));
  nn_model_free (m);
  c.resume = plain;
  assert_resume_fails (&c, tr, "not a checkpoint");
  ck_assert (!nn_checkpoint_note (plain, &e));
  ck_assert (strstr (e->message, "not a checkpoint"));
  g_clear_error (&e);
  g_autofree char *missing = g_build_filename (tmp, "missing.safetensors", NULL);
  c.resume = missing;
  assert_resume_fails (&c, tr, "no such file");

  /* the same configuration resumes, and a second epoch follows */
  c.resume = ckpt;
  m = nn_model_new_from_spec (spec, 7, &e);
  c.history = g_array_new (FALSE, FALSE, sizeof (NnTrainProgress));
  ck_assert_msg (nn_train (m, &c, tr, NULL, &e), "%s", e ? e->message : "");
  ck_assert_int_eq (c.history->len, 2);
  g_array_free (c.history, TRUE);
  nn_model_free (m);
  nn_dataset_free (tr);
  nn_dataset_free (small);
}
END_TEST

/* Rewrites the checkpoint with one tensor's bytes or the state's JSON changed. */
static void
tamper (const char *path, const char *tensor, gboolean (*edit) (guint8 *data, gsize n), const char *json_from,
        const char *json_to)
{
  g_autofree char *buf = NULL;
  gsize len;
  ck_assert (g_file_get_contents (path, &buf, &len, NULL));
  guint64 hlen;
  memcpy (&hlen, buf, 8);
  hlen = GUINT64_FROM_LE (hlen);
  g_autofree char *header = g_strndup (buf + 8, hlen);
  if (tensor) {
    GError *e = NULL;
    NnSafetensors *st = nn_safetensors_open (path, &e);
    const NnStTensor *t = nn_safetensors_get (st, tensor);
    ck_assert (t);
    gsize off = (gsize) ((const char *) t->data - (const char *) nn_safetensors_nth (st, 0)->data) + 8 + hlen;
    ck_assert (edit ((guint8 *) buf + off, t->nbytes));
    nn_safetensors_free (st);
  }
  if (json_from) {
    /* the same length, so the offsets stay valid */
    char *at = strstr (header, json_from);
    ck_assert_msg (at && strlen (json_from) == strlen (json_to), "%s", json_from);
    memcpy (buf + 8 + (at - header), json_to, strlen (json_to));
  }
  ck_assert (g_file_set_contents (path, buf, len, NULL));
}

static gboolean
swap_first_two (guint8 *d, gsize n)
{
  /* order[0] = order[1]: no longer a permutation */
  memcpy (d, d + 8, 8);
  return n >= 16;
}

static gboolean
bad_position (guint8 *d, gsize n)
{
  guint32 big = GUINT32_TO_LE (5000);
  memcpy (d + n - 4, &big, 4);
  return n == 625 * 4;
}

static gboolean
flip_state (guint8 *d, gsize n)
{
  d[100] ^= 0x55;
  return n == 625 * 4;
}

START_TEST (test_resume_refuses_damage)
{
  NnDataset *tr = data (40, 1);
  Halt never = { 0 };
  NnTrainConfig c;
  g_autofree char *ckpt = one_epoch (tr, &c, &never);
  g_autofree char *keep = NULL;
  gsize keep_len;
  ck_assert (g_file_get_contents (ckpt, &keep, &keep_len, NULL));

  tamper (ckpt, "ckpt/order", swap_first_two, NULL, NULL);
  assert_resume_fails (&c, tr, "\"ckpt/order\" is not a permutation of the 40 samples");
  ck_assert (g_file_set_contents (ckpt, keep, keep_len, NULL));
  tamper (ckpt, "ckpt/rng/shuffle", bad_position, NULL, NULL);
  assert_resume_fails (&c, tr, "the shuffle generator's position 5000 is out of range");
  ck_assert (g_file_set_contents (ckpt, keep, keep_len, NULL));
  tamper (ckpt, "ckpt/rng/model", flip_state, NULL, NULL);
  assert_resume_fails (&c, tr, "the model generator's state does not draw what it drew");
  ck_assert (g_file_set_contents (ckpt, keep, keep_len, NULL));
  tamper (ckpt, NULL, NULL, "\\\"format\\\":1", "\\\"format\\\":7");
  assert_resume_fails (&c, tr, "checkpoint format 7, this libnn reads 1");
  ck_assert (g_file_set_contents (ckpt, keep, keep_len, NULL));
  tamper (ckpt, NULL, NULL, "\\\"stopped\\\":false", "\\\"stopped\\\":1    ");
  assert_resume_fails (&c, tr, "checkpoint key \"stopped\" is missing or not a boolean");
  ck_assert (g_file_set_contents (ckpt, keep, keep_len, NULL));
  tamper (ckpt, NULL, NULL, "\\\"best\\\":null", "\\\"best\\\":true");
  assert_resume_fails (&c, tr, "checkpoint key \"best\" is missing or not a number");
  ck_assert (g_file_set_contents (ckpt, keep, keep_len, NULL));
  /* the first "best":false is the history's (the run's best is null: no validation) */
  tamper (ckpt, NULL, NULL, "\\\"best\\\":false", "\\\"best\\\":[]   ");
  assert_resume_fails (&c, tr, "checkpoint key \"history\" is missing or not an array of epoch records");
  nn_dataset_free (tr);
}
END_TEST

/* An online trainer's state (nntrain): saved and loaded back exactly with
 * the same ring capacity, its newest samples oldest first with another; a
 * model of another spec and nn train's resume refuse it. */
static NnOptimizer *
adam_for (NnModel *m)
{
  NnOptimConfig oc;
  nn_optim_config_init (&oc, NN_OPT_ADAM);
  int n = 0;
  NnParam *p = nn_model_params (m, &n);
  return nn_optimizer_new (&oc, p, n);
}

static NnOnlineState
online_state (NnModel *m, int capacity)
{
  int numel = (int) nn_shape_numel (nn_model_input_shape (m));
  return (NnOnlineState) { .opt = adam_for (m), .rng = g_rand_new_with_seed (0),
                           .replay_x = g_new0 (float, capacity * numel), .replay_y = g_new0 (int32_t, capacity),
                           .capacity = capacity };
}

static void
online_free (NnOnlineState *s)
{
  nn_optimizer_free (s->opt);
  g_rand_free (s->rng);
  g_free (s->replay_x);
  g_free (s->replay_y);
}

START_TEST (test_online_state)
{
  GError *e = NULL;
  g_autofree char *path = g_build_filename (tmp, "online.safetensors", NULL);
  g_autoptr (NnModel) m = nn_model_new_from_spec (spec, 5, &e);
  ck_assert (m != NULL);
  NnOnlineState s = online_state (m, 5);
  int n_params = 0;
  NnParam *params = nn_model_params (m, &n_params);
  for (int i = 0; i < n_params; i++)
    for (int k = 1; k <= 2; k++) {
      float *st = nn_optimizer_state (s.opt, i, k);
      for (int64_t j = 0; j < nn_shape_numel (&params[i].shape); j++)
        st[j] = (float) (i * 1000 + j) * (k == 1 ? 0.5f : 0.25f);
    }
  nn_optimizer_set_t (s.opt, 17);
  for (int i = 0; i < 5; i++) {
    for (int j = 0; j < 36; j++)
      s.replay_x[i * 36 + j] = (float) (i * 100 + j);
    s.replay_y[i] = i % 3;
  }
  s.count = 5;
  s.head = 2;   /* a ring that wrapped: rows 2, 3, 4, 0, 1 oldest first */
  s.steps = 123;
  g_rand_int (s.rng);
  g_rand_int (nn_model_rng (m));
  ck_assert_msg (nn_checkpoint_save_online (path, m, &s, &e), "%s", e ? e->message : "");

  int caps[3] = { 5, 3, 8 };
  for (int c = 0; c < 3; c++) {
    g_autoptr (NnModel) m2 = nn_model_new_from_spec (spec, 6, &e);
    NnOnlineState r = online_state (m2, caps[c]);
    ck_assert_msg (nn_checkpoint_load_online (path, m2, &r, &e), "%s", e ? e->message : "");
    NnParam *p2 = nn_model_params (m2, &n_params);
    for (int i = 0; i < n_params; i++) {
      gsize bytes = nn_shape_numel (&params[i].shape) * sizeof (float);
      ck_assert (memcmp (p2[i].data, params[i].data, bytes) == 0);
      for (int k = 1; k <= 2; k++)
        ck_assert (memcmp (nn_optimizer_state (r.opt, i, k), nn_optimizer_state (s.opt, i, k), bytes) == 0);
    }
    ck_assert_int_eq (nn_optimizer_get_t (r.opt), 17);
    ck_assert_int_eq (r.steps, 123);
    /* both generators go on drawing what the saved ones draw */
    GRand *a = g_rand_copy (s.rng), *b = g_rand_copy (nn_model_rng (m));
    ck_assert_uint_eq (g_rand_int (r.rng), g_rand_int (a));
    ck_assert_uint_eq (g_rand_int (nn_model_rng (m2)), g_rand_int (b));
    g_rand_free (a);
    g_rand_free (b);
    /* the rows: as they were, the newest 3, or all 5 from the start */
    const int same[5] = { 0, 1, 2, 3, 4 }, newest[3] = { 4, 0, 1 }, all[5] = { 2, 3, 4, 0, 1 };
    const int *rows = c == 0 ? same : c == 1 ? newest : all;
    int want_count = c == 1 ? 3 : 5, want_head = c == 0 ? 2 : c == 1 ? 0 : 5;
    ck_assert_int_eq (r.count, want_count);
    ck_assert_int_eq (r.head, want_head);
    for (int i = 0; i < want_count; i++) {
      ck_assert_int_eq (r.replay_y[i], rows[i] % 3);
      ck_assert (memcmp (r.replay_x + i * 36, s.replay_x + rows[i] * 36, 36 * sizeof (float)) == 0);
    }
    online_free (&r);
  }

  /* another model (one more label): refused, naming the file */
  g_autofree char *wider = g_strdup (spec);
  char *at = strstr (wider, "\"c\"]");
  ck_assert (at != NULL);
  g_autofree char *other_spec = g_strdup_printf ("%.*s\"c\", \"d\"]%s", (int) (at - wider), wider, at + 4);
  {
    char *units = strstr (other_spec, "\"units\": 3");
    ck_assert (units != NULL);
    units[9] = '4';
  }
  g_autoptr (NnModel) m3 = nn_model_new_from_spec (other_spec, 5, &e);
  ck_assert_msg (m3 != NULL, "%s", e ? e->message : "");
  NnOnlineState r = online_state (m3, 5);
  ck_assert (!nn_checkpoint_load_online (path, m3, &r, &e));
  ck_assert_msg (g_error_matches (e, NN_ERROR, NN_ERROR_INVALID) && strstr (e->message, "another model") &&
                 strstr (e->message, path), "%s", e->message);
  g_clear_error (&e);
  online_free (&r);
  /* nn train's --resume tells what it is */
  g_autoptr (NnDataset) tr = data (30, 1);
  NnTrainConfig c;
  nn_train_config_init (&c);
  c.epochs = 1;
  c.resume = path;
  g_autoptr (NnModel) m4 = nn_model_new_from_spec (spec, 5, &e);
  ck_assert (!nn_train (m4, &c, tr, NULL, &e));
  ck_assert_msg (strstr (e->message, "a checkpoint of the nntrain element"), "%s", e->message);
  g_clear_error (&e);
  online_free (&s);
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("checkpoint");
  TCase *tc = tcase_create ("checkpoint");
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_set_timeout (tc, 120);
  tcase_add_test (tc, test_resume_momentum);
  tcase_add_test (tc, test_resume_rmsprop);
  tcase_add_test (tc, test_resume_adam);
  tcase_add_test (tc, test_resume_refuses_other_run);
  tcase_add_test (tc, test_resume_refuses_damage);
  tcase_add_test (tc, test_online_state);
  suite_add_tcase (s, tc);
  return nn_check_run (s);
}
