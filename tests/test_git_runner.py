"""The git subprocess behind every operation: bounded in time, deaf to a caller's environment
that would point it elsewhere, never prompting, and one lock per repository."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from maestro_jupyter.git import GitFailed, create_worktree, repository_info
from maestro_jupyter.git.repository import open_repository
from maestro_jupyter.git.runner import git, repository_lock
from tests.git_support import make_repository, sample_repository


async def test_a_git_call_that_hangs_is_killed_at_its_timeout(tmp_path: Path):
    repo = sample_repository(tmp_path)
    with pytest.raises(GitFailed) as failed:
        await git(repo, "-c", "alias.hang=!sleep 60", "hang", timeout=0.5)
    assert failed.value.message == "git hang timed out after 0.5 s"
    assert failed.value.status == 409


async def test_a_failure_names_the_command_and_gits_reason(tmp_path: Path):
    repo = sample_repository(tmp_path)
    with pytest.raises(GitFailed) as failed:
        await git(repo, "checkout", "no-such-branch")
    assert failed.value.message.startswith("git checkout failed: error: pathspec")
    assert failed.value.details["command"] == ["git", "checkout"]
    assert failed.value.details["exitCode"] == 1


async def test_no_credential_prompt_ever_waits(tmp_path: Path):
    repo = sample_repository(tmp_path)
    result = await git(repo, "var", "GIT_EDITOR")
    assert result.text == "true"
    environment = await git(repo, "-c", "alias.env=!env", "env")
    assert "GIT_TERMINAL_PROMPT=0" in environment.text.splitlines()


async def test_the_callers_git_environment_never_redirects_a_call(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    repo = sample_repository(tmp_path)
    other = make_repository(tmp_path / "other", {"x.txt": "x\n"}, branch="trunk")
    monkeypatch.setenv("GIT_DIR", str(other / ".git"))
    monkeypatch.setenv("GIT_WORK_TREE", str(other))
    monkeypatch.setenv("GIT_INDEX_FILE", str(other / ".git" / "index"))
    info = await repository_info(repo)
    assert (info["root"], info["baseBranch"]) == (str(repo), "main")
    made = await create_worktree(repo, session_id="sess_env", slug="x", base_branch="main")
    assert Path(made["worktree"]).is_relative_to(repo)


async def test_one_lock_per_repository_whatever_the_path_into_it(tmp_path: Path):
    repo = sample_repository(tmp_path)
    other = make_repository(tmp_path / "other", {"b": "b"})
    made = await create_worktree(repo, session_id="sess_l", slug="x", base_branch="main")
    keys = {
        (await open_repository(path)).common_dir for path in (repo, repo / "src", made["worktree"])
    }
    assert len(keys) == 1
    [key] = keys
    assert repository_lock(key) is repository_lock(key)
    assert repository_lock(key) is not repository_lock((await open_repository(other)).common_dir)


def test_locks_belong_to_their_event_loop(tmp_path: Path):
    async def hold() -> None:
        async with repository_lock(str(tmp_path)):
            await asyncio.sleep(0)

    asyncio.run(hold())
    asyncio.run(hold())  # a second loop gets its own lock, not one bound to the first
