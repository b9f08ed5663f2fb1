"""End-to-end tests of the relay, the agent and the local executor.

Each test runs a real server, a real agent and real job processes on
loopback, and breaks them the way production does: kill -9 of either
process, a dropped connection, a wiped agent.
"""

import io
import os
import tarfile
import time
import unittest

from harness import (Agent, Cluster, Server, TcpProxy, TempFolder, child_pids,
                     processes_with_marker, wait_until)

# A job that prints numbered lines for a few seconds, so faults can hit it
# while it runs. The marker finds its processes in /proc.
def counting_job(marker, count=30, pause=0.1):
    return {"command": f"for i in $(seq 1 {count}); do echo line-$i; sleep {pause}; done; "
                       f": {marker}"}


def job_folders(cluster):
    """The job folders under the agent's state folder."""
    root = os.path.join(cluster.agent.state_dir, "jobs")
    if not os.path.isdir(root):
        return []
    return [os.path.join(root, name) for name in os.listdir(root)
            if os.path.isdir(os.path.join(root, name))]


def children_argv(pid):
    """The argv (as bytes) of each child of `pid`, a zombie's as [b""]."""
    found = []
    for child in child_pids(pid):
        try:
            with open(f"/proc/{child}/cmdline", "rb") as cmdline:
                found.append(cmdline.read().split(b"\0"))
        except FileNotFoundError:
            pass
    return found


def texts(lines):
    return [line["text"] for line in lines]


