#!/bin/sh
# Per-frame cost of nnclassify for every input format it accepts (issue 12):
#   videotestsrc ! video/x-raw,format=X,width=640,height=480 ! nnclassify ! fakesink
# for gesture-lenet (3x48x48 RGB) and fashion-lenet (1x28x28 gray), measured by
# bench/bench-input-formats.c between probes on nnclassify's two pads: the
# element's conversion to the model's input plus inference, as the streaming
# thread's CPU time (robust to other jobs on the machine) and as wall time.
# Medians over frames, then over RUNS interleaved runs. The elements run a
# frame on one thread (OpenBLAS kept at one thread here too); CPU=N pins the
# run to core N with taskset.
#   bench/input-formats.sh [BUILD=build] [FRAMES=200] [RUNS=5] [CPU=] [FORMATS="RGB I420 ..."]
#   bench/input-formats.sh convert [BUILD=build] [FRAMES=200] [RUNS=5] [CPU=] [FORMATS="I420 NV12 RGB YUY2"]
#     [BEFORE=dir]
# Prints a Markdown table: per model, median ms per frame (CPU, wall) and the
# CPU ratio to RGB; for gesture-lenet whether the format meets the issue's goal
# (<= the RGB path's cost + 0.2 ms).
# `convert`: the frame conversion alone (issues 15, 19), libnn's converter
# against GstVideoConverter in the same run, at 640x480 and 1280x720 to
# 3x48x48 and 1x28x28 (bench-input-formats --convert). BEFORE=dir (a
# directory holding another build's libnn.so.0) runs it a second time on
# that library and adds its time and the speed-up.
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
if [ "${1:-}" = convert ]; then
  FRAMES=${FRAMES:-200}
  RUNS=${RUNS:-5}
  CPU=${CPU:-}
  FORMATS=${FORMATS:-"I420 NV12 RGB YUY2"}
  bench="$BUILD/bench/bench-input-formats"
  [ -x "$bench" ] || { echo "input-formats.sh: $bench: not built (ninja -C $BUILD)" >&2; exit 1; }
  pin=""
  [ -n "$CPU" ] && pin="taskset -c $CPU"
  # shellcheck disable=SC2086
  if [ -z "${BEFORE:-}" ]; then
    exec $pin "$bench" --convert --frames "$FRAMES" --runs "$RUNS" $FORMATS
  fi
  [ -e "$BEFORE/libnn.so.0" ] || { echo "input-formats.sh: BEFORE=$BEFORE: no libnn.so.0 there" >&2; exit 1; }
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  # shellcheck disable=SC2086
  $pin "$bench" --convert --frames "$FRAMES" --runs "$RUNS" $FORMATS >"$tmp/after"
  # shellcheck disable=SC2086
  LD_LIBRARY_PATH="$BEFORE" $pin "$bench" --convert --frames "$FRAMES" --runs "$RUNS" $FORMATS >"$tmp/before"
  # the table rows of both, side by side: before's nn column and after/before
  awk -F'|' 'NR == FNR { if ($2 ~ /x/ && $5 ~ /[0-9]/) before[$2 $3 $4] = $5; next }
    /^\| frame/ { print "| frame | format | model input | before: CPU ms/frame (min-max) | after | speed-up |" \
                         " GstVideoConverter | peer / after |"; next }
    /^\| ---/ { print "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: |"; next }
    $2 ~ /x/ && ($2 $3 $4) in before { b = before[$2 $3 $4]; split (b, bb, " "); split ($5, aa, " ");
      printf "|%s|%s|%s|%s|%s| %.2f |%s|%s|\n", $2, $3, $4, b, $5, bb[1] / aa[1], $6, $7; next }
    { print }' "$tmp/before" "$tmp/after"
  exit 0
fi
FRAMES=${FRAMES:-200}
RUNS=${RUNS:-5}
CPU=${CPU:-}
FORMATS=${FORMATS:-"RGB GRAY8 BGR RGBx BGRx xRGB xBGR RGBA BGRA ARGB ABGR I420 YV12 NV12 NV21 YUY2 UYVY YVYU Y42B Y444 I420_10LE P010_10LE"}
export GST_PLUGIN_PATH="$BUILD/plugins" OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
bench="$BUILD/bench/bench-input-formats"
[ -x "$bench" ] || { echo "input-formats.sh: $bench: not built (ninja -C $BUILD)" >&2; exit 1; }
case " $FORMATS " in *" RGB "*) ;; *) FORMATS="RGB $FORMATS" ;; esac
pin=""
[ -n "$CPU" ] && pin="taskset -c $CPU"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
load0=$(cut -d' ' -f1-3 /proc/loadavg)
for m in gesture-lenet fashion-lenet; do
  # shellcheck disable=SC2086
  $pin "$bench" "models/$m.safetensors" --frames "$FRAMES" --runs "$RUNS" $FORMATS >"$tmp/$m"
done
echo "| format | gesture-lenet CPU ms/frame | ratio to RGB | wall ms | <= RGB + 0.2 ms | fashion-lenet CPU ms/frame | ratio to RGB | wall ms |"
echo "| --- | ---: | ---: | ---: | :---: | ---: | ---: | ---: |"
# join the two models' lines (same format order)
paste -d' ' "$tmp/gesture-lenet" "$tmp/fashion-lenet" | awk '
  NR == 1 { if ($1 != "RGB") { print "input-formats.sh: RGB must come first" > "/dev/stderr"; exit 1 } grgb = $2; frgb = $6 }
  { printf "| %s | %.3f | %.2f | %.3f | %s | %.3f | %.2f | %.3f |\n", $1, $2, $2 / grgb, $3,
      ($2 <= grgb + 0.2) ? "yes" : "**no**", $6, $6 / frgb, $7 }'
echo
echo "$RUNS runs of $FRAMES frames (first 10 dropped) per format and model at 640x480, medians;" \
  "$(nproc --all) cores; load average $load0 at the start, $(cut -d' ' -f1-3 /proc/loadavg) at the end"
