"""A worktree per session (issue 15), on real git repositories inside the server's root: the
agent works in its own worktree and branch, the main tree is untouched, concurrent spawns on
one repository each get theirs, and `isolation: none` runs in the project's folder."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from tests.git_support import branches, head, sample_repository, status, worktree_paths

from .conftest import script, wait_for, wait_for_status

pytestmark = pytest.mark.timeout(180)

# Changes a tracked file and adds one, then says where it ran and what it was told.
WRITER = (
    'echo "changed by the agent" > notes.txt; echo new > agent-file.txt; '
    'printf \'{"pwd": "%s", "worktree": "%s", "branch": "%s"}\' "$(pwd -P)" '
    '"$MAESTRO_WORKTREE" "$MAESTRO_BRANCH" > "$1/$MAESTRO_SESSION_ID.tmp"; '
    'mv "$1/$MAESTRO_SESSION_ID.tmp" "$1/$MAESTRO_SESSION_ID.json"'
)


@pytest.fixture
def maestro_config(maestro_config: dict[str, Any], records: Path) -> dict[str, Any]:
    return {
        **maestro_config,
        "agents": {**maestro_config["agents"], "writer": script(records, WRITER)},
    }


@pytest.fixture
def repository(jp_root_dir: Path) -> Path:
    return sample_repository(jp_root_dir)


async def project_on(api: Any, folder: Path) -> dict[str, Any]:
    reply = await api("POST", "projects", {"name": "Repo", "workingDir": str(folder)})
    assert reply.status == 201, reply
    return reply.json


async def spawn(api: Any, body: dict[str, Any]) -> dict[str, Any]:
    reply = await api("POST", "sessions/spawn", {"agent": "writer", **body})
    assert reply.status == 201, reply
    return reply.json


async def ran(records: Path, session_id: str) -> dict[str, str]:
    path = records / f"{session_id}.json"
    await wait_for(path.exists)
    return json.loads(path.read_text())


async def test_the_agent_works_in_its_worktree_and_the_main_tree_is_untouched(
    api, records, repository, maestro_home, spawner
):
    base = head(repository)
    project = await project_on(api, repository)
    assert project["baseBranch"] == "main"
    task = await api("POST", "tasks", {"title": "Fix the notes!", "projectId": project["id"]})
    session = await spawn(api, {"taskIds": [task.json["id"]]})

    worktree = str((repository / "maestro-worktrees" / session["id"]).resolve())
    assert session["isolation"] == "worktree" and session["worktree"] == worktree
    assert session["branch"] == f"maestro/fix-the-notes-{session['id']}"
    assert session["baseCommit"] == base and session["cwd"] == worktree
    told = await ran(records, session["id"])
    assert told == {"pwd": worktree, "worktree": worktree, "branch": session["branch"]}
    await wait_for_status(api, session["id"], "completed")

    assert (Path(worktree) / "notes.txt").read_text() == "changed by the agent\n"
    assert (repository / "notes.txt").read_text() == "one\ntwo\nthree\n"
    assert not (repository / "agent-file.txt").exists()
    assert status(repository) == "" and head(repository) == base  # worktrees are excluded
    brief = (maestro_home / "sessions" / session["id"] / "brief.md").read_text()
    assert session["branch"] in brief and "merged" in brief


async def test_ten_concurrent_spawns_on_one_repository_get_ten_worktrees(
    api, records, repository, spawner
):
    project = await project_on(api, repository)
    sessions = await asyncio.gather(*(spawn(api, {"projectId": project["id"]}) for _ in range(10)))
    worktrees = {session["worktree"] for session in sessions}
    assert len(worktrees) == 10 and None not in worktrees
    assert set(worktree_paths(repository)[1:]) == worktrees
    assert len([name for name in branches(repository) if name.startswith("maestro/")]) == 10
    for session in sessions:
        assert (await ran(records, session["id"]))["pwd"] == session["worktree"]
    assert status(repository) == ""


async def test_isolation_none_runs_in_the_projects_folder(api, records, repository, spawner):
    project = await project_on(api, repository)
    session = await spawn(api, {"projectId": project["id"], "isolation": "none"})
    assert session["isolation"] == "none" and session["worktree"] is None
    assert session["cwd"] == str(repository.resolve())
    assert (await ran(records, session["id"]))["pwd"] == str(repository.resolve())
    assert worktree_paths(repository)[1:] == []


async def test_a_worktree_needs_a_repository(api, work_dir, spawner):
    project = await project_on(api, work_dir)
    assert project["baseBranch"] is None
    # By default a folder that is not a repository is shared; asked for, a worktree is refused.
    shared = await spawn(api, {"projectId": project["id"]})
    assert shared["isolation"] == "none" and shared["cwd"] == str(work_dir.resolve())
    # The running agent's activity may change meanwhile: the refusal must add no session.
    before = [s["id"] for s in (await api("GET", "sessions")).json["items"]]
    reply = await api(
        "POST", "sessions/spawn", {"projectId": project["id"], "isolation": "worktree"}
    )
    assert reply.status == 422 and reply.json["details"]["errors"][0]["field"] == "isolation"
    assert [s["id"] for s in (await api("GET", "sessions")).json["items"]] == before
