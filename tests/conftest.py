"""Fixtures: a real Jupyter server (pytest-jupyter) with Maestro on a real SQLite file.

Tests override `maestro_config` to set `c.Maestro` traits (agents, default_agent...).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from traitlets.config import Config

pytest_plugins = ["pytest_jupyter.jupyter_server"]


@pytest.fixture
def maestro_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "maestro-home"
    monkeypatch.setenv("MAESTRO_HOME", str(home))
    return home


@pytest.fixture
def maestro_config() -> dict[str, Any]:
    """Extra `c.Maestro` traits for the test server; override in a test module."""
    return {}


@pytest.fixture
def jp_server_config(maestro_home: Path, maestro_config: dict[str, Any]) -> Config:
    return Config(
        {
            "ServerApp": {
                "jpserver_extensions": {"maestro_jupyter": True, "jupyter_server_terminals": True},
                "allow_unauthenticated_access": False,
            },
            "Maestro": {"home": str(maestro_home), **maestro_config},
        }
    )


@pytest.fixture
def store(jp_serverapp: Any) -> Any:
    """The synchronous Store behind the server, for setting up and checking state in tests."""
    return jp_serverapp.web_app.settings["maestro_store"].sync


class Reply:
    """A response, decoded: `.status`, `.json`, `.headers`."""

    def __init__(self, response: Any) -> None:
        self.status = response.code
        self.headers = response.headers
        body = response.body or b""
        self.json = json.loads(body) if body else None

    def __repr__(self) -> str:
        return f"<Reply {self.status} {self.json!r}>"[:500]


@pytest.fixture
def api(jp_fetch: Any) -> Any:
    """`await api("POST", "tasks", {"title": "x"})` -> Reply, never raising on 4xx/5xx."""

    async def call(
        method: str,
        path: str,
        body: Any = None,
        *,
        headers: dict[str, str] | None = None,
        params: dict[str, Any] | None = None,
        raw: bytes | None = None,
    ) -> Reply:
        kwargs: dict[str, Any] = {"method": method, "headers": headers or {}, "raise_error": False}
        if params:
            kwargs["params"] = params
        if raw is not None:
            kwargs["body"] = raw
        elif body is not None:
            kwargs["body"] = json.dumps(body)
        elif method in ("POST", "PATCH", "PUT"):
            kwargs["body"] = b"{}"
        kwargs.setdefault("request_timeout", 60)
        response = await jp_fetch("maestro", "api", *path.split("/"), **kwargs)
        return Reply(response)

    return call
