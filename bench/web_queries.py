"""Times the queries behind the web page on a large store.

Starts `trainyard server` in a temporary folder and fills it with 100,000
jobs, written straight into SQLite while the server is stopped: one job in
1,000 is tagged `rare=yes` and one in 50 is Running. One job gets a metric
of 1,000,000 points, logged through the API. Each request is then timed
five times, and the median is printed:

    /usr/bin/python3 bench/web_queries.py [--binary build/trainyard]
"""

import argparse
import json
import os
import socket
import sqlite3
import statistics
import subprocess
import tempfile
import time
import urllib.request

OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))
WORKSPACE_ID = "/resourceGroups/rg/workspaces/ws"
JOBS = 100_000
POINTS = 1_000_000


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    def __init__(self, binary, data_dir, port):
        self.binary, self.data_dir, self.port = binary, data_dir, port
        self.url = f"http://127.0.0.1:{port}"
        self.process = None

    def start(self):
        log = open(os.path.join(self.data_dir, "server.log"), "ab")
        self.process = subprocess.Popen(
            [self.binary, "server", "--data-dir", self.data_dir, "--listen", f"127.0.0.1:{self.port}",
             "--log-level", "warning"], stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                OPENER.open(f"{self.url}/api/v1/health", timeout=1).read()
                break
            except OSError:
                time.sleep(0.1)
        with open(os.path.join(self.data_dir, "admin-token")) as token:
            self.token = token.read().strip()

    def stop(self):
        self.process.terminate()
        self.process.wait(30)

    def call(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(f"{self.url}{path}", data=data, method=method, headers={
            "Authorization": f"Bearer {self.token}", "Content-Type": "application/json"})
        with OPENER.open(request, timeout=120) as response:
            return json.loads(response.read())


def fill_jobs(database_path):
    now = int(time.time() * 1000)
    with sqlite3.connect(database_path) as database:
        rows = []
        for i in range(JOBS):
            tags = {"rare": "yes"} if i % 1000 == 0 else {"team": f"t{i % 10}"}
            status = "Running" if i % 50 == 0 else "Completed"
            rows.append((f"{WORKSPACE_ID}/jobs/j{i}", WORKSPACE_ID, "rg", "ws", f"j{i}",
                         "gpu" if i % 3 == 0 else "cpu", "/resourceGroups/rg/connectedClusters/c1",
                         f"exp{i % 20}", f"j{i}", status, json.dumps({"tags": tags}), now + i, 1,
                         now + i))
        database.executemany(
            "INSERT INTO jobs (id, workspace_id, resource_group, workspace, name, compute, "
            "cluster_id, experiment, display_name, status, spec, created_at, version, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)


def median_ms(server, path, repeats=5):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        server.call("GET", path)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary", default=os.path.join("build", "trainyard"))
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="trainyard-web-bench-") as data_dir:
        server = Server(os.path.abspath(args.binary), data_dir, free_port())
        server.start()
        server.call("POST", "/api/v1/resourceGroups", {"name": "rg", "location": "eastus"})
        server.call("POST", "/api/v1/resourceGroups/rg/workspaces", {"name": "ws", "location": "eastus"})
        server.stop()
        fill_jobs(os.path.join(data_dir, "trainyard.db"))
        server.start()

        jobs = "/api/v1/resourceGroups/rg/workspaces/ws/jobs"
        metric_job = f"{jobs}/j99999"
        for batch in range(POINTS // 1000):
            server.call("POST", f"{metric_job}/metrics/batch", {"metrics": [
                {"name": "big", "value": (step % 977) / 977.0, "step": step}
                for step in range(batch * 1000, batch * 1000 + 1000)]})

        figures = [
            ("jobs list, first page of 50", f"{jobs}?pageSize=50"),
            ("jobs list, status=Running", f"{jobs}?pageSize=50&status=Running"),
            ("jobs list, experiment=exp7", f"{jobs}?pageSize=50&experiment=exp7"),
            ("jobs list, tag rare=yes (100 matches)", f"{jobs}?pageSize=50&tag=rare%3Dyes"),
            ("jobs list, oldest first", f"{jobs}?pageSize=50&order=oldest"),
            ("metricSeries, 1,000,000 points to 1000 buckets", f"{metric_job}/metricSeries?name=big"),
            ("metricSeries, zoomed to 10,000 steps", f"{metric_job}/metricSeries?name=big&from=500000&to=509999"),
        ]
        print(f"{JOBS:,} jobs, one metric of {POINTS:,} points; median of 5 requests")
        for name, path in figures:
            print(f"{name:50s} {median_ms(server, path):8.1f} ms")
        server.stop()


if __name__ == "__main__":
    main()
