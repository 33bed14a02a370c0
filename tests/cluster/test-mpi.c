/* nn train over MPI (issue 16): mpirun -np N nn train gives the weights and
 * the held-out accuracy of one process, and a rank that dies ends the job
 * with an error instead of a hang. Run as root here, hence
 * --allow-run-as-root; --oversubscribe lets 3 ranks share the 2 cores. */
#include <nn/nn.h>
#include <check.h>
#include <json-glib/json-glib.h>
#include <gio/gio.h>
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <math.h>
#include <stdio.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char *tmp;

static void
setup (void)
{
  tmp = g_dir_make_tmp ("nn-mpi-XXXXXX", NULL);
  ck_assert_ptr_nonnull (tmp);
}

static void
rm_rf (const char *dir)
{
  GDir *d = g_dir_open (dir, 0, NULL);
  for (const char *n; d && (n = g_dir_read_name (d));) {
    g_autofree char *p = g_build_filename (dir, n, NULL);
    if (g_file_test (p, G_FILE_TEST_IS_DIR))
      rm_rf (p);
    else
      g_unlink (p);
  }
  if (d)
    g_dir_close (d);
  g_rmdir (dir);
}

static void
teardown (void)
{
  rm_rf (tmp);
  g_free (tmp);
}

static char *
tmp_path (const char *name)
{
  return g_build_filename (tmp, name, NULL);
}

static void
new_group (gpointer data)
{
  setpgid (0, 0);
}

/* Run argv (NULL-terminated), in its own process group so that everything
 * it started can be killed if it outlives `timeout_s`. *out gets stdout and
 * stderr together. Returns the exit status, -1 for a signal or a timeout. */
static int
run (char **out, int timeout_s, char **argv)
{
  GError *e = NULL;
  GPid pid;
  int fd;
  ck_assert_msg (g_spawn_async_with_pipes (NULL, argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD, new_group, NULL, &pid,
                                           NULL, &fd, NULL, &e), "%s", e ? e->message : "");
  /* stderr into the same pipe: the child's 2>&1 */
  GString *text = g_string_new (NULL);
  gint64 end = g_get_monotonic_time () + (gint64) timeout_s * G_USEC_PER_SEC;
  int status = -1;
  gboolean done = FALSE, timed_out = FALSE;
  g_unix_set_fd_nonblocking (fd, TRUE, NULL);
  while (!done) {
    char buf[4096];
    ssize_t r;
    while ((r = read (fd, buf, sizeof buf)) > 0)
      g_string_append_len (text, buf, r);
    if (waitpid (pid, &status, WNOHANG) == pid) {
      done = TRUE;
    } else if (g_get_monotonic_time () > end) {
      kill (-pid, SIGKILL);
      waitpid (pid, &status, 0);
      timed_out = done = TRUE;
    } else {
      g_usleep (20000);
    }
  }
  for (ssize_t r; (r = read (fd, (char[4096]) { 0 }, 4096)) > 0;)
    ;
  close (fd);
  g_spawn_close_pid (pid);
  *out = g_string_free (text, FALSE);
  return !timed_out && WIFEXITED (status) ? WEXITSTATUS (status) : -1;
}

/* The end of a command's output, for a failure message: Check refuses
 * messages over a few kB (and then exits instead of reporting). */
static const char *
tail_of (const char *out)
{
  size_t n = strlen (out);
  return n > 2000 ? out + n - 2000 : out;
}

