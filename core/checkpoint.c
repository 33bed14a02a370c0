/* Checkpoints: the state of a training run between two epochs, in one
 * safetensors file that is also a model file.
 *
 *   the model's tensors and metadata   as nn_model_save writes them
 *   ckpt/optim1/<param>, optim2/...    the optimiser's per-element state (F32)
 *   ckpt/best/<param>                  early stopping's best weights (F32)
 *   ckpt/rng/shuffle, ckpt/rng/model   the generators' states (U32, 625 words)
 *   ckpt/order                         the sample order the next shuffle starts from (I64)
 *   __metadata__ "nn.checkpoint"       counters, schedule, history (JSON)
 *   __metadata__ "nn.checkpoint.note"  the caller's text
 *
 * An online trainer's checkpoint (nntrain) has the same layout, see below.
 *
 * Doubles go through json-glib, which prints 17 significant digits, so they
 * come back bit for bit. */
#include "train-private.h"

#define CKPT_FORMAT 1
#define CKPT_META "nn.checkpoint"
#define CKPT_NOTE "nn.checkpoint.note"

/* ---- generator state ---------------------------------------------------------
 * GLib offers no accessor for a GRand's state; its struct has been the
 * Mersenne Twister's { guint32 mt[624]; guint mti; } since GLib 2.0. Saving
 * copies those words, and is checked against the generator itself: a copy
 * loaded into another GRand must draw what the original draws, past the next
 * regeneration of the state, or the save is refused; a digest of those
 * draws, saved beside, checks a state loaded back. */
#define RNG_WORDS 625
#define RNG_CHECK_DRAWS 700

/* A digest of the next draws, past the next regeneration of the state, so
 * that every word of it counts. */
static guint32
rng_digest (GRand *r)
{
  guint32 h = 2166136261u;
  for (int i = 0; i < RNG_CHECK_DRAWS; i++)
    h = (h ^ g_rand_int (r)) * 16777619u;
  return h;
}

static gboolean
rng_save (GRand *r, const char *what, const char *path, guint32 *words, guint32 *check, GError **error)
{
  memcpy (words, r, sizeof (guint32) * RNG_WORDS);
  GRand *probe = g_rand_new_with_seed (0), *orig = g_rand_copy (r);
  memcpy (probe, words, sizeof (guint32) * RNG_WORDS);
  *check = rng_digest (orig);
  gboolean same = *check == rng_digest (probe);
  g_rand_free (probe);
  g_rand_free (orig);
  if (!same)
    g_set_error (error, NN_ERROR, NN_ERROR_FAILED, "%s: cannot save the %s generator: this GLib's GRand is not the "
                 "Mersenne Twister state it has been since 2.0", path, what);
  return same;
}

static gboolean
rng_load (GRand *r, const char *what, const char *path, const guint32 *words, guint32 check, GError **error)
{
  if (words[RNG_WORDS - 1] > RNG_WORDS - 1) {
    g_set_error (error, NN_ERROR, NN_ERROR_FORMAT, "%s: the %s generator's position %u is out of range", path, what,
                 words[RNG_WORDS - 1]);
    return FALSE;
  }
  GRand *probe = g_rand_new_with_seed (0);
  memcpy (probe, words, sizeof (guint32) * RNG_WORDS);
  gboolean same = rng_digest (probe) == check;
  g_rand_free (probe);
  if (!same) {
    g_set_error (error, NN_ERROR, NN_ERROR_FORMAT, "%s: the %s generator's state does not draw what it drew when "
                 "saved (damaged file, or another GLib)", path, what);
    return FALSE;
  }
  memcpy (r, words, sizeof (guint32) * RNG_WORDS);
  return TRUE;
}

/* ---- writing ----------------------------------------------------------------- */

static void
member_number (JsonBuilder *b, const char *name, double v)
{
  json_builder_set_member_name (b, name);
  if (isfinite (v))
    json_builder_add_double_value (b, v);
  else
    json_builder_add_null_value (b);
}

