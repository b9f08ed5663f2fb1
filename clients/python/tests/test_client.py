"""Tests of the tracking client against the fake server on loopback."""

import json
import math
import os
import subprocess
import sys
import tempfile
import textwrap
import unittest

from fake_server import FakeTrackingServer

import trainyard_client
from trainyard_client import Client
from trainyard_client.buffer import (
    MAX_ENTRIES_PER_BATCH,
    MAX_METRICS_PER_BATCH,
    MAX_PARAMS_PER_BATCH,
    MAX_TAGS_PER_BATCH,
)

RUN_ID = "0123456789abcdef0123456789abcdef"
FAST_RETRIES = {"retry_initial_delay": 0.01, "retry_max_delay": 0.05}


class ClientTest(unittest.TestCase):
    def setUp(self):
        self.server = FakeTrackingServer()
        self.addCleanup(self.server.stop)

    def make_client(self, **options):
        options = {"flush_interval": 0.05, **FAST_RETRIES, **options}
        client = Client(self.server.url, RUN_ID, "job-token", environ={}, **options)
        self.addCleanup(client.close, 5)
        return client

    def test_batch_contains_logged_entries(self):
        client = self.make_client()
        client.log_metric("loss", 0.5, step=1, timestamp=1000)
        client.log_param("lr", 0.01)
        client.set_tag("phase", "train")

        self.assertTrue(client.flush(10))

        batches = self.server.batches
        self.assertEqual(len(batches), 1)
        self.assertEqual(batches[0]["metrics"],
                         [{"name": "loss", "value": 0.5, "step": 1, "timestamp": 1000}])
        self.assertEqual(batches[0]["params"], [{"name": "lr", "value": "0.01"}])
        self.assertEqual(batches[0]["tags"], [{"name": "phase", "value": "train"}])
        attempt = self.server.batch_attempts()[0]
        self.assertEqual(attempt["path"], f"/api/v1/runs/{RUN_ID}/metrics/batch")
        self.assertEqual(attempt["headers"]["authorization"], "Bearer job-token")

    def test_non_finite_values_sent_as_strings(self):
        client = self.make_client()
        client.log_metrics({"a": math.nan, "b": math.inf, "c": -math.inf}, step=0)
        self.assertTrue(client.flush(10))

        values = {p["name"]: p["value"] for p in self.server.metric_points()}
        self.assertEqual(values, {"a": "NaN", "b": "Infinity", "c": "-Infinity"})
        body = self.server.batch_attempts()[0]["body"].decode()
        self.assertNotIn("NaN,", body.replace('"NaN"', ""))

    def test_batches_stay_within_limits(self):
        client = self.make_client()
        for step in range(2500):
            client.log_metric("loss", step, step=step)
        client.log_params({f"p{i}": i for i in range(150)})
        client.set_tags({f"t{i}": i for i in range(120)})
        self.assertTrue(client.flush(30))

        for batch in self.server.batches:
            self.assertLessEqual(len(batch["metrics"]), MAX_METRICS_PER_BATCH)
            self.assertLessEqual(len(batch["params"]), MAX_PARAMS_PER_BATCH)
            self.assertLessEqual(len(batch["tags"]), MAX_TAGS_PER_BATCH)
            total = len(batch["metrics"]) + len(batch["params"]) + len(batch["tags"])
            self.assertLessEqual(total, MAX_ENTRIES_PER_BATCH)
        steps = [p["step"] for p in self.server.metric_points()]
        self.assertEqual(steps, list(range(2500)))
        self.assertEqual(sum(len(b["params"]) for b in self.server.batches), 150)
        self.assertEqual(sum(len(b["tags"]) for b in self.server.batches), 120)

    def test_failed_requests_are_retried(self):
        self.server.fail_next(4, status=503)
        client = self.make_client()
        for step in range(10):
            client.log_metric("loss", step, step=step)
        self.assertTrue(client.flush(30))

        self.assertEqual([p["step"] for p in self.server.metric_points()], list(range(10)))
        batch_ids = {json.loads(a["body"])["batchId"] for a in self.server.batch_attempts()}
        self.assertEqual(len(batch_ids), len(self.server.batches))

    def test_server_outage_loses_nothing(self):
        self.server.stop()
        client = self.make_client()
        with self.assertLogs("trainyard_client", "WARNING"):
            for step in range(50):
                client.log_metric("loss", step, step=step)
            self.assertFalse(client.flush(0.5))
        self.server.start()
        self.assertTrue(client.flush(30))

        self.assertEqual([p["step"] for p in self.server.metric_points()], list(range(50)))

    def test_full_buffer_drops_oldest_points(self):
        self.server.stop()
        client = self.make_client(flush_interval=60, max_buffered_points=5)
        with self.assertLogs("trainyard_client", "WARNING") as logs:
            for step in range(8):
                client.log_metric("loss", step, step=step)
        self.assertIn("buffer is full", "\n".join(logs.output))
        self.server.start()
        self.assertTrue(client.flush(30))

        self.assertEqual([p["step"] for p in self.server.metric_points()], [3, 4, 5, 6, 7])

    def test_rejected_batch_is_dropped(self):
        self.server.fail_batches_with(400)
        client = self.make_client()
        with self.assertLogs("trainyard_client", "WARNING") as logs:
            client.log_metric("loss", 1.0)
            self.assertTrue(client.flush(10))
        self.assertIn("metrics[0].name is invalid", "\n".join(logs.output))
        self.assertEqual(len(self.server.batch_attempts()), 1)

    def test_close_reports_unsent_entries(self):
        self.server.stop()
        client = self.make_client()
        client.log_metric("loss", 1.0)
        with self.assertLogs("trainyard_client", "WARNING") as logs:
            client.close(0.2)
        self.assertIn("lost 1 entries", "\n".join(logs.output))

    def test_param_change_raises(self):
        client = self.make_client()
        client.log_param("lr", "0.1")
        client.log_param("lr", "0.1")
        with self.assertRaisesRegex(ValueError, "already has value '0.1'"):
            client.log_param("lr", "0.2")

    def test_names_with_slashes_and_spaces(self):
        client = self.make_client()
        client.log_metric("train/loss", 1.0)
        client.log_metric("val loss", 2.0)
        self.assertTrue(client.flush(10))
        names = [p["name"] for p in self.server.metric_points()]
        self.assertEqual(names, ["train/loss", "val loss"])

    def test_invalid_names_raise(self):
        client = self.make_client()
        for name in ["", "/loss", "loss/", "a//b", "a/../b", "./a", "x:y", "é", "n" * 251]:
            with self.subTest(name=name):
                with self.assertRaises(ValueError):
                    client.log_metric(name, 1.0)

    def test_invalid_values_raise(self):
        client = self.make_client()
        with self.assertRaisesRegex(ValueError, "not a number"):
            client.log_metric("loss", "high")
        with self.assertRaisesRegex(ValueError, "int64"):
            client.log_metric("loss", 1.0, step=2**63)
        with self.assertRaisesRegex(ValueError, "int64"):
            client.log_metric("loss", 1.0, step=1.5)

    def test_large_step_sent_exactly(self):
        client = self.make_client()
        client.log_metric("loss", 1.0, step=2**62)
        self.assertTrue(client.flush(10))
        self.assertEqual(self.server.metric_points()[0]["step"], 2**62)

    def test_artifact_upload(self):
        client = self.make_client()
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "model.pt")
            with open(path, "wb") as file:
                file.write(b"weights")
            name = client.log_artifact(path, "model")

        self.assertEqual(name, "model/model.pt")
        self.assertEqual(list(self.server.blobs.values()), [b"weights"])
        record = self.server.artifacts[0]
        self.assertEqual(record["path"], "model/model.pt")
        self.assertEqual(record["size"], 7)
        self.assertTrue(record["digest"].startswith("sha256:"))

    def test_artifact_path_outside_run_raises(self):
        client = self.make_client()
        with tempfile.NamedTemporaryFile() as file:
            with self.assertRaisesRegex(ValueError, "relative folder"):
                client.log_artifact(file.name, "../elsewhere")


