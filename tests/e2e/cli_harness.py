"""Harness for end-to-end tests of the `trainyard` CLI.

Each test class gets its own data folder and a real `trainyard server` on a
free loopback port. The CLI is the real `trainyard` binary, run in a
subprocess with an environment of its own: no proxies, its own config file.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest
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


def wait_until(predicate, timeout=30.0, interval=0.1, what="condition"):
    """Polls `predicate` until it returns a true value, which is returned."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


class CliResult:
    def __init__(self, argv, completed):
        self.argv = argv
        self.code = completed.returncode
        self.out = completed.stdout
        self.err = completed.stderr

    def __repr__(self):
        return (f"trainyard {' '.join(self.argv)}\n  exit {self.code}\n"
                f"  stdout: {self.out!r}\n  stderr: {self.err!r}")


class Child:
    """A long-running child process with its output in a log file."""

    def __init__(self, args, log_path, env=None):
        self.log_path = log_path
        self.log = open(log_path, "ab")
        self.popen = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT,
                                      stdin=subprocess.DEVNULL, env=env)

    def alive(self):
        return self.popen.poll() is None

    def stop(self, timeout=15):
        if self.alive():
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
        self.log.close()

    def output(self):
        with open(self.log_path, "rb") as log:
            return log.read().decode("utf-8", "replace")


class Workplace:
    """A server in a temporary folder, and the CLI pointed at it."""

    def __init__(self):
        if not os.access(BINARY, os.X_OK):
            raise unittest.SkipTest(f"no trainyard binary at {BINARY}; set TRAINYARD_BIN")
        self.folder = tempfile.mkdtemp(prefix="trainyard-cli-e2e-")
        self.data_dir = os.path.join(self.folder, "server")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.token_file = os.path.join(self.data_dir, "admin-token")
        self.config_file = os.path.join(self.folder, "home", "config.json")
        self.children = []
        self.server = self.spawn([BINARY, "server", "--data-dir", self.data_dir, "--listen",
                                  f"127.0.0.1:{self.port}"], "server.log")
        wait_until(self._healthy, timeout=60, what="server health")

    def _healthy(self):
        if not self.server.alive():
            raise AssertionError("server exited:\n" + self.server.output())
        try:
            with OPENER.open(self.url + "/api/v1/health", timeout=2) as response:
                return response.status == 200 and os.path.exists(self.token_file)
        except (urllib.error.URLError, ConnectionError, OSError):
            return False

    def spawn(self, args, log_name):
        child = Child(args, os.path.join(self.folder, log_name), env=self.environment())
        self.children.append(child)
        return child

    def environment(self, extra=None):
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": os.path.join(self.folder, "home"),
            "TRAINYARD_CONFIG": self.config_file,
            "LANG": "C.UTF-8",
        }
        env.update(extra or {})
        return env

    def cli(self, *argv, env=None, timeout=180):
        """Runs `trainyard ARGV...` and returns its exit code and output."""
        argv = [str(arg) for arg in argv]
        completed = subprocess.run([BINARY] + argv, capture_output=True, text=True,
                                   stdin=subprocess.DEVNULL, env=self.environment(env),
                                   timeout=timeout, cwd=self.folder)
        return CliResult(argv, completed)

    def cli_ok(self, *argv, env=None, timeout=180):
        result = self.cli(*argv, env=env, timeout=timeout)
        if result.code != 0:
            raise AssertionError(f"command failed: {result}")
        return result

    def cli_json(self, *argv, env=None, timeout=180):
        """Runs a command with `-o json` and returns the parsed output."""
        result = self.cli_ok(*argv, "-o", "json", env=env, timeout=timeout)
        return json.loads(result.out) if result.out.strip() else None

    def login(self, group, workspace):
        return self.cli_ok("login", "--server", self.url, "--token-file", self.token_file,
                           "--resource-group", group, "--workspace", workspace)

    def start_agent(self, connection_file, name):
        state_dir = os.path.join(self.folder, name)
        os.makedirs(state_dir, exist_ok=True)
        return self.spawn([BINARY, "agent", "--connection-string-file", connection_file,
                           "--state-dir", state_dir, "--grace-period", "2"], name + ".log")

    def close(self):
        for child in reversed(self.children):
            child.stop()
        if os.environ.get("TRAINYARD_KEEP_E2E") != "1":
            shutil.rmtree(self.folder, ignore_errors=True)
