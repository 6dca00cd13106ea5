"""HTTP to Maestro's REST API: one kept-alive http.client connection per thread, retries with
backoff, an Idempotency-Key on every POST, and the server's error JSON raised as the errors of
`maestro_jupyter.errors`.

The standard library's http.client rather than urllib3: a CLI run pays less than half of urllib3's
import time for it (docs/cli.md, "Start-up time").
"""

from __future__ import annotations

import email.utils
import http.client
import json
import random
import socket
import threading
import time
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

from .._version import __version__
from ..errors import (
    ConnectionFailed,
    MaestroError,
    NotFound,
    ServerError,
    Unauthorized,
    error_for,
)
from .config import DEFAULT_RETRIES, DEFAULT_RETRY_DELAY, DEFAULT_TIMEOUT, InvalidSetting
from .discovery import ServerInfo

# Answers worth sending again: a proxy's (502, 504, and 503 that is not Maestro's own JSON), and
# Maestro's "wait a moment" ones. Maestro's other 503s (store_unavailable...) do not pass by
# themselves, so they are reported at once.
RETRIED_STATUSES = frozenset({502, 503, 504})
RETRIED_CODES = frozenset({"store_busy", "request_in_progress"})
# Failures after which sending again is safe: the request did not reach the server, or its answer
# was lost. Every POST carries an Idempotency-Key and a PATCH sets named fields only, so a request
# sent twice does its work once.
TRANSIENT_ERRORS = (OSError, http.client.HTTPException)
MAX_RETRY_DELAY = 30.0
CONNECT_TIMEOUT = 10.0


def retry_delays(retries: int, base: float) -> Iterator[float]:
    """The wait before each retry: exponential (base, 2 base, 4 base, ...) up to 30 s, with jitter
    (each wait drawn between half and all of it) so that many agents do not retry in step."""
    for attempt in range(retries):
        delay = min(MAX_RETRY_DELAY, base * 2**attempt)
        yield delay / 2 + random.uniform(0, delay / 2)


