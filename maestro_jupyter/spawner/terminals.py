"""Terminals and their processes: the wrapper that runs an agent in a terminado terminal, the
pty session that a stop signals as a whole, and the exit-code file the wrapper leaves behind.
"""

from __future__ import annotations

import asyncio
import errno
import os
import signal
import sys
from contextlib import suppress
from pathlib import Path
from typing import Any

from ..errors import Conflict

TERMINAL_PREFIX = "maestro_"
EXIT_CODE_FILE = "exit_code"

# The terminal's program. Everything it runs arrives as positional parameters, never as script
# text: $1 rows, $2 cols, $3 the exit-code file, $4 the working directory, then the agent's argv.
# It sizes the pty before the agent draws (terminado starts every pty at 24x80; `open_terminal`
# sets the size too), enters the working directory itself (see `open_terminal`), survives Ctrl-C
# meant for the agent (`trap :` rather than ignoring, so the agent still gets default signal
# handling), records the agent's exit code atomically, and then stays a usable shell so the tab
# does not die with the agent.
WRAPPER_SCRIPT = """\
stty rows "$1" cols "$2" 2>/dev/null
code_file=$3
if cd "$4"; then
    shift 4
    trap : INT QUIT
    "$@"
    code=$?
    trap - INT QUIT
else
    code=$?
fi
printf '%s\\n' "$code" > "$code_file.tmp" && mv -f "$code_file.tmp" "$code_file"
printf '\\r\\n[maestro] the agent exited with code %s; this terminal is now a shell.\\r\\n' "$code"
exec "${SHELL:-/bin/sh}" -i
"""


def terminal_name(session_id: str) -> str:
    """Session ids are `\\w+`, as terminado needs: a name with `-` is made but unreachable."""
    return TERMINAL_PREFIX + session_id


def path_env() -> dict[str, str]:
    """PATH with the server's scripts folder, where `maestro` is, if it is not on it yet."""
    scripts = str(Path(sys.executable).parent)
    path = os.environ.get("PATH", "")
    if (Path(scripts) / "maestro").exists() and scripts not in path.split(os.pathsep):
        return {"PATH": scripts + os.pathsep + path}
    return {}


def ensure_name_free(manager: Any, name: str) -> None:
    """terminado does not refuse a duplicate name: it orphans the existing pty. Refuse first."""
    if name in manager.terminals:
        raise Conflict(f"A terminal named {name} already exists.", {"terminalName": name})


def open_terminal(
    manager: Any,
    name: str,
    argv: list[str],
    *,
    cwd: str,
    env: dict[str, str | None],
    rows: int,
    cols: int,
    exit_file: Path,
) -> Any:
    """Start `argv` in `cwd` under the wrapper in a new terminal `name`; return the terminal.

    Raises Conflict when the name is taken, OSError when the pty or its program cannot start
    (no ptys left, a command line too long for exec).

    ptyprocess reports to the server only an OSError of exec itself. Anything else that fails in
    the forked child, before exec, leaves the server blocked for good reading the child's error
    pipe: a `cwd` that vanished since it was checked, a NUL byte in argv or the environment.
    So the pty starts in `/`, the wrapper enters `cwd` (a failure is then the session's exit
    code), and NUL bytes are refused here.
    """
    ensure_name_free(manager, name)
    texts = [*argv, cwd, *env, *(value for value in env.values() if value is not None)]
    if any("\0" in text for text in texts):
        raise OSError(errno.EINVAL, "The agent's command or environment holds a NUL byte")
    manager.create(
        name=name,
        shell_command=[
            "/bin/sh", "-c", WRAPPER_SCRIPT, "maestro-session",
            str(rows), str(cols), str(exit_file), cwd, *argv,
        ],
        cwd="/",
        extra_env=env,
    )
    terminal = manager.terminals[name]
    # ptyprocess sets 24x80 from the server once the wrapper has started, which may undo the
    # wrapper's stty: set the size here too (no tab is attached yet, so none owns it).
    with suppress(OSError):
        terminal.ptyproc.setwinsize(rows, cols)
    return terminal


def terminal_alive(manager: Any, name: str, terminal: Any) -> bool:
    """Whether `terminal` is still the manager's terminal of that name and its wrapper runs."""
    if manager is None or manager.terminals.get(name) is not terminal:
        return False
    return bool(terminal.ptyproc.isalive())


def read_exit_code(path: Path) -> int | None:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


def exit_status(terminal: Any) -> int | None:
    """The wrapper's exit status, as a shell reports it (128 + signal when killed)."""
    process = terminal.ptyproc
    if process.isalive():
        return None
    if process.signalstatus is not None:
        return 128 + process.signalstatus
    return process.exitstatus


def session_processes(terminal: Any) -> list[int]:
    """Live processes of the terminal's session: the wrapper, the agent and all they started.

    The pty's first process leads a session; everything started in the terminal inherits it,
    even jobs a shell put in their own process group. Linux lists them in /proc; elsewhere only
    the leader's process group is known.
    """
    leader = terminal.ptyproc.pid
    try:
        entries = os.listdir("/proc")
    except OSError:
        return [leader] if terminal.ptyproc.isalive() else []
    found = []
    for entry in entries:
        if not entry.isdigit():
            continue
        pid = int(entry)
        try:
            if os.getsid(pid) == leader and not _is_zombie(pid):
                found.append(pid)
        except OSError:
            continue
    if leader in found and not terminal.ptyproc.isalive():  # reaped just now
        found.remove(leader)
    return found


def _is_zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as handle:
            return handle.read().rpartition(")")[2].split()[0] in ("Z", "X")
    except (OSError, IndexError):
        return True


def signal_terminal(terminal: Any, sig: int) -> None:
    """Send `sig` to the terminal's process group and to every process of its session."""
    for pid in [-terminal.ptyproc.pid, *session_processes(terminal)]:
        try:
            os.killpg(-pid, sig) if pid < 0 else os.kill(pid, sig)
        except OSError:
            continue


async def end_terminal(manager: Any, name: str, terminal: Any, grace: float) -> None:
    """SIGHUP+SIGTERM to every process of the terminal's session, SIGKILL after `grace`
    seconds, then close the terminal."""
    for sig in (signal.SIGHUP, signal.SIGTERM):
        signal_terminal(terminal, sig)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + grace
    while session_processes(terminal) and loop.time() < deadline:
        await asyncio.sleep(0.05)
    if session_processes(terminal):
        signal_terminal(terminal, signal.SIGKILL)
    if manager.terminals.get(name) is terminal:
        await manager.terminate(name, force=True)
