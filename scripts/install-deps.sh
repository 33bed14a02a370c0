#!/usr/bin/env bash
# Installs the Debian 12 packages gst-nn needs. Idempotent: when everything is
# already there it only runs dpkg-query and returns in well under a second.
# Usage: scripts/install-deps.sh [--dev]   (--dev adds python3-torch for fixtures/benchmarks, fortunes for the char-LSTM corpus,
# BLIS, libxsmm and oneDNN for bench/gemm.sh)
# MQTT (libmosquitto, and the mosquitto broker the tests start on loopback), Open MPI
# (nn train over mpirun), Slurm and munge (the job-array test starts a one-node
# cluster), protobuf-c with Debian's onnx.proto (ONNX import/export) and
# python3-onnx (its checker validates exported files in the tests).
set -euo pipefail

pkgs=(gcc libc6-dev meson ninja-build pkg-config check
      libglib2.0-dev libjson-glib-dev libopenblas-dev
      libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev gstreamer1.0-tools
      gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad
      gstreamer1.0-plugins-ugly gstreamer1.0-libav gstreamer1.0-x
      libavformat-dev libavcodec-dev libswscale-dev libavutil-dev
      libpango1.0-dev libcairo2-dev fonts-dejavu-core fonts-droid-fallback
      dataset-fashion-mnist python3 clang libclang-rt-14-dev libomp-dev
      libmosquitto-dev mosquitto mosquitto-clients
      openmpi-bin libopenmpi-dev slurm-wlm munge
      protobuf-c-compiler libprotobuf-c-dev libonnx-dev python3-onnx)
# --dev also: the GEMM libraries bench/gemm.sh compares with OpenBLAS (BLIS's
# pthread build, called by its own name: its libblas alternative stays below OpenBLAS's)
if [ "${1:-}" = "--dev" ]; then pkgs+=(python3-torch python3-numpy hyperfine fortunes
                                      libblis-pthread-dev libblis-dev libxsmm-dev libdnnl-dev); fi

missing=()
for p in "${pkgs[@]}"; do
  st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  [ "$st" = "installed" ] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
echo "installing: ${missing[*]}" >&2
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
