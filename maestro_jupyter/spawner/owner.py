"""Who owns a spawned session: the user, and the server whose terminal runs it.

Several servers may share one database (PostgreSQL, or a SQLite file on a shared home). A server
restarting after a crash settles only the sessions it owns, so the server's id must stay the same
across its restarts and differ between servers that run at the same time:
- under JupyterHub, the host and the server's prefix (`/user/<name>/<server>/`, unique on the
  hub; the hub's spawners may choose a new port at each start);
- otherwise the host, the port and the base URL (two servers on one host never share a port).

Only the owner acts on a live session's terminal, folder and worktree (`ensure_here`).
"""

from __future__ import annotations

import getpass
import os
import socket
from typing import Any
from urllib.parse import urlsplit

from ..errors import SessionElsewhere


def owner_user() -> str:
    hub_user = os.environ.get("JUPYTERHUB_USER")
    if hub_user:
        return hub_user
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # a uid without a name (some containers)
        return str(os.getuid())


def server_id(url: str | None) -> str:
    """The id of the server at `url` (its `connection_url`)."""
    host = socket.gethostname()
    prefix = os.environ.get("JUPYTERHUB_SERVICE_PREFIX")
    if prefix:
        return f"{host}{prefix}"
    parts = urlsplit(url or "")
    return f"{host}:{parts.port or ''}{parts.path or '/'}"


def ensure_here(session: dict[str, Any], server: str, doing: str) -> None:
    """SessionElsewhere unless this server (`server`) runs the session: only the server with
    its terminal and folder can `doing` it. Sessions without an owner (recorded before owners
    were) are anyone's."""
    owner = session.get("owner") or {}
    if owner.get("server") and owner["server"] != server:
        raise SessionElsewhere(
            f"Session {session['id']} runs on {owner.get('user') or 'another user'}'s server "
            f"({owner['server']}); only that server can {doing} it.",
            {"id": session["id"], "owner": owner},
        )
