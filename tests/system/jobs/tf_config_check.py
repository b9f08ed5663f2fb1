"""Run by every task of a TensorFlow job: check TF_CONFIG as TensorFlow reads it.

TensorFlow is not packaged for Debian, so this script applies the rules of
tf.distribute.cluster_resolver.TFConfigClusterResolver by hand: TF_CONFIG is
a JSON object with "cluster" (job name to a list of "host:port") and "task"
({"type", "index"}) naming an entry of that cluster. The task then listens
on its own address, as a TensorFlow server would. Prints
"tf-config RANK JSON" and exits 1 with the reason when a rule is broken.
"""

import json
import os
import socket
import sys


def fail(reason):
    print(f"tf-config-invalid: {reason}", file=sys.stderr, flush=True)
    sys.exit(1)


def main():
    text = os.environ.get("TF_CONFIG")
    if not text:
        fail("TF_CONFIG is not set")
    try:
        config = json.loads(text)
    except json.JSONDecodeError as error:
        fail(f"TF_CONFIG is not JSON: {error}")
    if not isinstance(config, dict) or set(config) != {"cluster", "task"}:
        fail(f"TF_CONFIG must have exactly the keys cluster and task: {text}")
    cluster, task = config["cluster"], config["task"]
    if not isinstance(cluster, dict) or not cluster.get("worker"):
        fail(f"the cluster has no worker list: {cluster}")
    for job, addresses in cluster.items():
        if job not in ("worker", "ps") or not isinstance(addresses, list):
            fail(f"cluster entry {job!r} is not a known job with a list of addresses")
    if set(task) != {"type", "index"} or task["type"] not in cluster:
        fail(f"task {task} does not name a job of the cluster")
    if not 0 <= task["index"] < len(cluster[task["type"]]):
        fail(f"task index {task['index']} is outside the {task['type']} list")

    host, port = cluster[task["type"]][task["index"]].rsplit(":", 1)
    with socket.socket() as listener:
        try:
            listener.bind((host, int(port)))
        except OSError as error:
            fail(f"cannot listen on the task's own address {host}:{port}: {error}")
    print(f"tf-config {os.environ.get('RANK')} {json.dumps(config, sort_keys=True)}", flush=True)


if __name__ == "__main__":
    main()
