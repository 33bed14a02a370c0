#!/bin/sh
# Per-frame latency of nnclassify at 640x480 (GStreamer's latency tracer: the
# time from a frame entering nnclassify's sink pad to it leaving its source
# pad, i.e. conversion + inference + result) and the frames/s that implies,
# on one core (taskset, OpenBLAS with one thread).
#   bench/gesture-latency.sh [BUILD=build] [FRAMES=300]
# Prints one line per case: model, mode, input format, median / p90 / mean ms, frames/s.
set -eu
BUILD=${BUILD:-build}
FRAMES=${FRAMES:-300}
export GST_PLUGIN_PATH="$BUILD/plugins" OPENBLAS_NUM_THREADS=1
run_case () { # model mode format
  log=$(mktemp)
  GST_TRACERS="latency(flags=element)" GST_DEBUG="GST_TRACER:7" GST_DEBUG_NO_COLOR=1 GST_DEBUG_FILE="$log" \
    taskset -c 0 gst-launch-1.0 -q videotestsrc num-buffers="$FRAMES" pattern=ball \
      ! "video/x-raw,format=$3,width=640,height=480,framerate=30/1" \
      ! nnclassify name=cls model="$1" mode="$2" ! fakesink sync=false
  grep 'element-latency' "$log" | grep 'element=(string)cls' \
    | sed 's/.*time=(guint64)\([0-9]*\).*/\1/' | tail -n +11 | sort -n \
    | awk -v m="$1" -v mode="$2" -v f="$3" '{ v[NR] = $1 / 1e6; s += $1 / 1e6 }
        END { printf "%-40s %-5s %-4s median %.2f ms  p90 %.2f ms  mean %.2f ms  %.0f frames/s  (%d frames)\n",
              m, mode, f, v[int(NR / 2) + 1], v[int(NR * 0.9)], s / NR, NR / s * 1000, NR }'
  rm -f "$log"
}
run_case models/gesture-lenet.safetensors whole RGB
run_case models/gesture-lenet.safetensors whole I420
run_case models/gesture-fcn.safetensors map RGB
run_case models/gesture-fcn.safetensors map I420
