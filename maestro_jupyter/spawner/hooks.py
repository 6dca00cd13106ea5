"""The agents' own signals: the configuration that makes Claude Code and Codex call
`maestro hook` (issue 13), so a session shows `needs_input`, `working` or `idle` as the agent
says, with no cooperation from the model.

- Claude Code gets `--settings <session folder>/claude-settings.json` (0600), whose `hooks` run
  `<maestro> hook claude` with the event's JSON on stdin;
- Codex gets its `notify` program set to `<maestro> hook codex` (`-c notify=[...]`); it passes
  its JSON payload as the last argument.

`<maestro>` is the `maestro` script beside the server's Python (never whichever one PATH finds
first), else `python -m maestro_cli`. `maestro hook` returns within about two seconds, prints
nothing and always exits 0; each Claude hook is also cut by its `timeout`.
"""

from __future__ import annotations

import json
import os
import shlex
import sys
from pathlib import Path

CLAUDE_SETTINGS_FILE = "claude-settings.json"
CLAUDE_HOOK_EVENTS = ("Notification", "PermissionRequest", "UserPromptSubmit", "Stop", "SessionEnd")
HOOK_TIMEOUT = 5  # seconds; Claude Code's own default is 60


def maestro_argv() -> list[str]:
    script = Path(sys.executable).with_name("maestro")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "maestro_cli"]


def claude_settings(agent: str = "claude") -> dict:
    """Claude Code settings whose hooks report each attention event to Maestro."""
    command = shlex.join([*maestro_argv(), "hook", agent])  # Claude runs it through a shell
    hook = {"type": "command", "command": command, "timeout": HOOK_TIMEOUT}
    return {"hooks": {event: [{"hooks": [hook]}] for event in CLAUDE_HOOK_EVENTS}}


def claude_settings_arguments(folder: Path) -> list[str]:
    """Write `<folder>/claude-settings.json` (0600, atomically); `["--settings", its path]`."""
    path = Path(folder) / CLAUDE_SETTINGS_FILE
    partial = path.with_name(f".{CLAUDE_SETTINGS_FILE}.tmp")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(descriptor, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        json.dump(claude_settings(), file, indent=2)
        file.write("\n")
    os.replace(partial, path)
    return ["--settings", str(path)]


def codex_notify_arguments() -> list[str]:
    """Codex's `-c notify=[...]` override (a TOML array of strings; JSON writes one)."""
    return ["-c", f"notify={json.dumps([*maestro_argv(), 'hook', 'codex'])}"]
