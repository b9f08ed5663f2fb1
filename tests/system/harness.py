"""Real processes for end-to-end tests: a server, agents, and REST calls.

Every test gets its own data folder and a server on a free loopback port.
Nothing here is faked: the `trainyard` binary under test runs the server,
the agent and the job shims.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BINARY = os.environ.get("TRAINYARD_BIN", os.path.join(ROOT, "build", "trainyard"))
# Requests to loopback must never meet a proxy from the environment.
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(predicate, timeout=30.0, interval=0.05, what="condition"):
    """Polls `predicate` until it returns a true value, which is returned."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


class ApiError(Exception):
    def __init__(self, status, body):
        super().__init__(f"HTTP {status}: {body}")
        self.status = status
        self.body = body


class Process:
    """A child process with its output in a log file."""

    def __init__(self, args, log_path, env=None):
        self.args = args
        self.log_path = log_path
        self.log = open(log_path, "ab")
        self.popen = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT,
                                      stdin=subprocess.DEVNULL, env=env)

    def alive(self):
        return self.popen.poll() is None

    def kill9(self):
        if self.alive():
            self.popen.send_signal(signal.SIGKILL)
            self.popen.wait()
        self.log.close()

    def stop(self, timeout=15):
        if self.alive():
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill9()
        self.log.close()

    def output(self):
        with open(self.log_path, "rb") as log:
            return log.read().decode("utf-8", "replace")


class Server:
    """`trainyard server` on a loopback port, restartable on the same port."""

    def __init__(self, folder, port=None):
        self.data_dir = os.path.join(folder, "server")
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = os.path.join(folder, "server.log")
        self.process = None
        self.token = None

    def start(self):
        self.process = Process([BINARY, "server", "--data-dir", self.data_dir, "--listen",
                                f"127.0.0.1:{self.port}"], self.log_path)
        wait_until(self._healthy, timeout=30, what="server health")
        with open(os.path.join(self.data_dir, "admin-token")) as token_file:
            self.token = token_file.read().strip()
        return self

    def _healthy(self):
        if not self.process.alive():
            raise AssertionError("server exited:\n" + self.process.output())
        try:
            with OPENER.open(self.url + "/api/v1/health", timeout=2) as response:
                return response.status == 200
        except (urllib.error.URLError, ConnectionError, OSError):
            return False

    def api(self, method, path, body=None, content_type="application/json", token=None):
        """Calls the REST API; returns parsed JSON or raises ApiError."""
        data = None
        if body is not None:
            data = body if isinstance(body, bytes) else (
                body.encode() if isinstance(body, str) else json.dumps(body).encode())
        request = urllib.request.Request(self.url + path, data=data, method=method)
        request.add_header("Authorization", "Bearer " + (token or self.token))
        if data is not None:
            request.add_header("Content-Type", content_type)
        try:
            with OPENER.open(request, timeout=60) as response:
                raw = response.read()
                if response.headers.get("Content-Type", "").startswith("application/json"):
                    return json.loads(raw or b"{}")
                return raw
        except urllib.error.HTTPError as error:
            raise ApiError(error.code, error.read().decode("utf-8", "replace")) from None

    def kill9(self):
        self.process.kill9()

    def stop(self):
        if self.process:
            self.process.stop()


class Agent:
    """`trainyard agent` with its own state folder."""

    def __init__(self, folder, connection_string, name="agent", grace_seconds=2):
        self.state_dir = os.path.join(folder, name)
        os.makedirs(self.state_dir, exist_ok=True)
        self.connection_file = os.path.join(folder, name + ".connection")
        with open(self.connection_file, "w") as out:
            out.write(connection_string)
        os.chmod(self.connection_file, 0o600)
        self.log_path = os.path.join(folder, name + ".log")
        self.grace_seconds = grace_seconds
        self.process = None

    def start(self, env=None):
        self.process = Process([BINARY, "agent", "--connection-string-file", self.connection_file,
                                "--state-dir", self.state_dir, "--grace-period",
                                str(self.grace_seconds)], self.log_path, env=env)
        return self

    def kill9(self):
        self.process.kill9()

    def stop(self):
        if self.process:
            self.process.stop()


