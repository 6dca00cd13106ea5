"""`maestro session ...`: agent sessions, each running in a terminal tab of JupyterLab."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

import click

from .. import output
from ..context import (
    ID,
    ROLE,
    SESSION_STATUS,
    TEXT,
    InputError,
    examples,
    global_options,
    state,
)


@click.group()
def session() -> None:
    """Sessions: agents spawned in terminals for tasks."""


def print_sessions(sessions: Sequence[Mapping[str, Any]]) -> None:
    if not sessions:
        output.echo("No sessions.")
        return
    output.echo(
        output.table(
            sessions,
            [
                ("ID", lambda s: s["id"]),
                ("STATUS", lambda s: output.status_word(s.get("status"))),
                ("ROLE", lambda s: s.get("role") or "-"),
                ("AGENT", lambda s: s.get("agent") or "-"),
                ("TASKS", lambda s: output.join(s.get("taskIds"))),
                ("NAME", lambda s: s.get("name") or ""),
            ],
        )
    )


def print_session(session: Mapping[str, Any]) -> None:
    output.echo(f"{output.style(session['id'], bold=True)}  {session.get('name') or ''}")
    output.echo(
        output.pairs(
            [
                ("status", output.status_word(session.get("status"))),
                ("role", session.get("role")),
                ("agent", session.get("agent")),
                ("tasks", ", ".join(session.get("taskIds") or [])),
                ("skills", ", ".join(session.get("skills") or [])),
                ("project", session.get("projectId")),
                ("terminal", session.get("terminalName")),
                ("cwd", session.get("cwd")),
                ("parent", session.get("parentSessionId")),
                ("source", session.get("spawnSource")),
                ("created", session.get("createdAt")),
                ("started", session.get("startedAt")),
                ("ended", session.get("endedAt")),
                ("exit code", session.get("exitCode")),
                ("last activity", session.get("lastActivity")),
            ]
        )
    )


def current_session_id(session_id: str | None) -> str:
    if session_id:
        return session_id
    env_id = state().env.session_id
    if not env_id:
        raise InputError("give a SESSION_ID (MAESTRO_SESSION_ID is not set)")
    return ID.convert(env_id, None, None)


@session.command("list")
@click.option("--status", type=SESSION_STATUS, help="Only sessions in this state.")
@click.option("--task", "task_id", type=ID, help="Only sessions working on this task.")
@global_options
@examples("maestro session list", "maestro session list --status running --json")
def list_sessions(status: str | None, task_id: str | None) -> None:
    """List sessions."""
    st = state()
    sessions = st.client.list_sessions(status=status and status.lower(), task_id=task_id)
    st.emit(sessions, print_sessions)


@session.command("info")
@click.argument("session_id", type=ID, required=False)
@global_options
@examples("maestro session info sess_4hd81kxz", "maestro session info   # the current session")
def session_info(session_id: str | None) -> None:
    """Show a session (default: the one this terminal runs in)."""
    st = state()
    st.emit(st.client.get_session(current_session_id(session_id)), print_session)


@session.command("spawn")
@click.argument("task_ids", type=ID, nargs=-1, required=True)
@click.option("--role", type=ROLE, help="Default worker.")
@click.option("--skill", "skills", type=TEXT, multiple=True, help="A skill to brief it with.")
@click.option("--agent", type=TEXT, help="An agent configured on the server (e.g. claude).")
@click.option("--name", type=TEXT, help="Tab title.")
@click.option("--cwd", type=TEXT, help="Working folder, inside the server's root.")
@click.option("--prompt", type=TEXT, help="Extra instructions for the agent.")
@global_options
@examples(
    "maestro session spawn task_7kq2m9x4",
    "maestro session spawn task_a1 task_b2 --role orchestrator --agent claude",
)
def spawn_session(
    task_ids: tuple[str, ...],
    role: str | None,
    skills: tuple[str, ...],
    agent: str | None,
    name: str | None,
    cwd: str | None,
    prompt: str | None,
) -> None:
    """Spawn an agent session for tasks: a terminal tab opens in JupyterLab."""
    st = state()
    parent = st.env.session_id
    spawned = st.client.spawn_session(
        list(task_ids),
        projectId=st.project_id(),
        role=role,
        skills=list(skills) or None,
        agent=agent,
        name=name,
        cwd=os.path.abspath(cwd) if cwd else None,
        prompt=prompt,
        parentSessionId=parent,
        spawnSource="session" if parent else "cli",
    )
    st.emit(spawned, _print_spawned)


def _print_spawned(session: Mapping[str, Any]) -> None:
    output.echo(
        f"Spawned {session['id']} ({output.status_word(session.get('status'))}) for "
        f"{output.join(session.get('taskIds'))} in terminal {session.get('terminalName') or '-'}"
    )


@session.command("stop")
@click.argument("session_id", type=ID, required=False)
@global_options
@examples("maestro session stop sess_4hd81kxz")
def stop_session(session_id: str | None) -> None:
    """Stop a session's agent (default: the current session)."""
    st = state()
    stopped = st.client.stop_session(current_session_id(session_id))
    st.emit(stopped, lambda s: output.echo(f"Stopped {s.get('id', session_id)}"))
