#!/usr/bin/env bash
# Every benchmark of issue 19 in one command, each against its peer in the
# same run on this machine: PyTorch 1.13 (OPENBLAS_NUM_THREADS=1,
# torch.set_num_threads as the row says) and ONNX Runtime through
# onnxruntime-node (bench/ort: 1 intra-op thread, sequential, graph
# optimisation ALL) on models exported from PyTorch with our weights, whose
# outputs are checked against ours first (a row fails above 1e-4).
# Every figure is the median of REPEAT (>= 5) runs, min and max in brackets;
# ratios are of medians, as "times faster than the peer"; goals are the
# issue's. Prints Markdown. See docs/benchmarks.md.
# Usage: bench/all.sh [BUILDDIR]
#   REPEAT=5       runs per figure
#   SAMPLES=12800  training rows time one epoch of the first SAMPLES Fashion-MNIST images (both sides)
#   BENCH_CPU=N    the CPU the one-thread inference rows are pinned to (default the last)
# Needs: ninja -C BUILDDIR; python3-torch; (cd bench/ort && npm ci --ignore-scripts).
set -euo pipefail
cd "$(dirname "$0")/.."
B=${1:-build}
. bench/lib.sh
SAMPLES=${SAMPLES:-12800}
FM=/usr/share/datasets/fashion-mnist
CPU=${BENCH_CPU:-$(($(nproc) - 1))}
pin() { if command -v taskset >/dev/null; then taskset -c "$CPU" "$@"; else "$@"; fi; }
for f in "$B/bench/bench-nn" "$B/bench/bench-convlstm" "$B/bench/bench-gan" "$B/cli/nn"; do
  [ -x "$f" ] || { echo "all.sh: $f missing: ninja -C $B" >&2; exit 1; }
done
[ -d bench/ort/node_modules/onnxruntime-node ] ||
  { echo "all.sh: ONNX Runtime missing: (cd bench/ort && npm ci --ignore-scripts)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
t_start=$(date +%s)

# a function cannot go through taskset: these name the programs
ort=(node bench/ort/bench-ort.js)
torch_infer=(env OPENBLAS_NUM_THREADS=1 TORCH_THREADS=1 /usr/bin/python3 bench/torch_ref.py infer)
# ratio A B: A / B, or – when B is not positive (ORT's net time lost in the binding's noise)
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else printf "–" }'; }
# yes/no: is ratio $1 at least goal $2
met() { awk -v r="$1" -v g="$2" 'BEGIN { print (r == "–" ? "–" : r + 0 >= g ? "yes" : "**no**") }'; }
main_rows="" ort_rows=""
add_row() { # label ours peer ratio goal
  main_rows+="| $1 | $2 | $3 | ${4}x | ≥ ${5}x | $(met "$4" "$5") |"$'\n'
}

echo "## gst-nn against ONNX Runtime and PyTorch (bench/all.sh), $(date -u +%Y-%m-%d)"
echo
bench/cpuinfo.sh "$B"
echo "- peers: PyTorch $(/usr/bin/python3 -c 'import torch; print(torch.__version__)'), ONNX Runtime $(node -p "require('./bench/ort/node_modules/onnxruntime-node/package.json').version") (onnxruntime-node, node $(node --version))"
echo "- $REPEAT runs per figure; training rows on the first $SAMPLES Fashion-MNIST training images; one-thread inference rows pinned to CPU $CPU"
echo

# --- ONNX Runtime: export, parity, then batch-1 and batch-64 inference ------
models="fashion-lenet gesture-lenet gesture-fcn fashion-dcgan"
OPENBLAS_NUM_THREADS=1 /usr/bin/python3 bench/export_torch_onnx.py "$tmp/onnx" \
  $(for m in $models; do echo "models/$m.safetensors"; done) 2>"$tmp/export.log" ||
  { cat "$tmp/export.log" >&2; exit 1; }