static void
member_int (JsonBuilder *b, const char *name, int64_t v)
{
  json_builder_set_member_name (b, name);
  json_builder_add_int_value (b, v);
}

static void
add_history (JsonBuilder *b, const GArray *h)
{
  json_builder_set_member_name (b, "history");
  json_builder_begin_array (b);
  for (guint i = 0; i < h->len; i++) {
    const NnTrainProgress *p = &g_array_index (h, NnTrainProgress, i);
    json_builder_begin_object (b);
    member_int (b, "epoch", p->epoch);
    member_number (b, "loss", p->loss);
    member_number (b, "acc", p->acc);
    member_number (b, "val_loss", p->val_loss);
    member_number (b, "val_acc", p->val_acc);
    member_number (b, "lr", p->lr);
    member_number (b, "samples_per_s", p->samples_per_s);
    member_number (b, "seconds", p->seconds);
    json_builder_set_member_name (b, "best");
    json_builder_add_boolean_value (b, p->best);
    json_builder_end_object (b);
  }
  json_builder_end_array (b);
}

static char *
state_json (const NnTrainState *s, const NnTrainConfig *c, int64_t steps_per_epoch, const guint32 check[2])
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autofree char *sched = nn_schedule_to_string (&s->sched.c);
  json_builder_begin_object (b);
  member_int (b, "format", CKPT_FORMAT);
  member_int (b, "epoch", s->epoch);
  member_int (b, "epochs", c->epochs);
  json_builder_set_member_name (b, "stopped");
  json_builder_add_boolean_value (b, s->stopped);
  member_int (b, "step", nn_optimizer_get_t (s->opt));
  member_int (b, "steps_per_epoch", steps_per_epoch);
  json_builder_set_member_name (b, "optimizer");
  json_builder_add_string_value (b, nn_optim_name (c->optim.kind));
  json_builder_set_member_name (b, "loss");
  json_builder_add_string_value (b, nn_loss_name (c->loss));
  /* the seed as text: JSON integers are signed */
  json_builder_set_member_name (b, "seed");
  g_autofree char *seed = g_strdup_printf ("%" G_GUINT64_FORMAT, c->seed);
  json_builder_add_string_value (b, seed);
  member_int (b, "batch", c->batch);
  member_int (b, "samples", s->n);
  member_int (b, "early_stop", c->early_stop);
  member_number (b, "best", s->best);
  member_int (b, "since_best", s->since_best);
  json_builder_set_member_name (b, "schedule");
  json_builder_add_string_value (b, sched);
  member_number (b, "schedule_lr", s->sched.lr);
  member_number (b, "schedule_best", s->sched.best);
  member_int (b, "schedule_bad_epochs", s->sched.bad_epochs);
  member_int (b, "rng_check_shuffle", check[0]);
  member_int (b, "rng_check_model", check[1]);
  add_history (b, s->history);
  json_builder_end_object (b);
  g_autoptr (JsonNode) root = json_builder_get_root (b);
  return json_to_string (root, FALSE);
}

gboolean
nn_checkpoint_write (const NnTrainState *s, const NnTrainConfig *c, NnModel *m, int64_t steps_per_epoch,
                     GError **error)
{
  const char *path = c->checkpoint;
  guint32 rng[2][RNG_WORDS], check[2];
  if (!rng_save (s->rng, "shuffle", path, rng[0], &check[0], error) ||
      !rng_save (s->model_rng, "model", path, rng[1], &check[1], error))
    return FALSE;
  g_autoptr (GArray) e = g_array_new (FALSE, FALSE, sizeof (NnStEntry));
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  for (int i = 0; i < s->n_params; i++) {
    const NnParam *p = &s->params[i];
    const float *arrays[3] = { nn_optimizer_state (s->opt, i, 1), nn_optimizer_state (s->opt, i, 2),
                               s->best_params[i] };
    const char *prefix[3] = { "ckpt/optim1/", "ckpt/optim2/", "ckpt/best/" };
    for (int k = 0; k < 3; k++) {
      if (!arrays[k])
        continue;
      char *name = g_strconcat (prefix[k], p->name, NULL);
      g_ptr_array_add (names, name);
      NnStEntry x = { name, "F32", p->shape, arrays[k] };
      g_array_append_val (e, x);
    }
  }
  NnStEntry fixed[] = {
    { "ckpt/rng/shuffle", "U32", nn_shape_1d (RNG_WORDS), rng[0] },
    { "ckpt/rng/model", "U32", nn_shape_1d (RNG_WORDS), rng[1] },
    { "ckpt/order", "I64", nn_shape_1d (s->n), s->order },
  };
  g_array_append_vals (e, fixed, G_N_ELEMENTS (fixed));
  g_autofree char *json = state_json (s, c, steps_per_epoch, check);
  const char *meta[] = { CKPT_META, json, c->checkpoint_note ? CKPT_NOTE : NULL, c->checkpoint_note, NULL };
  return nn_model_save_extra (m, path, (const NnStEntry *) e->data, (int) e->len, meta, error);
}

