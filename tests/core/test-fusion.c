/* Inference fusion: conv2d -> relu/leaky_relu -> 2x2 max pool as one pass
 * (Winograd tiles or the direct pooled convolution), with a batchnorm2d
 * after the conv folded into its weights, must give what the layers give
 * one by one, and say which outputs it did not keep. */
#include <check.h>
#include <math.h>
#include "nn-private.h"
#include "../check-run.h"

static NnModel *
model (const char *layers, const char *input)
{
  g_autofree char *spec = g_strdup_printf ("{\"input\": %s, \"layers\": [%s]}", input, layers);
  g_autoptr (GError) err = NULL;
  NnModel *m = nn_model_new_from_spec (spec, 5, &err);
  ck_assert_msg (m != NULL, "%s: %s", spec, err ? err->message : "?");
  /* non-zero biases, so that adding them after the pooling is checked too */
  int np;
  NnParam *p = nn_model_params (m, &np);
  for (int i = 0; i < np; i++)
    if (g_str_has_suffix (p[i].name, ".bias"))
      for (int64_t k = 0; k < nn_shape_numel (&p[i].shape); k++)
        p[i].data[k] = 0.05f * (float) ((k % 7) - 3);
  /* batchnorms (named bn*) with statistics of their own and some negative
   * scales, which do not commute with the pooling */
  for (int i = 0; i < np; i++)
    for (int64_t k = 0; g_str_has_prefix (p[i].name, "bn") && k < nn_shape_numel (&p[i].shape); k++)
      p[i].data[k] = g_str_has_suffix (p[i].name, ".running_mean") ? 0.1f * (float) ((k % 5) - 2)
                     : g_str_has_suffix (p[i].name, ".running_var") ? 0.5f + 0.1f * (float) (k % 4)
                     : g_str_has_suffix (p[i].name, ".weight")      ? 0.7f * (float) ((k % 3) - 1) + 0.1f
                                                                    : 0.03f * (float) (k % 4);
  return m;
}

/* fused and unfused inference agree (NaN where the other has NaN); the
 * model's first layer is a conv named conv1 that starts a block */
static void
check_same (const char *layers, const char *input, int n, int threads, gboolean with_nan)
{
  nn_set_threads (threads);
  NnModel *m = model (layers, input);
  int64_t in = nn_shape_numel (nn_model_input_shape (m)), out = nn_shape_numel (nn_model_output_shape (m));
  g_autofree float *x = g_new (float, n * in);
  g_autofree float *want = g_new (float, n * out);
  GRand *rng = g_rand_new_with_seed (11);
  for (int64_t i = 0; i < n * in; i++)
    x[i] = (float) g_rand_double_range (rng, -1, 1);
  g_rand_free (rng);
  if (with_nan)
    x[in / 2 + 3] = NAN;
  nn_model_set_fusion (m, FALSE);
  memcpy (want, nn_model_forward (m, x, n, FALSE, NULL), sizeof (float) * n * out);
  nn_model_set_fusion (m, TRUE);
  const float *got = nn_model_forward (m, x, n, FALSE, NULL);
  /* the first block (its conv is always conv1 here) did run fused */
  ck_assert_msg (nn_model_layer_output (m, "conv1", NULL) == NULL, "%s on %s was not fused", layers, input);
  int nans = 0;
  for (int64_t i = 0; i < n * out; i++) {
    nans += isnan (want[i]);
    ck_assert_msg (isnan (want[i]) ? isnan (got[i]) : fabsf (got[i] - want[i]) <= 1e-5f * (1 + fabsf (want[i])),
                   "%s, n %d, %d threads: y[%" G_GINT64_FORMAT "] = %.7g fused, %.7g unfused", layers, n, threads,
                   i, got[i], want[i]);
  }
  ck_assert_msg (!with_nan || nans > 0, "%s: the NaN did not reach the output", layers);
  nn_model_free (m);
  nn_set_threads (1);
}

#define CONV(name, f, extra) \
  "{\"name\": \"" name "\", \"type\": \"conv2d\", \"filters\": " #f ", \"kernel\": 3" extra "}"
#define POOL "{\"type\": \"maxpool2d\", \"size\": 2}"

static const char *lenet =
  CONV ("conv1", 16, ", \"padding\": \"same\", \"activation\": \"relu\"") ", " POOL ", "
  CONV ("conv2", 32, ", \"padding\": \"same\", \"activation\": \"relu\"") ", " POOL ", "
  "{\"type\": \"flatten\"}, {\"name\": \"fc\", \"type\": \"dense\", \"units\": 10}";

START_TEST (test_lenet)
{
  const char *block = CONV ("conv1", 16, ", \"padding\": \"same\", \"activation\": \"relu\"") ", " POOL;
  check_same (block, "[1, 28, 28]", 1, 1, FALSE);    /* direct */
  check_same (block, "[16, 14, 14]", 1, 1, FALSE);   /* Winograd */
  check_same (lenet, "[1, 28, 28]", 1, 1, FALSE);
  check_same (lenet, "[1, 28, 28]", 3, 2, FALSE);
  check_same (lenet, "[1, 28, 28]", 1, 1, TRUE);
}
END_TEST

/* odd sizes (the last row and column dropped), explicit and asymmetric
 * padding, leaky relu, every channel count from the direct path (1 .. 3) to
 * Winograd's (4, 5) */
