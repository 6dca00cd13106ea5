"""Set-up of the spawn tests: test agents configured through traitlets, and waits."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

import pytest

RECORDER = str(Path(__file__).parent / "agents" / "record_env.py")


def recorder(out: Path, *options: str) -> dict[str, Any]:
    """An agent that writes what it got to out/<session id>.json; `options` go to record_env.py."""
    return {
        "argv": [
            sys.executable,
            RECORDER,
            "--out",
            str(out),
            *options,
            "--",
            "{brief}",
            "{prompt}",
            "{session_id}",
        ],
        "env": {"TEST_AGENT_EXTRA": "yes"},
    }


def script(records: Path, text: str) -> dict[str, Any]:
    """An agent that is a /bin/sh script; $1 is the records folder."""
    return {"argv": ["/bin/sh", "-c", text, "agent", str(records)]}


async def wait_for_file(path: Path, timeout: float = 20.0) -> str:
    await wait_for(path.exists, timeout)
    return path.read_text()


@pytest.fixture
def records(tmp_path: Path) -> Path:
    folder = tmp_path / "records"
    folder.mkdir()
    return folder


@pytest.fixture
def maestro_config(records: Path, tmp_path: Path) -> dict[str, Any]:
    from maestro_jupyter.spawner import default_agents

    return {
        "skills_dirs": [str(tmp_path / "user-skills")],
        "default_agent": "ok",
        "agents": {
            "ok": recorder(records),
            "fail": recorder(records, "--code", "3"),
            "sleeper": recorder(records, "--sleep", "300", "--child"),
            # Ignores the hangup its terminal gets (as some agents do), and says its pid.
            "hupless": script(
                records, 'trap "" HUP; echo $$ > "$1/$MAESTRO_SESSION_ID.pid"; exec sleep 1000'
            ),
            # Reads one line typed into its terminal.
            "reader": script(
                records,
                'read -r line; printf "%s" "$line" > "$1/$MAESTRO_SESSION_ID.got"; sleep 100',
            ),
            # Records its signal dispositions.
            "signals": script(
                records,
                'out="$1/$MAESTRO_SESSION_ID.sig"; '
                'grep -E "^Sig(Ign|Cgt)" /proc/$$/status > "$out.tmp"; '
                'mv "$out.tmp" "$out"',
            ),
            "shell": default_agents()["shell"],
            "ghost": {"argv": ["no-such-agent-binary-x"]},
            "misconfigured": {"argv": "claude --yes"},
            # One argument over Linux's 128 KiB limit: exec itself fails (E2BIG).
            "oversized": {"argv": ["/bin/true", "x" * 200_000]},
            # Would fail in the forked child before exec, where ptyprocess cannot report it.
            "nul": {"argv": ["/bin/true"], "env": {"X": "a\0b"}},
        },
    }


@pytest.fixture
def spawner(jp_serverapp: Any) -> Any:
    spawner = jp_serverapp.web_app.settings["maestro_spawner"]
    spawner.poll_interval = 0.05
    spawner.stop_timeout = 2.0
    return spawner


def spawner_like(jp_serverapp: Any, store: Any) -> Any:
    """Another Spawner over `store`, wired as the server wires its own (a restarted server)."""
    from maestro_jupyter.spawner import Spawner

    app = jp_serverapp.web_app.settings["maestro_app"]
    return Spawner(
        parent=app,
        store=store,
        terminal_manager=lambda: jp_serverapp.web_app.settings.get("terminal_manager"),
        server_env=lambda: {"MAESTRO_URL": jp_serverapp.connection_url, "MAESTRO_TOKEN": ""},
        root_dir=jp_serverapp.root_dir,
        home=app.home,
        skills_dirs=app.skills_dirs,
        agents=app.agents,
        default_agent=app.default_agent,
    )


@pytest.fixture
def work_dir(jp_root_dir: Path) -> Path:
    folder = jp_root_dir / "work"
    folder.mkdir()
    return folder


async def make_task(api: Any, title: str = "Write the parser") -> dict[str, Any]:
    reply = await api(
        "POST", "tasks", {"title": title, "subtasks": [{"title": "Lexer"}, {"title": "Tests"}]}
    )
    assert reply.status == 201, reply
    return reply.json


async def wait_for(check: Any, timeout: float = 20.0, interval: float = 0.05) -> Any:
    """Await `check()` (sync or async) until it returns something truthy."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        result = check()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return result
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {check}")
        await asyncio.sleep(interval)


async def wait_for_record(records: Path, session_id: str) -> dict[str, Any]:
    path = records / f"{session_id}.json"
    await wait_for(path.exists)
    return json.loads(path.read_text())


async def wait_for_status(api: Any, session_id: str, *statuses: str) -> dict[str, Any]:
    async def ended() -> dict[str, Any] | None:
        session = (await api("GET", f"sessions/{session_id}")).json
        return session if session["status"] in statuses else None

    return await wait_for(ended)


def maestro_terminals(jp_serverapp: Any) -> list[str]:
    manager = jp_serverapp.web_app.settings["terminal_manager"]
    return [name for name in manager.terminals if name.startswith("maestro_")]
