"""Merging sessions on real git repositories: two agents change one file in their worktrees and
the main tree stays untouched; the first merge lands, the second conflicts and is undone with
the main tree's HEAD and files as they were; a dirty or misplaced main tree is refused before
anything changes."""

from __future__ import annotations

from pathlib import Path

import pytest

from maestro_jupyter.errors import Conflict, MergeConflict, NotFound, ValidationFailed
from maestro_jupyter.git import GitFailed, create_worktree, diff, discard, merge
from tests.git_support import (
    branches,
    commit_all,
    git,
    head,
    sample_repository,
    status,
    worktree_paths,
    write,
)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return sample_repository(tmp_path)


async def session(repo: Path, session_id: str, slug: str = "task") -> dict[str, str]:
    return await create_worktree(repo, session_id=session_id, slug=slug, base_branch="main")


def files_of(folder: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
        and ".git" not in path.relative_to(folder).parts
        and "maestro-worktrees" not in path.relative_to(folder).parts
    }


def log(folder: Path, *options: str) -> list[str]:
    return git(folder, "log", "--format=%s", *options).splitlines()


async def test_two_sessions_change_one_file_the_first_merges_the_second_conflicts(repo: Path):
    first, second = await session(repo, "sess_one", "first"), await session(repo, "sess_two")
    write(first["worktree"], {"notes.txt": "one\nTWO (first)\nthree\n"})
    write(second["worktree"], {"notes.txt": "one\nTWO (second)\nthree\n", "extra.txt": "x\n"})
    main_files, main_head = files_of(repo), head(repo)
    assert status(repo) == ""  # nothing the agents do shows in the main tree

    for made, line in ((first, "+TWO (first)"), (second, "+TWO (second)")):
        changes = await diff(made["worktree"], made["baseCommit"])
        notes = next(file for file in changes["files"] if file["path"] == "notes.txt")
        assert line in notes["diff"]

    merged = await merge(
        repo, first["worktree"], first["branch"], "main", message="sess_one: task A"
    )
    assert merged["merged"] is True
    assert merged["commit"] == head(repo) != main_head
    assert (repo / "notes.txt").read_text() == "one\nTWO (first)\nthree\n"
    assert log(repo, "-1") == [f"Merge branch '{first['branch']}'"]
    assert log(repo, "-1", "HEAD^2") == ["sess_one: task A"]  # the worktree's work, committed
    assert git(repo, "log", "-1", "--format=%b").strip() == "sess_one: task A"
    assert status(repo) == ""

    after_first, files_after_first = head(repo), files_of(repo)
    with pytest.raises(MergeConflict) as conflict:
        await merge(repo, second["worktree"], second["branch"], "main", message="sess_two: B")
    assert conflict.value.status == 409
    assert conflict.value.details["files"] == ["notes.txt"]
    assert "notes.txt" in conflict.value.message
    assert head(repo) == after_first
    assert status(repo) == ""
    assert files_of(repo) == files_after_first
    assert not (repo / ".git" / "MERGE_HEAD").exists()
    # The second session's work was committed on its branch, ready for a rebase.
    assert log(Path(second["worktree"]), "-1") == ["sess_two: B"]

    removed = await discard(repo, second["worktree"], second["branch"])
    assert removed == {"worktreeRemoved": True, "branchDeleted": True}
    assert second["branch"] not in branches(repo)
    assert second["worktree"] not in worktree_paths(repo)
    assert files_of(repo) == files_after_first
    assert main_files != files_after_first  # (the first merge did land)


async def test_a_squash_conflict_is_undone_too_new_files_and_message_included(repo: Path):
    first, second = await session(repo, "sess_s1"), await session(repo, "sess_s2")
    write(first["worktree"], {"notes.txt": "changed by one\n"})
    write(second["worktree"], {"notes.txt": "changed by two\n", "brand/new.txt": "new\n"})
    await merge(repo, first["worktree"], first["branch"], "main", strategy="squash", message="A")
    before, files_before = head(repo), files_of(repo)

    with pytest.raises(MergeConflict) as conflict:
        await merge(
            repo, second["worktree"], second["branch"], "main", strategy="squash", message="B"
        )

    assert conflict.value.details["files"] == ["notes.txt"]
    assert (head(repo), status(repo), files_of(repo)) == (before, "", files_before)
    assert not (repo / "brand").exists()
    assert not (repo / ".git" / "SQUASH_MSG").exists()