/* "mpirun ... -np N nn ARGS" (np 0: nn ARGS alone), stderr merged. */
static int
nn_train_ranks (int np, char **out, int timeout_s, const char *const *args)
{
  GPtrArray *a = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (a, g_strdup ("/bin/sh"));
  g_ptr_array_add (a, g_strdup ("-c"));
  GString *cmd = g_string_new ("exec ");
  if (np > 0)
    g_string_append_printf (cmd, "%s --allow-run-as-root --oversubscribe -np %d ", MPIRUN_PATH, np);
  g_string_append (cmd, NN_CLI_PATH " train");
  for (int i = 0; args[i]; i++) {
    g_autofree char *q = g_shell_quote (args[i]);
    g_string_append_printf (cmd, " %s", q);
  }
  g_string_append (cmd, " 2>&1");
  g_ptr_array_add (a, g_string_free (cmd, FALSE));
  g_ptr_array_add (a, NULL);
  int status = run (out, timeout_s, (char **) a->pdata);
  g_ptr_array_free (a, TRUE);
  return status;
}

/* ---- ten steps: 2 and 3 ranks give one process's weights ----------------- */

static const char small_spec[] =
  "{\"input\": [1, 6, 6], \"labels\": [\"a\", \"b\", \"c\"], \"layers\": ["
  "{\"name\": \"conv\", \"type\": \"conv2d\", \"filters\": 4, \"kernel\": 3, \"padding\": \"same\", \"activation\": \"relu\"},"
  "{\"name\": \"pool\", \"type\": \"maxpool2d\", \"size\": 2},"
  "{\"name\": \"flat\", \"type\": \"flatten\"},"
  "{\"name\": \"fc1\", \"type\": \"dense\", \"units\": 12, \"activation\": \"relu\"},"
  "{\"name\": \"drop\", \"type\": \"dropout\", \"rate\": 0.25},"
  "{\"name\": \"fc2\", \"type\": \"dense\", \"units\": 3, \"activation\": \"softmax\"}]}";

/* 71 rows, a global batch of 7: ten batches of 7 then one of a single row,
 * so the slices are uneven (3+4, 2+2+3) and some ranks get no row at all */
static void
write_small_data (const char *csv, const char *spec)
{
  GString *s = g_string_new (NULL);
  GRand *r = g_rand_new_with_seed (11);
  for (int i = 0; i < 71; i++) {
    int cls = i % 3;
    for (int j = 0; j < 36; j++)
      g_string_append_printf (s, "%.4f,", g_rand_double (r) + (j % 3 == cls ? 1.0 : 0.0));
    g_string_append_printf (s, "%d\n", cls);
  }
  g_rand_free (r);
  ck_assert (g_file_set_contents (csv, s->str, -1, NULL));
  ck_assert (g_file_set_contents (spec, small_spec, -1, NULL));
  g_string_free (s, TRUE);
}

/* Largest |a - b| over every parameter of two models of one spec. */
static double
max_weight_diff (const char *a_path, const char *b_path)
{
  GError *e = NULL;
  NnModel *a = nn_model_load (a_path, &e);
  ck_assert_msg (a != NULL, "%s", e ? e->message : "");
  NnModel *b = nn_model_load (b_path, &e);
  ck_assert_msg (b != NULL, "%s", e ? e->message : "");
  int na, nb;
  NnParam *pa = nn_model_params (a, &na), *pb = nn_model_params (b, &nb);
  ck_assert_int_eq (na, nb);
  double worst = 0.0;
  for (int i = 0; i < na; i++) {
    ck_assert_str_eq (pa[i].name, pb[i].name);
    int64_t n = nn_shape_numel (&pa[i].shape);
    ck_assert_int_eq (n, nn_shape_numel (&pb[i].shape));
    for (int64_t k = 0; k < n; k++)
      worst = MAX (worst, fabs ((double) pa[i].data[k] - pb[i].data[k]));
  }
  nn_model_free (a);
  nn_model_free (b);
  return worst;
}

