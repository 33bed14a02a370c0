#!/bin/sh
# Many streams, one process (issue 15 point 3): STREAMS appsrc streams of
# 640x480 frames (FORMAT, I420 as decoders and cameras give) through
# gesture-lenet and fashion-lenet, each stream with an nnclassify of its own
# (separate) against all sharing one batched model instance (shared, batch-size
# BATCHES, batch-timeout 5000 us), alternated in the same run, RUNS times.
# Prints, per model and configuration, the medians (min-max) of the whole
# process's frames/s, its CPU time per frame (user + system, what the work
# costs whatever else runs on the machine), the per-frame latency p50 and p99
# (the classifier's sink pad to its source pad), and the frames/s ratio to
# separate. PROFILE=1 adds rows for a model of the same input with one small
# dense layer: the conversion and element's cost without the inference.
#   bench/multistream.sh [BUILD=build] [RUNS=5] [FRAMES=300] [STREAMS=8] [BATCHES="8 4"] [FORMAT=I420]
set -eu
BUILD=${BUILD:-build}
RUNS=${RUNS:-5}
FRAMES=${FRAMES:-300}
STREAMS=${STREAMS:-8}
BATCHES=${BATCHES:-"8 4"}
FORMAT=${FORMAT:-I420}
export GST_PLUGIN_PATH="$BUILD/plugins"
out=$(mktemp)
tmp=$(mktemp -d)
trap 'rm -rf "$out" "$tmp"' EXIT
models="gesture-lenet fashion-lenet"
if [ "${PROFILE:-0}" = 1 ]; then
  # the LeNets' inputs and preprocessing, one dense layer: conversion only
  echo '{"input": [3, 48, 48], "labels": ["a","b","c","d","e","f","g"], "preprocess": {"rescale": 0.00392156862745098, "mean": [0.5, 0.5, 0.5], "std": [0.25, 0.25, 0.25]}, "layers": [{"name": "flat", "type": "flatten"}, {"name": "fc", "type": "dense", "units": 7, "activation": "softmax"}]}' > "$tmp/convert-3x48x48.json"
  echo '{"input": [1, 28, 28], "labels": ["a","b","c","d","e","f","g","h","i","j"], "preprocess": {"rescale": 0.00392156862745098}, "layers": [{"name": "flat", "type": "flatten"}, {"name": "fc", "type": "dense", "units": 10, "activation": "softmax"}]}' > "$tmp/convert-1x28x28.json"
  models="$models $tmp/convert-3x48x48.json $tmp/convert-1x28x28.json"
fi
for model in $models; do
  case $model in */*) file=$model name=$(basename "$model" .json) ;; *) file=models/$model.safetensors name=$model ;; esac
  for r in $(seq "$RUNS"); do
    echo "$name separate - $("$BUILD/bench/bench-multistream" "$file" separate "$STREAMS" "$FRAMES" 1 0 "$FORMAT")" >> "$out"
    for b in $BATCHES; do
      echo "$name shared $b $("$BUILD/bench/bench-multistream" "$file" shared "$STREAMS" "$FRAMES" "$b" 5000 "$FORMAT")" >> "$out"
    done
  done
done
python3 - "$out" "$STREAMS" "$FRAMES" "$FORMAT" <<'PY'
import re, statistics, sys
rows = {}
for line in open(sys.argv[1]):
    model, mode, batch, rest = line.split(maxsplit=3)
    kv = dict(re.findall(r"(\w+)=([\d.]+)", rest))
    rows.setdefault((model, mode, batch), []).append(kv)
def cell(vals, fmt):
    return f"{fmt % statistics.median(vals)} ({fmt % min(vals)}-{fmt % max(vals)})"
import os
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "unknown CPU")
print(f"{sys.argv[2]} streams x {sys.argv[3]} frames, 640x480 {sys.argv[4]}, runs per row: "
      f"{len(next(iter(rows.values())))}; {cpu}, {os.cpu_count()} cores, load average "
      f"{os.getloadavg()[0]:.1f} at the end")
print("| model | elements | frames/s | ratio to separate | CPU ms per frame | latency p50 ms | latency p99 ms | mean batch |")
print("| --- | --- | --- | --- | --- | --- | --- | --- |")
for (model, mode, batch), kvs in rows.items():
    fps = [float(k["fps"]) for k in kvs]
    base = statistics.median(float(k["fps"]) for k in rows[(model, "separate", "-")])
    what = "8 separate" if mode == "separate" else f"shared, batch-size {batch}"
    print(f"| {model} | {what} | {cell(fps, '%.0f')} | {statistics.median(fps) / base:.2f}x | "
          f"{cell([float(k['cpu_ms']) for k in kvs], '%.3f')} | "
          f"{cell([float(k['p50_ms']) for k in kvs], '%.2f')} | {cell([float(k['p99_ms']) for k in kvs], '%.1f')} | "
          f"{statistics.median(float(k['mean_batch']) for k in kvs):.2f} |")
PY
