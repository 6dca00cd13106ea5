"""Session tokens: the token each spawned agent holds, kept as its SHA-256 only.

A token is minted when its session starts and revoked in the transaction that ends the session
(see SessionsMixin._after_end); deleting the session deletes its tokens (foreign key). Reading
a token also reads what the role guard needs to know about the request's targets, in one visit
to the database: whether the caller holds the route's task, and whose children its sessions are.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from typing import Any

from sqlalchemy import bindparam, insert, or_, select, update

from ..access import TOKEN_PREFIX, token_hash
from . import schema as t
from .transaction import StoreBase, Transaction
from .wire import now

_INSERT_TOKEN = insert(t.session_tokens)
_TOKEN = select(
    t.session_tokens.c.session_id,
    t.session_tokens.c.role,
    t.session_tokens.c.server,
    t.session_tokens.c.revoked_at,
).where(t.session_tokens.c.token_hash == bindparam("token_hash"))
_REVOKE = (
    update(t.session_tokens)
    .where(
        t.session_tokens.c.session_id == bindparam("ended_session"),
        t.session_tokens.c.revoked_at.is_(None),
    )
    .values(revoked_at=bindparam("at"))
)
# The caller holds a task that is linked to it or that it has claimed.
_HOLDS = select(
    or_(
        select(t.session_tasks.c.task_id)
        .where(
            t.session_tasks.c.session_id == bindparam("session_id"),
            t.session_tasks.c.task_id == bindparam("task_id"),
        )
        .exists(),
        select(t.tasks.c.id)
        .where(
            t.tasks.c.id == bindparam("task_id"),
            t.tasks.c.claimed_by == bindparam("session_id"),
        )
        .exists(),
    )
)
_PARENTS = select(t.sessions.c.id, t.sessions.c.parent_session_id).where(
    t.sessions.c.id.in_(bindparam("ids", expanding=True))
)


class TokensMixin(StoreBase):
    def issue_session_token(self, session_id: str, role: str, server: str | None) -> str:
        """A new token for the session (`mst_` and 43 random characters); only its hash is
        stored. NotFound for an unknown session."""
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        with self.transaction() as tx:
            self._session(tx.conn, session_id)
            tx.conn.execute(
                _INSERT_TOKEN,
                {
                    "token_hash": token_hash(token),
                    "session_id": session_id,
                    "role": role,
                    "server": server,
                    "created_at": now(),
                },
            )
        return token

    def token_caller(
        self, digest: str, task_id: str | None = None, session_ids: Sequence[str] = ()
    ) -> dict[str, Any] | None:
        """The session a token hash belongs to (None: no such token), with what the role guard
        asks about a request: whether that session holds `task_id`, and the parent of each of
        `session_ids` that exists."""
        with self.connection() as conn:
            row = conn.execute(_TOKEN, {"token_hash": digest}).first()
            if row is None:
                return None
            holds = task_id is not None and bool(
                conn.scalar(_HOLDS, {"session_id": row.session_id, "task_id": task_id})
            )
            parents = (
                dict(conn.execute(_PARENTS, {"ids": list(dict.fromkeys(session_ids))}).all())
                if session_ids
                else {}
            )
        return {
            "sessionId": row.session_id,
            "role": row.role,
            "server": row.server,
            "revoked": row.revoked_at is not None,
            "holdsTask": holds,
            "parents": parents,
        }

    def _revoke_session_tokens(self, tx: Transaction, session_id: str) -> None:
        tx.conn.execute(_REVOKE, {"ended_session": session_id, "at": now()})
