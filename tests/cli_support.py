"""Fixtures for the CLI and client tests: real `jupyter server` processes (from `harness`).

The CLI is a synchronous program, so it is tested against a server in another process rather than
pytest-jupyter's in-loop one. Every Jupyter and Maestro directory is isolated under tmp.
"""

from __future__ import annotations

import secrets
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness import ServerProcess

# Agents of the test server. `cli` is the CLI itself: completing its task with no id shows that
# the env a spawned terminal really gets (URL with base_url, token, task ids) is what it needs.
AGENTS = {
    "shell": {"argv": ["/bin/sh"]},
    "cli": {
        "argv": [sys.executable, "-m", "maestro_cli", "task", "complete", "-m", "done in the tab"]
    },
}


@pytest.fixture(scope="session")
def maestro_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A Jupyter server behind a JupyterHub-like base_url, with the agents `shell` and `cli`."""
    root = tmp_path_factory.mktemp("server")
    config = {"Maestro": {"agents": AGENTS}}
    with ServerProcess(root, base_url="/user/tester/", config=config) as server:
        yield server


@pytest.fixture
def empty_server(tmp_path: Path) -> Iterator[ServerProcess]:
    """A second server with a store of its own, e.g. to import into."""
    with ServerProcess(tmp_path / "empty-server") as server:
        yield server


def add_session(server: ServerProcess, task_ids: list[str], *, status: str = "running") -> str:
    """A session row for `task_ids`, put in through `POST import` (no terminal is started)."""
    session_id = "sess_" + secrets.token_hex(5)
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    row = {
        "id": session_id,
        "projectId": "proj_default",
        "name": "test session",
        "taskIds": task_ids,
        "role": "worker",
        "skills": [],
        "agent": "shell",
        "status": status,
        "terminalName": None,
        "cwd": None,
        "exitCode": None,
        "parentSessionId": None,
        "spawnSource": "api",
        "agentSessionId": None,
        "createdAt": now,
        "startedAt": now,
        "endedAt": None,
        "lastActivity": now,
        "version": 1,
    }
    document = {"format": "maestro-export", "schemaVersion": 1, "sessions": [row]}
    server.api("POST", "import?onConflict=fail", document)
    return session_id
