/* The library's own threads: OpenMP teams that split a batch's samples (or
 * a dense product's rows or units) over the cores. OpenBLAS is kept to one thread, so every
 * product runs inside one of these threads and the two pools never fight
 * over the cores; at LeNet-sized products OpenBLAS's own threading does not
 * pay anyway (bench/RESULTS.md). */
#include "nn-private.h"
#include <cblas.h>
#include <omp.h>

static int n_threads;   /* 0: not set yet, use the cores */
/* this thread's own cap (0: none): a shared instance's batcher keeps its
 * batches on itself while the streams' threads hold the other cores */
static __thread int thread_limit;

void
nn_parallel_limit_thread (int n)
{
  thread_limit = MAX (n, 0);
}

void
nn_set_thread_limit (int n)
{
  nn_parallel_limit_thread (n);
}

static int
cores (void)
{
  return CLAMP ((int) g_get_num_processors (), 1, NN_MAX_THREADS);
}

void
nn_set_threads (int n)
{
  g_atomic_int_set (&n_threads, n < 1 ? cores () : MIN (n, NN_MAX_THREADS));
  openblas_set_num_threads (1);
}

int
nn_get_threads (void)
{
  int n = g_atomic_int_get (&n_threads);
  if (n == 0) {
    /* first use: whatever the process left OpenBLAS at, it runs single */
    nn_set_threads (cores ());
    n = g_atomic_int_get (&n_threads);
  }
  return n;
}

int
nn_parallel_team (int n, int max_threads)
{
  int nt = MIN (MIN (n, max_threads), nn_get_threads ());
  if (thread_limit > 0)
    nt = MIN (nt, thread_limit);
  return nt < 1 || omp_in_parallel () ? 1 : nt;
}

void
nn_parallel_for (int n, int max_threads, NnRangeFunc fn, gpointer data)
{
  int nt = nn_parallel_team (n, max_threads);
  if (nt <= 1) {
    if (n > 0)
      fn (0, n, 0, data);
    return;
  }
#pragma omp parallel num_threads (nt)
  {
    int t = omp_get_thread_num (), k = omp_get_num_threads ();
    int lo = (int) ((int64_t) n * t / k), hi = (int) ((int64_t) n * (t + 1) / k);
    if (lo < hi)
      fn (lo, hi, t, data);
  }
}
