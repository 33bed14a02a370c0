/* Finite differences and PyTorch fixtures for the layer tests. */
#include "gradcheck.h"

#define RESEED 1234u   /* every forward draws the same dropout mask */

NnLayer *
nn_test_layer_new (const char *spec, const NnShape *in, int n)
{
  g_autoptr (GError) err = NULL;
  NnLayer *l = nn_layer_new (spec, in, 42, &err);
  ck_assert_msg (l != NULL, "%s: %s", spec, err ? err->message : "?");
  ck_assert_msg (nn_layer_reserve (l, n, &err), "%s: %s", spec, err ? err->message : "?");
  return l;
}

static char *
spec_layer_name (const char *spec)
{
  g_autoptr (JsonParser) p = json_parser_new ();
  ck_assert (json_parser_load_from_data (p, spec, -1, NULL));
  JsonObject *o = json_node_get_object (json_parser_get_root (p));
  return g_strdup (nn_spec_string (o, "name", nn_spec_string (o, "type", "?")));
}

char *
nn_test_layer_error (const char *spec, const NnShape *in, int code)
{
  g_autoptr (GError) err = NULL;
  NnLayer *l = nn_layer_new (spec, in, 42, &err);
  ck_assert_msg (l == NULL, "%s: expected an error", spec);
  nn_layer_free (l);
  ck_assert (err != NULL);
  ck_assert_msg (err->domain == NN_ERROR && err->code == code, "%s: code %d, wanted %d: %s", spec, err->code,
                 code, err->message);
  g_autofree char *name = spec_layer_name (spec);
  g_autofree char *quoted = g_strdup_printf ("\"%s\"", name);
  ck_assert_msg (strstr (err->message, quoted), "%s: error does not name the layer: %s", spec, err->message);
  return g_strdup (err->message);
}

/* ---- gradient check ----------------------------------------------------------- */

/* n values of distinct magnitude in [0.1, 1], random signs, shuffled. */
static void
fill_grid (float *x, int64_t n, GRand *r)
{
  for (int64_t i = 0; i < n; i++)
    x[i] = (0.1f + 0.9f * (float) i / (float) n) * (g_rand_boolean (r) ? 1.0f : -1.0f);
  for (int64_t i = n - 1; i > 0; i--) {
    int64_t j = g_rand_int_range (r, 0, (gint32) i + 1);
    float t = x[i];
    x[i] = x[j];
    x[j] = t;
  }
}

typedef struct {
  NnLayer *l;
  const NnGradCheck *c;
  float *x, *y, *g;
  int64_t nx, ny;
} Probe;

static double
probe_loss (Probe *p)
{
  g_rand_set_seed (p->l->rng, RESEED);
  p->l->klass->forward (p->l, p->x, p->y, p->c->n, p->c->training);
  double s = 0.0;
  for (int64_t i = 0; i < p->ny; i++)
    s += (double) p->y[i] * p->g[i];
  return s;
}

/* Compares analytic[i] with the central difference of the loss in v[i]. */
static void
check_against (Probe *p, float *v, const float *analytic, int64_t n, const char *what)
{
  float h = p->c->h > 0 ? p->c->h : 1e-2f;
  double tol = p->c->tol > 0 ? p->c->tol : 1e-2, biggest = 0.0;
  for (int64_t i = 0; i < n; i++) {
    float keep = v[i];
    v[i] = keep + h;
    float up = v[i];
    double lp = probe_loss (p);
    v[i] = keep - h;
    float down = v[i];
    double lm = probe_loss (p);
    v[i] = keep;
    /* divide by the step float actually took, not the one asked for */
    double num = (lp - lm) / ((double) up - (double) down), a = analytic[i];
    double scale = MAX (MAX (fabs (a), fabs (num)), 0.1);
    ck_assert_msg (fabs (a - num) <= tol * scale, "%s: %s[%" G_GINT64_FORMAT "]: analytic %.6g, numeric %.6g",
                   p->c->spec, what, i, a, num);
    biggest = MAX (biggest, fabs (a));
  }
  ck_assert_msg (biggest > 1e-4, "%s: %s gradient is all zero", p->c->spec, what);
}

