"""Sessions: list, register, get, change (name, status, tasks), delete (stopping the agent
first); a session's timeline, its reports, and text typed into its terminal."""

from __future__ import annotations

from jupyter_server.auth.decorator import authorized
from tornado import web

from .. import attention
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

    @web.authenticated
    @authorized
    async def post(self) -> None:
        body = self.parse(m.SessionRegister)
        await self.reply_once(
            "POST sessions",
            lambda: self.store.create_session(status="running", **body.model_dump()),
        )


class SessionHandler(MaestroHandler):
    @web.authenticated
    @authorized
    async def get(self, session_id: str) -> None:
        self.reply(await self.store.get_session(session_id))

    @web.authenticated
    @authorized
    async def patch(self, session_id: str) -> None:
        changes = self.parse(m.SessionUpdate).changes()
        task_ids = changes.pop("task_ids", None)
        expected = self.if_match()
        session = await self.store.get_session(session_id)
        if changes or expected is not None:
            session = await self.store.update_session(session_id, expected, **changes)
        if task_ids is not None:
            wanted = list(dict.fromkeys(task_ids))
            session = await self.store.assign_tasks(
                session_id,
                add=[task for task in wanted if task not in session["taskIds"]],
                remove=[task for task in session["taskIds"] if task not in wanted],
                actor=self.actor(),
            )
        self.reply(session)

    @web.authenticated
    @authorized
    async def delete(self, session_id: str) -> None:
        await self.store.get_session(session_id)
        await self.spawner.stop(session_id, actor=self.actor())
        await self.store.delete_session(session_id)
        self.reply(None, 204)


class SessionTimelineHandler(MaestroHandler):
    @web.authenticated
    @authorized
    async def get(self, session_id: str) -> None:
        items = await self.store.session_timeline(session_id)
        self.reply({"items": items, "nextCursor": None})


class SessionReportHandler(MaestroHandler):
    @web.authenticated
    @authorized
    async def post(self, session_id: str) -> None:
        body = self.parse(m.SessionReport)
        await self.reply_once(
            f"POST sessions/{session_id}/report",
            lambda: self.store.report(
                session_id,
                body.kind,
                body.message,
                task_ids=body.task_ids,
                actor=self.actor(session_id),
            ),
            status=200,
        )


class SessionHookHandler(MaestroHandler):
    @web.authenticated
    @authorized
    async def post(self, session_id: str) -> None:
        body = self.parse(m.HookEvent)
        self.reply(
            await attention.apply_hook(self.store, session_id, body.agent, body.event, body.message)
        )


class SessionInputHandler(MaestroHandler):
    @web.authenticated
    @authorized
    async def post(self, session_id: str) -> None:
        body = self.parse(m.SessionInput)
        session = await self.spawner.send_input(
            session_id, body.text, submit=body.submit, actor=self.actor()
        )
        self.reply(session)


routes = [
    Route(
        "sessions",
        SessionsHandler,
        {
            "get": Operation(
                "List sessions", query=m.SessionQuery, response=m.SessionList, errors=(422,)
            ),
            "post": Operation(
                "Register an agent Maestro did not spawn (it runs elsewhere, e.g. a Lab terminal)",
                body=m.SessionRegister,
                response=m.Session,
                status=201,
                errors=(400, 404, 422),
                idempotent=True,
            ),
        },
    ),
    Route(
        "sessions/{session_id}",
        SessionHandler,
        {
            "get": Operation("Get a session", response=m.Session, errors=(404,)),
            "patch": Operation(
                "Rename a session, flag it needs_input/running, or set its tasks",
                body=m.SessionUpdate,
                response=m.Session,
                errors=(400, 404, 409, 412, 422),
            ),
            "delete": Operation("Stop a session's agent and delete the session", errors=(404,)),
        },
    ),
    Route(
        "sessions/{session_id}/timeline",
        SessionTimelineHandler,
        {
            "get": Operation(
                "The timeline entries a session wrote, across its tasks, oldest first",
                response=m.TimelineList,
                errors=(404,),
            ),
        },
    ),
    Route(
        "sessions/{session_id}/report",
        SessionReportHandler,
        {
            "post": Operation(
                "Report from a session: an entry on its tasks, and the status that follows "
                "(an ended session's report goes on the timeline only)",
                body=m.SessionReport,
                response=m.ReportResult,
                errors=(400, 404, 409, 422),
                idempotent=True,
            ),
        },
    ),
    Route(
        "sessions/{session_id}/input",
        SessionInputHandler,
        {
            "post": Operation(
                "Type text (and Enter, with submit) into the session's terminal",
                body=m.SessionInput,
                response=m.Session,
                errors=(400, 404, 409, 422),
            ),
        },
    ),
    Route(
        "sessions/{session_id}/hook",
        SessionHookHandler,
        {
            "post": Operation(
                "An agent's own hook event (Claude Code's hooks, Codex's notify): status and "
                "activity follow; an unknown event or an ended session changes nothing",
                body=m.HookEvent,
                response=m.HookResult,
                errors=(400, 404, 422),
            ),
        },
    ),
]
