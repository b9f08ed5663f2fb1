"""Tests of the client against a real `trainyard server` on loopback.

The binary comes from TRAINYARD_BIN (ctest sets it); without it the tests
are skipped. A tracking-only run is created through MLflow's runs/create,
then the client logs to it with proxy variables pointing at a dead proxy.
"""

import json
import math
import os
import shutil
import socket
import subprocess
import tempfile
import time
import unittest
import urllib.request
from unittest import mock

from trainyard_client import Client

BINARY = os.environ.get("TRAINYARD_BIN", "")
DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@unittest.skipUnless(BINARY and os.access(BINARY, os.X_OK), "TRAINYARD_BIN is not set")
class RealServerTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.data_dir = tempfile.mkdtemp(prefix="trainyard-client-")
        cls.url = f"http://127.0.0.1:{free_port()}"
        cls.log = open(os.path.join(cls.data_dir, "server.log"), "wb")
        cls.server = subprocess.Popen(
            [BINARY, "server", "--data-dir", cls.data_dir, "--listen", cls.url[len("http://"):]],
            stdout=cls.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        token_path = os.path.join(cls.data_dir, "admin-token")
        deadline = time.monotonic() + 30
        while True:
            try:
                with open(token_path) as token_file:
                    cls.token = token_file.read().strip()
                DIRECT.open(cls.url + "/api/v1/health", timeout=2).close()
                break
            except OSError:
                if time.monotonic() > deadline or cls.server.poll() is not None:
                    raise
                time.sleep(0.1)

    @classmethod
    def tearDownClass(cls):
        cls.server.terminate()
        cls.server.wait(15)
        cls.log.close()
        shutil.rmtree(cls.data_dir, ignore_errors=True)

    def request(self, method, path, document=None):
        data = None if document is None else json.dumps(document).encode()
        request = urllib.request.Request(
            self.url + path, data=data, method=method,
            headers={"Authorization": "Bearer " + self.token, "Content-Type": "application/json"})
        with DIRECT.open(request, timeout=10) as response:
            return json.loads(response.read())

    def test_logged_entries_read_back(self):
        created = self.request("POST", "/api/2.0/mlflow/runs/create", {"experiment_id": "0"})
        run_id = created["run"]["info"]["run_id"]
        dead_proxy = f"http://127.0.0.1:{free_port()}"
        proxies = {"HTTP_PROXY": dead_proxy, "HTTPS_PROXY": dead_proxy,
                   "http_proxy": dead_proxy, "https_proxy": dead_proxy}
        with mock.patch.dict(os.environ, proxies):
            os.environ.pop("NO_PROXY", None)
            os.environ.pop("no_proxy", None)
            client = Client(self.url, run_id, self.token, environ={}, flush_interval=0.05)
            for step in range(1500):
                client.log_metric("train/loss", 1.0 / (step + 1), step=step)
            client.log_metric("val loss", math.nan, step=0)
            client.log_metric("big step", 1.0, step=2**62)
            client.log_params({"lr": 0.01, "epochs": 20})
            client.set_tag("phase", "train")
            self.assertTrue(client.flush(30))
            client.close()

        base = f"/api/v1/runs/{run_id}"
        summaries = {item["name"]: item for item in self.request("GET", base + "/metrics")["items"]}
        self.assertEqual(summaries["train/loss"]["count"], 1500)
        self.assertEqual(summaries["train/loss"]["lastStep"], 1499)
        self.assertEqual(summaries["val loss"]["latest"]["value"], "NaN")
        self.assertEqual(summaries["big step"]["lastStep"], 2**62)
        params = self.request("GET", base + "/params")["items"]
        self.assertEqual(params, [{"name": "epochs", "value": "20"}, {"name": "lr", "value": "0.01"}])
        self.assertEqual(self.request("GET", base + "/tags")["items"],
                         [{"name": "phase", "value": "train"}])


if __name__ == "__main__":
    unittest.main()
