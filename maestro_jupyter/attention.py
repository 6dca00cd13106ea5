"""Attention: what an agent's own hooks say about it, applied to its session.

Claude Code runs hook commands with a JSON payload on stdin (`maestro hook claude`); Codex runs a
`notify` program at the end of each turn (`maestro hook codex`). Both reach `apply_hook`, which
maps the agent's event to the session's status and activity. A hook signal wins over the output
signal: once a session's activity came from a hook, the output watcher leaves it alone.
Hooks never fail the agent: an unknown event or an ended session changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .actors import acting_as
from .lifecycle import is_ended


@dataclass(frozen=True)
class Effect:
    activity: str | None = None  # working | idle | unknown
    needs_input: bool = False  # the agent waits for a person (permission, question)
    resumed: bool = False  # a person answered: back to running


# Claude Code's hook events (https://docs.claude.com/en/docs/claude-code/hooks) and Codex's
# `notify` payload types.
EFFECTS: dict[tuple[str, str], Effect] = {
    ("claude", "Notification"): Effect(activity="idle", needs_input=True),
    ("claude", "PermissionRequest"): Effect(activity="idle", needs_input=True),
    ("claude", "UserPromptSubmit"): Effect(activity="working", resumed=True),
    ("claude", "Stop"): Effect(activity="idle"),
    ("claude", "SessionEnd"): Effect(activity="unknown"),
    ("codex", "agent-turn-complete"): Effect(activity="idle"),
    ("codex", "approval-requested"): Effect(activity="idle", needs_input=True),
}

DEFAULT_NEEDS_INPUT_MESSAGE = "The agent is waiting for you."


async def apply_hook(
    store: Any, session_id: str, agent: str, event: str, message: str | None = None
) -> dict[str, Any]:
    """Apply one hook event to a session; `{"session", "applied"}`. A hook is the agent's own
    signal, so its writes are the session's, whichever token carried it."""
    with acting_as(session_id):
        return await _apply_hook(store, session_id, agent, event, message)


async def _apply_hook(
    store: Any, session_id: str, agent: str, event: str, message: str | None
) -> dict[str, Any]:
    session = await store.get_session(session_id)
    effect = EFFECTS.get((agent, event))
    if effect is None or is_ended(session["status"]):
        return {"session": session, "applied": False}
    if effect.needs_input and session["status"] != "needs_input":
        reported = await store.report(
            session_id, "needs_input", message or DEFAULT_NEEDS_INPUT_MESSAGE, actor=session_id
        )
        session = reported["session"]
    elif effect.resumed and session["status"] == "needs_input":
        session = await store.update_session(session_id, status="running")
    if effect.activity is not None and (
        session["activity"] != effect.activity or session["activitySource"] != "hook"
    ):
        session = await store.update_session(
            session_id, activity=effect.activity, activity_source="hook"
        )
    return {"session": session, "applied": True}