/* ---- reading ----------------------------------------------------------------- */

typedef struct {
  const char *path;
  JsonObject *o;
} Meta;

static gboolean
meta_fail (const Meta *mt, GError **error, const char *key, const char *want)
{
  g_set_error (error, NN_ERROR, NN_ERROR_FORMAT, "%s: checkpoint key \"%s\" is missing or not %s", mt->path, key, want);
  return FALSE;
}

static gboolean
meta_int (const Meta *mt, const char *key, int64_t min, int64_t max, int64_t *out, GError **error)
{
  JsonNode *n = json_object_get_member (mt->o, key);
  if (!n || !JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_INT64 ||
      json_node_get_int (n) < min || json_node_get_int (n) > max)
    return meta_fail (mt, error, key, "an integer in range");
  *out = json_node_get_int (n);
  return TRUE;
}

/* A number, or null for what was not finite (INFINITY: a best not yet seen). */
static gboolean
meta_double (JsonNode *n, double *out)
{
  if (n && JSON_NODE_HOLDS_NULL (n)) {
    *out = INFINITY;
    return TRUE;
  }
  if (!n || !JSON_NODE_HOLDS_VALUE (n))
    return FALSE;
  GType t = json_node_get_value_type (n);
  if (t != G_TYPE_DOUBLE && t != G_TYPE_INT64)
    return FALSE;
  *out = json_node_get_double (n);
  return TRUE;
}

static gboolean
meta_number (const Meta *mt, const char *key, double *out, GError **error)
{
  return meta_double (json_object_get_member (mt->o, key), out) || meta_fail (mt, error, key, "a number");
}

static const char *
meta_string (const Meta *mt, const char *key, GError **error)
{
  JsonNode *n = json_object_get_member (mt->o, key);
  if (!n || !JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_STRING) {
    meta_fail (mt, error, key, "a string");
    return NULL;
  }
  return json_node_get_string (n);
}

static gboolean
mismatch (const char *path, GError **error, const char *what, const char *saved, const char *now)
{
  g_set_error (error, NN_ERROR, NN_ERROR_INVALID, "%s: the checkpoint was made with %s %s, this run has %s: "
               "resume with the same %s", path, what, saved, now, what);
  return FALSE;
}

