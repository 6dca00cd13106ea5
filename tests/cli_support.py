"""Fixtures for the CLI and client tests: real `jupyter server` processes (from `harness`), the
CLI run in-process (CliRunner) or as the separate program agents run.

The CLI is a synchronous program, so it is tested against a server in another process rather than
pytest-jupyter's in-loop one. Every Jupyter and Maestro directory is isolated under tmp.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from harness import ServerProcess
from maestro_cli.main import cli

# Agents of the test server. `cli` is the CLI itself: completing its task with no id shows that
# the env a spawned terminal really gets (URL with base_url, token, task ids) is what it needs.
AGENTS = {
    "shell": {"argv": ["/bin/sh"]},
    # An agent that can resume a conversation: its resume argv names the agent session id.
    "resumable": {
        "argv": ["/bin/sh"],
        "resume": ["/bin/sh", "-c", "exec sleep 300", "{agent_session_id}"],
    },
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


def add_session(
    server: ServerProcess,
    task_ids: list[str],
    *,
    status: str = "running",
    project_id: str = "proj_default",
    parent: str | None = None,
    session_id: str | None = None,
    **fields: Any,
) -> str:
    """A session row for `task_ids`, put in through `POST import` (no terminal is started);
    `fields` are more wire fields (isolation, worktree, branch, baseCommit...)."""
    session_id = session_id or "sess_" + secrets.token_hex(5)
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    ended = status in ("completed", "failed", "stopped")
    row = {
        "id": session_id,
        "projectId": project_id,
        "name": "test session",
        "taskIds": task_ids,
        "role": "worker",
        "skills": [],
        "agent": "shell",
        "status": status,
        "terminalName": None,
        "cwd": None,
        "exitCode": 0 if status == "completed" else None,
        "parentSessionId": parent,
        "spawnSource": "api",
        "agentSessionId": None,
        "createdAt": now,
        "startedAt": now,
        "endedAt": now if ended else None,
        "lastActivity": now,
        "version": 1,
        **fields,
    }
    document = {"format": "maestro-export", "schemaVersion": 1, "sessions": [row]}
    server.api("POST", "import?onConflict=fail", document)
    return session_id


# -- the CLI in-process ----------------------------------------------------------------------


@dataclass
class Run:
    code: int
    out: str
    err: str

    @property
    def data(self) -> Any:
        envelope = json.loads(self.out)
        assert envelope["success"] is True, envelope
        return envelope["data"]

    @property
    def error(self) -> dict[str, Any]:
        return json.loads(self.err)


Maestro = Callable[..., Run]


def invoke(
    env: dict[str, str | None], args: tuple[str, ...], stdin: str | None = None, color: bool = False
) -> Run:
    result = CliRunner().invoke(cli, list(args), env=env, input=stdin, color=color)
    return Run(result.exit_code, result.stdout, result.stderr)


@pytest.fixture
def cli_env(
    maestro_server: ServerProcess,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> dict[str, str | None]:
    for key in list(os.environ):
        if key.startswith("MAESTRO_"):
            monkeypatch.delenv(key)
    return {
        "HOME": str(tmp_path / "home"),
        "MAESTRO_HOME": str(tmp_path / "maestro-home"),
        "MAESTRO_URL": maestro_server.url,
        "MAESTRO_TOKEN": maestro_server.token,
        "MAESTRO_RETRY_DELAY": "10ms",
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "no-runtime"),
        "NO_COLOR": "1",
    }


@pytest.fixture
def maestro(cli_env: dict[str, str | None]) -> Maestro:
    """`maestro("task", "list", "--json")` -> Run(code, out, err), in-process with CliRunner."""

    def run(
        *args: str,
        env: dict[str, str | None] | None = None,
        stdin: str | None = None,
        color: bool = False,
    ) -> Run:
        return invoke({**cli_env, **(env or {})}, args, stdin, color)

    return run


def create(maestro: Maestro, title: str, *options: str) -> dict[str, Any]:
    run = maestro("task", "create", title, *options, "--json")
    assert run.code == 0, run.err
    return run.data


# -- the CLI as a separate program -------------------------------------------------------------


def run_maestro(
    *args: str,
    env: dict[str, str],
    python_flags: tuple[str, ...] = (),
    stdin: str | None = None,
    cwd: Path | None = None,
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *python_flags, "-m", "maestro_cli", *args],
        env=env,
        cwd=cwd,
        input=stdin,
        stdin=None if stdin is not None else subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )


def start_maestro(*args: str, env: dict[str, str]) -> subprocess.Popen[str]:
    """`maestro ARGS` running in the background (a wait, a follow), its output piped."""
    return subprocess.Popen(
        [sys.executable, "-m", "maestro_cli", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
