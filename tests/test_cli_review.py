"""`maestro session diff|merge|discard|resume` and `maestro worktree list|prune`, in-process
against a real server, on real git repositories inside its root."""

from __future__ import annotations

import asyncio
import secrets
from pathlib import Path
from typing import Any

import pytest

from harness import ServerProcess
from maestro_jupyter import git as maestro_git
from tests.cli_support import (  # noqa: F401
    Maestro,
    add_session,
    cli_env,
    maestro,
    maestro_server,
)
from tests.git_support import branches, head, sample_repository, status, worktree_paths

pytestmark = pytest.mark.timeout(180)


@pytest.fixture
def project(maestro_server: ServerProcess) -> dict[str, Any]:  # noqa: F811
    """A project on a fresh repository inside the server's root."""
    folder = maestro_server.root / "work" / f"repo-{secrets.token_hex(4)}"
    folder.mkdir(parents=True)
    repo = sample_repository(folder)
    return maestro_server.api("POST", "projects", {"name": folder.name, "workingDir": str(repo)})


def worktree_session(server: ServerProcess, project: dict[str, Any], title: str) -> dict:
    """A session with a worktree of its own, as a worktree spawn leaves it."""
    task = server.api("POST", "tasks", {"title": title, "projectId": project["id"]})
    session_id = "sess_" + secrets.token_hex(5)
    made = asyncio.run(
        maestro_git.create_worktree(
            project["workingDir"], session_id=session_id, slug=None, base_branch="main"
        )
    )
    add_session(
        server,
        [task["id"]],
        project_id=project["id"],
        session_id=session_id,
        isolation="worktree",
        worktree=made["worktree"],
        branch=made["branch"],
        baseCommit=made["baseCommit"],
    )
    return {"id": session_id, "task": task, **made}


def test_diff_stat_and_full_diff(
    maestro: Maestro,  # noqa: F811
    maestro_server: ServerProcess,  # noqa: F811
    project: dict[str, Any],
) -> None:
    session = worktree_session(maestro_server, project, "greet louder")
    worktree = Path(session["worktree"])
    (worktree / "src/app.py").write_text("def greet():\n    return 'HELLO\x1b[31m'\n")
    (worktree / "added.txt").write_text("new\nfile\n")
    (worktree / "notes.txt").unlink()

    stat = maestro("session", "diff", session["id"], "--stat")
    assert stat.code == 0, stat.err
    lines = stat.out.splitlines()
    assert lines[0].split() == ["STATUS", "+/-", "PATH"]
    rows = {line.split()[-1]: line.split() for line in lines[1:-1]}
    assert rows["added.txt"] == ["added", "+2", "-0", "added.txt"]
    assert rows["src/app.py"] == ["modified", "+1", "-1", "src/app.py"]
    assert rows["notes.txt"] == ["deleted", "+0", "-3", "notes.txt"]
    # aligned: every path starts in the same column
    assert len({line.index(line.split()[-1]) for line in lines[1:-1]}) == 1
    assert lines[-1].startswith("3 files changed, +3 -4 since ")

    full = maestro("session", "diff", session["id"])
    assert full.code == 0, full.err
    assert "modified src/app.py  +1 -1" in full.out
    assert "+    return 'HELLO\\x1b[31m'" in full.out  # the escape is shown, never sent
    assert "\x1b" not in full.out
    assert "--- a/src/app.py" in full.out and "+++ b/src/app.py" in full.out

    data = maestro("session", "diff", session["id"], "--json").data
    assert {f["path"] for f in data["files"]} == {"added.txt", "src/app.py", "notes.txt"}
    assert all("diff" in f for f in data["files"])
    stat_data = maestro("session", "diff", session["id"], "--stat", "--json").data
    assert all("diff" not in f for f in stat_data["files"]) and stat_data["stats"]["files"] == 3


def test_merge_then_a_conflicting_merge_names_the_files(
    maestro: Maestro,  # noqa: F811
    maestro_server: ServerProcess,  # noqa: F811
    project: dict[str, Any],
) -> None:
    repo = project["workingDir"]
    first = worktree_session(maestro_server, project, "first")
    second = worktree_session(maestro_server, project, "second")
    Path(first["worktree"], "notes.txt").write_text("one\nTWO\nthree\n")
    Path(second["worktree"], "notes.txt").write_text("one\ndeux\nthree\n")

    merged = maestro("session", "merge", first["id"], "--squash")
    assert merged.code == 0, merged.err
    assert merged.out.startswith(f"Merged {first['branch']} (squash) as {head(repo)[:12]}")
    assert "TWO" in Path(repo, "notes.txt").read_text()
    assert first["branch"] not in branches(repo)

    after_first = head(repo)
    conflict = maestro("session", "merge", second["id"])
    assert conflict.code == 1 and conflict.out == ""
    assert conflict.err.count("\n") == 1 and "notes.txt" in conflict.err
    assert conflict.err.startswith("Error: ") and "conflicts" in conflict.err
    assert head(repo) == after_first and status(repo) == ""
    as_json = maestro("session", "merge", second["id"], "--json")
    assert as_json.code == 1
    assert as_json.error["error"] == "merge_conflict"
    assert as_json.error["details"]["files"] == ["notes.txt"]