START_TEST (test_ten_steps_same_weights)
{
  g_autofree char *csv = tmp_path ("small.csv"), *spec = tmp_path ("small.json");
  g_autofree char *data = g_strconcat ("csv:", csv, NULL);
  write_small_data (csv, spec);
  g_autofree char *init = tmp_path ("init.safetensors");
  const char *opt = _i == 0 ? "adam" : "momentum";
  char *out = NULL;
  /* zero epochs: the spec's seeded initial weights, to show training moved them */
  const char *args0[] = { spec, "--data", data, "--epochs", "0", "--seed", "5", "-o", init, NULL };
  ck_assert_int_eq (nn_train_ranks (0, &out, 600, args0), 0);
  g_free (out);
  char *paths[4] = { NULL };
  for (int np = 0; np <= 3; np++) {
    if (np == 1)
      continue;
    paths[np] = g_strdup_printf ("%s/np%d.safetensors", tmp, np);
    const char *args[] = { spec, "--data", data, "--epochs", "1", "--batch", "7", "--seed", "5", "--optimizer", opt,
                           "--lr", "0.01", "--threads", "1", "-o", paths[np], NULL };
    int st = nn_train_ranks (np, &out, 900, args);
    ck_assert_msg (st == 0, "%d ranks: exit %d\n%s", np, st, tail_of (out));
    if (np > 0)
      ck_assert_msg (strstr (out, "MPI ranks") != NULL, "rank 0 does not say it trained over MPI:\n%s", tail_of (out));
    g_free (out);
  }
  double moved = max_weight_diff (init, paths[0]);
  ck_assert_msg (moved > 1e-3, "eleven steps moved no weight (%g)", moved);
  for (int np = 2; np <= 3; np++) {
    double d = max_weight_diff (paths[0], paths[np]);
    ck_assert_msg (d < 1e-5, "%s: %d ranks differ from one process by %g", opt, np, d);
    g_free (paths[np]);
  }
  g_free (paths[0]);
}
END_TEST

/* ---- a checkpoint written by rank 0, resumed on 2 ranks ------------------ */

START_TEST (test_checkpoint_resume)
{
  g_autofree char *csv = tmp_path ("small.csv"), *spec = tmp_path ("small.json");
  g_autofree char *data = g_strconcat ("csv:", csv, NULL);
  write_small_data (csv, spec);
  g_autofree char *straight = tmp_path ("straight.safetensors"), *half = tmp_path ("half.safetensors");
  g_autofree char *ckpt = tmp_path ("ckpt.safetensors"), *resumed = tmp_path ("resumed.safetensors");
  char *out = NULL;
  const char *a4[] = { spec, "--data", data, "--epochs", "4", "--batch", "7", "--seed", "5", "--threads", "1",
                       "-o", straight, NULL };
  int st = nn_train_ranks (2, &out, 900, a4);
  ck_assert_msg (st == 0, "straight: exit %d\n%s", st, tail_of (out));
  g_free (out);
  const char *a2[] = { spec, "--data", data, "--epochs", "2", "--batch", "7", "--seed", "5", "--threads", "1",
                       "--checkpoint", ckpt, "-o", half, NULL };
  st = nn_train_ranks (2, &out, 900, a2);
  ck_assert_msg (st == 0, "first half: exit %d\n%s", st, tail_of (out));
  g_free (out);
  const char *ar[] = { "--resume", ckpt, "--epochs", "4", "-o", resumed, NULL };
  st = nn_train_ranks (2, &out, 900, ar);
  ck_assert_msg (st == 0, "resumed: exit %d\n%s", st, tail_of (out));
  g_free (out);
  /* every rank resumed from rank 0's state: the run continues as if never stopped */
  double d = max_weight_diff (straight, resumed);
  ck_assert_msg (d == 0.0, "resumed on 2 ranks differs from the straight run by %g", d);
  ck_assert_msg (max_weight_diff (straight, half) > 1e-4, "two more epochs changed nothing");
}
END_TEST

/* ---- fashion-lenet: three epochs, one and two ranks ---------------------- */

/* The first n records of a (gzipped) IDX file, uncompressed, with the count
 * in the header changed to n. */
