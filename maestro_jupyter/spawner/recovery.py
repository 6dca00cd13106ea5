"""Start-up after a crash: the sessions a previous run of this server left active.

Their terminals died with that server. Processes that ignored the hangup may still run: they are
killed by process group, with the session's `process.json` telling them from strangers (see
`processes`). They are not adopted: the server that starts again has no pty to them (it went with
the dead server), so it could neither show them in a tab, type into them nor read their output,
and a reattached `running` session would be a promise nobody can keep.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from ..errors import MaestroError
from .processes import ProcessRecord, end_processes
from .status import LOST, Ending, end_session, exited
from .terminals import EXIT_CODE_FILE, read_exit_code


def owns(session: dict[str, Any], process: ProcessRecord | None, here: str) -> bool:
    """Whether the server `here` settles the session: it is its owner (or the session predates
    owners), or the session's `process.json` shows that its owner ran on this machine and has
    stopped (the same server, restarted on another port)."""
    owner = (session.get("owner") or {}).get("server")
    if owner is None or owner == here:
        return True
    return process is not None and process.server.get("id") == owner and process.server_gone()


async def settle(
    store: Any,
    session: dict[str, Any],
    folder: Path,
    here: str,
    terminal_gone: bool,
    grace: float,
    log: logging.Logger,
) -> str | None:
    """End a session whose agent's terminal is gone or has exited; its id, or None when it is not
    this server's to settle (or could not be recorded)."""
    session_id = session["id"]
    record = read_exit_code(folder / EXIT_CODE_FILE)  # read before any kill adds one
    if terminal_gone:
        process = ProcessRecord.read(folder)
        if not owns(session, process, here):
            return None
        if process is not None:
            await end_processes(process.pid, process.survivors, grace)
    # An exit code written while the terminal was there is the agent's own and is honoured; one
    # written after a hangup may only say that the terminal went away.
    if record is not None and not record.hangup:
        ending = exited(record.code)
    else:
        ending = Ending("failed", reason=LOST)
    try:
        await end_session(store, session_id, ending, session_id)  # made by the session itself
    except MaestroError:
        log.exception("Maestro session %s: could not settle it", session_id)
        return None
    return session_id
