"""What a session changed: its worktree against the commit it started from, committed,
uncommitted and untracked (not ignored) files alike, with per-file unified diffs; large and
binary files summarised; notebooks also diffed cell by cell with nbdime, as its web view wants.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import stat
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from .repository import check_commit, open_repository
from .runner import git, git_capped

MAX_FILE_BYTES = 1_000_000
"""A file (either side) or its diff larger than this is summarised, not inlined."""
MAX_TOTAL_BYTES = 8_000_000
"""Inlined diffs and notebook diffs stop once they add up to this; the rest are summarised."""

_STATUS = {"A": "added", "D": "deleted", "R": "renamed"}  # T (a type change), U: modified
_NO_BLOB = "0" * 40
_SNIFF = 8000  # git's own binary test: a NUL byte among the first 8000


def _diff_options(max_file_bytes: int) -> list[str]:
    # Files beyond the threshold count as binary, so git never loads an enormous file to diff it.
    return [
        "-c",
        f"core.bigFileThreshold={max_file_bytes}",
        "diff",
        "--find-renames",
        "--no-ext-diff",
        "--no-textconv",
        "--no-color",
        "--no-relative",
        "--src-prefix=a/",
        "--dst-prefix=b/",
    ]


@asynccontextmanager
async def _untracked_included(root: str) -> AsyncIterator[dict[str, str]]:
    """An environment whose index is a scratch copy of the worktree's, with every untracked,
    not ignored file marked intent-to-add: a diff against a commit then shows those files too,
    and the agent's own index is neither read-locked nor changed."""
    index = (await git(root, "rev-parse", "--path-format=absolute", "--git-path", "index")).text
    scratch = await asyncio.to_thread(tempfile.mkdtemp, prefix="maestro-diff-")
    copy = os.path.join(scratch, "index")
    try:
        if await asyncio.to_thread(os.path.exists, index):
            await asyncio.to_thread(shutil.copyfile, index, copy)
        env = {"GIT_INDEX_FILE": copy}
        await git(root, "add", "--intent-to-add", "--all", env=env)
        yield env
    finally:
        await asyncio.to_thread(shutil.rmtree, scratch, True)


def _parse_listing(output: bytes) -> list[dict[str, Any]]:
    """`git diff --raw --numstat -z`: every file's raw record, then every file's line counts."""
    fields = os.fsdecode(output).split("\0")
    files: list[dict[str, Any]] = []
    index = 0
    while index < len(fields) and fields[index].startswith(":"):
        old_mode, new_mode, old_blob, _new_blob, letters = fields[index][1:].split(" ")
        renamed = letters[0] == "R"
        old_path = fields[index + 1]
        path = fields[index + 2] if renamed else old_path
        index += 3 if renamed else 2
        entry: dict[str, Any] = {
            "path": path,
            "status": _STATUS.get(letters[0], "modified"),
            "oldBlob": None if old_blob == _NO_BLOB else old_blob,
            "symlink": "120000" in (old_mode, new_mode),
        }
        if letters[0] == "R":
            entry["oldPath"] = old_path
        files.append(entry)
    for entry in files:  # the numstat records, in the same order
        counts = fields[index]
        index += 3 if counts.endswith("\t") else 1  # a rename's paths follow it
        added, deleted = counts.split("\t")[:2]
        entry["counted"] = added != "-"
        entry["additions"] = int(added) if added != "-" else None
        entry["deletions"] = int(deleted) if deleted != "-" else None
    return files


def _split_patch(patch: bytes, complete: bool) -> list[bytes]:
    """One piece per file. A line that starts with `diff --git ` can only be a file's header:
    every line of a hunk starts with a space, `+`, `-`, `@` or a backslash."""
    if not patch:
        return []
    pieces = patch.split(b"\ndiff --git ")
    chunks = [pieces[0] + b"\n"] + [b"diff --git " + piece + b"\n" for piece in pieces[1:]]
    chunks[-1] = chunks[-1][:-1]
    return chunks if complete else chunks[:-1]  # the last piece of a cut output is partial


async def _blob_sizes(root: str, blobs: list[str]) -> dict[str, int]:
    if not blobs:
        return {}
    result = await git(
        root,
        "cat-file",
        "--batch-check=%(objectname) %(objectsize)",
        input="".join(f"{blob}\n" for blob in blobs).encode(),
    )
    sizes = {}
    for line in result.stdout.decode().splitlines():
        blob, _, size = line.partition(" ")
        if size.isdigit():
            sizes[blob] = int(size)
    return sizes


def _worktree_facts(root: str, paths: list[str]) -> dict[str, tuple[int, bool]]:
    """(size, starts like a binary file) of each path that is a regular file in the worktree;
    symlinks are never followed, so nothing outside the worktree is ever read."""
    facts = {}
    real_root = os.path.realpath(root)
    for path in paths:
        full = os.path.join(root, path)
        try:
            info = os.lstat(full)
        except OSError:
            continue
        if not stat.S_ISREG(info.st_mode):
            continue
        if not os.path.realpath(full).startswith(real_root + os.sep):
            continue
        with open(full, "rb") as file:
            facts[path] = (info.st_size, b"\0" in file.read(_SNIFF))
    return facts