/* What must be the same for the run to be the one the checkpoint stopped. */
static gboolean
check_config (const Meta *mt, const NnTrainState *s, const NnTrainConfig *c, GError **error)
{
  const char *opt, *loss, *seed, *sched;
  int64_t batch, samples;
  if (!(opt = meta_string (mt, "optimizer", error)) || !(loss = meta_string (mt, "loss", error)) ||
      !(seed = meta_string (mt, "seed", error)) || !(sched = meta_string (mt, "schedule", error)) ||
      !meta_int (mt, "batch", 1, G_MAXINT, &batch, error) || !meta_int (mt, "samples", 1, G_MAXINT64, &samples, error))
    return FALSE;
  char a[32], b[32];
  g_autofree char *seed_now = g_strdup_printf ("%" G_GUINT64_FORMAT, c->seed);
  g_autofree char *sched_now = nn_schedule_to_string (&c->schedule);
  if (strcmp (opt, nn_optim_name (c->optim.kind)) != 0)
    return mismatch (mt->path, error, "optimizer", opt, nn_optim_name (c->optim.kind));
  if (strcmp (loss, nn_loss_name (c->loss)) != 0)
    return mismatch (mt->path, error, "loss", loss, nn_loss_name (c->loss));
  if (strcmp (seed, seed_now) != 0)
    return mismatch (mt->path, error, "seed", seed, seed_now);
  if (strcmp (sched, sched_now) != 0)
    return mismatch (mt->path, error, "schedule", sched, sched_now);
  g_snprintf (a, sizeof a, "%" G_GINT64_FORMAT, batch);
  g_snprintf (b, sizeof b, "%d", c->batch);
  if (batch != c->batch)
    return mismatch (mt->path, error, "batch size", a, b);
  g_snprintf (a, sizeof a, "%" G_GINT64_FORMAT, samples);
  g_snprintf (b, sizeof b, "%" G_GINT64_FORMAT, s->n);
  if (samples != s->n)
    return mismatch (mt->path, error, "number of training samples", a, b);
  return TRUE;
}

/* A tensor of integers, its dtype and shape checked, into host order. */
static gboolean
read_words (NnSafetensors *st, const char *name, const char *dtype, int64_t n, void *dst, GError **error)
{
  const NnStTensor *t = nn_safetensors_get (st, name);
  NnShape want = nn_shape_1d (n);
  if (!t || strcmp (t->dtype, dtype) != 0 || !nn_shape_equal (&t->shape, &want)) {
    g_set_error (error, NN_ERROR, NN_ERROR_FORMAT, "%s: checkpoint tensor \"%s\" is missing or not %s [%" G_GINT64_FORMAT
                 "]", nn_safetensors_path (st), name, dtype, n);
    return FALSE;
  }
  gsize size = strcmp (dtype, "I64") == 0 ? 8 : 4;
  guint8 *d = dst;
  for (int64_t i = 0; i < n; i++) {
    if (size == 8) {
      guint64 u;
      memcpy (&u, t->data + 8 * i, 8);
      u = GUINT64_FROM_LE (u);
      memcpy (d + 8 * i, &u, 8);
    } else {
      guint32 u;
      memcpy (&u, t->data + 4 * i, 4);
      u = GUINT32_FROM_LE (u);
      memcpy (d + 4 * i, &u, 4);
    }
  }
  return TRUE;
}

/* The order indexes the dataset: it must be a permutation of 0 .. n-1. */
static gboolean
read_order (NnSafetensors *st, int64_t *order, int64_t n, GError **error)
{
  if (!read_words (st, "ckpt/order", "I64", n, order, error))
    return FALSE;
  g_autofree guint8 *seen = g_malloc0 (n);
  for (int64_t i = 0; i < n; i++) {
    if (order[i] < 0 || order[i] >= n || seen[order[i]]++) {
      g_set_error (error, NN_ERROR, NN_ERROR_FORMAT, "%s: checkpoint tensor \"ckpt/order\" is not a permutation of the "
                   "%" G_GINT64_FORMAT " samples", nn_safetensors_path (st), n);
      return FALSE;
    }
  }
  return TRUE;
}

static gboolean
read_state_arrays (NnSafetensors *st, NnTrainState *s, const NnTrainConfig *c, GError **error)
{
  for (int i = 0; i < s->n_params; i++) {
    const NnParam *p = &s->params[i];
    for (int k = 1; k <= 2; k++) {
      float *dst = nn_optimizer_state (s->opt, i, k);
      g_autofree char *name = g_strdup_printf ("ckpt/optim%d/%s", k, p->name);
      if (dst && !nn_safetensors_read_f32 (st, name, &p->shape, dst, error))
        return FALSE;
    }
    g_autofree char *best = g_strconcat ("ckpt/best/", p->name, NULL);
    if (c->early_stop > 0 && nn_safetensors_get (st, best)) {
      s->best_params[i] = g_new (float, nn_shape_numel (&p->shape));
      if (!nn_safetensors_read_f32 (st, best, &p->shape, s->best_params[i], error))
        return FALSE;
    }
  }
  return TRUE;
}

