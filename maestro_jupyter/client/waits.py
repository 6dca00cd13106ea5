"""Waiting for sessions on the event stream, without polling: `maestro session wait` and the
notebook's `sessions.wait`.

The current state is read first (a session that has already ended satisfies `ended` at once),
from a seq taken before reading it, so a change made while it is read still arrives as an event.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import NotFound
from ..vocabulary import ENDED_SESSION_STATUSES

if TYPE_CHECKING:
    from .api import MaestroClient

# What to wait for: every session ended; one of them asking for input; one of them either.
UNTIL = ("ended", "needs-input", "any")


@dataclass
class WaitOutcome:
    """How a wait ended: `satisfied`, `timeout`, or `unreachable` (waiting for input from
    sessions that have all ended). `sessions` is each session's latest state, in the order
    asked; `matched` the ids that satisfied the condition."""

    until: str
    result: str
    sessions: list[dict[str, Any]]
    matched: list[str] = field(default_factory=list)

    @property
    def satisfied(self) -> bool:
        return self.result == "satisfied"

    def to_json(self) -> dict[str, Any]:
        return {
            "until": self.until,
            "result": self.result,
            "matched": self.matched,
            "sessions": self.sessions,
        }


def normalised_until(until: str) -> str:
    chosen = until.replace("_", "-")
    if chosen not in UNTIL:
        raise ValueError(f"until must be one of {', '.join(UNTIL)}, not {until!r}")
    return chosen


def ended(session: Mapping[str, Any]) -> bool:
    """Ended, or deleted (it will never do anything again)."""
    return session.get("status") in ENDED_SESSION_STATUSES or bool(session.get("deleted"))


def judge(sessions: Iterable[Mapping[str, Any]], until: str) -> tuple[str | None, list[str]]:
    """("satisfied" | "unreachable", matched ids), or (None, []) while it is still open."""
    sessions = list(sessions)
    finished = [s["id"] for s in sessions if ended(s)]
    asking = [s["id"] for s in sessions if s.get("status") == "needs_input"]
    everyone_ended = len(finished) == len(sessions)
    if until == "ended":
        return ("satisfied", finished) if everyone_ended else (None, [])
    if until == "needs-input":
        if asking:
            return "satisfied", asking
        return ("unreachable", []) if everyone_ended else (None, [])
    either = [s["id"] for s in sessions if s["id"] in finished or s["id"] in asking]
    return ("satisfied", either) if either or not sessions else (None, [])


def wait_for_sessions(
    client: MaestroClient,
    session_ids: Iterable[str],
    *,
    until: str = "ended",
    timeout: float | None = None,
) -> WaitOutcome:
    """Block until the sessions meet `until` (see UNTIL) or `timeout` seconds pass (None:
    no limit). Raises NotFound naming every unknown id (`details.sessionIds`) before waiting."""
    until = normalised_until(until)
    ids = list(dict.fromkeys(session_ids))
    since = client.last_seq()
    states = _load(client, ids, strict=True)

    def outcome(result: str | None, matched: list[str]) -> WaitOutcome | None:
        if result is None:
            return None
        return WaitOutcome(until, result, [states[i] for i in ids], matched)

    done = outcome(*judge(states.values(), until))
    if done is not None:
        return done
    for event in client.events(since, timeout=timeout):
        name, data = event.get("event"), event.get("data")
        if event.get("type") == "resync" or name == "store:imported":
            states = _load(client, ids, strict=False)
        elif not isinstance(data, dict) or data.get("id") not in states:
            continue
        elif name == "session:deleted":
            states[data["id"]] = {**states[data["id"]], "deleted": True}
        elif name == "session:updated":
            if data.get("version", 0) >= states[data["id"]].get("version", 0):
                states[data["id"]] = data
        else:
            continue
        done = outcome(*judge(states.values(), until))
        if done is not None:
            return done
    return WaitOutcome(until, "timeout", [states[i] for i in ids])


def _load(client: MaestroClient, ids: list[str], *, strict: bool) -> dict[str, dict[str, Any]]:
    states: dict[str, dict[str, Any]] = {}
    unknown = []
    for session_id in ids:
        try:
            states[session_id] = client.get_session(session_id)
        except NotFound:
            unknown.append(session_id)
            states[session_id] = {"id": session_id, "deleted": True}
    if unknown and strict:
        plural = "s" if len(unknown) > 1 else ""
        raise NotFound(f"unknown session{plural}: {', '.join(unknown)}", {"sessionIds": unknown})
    return states
