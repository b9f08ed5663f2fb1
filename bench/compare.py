#!/usr/bin/env python3
"""Runs Trainyard, Slurm and the fork-and-exec floor side by side on this machine.

In one run, on loopback only:
- the floor: fork, exec of /bin/true and wait (bench/spawn_floor.cc);
- Trainyard: submit-to-start, throughput and server and agent RSS
  (bench/trainyard_jobs.py), log streaming (bench/log_bench.py), metric
  ingestion (bench/metrics_bench.cc);
- Slurm 22.05 from Debian's slurm-wlm: submit-to-start and throughput
  (bench/slurm_jobs.py). Its daemons run from a temporary folder and stop
  when the run ends (bench/slurm_peer.py). apt installs slurm-wlm when it
  is missing.

Prints a table with each figure, the ratios Trainyard/Slurm and
Trainyard/floor, the targets and a profile of where the time goes. It
writes the same as JSON, and the tables as Markdown beside it (.md). A
phase that fails is reported and the others still run, but the exit code
is then 1. bench/run_all.sh builds the binaries and calls this script.
"""

import argparse
import datetime
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import figures
import perf_profile
import procstat
import slurm_jobs
import slurm_peer
import trainyard_jobs

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH_DIR)
# The instance type of every Trainyard job in the run; see --job-slots.
INSTANCE_TYPE = "bench-slot"


def log(message):
    print(f"[{datetime.datetime.now():%H:%M:%S}] {message}", file=sys.stderr, flush=True)


def whole_number(minimum):
    def parse(text):
        try:
            value = int(text)
        except ValueError:
            value = minimum - 1
        if value < minimum:
            raise argparse.ArgumentTypeError(
                f"expected a whole number of at least {minimum}, got '{text}'")
        return value
    return parse


positive_int = whole_number(1)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build-dir", default=os.path.join(ROOT, "build"),
                        help="folder with the built trainyard and bench binaries (default build/)")
    parser.add_argument("--json", help="where to write the figures as JSON "
                        "(default BUILD_DIR/bench/compare.json)")
    parser.add_argument("--jobs", type=positive_int, default=200,
                        help="sequential jobs for submit-to-start, per system (default 200)")
    parser.add_argument("--throughput-jobs", type=positive_int, default=5000,
                        help="jobs for throughput, per system (default 5000)")
    parser.add_argument("--clients", type=positive_int, default=4,
                        help="concurrent submitting clients for throughput (default 4)")
    parser.add_argument("--metrics-seconds", type=positive_int, default=10,
                        help="seconds of sustained metric ingestion (default 10)")
    parser.add_argument("--log-megabytes", type=positive_int, default=50,
                        help="MB of job output for log streaming (default 50)")
    parser.add_argument("--job-slots", type=positive_int, default=64,
                        help="trivial jobs each system may run at once (default 64): Slurm's "
                        "node declares this many CPUs, and Trainyard's jobs use an instance "
                        "type that requests this machine's CPUs divided by it")
    parser.add_argument("--slurm-scheduler-parameters",
                        default=slurm_peer.DEFAULT_SCHEDULER_PARAMETERS,
                        help="SchedulerParameters of slurm.conf; empty for Slurm's defaults")
    parser.add_argument("--phase-timeout", type=positive_int, default=240,
                        help="seconds from a throughput run's first submission after which "
                        "only the jobs that ended so far count (default 240)")
    parser.add_argument("--profile-seconds", type=whole_number(0), default=30,
                        help="seconds to sample Trainyard's server and agent with perf after the "
                        "measured throughput run (default 30, 0 for none)")
    parser.add_argument("--profile-jobs", type=positive_int, default=500,
                        help="jobs to submit for the perf sample when the measured run left "
                        "none running (default 500)")
    parser.add_argument("--skip", default="",
                        help="comma-separated systems to leave out: floor, trainyard, slurm")
    args = parser.parse_args()
    args.skip = {name for name in args.skip.split(",") if name}
    unknown = args.skip - {"floor", "trainyard", "slurm"}
    if unknown:
        parser.error(f"--skip: unknown system '{sorted(unknown)[0]}'; use floor, trainyard or "
                     "slurm")
    args.build_dir = os.path.abspath(args.build_dir)
    if args.json is None:
        args.json = os.path.join(args.build_dir, "bench", "compare.json")
    return args