async def test_squash_makes_one_commit_with_the_message_on_the_base_branch(repo: Path):
    made = await session(repo, "sess_sq")
    write(made["worktree"], {"a.txt": "a\n"})
    commit_all(made["worktree"], "agent step 1")
    write(made["worktree"], {"b.txt": "b\n"})
    base = head(repo)

    merged = await merge(
        repo,
        made["worktree"],
        made["branch"],
        "main",
        strategy="squash",
        message="Maestro session sess_sq: task T1",
    )

    assert log(repo, f"{base}..HEAD") == ["Maestro session sess_sq: task T1"]
    assert git(repo, "rev-list", "--parents", "-1", "HEAD").split()[1:] == [base]
    assert merged["commit"] == head(repo)
    assert merged["worktreeCommit"] == head(Path(made["worktree"]))
    assert (repo / "a.txt").exists() and (repo / "b.txt").exists()
    assert status(repo) == ""
    assert not (repo / ".git" / "SQUASH_MSG").exists()


async def test_uncommitted_and_untracked_work_is_committed_with_the_message(repo: Path):
    made = await session(repo, "sess_u")
    worktree = Path(made["worktree"])
    write(worktree, {"README.md": "# Changed\n", "new.txt": "new\n", ".gitignore": "*.tmp\n"})
    write(worktree, {"scratch.tmp": "ignored\n"})

    merged = await merge(repo, worktree, made["branch"], "main", message="sess_u: do it")

    assert log(worktree, "-1") == ["sess_u: do it"]
    assert merged["worktreeCommit"] == head(worktree)
    assert status(worktree) == ""  # all committed but the ignored file
    assert (repo / "new.txt").read_text() == "new\n"
    assert not (repo / "scratch.tmp").exists()
    assert git(repo, "rev-list", "--parents", "-1", "HEAD").split()[1:] == [
        made["baseCommit"],
        head(worktree),
    ]


async def test_a_dirty_main_tree_refuses_the_merge_and_nothing_changes(repo: Path):
    made = await session(repo, "sess_dirty")
    worktree = Path(made["worktree"])
    write(worktree, {"notes.txt": "agent's\n"})
    write(repo, {"README.md": "# edited by a person\n"})
    git(repo, "add", "README.md")
    write(repo, {"src/app.py": "# also edited\n"})
    before = (head(repo), status(repo), files_of(repo), head(worktree), status(worktree))

    with pytest.raises(Conflict) as refused:
        await merge(repo, worktree, made["branch"], "main", message="m")

    assert not isinstance(refused.value, MergeConflict)
    assert refused.value.message.startswith(
        "the main working tree has uncommitted changes: README.md, src/app.py"
    )
    assert refused.value.details["files"] == ["README.md", "src/app.py"]
    assert (head(repo), status(repo), files_of(repo), head(worktree), status(worktree)) == before


async def test_the_main_tree_must_be_on_the_base_branch_and_not_mid_merge(repo: Path):
    made = await session(repo, "sess_b")
    write(made["worktree"], {"x.txt": "x\n"})
    git(repo, "checkout", "--quiet", "-b", "elsewhere")
    with pytest.raises(Conflict, match="is on elsewhere, not on the base branch main"):
        await merge(repo, made["worktree"], made["branch"], "main", message="m")
    assert status(Path(made["worktree"])) == "?? x.txt\n"  # not committed either

    git(repo, "checkout", "--quiet", "main")
    git(repo, "checkout", "--quiet", "-b", "side")
    write(repo, {"notes.txt": "side\n"})
    commit_all(repo, "side")
    git(repo, "checkout", "--quiet", "main")
    write(repo, {"notes.txt": "main\n"})
    commit_all(repo, "main")
    git(repo, "merge", "side", check=False)  # conflicts: a person's merge, half done
    with pytest.raises(Conflict, match="in the middle of a merge"):
        await merge(repo, made["worktree"], made["branch"], "main", message="m")


