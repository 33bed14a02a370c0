#!/usr/bin/env bash
# Conditional DCGAN (models/fashion-dcgan-{g,d}.json) against PyTorch 1.13 in
# the same run on this machine, each side on 1 and on 2 threads (PyTorch with
# OPENBLAS_NUM_THREADS=1): one training iteration at batch 64 (generator step +
# discriminator step, Adam) and generation at batch 1. Each figure: the median
# of REPEAT (>= 5) processes, each timing the median of RUNS iterations (20 x
# RUNS frames for generation); min and max in brackets.
# Usage: bench/bench-gan.sh [BUILDDIR] [--append]   (appends to bench/RESULTS.md)
set -euo pipefail
cd "$(dirname "$0")/.."
B=${1:-build}
RUNS=${RUNS:-10}
. bench/lib.sh
ours() { BENCH_THREADS=$3 NN_SOURCE_ROOT=. stats "$B/bench/bench-gan" "$1" "$2"; }
theirs() { OPENBLAS_NUM_THREADS=1 BENCH_THREADS=$3 stats /usr/bin/python3 bench/bench_gan_torch.py "$1" "$2"; }
lowest() { printf '%s\n' "$@" | sort -g | head -1; }
highest() { printf '%s\n' "$@" | sort -g | tail -1; }

a1=$(ours train "$RUNS" 1); a2=$(ours train "$RUNS" 2); b1=$(theirs train "$RUNS" 1); b2=$(theirs train "$RUNS" 2)
a=$(lowest "$(med "$a1")" "$(med "$a2")"); b=$(lowest "$(med "$b1")" "$(med "$b2")")
n=$((RUNS * 20))
c1=$(ours generate $n 1); c2=$(ours generate $n 2); d1=$(theirs generate $n 1); d2=$(theirs generate $n 2)
c=$(highest "$(med "$c1")" "$(med "$c2")"); d=$(highest "$(med "$d1")" "$(med "$d2")")
table=$(cat <<EOT
### Conditional DCGAN (fashion-dcgan: G 74x1x1 -> 28x28, D 28x28 -> 10 logits), $(date -u +%Y-%m-%d)

$(bench/cpuinfo.sh "$B")
- medians of $REPEAT runs (min–max)

| benchmark | gst-nn 1 thread | gst-nn 2 threads | PyTorch 1 thread | PyTorch 2 threads | best against best |
| --- | --- | --- | --- | --- | --- |
| training iteration, batch 64 (G step + D step on 64 real + 64 fake, Adam), ms | $(fmt "$a1") | $(fmt "$a2") | $(fmt "$b1") | $(fmt "$b2") | $(calc "$b / $a")x faster |
| generation, batch 1, frames/s | $(fmt "$c1") | $(fmt "$c2") | $(fmt "$d1") | $(fmt "$d2") | $(calc "$c / $d")x faster |
EOT
)
echo "$table"
if [ "${2:-}" = --append ]; then
  printf '\n%s\n' "$table" >> bench/RESULTS.md
fi
