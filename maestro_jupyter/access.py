"""What a session token may do: its form, and the role guard's policy by route.

A spawned agent holds a token of its own (`MAESTRO_TOKEN`). Both roles read everything but the
export. A worker writes to its own session and to the tasks it holds (linked to it or claimed
by it) with their subtasks; an orchestrator may also create and change any task and subtask,
spawn, and act on the sessions it spawned. No session token deletes, exports, imports, registers
sessions or changes projects. People are not governed here: Jupyter's (or the Hub's) authorizer
decides for them. Pure: importable without a server.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field

TOKEN_PREFIX = "mst_"

# What a write allowed to a role must also concern. Every write must name, as the session it
# acts for (in its path or its body), only sessions of the role's reach: a worker itself, an
# orchestrator itself and the sessions it spawned.
REACH = "reach"  # nothing more
HELD = "held"  # the route's task is one the caller holds

REFUSED_READS = frozenset({"GET export"})


@dataclass(frozen=True)
class Rule:
    """What each role may do on one route and method (None: refused)."""

    worker: str | None = None
    orchestrator: str | None = None

    def of(self, role: str) -> str | None:
        return self.orchestrator if role == "orchestrator" else self.worker


WORKER_TOO = Rule(worker=HELD, orchestrator=HELD)
ORCHESTRATOR_ANY_TASK = Rule(worker=HELD, orchestrator=REACH)
OWN_SESSION = Rule(worker=REACH, orchestrator=REACH)
ORCHESTRATOR = Rule(orchestrator=REACH)
NOBODY = Rule()

# Every write route of the API, "METHOD path" as the route table spells it. A write missing here
# is refused to every session token (tests/test_access_routes.py keeps the table complete).
WRITES: Mapping[str, Rule] = {
    "POST import": NOBODY,
    "POST projects": NOBODY,
    "PATCH projects/{project_id}": NOBODY,
    "DELETE projects/{project_id}": NOBODY,
    "POST tasks": ORCHESTRATOR,
    "POST tasks/claim": OWN_SESSION,
    "PATCH tasks/{task_id}": ORCHESTRATOR_ANY_TASK,
    "DELETE tasks/{task_id}": NOBODY,
    "POST tasks/{task_id}/complete": WORKER_TOO,
    "POST tasks/{task_id}/block": WORKER_TOO,
    "POST tasks/{task_id}/release": WORKER_TOO,
    "POST tasks/{task_id}/timeline": WORKER_TOO,
    "POST tasks/{task_id}/subtasks": ORCHESTRATOR_ANY_TASK,
    "PATCH tasks/{task_id}/subtasks/{subtask_id}": ORCHESTRATOR_ANY_TASK,
    "DELETE tasks/{task_id}/subtasks/{subtask_id}": NOBODY,
    "POST sessions": NOBODY,
    "POST sessions/spawn": ORCHESTRATOR,
    "PATCH sessions/{session_id}": OWN_SESSION,
    "DELETE sessions/{session_id}": NOBODY,
    "POST sessions/{session_id}/report": OWN_SESSION,
    "POST sessions/{session_id}/hook": OWN_SESSION,
    "POST sessions/{session_id}/input": OWN_SESSION,
    "POST sessions/{session_id}/stop": ORCHESTRATOR,
    "POST sessions/{session_id}/resume": ORCHESTRATOR,
    "POST sessions/{session_id}/merge": ORCHESTRATOR,
    "POST sessions/{session_id}/discard": ORCHESTRATOR,
    "POST worktrees/prune": NOBODY,
}


def token_hash(token: str) -> str:
    """What the store keeps of a token."""
    return hashlib.sha256(token.encode()).hexdigest()


def is_session_token(token: str | None) -> bool:
    return token is not None and token.startswith(TOKEN_PREFIX)


@dataclass(frozen=True)
class Caller:
    """A request made with a session token, with what the guard needs to know of its targets."""

    session_id: str
    role: str
    task_id: str | None = None  # the route's task
    holds_task: bool = False  # ...linked to this session or claimed by it
    sessions: tuple[str, ...] = ()  # the sessions the request acts on (path and body)
    parents: Mapping[str, str | None] = field(default_factory=dict)  # each one's parent

    def reaches(self, session_id: str) -> bool:
        if session_id == self.session_id:
            return True
        return self.role == "orchestrator" and self.parents.get(session_id) == self.session_id


def action(method: str, route: str | None) -> str:
    return f"{method.upper()} {route if route is not None else '(unknown route)'}"


def refusal(caller: Caller, method: str, route: str | None) -> str | None:
    """Why `caller` may not make this request (a message), or None when it may."""
    method = method.upper()
    name = action(method, route)
    who = f"Session {caller.session_id} ({caller.role})"
    if method in ("GET", "HEAD", "OPTIONS"):
        if name in REFUSED_READS:
            return f"{who} may not {name}: no session token may."
        return None
    rule = WRITES.get(name)
    scope = rule.of(caller.role) if rule is not None else None
    if scope is None:
        if rule is not None and rule.orchestrator is not None:
            return f"{who} may not {name}: only an orchestrator's token may."
        return f"{who} may not {name}: no session token may."
    beyond = [session for session in caller.sessions if not caller.reaches(session)]
    if beyond:
        reach = "itself" if caller.role != "orchestrator" else "itself and the sessions it spawned"
        return f"{who} may not {name} for session {beyond[0]}: it acts only for {reach}."
    if scope == HELD and not caller.holds_task:
        return f"{who} may not {name} on task {caller.task_id}: it does not hold that task."
    return None
