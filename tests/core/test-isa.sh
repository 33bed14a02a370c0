#!/usr/bin/env bash
# The packaged build runs on any x86-64 (docs/cpu-dispatch.md): in libnn (the
# first argument) no instruction on ymm or zmm registers outside the kernels'
# AVX2 and AVX-512 variants (functions NAME_avx2, NAME_avx512 and GCC's clones
# of them), and none at all in the other binaries given (plugin, CLI, tools).
# NN_ISA_ALSO: names of AVX2 kernels behind the same path check under names
# of their own (core/gemm.c). Both variants must be there, with wide registers in them: at least MIN of
# each (the auto-vectorised kernels need -O3; at -O2 only the hand-written
# vector ones are wide).
# Usage: test-isa.sh MIN LIBNN [BINARY...]
set -euo pipefail
[ "$(uname -m)" = x86_64 ] || { echo "not x86-64: nothing to check"; exit 0; }
fail=0
# objdump -d: "<function>:" headers, then the function's instructions
wide() { objdump -d --no-show-raw-insn "$1" | awk '/^[0-9a-f]+ <.*>:$/ { f = substr($2, 2, length($2) - 3); next }
  /%[yz]mm[0-9]/ { n[f]++; if (index($0, "%zmm")) z[f]++ } END { for (k in n) print k, n[k], z[k] + 0 }'; }
min=$1 lib=$2
shift 2
v2=0 v512=0
while read -r fn count zmm; do
  if [[ $fn =~ _avx2(\.[a-z]+(\.[0-9]+)?)*$ ]]; then
    v2=$((v2 + 1))
    if [ "$zmm" -gt 0 ]; then echo "FAIL: $lib: $fn (AVX2 variant) uses zmm"; fail=1; fi
  elif [[ $fn =~ _avx512(\.[a-z]+(\.[0-9]+)?)*$ ]]; then
    [ "$zmm" -gt 0 ] && v512=$((v512 + 1))
  elif [[ " ${NN_ISA_ALSO:-} " == *" ${fn%%.*} "* ]]; then
    # an AVX2 kernel with its own name behind the same check (NN_ISA_ALSO)
    if [ "$zmm" -gt 0 ]; then echo "FAIL: $lib: $fn (AVX2 kernel) uses zmm"; fail=1; fi
  else
    echo "FAIL: $lib: $fn has $count ymm/zmm instructions outside the dispatched variants"
    fail=1
  fi
done < <(wide "$lib")
echo "$lib: $v2 AVX2 variants with ymm, $v512 AVX-512 variants with zmm"
[ "$v2" -ge "$min" ] || { echo "FAIL: $lib: expected the AVX2 kernels (found $v2)"; fail=1; }
[ "$v512" -ge "$min" ] || { echo "FAIL: $lib: expected the AVX-512 kernels (found $v512)"; fail=1; }
for bin in "$@"; do
  found=$(wide "$bin")
  if [ -n "$found" ]; then
    echo "FAIL: $bin: ymm/zmm instructions in:"; echo "$found" | head -20; fail=1
  else
    echo "$bin: baseline only"
  fi
done
exit $fail
