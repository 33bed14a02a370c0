#!/usr/bin/env bash
# The kernel paths of docs/cpu-dispatch.md against each other in one run on
# this machine: each workload on every path the CPU runs (NN_CPU forces it),
# one thread, medians of RUNS runs (default 5) with min and max, and the ratio
# of each path to the portable one (the packaged build's floor).
# Usage: bench/cpu-dispatch.sh [BUILDDIR]      Prints a Markdown table.
set -euo pipefail
cd "$(dirname "$0")/.."
B=${1:-build}
RUNS=${RUNS:-5}
FM=/usr/share/datasets/fashion-mnist
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export BENCH_THREADS=1 NN_SOURCE_ROOT=.

# stats: "median min max" of the numbers on stdin
stats() { sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)], a[1], a[NR] }'; }
lenet_train() { # samples/s of one epoch over the 10,000 test images, from the JSON log
  rm -f "$tmp/log.jsonl"
  "$B/cli/nn" train models/fashion-lenet.json --data "idx:$FM/t10k" --epochs 1 --batch 64 --threads 1 \
    --log "$tmp/log.jsonl" -o "$tmp/m.safetensors" >/dev/null
  python3 -c 'import json,sys; print(round(json.loads(open(sys.argv[1]).readline())["samples_per_s"]))' "$tmp/log.jsonl"
}
workload() { # name -> one figure
  case $1 in
    latency) "$B/bench/bench-nn" latency models/fashion-lenet.safetensors 2000 2>/dev/null ;;
    lenet-train) lenet_train ;;
    convlstm-train) "$B/bench/bench-convlstm" train 10 ;;
    convlstm-stream) "$B/bench/bench-convlstm" stream 600 ;;
    gan-train) "$B/bench/bench-gan" train 10 ;;
    gan-generate) "$B/bench/bench-gan" generate 2000 ;;
  esac
}
label() {
  case $1 in
    latency) echo "LeNet batch-1 latency, µs" ;;
    lenet-train) echo "LeNet training, batch 64, samples/s" ;;
    convlstm-train) echo "ConvLSTM training step, batch 16 x 10 frames, ms" ;;
    convlstm-stream) echo "ConvLSTM streaming, one frame, µs" ;;
    gan-train) echo "DCGAN training iteration, batch 64, ms" ;;
    gan-generate) echo "DCGAN generation, batch 1, frames/s" ;;
  esac
}
higher_better() { case $1 in lenet-train|gan-generate) return 0 ;; *) return 1 ;; esac; }

paths=$("$B/cli/nn" --cpu | sed 's/.*runs: \(.*\))/\1/')
cpu=$(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')
echo "CPU: $cpu; kernel paths it runs: $paths; one thread; medians of $RUNS runs [min - max]"
echo
head="| workload |"; sep="| --- |"
for p in $paths; do head+=" $p |"; sep+=" --- |"; done
for p in $paths; do [ "$p" = portable ] || { head+=" $p / portable |"; sep+=" --- |"; }; done
echo "$head"; echo "$sep"
for w in latency lenet-train convlstm-train convlstm-stream gan-train gan-generate; do
  row="| $(label $w) |"; ratios=""; base=""
  for p in $paths; do
    read -r med lo hi < <(for i in $(seq "$RUNS"); do NN_CPU=$p workload $w; done | stats)
    row+=" $med [$lo - $hi] |"
    if [ "$p" = portable ]; then base=$med; else
      if higher_better $w; then r=$(awk "BEGIN { printf \"%.2f\", $med / $base }"); else
        r=$(awk "BEGIN { printf \"%.2f\", $base / $med }"); fi
      ratios+=" ${r}x faster |"
    fi
  done
  echo "$row$ratios"
done