class ClientSetupTest(unittest.TestCase):
    def test_mlflow_variables_are_fallbacks(self):
        client = Client(environ={"MLFLOW_TRACKING_URI": "http://127.0.0.1:9/",
                                 "MLFLOW_RUN_ID": RUN_ID}, retry_initial_delay=0.01)
        self.addCleanup(client.close, 0)
        self.assertEqual(client.tracking_uri, "http://127.0.0.1:9")
        self.assertEqual(client.run_id, RUN_ID)

    def test_trainyard_variables_win(self):
        client = Client(environ={"MLFLOW_TRACKING_URI": "http://127.0.0.1:9",
                                 "TRAINYARD_TRACKING_URI": "http://127.0.0.1:10",
                                 "TRAINYARD_RUN_ID": "a" * 32, "MLFLOW_RUN_ID": RUN_ID})
        self.addCleanup(client.close, 0)
        self.assertEqual(client.tracking_uri, "http://127.0.0.1:10")
        self.assertEqual(client.run_id, "a" * 32)

    def test_only_rank_zero_tracks_by_default(self):
        settings = {"TRAINYARD_TRACKING_URI": "http://127.0.0.1:9", "TRAINYARD_RUN_ID": RUN_ID}
        cases = [({}, True), ({"RANK": "0"}, True), ({"RANK": "1"}, False),
                 ({"OMPI_COMM_WORLD_RANK": "2"}, False),
                 ({"RANK": "1", "TRAINYARD_TRACKING_RANKS": "all"}, True),
                 ({"RANK": "2", "TRAINYARD_TRACKING_RANKS": "0, 2"}, True),
                 ({"RANK": "3", "TRAINYARD_TRACKING_RANKS": "0,2"}, False)]
        for extra, enabled in cases:
            with self.subTest(extra=extra):
                client = Client(environ={**settings, **extra}, retry_initial_delay=0.01)
                self.addCleanup(client.close, 0)
                self.assertEqual(client.enabled, enabled)

    def test_without_settings_client_is_off(self):
        with self.assertLogs("trainyard_client", "WARNING") as logs:
            client = Client(environ={})
        self.assertIn("TRAINYARD_TRACKING_URI", logs.output[0])
        self.assertFalse(client.enabled)
        client.log_metric("loss", 1.0)
        self.assertTrue(client.flush(0))
        with self.assertRaises(ValueError):
            client.log_metric("a//b", 1.0)


class ExitFlushTest(unittest.TestCase):
    # Verifies that entries still buffered when the script ends are sent by the atexit hook.
    def test_exit_flushes_buffer(self):
        server = FakeTrackingServer()
        self.addCleanup(server.stop)
        script = textwrap.dedent("""
            import trainyard_client as ty
            for step in range(25):
                ty.log_metric("loss", 1.0 / (step + 1), step=step)
            ty.log_param("epochs", 25)
        """)
        client_root = os.path.dirname(os.path.dirname(os.path.abspath(trainyard_client.__file__)))
        env = dict(os.environ, PYTHONPATH=client_root, TRAINYARD_TRACKING_URI=server.url,
                   TRAINYARD_RUN_ID=RUN_ID, TRAINYARD_TOKEN="t")
        subprocess.run([sys.executable, "-c", script], env=env, check=True, timeout=60)

        self.assertEqual([p["step"] for p in server.metric_points()], list(range(25)))
        self.assertEqual(server.batches[0]["params"], [{"name": "epochs", "value": "25"}])


if __name__ == "__main__":
    unittest.main()