def test_discard_then_worktree_list_and_prune(
    maestro: Maestro,  # noqa: F811
    maestro_server: ServerProcess,  # noqa: F811
    project: dict[str, Any],
) -> None:
    repo = project["workingDir"]
    kept = worktree_session(maestro_server, project, "kept")
    dropped = worktree_session(maestro_server, project, "dropped")
    orphan = worktree_session(maestro_server, project, "orphan")
    maestro_server.api("DELETE", f"sessions/{orphan['id']}")

    listed = maestro("worktree", "list", "--project", project["id"])
    assert listed.code == 0, listed.err
    rows = {line.split()[0]: line.split() for line in listed.out.splitlines()[1:]}
    assert set(rows) == {kept["id"], dropped["id"], orphan["id"]}
    assert rows[kept["id"]][1] == "session" and rows[orphan["id"]][1] == "orphan"
    assert rows[kept["id"]][3] == kept["branch"]

    discarded = maestro("session", "discard", dropped["id"])
    assert discarded.code == 0, discarded.err
    assert (
        discarded.out
        == f"Discarded the worktree and branch {dropped['branch']} of {dropped['id']}\n"
    )
    assert dropped["branch"] not in branches(repo)
    assert dropped["worktree"] not in worktree_paths(repo)

    pruned = maestro("worktree", "prune", "--project", project["id"], "--json")
    assert pruned.code == 0, pruned.err
    assert [entry["sessionId"] for entry in pruned.data] == [orphan["id"]]
    remaining = maestro("worktree", "list", "--project", project["id"], "--json").data
    assert [entry["sessionId"] for entry in remaining] == [kept["id"]]
    assert maestro("worktree", "prune", "--project", project["id"]).out == "Nothing to prune.\n"


def test_review_of_a_session_without_a_worktree_is_refused_once(
    maestro: Maestro,  # noqa: F811
    maestro_server: ServerProcess,  # noqa: F811
) -> None:
    task = maestro_server.api("POST", "tasks", {"title": "no worktree"})
    session_id = add_session(maestro_server, [task["id"]])
    for command in ("diff", "merge", "discard"):
        run = maestro("session", command, session_id)
        assert run.code == 1 and run.out == ""
        assert run.err.count("\n") == 1 and "has no worktree of its own" in run.err
    assert maestro("session", "diff", "not-an-id").code == 2


def test_resume_opens_a_new_session_linked_to_the_old_one(
    maestro: Maestro,  # noqa: F811
    maestro_server: ServerProcess,  # noqa: F811
) -> None:
    task = maestro_server.api("POST", "tasks", {"title": "resume me"})
    ended = add_session(
        maestro_server,
        [task["id"]],
        status="stopped",
        agent="resumable",
        agentSessionId="8f1e2d3c-conversation",
    )
    resumed = maestro("session", "resume", ended)
    assert resumed.code == 0, resumed.err
    new = maestro_server.api("GET", "sessions?status=running")["items"]
    new = [s for s in new if s.get("resumedFrom") == ended]
    assert len(new) == 1 and new[0]["taskIds"] == [task["id"]]
    assert resumed.out.startswith(f"Resumed {ended} as {new[0]['id']} (running) in terminal ")
    info = maestro("session", "info", new[0]["id"])
    assert f"resumed from  {ended}" in info.out
    assert maestro("session", "stop", new[0]["id"]).code == 0


def test_resume_refusals_are_one_line_and_exit_1(
    maestro: Maestro,  # noqa: F811
    maestro_server: ServerProcess,  # noqa: F811
) -> None:
    task = maestro_server.api("POST", "tasks", {"title": "resume me not"})
    running = add_session(maestro_server, [task["id"]])
    still = maestro("session", "resume", running)
    assert (still.code, still.out) == (1, "")
    assert still.err == f"Error: Session {running} is still running: stop it before resuming it.\n"
    no_id = add_session(maestro_server, [task["id"]], status="stopped", agent="resumable")
    refused = maestro("session", "resume", no_id, "--json")
    assert refused.code == 1 and refused.error["error"] == "conflict"
    assert refused.error["message"] == f"Session {no_id} has no agent session id to resume."
    shell = add_session(maestro_server, [task["id"]], status="stopped")
    assert "no resume command" in maestro("session", "resume", shell).err
    assert maestro("session", "resume", "sess_nothere").code == 1
