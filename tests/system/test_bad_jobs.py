"""End-to-end tests of jobs that misbehave, with a real server, agent and
processes: each must end in a clear status, leave no process behind, and
leave the agent serving the next job.
"""

import os
import subprocess
import time
import unittest

from harness import Cluster, TempFolder, processes_with_marker, wait_until

REPLACEMENT = "\ufffd"


def texts(lines):
    return [line["text"] for line in lines]


class BadJobTest(unittest.TestCase):
    """Jobs that fail or misbehave on one shared cluster, so each test also
    checks that the jobs before it left the agent serving."""

    @classmethod
    def setUpClass(cls):
        cls.folder = TempFolder()
        try:
            cls.cluster = Cluster(cls.folder.path)
        except Exception:
            cls.folder.close(keep=True)
            raise

    @classmethod
    def tearDownClass(cls):
        cls.cluster.close()
        cls.folder.close()

    def finish(self, name, timeout=60):
        return self.cluster.wait_status(name, ["Completed", "Failed", "Canceled"],
                                        timeout=timeout)["properties"]

    def assert_agent_serves(self, name):
        self.cluster.submit({"name": name, "command": f"echo serving-{name}"})
        job = self.finish(name)
        self.assertEqual(job["status"], "Completed", job)
        self.assertIn(f"serving-{name}", texts(self.cluster.log_lines(name)))

    def assert_nothing_left(self, marker):
        wait_until(lambda: not processes_with_marker(marker), timeout=15,
                   what=f"processes with '{marker}' to exit")

    def test_missing_command_fails_with_127(self):
        self.cluster.submit({"name": "missing", "command": "no-such-program-4417 --epochs 3"})
        job = self.finish("missing")
        self.assertEqual(job["status"], "Failed", job)
        self.assertEqual(job["exitCode"], 127, job)
        self.assertIn("command not found: 'no-such-program-4417'", job["error"])
        self.assert_agent_serves("after-missing")

    def test_invalid_utf8_output_is_replaced(self):
        self.cluster.submit({"name": "binary",
                             "command": r"printf 'bad-\377\376-end\n'; printf 'ok\n'; "
                                        r"printf 'cut-\342\202'"})
        job = self.finish("binary")
        self.assertEqual(job["status"], "Completed", job)
        lines = texts(self.cluster.log_lines("binary"))
        self.assertIn(f"bad-{REPLACEMENT}{REPLACEMENT}-end", lines)
        self.assertIn("ok", lines)
        # The last line has no newline and ends inside a UTF-8 sequence.
        self.assertIn(f"cut-{REPLACEMENT}{REPLACEMENT}", lines)
        self.assert_agent_serves("after-binary")

    def test_children_left_behind_are_stopped(self):
        marker = "forked-marker-5521"
        # One child stays in the job's process group, one leaves it with
        # setsid; the job itself exits at once.
        self.cluster.submit({"name": "forker",
                             "command": f"sleep 1000 && : {marker}-a & "
                                        f"setsid sh -c 'sleep 1000; : {marker}-b' & "
                                        "echo parent-done"})
        job = self.finish("forker")
        self.assertEqual(job["status"], "Completed", job)
        self.assertIn("parent-done", texts(self.cluster.log_lines("forker")))
        self.assert_nothing_left(marker)
        self.assert_agent_serves("after-forker")

    def test_ignored_sigterm_ends_with_sigkill_on_cancel(self):
        marker = "stubborn-marker-3307"
        # An ignored signal stays ignored across exec, so `sleep` ignores
        # SIGTERM too.
        self.cluster.submit({"name": "stubborn",
                             "command": f"trap '' TERM; echo ready; sleep 1000; : {marker}"})
        self.cluster.wait_status("stubborn", "Running")
        wait_until(lambda: processes_with_marker(marker), what="job process")
        self.cluster.cancel("stubborn")
        job = self.finish("stubborn")
        self.assertEqual(job["status"], "Canceled", job)
        self.assert_nothing_left(marker)
        self.assert_agent_serves("after-stubborn")

    def test_ignored_sigterm_ends_with_sigkill_on_timeout(self):
        marker = "overtime-marker-8012"
        self.cluster.submit({"name": "overtime",
                             "command": f"trap '' TERM; sleep 1000; : {marker}",
                             "limits": {"timeout": 1}})
        job = self.finish("overtime")
        self.assertEqual(job["status"], "Failed", job)
        self.assertIn("time limit of 1 s", job["error"])
        self.assert_nothing_left(marker)
        self.assert_agent_serves("after-overtime")


