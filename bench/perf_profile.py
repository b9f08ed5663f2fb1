"""CPU profile of running processes with Linux `perf`, summarized by symbol.

`perf record` samples every CPU while a `with` block runs, and the reports
keep only the samples of the given processes. `top_symbols` then lists the
share of those samples that each (command, shared object, symbol) took,
highest first. Other processes, such as the jobs' shims and shells, are
left out, but bench/procstat.py counts their CPU time.

NOTE: perf records every CPU because `perf record -p` attaches to the
threads that exist when it starts, and recorded no samples of an agent
whose job threads come and go.
"""

import os
import re
import shutil
import signal
import subprocess
import time

# 499 Hz rather than a round number, so sampling does not run in step with
# timers of the sampled processes.
FREQUENCY_HZ = 499
# A report filtered with --pid ends each row with empty IPC columns ("-  -").
SYMBOL_LINE = re.compile(r"^\s*([0-9.]+)%\s+(\S+)\s+(\S+)\s+\[[.k]\]\s+(.+?)(?:\s+-\s+-)?\s*$")


def available():
    return shutil.which("perf") is not None


class PerfRecord:
    """`perf record` of every CPU during a `with` block, reported for the processes `pids`."""

    def __init__(self, pids, path):
        self.pids = list(pids)
        self.path = path
        self.process = None
        self.error = None
        self.rows = None

    def __enter__(self):
        args = ["perf", "record", "-a", "-F", str(FREQUENCY_HZ), "-o", self.path]
        self.process = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, text=True)
        # perf needs a moment to attach; without it the first samples are lost.
        time.sleep(0.5)
        if self.process.poll() is not None:
            self.error = f"perf record exited at once: {self.process.stdout.read().strip()}"
        return self

    def __exit__(self, *unused):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
                self.error = "perf record did not stop within 60 s of SIGINT"

    def top_symbols(self, count=20):
        """Returns up to `count` rows {"percent", "command", "object", "symbol"} by self time."""
        return self._symbols()[:count]

    def top_objects(self, count=10):
        """Returns up to `count` rows {"percent", "command", "object"} by self time.

        The shares are sums over the symbol rows, because a report sorted by
        shared object and filtered with --pid put every sample under one object.
        """
        return sum_by_object(self._symbols())[:count]

    def _symbols(self):
        if self.rows is None:
            self.rows = parse_symbols(self._report())
        return self.rows

    def _report(self):
        if self.error:
            raise RuntimeError(self.error)
        if not os.path.exists(self.path):
            raise RuntimeError(f"perf record wrote no {self.path}")
        result = subprocess.run(["perf", "report", "-i", self.path, "--stdio", "--sort",
                                 "comm,dso,symbol", "--pid",
                                 ",".join(str(pid) for pid in self.pids),
                                 "--percentage", "relative"],
                                capture_output=True, text=True, timeout=300)
        if result.returncode != 0:
            raise RuntimeError(f"perf report failed: {result.stderr.strip()[-500:]}")
        return result.stdout


def parse_symbols(text):
    """Reads the sample rows of `perf report --stdio --sort comm,dso,symbol`."""
    return parse_rows(text, SYMBOL_LINE, ("command", "object", "symbol"))


def sum_by_object(symbol_rows):
    """Adds up symbol rows per (command, object), highest share first."""
    totals = {}
    for row in symbol_rows:
        key = (row["command"], row["object"])
        totals[key] = totals.get(key, 0.0) + row["percent"]
    rows = [{"percent": round(percent, 2), "command": command, "object": name}
            for (command, name), percent in totals.items()]
    return sorted(rows, key=lambda row: -row["percent"])


def parse_rows(text, pattern, keys):
    """Returns {"percent", *keys} for each line `pattern` matches, in order."""
    rows = []
    for line in text.splitlines():
        match = pattern.match(line)
        if match:
            row = {"percent": float(match.group(1))}
            row.update(zip(keys, match.groups()[1:]))
            rows.append(row)
    return rows
