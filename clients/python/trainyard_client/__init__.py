"""Trainyard's Python tracking client (standard library only).

Inside a Trainyard job the agent sets TRAINYARD_TRACKING_URI,
TRAINYARD_RUN_ID and TRAINYARD_TOKEN, so the module-level functions work
without set-up:

    import trainyard_client as ty
    ty.log_param("lr", 0.01)
    ty.log_metric("loss", 0.25, step=3)

They use one default Client created on first use. The MLFLOW_TRACKING_URI,
MLFLOW_RUN_ID and MLFLOW_TRACKING_TOKEN variables are read when the
TRAINYARD_* ones are absent.
"""

import threading
from typing import Any, Mapping, Optional

from trainyard_client.client import Client
from trainyard_client.transport import TransportError

__all__ = [
    "Client", "TransportError", "default_client", "log_metric", "log_metrics", "log_param",
    "log_params", "set_tag", "set_tags", "log_artifact", "log_artifacts", "flush", "close",
]

_default_client: Optional[Client] = None
_default_lock = threading.Lock()


def default_client() -> Client:
    """Return the client that the module-level functions use, creating it from the environment."""
    global _default_client
    with _default_lock:
        if _default_client is None:
            _default_client = Client()
        return _default_client


def log_metric(name: str, value: Any, step: Optional[int] = None,
               timestamp: Optional[int] = None) -> None:
    default_client().log_metric(name, value, step, timestamp)


def log_metrics(metrics: Mapping[str, Any], step: Optional[int] = None,
                timestamp: Optional[int] = None) -> None:
    default_client().log_metrics(metrics, step, timestamp)


def log_param(name: str, value: Any) -> None:
    default_client().log_param(name, value)


def log_params(params: Mapping[str, Any]) -> None:
    default_client().log_params(params)


def set_tag(name: str, value: Any) -> None:
    default_client().set_tag(name, value)


def set_tags(tags: Mapping[str, Any]) -> None:
    default_client().set_tags(tags)


def log_artifact(local_path: str, artifact_path: Optional[str] = None) -> str:
    return default_client().log_artifact(local_path, artifact_path)


def log_artifacts(local_dir: str, artifact_path: Optional[str] = None) -> None:
    default_client().log_artifacts(local_dir, artifact_path)


def flush(timeout: Optional[float] = None) -> bool:
    return default_client().flush(timeout)


def close(timeout: Optional[float] = None) -> None:
    default_client().close(timeout)
