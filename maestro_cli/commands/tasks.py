"""`maestro task ...`: list, create, get, update, start, complete, block, delete, tree; next,
claim and release (who works on what); log (what happened, as it happens)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import click

from maestro_jupyter.vocabulary import RESOLVED_TASK_STATUSES

from .. import output, timeline
from ..context import (
    ID,
    TASK_PRIORITY,
    TASK_STATUS,
    TEXT,
    InputError,
    acting_session,
    current_session,
    examples,
    force_option,
    global_options,
    session_option,
    session_task_ids,
    session_tasks,
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
                ("claimed by", task.get("claimedBy")),
                ("claimed", task.get("claimedAt")),
                ("created", task.get("createdAt")),
                ("created by", task.get("createdBy")),
                ("updated", task.get("updatedAt")),
                ("updated by", task.get("updatedBy")),
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
    if task.get("latestEntries"):
        output.echo()
        timeline.print_latest(task["latestEntries"])


def with_latest_entries(task: dict[str, Any]) -> dict[str, Any]:
    """The task and its latest timeline entries (`latestEntries`, oldest first)."""
    entries = state().client.list_timeline(task["id"])
    return {**task, "latestEntries": entries[-timeline.LATEST :]}


def open_task(task: Mapping[str, Any]) -> bool:
    return task.get("status") not in RESOLVED_TASK_STATUSES


def checkbox(subtask: Mapping[str, Any]) -> str:
    return output.style("[x]", "green") if subtask.get("completed") else "[ ]"


@task.command("list")
@click.option("--status", "statuses", type=TASK_STATUS, multiple=True, help="Only these (repeat).")
@click.option("--parent", "parent_id", type=ID, help="Only the children of this task.")
@click.option("--top-level", is_flag=True, help="Only tasks without a parent.")
@click.option("--search", "-q", "query", help="Text to find in title or description.")
@click.option(
    "--ready",
    is_flag=True,
    help="Only tasks a session could claim now (todo, unclaimed, dependencies met), most "
    "urgent first.",
)
@click.option("--limit", type=click.IntRange(min=1), help="At most this many tasks.")
@global_options
@examples(
    "maestro task list",
    "maestro task list --status todo --status in_progress --json",
    "maestro task list --ready",
)
def list_tasks(
    statuses: tuple[str, ...],
    parent_id: str | None,
    top_level: bool,
    query: str | None,
    ready: bool,
    limit: int | None,
) -> None:
    """List tasks (of the current project, if one is set).

    A task is ready when it is `todo`, no session has claimed it, and each of its
    dependencies is completed or cancelled.
    """
    if parent_id and top_level:
        raise InputError("give either --parent or --top-level, not both")
    st = state()
    tasks = st.client.list_tasks(
        project_id=st.project_id(),
        status=[s.lower() for s in statuses],
        parent_id="null" if top_level else parent_id,
        q=query,
        ready=ready,
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
@examples("maestro task get task_7kq2m9x4", "maestro task get task_7kq2m9x4 --json")
def get_task(task_id: str) -> None:
    """Show a task with its subtasks and its latest timeline entries (`task log` has them all)."""
    st = state()
    st.emit(with_latest_entries(st.client.get_task(task_id)), print_task)


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
@force_option
@global_options
@examples(
    "maestro task update task_7kq2m9x4 --status in_progress",
    "maestro task update task_7kq2m9x4 --priority urgent --if-version 3",
    "maestro task update task_7kq2m9x4 --status completed --force",
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
    force: bool,
) -> None:
    """Change the named fields of a task; the others stay as they are.

    Moving it to in_progress or completed while a dependency is open is refused (exit 1,
    dependencies_unmet, naming them) unless --force. Inside a session the change is credited
    to it.
    """
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
    updated = st.client.update_task(
        task_id, fields, version=if_version, force=force, session_id=current_session()
    )
    st.emit(updated, lambda t: output.echo(f"Updated {t['id']}: {t.get('title', '')}"))


@task.command("start")
@click.argument("task_id", type=ID, required=False)
@force_option
@global_options
@examples("maestro task start task_7kq2m9x4", "maestro task start task_7kq2m9x4 --force")
def start_task(task_id: str | None, force: bool) -> None:
    """Mark a task in_progress (default: the session's task).

    Refused while a dependency is open unless --force. To take a task for a session so that no
    other takes it too, use `maestro task claim`.
    """
    st = state()
    (chosen,) = session_task_ids(task_id, action="start", wanted=open_task)
    started = st.client.update_task(
        chosen, {"status": "in_progress"}, force=force, session_id=current_session()
    )
    st.emit(started, lambda t: output.echo(f"Started {t['id']}: {t.get('title', '')}"))


@task.command("complete")
@click.argument("task_id", type=ID, required=False)
@click.option("--message", "-m", type=TEXT, help="A closing note for the task's timeline.")
@force_option
@global_options
@examples(
    "maestro task complete task_7kq2m9x4",
    'maestro task complete -m "All tests pass"   # in a session: its open task',
)
def complete_task(task_id: str | None, message: str | None, force: bool) -> None:
    """Mark a task completed (default: the session's open task).

    Refused while a dependency is open (exit 1, dependencies_unmet) unless --force.
    """
    st = state()
    (chosen,) = session_task_ids(task_id, action="complete", wanted=open_task)
    done = st.client.complete_task(chosen, message, session_id=current_session(), force=force)
    st.emit(done, lambda t: output.echo(f"Completed {t['id']}: {t.get('title', '')}"))


@task.command("block")
@click.argument("task_id", type=ID, required=False)
@click.option("--reason", "-r", type=TEXT, required=True, help="What the task waits for.")
@global_options
@examples('maestro task block task_7kq2m9x4 --reason "Needs the API key"')
def block_task(task_id: str | None, reason: str) -> None:
    """Mark a task blocked, with the reason (default: the session's open task)."""
    st = state()
    (chosen,) = session_task_ids(task_id, action="block", wanted=open_task)
    blocked = st.client.block_task(chosen, reason, session_id=current_session())
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
@click.option(
    "--claim",
    is_flag=True,
    help="Take it for the session, atomically: no other session gets the same task.",
)
@session_option
@global_options
@examples(
    "maestro task next",
    "maestro task next --claim --json   # in a session: take the next task",
    "maestro task next --claim --session sess_4hd81kxz --project proj_k2x9",
)
def next_task(claim: bool, session_id: str | None) -> None:
    """Show the most urgent ready task, or with --claim take it (exit 0 and `data: null` when
    nothing is ready).

    Ready: `todo`, unclaimed, every dependency completed or cancelled; urgent first, then the
    oldest. --claim sets it in_progress, claimed by the session and linked to it, and writes a
    `claim` entry on its timeline; it takes from --project, else the session's project.
    """
    st = state()
    if claim:
        acting = acting_session(session_id, action="claim a task")
        found = st.client.claim_task(acting, project_id=st.project)
    else:
        ready = st.client.list_tasks(project_id=st.project_id(), ready=True, limit=1)
        found = ready[0] if ready else None
    verb = "Claimed" if claim else None
    st.emit(found, lambda t: _print_found(t, verb))


def _print_found(task: Mapping[str, Any] | None, verb: str | None) -> None:
    if task is None:
        output.echo("No task is ready.")
    elif verb:
        output.echo(f"{verb} {task['id']}: {task.get('title', '')}")
    else:
        print_task(task)


@task.command("claim")
@click.argument("task_id", type=ID)
@force_option
@session_option
@global_options
@examples(
    "maestro task claim task_7kq2m9x4",
    "maestro task claim task_7kq2m9x4 --session sess_4hd81kxz --force",
)
def claim_task(task_id: str, force: bool, session_id: str | None) -> None:
    """Take a given task for the session: in_progress, claimed by it, linked to it.

    Refused (exit 1) when another live session holds it (the message names it), when it is
    completed or cancelled, or while a dependency is open unless --force. A claim held by a
    session that has ended is taken over.
    """
    st = state()
    acting = acting_session(session_id, action="claim a task")
    claimed = st.client.claim_task(acting, task_id, force=force)
    st.emit(claimed, lambda t: _print_found(t, "Claimed"))


@task.command("release")
@click.argument("task_id", type=ID, required=False)
@session_option
@global_options
@examples(
    "maestro task release   # in a session: the task it holds",
    "maestro task release task_7kq2m9x4",
)
def release_task(task_id: str | None, session_id: str | None) -> None:
    """Give a claimed task back: no session holds it, and an in_progress task is todo again.

    With a session (--session or MAESTRO_SESSION_ID) only its own claim is released, and with
    no TASK_ID the task it holds is. Outside a session a person may release any claim.
    """
    st = state()
    acting = session_id or current_session()
    if task_id is None:
        if acting is None:
            raise InputError("give a TASK_ID to release (MAESTRO_SESSION_ID is not set)")
        task_id = _held_task(acting)
    released = st.client.release_task(task_id, session_id=acting)
    st.emit(released, lambda t: output.echo(f"Released {t['id']}: {t.get('title', '')}"))


def _held_task(session_id: str) -> str:
    client = state().client
    linked = client.get_session(session_id)["taskIds"]
    held = [
        t
        for t in linked
        if client.get_task(t, include_subtasks=False).get("claimedBy") == session_id
    ]
    if len(held) == 1:
        return held[0]
    if not held:
        raise InputError(f"{session_id} holds no task: give the TASK_ID to release")
    raise InputError(f"{session_id} holds several tasks ({', '.join(held)}): give the TASK_ID")


@task.command("log")
@click.argument("task_id", type=ID, required=False)
@click.option(
    "--since",
    "after",
    type=timeline.SINCE,
    metavar="N|AGE|TIME",
    help="Only entries after the Nth (as numbered here), newer than an AGE (10m, 2h, 1d), or "
    "after a TIME (2025-03-01T14:00:00Z).",
)
@click.option(
    "--follow", "-f", is_flag=True, help="Then print new entries as they come, until Ctrl-C."
)
@global_options
@examples(
    "maestro task log task_7kq2m9x4",
    "maestro task log task_7kq2m9x4 --since 12",
    "maestro task log task_7kq2m9x4 --follow --since 10m",
)
def log(task_id: str | None, after: int | datetime | None, follow: bool) -> None:
    """Show a task's timeline: when, who (session or person), kind and message, numbered.

    Default: the current session's tasks, merged. With --follow new entries stream from the
    events socket; with --json they come one envelope per line.
    """
    st = state()
    task_ids = [task_id] if task_id else _logged_session_tasks()
    # Followed from the seq before the read: what is written meanwhile arrives as an event too,
    # and is recognised by its id.
    since_seq = st.client.last_seq() if follow else 0
    entries = _read_log(task_ids)
    first, shown = timeline.since(entries, after)
    if follow:
        _follow_log(task_ids, since_seq, entries, first)
    else:
        st.emit(shown, lambda e: timeline.print_log(e, first=first, with_task=len(task_ids) > 1))


def _logged_session_tasks() -> list[str]:
    task_ids = session_tasks()
    if not task_ids:
        raise InputError("give a TASK_ID (not inside a session with tasks)")
    return task_ids


def _read_log(task_ids: Sequence[str]) -> list[Mapping[str, Any]]:
    client = state().client
    return timeline.merged(client.list_timeline(task_id) for task_id in task_ids)


def _follow_log(
    task_ids: list[str], since_seq: int, entries: list[Mapping[str, Any]], first: int
) -> None:
    """Print the entries from number `first`, then each new entry of the tasks as it is
    written, until Ctrl-C (exit 0) or until every task is deleted."""
    st = state()
    with_task = len(task_ids) > 1
    seen = {entry["id"] for entry in entries}
    count = len(entries)

    def show(entry: Mapping[str, Any], number: int) -> None:
        if st.json:
            output.echo(output.dumps({"success": True, "data": entry}))
        else:
            shown_entry = output.neutralised(entry)
            output.echo(timeline.line(shown_entry, number=number, with_task=with_task))

    if not st.json:
        output.echo(timeline.header(with_task=with_task))
    for number, entry in enumerate(entries[first - 1 :], start=first):
        show(entry, number)
    following = set(task_ids)
    try:
        for event in st.client.events(since_seq):
            name, data = event.get("event"), event.get("data") or {}
            if event.get("type") == "resync" or name == "store:imported":
                fresh = [e for e in _read_log(sorted(following)) if e["id"] not in seen]
            elif name == "timeline:created" and data.get("taskId") in following:
                fresh = [data] if data.get("id") not in seen else []
            elif name == "task:deleted" and data.get("id") in following:
                following.discard(data["id"])
                output.echo(f"Task {data['id']} was deleted.", err=True)
                if not following:
                    return
                continue
            else:
                continue
            for entry in fresh:
                seen.add(entry["id"])
                count += 1
                show(entry, count)
    except KeyboardInterrupt:
        return
