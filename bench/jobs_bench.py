#!/usr/bin/env python3
"""Measures how much the control plane adds to starting and finishing a job.

Runs a real server and a real local agent on loopback and measures what
bench/trainyard_jobs.py describes: submit-to-start, exit-to-completed,
throughput, and server and agent RSS idle and at the peak of the
throughput run. bench/compare.py runs the same together with Slurm and the
fork-and-exec floor.

Usage: bench/jobs_bench.py [--jobs 200] [--throughput-jobs 1000] [--clients 4] [--json FILE]
"""

import argparse
import json
import time

import procstat
import trainyard_jobs


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=200, help="sequential jobs for latency")
    parser.add_argument("--throughput-jobs", type=int, default=1000,
                        help="jobs submitted concurrently for throughput")
    parser.add_argument("--clients", type=int, default=4, help="concurrent submitting clients")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()

    folder = trainyard_jobs.TempFolder()
    cluster = trainyard_jobs.Cluster(folder.path)
    try:
        time.sleep(1)
        idle = {name: procstat.rss_kib(pid)
                for name, pid in trainyard_jobs.process_ids(cluster).items()}
        latency, _ = trainyard_jobs.measure_latency(cluster, args.jobs)
        throughput, peak, _ = trainyard_jobs.measure_throughput(
            cluster, args.throughput_jobs, args.clients, timeout_s=1800)
    finally:
        cluster.close()
        folder.close()

    figures = dict(latency, throughput=throughput, rss_kib={"idle": idle, "peak": peak})
    starts, finishes = latency["latency_ms"], latency["exit_to_completed_ms"]
    print(f"submit-to-start   median {starts['median']:8.1f} ms   p95 {starts['p95']:8.1f} ms   "
          f"({starts['samples']} jobs)")
    print(f"exit-to-completed median {finishes['median']:8.1f} ms   p95 {finishes['p95']:8.1f} ms")
    print(f"throughput        accepted {throughput['accepted_per_s']:8.1f} jobs/s   completed "
          f"{throughput['completed_per_s']:8.1f} jobs/s   ({args.throughput_jobs} jobs, "
          f"{args.clients} clients)")
    print(f"memory (RSS)      server idle {idle['server'] / 1024:.1f} MiB, peak "
          f"{peak['server'] / 1024:.1f} MiB; agent idle {idle['agent'] / 1024:.1f} MiB, peak "
          f"{peak['agent'] / 1024:.1f} MiB")
    if args.json:
        with open(args.json, "w") as out:
            json.dump(figures, out, indent=2)


if __name__ == "__main__":
    main()
