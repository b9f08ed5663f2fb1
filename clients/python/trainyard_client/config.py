"""Settings that the Trainyard agent passes to a job through its environment."""

import dataclasses
import os
from typing import Mapping, Optional


@dataclasses.dataclass(frozen=True)
class Settings:
    """The server, run and credential that the client logs to.

    tracking_uri: the server's base URL, such as "http://127.0.0.1:8080".
    run_id: the 32-character hex id of the run that receives the data.
    token: the job token sent as "Authorization: Bearer <token>"; None sends
        no Authorization header.
    """

    tracking_uri: Optional[str]
    run_id: Optional[str]
    token: Optional[str]

    @property
    def complete(self) -> bool:
        """True when both the URI and the run id are set."""
        return bool(self.tracking_uri) and bool(self.run_id)


def _first_set(environ: Mapping[str, str], *names: str) -> Optional[str]:
    for name in names:
        value = environ.get(name, "").strip()
        if value:
            return value
    return None


def settings_from_env(environ: Optional[Mapping[str, str]] = None) -> Settings:
    """Read the settings, preferring TRAINYARD_* variables over MLFLOW_* ones.

    TRAINYARD_TRACKING_URI or MLFLOW_TRACKING_URI, TRAINYARD_RUN_ID or
    MLFLOW_RUN_ID, TRAINYARD_TOKEN or MLFLOW_TRACKING_TOKEN. A trailing "/"
    on the URI is removed.
    """
    if environ is None:
        environ = os.environ
    uri = _first_set(environ, "TRAINYARD_TRACKING_URI", "MLFLOW_TRACKING_URI")
    if uri:
        uri = uri.rstrip("/")
    return Settings(
        tracking_uri=uri,
        run_id=_first_set(environ, "TRAINYARD_RUN_ID", "MLFLOW_RUN_ID"),
        token=_first_set(environ, "TRAINYARD_TOKEN", "MLFLOW_TRACKING_TOKEN"),
    )


def tracks_this_rank(environ: Optional[Mapping[str, str]] = None) -> bool:
    """Return whether this process of a distributed job sends tracking data.

    Only rank 0 does, unless TRAINYARD_TRACKING_RANKS lists other ranks
    ("0,2") or is "all". The rank is RANK, which Trainyard sets for
    PyTorch and TensorFlow jobs, or OMPI_COMM_WORLD_RANK under Open MPI. A
    process without either is not part of a distributed job and tracks.
    """
    if environ is None:
        environ = os.environ
    rank = _first_set(environ, "RANK", "OMPI_COMM_WORLD_RANK")
    if rank is None:
        return True
    chosen = _first_set(environ, "TRAINYARD_TRACKING_RANKS") or "0"
    if chosen == "all":
        return True
    return rank in {part.strip() for part in chosen.split(",")}
