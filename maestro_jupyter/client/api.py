"""`MaestroClient`: the REST API's resources as methods (tasks, subtasks, timeline, sessions,
skills, export/import), answering the server's JSON (camelCase dicts)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import quote

from .config import RetrySettings
from .discovery import discover
from .transport import Transport


class MaestroClient(Transport):
    """Synchronous client of `{base_url}maestro/api/`.

    Collections are followed through every page. Errors raise the classes of
    `maestro_jupyter.errors` (`NotFound`, `ValidationFailed`, `StoreBusy`, `ConnectionFailed`...).
    """

    @classmethod
    def from_environment(cls, server: str | None = None, token: str | None = None) -> MaestroClient:
        """A client for the discovered server, with MAESTRO_RETRIES / MAESTRO_RETRY_DELAY /
        MAESTRO_TIMEOUT (or the config file's retries / retry_delay / timeout) applied."""
        settings = RetrySettings.load()
        return cls(
            discover(server, token),
            retries=settings.retries,
            retry_delay=settings.retry_delay,
            timeout=settings.timeout,
        )

    def paginate(
        self,
        path: str,
        *,
        max_items: int | None = None,
        page_size: int | None = None,
        **params: Any,
    ) -> Iterator[Any]:
        """Every item of a collection, following `nextCursor`; at most `max_items` if given."""
        cursor = None
        count = 0
        while True:
            page = self.get(path, **params, limit=page_size, cursor=cursor)
            for item in page.get("items", []):
                yield item
                count += 1
                if max_items is not None and count >= max_items:
                    return
            cursor = page.get("nextCursor")
            if not cursor:
                return

    # -- resources --

    def status(self) -> dict[str, Any]:
        return self.get("status")

    def list_projects(self) -> list[dict[str, Any]]:
        return list(self.paginate("projects"))

    def list_tasks(
        self,
        *,
        project_id: str | None = None,
        status: list[str] | tuple[str, ...] | str | None = None,
        parent_id: str | None = None,
        q: str | None = None,
        include_subtasks: bool = False,
        limit: int | None = None,
    ) -> list[dict[str, Any]]:
        """Tasks filtered like `GET tasks`; `parent_id="null"` gives the top-level ones."""
        if isinstance(status, (list, tuple)):
            status = ",".join(status) or None
        return list(
            self.paginate(
                "tasks",
                max_items=limit,
                page_size=min(limit, 500) if limit else None,
                projectId=project_id,
                status=status,
                parentId=parent_id,
                q=q,
                include="subtasks" if include_subtasks else None,
            )
        )

    def create_task(self, title: str, **fields: Any) -> dict[str, Any]:
        """Create a task; `fields` are the wire names (projectId, parentId, subtasks, ...)."""
        return self.post("tasks", {"title": title, **_present(fields)})

    def get_task(self, task_id: str, *, include_subtasks: bool = True) -> dict[str, Any]:
        include = "subtasks" if include_subtasks else None
        return self.get(f"tasks/{_segment(task_id)}", include=include)

    def update_task(
        self, task_id: str, fields: Mapping[str, Any], *, version: int | None = None
    ) -> dict[str, Any]:
        return self.patch(f"tasks/{_segment(task_id)}", fields, version=version)

    def complete_task(
        self, task_id: str, message: str | None = None, *, session_id: str | None = None
    ) -> dict[str, Any]:
        """Mark a task completed; a `message` is kept on its timeline (credited to the session)."""
        body = _present({"message": message, "sessionId": session_id})
        return self.post(f"tasks/{_segment(task_id)}/complete", body)

    def block_task(
        self, task_id: str, reason: str, *, session_id: str | None = None
    ) -> dict[str, Any]:
        body = _present({"reason": reason, "sessionId": session_id})
        return self.post(f"tasks/{_segment(task_id)}/block", body)

    def delete_task(self, task_id: str, *, recursive: bool = False) -> None:
        self.delete(f"tasks/{_segment(task_id)}", recursive="true" if recursive else None)

    def task_children(self, task_id: str) -> list[dict[str, Any]]:
        return list(self.paginate(f"tasks/{_segment(task_id)}/children"))

    def list_subtasks(self, task_id: str) -> list[dict[str, Any]]:
        return list(self.paginate(f"tasks/{_segment(task_id)}/subtasks"))

    def create_subtasks(
        self, task_id: str, subtasks: list[Mapping[str, Any]]
    ) -> list[dict[str, Any]]:
        """Create several subtasks in one request (one transaction)."""
        answer = self.post(f"tasks/{_segment(task_id)}/subtasks", [dict(s) for s in subtasks])
        return answer["items"] if isinstance(answer, dict) and "items" in answer else answer

    def create_subtask(self, task_id: str, title: str, **fields: Any) -> dict[str, Any]:
        return self.post(
            f"tasks/{_segment(task_id)}/subtasks", {"title": title, **_present(fields)}
        )

    def update_subtask(
        self,
        task_id: str,
        subtask_id: str,
        fields: Mapping[str, Any],
        *,
        version: int | None = None,
    ) -> dict[str, Any]:
        path = f"tasks/{_segment(task_id)}/subtasks/{_segment(subtask_id)}"
        return self.patch(path, fields, version=version)

    def delete_subtask(self, task_id: str, subtask_id: str) -> None:
        self.delete(f"tasks/{_segment(task_id)}/subtasks/{_segment(subtask_id)}")

    def add_timeline(
        self, task_id: str, kind: str, message: str, *, session_id: str | None = None
    ) -> dict[str, Any]:
        body = _present({"kind": kind, "message": message, "sessionId": session_id})
        return self.post(f"tasks/{_segment(task_id)}/timeline", body)

    def list_timeline(self, task_id: str) -> list[dict[str, Any]]:
        return list(self.paginate(f"tasks/{_segment(task_id)}/timeline"))

    def list_sessions(
        self, *, status: str | None = None, task_id: str | None = None
    ) -> list[dict[str, Any]]:
        return list(self.paginate("sessions", status=status, taskId=task_id))

    def get_session(self, session_id: str) -> dict[str, Any]:
        return self.get(f"sessions/{_segment(session_id)}")

    def spawn_session(self, task_ids: list[str], **fields: Any) -> dict[str, Any]:
        """`POST sessions/spawn`; `fields` are the wire names (role, skills, agent, cwd, ...)."""
        return self.post("sessions/spawn", {"taskIds": list(task_ids), **_present(fields)})

    def update_session(
        self, session_id: str, fields: Mapping[str, Any], *, version: int | None = None
    ) -> dict[str, Any]:
        return self.patch(f"sessions/{_segment(session_id)}", fields, version=version)

    def stop_session(self, session_id: str) -> dict[str, Any]:
        return self.post(f"sessions/{_segment(session_id)}/stop")

    def delete_session(self, session_id: str) -> None:
        self.delete(f"sessions/{_segment(session_id)}")

    def list_skills(self) -> list[dict[str, Any]]:
        answer = self.get("skills")
        return answer.get("items", []) if isinstance(answer, dict) else answer

    def get_skill(self, name: str) -> dict[str, Any]:
        return self.get(f"skills/{_segment(name)}")

    def export_store(self) -> dict[str, Any]:
        return self.get("export")

    def import_store(self, data: Mapping[str, Any], *, on_conflict: str = "fail") -> Any:
        """Load an export into the store in one transaction; on_conflict: fail, skip, overwrite."""
        return self.request("POST", "import", body=dict(data), params={"onConflict": on_conflict})


def _present(fields: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in fields.items() if value is not None}


def _segment(value: str) -> str:
    return quote(str(value), safe="")
