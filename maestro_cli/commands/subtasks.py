"""`maestro subtask ...`: the checklist items of a task."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import click

from .. import output
from ..context import ID, TEXT, InputError, examples, global_options, session_tasks, state
from .tasks import checkbox


@click.group()
def subtask() -> None:
    """Subtasks: a task's checklist."""


def print_subtasks(subtasks: Sequence[Mapping[str, Any]]) -> None:
    if not subtasks:
        output.echo("No subtasks.")
        return
    output.echo(
        output.table(
            subtasks,
            [
                ("DONE", checkbox),
                ("ID", lambda s: s["id"]),
                ("TITLE", lambda s: s.get("title", "")),
            ],
        )
    )


@subtask.command("create")
@click.argument("task_id", type=ID)
@click.argument("titles", type=TEXT, nargs=-1, required=True)
@click.option("--description", "-d", help="Description (only with a single title).")
@global_options
@examples(
    'maestro subtask create task_7kq2m9x4 "Write tests"',
    'maestro subtask create task_7kq2m9x4 "Lexer" "Parser" "Docs"   # one request',
)
def create_subtasks(task_id: str, titles: tuple[str, ...], description: str | None) -> None:
    """Add one or more subtasks to a task (several titles: one request, one transaction)."""
    if description and len(titles) > 1:
        raise InputError("--description goes with a single title")
    st = state()
    if len(titles) == 1:
        created = [st.client.create_subtask(task_id, titles[0], description=description)]
    else:
        created = st.client.create_subtasks(task_id, [{"title": t} for t in titles])
    data: Any = created[0] if len(titles) == 1 else created
    st.emit(data, lambda _: _print_created(created))


def _print_created(subtasks: Sequence[Mapping[str, Any]]) -> None:
    for item in subtasks:
        output.echo(f"Created {item['id']}: {item.get('title', '')}")


@subtask.command("list")
@click.argument("task_id", type=ID)
@global_options
@examples("maestro subtask list task_7kq2m9x4")
def list_subtasks(task_id: str) -> None:
    """List a task's subtasks in order."""
    st = state()
    st.emit(st.client.list_subtasks(task_id), print_subtasks)


@subtask.command("complete")
@click.argument("ids", metavar="[TASK_ID] SUBTASK_ID", type=ID, nargs=-1, required=True)
@click.option("--undo", is_flag=True, help="Mark it not completed again.")
@global_options
@examples(
    "maestro subtask complete task_7kq2m9x4 sub_3mf8a1qz",
    "maestro subtask complete sub_3mf8a1qz   # in a spawned session: one of its tasks' subtasks",
)
def complete_subtask(ids: tuple[str, ...], undo: bool) -> None:
    """Tick a subtask off (or back on with --undo).

    In a spawned session the TASK_ID may be left out: the subtask is looked up among the
    session's tasks.
    """
    if len(ids) > 2:
        raise InputError("give at most TASK_ID and SUBTASK_ID")
    st = state()
    task_id, subtask_id = ids if len(ids) == 2 else (_session_task_holding(ids[0]), ids[0])
    updated = st.client.update_subtask(task_id, subtask_id, {"completed": not undo})
    verb = "Reopened" if undo else "Completed"
    st.emit(updated, lambda s: output.echo(f"{verb} {s['id']}: {s.get('title', '')}"))


def _session_task_holding(subtask_id: str) -> str:
    task_ids = session_tasks()
    if not task_ids:
        raise InputError("give the TASK_ID too (not inside a session with tasks)")
    if len(task_ids) == 1:
        return task_ids[0]
    client = state().client
    for task_id in task_ids:
        if any(s["id"] == subtask_id for s in client.list_subtasks(task_id)):
            return task_id
    raise InputError(
        f"{subtask_id} is not a subtask of this session's tasks ({', '.join(task_ids)})"
    )


@subtask.command("update")
@click.argument("task_id", type=ID)
@click.argument("subtask_id", type=ID)
@click.option("--title", type=TEXT)
@click.option("--description", "-d")
@click.option("--completed/--not-completed", default=None)
@click.option("--position", type=click.IntRange(min=0), help="New place in the list (0 first).")
@click.option("--if-version", type=click.IntRange(min=0), help="Only if still at this version.")
@global_options
@examples('maestro subtask update task_7kq2m9x4 sub_3mf8a1qz --title "Write more tests"')
def update_subtask(
    task_id: str,
    subtask_id: str,
    title: str | None,
    description: str | None,
    completed: bool | None,
    position: int | None,
    if_version: int | None,
) -> None:
    """Change the named fields of a subtask."""
    fields = {
        key: value
        for key, value in {
            "title": title,
            "description": description,
            "completed": completed,
            "position": position,
        }.items()
        if value is not None
    }
    if not fields:
        raise InputError(
            "nothing to update: give --title, --description, --completed/--not-completed "
            "or --position"
        )
    st = state()
    updated = st.client.update_subtask(task_id, subtask_id, fields, version=if_version)
    st.emit(updated, lambda s: output.echo(f"Updated {s['id']}: {s.get('title', '')}"))


@subtask.command("delete")
@click.argument("task_id", type=ID)
@click.argument("subtask_id", type=ID)
@global_options
@examples("maestro subtask delete task_7kq2m9x4 sub_3mf8a1qz")
def delete_subtask(task_id: str, subtask_id: str) -> None:
    """Delete a subtask."""
    st = state()
    st.client.delete_subtask(task_id, subtask_id)
    st.emit({"id": subtask_id, "deleted": True}, lambda d: output.echo(f"Deleted {d['id']}"))
