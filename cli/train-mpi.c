/* nn train over MPI: the transport of the trainer's data-parallel hooks
 * (NnTrainDist). Started by mpirun, nn train joins MPI_COMM_WORLD; started
 * alone, or built without MPI, it trains in one process. */
#include "nn-cli.h"
#include <limits.h>

#if NN_HAVE_MPI
#include <mpi.h>

static gboolean mpi_started;

static gboolean
mpi_check (int rc, const char *what, GError **error)
{
  if (rc == MPI_SUCCESS)
    return TRUE;
  char msg[MPI_MAX_ERROR_STRING];
  int len = 0;
  MPI_Error_string (rc, msg, &len);
  g_set_error (error, NN_ERROR, NN_ERROR_FAILED, "%s failed: %.*s", what, len, msg);
  return FALSE;
}

static gboolean
count_fits (gsize n, GError **error)
{
  if (n <= INT_MAX)
    return TRUE;
  g_set_error (error, NN_ERROR, NN_ERROR_FAILED, "%" G_GSIZE_FORMAT " values are more than one MPI call takes", n);
  return FALSE;
}

static gboolean
mpi_allreduce (float *buf, gsize n, gpointer user, GError **error)
{
  return count_fits (n, error) &&
         mpi_check (MPI_Allreduce (MPI_IN_PLACE, buf, (int) n, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD), "MPI_Allreduce", error);
}

static gboolean
mpi_broadcast (float *buf, gsize n, gpointer user, GError **error)
{
  return count_fits (n, error) && mpi_check (MPI_Bcast (buf, (int) n, MPI_FLOAT, 0, MPI_COMM_WORLD), "MPI_Bcast", error);
}
#endif

/* mpirun (Open MPI) and srun/PMIx say so in the environment */
static int
launcher_size (void)
{
  const char *v = g_getenv ("OMPI_COMM_WORLD_SIZE");
  if (!v)
    v = g_getenv ("PMIX_SIZE");
  return v ? (int) g_ascii_strtoll (v, NULL, 10) : 0;
}

gboolean
cli_mpi_init (NnTrainDist *d, GError **error)
{
  *d = (NnTrainDist) { .rank = 0, .size = 1 };
  if (launcher_size () < 2)
    return TRUE;
#if NN_HAVE_MPI
  int size, rank;
  if (!mpi_check (MPI_Init (NULL, NULL), "MPI_Init", error))
    return FALSE;
  mpi_started = TRUE;
  /* errors come back as GErrors; the caller then ends the whole job with
   * MPI_Abort (cli_mpi_end), so no rank waits forever on one that failed */
  MPI_Comm_set_errhandler (MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  MPI_Comm_size (MPI_COMM_WORLD, &size);
  MPI_Comm_rank (MPI_COMM_WORLD, &rank);
  *d = (NnTrainDist) { .rank = rank, .size = size, .allreduce = mpi_allreduce, .broadcast = mpi_broadcast };
  return TRUE;
#else
  /* each process would train the whole model alone and write the same file */
  g_set_error (error, NN_ERROR, NN_ERROR_FAILED,
               "started by mpirun with %d processes, but this nn was built without MPI (meson setup -Dmpi=enabled)",
               launcher_size ());
  return FALSE;
#endif
}

int
cli_mpi_default_threads (const NnTrainDist *d)
{
  if (d->size < 2)
    return 0;
  /* the ranks on this machine share its cores */
  const char *v = g_getenv ("OMPI_COMM_WORLD_LOCAL_SIZE");
  int local = v ? (int) g_ascii_strtoll (v, NULL, 10) : d->size;
  return MAX (1, (int) g_get_num_processors () / MAX (local, 1));
}

int
cli_mpi_end (int status)
{
#if NN_HAVE_MPI
  if (mpi_started) {
    mpi_started = FALSE;
    if (status != 0)
      MPI_Abort (MPI_COMM_WORLD, status);
    MPI_Finalize ();
  }
#endif
  return status;
}