def machine():
    model = ""
    with open("/proc/cpuinfo") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as meminfo:
        memory_kib = int(meminfo.readline().split()[1])
    return {"cpus": os.cpu_count(), "cpu_model": model,
            "memory_gib": round(memory_kib / 1024 / 1024, 1), "kernel": platform.release()}


def require_file(path, what):
    if not os.path.isfile(path) or not os.access(path, os.X_OK):
        raise FileNotFoundError(f"{what} not found at '{path}'; build it with "
                                "bench/run_all.sh or cmake --build build")


def run_floor(args):
    binary = os.path.join(args.build_dir, "bench", "spawn_floor")
    require_file(binary, "spawn_floor")
    result = subprocess.run([binary, "--jobs", str(args.jobs), "--throughput-jobs",
                             str(args.throughput_jobs), "--workers", str(args.clients)],
                            capture_output=True, text=True, timeout=300, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"spawn_floor failed with exit code {result.returncode}: "
                           f"{result.stderr.strip()}")
    measured = json.loads(result.stdout)
    return {"latency_ms": measured["latency_ms"],
            "throughput": {"completed_per_s": measured["throughput_jobs_per_s"]["completed"],
                           "jobs": args.throughput_jobs, "workers": args.clients}}


def time_process_start(args, profile, count=50):
    """Times starting a process that exits at once: /bin/true and the rank shim.

    Each job rank runs `trainyard-shim shim`. With only the verb it stops at
    its usage check, so the time is the dynamic loading and static
    initialization that every rank pays before its work. `trainyard shim`,
    the whole binary that the agent falls back to, is timed for comparison.
    """
    commands = {"/bin/true": ["/bin/true"],
                "trainyard-shim, stopped at its usage check":
                    [os.path.join(args.build_dir, "trainyard-shim"), "shim"],
                "trainyard shim (fallback), stopped at its usage check":
                    [os.path.join(args.build_dir, "trainyard"), "shim"]}
    medians = {}
    for name, command in commands.items():
        samples = []
        for _ in range(count):
            began = time.perf_counter()
            subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           timeout=60, check=False)
            samples.append((time.perf_counter() - began) * 1000)
        medians[name] = figures.summarize(samples)["median"]
    profile["process start and exit from Python, median ms"] = medians


def run_trainyard(args, results, profile):
    binary = os.path.join(args.build_dir, "trainyard")
    require_file(binary, "trainyard")
    time_process_start(args, profile)
    trainyard_jobs.use_binary(binary)
    folder = trainyard_jobs.TempFolder()
    cluster = trainyard_jobs.Cluster(folder.path)
    measured = results.setdefault("trainyard", {})
    try:
        cpu_millis = os.cpu_count() * 1000 // args.job_slots
        trainyard_jobs.add_instance_type(cluster, INSTANCE_TYPE, cpu_millis)
        measured["config"] = {"instance_type_cpu_millis": cpu_millis}
        # Let both processes finish starting before reading idle memory.
        time.sleep(1)
        idle = {name: procstat.rss_kib(pid)
                for name, pid in trainyard_jobs.process_ids(cluster).items()}
        log(f"trainyard: submit-to-start over {args.jobs} sequential jobs")
        latency, steps = trainyard_jobs.measure_latency(cluster, args.jobs, INSTANCE_TYPE,
                                                       log=log)
        measured.update(latency)
        profile["trainyard submit-to-start steps, median ms"] = steps
        log(f"trainyard: throughput of {args.throughput_jobs} jobs from {args.clients} clients")
        throughput, peak, cpu = trainyard_jobs.measure_throughput(
            cluster, args.throughput_jobs, args.clients, args.phase_timeout, INSTANCE_TYPE,
            log=log)
        measured["throughput"] = throughput
        note_unfinished(results, "Trainyard", throughput)
        measured["memory_mib"] = {"server_idle": idle["server"] / 1024,
                                  "agent_idle": idle["agent"] / 1024,
                                  "server_peak": peak["server"] / 1024,
                                  "agent_peak": peak["agent"] / 1024}
        profile["trainyard throughput, CPU seconds"] = cpu
        if args.profile_seconds:
            profile_trainyard(args, cluster, profile, throughput["jobs"] - throughput["ended"])
    finally:
        cluster.close()
        folder.close()


