"""Every git call Maestro makes: argv items only (never a shell), no prompt, bounded in time,
run as a subprocess of the event loop; and the per-repository lock that serialises the calls
that write (git's own lock files make a second writer fail at once instead of waiting)."""

from __future__ import annotations

import asyncio
import os
import signal
import weakref
from collections.abc import Mapping
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

from ..errors import GitFailed

GIT_TIMEOUT = 120.0
"""Seconds any one git call may take before it is killed (a checkout of a large repository,
a hook, a network filesystem)."""

# Inherited variables that would point git at another repository or index than the one we name.
_INHERITED_REDIRECTS = frozenset(
    {
        "GIT_DIR",
        "GIT_WORK_TREE",
        "GIT_INDEX_FILE",
        "GIT_OBJECT_DIRECTORY",
        "GIT_ALTERNATE_OBJECT_DIRECTORIES",
        "GIT_COMMON_DIR",
        "GIT_NAMESPACE",
        "GIT_PREFIX",
    }
)
_FIXED_ENVIRONMENT = {
    "GIT_TERMINAL_PROMPT": "0",  # a credential prompt would wait forever on a pipe
    "GIT_EDITOR": "true",  # as would an editor
    "GIT_PAGER": "cat",
    "LC_ALL": "C",  # English, stable messages: a few of them are read below
    # Pathspecs are literal file names, never globs or `:(magic)`.
    "GIT_LITERAL_PATHSPECS": "1",
}


@dataclass(frozen=True)
class Completed:
    """A finished git command: its exit status, raw stdout and decoded stderr."""

    returncode: int
    stdout: bytes
    stderr: str

    @property
    def text(self) -> str:
        """stdout as text, without the trailing newline."""
        return os.fsdecode(self.stdout).strip()


def _environment(extra: Mapping[str, str] | None) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if name not in _INHERITED_REDIRECTS}
    env.update(_FIXED_ENVIRONMENT)
    env.update(extra or {})
    return env


def _subcommand(args: tuple[str, ...]) -> str:
    """The git command run (`worktree`), past any `-c name=value` before it."""
    index = 0
    while index < len(args) - 1 and args[index] == "-c":
        index += 2
    return args[index] if index < len(args) else "git"


def _failure(
    args: tuple[str, ...], message: str, stderr: str = "", code: int | None = None
) -> GitFailed:
    details: dict[str, object] = {"command": ["git", _subcommand(args)], "stderr": stderr[-4000:]}
    if code is not None:
        details["exitCode"] = code
    return GitFailed(message, details)


def _summary(args: tuple[str, ...], stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    reason = lines[-1].strip() if lines else "no message"
    for line in lines:  # git puts the cause first ("fatal: ..." / "error: ..."), hints after
        if line.startswith(("fatal:", "error:")):
            reason = line.strip()
            break
    return f"git {_subcommand(args)} failed: {reason}"


async def _start(
    cwd: str | Path, args: tuple[str, ...], env: Mapping[str, str] | None, stdin: int
) -> asyncio.subprocess.Process:
    try:
        return await asyncio.create_subprocess_exec(
            "git",
            *args,
            cwd=str(cwd),
            stdin=stdin,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=_environment(env),
            start_new_session=True,  # a timeout kills git's hooks and helpers with it
        )
    except FileNotFoundError as exc:
        missing = "git is not installed" if exc.filename == "git" else f"{cwd} does not exist"
        raise _failure(args, missing) from None
    except NotADirectoryError:
        raise _failure(args, f"{cwd} is not a folder") from None


def _kill(process: asyncio.subprocess.Process) -> None:
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)


async def git(
    cwd: str | Path,
    *args: str,
    input: bytes | None = None,
    env: Mapping[str, str] | None = None,
    check: bool = True,
    timeout: float = GIT_TIMEOUT,
) -> Completed:
    """Run `git *args` in `cwd`; with `check`, a non-zero exit raises GitFailed."""
    process = await _start(
        cwd, args, env, asyncio.subprocess.PIPE if input is not None else asyncio.subprocess.DEVNULL
    )
    try:
        stdout, stderr = await asyncio.wait_for(process.communicate(input), timeout)
    except asyncio.TimeoutError:
        _kill(process)
        await process.wait()
        raise _failure(args, f"git {_subcommand(args)} timed out after {timeout:g} s") from None
    except BaseException:  # cancelled: leave no git process behind
        _kill(process)
        raise
    result = Completed(process.returncode or 0, stdout, stderr.decode("utf-8", "replace"))
    if check and result.returncode != 0:
        raise _failure(args, _summary(args, result.stderr), result.stderr, result.returncode)
    return result


async def git_capped(
    cwd: str | Path,
    *args: str,
    limit: int,
    env: Mapping[str, str] | None = None,
    timeout: float = GIT_TIMEOUT,
) -> tuple[bytes, bool]:
    """The first `limit` bytes of a git command's output, and whether that is all of it (git is
    killed once the limit is passed, so an enormous diff costs no more than `limit`)."""
    process = await _start(cwd, args, env, asyncio.subprocess.DEVNULL)
    assert process.stdout is not None and process.stderr is not None
    errors = asyncio.ensure_future(process.stderr.read())
    output = bytearray()

    async def read() -> bool:
        while len(output) <= limit:
            block = await process.stdout.read(1 << 16)
            if not block:
                return True
            output.extend(block)
        return False

    try:
        complete = await asyncio.wait_for(read(), timeout)
    except BaseException as exc:  # timed out or cancelled: leave no git process behind
        errors.cancel()
        _kill(process)
        if not isinstance(exc, asyncio.TimeoutError):
            raise
        await process.wait()
        raise _failure(args, f"git {_subcommand(args)} timed out after {timeout:g} s") from None
    if not complete:
        errors.cancel()
        _kill(process)
        await process.wait()
        return bytes(output[:limit]), False
    stderr = (await errors).decode("utf-8", "replace")
    code = await process.wait()
    if code != 0:
        raise _failure(args, _summary(args, stderr), stderr, code)
    return bytes(output), True


# One lock per repository and event loop (an asyncio.Lock belongs to the loop that first used it).
_locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, asyncio.Lock]] = (
    weakref.WeakKeyDictionary()
)


def repository_lock(key: str) -> asyncio.Lock:
    """The lock that serialises Maestro's writing git calls on one repository, keyed by its
    common git folder (`Repository.common_dir`): the main tree and all its worktrees share it."""
    locks = _locks.setdefault(asyncio.get_running_loop(), {})
    return locks.setdefault(key, asyncio.Lock())
