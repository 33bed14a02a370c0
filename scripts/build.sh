#!/usr/bin/env bash
# Installs missing Debian packages, then configures and builds into build/.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh "$@"
[ -f build/build.ninja ] || meson setup build --buildtype=release >/dev/null
ninja -C build
