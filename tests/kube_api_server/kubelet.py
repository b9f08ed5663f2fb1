"""The scheduler and the kubelet of the test API server.

The scheduler binds each pending pod to a node whose labels match its node
selector, whose taints it tolerates and whose allocatable resources hold its
requests, or leaves it Pending with the scheduler's message.

The kubelet runs each bound pod's containers as local processes. The image
is not pulled: an image listed in the cluster's failing images ends in
ImagePullBackOff, and an image listed in the cluster's images adds the
environment variables given there. Command and args run as given with the environment
applied, and volumes are folders under the pod's own folder. A container sees each mount path
rewritten to that folder in its command, args, environment and workingDir,
because local processes share one file system.
"""

import base64
import os
import signal
import subprocess
import threading
import time

import store as store_module
from pod_status import PodStatusMixin
from workloads import untolerated_taints

SUFFIXES = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "k": 10**3, "M": 10**6,
            "G": 10**9, "T": 10**12, "m": 0.001}
RESOURCES = ("cpu", "memory", "nvidia.com/gpu")


def parse_quantity(text):
    text = str(text)
    for suffix in sorted(SUFFIXES, key=len, reverse=True):
        if text.endswith(suffix):
            return float(text[:-len(suffix)]) * SUFFIXES[suffix]
    return float(text)


def pod_requests(spec):
    """Sums the containers' requests (limits where a request is unset)."""
    total = {name: 0.0 for name in RESOURCES}
    for container in spec.get("containers", []):
        resources = container.get("resources") or {}
        for name in RESOURCES:
            value = (resources.get("requests") or {}).get(name,
                                                          (resources.get("limits") or {}).get(name))
            if value is not None:
                total[name] += parse_quantity(value)
    return total


def expand(text, env):
    """Expands $(NAME) from `env` and $$ to $, as the kubelet does in env
    values, command and args; an undefined $(NAME) stays as it is."""
    out, i = [], 0
    while i < len(text):
        if text.startswith("$$", i):
            out.append("$")
            i += 2
            continue
        if text.startswith("$(", i) and text.find(")", i + 2) != -1:
            close = text.find(")", i + 2)
            name = text[i + 2:close]
            out.append(env.get(name, text[i:close + 1]))
            i = close + 1
            continue
        out.append(text[i])
        i += 1
    return "".join(out)


def rewrite(text, mounts):
    for mount_path, local in mounts:
        text = text.replace(mount_path, local)
    return text


class PodRun:
    """The local processes and folders of one pod."""

    def __init__(self, directory):
        self.directory = directory
        self.mounts = []  # (mount path, local folder), longest first
        self.processes = {}  # container -> Popen
        self.readers = {}  # container -> Thread copying output to the log
        self.exit_codes = {}  # container -> exit code
        self.init_done = 0
        self.restarts = {}
        self.restart_after = {}  # container -> monotonic time of its next start
        self.started_at = {}
        self.finished_at = {}
        self.deleting = False


