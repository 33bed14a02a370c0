/* Runtime CPU dispatch (core/cpu.c): every kernel gives the portable path's
 * results to 1e-5 on every path this CPU runs; NN_CPU forces a path, and a
 * path the CPU cannot run (or an unknown name) is an error from layer
 * creation, never an illegal instruction. The image converter takes its
 * path when it is built: one is built per path here. */
#include "nn-private.h"
#include "cpu-private.h"
#include "optim/optim-private.h"
#include "../check-run.h"
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

static const char *const names[NN_CPU_N_PATHS] = { "portable", "avx2", "avx512" };

#define N 1003   /* odd: the vector loops' tails run too */

static void
fill (float *p, int n, guint32 seed, float lo, float hi)
{
  GRand *r = g_rand_new_with_seed (seed);
  for (int i = 0; i < n; i++)
    p[i] = (float) g_rand_double_range (r, lo, hi);
  g_rand_free (r);
}

/* Everything the kernels compute, on the current path, appended to out. */
static void
run_kernels (GArray *out)
{
  float x[N], y[N], dy[N], dx[N];
  fill (x, N, 1, -6.0f, 6.0f);
  fill (dy, N, 2, -1.0f, 1.0f);
  for (NnAct a = NN_ACT_NONE; a <= NN_ACT_LEAKY_RELU; a++) {
    nn_act_forward (a, 0.2f, x, y, N);
    nn_act_backward (a, 0.2f, y, dy, dx, N);
    g_array_append_vals (out, y, N);
    g_array_append_vals (out, dx, N);
  }
  NnOptimKind kinds[] = { NN_OPT_SGD, NN_OPT_MOMENTUM, NN_OPT_RMSPROP, NN_OPT_ADAM };
  for (guint k = 0; k < G_N_ELEMENTS (kinds); k++) {
    NnOptimConfig c;
    nn_optim_config_init (&c, kinds[k]);
    c.nesterov = k == 1;
    float w[N], s1[N] = { 0 }, s2[N] = { 0 };
    fill (w, N, 3, -1.0f, 1.0f);
    for (int t = 1; t <= 3; t++) {
      void (*update) (const NnOptimConfig *, float *, const float *, float *, float *, int64_t, int64_t) =
        kinds[k] == NN_OPT_ADAM ? nn_adam_update : kinds[k] == NN_OPT_RMSPROP ? nn_rmsprop_update : nn_sgd_update;
      update (&c, w, dy, s1, s2, N, t);
    }
    g_array_append_vals (out, w, N);
  }
  /* models: the direct pooled convolution (one input channel, fused with relu
   * and pool), an LSTM and a ConvLSTM (the gate cell) */
  const char *specs[] = {
    "{\"input\": [1, 28, 28], \"layers\": [{\"name\": \"c\", \"type\": \"conv2d\", \"filters\": 16, \"kernel\": 3,"
    " \"padding\": \"same\", \"activation\": \"relu\"}, {\"type\": \"maxpool2d\", \"size\": 2}]}",
    "{\"input\": [9, 5], \"layers\": [{\"name\": \"l\", \"type\": \"lstm\", \"units\": 21,"
    " \"return_sequences\": true}]}",
    "{\"input\": [3, 2, 9, 7], \"layers\": [{\"name\": \"cl\", \"type\": \"convlstm2d\", \"filters\": 5,"
    " \"kernel\": 3}]}",
  };
  /* the image converter's vertical pass: 8- and 16-bit samples, shrinking
   * (interior rows summed as integers) and enlarging */
  guint8 frame[96 * 70 * 3 * 2];
  for (gsize i = 0; i < sizeof frame; i++)
    frame[i] = (guint8) (i * 37 + i / 97);
  const struct { NnPixelFormat f; int w, h, ch, size; } frames[] = {
    { NN_PIXEL_RGB24, 96, 70, 3, 20 }, { NN_PIXEL_I420_10LE, 96, 70, 1, 28 }, { NN_PIXEL_NV12, 30, 20, 3, 48 },
  };
  for (guint f = 0; f < G_N_ELEMENTS (frames); f++) {
    NnImageInfo info = { .format = frames[f].f, .width = frames[f].w, .height = frames[f].h };
    NnPreprocess pre = { .channels = frames[f].ch, .height = frames[f].size, .width = frames[f].size,
                         .rescale = 1.0f / 255, .std = { 1, 1, 1 } };
    GError *e = NULL;
    NnImageConverter *conv = nn_image_converter_new (&info, &pre, &e);
    ck_assert_msg (conv, "%s", e ? e->message : "");
    int w = frames[f].w, h = frames[f].h, bps = frames[f].f == NN_PIXEL_I420_10LE ? 2 : 1;
    const guint8 *planes[3] = { frame, frame + w * h * bps, frame + w * h * bps * 5 / 4 };
    int strides[3] = { frames[f].f == NN_PIXEL_RGB24 ? 3 * w : w * bps, frames[f].f == NN_PIXEL_NV12 ? w : w / 2 * bps,
                       w / 2 * bps };
    float img[3 * 48 * 48];
    nn_image_converter_run (conv, planes, strides, img);
    g_array_append_vals (out, img, frames[f].ch * frames[f].size * frames[f].size);
    nn_image_converter_free (conv);
  }
  for (guint s = 0; s < G_N_ELEMENTS (specs); s++) {
    GError *e = NULL;
    NnModel *m = nn_model_new_from_spec (specs[s], 7, &e);
    ck_assert_msg (m, "%s", e ? e->message : "");
    int64_t in = nn_shape_numel (nn_model_input_shape (m)), on = nn_shape_numel (nn_model_output_shape (m));
    float *xin = g_new (float, 2 * in);
    fill (xin, 2 * in, 4 + s, -2.0f, 2.0f);
    const float *o = nn_model_forward (m, xin, 2, FALSE, &e);
    ck_assert_msg (o, "%s", e ? e->message : "");
    g_array_append_vals (out, o, 2 * on);
    g_free (xin);
    nn_model_free (m);
  }
}

