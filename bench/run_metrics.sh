#!/usr/bin/env bash
# Builds and runs the metric ingestion benchmark (bench/metrics_bench.cc):
# sustained points/s through the batch endpoint and the latency of single
# log-metric requests, against a server on loopback. Extra arguments go to
# metrics_bench, for example: bench/run_metrics.sh --seconds 30.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir="${BUILD_DIR:-build}"
if [ ! -f "$build_dir/build.ninja" ]; then
  cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
cmake --build "$build_dir" --target metrics_bench
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
"$build_dir/bench/metrics_bench" "$@"