static gboolean
read_history (const Meta *mt, GArray *h, GError **error)
{
  JsonNode *n = json_object_get_member (mt->o, "history");
  if (!n || !JSON_NODE_HOLDS_ARRAY (n))
    return meta_fail (mt, error, "history", "an array");
  JsonArray *a = json_node_get_array (n);
  for (guint i = 0; i < json_array_get_length (a); i++) {
    JsonNode *e = json_array_get_element (a, i);
    NnTrainProgress p = { .epoch_done = TRUE, .eta_s = NAN };
    JsonObject *o = JSON_NODE_HOLDS_OBJECT (e) ? json_node_get_object (e) : NULL;
    double v[8];
    const char *keys[] = { "epoch", "loss", "acc", "val_loss", "val_acc", "lr", "samples_per_s", "seconds" };
    JsonNode *best = o ? json_object_get_member (o, "best") : NULL;
    gboolean ok = best && JSON_NODE_HOLDS_VALUE (best) && json_node_get_value_type (best) == G_TYPE_BOOLEAN;
    for (gsize k = 0; ok && k < G_N_ELEMENTS (keys); k++)
      ok = meta_double (json_object_get_member (o, keys[k]), &v[k]);
    if (!ok)
      return meta_fail (mt, error, "history", "an array of epoch records");
    /* null in the file: a figure not measured, NaN here */
    for (gsize k = 1; k < G_N_ELEMENTS (keys); k++)
      if (isinf (v[k]))
        v[k] = NAN;
    p.epoch = (int) CLAMP (v[0], 0, G_MAXINT);
    p.loss = v[1];
    p.acc = v[2];
    p.val_loss = v[3];
    p.val_acc = v[4];
    p.lr = v[5];
    p.samples_per_s = v[6];
    p.seconds = v[7];
    p.best = json_node_get_boolean (best);
    g_array_append_val (h, p);
  }
  return TRUE;
}

static gboolean
open_meta (const char *path, NnSafetensors **st, JsonParser **parser, Meta *mt, GError **error)
{
  if (!(*st = nn_safetensors_open (path, error)))
    return FALSE;
  const char *json = nn_safetensors_metadata (*st, CKPT_META);
  if (!json) {
    g_set_error (error, NN_ERROR, NN_ERROR_FORMAT, "%s: not a checkpoint (no \"%s\" in its metadata)", path, CKPT_META);
    return FALSE;
  }
  *parser = json_parser_new ();
  g_autoptr (GError) e = NULL;
  if (!json_parser_load_from_data (*parser, json, -1, &e) || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (*parser))) {
    g_set_error (error, NN_ERROR, NN_ERROR_FORMAT, "%s: \"%s\" is not a JSON object%s%s", path, CKPT_META,
                 e ? ": " : "", e ? e->message : "");
    return FALSE;
  }
  *mt = (Meta) { path, json_node_get_object (json_parser_get_root (*parser)) };
  int64_t format;
  if (!meta_int (mt, "format", 0, G_MAXINT, &format, error))
    return FALSE;
  if (format != CKPT_FORMAT) {
    g_set_error (error, NN_ERROR, NN_ERROR_FORMAT, "%s: checkpoint format %" G_GINT64_FORMAT ", this libnn reads %d",
                 path, format, CKPT_FORMAT);
    return FALSE;
  }
  return TRUE;
}