START_TEST (test_paths_agree)
{
  int saved = nn_cpu_selected, compared = 0;
  g_autoptr (GArray) ref = g_array_new (FALSE, FALSE, sizeof (float));
  nn_cpu_selected = NN_CPU_PORTABLE;
  run_kernels (ref);
  for (int p = NN_CPU_PORTABLE + 1; p < NN_CPU_N_PATHS; p++) {
    if (!nn_cpu_can_run (p))
      continue;
    g_autoptr (GArray) got = g_array_new (FALSE, FALSE, sizeof (float));
    nn_cpu_selected = p;
    run_kernels (got);
    ck_assert_uint_eq (got->len, ref->len);
    const float *a = (const float *) ref->data, *b = (const float *) got->data;
    int differ = 0;
    for (guint i = 0; i < ref->len; i++) {
      ck_assert_msg (fabsf (a[i] - b[i]) <= 1e-5f * MAX (1.0f, fabsf (a[i])), "%s: value %u is %.9g, portable %.9g",
                     names[p], i, b[i], a[i]);
      differ += a[i] != b[i];
    }
    printf ("cpu: %s against portable: %u values within 1e-5 (%d not bit-equal)\n", names[p], ref->len, differ);
    compared++;
  }
  nn_cpu_selected = saved;
  /* a path this CPU runs past the portable one was compared */
  ck_assert_int_eq (compared, nn_cpu_can_run (NN_CPU_AVX512) + nn_cpu_can_run (NN_CPU_AVX2));
  ck_assert (ref->len > 20000);
}
END_TEST

/* The child (this program with --probe under NN_CPU=...): prints the path
 * name, or the error of creating a layer; then runs every kernel anyway. */
static int
probe (void)
{
  GError *e = NULL;
  NnModel *m = nn_model_new_from_spec ("{\"input\": [4], \"layers\": [{\"type\": \"dense\", \"units\": 2}]}", 1, &e);
  if (m)
    printf ("path %s\n", nn_cpu_path_name ());
  else
    printf ("error %s\n", e->message);
  float x[N], y[N];
  fill (x, N, 1, -6.0f, 6.0f);
  for (NnAct a = NN_ACT_NONE; a <= NN_ACT_LEAKY_RELU; a++)
    nn_act_forward (a, 0.2f, x, y, N);
  if (!m) {
    g_error_free (e);
    return 3;
  }
  nn_model_free (m);
  return 0;
}

static char *self;

static char *
run_probe (const char *value, int *status)
{
  g_auto (GStrv) env = g_environ_setenv (g_get_environ (), "NN_CPU", value, TRUE);
  char *argv[] = { self, (char *) "--probe", NULL };
  char *out = NULL;
  GError *e = NULL;
  ck_assert_msg (g_spawn_sync (NULL, argv, env, G_SPAWN_DEFAULT, NULL, NULL, &out, NULL, status, &e), "%s",
                 e ? e->message : "");
  return out;
}

START_TEST (test_forced)
{
  for (int p = 0; p < NN_CPU_N_PATHS; p++) {
    int status;
    g_autofree char *out = run_probe (names[p], &status);
    if (nn_cpu_can_run (p)) {
      g_autofree char *want = g_strdup_printf ("path %s\n", names[p]);
      ck_assert_str_eq (out, want);
      ck_assert (g_spawn_check_wait_status (status, NULL));
    } else {
      /* exit status 3: an error, not a signal */
      ck_assert_msg (WIFEXITED (status) && WEXITSTATUS (status) == 3, "NN_CPU=%s: status %d", names[p], status);
      g_autofree char *want = g_strdup_printf ("error NN_CPU=%s: this CPU cannot run the %s kernels (it runs: %s)\n",
                                               names[p], names[p], nn_cpu_paths_available ());
      ck_assert_str_eq (out, want);
    }
  }
  int status;
  g_autofree char *out = run_probe ("sse9", &status);
  ck_assert_str_eq (out, "error NN_CPU=sse9: unknown kernel path (portable, avx2 or avx512)\n");
  ck_assert (WIFEXITED (status) && WEXITSTATUS (status) == 3);
  /* unset or empty: the best path the CPU runs */
  g_autofree char *best = run_probe ("", &status);
  const char *avail = nn_cpu_paths_available ();
  g_autofree char *want = g_strdup_printf ("path %s\n", strrchr (avail, ' ') ? strrchr (avail, ' ') + 1 : avail);
  ck_assert_str_eq (best, want);
  ck_assert (g_str_has_prefix (avail, "portable"));
}
END_TEST

int
main (int argc, char **argv)
{
  if (argc > 1 && g_str_equal (argv[1], "--probe"))
    return probe ();
  self = argv[0];
  printf ("cpu: kernel path %s; this CPU runs: %s\n", nn_cpu_path_name (), nn_cpu_paths_available ());
  Suite *s = suite_create ("cpu");
  TCase *tc = tcase_create ("core");
  tcase_add_test (tc, test_paths_agree);
  tcase_add_test (tc, test_forced);
  suite_add_tcase (s, tc);
  return nn_check_run (s);
}
