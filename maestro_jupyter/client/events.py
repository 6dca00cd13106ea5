"""The events WebSocket for programs that block while they wait: `maestro session wait`,
`maestro task log --follow`, and the notebook's `sessions.wait`.

RFC 6455 client framing over the transport's own socket (same URL, TLS, token and timeouts as
the REST calls), standard library only, so the CLI pays no new import to wait. Nothing imports
this module until a command waits. The notebook widgets follow the same socket on the kernel's
asyncio loop instead (`maestro_jupyter.event_stream`).
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import io
import os
import struct
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from .._version import __version__
from ..errors import ConnectionFailed
from .transport import decode_json, reason, retry_delays, transient

if TYPE_CHECKING:
    from .transport import Transport

Event = dict[str, Any]

_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
_CONTINUATION, _TEXT, _BINARY, _CLOSE, _PING, _PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA
_MAX_HEADER_BYTES = 64 * 1024
_MAX_MESSAGE_BYTES = 64 * 1024 * 1024
# With nothing heard for this long, ping; with nothing heard for twice as long, the connection
# is taken for dead (a server gone without closing it) and opened again.
IDLE_SECONDS = 20.0


class Dropped(Exception):
    """The connection ended or cannot be used; following opens another."""


class EventSocket:
    """One connection to `{server}maestro/api/events?since=<seq>`."""

    def __init__(self, transport: Transport, since: int) -> None:
        self._url = f"{transport.server.api_url}events?since={since}"
        self._sock = transport.open_socket()
        self._buffer = bytearray()
        self._parts: list[bytes] = []
        self._opcode = _TEXT
        self.last_heard = time.monotonic()
        try:
            self._handshake(transport)
        except BaseException:
            self.close()
            raise

    def _handshake(self, transport: Transport) -> None:
        key = base64.b64encode(os.urandom(16)).decode()
        parts = urlsplit(self._url)
        lines = [
            f"GET {parts.path}?{parts.query} HTTP/1.1",
            f"Host: {parts.netloc}",
            "Upgrade: websocket",
            "Connection: Upgrade",
            f"Sec-WebSocket-Key: {key}",
            "Sec-WebSocket-Version: 13",
            f"User-Agent: maestro/{__version__}",
        ]
        if transport.server.token:
            lines.append(f"Authorization: token {transport.server.token}")
        self._sock.settimeout(transport.timeout)
        self._sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        head = self._read_head()
        status_line, _, header_text = head.partition(b"\r\n")
        try:
            status = int(status_line.split()[1])
        except (IndexError, ValueError):
            raise Dropped(f"not an HTTP answer: {status_line[:80]!r}") from None
        headers = http.client.parse_headers(io.BytesIO(header_text + b"\r\n"))
        if status == 101:
            expected = base64.b64encode(hashlib.sha1((key + _GUID).encode()).digest()).decode()
            if headers.get("Sec-WebSocket-Accept", "").strip() != expected:
                raise Dropped("the server did not accept the WebSocket handshake")
            return
        payload = decode_json(self._read_body(headers))
        if transient(status, payload):
            raise Dropped(f"the events socket answered HTTP {status}")
        raise transport.answer_error(status, headers, payload, "GET", self._url)

    def _read_head(self) -> bytes:
        while b"\r\n\r\n" not in self._buffer:
            if len(self._buffer) > _MAX_HEADER_BYTES:
                raise Dropped("the answer's headers are too long")
            self._receive_chunk()
        head, _, rest = bytes(self._buffer).partition(b"\r\n\r\n")
        self._buffer = bytearray(rest)  # the first frames may have come with the headers
        return head

    def _read_body(self, headers: http.client.HTTPMessage) -> bytes:
        try:
            length = int(headers.get("Content-Length", ""))
        except ValueError:
            length = _MAX_HEADER_BYTES
        try:
            while len(self._buffer) < min(length, _MAX_HEADER_BYTES):
                self._receive_chunk()
        except Dropped:
            pass  # the body ended with the connection
        return bytes(self._buffer[:length])

    def _receive_chunk(self) -> None:
        chunk = self._sock.recv(65536)
        if not chunk:
            raise Dropped("the server closed the connection")
        self._buffer += chunk

    def receive(self, timeout: float) -> Event | None:
        """The next JSON message, or None when `timeout` seconds pass without one. Raises
        `Dropped` (or OSError) when the connection ends."""
        deadline = time.monotonic() + timeout
        while True:
            frame = self._next_frame()
            if frame is None:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                self._sock.settimeout(remaining)
                try:
                    self._receive_chunk()
                except TimeoutError:
                    return None
                continue
            self.last_heard = time.monotonic()
            message = self._message(*frame)
            if message is not None:
                return message

    def _message(self, final: bool, opcode: int, payload: bytes) -> Event | None:
        if opcode == _PING:
            self._send(_PONG, payload)
            return None
        if opcode == _PONG:
            return None
        if opcode == _CLOSE:
            self._send(_CLOSE, payload[:2])
            raise Dropped("the server closed the events socket")
        if opcode != _CONTINUATION:
            self._opcode, self._parts = opcode, []
        self._parts.append(payload)
        if not final:
            if sum(map(len, self._parts)) > _MAX_MESSAGE_BYTES:
                raise Dropped("a message larger than 64 MiB")
            return None
        data, self._parts = b"".join(self._parts), []
        if self._opcode != _TEXT:
            return None
        message = decode_json(data)
        return message if isinstance(message, dict) else None

    def _next_frame(self) -> tuple[bool, int, bytes] | None:
        """A whole frame taken off the buffer, or None while it is still arriving."""
        buffer = self._buffer
        if len(buffer) < 2:
            return None
        first, length, offset = buffer[0], buffer[1] & 0x7F, 2
        if length == 126:
            if len(buffer) < 4:
                return None
            (length,), offset = struct.unpack_from("!H", buffer, 2), 4
        elif length == 127:
            if len(buffer) < 10:
                return None
            (length,), offset = struct.unpack_from("!Q", buffer, 2), 10
        if length > _MAX_MESSAGE_BYTES:
            raise Dropped("a frame larger than 64 MiB")
        mask = b""
        if buffer[1] & 0x80:  # servers do not mask, but a masked frame is still readable
            mask, offset = bytes(buffer[offset : offset + 4]), offset + 4
        if len(buffer) < offset + length:
            return None
        payload = bytes(buffer[offset : offset + length])
        del buffer[: offset + length]
        if mask:
            payload = _masked(payload, mask)
        return bool(first & 0x80), first & 0x0F, payload

    def ping(self) -> None:
        self._send(_PING, b"")

    def _send(self, opcode: int, payload: bytes) -> None:
        """One frame; a client masks what it sends (RFC 6455, 5.3)."""
        length = len(payload)
        if length < 126:
            header = struct.pack("!BB", 0x80 | opcode, 0x80 | length)
        elif length < 1 << 16:
            header = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, length)
        else:
            header = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, length)
        mask = os.urandom(4)
        self._sock.sendall(header + mask + _masked(payload, mask))

    def close(self) -> None:
        try:
            self._sock.close()
        except OSError:
            pass


def _masked(payload: bytes, mask: bytes) -> bytes:
    repeated = (mask * (len(payload) // 4 + 1))[: len(payload)]
    return (int.from_bytes(payload, "big") ^ int.from_bytes(repeated, "big")).to_bytes(
        len(payload), "big"
    )


def follow(
    transport: Transport, since: int = 0, *, timeout: float | None = None
) -> Iterator[Event]:
    """Every event after `since`, once and in order, for `timeout` seconds (None: until the
    caller stops iterating).

    After a drop it connects again with `?since=<last seq seen>`, so nothing is missed or
    repeated. `{"type": "resync", "lastSeq": N}` is passed on when the server cannot replay from
    where the caller was (the database was replaced, or those events are no longer kept): the
    caller reloads its state, and the events the server still keeps follow. Connecting fails
    after the transport's retries (ConnectionFailed), or at once when the server refuses (a bad
    token, no Maestro).
    """
    deadline = None if timeout is None else time.monotonic() + timeout
    seq = since
    connection: EventSocket | None = None
    delays = retry_delays(transport.retries, transport.retry_delay)
    try:
        while True:
            remaining = IDLE_SECONDS if deadline is None else deadline - time.monotonic()
            if remaining <= 0:
                return
            if connection is None:
                try:
                    connection = EventSocket(transport, seq)
                except (OSError, Dropped) as error:
                    wait = next(delays, None)
                    if wait is None:
                        raise ConnectionFailed(
                            f"cannot follow Maestro's events at {transport.server.url} "
                            f"({_why(error)}) after {transport.retries} retries",
                            {"url": transport.server.api_url + "events"},
                        ) from None
                    time.sleep(min(wait, remaining))
                    continue
                delays = retry_delays(transport.retries, transport.retry_delay)
            try:
                message = connection.receive(min(remaining, IDLE_SECONDS))
                if message is None:
                    if time.monotonic() - connection.last_heard >= 2 * IDLE_SECONDS:
                        raise Dropped("nothing heard from the server")
                    if time.monotonic() - connection.last_heard >= IDLE_SECONDS:
                        connection.ping()
                    continue
            except (OSError, Dropped):
                connection.close()
                connection = None
                continue
            if message.get("type") == "resync":
                seq = 0
                yield message
                continue
            event_seq = message.get("seq")
            if isinstance(event_seq, int) and event_seq > seq:  # else a pong, or a replayed event
                seq = event_seq
                yield message
    finally:
        if connection is not None:
            connection.close()


def _why(error: BaseException) -> str:
    return str(error) if isinstance(error, Dropped) else reason(error)
