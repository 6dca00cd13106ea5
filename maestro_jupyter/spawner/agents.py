"""The agent catalogue: the built-in agents, the configured ones laid over them, and their argv.

An agent is `{"argv": [...], "env": {...}, "resume": [...]}` (`resume`, optional: the argv that
continues an ended session's conversation). An argv item that is exactly a placeholder is
replaced for each session; any other item is passed verbatim, so user text only ever travels as
a whole argv item and never through a shell. The placeholders: `{brief}` (path of brief.md),
`{prompt}` (a short first message naming that file, no task text), `{session_id}`,
`{claude_session_id}` (a UUID kept as agentSessionId), `{agent_session_id}` (the stored
agentSessionId, for `resume`) and `{brief_text}` (the brief itself, for agents that only take it
as an argument: it is then on view in `ps` to every local user). These expand to several items
(or none): `{claude_settings}` (`--settings <file>`: Claude Code's hooks), `{claude_mcp}`
(`--mcp-config <file> --allowedTools mcp__maestro`), `{codex_notify}` and `{codex_mcp}` (Codex's
`-c` overrides for its notify program and `maestro mcp`).
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..errors import ValidationFailed

# The fallback agent: shows the brief and leaves the person an interactive shell with the env set.
SHELL_AGENT_SCRIPT = """\
cat "$1"
printf '\\n%s\\n\\n' "$2"
exec "${SHELL:-/bin/sh}" -i
"""


def default_agents() -> dict[str, dict[str, Any]]:
    """claude and codex when they are on PATH, and always a plain shell that prints the brief.

    Neither gets task text in argv: claude reads the brief from its file as an addition to its
    system prompt, codex is told where the file is.
    """
    agents: dict[str, dict[str, Any]] = {}
    if shutil.which("claude"):
        agents["claude"] = {
            "argv": [
                "claude",
                "--session-id",
                "{claude_session_id}",
                "{claude_settings}",
                "{claude_mcp}",
                "--append-system-prompt-file",
                "{brief}",
                "{prompt}",
            ],
            # The same conversation, told nothing new: it already has its brief.
            "resume": [
                "claude",
                "--resume",
                "{agent_session_id}",
                "{claude_settings}",
                "{claude_mcp}",
                "--append-system-prompt-file",
                "{brief}",
            ],
        }
    if shutil.which("codex"):
        agents["codex"] = {
            "argv": ["codex", "{codex_notify}", "{codex_mcp}", "{prompt}"],
            "resume": ["codex", "resume", "{codex_notify}", "{codex_mcp}", "{agent_session_id}"],
        }
    agents["shell"] = {
        "argv": ["/bin/sh", "-c", SHELL_AGENT_SCRIPT, "maestro-shell", "{brief}", "{prompt}"]
    }
    return agents


def default_agent_name() -> str:
    return "claude" if shutil.which("claude") else "shell"


def substitute(
    argv: list[str] | tuple[str, ...], values: Mapping[str, str | list[str]]
) -> list[str]:
    """Replace placeholders that make up a whole argv item (a list value becomes as many
    items); any other item is kept verbatim."""
    out: list[str] = []
    for item in argv:
        value = values.get(item, item)
        out += value if isinstance(value, list) else [value]
    return out


@dataclass(frozen=True)
class Agent:
    name: str
    argv: tuple[str, ...]
    env: dict[str, str | None] = field(default_factory=dict)
    resume: tuple[str, ...] | None = None

    def uses(self, placeholder: str) -> bool:
        return placeholder in self.argv


class AgentCatalogue:
    """The agents a session can run, resolved once from `c.Maestro.agents`/`default_agent`.

    Configured agents overlay the built-ins by name (None removes one). A configured agent
    without a usable argv is kept aside, so a spawn naming it is told why it cannot run.
    """

    def __init__(
        self,
        configured: Mapping[str, Any] | None = None,
        default: str | None = None,
        log: logging.Logger | None = None,
    ) -> None:
        log = log or logging.getLogger(__name__)
        self.agents: dict[str, Agent] = {}
        self.broken: dict[str, str] = {}
        for name, spec in {**default_agents(), **(configured or {})}.items():
            if not spec:
                continue
            problem = _problem(spec)
            if problem:
                self.broken[name] = problem
                log.warning("Maestro agent %r is not usable: %s", name, problem)
            else:
                resume = tuple(spec["resume"]) if spec.get("resume") else None
                self.agents[name] = Agent(
                    name, tuple(spec["argv"]), dict(spec.get("env") or {}), resume
                )
        known = [*self.agents, *self.broken]
        # The configured default, else the first agent configured.
        self.default = default if default in known else next(iter(self.agents), default or "")

    @property
    def names(self) -> list[str]:
        return sorted(self.agents)

    def resolve(self, name: str | None) -> Agent:
        """The agent a spawn asked for (or the default); 422 naming `agent` if it cannot run."""
        name = name or self.default
        if name in self.broken:
            raise ValidationFailed.field("agent", f"agent {name!r}: {self.broken[name]}")
        agent = self.agents.get(name)
        if agent is None:
            known = ", ".join(self.names) or "none"
            raise ValidationFailed.field("agent", f"unknown agent {name!r} (configured: {known})")
        # Checked at each spawn: a program may be installed or removed while the server runs.
        if shutil.which(agent.argv[0]) is None:
            program = agent.argv[0]
            raise ValidationFailed.field("agent", f"agent {name!r}: {program!r} is not on PATH")
        return agent


def _argv_list(argv: Any) -> bool:
    return isinstance(argv, list) and bool(argv) and all(isinstance(item, str) for item in argv)


def _problem(spec: Any) -> str | None:
    argv = spec.get("argv") if isinstance(spec, Mapping) else None
    if not _argv_list(argv):
        return "its argv in the config must be a non-empty list of strings"
    if spec.get("resume") is not None and not _argv_list(spec["resume"]):
        return "its resume in the config must be a non-empty list of strings"
    env = spec.get("env") or {}
    if not isinstance(env, Mapping) or not all(
        isinstance(key, str) and (value is None or isinstance(value, str))
        for key, value in env.items()
    ):
        return "its env in the config must map names to strings (or None to unset one)"
    return None
