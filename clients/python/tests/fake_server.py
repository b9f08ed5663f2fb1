"""A stand-in for the Trainyard server's tracking endpoints, for the client's tests.

It records every request, stores each batch once per batchId (as the real
server does), and can fail a number of requests or go offline and come back
on the same port.
"""

import hashlib
import http.server
import json
import threading
from typing import Dict, List, Optional


class FakeTrackingServer:
    """Serves /api/v1/runs/{run}/metrics/batch, .../artifacts and /api/v1/blobs on loopback."""

    def __init__(self, port: int = 0):
        self.lock = threading.Lock()
        self.requests: List[Dict] = []  # every request: method, path, headers, body
        self.batches: List[Dict] = []  # stored batches, one per batchId
        self.blobs: Dict[str, bytes] = {}
        self.artifacts: List[Dict] = []
        self._failures_left = 0
        self._failure_status = 503
        self._final_error: Optional[int] = None
        self._server: Optional[http.server.ThreadingHTTPServer] = None
        self._thread: Optional[threading.Thread] = None
        self.port = port
        self.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        """Listen on `port` (a free one the first time)."""
        handler = _make_handler(self)
        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.02,),
                                        daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Close the listening socket, so connections are refused until start()."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def fail_next(self, count: int, status: int = 503) -> None:
        """Respond to the next `count` requests with `status` and store nothing."""
        with self.lock:
            self._failures_left = count
            self._failure_status = status

    def fail_batches_with(self, status: Optional[int]) -> None:
        """Respond to every batch with `status` (None restores success)."""
        with self.lock:
            self._final_error = status

    def metric_points(self) -> List[Dict]:
        with self.lock:
            return [point for batch in self.batches for point in batch["metrics"]]

    def batch_attempts(self) -> List[Dict]:
        with self.lock:
            return [r for r in self.requests if r["path"].endswith("/metrics/batch")]

    # Request handling, called on the server's threads.

    def handle(self, method: str, path: str, headers: Dict, body: bytes):
        with self.lock:
            self.requests.append({"method": method, "path": path, "headers": headers,
                                  "body": body})
            if self._failures_left > 0:
                self._failures_left -= 1
                return self._failure_status, {"error": {"code": "Unavailable",
                                                        "message": "injected failure"}}
            if path.endswith("/metrics/batch"):
                return self._store_batch(json.loads(body))
            if path == "/api/v1/blobs" and method == "POST":
                digest = "sha256:" + hashlib.sha256(body).hexdigest()
                self.blobs[digest] = body
                return 200, {"digest": digest, "size": len(body)}
            if path.endswith("/artifacts") and method == "POST":
                self.artifacts.append(json.loads(body))
                return 200, {}
            return 404, {"error": {"code": "NotFound", "message": f"no route {path}"}}

    def _store_batch(self, batch: Dict):
        if self._final_error is not None:
            return self._final_error, {"error": {"code": "InvalidArgument",
                                                 "message": "metrics[0].name is invalid"}}
        counts = {kind: len(batch.get(kind, [])) for kind in ("metrics", "params", "tags")}
        if any(b["batchId"] == batch["batchId"] for b in self.batches):
            return 200, dict(counts, duplicate=True)
        self.batches.append(batch)
        return 200, counts


def _make_handler(fake: FakeTrackingServer):
    class Handler(http.server.BaseHTTPRequestHandler):
        def _serve(self):
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length) if length else b""
            headers = {name.lower(): value for name, value in self.headers.items()}
            status, document = fake.handle(self.command, self.path, headers, body)
            payload = json.dumps(document).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = _serve
        do_POST = _serve
        do_PUT = _serve

        def log_message(self, *args):
            pass

    return Handler
