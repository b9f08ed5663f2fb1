"""`trainyard up` started, stopped and started again on the same data folder.

Each start listens on a new free port, as the quickstart's does, and a job
submitted through the CLI after each start must complete: the agent must
dial the new address, not the one saved by the first start.
"""

import json
import os
import signal
import subprocess
import unittest

from harness import BINARY, Process, TempFolder, child_pids, wait_until


class UpRestartTest(unittest.TestCase):
    def setUp(self):
        self.folder = TempFolder()
        self.data_dir = os.path.join(self.folder.path, "data")
        self.environment = dict(os.environ,
                                TRAINYARD_CONFIG=os.path.join(self.folder.path, "cli.json"),
                                NO_PROXY="127.0.0.1", no_proxy="127.0.0.1")
        self.up = None

    def tearDown(self):
        if self.up:
            self.up.stop()
        self.folder.close(keep=any(error for _, error in self._outcome.errors)
                          if hasattr(self._outcome, "errors") else False)

    def start_up(self, run):
        ready = os.path.join(self.data_dir, "up.json")
        if os.path.exists(ready):
            os.remove(ready)
        self.up = Process([BINARY, "up", "--data-dir", self.data_dir, "--listen", "127.0.0.1:0"],
                          os.path.join(self.folder.path, f"up-{run}.log"), env=self.environment)
        wait_until(lambda: os.path.exists(ready) or not self.up.alive(), timeout=120,
                   what="trainyard up to get ready")
        self.assertTrue(self.up.alive(), self.up.output())
        with open(ready) as ready_file:
            return json.load(ready_file)["url"]

    def stop_up(self):
        self.up.popen.send_signal(signal.SIGINT)
        self.assertEqual(self.up.popen.wait(timeout=30), 0, self.up.output())
        self.up.log.close()
        self.up = None

    def run_job(self, name):
        created = subprocess.run(
            [BINARY, "ml", "job", "create", "--name", name, "--set", "command=echo trained",
             "--file", self.job_file(), "--stream"],
            capture_output=True, text=True, env=self.environment, timeout=120)
        self.assertEqual(created.returncode, 0, created.stdout + created.stderr)
        self.assertIn("trained", created.stdout)

    def job_file(self):
        path = os.path.join(self.folder.path, "job.yml")
        with open(path, "w") as job:
            job.write("type: command\ncommand: echo trained\nenvironment: sh\ncompute: local\n")
        return path

    def test_second_start_on_new_port_runs_jobs(self):
        first_url = self.start_up("first")
        self.run_job("before-restart")
        self.stop_up()

        second_url = self.start_up("second")
        self.assertNotEqual(first_url, second_url)
        self.assertIn("local agent connected", self.up.output())
        self.run_job("after-restart")

    def test_kill9_of_up_stops_server_and_agent(self):
        self.start_up("killed")
        up_pid = self.up.popen.pid
        children = child_pids(up_pid)
        self.assertEqual(len(children), 2, children)

        self.up.kill9()
        self.up = None

        wait_until(lambda: not any(alive(pid) for pid in children), timeout=30,
                   what="the server and the agent to stop after up was killed")
        # The data folder is free again for the next up.
        self.start_up("after-kill")
        self.run_job("after-kill")


def alive(pid):
    """True for a live process; a zombie, which only its parent can reap, is not."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(") ", 1)[1][0] != "Z"
    except FileNotFoundError:
        return False


if __name__ == "__main__":
    unittest.main()
