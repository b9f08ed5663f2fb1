"""HTTP requests to the Trainyard server, with proxies bypassed for loopback.

urllib honours HTTP_PROXY and HTTPS_PROXY from the environment and skips them
only for hosts listed in NO_PROXY. A job often inherits proxy variables
without a NO_PROXY, and a proxy cannot reach the job host's loopback, so
requests to loopback hosts use an opener with no proxy at all.
"""

import ipaddress
import json
import socket
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Dict, Optional

# Statuses after which the same request may succeed later.
RETRYABLE_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})


class TransportError(Exception):
    """A request that failed.

    status: the HTTP status, or None when no response arrived (connection
        refused or reset, timeout).
    retryable: True when sending the same request again may succeed.
    """

    def __init__(self, message: str, status: Optional[int], retryable: bool):
        super().__init__(message)
        self.status = status
        self.retryable = retryable


def is_loopback_host(host: str) -> bool:
    """Return True for "localhost", "*.localhost", 127.0.0.0/8 and ::1."""
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def opener_for(url: str) -> urllib.request.OpenerDirector:
    """Return an opener that connects directly for loopback URLs.

    Other URLs get urllib's usual proxy handling from the environment.
    """
    host = urllib.parse.urlsplit(url).hostname or ""
    if is_loopback_host(host):
        return urllib.request.build_opener(urllib.request.ProxyHandler({}))
    return urllib.request.build_opener(urllib.request.ProxyHandler())


def _error_message(body: bytes) -> str:
    """Extract the message from either error shape the server returns."""
    try:
        parsed = json.loads(body.decode("utf-8", "replace"))
    except ValueError:
        return body.decode("utf-8", "replace")[:500]
    if isinstance(parsed, dict):
        error = parsed.get("error")
        if isinstance(error, dict) and "message" in error:
            return str(error["message"])
        if "message" in parsed:
            return str(parsed["message"])
    return str(parsed)[:500]


class Transport:
    """Sends requests to one server. Safe to use from several threads."""

    def __init__(self, base_url: str, token: Optional[str], timeout: float = 10.0):
        self._base_url = base_url.rstrip("/")
        self._token = token
        self._timeout = timeout
        self._opener = opener_for(self._base_url)

    @property
    def base_url(self) -> str:
        return self._base_url

    def request(
        self,
        method: str,
        path: str,
        body: Optional[bytes] = None,
        content_type: str = "application/json",
    ) -> Dict[str, Any]:
        """Send one request and return the decoded JSON response body.

        Raises TransportError when no response arrives or the status is not
        2xx. Its `retryable` is True when sending the request again may help.
        """
        headers = {"Accept": "application/json"}
        if body is not None:
            headers["Content-Type"] = content_type
        if self._token:
            headers["Authorization"] = "Bearer " + self._token
        request = urllib.request.Request(
            self._base_url + path, data=body, headers=headers, method=method
        )
        try:
            with self._opener.open(request, timeout=self._timeout) as response:
                payload = response.read()
        except urllib.error.HTTPError as error:
            message = _error_message(error.read())
            raise TransportError(
                f"{method} {path} failed with HTTP {error.code}: {message}",
                error.code,
                error.code in RETRYABLE_STATUSES,
            ) from None
        except (urllib.error.URLError, socket.timeout, ConnectionError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise TransportError(
                f"{method} {self._base_url}{path} failed: {reason}", None, True
            ) from None
        if not payload:
            return {}
        try:
            decoded = json.loads(payload.decode("utf-8"))
        except ValueError:
            return {}
        return decoded if isinstance(decoded, dict) else {}

    def post_json(self, path: str, document: Any) -> Dict[str, Any]:
        """POST `document` as JSON. NaN and infinities must already be strings."""
        body = json.dumps(document, allow_nan=False).encode("utf-8")
        return self.request("POST", path, body)
