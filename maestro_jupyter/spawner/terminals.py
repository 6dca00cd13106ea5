"""Terminals: the wrapper that runs an agent in a terminado terminal, the terminal's processes
(a stop ends them as a whole) and the exit-code file the wrapper leaves behind.
"""

from __future__ import annotations

import errno
import functools
import os
import shutil
import subprocess
import sys
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import Conflict
from .processes import end_processes, session_members

TERMINAL_PREFIX = "maestro_"
EXIT_CODE_FILE = "exit_code"
HANGUP = "hangup"

# The terminal's program. Everything it runs arrives as positional parameters, never as script
# text: $1 rows, $2 cols, $3 the exit-code file, $4 the working directory, then the agent's argv.
# It sizes the pty before the agent draws (terminado starts every pty at 24x80; `open_terminal`
# sets the size too), enters the working directory itself (see `open_terminal`), survives Ctrl-C
# meant for the agent (`trap :` rather than ignoring, so the agent still gets default signal
# handling), and records the agent's exit code atomically. If the terminal hung up under the
# agent (its server died, or closed it), the agent may have exited only because of that (an
# interactive shell reads end-of-file and exits 0): the code is then marked `hangup` and the
# wrapper ends. Otherwise it stays a usable shell, so the tab does not die with the agent.
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
if [ -t 0 ]; then state=; else state=' hangup'; fi
printf '%s%s\\n' "$code" "$state" > "$code_file.tmp" && mv -f "$code_file.tmp" "$code_file"
[ -z "$state" ] || exit "$code"
printf '\\r\\n[maestro] the agent exited with code %s; this terminal is now a shell.\\r\\n' "$code"
exec "${SHELL:-/bin/sh}" -i
"""

# terminado forks the terminal from the server, so the wrapper would inherit the server's
# ignored signals: SIGPIPE (Python ignores it), and SIGHUP and SIGINT when the server was
# started with nohup or in the background (every agent would then outlive its terminal), and a
# shell cannot undo a signal ignored on entry, so the wrapper is started with every signal
# at its default: by GNU env (coreutils 8.31 or later) or, where there is none, by Python.
_RESET_SIGNALS = """\
import os, signal, sys
for sig in signal.valid_signals():
    try:
        signal.signal(sig, signal.SIG_DFL)
    except (OSError, ValueError):
        pass
os.execv(sys.argv[1], sys.argv[1:])
"""


def python_default_signals() -> tuple[str, ...]:
    return (sys.executable, "-I", "-S", "-c", _RESET_SIGNALS)


@functools.cache
def default_signals() -> tuple[str, ...]:
    """The argv prefix that starts a program with every signal at its default disposition."""
    env = shutil.which("env")
    if env:
        probe = subprocess.run([env, "--default-signal", "true"], capture_output=True, check=False)
        if probe.returncode == 0:
            return (env, "--default-signal")
    return python_default_signals()


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
            *default_signals(),
            "/bin/sh",
            "-c",
            WRAPPER_SCRIPT,
            "maestro-session",
            str(rows),
            str(cols),
            str(exit_file),
            cwd,
            *argv,
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


@dataclass(frozen=True)
class ExitRecord:
    """What the wrapper wrote when the agent ended: its exit status as a shell reports it
    (128 + N when killed by signal N), and whether the terminal had hung up by then."""

    code: int
    hangup: bool = False


def read_exit_code(path: Path) -> ExitRecord | None:
    try:
        words = path.read_text().split()
        return ExitRecord(int(words[0]), words[1:] == [HANGUP])
    except (OSError, ValueError, IndexError):
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
    """Live processes of the terminal: the wrapper, the agent and all they started."""
    found = session_members(terminal.ptyproc.pid)
    leader = terminal.ptyproc.pid
    if leader in found and not terminal.ptyproc.isalive():  # reaped just now
        found.remove(leader)
    return found


async def end_terminal(manager: Any, name: str, terminal: Any, grace: float) -> None:
    """SIGHUP+SIGTERM to every process of the terminal's session, SIGKILL after `grace`
    seconds, then close the terminal."""
    await end_processes(terminal.ptyproc.pid, lambda: session_processes(terminal), grace)
    if manager is not None and manager.terminals.get(name) is terminal:
        await manager.terminate(name, force=True)
