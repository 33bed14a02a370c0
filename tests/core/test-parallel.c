/* libnn's threads: every layer that splits work over threads gives, on two
 * threads, what it gives on one (outputs, input and parameter gradients), at
 * batch 1 and at a batch that splits unevenly, and its scratch follows
 * nn_set_threads() after the first reserve. */
#include "gradcheck.h"
#include "../check-run.h"

typedef struct {
  float *y, *dx, *grads;
} Pass;

static void
fill (float *v, int64_t n, GRand *r)
{
  for (int64_t i = 0; i < n; i++)
    v[i] = (float) g_rand_double_range (r, -1.0, 1.0);
}

/* forward (training) then backward of dy on `threads` threads, from the same
 * layer and the same inputs */
static Pass
run (NnLayer *l, const float *x, const float *dy, int n, int threads)
{
  GError *e = NULL;
  nn_set_threads (threads);
  ck_assert_msg (nn_layer_reserve (l, n, &e), "%s", e ? e->message : "");
  int64_t out = n * nn_shape_numel (&l->out), in = n * nn_shape_numel (&l->in), np = 0;
  for (int i = 0; i < l->n_params; i++)
    np += nn_shape_numel (&l->params[i].shape);
  Pass p = { g_new0 (float, out), g_new0 (float, in), g_new0 (float, MAX (np, 1)) };
  for (int i = 0; i < l->n_params; i++)
    if (l->params[i].grad)
      memset (l->params[i].grad, 0, sizeof (float) * nn_shape_numel (&l->params[i].shape));
  l->klass->forward (l, x, p.y, n, TRUE);
  l->klass->backward (l, x, p.y, dy, p.dx, n);
  float *g = p.grads;
  for (int i = 0; i < l->n_params; i++) {
    int64_t k = nn_shape_numel (&l->params[i].shape);
    if (l->params[i].grad)
      memcpy (g, l->params[i].grad, sizeof (float) * k);
    g += k;
  }
  return p;
}

static void
assert_close (const char *what, const char *spec, const float *a, const float *b, int64_t n)
{
  for (int64_t i = 0; i < n; i++)
    ck_assert_msg (fabsf (a[i] - b[i]) <= 1e-4f * (1.0f + fabsf (a[i])), "%s: %s[%" G_GINT64_FORMAT "] %g on one "
                   "thread, %g on two", spec, what, i, a[i], b[i]);
}

static void
check_layer (const char *spec, NnShape in, int n)
{
  NnLayer *l = nn_test_layer_new (spec, &in, 1);
  GRand *r = g_rand_new_with_seed (7);
  int64_t ni = n * nn_shape_numel (&in), no = n * nn_shape_numel (&l->out), np = 0;
  for (int i = 0; i < l->n_params; i++)
    np += nn_shape_numel (&l->params[i].shape);
  float *x = g_new (float, ni), *dy = g_new (float, no);
  fill (x, ni, r);
  fill (dy, no, r);
  Pass one = run (l, x, dy, n, 1), two = run (l, x, dy, n, 2);
  assert_close ("y", spec, one.y, two.y, no);
  assert_close ("dx", spec, one.dx, two.dx, ni);
  assert_close ("parameter gradient", spec, one.grads, two.grads, np);
  /* and back to one thread: nothing of the two-thread scratch is needed */
  Pass again = run (l, x, dy, n, 1);
  assert_close ("y (one thread again)", spec, one.y, again.y, no);
  assert_close ("parameter gradient (one thread again)", spec, one.grads, again.grads, np);
  Pass *all[] = { &one, &two, &again };
  for (int k = 0; k < 3; k++) {
    g_free (all[k]->y);
    g_free (all[k]->dx);
    g_free (all[k]->grads);
  }
  g_free (x);
  g_free (dy);
  g_rand_free (r);
  nn_layer_free (l);
}

