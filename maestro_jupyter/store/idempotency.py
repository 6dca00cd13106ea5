"""Idempotency-Key records: a retried request gets the first one's answer and never runs twice.

The record is written `pending` in a short transaction of its own, the operation then runs with
its own transactions (a spawn forks outside any), and its answer is stored on the record. So a
failed operation's own writes (a `failed` session) stay, whatever happens to the record.

    reply = store.begin_request(scope, key, fingerprint)
    if reply is None:  # ours to run
        try:
            status, body = run()
        except MaestroError as error:
            if error.status >= 500:  # it failed: a retry may run it again
                store.abandon_request(scope, key)
                raise
            status, body = error.status, error.to_json()  # a refusal is an answer too
        except BaseException:
            store.abandon_request(scope, key)
            raise
        store.finish_request(scope, key, status, body)
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import and_, bindparam, delete, insert, select, update

from ..errors import Conflict, IdempotencyKeyReused, RequestInProgress
from . import schema as t
from .transaction import StoreBase
from .wire import now, stamp

# (UPDATE reserves the columns' own names for its SET values.)
_KEY = and_(
    t.idempotency_keys.c.scope == bindparam("of_scope"),
    t.idempotency_keys.c.key == bindparam("of_key"),
)
_RECORD = select(
    t.idempotency_keys.c.status,
    t.idempotency_keys.c.body,
    t.idempotency_keys.c.fingerprint,
    t.idempotency_keys.c.created_at,
).where(_KEY)
_INSERT_PENDING = insert(t.idempotency_keys)
_FINISH = (
    update(t.idempotency_keys)
    .where(_KEY)
    .values(status=bindparam("status"), body=bindparam("body"))
)
_ABANDON = delete(t.idempotency_keys).where(_KEY, t.idempotency_keys.c.status.is_(None))
# A pending record left by a server that stopped mid-request is taken over after the lease.
_TAKE_OVER = (
    update(t.idempotency_keys)
    .where(
        _KEY,
        t.idempotency_keys.c.status.is_(None),
        t.idempotency_keys.c.created_at == bindparam("seen_at"),
    )
    .values(created_at=bindparam("now"), fingerprint=bindparam("fingerprint"))
)


class IdempotencyMixin(StoreBase):
    # Longer than any operation runs (a spawn takes seconds): a pending record older than this
    # was left by a server that stopped, and a retry may run the operation.
    request_lease = timedelta(minutes=2)

    def begin_request(self, scope: str, key: str, fingerprint: str) -> tuple[int, Any] | None:
        """None when the caller now owns `key` and runs the operation; else the stored answer
        `(status, body)`. IdempotencyKeyReused for another request's key, RequestInProgress
        while the first request still runs."""
        if getattr(self._local, "tx", None) is not None:
            raise RuntimeError("begin_request commits on its own: call it outside a transaction")
        for _ in range(3):  # the record may be abandoned between our insert and our read
            try:
                with self.transaction() as tx:
                    tx.conn.execute(
                        _INSERT_PENDING,
                        dict(
                            scope=scope,
                            key=key,
                            status=None,
                            body=None,
                            created_at=now(),
                            fingerprint=fingerprint,
                        ),
                    )
                return None
            except Conflict:  # the key has a record: see what it holds
                pass
            try:
                reply = self.idempotent_reply(scope, key, fingerprint)
            except RequestInProgress:
                if not self._take_over(scope, key, fingerprint):
                    raise
                return None
            if reply is not None:
                return reply
        raise RequestInProgress(
            "A request with this Idempotency-Key is still running; retry in a moment.",
            {"key": key},
            retry_after=1,
        )

    def idempotent_reply(self, scope: str, key: str, fingerprint: str) -> tuple[int, Any] | None:
        """The stored answer for `key`, or None when there is no record (run `begin_request`).
        Raises like `begin_request` for another request's key or one still running."""
        with self.connection() as conn:
            record = conn.execute(_RECORD, {"of_scope": scope, "of_key": key}).first()
        if record is None:
            return None
        # Records of release 0.1 have no fingerprint: their answer stands, as it did then.
        if record.fingerprint is not None and record.fingerprint != fingerprint:
            raise IdempotencyKeyReused(
                "This Idempotency-Key was already used with a different request; "
                "send a new key for a new request.",
                {"key": key},
            )
        if record.status is None:
            raise RequestInProgress(
                "A request with this Idempotency-Key is still running; retry in a moment.",
                {"key": key},
                retry_after=1,
            )
        return record.status, record.body

    def finish_request(self, scope: str, key: str, status: int, body: Any) -> None:
        """Store the answer of the request that owns `key`."""
        with self.transaction() as tx:
            tx.conn.execute(
                _FINISH, {"of_scope": scope, "of_key": key, "status": status, "body": body}
            )

    def abandon_request(self, scope: str, key: str) -> None:
        """Forget a pending `key` whose operation failed unexpectedly: a retry runs it again."""
        with self.transaction() as tx:
            tx.conn.execute(_ABANDON, {"of_scope": scope, "of_key": key})

    def _take_over(self, scope: str, key: str, fingerprint: str) -> bool:
        """Own a pending record older than the lease (its server stopped mid-request)."""
        expired = stamp(datetime.now(timezone.utc) - self.request_lease)
        with self.transaction() as tx:
            record = tx.conn.execute(_RECORD, {"of_scope": scope, "of_key": key}).first()
            if record is None or record.status is not None or record.created_at >= expired:
                return False
            params = {"of_scope": scope, "of_key": key, "seen_at": record.created_at}
            params.update(now=now(), fingerprint=fingerprint)
            return tx.conn.execute(_TAKE_OVER, params).rowcount == 1
