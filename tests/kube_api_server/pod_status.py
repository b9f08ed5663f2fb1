"""Pod status, image pull failures, graceful deletion and log files: the
parts of the test kubelet that report on pods rather than run them."""

import os
import signal
import threading
import time

import store as store_module


def container_state(run, name):
    if name in run.exit_codes:
        code = run.exit_codes[name]
        return {"terminated": {"exitCode": code, "reason": "Completed" if code == 0 else "Error",
                               "startedAt": run.started_at.get(name),
                               "finishedAt": run.finished_at.get(name)}}
    if name in run.processes:
        return {"running": {"startedAt": run.started_at[name]}}
    if run.restarts.get(name):
        return {"waiting": {"reason": "CrashLoopBackOff",
                            "message": f"back-off 10s restarting failed container={name}"}}
    return {"waiting": {"reason": "PodInitializing"}}


def container_status(container, state, restarts=0):
    running = "running" in state
    return {"name": container["name"], "image": container["image"], "imageID": "",
            "containerID": f"local://{container['name']}", "ready": running, "started": running,
            "restartCount": restarts, "state": state}


class PodStatusMixin:
    """Needs `self.cluster`, `self.runs` and `self.lock` (Kubelet)."""

    def publish(self, pod, run, phase=None):
        spec = pod["spec"]
        inits = spec.get("initContainers", [])
        init_statuses = [container_status(c, container_state(run, c["name"])) for c in inits]
        statuses = [container_status(c, container_state(run, c["name"]),
                                     run.restarts.get(c["name"], 0)) for c in spec["containers"]]
        initialized = run.init_done >= len(inits)
        ready = phase == "Running" and all(s["ready"] for s in statuses)
        stamp = store_module.now_rfc3339()

        def apply(current):
            status = current["status"]
            status["phase"] = phase or status.get("phase", "Pending")
            status["hostIP"] = status["podIP"] = "127.0.0.1"
            status.setdefault("startTime", stamp)
            if init_statuses:
                status["initContainerStatuses"] = init_statuses
            status["containerStatuses"] = statuses
            conditions = {c["type"]: c for c in status.get("conditions", [])}
            for kind, value in (("Initialized", initialized), ("ContainersReady", ready),
                                ("Ready", ready)):
                if conditions.get(kind, {}).get("status") != ("True" if value else "False"):
                    conditions[kind] = {"type": kind, "status": "True" if value else "False",
                                        "lastProbeTime": None, "lastTransitionTime": stamp}
            status["conditions"] = list(conditions.values())

        self.cluster.store.mutate("pods", pod["metadata"]["namespace"], pod["metadata"]["name"],
                                  apply)

    def report_pull_failure(self, pod, image):
        # The kubelet reports ErrImagePull first and ImagePullBackOff from the
        # next attempt on.
        previous = {s["name"]: s for s in pod["status"].get("containerStatuses", [])}
        statuses = []
        for container in pod["spec"]["containers"]:
            if previous.get(container["name"], {}).get("state", {}).get("waiting"):
                state = {"waiting": {"reason": "ImagePullBackOff",
                                     "message": f'Back-off pulling image "{container["image"]}"'}}
            else:
                state = {"waiting": {"reason": "ErrImagePull", "message": (
                    f'failed to pull and unpack image "{container["image"]}": failed to '
                    f'resolve reference "{container["image"]}": pull access denied, repository '
                    "does not exist or may require authorization")}}
            if container["image"] != image and not pod["spec"].get("initContainers"):
                state = {"waiting": {"reason": "ContainerCreating"}}
            statuses.append(container_status(container, state))

        def apply(current):
            current["status"]["containerStatuses"] = statuses
            current["status"].setdefault("startTime", store_module.now_rfc3339())

        self.cluster.store.mutate("pods", pod["metadata"]["namespace"], pod["metadata"]["name"],
                                  apply)

    def delete_pod(self, namespace, name, grace):
        """Deletes a pod gracefully: SIGTERM, SIGKILL after the grace period,
        then the object goes. Returns the pod as it is while terminating."""
        with self.cluster.store.lock:
            pod = self.cluster.store.get("pods", namespace, name)
            if pod is None:
                return None
            if pod["metadata"].get("deletionTimestamp"):
                return pod
            with self.lock:
                run = self.runs.get((namespace, name))
            alive = run is not None and any(p.poll() is None for p in run.processes.values())
            if not alive:
                self.forget(namespace, name)
                return self.cluster.store.remove("pods", namespace, name)
            run.deleting = True
            if grace is None:
                grace = pod["spec"].get("terminationGracePeriodSeconds", 30)

            def mark(current):
                current["metadata"]["deletionTimestamp"] = store_module.now_rfc3339()
                current["metadata"]["deletionGracePeriodSeconds"] = grace

            marked = self.cluster.store.mutate("pods", namespace, name, mark)
        threading.Thread(target=self.terminate, args=(pod, run, grace), daemon=True).start()
        return marked

    def terminate(self, pod, run, grace):
        namespace, name = pod["metadata"]["namespace"], pod["metadata"]["name"]
        for process in run.processes.values():
            self.signal(process, signal.SIGTERM)
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline and any(p.poll() is None
                                                  for p in run.processes.values()):
            time.sleep(0.05)
        for process in run.processes.values():
            self.signal(process, signal.SIGKILL)
        for container in run.processes:
            run.processes[container].wait()
            self.poll(run, container)
        self.publish(pod, run, phase="Failed" if any(run.exit_codes.values()) else "Succeeded")
        with self.cluster.store.lock:
            self.forget(namespace, name)
            self.cluster.store.remove("pods", namespace, name)

    @staticmethod
    def signal(process, number):
        try:
            os.killpg(process.pid, number)
        except (ProcessLookupError, PermissionError):
            pass

    def forget(self, namespace, name):
        with self.lock:
            self.runs.pop((namespace, name), None)

    def kill_all(self):
        with self.lock:
            runs = list(self.runs.values())
        for run in runs:
            for process in run.processes.values():
                self.signal(process, signal.SIGKILL)

    # Logs.

    def log_path(self, namespace, pod, container):
        with self.lock:
            run = self.runs.get((namespace, pod))
        if run is None:
            # A pod that ended keeps its log folder until the server stops.
            path = os.path.join(self.work_dir, namespace, pod, "logs", container + ".log")
            return path if os.path.exists(path) else None
        if container not in run.processes and container not in run.exit_codes:
            return None
        return os.path.join(run.directory, "logs", container + ".log")

    def log_finished(self, namespace, pod, container):
        with self.lock:
            run = self.runs.get((namespace, pod))
        if run is None:
            return True
        process = run.processes.get(container)
        if process is None:
            return container in run.exit_codes
        if process.poll() is None:
            return False
        reader = run.readers.get(container)
        return reader is None or not reader.is_alive()

    def describe(self):
        with self.lock:
            return {f"{ns}/{pod}": {name: p.pid for name, p in run.processes.items()}
                    for (ns, pod), run in self.runs.items()}
