"""Workload controllers of the test API server: the Job controller (Indexed
and NonIndexed completion, parallelism, backoffLimit, activeDeadlineSeconds)
and a DaemonSet controller that reports a DaemonSet ready on every matching
node after a short delay."""

import copy
import datetime
import time
import uuid

import store as store_module

INDEX_KEY = "batch.kubernetes.io/job-completion-index"


def format_indexes(indexes):
    """Formats {0, 2, 3, 4} as "0,2-4", as Job.status.completedIndexes does."""
    ranges, ordered = [], sorted(indexes)
    for index in ordered:
        if ranges and ranges[-1][1] == index - 1:
            ranges[-1][1] = index
        else:
            ranges.append([index, index])
    return ",".join(str(a) if a == b else f"{a}-{b}" for a, b in ranges)


def parse_time(text):
    return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(
        tzinfo=datetime.timezone.utc).timestamp()


def node_admits(node, template_spec):
    """Whether a pod with `template_spec` may run on `node` by selector and taints."""
    labels = node["metadata"].get("labels", {})
    for key, value in (template_spec.get("nodeSelector") or {}).items():
        if labels.get(key) != value:
            return False
    return not untolerated_taints(node, template_spec)


def untolerated_taints(node, pod_spec):
    taints = [t for t in node["spec"].get("taints") or []
              if t.get("effect") in ("NoSchedule", "NoExecute")]
    tolerations = pod_spec.get("tolerations") or []

    def tolerated(taint):
        for toleration in tolerations:
            if toleration.get("effect") and toleration["effect"] != taint.get("effect"):
                continue
            if toleration.get("operator") == "Exists":
                if not toleration.get("key") or toleration["key"] == taint.get("key"):
                    return True
            elif (toleration.get("key") == taint.get("key") and
                  toleration.get("value", "") == taint.get("value", "")):
                return True
        return False

    return [t for t in taints if not tolerated(t)]


