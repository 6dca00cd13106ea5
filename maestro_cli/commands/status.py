"""`maestro status` (is the server there, what does it hold) and `maestro whoami` (this session)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import click

from .. import output, timeline
from ..context import current_session, examples, global_options, state
from .tasks import checkbox, with_latest_entries


@click.command()
@global_options
@examples("maestro status", "maestro status --json")
def status() -> None:
    """Check the server: where it is, its version, what the store holds, the current session."""
    st = state()
    client = st.client
    answer = client.status()
    env = st.env
    data = {
        "server": {"url": client.server.url, "source": client.server.source},
        "status": answer,
        "session": {"id": env.session_id, "taskIds": list(env.task_ids), "role": env.role}
        if env.active
        else None,
    }
    st.emit(data, _print_status)


def _counts(counts: Any) -> str:
    if not isinstance(counts, Mapping):
        return str(counts)
    shown = [f"{n} {name}" for name, n in counts.items() if n]
    return ", ".join(shown) or "none"


def _print_status(data: Mapping[str, Any]) -> None:
    answer = data["status"]
    counts = answer.get("counts") or {}
    store = answer.get("store") or {}
    session = data["session"]
    output.echo(
        output.pairs(
            [
                ("server", f"{data['server']['url']} ({data['server']['source']})"),
                ("version", answer.get("version")),
                ("store", store.get("dialect") if isinstance(store, Mapping) else store),
                ("schema", answer.get("schemaVersion")),
                ("projects", counts.get("projects")),
                ("tasks", _counts(counts.get("tasks"))),
                ("sessions", _counts(counts.get("sessions"))),
                (
                    "session",
                    f"{session['id'] or '-'} ({session['role'] or 'worker'}) on "
                    f"{output.join(session['taskIds'])}"
                    if session
                    else None,
                ),
            ]
        )
    )


@click.command()
@global_options
@examples("maestro whoami", "maestro whoami --json")
def whoami() -> None:
    """Show the session this terminal runs in: role, its tasks (as linked now: spawned for,
    claimed, assigned) with their subtasks and latest timeline entries."""
    st = state()
    env = st.env
    data: dict[str, Any] = {
        "sessionId": env.session_id,
        "role": env.role,
        "projectId": env.project_id,
        "taskIds": list(env.task_ids),
        "brief": env.brief,
        "session": None,
        "tasks": [],
    }
    if env.active:
        client = st.client
        session_id = current_session()
        if session_id:
            data["session"] = client.get_session(session_id)
            data["taskIds"] = list(data["session"]["taskIds"])
        data["tasks"] = [with_latest_entries(client.get_task(t)) for t in data["taskIds"]]
    st.emit(data, _print_whoami)


def _print_whoami(data: Mapping[str, Any]) -> None:
    if not data["sessionId"] and not data["taskIds"]:
        output.echo("Not inside a Maestro session (MAESTRO_SESSION_ID is not set).")
        return
    session = data.get("session") or {}
    output.echo(
        output.pairs(
            [
                ("session", data["sessionId"]),
                ("status", output.status_word(session.get("status")) if session else None),
                ("role", data["role"] or session.get("role")),
                ("project", data["projectId"]),
                ("brief", data["brief"]),
            ]
        )
    )
    for task in data["tasks"]:
        output.echo()
        output.echo(
            f"{output.style(task['id'], bold=True)}  [{output.status_word(task.get('status'))}] "
            f"{task.get('title', '')}"
        )
        for subtask in task.get("subtasks") or []:
            output.echo(f"  {checkbox(subtask)} {subtask['id']}  {subtask.get('title', '')}")
        timeline.print_latest(task.get("latestEntries") or [], indent="  ")