def retry_after_seconds(value: str | None) -> float | None:
    """A `Retry-After` header (seconds, or an HTTP date) as seconds from now; None if absent or
    unreadable."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def honoured_wait(backoff: float, retry_after: float | None) -> float:
    """The server's Retry-After when it gave one (with a little jitter above it, so that many
    clients do not come back in step), else the backoff; never more than MAX_RETRY_DELAY."""
    if retry_after is None:
        return backoff
    return min(MAX_RETRY_DELAY, retry_after * random.uniform(1.0, 1.25))


@dataclass
class Transport:
    """Requests to `{server.url}maestro/api/`, answered as decoded JSON.

    Connection errors, proxies' 502/503/504 and Maestro's `store_busy` / `request_in_progress`
    are retried `retries` times, after `retry_delays` or the server's `Retry-After`. One
    connection per thread, so a client may be shared by threads.
    """

    server: ServerInfo
    retries: int = DEFAULT_RETRIES
    retry_delay: float = DEFAULT_RETRY_DELAY
    timeout: float = DEFAULT_TIMEOUT
    _local: threading.local = field(default_factory=threading.local, init=False, repr=False)

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        """Send one request (retried as configured) and answer the decoded JSON, None for 204."""
        url = self.server.api_url + path.lstrip("/")
        query = _query(params)
        if query:
            url += "?" + query
        all_headers = {"Accept": "application/json", "User-Agent": f"maestro/{__version__}"}
        if self.server.token:
            all_headers["Authorization"] = f"token {self.server.token}"
        data = None
        if body is not None:
            data = json.dumps(body).encode("utf-8")
            all_headers["Content-Type"] = "application/json"
        if method == "POST":
            all_headers["Idempotency-Key"] = str(uuid.uuid4())
        all_headers.update(headers or {})
        target = urlsplit(url)._replace(scheme="", netloc="").geturl()
        delays = retry_delays(self.retries, self.retry_delay)
        while True:
            try:
                status, reply_headers, reply = self._send(method, target, data, all_headers)
            except TRANSIENT_ERRORS as error:
                self.close()
                wait = next(delays, None)
                if wait is None:
                    after = f" after {self.retries} retries" if self.retries else ""
                    raise ConnectionFailed(
                        f"cannot reach Maestro at {self.server.url} ({reason(error)}){after}",
                        {"url": url},
                    ) from None
            else:
                payload = decode_json(reply)
                if 200 <= status < 300:
                    return self._success(status, payload, reply, method, url)
                error = self.answer_error(status, reply_headers, payload, method, url)
                backoff = next(delays, None) if transient(status, payload) else None
                if backoff is None:
                    raise error
                wait = honoured_wait(backoff, error.retry_after)
            time.sleep(wait)

    def get(self, path: str, **params: Any) -> Any:
        return self.request("GET", path, params=params)

    def post(self, path: str, body: Any = None, **params: Any) -> Any:
        return self.request("POST", path, body={} if body is None else body, params=params)

    def patch(self, path: str, body: Mapping[str, Any], *, version: int | None = None) -> Any:
        headers = {"If-Match": str(version)} if version is not None else None
        return self.request("PATCH", path, body=dict(body), headers=headers)

    def delete(self, path: str, **params: Any) -> Any:
        return self.request("DELETE", path, params=params)

    def open_socket(self) -> socket.socket:
        """A new socket connected to the server (TLS for https), with the client's timeouts:
        the events WebSocket speaks over it."""
        connection = self._connect()
        sock, connection.sock = connection.sock, None
        return sock

    def close(self) -> None:
        """Close this thread's kept-alive connection (a later request opens another)."""
        connection = getattr(self._local, "connection", None)
        if connection is not None:
            connection.close()
            self._local.connection = None

    # -- the wire --

    def _send(
        self, method: str, target: str, body: bytes | None, headers: Mapping[str, str]
    ) -> tuple[int, http.client.HTTPMessage, bytes]:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = self._local.connection = self._connect()
        connection.request(method, target, body=body, headers=dict(headers))
        response = connection.getresponse()
        reply = response.read()
        if response.will_close:
            self.close()
        return response.status, response.headers, reply

    def _connect(self) -> http.client.HTTPConnection:
        parts = urlsplit(self.server.url)
        try:
            port = parts.port
        except ValueError:  # e.g. a port that is not a number
            port = None
            valid = False
        else:
            valid = parts.scheme in ("http", "https") and bool(parts.hostname)
        if not valid:
            raise InvalidSetting(f"{self.server.url} is not a valid server URL")
        kind = (
            http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
        )
        connection = kind(parts.hostname, port, timeout=min(self.timeout, CONNECT_TIMEOUT))
        connection.connect()
        if connection.sock is not None:
            connection.sock.settimeout(self.timeout)
        return connection

    # -- answers --

    def _success(self, status: int, payload: Any, reply: bytes, method: str, url: str) -> Any:
        if status != 204 and payload is None and reply:
            raise ServerError(
                f"{method} {url} answered {status} with a body that is not JSON",
                status=status,
                code="invalid_response",
            )
        return payload

    def answer_error(
        self,
        status: int,
        headers: http.client.HTTPMessage,
        payload: Any,
        method: str,
        url: str,
    ) -> MaestroError:
        """The error for an answer that is not a success: Maestro's own JSON error as its class,
        else what the status says about the server behind the URL."""
        retry_after = retry_after_seconds(headers.get("Retry-After"))
        refused = f"{self.server.url} refused the token (HTTP {status})"
        if _is_maestro_error(payload):
            code = payload["error"]
            message = str(payload.get("message") or code)
            if status in (401, 403) and message == http.client.responses[status]:
                message = refused  # Jupyter's own refusal of a token, which names nothing
            details = payload.get("details") if isinstance(payload.get("details"), dict) else {}
            return error_for(status, code, message, details, retry_after)
        if 300 <= status < 400:
            location = headers.get("Location", "?")
            return MaestroError(
                f"{self.server.url} redirected to {location} instead of answering: is it a "
                "Jupyter server with Maestro, and is the token right?",
                status=status,
                code="unexpected_redirect",
            )
        if status in (401, 403):
            return Unauthorized(refused, status=status)
        if status == 404:
            return NotFound(
                f"no Maestro API at {self.server.api_url}: is the maestro_jupyter server "
                "extension enabled on that server?"
            )
        message = f"{method} {url} failed with HTTP {status}"
        if isinstance(payload, dict) and payload.get("message"):
            message += f": {payload['message']}"
        if status >= 500:
            return ServerError(message, status=status, code="server_error", retry_after=retry_after)
        return MaestroError(message, status=status, code="http_error")


def decode_json(reply: bytes) -> Any:
    if not reply:
        return None
    try:
        return json.loads(reply)
    except ValueError:
        return None


def _is_maestro_error(payload: Any) -> bool:
    return isinstance(payload, dict) and isinstance(payload.get("error"), str)


def transient(status: int, payload: Any) -> bool:
    """Whether an answer that is not a success is worth sending the request again for."""
    if _is_maestro_error(payload):
        return payload["error"] in RETRIED_CODES
    return status in RETRIED_STATUSES


def _query(params: Mapping[str, Any] | None) -> str:
    if not params:
        return ""
    pairs = [(key, value) for key, value in params.items() if value is not None]
    return urlencode(pairs)


def reason(error: BaseException) -> str:
    """A connection failure in a few words ("connection refused", "timed out")."""
    if isinstance(error, ConnectionRefusedError):
        return "connection refused"
    if isinstance(error, TimeoutError):
        return "timed out"
    if isinstance(error, socket.gaierror):
        return "unknown host"
    if isinstance(error, http.client.RemoteDisconnected):
        return "the server closed the connection"
    return str(error) or type(error).__name__
