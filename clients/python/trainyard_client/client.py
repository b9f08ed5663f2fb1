"""The tracking client: buffers metrics, params and tags and sends them in batches."""

import atexit
import logging
import os
import random
import threading
import time
import urllib.parse
import uuid
from typing import Any, Dict, Mapping, Optional

from trainyard_client import artifacts
from trainyard_client.buffer import (
    MAX_PARAM_VALUE_LENGTH,
    MAX_TAG_VALUE_LENGTH,
    Buffer,
    make_point,
    text_value,
    validate_name,
)
from trainyard_client.config import settings_from_env, tracks_this_rank
from trainyard_client.transport import Transport, TransportError

logger = logging.getLogger("trainyard_client")

DEFAULT_MAX_BUFFERED_POINTS = 100_000


class Client:
    """Logs to one run of a Trainyard server.

    The logging methods validate their input (ValueError on a bad name or
    value), put it into a buffer and return at once. A background thread
    sends the buffer in batches within the server's limits, at the latest
    `flush_interval` seconds after an entry arrives. A failed batch that may
    succeed later (no connection, HTTP 408, 429 or 5xx) is sent again with
    exponential backoff, under the same batch id so that the server stores it
    once. Other failures drop the batch with a warning. The buffer keeps at
    most `max_buffered_points` metric points; past that the oldest points are
    dropped and a warning is logged. close(), called at interpreter exit
    too, sends what is left for up to `close_timeout` seconds.

    Without a tracking URI and a run id the client stores nothing and warns
    once, so scripts also run outside Trainyard. In a distributed job it
    stores nothing on ranks other than 0 unless TRAINYARD_TRACKING_RANKS
    names them (see config.tracks_this_rank). Thread-safe.
    """

    def __init__(
        self,
        tracking_uri: Optional[str] = None,
        run_id: Optional[str] = None,
        token: Optional[str] = None,
        *,
        environ: Optional[Mapping[str, str]] = None,
        flush_interval: float = 1.0,
        max_buffered_points: int = DEFAULT_MAX_BUFFERED_POINTS,
        retry_initial_delay: float = 0.5,
        retry_max_delay: float = 10.0,
        request_timeout: float = 10.0,
        close_timeout: float = 30.0,
    ):
        settings = settings_from_env(environ)
        self.tracking_uri = (tracking_uri or settings.tracking_uri or "").rstrip("/") or None
        self.run_id = run_id or settings.run_id
        self._flush_interval = flush_interval
        self._retry_initial_delay = retry_initial_delay
        self._retry_max_delay = retry_max_delay
        self._close_timeout = close_timeout

        self._condition = threading.Condition()
        self._buffer = Buffer(max_buffered_points)
        self._logged_params: Dict[str, str] = {}
        # Entries logged, and entries sent, merged into a later entry or dropped.
        self._logged_count = 0
        self._settled_count = 0
        self._flush_target = 0
        # Entries of batches abandoned when close() ran out of time.
        self._abandoned_count = 0
        self._closing = False
        self._closed = False
        self._abort = threading.Event()
        self._thread: Optional[threading.Thread] = None

        self.enabled = bool(self.tracking_uri and self.run_id)
        if self.enabled and not tracks_this_rank(environ):
            self.enabled = False
            logger.info("trainyard tracking is off on this rank: only rank 0 sends metrics, "
                        "params and tags unless TRAINYARD_TRACKING_RANKS lists this rank or "
                        "is 'all'")
            return
        if not self.enabled:
            logger.warning(
                "trainyard tracking is off because TRAINYARD_TRACKING_URI or "
                "TRAINYARD_RUN_ID is not set: metrics, params and tags are not sent"
            )
            return
        self._transport = Transport(self.tracking_uri, token or settings.token, request_timeout)
        self._run_path = "/api/v1/runs/" + urllib.parse.quote(self.run_id, safe="")
        self._thread = threading.Thread(target=self._run, name="trainyard-tracking", daemon=True)
        self._thread.start()
        atexit.register(self.close)

    # Logging.

    def log_metric(self, name: str, value: Any, step: Optional[int] = None,
                   timestamp: Optional[int] = None) -> None:
        """Log one metric point; `timestamp` is in milliseconds and defaults to now."""
        point = make_point(name, value, step, timestamp)
        if not self.enabled:
            return
        with self._condition:
            self._check_open()
            self._logged_count += 1
            if self._buffer.add_point(point):
                self._settled_count += 1
                self._warn_drop()
            self._wake_sender()

    def log_metrics(self, metrics: Mapping[str, Any], step: Optional[int] = None,
                    timestamp: Optional[int] = None) -> None:
        """Log several metrics at the same step and timestamp."""
        if timestamp is None:
            timestamp = int(time.time() * 1000)
        for name, value in metrics.items():
            self.log_metric(name, value, step, timestamp)

    def log_param(self, name: str, value: Any) -> None:
        """Log a param. Raises ValueError when `name` already has another value."""
        validate_name("param", name)
        text = text_value("param", name, value, MAX_PARAM_VALUE_LENGTH)
        with self._condition:
            previous = self._logged_params.get(name)
            if previous is not None and previous != text:
                raise ValueError(
                    f"param {name!r} already has value {previous!r}: params cannot change "
                    "once logged, so log the new value under another name"
                )
            self._logged_params[name] = text
            if previous is not None or not self.enabled:
                return
            self._check_open()
            self._logged_count += 1
            self._buffer.add_param(name, text)
            self._wake_sender()

    def log_params(self, params: Mapping[str, Any]) -> None:
        for name, value in params.items():
            self.log_param(name, value)

    def set_tag(self, name: str, value: Any) -> None:
        """Set a tag; a later value for the same name replaces the earlier one."""
        validate_name("tag", name)
        text = text_value("tag", name, value, MAX_TAG_VALUE_LENGTH)
        if not self.enabled:
            return
        with self._condition:
            self._check_open()
            self._logged_count += 1
            pending_before = len(self._buffer)
            self._buffer.add_tag(name, text)
            if len(self._buffer) == pending_before:
                self._settled_count += 1  # merged into the pending value
            self._wake_sender()

    def set_tags(self, tags: Mapping[str, Any]) -> None:
        for name, value in tags.items():
            self.set_tag(name, value)

    def log_artifact(self, local_path: str, artifact_path: Optional[str] = None) -> str:
        """Upload one file now and return its path among the run's artifacts.

        The file goes under `artifact_path` (a relative folder) with its own
        base name. Retries like a batch for up to `close_timeout` seconds,
        then raises TransportError.
        """
        name = artifacts.artifact_name(local_path, artifact_path)
        if not self.enabled:
            return name
        deadline = time.monotonic() + self._close_timeout
        blob = self._with_retries(lambda: artifacts.upload_blob(self._transport, local_path),
                                  deadline, f"upload of {local_path!r}")
        record = {"path": name, "digest": blob["digest"], "size": blob["size"]}
        self._with_retries(
            lambda: self._transport.post_json(self._run_path + "/artifacts", record),
            deadline, f"record of artifact {name!r}")
        return name

    def log_artifacts(self, local_dir: str, artifact_path: Optional[str] = None) -> None:
        """Upload every file under `local_dir`, keeping the folder layout."""
        for folder, _, files in os.walk(local_dir):
            relative = os.path.relpath(folder, local_dir)
            parts = [p for p in (artifact_path, None if relative == "." else relative) if p]
            for file_name in sorted(files):
                self.log_artifact(os.path.join(folder, file_name), "/".join(parts) or None)

    # Flushing and closing.

    def flush(self, timeout: Optional[float] = None) -> bool:
        """Wait until every entry logged before the call is sent or dropped.

        Returns False when `timeout` seconds pass first.
        """
        if not self.enabled:
            return True
        with self._condition:
            target = self._logged_count
            self._flush_target = max(self._flush_target, target)
            self._condition.notify_all()
            return self._condition.wait_for(lambda: self._settled_count >= target, timeout)

    def close(self, timeout: Optional[float] = None) -> None:
        """Send what is buffered, waiting up to `timeout` (default `close_timeout`) seconds,
        then stop the sender. Entries still unsent are lost with a warning. Safe to call twice.
        """
        if not self.enabled or self._thread is None:
            return
        timeout = self._close_timeout if timeout is None else timeout
        with self._condition:
            if self._closed:
                return
            self._closed = True
            self._closing = True
            self._condition.notify_all()
        self._thread.join(timeout)
        if self._thread.is_alive():
            self._abort.set()
            self._thread.join(self._retry_max_delay + 1)
        with self._condition:
            lost = self._logged_count - self._settled_count + self._abandoned_count
        if lost:
            logger.warning("trainyard tracking lost %d entries for run %s because the server "
                           "could not be reached within %.0f s", lost, self.run_id, timeout)
        if self._buffer.dropped_points:
            logger.warning("trainyard tracking dropped %d metric points for run %s because the "
                           "buffer was full", self._buffer.dropped_points, self.run_id)
        atexit.unregister(self.close)

    # The sender thread and its helpers.

    def _check_open(self) -> None:
        if self._closed:
            raise ValueError(f"the client for run {self.run_id} is closed: create a new one")

    def _wake_sender(self) -> None:
        if len(self._buffer) == 1 or self._buffer.point_count >= 1000:
            self._condition.notify_all()

    def _warn_drop(self) -> None:
        dropped = self._buffer.dropped_points
        if dropped == 1 or dropped % 10_000 == 0:
            logger.warning("trainyard tracking buffer is full (%d points): dropped the oldest "
                           "point, %d so far, because the server is unreachable",
                           self._buffer.point_count, dropped)

    def _next_batch(self):
        """Wait for a batch to send; return None when closing with nothing left."""
        with self._condition:
            self._condition.wait_for(lambda: len(self._buffer) > 0 or self._closing)
            if not self._buffer:
                return None
            deadline = time.monotonic() + self._flush_interval
            while (not self._closing and self._flush_target <= self._settled_count
                   and self._buffer.point_count < 1000):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._condition.wait(remaining)
            return self._buffer.take_batch()

    def _run(self) -> None:
        while not self._abort.is_set():
            batch = self._next_batch()
            if batch is None:
                return
            size = len(batch["metrics"]) + len(batch["params"]) + len(batch["tags"])
            document = dict(batch, batchId=uuid.uuid4().hex)
            try:
                self._with_retries(
                    lambda: self._transport.post_json(self._run_path + "/metrics/batch", document),
                    None, f"batch of {size} entries")
            except TransportError as error:
                if self._abort.is_set():
                    self._abandoned_count += size
                else:
                    logger.warning("trainyard tracking dropped a batch of %d entries for run %s: %s",
                                   size, self.run_id, error)
            with self._condition:
                self._settled_count += size
                self._condition.notify_all()

    def _with_retries(self, send, deadline: Optional[float], what: str):
        """Call `send` until it succeeds, fails for good, the deadline passes or close aborts."""
        delay = self._retry_initial_delay
        failures = 0
        while True:
            try:
                result = send()
                if failures:
                    logger.info("trainyard tracking sent the %s after %d retries", what, failures)
                return result
            except TransportError as error:
                if not error.retryable or self._abort.is_set():
                    raise
                if deadline is not None and time.monotonic() + delay > deadline:
                    raise
                failures += 1
                if failures == 1 or failures % 10 == 0:
                    logger.warning("trainyard tracking retries the %s in %.1f s: %s",
                                   what, delay, error)
            self._abort.wait(delay * random.uniform(0.8, 1.2))
            delay = min(delay * 2, self._retry_max_delay)