class RelayTest(unittest.TestCase):
    def setUp(self):
        self.folder = TempFolder()
        self.cluster = None

    def tearDown(self):
        if self.cluster:
            self.cluster.close()
        failed = any(error for _, error in self._outcome.errors) if hasattr(
            self._outcome, "errors") else False
        self.folder.close(keep=failed)

    def start(self, **kwargs):
        self.cluster = Cluster(self.folder.path, **kwargs)
        return self.cluster

    def test_job_completes_with_every_line(self):
        cluster = self.start()
        cluster.submit({"name": "echo", "command": "for i in 1 2 3; do echo out-$i; done; "
                                                   "echo err-1 >&2"})
        job = cluster.wait_status("echo", ["Completed", "Failed"])
        self.assertEqual(job["properties"]["status"], "Completed")
        self.assertEqual(job["properties"].get("exitCode"), 0)
        lines = cluster.log_lines("echo")
        self.assertEqual([t for t in texts(lines) if t.startswith("out-")], ["out-1", "out-2", "out-3"])
        self.assertIn("err-1", texts(lines))
        history = [entry["status"] for entry in job["properties"]["history"]]
        for status in ["Queued", "Preparing", "Starting", "Running", "Completed"]:
            self.assertIn(status, history)

    def test_nonzero_exit_fails_with_code(self):
        cluster = self.start()
        cluster.submit({"name": "three", "command": "exit 3"})
        job = cluster.wait_status("three", ["Completed", "Failed"])
        self.assertEqual(job["properties"]["status"], "Failed")
        self.assertEqual(job["properties"]["exitCode"], 3)

    def test_cancel_stops_every_process(self):
        cluster = self.start()
        marker = "cancel-marker-7731"
        cluster.submit({"name": "sleeper", "command": f"sleep 1000; : {marker}"})
        cluster.wait_status("sleeper", "Running")
        wait_until(lambda: processes_with_marker(marker), what="job process")
        cluster.cancel("sleeper")
        job = cluster.wait_status("sleeper", ["Canceled", "Failed", "Completed"])
        self.assertEqual(job["properties"]["status"], "Canceled")
        wait_until(lambda: not processes_with_marker(marker), timeout=15,
                   what="job processes to exit")
        # Cancelling a final job is harmless.
        self.assertEqual(cluster.cancel("sleeper")["properties"]["status"], "Canceled")

    def test_ranks_run_under_shim_binary_and_are_reaped(self):
        cluster = self.start()
        marker = "shim-marker-5120"
        cluster.submit({"name": "held", "command": f"sleep 1000; : {marker}"})
        cluster.wait_status("held", "Running")
        wait_until(lambda: processes_with_marker(marker), what="job process")
        agent_pid = cluster.agent.process.popen.pid
        shims = [argv for argv in children_argv(agent_pid) if argv[1:2] == [b"shim"]]
        self.assertEqual(len(shims), 1, shims)
        self.assertEqual(os.path.basename(shims[0][0]), b"trainyard-shim")

        for index in range(3):
            cluster.submit({"name": f"short-{index}", "command": "true"})
        for index in range(3):
            job = cluster.wait_status(f"short-{index}", ["Completed", "Failed"])
            self.assertEqual(job["properties"]["status"], "Completed", job)
        cluster.cancel("held")
        cluster.wait_status("held", ["Canceled", "Failed", "Completed"])
        wait_until(lambda: not children_argv(agent_pid), timeout=15,
                   what="the agent's shims to be reaped")

    def test_agent_kill9_loses_no_line(self):
        cluster = self.start()
        cluster.submit({"name": "survivor", **counting_job("agent-kill-marker")})
        cluster.wait_status("survivor", "Running")
        time.sleep(0.8)
        cluster.agent.kill9()
        time.sleep(1.0)
        cluster.agent.start()
        job = cluster.wait_status("survivor", ["Completed", "Failed"], timeout=60)
        self.assertEqual(job["properties"]["status"], "Completed", job)
        self.assertEqual(texts(cluster.log_lines("survivor")),
                         [f"line-{i}" for i in range(1, 31)])

    def test_finished_job_folder_removed(self):
        cluster = self.start()
        cluster.submit({"name": "tidy", "command": "echo done > result.txt"})
        job = cluster.wait_status("tidy", ["Completed", "Failed"])
        self.assertEqual(job["properties"]["status"], "Completed", job)
        wait_until(lambda: not job_folders(cluster), timeout=15,
                   what="the finished job's folder to be removed")

    def test_away_job_folder_removed_after_restart(self):
        cluster = self.start()
        gate = os.path.join(self.folder.path, "gate")
        cluster.submit({"name": "away", "command": f"while [ ! -e {gate} ]; do sleep 0.05; done"})
        cluster.wait_status("away", "Running")
        cluster.server.kill9()
        open(gate, "w").close()
        # The job ends while the server is down, so its final status waits
        # in the outbox when the agent is killed too.
        wait_until(lambda: any(os.path.exists(os.path.join(folder, "rank-0", "status.json"))
                               for folder in job_folders(cluster)),
                   timeout=15, what="the job to end")
        time.sleep(0.3)
        cluster.agent.kill9()
        self.assertEqual(len(job_folders(cluster)), 1)

        cluster.agent.start()
        cluster.server.start()
        job = cluster.wait_status("away", ["Completed", "Failed"], timeout=60)
        self.assertEqual(job["properties"]["status"], "Completed", job)
        wait_until(lambda: not job_folders(cluster), timeout=15,
                   what="the job's folder to be removed after the restart")

    def test_server_kill9_loses_no_line(self):
        cluster = self.start()
        cluster.submit({"name": "steady", **counting_job("server-kill-marker")})
        cluster.wait_status("steady", "Running")
        time.sleep(0.8)
        cluster.server.kill9()
        time.sleep(1.0)
        cluster.server.start()
        job = cluster.wait_status("steady", ["Completed", "Failed"], timeout=60)
        self.assertEqual(job["properties"]["status"], "Completed", job)
        self.assertEqual(texts(cluster.log_lines("steady")),
                         [f"line-{i}" for i in range(1, 31)])

    def test_kill9_during_heavy_output_loses_no_line(self):
        cluster = self.start()
        # Ten bursts of 2,000 numbered lines of 997 bytes, so both kills
        # land while large log messages are in flight.
        bursts, per_burst = 10, 2000
        cluster.submit({"name": "heavy",
                        "command": f"for b in $(seq 0 {bursts - 1}); do "
                                   f"seq $((b * {per_burst} + 1)) $((b * {per_burst} + {per_burst})) "
                                   "| awk '{printf \"%06d-%0990d\\n\", $1, 0}'; sleep 0.3; done"})
        cluster.wait_status("heavy", "Running")
        time.sleep(1.0)
        cluster.agent.kill9()
        cluster.agent.start()
        time.sleep(1.0)
        cluster.server.kill9()
        cluster.server.start()
        job = cluster.wait_status("heavy", ["Completed", "Failed"], timeout=120)
        self.assertEqual(job["properties"]["status"], "Completed", job)
        numbers = [int(text[:6]) for text in texts(cluster.log_lines("heavy"))]
        self.assertEqual(numbers, list(range(1, bursts * per_burst + 1)))

    def test_dropped_connection_loses_no_line(self):
        folder = self.folder.path
        server_port_holder = Server(folder)  # only to pick the server's port
        proxy = TcpProxy(server_port_holder.port)
        try:
            cluster = self.start(endpoint=proxy.url, server_port=server_port_holder.port)
            cluster.submit({"name": "flaky", **counting_job("drop-marker")})
            cluster.wait_status("flaky", "Running")
            for _ in range(3):
                time.sleep(0.6)
                proxy.cut()
            job = cluster.wait_status("flaky", ["Completed", "Failed"], timeout=60)
            self.assertEqual(job["properties"]["status"], "Completed", job)
            self.assertEqual(texts(cluster.log_lines("flaky")),
                             [f"line-{i}" for i in range(1, 31)])
        finally:
            proxy.close()

    def test_job_lost_by_agent_is_marked_lost(self):
        cluster = self.start()
        marker = "lost-marker-4410"
        cluster.submit({"name": "orphan", "command": f"sleep 1000; : {marker}"})
        cluster.wait_status("orphan", "Running")
        cluster.agent.kill9()
        for pid in processes_with_marker(marker):
            os.kill(pid, 9)
        # A new agent with empty state stands for a machine that lost its disk.
        replacement = Agent(self.folder.path, cluster.connection_string, name="fresh-agent")
        cluster.agent = replacement.start()
        job = cluster.wait_status("orphan", ["Failed", "Completed", "Canceled"], timeout=60)
        self.assertEqual(job["properties"]["status"], "Failed")
        self.assertIn("JobLost", job["properties"]["error"])

    def test_cancel_while_agent_away(self):
        cluster = self.start()
        marker = "away-marker-9921"
        cluster.submit({"name": "away", "command": f"sleep 1000; : {marker}"})
        cluster.wait_status("away", "Running")
        cluster.agent.kill9()
        self.assertEqual(cluster.cancel("away")["properties"]["status"], "CancelRequested")
        cluster.agent.start()
        job = cluster.wait_status("away", ["Canceled", "Failed", "Completed"], timeout=60)
        self.assertEqual(job["properties"]["status"], "Canceled")
        wait_until(lambda: not processes_with_marker(marker), timeout=15,
                   what="job processes to exit")

    def test_job_waits_for_agent_then_runs_once(self):
        cluster = self.start()
        cluster.agent.stop()
        wait_until(lambda: cluster.api("GET", cluster.cluster_path)["properties"]
                   ["connectivityStatus"] == "Offline", what="cluster Offline")
        cluster.submit({"name": "patient", "command": "echo ran-once"})
        time.sleep(0.5)
        job = cluster.job("patient")
        self.assertEqual(job["properties"]["status"], "Queued")
        self.assertIn("agent", job["properties"]["statusMessage"])
        cluster.agent.start()
        cluster.wait_status("patient", "Completed")
        self.assertEqual(texts(cluster.log_lines("patient")).count("ran-once"), 1)

    def test_gang_that_does_not_fit_now_waits(self):
        cluster = self.start()
        # Each instance of the default instance type asks for 1 CPU; two jobs
        # of as many instances as the host has CPUs cannot run together.
        cpus = os.cpu_count() or 1
        spec = {"command": "sleep 1", "resources": {"instance_count": cpus}}
        cluster.submit({"name": "first", **spec})
        cluster.submit({"name": "second", **spec})
        cluster.wait_status("first", "Running")
        second = cluster.job("second")
        self.assertEqual(second["properties"]["status"], "Queued")
        self.assertIn("waiting for capacity", second["properties"]["statusMessage"])
        cluster.wait_status("second", "Completed", timeout=60)
        self.assertEqual(cluster.job("first")["properties"]["status"], "Completed")

    def test_code_snapshot_and_outputs(self):
        cluster = self.start()
        archive = io.BytesIO()
        with tarfile.open(fileobj=archive, mode="w") as tar:
            script = b"echo from-snapshot\n"
            info = tarfile.TarInfo("hello.sh")
            info.size = len(script)
            tar.addfile(info, io.BytesIO(script))
        blob = cluster.api("POST", "/api/v1/blobs", archive.getvalue(),
                           content_type="application/octet-stream")
        cluster.submit({"name": "snapshot",
                        "command": "sh hello.sh > ${{outputs.result}}/out.txt; cat ${{outputs.result}}/out.txt",
                        "outputs": {"result": {"type": "uri_folder", "mode": "upload"}}},
                       code_snapshot=blob["digest"])
        job = cluster.wait_status("snapshot", ["Completed", "Failed"])
        self.assertEqual(job["properties"]["status"], "Completed", job)
        self.assertIn("from-snapshot", texts(cluster.log_lines("snapshot")))
        artifacts = cluster.api("GET", cluster.workspace_path + "/jobs/snapshot/artifacts")
        self.assertEqual([item["path"] for item in artifacts["items"]], ["result/out.txt"])
        content = cluster.api("GET", cluster.workspace_path + "/jobs/snapshot/artifacts/result/out.txt")
        self.assertEqual(content, b"from-snapshot\n")

    def test_extension_reports_components(self):
        cluster = self.start()
        statuses = {status["component"]: status
                    for status in cluster.extension()["properties"]["statuses"]}
        self.assertEqual(statuses["training"]["state"], "Installed")
        self.assertIn("nvidiaDevicePlugin", statuses)
        self.assertIn("storageMount", statuses)
        self.assertEqual(statuses["logShipping"]["state"], "Skipped")

    def test_rank_variables_of_two_by_two_pytorch_job(self):
        cluster = self.start()
        cluster.submit({
            "name": "ranks",
            "command": "echo rank=$RANK local=$LOCAL_RANK node=$NODE_RANK world=$WORLD_SIZE "
                       "master=$MASTER_ADDR:$MASTER_PORT",
            "resources": {"instance_count": 2},
            "distribution": {"type": "pytorch", "process_count_per_instance": 2},
        })
        job = cluster.wait_status("ranks", ["Completed", "Failed"])
        self.assertEqual(job["properties"]["status"], "Completed", job)
        lines = [t for t in texts(cluster.log_lines("ranks")) if t.startswith("rank=")]
        self.assertEqual(len(lines), 4, lines)
        fields = [dict(part.split("=", 1) for part in line.split()) for line in lines]
        self.assertEqual(sorted(f["rank"] for f in fields), ["0", "1", "2", "3"])
        self.assertEqual({f["world"] for f in fields}, {"4"})
        self.assertEqual(len({f["master"] for f in fields}), 1)
        by_rank = {f["rank"]: f for f in fields}
        self.assertEqual([by_rank[r]["node"] for r in "0123"], ["0", "0", "1", "1"])
        self.assertEqual([by_rank[r]["local"] for r in "0123"], ["0", "1", "0", "1"])


if __name__ == "__main__":
    unittest.main()