START_TEST (test_shapes)
{
  const char *blocks[] = {
    CONV ("conv1", 4, ", \"activation\": {\"type\": \"leaky_relu\", \"slope\": 0.2}") ", " POOL,
    CONV ("conv1", 3, ", \"padding\": [0, 2, 1, 0], \"activation\": \"relu\"") ", " POOL,
    CONV ("conv1", 5, ", \"padding\": 1, \"activation\": \"leaky_relu\", \"bias\": false") ", " POOL,
  };
  const char *inputs[] = { "[1, 9, 11]", "[2, 7, 8]", "[3, 10, 13]", "[4, 9, 11]", "[5, 6, 7]" };
  for (guint b = 0; b < G_N_ELEMENTS (blocks); b++)
    for (guint i = 0; i < G_N_ELEMENTS (inputs); i++) {
      check_same (blocks[b], inputs[i], 2, 1, FALSE);
      check_same (blocks[b], inputs[i], 1, 1, TRUE);
    }
}
END_TEST

#define BN(name) "{\"name\": \"" name "\", \"type\": \"batchnorm2d\"}"
#define RELU "{\"type\": \"relu\"}"

/* conv -> batchnorm -> relu -> pool as one pass, and conv -> batchnorm as
 * one convolution where no pool follows (or the conv cannot pool: stride
 * 2), with and without the conv's bias, direct and Winograd, batches and
 * threads: the shipped gesture models' shapes */
START_TEST (test_batchnorm_folded)
{
  const char *blocks[] = {
    CONV ("conv1", 8, ", \"padding\": \"same\"") ", " BN ("bn1") ", " RELU ", " POOL,
    CONV ("conv1", 8, ", \"padding\": \"same\", \"bias\": false") ", " BN ("bn1") ", " RELU ", " POOL,
    CONV ("conv1", 6, "") ", " BN ("bn1") ", " RELU ", {\"type\": \"global_avgpool\"}",
    CONV ("conv1", 6, ", \"stride\": 2") ", " BN ("bn1") ", " RELU ", " POOL,
    CONV ("conv1", 8, ", \"padding\": \"same\"") ", " BN ("bn1") ", " RELU ", " POOL ", "
    CONV ("conv2", 12, ", \"padding\": \"same\"") ", " BN ("bn2") ", " RELU ", " POOL ", "
    CONV ("conv3", 16, "") ", " BN ("bn3") ", " RELU ", {\"type\": \"global_avgpool\"}, "
    "{\"name\": \"fc\", \"type\": \"dense\", \"units\": 7, \"activation\": \"softmax\"}",
  };
  const char *inputs[] = { "[3, 16, 16]", "[8, 13, 14]" };
  for (guint b = 0; b < G_N_ELEMENTS (blocks); b++)
    for (guint i = 0; i < G_N_ELEMENTS (inputs); i++) {
      check_same (blocks[b], inputs[i], 1, 1, FALSE);
      check_same (blocks[b], inputs[i], 3, 2, FALSE);
      check_same (blocks[b], inputs[i], 1, 1, TRUE);
    }
  /* the batchnorm's output is kept where the pass ends with it */
  NnModel *m = model (blocks[2], "[3, 16, 16]");
  g_autofree float *x = g_new0 (float, 3 * 16 * 16);
  ck_assert (nn_model_forward (m, x, 1, FALSE, NULL));
  ck_assert_ptr_null (nn_model_layer_output (m, "conv1", NULL));
  ck_assert_ptr_nonnull (nn_model_layer_output (m, "bn1", NULL));
  nn_model_free (m);
}
END_TEST

START_TEST (test_outputs_kept)
{
  NnModel *m = model (lenet, "[1, 28, 28]");
  g_autofree float *x = g_new0 (float, 28 * 28);
  ck_assert (nn_model_forward (m, x, 1, FALSE, NULL));
  ck_assert_ptr_null (nn_model_layer_output (m, "conv1", NULL));
  ck_assert_ptr_null (nn_model_layer_output (m, "conv2_relu", NULL));
  ck_assert_ptr_nonnull (nn_model_layer_output (m, "fc", NULL));
  /* a training forward keeps everything, and so does inference unfused */
  ck_assert (nn_model_forward (m, x, 1, TRUE, NULL));
  ck_assert_ptr_nonnull (nn_model_layer_output (m, "conv1", NULL));
  nn_model_set_fusion (m, FALSE);
  ck_assert (nn_model_forward (m, x, 1, FALSE, NULL));
  ck_assert_ptr_nonnull (nn_model_layer_output (m, "conv2_relu", NULL));
  nn_model_free (m);

  /* not a block: stride 2, softmax, or a pool that is not 2x2 */
  const char *others[] = {
    CONV ("conv1", 4, ", \"stride\": 2, \"activation\": \"relu\"") ", " POOL,
    CONV ("conv1", 4, ", \"activation\": \"sigmoid\"") ", " POOL,
    CONV ("conv1", 4, ", \"activation\": \"relu\"") ", {\"type\": \"maxpool2d\", \"size\": 3}",
  };
  for (guint i = 0; i < G_N_ELEMENTS (others); i++) {
    m = model (others[i], "[3, 12, 12]");
    g_autofree float *z = g_new0 (float, 3 * 12 * 12);
    ck_assert (nn_model_forward (m, z, 1, FALSE, NULL));
    ck_assert_msg (nn_model_layer_output (m, "conv1", NULL) != NULL, "%s was fused", others[i]);
    nn_model_free (m);
  }
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("fusion");
  TCase *tc = tcase_create ("core");
  tcase_add_test (tc, test_lenet);
  tcase_add_test (tc, test_shapes);
  tcase_add_test (tc, test_batchnorm_folded);
  tcase_add_test (tc, test_outputs_kept);
  suite_add_tcase (s, tc);
  return nn_check_run (s);
}
