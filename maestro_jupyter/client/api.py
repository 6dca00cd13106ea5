"""`MaestroClient`: the REST API's resources as methods (tasks, subtasks, timeline, sessions,
skills, export/import), answering the server's JSON (camelCase dicts)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from ..errors import VersionMismatch
from .config import RetrySettings
from .discovery import discover
from .transport import Transport

if TYPE_CHECKING:
    from .events import Event

# PATCH sessions/{id} replaces the task list: a link change is read, changed and written with
# If-Match, and tried again this many times when a claim moved the list in between.
LINK_ATTEMPTS = 5


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

    def last_seq(self) -> int:
        """The seq of the latest event: follow `events(since=...)` from it for what comes next."""
        return int(self.status().get("lastSeq") or 0)

    def events(self, since: int = 0, *, timeout: float | None = None) -> Iterator[Event]:
        """The events after `since`, once and in order, as they happen, for `timeout` seconds
        (None: until the caller stops); see `maestro_jupyter.client.events.follow`."""
        from .events import follow  # the WebSocket is only paid for by those who wait

        return follow(self, since, timeout=timeout)

    def list_projects(self) -> list[dict[str, Any]]:
        return list(self.paginate("projects"))

    def get_project(self, project_id: str) -> dict[str, Any]:
        return self.get(f"projects/{_segment(project_id)}")

    def create_project(self, name: str, **fields: Any) -> dict[str, Any]:
        """Create a project; `fields` are the wire names (workingDir, description)."""
        return self.post("projects", {"name": name, **_present(fields)})

    def list_tasks(
        self,
        *,
        project_id: str | None = None,
        status: list[str] | tuple[str, ...] | str | None = None,
        parent_id: str | None = None,
        q: str | None = None,
        include_subtasks: bool = False,
        ready: bool = False,
        limit: int | None = None,
    ) -> list[dict[str, Any]]:
        """Tasks filtered like `GET tasks`; `parent_id="null"` gives the top-level ones, `ready`
        only the tasks a session could claim now, most urgent first."""
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
                ready="true" if ready else None,
            )
        )

    def create_task(self, title: str, **fields: Any) -> dict[str, Any]:
        """Create a task; `fields` are the wire names (projectId, parentId, subtasks, ...)."""
        return self.post("tasks", {"title": title, **_present(fields)})

    def get_task(self, task_id: str, *, include_subtasks: bool = True) -> dict[str, Any]:
        include = "subtasks" if include_subtasks else None
        return self.get(f"tasks/{_segment(task_id)}", include=include)

    def update_task(
        self,
        task_id: str,
        fields: Mapping[str, Any],
        *,
        version: int | None = None,
        force: bool = False,
        session_id: str | None = None,
    ) -> dict[str, Any]:
        """Change the named fields; the change is credited to `session_id` if given. `force`
        moves a task to in_progress or completed past unmet dependencies (the timeline says so)."""
        body = {**fields, **_present({"force": force or None, "sessionId": session_id})}
        return self.patch(f"tasks/{_segment(task_id)}", body, version=version)

    def complete_task(
        self,
        task_id: str,
        message: str | None = None,
        *,
        session_id: str | None = None,
        force: bool = False,
    ) -> dict[str, Any]:
        """Mark a task completed; a `message` is kept on its timeline (credited to the session)."""
        body = _present({"message": message, "sessionId": session_id, "force": force or None})
        return self.post(f"tasks/{_segment(task_id)}/complete", body)

    def claim_task(
        self,
        session_id: str,
        task_id: str | None = None,
        *,
        project_id: str | None = None,
        force: bool = False,
    ) -> dict[str, Any] | None:
        """Claim `task_id` for the session, or with no id the most urgent ready task of
        `project_id` (default: the session's project); None when nothing is ready. Atomic: two
        sessions never get the same task (409 `claimed` names the holder)."""
        body = _present(
            {
                "sessionId": session_id,
                "taskId": task_id,
                "projectId": project_id,
                "force": force or None,
            }
        )
        return self.post("tasks/claim", body)["task"]

    def release_task(self, task_id: str, *, session_id: str | None = None) -> dict[str, Any]:
        """Give a claimed task back (to `todo` if it was in progress); with `session_id`, only
        if that session holds it."""
        body = _present({"sessionId": session_id})
        return self.post(f"tasks/{_segment(task_id)}/release", body)

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
        self,
        *,
        status: list[str] | tuple[str, ...] | str | None = None,
        task_id: str | None = None,
    ) -> list[dict[str, Any]]:
        if isinstance(status, (list, tuple)):
            status = ",".join(status) or None
        return list(self.paginate("sessions", status=status, taskId=task_id))

    def get_session(self, session_id: str) -> dict[str, Any]:
        return self.get(f"sessions/{_segment(session_id)}")

    def session_timeline(self, session_id: str) -> list[dict[str, Any]]:
        """The entries a session wrote, across its tasks, oldest first."""
        return list(self.paginate(f"sessions/{_segment(session_id)}/timeline"))

    def spawn_session(self, task_ids: list[str], **fields: Any) -> dict[str, Any]:
        """`POST sessions/spawn`; `fields` are the wire names (role, skills, agent, cwd, force,
        ...). With no task the agent claims its work from the project."""
        return self.post("sessions/spawn", {"taskIds": list(task_ids), **_present(fields)})

    def register_session(self, **fields: Any) -> dict[str, Any]:
        """`POST sessions`: record an agent Maestro did not start (e.g. in a Lab terminal);
        `fields` are the wire names (name, taskIds, projectId, role, agent, cwd, ...)."""
        return self.post("sessions", _present(fields))

    def send_input(self, session_id: str, text: str, *, submit: bool = True) -> dict[str, Any]:
        """Type `text` into the session's terminal, then Enter unless `submit` is False."""
        body = {"text": text, "submit": submit}
        return self.post(f"sessions/{_segment(session_id)}/input", body)

    def report(
        self,
        session_id: str,
        kind: str,
        message: str,
        *,
        task_ids: Iterable[str] | None = None,
    ) -> dict[str, Any]:
        """`POST sessions/{id}/report`: kind progress, blocked, needs_input, complete or error,
        on `task_ids` (default: the session's tasks). Answers `{session, entries, tasks,
        sessionEnded}`; an ended session gets the entries and nothing else changes."""
        body = _present(
            {
                "kind": kind,
                "message": message,
                "taskIds": list(task_ids) if task_ids is not None else None,
            }
        )
        return self.post(f"sessions/{_segment(session_id)}/report", body)

    def link_tasks(
        self,
        session_id: str,
        *,
        add: Iterable[str] = (),
        remove: Iterable[str] = (),
    ) -> dict[str, Any]:
        """Link tasks to a session and unlink others (unlinking releases its claim on them).

        The server takes the whole list; it is written only if the session did not change
        since it was read (If-Match), else read again, so a concurrent claim is never undone.
        """
        adding, removing = list(dict.fromkeys(add)), set(remove)
        attempts_left = LINK_ATTEMPTS
        while True:
            session = self.get_session(session_id)
            current = [task_id for task_id in session["taskIds"] if task_id not in removing]
            linked = current + [task_id for task_id in adding if task_id not in current]
            try:
                return self.update_session(
                    session_id, {"taskIds": linked}, version=session["version"]
                )
            except VersionMismatch:
                attempts_left -= 1
                if not attempts_left:
                    raise

    def update_session(
        self, session_id: str, fields: Mapping[str, Any], *, version: int | None = None
    ) -> dict[str, Any]:
        return self.patch(f"sessions/{_segment(session_id)}", fields, version=version)

    def stop_session(self, session_id: str) -> dict[str, Any]:
        return self.post(f"sessions/{_segment(session_id)}/stop")

    def delete_session(self, session_id: str) -> None:
        self.delete(f"sessions/{_segment(session_id)}")

    def resume_session(self, session_id: str) -> dict[str, Any]:
        """`POST sessions/{id}/resume`: a new session (`resumedFrom`) that resumes the ended
        one's agent conversation; 409 when it still runs or has no agent session id."""
        return self.post(f"sessions/{_segment(session_id)}/resume")

    def session_diff(self, session_id: str, *, stat: bool = False) -> dict[str, Any]:
        """What the session's worktree changed against its base commit: `{baseCommit, files,
        stats, truncated}`; with `stat`, the files and counts without patches."""
        return self.get(f"sessions/{_segment(session_id)}/diff", stat="true" if stat else None)

    def merge_session(self, session_id: str, *, strategy: str = "merge") -> dict[str, Any]:
        """Commit the worktree and merge its branch into the base branch (merge or squash):
        `{commit, merged, strategy, worktreeCommit, session}`. `MergeConflict` (409) names the
        files in `details["files"]`, and nothing changed."""
        return self.post(f"sessions/{_segment(session_id)}/merge", {"strategy": strategy})

    def discard_session(self, session_id: str) -> dict[str, Any]:
        """Remove the session's worktree and branch, whatever they hold; the session."""
        return self.post(f"sessions/{_segment(session_id)}/discard")

    def list_worktrees(self, project_id: str | None = None) -> list[dict[str, Any]]:
        """Maestro's worktrees and branches in a project's repository (default: the default
        project): `[{sessionId, branch, worktree, head, prunable, sessionExists}]`."""
        return list(self.paginate("worktrees", projectId=project_id))

    def prune_worktrees(self, project_id: str | None = None) -> list[dict[str, Any]]:
        """Remove the worktrees and branches whose session no longer exists; those removed."""
        answer = self.post("worktrees/prune", _present({"projectId": project_id}))
        return answer["items"]

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
