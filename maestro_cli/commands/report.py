"""`maestro report ...`: an agent tells the board how its work goes.

Inside a session (MAESTRO_SESSION_ID) a report is one request, `POST sessions/{id}/report`,
done by the server in one transaction: an entry on each of the session's tasks (or --task),
`blocked` and `complete` also change their status, `needs-input` the session's, `progress` a
session waiting for input back to running. A session that has ended keeps its status: the entry
still goes on the timeline, and the command says so on stderr (exit 0).

Outside a session, reports need --task and act on those tasks one by one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import click

from .. import output
from ..context import ID, TEXT, InputError, current_session, examples, global_options, state


@click.group()
def report() -> None:
    """Report progress from inside a session (or on --task from anywhere)."""


# The wire kind of each report.
KINDS = {
    "progress": "progress",
    "blocked": "blocked",
    "needs-input": "needs_input",
    "complete": "complete",
    "error": "error",
}


def _report(name: str, message: str, task_ids: tuple[str, ...]) -> dict[str, Any]:
    session_id = current_session()
    result: dict[str, Any] = {
        "report": name,
        "kind": KINDS[name],
        "sessionId": session_id,
        "taskIds": list(task_ids),
        "entries": [],
        "tasks": [],
        "session": None,
        "sessionEnded": False,
    }
    client = state().client
    if session_id:
        answer = client.report(session_id, KINDS[name], message, task_ids=task_ids or None)
        result.update(answer)
        result["taskIds"] = list(
            task_ids or dict.fromkeys(entry["taskId"] for entry in answer.get("entries") or [])
        )
        return result
    if not task_ids:
        raise InputError(
            "no task to report on: run inside a session (MAESTRO_SESSION_ID) or pass --task"
        )
    for task_id in task_ids:
        if name == "blocked":
            result["tasks"].append(client.block_task(task_id, message))
        elif name == "complete":
            result["tasks"].append(client.complete_task(task_id, message))
        else:
            result["entries"].append(client.add_timeline(task_id, KINDS[name], message))
    return result


def _emit(result: Mapping[str, Any]) -> None:
    state().emit(result, _print)
    if result.get("sessionEnded"):
        session = result.get("session") or {}
        output.echo(
            f"Note: session {result['sessionId']} has ended ({session.get('status', 'ended')}): "
            "the report went on the timeline only",
            err=True,
        )


def _print(result: Mapping[str, Any]) -> None:
    task_ids = result["taskIds"]
    changed: Sequence[Mapping[str, Any]] = result.get("tasks") or []
    line = f"Reported {result['report']} on {output.join(task_ids)}"
    if changed and result["report"] in ("blocked", "complete") and not result["sessionEnded"]:
        line += "; " + ", ".join(
            f"{t['id']} {output.status_word(t.get('status'))}" for t in changed
        )
    session = result.get("session") or {}
    if result["report"] == "needs-input" and session.get("status") == "needs_input":
        line += f"; session {session['id']} needs input"
    output.echo(line)


task_option = click.option(
    "--task",
    "task_ids",
    type=ID,
    multiple=True,
    help="Report on this task instead of the session's tasks (repeat).",
)


@report.command("progress")
@click.argument("message", type=TEXT)
@task_option
@global_options
@examples('maestro report progress "Parser done, 12 tests passing"')
def progress(message: str, task_ids: tuple[str, ...]) -> None:
    """Add a progress note to the session's tasks."""
    _emit(_report("progress", message, task_ids))


@report.command("blocked")
@click.argument("message", type=TEXT)
@task_option
@global_options
@examples('maestro report blocked "Needs a database password"')
def blocked(message: str, task_ids: tuple[str, ...]) -> None:
    """Say what blocks the work; the tasks become `blocked` with that reason."""
    _emit(_report("blocked", message, task_ids))


@report.command("needs-input")
@click.argument("message", type=TEXT)
@task_option
@global_options
@examples('maestro report needs-input "Which API version should I target?"')
def needs_input(message: str, task_ids: tuple[str, ...]) -> None:
    """Ask a person a question; the session shows `needs_input`."""
    _emit(_report("needs-input", message, task_ids))


@report.command("complete")
@click.argument("message", type=TEXT)
@task_option
@global_options
@examples('maestro report complete "Merged in 4f2c1a; docs updated"')
def complete(message: str, task_ids: tuple[str, ...]) -> None:
    """Say the work is done; the tasks become `completed` (refused, exit 1, while one of their
    dependencies is open)."""
    _emit(_report("complete", message, task_ids))


@report.command("error")
@click.argument("message", type=TEXT)
@task_option
@global_options
@examples('maestro report error "The build fails: missing libfoo (see build.log)"')
def error(message: str, task_ids: tuple[str, ...]) -> None:
    """Say something went wrong; an `error` entry goes on the tasks' timelines."""
    _emit(_report("error", message, task_ids))
