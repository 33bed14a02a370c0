#!/bin/sh
# Per-layer profiles (nn profile) of the rows of issue 19 whose goal the last
# bench/all.sh run missed: which layers dominate, and the GFLOP/s they reach
# against the core's peak. Usage: bench/profile-goals.sh [BUILDDIR]; RUNS= sets
# the timed runs per profile (default 51), NICE= a nice level for a busy machine.
set -eu
build=${1:-build}
runs=${RUNS:-51}
nn="$build/cli/nn"
[ -x "$nn" ] || { echo "bench/profile-goals.sh: $nn not built (ninja -C $build cli/nn)" >&2; exit 1; }
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
mhz=$(sed -n 's/^cpu MHz[[:space:]]*: //p' /proc/cpuinfo | head -1)
echo "CPU: $cpu, $(nproc) CPUs, $mhz MHz; kernels: $("$nn" --cpu)"
echo "peak per core, AVX2+FMA (2 FMA x 8 floats x 2 FLOP = 32 FLOP/cycle): $(awk -v m="$mhz" 'BEGIN { printf "%.1f", m * 32 / 1000 }') GFLOP/s"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg); $(date -u '+%Y-%m-%d %H:%M UTC'); $runs runs a profile"
# one-thread rows pinned to one CPU, as bench/all.sh pins its inference rows
pin="taskset -c $(($(nproc) - 1))"
run () {
  echo
  echo "\$ nn profile $*"
  nice -n "${NICE:-0}" $pin "$nn" profile "$@" --runs "$runs"
}
run models/fashion-lenet.safetensors --batch 1 --threads 1
run models/fashion-lenet.safetensors --batch 64 --threads 1
run models/gesture-lenet.safetensors --batch 1 --threads 1
run models/gesture-fcn.safetensors --batch 1 --threads 1
run models/fashion-dcgan.safetensors --batch 1 --threads 1
pin=
run models/fashion-mlp.json --train --batch 64 --threads 2
