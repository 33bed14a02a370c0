#!/usr/bin/env bash
# Installs missing Debian packages, then configures and builds into build/.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh "$@"
# -Dmpi=enabled: nn train over MPI (docs/cluster.md) is part of what the tests check
[ -f build/build.ninja ] || meson setup build --buildtype=release -Dmpi=enabled >/dev/null
ninja -C build