static void
zero_grads (NnLayer *l)
{
  for (int k = 0; k < l->n_params; k++)
    if (l->params[k].grad)
      memset (l->params[k].grad, 0, sizeof (float) * nn_shape_numel (&l->params[k].shape));
}

/* Backward again without dx: the parameter gradients must add up to twice. */
static void
check_accumulates (Probe *p, float **first)
{
  NnLayer *l = p->l;
  probe_loss (p);
  l->klass->backward (l, p->x, p->y, p->g, NULL, p->c->n);
  for (int k = 0; k < l->n_params; k++) {
    if (!l->params[k].grad)
      continue;
    for (int64_t j = 0; j < nn_shape_numel (&l->params[k].shape); j++)
      ck_assert_msg (fabsf (l->params[k].grad[j] - 2.0f * first[k][j]) <= 1e-5f * (1.0f + fabsf (first[k][j])),
                     "%s: %s does not accumulate", p->c->spec, l->params[k].name);
  }
}

void
nn_gradcheck (const NnGradCheck *c)
{
  NnLayer *l = nn_test_layer_new (c->spec, &c->in, c->n);
  GRand *r = g_rand_new_with_seed (c->seed);
  Probe p = { .l = l, .c = c };
  p.nx = c->n * nn_shape_numel (&l->in);
  p.ny = c->n * nn_shape_numel (&l->out);
  p.x = g_new (float, p.nx);
  p.y = g_new (float, p.ny);
  p.g = g_new (float, p.ny);
  float *dx = g_new (float, p.nx);
  float *grads[NN_LAYER_MAX_PARAMS] = { 0 };
  fill_grid (p.x, p.nx, r);
  for (int64_t i = 0; i < p.ny; i++)
    p.g[i] = (float) g_rand_double_range (r, -1.0, 1.0);

  probe_loss (&p);
  zero_grads (l);
  l->klass->backward (l, p.x, p.y, p.g, dx, c->n);
  for (int k = 0; k < l->n_params; k++)
    if (l->params[k].grad)
      grads[k] = g_memdup2 (l->params[k].grad, sizeof (float) * nn_shape_numel (&l->params[k].shape));
  check_accumulates (&p, grads);

  check_against (&p, p.x, dx, p.nx, "dx");
  for (int k = 0; k < l->n_params; k++)
    if (grads[k])
      check_against (&p, l->params[k].data, grads[k], nn_shape_numel (&l->params[k].shape), l->params[k].name);

  for (int k = 0; k < l->n_params; k++)
    g_free (grads[k]);
  g_free (dx);
  g_free (p.x);
  g_free (p.y);
  g_free (p.g);
  g_rand_free (r);
  nn_layer_free (l);
}

/* ---- PyTorch fixtures ------------------------------------------------------------ */

static float *
floats (JsonObject *o, const char *key, int64_t *n)
{
  JsonArray *a = json_object_get_array_member (o, key);
  ck_assert_msg (a != NULL, "fixture has no \"%s\"", key);
  *n = json_array_get_length (a);
  float *v = g_new (float, MAX (*n, 1));
  for (int64_t i = 0; i < *n; i++)
    v[i] = (float) json_array_get_double_element (a, (guint) i);
  return v;
}

static void
compare (const char *cname, const char *what, const float *got, JsonObject *o, const char *key, int64_t n,
         double tol)
{
  int64_t m;
  g_autofree float *want = floats (o, key, &m);
  ck_assert_msg (m == n, "%s: %s has %" G_GINT64_FORMAT " values, the layer %" G_GINT64_FORMAT, cname, what, m, n);
  for (int64_t i = 0; i < n; i++)
    ck_assert_msg (fabs ((double) got[i] - want[i]) <= tol * MAX (1.0, fabs (want[i])),
                   "%s: %s[%" G_GINT64_FORMAT "] = %.7g, PyTorch %.7g", cname, what, i, got[i], want[i]);
}

static NnParam *
fixture_param (NnLayer *l, const char *cname, const char *pname)
{
  NnParam *p = nn_layer_param (l, pname);
  ck_assert_msg (p != NULL, "%s: layer has no parameter \"%s\"", cname, pname);
  return p;
}