static void
idx_head (const char *src, const char *dst, int n, int header, int record)
{
  g_autoptr (GFile) f = g_file_new_for_path (src);
  GError *e = NULL;
  g_autoptr (GInputStream) raw = G_INPUT_STREAM (g_file_read (f, NULL, &e));
  ck_assert_msg (raw != NULL, "%s", e ? e->message : "");
  g_autoptr (GConverter) z = G_CONVERTER (g_zlib_decompressor_new (G_ZLIB_COMPRESSOR_FORMAT_GZIP));
  g_autoptr (GInputStream) in = g_converter_input_stream_new (raw, z);
  gsize len = header + (gsize) n * record, got = 0;
  guint8 *buf = g_malloc (len);
  ck_assert_msg (g_input_stream_read_all (in, buf, len, &got, NULL, &e) && got == len, "%s: %s", src,
                 e ? e->message : "short");
  buf[4] = (guint8) (n >> 24);
  buf[5] = (guint8) (n >> 16);
  buf[6] = (guint8) (n >> 8);
  buf[7] = (guint8) n;
  ck_assert (g_file_set_contents (dst, (char *) buf, len, NULL));
  g_free (buf);
}

static void
fashion_subset (const char *from, const char *to, int n)
{
  g_autofree char *si = g_strdup_printf ("%s-images-idx3-ubyte.gz", from);
  g_autofree char *sl = g_strdup_printf ("%s-labels-idx1-ubyte.gz", from);
  g_autofree char *di = g_strdup_printf ("%s-images-idx3-ubyte", to);
  g_autofree char *dl = g_strdup_printf ("%s-labels-idx1-ubyte", to);
  idx_head (si, di, n, 16, 28 * 28);
  idx_head (sl, dl, n, 8, 1);
}

/* val_acc of the last line of a --log */
static double
last_val_acc (const char *log)
{
  g_autofree char *text = NULL;
  ck_assert (g_file_get_contents (log, &text, NULL, NULL));
  g_auto (GStrv) lines = g_strsplit (g_strstrip (text), "\n", -1);
  guint n = g_strv_length (lines);
  ck_assert_uint_eq (n, 3);
  g_autoptr (JsonParser) p = json_parser_new ();
  ck_assert (json_parser_load_from_data (p, lines[n - 1], -1, NULL));
  JsonObject *o = json_node_get_object (json_parser_get_root (p));
  ck_assert_int_eq (json_object_get_int_member (o, "epoch"), 3);
  return json_object_get_double_member (o, "val_acc");
}

