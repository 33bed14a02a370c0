#!/usr/bin/env bash
# Conditional DCGAN (models/fashion-dcgan-{g,d}.json) against PyTorch 1.13,
# both on one thread, in the same run on this machine: one training iteration
# at batch 64 (generator step + discriminator step, Adam) and generation at
# batch 1; medians of RUNS.
# Usage: bench/bench-gan.sh [BUILDDIR] [--append]   (appends to bench/RESULTS.md)
set -euo pipefail
cd "$(dirname "$0")/.."
B=${1:-build}
RUNS=${RUNS:-30}
ours() { NN_SOURCE_ROOT=. "$B/bench/bench-gan" "$1" "$2"; }
theirs() { OPENBLAS_NUM_THREADS=1 BENCH_THREADS=1 /usr/bin/python3 bench/bench_gan_torch.py "$1" "$2"; }
calc() { awk "BEGIN { printf \"%.2f\", $1 }"; }

a=$(ours train "$RUNS"); b=$(theirs train "$RUNS")
c=$(ours generate $((RUNS * 20))); d=$(theirs generate $((RUNS * 20)))
table=$(cat <<EOT
### Conditional DCGAN (fashion-dcgan: G 74x1x1 -> 28x28, D 28x28 -> 10 logits), 1 thread each, $(date -u +%Y-%m-%d)

| benchmark | gst-nn | PyTorch 1.13 | gst-nn speed-up |
| --- | --- | --- | --- |
| training iteration, batch 64 (G step + D step on 64 real + 64 fake, Adam), ms | $a | $b | $(calc "$b / $a") |
| generation, batch 1, frames/s | $c | $d | $(calc "$c / $d") |
EOT
)
echo "$table"
if [ "${2:-}" = --append ]; then
  printf '\n%s\n' "$table" >> bench/RESULTS.md
fi
