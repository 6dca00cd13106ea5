"""A session's diff on real git worktrees: committed, uncommitted and untracked changes against
the commit it started from; binary and large files summarised; notebooks diffed by nbdime in
the shape its web view renders; the worktree itself left exactly as it was."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbdime import patch_notebook
from nbdime.diff_utils import to_diffentry_dicts

from maestro_jupyter.errors import ValidationFailed
from maestro_jupyter.git import create_worktree, diff
from tests.git_support import commit_all, git, head, sample_repository, status, write


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return sample_repository(tmp_path)


async def session(repo: Path, session_id: str = "sess_d1") -> tuple[Path, str]:
    made = await create_worktree(repo, session_id=session_id, slug="work", base_branch="main")
    return Path(made["worktree"]), made["baseCommit"]


def by_path(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {file["path"]: file for file in result["files"]}


def notebook(*sources: str) -> str:
    cells = [nbformat.v4.new_code_cell(source) for source in sources]
    for number, cell in enumerate(cells):
        cell["id"] = f"cell-{number}"  # stable ids: the diff is about sources, not new ids
    return nbformat.writes(nbformat.v4.new_notebook(cells=cells))


def patched(cells: dict[str, Any]) -> Any:
    """The notebook that nbdime makes of the wire's `{base, diff}`: what the web view shows."""
    return patch_notebook(nbformat.from_dict(cells["base"]), to_diffentry_dicts(cells["diff"]))


async def test_committed_uncommitted_and_untracked_changes_all_show(repo: Path):
    worktree, base = await session(repo)
    write(worktree, {"src/app.py": "def greet():\n    return 'hi'\n"})
    commit_all(worktree, "agent: greet with hi")
    write(worktree, {"notes.txt": "one\ntwo\nthree\nfour\n", "new/file.txt": "fresh\n"})
    write(worktree, {".gitignore": "*.log\n", "debug.log": "ignored\n"})
    (worktree / "README.md").unlink()
    before = status(worktree)

    result = await diff(worktree, base)

    files = by_path(result)
    assert sorted(files) == [".gitignore", "README.md", "new/file.txt", "notes.txt", "src/app.py"]
    assert files["src/app.py"]["status"] == "modified"
    assert (files["src/app.py"]["additions"], files["src/app.py"]["deletions"]) == (1, 1)
    assert "-    return 'hello'\n+    return 'hi'\n" in files["src/app.py"]["diff"]
    assert files["notes.txt"]["diff"].endswith(" three\n+four\n")
    assert files["new/file.txt"]["status"] == "added"
    assert "+fresh" in files["new/file.txt"]["diff"]
    assert files["README.md"]["status"] == "deleted"
    assert files["README.md"]["diff"].startswith("diff --git a/README.md b/README.md\n")
    assert all(not file["binary"] and not file["tooLarge"] for file in files.values())
    assert all("notebook" not in file for file in files.values())
    assert result["stats"] == {"files": 5, "additions": 4, "deletions": 2}
    assert result["baseCommit"] == base
    assert result["truncated"] is False
    assert status(worktree) == before  # untracked files stay untracked: its index is untouched


async def test_a_file_moved_without_git_shows_as_renamed(repo: Path):
    worktree, base = await session(repo)
    (worktree / "notes.txt").rename(worktree / "docs.txt")

    [file] = (await diff(worktree, base))["files"]

    assert {key: file[key] for key in ("path", "oldPath", "status")} == {
        "path": "docs.txt",
        "oldPath": "notes.txt",
        "status": "renamed",
    }
    assert "rename from notes.txt\nrename to docs.txt" in file["diff"]


async def test_nothing_changed_is_an_empty_diff(repo: Path):
    worktree, base = await session(repo)
    result = await diff(worktree, base)
    assert result["files"] == []
    assert result["stats"] == {"files": 0, "additions": 0, "deletions": 0}


async def test_binary_and_large_files_are_summarised_not_inlined(repo: Path):
    worktree, base = await session(repo)
    write(
        worktree,
        {
            "image.png": b"\x89PNG\r\n\x1a\n\0\0\0" + os.urandom(500),
            "big.csv": "".join(f"{n},{n * n}\n" for n in range(20_000)),
            "small.txt": "small\n",
        },
    )

    result = await diff(worktree, base, max_file_bytes=50_000)

    files = by_path(result)
    assert files["image.png"] | {"diff": None} == {
        "path": "image.png",
        "status": "added",
        "additions": None,
        "deletions": None,
        "binary": True,
        "tooLarge": False,
        "diff": None,
    }
    assert files["big.csv"]["tooLarge"] is True
    assert files["big.csv"]["binary"] is False
    assert files["big.csv"]["diff"] is None
    assert files["small.txt"]["diff"] is not None
    assert len(json.dumps(result)) < 10_000


