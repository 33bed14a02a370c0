#!/usr/bin/env bash
# ConvLSTM against PyTorch 1.13 (hand-written cell), both on one thread, in
# the same run on this machine: training step (batch 16, 10 frames 1x32x32,
# hidden 16) and per-frame streaming latency; medians of RUNS.
# Usage: bench/bench-convlstm.sh [BUILDDIR] [--append]   (appends to bench/RESULTS.md)
set -euo pipefail
cd "$(dirname "$0")/.."
B=${1:-build}
RUNS=${RUNS:-30}
ours() { "$B/bench/bench-convlstm" "$1" "$2"; }
theirs() { OPENBLAS_NUM_THREADS=1 BENCH_THREADS=1 /usr/bin/python3 bench/bench_convlstm_torch.py "$1" "$2"; }
calc() { awk "BEGIN { printf \"%.2f\", $1 }"; }

a=$(ours train "$RUNS"); b=$(theirs train "$RUNS")
c=$(ours stream $((RUNS * 20))); d=$(theirs stream $((RUNS * 20)))
e=$(ours window $((RUNS * 5))); f=$(theirs window $((RUNS * 5)))
table=$(cat <<EOF
### ConvLSTM (convlstm2d hidden 16, kernel 3, 1x32x32 frames), 1 thread each, $(date -u +%Y-%m-%d)

| benchmark | gst-nn | PyTorch 1.13 | PyTorch / gst-nn |
| --- | --- | --- | --- |
| training step, batch 16 x 10 frames, ms (fwd + CE + bwd + Adam) | $a | $b | $(calc "$b / $a") |
| streaming, one frame (state carried), µs | $c | $d | $(calc "$d / $c") |
| re-running the 10-frame window per frame, µs | $e | $f | $(calc "$f / $e") |
EOF
)
echo "$table"
if [ "${2:-}" = --append ]; then
  printf '\n%s\n' "$table" >> bench/RESULTS.md
fi
