"""Artifact upload: the file goes to the server's blob store, then is recorded under the run."""

import os
import posixpath
from typing import Dict, Optional

from trainyard_client.transport import Transport, TransportError


def artifact_name(local_path: str, artifact_path: Optional[str]) -> str:
    """Return the artifact's relative path: `artifact_path`/<base name of local_path>.

    Raises ValueError when the file is missing or `artifact_path` is absolute
    or leaves the run's folder.
    """
    if not os.path.isfile(local_path):
        raise ValueError(f"artifact file {local_path!r} not found: pass the path of a file")
    base = os.path.basename(local_path)
    if not artifact_path:
        return base
    folder = artifact_path.replace(os.sep, "/").strip()
    normalized = posixpath.normpath(folder)
    if folder.startswith("/") or normalized == ".." or normalized.startswith("../"):
        raise ValueError(
            f"artifact_path {artifact_path!r} is invalid: use a relative folder inside the run"
        )
    return base if normalized == "." else normalized + "/" + base


def upload_blob(transport: Transport, local_path: str) -> Dict:
    """POST the file's bytes to /api/v1/blobs and return {"digest", "size"}."""
    with open(local_path, "rb") as file:
        data = file.read()
    response = transport.request("POST", "/api/v1/blobs", data, "application/octet-stream")
    if "digest" not in response:
        raise TransportError(
            f"upload of {local_path!r} returned no digest: the server is not a Trainyard server",
            None, False)
    return {"digest": response["digest"], "size": response.get("size", len(data))}