class FullDiskTest(unittest.TestCase):
    """A job that fills its working folder's disk, which here is also the
    disk of the agent's outbox and job journal: a small tmpfs mounted as the
    agent's state folder."""

    DISK_MIB = 24

    def setUp(self):
        if os.geteuid() != 0:
            self.skipTest("mounting a small filesystem for the agent needs root; CI runs the "
                          "tests as root")
        self.folder = TempFolder()
        self.state_dir = os.path.join(self.folder.path, "agent")
        os.makedirs(self.state_dir)
        mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={self.DISK_MIB}m",
                                  "trainyard-test", self.state_dir],
                                 capture_output=True, text=True)
        if mounted.returncode != 0:
            self.folder.close()
            self.skipTest(f"cannot mount a tmpfs as root here: {mounted.stderr.strip()}")
        self.cluster = None

    def tearDown(self):
        if self.cluster:
            self.cluster.close()
        subprocess.run(["umount", "--lazy", self.state_dir], check=False)
        self.folder.close()

    def test_full_disk_fails_the_job_and_agent_recovers(self):
        self.cluster = cluster = Cluster(self.folder.path)
        agent_pid = cluster.agent.process.popen.pid
        marker = "filler-marker-6120"
        cluster.submit({"name": "filler",
                        "command": f"echo before-fill; head -c {2 * self.DISK_MIB}M /dev/zero "
                                   f"> fill; status=$?; echo after-fill; exit $status; : {marker}"})
        job = cluster.wait_status("filler", ["Completed", "Failed", "Canceled"],
                                  timeout=60)["properties"]
        self.assertEqual(job["status"], "Failed", job)
        self.assertEqual(job["exitCode"], 1, job)
        # The output written after the disk filled is lost, and the error
        # reports the loss.
        self.assertIn("some output was not stored: No space left on device", job["error"])
        self.assertIn("before-fill", texts(cluster.log_lines("filler")))
        self.assert_nothing_left(marker)

        # Once the server has the job's final status, the agent removes the
        # job's folder, and with it the file that filled the disk.
        jobs_dir = os.path.join(self.state_dir, "jobs")
        wait_until(lambda: not any("fill" in files for _, _, files in os.walk(jobs_dir)),
                   timeout=30, what="the filler job's folder to be removed")

        # With the disk full again, the next job fails with the reason
        # instead of hanging.
        fill = os.path.join(self.state_dir, "fill")
        with open(fill, "wb", buffering=0) as out:
            try:
                while True:
                    out.write(b"\0" * (1 << 20))
            except OSError:
                pass
        cluster.submit({"name": "no-room", "command": "echo never"})
        job = cluster.wait_status("no-room", ["Completed", "Failed", "Canceled"],
                                  timeout=60)["properties"]
        self.assertEqual(job["status"], "Failed", job)
        self.assertIn("No space left on device", job["error"])

        # Once the space is free again, the same agent process runs jobs.
        os.remove(fill)
        cluster.submit({"name": "after-fill", "command": "echo room-again"})
        job = cluster.wait_status("after-fill", ["Completed", "Failed", "Canceled"],
                                  timeout=60)["properties"]
        self.assertEqual(job["status"], "Completed", job)
        self.assertIn("room-again", texts(cluster.log_lines("after-fill")))
        self.assertTrue(cluster.agent.process.alive())
        self.assertEqual(cluster.agent.process.popen.pid, agent_pid)

    def assert_nothing_left(self, marker):
        wait_until(lambda: not processes_with_marker(marker), timeout=15,
                   what=f"processes with '{marker}' to exit")


if __name__ == "__main__":
    unittest.main()
