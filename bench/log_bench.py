#!/usr/bin/env python3
"""Measures job output streamed into the server's log store, and lines lost.

A trivial job writes N lines of 1,000 bytes each (`fold` over zero bytes
turned into 'x'). The figure is MB of text per second from the submit
returning to the job being Completed, which the agent reports only after
its last log chunk, and the
number of lines missing or repeated (must be 0).

With --perf FILE it also samples every process on the machine with
`perf record -a -g` while the job runs, for `perf report -i FILE --sort
comm,dso,symbol`.

Usage: bench/log_bench.py [--megabytes 50] [--perf FILE]
"""

import argparse
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                                "system"))
from harness import Cluster, TempFolder  # noqa: E402

LINE_BYTES = 1000


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=int, default=50, help="job output size in MB")
    parser.add_argument("--perf", metavar="FILE",
                        help="record a system-wide perf profile of the run into FILE")
    args = parser.parse_args()
    lines = args.megabytes * 1000 * 1000 // LINE_BYTES

    folder = TempFolder()
    cluster = Cluster(folder.path)
    try:
        command = (f"head -c {lines * LINE_BYTES} /dev/zero | tr '\\0' x | fold -w {LINE_BYTES}; "
                   "echo")
        profiler = None
        if args.perf:
            profiler = subprocess.Popen(["perf", "record", "-a", "-g", "-B", "-F", "499", "-o",
                                         args.perf], stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)
            time.sleep(1)  # perf needs a moment before it samples
        began = time.monotonic()
        cluster.submit({"name": "flood", "command": command})
        cluster.wait_status("flood", ["Completed", "Failed"], timeout=1800)
        # The agent sends log chunks before the final status, in order, so
        # Completed means every line is in the store.
        elapsed = time.monotonic() - began
        if profiler:
            profiler.send_signal(signal.SIGINT)
            profiler.wait()
        stored = cluster.log_lines("flood")
    finally:
        cluster.close()
        folder.close()

    full = [line for line in stored if len(line["text"]) == LINE_BYTES]
    print(f"log streaming     {args.megabytes / elapsed:8.1f} MB/s   ({args.megabytes} MB in "
          f"{elapsed:.1f} s, {lines} lines of {LINE_BYTES} bytes)")
    print(f"lines lost        {lines - len(full)}   (stored {len(full)} of {lines})")


if __name__ == "__main__":
    main()
