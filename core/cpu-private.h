/* Runtime CPU dispatch (core/cpu.c, docs/cpu-dispatch.md). libnn is built for
 * baseline x86-64; only the hot loops measured to lose under baseline flags
 * are kernels, each compiled three times from one always_inline body: plain
 * (baseline), AVX2+FMA and AVX-512, in functions carrying a target attribute
 * (GCC inlines the baseline body into the wider caller and vectorises it
 * there). One path is chosen at load time from the CPU, or NN_CPU.
 *
 *   static inline __attribute__ ((always_inline)) void
 *   relu_body (const float *x, float *y, int64_t n) { ... }
 *   NN_CPU_KERNEL (relu, (const float *x, float *y, int64_t n), (x, y, n))
 *   ... NN_CPU_CALL (relu) (x, y, n);
 *
 * libnn is compiled with -ffp-contract=fast, so the wider paths fuse
 * multiply-adds (baseline x86-64 has no FMA instruction to fuse into). */
#pragma once
#include <glib.h>

typedef enum {
  NN_CPU_PORTABLE,
  NN_CPU_AVX2,      /* AVX2 + FMA */
  NN_CPU_AVX512,    /* AVX-512 F, BW, VL, DQ + FMA, 512-bit vectors */
  NN_CPU_N_PATHS
} NnCpuPath;

/* The path the kernels take, set once by a constructor in cpu.c before main:
 * the best the CPU (and the OS) runs, or the one NN_CPU names if the CPU runs
 * it. A variable, not a call, so that a kernel call costs one load. */
extern int nn_cpu_selected;

/* nn_cpu_check (nn.h): layer creation reports a bad NN_CPU with it. */
/* What the CPU runs, NN_CPU aside. */
gboolean nn_cpu_can_run (NnCpuPath path);

#if defined(__x86_64__) || defined(__i386__)
#define NN_TARGET_AVX2 __attribute__ ((target ("avx2,fma")))
#define NN_TARGET_AVX512 \
  __attribute__ ((target ("avx512f,avx512bw,avx512vl,avx512dq,avx2,fma,prefer-vector-width=512")))
#else
#define NN_TARGET_AVX2
#define NN_TARGET_AVX512
#endif

/* The three variants of NAME_body and the table NAME_paths (by NnCpuPath).
 * ATTRS: attributes the body needs on its callers too (optimize flags). */
#define NN_CPU_KERNEL_ATTRS(attrs, name, params, args) \
  attrs static void name##_portable params { name##_body args; } \
  attrs NN_TARGET_AVX2 static void name##_avx2 params { name##_body args; } \
  attrs NN_TARGET_AVX512 static void name##_avx512 params { name##_body args; } \
  __attribute__ ((unused)) static void (*const name##_paths[NN_CPU_N_PATHS]) params = { \
    name##_portable, name##_avx2, name##_avx512 };
#define NN_CPU_KERNEL(name, params, args) NN_CPU_KERNEL_ATTRS (, name, params, args)

#define NN_CPU_CALL(name) (name##_paths[nn_cpu_selected])
