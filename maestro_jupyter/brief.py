"""The session folder: `manifest.json` (what was spawned) and `brief.md` (what the agent is told).

The brief gathers the role's skills, the request's instructions and the tasks (with subtasks and
recent timeline) into one Markdown file the agent reads at start; its path is MAESTRO_BRIEF in
the terminal. The folder is 0700 and its files 0600: briefs may describe confidential work, so
they travel by file, never in argv (which `ps` shows to every local user).
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from . import paths
from .skills import Skill

BRIEF_FILE = "brief.md"
MANIFEST_FILE = "manifest.json"
TIMELINE_ENTRIES = 20
# One argv item may hold at most 128 KiB on Linux (MAX_ARG_STRLEN): agents that take the brief
# as an argument get it cut there, with a pointer to the full file.
MAX_BRIEF_ARGUMENT = 100_000


def first_prompt(session: dict[str, Any], brief_path: Path) -> str:
    """The opening message of an agent that takes one: where its brief is and how to start.

    It holds no task text (titles, descriptions, the request's instructions): it is an argv
    item. Everything else is in the brief.
    """
    return (
        f"You are the Maestro {session['role']} session {session['id']}. "
        f"Read your brief first: {brief_path} (your role, skills, instructions and tasks). "
        "Then run `maestro whoami`, work as the brief says and report through the `maestro` CLI."
    )


def brief_argument(brief: str, brief_path: Path) -> str:
    """The brief as one argv item, for agents configured with `{brief_text}`."""
    if len(brief) <= MAX_BRIEF_ARGUMENT:
        return brief
    note = f"\n\n[The brief is cut here; read all of it in {brief_path}]"
    return brief[:MAX_BRIEF_ARGUMENT] + note


def render_brief(
    session: dict[str, Any],
    tasks: Sequence[dict[str, Any]],
    timelines: dict[str, list[dict[str, Any]]],
    skills: Sequence[Skill],
    instructions: str | None,
) -> str:
    lines = [
        f"# Maestro {session['role']} session {session['id']}",
        "",
        f"- Session: {session['name']} (`{session['id']}`), role **{session['role']}**, "
        f"agent `{session['agent']}`",
        f"- Project: `{session['projectId']}`; working directory: `{session['cwd']}`",
        f"- Tasks: {', '.join(f'`{task_id}`' for task_id in session['taskIds']) or 'none yet'}",
        "- The `maestro` CLI in this terminal already knows this session and its tasks "
        "(environment variables MAESTRO_URL, MAESTRO_TOKEN, MAESTRO_SESSION_ID, MAESTRO_TASK_IDS).",
        "",
    ]
    if session.get("worktree"):
        lines += [
            "## Your branch",
            "",
            f"You work in your own git worktree `{session['worktree']}`, on the branch "
            f"`{session['branch']}` (from commit `{session['baseCommit']}`); other sessions have "
            "theirs. Commit your work on this branch; never switch branches, merge or push. "
            "Your work is merged into the base branch after review (`maestro session merge`), "
            "and what you leave uncommitted is committed for you then.",
            "",
        ]
    if instructions:
        lines += ["## Instructions", "", instructions.strip(), ""]
    lines += ["## Tasks", ""]
    if not tasks:
        lines += [
            f"No task was given to you: take work from project `{session['projectId']}` with "
            "`maestro task next --claim`, which claims the most urgent ready task for this "
            "session (or says that none is ready). When it is done, claim the next one, until "
            "none is ready.",
            "",
        ]
    for task in tasks:
        lines += _task_section(task, timelines.get(task["id"], []))
    for skill in skills:
        lines += [f"## Skill: {skill.name}", "", skill.instructions, ""]
    return "\n".join(lines).rstrip() + "\n"


def _task_section(task: dict[str, Any], timeline: list[dict[str, Any]]) -> list[str]:
    lines = [
        f"### {task['title']} (`{task['id']}`)",
        "",
        f"Status {task['status']}, priority {task['priority']}"
        + (f"; blocked: {task['blockedReason']}" if task.get("blockedReason") else ""),
    ]
    if task.get("claimedBy"):
        lines.append(f"Claimed by session {task['claimedBy']}")
    if task.get("dependencies"):
        lines.append(f"Depends on: {', '.join(task['dependencies'])}")
    if task.get("description"):
        lines += ["", task["description"].strip()]
    subtasks = task.get("subtasks") or []
    if subtasks:
        lines += ["", "Subtasks:"]
        lines += [
            f"- [{'x' if sub['completed'] else ' '}] {sub['title']} (`{sub['id']}`)"
            for sub in subtasks
        ]
    if timeline:
        lines += ["", "Recent timeline:"]
        lines += [
            f"- {entry['at']} {entry['kind']}: {entry['message']}"
            for entry in timeline[-TIMELINE_ENTRIES:]
        ]
    return [*lines, ""]


def write_session_folder(folder: Path, manifest: dict[str, Any], brief: str) -> Path:
    """Write the folder (private: it may hold the brief of confidential work); return the brief."""
    paths.ensure_private_dir(folder)
    _write_private(folder / MANIFEST_FILE, json.dumps(manifest, indent=2) + "\n")
    brief_path = folder / BRIEF_FILE
    _write_private(brief_path, brief)
    return brief_path


def _write_private(path: Path, text: str) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(descriptor, 0o600)  # a file left from before keeps its mode through O_TRUNC
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)
