"""A proxy in front of a real server that fails on purpose, to test the clients' retries."""

from __future__ import annotations

import http.client
import http.server
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Seen:
    """One request the proxy answered: what was asked, with which key, what it got, and when."""

    method: str
    path: str
    key: str | None
    status: int
    at: float


@dataclass
class FailingProxy:
    """Forwards to `target`; the first `failures` POSTs are answered `status` with `body`.

    With `reach_server` (the default) a failed POST is forwarded first: the server has done the
    work when the client is told it failed, so only the Idempotency-Key of the retry keeps it from
    being done twice. Without it the server never sees the failed POSTs (a 503 `store_busy`).
    """

    target: str
    failures: int = 2
    status: int = 502
    body: bytes = b"<html>Bad Gateway</html>"
    headers: tuple[tuple[str, str], ...] = (("Content-Type", "text/html"),)
    reach_server: bool = True
    seen: list[Seen] = field(default_factory=list)
    url: str = ""

    def __post_init__(self) -> None:
        proxy = self
        target = http.client.urlsplit(self.target)

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _forward(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                fail = self.command == "POST" and proxy.failures > 0
                if fail:
                    proxy.failures -= 1
                if fail and not proxy.reach_server:
                    status, data, headers = proxy.status, proxy.body, list(proxy.headers)
                else:
                    status, data, headers = self._upstream(body)
                    if fail:
                        status, data, headers = proxy.status, proxy.body, list(proxy.headers)
                key = self.headers.get("Idempotency-Key")
                proxy.seen.append(Seen(self.command, self.path, key, status, time.monotonic()))
                self.send_response(status)
                for name, value in headers:
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _upstream(self, body: bytes | None) -> tuple[int, bytes, list[tuple[str, str]]]:
                upstream = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
                headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
                upstream.request(self.command, self.path, body=body, headers=headers)
                answer = upstream.getresponse()
                data = answer.read()
                kept = [
                    (k, v)
                    for k, v in answer.getheaders()
                    if k.lower() not in ("transfer-encoding", "connection", "content-length")
                ]
                upstream.close()
                return answer.status, data, kept

            do_GET = do_POST = do_PATCH = do_DELETE = _forward

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        path = target.path or "/"
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}{path}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def posts(self) -> list[Seen]:
        return [seen for seen in self.seen if seen.method == "POST"]

    def __enter__(self) -> FailingProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._server.shutdown()
        self._server.server_close()


def maestro_error_proxy(
    target: str,
    *,
    failures: int,
    status: int,
    code: str,
    message: str,
    retry_after: int | None = None,
) -> FailingProxy:
    """A proxy that answers the first `failures` POSTs with Maestro's JSON error `code` (and a
    Retry-After), as the server does when its store is busy, without passing them on."""
    body = {"error": code, "message": message, "details": {}}
    headers = [("Content-Type", "application/json")]
    if retry_after is not None:
        headers.append(("Retry-After", str(retry_after)))
    return FailingProxy(
        target,
        failures=failures,
        status=status,
        body=json.dumps(body).encode(),
        headers=tuple(headers),
        reach_server=False,
    )