async def test_an_untracked_file_in_the_way_is_refused_naming_it(repo: Path):
    made = await session(repo, "sess_w")
    write(made["worktree"], {"report.csv": "agent\n"})
    write(repo, {"report.csv": "a person's own\n"})  # untracked in the main tree
    before = head(repo)

    with pytest.raises(Conflict) as refused:
        await merge(repo, made["worktree"], made["branch"], "main", message="m")

    assert not isinstance(refused.value, MergeConflict)
    assert refused.value.details["files"] == ["report.csv"]
    assert (repo / "report.csv").read_text() == "a person's own\n"
    assert (head(repo), status(repo)) == (before, "?? report.csv\n")


async def test_a_branch_with_nothing_new_leaves_the_base_branch_as_it_is(repo: Path):
    made = await session(repo, "sess_n")
    before = head(repo)
    merged = await merge(repo, made["worktree"], made["branch"], "main", message="m")
    assert (merged["commit"], merged["worktreeCommit"]) == (before, None)
    assert head(repo) == before


async def test_a_discarded_worktree_still_merges_what_its_branch_holds(repo: Path):
    made = await session(repo, "sess_gone")
    write(made["worktree"], {"kept.txt": "kept\n"})
    commit_all(made["worktree"], "committed by the agent")
    git(repo, "worktree", "remove", "--force", made["worktree"])

    merged = await merge(repo, made["worktree"], made["branch"], "main", message="m")

    assert merged["worktreeCommit"] is None
    assert (repo / "kept.txt").read_text() == "kept\n"


async def test_bad_requests_are_refused_before_anything_runs(repo: Path):
    made = await session(repo, "sess_bad")
    write(made["worktree"], {"x.txt": "x\n"})
    cases = [
        ({"strategy": "rebase", "message": "m"}, ValidationFailed),
        ({"message": "   "}, ValidationFailed),
    ]
    for options, error in cases:
        with pytest.raises(error):
            await merge(repo, made["worktree"], made["branch"], "main", **options)
    with pytest.raises(ValidationFailed):
        await merge(repo, made["worktree"], "main", "main", message="m")
    with pytest.raises(ValidationFailed):
        await merge(repo, made["worktree"], made["branch"], "--orphan", message="m")
    with pytest.raises(NotFound):
        await merge(repo, None, "maestro/x-sess_missing", "main", message="m")
    assert status(Path(made["worktree"])) == "?? x.txt\n"
    assert status(repo) == ""


async def test_a_squash_of_changes_the_base_branch_has_already_commits_nothing(repo: Path):
    made = await session(repo, "sess_same")
    write(made["worktree"], {"same.txt": "same\n"})
    write(repo, {"same.txt": "same\n"})
    before = commit_all(repo, "the same change, made on main")

    merged = await merge(
        repo, made["worktree"], made["branch"], "main", strategy="squash", message="m"
    )

    assert merged["commit"] == before == head(repo)
    assert status(repo) == ""
    assert not (repo / ".git" / "SQUASH_MSG").exists()


@pytest.mark.parametrize("strategy", ["merge", "squash"])
async def test_a_commit_git_refuses_is_undone_and_reported(
    repo: Path, strategy: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    made = await session(repo, f"sess_{strategy}")
    write(made["worktree"], {"work.txt": "work\n"})
    commit_all(made["worktree"], "the agent's commit")
    # No identity anywhere: git refuses to write a commit in the main tree.
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for name in (
        "GIT_AUTHOR_NAME",
        "GIT_AUTHOR_EMAIL",
        "GIT_COMMITTER_NAME",
        "GIT_COMMITTER_EMAIL",
    ):
        monkeypatch.delenv(name, raising=False)
    git(repo, "config", "--unset", "user.name")
    git(repo, "config", "--unset", "user.email")
    git(repo, "config", "user.useConfigOnly", "true")
    before = (head(repo), files_of(repo))

    with pytest.raises(GitFailed) as refused:
        await merge(repo, made["worktree"], made["branch"], "main", strategy=strategy, message="m")

    assert refused.value.status == 409
    assert (head(repo), files_of(repo), status(repo)) == (*before, "")
    assert not (repo / ".git" / "MERGE_HEAD").exists()
    assert not (repo / ".git" / "SQUASH_MSG").exists()
