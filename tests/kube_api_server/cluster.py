"""The cluster behind the test API server.

It holds the configuration (nodes, token, RBAC denials, images that cannot
be pulled), defaults and validates objects on create, deletes with
propagation policies and collects garbage. Tests shape it through the
/_test/ control endpoints."""

import copy
import json
import threading
import time
import uuid

import store as store_module
from kubelet import Kubelet, parse_quantity
from workloads import DaemonSetController, JobController

DEFAULT_NODE = {"name": "node-1", "cpu": "8", "memory": "32Gi", "gpu": 0, "labels": {}}


def node_object(spec):
    allocatable = {"cpu": str(spec.get("cpu", "8")), "memory": str(spec.get("memory", "32Gi")),
                   "pods": "110", "ephemeral-storage": "100Gi"}
    if int(spec.get("gpu", 0)) > 0:
        allocatable["nvidia.com/gpu"] = str(spec["gpu"])
    labels = {"kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64",
              "kubernetes.io/hostname": spec["name"]}
    labels.update(spec.get("labels", {}))
    node = {"apiVersion": "v1", "kind": "Node",
            "metadata": {"name": spec["name"], "labels": labels},
            "spec": {},
            "status": {"capacity": dict(allocatable), "allocatable": allocatable,
                       "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady",
                                       "message": "kubelet is posting ready status"}],
                       "nodeInfo": {"kubeletVersion": "v1.29.0", "operatingSystem": "linux",
                                    "architecture": "amd64"}}}
    if spec.get("taints"):
        node["spec"]["taints"] = spec["taints"]
    if spec.get("unschedulable"):
        node["spec"]["unschedulable"] = True
    return node


