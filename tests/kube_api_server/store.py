"""The object store of the test API server: typed objects, resourceVersions,
watch history with compaction, and label and field selectors.

Every write gets the next resourceVersion of one global counter, as etcd's
revision does, and is appended to a bounded history that watches replay.
A watch that starts before the oldest retained event gets 410 Gone.
"""

import collections
import copy
import datetime
import threading
import uuid

# (group/version, plural) -> (kind, namespaced)
TYPES = {
    ("v1", "namespaces"): ("Namespace", False),
    ("v1", "nodes"): ("Node", False),
    ("v1", "pods"): ("Pod", True),
    ("v1", "services"): ("Service", True),
    ("v1", "configmaps"): ("ConfigMap", True),
    ("v1", "serviceaccounts"): ("ServiceAccount", True),
    ("v1", "events"): ("Event", True),
    ("batch/v1", "jobs"): ("Job", True),
    ("apps/v1", "daemonsets"): ("DaemonSet", True),
    ("rbac.authorization.k8s.io/v1", "roles"): ("Role", True),
    ("rbac.authorization.k8s.io/v1", "rolebindings"): ("RoleBinding", True),
    ("rbac.authorization.k8s.io/v1", "clusterroles"): ("ClusterRole", False),
    ("rbac.authorization.k8s.io/v1", "clusterrolebindings"): ("ClusterRoleBinding", False),
}


def now_rfc3339():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_label_selector(text):
    """Parses "a=b,c!=d,e,!f" into (key, op, value) terms."""
    terms = []
    for part in filter(None, (p.strip() for p in (text or "").split(","))):
        if "!=" in part:
            key, value = part.split("!=", 1)
            terms.append((key.strip(), "!=", value.strip()))
        elif "==" in part:
            key, value = part.split("==", 1)
            terms.append((key.strip(), "=", value.strip()))
        elif "=" in part:
            key, value = part.split("=", 1)
            terms.append((key.strip(), "=", value.strip()))
        elif part.startswith("!"):
            terms.append((part[1:].strip(), "!", None))
        else:
            terms.append((part, "exists", None))
    return terms


def labels_match(labels, terms):
    labels = labels or {}
    for key, op, value in terms:
        if op == "=" and labels.get(key) != value:
            return False
        if op == "!=" and labels.get(key) == value:
            return False
        if op == "exists" and key not in labels:
            return False
        if op == "!" and key in labels:
            return False
    return True


def field_value(obj, path):
    value = obj
    for part in path.split("."):
        if not isinstance(value, dict):
            return ""
        value = value.get(part)
    return "" if value is None else str(value)


def fields_match(obj, text):
    for part in filter(None, (p.strip() for p in (text or "").split(","))):
        if "!=" in part:
            key, value = part.split("!=", 1)
            if field_value(obj, key) == value:
                return False
        else:
            key, value = part.split("==", 1) if "==" in part else part.split("=", 1)
            if field_value(obj, key) != value:
                return False
    return True


class Conflict(Exception):
    """A create of an existing name, or a write with a stale resourceVersion."""

    def __init__(self, reason, message):
        super().__init__(message)
        self.reason = reason
        self.message = message


