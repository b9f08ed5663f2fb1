"""A single-node Slurm on loopback, started and stopped by the benchmark.

`SlurmPeer` runs munged, slurmctld and slurmd from Debian's slurm-wlm as
children of this process, in the foreground, with their configuration, key,
sockets, state and logs under one temporary folder. Stopping it signals only
those children. The configuration follows the tuning in Slurm 22.05's "High
Throughput Computing Administration Guide" (html/high_throughput.html in
Debian's slurm-wlm-doc). It has no accounting and no job completion
records, FIFO scheduling with `sched/builtin` and `priority/basic`,
scheduler batching through `SchedulerParameters`, little logging and a
short `MinJobAge`. munged runs ten threads, and slurmctld high file limits. Process tracking is
`proctrack/linuxproc` and there is no task plugin, because cgroups are not
available in every container.
"""

import ctypes
import os
import resource
import shutil
import signal
import socket
import subprocess
import time

# Every client command gets this long before the benchmark calls it stuck.
COMMAND_TIMEOUT_S = 60
NODE = "localhost"
PR_SET_PDEATHSIG = 1  # from <sys/prctl.h>
PARTITION = "bench"
PROGRAMS = ["munged", "mungekey", "slurmctld", "slurmd", "sbatch", "squeue", "scancel", "scontrol",
            "sinfo", "sdiag"]

# `defer` and `sched_min_interval` batch scheduling passes, and
# `batch_sched_delay` lets a burst of submissions wait for one pass. The
# depths let one pass consider every queued job of a 5,000-job burst.
DEFAULT_SCHEDULER_PARAMETERS = ("defer,batch_sched_delay=1,sched_min_interval=200000,"
                                "max_rpc_cnt=64,default_queue_depth=1000,"
                                "partition_job_depth=1000,sched_max_job_start=0")


class SlurmError(Exception):
    """Slurm is missing, failed to start, or a command failed."""


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def missing_programs():
    return [program for program in PROGRAMS if shutil.which(program) is None]


def install(log):
    """Installs Debian's slurm-wlm with apt when a program is missing."""
    missing = missing_programs()
    if not missing:
        return
    if os.geteuid() != 0:
        raise SlurmError(f"slurm-wlm is not installed (missing {', '.join(missing)}); run as root "
                         "so the benchmark can install it, or run: "
                         "sudo apt-get install -y slurm-wlm")
    log(f"installing slurm-wlm with apt (missing {', '.join(missing)})")
    command = ["apt-get", "-o", "DPkg::Lock::Timeout=300", "install", "-y",
               "--no-install-recommends", "slurm-wlm"]
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=900)
    if result.returncode != 0:
        subprocess.run(["apt-get", "update", "-qq"], env=env, capture_output=True, timeout=600)
        result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=900)
    if result.returncode != 0 or missing_programs():
        raise SlurmError("apt-get install slurm-wlm failed: " + result.stderr.strip()[-800:])


def prepare_daemon():
    """Runs in each daemon before exec.

    The daemon gets SIGTERM when the benchmark dies, even by SIGKILL, so no
    daemon outlives the run. It also gets the high file and stack limits
    that the guide recommends.
    """
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    for limit in (resource.RLIMIT_NOFILE, resource.RLIMIT_STACK):
        _, hard = resource.getrlimit(limit)
        try:
            resource.setrlimit(limit, (hard, hard))
        except (ValueError, OSError):
            pass