class Kubelet(PodStatusMixin):
    def __init__(self, cluster, work_dir):
        self.cluster = cluster
        self.work_dir = work_dir
        self.runs = {}  # (namespace, pod) -> PodRun
        self.lock = threading.Lock()

    # Scheduling.

    def schedule(self):
        with self.cluster.store.lock:
            pods, _ = self.cluster.store.list("pods")
            nodes, _ = self.cluster.store.list("nodes")
            used = {node["metadata"]["name"]: {name: 0.0 for name in RESOURCES} for node in nodes}
            for pod in pods:
                node = pod["spec"].get("nodeName")
                if node in used and pod["status"].get("phase") in ("Pending", "Running"):
                    for name, value in pod_requests(pod["spec"]).items():
                        used[node][name] += value
            for pod in pods:
                if pod["spec"].get("nodeName") or pod["metadata"].get("deletionTimestamp"):
                    continue
                self.place(pod, nodes, used)

    def place(self, pod, nodes, used):
        requests = pod_requests(pod["spec"])
        reasons = {}
        for node in nodes:
            problems = self.node_problems(node, pod["spec"], requests, used)
            if not problems:
                for name, value in requests.items():
                    used[node["metadata"]["name"]][name] += value
                self.bind(pod, node["metadata"]["name"])
                return
            for problem in problems:
                reasons[problem] = reasons.get(problem, 0) + 1
        total = len(nodes)
        summary = ", ".join(f"{count} {reason}" for reason, count in sorted(reasons.items()))
        message = (f"0/{total} nodes are available: {summary}. preemption: 0/{total} nodes are "
                   f"available: {total} Preemption is not helpful for scheduling.")
        condition = {"type": "PodScheduled", "status": "False", "reason": "Unschedulable",
                     "message": message, "lastProbeTime": None,
                     "lastTransitionTime": store_module.now_rfc3339()}

        def apply(current):
            old = [c for c in current["status"].get("conditions", [])
                   if c["type"] == "PodScheduled"]
            if old and old[0].get("message") == message:
                return
            current["status"]["conditions"] = [condition]

        self.cluster.store.mutate("pods", pod["metadata"]["namespace"], pod["metadata"]["name"],
                                  apply)

    @staticmethod
    def node_problems(node, spec, requests, used):
        labels = node["metadata"].get("labels", {})
        if any(labels.get(k) != v for k, v in (spec.get("nodeSelector") or {}).items()):
            return ["node(s) didn't match Pod's node affinity/selector"]
        if node["spec"].get("unschedulable"):
            return ["node(s) were unschedulable"]
        taints = untolerated_taints(node, spec)
        if taints:
            taint = taints[0]
            return [f"node(s) had untolerated taint {{{taint['key']}: {taint.get('value', '')}}}"]
        allocatable = node["status"].get("allocatable", {})
        problems = []
        for name in RESOURCES:
            have = parse_quantity(allocatable.get(name, "0"))
            if requests[name] > 0 and used[node["metadata"]["name"]][name] + requests[name] > have:
                problems.append(f"Insufficient {name}")
        return problems

    def bind(self, pod, node_name):
        def apply(current):
            current["spec"]["nodeName"] = node_name
            current["status"]["conditions"] = [{"type": "PodScheduled", "status": "True",
                                                "lastProbeTime": None,
                                                "lastTransitionTime": store_module.now_rfc3339()}]

        self.cluster.store.mutate("pods", pod["metadata"]["namespace"], pod["metadata"]["name"],
                                  apply)

    # Running pods.

    def sync(self):
        with self.cluster.store.lock:
            pods, _ = self.cluster.store.list("pods")
        for pod in pods:
            if not pod["spec"].get("nodeName") or pod["metadata"].get("deletionTimestamp"):
                continue
            if pod["status"].get("phase") in ("Succeeded", "Failed"):
                continue
            self.sync_pod(pod)

    def sync_pod(self, pod):
        spec = pod["spec"]
        images = [c["image"] for c in spec.get("initContainers", []) + spec["containers"]]
        bad = [image for image in images if image in self.cluster.failing_images]
        if bad:
            return self.report_pull_failure(pod, bad[0])

        key = (pod["metadata"]["namespace"], pod["metadata"]["name"])
        with self.lock:
            run = self.runs.get(key)
            if run is None:
                run = self.runs[key] = self.prepare(pod)
        if run.deleting:
            return

        # Init containers run one after the other; the first failure fails
        # the pod, because job pods use restartPolicy Never.
        inits = spec.get("initContainers", [])
        while run.init_done < len(inits):
            container = inits[run.init_done]
            if container["name"] not in run.processes:
                self.start(pod, run, container)
            code = self.poll(run, container["name"])
            if code is None:
                return self.publish(pod, run)
            if code != 0:
                return self.publish(pod, run, phase="Failed")
            run.init_done += 1

        for container in spec["containers"]:
            waiting = time.monotonic() < run.restart_after.get(container["name"], 0)
            if container["name"] not in run.processes and not waiting:
                self.start(pod, run, container)
        codes = {c["name"]: self.poll(run, c["name"]) for c in spec["containers"]
                 if c["name"] in run.processes}
        if spec.get("restartPolicy") in ("OnFailure", "Always"):
            self.restart_ended(spec, run, codes)
            return self.publish(pod, run, phase="Running")

        if len(codes) < len(spec["containers"]) or any(code is None for code in codes.values()):
            return self.publish(pod, run, phase="Running")
        failed = any(code != 0 for code in codes.values())
        self.publish(pod, run, phase="Failed" if failed else "Succeeded")

    @staticmethod
    def restart_ended(spec, run, codes):
        for container in spec["containers"]:
            code = codes.get(container["name"])
            if code is None or (code == 0 and spec["restartPolicy"] != "Always"):
                continue
            name = container["name"]
            run.restarts[name] = run.restarts.get(name, 0) + 1
            run.processes.pop(name)
            run.exit_codes.pop(name)
            # A restarted container waits in CrashLoopBackOff first.
            run.restart_after[name] = time.monotonic() + 1

    def prepare(self, pod):
        directory = os.path.join(self.work_dir, pod["metadata"]["namespace"],
                                 pod["metadata"]["name"])
        run = PodRun(directory)
        os.makedirs(os.path.join(directory, "logs"), exist_ok=True)
        volumes = {}
        for volume in pod["spec"].get("volumes", []):
            local = os.path.join(directory, "volumes", volume["name"])
            os.makedirs(local, exist_ok=True)
            volumes[volume["name"]] = local
            source = volume.get("configMap") or volume.get("secret")
            if source:
                plural = "configmaps" if "configMap" in volume else "secrets"
                obj = self.cluster.store.get(plural, pod["metadata"]["namespace"],
                                             source.get("name") or source.get("secretName"))
                self.write_files(local, obj or {}, source.get("items"))
        mounts = []
        for container in pod["spec"].get("initContainers", []) + pod["spec"]["containers"]:
            for mount in container.get("volumeMounts", []):
                mounts.append((mount["mountPath"], volumes.get(mount["name"], directory)))
        run.mounts = sorted(set(mounts), key=lambda m: len(m[0]), reverse=True)
        return run

    @staticmethod
    def write_files(folder, obj, items):
        files = {k: v.encode() for k, v in (obj.get("data") or {}).items()}
        files.update({k: base64.b64decode(v) for k, v in (obj.get("binaryData") or {}).items()})
        paths = {item["key"]: item["path"] for item in items or []}
        for key, content in files.items():
            if items and key not in paths:
                continue
            path = os.path.join(folder, paths.get(key, key))
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as out:
                out.write(content)

    def environment(self, pod, container, run):
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": run.directory,
               "HOSTNAME": pod["spec"].get("hostname") or pod["metadata"]["name"],
               "LANG": "C.UTF-8"}
        # The variables an image sets with ENV, such as a PYTHONPATH that
        # makes a library installed in the image importable.
        env.update(self.cluster.images.get(container.get("image"), {}).get("env", {}))
        for variable in container.get("env", []):
            if "valueFrom" in variable:
                path = variable["valueFrom"].get("fieldRef", {}).get("fieldPath", "")
                value = self.field(pod, path)
            else:
                value = expand(variable.get("value", ""), env)
            env[variable["name"]] = rewrite(value, run.mounts)
        return env

    @staticmethod
    def field(pod, path):
        metadata = pod["metadata"]
        for prefix, source in (("metadata.annotations['", metadata.get("annotations", {})),
                               ("metadata.labels['", metadata.get("labels", {}))):
            if path.startswith(prefix):
                return source.get(path[len(prefix):-2], "")
        return {"metadata.name": metadata["name"], "metadata.namespace": metadata["namespace"],
                "metadata.uid": metadata["uid"], "spec.nodeName": pod["spec"].get("nodeName", ""),
                "status.podIP": "127.0.0.1", "status.hostIP": "127.0.0.1"}.get(path, "")

    def start(self, pod, run, container):
        env = self.environment(pod, container, run)
        argv = [rewrite(expand(a, env), run.mounts) for a in container.get("command", []) +
                container.get("args", [])]
        if not container.get("command"):
            argv = ["/bin/sh", "-c", " ".join(argv) or "true"]
        cwd = rewrite(container.get("workingDir") or run.directory, run.mounts)
        os.makedirs(cwd, exist_ok=True)
        log_path = os.path.join(run.directory, "logs", container["name"] + ".log")
        process = subprocess.Popen(argv, cwd=cwd, env=env,
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, start_new_session=True)
        reader = threading.Thread(target=self.copy_output, args=(process, log_path), daemon=True)
        reader.start()
        run.processes[container["name"]] = process
        run.readers[container["name"]] = reader
        run.started_at[container["name"]] = store_module.now_rfc3339()

    @staticmethod
    def copy_output(process, log_path):
        with open(log_path, "ab", buffering=0) as log:
            for line in iter(process.stdout.readline, b""):
                stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime())
                fraction = f"{time.time() % 1:.9f}"[1:]
                log.write(f"{stamp}{fraction}Z ".encode() + line.rstrip(b"\n") + b"\n")

    def poll(self, run, name):
        if name in run.exit_codes:
            return run.exit_codes[name]
        process = run.processes.get(name)
        if process is None or process.poll() is None:
            return None
        # A container ends with its main process: the processes it left
        # behind go too, as they would with the container's PID namespace.
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        run.readers[name].join()
        run.exit_codes[name] = process.returncode if process.returncode >= 0 else \
            128 - process.returncode
        run.finished_at[name] = store_module.now_rfc3339()
        return run.exit_codes[name]
