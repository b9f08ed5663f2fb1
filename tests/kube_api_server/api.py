"""The REST surface of the test API server: routing, authentication, RBAC
denials, CRUD with merge patches, watches, pod logs and status
subresources. Errors carry the real API server's Status shapes."""

import copy
import http.server
import json
import re
import time
import urllib.parse

import store as store_module

NAME_RE = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")


def status_body(code, reason, message, details=None):
    body = {"kind": "Status", "apiVersion": "v1", "metadata": {},
            "status": "Failure" if code >= 400 else "Success",
            "message": message, "reason": reason, "code": code}
    if details:
        body["details"] = details
    return body


def merge_patch(target, patch):
    """Applies an RFC 7386 merge patch to `target` and returns the result."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


class Route:
    """A parsed API path."""

    def __init__(self, group_version, plural, namespace, name, subresource):
        self.group_version = group_version
        self.plural = plural
        self.namespace = namespace
        self.name = name
        self.subresource = subresource
        self.kind, self.namespaced = store_module.TYPES[(group_version, plural)]

    @property
    def group(self):
        return self.group_version.split("/")[0] if "/" in self.group_version else ""

    @property
    def qualified(self):
        return f"{self.plural}.{self.group}" if self.group else self.plural


def parse_route(path):
    parts = [p for p in path.split("/") if p]
    if len(parts) >= 2 and parts[0] == "api":
        group_version, rest = parts[1], parts[2:]
    elif len(parts) >= 3 and parts[0] == "apis":
        group_version, rest = f"{parts[1]}/{parts[2]}", parts[3:]
    else:
        return None
    namespace = ""
    if len(rest) >= 3 and rest[0] == "namespaces":
        namespace, rest = rest[1], rest[2:]
    elif len(rest) == 2 and rest[0] == "namespaces" and group_version == "v1":
        return Route("v1", "namespaces", "", rest[1], "")
    if not rest or (group_version, rest[0]) not in store_module.TYPES:
        return None
    return Route(group_version, rest[0], namespace,
                 rest[1] if len(rest) > 1 else "", rest[2] if len(rest) > 2 else "")


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "trainyard-test-apiserver"

    # `self.server.cluster` is the Cluster (cluster.py) this server fronts.

    def log_message(self, format, *args):  # noqa: A002 - the base class names it so
        if self.server.cluster.verbose:
            super().log_message(format, *args)

    def do_GET(self):
        self.dispatch("GET")

    def do_POST(self):
        self.dispatch("POST")

    def do_PUT(self):
        self.dispatch("PUT")

    def do_PATCH(self):
        self.dispatch("PATCH")

    def do_DELETE(self):
        self.dispatch("DELETE")

    # Plumbing.

    def read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def send_json(self, code, body):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def send_status(self, code, reason, message, details=None):
        self.send_json(code, status_body(code, reason, message, details))

    def start_chunked(self, content_type):
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

    def write_chunk(self, data):
        if data:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            self.wfile.flush()

    def end_chunked(self):
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    # Dispatch.

    def dispatch(self, method):
        cluster = self.server.cluster
        url = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(url.query, keep_blank_values=True))
        body = self.read_body()
        cluster.record_request(method, url.path, query, body)
        if url.path.startswith("/_test/"):
            return self.send_json(*cluster.control(method, url.path, body))
        if url.path in ("/version", "/healthz", "/readyz"):
            return self.send_json(200, {"major": "1", "minor": "29", "gitVersion": "v1.29.0"})

        if not cluster.authenticated(self.headers.get("Authorization", ""), self.connection):
            return self.send_status(401, "Unauthorized", "Unauthorized")
        route = parse_route(url.path)
        if route is None:
            return self.send_status(404, "NotFound", "the server could not find the requested "
                                    "resource")
        verb = self.verb(method, route, query)
        denial = cluster.denial(verb, route)
        if denial is not None:
            return self.send_json(403, denial)
        try:
            handler = getattr(self, f"handle_{verb}", None)
            if handler is None:
                return self.send_status(405, "MethodNotAllowed", f"{verb} is not supported")
            handler(route, query, body)
        except store_module.Conflict as conflict:
            self.send_status(409, conflict.reason, conflict.message,
                             {"name": route.name, "group": route.group, "kind": route.plural})
        except (BrokenPipeError, ConnectionResetError):
            pass

    @staticmethod
    def verb(method, route, query):
        if method == "GET":
            if query.get("watch") in ("1", "true"):
                return "watch"
            return "get" if route.name else "list"
        return {"POST": "create", "PUT": "update", "PATCH": "patch",
                "DELETE": "delete"}.get(method, method.lower())

    def not_found(self, route, name=None):
        name = name or route.name
        self.send_status(404, "NotFound", f'{route.qualified} "{name}" not found',
                         {"name": name, "group": route.group, "kind": route.plural})

    def namespace_missing(self, route):
        if not route.namespaced or not route.namespace:
            return False
        if self.server.cluster.store.get("namespaces", "", route.namespace) is not None:
            return False
        self.send_status(404, "NotFound", f'namespaces "{route.namespace}" not found',
                         {"name": route.namespace, "kind": "namespaces"})
        return True

    # Verbs.

    def handle_get(self, route, query, body):
        if route.subresource == "log":
            return self.stream_log(route, query)
        obj = self.server.cluster.store.get(route.plural, route.namespace, route.name)
        if obj is None:
            return self.not_found(route)
        self.send_json(200, obj)

    def handle_list(self, route, query, body):
        items, revision = self.server.cluster.store.list(
            route.plural, route.namespace, query.get("labelSelector", ""),
            query.get("fieldSelector", ""))
        for item in items:
            item.pop("kind", None)
            item.pop("apiVersion", None)
        self.send_json(200, {"kind": route.kind + "List", "apiVersion": route.group_version,
                             "metadata": {"resourceVersion": revision}, "items": items})

    def handle_create(self, route, query, body):
        obj = json.loads(body or b"{}")
        if self.namespace_missing(route):
            return
        name = obj.get("metadata", {}).get("name") or obj.get("metadata", {}).get("generateName")
        if not name or not NAME_RE.match(name.rstrip("-")) or len(name) > 253:
            return self.send_status(422, "Invalid", f'{route.kind} "{name}" is invalid: '
                                    "metadata.name: Invalid value: a lowercase RFC 1123 subdomain "
                                    "must consist of lower case alphanumeric characters, '-' or "
                                    "'.'")
        problem = self.server.cluster.validate(route.plural, obj)
        if problem:
            return self.send_status(422, "Invalid", f'{route.kind} "{name}" is invalid: {problem}')
        obj["kind"], obj["apiVersion"] = route.kind, route.group_version
        self.server.cluster.apply_defaults(route.plural, obj)
        created = self.server.cluster.store.create(route.plural, route.namespace, obj)
        self.send_json(201, created)

    def handle_update(self, route, query, body):
        obj = json.loads(body or b"{}")
        current = self.server.cluster.store.get(route.plural, route.namespace, route.name)
        if current is None:
            return self.not_found(route)
        if route.subresource == "status":
            current["status"] = obj.get("status", {})
            obj = current
        expected = obj.get("metadata", {}).get("resourceVersion")
        obj["kind"], obj["apiVersion"] = route.kind, route.group_version
        self.send_json(200, self.server.cluster.store.update(
            route.plural, route.namespace, obj, expected))

    def handle_patch(self, route, query, body):
        content_type = (self.headers.get("Content-Type") or "").split(";")[0].strip()
        if content_type not in ("application/merge-patch+json",
                                "application/strategic-merge-patch+json"):
            return self.send_status(415, "UnsupportedMediaType",
                                    f"the body of the request was in an unknown format - "
                                    f"accepted media types include: application/merge-patch+json")
        patch = json.loads(body or b"{}")
        if route.subresource == "status":
            patch = {"status": patch.get("status", {})}
        elif route.subresource:
            return self.send_status(404, "NotFound", "unknown subresource")
        else:
            patch.pop("status", None)

        def change(obj):
            merged = merge_patch(obj, patch)
            obj.clear()
            obj.update(merged)

        patched = self.server.cluster.store.mutate(route.plural, route.namespace, route.name,
                                                   change)
        if patched is None:
            return self.not_found(route)
        self.send_json(200, patched)

    def handle_delete(self, route, query, body):
        options = json.loads(body) if body else {}
        policy = options.get("propagationPolicy") or query.get("propagationPolicy")
        grace = options.get("gracePeriodSeconds", query.get("gracePeriodSeconds"))
        result = self.server.cluster.delete(route.plural, route.namespace, route.name, policy,
                                            None if grace is None else int(grace))
        if result is None:
            return self.not_found(route)
        self.send_json(200, result)

    def handle_watch(self, route, query, body):
        cluster = self.server.cluster
        terms = store_module.parse_label_selector(query.get("labelSelector", ""))
        field_selector = query.get("fieldSelector", "")
        timeout = float(query.get("timeoutSeconds") or cluster.max_watch_seconds)
        deadline = time.monotonic() + min(timeout, cluster.max_watch_seconds)
        bookmarks = query.get("allowWatchBookmarks") in ("1", "true")
        version = query.get("resourceVersion", "")
        self.start_chunked("application/json")

        def send(event_type, obj):
            self.write_chunk(json.dumps({"type": event_type, "object": obj}).encode() + b"\n")

        with cluster.store.lock:
            generation = cluster.store.watch_generation
            if version in ("", "0"):
                # "Start at most recent": the current objects as ADDED events.
                items, revision_text = cluster.store.list(route.plural, route.namespace,
                                                          query.get("labelSelector", ""),
                                                          field_selector)
                revision = int(revision_text)
            else:
                items, revision = [], int(version)
        for item in items:
            send("ADDED", item)
        last_bookmark = time.monotonic()
        while True:
            with cluster.store.lock:
                events, expired = cluster.store.events_after(
                    revision, route.plural, route.namespace, terms, field_selector)
                if not events and not expired:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0 or cluster.store.watch_generation != generation:
                        break
                    cluster.store.changed.wait(min(remaining, 0.5))
                    events, expired = cluster.store.events_after(
                        revision, route.plural, route.namespace, terms, field_selector)
                ended = cluster.store.watch_generation != generation
            if expired:
                send("ERROR", status_body(410, "Expired", f"too old resource version: {revision} "
                                          f"({cluster.store.compacted})"))
                break
            for event_revision, event_type, obj in events:
                send(event_type, obj)
                revision = event_revision
            if ended or time.monotonic() >= deadline:
                break
            if bookmarks and time.monotonic() - last_bookmark > 2:
                send("BOOKMARK", {"kind": route.kind, "apiVersion": route.group_version,
                                  "metadata": {"resourceVersion": str(revision)}})
                last_bookmark = time.monotonic()
        self.end_chunked()

    def stream_log(self, route, query):
        cluster = self.server.cluster
        pod = cluster.store.get("pods", route.namespace, route.name)
        if pod is None:
            return self.not_found(route)
        names = [c["name"] for c in pod["spec"].get("initContainers", []) +
                 pod["spec"].get("containers", [])]
        container = query.get("container") or ""
        if not container:
            main = [c["name"] for c in pod["spec"].get("containers", [])]
            if len(main) != 1:
                return self.send_status(400, "BadRequest", (
                    f"a container name must be specified for pod {route.name}, choose one of: "
                    f"[{' '.join(main)}]"))
            container = main[0]
        if container not in names:
            return self.send_status(400, "BadRequest", (
                f"container {container} is not valid for pod {route.name}"))
        path = cluster.log_path(route.namespace, route.name, container)
        if path is None:
            return self.send_status(400, "BadRequest", (
                f'container "{container}" in pod "{route.name}" is waiting to start: '
                "PodInitializing"))
        follow = query.get("follow") in ("1", "true")
        timestamps = query.get("timestamps") in ("1", "true")
        self.start_chunked("text/plain")
        with open(path, "rb") as log:
            pending = b""

            def strip(line):
                return line if timestamps else line.split(b" ", 1)[-1]

            while True:
                # Whether the container had ended is read before the file, so
                # nothing it wrote before ending is missed.
                finished = cluster.log_finished(route.namespace, route.name, container)
                data = log.read(65536)
                if data:
                    pending += data
                    lines = pending.split(b"\n")
                    pending = lines.pop()
                    self.write_chunk(b"".join(strip(line) + b"\n" for line in lines))
                    continue
                if not follow or finished:
                    break
                time.sleep(0.05)
            if pending:
                self.write_chunk(strip(pending) + b"\n")
        self.end_chunked()
