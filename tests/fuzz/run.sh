#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz/ with clang
# (-fsanitize=fuzzer,address,undefined, libnn's core compiled the same way in
# BUILDDIR) and runs each for a bounded time from its committed seed corpus,
# after replaying every input in tests/fuzz/regressions/TARGET/ (inputs that
# once crashed). Any crash, sanitizer report, leak or timeout fails the run;
# the input is left in BUILDDIR/artifacts/.
#
# Usage: tests/fuzz/run.sh [BUILDDIR]          (default build-fuzz)
#   NN_FUZZ_SECONDS  seconds per target (default 20); 0 = only build and
#                    replay the seeds and regressions
#   NN_FUZZ_TARGETS  the targets to run (default all, space separated)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$(realpath -m "${1:-$root/build-fuzz}")
secs=${NN_FUZZ_SECONDS:-20}
targets=${NN_FUZZ_TARGETS:-safetensors spec csv idx image-folder video-folder onnx checkpoint}

if [ ! -f "$build/build.ninja" ]; then
  CC=clang meson setup "$build" "$root" -Dtests=false --buildtype=debugoptimized \
    -Db_sanitize=address,undefined -Db_lundef=false -Dc_args=-fsanitize=fuzzer-no-link >/dev/null
fi
ninja -C "$build" core/libnn-internal.a >/dev/null

cflags=(-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -D_GNU_SOURCE -DNN_COMPILATION
        -I"$root/core" -I"$root/core/include" -I"$build/core" -I"$root/tests/fuzz")
pkgs="glib-2.0 gio-2.0 gobject-2.0 json-glib-1.0 libavformat libavcodec libswscale libavutil libprotobuf-c"
# shellcheck disable=SC2207
deps=($(pkg-config --cflags --libs $pkgs) -lopenblas -lm -fopenmp -pthread)
src() { case $1 in image-folder|video-folder) echo fuzz-folder.c ;; *) echo "fuzz-$1.c" ;; esac; }
defs() { [ "$1" = video-folder ] && echo -DFUZZ_VIDEO || true; }
# The ONNX target is seeded with the importer's fixtures (those under 16 kB:
# one per op and opset; the whole models would only slow the mutations down).
seeds_of() {
  if [ "$1" = onnx ]; then
    mkdir -p "$build/fuzz/seeds-onnx"
    find "$root/tests/fixtures/onnx" "$root/tests/fixtures/onnx-opset11" -name '*.onnx' -size -16k \
      -exec cp {} "$build/fuzz/seeds-onnx/" \;
    echo "$build/fuzz/seeds-onnx"
  else
    echo "$root/tests/fuzz/corpus/$1"
  fi
}

export ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=0
export LSAN_OPTIONS=suppressions=$root/tests/lsan.supp:print_suppressions=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
mkdir -p "$build/fuzz" "$build/artifacts"
for t in $targets; do
  bin=$build/fuzz/fuzz-$t
  # shellcheck disable=SC2046
  clang "${cflags[@]}" $(defs "$t") "$root/tests/fuzz/$(src "$t")" "$build/core/libnn-internal.a" "${deps[@]}" -o "$bin"
  seeds=$(seeds_of "$t")
  regress=$root/tests/fuzz/regressions/$t
  work=$build/fuzz/corpus-$t
  mkdir -p "$work"
  opts=(-rss_limit_mb=2048 -timeout=20 -artifact_prefix="$build/artifacts/$t-" -print_final_stats=1)
  # seeds and past crashes, each once
  files=("$seeds"/*)
  [ -d "$regress" ] && files+=("$regress"/*)
  "$bin" "${opts[@]}" "${files[@]}" >"$build/fuzz/$t.replay.log" 2>&1 || {
    tail -40 "$build/fuzz/$t.replay.log"; echo "fuzz $t: a seed or regression input fails" >&2; exit 1; }
  if [ "$secs" -gt 0 ]; then
    "$bin" "${opts[@]}" -max_total_time="$secs" "$work" "$seeds" >"$build/fuzz/$t.log" 2>&1 || {
      tail -60 "$build/fuzz/$t.log"; echo "fuzz $t: FAILED (input in $build/artifacts/)" >&2; exit 1; }
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$build/fuzz/$t.log")
    cov=$(grep -o 'cov: [0-9]*' "$build/fuzz/$t.log" | tail -1)
    echo "fuzz $t: $runs executions in ${secs} s, $cov, no crash"
  else
    echo "fuzz $t: seeds and regressions replayed"
  fi
done
