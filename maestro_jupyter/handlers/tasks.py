"""Tasks: collection, item, complete, block, children."""

from __future__ import annotations

from jupyter_server.auth.decorator import authorized
from tornado import web

from .. import models as m
from .base import MaestroHandler
from .routing import Operation, Route


class TasksHandler(MaestroHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        query = self.query
        top_level = query.parent_id == "null"
        items, cursor = await self.store.list_tasks(
            project_id=query.project_id,
            status=query.status,
            parent_id=None if top_level else query.parent_id,
            top_level=top_level,
            ready=query.ready,
            q=query.q,
            limit=query.limit,
            cursor=query.cursor,
            include_subtasks=query.include == "subtasks",
        )
        self.reply({"items": items, "nextCursor": cursor})

    @web.authenticated
    @authorized
    async def post(self) -> None:
        body = self.parse(m.TaskCreate)
        await self.reply_once("POST tasks", lambda: self.store.create_task(**body.model_dump()))


class TaskHandler(MaestroHandler):
    @web.authenticated
    @authorized
    async def get(self, task_id: str) -> None:
        include_subtasks = self.query.include == "subtasks"
        self.reply(await self.store.get_task(task_id, include_subtasks=include_subtasks))

    @web.authenticated
    @authorized
    async def patch(self, task_id: str) -> None:
        body = self.parse(m.TaskUpdate)
        task = await self.store.update_task(
            task_id,
            body.changes(),
            self.if_match(),
            force=bool(body.force),
            session_id=body.session_id,
            actor=self.actor(body.session_id),
        )
        self.reply(task)

    @web.authenticated
    @authorized
    async def delete(self, task_id: str) -> None:
        await self.store.delete_task(task_id, recursive=self.query.recursive)
        self.reply(None, 204)


class CompleteHandler(MaestroHandler):
    @web.authenticated
    @authorized
    async def post(self, task_id: str) -> None:
        body = self.parse(m.TaskComplete)
        await self.reply_once(
            f"POST tasks/{task_id}/complete",
            lambda: self.store.complete_task(
                task_id,
                body.message,
                body.session_id,
                force=body.force,
                actor=self.actor(body.session_id),
            ),
            status=200,
        )


class BlockHandler(MaestroHandler):
    @web.authenticated
    @authorized
    async def post(self, task_id: str) -> None:
        body = self.parse(m.TaskBlock)
        await self.reply_once(
            f"POST tasks/{task_id}/block",
            lambda: self.store.block_task(
                task_id, body.reason, body.session_id, actor=self.actor(body.session_id)
            ),
            status=200,
        )


class ClaimHandler(MaestroHandler):
    @web.authenticated
    @authorized
    async def post(self) -> None:
        body = self.parse(m.ClaimRequest)

        async def claim() -> dict:
            task = await self.store.claim_task(
                body.session_id,
                body.task_id,
                body.project_id,
                force=body.force,
                actor=self.actor(body.session_id),
            )
            return {"task": task}

        await self.reply_once("POST tasks/claim", claim, status=200)


class ReleaseHandler(MaestroHandler):
    @web.authenticated
    @authorized
    async def post(self, task_id: str) -> None:
        body = self.parse(m.ReleaseRequest)
        await self.reply_once(
            f"POST tasks/{task_id}/release",
            lambda: self.store.release_task(
                task_id, body.session_id, actor=self.actor(body.session_id)
            ),
            status=200,
        )


class ChildrenHandler(MaestroHandler):
    @web.authenticated
    @authorized
    async def get(self, task_id: str) -> None:
        self.reply({"items": await self.store.children(task_id), "nextCursor": None})


routes = [
    Route(  # before tasks/{task_id}: "claim" is not a task id
        "tasks/claim",
        ClaimHandler,
        {
            "post": Operation(
                "Claim a task for a session: the named one, or the most urgent ready one "
                "(task null when none is ready)",
                body=m.ClaimRequest,
                response=m.ClaimResult,
                errors=(404, 409, 422),
                idempotent=True,
            ),
        },
    ),
    Route(
        "tasks",
        TasksHandler,
        {
            "get": Operation(
                "List tasks (filters, cursor pagination)",
                query=m.TaskQuery,
                response=m.TaskList,
                errors=(422,),
            ),
            "post": Operation(
                "Create a task, with its subtasks",
                body=m.TaskCreate,
                response=m.Task,
                status=201,
                errors=(400, 404, 422),
                idempotent=True,
            ),
        },
    ),
    Route(
        "tasks/{task_id}",
        TaskHandler,
        {
            "get": Operation(
                "Get a task", query=m.TaskGetQuery, response=m.Task, errors=(404, 422)
            ),
            "patch": Operation(
                "Update the named fields of a task (force: past unmet dependencies)",
                body=m.TaskUpdate,
                response=m.Task,
                errors=(400, 404, 409, 412, 422),
            ),
            "delete": Operation(
                "Delete a task (recursive=true for its child tasks too)",
                query=m.DeleteTaskQuery,
                errors=(404, 409, 422),
            ),
        },
    ),
    Route(
        "tasks/{task_id}/complete",
        CompleteHandler,
        {
            "post": Operation(
                "Mark a task completed (force: past unmet dependencies)",
                body=m.TaskComplete,
                response=m.Task,
                errors=(400, 404, 409, 422),
                idempotent=True,
            ),
        },
    ),
    Route(
        "tasks/{task_id}/block",
        BlockHandler,
        {
            "post": Operation(
                "Mark a task blocked, with a reason",
                body=m.TaskBlock,
                response=m.Task,
                errors=(400, 404, 422),
                idempotent=True,
            ),
        },
    ),
    Route(
        "tasks/{task_id}/release",
        ReleaseHandler,
        {
            "post": Operation(
                "Give a claimed task back (an in-progress task returns to todo)",
                body=m.ReleaseRequest,
                response=m.Task,
                errors=(404, 409, 422),
                idempotent=True,
            ),
        },
    ),
    Route(
        "tasks/{task_id}/children",
        ChildrenHandler,
        {
            "get": Operation("List a task's child tasks", response=m.TaskList, errors=(404,)),
        },
    ),
]
