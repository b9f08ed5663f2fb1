#!/usr/bin/env bash
# Runs the whole comparison in one command: builds trainyard and the bench
# binaries, then bench/compare.py measures the fork-and-exec floor,
# Trainyard and a single-node Slurm side by side, prints the table and
# writes the JSON (default build/bench/compare.json). Arguments go to
# compare.py, for example: bench/run_all.sh --json /tmp/compare.json.
# Slurm needs root: the script installs slurm-wlm with apt when it is
# missing and runs its daemons on loopback until the run ends.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir="${BUILD_DIR:-build}"
python=/usr/bin/python3

for tool in cmake ninja "$python"; do
  if ! command -v "$tool" >/dev/null; then
    echo "run_all.sh: '$tool' not found; install the build tools with scripts/setup.sh" >&2
    exit 1
  fi
done
if [ "$(id -u)" -ne 0 ]; then
  echo "run_all.sh: run as root; Slurm's daemons and its apt install need it" >&2
  exit 1
fi

if [ ! -f "$build_dir/build.ninja" ]; then
  cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
cmake --build "$build_dir" --target trainyard metrics_bench spawn_floor
# The whole run stops after 20 minutes, whatever a phase does; the
# comparison itself is sized for less than 15.
exec timeout --signal=TERM --kill-after=30 1200 \
  "$python" bench/compare.py --build-dir "$build_dir" "$@"
