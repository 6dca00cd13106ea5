"""The events WebSocket: replay from `?since=<seq>`, then live events, ping/pong."""

from __future__ import annotations

import json
from typing import Any

from jupyter_server.auth.decorator import authorized, ws_authenticated
from jupyter_server.base.handlers import JupyterHandler
from jupyter_server.base.websocket import WebSocketMixin
from jupyter_server.extension.handler import ExtensionHandlerMixin
from tornado import web
from tornado.websocket import WebSocketClosedError, WebSocketHandler

from .routing import API_PREFIX

REPLAY_BATCH = 5_000


class _LastEncoded:
    """The JSON text of the event being fanned out: the bus hands the same dict to every
    subscriber in turn, so a hundred sockets encode it once, not a hundred times."""

    event: Any = None
    text = ""

    @classmethod
    def of(cls, event: dict[str, Any]) -> str:
        if event is not cls.event:
            cls.event, cls.text = event, json.dumps(event, separators=(",", ":"))
        return cls.text


class EventsSocket(ExtensionHandlerMixin, WebSocketMixin, JupyterHandler, WebSocketHandler):
    auth_resource = "maestro"
    _since = 0
    _unsubscribe = None

    @ws_authenticated
    @authorized
    async def get(self, *args: Any, **kwargs: Any) -> None:
        since = self.get_query_argument("since", "0")
        if not since.isdigit():
            raise web.HTTPError(400, "since must be a non-negative integer (an event seq)")
        self._since = int(since)
        await WebSocketHandler.get(self, *args, **kwargs)

    def open(self, *args: Any, **kwargs: Any) -> None:
        store = self.settings["maestro_store"]
        # Subscribing and replaying happen in one go on the event loop, and every write
        # also runs there, so no event can fall between the replay and the live feed.
        self._unsubscribe = self.settings["maestro_events"].subscribe(self._deliver)
        first, last = store.first_seq(), store.last_seq()
        if not first - 1 <= self._since <= last:
            # The missed events are no longer kept, or the client saw events this store never
            # had (the database was replaced): it must reload its state, then follow from here.
            self._send({"type": "resync", "lastSeq": last})
            self._since = first - 1
        while True:
            backlog = store.events_since(self._since, REPLAY_BATCH)
            for event in backlog:
                self._deliver(event)
            if len(backlog) < REPLAY_BATCH:
                break

    def _deliver(self, event: dict[str, Any]) -> None:
        if event["seq"] <= self._since:
            return
        self._since = event["seq"]
        self._write(_LastEncoded.of(event))

    def _send(self, message: dict[str, Any]) -> None:
        self._write(json.dumps(message, separators=(",", ":")))

    def _write(self, text: str) -> None:
        try:
            self.write_message(text)
        except WebSocketClosedError:
            self._stop()

    def on_message(self, message: str | bytes) -> None:
        try:
            kind = json.loads(message).get("type")
        except (ValueError, AttributeError):
            kind = None
        if kind == "ping":
            self._send({"type": "pong"})
        else:
            self._send({"type": "error", "message": 'Send {"type": "ping"}; nothing else is read.'})

    def on_close(self) -> None:
        self._stop()

    def _stop(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None


routes = [(API_PREFIX + "events", EventsSocket)]
