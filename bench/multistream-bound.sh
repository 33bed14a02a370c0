#!/usr/bin/env bash
# What batching across streams can give at most (issue 15 point 3), measured
# in one run. On a busy machine a process's frames/s is its cores divided by
# its CPU time per frame, so a shared, batched instance can beat eight
# separate elements only by what a sample's inference saves in a batch:
#
#   bound(B) = cpu_separate / (cpu_separate - infer(1) + infer(B) / B)
#
# with cpu_separate the CPU time per frame of eight separate nnclassify
# elements (bench-multistream: appsrc 640x480 I420, conversion, inference,
# meta), infer(1) one sample's forward and infer(B)/B a sample's share of a
# batch-B forward (bench-nn, one thread, pinned). The bound assumes a
# hand-off to the batch that costs nothing and conversions as cheap as in
# separate elements: the real shared instance is below it. The same bound is
# computed with ONNX Runtime's batching gain (its time per sample at batch B
# over batch 1, net of the binding, on the same model exported from PyTorch
# with our weights), so that a better batched kernel is bounded too; and
# "inference free" (cpu_separate over cpu_separate - infer(1)) shows what is
# left when the model costs nothing.
# Every figure is the median of REPEAT (>= 5) runs, min and max in brackets.
# Usage: bench/multistream-bound.sh [BUILDDIR]   (REPEAT=5 FRAMES=300 STREAMS=8 BATCHES="8 64")
# Needs: ninja -C BUILDDIR; python3-torch; (cd bench/ort && npm ci --ignore-scripts) for the ORT rows.
set -euo pipefail
cd "$(dirname "$0")/.."
B=${1:-build}
. bench/lib.sh
FRAMES=${FRAMES:-300}
STREAMS=${STREAMS:-8}
BATCHES=${BATCHES:-"8 64"}
CPU=${BENCH_CPU:-$(($(nproc) - 1))}
pin() { if command -v taskset >/dev/null; then taskset -c "$CPU" "$@"; else "$@"; fi; }
for f in "$B/bench/bench-nn" "$B/bench/bench-multistream"; do
  [ -x "$f" ] || { echo "multistream-bound.sh: $f missing: ninja -C $B" >&2; exit 1; }
done
have_ort=0
[ -d bench/ort/node_modules/onnxruntime-node ] && command -v node >/dev/null && have_ort=1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export GST_PLUGIN_PATH="$B/plugins"
ort=(node bench/ort/bench-ort.js)

# one figure per process, as stats wants
sep_cpu() { # MODEL -> CPU ms per frame of STREAMS separate elements
  "$B/bench/bench-multistream" "$1" separate "$STREAMS" "$FRAMES" 1 0 I420 |
    sed -n 's/.*cpu_ms=\([0-9.]*\).*/\1/p'
}
nn_us() { # MODEL BATCH ITERS -> µs per sample
  if [ "$2" = 1 ]; then pin "$B/bench/bench-nn" latency "$1" "$3" 2>/dev/null
  else pin "$B/bench/bench-nn" throughput "$1" "$2" "$3" 2>/dev/null | awk '{ printf "%.2f\n", 1e6 / $1 }'; fi
}
ort_us() { # ONNX SHAPE BATCH ITERS -> µs per sample through the binding
  if [ "$3" = 1 ]; then pin "${ort[@]}" latency "$1" "$2" "$4"
  else pin "${ort[@]}" throughput "$1" "$2" "$3" "$4" | awk '{ printf "%.2f\n", 1e6 / $1 }'; fi
}
bound() { awk -v s="$1" -v i1="$2" -v ib="$3" 'BEGIN { d = s - i1 + ib; printf "%.2f", (d > 0 ? s / d : 0) }'; }

models="gesture-lenet fashion-lenet"
declare -A iters=([fashion-lenet]=2000 [gesture-lenet]=400)
if [ $have_ort = 1 ]; then
  OPENBLAS_NUM_THREADS=1 /usr/bin/python3 bench/export_torch_onnx.py "$tmp/onnx" \
    $(for m in $models; do echo "models/$m.safetensors"; done) 2>"$tmp/export.log" ||
    { cat "$tmp/export.log" >&2; exit 1; }
fi

echo "## What batching across streams can give at most (bench/multistream-bound.sh), $(date -u +%Y-%m-%d)"
echo
bench/cpuinfo.sh "$B"
echo "- $STREAMS streams x $FRAMES frames of 640x480 I420 for the separate elements; inference one thread pinned to CPU $CPU; $REPEAT runs per figure"
echo
echo "| model | 8 separate: CPU ms per frame | inference µs per sample, batch 1 | batch | gst-nn µs per sample in the batch | bound with gst-nn's batching | ONNX Runtime net µs per sample, batch 1 → batch | bound with ORT's batching gain | bound with inference free |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"
for m in $models; do
  f=models/$m.safetensors n=${iters[$m]}
  s=$(stats sep_cpu "$f")
  i1=$(stats nn_us "$f" 1 "$n")
  s_us=$(awk -v s="$(med "$s")" 'BEGIN { print s * 1000 }')
  free=$(awk -v s="$s_us" -v i="$(med "$i1")" 'BEGIN { printf "%.2f", s / (s - i) }')
  if [ $have_ort = 1 ]; then
    o=$tmp/onnx/$m shape=$(cat "$tmp/onnx/$m.shape")
    r1=$(stats ort_us "$o.onnx" "$shape" 1 "$n"); z1=$(stats ort_us "$o-relu.onnx" "$shape" 1 "$n")
    o1=$(awk -v r="$(med "$r1")" -v z="$(med "$z1")" 'BEGIN { printf "%.1f", r - z }')
  fi
  for b in $BATCHES; do
    k=$(( (n + b - 1) / b * 4 ))
    ib=$(stats nn_us "$f" "$b" "$k")
    ours=$(bound "$s_us" "$(med "$i1")" "$(med "$ib")")
    ortcell="–" ortb="–"
    if [ $have_ort = 1 ]; then
      rb=$(stats ort_us "$o.onnx" "$shape" "$b" "$k"); zb=$(stats ort_us "$o-relu.onnx" "$shape" "$b" "$((k * 4))")
      ob=$(awk -v r="$(med "$rb")" -v z="$(med "$zb")" 'BEGIN { printf "%.1f", r - z }')
      ortcell="$o1 → $ob"
      # ORT's gain applied to our batch-1 inference: infer(B) = infer(1) * ort(B) / ort(1)
      ortb=$(bound "$s_us" "$(med "$i1")" "$(awk -v i="$(med "$i1")" -v a="$o1" -v b="$ob" 'BEGIN { print (a > 0 ? i * b / a : i) }')")
    fi
    echo "| $m | $(fmt "$s") | $(fmt "$i1") | $b | $(fmt "$ib") | ${ours}x | $ortcell | ${ortb}x | ${free}x |"
  done
done
echo
echo "The issue's goal is 1.5x. A bound under it means no hand-off design reaches it with these models on this CPU."