class JobController:
    def __init__(self, cluster):
        self.cluster = cluster
        self.failed_pods = {}  # job uid -> uids of failed pods already counted

    def default(self, job):
        metadata, spec = job["metadata"], job["spec"]
        metadata.setdefault("uid", str(uuid.uuid4()))
        uid, name = metadata["uid"], metadata["name"]
        spec.setdefault("parallelism", 1)
        spec.setdefault("completions", 1)
        spec.setdefault("backoffLimit", 6)
        spec.setdefault("completionMode", "NonIndexed")
        spec.setdefault("suspend", False)
        spec.setdefault("selector", {"matchLabels": {"batch.kubernetes.io/controller-uid": uid}})
        labels = spec["template"].setdefault("metadata", {}).setdefault("labels", {})
        labels.update({"batch.kubernetes.io/controller-uid": uid, "controller-uid": uid,
                       "batch.kubernetes.io/job-name": name, "job-name": name})
        job["status"] = {}

    def sync(self):
        with self.cluster.store.lock:
            jobs, _ = self.cluster.store.list("jobs")
            for job in jobs:
                self.sync_job(job)

    def pods_of(self, job):
        uid = job["metadata"]["uid"]
        pods, _ = self.cluster.store.list("pods", job["metadata"]["namespace"])
        return [p for p in pods if any(o.get("uid") == uid
                                       for o in p["metadata"].get("ownerReferences") or [])]

    def sync_job(self, job):
        metadata, spec, status = job["metadata"], job["spec"], dict(job.get("status") or {})
        if metadata.get("deletionTimestamp") or spec.get("suspend"):
            return
        conditions = status.get("conditions") or []
        finished = any(c["type"] in ("Complete", "Failed") and c["status"] == "True"
                       for c in conditions)
        pods = self.pods_of(job)
        active = [p for p in pods if p["status"].get("phase") in ("Pending", "Running") and
                  not p["metadata"].get("deletionTimestamp")]
        if finished:
            if any(c["type"] == "Failed" for c in conditions):
                for pod in active:
                    self.cluster.delete("pods", pod["metadata"]["namespace"],
                                        pod["metadata"]["name"], None, None)
            return

        counted = self.failed_pods.setdefault(metadata["uid"], set())
        for pod in pods:
            if pod["status"].get("phase") == "Failed":
                counted.add(pod["metadata"]["uid"])
        indexed = spec.get("completionMode") == "Indexed"
        completions = spec.get("completions") or 1
        succeeded = set()
        for pod in pods:
            if pod["status"].get("phase") == "Succeeded":
                index = int(pod["metadata"].get("annotations", {}).get(INDEX_KEY, len(succeeded)))
                succeeded.add(index if indexed else len(succeeded))

        now = time.time()
        status.setdefault("startTime", store_module.now_rfc3339())
        condition = None
        if len(counted) > spec.get("backoffLimit", 6):
            condition = ("Failed", "BackoffLimitExceeded", "Job has reached the specified backoff "
                         "limit")
        elif (spec.get("activeDeadlineSeconds") is not None and
              now - parse_time(status["startTime"]) >= spec["activeDeadlineSeconds"]):
            condition = ("Failed", "DeadlineExceeded", "Job was active longer than specified "
                         "deadline")
        elif len(succeeded) >= completions:
            condition = ("Complete", "", "")

        if condition is None:
            busy = {int(p["metadata"].get("annotations", {}).get(INDEX_KEY, -1)) for p in active}
            missing = [i for i in range(completions) if i not in succeeded and i not in busy]
            room = spec.get("parallelism", 1) - len(active)
            for index in missing[:max(room, 0)] if indexed else range(
                    min(max(room, 0), completions - len(succeeded) - len(active))):
                active.append(self.create_pod(job, index if indexed else None))
        else:
            kind, reason, message = condition
            stamp = store_module.now_rfc3339()
            entry = {"type": kind, "status": "True", "lastProbeTime": stamp,
                     "lastTransitionTime": stamp}
            if reason:
                entry.update({"reason": reason, "message": message})
            status["conditions"] = conditions + [entry]
            if kind == "Complete":
                status["completionTime"] = stamp
            for pod in active:
                self.cluster.delete("pods", pod["metadata"]["namespace"],
                                    pod["metadata"]["name"], None, None)
            active = []

        status["active"] = len(active)
        status["ready"] = sum(1 for p in active if p["status"].get("phase") == "Running")
        status["succeeded"] = len(succeeded)
        status["failed"] = len(counted)
        if indexed:
            status["completedIndexes"] = format_indexes(succeeded)
        for key in ("active", "succeeded", "failed"):
            if status[key] == 0:
                status.pop(key)

        def apply(current):
            current["status"] = status

        self.cluster.store.mutate("jobs", metadata["namespace"], metadata["name"], apply)

    def create_pod(self, job, index):
        metadata, template = job["metadata"], copy.deepcopy(job["spec"]["template"])
        labels = dict(template.get("metadata", {}).get("labels", {}))
        annotations = dict(template.get("metadata", {}).get("annotations", {}))
        pod_spec = template["spec"]
        if index is not None:
            labels[INDEX_KEY] = str(index)
            annotations[INDEX_KEY] = str(index)
            pod_spec.setdefault("hostname", f"{metadata['name']}-{index}")
            for container in pod_spec.get("initContainers", []) + pod_spec["containers"]:
                container.setdefault("env", []).append({
                    "name": "JOB_COMPLETION_INDEX",
                    "valueFrom": {"fieldRef": {
                        "fieldPath": f"metadata.annotations['{INDEX_KEY}']"}}})
        base = f"{metadata['name']}-{index}-" if index is not None else f"{metadata['name']}-"
        pod = {"metadata": {"name": base + uuid.uuid4().hex[:5], "labels": labels,
                            "annotations": annotations,
                            "ownerReferences": [{"apiVersion": "batch/v1", "kind": "Job",
                                                 "name": metadata["name"],
                                                 "uid": metadata["uid"], "controller": True,
                                                 "blockOwnerDeletion": True}]},
               "spec": pod_spec}
        return self.cluster.create_system("pods", metadata["namespace"], pod)


class DaemonSetController:
    def __init__(self, cluster):
        self.cluster = cluster
        self.ready_at = {}  # (uid, generation) -> time the pods count as ready

    def sync(self):
        with self.cluster.store.lock:
            daemonsets, _ = self.cluster.store.list("daemonsets")
            nodes, _ = self.cluster.store.list("nodes")
            for daemonset in daemonsets:
                self.sync_one(daemonset, nodes)

    def sync_one(self, daemonset, nodes):
        metadata = daemonset["metadata"]
        template_spec = daemonset["spec"].get("template", {}).get("spec", {})
        desired = sum(1 for node in nodes if node_admits(node, template_spec))
        key = (metadata["uid"], metadata.get("generation", 1))
        ready_at = self.ready_at.setdefault(key, time.time() +
                                            self.cluster.daemonset_ready_seconds)
        images = [c.get("image", "") for c in template_spec.get("initContainers", []) +
                  template_spec.get("containers", [])]
        pullable = not any(image in self.cluster.failing_images for image in images)
        ready = desired if pullable and time.time() >= ready_at else 0
        status = {"currentNumberScheduled": desired, "desiredNumberScheduled": desired,
                  "numberMisscheduled": 0, "numberReady": ready, "numberAvailable": ready,
                  "updatedNumberScheduled": desired,
                  "observedGeneration": metadata.get("generation", 1)}
        if desired - ready:
            status["numberUnavailable"] = desired - ready
        if ready == 0:
            status.pop("numberAvailable")

        def apply(current):
            current["status"] = status

        self.cluster.store.mutate("daemonsets", metadata["namespace"], metadata["name"], apply)
