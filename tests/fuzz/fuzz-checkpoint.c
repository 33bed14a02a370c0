/* libFuzzer target: resuming training from a checkpoint file
 * (nn_checkpoint_read through nn_train's resume, then nn_checkpoint_note):
 * the counters, schedule state and history in its JSON, the optimiser,
 * early-stopping and generator tensors, and the sample order. The seed
 * corpus holds checkpoints of this very run (fuzz_checkpoint_config), so
 * mutations reach past the configuration checks (make-checkpoint-seeds.c
 * writes them, including this file without the target). */
#include "fuzz-util.h"
#include "train-private.h"

static const char *fuzz_spec =
  "{\"input\": [4], \"labels\": [\"a\", \"b\"], \"layers\": ["
  "{\"name\": \"h\", \"type\": \"dense\", \"units\": 3, \"activation\": \"relu\"},"
  "{\"type\": \"dropout\", \"rate\": 0.25},"
  "{\"name\": \"o\", \"type\": \"dense\", \"units\": 2, \"activation\": \"softmax\"}]}";

/* 8 samples, batches of 4, two epochs: cheap enough to train whenever a
 * mutated checkpoint says fewer epochs are done. */
static NnDataset *
fuzz_checkpoint_data (void)
{
  NnShape s = nn_shape_1d (4);
  NnDataset *ds = nn_dataset_new (&s, 8, 1, 0);
  for (int i = 0; i < 32; i++)
    ds->x[i] = (float) ((i * 7) % 11) / 11.0f;
  for (int i = 0; i < 8; i++)
    ds->labels[i] = i % 2;
  return ds;
}

static void
fuzz_checkpoint_config (NnTrainConfig *c)
{
  nn_train_config_init (c);
  c->epochs = 2;
  c->batch = 4;
  c->seed = 3;
  c->early_stop = 3;
  c->schedule = (NnScheduleConfig) { .kind = NN_SCHEDULE_PLATEAU, .patience = 0, .factor = 0.5, .threshold = 1e-4,
                                     .gamma = 0.1 };
}

#ifndef FUZZ_CHECKPOINT_NO_TARGET
int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  char *path = fuzz_write ("c.safetensors", data, size);
  GError *err = NULL;
  NnModel *m = nn_model_new_from_spec (fuzz_spec, 1, &err);
  if (!m)
    abort ();
  NnDataset *tr = fuzz_checkpoint_data (), *va = fuzz_checkpoint_data ();
  NnTrainConfig c;
  fuzz_checkpoint_config (&c);
  c.resume = path;
  c.history = g_array_new (FALSE, FALSE, sizeof (NnTrainProgress));
  gboolean ok = nn_train (m, &c, tr, va, &err);
  FUZZ_CHECK_ERROR (ok, err);
  g_clear_error (&err);
  g_array_free (c.history, TRUE);
  char *note = nn_checkpoint_note (path, &err);
  FUZZ_CHECK_ERROR (note != NULL, err);
  g_clear_error (&err);
  g_free (note);
  nn_dataset_free (tr);
  nn_dataset_free (va);
  nn_model_free (m);
  g_unlink (path);
  g_free (path);
  return 0;
}
#endif
