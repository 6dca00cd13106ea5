"""How an agent starts `maestro mcp`: the configuration Maestro hands the agents it spawns
(Claude Code's `--mcp-config` file, Codex's `-c` overrides).

Standard library only: the spawner calls it on the Jupyter server.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

SERVER_NAME = "maestro"
CLAUDE_CONFIG_FILE = "mcp.json"
# What `maestro mcp` needs from a session's environment: where the server is, and who it is.
SESSION_VARIABLES = (
    "MAESTRO_URL",
    "MAESTRO_TOKEN",
    "MAESTRO_SESSION_ID",
    "MAESTRO_TASK_IDS",
    "MAESTRO_PROJECT_ID",
    "MAESTRO_ROLE",
    "MAESTRO_BRIEF",
    "MAESTRO_HOME",
)


def mcp_command() -> list[str]:
    """The argv of `maestro mcp` of this installation: the `maestro` script beside this Python
    (not whichever one PATH finds first), else `python -m maestro_cli mcp`."""
    script = Path(sys.executable).with_name("maestro")
    if script.exists():
        return [str(script), "mcp"]
    return [sys.executable, "-m", "maestro_cli", "mcp"]


def session_variables(env: Mapping[str, str | None]) -> dict[str, str]:
    """The session's MAESTRO_* variables `maestro mcp` reads, those that are set."""
    return {name: str(env[name]) for name in SESSION_VARIABLES if env.get(name)}


def claude_mcp_config(env: Mapping[str, str | None]) -> dict[str, Any]:
    """Claude Code's `--mcp-config` JSON: `maestro mcp` with the session's environment."""
    command, *args = mcp_command()
    server = {"type": "stdio", "command": command, "args": args, "env": session_variables(env)}
    return {"mcpServers": {SERVER_NAME: server}}


def claude_mcp_arguments(folder: Path, env: Mapping[str, str | None]) -> list[str]:
    """Claude Code's arguments for `maestro mcp`: `--mcp-config <folder>/mcp.json` (written here,
    readable by the user only: it holds the server's token) and `--allowedTools mcp__maestro`, so
    the agent calls the board's tools without asking the person each time."""
    path = Path(folder) / CLAUDE_CONFIG_FILE
    partial = path.with_name(f".{CLAUDE_CONFIG_FILE}.tmp")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        json.dump(claude_mcp_config(env), file, indent=2)
        file.write("\n")
    os.replace(partial, path)
    return ["--mcp-config", str(path), "--allowedTools", f"mcp__{SERVER_NAME}"]


def codex_mcp_arguments(env: Mapping[str, str | None]) -> list[str]:
    """Codex's `-c key=value` overrides (TOML values) that add `maestro mcp` for one run.

    Codex passes an MCP server only a short list of its own variables; `env_vars` names the
    session's ones to pass too. Codex runs with them in its environment, so no value (the token
    least of all) is written on its command line, where `ps` would show it.
    """
    command, *args = mcp_command()
    settings = {
        "command": command,
        "args": args,
        "env_vars": [name for name in SESSION_VARIABLES if env.get(name)],
    }
    overrides = []
    for key, value in settings.items():
        overrides += ["-c", f"mcp_servers.{SERVER_NAME}.{key}={json.dumps(value)}"]
    return overrides
