"""A lean HTTP/1.1 keep-alive load generator on asyncio streams.

General-purpose clients (httpx, tornado's) spend more CPU per request than Jupyter does to answer
one, and would measure themselves. This one writes the request bytes and reads exactly
Content-Length back, so one process drives the server without being the bottleneck; each run
reports its own CPU use so that can be checked.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

# What one request is: (method, path under the server root, JSON body or None).
Request = tuple[str, str, Any]
RequestFactory = Callable[[int], Request]


class HTTPConnection:
    """One keep-alive connection; `request()` calls must not overlap."""

    def __init__(self, host: str, port: int, headers: dict[str, str]) -> None:
        self.host, self.port = host, port
        self._headers = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def _connect(self) -> None:
        self._reader, self._writer = await asyncio.open_connection(self.host, self.port)

    async def request(
        self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> tuple[int, bytes]:
        if self._writer is None:
            await self._connect()
        assert self._reader is not None and self._writer is not None
        data = b"" if body is None else json.dumps(body).encode()
        extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
        head = (
            f"{method} {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n{self._headers}{extra}"
            f"Content-Length: {len(data)}\r\n\r\n"
        )
        self._writer.write(head.encode() + data)
        status_and_headers = await self._reader.readuntil(b"\r\n\r\n")
        lines = status_and_headers.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        length, chunked, close = 0, False, False
        for line in lines[1:]:
            name, _, value = line.partition(":")
            name = name.lower()
            if name == "content-length":
                length = int(value)
            elif name == "transfer-encoding" and "chunked" in value.lower():
                chunked = True
            elif name == "connection" and value.strip().lower() == "close":
                close = True
        payload = await (self._read_chunked() if chunked else self._reader.readexactly(length))
        if close:
            await self.close()
        return status, payload

    async def _read_chunked(self) -> bytes:
        assert self._reader is not None
        parts = []
        while True:
            size = int((await self._reader.readuntil(b"\r\n")).split(b";")[0], 16)
            chunk = await self._reader.readexactly(size + 2)
            if size == 0:
                return b"".join(parts)
            parts.append(chunk[:-2])

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            try:
                await self._writer.wait_closed()
            except OSError:
                pass
        self._reader = self._writer = None


@dataclass
class RunResult:
    """The outcome of one load run: rates, latency percentiles, errors, client CPU use."""

    requests: int = 0
    errors: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    client_cpu: float = 0.0
    error_samples: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]

    @property
    def p50_ms(self) -> float:
        return self.percentile(50) * 1000

    @property
    def p99_ms(self) -> float:
        return self.percentile(99) * 1000

    @property
    def client_cpu_share(self) -> float:
        """Fraction of one core the load generator itself used during the run."""
        return self.client_cpu / self.seconds if self.seconds else 0.0


async def run_load(
    host: str,
    port: int,
    token: str,
    make_request: RequestFactory,
    *,
    connections: int,
    seconds: float | None = None,
    total: int | None = None,
    expect: tuple[int, ...] = (200, 201, 204),
    warmup: int = 0,
) -> RunResult:
    """Keep `connections` requests in flight until `seconds` pass or `total` requests are done.

    `make_request(i)` builds the i-th request (i counts across all connections), so a run can
    walk through a pool of ids. Bounded: stops at whichever limit comes first.
    """
    assert seconds is not None or total is not None
    headers = {"Authorization": f"token {token}", "Content-Type": "application/json"}
    pool = [HTTPConnection(host, port, headers) for _ in range(connections)]
    for conn in pool:  # open (and warm) every connection before the clock starts
        for _ in range(max(1, warmup)):
            await conn.request("GET", "/api/status")
    result = RunResult()
    counter = 0
    limit = total if total is not None else 10**12
    started = time.perf_counter()
    cpu_started = time.process_time()
    deadline = started + seconds if seconds is not None else float("inf")

    async def worker(conn: HTTPConnection) -> None:
        nonlocal counter
        while counter < limit and time.perf_counter() < deadline:
            index = counter
            counter += 1
            method, path, body = make_request(index)
            sent = time.perf_counter()
            try:
                status, payload = await conn.request(method, path, body)
            except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
                result.errors += 1
                if len(result.error_samples) < 5:
                    result.error_samples.append(f"{method} {path}: {exc!r}")
                await conn.close()
                continue
            result.latencies.append(time.perf_counter() - sent)
            result.requests += 1
            if status not in expect:
                result.errors += 1
                if len(result.error_samples) < 5:
                    result.error_samples.append(f"{method} {path}: {status} {payload[:200]!r}")

    await asyncio.gather(*(worker(conn) for conn in pool))
    result.seconds = time.perf_counter() - started
    result.client_cpu = time.process_time() - cpu_started
    for conn in pool:
        await conn.close()
    return result
