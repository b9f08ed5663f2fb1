"""End-to-end tests of distributed jobs on the local executor.

Each test runs a real server, a real agent and real job processes on
loopback: PyTorch DDP training, an Open MPI allreduce through mpirun and
TF_CONFIG for every TensorFlow task. Others check the gang rules: a failing
rank, a cancel and a timeout stop every rank, and a gang that never fits is
rejected at submit.
"""

import json
import os
import subprocess
import time
import unittest

from harness import (ApiError, BINARY, Cluster, TempFolder, processes_with_marker, wait_until)

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
JOBS = os.path.join(HERE, "jobs")
# Debian's interpreter has torch, sklearn, numpy and mpi4py; the first
# python3 on PATH may not.
PYTHON = "/usr/bin/python3"


def texts(lines):
    return [line["text"] for line in lines]


def two_by_two(kind, command, **extra):
    spec = {"command": command, "resources": {"instance_count": 2},
            "distribution": {"type": kind, "process_count_per_instance": 2}}
    spec.update(extra)
    return spec


def nodes_by_rank(job):
    return {node["rank"]: node for node in job["properties"]["nodes"]}


class DistributedTest(unittest.TestCase):
    def setUp(self):
        self.folder = TempFolder()
        self.cluster = Cluster(self.folder.path)

    def tearDown(self):
        self.cluster.close()
        failed = any(error for _, error in self._outcome.errors) if hasattr(
            self._outcome, "errors") else False
        self.folder.close(keep=failed)

    def cli(self, *args):
        """Runs the real CLI against the test server; returns the completed process."""
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
               "HOME": self.folder.path,
               "TRAINYARD_CONFIG": os.path.join(self.folder.path, "cli-config.json"),
               "TRAINYARD_SERVER": self.cluster.server.url,
               "TRAINYARD_TOKEN": self.cluster.server.token}
        return subprocess.run([BINARY, *args, "-g", Cluster.GROUP, "-w", Cluster.WORKSPACE],
                              capture_output=True, text=True, env=env, timeout=120, cwd=ROOT)

    def test_mpi_allreduce_across_ranks(self):
        self.cluster.submit({"name": "allreduce", **two_by_two(
            "mpi", f"{PYTHON} {JOBS}/mpi_allreduce.py")})
        job = self.cluster.wait_status("allreduce", ["Completed", "Failed"], timeout=120)
        lines = texts(self.cluster.log_lines("allreduce"))
        self.assertEqual(job["properties"]["status"], "Completed", (job, lines))
        results = [dict(part.split("=", 1) for part in line.split()[1:])
                   for line in lines if line.startswith("allreduce ")]
        self.assertEqual(sorted(result["rank"] for result in results), ["0", "1", "2", "3"], lines)
        for result in results:
            self.assertEqual(result["size"], "4")
            self.assertEqual(result["total"], "10")
            self.assertEqual(result["vector"], "6")
            self.assertEqual(result["correct"], "True")

    def test_mpi_rank_failure_fails_the_job(self):
        marker = "mpi-gang-marker-4471"
        command = (f'if [ "$OMPI_COMM_WORLD_RANK" = 1 ]; then echo mpi-rank-1-gives-up; exit 5; '
                   f'fi; sleep 60; : {marker}')
        self.cluster.submit({"name": "mpifail", **two_by_two("mpi", command)})
        job = self.cluster.wait_status("mpifail", ["Completed", "Failed"], timeout=60)
        self.assertEqual(job["properties"]["status"], "Failed")
        self.assertEqual(job["properties"]["exitCode"], 5, job)
        wait_until(lambda: not processes_with_marker(marker), timeout=15,
                   what="the other MPI ranks to exit")

    def test_tf_config_of_every_task(self):
        # 3 workers and 1 parameter server, two tasks on each of 2 instances.
        spec = {"command": f"{PYTHON} {JOBS}/tf_config_check.py",
                "resources": {"instance_count": 2},
                "distribution": {"type": "tensorflow", "worker_count": 3,
                                 "parameter_server_count": 1}}
        self.cluster.submit({"name": "tfconfig", **spec})
        job = self.cluster.wait_status("tfconfig", ["Completed", "Failed"], timeout=60)
        lines = texts(self.cluster.log_lines("tfconfig"))
        self.assertEqual(job["properties"]["status"], "Completed", (job, lines))

        configs = {}
        for line in lines:
            if line.startswith("tf-config "):
                _, rank, text = line.split(" ", 2)
                configs[int(rank)] = json.loads(text)
        self.assertEqual(sorted(configs), [0, 1, 2, 3], lines)
        cluster = configs[0]["cluster"]
        self.assertEqual(sorted(cluster), ["ps", "worker"])
        self.assertEqual(len(cluster["worker"]), 3)
        self.assertEqual(len(cluster["ps"]), 1)
        addresses = cluster["worker"] + cluster["ps"]
        self.assertEqual(len(set(addresses)), 4, addresses)
        for address in addresses:
            self.assertRegex(address, r"^127\.0\.0\.1:\d+$")
        expected_tasks = {0: {"type": "worker", "index": 0}, 1: {"type": "worker", "index": 1},
                          2: {"type": "worker", "index": 2}, 3: {"type": "ps", "index": 0}}
        for rank, config in configs.items():
            self.assertEqual(config, {"cluster": cluster, "task": expected_tasks[rank]}, rank)

    def test_failing_rank_stops_the_others(self):
        marker = "gang-fail-marker-9127"
        command = ('echo started-$RANK; if [ "$RANK" = 2 ]; then echo rank-2-last-words; '
                   f'sleep 0.5; exit 7; fi; sleep 60; : {marker}')
        self.cluster.submit({"name": "gangfail", **two_by_two("pytorch", command)})
        job = self.cluster.wait_status("gangfail", ["Completed", "Failed", "Canceled"], timeout=60)
        properties = job["properties"]
        self.assertEqual(properties["status"], "Failed")
        self.assertEqual(properties["exitCode"], 7)
        error = json.dumps(properties["error"])
        self.assertIn("rank 2 of 4", error)
        self.assertIn("code 7", error)
        self.assertIn("rank-2-last-words", error)
        wait_until(lambda: not processes_with_marker(marker), timeout=15,
                   what="the other ranks to exit")
        nodes = nodes_by_rank(self.cluster.job("gangfail"))
        self.assertEqual(nodes[2]["status"], "Failed")
        self.assertEqual(nodes[2]["exitCode"], 7)
        for rank in (0, 1, 3):
            self.assertEqual(nodes[rank]["status"], "Canceled", nodes[rank])

    def test_cancel_while_ranks_start(self):
        marker = "gang-cancel-marker-5531"
        self.cluster.submit({"name": "gangcancel", **two_by_two(
            "pytorch", f"echo before-sleep-$RANK; sleep 30; : {marker}")})
        wait_until(lambda: any(node["status"] == "Running"
                               for node in self.cluster.job("gangcancel")["properties"]["nodes"]),
                   what="a rank Running")
        time.sleep(1)
        canceled_at = time.monotonic()
        self.cluster.cancel("gangcancel")
        # The agent's grace period is 2 s; allow a few seconds for the relay.
        job = self.cluster.wait_status("gangcancel", ["Canceled", "Failed", "Completed"],
                                       timeout=15)
        self.assertEqual(job["properties"]["status"], "Canceled")
        self.assertLess(time.monotonic() - canceled_at, 15)
        wait_until(lambda: not processes_with_marker(marker), timeout=10,
                   what="every rank's processes to exit")
        kept = [text for text in texts(self.cluster.log_lines("gangcancel"))
                if text.startswith("before-sleep-")]
        self.assertTrue(kept, "the lines written before the cancel are lost")
        self.assertEqual(self.cluster.cancel("gangcancel")["properties"]["status"], "Canceled")

    def test_timeout_ends_a_hanging_rank(self):
        marker = "gang-hang-marker-2203"
        command = f'if [ "$RANK" = 3 ]; then sleep 1000; : {marker}; fi; echo done-$RANK'
        self.cluster.submit({"name": "ganghang", **two_by_two("pytorch", command,
                                                              limits={"timeout": 4})})
        job = self.cluster.wait_status("ganghang", ["Completed", "Failed", "Canceled"],
                                       timeout=60)
        properties = job["properties"]
        self.assertEqual(properties["status"], "Failed")
        self.assertIn("time limit of 4 s", json.dumps(properties["error"]))
        wait_until(lambda: not processes_with_marker(marker), timeout=10,
                   what="the hanging rank to exit")
        nodes = nodes_by_rank(self.cluster.job("ganghang"))
        for rank in (0, 1, 2):
            self.assertEqual(nodes[rank]["status"], "Completed", nodes[rank])
        self.assertNotEqual(nodes[3]["status"], "Completed")

    def test_gang_that_never_fits_is_rejected(self):
        instances = (os.cpu_count() or 1) * 4
        with self.assertRaises(ApiError) as raised:
            self.cluster.submit({"name": "huge", **two_by_two("pytorch", "true",
                                 resources={"instance_count": instances})})
        self.assertEqual(raised.exception.status // 100, 4, raised.exception.body)
        self.assertIn(f"{instances} instances", raised.exception.body)
        self.assertIn("CPUs", raised.exception.body)

    def test_two_gangs_that_do_not_fit_together(self):
        # Each instance of the default instance type requests 1 CPU.
        instances = os.cpu_count() or 1
        spec = two_by_two("pytorch", "sleep 1", resources={"instance_count": instances})
        self.cluster.submit({"name": "gang-a", **spec})
        self.cluster.submit({"name": "gang-b", **spec})
        first = wait_until(lambda: next((name for name in ("gang-a", "gang-b")
                                         if self.cluster.job(name)["properties"]["status"]
                                         in ("Running", "Completed")), None),
                           what="one gang to start")
        other = "gang-b" if first == "gang-a" else "gang-a"
        waiting = self.cluster.job(other)["properties"]
        if waiting["status"] == "Queued":
            self.assertIn("waiting for capacity", waiting["statusMessage"])
        for name in ("gang-a", "gang-b"):
            job = self.cluster.wait_status(name, ["Completed", "Failed", "Canceled"], timeout=90)
            self.assertEqual(job["properties"]["status"], "Completed", job)
        runs = [self.cluster.job(name)["properties"] for name in ("gang-a", "gang-b")]
        # Neither started before the other ended: the gangs never overlapped.
        ordered = sorted(runs, key=lambda properties: properties["startedAt"])
        self.assertLessEqual(ordered[0]["endedAt"], ordered[1]["startedAt"])

    def test_logs_and_show_per_rank(self):
        command = 'echo hello-from-$RANK; if [ "$RANK" = 1 ]; then exit 3; fi'
        self.cluster.submit({"name": "perrank", "command": command,
                             "resources": {"instance_count": 2},
                             "distribution": {"type": "pytorch"}})
        job = self.cluster.wait_status("perrank", ["Completed", "Failed"], timeout=60)
        self.assertEqual(job["properties"]["status"], "Failed")

        rank_one = self.cluster.log_lines("perrank", rank=1)
        self.assertIn("hello-from-1", texts(rank_one))
        self.assertEqual({line["rank"] for line in rank_one}, {1})

        logs = self.cli("ml", "job", "logs", "--name", "perrank", "--rank", "0")
        self.assertEqual(logs.returncode, 0, logs)
        self.assertIn("hello-from-0", logs.stdout)
        self.assertNotIn("hello-from-1", logs.stdout)

        for bad, expected in (("2", "out of range"), ("one", "invalid --rank")):
            rejected = self.cli("ml", "job", "logs", "--name", "perrank", "--rank", bad)
            self.assertNotEqual(rejected.returncode, 0, rejected)
            self.assertIn(expected, rejected.stderr)

        show = self.cli("ml", "job", "show", "--name", "perrank")
        self.assertEqual(show.returncode, 0, show)
        rows = [line.split() for line in show.stdout.splitlines()]
        by_rank = {row[1]: row for row in rows if len(row) >= 3 and row[1] in ("0", "1")
                   and row[2] in ("Completed", "Failed", "Canceled")}
        self.assertEqual(by_rank["0"][2], "Completed", show.stdout)
        self.assertEqual(by_rank["1"][2:4], ["Failed", "3"], show.stdout)

    def test_ddp_example_reaches_single_process_accuracy(self):
        created = self.cli("ml", "job", "create", "--file",
                           os.path.join(ROOT, "examples", "digits-pytorch-ddp", "job.yml"),
                           "--name", "ddp")
        self.assertEqual(created.returncode, 0, created)
        job = self.cluster.wait_status("ddp", ["Completed", "Failed", "Canceled"], timeout=600)
        lines = texts(self.cluster.log_lines("ddp"))
        self.assertEqual(job["properties"]["status"], "Completed", (job, lines[-20:]))
        self.assertEqual(len(job["properties"]["nodes"]), 4)

        final = [line for line in lines if line.startswith("final validation accuracy: ")]
        self.assertEqual(len(final), 1, "only rank 0 reports the accuracy")
        self.assertGreaterEqual(float(final[0].rsplit(" ", 1)[1]), 0.95)
        history = self.cluster.api(
            "GET", self.cluster.workspace_path + "/jobs/ddp/metrics/val/accuracy/history")
        steps = [item["step"] for item in history["items"]]
        self.assertEqual(steps, list(range(20)), "rank 0 logs each epoch once")
        self.assertGreaterEqual(history["items"][-1]["value"], 0.95)
        artifacts = self.cluster.api("GET", self.cluster.workspace_path + "/jobs/ddp/artifacts")
        self.assertIn("model/model.pt", [item["path"] for item in artifacts["items"]])


if __name__ == "__main__":
    unittest.main()
