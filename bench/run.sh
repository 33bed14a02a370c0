#!/usr/bin/env bash
# Benchmarks against PyTorch, both sides in the same run on this machine.
# PyTorch at its best here: OPENBLAS_NUM_THREADS=1 and torch.set_num_threads(2).
# Usage: bench/run.sh [mlp|lenet|latency|all]   (latency: LeNet's batch-1 rows only)   (needs scripts/install-deps.sh --dev for python3-torch)
# Prints the machine (bench/cpuinfo.sh) and a Markdown table: medians of REPEAT runs (default 5), min and max
# in brackets. bench/all.sh runs issue 19's whole table, ONNX Runtime included.
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:-all}
. bench/lib.sh
B=build
FM=/usr/share/datasets/fashion-mnist

row() { printf '| %s | %s | %s | %sx |\n' "$1" "$(fmt "$2")" "$(fmt "$3")" "$(calc "$4")"; }

bench/cpuinfo.sh "$B"
echo
echo "| benchmark (threads: gst-nn / PyTorch) | gst-nn | PyTorch 1.13 | gst-nn / PyTorch |"
echo "| --- | --- | --- | --- |"
if [ "$what" = mlp ] || [ "$what" = all ]; then
  for t in 1 2; do
    a=$(stats nn_epoch "$B" models/fashion-mlp.json $t 64 "$FM/train"); b=$(stats torch_epoch models/fashion-mlp.json $t 64 "$FM/train")
    row "MLP 784-256-128-10 training, batch 64, samples/s ($t / $t)" "$a" "$b" "$(med "$a") / $(med "$b")"
  done
fi
if [ "$what" = lenet ] || [ "$what" = all ]; then
  for t in 1 2; do
    a=$(stats nn_epoch "$B" models/fashion-lenet.json $t 64 "$FM/train"); b=$(stats torch_epoch models/fashion-lenet.json $t 64 "$FM/train")
    row "LeNet training, batch 64, samples/s ($t / $t)" "$a" "$b" "$(med "$a") / $(med "$b")"
  done
fi
if [ "$what" = lenet ] || [ "$what" = all ] || [ "$what" = latency ]; then
  # batch-1 latency: our one thread against PyTorch's one, both pinned to the same core (the two
  # cores of this VM differ by up to a third in speed, and an unpinned run lands on either); PyTorch on
  # two threads unpinned.
  cpu=${BENCH_CPU:-1}
  a=$(stats taskset -c "$cpu" "$B/bench/bench-nn" latency models/fashion-lenet.safetensors 4000)
  for t in 1 2; do
    if [ $t = 1 ]; then
      b=$(OPENBLAS_NUM_THREADS=1 TORCH_THREADS=1 stats taskset -c "$cpu" /usr/bin/python3 bench/torch_ref.py latency models/fashion-lenet.json 2000)
    else
      b=$(OPENBLAS_NUM_THREADS=1 TORCH_THREADS=2 stats /usr/bin/python3 bench/torch_ref.py latency models/fashion-lenet.json 2000)
    fi
    row "LeNet batch-1 latency, µs, lower is better, ratio = PyTorch / gst-nn (1 / $t)" "$a" "$b" "$(med "$b") / $(med "$a")"
  done
fi
if [ "$what" = lenet ] || [ "$what" = all ]; then
  echo
  "$B/bench/bench-nn" conv | sed 's/^/    /'
  echo
  gst() { GST_PLUGIN_PATH=$B/plugins gst-launch-1.0 -q videotestsrc num-buffers=600 ! video/x-raw,width=640,height=480 \
          ! nnclassify model=models/fashion-lenet.safetensors ! fakesink sync=false >/dev/null; }
  fps() { local s e; s=$(date +%s.%N); gst; e=$(date +%s.%N); calc "600 / ($e - $s)"; }
  gst
  printf '    videotestsrc 640x480 ! nnclassify (LeNet) ! fakesink: %s frames/s\n' "$(fmt "$(stats fps)")"
fi
