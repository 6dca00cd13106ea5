"""`maestro session ...`: agent sessions, each running in a terminal tab of JupyterLab (or
registered from a terminal Maestro did not open): spawn, message, wait for, assign, read."""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Mapping, Sequence
from typing import Any

import click

from maestro_jupyter.vocabulary import ACTIVE_SESSION_STATUSES

from .. import output, timeline
from ..context import (
    DURATION,
    ID,
    ROLE,
    SESSION_STATUS,
    TEXT,
    InputError,
    current_session,
    examples,
    force_option,
    global_options,
    state,
)

# What a terminal must not receive from `session send`: C0 controls but newline and tab, DEL,
# and C1 controls (the server refuses them too, with 422).
SEND_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
UNTIL = ("ended", "needs-input", "any")


@click.group()
def session() -> None:
    """Sessions: agents working in terminals, on tasks."""


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
                ("activity", _activity(session)),
                ("role", session.get("role")),
                ("agent", session.get("agent")),
                ("tasks", ", ".join(session.get("taskIds") or [])),
                ("skills", ", ".join(session.get("skills") or [])),
                ("project", session.get("projectId")),
                ("terminal", session.get("terminalName")),
                ("cwd", session.get("cwd")),
                ("worktree", session.get("worktree")),
                ("branch", session.get("branch")),
                ("base commit", (session.get("baseCommit") or "")[:12]),
                ("parent", session.get("parentSessionId")),
                ("resumed from", session.get("resumedFrom")),
                ("source", session.get("spawnSource")),
                ("created", session.get("createdAt")),
                ("created by", session.get("createdBy")),
                ("owner", _owner(session)),
                ("started", session.get("startedAt")),
                ("ended", session.get("endedAt")),
                ("exit code", session.get("exitCode")),
                ("exit signal", session.get("exitSignal")),
                ("last activity", session.get("lastActivity")),
            ]
        )
    )


def _owner(session: Mapping[str, Any]) -> str | None:
    """`user on server`: who the session belongs to and the server whose terminal runs it."""
    owner = session.get("owner") or {}
    user, server = owner.get("user"), owner.get("server")
    if user and server:
        return f"{user} on {server}"
    return user or server


def _activity(session: Mapping[str, Any]) -> str | None:
    activity = session.get("activity")
    if not activity or activity == "unknown":
        return None
    source = session.get("activitySource")
    return f"{activity} (from its {source})" if source else activity


def current_session_id(session_id: str | None) -> str:
    chosen = session_id or current_session()
    if not chosen:
        raise InputError("give a SESSION_ID (MAESTRO_SESSION_ID is not set)")
    return chosen


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
@click.argument("task_ids", type=ID, nargs=-1)
@click.option("--role", type=ROLE, help="Default worker.")
@click.option("--skill", "skills", type=TEXT, multiple=True, help="A skill to brief it with.")
@click.option("--agent", type=TEXT, help="An agent configured on the server (e.g. claude).")
@click.option("--name", type=TEXT, help="Tab title.")
@click.option("--cwd", type=TEXT, help="Working folder, inside the server's root.")
@click.option("--prompt", type=TEXT, help="Extra instructions for the agent.")
@force_option
@global_options
@examples(
    "maestro session spawn task_7kq2m9x4",
    "maestro session spawn task_a1 task_b2 --role orchestrator --agent claude",
    "maestro session spawn --agent claude   # a worker that claims its tasks itself",
)
def spawn_session(
    task_ids: tuple[str, ...],
    role: str | None,
    skills: tuple[str, ...],
    agent: str | None,
    name: str | None,
    cwd: str | None,
    prompt: str | None,
    force: bool,
) -> None:
    """Spawn an agent session: a terminal tab opens in JupyterLab.

    The session claims the tasks given (refused while another live session holds one, or while
    a dependency is open unless --force). With no task it works in the project (--project,
    else the current one) and claims from it with `maestro task next --claim`. It starts in
    --cwd, else the project's working folder.
    """
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
        force=force or None,
    )
    st.emit(spawned, _print_spawned)


