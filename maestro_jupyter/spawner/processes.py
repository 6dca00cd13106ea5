"""A session's processes: who they are, how to tell them from strangers, and how to end them.

A terminal's first process (the wrapper) leads a new session and process group: pid == pgid ==
sid. Everything started in the terminal inherits the session id, even jobs a shell put in their
own process group, and keeps it after the leader dies; that is how the processes of a terminal
are found (Linux /proc), by a stop as well as by a server restarting after a crash.

`process.json` in the session folder records the leader (pid, start time, boot id) and the server
that started it, so that a restarted server kills what is left of its sessions and never a
stranger that got a reused number.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
from collections.abc import Callable
from contextlib import suppress
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

PROCESS_FILE = "process.json"
_BOOT_ID = Path("/proc/sys/kernel/random/boot_id")


def boot_id() -> str | None:
    """This boot of the machine: process numbers and start times mean nothing across boots."""
    try:
        return _BOOT_ID.read_text().strip()
    except OSError:
        return None


def _stat_fields(pid: int) -> list[str] | None:
    """/proc/<pid>/stat from field 3 (state) on; the command name before it may hold spaces."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as handle:
            return handle.read().rpartition(")")[2].split()
    except OSError:
        return None


def start_time(pid: int) -> int | None:
    """When the process started, in clock ticks since boot (field 22); None if it is gone."""
    fields = _stat_fields(pid)
    return int(fields[19]) if fields and len(fields) > 19 else None


def alive(pid: int) -> bool:
    fields = _stat_fields(pid)
    return bool(fields) and fields[0] not in ("Z", "X")


def session_members(sid: int) -> list[int]:
    """Live processes whose session id is `sid` (the terminal's wrapper, agent, their children)."""
    try:
        entries = os.listdir("/proc")
    except OSError:
        return [sid] if alive(sid) else []
    found = []
    for entry in entries:
        if entry.isdigit():
            pid = int(entry)
            with suppress(OSError):
                if os.getsid(pid) == sid and alive(pid):
                    found.append(pid)
    return found


def signal_processes(group: int, pids: list[int], sig: int) -> None:
    """`sig` to the process group `group` and to each of `pids` (gone ones are skipped)."""
    with suppress(OSError):
        os.killpg(group, sig)
    for pid in pids:
        with suppress(OSError):
            os.kill(pid, sig)


async def end_processes(group: int, find: Callable[[], list[int]], grace: float) -> None:
    """SIGHUP and SIGTERM to the group and to what `find()` returns; SIGKILL to what is left
    after `grace` seconds. Returns once none is found (or after SIGKILL)."""
    for sig in (signal.SIGHUP, signal.SIGTERM):
        signal_processes(group, find(), sig)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + grace
    while find() and loop.time() < deadline:
        await asyncio.sleep(0.05)
    left = find()
    if left:
        signal_processes(group, left, signal.SIGKILL)


def server_identity() -> dict[str, Any]:
    """This server process, as a restarted server tells whether it is still running."""
    pid = os.getpid()
    return {
        "host": socket.gethostname(),
        "pid": pid,
        "startTime": start_time(pid),
        "bootId": boot_id(),
    }


@dataclass(frozen=True)
class ProcessRecord:
    """What `process.json` holds: the terminal's leader and the server that started it."""

    session_id: str
    pid: int  # the leader: also the process group and session id of the terminal
    start_time: int | None
    boot_id: str | None
    server: dict[str, Any]

    @classmethod
    def of_leader(cls, session_id: str, pid: int, server_id: str) -> ProcessRecord:
        return cls(
            session_id, pid, start_time(pid), boot_id(), {"id": server_id, **server_identity()}
        )

    def write(self, folder: Path) -> None:
        """Atomically, 0600, like the rest of the session folder."""
        partial = folder / (PROCESS_FILE + ".tmp")
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            json.dump({_camel(key): value for key, value in asdict(self).items()}, handle)
        partial.replace(folder / PROCESS_FILE)

    @classmethod
    def read(cls, folder: Path) -> ProcessRecord | None:
        try:
            data = json.loads((folder / PROCESS_FILE).read_text())
            return cls(
                data["sessionId"],
                int(data["pid"]),
                data["startTime"],
                data["bootId"],
                dict(data["server"]),
            )
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def server_gone(self) -> bool:
        """Whether the server that started the session runs no more (it was on this machine and
        this boot, and its pid is free or another process's); False when that cannot be told."""
        server = self.server
        if server.get("host") != socket.gethostname() or server.get("pid") is None:
            return False
        if server.get("bootId") != boot_id():
            return True
        return start_time(int(server["pid"])) != server.get("startTime")

    def survivors(self) -> list[int]:
        """The session's processes still running from before, never a stranger's.

        Nothing survives a reboot. While any process is in the session, Linux does not give its
        number to a new process, so members of the session are the terminal's own, provided the
        leader, if it still runs, is the one recorded (same start time).
        """
        if self.boot_id is None or self.boot_id != boot_id():
            return []
        leader_start = start_time(self.pid)
        if leader_start is not None and leader_start != self.start_time:
            return []  # the number now belongs to another process: not ours
        since = self.start_time or 0
        return [pid for pid in session_members(self.pid) if (start_time(pid) or 0) >= since]


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(word.title() for word in rest)
