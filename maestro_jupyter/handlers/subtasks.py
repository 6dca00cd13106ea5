"""Subtasks (their own resource) and the timeline of a task."""

from __future__ import annotations

from typing import Annotated

from jupyter_server.auth.decorator import authorized
from pydantic import Field, TypeAdapter
from tornado import web

from .. import models as m
from .base import MaestroHandler
from .routing import Operation, Route

SubtaskBatch = Annotated[list[m.SubtaskCreate], Field(min_length=1, max_length=500)]
SubtaskCreateBody = m.SubtaskCreate | SubtaskBatch
_create_body = TypeAdapter(SubtaskCreateBody)


class SubtasksHandler(MaestroHandler):
    @web.authenticated
    @authorized
    async def get(self, task_id: str) -> None:
        self.reply({"items": await self.store.list_subtasks(task_id), "nextCursor": None})

    @web.authenticated
    @authorized
    async def post(self, task_id: str) -> None:
        body = self.parse(_create_body)
        batch = isinstance(body, list)
        items = [item.model_dump() for item in body] if batch else [body.model_dump()]

        async def create() -> dict:
            created = await self.store.create_subtasks(task_id, items)
            return {"items": created, "nextCursor": None} if batch else created[0]

        await self.reply_once(f"POST tasks/{task_id}/subtasks", create)


class SubtaskHandler(MaestroHandler):
    @web.authenticated
    @authorized
    async def get(self, task_id: str, subtask_id: str) -> None:
        self.reply(await self.store.get_subtask(task_id, subtask_id))

    @web.authenticated
    @authorized
    async def patch(self, task_id: str, subtask_id: str) -> None:
        changes = self.parse(m.SubtaskUpdate).changes()
        self.reply(await self.store.update_subtask(task_id, subtask_id, changes, self.if_match()))

    @web.authenticated
    @authorized
    async def delete(self, task_id: str, subtask_id: str) -> None:
        await self.store.delete_subtask(task_id, subtask_id)
        self.reply(None, 204)


class TimelineHandler(MaestroHandler):
    @web.authenticated
    @authorized
    async def get(self, task_id: str) -> None:
        self.reply({"items": await self.store.get_timeline(task_id), "nextCursor": None})

    @web.authenticated
    @authorized
    async def post(self, task_id: str) -> None:
        body = self.parse(m.TimelineCreate)
        await self.reply_once(
            f"POST tasks/{task_id}/timeline",
            lambda: self.store.add_timeline(
                task_id, body.kind, body.message, body.session_id, actor=self.actor(body.session_id)
            ),
        )


routes = [
    Route(
        "tasks/{task_id}/subtasks",
        SubtasksHandler,
        {
            "get": Operation("List a task's subtasks", response=m.SubtaskList, errors=(404,)),
            "post": Operation(
                "Add one subtask, or a list in one transaction",
                body=SubtaskCreateBody,
                response=m.Subtask | m.SubtaskList,
                status=201,
                errors=(400, 404, 422),
                idempotent=True,
            ),
        },
    ),
    Route(
        "tasks/{task_id}/subtasks/{subtask_id}",
        SubtaskHandler,
        {
            "get": Operation("Get a subtask", response=m.Subtask, errors=(404,)),
            "patch": Operation(
                "Update the named fields of a subtask",
                body=m.SubtaskUpdate,
                response=m.Subtask,
                errors=(400, 404, 412, 422),
            ),
            "delete": Operation("Delete a subtask", errors=(404,)),
        },
    ),
    Route(
        "tasks/{task_id}/timeline",
        TimelineHandler,
        {
            "get": Operation(
                "A task's timeline, oldest first", response=m.TimelineList, errors=(404,)
            ),
            "post": Operation(
                "Add a timeline entry",
                body=m.TimelineCreate,
                response=m.TimelineEntry,
                status=201,
                errors=(400, 404, 422),
                idempotent=True,
            ),
        },
    ),
]
