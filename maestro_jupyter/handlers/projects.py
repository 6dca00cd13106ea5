"""Projects: GET|POST projects, GET|PATCH|DELETE projects/{project_id}."""

from __future__ import annotations

from jupyter_server.auth.decorator import authorized
from tornado import web

from .. import models as m
from .. import review
from .base import MaestroHandler
from .routing import Operation, Route


class ProjectsHandler(MaestroHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        self.reply({"items": await self.store.list_projects(), "nextCursor": None})

    @web.authenticated
    @authorized
    async def post(self) -> None:
        body = self.parse(m.ProjectCreate)

        async def create() -> dict:
            base_branch = await review.recorded_base_branch(body.working_dir)
            return await self.store.create_project(**body.model_dump(), base_branch=base_branch)

        await self.reply_once("POST projects", create)


class ProjectHandler(MaestroHandler):
    @web.authenticated
    @authorized
    async def get(self, project_id: str) -> None:
        self.reply(await self.store.get_project(project_id))

    @web.authenticated
    @authorized
    async def patch(self, project_id: str) -> None:
        changes = self.parse(m.ProjectUpdate).changes()
        if "working_dir" in changes:  # a project on a git repository records its base branch
            changes["base_branch"] = await review.recorded_base_branch(changes["working_dir"])
        self.reply(await self.store.update_project(project_id, changes, self.if_match()))

    @web.authenticated
    @authorized
    async def delete(self, project_id: str) -> None:
        await self.store.delete_project(project_id)
        self.reply(None, 204)


routes = [
    Route(
        "projects",
        ProjectsHandler,
        {
            "get": Operation("List projects", response=m.ProjectList),
            "post": Operation(
                "Create a project",
                body=m.ProjectCreate,
                response=m.Project,
                status=201,
                errors=(400, 422),
                idempotent=True,
            ),
        },
    ),
    Route(
        "projects/{project_id}",
        ProjectHandler,
        {
            "get": Operation("Get a project", response=m.Project, errors=(404,)),
            "patch": Operation(
                "Update a project",
                body=m.ProjectUpdate,
                response=m.Project,
                errors=(400, 404, 412, 422),
            ),
            "delete": Operation("Delete a project and everything in it", errors=(404, 409)),
        },
    ),
]