static const struct {
  const char *spec;
  NnShape     in;
} cases[] = {
  { "{\"type\":\"conv2d\",\"filters\":32,\"kernel\":3,\"padding\":\"same\"}", { 3, { 3, 9, 8 } } },
  { "{\"type\":\"conv2d\",\"filters\":5,\"kernel\":3,\"stride\":2,\"padding\":[0,1,2,1]}", { 3, { 2, 7, 9 } } },
  { "{\"type\":\"conv2d\",\"filters\":20,\"kernel\":1}", { 3, { 4, 5, 5 } } },
  /* rows narrower than a copy chunk: neighbouring samples' columns must not overlap */
  { "{\"type\":\"conv2d\",\"filters\":4,\"kernel\":3}", { 3, { 1, 4, 5 } } },
  { "{\"type\":\"conv2d\",\"filters\":4,\"kernel\":[2,3],\"padding\":[1,0,2,1]}", { 3, { 2, 5, 3 } } },
  { "{\"type\":\"conv2d_transpose\",\"filters\":3,\"kernel\":4,\"stride\":2,\"padding\":1}", { 3, { 4, 5, 5 } } },
  { "{\"type\":\"conv2d_transpose\",\"filters\":6,\"kernel\":7}", { 3, { 10, 1, 1 } } },
  { "{\"type\":\"convlstm2d\",\"filters\":3,\"kernel\":3,\"return_sequences\":true}", { 4, { 3, 2, 5, 6 } } },
  { "{\"type\":\"dense\",\"units\":300}", { 1, { 250 } } },
  { "{\"type\":\"maxpool2d\",\"size\":2}", { 3, { 16, 24, 24 } } },
  { "{\"type\":\"maxpool2d\",\"size\":3,\"stride\":2,\"padding\":1}", { 3, { 16, 23, 23 } } },
  { "{\"type\":\"avgpool2d\",\"size\":2}", { 3, { 16, 24, 24 } } },
  { "{\"type\":\"relu\"}", { 3, { 16, 24, 24 } } },
  { "{\"type\":\"tanh\"}", { 1, { 8000 } } },
};

START_TEST (test_two_threads_equal_one)
{
  /* _i: batch 1 (the elements' case), then 5 (an uneven split) */
  int n = _i ? 5 : 1;
  for (gsize c = 0; c < G_N_ELEMENTS (cases); c++)
    check_layer (cases[c].spec, cases[c].in, n);
}
END_TEST

static gpointer
team_of_8 (gpointer data)
{
  (void) data;
  return GINT_TO_POINTER (nn_parallel_team (8, NN_MAX_THREADS));
}

START_TEST (test_threads_setting)
{
  nn_set_threads (3);
  ck_assert_int_eq (nn_get_threads (), 3);
  nn_set_threads (0);
  ck_assert_int_eq (nn_get_threads (), CLAMP ((int) g_get_num_processors (), 1, NN_MAX_THREADS));
  nn_set_threads (100000);
  ck_assert_int_eq (nn_get_threads (), NN_MAX_THREADS);
  /* a team never outnumbers the work, nor the scratch it is given */
  ck_assert_int_eq (nn_parallel_team (1, NN_MAX_THREADS), 1);
  ck_assert_int_le (nn_parallel_team (3, 2), 2);
  /* a thread's own cap (nntrain's trainer): this thread only, until lifted */
  nn_set_threads (4);
  nn_set_thread_limit (1);
  ck_assert_int_eq (nn_parallel_team (8, NN_MAX_THREADS), 1);
  GThread *other = g_thread_new ("team", team_of_8, NULL);
  ck_assert_int_eq (GPOINTER_TO_INT (g_thread_join (other)), 4);
  nn_set_thread_limit (0);
  ck_assert_int_eq (nn_parallel_team (8, NN_MAX_THREADS), 4);
  nn_set_threads (1);
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("parallel");
  TCase *tc = tcase_create ("core");
  tcase_set_timeout (tc, 300);
  tcase_add_loop_test (tc, test_two_threads_equal_one, 0, 2);
  tcase_add_test (tc, test_threads_setting);
  suite_add_tcase (s, tc);
  return nn_check_run (s);
}
