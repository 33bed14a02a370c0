#!/usr/bin/env bash
# Installs, builds and runs every test: the release build, then once more
# under AddressSanitizer + UndefinedBehaviorSanitizer.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
meson test -C build -v --print-errorlogs --num-processes 2

# ASan/UBSan. GStreamer's plugin scanner is not instrumented, so scan in
# process (GST_REGISTRY_FORK=no); one-time GLib allocations at load are
# suppressed in tests/lsan.supp.
[ -f build-asan/build.ninja ] || meson setup build-asan -Db_sanitize=address,undefined -Db_lundef=false -Dmpi=enabled \
  --buildtype=debugoptimized >/dev/null
ninja -C build-asan
rm -f build-asan/tests/*/*.registry
export GST_REGISTRY_FORK=no
export ASAN_OPTIONS=fast_unwind_on_malloc=0:detect_leaks=1
export LSAN_OPTIONS=suppressions=$PWD/tests/lsan.supp:print_suppressions=0:fast_unwind_on_malloc=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# the sanitizers slow everything about 3x: Check's own per-case timeouts
# stretch as meson's do (--timeout-multiplier below)
export CK_TIMEOUT_MULTIPLIER=3
meson test -C build-asan -v --print-errorlogs --num-processes 2 --timeout-multiplier 3

# libFuzzer targets (tests/fuzz/: safetensors, spec, CSV, IDX, image and video
# folders, ONNX import) under ASan + UBSan, NN_FUZZ_SECONDS (default 20) each, after
# replaying their seeds and every input that once crashed
tests/fuzz/run.sh build-fuzz
