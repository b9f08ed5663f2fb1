#!/usr/bin/env python3
"""Measures how much the control plane adds to starting and finishing a job.

Runs a real server and a real local agent on loopback and submits trivial
jobs through the REST API, one after another:

- submit-to-start: from the submit request returning to the job's process
  printing its first line (the process reads the clock itself);
- exit-to-completed: from the process's last clock reading to the moment the
  server stored Completed (the job's updatedAt);
- throughput: jobs submitted by several concurrent clients, accepted and
  completed per second.

Usage: bench/jobs_bench.py [--jobs 200] [--throughput-jobs 1000] [--clients 4]
Prints a table and writes the same figures as JSON to --json (optional).
"""

import argparse
import concurrent.futures
import datetime
import json
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                                "system"))
from harness import Cluster, TempFolder, wait_until  # noqa: E402


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def measure_latency(cluster, count):
    starts, finishes = [], []
    for index in range(count):
        name = f"latency-{index}"
        # `date +%s%N` runs inside the job: its reading is the process start.
        spec = {"name": name, "command": "date +%s%N; date +%s%N"}
        cluster.submit(spec)
        submitted = time.time_ns()
        job = cluster.wait_status(name, ["Completed", "Failed"], timeout=60)
        lines = [line["text"] for line in cluster.log_lines(name)]
        first, last = int(lines[0]), int(lines[-1])
        starts.append((first - submitted) / 1e6)
        # The server sets updatedAt when it stores the final status.
        stored = datetime.datetime.fromisoformat(job["updatedAt"].replace("Z", "+00:00"))
        finishes.append(stored.timestamp() * 1000 - last / 1e6)
    return starts, finishes


def measure_throughput(cluster, count, clients):
    names = [f"burst-{index}" for index in range(count)]
    began = time.monotonic()

    def submit(name):
        cluster.submit({"name": name, "command": "true"})

    with concurrent.futures.ThreadPoolExecutor(clients) as pool:
        list(pool.map(submit, names))
    accepted = time.monotonic() - began
    peak = {"server": rss_kib(cluster.server.process.popen.pid),
            "agent": rss_kib(cluster.agent.process.popen.pid)}

    def all_done():
        page = cluster.api("GET", cluster.workspace_path + "/jobs?pageSize=1&status=Queued")
        running = cluster.api("GET", cluster.workspace_path + "/jobs?pageSize=1&status=Running")
        return not page["items"] and not running["items"]

    wait_until(all_done, timeout=1800, interval=0.2, what="burst to finish")
    for name in names[-5:]:
        cluster.wait_status(name, ["Completed", "Failed"], timeout=600)
    completed = time.monotonic() - began
    return count / accepted, count / completed, peak


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=200, help="sequential jobs for latency")
    parser.add_argument("--throughput-jobs", type=int, default=1000,
                        help="jobs submitted concurrently for throughput")
    parser.add_argument("--clients", type=int, default=4, help="concurrent submitting clients")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()

    folder = TempFolder()
    cluster = Cluster(folder.path)
    try:
        time.sleep(1)
        idle = {"server": rss_kib(cluster.server.process.popen.pid),
                "agent": rss_kib(cluster.agent.process.popen.pid)}
        starts, finishes = measure_latency(cluster, args.jobs)
        accepted, completed, peak = measure_throughput(cluster, args.throughput_jobs, args.clients)
    finally:
        cluster.close()
        folder.close()

    figures = {
        "submit_to_start_ms": {"median": statistics.median(starts),
                               "p95": percentile(starts, 0.95), "jobs": len(starts)},
        "exit_to_completed_ms": ({"median": statistics.median(finishes),
                                  "p95": percentile(finishes, 0.95)} if finishes else None),
        "throughput_jobs_per_s": {"accepted": accepted, "completed": completed,
                                  "jobs": args.throughput_jobs, "clients": args.clients},
        "rss_kib": {"idle": idle, "peak": peak},
    }
    print(f"submit-to-start   median {figures['submit_to_start_ms']['median']:8.1f} ms   "
          f"p95 {figures['submit_to_start_ms']['p95']:8.1f} ms   ({len(starts)} jobs)")
    if finishes:
        print(f"exit-to-completed median {figures['exit_to_completed_ms']['median']:8.1f} ms   "
              f"p95 {figures['exit_to_completed_ms']['p95']:8.1f} ms")
    print(f"throughput        accepted {accepted:8.1f} jobs/s   completed {completed:8.1f} jobs/s"
          f"   ({args.throughput_jobs} jobs, {args.clients} clients)")
    print(f"memory (RSS)      server idle {idle['server'] / 1024:.1f} MiB, peak "
          f"{peak['server'] / 1024:.1f} MiB; agent idle {idle['agent'] / 1024:.1f} MiB, peak "
          f"{peak['agent'] / 1024:.1f} MiB")
    if args.json:
        with open(args.json, "w") as out:
            json.dump(figures, out, indent=2)


if __name__ == "__main__":
    main()
