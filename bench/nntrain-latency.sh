#!/bin/sh
# The classifier's latency while nntrain learns beside it (issue 17 point 3):
# 640x480 I420 frames paced at FPS through a tee to an nnclassify and to an
# nntrain sharing its model instance; per run, FRAMES frames with the trainer
# idle (no label), then FRAMES with LABEL while it trains at cpu-share SHARE
# (bench/bench-nntrain-latency.c). Each trainer nice value in NICES is a row,
# all alternated in the same run, RUNS times. Prints the medians (min-max) of
# the classifier's per-frame p50 and p99 idle and while training, their
# ratio, and the training steps per second.
#   bench/nntrain-latency.sh [BUILD=build] [RUNS=5] [FRAMES=300] [FPS=30] [SHARE=0.5] [NICES="19 10 0"]
#                            [MODEL=models/gesture-lenet.safetensors] [LABEL=fist]
set -eu
BUILD=${BUILD:-build}
RUNS=${RUNS:-5}
FRAMES=${FRAMES:-300}
FPS=${FPS:-30}
SHARE=${SHARE:-0.5}
NICES=${NICES:-"19 10 0"}
MODEL=${MODEL:-models/gesture-lenet.safetensors}
LABEL=${LABEL:-fist}
export GST_PLUGIN_PATH="$BUILD/plugins"
out=$(mktemp)
trap 'rm -f "$out"' EXIT
for r in $(seq "$RUNS"); do
  for nice in $NICES; do
    echo "$nice $("$BUILD/bench/bench-nntrain-latency" "$MODEL" "$LABEL" "$FRAMES" "$FPS" "$SHARE" "$nice")" >> "$out"
  done
done
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
python3 - "$out" "$RUNS" "$FRAMES" "$FPS" "$SHARE" "$MODEL" "$cpu" "$(nproc)" <<'PY'
import re, statistics, sys
path, runs, frames, fps, share, model, cpu, cores = sys.argv[1:]
rows = {}
for line in open(path):
    nice, rest = line.split(maxsplit=1)
    rows.setdefault(nice, []).append({k: float(v) for k, v in re.findall(r"(\w+)=([\d.]+)", rest)})
def cell(vals, fmt="%.0f"):
    return f"{fmt % statistics.median(vals)} ({fmt % min(vals)}-{fmt % max(vals)})"
print(f"{model}, 640x480 I420 at {fps} frames/s, {frames} frames per phase, cpu-share {share}, runs per row: {runs}; "
      f"{cpu}, {cores} cores")
print("| trainer-nice | p50 idle us | p99 idle us | p50 training us | p99 training us | p99 ratio | steps/s |")
print("| --- | --- | --- | --- | --- | --- | --- |")
for nice, kvs in rows.items():
    ratio = [k["train_p99_us"] / max(k["idle_p99_us"], 1) for k in kvs]
    steps = [k["steps"] * float(fps) / float(frames) for k in kvs]
    print(f"| {nice} | {cell([k['idle_p50_us'] for k in kvs])} | {cell([k['idle_p99_us'] for k in kvs])} | "
          f"{cell([k['train_p50_us'] for k in kvs])} | {cell([k['train_p99_us'] for k in kvs])} | "
          f"{cell(ratio, '%.2f')} | {cell(steps, '%.1f')} |")
PY
