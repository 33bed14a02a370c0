/* Writes the seed corpus of the checkpoint fuzz target: the checkpoints of
 * fuzz-checkpoint.c's own run after one and after two epochs. Built against
 * a release build's internal archive:
 *
 *   gcc -O1 -Icore -Icore/include -Ibuild/core -Itests/fuzz tests/fuzz/make-checkpoint-seeds.c \
 *       build/core/libnn-internal.a build/core/libnn-kernels.a $(pkg-config --cflags --libs glib-2.0 gio-2.0 \
 *       gobject-2.0 json-glib-1.0 libavformat libavcodec libswscale libavutil libprotobuf-c) \
 *       -lopenblas -lm -fopenmp -pthread -o make-checkpoint-seeds
 *   ./make-checkpoint-seeds tests/fuzz/corpus/checkpoint
 *
 * (the files differ from run to run only in the history's timings) */
#define FUZZ_CHECKPOINT_NO_TARGET
#include "fuzz-checkpoint.c"

int
main (int argc, char **argv)
{
  if (argc != 2) {
    g_printerr ("usage: %s DIR\n", argv[0]);
    return 2;
  }
  for (int epochs = 1; epochs <= 2; epochs++) {
    GError *err = NULL;
    NnModel *m = nn_model_new_from_spec (fuzz_spec, 1, &err);
    NnDataset *tr = fuzz_checkpoint_data (), *va = fuzz_checkpoint_data ();
    NnTrainConfig c;
    fuzz_checkpoint_config (&c);
    c.epochs = epochs;
    char *path = g_strdup_printf ("%s/epoch-%d.safetensors", argv[1], epochs);
    c.checkpoint = path;
    c.checkpoint_note = "{\"seed\": \"fuzz\"}";
    if (!m || !nn_train (m, &c, tr, va, &err)) {
      g_printerr ("%s\n", err ? err->message : "failed");
      return 1;
    }
    g_print ("%s\n", path);
    g_free (path);
    nn_dataset_free (tr);
    nn_dataset_free (va);
    nn_model_free (m);
  }
  return 0;
}
