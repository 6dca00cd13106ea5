"""A worktree per session on real git repositories: a branch named from ids only, inside the
server root and excluded from the main repository; concurrent creations each get theirs; discard,
list and prune leave nothing behind; bad input is refused before git sees it."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest

import maestro_jupyter.git.repository as repository_module
import maestro_jupyter.git.worktrees as worktrees_module
from maestro_jupyter.errors import Conflict, ValidationFailed
from maestro_jupyter.git import (
    branch_name,
    create_worktree,
    discard,
    list_worktrees,
    prune,
    repository_info,
    slugify,
)
from tests.git_support import (
    branches,
    git,
    head,
    make_repository,
    sample_repository,
    status,
    worktree_paths,
)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return sample_repository(tmp_path)


async def test_a_folder_that_is_not_a_repository_is_refused_naming_it(tmp_path: Path):
    plain = tmp_path / "plain"
    plain.mkdir()
    with pytest.raises(ValidationFailed) as refused:
        await repository_info(plain)
    assert str(plain) in refused.value.message
    with pytest.raises(ValidationFailed):
        await create_worktree(plain, session_id="sess_1", slug="x", base_branch="main")
    with pytest.raises(ValidationFailed):
        await repository_info(tmp_path / "missing")


async def test_repository_info_names_the_root_the_branch_and_its_commit(repo: Path):
    (repo / "src" / "deep").mkdir()
    info = await repository_info(repo / "src" / "deep")
    assert info == {
        "root": str(repo),
        "prefix": "src/deep",
        "baseBranch": "main",
        "head": head(repo),
    }
    git(repo, "checkout", "--quiet", "--detach")
    assert (await repository_info(repo))["baseBranch"] is None


async def test_a_worktree_is_a_new_branch_from_the_base_head_excluded_from_the_main_tree(
    repo: Path, tmp_path: Path
):
    base = head(repo)
    made = await create_worktree(
        repo, session_id="sess_a1", slug="Fix the Login!", base_branch="main", root_dir=tmp_path
    )
    folder = repo / "maestro-worktrees" / "sess_a1"
    assert made == {
        "worktree": str(folder),
        "branch": "maestro/fix-the-login-sess_a1",
        "baseCommit": base,
    }
    assert (folder / "src" / "app.py").read_text() == "def greet():\n    return 'hello'\n"
    assert git(folder, "symbolic-ref", "--short", "HEAD").strip() == made["branch"]
    assert head(folder) == base
    assert status(repo) == ""  # the worktrees' folder is excluded, not shown as untracked

    await create_worktree(repo, session_id="sess_a2", slug=None, base_branch="main")
    exclude = (repo / ".git" / "info" / "exclude").read_text().splitlines()
    assert exclude.count("/maestro-worktrees/") == 1
    assert status(repo) == ""


async def test_ten_concurrent_creations_on_one_repository_give_ten_worktrees(repo: Path):
    made = await asyncio.gather(
        *(
            create_worktree(repo, session_id=f"sess_c{n}", slug="task", base_branch="main")
            for n in range(10)
        )
    )
    assert len({entry["worktree"] for entry in made}) == 10
    assert sorted(worktree_paths(repo)[1:]) == sorted(entry["worktree"] for entry in made)
    assert all(Path(entry["worktree"], "README.md").exists() for entry in made)
    assert len([name for name in branches(repo) if name.startswith("maestro/")]) == 10


async def test_a_worktree_outside_the_server_root_is_refused(repo: Path, tmp_path: Path):
    with pytest.raises(ValidationFailed) as refused:
        await create_worktree(
            repo,
            session_id="sess_o",
            slug="x",
            base_branch="main",
            worktrees_dir=repo / ".." / ".." / "elsewhere",
            root_dir=tmp_path,
        )
    assert "outside the server root" in refused.value.message
    assert branches(repo) == ["main"]
    assert not (tmp_path.parent / "elsewhere").exists()


async def test_a_session_worktree_that_exists_already_is_a_conflict(repo: Path):
    await create_worktree(repo, session_id="sess_d", slug="x", base_branch="main")
    with pytest.raises(Conflict):
        await create_worktree(repo, session_id="sess_d", slug="x", base_branch="main")
    with pytest.raises(Conflict):  # another slug, same folder
        await create_worktree(repo, session_id="sess_d", slug="y", base_branch="main")
    assert [name for name in branches(repo) if name.startswith("maestro/")] == ["maestro/x-sess_d"]


async def test_an_unknown_or_unborn_base_branch_is_refused(repo: Path, tmp_path: Path):
    with pytest.raises(ValidationFailed):
        await create_worktree(repo, session_id="sess_u", slug="x", base_branch="nope")
    empty = tmp_path / "empty"
    empty.mkdir()
    git(empty, "init", "--quiet", "-b", "main")
    assert (await repository_info(empty))["head"] is None
    with pytest.raises(ValidationFailed):
        await create_worktree(empty, session_id="sess_u", slug="x", base_branch="main")


def test_a_slug_keeps_only_lowercase_letters_digits_and_dashes():
    assert slugify("Fix: the $(login) -- page; rm -rf /") == "fix-the-login-page-rm-rf"
    assert slugify("é ü ß") == "session"
    assert slugify("x" * 100) == "x" * 40
    assert branch_name("../../HEAD", "sess_1") == "maestro/head-sess_1"
    for hostile in ("../x", "sess-1", "a/b", "--force", "", "sess1", "s_" + "x" * 63):
        with pytest.raises(ValidationFailed):
            branch_name("ok", hostile)


async def test_hostile_slugs_and_names_never_reach_git_but_as_sanitised_ids(
    repo: Path, monkeypatch: pytest.MonkeyPatch
):
    calls: list[tuple[str, ...]] = []

    def spy(real):
        async def recording(cwd, *args, **kwargs):
            calls.append(args)
            return await real(cwd, *args, **kwargs)

        return recording

    for module in (worktrees_module, repository_module):
        monkeypatch.setattr(module, "git", spy(module.git))
    hostile = "--upload-pack=touch /tmp/pwned; $(rm -rf ~) `id` ../../.git/config"
    made = await create_worktree(repo, session_id="sess_h", slug=hostile, base_branch="main")
    assert made["branch"] == "maestro/upload-pack-touch-tmp-pwned-rm-rf-id-git-sess_h"
    for fragment in ("--upload-pack", "$(", "`", ";", ".."):
        assert not any(fragment in item for call in calls for item in call), fragment

    calls.clear()
    for session_id in ("../../etc", "--force", "sess_h; id"):
        with pytest.raises(ValidationFailed):
            await create_worktree(repo, session_id=session_id, slug="x", base_branch="main")
    assert calls == []  # refused before any git call
    for base_branch in ("--orphan", "-b", "main..x", "main\nx"):
        with pytest.raises(ValidationFailed):
            await create_worktree(repo, session_id="sess_i", slug="x", base_branch=base_branch)
    assert not any(item.startswith(("--orphan", "-b")) for call in calls for item in call)


async def test_discard_leaves_no_worktree_and_no_branch_and_can_be_repeated(repo: Path):
    made = await create_worktree(repo, session_id="sess_x", slug="work", base_branch="main")
    folder = Path(made["worktree"])
    (folder / "scratch.txt").write_text("uncommitted\n")
    (folder / "README.md").write_text("changed\n")

    removed = await discard(repo, made["worktree"], made["branch"])
    assert removed == {"worktreeRemoved": True, "branchDeleted": True}
    assert not folder.exists()
    assert worktree_paths(repo) == [str(repo)]
    assert branches(repo) == ["main"]
    assert status(repo) == ""

    again = await discard(repo, made["worktree"], made["branch"])
    assert again == {"worktreeRemoved": False, "branchDeleted": False}


async def test_discard_cleans_up_after_a_worktree_folder_deleted_by_hand(repo: Path):
    made = await create_worktree(repo, session_id="sess_y", slug="work", base_branch="main")
    git(repo, "worktree", "lock", made["worktree"])
    shutil.rmtree(made["worktree"])
    assert (await list_worktrees(repo))[0]["prunable"] is True
    assert (await discard(repo, made["worktree"], made["branch"]))["branchDeleted"] is True
    assert branches(repo) == ["main"]
    assert worktree_paths(repo) == [str(repo)]


async def test_discard_refuses_a_branch_that_is_not_maestros(repo: Path):
    git(repo, "branch", "feature")
    for branch in ("feature", "main", "maestro/../main", "maestro/x"):
        with pytest.raises(ValidationFailed):
            await discard(repo, None, branch)
    assert sorted(branches(repo)) == ["feature", "main"]


async def test_list_shows_maestros_worktrees_and_prune_keeps_only_those_named(repo: Path):
    git(repo, "branch", "maestro/by-hand")  # under maestro/ but not a session's: left alone
    git(repo, "branch", "feature")
    kept = await create_worktree(repo, session_id="sess_k", slug="keep", base_branch="main")
    gone = await create_worktree(repo, session_id="sess_g", slug="gone", base_branch="main")
    await discard(repo, None, "maestro/nothing-sess_none")  # a branch that never was: no error
    git(repo, "worktree", "remove", "--force", kept["worktree"])  # its branch stays

    listed = await list_worktrees(repo)
    assert [(entry["branch"], entry["sessionId"], entry["worktree"]) for entry in listed] == [
        ("maestro/by-hand", None, None),
        ("maestro/gone-sess_g", "sess_g", gone["worktree"]),
        ("maestro/keep-sess_k", "sess_k", None),
    ]
    assert all(entry["head"] == head(repo) for entry in listed)

    pruned = await prune(repo, keep={"sess_k"})
    assert [entry["sessionId"] for entry in pruned] == ["sess_g"]
    assert not Path(gone["worktree"]).exists()
    assert set(branches(repo)) == {"feature", "main", "maestro/by-hand", "maestro/keep-sess_k"}
    assert await prune(repo, keep={"sess_k"}) == []


async def test_worktrees_of_another_repository_in_the_same_root_are_their_own(tmp_path: Path):
    first = make_repository(tmp_path / "first", {"a.txt": "a\n"})
    second = make_repository(tmp_path / "second", {"b.txt": "b\n"})
    await asyncio.gather(
        create_worktree(first, session_id="sess_1", slug="one", base_branch="main"),
        create_worktree(second, session_id="sess_1", slug="one", base_branch="main"),
    )
    assert [entry["sessionId"] for entry in await list_worktrees(first)] == ["sess_1"]
    assert (second / "maestro-worktrees" / "sess_1" / "b.txt").exists()


async def test_a_worktree_inside_the_git_folder_is_refused(repo: Path):
    with pytest.raises(ValidationFailed, match=".git folder"):
        await create_worktree(
            repo, session_id="sess_g", slug="x", base_branch="main", worktrees_dir=".git/wt"
        )
    assert branches(repo) == ["main"]
