#!/usr/bin/env bash
# Conditional DCGAN (models/fashion-dcgan-{g,d}.json) against PyTorch 1.13 in
# the same run on this machine, each side on 1 and on 2 threads (PyTorch with
# OPENBLAS_NUM_THREADS=1): one training iteration at batch 64 (generator step +
# discriminator step, Adam) and generation at batch 1; medians of RUNS.
# Usage: bench/bench-gan.sh [BUILDDIR] [--append]   (appends to bench/RESULTS.md)
set -euo pipefail
cd "$(dirname "$0")/.."
B=${1:-build}
RUNS=${RUNS:-30}
ours() { BENCH_THREADS=$3 NN_SOURCE_ROOT=. "$B/bench/bench-gan" "$1" "$2"; }
theirs() { OPENBLAS_NUM_THREADS=1 BENCH_THREADS=$3 /usr/bin/python3 bench/bench_gan_torch.py "$1" "$2"; }
calc() { awk "BEGIN { printf \"%.2f\", $1 }"; }

a1=$(ours train "$RUNS" 1); a2=$(ours train "$RUNS" 2); b1=$(theirs train "$RUNS" 1); b2=$(theirs train "$RUNS" 2)
a=$(printf '%s\n%s\n' "$a1" "$a2" | sort -g | head -1); b=$(printf '%s\n%s\n' "$b1" "$b2" | sort -g | head -1)
n=$((RUNS * 20))
c1=$(ours generate $n 1); c2=$(ours generate $n 2); d1=$(theirs generate $n 1); d2=$(theirs generate $n 2)
c=$(printf '%s\n%s\n' "$c1" "$c2" | sort -g | tail -1); d=$(printf '%s\n%s\n' "$d1" "$d2" | sort -g | tail -1)
table=$(cat <<EOT
### Conditional DCGAN (fashion-dcgan: G 74x1x1 -> 28x28, D 28x28 -> 10 logits), $(date -u +%Y-%m-%d)

| benchmark | gst-nn 1 thread | gst-nn 2 threads | PyTorch 1 thread | PyTorch 2 threads | best against best |
| --- | --- | --- | --- | --- | --- |
| training iteration, batch 64 (G step + D step on 64 real + 64 fake, Adam), ms | $a1 | $a2 | $b1 | $b2 | $(calc "$b / $a")x faster |
| generation, batch 1, frames/s | $c1 | $c2 | $d1 | $d2 | $(calc "$c / $d")x faster |
EOT
)
echo "$table"
if [ "${2:-}" = --append ]; then
  printf '\n%s\n' "$table" >> bench/RESULTS.md
fi
