"""The project's test Kubernetes API server as a child process, for
end-to-end tests of `trainyard agent --executor kubernetes`.

The server (tests/kube_api_server/server.py) runs each pod's containers as
local processes, so jobs really run. The agent reaches it through a
kubeconfig, as it would reach a real cluster.
"""

import json
import os
import urllib.error
import urllib.request

from cli_harness import OPENER, ROOT, Child, wait_until

SERVER_SCRIPT = os.path.join(ROOT, "tests", "kube_api_server", "server.py")
# Debian's python3 has scikit-learn and torch, which the examples import.
PYTHON = "/usr/bin/python3"
PYTHON_CLIENT = os.path.join(ROOT, "clients", "python")


class KubeApiServer:
    """One test cluster on a free loopback port, with token authentication."""

    def __init__(self, folder, config, token):
        self.folder = os.path.join(folder, "kube-api-server")
        os.makedirs(self.folder, exist_ok=True)
        self.token = token
        config = dict(config, token=token)
        config_path = os.path.join(self.folder, "config.json")
        with open(config_path, "w") as out:
            json.dump(config, out)
        port_file = os.path.join(self.folder, "port")
        # Pods see this PATH, so `python3` in a job is Debian's.
        env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "PYTHONDONTWRITEBYTECODE": "1"}
        self.child = Child([PYTHON, SERVER_SCRIPT, "--port-file", port_file, "--config",
                            config_path, "--work-dir", os.path.join(self.folder, "pods")],
                           os.path.join(folder, "kube-api-server.log"), env=env)
        port = wait_until(lambda: self._read_port(port_file), timeout=60,
                          what="the test API server to listen")
        self.url = f"http://127.0.0.1:{port}"

    def _read_port(self, port_file):
        if not self.child.alive():
            raise AssertionError("test API server exited:\n" + self.child.output())
        try:
            with open(port_file) as source:
                return int(source.read())
        except (OSError, ValueError):
            return None

    def write_kubeconfig(self, name, token=None, server=None):
        """Writes a kubeconfig with one context and returns its path."""
        path = os.path.join(self.folder, name)
        with open(path, "w") as out:
            out.write("apiVersion: v1\nkind: Config\ncurrent-context: e2e\n"
                      f"clusters:\n- name: e2e\n  cluster:\n    server: {server or self.url}\n"
                      "contexts:\n- name: e2e\n  context: {cluster: e2e, user: e2e}\n"
                      f"users:\n- name: e2e\n  user: {{token: {token or self.token}}}\n")
        os.chmod(path, 0o600)
        return path

    def get(self, path):
        """GETs an API path; returns the parsed object, or None on 404."""
        request = urllib.request.Request(self.url + path,
                                         headers={"Authorization": "Bearer " + self.token})
        try:
            with OPENER.open(request, timeout=30) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as error:
            if error.code == 404:
                return None
            raise

    def control(self, action, body=None):
        request = urllib.request.Request(self.url + "/_test/" + action,
                                         data=json.dumps(body or {}).encode(), method="POST",
                                         headers={"Content-Type": "application/json"})
        with OPENER.open(request, timeout=30) as response:
            return json.loads(response.read())

    def stop(self):
        self.child.stop()
