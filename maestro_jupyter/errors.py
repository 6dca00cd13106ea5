"""The one error hierarchy of Maestro, shared by the server and its clients.

Each class knows its HTTP status and its wire code (`{"error": code, "message", "details"}`).
The server's base handler maps a raised error to the wire once; the client maps a wire code back
to the same class (`error_for`), so `except NotFound:` reads the same on both sides.
Stdlib only: the CLI imports it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class MaestroError(Exception):
    """Base of every Maestro error; `code` is the machine-readable name, `status` the HTTP one."""

    status = 500
    code = "internal_error"

    def __init__(
        self,
        message: str,
        details: Mapping[str, Any] | None = None,
        *,
        status: int | None = None,
        code: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.details: dict[str, Any] = dict(details or {})
        if status is not None:
            self.status = status
        if code is not None:
            self.code = code
        self.retry_after = retry_after

    def to_json(self) -> dict[str, Any]:
        return {"error": self.code, "message": self.message, "details": self.details}

    to_dict = to_json

    def __str__(self) -> str:
        return self.message


# -- refused requests (4xx) ---------------------------------------------------------------------
class BadRequest(MaestroError):
    status = 400
    code = "bad_request"


class InvalidJSON(BadRequest):
    code = "invalid_json"


class Unauthorized(MaestroError):
    status = 401
    code = "unauthorized"


class TokenRevoked(Unauthorized):
    """A session token whose session has ended."""

    code = "token_revoked"


class Forbidden(MaestroError):
    status = 403
    code = "forbidden"


class ForeignToken(Forbidden):
    """A session token of a session that another server runs."""

    code = "foreign_token"


class NotFound(MaestroError):
    status = 404
    code = "not_found"


class Conflict(MaestroError):
    status = 409
    code = "conflict"


class Claimed(Conflict):
    """The task is claimed by another live session (`details.claimedBy`)."""

    code = "claimed"


class DependenciesUnmet(Conflict):
    """The task waits on tasks not yet completed (`details.dependencies`)."""

    code = "dependencies_unmet"


class SessionElsewhere(Conflict):
    """The session runs on another server: only that server can stop, type into, resume or
    review it."""

    code = "session_elsewhere"


class SessionEnded(Conflict):
    """The session has ended (completed, failed or stopped): it cannot change any more."""

    code = "session_ended"


class RequestInProgress(Conflict):
    """A request with this Idempotency-Key is still running; retry shortly for its answer."""

    code = "request_in_progress"


class MergeConflict(Conflict):
    """Merging a session's branch conflicts (`details.files`); the merge was undone."""

    code = "merge_conflict"


class GitFailed(Conflict):
    """A git command refused or failed (`details.command`, `details.stderr`): the repository's
    state does not allow the operation (a lock file, no identity, a timeout)."""

    code = "git_failed"


class VersionMismatch(MaestroError):
    status = 412
    code = "version_mismatch"


class TooLarge(MaestroError):
    status = 413
    code = "too_large"


class ValidationFailed(MaestroError):
    status = 422
    code = "validation_error"

    @classmethod
    def field(cls, field: str, message: str) -> ValidationFailed:
        return cls(f"{field}: {message}", {"errors": [{"field": field, "message": message}]})


class IdempotencyKeyReused(ValidationFailed):
    """The Idempotency-Key was used before with a different request."""

    code = "idempotency_key_reused"


# -- the server could not do it (5xx) -----------------------------------------------------------
class ServerError(MaestroError):
    """The server failed (500), or answered something that is not Maestro's JSON."""

    status = 500
    code = "internal_error"


class StoreVersionError(ServerError):
    """The database was written by a newer Maestro: refuse it rather than rewrite it."""

    code = "store_version"


class StoreBusy(MaestroError):
    """The database is locked by someone else beyond the bounded wait: retry after a moment."""

    status = 503
    code = "store_busy"


class StoreUnavailable(MaestroError):
    """The store cannot be used at all (read-only, missing, unreachable, too new)."""

    status = 503
    code = "store_unavailable"


class StorageFull(MaestroError):
    """The disk (or the database's quota) is full: nothing was written."""

    status = 507
    code = "storage_full"


class TerminalsUnavailable(MaestroError):
    status = 503
    code = "terminals_unavailable"


class SpawnFailed(ServerError):
    """The terminal could not be started (the session is then recorded `failed`)."""

    code = "spawn_failed"


# -- the client's own failures (never on the wire) ----------------------------------------------
class ServerNotFound(MaestroError):
    """No server given by flags, environment, config file or a running Jupyter server."""

    status = 0
    code = "server_not_found"


class ConnectionFailed(MaestroError):
    """The server could not be reached, or the connection broke (after the retries)."""

    status = 0
    code = "connection_failed"


class InvalidSetting(MaestroError):
    """A setting (environment variable or config key) holds a value that cannot be used."""

    status = 0
    code = "invalid_setting"


def _subclasses(cls: type[MaestroError]) -> list[type[MaestroError]]:
    found = []
    for sub in cls.__subclasses__():
        found.append(sub)
        found.extend(_subclasses(sub))
    return found


# The wire code of each class (the first class declared wins a shared code: the most general).
_BY_CODE: dict[str, type[MaestroError]] = {}
for _cls in [MaestroError, *_subclasses(MaestroError)]:
    _BY_CODE.setdefault(_cls.code, _cls)

_BY_STATUS: dict[int, type[MaestroError]] = {
    400: BadRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    412: VersionMismatch,
    413: TooLarge,
    422: ValidationFailed,
    503: StoreUnavailable,
    507: StorageFull,
}


def error_for(
    status: int,
    code: str | None,
    message: str,
    details: Mapping[str, Any] | None = None,
    retry_after: float | None = None,
) -> MaestroError:
    """The error a client raises for a wire error: the class of its code, else of its status."""
    cls = (
        _BY_CODE.get(code or "")
        or _BY_STATUS.get(status)
        or (ServerError if status >= 500 else MaestroError)
    )
    return cls(message, details, status=status, code=code or cls.code, retry_after=retry_after)
