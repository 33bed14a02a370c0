/* Learning-rate schedules: step decay, cosine with linear warm-up, and
 * reduction on a plateau of the monitored loss (formulas in nn-train.h). */
#include "train-private.h"

static const char *const kind_names[] = {
  [NN_SCHEDULE_CONSTANT] = "constant",
  [NN_SCHEDULE_STEP] = "step",
  [NN_SCHEDULE_COSINE] = "cosine",
  [NN_SCHEDULE_PLATEAU] = "plateau",
};
G_STATIC_ASSERT (G_N_ELEMENTS (kind_names) == NN_SCHEDULE_PLATEAU + 1);

/* The keys each kind takes, where they go, and their ranges. */
typedef struct {
  NnScheduleKind kind;
  const char    *key;
  gboolean       integer;
  gsize          offset;
  double         min, max;
  gboolean       below_max;   /* max itself is excluded */
} Key;

#define K(kind, key, integer, field, min, max, below) \
  { kind, key, integer, G_STRUCT_OFFSET (NnScheduleConfig, field), min, max, below }
static const Key keys[] = {
  K (NN_SCHEDULE_STEP, "every", TRUE, every, 1, G_MAXINT, FALSE),
  K (NN_SCHEDULE_STEP, "gamma", FALSE, gamma, 0.0, 1.0, FALSE),
  K (NN_SCHEDULE_COSINE, "warmup", TRUE, warmup, 0, G_MAXINT, FALSE),
  K (NN_SCHEDULE_COSINE, "min", FALSE, min_lr, 0.0, G_MAXDOUBLE, FALSE),
  K (NN_SCHEDULE_PLATEAU, "patience", TRUE, patience, 0, G_MAXINT, FALSE),
  K (NN_SCHEDULE_PLATEAU, "factor", FALSE, factor, 0.0, 1.0, TRUE),
  K (NN_SCHEDULE_PLATEAU, "min", FALSE, min_lr, 0.0, G_MAXDOUBLE, FALSE),
  /* best * (1 - 1) would be 0, and inf * 0 NaN */
  K (NN_SCHEDULE_PLATEAU, "threshold", FALSE, threshold, 0.0, 1.0, TRUE),
};
#undef K

static void
defaults (NnScheduleConfig *s, NnScheduleKind kind)
{
  /* PyTorch's defaults (StepLR, CosineAnnealingLR, ReduceLROnPlateau) */
  *s = (NnScheduleConfig) { .kind = kind, .every = 0, .gamma = 0.1, .patience = 10, .factor = 0.1,
                            .threshold = 1e-4 };
}

static gboolean
parse_key (NnScheduleConfig *s, const char *item, GError **error)
{
  const char *eq = strchr (item, '=');
  g_autofree char *key = g_strstrip (eq ? g_strndup (item, eq - item) : g_strdup (item));
  for (gsize i = 0; i < G_N_ELEMENTS (keys); i++) {
    const Key *k = &keys[i];
    if (k->kind != s->kind || strcmp (k->key, key) != 0)
      continue;
    g_autofree char *val = g_strstrip (g_strdup (eq ? eq + 1 : ""));
    char *end;
    double d = g_ascii_strtod (val, &end);
    gboolean ok = *val && !*end && d >= k->min && (k->below_max ? d < k->max : d <= k->max) &&
                  (!k->integer || d == floor (d));
    if (!ok) {
      g_set_error (error, NN_ERROR, NN_ERROR_INVALID, "schedule %s: %s=%s: expected %s in [%g, %g%s", kind_names[s->kind],
                   key, val, k->integer ? "an integer" : "a number", k->min, k->max, k->below_max ? ")" : "]");
      return FALSE;
    }
    if (k->integer)
      G_STRUCT_MEMBER (int, s, k->offset) = (int) d;
    else
      G_STRUCT_MEMBER (double, s, k->offset) = d;
    return TRUE;
  }
  g_autoptr (GString) known = g_string_new (NULL);
  for (gsize i = 0; i < G_N_ELEMENTS (keys); i++)
    if (keys[i].kind == s->kind)
      g_string_append_printf (known, "%s%s", known->len ? ", " : "", keys[i].key);
  g_set_error (error, NN_ERROR, NN_ERROR_INVALID, "schedule %s: unknown key \"%s\" (%s)", kind_names[s->kind], key,
               known->len ? known->str : "it takes none");
  return FALSE;
}

