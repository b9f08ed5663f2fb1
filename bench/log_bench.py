#!/usr/bin/env python3
"""Measures job output streamed into the server's log store, and lines lost.

A trivial job writes N lines of 1,000 bytes each (`fold` over zero bytes
turned into 'x'). The figure is MB of text per second from the submit
returning to the job being Completed, which the agent reports only after
its last log chunk, and the number of lines missing or repeated (must be 0).

It also prints the CPU seconds and the peak RSS of the server and the
agent, and the machine's busy share while it ran. CPU time depends far less
on other load on the machine than the wall-clock figure does. With
--profile it samples the server and the agent with `perf record` and
prints their top symbols.

Usage: bench/log_bench.py [--megabytes 50] [--profile]
"""

import argparse
import contextlib
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                                "system"))
from harness import Cluster, TempFolder  # noqa: E402

import perf_profile  # noqa: E402
import procstat  # noqa: E402

LINE_BYTES = 1000


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=int, default=50, help="job output size in MB")
    parser.add_argument("--profile", action="store_true",
                        help="sample the server and the agent with perf and print top symbols")
    args = parser.parse_args()
    lines = args.megabytes * 1000 * 1000 // LINE_BYTES

    folder = TempFolder()
    cluster = Cluster(folder.path)
    try:
        command = (f"head -c {lines * LINE_BYTES} /dev/zero | tr '\\0' x | fold -w {LINE_BYTES}; "
                   "echo")
        pids = {"server": cluster.server.process.popen.pid,
                "agent": cluster.agent.process.popen.pid}
        cpu_before = {name: sum(procstat.cpu_seconds(pid)) for name, pid in pids.items()}
        machine_before = procstat.machine_cpu_seconds()
        profile = (perf_profile.PerfRecord(pids.values(),
                                           os.path.join(folder.path, "perf.data"))
                   if args.profile else contextlib.nullcontext())
        with profile, procstat.PeakRss(pids) as peak:
            began = time.monotonic()
            cluster.submit({"name": "flood", "command": command})
            cluster.wait_status("flood", ["Completed", "Failed"], timeout=1800)
            # The agent sends log chunks before the final status, in order, so
            # Completed means every line is in the store.
            elapsed = time.monotonic() - began
        cpu = {name: sum(procstat.cpu_seconds(pid)) - cpu_before[name]
               for name, pid in pids.items()}
        machine_after = procstat.machine_cpu_seconds()
        stored = cluster.log_lines("flood")
        symbols = profile.top_symbols(15) if args.profile else []
    finally:
        cluster.close()
        folder.close()

    busy = ((machine_after[0] - machine_before[0]) /
            max(machine_after[1] - machine_before[1], 1e-9))
    full = [line for line in stored if len(line["text"]) == LINE_BYTES]
    print(f"log streaming     {args.megabytes / elapsed:8.1f} MB/s   ({args.megabytes} MB in "
          f"{elapsed:.1f} s, {lines} lines of {LINE_BYTES} bytes)")
    print(f"lines lost        {lines - len(full)}   (stored {len(full)} of {lines})")
    print(f"CPU seconds       server {cpu['server']:.2f}, agent {cpu['agent']:.2f}   "
          f"({args.megabytes / max(cpu['server'], cpu['agent'], 1e-9):.0f} MB per CPU second "
          "of the busier one)")
    print(f"peak RSS          server {peak.peak_kib['server'] / 1024:.1f} MiB, "
          f"agent {peak.peak_kib['agent'] / 1024:.1f} MiB")
    print(f"machine busy      {busy * 100:.0f}% of {os.cpu_count()} cores, "
          f"load average {procstat.load_average()[0]:.1f}")
    for row in symbols:
        print(f"  {row['percent']:5.1f}%  {row['command']:<10} {row['object']:<22} "
              f"{row['symbol'][:90]}")


if __name__ == "__main__":
    main()
