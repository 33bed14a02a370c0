#!/usr/bin/env bash
# The machine a benchmark table was measured on, printed above every table:
# CPU model, its vector extensions (present and absent), cores, the BLAS that
# answers cblas_sgemm and OpenBLAS's kernel, libnn's version and kernel path,
# the commit and the date. Figures from two machines are not comparable
# without these lines (issue 19: the lead changes sign between CPUs).
# Usage: bench/cpuinfo.sh [BUILDDIR]
set -euo pipefail
cd "$(dirname "$0")/.."
B=${1:-build}
model=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
flags=" $(awk -F': ' '/^flags/ { print $2; exit }' /proc/cpuinfo) "
have=() lack=()
for f in sse4_2 avx avx2 fma f16c avx512f avx512bw avx512vl avx512dq avx512_vnni avx512_bf16 avx_vnni amx_tile; do
  if [[ $flags == *" $f "* ]]; then have+=("$f"); else lack+=("$f"); fi
done
sockets=$(awk -F': ' '/^physical id/ { print $2 }' /proc/cpuinfo | sort -u | wc -l)
cores=$(awk -F': ' '/^core id/ { print $2 }' /proc/cpuinfo | sort -u | wc -l)
blas=$("$B/bench/bench-nn" blas 2>/dev/null || echo "unknown ($B/bench/bench-nn blas failed)")
# the version, and libnn's runtime kernel path (nn --cpu; NN_CPU overrides it)
version=$("$B/cli/nn" --version 2>/dev/null || true)
kernels=$("$B/cli/nn" --cpu 2>&1 || true)
version+="${kernels:+; $kernels}"
# libnn's matrix products (core/gemm.c): its own AVX2+FMA kernel for products
# up to 2^24 multiply-adds where the CPU has both, OpenBLAS otherwise; NN_GEMM
# forces one. The library reports no path, so this follows its rule.
case ${NN_GEMM:-auto} in
  openblas) gemm="OpenBLAS (NN_GEMM=openblas)" ;;
  kernel) gemm="libnn's AVX2+FMA kernel (NN_GEMM=kernel)" ;;
  *) if [ "${NN_CPU:-}" = portable ]; then
       gemm="OpenBLAS (NN_CPU=portable)"
     elif [[ $flags == *" avx2 "* && $flags == *" fma "* ]]; then
       gemm="libnn's AVX2+FMA kernel up to 2^24 multiply-adds, OpenBLAS above"
     else
       gemm="OpenBLAS (no AVX2+FMA)"
     fi ;;
esac
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
git diff --quiet HEAD -- 2>/dev/null || commit+=" (with uncommitted changes)"
echo "- CPU: $model; $(nproc) CPUs online ($cores cores per socket x $sockets sockets listed); ${NN_CPU:+NN_CPU=$NN_CPU; }load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "- vector extensions present: ${have[*]:-none}; absent: ${lack[*]:-none}"
echo "- BLAS: $blas; libnn's products: $gemm"
echo "- libnn: ${version:-nn not built in $B}"
echo "- commit $commit, $(date -u '+%Y-%m-%d %H:%M UTC')"
