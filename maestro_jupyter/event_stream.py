"""The client side of the events WebSocket, for the notebook widgets.

Runs as a task on the caller's asyncio loop (in a kernel, the kernel's own loop, so cells are
never blocked), delivers each event once and in order, and reconnects with `?since=<last seq>`
after a drop, with exponential backoff and jitter.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
from collections.abc import Callable
from typing import Any

from tornado.httpclient import HTTPRequest
from tornado.websocket import WebSocketClientConnection, websocket_connect

from .client import ServerInfo

Event = dict[str, Any]


class EventStream:
    """Follows `{base_url}maestro/api/events` and calls `on_event(envelope)` for each event.

    `on_resync()` is called when the server cannot replay from the client's `since` (the database
    was replaced, or the missed events are no longer kept): the server then replays what it keeps,
    and the caller should reload.
    `on_state()` is called whenever `connected` or `error` changes.
    """

    def __init__(
        self,
        server: ServerInfo,
        on_event: Callable[[Event], None],
        *,
        since: int = 0,
        on_resync: Callable[[], None] | None = None,
        on_state: Callable[[], None] | None = None,
        min_delay: float = 0.25,
        max_delay: float = 10.0,
        ping_interval: float = 20.0,
    ) -> None:
        self.server = server
        self.seq = since
        self.connected = False
        self.connections = 0
        self.error: str | None = None
        self._on_event = on_event
        self._on_resync = on_resync
        self._on_state = on_state
        self._min_delay = min_delay
        self._max_delay = max_delay
        self._ping_interval = ping_interval
        self._connection: WebSocketClientConnection | None = None
        self._task: asyncio.Task[None] | None = None
        self._closed = False

    @property
    def url(self) -> str:
        base = self.server.api_url
        scheme = "wss" if base.startswith("https:") else "ws"
        return scheme + base[base.index(":") :] + f"events?since={self.seq}"

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> bool:
        """Start following on the running loop; False (and nothing started) when there is none."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.error = "no running event loop: live updates are off (call refresh())"
            return False
        if not self.running and not self._closed:
            self._task = loop.create_task(self._follow())
        return True

    def close(self) -> None:
        """Stop following and close the socket."""
        self._closed = True
        # Also reached from a widget's __del__ at exit, when the loop may be gone already.
        with contextlib.suppress(RuntimeError):
            if self._connection is not None:
                self._connection.close()
            if self._task is not None:
                self._task.cancel()
        self._set_state(connected=False)

    async def wait_closed(self) -> None:
        """After `close()`: wait until the following task has ended."""
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def disconnect(self) -> None:
        """Drop the current connection as a network failure would (it reconnects)."""
        if self._connection is not None:
            self._connection.close()

    async def _follow(self) -> None:
        delay = self._min_delay
        while not self._closed:
            try:
                self._connection = await websocket_connect(
                    self._request(), ping_interval=self._ping_interval
                )
            except Exception as error:  # noqa: BLE001 - any failure to connect means: retry later
                self._set_state(connected=False, error=f"cannot connect: {error}")
                await asyncio.sleep(delay * (1 + random.random()))
                delay = min(delay * 2, self._max_delay)
                continue
            delay = self._min_delay
            self.connections += 1
            self._set_state(connected=True, error=None)
            while True:
                message = await self._connection.read_message()
                if message is None:
                    break
                self._receive(message)
            self._connection = None
            self._set_state(connected=False)

    def _request(self) -> HTTPRequest:
        headers = {"Authorization": f"token {self.server.token}"} if self.server.token else {}
        return HTTPRequest(self.url, headers=headers, connect_timeout=10, request_timeout=10)

    def _receive(self, message: str | bytes) -> None:
        try:
            envelope = json.loads(message)
        except ValueError:
            return
        if envelope.get("type") == "resync":
            self.seq = 0
            if self._on_resync is not None:
                self._call(self._on_resync)
            return
        seq = envelope.get("seq")
        if not isinstance(seq, int) or seq <= self.seq:
            return  # a pong, or an event already delivered before a reconnect
        self.seq = seq
        self._call(self._on_event, envelope)

    def _call(self, handler: Callable[..., None], *args: Any) -> None:
        """Run a handler; a failure shows in `error` and does not end the live updates."""
        try:
            handler(*args)
        except Exception as error:  # noqa: BLE001 - whatever the handler raised
            self._set_state(error=f"{type(error).__name__}: {error}")

    def _set_state(self, **changes: Any) -> None:
        if all(getattr(self, key) == value for key, value in changes.items()):
            return
        for key, value in changes.items():
            setattr(self, key, value)
        if self._on_state is not None:
            self._on_state()
