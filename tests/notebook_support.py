"""Set-up of the notebook tests: a real `jupyter server` subprocess (from `harness`) with a
scripted test agent, a Maestro client on it, and kernels that reach it over HTTP.

A subprocess rather than pytest-jupyter's in-loop server: the client is synchronous, and a kernel
run by nbclient from the test would otherwise wait on a server that its own caller blocks.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from harness import ServerProcess
from maestro_jupyter.notebook import Maestro

BASE_URL = "/a%40b/"  # quoted characters in base_url, as JupyterHub's user servers have

# Reports through the real `maestro` CLI from the spawned terminal's environment, then exits 0.
TEST_AGENT = {
    "argv": ["sh", "-c", "maestro report progress working && maestro report complete done"]
}


@contextmanager
def maestro_server(root: Path) -> Iterator[ServerProcess]:
    """A fresh server whose default agent is the quick test agent."""
    agents = {"test": TEST_AGENT, "sleeper": {"argv": ["sleep", "300"]}}
    config = {"Maestro": {"agents": agents, "default_agent": "test"}}
    with ServerProcess(root, base_url=BASE_URL, config=config) as server:
        yield server


@contextmanager
def default_server(root: Path) -> Iterator[ServerProcess]:
    """A fresh server as installed: Maestro's default agents (here, the shell agent)."""
    with ServerProcess(root, base_url=BASE_URL) as server:
        yield server


def kernel_env(server: ServerProcess) -> dict[str, str]:
    """A kernel's environment that names no server: it must find `server` by its runtime file."""
    env = dict(server.env)
    assert "MAESTRO_URL" not in env and "MAESTRO_TOKEN" not in env  # isolated_env strips them
    return env


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    with maestro_server(tmp_path_factory.mktemp("notebook-server")) as running:
        yield running


@pytest.fixture
def maestro(server: ServerProcess) -> Maestro:
    return Maestro(server.url, server.token, retries=0)