async def test_a_small_change_to_a_large_file_is_still_summarised(repo: Path):
    write(repo, {"data.txt": "x\n" * 100_000})
    commit_all(repo, "data")
    worktree, base = await session(repo)
    write(worktree, {"data.txt": "y\n" + "x\n" * 99_999})

    [file] = (await diff(worktree, base, max_file_bytes=50_000))["files"]

    assert (file["path"], file["tooLarge"], file["diff"]) == ("data.txt", True, None)


async def test_the_total_budget_stops_inlining_and_says_so(repo: Path):
    worktree, base = await session(repo)
    write(worktree, {f"file{n:02}.txt": f"line {n}\n" * 200 for n in range(20)})

    result = await diff(worktree, base, max_file_bytes=10_000, max_total_bytes=12_000)

    inlined = [file for file in result["files"] if file["diff"] is not None]
    assert 0 < len(inlined) < 20
    assert sum(len(file["diff"]) for file in inlined) <= 12_000
    assert result["truncated"] is True
    assert result["stats"]["files"] == 20
    assert result["stats"]["additions"] == 20 * 200  # counted even when not inlined


async def test_a_notebook_change_gives_a_cell_diff_that_nbdime_applies(repo: Path):
    write(repo, {"analysis.ipynb": notebook("x = 1", "print(x)")})
    commit_all(repo, "a notebook")
    worktree, base = await session(repo)
    changed = notebook("x = 2", "print(x)", "x * 10")
    write(worktree, {"analysis.ipynb": changed, "fresh.ipynb": notebook("new()")})

    files = by_path(await diff(worktree, base))

    cells = files["analysis.ipynb"]["notebook"]
    assert cells["base"] == nbformat.reads(notebook("x = 1", "print(x)"), as_version=4)
    assert [entry["key"] for entry in cells["diff"]] == ["cells"]
    assert patched(cells) == nbformat.reads(changed, as_version=4)
    assert files["analysis.ipynb"]["diff"] is not None  # the text diff is there too

    added = files["fresh.ipynb"]["notebook"]
    assert added["base"]["cells"] == []
    assert patched(added)["cells"][0]["source"] == "new()"


async def test_a_deleted_notebook_diffs_against_an_empty_one(repo: Path):
    write(repo, {"old.ipynb": notebook("gone = True")})
    commit_all(repo, "a notebook")
    worktree, base = await session(repo)
    (worktree / "old.ipynb").unlink()

    [file] = (await diff(worktree, base))["files"]

    assert file["status"] == "deleted"
    assert file["notebook"]["base"]["cells"][0]["source"] == "gone = True"
    assert patched(file["notebook"])["cells"] == []


async def test_a_broken_notebook_keeps_its_text_diff(repo: Path):
    worktree, base = await session(repo)
    write(worktree, {"broken.ipynb": "{ not json"})

    [file] = (await diff(worktree, base))["files"]

    assert file["notebook"] is None
    assert "+{ not json" in file["diff"]


async def test_a_symlink_out_of_the_worktree_is_never_followed(repo: Path, tmp_path: Path):
    secret = tmp_path / "secret.ipynb"
    secret.write_text(notebook("password = 'hunter2'"))
    worktree, base = await session(repo)
    (worktree / "leak.ipynb").symlink_to(secret)
    (worktree / "leak.txt").symlink_to(secret)

    result = await diff(worktree, base)

    assert "hunter2" not in json.dumps(result)
    assert {file["path"] for file in result["files"]} == {"leak.ipynb", "leak.txt"}


async def test_the_base_commit_must_be_a_commit_id(repo: Path):
    worktree, base = await session(repo)
    for bad in ("HEAD~1", "--output=/tmp/x", "main", "0" * 40, ""):
        with pytest.raises(ValidationFailed):
            await diff(worktree, bad)
    assert (await diff(worktree, base[:12]))["baseCommit"] == base
    with pytest.raises(ValidationFailed):
        await diff(repo / "nowhere", base)


async def test_a_diff_leaves_the_worktree_its_index_and_head_as_they_were(repo: Path):
    worktree, base = await session(repo)
    write(worktree, {"staged.txt": "staged\n", "loose.txt": "loose\n"})
    git(worktree, "add", "staged.txt")
    index = Path(
        git(worktree, "rev-parse", "--path-format=absolute", "--git-path", "index").strip()
    )
    before = (status(worktree), head(worktree), index.read_bytes())

    assert len((await diff(worktree, base))["files"]) == 2

    assert (status(worktree), head(worktree), index.read_bytes()) == before
