"""`maestro report ...`: an agent tells the board how its work goes.

Each report adds a timeline entry to the session's tasks (MAESTRO_TASK_IDS, or --task);
`blocked` and `complete` also change the tasks' status, `needs-input` the session's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import click

from .. import output
from ..context import ID, ID_PATTERN, TEXT, InputError, examples, global_options, state


@click.group()
def report() -> None:
    """Report progress from inside a spawned session."""


def _targets(task_ids: tuple[str, ...]) -> tuple[list[str], str | None]:
    env = state().env
    session_id = env.session_id
    if session_id and not ID_PATTERN.match(session_id):
        raise InputError(f"MAESTRO_SESSION_ID holds {session_id!r}, which is not a session id")
    targets = list(task_ids) or list(env.task_ids)
    for task_id in targets:
        if not ID_PATTERN.match(task_id):
            raise InputError(f"MAESTRO_TASK_IDS holds {task_id!r}, which is not a task id")
    if not targets:
        raise InputError(
            "no task to report on: run inside a spawned session (MAESTRO_TASK_IDS) or pass --task"
        )
    return targets, session_id


# The timeline kind each report writes. `blocked` and `complete` go through the task's own
# block/complete routes, which write that entry themselves (kinds `blocked` and `milestone`),
# credited to the session like the others.
KINDS = {
    "progress": "progress",
    "blocked": "blocked",
    "needs-input": "needs_input",
    "complete": "milestone",
}


def _report(name: str, message: str, task_ids: tuple[str, ...]) -> dict[str, Any]:
    targets, session_id = _targets(task_ids)
    client = state().client
    result: dict[str, Any] = {
        "report": name,
        "kind": KINDS[name],
        "sessionId": session_id,
        "taskIds": targets,
        "entries": [],
        "tasks": [],
    }
    for task_id in targets:
        if name == "blocked":
            result["tasks"].append(client.block_task(task_id, message, session_id=session_id))
        elif name == "complete":
            result["tasks"].append(client.complete_task(task_id, message, session_id=session_id))
        else:
            entry = client.add_timeline(task_id, KINDS[name], message, session_id=session_id)
            result["entries"].append(entry)
    if name == "needs-input" and session_id:
        result["session"] = client.update_session(session_id, {"status": "needs_input"})
    return result


def _print(result: Mapping[str, Any]) -> None:
    task_ids = result["taskIds"]
    changed: Sequence[Mapping[str, Any]] = result.get("tasks") or []
    line = f"Reported {result['report']} on {output.join(task_ids)}"
    if changed:
        line += "; " + ", ".join(
            f"{t['id']} {output.status_word(t.get('status'))}" for t in changed
        )
    if result.get("session"):
        line += f"; session {result['session']['id']} needs input"
    output.echo(line)


task_option = click.option(
    "--task",
    "task_ids",
    type=ID,
    multiple=True,
    help="Report on this task instead of the session's (repeat).",
)


@report.command("progress")
@click.argument("message", type=TEXT)
@task_option
@global_options
@examples('maestro report progress "Parser done, 12 tests passing"')
def progress(message: str, task_ids: tuple[str, ...]) -> None:
    """Add a progress note to the session's tasks."""
    state().emit(_report("progress", message, task_ids), _print)


@report.command("blocked")
@click.argument("message", type=TEXT)
@task_option
@global_options
@examples('maestro report blocked "Needs a database password"')
def blocked(message: str, task_ids: tuple[str, ...]) -> None:
    """Say what blocks the work; the tasks become `blocked` with that reason."""
    state().emit(_report("blocked", message, task_ids), _print)


@report.command("needs-input")
@click.argument("message", type=TEXT)
@task_option
@global_options
@examples('maestro report needs-input "Which API version should I target?"')
def needs_input(message: str, task_ids: tuple[str, ...]) -> None:
    """Ask a person a question; the session shows `needs_input`."""
    state().emit(_report("needs-input", message, task_ids), _print)


@report.command("complete")
@click.argument("message", type=TEXT)
@task_option
@global_options
@examples('maestro report complete "Merged in 4f2c1a; docs updated"')
def complete(message: str, task_ids: tuple[str, ...]) -> None:
    """Say the work is done; the tasks become `completed`."""
    state().emit(_report("complete", message, task_ids), _print)
