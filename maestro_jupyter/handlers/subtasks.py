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
    def get(self, task_id: str) -> None:
        self.reply({"items": self.store.list_subtasks(task_id), "nextCursor": None})

    @web.authenticated
    @authorized
    def post(self, task_id: str) -> None:
        body = self.parse(_create_body)
        if isinstance(body, list):
            items = [item.model_dump() for item in body]
            self.reply_once(
                f"POST tasks/{task_id}/subtasks",
                lambda: {"items": self.store.create_subtasks(task_id, items), "nextCursor": None},
            )
        else:
            self.reply_once(
                f"POST tasks/{task_id}/subtasks",
                lambda: self.store.create_subtasks(task_id, [body.model_dump()])[0],
            )


class SubtaskHandler(MaestroHandler):
    @web.authenticated
    @authorized
    def get(self, task_id: str, subtask_id: str) -> None:
        self.reply(self.store.get_subtask(task_id, subtask_id))

    @web.authenticated
    @authorized
    def patch(self, task_id: str, subtask_id: str) -> None:
        changes = self.parse(m.SubtaskUpdate).changes()
        self.reply(self.store.update_subtask(task_id, subtask_id, changes, self.if_match()))

    @web.authenticated
    @authorized
    def delete(self, task_id: str, subtask_id: str) -> None:
        self.store.delete_subtask(task_id, subtask_id)
        self.reply(None, 204)


class TimelineHandler(MaestroHandler):
    @web.authenticated
    @authorized
    def get(self, task_id: str) -> None:
        self.reply({"items": self.store.get_timeline(task_id), "nextCursor": None})

    @web.authenticated
    @authorized
    def post(self, task_id: str) -> None:
        body = self.parse(m.TimelineCreate)
        self.reply_once(
            f"POST tasks/{task_id}/timeline",
            lambda: self.store.add_timeline(task_id, body.kind, body.message, body.session_id),
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