gboolean
nn_schedule_parse (const char *desc, NnScheduleConfig *s, GError **error)
{
  g_return_val_if_fail (desc != NULL && s != NULL, FALSE);
  const char *colon = strchr (desc, ':');
  g_autofree char *name = g_strstrip (colon ? g_strndup (desc, colon - desc) : g_strdup (desc));
  NnScheduleConfig out;
  gsize k;
  for (k = 0; k < G_N_ELEMENTS (kind_names); k++)
    if (strcmp (name, kind_names[k]) == 0)
      break;
  if (k == G_N_ELEMENTS (kind_names)) {
    g_set_error (error, NN_ERROR, NN_ERROR_INVALID,
                 "unknown schedule \"%s\" (constant, step:every=N, cosine, plateau)", name);
    return FALSE;
  }
  defaults (&out, (NnScheduleKind) k);
  if (colon) {
    g_auto (GStrv) items = g_strsplit (colon + 1, ",", -1);
    for (int i = 0; items[i]; i++)
      if (*g_strstrip (items[i]) && !parse_key (&out, items[i], error))
        return FALSE;
  }
  if (out.kind == NN_SCHEDULE_STEP && out.every < 1) {
    g_set_error (error, NN_ERROR, NN_ERROR_INVALID, "schedule step: every=N (epochs between reductions) is required");
    return FALSE;
  }
  *s = out;
  return TRUE;
}

char *
nn_schedule_to_string (const NnScheduleConfig *s)
{
  g_autoptr (GString) str = g_string_new (kind_names[s->kind]);
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  for (gsize i = 0; i < G_N_ELEMENTS (keys); i++) {
    const Key *k = &keys[i];
    if (k->kind != s->kind)
      continue;
    g_string_append_c (str, str->len == strlen (kind_names[s->kind]) ? ':' : ',');
    if (k->integer)
      g_string_append_printf (str, "%s=%d", k->key, G_STRUCT_MEMBER (int, s, k->offset));
    else
      g_string_append_printf (str, "%s=%s", k->key,
                              g_ascii_dtostr (buf, sizeof buf, G_STRUCT_MEMBER (double, s, k->offset)));
  }
  return g_string_free (g_steal_pointer (&str), FALSE);
}

double
nn_schedule_lr (const NnScheduleConfig *s, double base, int64_t step, int64_t steps_per_epoch, int epochs)
{
  switch (s->kind) {
  case NN_SCHEDULE_STEP:
    return base * pow (s->gamma, (double) (step / MAX (steps_per_epoch, 1) / s->every));
  case NN_SCHEDULE_COSINE: {
    int64_t warm = (int64_t) s->warmup * steps_per_epoch, total = (int64_t) epochs * steps_per_epoch;
    if (step < warm)
      return base * (double) (step + 1) / (double) warm;
    double t = (double) (step - warm) / (double) MAX (total - warm, 1);
    return s->min_lr + (base - s->min_lr) * 0.5 * (1.0 + cos (G_PI * MIN (t, 1.0)));
  }
  case NN_SCHEDULE_CONSTANT:
  case NN_SCHEDULE_PLATEAU:
  default:
    return base;
  }
}

void
nn_schedule_start (NnSchedule *s, const NnScheduleConfig *c, double base)
{
  *s = (NnSchedule) { .c = *c, .base = base, .lr = base, .best = INFINITY };
}

double
nn_schedule_step_lr (const NnSchedule *s, int64_t step, int64_t steps_per_epoch, int epochs)
{
  return s->c.kind == NN_SCHEDULE_PLATEAU ? s->lr : nn_schedule_lr (&s->c, s->base, step, steps_per_epoch, epochs);
}

gboolean
nn_schedule_epoch_end (NnSchedule *s, double loss)
{
  if (s->c.kind != NN_SCHEDULE_PLATEAU)
    return FALSE;
  /* a NaN loss is never an improvement */
  if (loss < s->best * (1.0 - s->c.threshold)) {
    s->best = loss;
    s->bad_epochs = 0;
    return FALSE;
  }
  if (++s->bad_epochs <= s->c.patience)
    return FALSE;
  s->bad_epochs = 0;
  double lower = MAX (s->lr * s->c.factor, s->c.min_lr);
  gboolean changed = lower < s->lr;
  s->lr = MIN (s->lr, lower);
  return changed;
}