declare -A iters=([fashion-lenet]=2000 [gesture-lenet]=400 [gesture-fcn]=40 [fashion-dcgan]=600)
declare -A batches=([fashion-lenet]=40 [gesture-lenet]=12 [gesture-fcn]=4 [fashion-dcgan]=30)
declare -A lenet
for m in $models; do
  o=$tmp/onnx/$m shape=$(cat "$tmp/onnx/$m.shape")
  "$B/bench/bench-nn" forward "models/$m.safetensors" "$o-input.f32" 64 "$o-nn.f32"
  if parity=$("${ort[@]}" check "$o.onnx" "$shape" 64 "$o-input.f32" "$o-nn.f32" "$o-torch.f32" 2>&1); then
    diff=${parity#max |ONNX Runtime - gst-nn| }; diff=${diff%%,*}
  else
    ort_rows+="| $m | – | **FAILED: $parity** | | | | | | | |"$'\n'
    continue
  fi
  n=${iters[$m]} k=${batches[$m]}
  # batch 1: µs per forward, lower is better
  a=$(stats pin "$B/bench/bench-nn" latency "models/$m.safetensors" "$n")
  p=$(stats pin "${torch_infer[@]}" "models/$m.safetensors" 1 "$n")
  r=$(stats pin "${ort[@]}" latency "$o.onnx" "$shape" "$n")
  z=$(stats pin "${ort[@]}" latency "$o-relu.onnx" "$shape" "$n")
  net=$(awk -v r="$(med "$r")" -v z="$(med "$z")" 'BEGIN { printf "%.1f", r - z }')
  ort_rows+="| $m | 1, µs | $(fmt "$a") | $(fmt "$p") | $(fmt "$r") | $(fmt "$z") | $net | $(ratio "$net" "$(med "$a")")x | $(ratio "$(med "$p")" "$(med "$a")")x | $diff |"$'\n'
  [ "$m" = fashion-lenet ] && lenet[b1]="$a|$r|$z|$net"
  # batch 64: samples/s; the binding's time per batch is taken out of ORT's
  a=$(stats pin "$B/bench/bench-nn" throughput "models/$m.safetensors" 64 "$k")
  p=$(stats pin "${torch_infer[@]}" "models/$m.safetensors" 64 "$k")
  r=$(stats pin "${ort[@]}" throughput "$o.onnx" "$shape" 64 "$k")
  z=$(stats pin "${ort[@]}" throughput "$o-relu.onnx" "$shape" 64 "$((k * 10))")
  net=$(awk -v r="$(med "$r")" -v z="$(med "$z")" 'BEGIN { t = 64 / r - 64 / z; printf "%.0f", (t > 0 ? 64 / t : 0) }')
  ort_rows+="| $m | 64, samples/s | $(fmt "$a") | $(fmt "$p") | $(fmt "$r") | $(fmt "$z") | $net | $(ratio "$(med "$a")" "$net")x | $(ratio "$(med "$a")" "$(med "$p")")x | $diff |"$'\n'
  [ "$m" = fashion-lenet ] && lenet[b64]="$a|$r|$z|$net"
done

# --- training against PyTorch ------------------------------------------------
idx_subset "$FM/train" "$SAMPLES" "$tmp/fm"
a=$(stats nn_epoch "$B" models/fashion-mlp.json 2 64 "$tmp/fm"); p=$(stats torch_epoch models/fashion-mlp.json 2 64 "$tmp/fm")
add_row "MLP training b64, 2 threads, samples/s" "$(fmt "$a")" "PyTorch $(fmt "$p")" "$(ratio "$(med "$a")" "$(med "$p")")" 3
for t in 1 2; do
  a=$(stats nn_epoch "$B" models/fashion-lenet.json $t 64 "$tmp/fm"); p=$(stats torch_epoch models/fashion-lenet.json $t 64 "$tmp/fm")
  add_row "LeNet training b64, $t thread$([ $t = 1 ] || echo s), samples/s" "$(fmt "$a")" "PyTorch $(fmt "$p")" "$(ratio "$(med "$a")" "$(med "$p")")" 2
done
if [ -n "${lenet[b1]:-}" ]; then
  IFS='|' read -r a r z net <<<"${lenet[b1]}"
  add_row "LeNet batch-1 latency, 1 thread, µs" "$(fmt "$a")" "ONNX Runtime $(fmt "$r") through node, of which the binding $(med "$z"): $net of work" "$(ratio "$net" "$(med "$a")")" 2
  IFS='|' read -r a r z net <<<"${lenet[b64]}"
  add_row "LeNet batch-64 inference, 1 thread, samples/s" "$(fmt "$a")" "ONNX Runtime $(fmt "$r") through node; $net net of the binding" "$(ratio "$(med "$a")" "$net")" 1.5
fi
export NN_SOURCE_ROOT=.
a=$(BENCH_THREADS=2 stats "$B/bench/bench-convlstm" train 8); p=$(OPENBLAS_NUM_THREADS=1 BENCH_THREADS=2 stats /usr/bin/python3 bench/bench_convlstm_torch.py train 8)
add_row "ConvLSTM training step (b16 x 10 frames 1x32x32), 2 threads, ms" "$(fmt "$a")" "PyTorch $(fmt "$p")" "$(ratio "$(med "$p")" "$(med "$a")")" 2
a=$(BENCH_THREADS=1 stats pin "$B/bench/bench-convlstm" stream 400); p=$(OPENBLAS_NUM_THREADS=1 BENCH_THREADS=1 stats pin /usr/bin/python3 bench/bench_convlstm_torch.py stream 400)
add_row "ConvLSTM streaming, one frame, 1 thread, µs" "$(fmt "$a")" "PyTorch $(fmt "$p")" "$(ratio "$(med "$p")" "$(med "$a")")" 2
a=$(BENCH_THREADS=2 stats "$B/bench/bench-gan" train 8); p=$(OPENBLAS_NUM_THREADS=1 BENCH_THREADS=2 stats /usr/bin/python3 bench/bench_gan_torch.py train 8)
add_row "DCGAN iteration b64 (G + D steps, Adam), 2 threads, ms" "$(fmt "$a")" "PyTorch $(fmt "$p")" "$(ratio "$(med "$p")" "$(med "$a")")" 1.5
a=$(BENCH_THREADS=1 stats pin "$B/bench/bench-gan" generate 600); p=$(OPENBLAS_NUM_THREADS=1 BENCH_THREADS=1 stats pin /usr/bin/python3 bench/bench_gan_torch.py generate 600)
add_row "DCGAN generator b1, 1 thread, frames/s" "$(fmt "$a")" "PyTorch $(fmt "$p")" "$(ratio "$(med "$a")" "$(med "$p")")" 3

echo "### Issue 19's table"
echo
echo "| benchmark | gst-nn | peer | gst-nn faster by | goal | met |"
echo "| --- | --- | --- | --- | --- | --- |"
printf '%s' "$main_rows"
echo
echo "### Inference against ONNX Runtime and PyTorch, 1 thread (goal: ahead of both)"
echo
echo "ONNX Runtime's binding cost is a one-ReLU model of the same input through the same node calls; \"ORT net\" is ORT's time less it."
echo
echo "| model | batch | gst-nn | PyTorch | ORT through node | binding (ReLU model) | ORT net | ORT net / gst-nn | PyTorch / gst-nn | max \\|ORT − gst-nn\\| |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
printf '%s' "$ort_rows"
echo
echo "(all.sh took $(( $(date +%s) - t_start )) s)"