gboolean
nn_checkpoint_read (NnTrainState *s, const NnTrainConfig *c, NnModel *m, GError **error)
{
  const char *path = c->resume;
  g_autoptr (NnSafetensors) st = NULL;
  g_autoptr (JsonParser) parser = NULL;
  Meta mt;
  if (!open_meta (path, &st, &parser, &mt, error))
    return FALSE;
  if (json_object_has_member (mt.o, "kind")) {
    g_set_error (error, NN_ERROR, NN_ERROR_INVALID, "%s: a checkpoint of the nntrain element, not of a training run: "
                 "load it as a model (it is one) to train further", path);
    return FALSE;
  }
  if (!check_config (&mt, s, c, error))
    return FALSE;
  int64_t epoch, step, since_best, bad, check[2];
  double best, sched_lr, sched_best;
  if (!meta_int (&mt, "epoch", 0, G_MAXINT, &epoch, error) || !meta_int (&mt, "step", 0, G_MAXINT64, &step, error) ||
      !meta_int (&mt, "since_best", 0, G_MAXINT, &since_best, error) ||
      !meta_int (&mt, "schedule_bad_epochs", 0, G_MAXINT, &bad, error) ||
      !meta_int (&mt, "rng_check_shuffle", 0, G_MAXUINT32, &check[0], error) ||
      !meta_int (&mt, "rng_check_model", 0, G_MAXUINT32, &check[1], error) ||
      !meta_number (&mt, "best", &best, error) || !meta_number (&mt, "schedule_lr", &sched_lr, error) ||
      !meta_number (&mt, "schedule_best", &sched_best, error))
    return FALSE;
  JsonNode *stopped = json_object_get_member (mt.o, "stopped");
  if (!stopped || !JSON_NODE_HOLDS_VALUE (stopped) || json_node_get_value_type (stopped) != G_TYPE_BOOLEAN)
    return meta_fail (&mt, error, "stopped", "a boolean");
  guint32 rng[2][RNG_WORDS];
  if (!nn_model_load_weights (m, path, error) || !read_state_arrays (st, s, c, error) ||
      !read_words (st, "ckpt/rng/shuffle", "U32", RNG_WORDS, rng[0], error) ||
      !read_words (st, "ckpt/rng/model", "U32", RNG_WORDS, rng[1], error) ||
      !read_order (st, s->order, s->n, error) ||
      !rng_load (s->rng, "shuffle", path, rng[0], (guint32) check[0], error) ||
      !rng_load (s->model_rng, "model", path, rng[1], (guint32) check[1], error) ||
      !read_history (&mt, s->history, error))
    return FALSE;
  s->epoch = (int) epoch;
  s->stopped = json_node_get_boolean (stopped);
  nn_optimizer_set_t (s->opt, step);
  s->best = best;
  s->since_best = (int) since_best;
  s->sched.lr = sched_lr;
  s->sched.best = sched_best;
  s->sched.bad_epochs = (int) bad;
  return TRUE;
}

char *
nn_checkpoint_note (const char *path, GError **error)
{
  g_return_val_if_fail (path != NULL, NULL);
  g_autoptr (NnSafetensors) st = NULL;
  g_autoptr (JsonParser) parser = NULL;
  Meta mt;
  if (!open_meta (path, &st, &parser, &mt, error))
    return NULL;
  const char *note = nn_safetensors_metadata (st, CKPT_NOTE);
  return g_strdup (note ? note : "");
}

/* ---- online trainers (nntrain) --------------------------------------------------
 * The same file layout, kind "online": the optimiser's state and both
 * generators as above, no order or history, and the replay buffer as
 *   ckpt/replay/x   (count, input numel) F32, rows in the buffer's physical order
 *   ckpt/replay/y   (count) I32 class indices
 * (absent when empty), its capacity and head in the JSON. */
#define CKPT_KIND_ONLINE "online"

static char *
online_json (const NnOnlineState *s, const char *optimizer, const guint32 check[2])
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  json_builder_begin_object (b);
  member_int (b, "format", CKPT_FORMAT);
  json_builder_set_member_name (b, "kind");
  json_builder_add_string_value (b, CKPT_KIND_ONLINE);
  json_builder_set_member_name (b, "optimizer");
  json_builder_add_string_value (b, optimizer);
  member_int (b, "step", nn_optimizer_get_t (s->opt));
  member_int (b, "steps", (int64_t) MIN (s->steps, (guint64) G_MAXINT64));
  member_int (b, "capacity", s->capacity);
  member_int (b, "count", s->count);
  member_int (b, "head", s->head);
  member_int (b, "rng_check_sampler", check[0]);
  member_int (b, "rng_check_model", check[1]);
  json_builder_end_object (b);
  g_autoptr (JsonNode) root = json_builder_get_root (b);
  return json_to_string (root, FALSE);
}

