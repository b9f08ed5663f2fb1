"""Memory and CPU time of processes and of the whole machine, from /proc."""

import os
import threading

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def rss_kib(pid):
    """Resident set size of `pid` in KiB, or 0 when the process is gone."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def cpu_seconds(pid):
    """(own, children) user plus system CPU seconds of `pid`.

    `children` counts only descendants that exited and were waited for.
    """
    try:
        with open(f"/proc/{pid}/stat") as stat:
            # Fields after the command name, which may contain spaces.
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0, 0.0
    # utime, stime, cutime and cstime are fields 14 to 17 of proc(5).
    ticks = [int(value) for value in fields[11:15]]
    return (ticks[0] + ticks[1]) / CLOCK_TICKS, (ticks[2] + ticks[3]) / CLOCK_TICKS


def machine_cpu_seconds():
    """(busy, total) CPU seconds of all cores since boot, from /proc/stat."""
    with open("/proc/stat") as stat:
        values = [int(value) for value in stat.readline().split()[1:]]
    idle = values[3] + values[4]  # idle and iowait
    return (sum(values) - idle) / CLOCK_TICKS, sum(values) / CLOCK_TICKS


def load_average():
    return list(os.getloadavg())


class PeakRss:
    """Samples the RSS of named processes in a thread and keeps each maximum."""

    def __init__(self, pids, interval=0.1):
        self.pids = dict(pids)
        self.interval = interval
        self.peak_kib = {name: rss_kib(pid) for name, pid in self.pids.items()}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *unused):
        self._stop.set()
        self._thread.join()
        self._sample()

    def _sample(self):
        for name, pid in self.pids.items():
            self.peak_kib[name] = max(self.peak_kib[name], rss_kib(pid))

    def _run(self):
        while not self._stop.wait(self.interval):
            self._sample()


class CpuUse:
    """CPU seconds used inside a `with` by each named process, its children and the machine.

    `seconds` maps each name to its own CPU seconds, "NAME children" to those
    of its waited-for descendants, "machine busy" and "machine total" to all
    cores, and "others" to what the rest of the machine used.
    """

    def __init__(self, pids):
        self.pids = dict(pids)
        self.seconds = {}

    def __enter__(self):
        self._start = {name: cpu_seconds(pid) for name, pid in self.pids.items()}
        self._machine = machine_cpu_seconds()
        return self

    def __exit__(self, *unused):
        for name, pid in self.pids.items():
            own, children = cpu_seconds(pid)
            self.seconds[name] = own - self._start[name][0]
            self.seconds[name + " children"] = children - self._start[name][1]
        busy, total = machine_cpu_seconds()
        self.seconds["machine busy"] = busy - self._machine[0]
        self.seconds["machine total"] = total - self._machine[1]
        self.seconds["others"] = self.seconds["machine busy"] - sum(
            self.seconds[name] + self.seconds[name + " children"] for name in self.pids)