START_TEST (test_fashion_lenet_three_epochs)
{
  /* The two runs agree to rounding for the first steps (see the test above);
   * then ReLU and max-pool decisions flip on rounding differences, as they do
   * between 1 and 2 threads of one process, and the runs drift apart into two
   * equally trained models: their held-out accuracies agree to the noise of
   * the test set, which is why this one trains on 30,000 images and tests on
   * all 10,000. Under the sanitizers (NN_MPI_TEST_SMALL, set by meson for the
   * ASan build) a step is ~10x slower: 3,000 and 2,000 images, where 1 point
   * is 20 images. */
  gboolean small = g_getenv ("NN_MPI_TEST_SMALL") != NULL;
  double tolerance = small ? 1.0 : 0.3;
  g_autofree char *train = tmp_path ("train"), *test = tmp_path ("t10k");
  fashion_subset (FASHION_DIR "/train", train, small ? 3000 : 30000);
  fashion_subset (FASHION_DIR "/t10k", test, small ? 2000 : 10000);
  g_autofree char *tdata = g_strconcat ("idx:", train, NULL), *vdata = g_strconcat ("idx:", test, NULL);
  /* One seed's gap is the difference of two equally good models on a finite
   * test set (about 0.2 points standard deviation here, so a single pair
   * would miss 0.3 one time in eight); the mean over three seeds on each
   * side has a third of that variance, and is what "the same held-out
   * accuracy" means. Every pair is printed. */
  const char *seeds[] = { "1", "2", "3" };
  int n_seeds = small ? 1 : 3;
  double mean[3] = { 0, 0, 0 };
  for (int s = 0; s < n_seeds; s++) {
    double acc[3];
    for (int np = 0; np <= 2; np += 2) {
      g_autofree char *model = g_strdup_printf ("%s/lenet%d-%s.safetensors", tmp, np, seeds[s]);
      g_autofree char *log = g_strdup_printf ("%s/lenet%d-%s.jsonl", tmp, np, seeds[s]);
      const char *args[] = { SPEC_DIR "/fashion-lenet.json", "--data", tdata, "--val", vdata, "--epochs", "3",
                             "--batch", "64", "--lr", "0.001", "--seed", seeds[s], "--early-stop", "4", "--log", log,
                             "-o", model, NULL };
      char *out = NULL;
      int st = nn_train_ranks (np, &out, 1200, args);
      ck_assert_msg (st == 0, "%d ranks: exit %d\n%s", np, st, tail_of (out));
      g_free (out);
      acc[np] = last_val_acc (log);
      mean[np] += acc[np] / n_seeds;
    }
    printf ("fashion-lenet, 3 epochs, seed %s: held-out accuracy %.2f %% in one process, %.2f %% on 2 ranks\n",
            seeds[s], 100 * acc[0], 100 * acc[2]);
    ck_assert_msg (acc[0] > (small ? 0.65 : 0.86), "one process learned too little: %.4f", acc[0]);
  }
  printf ("fashion-lenet, 3 epochs, mean of %d seeds: %.2f %% in one process, %.2f %% on 2 ranks\n", n_seeds,
          100 * mean[0], 100 * mean[2]);
  ck_assert_msg (fabs (mean[0] - mean[2]) * 100.0 <= tolerance,
                 "mean held-out accuracy %.2f %% alone, %.2f %% on 2 ranks", 100 * mean[0], 100 * mean[2]);
}
END_TEST

/* ---- a rank that dies ends the job -------------------------------------- */

/* The pid of the nn process that is rank `rank` among the children of
 * `parent` (mpirun starts a single machine's ranks itself). */
static GPid
find_rank (GPid parent, int rank)
{
  g_autofree char *want = g_strdup_printf ("OMPI_COMM_WORLD_RANK=%d", rank);
  GDir *d = g_dir_open ("/proc", 0, NULL);
  GPid found = 0;
  for (const char *n; !found && (n = g_dir_read_name (d));) {
    if (!g_ascii_isdigit (n[0]))
      continue;
    g_autofree char *stat_path = g_strdup_printf ("/proc/%s/stat", n);
    g_autofree char *env_path = g_strdup_printf ("/proc/%s/environ", n);
    g_autofree char *stat = NULL, *env = NULL;
    gsize len = 0;
    if (!g_file_get_contents (stat_path, &stat, NULL, NULL) || !g_file_get_contents (env_path, &env, &len, NULL))
      continue;
    /* pid (comm) state ppid ... */
    const char *close_paren = strrchr (stat, ')');
    int ppid = 0;
    if (!close_paren || sscanf (close_paren + 1, " %*c %d", &ppid) != 1 || ppid != parent)
      continue;
    for (gsize o = 0; o < len; o += strlen (env + o) + 1)
      if (g_str_equal (env + o, want))
        found = (GPid) g_ascii_strtoll (n, NULL, 10);
  }
  g_dir_close (d);
  return found;
}