class SlurmPeer:
    """munged, slurmctld and slurmd on loopback, children of this process."""

    def __init__(self, folder, cpus, scheduler_parameters=DEFAULT_SCHEDULER_PARAMETERS,
                 log=print):
        self.folder = folder
        self.cpus = cpus
        self.scheduler_parameters = scheduler_parameters
        self.log = log
        self.config_path = os.path.join(folder, "slurm.conf")
        self.munge_socket = os.path.join(folder, "munge", "munge.socket")
        self.work_dir = os.path.join(folder, "work")
        self.daemons = {}
        self.env = dict(os.environ, SLURM_CONF=self.config_path)
        for variable in ("SBATCH_PARTITION", "SLURM_PARTITION", "SBATCH_ACCOUNT", "SLURM_JOB_ID"):
            self.env.pop(variable, None)

    def start(self):
        for sub in ("munge", "state", "spool", "log", "work"):
            os.makedirs(os.path.join(self.folder, sub), mode=0o700, exist_ok=True)
        # munged rejects a key or socket folder that others may write to.
        os.chmod(self.folder, 0o755)
        os.chmod(os.path.join(self.folder, "munge"), 0o755)
        self._write_config()
        self._start_munged()
        self._spawn("slurmctld", ["slurmctld", "-D", "-f", self.config_path])
        self._spawn("slurmd", ["slurmd", "-D", "-f", self.config_path, "-N", NODE])
        self._wait_ready()

    def stop(self):
        """Stops the daemons this object started, slurmd first."""
        for name in ("slurmd", "slurmctld", "munged"):
            process = self.daemons.pop(name, None)
            if process is None or process.poll() is not None:
                continue
            process.terminate()
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                self.log(f"{name} (pid {process.pid}) ignored SIGTERM for 15 s; sending SIGKILL")
                process.kill()
                process.wait(15)

    def pids(self):
        return {name: process.pid for name, process in self.daemons.items()}

    def daemon_log(self, name):
        path = os.path.join(self.folder, "log", name + ".log")
        try:
            with open(path, errors="replace") as log:
                return log.read()[-2000:]
        except OSError:
            return "(no log)"

    def run(self, args, timeout=COMMAND_TIMEOUT_S):
        """Runs a Slurm client command against this peer; returns its stdout."""
        try:
            result = subprocess.run(args, env=self.env, capture_output=True, text=True,
                                    timeout=timeout, cwd=self.work_dir)
        except subprocess.TimeoutExpired:
            raise SlurmError(f"'{' '.join(args[:2])}' timed out after {timeout} s; see "
                             f"{self.folder}/log") from None
        if result.returncode != 0:
            raise SlurmError(f"'{' '.join(args[:2])}' failed with exit code "
                             f"{result.returncode}: {result.stderr.strip()}")
        return result.stdout

    def sbatch(self, name, command):
        """Submits a batch job that runs `command`; returns the job id."""
        output = self.run(["sbatch", "--parsable", "-J", name, "-D", self.work_dir,
                           "-o", "/dev/null", "-e", "/dev/null", "--wrap", command])
        return output.strip().split(";")[0]

    def active_jobs(self, name):
        """Counts jobs named `name` that are pending, running or completing."""
        output = self.run(["squeue", "-h", "-n", name, "-o", "%i"])
        return len(output.split())

    def job_active(self, job_id):
        output = self.run(["squeue", "-h", "-j", job_id, "-o", "%i"])
        return bool(output.strip())

    def _write_config(self):
        folder = self.folder
        lines = [
            "ClusterName=bench",
            f"SlurmctldHost={NODE}(127.0.0.1)",
            f"SlurmctldPort={free_port()}",
            f"SlurmdPort={free_port()}",
            "AuthType=auth/munge",
            "CredType=cred/munge",
            f"AuthInfo=socket={self.munge_socket}",
            "SlurmUser=root",
            "SlurmdUser=root",
            f"StateSaveLocation={folder}/state",
            f"SlurmdSpoolDir={folder}/spool",
            f"SlurmctldPidFile={folder}/slurmctld.pid",
            f"SlurmdPidFile={folder}/slurmd.pid",
            f"SlurmctldLogFile={folder}/log/slurmctld.log",
            f"SlurmdLogFile={folder}/log/slurmd.log",
            "SlurmctldDebug=error",
            "SlurmdDebug=error",
            "MailProg=/bin/true",
            "ProctrackType=proctrack/linuxproc",
            "TaskPlugin=task/none",
            "MpiDefault=none",
            "AccountingStorageType=accounting_storage/none",
            "JobAcctGatherType=jobacct_gather/none",
            "JobCompType=jobcomp/none",
            "SchedulerType=sched/builtin",
            "SelectType=select/cons_tres",
            "SelectTypeParameters=CR_CPU",
            "PriorityType=priority/basic",
            "MessageTimeout=30",
            "MinJobAge=2",
            "MaxJobCount=100000",
            "ReturnToService=2",
            "InactiveLimit=0",
            "KillWait=5",
            "SlurmdParameters=config_overrides",
            f"NodeName={NODE} NodeHostname={NODE} NodeAddr=127.0.0.1 CPUs={self.cpus} "
            "RealMemory=1000 State=UNKNOWN",
            f"PartitionName={PARTITION} Nodes={NODE} Default=YES MaxTime=INFINITE State=UP",
        ]
        if self.scheduler_parameters:
            lines.append(f"SchedulerParameters={self.scheduler_parameters}")
        with open(self.config_path, "w") as config:
            config.write("\n".join(lines) + "\n")

    def _start_munged(self):
        munge_dir = os.path.dirname(self.munge_socket)
        key = os.path.join(munge_dir, "munge.key")
        subprocess.run(["mungekey", "--create", "--bits", "1024", "--keyfile", key, "--force"],
                       check=True, capture_output=True, timeout=COMMAND_TIMEOUT_S)
        os.chmod(key, 0o600)
        self._spawn("munged", ["munged", "--foreground", "--num-threads=10",
                               f"--socket={self.munge_socket}", f"--key-file={key}",
                               f"--pid-file={munge_dir}/munged.pid",
                               f"--log-file={self.folder}/log/munged.log",
                               f"--seed-file={munge_dir}/munged.seed"])
        deadline = time.monotonic() + 15
        while not os.path.exists(self.munge_socket):
            self._check_alive("munged")
            if time.monotonic() > deadline:
                raise SlurmError(f"munged did not create {self.munge_socket} in 15 s: "
                                 + self.daemon_log("munged"))
            time.sleep(0.05)

    def _spawn(self, name, args):
        output = open(os.path.join(self.folder, "log", name + ".out"), "ab")
        self.daemons[name] = subprocess.Popen(args, env=self.env, stdin=subprocess.DEVNULL,
                                              stdout=output, stderr=subprocess.STDOUT,
                                              preexec_fn=prepare_daemon)
        output.close()

    def _check_alive(self, name):
        process = self.daemons[name]
        if process.poll() is not None:
            with open(os.path.join(self.folder, "log", name + ".out"), errors="replace") as out:
                printed = out.read()[-1500:]
            raise SlurmError(f"{name} exited with code {process.returncode}: {printed}"
                             f"{self.daemon_log(name)}")

    def _wait_ready(self):
        """Waits until the controller responds and the node accepts jobs."""
        deadline = time.monotonic() + 60
        state = ""
        while time.monotonic() < deadline:
            for name in ("munged", "slurmctld", "slurmd"):
                self._check_alive(name)
            try:
                state = self.run(["sinfo", "-h", "-n", NODE, "-o", "%t"], timeout=10).strip()
            except SlurmError:
                state = "(controller not answering)"
            if state in ("idle", "mix", "alloc"):
                return
            if state.startswith(("down", "drain", "inval")):
                self.run(["scontrol", "update", f"NodeName={NODE}", "State=RESUME"])
            time.sleep(0.2)
        raise SlurmError(f"node {NODE} not ready after 60 s (state '{state}'): "
                         + self.daemon_log("slurmctld") + self.daemon_log("slurmd"))
