"""Job latency, throughput and memory of a real Trainyard server and agent.

The functions take a `Cluster` from tests/system/harness.py: a `trainyard
server` and a `trainyard agent` with the local executor on loopback, with
jobs submitted through the REST API.

- submit-to-start: from the submit request returning to the job's process
  reading the clock itself (`date +%s%N` is the job's first command);
- exit-to-completed: from the job's last clock reading to the server's
  `updatedAt` of the Completed job;
- throughput: trivial jobs submitted by concurrent clients, accepted and
  completed per second, with the peak RSS of server and agent meanwhile.
"""

import concurrent.futures
import datetime
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                                "system"))
import harness  # noqa: E402
from harness import Cluster, TempFolder  # noqa: E402,F401

import figures  # noqa: E402
import procstat  # noqa: E402

# Statuses after which a job does nothing more.
FINAL = ("Completed", "Failed", "Canceled")
NOT_FINAL = ("Queued", "NotStarted", "Preparing", "Starting", "Running", "Finalizing",
             "CancelRequested")


def use_binary(path):
    """Makes every `Cluster` started from now on run the `trainyard` binary at `path`."""
    harness.BINARY = path


def parse_time_ms(text):
    """Milliseconds since the epoch of an RFC 3339 time such as 2026-12-04T23:31:33.620Z."""
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000


def add_instance_type(cluster, name, cpu_millis):
    """Adds an instance type to the cluster's compute that requests `cpu_millis` of a CPU."""
    cluster.api("POST", f"{cluster.workspace_path}/computes/{cluster.COMPUTE}/instanceTypes",
                {"name": name, "resources": {"requests": {"cpu": f"{cpu_millis}m"}}})


def process_ids(cluster):
    return {"server": cluster.server.process.popen.pid, "agent": cluster.agent.process.popen.pid}


def history_steps_ms(job, submitted_ms, started_ms):
    """Splits one job's submit-to-start into the steps its history records.

    Times of the history have millisecond resolution. Steps: the scheduler
    assigning the job (Queued to Preparing), the agent preparing it
    (Preparing to Starting), the executor spawning the rank (Starting to the
    rank's Running), and the job's shell reaching its first command.
    """
    history = job["properties"]["history"]

    def first(status, rank_entry):
        for entry in history:
            if entry["status"] == status and ("rank" in entry) == rank_entry:
                return parse_time_ms(entry["time"])
        return None

    queued = parse_time_ms(job["properties"]["createdAt"])
    preparing = first("Preparing", False)
    starting = first("Starting", False)
    running = first("Running", True)
    if None in (preparing, starting, running):
        return None
    return {"submit returned after create": submitted_ms - queued,
            "scheduler: Queued to Preparing": preparing - queued,
            "agent: Preparing to Starting": starting - preparing,
            "executor: Starting to rank Running": running - starting,
            "rank Running to the job's first command": started_ms - running}


def trivial_job(name, command, instance_type):
    spec = {"name": name, "command": command}
    if instance_type:
        spec["resources"] = {"instance_type": instance_type}
    return spec


def measure_latency(cluster, count, instance_type=None, log=print):
    """Submits `count` jobs one after another; returns the figures and a step profile."""
    starts, finishes, steps = [], [], []
    for index in range(count):
        name = f"latency-{index}"
        cluster.submit(trivial_job(name, "date +%s%N; date +%s%N", instance_type))
        submitted_ns = time.time_ns()
        job = cluster.wait_status(name, FINAL, timeout=60)
        if job["properties"]["status"] != "Completed":
            raise RuntimeError(f"latency job '{name}' ended {job['properties']['status']}: "
                               f"{job['properties'].get('error')}")
        lines = [line["text"] for line in cluster.log_lines(name)]
        first, last = int(lines[0]), int(lines[-1])
        starts.append((first - submitted_ns) / 1e6)
        finishes.append(parse_time_ms(job["updatedAt"]) - last / 1e6)
        job_steps = history_steps_ms(job, submitted_ns / 1e6, first / 1e6)
        if job_steps:
            steps.append(job_steps)
        if (index + 1) % 50 == 0:
            log(f"trainyard latency: {index + 1}/{count} jobs")
    profile = {step: figures.summarize([each[step] for each in steps])["median"]
               for step in (steps[0] if steps else {})}
    return {"latency_ms": figures.summarize(starts),
            "exit_to_completed_ms": figures.summarize(finishes)}, profile


def unfinished(cluster):
    """True while any job is not in a final status."""
    for status in NOT_FINAL:
        page = cluster.api("GET", f"{cluster.workspace_path}/jobs?pageSize=1&status={status}")
        if page["items"]:
            return True
    return False


def count_ended(cluster, prefix):
    """Counts the jobs named `prefix`-N in each final status, paging through the lists.

    Also returns "NAME: STATUS: error" of one job that failed or was
    canceled, or None.
    """
    counts, first_failure = {}, None
    for status in FINAL:
        counts[status], token = 0, ""
        while True:
            query = f"pageSize=1000&status={status}" + (f"&pageToken={token}" if token else "")
            page = cluster.api("GET", f"{cluster.workspace_path}/jobs?{query}")
            names = [job["name"] for job in page["items"] if job["name"].startswith(prefix + "-")]
            counts[status] += len(names)
            if names and status != "Completed" and first_failure is None:
                job = cluster.job(names[0])
                first_failure = f"{names[0]}: {status}: {job['properties'].get('error')}"
            token = page.get("nextPageToken")
            if not token:
                break
    return counts, first_failure


def submit_burst(cluster, count, clients, instance_type, prefix):
    """Submits `count` jobs running `true`, named `prefix`-N, from `clients` threads."""
    names = [f"{prefix}-{index}" for index in range(count)]
    with concurrent.futures.ThreadPoolExecutor(clients) as pool:
        list(pool.map(lambda name: cluster.submit(trivial_job(name, "true", instance_type)),
                      names))


def measure_throughput(cluster, count, clients, timeout_s, instance_type=None, prefix="burst",
                       log=print):
    """Submits `count` trivial jobs from `clients` threads and waits for them to end.

    Returns the figures, the peak RSS of server and agent in KiB, and the CPU
    seconds each used meanwhile. When the jobs have not all ended `timeout_s`
    after the first submission, the figures count the jobs that ended by then
    and `finished` is false.
    """
    pids = process_ids(cluster)
    pids["bench driver"] = os.getpid()
    with procstat.PeakRss(process_ids(cluster)) as peak, procstat.CpuUse(pids) as cpu:
        began = time.monotonic()
        submit_burst(cluster, count, clients, instance_type, prefix)
        accepted_s = time.monotonic() - began
        log(f"trainyard throughput: {count} jobs accepted in {accepted_s:.1f} s")
        deadline = began + timeout_s
        finished = False
        while time.monotonic() < deadline:
            if not unfinished(cluster):
                finished = True
                break
            time.sleep(0.25)
        elapsed_s = time.monotonic() - began
    ended, first_failure = count_ended(cluster, prefix)
    done = count if finished else sum(ended.values())
    if not finished:
        log(f"trainyard throughput: stopped waiting after {timeout_s} s with {done} of {count} "
            "jobs ended")
    return ({"accepted_per_s": count / accepted_s, "completed_per_s": done / elapsed_s,
             "jobs": count, "ended": done, "finished": finished, "clients": clients,
             "failed": ended["Failed"] + ended["Canceled"], "first_failure": first_failure,
             "seconds": elapsed_s},
            peak.peak_kib, cpu.seconds)