START_TEST (test_rank_death_ends_job)
{
  g_autofree char *train = tmp_path ("train");
  fashion_subset (FASHION_DIR "/train", train, 4000);
  g_autofree char *tdata = g_strconcat ("idx:", train, NULL), *model = tmp_path ("never.safetensors");
  g_autofree char *cmd = g_strdup_printf ("exec %s --allow-run-as-root --oversubscribe -np 2 %s train "
                                          SPEC_DIR "/fashion-lenet.json --data %s --epochs 1000 -o %s 2>&1",
                                          MPIRUN_PATH, NN_CLI_PATH, tdata, model);
  char *argv[] = { "/bin/sh", "-c", cmd, NULL };
  GError *e = NULL;
  GPid mpirun;
  int fd;
  ck_assert_msg (g_spawn_async_with_pipes (NULL, argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD, new_group, NULL, &mpirun,
                                           NULL, &fd, NULL, &e), "%s", e ? e->message : "");
  g_unix_set_fd_nonblocking (fd, TRUE, NULL);
  GString *text = g_string_new (NULL);
  char buf[4096];
  ssize_t r;
  /* rank 0 prints "training on" once the ranks have joined and loaded the
   * data; then let them train a moment and kill rank 1 */
  gint64 deadline = g_get_monotonic_time () + 600 * G_USEC_PER_SEC;
  while (!strstr (text->str, "training on") && g_get_monotonic_time () < deadline) {
    while ((r = read (fd, buf, sizeof buf)) > 0)
      g_string_append_len (text, buf, r);
    g_usleep (50000);
  }
  GPid victim = strstr (text->str, "training on") ? find_rank (mpirun, 1) : 0;
  if (victim) {
    g_usleep (G_USEC_PER_SEC);
    kill (victim, SIGKILL);
  }
  int status = 0;
  gboolean ended = FALSE;
  gint64 killed_at = g_get_monotonic_time ();
  while (victim && !ended && g_get_monotonic_time () < killed_at + 60 * G_USEC_PER_SEC) {
    while ((r = read (fd, buf, sizeof buf)) > 0)
      g_string_append_len (text, buf, r);
    ended = waitpid (mpirun, &status, WNOHANG) == mpirun;
    if (!ended)
      g_usleep (50000);
  }
  double waited = (g_get_monotonic_time () - killed_at) / 1e6;
  if (!ended) {
    kill (-mpirun, SIGKILL);
    waitpid (mpirun, &status, 0);
  }
  while ((r = read (fd, buf, sizeof buf)) > 0)
    g_string_append_len (text, buf, r);
  close (fd);
  g_spawn_close_pid (mpirun);
  char *out = g_string_free (text, FALSE);
  ck_assert_msg (victim != 0, "rank 1 not found or training never began:\n%s", tail_of (out));
  ck_assert_msg (ended, "mpirun still running %.0f s after rank 1 was killed:\n%s", waited, tail_of (out));
  ck_assert_msg (WIFEXITED (status) && WEXITSTATUS (status) != 0, "mpirun exit status %d after a rank died:\n%s",
                 status, tail_of (out));
  /* mpirun's own report names the rank and the signal */
  ck_assert_msg (strstr (out, "rank 1") && strstr (out, "signal 9"), "no clear error:\n%s", tail_of (out));
  ck_assert (!g_file_test (model, G_FILE_TEST_EXISTS));
  g_free (out);
}
END_TEST

static Suite *
mpi_suite (void)
{
  Suite *s = suite_create ("mpi");
  /* CK_RUN_CASE=steps|death|fashion runs one of them */
  TCase *steps = tcase_create ("steps"), *death = tcase_create ("death"), *fashion = tcase_create ("fashion");
  TCase *all[] = { steps, death, fashion };
  for (gsize i = 0; i < G_N_ELEMENTS (all); i++) {
    tcase_add_checked_fixture (all[i], setup, teardown);
    tcase_set_timeout (all[i], 3000);
    suite_add_tcase (s, all[i]);
  }
  /* adam, then momentum SGD */
  tcase_add_loop_test (steps, test_ten_steps_same_weights, 0, 2);
  tcase_add_test (steps, test_checkpoint_resume);
  tcase_add_test (death, test_rank_death_ends_job);
  tcase_add_test (fashion, test_fashion_lenet_three_epochs);
  return s;
}

int
main (void)
{
  SRunner *r = srunner_create (mpi_suite ());
  srunner_run_all (r, CK_NORMAL);
  int failed = srunner_ntests_failed (r);
  srunner_free (r);
  return failed ? 1 : 0;
}
