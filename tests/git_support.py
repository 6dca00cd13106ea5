"""Real git repositories in a temporary folder, for the tests of `maestro_jupyter.git`: made and
inspected with the git command itself (synchronously: these helpers are the test's own hands)."""

from __future__ import annotations

import subprocess
from pathlib import Path


def git(cwd: Path | str, *args: str, check: bool = True) -> str:
    result = subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0 or not check, f"git {' '.join(args)}: {result.stderr}"
    return result.stdout


def write(folder: Path | str, files: dict[str, str | bytes]) -> None:
    for name, content in files.items():
        path = Path(folder, name)
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)


def commit_all(folder: Path | str, message: str) -> str:
    git(folder, "add", "--all")
    git(folder, "commit", "--quiet", "-m", message)
    return head(folder)


def make_repository(folder: Path, files: dict[str, str | bytes], branch: str = "main") -> Path:
    """A repository at `folder` with one commit holding `files`; its identity is its own."""
    folder.mkdir(parents=True, exist_ok=True)
    git(folder, "init", "--quiet", "-b", branch)
    git(folder, "config", "user.name", "Maestro Test")
    git(folder, "config", "user.email", "maestro@example.invalid")
    git(folder, "config", "commit.gpgsign", "false")
    write(folder, files)
    commit_all(folder, "base")
    return folder


def head(folder: Path | str) -> str:
    return git(folder, "rev-parse", "HEAD").strip()


def status(folder: Path | str) -> str:
    """Every change, untracked files included: empty means clean."""
    return git(folder, "status", "--porcelain", "--untracked-files=all")


def branches(folder: Path | str) -> list[str]:
    return git(folder, "for-each-ref", "--format=%(refname:short)", "refs/heads/").split()


def worktree_paths(folder: Path | str) -> list[str]:
    listing = git(folder, "worktree", "list", "--porcelain")
    return [line.split(" ", 1)[1] for line in listing.splitlines() if line.startswith("worktree ")]


def sample_repository(tmp_path: Path) -> Path:
    """A repository on `main` inside a server root (tmp_path) with a few text files."""
    return make_repository(
        tmp_path / "project",
        {
            "README.md": "# Project\n",
            "src/app.py": "def greet():\n    return 'hello'\n",
            "notes.txt": "one\ntwo\nthree\n",
        },
    )
