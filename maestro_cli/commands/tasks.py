"""`maestro task ...`: list, create, get, update, complete, block, delete, tree, next."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import click

from maestro_jupyter.vocabulary import PRIORITY_RANK

from .. import output
from ..context import (
    ID,
    TASK_PRIORITY,
    TASK_STATUS,
    TEXT,
    InputError,
    examples,
    global_options,
    session_task_ids,
    state,
)


@click.group()
def task() -> None:
    """Tasks: the units of work agents are spawned for."""


def task_table(tasks: Sequence[Mapping[str, Any]]) -> str:
    return output.table(
        tasks,
        [
            ("ID", lambda t: t["id"]),
            ("STATUS", lambda t: output.status_word(t.get("status"))),
            ("PRIORITY", lambda t: output.priority_word(t.get("priority"))),
            ("SUBTASKS", _subtask_progress),
            ("TITLE", lambda t: t.get("title", "")),
        ],
    )


def _subtask_progress(task: Mapping[str, Any]) -> str:
    total = task.get("subtaskCount")
    if total is None and isinstance(task.get("subtasks"), list):
        total = len(task["subtasks"])
    if not total:
        return "-"
    done = task.get("subtasksCompleted")
    if done is None:
        done = sum(1 for s in task.get("subtasks", []) if s.get("completed"))
    return f"{done}/{total}"


def print_tasks(tasks: Sequence[Mapping[str, Any]]) -> None:
    output.echo(task_table(tasks) if tasks else "No tasks.")


def print_task(task: Mapping[str, Any]) -> None:
    output.echo(f"{output.style(task['id'], bold=True)}  {task.get('title', '')}")
    output.echo(
        output.pairs(
            [
                ("status", output.status_word(task.get("status"))),
                ("priority", output.priority_word(task.get("priority"))),
                ("blocked", task.get("blockedReason")),
                ("project", task.get("projectId")),
                ("parent", task.get("parentId")),
                ("depends on", ", ".join(task.get("dependencies") or [])),
                ("labels", ", ".join(task.get("labels") or [])),
                ("sessions", ", ".join(task.get("sessionIds") or [])),
                ("created", task.get("createdAt")),
                ("updated", task.get("updatedAt")),
                ("completed", task.get("completedAt")),
                ("version", task.get("version")),
            ]
        )
    )
    if task.get("description"):
        output.echo()
        output.echo(task["description"])
    subtasks = task.get("subtasks")
    if subtasks:
        output.echo()
        output.echo(output.style(f"Subtasks ({_subtask_progress(task)})", bold=True))
        for subtask in subtasks:
            output.echo(f"  {checkbox(subtask)} {subtask['id']}  {subtask.get('title', '')}")


def checkbox(subtask: Mapping[str, Any]) -> str:
    return output.style("[x]", "green") if subtask.get("completed") else "[ ]"


@task.command("list")
@click.option("--status", "statuses", type=TASK_STATUS, multiple=True, help="Only these (repeat).")
@click.option("--parent", "parent_id", type=ID, help="Only the children of this task.")
@click.option("--top-level", is_flag=True, help="Only tasks without a parent.")
@click.option("--search", "-q", "query", help="Text to find in title or description.")
@click.option("--limit", type=click.IntRange(min=1), help="At most this many tasks.")
@global_options
@examples("maestro task list", "maestro task list --status todo --status in_progress --json")
def list_tasks(
    statuses: tuple[str, ...],
    parent_id: str | None,
    top_level: bool,
    query: str | None,
    limit: int | None,
) -> None:
    """List tasks (of the current project, if one is set)."""
    if parent_id and top_level:
        raise InputError("give either --parent or --top-level, not both")
    st = state()
    tasks = st.client.list_tasks(
        project_id=st.project_id(),
        status=[s.lower() for s in statuses],
        parent_id="null" if top_level else parent_id,
        q=query,
        limit=limit,
    )
    st.emit(tasks, print_tasks)


@task.command("create")
@click.argument("title", type=TEXT)
@click.option("--description", "-d", help="Longer text (Markdown).")
@click.option("--priority", "-p", type=TASK_PRIORITY, help="low, medium, high or urgent.")
@click.option("--status", type=TASK_STATUS, help="Initial status (default todo).")
@click.option("--parent", "parent_id", type=ID, help="Make it a child of this task.")
@click.option("--depends-on", "dependencies", type=ID, multiple=True, help="A task to wait for.")
@click.option("--label", "labels", type=TEXT, multiple=True, help="A label (repeat).")
@click.option("--subtask", "subtask_titles", type=TEXT, multiple=True, help="A subtask (repeat).")
@global_options
@examples(
    'maestro task create "Fix login" --priority high',
    'maestro task create "Ship v2" --subtask "Changelog" --subtask "Tag" --json',
)
def create_task(
    title: str,
    description: str | None,
    priority: str | None,
    status: str | None,
    parent_id: str | None,
    dependencies: tuple[str, ...],
    labels: tuple[str, ...],
    subtask_titles: tuple[str, ...],
) -> None:
    """Create a task (and its subtasks, in one request)."""
    st = state()
    created = st.client.create_task(
        title,
        description=description,
        priority=priority and priority.lower(),
        status=status and status.lower(),
        projectId=st.project_id(),
        parentId=parent_id,
        dependencies=list(dependencies) or None,
        labels=list(labels) or None,
        subtasks=[{"title": t} for t in subtask_titles] or None,
    )
    st.emit(created, lambda t: output.echo(f"Created {t['id']}: {t.get('title', '')}"))


@task.command("get")
@click.argument("task_id", type=ID)
@global_options
@examples("maestro task get task_7kq2m9x4")
def get_task(task_id: str) -> None:
    """Show a task with its subtasks."""
    st = state()
    st.emit(st.client.get_task(task_id), print_task)


@task.command("update")
@click.argument("task_id", type=ID)
@click.option("--title", type=TEXT)
@click.option("--description", "-d")
@click.option("--status", type=TASK_STATUS)
@click.option("--priority", "-p", type=TASK_PRIORITY)
@click.option("--parent", "parent_id", type=ID, help="Move under this task.")
@click.option("--label", "labels", type=TEXT, multiple=True, help="Replace the labels (repeat).")
@click.option("--depends-on", "dependencies", type=ID, multiple=True, help="Replace dependencies.")
@click.option(
    "--if-version",
    type=click.IntRange(min=0),
    help="Only if the task is still at this version (else exit 1, version_mismatch).",
)
@global_options
@examples(
    "maestro task update task_7kq2m9x4 --status in_progress",
    "maestro task update task_7kq2m9x4 --priority urgent --if-version 3",
)
def update_task(
    task_id: str,
    title: str | None,
    description: str | None,
    status: str | None,
    priority: str | None,
    parent_id: str | None,
    labels: tuple[str, ...],
    dependencies: tuple[str, ...],
    if_version: int | None,
) -> None:
    """Change the named fields of a task; the others stay as they are."""
    fields: dict[str, Any] = {
        "title": title,
        "description": description,
        "status": status and status.lower(),
        "priority": priority and priority.lower(),
        "parentId": parent_id,
        "labels": list(labels) or None,
        "dependencies": list(dependencies) or None,
    }
    fields = {key: value for key, value in fields.items() if value is not None}
    if not fields:
        raise InputError(
            "nothing to update: give --title, --description, --status, --priority, --parent, "
            "--label or --depends-on"
        )
    st = state()
    updated = st.client.update_task(task_id, fields, version=if_version)
    st.emit(updated, lambda t: output.echo(f"Updated {t['id']}: {t.get('title', '')}"))


@task.command("complete")
@click.argument("task_id", type=ID, required=False)
@click.option("--message", "-m", type=TEXT, help="A closing note for the task's timeline.")
@global_options
@examples(
    "maestro task complete task_7kq2m9x4",
    'maestro task complete -m "All tests pass"   # in a spawned session: its task',
)
def complete_task(task_id: str | None, message: str | None) -> None:
    """Mark a task completed (default: the spawned session's task)."""
    st = state()
    (chosen,) = session_task_ids(task_id, action="complete")
    done = st.client.complete_task(chosen, message)
    st.emit(done, lambda t: output.echo(f"Completed {t['id']}: {t.get('title', '')}"))


@task.command("block")
@click.argument("task_id", type=ID, required=False)
@click.option("--reason", "-r", type=TEXT, required=True, help="What the task waits for.")
@global_options
@examples('maestro task block task_7kq2m9x4 --reason "Needs the API key"')
def block_task(task_id: str | None, reason: str) -> None:
    """Mark a task blocked, with the reason (default: the spawned session's task)."""
    st = state()
    (chosen,) = session_task_ids(task_id, action="block")
    blocked = st.client.block_task(chosen, reason)
    st.emit(blocked, lambda t: output.echo(f"Blocked {t['id']}: {reason}"))


@task.command("delete")
@click.argument("task_id", type=ID)
@click.option("--recursive", is_flag=True, help="Also delete its child tasks.")
@global_options
@examples("maestro task delete task_7kq2m9x4", "maestro task delete task_7kq2m9x4 --recursive")
def delete_task(task_id: str, recursive: bool) -> None:
    """Delete a task and its subtasks (child tasks only with --recursive)."""
    st = state()
    st.client.delete_task(task_id, recursive=recursive)
    st.emit({"id": task_id, "deleted": True}, lambda d: output.echo(f"Deleted {d['id']}"))


@task.command("tree")
@click.argument("task_id", type=ID, required=False)
@global_options
@examples("maestro task tree", "maestro task tree task_7kq2m9x4 --json")
def tree(task_id: str | None) -> None:
    """Show the task hierarchy (parent tasks, child tasks, subtasks)."""
    st = state()
    project_id = st.project_id()
    if task_id:
        project_id = st.client.get_task(task_id, include_subtasks=False).get("projectId")
    tasks = st.client.list_tasks(project_id=project_id, include_subtasks=True)
    roots = build_tree(tasks, root_id=task_id)
    st.emit(roots, print_tree)


def build_tree(
    tasks: Sequence[Mapping[str, Any]], *, root_id: str | None = None
) -> list[dict[str, Any]]:
    """Nest tasks by parentId: each node is the task plus `children`, oldest first."""
    nodes = {t["id"]: {**t, "children": []} for t in tasks}
    roots: list[dict[str, Any]] = []
    for node in sorted(nodes.values(), key=lambda n: (n.get("createdAt") or "", n["id"])):
        parent = nodes.get(node.get("parentId") or "")
        (parent["children"] if parent else roots).append(node)
    if root_id is not None:
        return [nodes[root_id]] if root_id in nodes else []
    return roots


def print_tree(roots: Sequence[Mapping[str, Any]]) -> None:
    if not roots:
        output.echo("No tasks.")
        return
    for node in roots:
        _print_node(node, prefix="", last=True, top=True)


def _print_node(node: Mapping[str, Any], *, prefix: str, last: bool, top: bool = False) -> None:
    branch = "" if top else ("└── " if last else "├── ")
    label = f"{node['id']}  [{output.status_word(node.get('status'))}] {node.get('title', '')}"
    output.echo(prefix + branch + label)
    inner = prefix if top else prefix + ("    " if last else "│   ")
    children = node.get("children") or []
    for subtask in node.get("subtasks") or []:
        rail = "│   " if children else "    "
        output.echo(f"{inner}{rail}{checkbox(subtask)} {subtask.get('title', '')}")
    for index, child in enumerate(children):
        _print_node(child, prefix=inner, last=index == len(children) - 1)


@task.command("next")
@global_options
@examples("maestro task next", "maestro task next --json")
def next_task() -> None:
    """Show the most urgent `todo` task whose dependencies are all completed."""
    st = state()
    tasks = st.client.list_tasks(project_id=st.project_id())
    st.emit(pick_next(tasks), lambda t: print_task(t) if t else output.echo("No task is ready."))


def pick_next(tasks: Sequence[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """Highest priority first, then the oldest; a dependency outside the list counts as not done."""
    status = {t["id"]: t.get("status") for t in tasks}
    ready = [
        t
        for t in tasks
        if t.get("status") == "todo"
        and all(status.get(dep) == "completed" for dep in t.get("dependencies") or [])
    ]
    medium = PRIORITY_RANK["medium"]
    ready.sort(
        key=lambda t: (PRIORITY_RANK.get(t.get("priority"), medium), t.get("createdAt") or "")
    )
    return ready[0] if ready else None
