"""Domain errors. Each knows its HTTP status and wire code; handlers map them in one place."""

from __future__ import annotations

from typing import Any


class MaestroError(Exception):
    status = 500
    code = "internal_error"

    def __init__(self, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or {}

    def to_json(self) -> dict[str, Any]:
        return {"error": self.code, "message": self.message, "details": self.details}


class InvalidJSON(MaestroError):
    status = 400
    code = "invalid_json"


class BadRequest(MaestroError):
    status = 400
    code = "bad_request"


class NotFound(MaestroError):
    status = 404
    code = "not_found"


class Conflict(MaestroError):
    status = 409
    code = "conflict"


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


class StoreVersionError(MaestroError):
    """The database was written by a newer Maestro: refuse it rather than rewrite it."""

    code = "store_version"
