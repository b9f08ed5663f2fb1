"""Submit-to-start latency and throughput of a `SlurmPeer`, measured as for Trainyard.

- submit-to-start: from `sbatch` returning to the batch script reading the
  clock (`date +%s%N` is its first command, written to a file this process
  polls every 5 ms), one job after another, each waited for until it has
  left the queue;
- throughput: trivial `sbatch --wrap true` jobs submitted by concurrent
  clients, accepted and completed per second.
"""

import concurrent.futures
import os
import time

import figures
import procstat
from slurm_peer import SlurmError


def wait_for(predicate, timeout_s, interval_s, what):
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise SlurmError(f"timed out after {timeout_s} s waiting for {what}")
        time.sleep(interval_s)


def read_clock_file(path):
    try:
        with open(path) as clock:
            text = clock.read().strip()
    except OSError:
        return None
    return int(text) if text else None


def measure_latency(peer, count, log=print):
    """Submits `count` jobs one after another on an idle node."""
    folder = os.path.join(peer.work_dir, "latency")
    os.makedirs(folder, exist_ok=True)
    starts = []
    for index in range(count):
        path = os.path.join(folder, str(index))
        # The rename makes the reading appear whole or not at all.
        job_id = peer.sbatch("latency", f"date +%s%N > {path}.part && mv {path}.part {path}")
        submitted_ns = time.time_ns()
        wait_for(lambda: os.path.exists(path), 60, 0.005, f"Slurm job {job_id} to start")
        starts.append((read_clock_file(path) - submitted_ns) / 1e6)
        wait_for(lambda: not peer.job_active(job_id), 60, 0.02, f"Slurm job {job_id} to end")
        if (index + 1) % 50 == 0:
            log(f"slurm latency: {index + 1}/{count} jobs")
    return {"latency_ms": figures.summarize(starts)}


def sdiag_counters(peer):
    """Job counters of `sdiag`: submitted, started, completed, canceled, failed."""
    counters = {}
    for line in peer.run(["sdiag"]).splitlines():
        key, _, value = line.strip().partition(":")
        if key.startswith("Jobs ") and value.strip().isdigit():
            counters[key[len("Jobs "):]] = int(value)
    return counters


def measure_throughput(peer, count, clients, timeout_s, log=print):
    """Submits `count` trivial jobs from `clients` threads and waits for them to end.

    Returns the figures, the peak RSS of the daemons in KiB and the CPU
    seconds each used meanwhile. `bench driver children` is the CPU
    time of the `sbatch` and `squeue` processes. When the jobs have not all
    ended `timeout_s` after the first submission, the figures count the jobs
    that ended by then, `finished` is false, and the rest are canceled.
    """
    peer.run(["sdiag", "--reset"])
    pids = dict(peer.pids(), **{"bench driver": os.getpid()})
    with procstat.PeakRss(peer.pids()) as peak, procstat.CpuUse(pids) as cpu:
        began = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(clients) as pool:
            list(pool.map(lambda _: peer.sbatch("burst", "true"), range(count)))
        accepted_s = time.monotonic() - began
        log(f"slurm throughput: {count} jobs accepted in {accepted_s:.1f} s")
        deadline = began + timeout_s
        active = peer.active_jobs("burst")
        while active and time.monotonic() < deadline:
            time.sleep(0.25)
            active = peer.active_jobs("burst")
        elapsed_s = time.monotonic() - began
    if active:
        log(f"slurm throughput: stopped waiting after {timeout_s} s with {count - active} of "
            f"{count} jobs ended; canceling the rest")
        peer.run(["scancel", "-n", "burst"])
    counters = sdiag_counters(peer)
    return ({"accepted_per_s": count / accepted_s, "completed_per_s": (count - active) / elapsed_s,
             "jobs": count, "ended": count - active, "finished": not active, "clients": clients,
             "seconds": elapsed_s, "sdiag_completed": counters.get("completed"),
             "failed": counters.get("failed", 0) + counters.get("canceled", 0)},
            peak.peak_kib, cpu.seconds)