def _print_spawned(session: Mapping[str, Any]) -> None:
    work = (
        f"for {output.join(session.get('taskIds'))}"
        if session.get("taskIds")
        else f"to claim from {session.get('projectId') or '-'}"
    )
    output.echo(
        f"Spawned {session['id']} ({output.status_word(session.get('status'))}) {work} "
        f"in terminal {session.get('terminalName') or '-'}"
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


@session.command("send")
@click.argument("session_id", type=ID)
@click.argument("text", type=TEXT)
@click.option(
    "--no-submit",
    is_flag=True,
    help="Type the text without pressing Enter after it.",
)
@global_options
@examples(
    'maestro session send sess_4hd81kxz "Use the v2 API, and add a test for the retry"',
    'maestro session send sess_4hd81kxz "y" --no-submit',
    'maestro session send sess_4hd81kxz -- "-v"   # a TEXT that starts with a dash',
)
def send(session_id: str, text: str, no_submit: bool) -> None:
    """Type TEXT into a running session's terminal, then Enter, as a person at its keyboard
    would: an agent such as Claude Code takes it as a prompt.

    It goes on the session's tasks' timelines as a `message` from you (or from the current
    session), and a session waiting for input is running again. Refused for an ended session
    (exit 1) and for control characters other than newline and tab (exit 2).
    """
    bad = SEND_CONTROLS.search(text)
    if bad:
        raise InputError(
            f"TEXT holds the control character {output.neutralised(bad.group())}: only "
            "newlines and tabs may be typed into a terminal"
        )
    st = state()
    sent = st.client.send_input(session_id, text, submit=not no_submit)
    enter = "" if no_submit else ", then Enter"
    st.emit(sent, lambda s: output.echo(f"Sent {len(text)} characters to {s['id']}{enter}"))


@session.command("wait")
@click.argument("session_ids", type=ID, nargs=-1)
@click.option(
    "--until",
    type=click.Choice(UNTIL),
    default="ended",
    show_default=True,
    help="ended: every session has ended; needs-input: one asks for input; any: one has ended "
    "or asks for input.",
)
@click.option(
    "--timeout",
    type=DURATION,
    help="Give up after this long (30s, 5m; a bare number is seconds): exit 1.",
)
@global_options
@examples(
    "maestro session wait sess_4hd81kxz sess_9pq2m1xa",
    "maestro session wait --until any --timeout 10m   # the sessions this one spawned",
)
def wait(session_ids: tuple[str, ...], until: str, timeout: float | None) -> None:
    """Wait until sessions end or ask for input, following the events socket (no polling).

    Default: the active sessions the current session spawned; outside a session, every active
    session. Exit 0 when the condition holds (at once if it already does), 1 on timeout or
    when it never can (every session ended, none asking for input), 2 for unknown ids.
    """
    from maestro_jupyter.client.waits import wait_for_sessions
    from maestro_jupyter.errors import MaestroError, NotFound, ValidationFailed

    st = state()
    ids = list(session_ids) or _waited_sessions()
    try:
        outcome = wait_for_sessions(st.client, ids, until=until, timeout=timeout)
    except NotFound as error:
        unknown = error.details.get("sessionIds")
        if not unknown:
            raise
        raise ValidationFailed(error.message, {"sessionIds": unknown}) from None
    states = ", ".join(f"{s['id']} {s.get('status', 'deleted')}" for s in outcome.sessions)
    if outcome.result == "timeout":
        raise MaestroError(
            f"timed out after {timeout:g} s waiting until {until}: {states}",
            outcome.to_json(),
            status=408,
            code="timeout",
        )
    if outcome.result == "unreachable":
        raise MaestroError(
            f"no session can ask for input any more: {states or 'none to wait for'}",
            outcome.to_json(),
            status=409,
            code="unreachable",
        )
    st.emit(outcome.to_json(), _print_waited)


def _waited_sessions() -> list[str]:
    parent = current_session()
    active = state().client.list_sessions(status=list(ACTIVE_SESSION_STATUSES))
    return [s["id"] for s in active if parent is None or s.get("parentSessionId") == parent]


def _print_waited(outcome: Mapping[str, Any]) -> None:
    if not outcome["sessions"]:
        output.echo("No sessions to wait for.")
        return
    print_sessions(outcome["sessions"])


@session.command("register")
@click.option("--task", "task_ids", type=ID, multiple=True, help="A task it works on (repeat).")
@click.option("--name", type=TEXT, help="What the board calls it.")
@click.option("--role", type=ROLE, default="worker", show_default=True)
@click.option("--agent", type=TEXT, help="Which agent runs in it (e.g. claude).")
@global_options
@examples(
    'eval "$(maestro session register --task task_7kq2m9x4 --name "parser work")"',
    'eval "$(maestro session register --role orchestrator)"',
)
def register(task_ids: tuple[str, ...], name: str | None, role: str, agent: str | None) -> None:
    """Register an agent Maestro did not start (e.g. one you run in a Lab terminal) and print
    the `export` lines that make this shell work as that session: eval them.

    The session is `running` from now on, works in the current folder, and has no terminal
    Maestro can type into. Linking tasks does not claim them: `maestro task claim` does.
    """
    st = state()
    registered = st.client.register_session(
        name=name,
        taskIds=list(task_ids),
        projectId=st.project_id(),
        role=role,
        agent=agent,
        cwd=os.getcwd(),
        spawnSource="cli",
    )
    server = st.client.server
    environment = {
        "MAESTRO_SESSION_ID": registered["id"],
        "MAESTRO_TASK_IDS": ",".join(registered.get("taskIds") or []),
        "MAESTRO_PROJECT_ID": registered.get("projectId") or "",
        "MAESTRO_ROLE": registered.get("role") or role,
        "MAESTRO_URL": server.url,
    }
    if server.token:
        environment["MAESTRO_TOKEN"] = server.token
    st.emit({"session": registered, "environment": environment}, _print_exports)


def _print_exports(data: Mapping[str, Any]) -> None:
    output.echo(f"# Maestro session {data['session']['id']}: eval these lines to work as it")
    for name, value in data["environment"].items():
        output.echo(f"export {name}={shlex.quote(str(value))}")


@session.command("assign")
@click.argument("session_id", type=ID)
@click.argument("task_ids", type=ID, nargs=-1, required=True)
@global_options
@examples("maestro session assign sess_4hd81kxz task_7kq2m9x4 task_3mf8a1qz")
def assign(session_id: str, task_ids: tuple[str, ...]) -> None:
    """Link tasks to a session (they are not claimed: the session claims what it takes on)."""
    st = state()
    linked = st.client.link_tasks(session_id, add=task_ids)
    st.emit(linked, _print_linked)


@session.command("unassign")
@click.argument("session_id", type=ID)
@click.argument("task_ids", type=ID, nargs=-1, required=True)
@global_options
@examples("maestro session unassign sess_4hd81kxz task_7kq2m9x4")
def unassign(session_id: str, task_ids: tuple[str, ...]) -> None:
    """Unlink tasks from a session; its claim on them is released (in_progress ones go back to
    todo), so another session can take them."""
    st = state()
    unlinked = st.client.link_tasks(session_id, remove=task_ids)
    st.emit(unlinked, _print_linked)


def _print_linked(session: Mapping[str, Any]) -> None:
    output.echo(f"{session['id']} works on {output.join(session.get('taskIds'))}")


@session.command("log")
@click.argument("session_id", type=ID, required=False)
@global_options
@examples("maestro session log sess_4hd81kxz", "maestro session log   # the current session")
def session_log(session_id: str | None) -> None:
    """Show what a session wrote, across its tasks, oldest first (default: the current one)."""
    st = state()
    entries = st.client.session_timeline(current_session_id(session_id))
    st.emit(entries, lambda e: timeline.print_log(e, with_task=True))


@session.command("resume")
@click.argument("session_id", type=ID)
@global_options
@examples("maestro session resume sess_4hd81kxz")
def resume(session_id: str) -> None:
    """Resume an ended session's agent conversation in a new session, with the same tasks,
    role, agent and folder (Claude Code: `claude --resume`; Codex: `codex resume`).

    Refused (exit 1) while the session still runs, or when its agent's session id is unknown.
    """
    st = state()
    resumed = st.client.resume_session(session_id)
    st.emit(resumed, _print_resumed)


def _print_resumed(session: Mapping[str, Any]) -> None:
    output.echo(
        f"Resumed {session.get('resumedFrom') or '-'} as {session['id']} "
        f"({output.status_word(session.get('status'))}) in terminal "
        f"{session.get('terminalName') or '-'}"
    )


@session.command("diff")
@click.argument("session_id", type=ID, required=False)
@click.option("--stat", is_flag=True, help="Only the changed files and their line counts.")
@global_options
@examples(
    "maestro session diff sess_4hd81kxz --stat",
    "maestro session diff sess_4hd81kxz | less -R",
    "maestro session diff --json   # the current session, as data",
)
def diff(session_id: str | None, stat: bool) -> None:
    """What a session changed in its worktree, against the commit it started from: committed,
    uncommitted and new files (default: the current session).

    Large and binary files are summarised, not shown; notebooks are diffed cell by cell in
    Lab's Review view. Refused (exit 1) for a session without a worktree of its own.
    """
    st = state()
    changes = st.client.session_diff(current_session_id(session_id), stat=stat)
    st.emit(changes, print_diff_stat if stat else print_diff)


def _counts(file: Mapping[str, Any]) -> str:
    if file.get("binary"):
        return "binary"
    added, deleted = file.get("additions"), file.get("deletions")
    if added is None and deleted is None:
        return "-"
    return f"{output.style(f'+{added or 0}', 'green')} {output.style(f'-{deleted or 0}', 'red')}"


def _path(file: Mapping[str, Any]) -> str:
    old = file.get("oldPath")
    return f"{old} -> {file['path']}" if old and old != file["path"] else file["path"]


def _summary_line(changes: Mapping[str, Any]) -> str:
    stats = changes.get("stats") or {}
    count = stats.get("files", 0)
    line = (
        f"{count} file{'' if count == 1 else 's'} changed, "
        f"+{stats.get('additions', 0)} -{stats.get('deletions', 0)}"
    )
    if changes.get("baseCommit"):
        line += f" since {changes['baseCommit'][:12]}"
    if changes.get("truncated"):
        line += " (some diffs left out: too large to show)"
    return line


def print_diff_stat(changes: Mapping[str, Any]) -> None:
    files = changes.get("files") or []
    if not files:
        output.echo("No changes.")
        return
    output.echo(
        output.table(
            files,
            [
                ("STATUS", lambda f: f.get("status") or "-"),
                ("+/-", _counts),
                ("PATH", _path),
            ],
        )
    )
    output.echo(_summary_line(changes))


DIFF_COLORS = (("+++", None), ("---", None), ("+", "green"), ("-", "red"), ("@@", "cyan"))


def _diff_line(line: str) -> str:
    for prefix, color in DIFF_COLORS:
        if line.startswith(prefix):
            return output.style(line, color, bold=color is None)
    return line


def print_diff(changes: Mapping[str, Any]) -> None:
    files = changes.get("files") or []
    if not files:
        output.echo("No changes.")
        return
    for file in files:
        header = f"{file.get('status', 'modified')} {_path(file)}  {_counts(file)}"
        output.echo(output.style(output.one_line(header), bold=True))
        text = file.get("diff")
        if text:
            output.echo("\n".join(_diff_line(line) for line in text.rstrip("\n").split("\n")))
        elif file.get("binary"):
            output.echo("(binary file: not shown)")
        elif file.get("tooLarge"):
            output.echo("(too large to show)")
        elif file["path"].endswith(".ipynb"):
            output.echo("(a notebook: see its cell-by-cell diff in Lab's Review view)")
        else:
            output.echo("(left out: the diffs shown already reach the size limit)")
        output.echo()
    output.echo(_summary_line(changes))


@session.command("merge")
@click.argument("session_id", type=ID)
@click.option("--squash", is_flag=True, help="One commit on the base branch, not a merge commit.")
@global_options
@examples("maestro session merge sess_4hd81kxz", "maestro session merge sess_4hd81kxz --squash")
def merge(session_id: str, squash: bool) -> None:
    """Commit what the session's worktree holds, merge its branch into the project's base branch
    in the main working tree (only when that tree is clean), then remove the worktree and branch.

    A conflict changes nothing: exit 1, naming the conflicting files, and the session's tasks
    say that its branch must be rebased on the base branch.
    """
    from maestro_jupyter.errors import MergeConflict

    st = state()
    try:
        merged = st.client.merge_session(session_id, strategy="squash" if squash else "merge")
    except MergeConflict as conflict:
        files = [str(f) for f in conflict.details.get("files") or []]
        unsaid = [f for f in files if f not in conflict.message]
        if unsaid:
            raise MergeConflict(
                f"{conflict.message.rstrip('. ')} (conflicting files: {', '.join(unsaid)})",
                conflict.details,
            ) from None
        raise
    st.emit(merged, _print_merged)


def _print_merged(merged: Mapping[str, Any]) -> None:
    session = merged.get("session") or {}
    output.echo(
        f"Merged {session.get('branch') or session.get('id', '-')} "
        f"({merged.get('strategy', 'merge')}) as {str(merged.get('commit', ''))[:12]}; "
        "its worktree and branch are removed"
    )


@session.command("discard")
@click.argument("session_id", type=ID)
@global_options
@examples("maestro session discard sess_4hd81kxz")
def discard(session_id: str) -> None:
    """Remove a session's worktree and branch, whatever they hold (nothing is merged)."""
    st = state()
    discarded = st.client.discard_session(session_id)
    st.emit(
        discarded,
        lambda s: output.echo(
            f"Discarded the worktree and branch {s.get('branch') or '-'} of {s['id']}"
        ),
    )