gboolean
nn_checkpoint_save_online (const char *path, NnModel *m, const NnOnlineState *s, GError **error)
{
  g_return_val_if_fail (path != NULL && m != NULL && s != NULL && s->opt != NULL && s->rng != NULL, FALSE);
  g_return_val_if_fail (s->count >= 0 && s->count <= s->capacity && s->head >= 0 && s->head < s->capacity, FALSE);
  guint32 rng[2][RNG_WORDS], check[2];
  if (!rng_save (s->rng, "sampler", path, rng[0], &check[0], error) ||
      !rng_save (nn_model_rng (m), "model", path, rng[1], &check[1], error))
    return FALSE;
  int n_params = 0;
  NnParam *params = nn_model_params (m, &n_params);
  g_autoptr (GArray) e = g_array_new (FALSE, FALSE, sizeof (NnStEntry));
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  for (int i = 0; i < n_params; i++) {
    for (int k = 1; k <= 2; k++) {
      const float *state = nn_optimizer_state (s->opt, i, k);
      if (!state)
        continue;
      char *name = g_strdup_printf ("ckpt/optim%d/%s", k, params[i].name);
      g_ptr_array_add (names, name);
      NnStEntry x = { name, "F32", params[i].shape, state };
      g_array_append_val (e, x);
    }
  }
  NnStEntry fixed[] = {
    { "ckpt/rng/sampler", "U32", nn_shape_1d (RNG_WORDS), rng[0] },
    { "ckpt/rng/model", "U32", nn_shape_1d (RNG_WORDS), rng[1] },
    { "ckpt/replay/x", "F32", nn_shape_2d (s->count, nn_shape_numel (nn_model_input_shape (m))), s->replay_x },
    { "ckpt/replay/y", "I32", nn_shape_1d (s->count), s->replay_y },
  };
  g_array_append_vals (e, fixed, s->count > 0 ? 4 : 2);
  g_autofree char *json = online_json (s, nn_optim_name (nn_optimizer_kind (s->opt)), check);
  const char *meta[] = { CKPT_META, json, NULL };
  return nn_model_save_extra (m, path, (const NnStEntry *) e->data, (int) e->len, meta, error);
}

/* The saved replay buffer into `s`: as it was with the same capacity, else
 * its newest samples oldest first. */
static gboolean
read_replay (NnSafetensors *st, NnOnlineState *s, int n_labels, int64_t numel, int64_t cap, int64_t count,
             int64_t head, GError **error)
{
  const char *path = nn_safetensors_path (st);
  s->count = s->head = 0;
  if (count == 0)
    return TRUE;
  NnShape shape = nn_shape_2d (count, numel);
  gboolean same = cap == s->capacity;
  g_autofree float *x = same ? NULL : g_new (float, count * numel);
  g_autofree int32_t *y = same ? NULL : g_new (int32_t, count);
  float *dx = same ? s->replay_x : x;
  int32_t *dy = same ? s->replay_y : y;
  if (!nn_safetensors_read_f32 (st, "ckpt/replay/x", &shape, dx, error) ||
      !read_words (st, "ckpt/replay/y", "I32", count, dy, error))
    return FALSE;
  for (int64_t i = 0; i < count; i++)
    if (dy[i] < 0 || dy[i] >= n_labels) {
      g_set_error (error, NN_ERROR, NN_ERROR_FORMAT, "%s: replay sample %" G_GINT64_FORMAT " has class %d, the model "
                   "has %d", path, i, dy[i], n_labels);
      return FALSE;
    }
  if (same) {
    s->count = (int) count;
    s->head = (int) head;
    return TRUE;
  }
  /* chronological: a full ring's oldest sample is at its head */
  int64_t first = count == cap ? head : 0, keep = MIN (count, (int64_t) s->capacity);
  for (int64_t i = 0; i < keep; i++) {
    int64_t src = (first + count - keep + i) % count;
    memcpy (s->replay_x + i * numel, x + src * numel, numel * sizeof (float));
    s->replay_y[i] = y[src];
  }
  s->count = (int) keep;
  s->head = (int) (keep % s->capacity);
  return TRUE;
}

