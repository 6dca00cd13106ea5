"""Sessions: list, get, rename or flag needs_input, delete (stopping the agent first)."""

from __future__ import annotations

from jupyter_server.auth.decorator import authorized
from tornado import web

from .. import models as m
from .base import MaestroHandler
from .routing import Operation, Route


class SessionsHandler(MaestroHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        query = self.query
        items, cursor = await self.store.page_sessions(
            query.status, query.task_id, query.limit, query.cursor
        )
        self.reply({"items": items, "nextCursor": cursor})


class SessionHandler(MaestroHandler):
    @web.authenticated
    @authorized
    async def get(self, session_id: str) -> None:
        self.reply(await self.store.get_session(session_id))

    @web.authenticated
    @authorized
    async def patch(self, session_id: str) -> None:
        changes = self.parse(m.SessionUpdate).changes()
        self.reply(await self.store.update_session(session_id, self.if_match(), **changes))

    @web.authenticated
    @authorized
    async def delete(self, session_id: str) -> None:
        await self.store.get_session(session_id)
        await self.spawner.stop(session_id)
        await self.store.delete_session(session_id)
        self.reply(None, 204)


routes = [
    Route(
        "sessions",
        SessionsHandler,
        {
            "get": Operation(
                "List sessions", query=m.SessionQuery, response=m.SessionList, errors=(422,)
            ),
        },
    ),
    Route(
        "sessions/{session_id}",
        SessionHandler,
        {
            "get": Operation("Get a session", response=m.Session, errors=(404,)),
            "patch": Operation(
                "Rename a session or flag it needs_input/running",
                body=m.SessionUpdate,
                response=m.Session,
                errors=(400, 404, 412, 422),
            ),
            "delete": Operation("Stop a session's agent and delete the session", errors=(404,)),
        },
    ),
]