class Cluster:
    def __init__(self, config, work_dir, verbose=False):
        self.verbose = verbose
        self.store = store_module.Store(config.get("historyLimit", 10000))
        self.token = config.get("token", "")
        self.user = config.get("user", "system:serviceaccount:trainyard:trainyard-agent")
        self.denials = list(config.get("denials", []))
        self.failing_images = set(config.get("failingImages", ["does-not-exist"]))
        self.images = dict(config.get("images", {}))
        self.daemonset_ready_seconds = float(config.get("daemonSetReadySeconds", 0.3))
        self.max_watch_seconds = float(config.get("maxWatchSeconds", 1800))
        self.requests = []
        self.requests_lock = threading.Lock()
        self.kubelet = Kubelet(self, work_dir)
        self.jobs = JobController(self)
        self.daemonsets = DaemonSetController(self)
        self.stopping = threading.Event()

        for name in ["default", "kube-system"] + config.get("namespaces", []):
            self.create_system("namespaces", "", {"metadata": {"name": name}})
        for spec in config.get("nodes", [DEFAULT_NODE]):
            self.create_system("nodes", "", node_object(spec))
        for obj in config.get("objects", []):
            plural = obj["kind"].lower() + "s"
            self.create_system(plural, obj["metadata"].get("namespace", ""), copy.deepcopy(obj))

    def create_system(self, plural, namespace, obj):
        group_version = next(gv for (gv, p) in store_module.TYPES if p == plural)
        obj["kind"] = store_module.TYPES[(group_version, plural)][0]
        obj["apiVersion"] = group_version
        self.apply_defaults(plural, obj)
        return self.store.create(plural, namespace, obj)

    # The controller loop.

    def start(self):
        threading.Thread(target=self.run, name="controllers", daemon=True).start()

    def run(self):
        while not self.stopping.is_set():
            try:
                self.jobs.sync()
                self.kubelet.schedule()
                self.kubelet.sync()
                self.daemonsets.sync()
                self.collect_garbage()
            except Exception as error:  # noqa: BLE001 - a controller bug must not stop the loop
                print(f"controller error: {error!r}", flush=True)
            time.sleep(0.05)

    def stop(self):
        self.stopping.set()
        self.kubelet.kill_all()

    # Requests.

    def record_request(self, method, path, query, body):
        entry = {"method": method, "path": path, "query": query}
        if method == "DELETE" and body:
            try:
                entry["propagationPolicy"] = json.loads(body).get("propagationPolicy")
            except ValueError:
                pass
        with self.requests_lock:
            self.requests.append(entry)

    def authenticated(self, authorization, connection):
        if not self.token:
            return True
        if authorization == f"Bearer {self.token}":
            return True
        # A client certificate that the TLS layer verified also authenticates.
        getpeercert = getattr(connection, "getpeercert", None)
        return bool(getpeercert and getpeercert())

    def denial(self, verb, route):
        resource = route.plural + (f"/{route.subresource}" if route.subresource and
                                   route.subresource != "status" else "")
        for rule in self.denials:
            if rule.get("verb", verb) != verb or rule.get("resource", resource) != resource:
                continue
            if rule.get("namespace") and rule["namespace"] != route.namespace:
                continue
            scope = (f'in the namespace "{route.namespace}"' if route.namespace
                     else "at the cluster scope")
            subject = f'{route.qualified} "{route.name}"' if route.name else route.qualified
            message = (f'{subject} is forbidden: User "{self.user}" cannot {verb} resource '
                       f'"{resource}" in API group "{route.group}" {scope}')
            return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                    "message": message, "reason": "Forbidden",
                    "details": {"name": route.name, "group": route.group, "kind": route.plural},
                    "code": 403}
        return None

    def validate(self, plural, obj):
        spec = obj.get("spec") or {}
        if plural == "jobs":
            template = spec.get("template", {}).get("spec", {})
            if template.get("restartPolicy") not in ("Never", "OnFailure"):
                return ('spec.template.spec.restartPolicy: Required value: valid values: '
                        '"OnFailure", "Never"')
            if not template.get("containers"):
                return "spec.template.spec.containers: Required value"
            if spec.get("completionMode") == "Indexed" and spec.get("completions") is None:
                return "spec.completions: Required value: when completion mode is Indexed"
        if plural == "pods" and not spec.get("containers"):
            return "spec.containers: Required value"
        if plural == "daemonsets" and not spec.get("selector"):
            return "spec.selector: Required value"
        for container in (spec.get("template", {}).get("spec", spec).get("containers") or []):
            if not container.get("image"):
                return f"spec.containers[{container.get('name')}].image: Required value"
        return None

    def apply_defaults(self, plural, obj):
        spec = obj.setdefault("spec", {}) if plural not in (
            "configmaps", "serviceaccounts", "roles", "rolebindings", "clusterroles",
            "clusterrolebindings", "events") else None
        if plural == "namespaces":
            obj["spec"] = {"finalizers": ["kubernetes"]}
            obj["status"] = {"phase": "Active"}
        elif plural == "pods":
            spec.setdefault("restartPolicy", "Always")
            spec.setdefault("terminationGracePeriodSeconds", 30)
            obj["status"] = {"phase": "Pending", "qosClass": "Burstable"}
        elif plural == "services":
            spec.setdefault("type", "ClusterIP")
            if spec.get("clusterIP") != "None":
                spec["clusterIP"] = f"10.96.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"
            obj["status"] = {"loadBalancer": {}}
        elif plural == "jobs":
            self.jobs.default(obj)
        elif plural == "daemonsets":
            obj["status"] = {"currentNumberScheduled": 0, "desiredNumberScheduled": 0,
                             "numberMisscheduled": 0, "numberReady": 0}

    # Deletion and garbage collection.

    def delete(self, plural, namespace, name, policy, grace):
        """Deletes as the API server does; returns the object or None if missing."""
        if policy is None:
            # batch/v1 Jobs default to orphaning their pods, for compatibility.
            policy = "Orphan" if plural == "jobs" else "Background"
        with self.store.lock:
            obj = self.store.get(plural, namespace, name)
            if obj is None:
                return None
            if plural == "pods":
                return self.kubelet.delete_pod(namespace, name, grace)
            if plural == "namespaces":
                # A namespace takes everything in it along, whatever the policy.
                for (kind_plural, obj_namespace, obj_name) in list(self.store.objects):
                    if obj_namespace == name:
                        self.delete(kind_plural, obj_namespace, obj_name, "Background", 0)
                return self.store.remove(plural, namespace, name)
            if policy == "Foreground":
                def mark(current):
                    current["metadata"].setdefault("deletionTimestamp", store_module.now_rfc3339())
                    finalizers = current["metadata"].setdefault("finalizers", [])
                    if "foregroundDeletion" not in finalizers:
                        finalizers.append("foregroundDeletion")
                return self.store.mutate(plural, namespace, name, mark)
            if policy == "Orphan":
                for dependent in self.dependents(obj["metadata"]["uid"]):
                    self.store.mutate(dependent[0], dependent[1], dependent[2], lambda o: o[
                        "metadata"].pop("ownerReferences", None))
            return self.store.remove(plural, namespace, name)

    def dependents(self, uid):
        found = []
        for key, obj in self.store.objects.items():
            for owner in obj["metadata"].get("ownerReferences") or []:
                if owner.get("uid") == uid:
                    found.append(key)
        return found

    def collect_garbage(self):
        with self.store.lock:
            uids = {obj["metadata"]["uid"]: key for key, obj in self.store.objects.items()}
            for key, obj in list(self.store.objects.items()):
                metadata = obj["metadata"]
                owners = metadata.get("ownerReferences") or []
                if owners and not any(o.get("uid") in uids for o in owners):
                    if not metadata.get("deletionTimestamp"):
                        self.delete(key[0], key[1], key[2], "Background", None)
                if "foregroundDeletion" in (metadata.get("finalizers") or []):
                    blocking = self.dependents(metadata["uid"])
                    for dependent in blocking:
                        dependent_obj = self.store.objects.get(dependent)
                        if dependent_obj and not dependent_obj["metadata"].get("deletionTimestamp"):
                            self.delete(dependent[0], dependent[1], dependent[2], "Foreground",
                                        None)
                    if not blocking:
                        self.store.remove(*key)

    # Pod logs.

    def log_path(self, namespace, pod, container):
        return self.kubelet.log_path(namespace, pod, container)

    def log_finished(self, namespace, pod, container):
        return self.kubelet.log_finished(namespace, pod, container)

    # Control endpoints for tests.

    def control(self, method, path, body):
        request = json.loads(body) if body else {}
        action = path[len("/_test/"):]
        if action == "compact":
            self.store.compact()
        elif action == "end-watches":
            self.store.end_watches()
        elif action == "token":
            self.token = request.get("token", "")
        elif action == "denials":
            self.denials = list(request.get("denials", []))
        elif action == "nodes":
            node = node_object(request)
            with self.store.lock:
                if self.store.get("nodes", "", request["name"]) is None:
                    self.create_system("nodes", "", node)
                else:
                    self.store.mutate("nodes", "", request["name"],
                                      lambda current: current.update(
                                          {k: v for k, v in node.items() if k != "metadata"}))
        elif action == "requests":
            with self.requests_lock:
                return 200, {"requests": list(self.requests)}
        elif action == "processes":
            return 200, {"processes": self.kubelet.describe()}
        else:
            return 404, {"error": f"unknown control action '{action}'"}
        return 200, {"ok": True}


__all__ = ["Cluster", "parse_quantity"]