static void
run_case (JsonObject *c, double tol)
{
  const char *cname = json_object_get_string_member (c, "name");
  g_autofree char *spec = json_to_string (json_object_get_member (c, "spec"), FALSE);
  JsonArray *ia = json_object_get_array_member (c, "in");
  NnShape in = { .ndim = (int) json_array_get_length (ia) };
  for (int d = 0; d < in.ndim; d++)
    in.dim[d] = json_array_get_int_element (ia, d);
  int n = (int) json_object_get_int_member (c, "n");
  gboolean training = json_object_get_boolean_member (c, "training");
  NnLayer *l = nn_test_layer_new (spec, &in, n);

  JsonObject *params = json_object_get_object_member (c, "params");
  ck_assert_msg ((int) json_object_get_size (params) == l->n_params, "%s: layer has %d parameters, PyTorch %u",
                 cname, l->n_params, json_object_get_size (params));
  g_autoptr (GList) names = json_object_get_members (params);
  for (GList *it = names; it; it = it->next) {
    NnParam *p = fixture_param (l, cname, it->data);
    int64_t m;
    g_autofree float *v = floats (params, it->data, &m);
    ck_assert_msg (m == nn_shape_numel (&p->shape), "%s: %s size", cname, p->name);
    memcpy (p->data, v, sizeof (float) * m);
  }

  int64_t nx, ny = n * nn_shape_numel (&l->out), ndy;
  g_autofree float *x = floats (c, "x", &nx);
  g_autofree float *dy = floats (c, "dy", &ndy);
  g_autofree float *y = g_new (float, ny);
  g_autofree float *dx = g_new (float, nx);
  ck_assert_msg (nx == n * nn_shape_numel (&l->in), "%s: input size", cname);
  ck_assert_msg (ndy == ny, "%s: output has %" G_GINT64_FORMAT " values, PyTorch %" G_GINT64_FORMAT, cname, ny, ndy);
  l->klass->forward (l, x, y, n, training);
  compare (cname, "y", y, c, "y", ny, tol);
  if (json_object_has_member (c, "after")) {
    JsonObject *after = json_object_get_object_member (c, "after");
    g_autoptr (GList) bufs = json_object_get_members (after);
    for (GList *it = bufs; it; it = it->next) {
      NnParam *p = fixture_param (l, cname, it->data);
      compare (cname, p->name, p->data, after, it->data, nn_shape_numel (&p->shape), tol);
    }
  }

  zero_grads (l);
  l->klass->backward (l, x, y, dy, dx, n);
  compare (cname, "dx", dx, c, "dx", nx, tol);
  JsonObject *grads = json_object_get_object_member (c, "grads");
  g_autoptr (GList) gnames = json_object_get_members (grads);
  for (GList *it = gnames; it; it = it->next) {
    NnParam *p = fixture_param (l, cname, it->data);
    ck_assert_msg (p->grad != NULL, "%s: %s has no gradient", cname, p->name);
    compare (cname, p->name, p->grad, grads, it->data, nn_shape_numel (&p->shape), tol);
  }
  nn_layer_free (l);
}

int
nn_test_fixture_run (const char *file, double tol)
{
  const char *root = g_getenv ("NN_SOURCE_ROOT");
  ck_assert_msg (root != NULL, "NN_SOURCE_ROOT is not set (run through meson test)");
  g_autofree char *path = g_build_filename (root, "tests", "fixtures", "layers", file, NULL);
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) err = NULL;
  ck_assert_msg (json_parser_load_from_file (parser, path, &err), "%s: %s", path, err ? err->message : "?");
  JsonArray *cases = json_object_get_array_member (json_node_get_object (json_parser_get_root (parser)), "cases");
  ck_assert_msg (cases && json_array_get_length (cases) > 0, "%s: no cases", path);
  for (guint i = 0; i < json_array_get_length (cases); i++)
    run_case (json_array_get_object_element (cases, i), tol);
  return (int) json_array_get_length (cases);
}

void
nn_test_uniform_init (const float *v, int n, float bound)
{
  float lo = bound, hi = -bound;
  for (int i = 0; i < n; i++) {
    ck_assert_msg (fabsf (v[i]) <= bound, "value %d = %g outside +-%g", i, v[i], bound);
    lo = fminf (lo, v[i]);
    hi = fmaxf (hi, v[i]);
  }
  ck_assert_msg (hi - lo > bound, "values span only %g of +-%g", hi - lo, bound);
}