def profile_trainyard(args, cluster, profile, jobs_left):
    """Samples server and agent with perf for `--profile-seconds` of job load.

    The load is the jobs the measured run left unfinished, or else a new
    burst of `--profile-jobs` jobs, so perf never slows the measured run.
    """
    if not perf_profile.available():
        log("trainyard: perf is not installed, so no CPU profile (apt-get install linux-perf)")
        return
    path = os.path.join(cluster.folder, "perf.data")
    pids = trainyard_jobs.process_ids(cluster).values()
    with perf_profile.PerfRecord(pids, path) as perf:
        if jobs_left:
            log(f"trainyard: CPU profile of server and agent for {args.profile_seconds} s of the "
                f"{jobs_left} jobs left")
        else:
            log(f"trainyard: CPU profile of server and agent for {args.profile_seconds} s of "
                f"{args.profile_jobs} more jobs")
            trainyard_jobs.submit_burst(cluster, args.profile_jobs, args.clients, INSTANCE_TYPE,
                                        "profiled")
        time.sleep(args.profile_seconds)
    profile["trainyard throughput, perf samples by object, %"] = perf.top_objects()
    profile["trainyard throughput, perf samples by symbol, %"] = perf.top_symbols()


def run_trainyard_logs(args, results):
    binary = os.path.join(args.build_dir, "trainyard")
    require_file(binary, "trainyard")
    log(f"trainyard: log streaming of {args.log_megabytes} MB")
    env = dict(os.environ, TRAINYARD_BIN=binary)
    result = subprocess.run([sys.executable, os.path.join(BENCH_DIR, "log_bench.py"),
                             "--megabytes", str(args.log_megabytes)],
                            capture_output=True, text=True, timeout=600, env=env, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"log_bench.py failed with exit code {result.returncode}: "
                           f"{result.stderr.strip()[-800:]}")
    results.setdefault("trainyard", {})["logs"] = figures.parse_log_bench(result.stdout)


def run_trainyard_metrics(args, results):
    binary = os.path.join(args.build_dir, "bench", "metrics_bench")
    require_file(binary, "metrics_bench")
    log(f"trainyard: metric ingestion for {args.metrics_seconds} s")
    result = subprocess.run([binary, "--seconds", str(args.metrics_seconds), "--single", "2000"],
                            capture_output=True, text=True,
                            timeout=args.metrics_seconds + 300, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"metrics_bench failed with exit code {result.returncode}: "
                           f"{(result.stdout + result.stderr).strip()[-800:]}")
    results.setdefault("trainyard", {})["metrics"] = figures.parse_metrics_bench(result.stdout)


def run_slurm(args, results, profile):
    slurm_peer.install(log)
    folder = tempfile.mkdtemp(prefix="trainyard-bench-slurm-")
    peer = slurm_peer.SlurmPeer(folder, args.job_slots, args.slurm_scheduler_parameters, log=log)
    measured = results.setdefault("slurm", {})
    try:
        peer.start()
        time.sleep(1)
        idle = {name: procstat.rss_kib(pid) for name, pid in peer.pids().items()}
        measured["version"] = peer.run(["sinfo", "--version"]).strip()
        measured["config"] = {"node_cpus": args.job_slots,
                              "scheduler_parameters": args.slurm_scheduler_parameters}
        log(f"slurm: {measured['version']} started, daemons {peer.pids()}")
        log(f"slurm: submit-to-start over {args.jobs} sequential jobs")
        measured.update(slurm_jobs.measure_latency(peer, args.jobs, log=log))
        log(f"slurm: throughput of {args.throughput_jobs} jobs from {args.clients} clients")
        throughput, peak, cpu = slurm_jobs.measure_throughput(
            peer, args.throughput_jobs, args.clients, args.phase_timeout, log=log)
        measured["throughput"] = throughput
        note_unfinished(results, "Slurm", throughput)
        measured["memory_mib"] = {name + "_peak": kib / 1024 for name, kib in peak.items()}
        measured["memory_mib"].update({name + "_idle": kib / 1024 for name, kib in idle.items()})
        profile["slurm throughput, CPU seconds"] = cpu
    finally:
        peer.stop()
        shutil.rmtree(folder, ignore_errors=True)