def _notebook_diff(base: bytes | None, current: bytes | None) -> tuple[Any, int]:
    """`{base, diff}` as nbdime's own `/api/diff` answers it (its web `NotebookDiffModel(base,
    diff)` renders it cell by cell) and its size as JSON; None when a side is not a notebook."""
    import nbformat
    from nbdime import diff_notebooks

    def read(content: bytes | None) -> Any:
        return nbformat.reads(content, as_version=4) if content else nbformat.v4.new_notebook()

    try:
        old, new = read(base), read(current)
        text = json.dumps({"base": old, "diff": diff_notebooks(old, new)})
    except Exception:  # whatever an agent wrote, a broken notebook only loses its cell view
        return None, 0
    return json.loads(text), len(text)


async def _notebook(root: str, entry: dict[str, Any], readable: bool) -> tuple[Any, int]:
    base = None
    if entry["oldBlob"]:
        base = (await git(root, "cat-file", "blob", entry["oldBlob"])).stdout
    current = None
    if entry["status"] != "deleted":
        if not readable:  # not a regular file inside the worktree
            return None, 0
        current = await asyncio.to_thread(Path(root, entry["path"]).read_bytes)
    return await asyncio.to_thread(_notebook_diff, base, current)


def _summary(
    entry: dict[str, Any],
    chunk: bytes | None,
    facts: dict[str, tuple[int, bool]],
    old_sizes: dict[str, int],
    max_file_bytes: int,
) -> dict[str, Any]:
    """A file's wire entry, its diff not yet inlined."""
    size, looks_binary = facts.get(entry["path"], (0, False))
    too_large = max(size, old_sizes.get(entry["oldBlob"] or "", 0)) > max_file_bytes
    too_large = too_large or (chunk is not None and len(chunk) > max_file_bytes)
    file: dict[str, Any] = {"path": entry["path"]}
    if "oldPath" in entry:
        file["oldPath"] = entry["oldPath"]
    file.update(
        status=entry["status"],
        additions=entry["additions"],
        deletions=entry["deletions"],
        # Beyond the threshold git counts every file as binary: look at its start instead.
        binary=looks_binary if too_large else not entry["counted"],
        tooLarge=too_large,
        diff=None,
    )
    return file


def _is_notebook(entry: dict[str, Any]) -> bool:
    return entry["path"].lower().endswith(".ipynb") and not entry["symlink"]


async def diff(
    worktree: str | Path,
    base_commit: str,
    *,
    max_file_bytes: int = MAX_FILE_BYTES,
    max_total_bytes: int = MAX_TOTAL_BYTES,
) -> dict[str, Any]:
    """The files changed in `worktree` against `base_commit`:

    `{baseCommit, files: [{path, oldPath (renames only), status (added|modified|deleted|renamed),
    additions, deletions (None when not counted: binary or too large), binary, tooLarge,
    diff (unified text or None), notebook (.ipynb only: {base, diff} for nbdime, or None)}],
    stats: {files, additions, deletions}, truncated}`.

    `tooLarge`: the file (either side) or its diff exceeds `max_file_bytes`. `truncated`: the
    inlined diffs reached `max_total_bytes`, so the text files that did not fit have `diff`
    (and notebooks `notebook`) None.
    Reads only: the worktree's files, index and branch are left as they are.
    """
    root = (await open_repository(worktree, "worktree")).root
    base = await check_commit(root, base_commit, "baseCommit")
    options = _diff_options(max_file_bytes)
    async with _untracked_included(root) as env:
        listing = await git(
            root, *options, "--raw", "--numstat", "-z", "--no-abbrev", base, env=env
        )
        files = _parse_listing(listing.stdout)
        patch, complete = await git_capped(
            root, *options, base, env=env, limit=max_total_bytes + 2 * max_file_bytes
        )
    chunks = _split_patch(patch, complete)
    if complete and len(chunks) != len(files):  # never seen; then inline nothing rather than lie
        chunks, complete = [], False
    old_sizes = await _blob_sizes(root, [entry["oldBlob"] for entry in files if entry["oldBlob"]])
    facts = await asyncio.to_thread(
        _worktree_facts, root, [entry["path"] for entry in files if entry["status"] != "deleted"]
    )

    budget, truncated, result = max_total_bytes, not complete, []
    for position, entry in enumerate(files):
        chunk = chunks[position] if position < len(chunks) else None
        file = _summary(entry, chunk, facts, old_sizes, max_file_bytes)
        inline = not (file["binary"] or file["tooLarge"])
        if inline and chunk is not None and len(chunk) <= budget:
            file["diff"] = chunk.decode("utf-8", "replace")
            budget -= len(chunk)
        elif inline:
            truncated = True
        if _is_notebook(entry):
            file["notebook"] = None
            if not file["tooLarge"] and budget > 0:
                notebook, weight = await _notebook(root, entry, entry["path"] in facts)
                if weight <= budget:
                    file["notebook"] = notebook
                    budget -= weight
                else:
                    truncated = True
        result.append(file)
    return {
        "baseCommit": base,
        "files": result,
        "stats": {
            "files": len(result),
            "additions": sum(file["additions"] or 0 for file in result),
            "deletions": sum(file["deletions"] or 0 for file in result),
        },
        "truncated": truncated,
    }
