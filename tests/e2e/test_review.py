"""The Review view of a worktree session: its changed files, a side-by-side text diff, a
notebook diffed cell by cell, and Merge from the button putting the commit in the main repo.

The session's worktree is made with the git package and recorded on the session through the
server's own store (the spawner's isolation lands separately), before Lab is opened."""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from maestro_jupyter.git import create_worktree
from maestro_jupyter.store import Store

from .lab import LabServer
from .pages import LabPage, eventually


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout.strip()


def notebook(*sources: str) -> str:
    cells = [
        {
            "id": f"cell-{index}",
            "cell_type": "code",
            "metadata": {},
            "source": source,
            "outputs": [],
            "execution_count": None,
        }
        for index, source in enumerate(sources)
    ]
    return json.dumps(
        {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}, indent=1
    )


@pytest.fixture
def worktree_session(lab_server: LabServer, workspace: str) -> dict[str, Any]:
    repo = lab_server.workdir / f"repo-{workspace}"[:40]
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "user.email", "test@example.invalid")
    git(repo, "config", "user.name", "Test")
    (repo / "notes.txt").write_text("alpha\nbeta\ngamma\n")
    (repo / "analysis.ipynb").write_text(notebook("x = 1", "print(x)"))
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "base")

    project = lab_server.api("POST", "projects", {"name": workspace[:60], "workingDir": str(repo)})
    task = lab_server.api(
        "POST", "tasks", {"title": "Change the notes", "projectId": project["id"]}
    )
    session = lab_server.api(
        "POST",
        "sessions",
        {"name": "reviewed", "projectId": project["id"], "taskIds": [task["id"]]},
    )
    # Playwright's sync API holds this thread's event loop: the git call runs on its own.
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        made = pool.submit(
            asyncio.run,
            create_worktree(repo, session_id=session["id"], slug="notes", base_branch="main"),
        ).result()
    store = Store(f"sqlite:///{lab_server.env['MAESTRO_HOME']}/maestro.db")
    try:
        store.update_session(
            session["id"],
            isolation="worktree",
            worktree=made["worktree"],
            branch=made["branch"],
            base_commit=made["baseCommit"],
        )
    finally:
        store.engine.dispose()
    worktree = Path(made["worktree"])
    (worktree / "notes.txt").write_text("alpha\nBETA changed\ngamma\n")
    (worktree / "analysis.ipynb").write_text(notebook("x = 2", "print(x)", "x * 10"))
    return {"repo": repo, "session": session, "branch": made["branch"]}


def test_review_shows_text_and_notebook_diffs_and_merges(
    lab_server: LabServer, context: Any, workspace: str, worktree_session: dict[str, Any]
) -> None:
    session_id = worktree_session["session"]["id"]
    repo: Path = worktree_session["repo"]
    head_before = git(repo, "rev-parse", "HEAD")
    lab = LabPage(context.new_page(), lab_server).open(workspace)
    lab.wait_until_live()
    lab.page.evaluate(
        "id => window.jupyterapp.commands.execute('maestro:review-session', {sessionId: id})"
        ".then(() => null)",
        session_id,
    )
    review = lab.page.locator(f'.maestro-Review[data-session-id="{session_id}"]')
    files = review.get_by_label("Changed files")
    files.locator('[data-path="notes.txt"]').wait_for()
    files.locator('[data-path="analysis.ipynb"]').wait_for()

    files.locator('[data-path="notes.txt"]').click()
    changed = review.locator(".maestro-Diff-changed")
    changed.first.wait_for()
    assert changed.locator(".maestro-DiffLeft").inner_text() == "beta"
    assert changed.locator(".maestro-DiffRight").inner_text() == "BETA changed"

    files.locator('[data-path="analysis.ipynb"]').click()
    cells = review.locator(".maestro-CellDiff")
    eventually(lambda: cells.count() == 3)
    kinds = [cells.nth(i).get_attribute("data-cell-change") for i in range(3)]
    assert kinds == ["modified", "unchanged", "added"]
    assert "x = 2" in cells.nth(0).locator(".maestro-DiffRight").inner_text()
    assert "x = 1" in cells.nth(0).locator(".maestro-DiffLeft").inner_text()
    assert "x * 10" in cells.nth(2).inner_text()

    review.get_by_role("button", name="Merge", exact=True).click()
    review.locator(".maestro-ReviewNotice", has_text="Merged").wait_for()
    assert git(repo, "rev-parse", "HEAD") != head_before
    assert (repo / "notes.txt").read_text() == "alpha\nBETA changed\ngamma\n"
    assert "x * 10" in (repo / "analysis.ipynb").read_text()
    assert git(repo, "status", "--porcelain") == ""
