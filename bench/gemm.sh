#!/usr/bin/env bash
# Which single-precision GEMM is fastest on our models' products (issue 19):
# OpenBLAS (core/'s reference path), BLIS, libxsmm, oneDNN and our kernel
# (core/gemm.c) in one run, per shape class (batch-1 inference, batch-64
# inference, training at batch 64), on 1 thread and on 2 where a library
# threads; each result checked against OpenBLAS's. Builds nothing: run
# `ninja -C build` first (the libraries: scripts/install-deps.sh --dev).
# Usage: bench/gemm.sh [BUILDDIR] [--append]   (appends to bench/RESULTS.md)
#   REPEATS (default 9, >= 5), MS per repeat (default 3), THREADS (default 1,2),
#   CLOCK=thread: CPU time of the calling thread (a loaded machine; 1 thread only)
# Prints Markdown: the machine, a table per class and thread count, the winner.
set -euo pipefail
cd "$(dirname "$0")/.."
B=${1:-build}
exe=$B/bench/bench-gemm
[ -x "$exe" ] || { echo "$exe not built: ninja -C $B" >&2; exit 1; }
args=(--repeats "${REPEATS:-9}" --ms "${MS:-3}" --threads "${THREADS:-1,2}" --clock "${CLOCK:-wall}")
load=$(cut -d' ' -f1 /proc/loadavg)
table=$(cat <<EOT
### Small-matrix libraries, $(date -u +%Y-%m-%d): \`REPEATS=${REPEATS:-9} MS=${MS:-3} THREADS=${THREADS:-1,2} CLOCK=${CLOCK:-wall} bench/gemm.sh\`

Load average at the start: $load ($(nproc) cores).

$("$exe" "${args[@]}")
EOT
)
echo "$table"
if [ "${2:-}" = --append ]; then
  printf '\n%s\n' "$table" >> bench/RESULTS.md
fi
