#!/usr/bin/env bash
# The main job, from nothing: installs what is missing, builds, starts
# `trainyard up` (a server and a local agent), trains the digits-pytorch
# example with its logs streamed, and prints the job's status, final metrics
# and where its model file is. Run it again to train once more; the data
# folder (.trainyard/ here) keeps every earlier job.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
scripts/build.sh

trainyard="$PWD/build/trainyard"
data_dir="${TRAINYARD_DATA_DIR:-$PWD/.trainyard}"
mkdir -p "$data_dir"
# The CLI's login goes to a config file inside the data folder, so the
# quickstart leaves the user's own configuration alone.
export TRAINYARD_CONFIG="$data_dir/cli-config.json"

rm -f "$data_dir/up.json"
"$trainyard" up --data-dir "$data_dir" --listen 127.0.0.1:0 >"$data_dir/up.out" 2>&1 &
up_pid=$!
stop_up() {
  kill -INT "$up_pid" 2>/dev/null || true
  wait "$up_pid" 2>/dev/null || true
}
trap stop_up EXIT

for _ in $(seq 1 600); do
  [ -f "$data_dir/up.json" ] && break
  if ! kill -0 "$up_pid" 2>/dev/null; then
    echo "quickstart: trainyard up failed:" >&2
    cat "$data_dir/up.out" >&2
    exit 1
  fi
  sleep 0.1
done
[ -f "$data_dir/up.json" ] || { echo "quickstart: trainyard up did not get ready in 60 s" >&2; exit 1; }
cat "$data_dir/up.out"

job="digits-pytorch-$(date +%Y%m%d-%H%M%S)"
echo
echo "== Training $job on compute 'local' =="
status=0
"$trainyard" ml job create --file examples/digits-pytorch/job.yml --name "$job" --stream || status=$?

echo
echo "== Job $job: status, history and final metrics =="
"$trainyard" ml job show --name "$job"
download="$data_dir/downloads/$job"
"$trainyard" ml job download --name "$job" --download-path "$download" >/dev/null
echo
echo "Model file: $(find "$download" -name 'model.pt' -print -quit)"
exit "$status"