class Cluster:
    """A server plus one registered, attached local cluster and its agent."""

    GROUP = "rg"
    WORKSPACE = "ws"
    COMPUTE = "local"

    def __init__(self, folder, endpoint=None, server_port=None):
        self.folder = folder
        self.server = Server(folder, port=server_port).start()
        self.api = self.server.api
        self.api("POST", "/api/v1/resourceGroups", {"name": self.GROUP, "location": "local"})
        created = self.api("POST", f"/api/v1/resourceGroups/{self.GROUP}/connectedClusters",
                           {"name": "c1", "location": "local", "kind": "local"})
        self.connection_string = created["connectionString"]
        if endpoint:
            self.connection_string = self.connection_string.replace(self.server.url, endpoint)
        self.agent = Agent(folder, self.connection_string).start()
        self.cluster_path = f"/api/v1/resourceGroups/{self.GROUP}/connectedClusters/c1"
        self.api("POST", self.cluster_path + "/extensions",
                 {"name": "ml", "extensionType": "Trainyard.MachineLearning", "scope": "cluster",
                  "configurationSettings": {"enableTraining": "True"}})
        wait_until(lambda: self.extension()["properties"]["installState"] == "Installed",
                   what="extension Installed")
        self.api("POST", f"/api/v1/resourceGroups/{self.GROUP}/workspaces",
                 {"name": self.WORKSPACE, "location": "local"})
        self.workspace_path = f"/api/v1/resourceGroups/{self.GROUP}/workspaces/{self.WORKSPACE}"
        self.api("POST", self.workspace_path + "/computes",
                 {"name": self.COMPUTE, "clusterResourceGroup": self.GROUP, "clusterName": "c1",
                  "namespace": "default"})

    def extension(self):
        return self.api("GET", self.cluster_path + "/extensions/ml")

    def submit(self, spec, code_snapshot=None):
        """Submits a job spec (a dict, sent as JSON) and returns the job."""
        spec = dict(spec)
        spec.setdefault("type", "command")
        spec.setdefault("compute", self.COMPUTE)
        query = f"?codeSnapshot={code_snapshot}" if code_snapshot else ""
        return self.api("POST", self.workspace_path + "/jobs" + query, spec)

    def job(self, name):
        return self.api("GET", f"{self.workspace_path}/jobs/{name}")

    def wait_status(self, name, statuses, timeout=60):
        statuses = {statuses} if isinstance(statuses, str) else set(statuses)
        return wait_until(lambda: (lambda job: job if job["properties"]["status"] in statuses
                                   else None)(self.job(name)),
                          timeout=timeout, what=f"job {name} in {sorted(statuses)}")

    def cancel(self, name):
        return self.api("POST", f"{self.workspace_path}/jobs/{name}/cancel")

    def log_lines(self, name, rank=None):
        lines, after = [], 0
        while True:
            query = f"?after={after}&limit=1000" + (f"&rank={rank}" if rank is not None else "")
            page = self.api("GET", f"{self.workspace_path}/jobs/{name}/logs{query}")
            lines += page["lines"]
            if not page["lines"]:
                return lines
            after = page["nextSeq"]

    def close(self):
        self.agent.stop()
        self.server.stop()


def child_pids(pid):
    """Pids of the children of `pid`, zombies included, read from /proc."""
    pids = []
    for task in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{task}/children") as children:
            pids.extend(int(child) for child in children.read().split())
    return pids


def processes_with_marker(marker):
    """Pids of live processes whose command line contains `marker`."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as cmdline:
                if marker.encode() in cmdline.read():
                    with open(f"/proc/{entry}/stat") as stat:
                        if stat.read().split(") ")[1].startswith("Z"):
                            continue
                    found.append(int(entry))
        except OSError:
            continue
    return found


class TempFolder:
    def __init__(self):
        self.path = tempfile.mkdtemp(prefix="trainyard-e2e-")

    def close(self, keep=False):
        if not keep:
            shutil.rmtree(self.path, ignore_errors=True)


class TcpProxy:
    """A loopback TCP proxy whose connections a test can cut at will."""

    def __init__(self, target_port):
        self.target_port = target_port
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.port = self.listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.lock = threading.Lock()
        self.sockets = []
        self.accepting = True
        self.refused = 0  # connections closed at once while not accepting
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if not self.accepting:
                self.refused += 1
                client.close()
                continue
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port))
            except OSError:
                client.close()
                continue
            with self.lock:
                self.sockets += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pipe(source, sink):
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                sink.sendall(data)
        except OSError:
            pass
        for each in (source, sink):
            try:
                each.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def cut(self):
        """Drops every open connection, as a network failure would."""
        with self.lock:
            for each in self.sockets:
                try:
                    each.shutdown(socket.SHUT_RDWR)
                    each.close()
                except OSError:
                    pass
            self.sockets = []

    def close(self):
        self.cut()
        self.listener.close()
