#!/usr/bin/env bash
# Benchmarks against PyTorch, both sides in the same run on this machine.
# PyTorch at its best here: OPENBLAS_NUM_THREADS=1 and torch.set_num_threads(2).
# Usage: bench/run.sh [mlp|lenet|latency|all]   (latency: LeNet's batch-1 rows only)   (needs scripts/install-deps.sh --dev for python3-torch)
# Prints a Markdown table; medians of REPEAT runs (default 3).
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:-all}
REPEAT=${REPEAT:-3}
NN=build/cli/nn
FM=/usr/share/datasets/fashion-mnist
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# one epoch of nn train: samples/s from the JSON log
nn_epoch() { # spec threads batch
  for i in $(seq "$REPEAT"); do
    rm -f "$tmp/log.jsonl"
    $NN train "$1" --data "idx:$FM/train" --epochs 1 --batch "$3" --threads "$2" --log "$tmp/log.jsonl" \
      -o "$tmp/m.safetensors" >/dev/null
    python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["samples_per_s"])' "$tmp/log.jsonl"
  done | median
}
torch_epoch() { # spec batch threads
  for i in $(seq "$REPEAT"); do
    OPENBLAS_NUM_THREADS=1 TORCH_THREADS=$3 /usr/bin/python3 bench/torch_ref.py train "$1" "$FM/train" "$2"
  done | median
}
calc() { awk "BEGIN { print $1 }"; }
row() { printf '| %s | %s | %s | %.2fx |\n' "$1" "$2" "$3" "$(calc "$4")"; }

echo "| benchmark (threads: gst-nn / PyTorch) | gst-nn | PyTorch 1.13 | gst-nn / PyTorch |"
echo "| --- | --- | --- | --- |"
if [ "$what" = mlp ] || [ "$what" = all ]; then
  for t in 1 2; do
    a=$(nn_epoch models/fashion-mlp.json $t 64); b=$(torch_epoch models/fashion-mlp.json 64 $t)
    row "MLP 784-256-128-10 training, batch 64, samples/s ($t / $t)" "$a" "$b" "$a / $b"
  done
fi
if [ "$what" = lenet ] || [ "$what" = all ]; then
  for t in 1 2; do
    a=$(nn_epoch models/fashion-lenet.json $t 64); b=$(torch_epoch models/fashion-lenet.json 64 $t)
    row "LeNet training, batch 64, samples/s ($t / $t)" "$a" "$b" "$a / $b"
  done
fi
if [ "$what" = lenet ] || [ "$what" = all ] || [ "$what" = latency ]; then
  # batch-1 latency: our one thread against PyTorch's one, both pinned to the same core (the two
  # cores of this VM differ by up to a third in speed, and an unpinned run lands on either); PyTorch on
  # two threads unpinned. Pairs alternate so that both sides see the same machine.
  cpu=${BENCH_CPU:-1}
  for i in $(seq "$REPEAT"); do
    taskset -c "$cpu" build/bench/bench-nn latency models/fashion-lenet.safetensors 4000 >>"$tmp/ours"
    OPENBLAS_NUM_THREADS=1 TORCH_THREADS=1 taskset -c "$cpu" /usr/bin/python3 bench/torch_ref.py latency \
      models/fashion-lenet.json 2000 >>"$tmp/torch1"
    OPENBLAS_NUM_THREADS=1 TORCH_THREADS=2 /usr/bin/python3 bench/torch_ref.py latency \
      models/fashion-lenet.json 2000 >>"$tmp/torch2"
  done
  a=$(median <"$tmp/ours")
  for t in 1 2; do
    b=$(median <"$tmp/torch$t")
    row "LeNet batch-1 latency, µs, lower is better, ratio = PyTorch / gst-nn (1 / $t)" "$a" "$b" "$b / $a"
  done
fi
if [ "$what" = lenet ] || [ "$what" = all ]; then
  echo
  build/bench/bench-nn conv | sed 's/^/    /'
  echo
  fps=$(GST_PLUGIN_PATH=build/plugins gst-launch-1.0 -q videotestsrc num-buffers=600 ! video/x-raw,width=640,height=480 \
        ! nnclassify model=models/fashion-lenet.safetensors ! fakesink sync=false 2>&1 >/dev/null; \
        s=$(date +%s.%N); GST_PLUGIN_PATH=build/plugins gst-launch-1.0 -q videotestsrc num-buffers=600 \
        ! video/x-raw,width=640,height=480 ! nnclassify model=models/fashion-lenet.safetensors ! fakesink sync=false \
        >/dev/null; e=$(date +%s.%N); calc "600 / ($e - $s)")
  printf '    videotestsrc 640x480 ! nnclassify (LeNet) ! fakesink: %.0f frames/s\n' "$fps"
fi