gboolean
nn_checkpoint_load_online (const char *path, NnModel *m, NnOnlineState *s, GError **error)
{
  g_return_val_if_fail (path != NULL && m != NULL && s != NULL && s->opt != NULL && s->rng != NULL, FALSE);
  g_autoptr (NnSafetensors) st = NULL;
  g_autoptr (JsonParser) parser = NULL;
  Meta mt;
  const char *kind, *opt;
  if (!open_meta (path, &st, &parser, &mt, error))
    return FALSE;
  JsonNode *kn = json_object_get_member (mt.o, "kind");
  if (!kn || !(kind = meta_string (&mt, "kind", NULL)) || strcmp (kind, CKPT_KIND_ONLINE) != 0) {
    g_set_error (error, NN_ERROR, NN_ERROR_INVALID, "%s: a checkpoint of `nn train` (resume it with nn train --resume), "
                 "not of an online trainer", path);
    return FALSE;
  }
  /* the same layers and labels: the spec the trainer's model was made from */
  const char *saved_spec = nn_safetensors_metadata (st, "nn.spec");
  g_autofree char *spec = nn_model_spec_json (m);
  if (!saved_spec || strcmp (saved_spec, spec) != 0) {
    g_set_error (error, NN_ERROR, NN_ERROR_INVALID, "%s: the checkpoint was made from another model (its spec, layers "
                 "or labels differ from this model's)", path);
    return FALSE;
  }
  if (!(opt = meta_string (&mt, "optimizer", error)))
    return FALSE;
  if (strcmp (opt, nn_optim_name (nn_optimizer_kind (s->opt))) != 0)
    return mismatch (path, error, "optimizer", opt, nn_optim_name (nn_optimizer_kind (s->opt)));
  int64_t step, steps, cap, count, head, check[2];
  if (!meta_int (&mt, "step", 0, G_MAXINT64, &step, error) || !meta_int (&mt, "steps", 0, G_MAXINT64, &steps, error) ||
      !meta_int (&mt, "capacity", 1, G_MAXINT, &cap, error) || !meta_int (&mt, "count", 0, cap, &count, error) ||
      !meta_int (&mt, "head", 0, cap - 1, &head, error) ||
      !meta_int (&mt, "rng_check_sampler", 0, G_MAXUINT32, &check[0], error) ||
      !meta_int (&mt, "rng_check_model", 0, G_MAXUINT32, &check[1], error))
    return FALSE;
  int n_params = 0;
  NnParam *params = nn_model_params (m, &n_params);
  guint32 rng[2][RNG_WORDS];
  if (!nn_model_load_weights (m, path, error))
    return FALSE;
  for (int i = 0; i < n_params; i++)
    for (int k = 1; k <= 2; k++) {
      float *dst = nn_optimizer_state (s->opt, i, k);
      g_autofree char *name = g_strdup_printf ("ckpt/optim%d/%s", k, params[i].name);
      if (dst && !nn_safetensors_read_f32 (st, name, &params[i].shape, dst, error))
        return FALSE;
    }
  if (!read_words (st, "ckpt/rng/sampler", "U32", RNG_WORDS, rng[0], error) ||
      !read_words (st, "ckpt/rng/model", "U32", RNG_WORDS, rng[1], error) ||
      !rng_load (s->rng, "sampler", path, rng[0], (guint32) check[0], error) ||
      !rng_load (nn_model_rng (m), "model", path, rng[1], (guint32) check[1], error) ||
      !read_replay (st, s, nn_model_n_labels (m), nn_shape_numel (nn_model_input_shape (m)), cap, count, head, error))
    return FALSE;
  nn_optimizer_set_t (s->opt, step);
  s->steps = (guint64) steps;
  return TRUE;
}
