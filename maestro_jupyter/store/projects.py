"""Projects: a named working folder that tasks and sessions belong to; one default project."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, bindparam, delete, insert, select

from ..actors import current_actor
from ..errors import Conflict, NotFound
from ..vocabulary import DEFAULT_PROJECT_ID
from . import schema as t
from .transaction import StoreBase, bump, check_version
from .wire import new_id, now, wire, wire_values

_PROJECT_BY_ID = select(t.projects).where(t.projects.c.id == bindparam("project_id"))
_PROJECTS = select(t.projects).order_by(t.projects.c.created_at, t.projects.c.id)
_INSERT_PROJECT = insert(t.projects)


class ProjectsMixin(StoreBase):
    default_project_id = DEFAULT_PROJECT_ID

    def _project(self, conn: Connection, project_id: str) -> dict[str, Any]:
        row = conn.execute(_PROJECT_BY_ID, {"project_id": project_id}).first()
        if row is None:
            raise NotFound(f"Project {project_id} does not exist.", {"id": project_id})
        return wire(row, t.projects)

    def get_project(self, project_id: str) -> dict[str, Any]:
        with self.connection() as conn:
            return self._project(conn, project_id)

    def list_projects(self) -> list[dict[str, Any]]:
        with self.connection() as conn:
            return [wire(row, t.projects) for row in conn.execute(_PROJECTS)]

    def create_project(
        self,
        name: str,
        working_dir: str | None = None,
        description: str = "",
        id: str | None = None,
        base_branch: str | None = None,
    ) -> dict[str, Any]:
        stamp_, actor = now(), current_actor()
        row = dict(
            id=id or new_id("proj"),
            name=name,
            working_dir=working_dir,
            description=description,
            created_at=stamp_,
            updated_at=stamp_,
            version=1,
            base_branch=base_branch,
            created_by=actor,
            updated_by=actor,
        )
        with self.transaction() as tx:
            tx.conn.execute(_INSERT_PROJECT, row)
            project = wire_values(row, t.projects)
            tx.emit("project:created", project)
            return project

    def update_project(
        self, project_id: str, changes: dict[str, Any], expected_version: int | None = None
    ) -> dict[str, Any]:
        with self.transaction() as tx:
            current = self._project(tx.conn, project_id)
            check_version("Project", current, expected_version)
            row = bump(tx.conn, t.projects, project_id, changes, returning=True)
            project = wire(row, t.projects) if row else self._project(tx.conn, project_id)
            tx.emit("project:updated", project)
            return project

    def delete_project(self, project_id: str) -> None:
        if project_id == self.default_project_id:
            raise Conflict("The default project cannot be deleted.", {"id": project_id})
        with self.transaction() as tx:
            self._project(tx.conn, project_id)
            tx.conn.execute(delete(t.projects).where(t.projects.c.id == project_id))
            tx.emit("project:deleted", {"id": project_id})

    def _ensure_default_project(self, root_dir: str | None) -> None:
        # In a write even when it exists: two servers starting on one database take turns.
        with self.transaction() as tx:
            if tx.conn.execute(_PROJECT_BY_ID, {"project_id": DEFAULT_PROJECT_ID}).first():
                return
            self.create_project(
                "Default", root_dir, "The server's root folder.", id=DEFAULT_PROJECT_ID
            )
