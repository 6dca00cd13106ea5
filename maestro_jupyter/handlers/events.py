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

from .. import actors
from ..errors import MaestroError
from ..lifecycle import is_ended
from .auth import SessionAuthMixin, SessionUser
from .base import write_json_error
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


class EventsSocket(
    SessionAuthMixin, ExtensionHandlerMixin, WebSocketMixin, JupyterHandler, WebSocketHandler
):
    auth_resource = "maestro"
    _since = 0
    _unsubscribe = None
    # Live events that arrive while the replay is being read: sent after it, in order.
    _held: list[dict[str, Any]] | None = None

    @ws_authenticated
    @authorized
    async def get(self, *args: Any, **kwargs: Any) -> None:
        since = self.get_query_argument("since", "0")
        if not since.isdigit():
            raise web.HTTPError(400, "since must be a non-negative integer (an event seq)")
        if self.settings.get("maestro_store") is None:
            raise web.HTTPError(503, "the Maestro store is unavailable")
        self._since = int(since)
        actors.act_as(self.actor_name())
        await WebSocketHandler.get(self, *args, **kwargs)

    async def open(self, *args: Any, **kwargs: Any) -> None:
        try:
            await self._replay()
        except MaestroError as exc:
            # The database went away between the upgrade and the replay: say so in the socket's
            # own JSON and close; the client reconnects with its `since` and loses nothing.
            self._send({"type": "error", "error": exc.code, "message": exc.message})
            self._stop()
            self.close(1011, exc.code)

    async def _replay(self) -> None:
        store = self.settings["maestro_store"]
        # Subscribe first and hold what arrives while the replay is read off the loop: an event
        # is either committed before the replay's read (so in it) or published after the
        # subscription (so held); the seq check drops what is in both.
        self._held = []
        self._unsubscribe = self.settings["maestro_events"].subscribe(self._deliver)
        first, last = await store.first_seq(), await store.last_seq()
        if not first - 1 <= self._since <= last:
            # The missed events are no longer kept, or the client saw events this store never
            # had (the database was replaced): it must reload its state, then follow from here.
            self._send({"type": "resync", "lastSeq": last})
            self._since = first - 1
        while self._unsubscribe is not None:
            backlog = await store.events_since(self._since, REPLAY_BATCH)
            for event in backlog:
                self._forward(event)
            if len(backlog) < REPLAY_BATCH:
                break
        held, self._held = self._held, None
        for event in held or ():
            self._forward(event)

    def _deliver(self, event: dict[str, Any]) -> None:
        if self._held is not None:
            self._held.append(event)
        else:
            self._forward(event)

    def _forward(self, event: dict[str, Any]) -> None:
        if event["seq"] <= self._since:
            return
        self._since = event["seq"]
        self._write(_LastEncoded.of(event))
        if self._ends_own_session(event):
            # The session's token is revoked with this very write: its socket goes with it.
            session_id = event["data"]["id"]
            self._send(
                {
                    "type": "error",
                    "error": "token_revoked",
                    "message": f"Session {session_id} ended; its token was revoked.",
                }
            )
            self._stop()
            self.close(1008, "token_revoked")

    def _ends_own_session(self, event: dict[str, Any]) -> bool:
        user = self.current_user
        return (
            isinstance(user, SessionUser)
            and event["event"] == "session:updated"
            and event["data"].get("id") == user.username
            and is_ended(event["data"].get("status", ""))
        )

    def _send(self, message: dict[str, Any]) -> None:
        self._write(json.dumps(message, separators=(",", ":")))

    def _write(self, text: str) -> None:
        try:
            self.write_message(text)
        except WebSocketClosedError:
            self._stop()

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        # Refused before the upgrade (a revoked or foreign session token): JSON as on REST.
        write_json_error(self, status_code, kwargs.get("exc_info", (None, None, None))[1])

    def on_message(self, message: str | bytes) -> None:
        try:
            parsed = json.loads(message)
            kind = parsed.get("type")
        except (ValueError, AttributeError):
            parsed, kind = {}, None
        if kind == "ping":
            self._send({"type": "pong"})
        elif kind == "size" and _terminal_size(parsed):
            # The size a new terminal should have in this window's main area (LabWindows).
            self.settings["maestro_lab_windows"].report(id(self), *_terminal_size(parsed))
        else:
            self._send(
                {
                    "type": "error",
                    "message": 'Send {"type": "ping"} or {"type": "size", "rows": R, "cols": C}.',
                }
            )

    def on_close(self) -> None:
        self._stop()

    def _stop(self) -> None:
        windows = self.settings.get("maestro_lab_windows")
        if windows is not None:
            windows.forget(id(self))
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None


def _terminal_size(message: dict[str, Any]) -> tuple[int, int] | None:
    rows, cols = message.get("rows"), message.get("cols")
    if type(rows) is int and type(cols) is int and 5 <= rows <= 500 and 20 <= cols <= 1000:
        return rows, cols
    return None


routes = [(API_PREFIX + "events", EventsSocket)]
