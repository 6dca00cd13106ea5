"""Spawning and stopping agent sessions: thin handlers over the spawner."""

from __future__ import annotations

from jupyter_server.auth.decorator import authorized
from tornado import web

from .. import models as m
from .base import MaestroHandler
from .routing import Operation, Route


class SpawnHandler(MaestroHandler):
    @web.authenticated
    @authorized
    async def post(self) -> None:
        request = self.parse(m.SpawnRequest)
        if self.caller is not None and request.parent_session_id is None:
            # An orchestrator's spawn is its child: it may then stop, resume and review it.
            request.parent_session_id = self.caller.session_id
        await self.reply_once(
            "sessions/spawn", lambda: self.spawner.spawn(request, actor=self.actor())
        )


class ResumeHandler(MaestroHandler):
    @web.authenticated
    @authorized
    async def post(self, session_id: str) -> None:
        self.parse(m.EmptyBody)
        await self.reply_once(
            f"POST sessions/{session_id}/resume",
            lambda: self.spawner.resume(session_id, actor=self.actor()),
        )


class StopHandler(MaestroHandler):
    @web.authenticated
    @authorized
    async def post(self, session_id: str) -> None:
        self.reply(await self.spawner.stop(session_id, actor=self.actor()))


routes = [
    Route(
        "sessions/spawn",
        SpawnHandler,
        {
            "post": Operation(
                "Spawn an agent session in a new terminal named maestro_<session id>",
                body=m.SpawnRequest,
                response=m.Session,
                status=201,
                errors=(400, 409, 422, 503),
                idempotent=True,
            ),
        },
    ),
    Route(
        "sessions/{session_id}/stop",
        StopHandler,
        {
            "post": Operation(
                "Stop a session: end its agent, the agent's children and its terminal",
                response=m.Session,
                errors=(404,),
            ),
        },
    ),
    Route(
        "sessions/{session_id}/resume",
        ResumeHandler,
        {
            "post": Operation(
                "Resume an ended session's agent conversation in a new session (resumedFrom)",
                body=m.EmptyBody,
                response=m.Session,
                status=201,
                errors=(400, 404, 409, 422, 503),
                idempotent=True,
            ),
        },
    ),
]