def note_unfinished(results, system, throughput):
    if throughput.get("first_failure"):
        results.setdefault("notes", []).append(
            f"{throughput['failed']} of {system}'s throughput jobs failed or were canceled, "
            f"for example {throughput['first_failure']}")
    if not throughput["finished"]:
        results.setdefault("notes", []).append(
            f"{system}'s throughput run stopped at the phase timeout with {throughput['ended']} "
            f"of {throughput['jobs']} jobs ended, so jobs completed/s counts those only")


class Stopped(Exception):
    """SIGTERM arrived: the current phase ends and no other starts."""


def stop_on_sigterm(*unused):
    stop_on_sigterm.received = True
    raise Stopped("stopped by SIGTERM before the phase finished")


stop_on_sigterm.received = False


def run_phase(name, function, errors):
    """Runs one phase; a failure is logged and recorded, and the run goes on."""
    if stop_on_sigterm.received:
        errors.append(f"{name}: not run because SIGTERM stopped the comparison")
        return
    began = time.monotonic()
    try:
        function()
    except Exception as error:  # noqa: BLE001 (any failure of a phase is reported, not fatal)
        errors.append(f"{name}: {error}")
        log(f"{name} failed: {error}")
    log(f"{name} took {time.monotonic() - began:.0f} s")


def format_profile(profile):
    lines = []
    for title, values in profile.items():
        lines.append(title + ":")
        if isinstance(values, dict):
            lines += [f"  {key:45s} {value:10.2f}" for key, value in values.items()]
        else:
            lines += [f"  {row['percent']:5.1f}  {row['command']:15s} {row['object']:24s} "
                      f"{row.get('symbol', '')[:90]}" for row in values]
    return "\n".join(lines)


def main():
    args = parse_args()
    # SIGTERM ends the running phase through its cleanup, then the figures
    # measured so far are printed and written.
    signal.signal(signal.SIGTERM, stop_on_sigterm)

    began = time.monotonic()
    results = {"machine": machine(), "date": datetime.datetime.now(datetime.timezone.utc)
               .isoformat(timespec="seconds"), "command": " ".join(sys.argv),
               "load_average_before": procstat.load_average(), "settings": {
                   "jobs": args.jobs, "throughput_jobs": args.throughput_jobs,
                   "clients": args.clients, "metrics_seconds": args.metrics_seconds,
                   "log_megabytes": args.log_megabytes, "job_slots": args.job_slots}}
    profile, errors = {}, []
    log(f"machine: {results['machine']}, load average {results['load_average_before']}")

    if "floor" not in args.skip:
        run_phase("floor", lambda: results.update(floor=run_floor(args)), errors)
    if "trainyard" not in args.skip:
        run_phase("trainyard jobs", lambda: run_trainyard(args, results, profile), errors)
        run_phase("trainyard logs", lambda: run_trainyard_logs(args, results), errors)
        run_phase("trainyard metrics", lambda: run_trainyard_metrics(args, results), errors)
    if "slurm" not in args.skip:
        run_phase("slurm", lambda: run_slurm(args, results, profile), errors)

    results["load_average_after"] = procstat.load_average()
    results["seconds"] = time.monotonic() - began
    results["rows"] = figures.build_rows(results)
    results["targets"] = figures.check_targets(results)
    results["profile"] = profile
    results["errors"] = errors

    os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
    with open(args.json, "w") as out:
        json.dump(results, out, indent=2)
    markdown_path = os.path.splitext(args.json)[0] + ".md"
    with open(markdown_path, "w") as out:
        out.write(figures.format_markdown(results) + "\n\n```\n" + format_profile(profile)
                  + "\n```\n")
    print(figures.format_table(results))
    for note in results.get("notes", []):
        print(f"NOTE: {note}")
    print()
    print(format_profile(profile))
    print(f"\nmachine: {results['machine']['cpus']} CPUs, {results['machine']['cpu_model']}, "
          f"{results['machine']['memory_gib']} GiB; load average before "
          f"{results['load_average_before'][0]:.2f}, after {results['load_average_after'][0]:.2f}"
          f"; {results['seconds']:.0f} s in all")
    print(f"JSON: {args.json}; the tables as Markdown: {markdown_path}")
    for error in errors:
        print(f"error: {error}", file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