class Store:
    """All objects, under one lock shared with the controllers."""

    def __init__(self, history_limit=10000):
        self.lock = threading.RLock()
        self.changed = threading.Condition(self.lock)
        self.objects = {}  # (plural, namespace, name) -> object
        self.revision = 0
        self.history = collections.deque()  # (revision, type, plural, object)
        self.history_limit = history_limit
        self.compacted = 0  # the newest revision no longer in history
        self.watch_generation = 0  # bumped to end every open watch

    # Reads.

    def get(self, plural, namespace, name):
        with self.lock:
            obj = self.objects.get((plural, namespace or "", name))
            return copy.deepcopy(obj) if obj is not None else None

    def list(self, plural, namespace=None, label_selector="", field_selector=""):
        terms = parse_label_selector(label_selector)
        with self.lock:
            items = []
            for (kind_plural, obj_namespace, _), obj in sorted(self.objects.items()):
                if kind_plural != plural:
                    continue
                if namespace and obj_namespace != namespace:
                    continue
                if not labels_match(obj["metadata"].get("labels"), terms):
                    continue
                if not fields_match(obj, field_selector):
                    continue
                items.append(copy.deepcopy(obj))
            return items, str(self.revision)

    # Writes. Each returns a copy of the stored object.

    def _record(self, event_type, plural, obj):
        self.revision += 1
        obj["metadata"]["resourceVersion"] = str(self.revision)
        self.history.append((self.revision, event_type, plural, copy.deepcopy(obj)))
        while len(self.history) > self.history_limit:
            self.compacted = self.history.popleft()[0]
        self.changed.notify_all()

    def create(self, plural, namespace, obj):
        with self.lock:
            metadata = obj.setdefault("metadata", {})
            if not metadata.get("name") and metadata.get("generateName"):
                metadata["name"] = metadata["generateName"] + uuid.uuid4().hex[:5]
            key = (plural, namespace or "", metadata["name"])
            if key in self.objects:
                raise Conflict("AlreadyExists", f'{plural} "{metadata["name"]}" already exists')
            if namespace:
                metadata["namespace"] = namespace
            metadata.setdefault("uid", str(uuid.uuid4()))
            metadata["creationTimestamp"] = now_rfc3339()
            metadata.setdefault("generation", 1)
            self.objects[key] = obj
            self._record("ADDED", plural, obj)
            return copy.deepcopy(obj)

    def update(self, plural, namespace, obj, expected_version=None):
        """Replaces an object; `expected_version` enables the optimistic check."""
        with self.lock:
            key = (plural, namespace or "", obj["metadata"]["name"])
            current = self.objects.get(key)
            if current is None:
                return None
            if expected_version and expected_version != current["metadata"]["resourceVersion"]:
                raise Conflict("Conflict", (
                    f'Operation cannot be fulfilled on {plural} "{key[2]}": the object has been '
                    "modified; please apply your changes to the latest version and try again"))
            for field in ("uid", "creationTimestamp", "namespace"):
                if field in current["metadata"]:
                    obj["metadata"][field] = current["metadata"][field]
            if obj.get("spec") != current.get("spec"):
                obj["metadata"]["generation"] = current["metadata"].get("generation", 1) + 1
            self.objects[key] = obj
            self._record("MODIFIED", plural, obj)
            return copy.deepcopy(obj)

    def mutate(self, plural, namespace, name, change):
        """Applies `change(obj)` to the stored object and records it if it changed."""
        with self.lock:
            key = (plural, namespace or "", name)
            current = self.objects.get(key)
            if current is None:
                return None
            before = copy.deepcopy(current)
            change(current)
            if current != before:
                self._record("MODIFIED", plural, current)
            return copy.deepcopy(current)

    def remove(self, plural, namespace, name):
        with self.lock:
            obj = self.objects.pop((plural, namespace or "", name), None)
            if obj is not None:
                self._record("DELETED", plural, obj)
            return obj

    # Watches.

    def compact(self):
        """Drops the whole history, as etcd compaction does."""
        with self.lock:
            if self.history:
                self.compacted = self.history[-1][0]
            self.history.clear()
            self.compacted = max(self.compacted, self.revision)

    def end_watches(self):
        with self.lock:
            self.watch_generation += 1
            self.changed.notify_all()

    def events_after(self, revision, plural, namespace, terms, field_selector):
        """Returns (events, expired) for the events newer than `revision`."""
        if revision < self.compacted:
            return [], True
        events = []
        for event_revision, event_type, event_plural, obj in self.history:
            if event_revision <= revision or event_plural != plural:
                continue
            if namespace and obj["metadata"].get("namespace") != namespace:
                continue
            if not labels_match(obj["metadata"].get("labels"), terms):
                continue
            if not fields_match(obj, field_selector):
                continue
            events.append((event_revision, event_type, copy.deepcopy(obj)))
        return events, False
