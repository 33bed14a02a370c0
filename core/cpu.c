/* The kernel path, chosen once at load time (cpu-private.h). AVX-512 needs the
 * CPU's flags and the OS saving the opmask and upper ZMM state (XCR0 bits 5-7,
 * read with xgetbv); AVX2 the YMM state (bits 1-2). */
#include "nn-private.h"
#include "cpu-private.h"
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

int nn_cpu_selected = NN_CPU_PORTABLE;

static const char *const path_names[NN_CPU_N_PATHS] = {
  [NN_CPU_PORTABLE] = "portable",
  [NN_CPU_AVX2] = "avx2",
  [NN_CPU_AVX512] = "avx512",
};
G_STATIC_ASSERT (G_N_ELEMENTS (path_names) == NN_CPU_N_PATHS);

static gboolean can_run[NN_CPU_N_PATHS];
static char *requested;        /* NN_CPU as given, when it could not be honoured */
static char available[32];     /* "portable avx2 ..." */

#if defined(__x86_64__) || defined(__i386__)
static guint64
xcr0 (void)
{
  unsigned a, b, c, d;
  if (!__get_cpuid (1, &a, &b, &c, &d) || !(c & bit_OSXSAVE))
    return 0;
  unsigned lo, hi;
  __asm__ volatile ("xgetbv" : "=a" (lo), "=d" (hi) : "c" (0));
  return ((guint64) hi << 32) | lo;
}
#endif

static void
detect (void)
{
  can_run[NN_CPU_PORTABLE] = TRUE;
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init ();
  guint64 x = xcr0 ();
  gboolean ymm = (x & 0x06) == 0x06, zmm = (x & 0xe6) == 0xe6;
  can_run[NN_CPU_AVX2] = ymm && __builtin_cpu_supports ("avx2") && __builtin_cpu_supports ("fma");
  can_run[NN_CPU_AVX512] = can_run[NN_CPU_AVX2] && zmm && __builtin_cpu_supports ("avx512f") &&
                           __builtin_cpu_supports ("avx512bw") && __builtin_cpu_supports ("avx512vl") &&
                           __builtin_cpu_supports ("avx512dq");
#endif
}

/* Before main, so that every thread reads a settled value. */
__attribute__ ((constructor)) static void
nn_cpu_select (void)
{
  detect ();
  int best = NN_CPU_PORTABLE;
  for (int p = 0; p < NN_CPU_N_PATHS; p++)
    if (can_run[p])
      best = p;
  nn_cpu_selected = best;
  for (int p = 0; p < NN_CPU_N_PATHS; p++)
    if (can_run[p]) {
      if (available[0])
        g_strlcat (available, " ", sizeof available);
      g_strlcat (available, path_names[p], sizeof available);
    }
  const char *env = g_getenv ("NN_CPU");
  if (!env || !*env)
    return;
  for (int p = 0; p < NN_CPU_N_PATHS; p++)
    if (g_str_equal (env, path_names[p]) && can_run[p]) {
      nn_cpu_selected = p;
      return;
    }
  requested = g_strdup (env);
}

gboolean
nn_cpu_can_run (NnCpuPath path)
{
  return path >= 0 && path < NN_CPU_N_PATHS && can_run[path];
}

gboolean
nn_cpu_check (GError **error)
{
  if (!requested)
    return TRUE;
  for (int p = 0; p < NN_CPU_N_PATHS; p++)
    if (g_str_equal (requested, path_names[p])) {
      g_set_error (error, NN_ERROR, NN_ERROR_INVALID, "NN_CPU=%s: this CPU cannot run the %s kernels (it runs: %s)",
                   requested, path_names[p], available);
      return FALSE;
    }
  g_set_error (error, NN_ERROR, NN_ERROR_INVALID, "NN_CPU=%s: unknown kernel path (portable, avx2 or avx512)",
               requested);
  return FALSE;
}

const char *
nn_cpu_path_name (void)
{
  return path_names[nn_cpu_selected];
}

const char *
nn_cpu_paths_available (void)
{
  return available;
}
