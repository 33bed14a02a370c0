#!/usr/bin/env bash
# nn train over MPI (issue 16 point 2): one epoch of fashion-lenet (the first
# LENET_N of Fashion-MNIST's training images, default all 60,000: a whole epoch; batch 64) and of the
# trailer ConvLSTM (nn-trailer-gen -n TRAILERS_N per genre, default 10: 40 videos =
# 80 clips; batch 16) on 1 rank x 2 threads (nn train --threads 2, no
# mpirun) and on 2 ranks x 1 thread (mpirun -np 2 nn train --threads 1), the two
# alternated in the same run; medians of RUNS with min and max of the epoch's
# training time (the trainer's own "seconds", data loading excluded).
# Then the allreduce cost on paper for every shipped model (docs/cluster.md).
# Usage: bench/mpi-scaling.sh [BUILDDIR] [--append]   (appends to bench/RESULTS.md)
set -euo pipefail
cd "$(dirname "$0")/.."
B=${1:-build}
RUNS=${RUNS:-5}
LENET_N=${LENET_N:-60000}
TRAILERS_N=${TRAILERS_N:-10}
NN=$B/cli/nn
MPIRUN="mpirun --allow-run-as-root --oversubscribe"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$B/tools/nn-trailer-gen" -n "$TRAILERS_N" --seed 1 "$tmp/trailers" >/dev/null
# the first LENET_N images and labels, as uncompressed IDX files
python3 - "$LENET_N" "$tmp/fashion" <<'EOP'
import gzip, sys
n, out = int(sys.argv[1]), sys.argv[2]
for kind, dims, rec in (("images", 3, 784), ("labels", 1, 1)):
    head = 8 + 4 * (dims - 1)
    d = gzip.open(f"/usr/share/datasets/fashion-mnist/train-{kind}-idx{dims}-ubyte.gz").read()
    b = bytearray(d[:head + n * rec])
    b[4:8] = n.to_bytes(4, "big")
    open(f"{out}-{kind}-idx{dims}-ubyte", "wb").write(b)
EOP

# one epoch; prints the trainer's seconds for it
epoch() {  # RANKS THREADS SPEC DATA BATCH LR
  local ranks=$1 threads=$2 spec=$3 data=$4 batch=$5 lr=$6 log=$tmp/log.jsonl pre=()
  rm -f "$log"
  [ "$ranks" -gt 1 ] && pre=($MPIRUN -np "$ranks")
  "${pre[@]}" "$NN" train "$spec" --data "$data" --epochs 1 --batch "$batch" --lr "$lr" --seed 1 \
    --threads "$threads" --log "$log" -o "$tmp/out.safetensors" >/dev/null
  sed -n 's/.*"seconds":\([0-9.eE+-]*\).*/\1/p' "$log"
}
stats() { sort -g | awk '{ v[NR] = $1 } END { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2;
                                             printf "%.2f %.2f %.2f", m, v[1], v[NR] }'; }

rows="" steps_table=""
for model in lenet convlstm; do
  case $model in
    lenet) spec=models/fashion-lenet.json data=idx:$tmp/fashion batch=64 lr=0.001 n=$LENET_N
           label="fashion-lenet, $LENET_N images, batch 64" ;;
    convlstm) spec=models/trailer-genre-convlstm.json data=folder:$tmp/trailers batch=16 lr=0.005 n=$((TRAILERS_N * 8))
              label="trailer-genre-convlstm, $((TRAILERS_N * 8)) clips, batch 16" ;;
  esac
  one="" two=""
  for r in $(seq "$RUNS"); do
    one+="$(epoch 1 2 "$spec" "$data" "$batch" "$lr")"$'\n'
    two+="$(epoch 2 1 "$spec" "$data" "$batch" "$lr")"$'\n'
  done
  read -r m1 lo1 hi1 <<<"$(printf '%s' "$one" | stats)"
  read -r m2 lo2 hi2 <<<"$(printf '%s' "$two" | stats)"
  steps=$(( (n + batch - 1) / batch ))
  rows+="| $label | $m1 ($lo1–$hi1) | $m2 ($lo2–$hi2) | $(awk "BEGIN { printf \"%.2f\", $m1 / $m2 }") |"$'\n'
  steps_table+="$model $(awk "BEGIN { printf \"%.3f\", 1000 * $m1 / $steps }")"$'\n'
done
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
table=$(cat <<EOT
### One epoch, 1 rank x 2 threads against 2 ranks x 1 thread, $(date -u +%Y-%m-%d), RUNS=$RUNS

$cpu, $(nproc) cores; Open MPI $(mpirun --version | sed -n 's/.*(Open MPI) //p'), shared memory between the ranks.
Seconds of the epoch's training loop, median (min–max); ratio > 1: the 2 ranks are faster.

| model, data | 1 rank x 2 threads, s | 2 ranks x 1 thread, s | ratio |
| --- | --- | --- | --- |
${rows%$'\n'}
EOT
)
echo "$table"

# On paper: bytes each step's allreduce moves, for every shipped model. The
# trainer packs every trainable gradient plus 2 floats (loss sum, right
# predictions) into one float32 buffer; a ring allreduce sends and receives
# 2(N-1)/N of it per rank, plus 2(N-1) latencies (taken as 20 µs: TCP over
# Ethernet). Compute per step is the measured 1-rank x 2-thread step above.
paper="| model | trainable parameters | allreduce buffer, bytes | 2 ranks: ms on 10 Gbit/s | on 100 Gbit/s | 16 ranks: ms on 10 Gbit/s | on 100 Gbit/s |"$'\n'
paper+="| --- | --- | --- | --- | --- | --- | --- |"$'\n'
for f in models/*.safetensors; do
  p=$("$NN" info "$f" | sed -n 's/^parameters //p')
  paper+=$(awk -v m="$(basename "$f" .safetensors)" -v p="$p" 'function t(n, gbit) { return 1000 * (2 * (n - 1) / n * bytes * 8 / (gbit * 1e9) + 2 * (n - 1) * 20e-6) }
    BEGIN { bytes = 4 * (p + 2); printf "| %s | %d | %d | %.3f | %.3f | %.3f | %.3f |\n", m, p, bytes, t(2, 10), t(2, 100), t(16, 10), t(16, 100) }')$'\n'
done
dominate="| model | compute per step, 1 rank (ms, measured above) | ranks where the allreduce takes longer than the step's compute: 10 Gbit/s | 100 Gbit/s |"$'\n'
dominate+="| --- | --- | --- | --- |"$'\n'
while read -r model ms; do
  [ -n "$model" ] || continue
  f=models/fashion-lenet.safetensors
  [ "$model" = convlstm ] && f=models/trailer-genre-convlstm.safetensors
  p=$("$NN" info "$f" | sed -n 's/^parameters //p')
  dominate+=$(awk -v m="$(basename "$f" .safetensors)" -v p="$p" -v ms="$ms" 'function t(n, gbit) { return 1000 * (2 * (n - 1) / n * bytes * 8 / (gbit * 1e9) + 2 * (n - 1) * 20e-6) }
    function first(gbit,   n) { for (n = 2; n <= 100000; n++) if (t(n, gbit) >= ms / n) return n; return "> 100000" }
    BEGIN { bytes = 4 * (p + 2); printf "| %s | %.2f | %s | %s |\n", m, ms, first(10), first(100) }')$'\n'
done <<<"$steps_table"
echo
echo "$paper"
echo "$dominate"

if [ "${2:-}" = --append ]; then
  printf '\n%s\n' "$table" >> bench/RESULTS.md
fi
