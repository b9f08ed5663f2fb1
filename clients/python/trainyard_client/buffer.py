"""Validation of logged values and the bounded buffer that batches them."""

import collections
import math
import re
import time
from typing import Any, Dict, List, Optional

# The server's batch limits, which are MLflow's log-batch limits.
MAX_METRICS_PER_BATCH = 1000
MAX_PARAMS_PER_BATCH = 100
MAX_TAGS_PER_BATCH = 100
MAX_ENTRIES_PER_BATCH = 1000

MAX_NAME_LENGTH = 250
MAX_PARAM_VALUE_LENGTH = 6000
MAX_TAG_VALUE_LENGTH = 8000

_NAME_PATTERN = re.compile(r"^[A-Za-z0-9_\-. /]+$")
_INT64_MIN = -(2**63)
_INT64_MAX = 2**63 - 1


def validate_name(kind: str, name: Any) -> str:
    """Return `name` when the server accepts it, else raise ValueError.

    Names are 1 to 250 letters, digits, "_", "-", ".", spaces and "/", and
    must read as a normal relative path: no leading or trailing "/", no "//",
    no "." or ".." segment.
    """
    if not isinstance(name, str):
        raise ValueError(f"{kind} name {name!r} is invalid: use a string")
    if not 1 <= len(name) <= MAX_NAME_LENGTH:
        raise ValueError(
            f"{kind} name {name!r} is invalid: use 1 to {MAX_NAME_LENGTH} characters"
        )
    if not _NAME_PATTERN.match(name):
        raise ValueError(
            f"{kind} name {name!r} is invalid: use only letters, digits, "
            "'_', '-', '.', spaces and '/'"
        )
    segments = name.split("/")
    if any(segment in ("", ".", "..") for segment in segments):
        raise ValueError(
            f"{kind} name {name!r} is invalid: remove the empty, '.' or '..' path segment"
        )
    return name


def encode_value(name: str, value: Any) -> Any:
    """Return the JSON form of a metric value: a float, "NaN", "Infinity" or "-Infinity"."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"metric {name!r} has value {value!r}, which is not a number") from None
    if math.isnan(number):
        return "NaN"
    if math.isinf(number):
        return "Infinity" if number > 0 else "-Infinity"
    return number


def make_point(name: str, value: Any, step: Optional[int], timestamp: Optional[int]) -> Dict:
    """Validate one metric point and return it as the server's JSON object."""
    validate_name("metric", name)
    step = 0 if step is None else step
    if isinstance(step, bool) or not isinstance(step, int) or not _INT64_MIN <= step <= _INT64_MAX:
        raise ValueError(f"metric {name!r} has step {step!r}: use an integer within int64")
    if timestamp is None:
        timestamp = int(time.time() * 1000)
    if isinstance(timestamp, bool) or not isinstance(timestamp, int) or timestamp < 0:
        raise ValueError(
            f"metric {name!r} has timestamp {timestamp!r}: use milliseconds since the epoch"
        )
    return {"name": name, "value": encode_value(name, value), "step": step, "timestamp": timestamp}


def text_value(kind: str, name: str, value: Any, max_length: int) -> str:
    """Return a param or tag value as text, checking its length."""
    text = value if isinstance(value, str) else str(value)
    if len(text) > max_length:
        raise ValueError(
            f"{kind} {name!r} has a value of {len(text)} characters: the limit is {max_length}"
        )
    return text


class Buffer:
    """Entries waiting to be sent. Not thread-safe: the client locks around it.

    Metric points are kept in logging order, at most `max_points` of them.
    A new point that arrives at a full buffer displaces the oldest one.
    Params and tags are kept by name, and a tag logged twice keeps the last
    value. So their number is bounded by the distinct names, and none is
    dropped.
    """

    def __init__(self, max_points: int):
        if max_points < 1:
            raise ValueError(f"max_points is {max_points}: use at least 1")
        self._max_points = max_points
        self._points: collections.deque = collections.deque()
        self._params: Dict[str, str] = {}
        self._tags: Dict[str, str] = {}
        self.dropped_points = 0

    def __len__(self) -> int:
        return len(self._points) + len(self._params) + len(self._tags)

    @property
    def point_count(self) -> int:
        return len(self._points)

    def add_point(self, point: Dict) -> bool:
        """Append a point; return True when the oldest point was dropped for it."""
        dropped = False
        if len(self._points) >= self._max_points:
            self._points.popleft()
            self.dropped_points += 1
            dropped = True
        self._points.append(point)
        return dropped

    def add_param(self, name: str, value: str) -> None:
        self._params[name] = value

    def add_tag(self, name: str, value: str) -> None:
        self._tags[name] = value

    def take_batch(self) -> Optional[Dict[str, List[Dict]]]:
        """Remove and return the next batch within the server's limits, or None when empty."""
        if not self:
            return None
        params = _take_entries(self._params, MAX_PARAMS_PER_BATCH)
        tags = _take_entries(self._tags, MAX_TAGS_PER_BATCH)
        room = min(MAX_METRICS_PER_BATCH, MAX_ENTRIES_PER_BATCH - len(params) - len(tags))
        metrics = [self._points.popleft() for _ in range(min(room, len(self._points)))]
        return {"metrics": metrics, "params": params, "tags": tags}


def _take_entries(entries: Dict[str, str], limit: int) -> List[Dict[str, str]]:
    names = list(entries)[:limit]
    return [{"name": name, "value": entries.pop(name)} for name in names]
