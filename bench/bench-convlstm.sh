#!/usr/bin/env bash
# ConvLSTM against PyTorch 1.13 (hand-written cell) in the same run on this
# machine, each side on 1 and on 2 threads (gst-nn: nn_set_threads; PyTorch:
# torch.set_num_threads with OPENBLAS_NUM_THREADS=1): training step (batch 16,
# 10 frames 1x32x32, hidden 16) and per-frame streaming latency. Each figure:
# the median of REPEAT (>= 5) processes, each timing the median of its
# iterations (RUNS training steps); min and max in brackets.
# Usage: bench/bench-convlstm.sh [BUILDDIR] [--append]   (appends to bench/RESULTS.md)
set -euo pipefail
cd "$(dirname "$0")/.."
B=${1:-build}
RUNS=${RUNS:-10}
. bench/lib.sh
ours() { BENCH_THREADS=$3 stats "$B/bench/bench-convlstm" "$1" "$2"; }
theirs() { OPENBLAS_NUM_THREADS=1 BENCH_THREADS=$3 stats /usr/bin/python3 bench/bench_convlstm_torch.py "$1" "$2"; }
lowest() { printf '%s\n' "$@" | sort -g | head -1; }

rows=""
for what in train stream window; do
  case $what in
    train) runs=$RUNS; label="training step, batch 16 x 10 frames, ms (fwd + CE + bwd + Adam)" ;;
    stream) runs=$((RUNS * 40)); label="streaming, one frame (state carried), µs" ;;
    window) runs=$((RUNS * 10)); label="re-running the 10-frame window per frame, µs" ;;
  esac
  a1=$(ours $what $runs 1); a2=$(ours $what $runs 2); b1=$(theirs $what $runs 1); b2=$(theirs $what $runs 2)
  a=$(lowest "$(med "$a1")" "$(med "$a2")"); b=$(lowest "$(med "$b1")" "$(med "$b2")")
  rows+="| $label | $(fmt "$a1") | $(fmt "$a2") | $(fmt "$b1") | $(fmt "$b2") | $(calc "$b / $a") |"$'\n'
done
table=$(cat <<EOT
### ConvLSTM (convlstm2d hidden 16, kernel 3, 1x32x32 frames), $(date -u +%Y-%m-%d)

$(bench/cpuinfo.sh "$B")
- medians of $REPEAT runs (min–max)

| benchmark | gst-nn 1 thread | gst-nn 2 threads | PyTorch 1 thread | PyTorch 2 threads | PyTorch best / gst-nn best |
| --- | --- | --- | --- | --- | --- |
${rows%$'\n'}
EOT
)
echo "$table"
if [ "${2:-}" = --append ]; then
  printf '\n%s\n' "$table" >> bench/RESULTS.md
fi
