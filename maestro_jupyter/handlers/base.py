"""The base handler: auth, JSON bodies in and out, idempotent replies, and the one place that
maps errors to HTTP."""

from __future__ import annotations

import asyncio
import functools
import hashlib
import json
import typing
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from jupyter_server.base.handlers import APIHandler
from jupyter_server.extension.handler import ExtensionHandlerMixin
from pydantic import BaseModel, TypeAdapter
from pydantic import ValidationError as PydanticValidationError
from tornado import web

from .. import actors
from ..errors import (
    BadRequest,
    InvalidJSON,
    MaestroError,
    RequestInProgress,
    StoreUnavailable,
    TooLarge,
    ValidationFailed,
)
from ..models import validation_details
from .auth import SessionAuthMixin

Model = TypeVar("Model", bound=BaseModel)

MAX_BODY_BYTES = 1024 * 1024
# How long a retry waits for the first request with its Idempotency-Key to finish.
IN_PROGRESS_WAIT = 10.0
_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    412: "version_mismatch",
    413: "too_large",
}


class MaestroHandler(SessionAuthMixin, ExtensionHandlerMixin, APIHandler):
    """Every Maestro REST handler: authorized as the Jupyter resource `maestro`, or for a
    session token by the role guard (see auth.py)."""

    auth_resource = "maestro"
    max_body_bytes = MAX_BODY_BYTES
    # The route's operations by method, set from the route table (handlers/__init__.py): the
    # query model of each method, so that every route refuses parameters it does not know.
    operations: typing.ClassVar[dict[str, Any]] = {}
    requires_store = True

    @property
    def store(self):  # noqa: ANN201 - AsyncStore, imported lazily to keep this module light
        store = self.settings.get("maestro_store")
        if store is None:
            raise StoreUnavailable(
                self.settings.get("maestro_store_error") or "The Maestro store is not loaded.",
                {"reason": self.settings.get("maestro_store_error")},
            )
        return store

    @property
    def spawner(self):  # noqa: ANN201 - maestro_jupyter.spawner.Spawner
        self.store  # noqa: B018 - no spawner works without its store: say why first
        return self.settings["maestro_spawner"]

    @property
    def maestro(self):  # noqa: ANN201 - the Maestro ExtensionApp (config traits)
        return self.settings["maestro_app"]

    async def prepare(self) -> None:  # type: ignore[override]
        await super().prepare()
        actors.act_as(self.actor_name())
        if self.requires_store:
            self.store  # noqa: B018 - 503 saying why, before reading anything else
        if len(self.request.body or b"") > self.max_body_bytes:
            raise TooLarge(f"Request body is larger than {self.max_body_bytes} bytes.")
        operation = self.operations.get(self.request.method.lower())
        self.query: Any = None
        if operation is not None and operation.query is not None:
            self.query = self.parse_query(operation.query)
        elif operation is not None:
            unknown = [name for name in self.request.query_arguments if not name.isdigit()]
            if unknown:
                raise ValidationFailed.field(unknown[0], "is not a parameter of this route")

    # -- input -------------------------------------------------------------------------------
    def json_body(self) -> Any:
        raw = self.request.body or b"{}"
        try:
            return json.loads(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            raise InvalidJSON(f"Request body is not valid JSON: {exc}") from None

    def parse(self, model: type[Model] | TypeAdapter, data: Any = None) -> Any:
        """Validate the JSON body (or `data`) against `model`; 422 naming the fields otherwise."""
        if data is None:
            data = self.json_body()
        try:
            if isinstance(model, TypeAdapter):
                return model.validate_python(data)
            return model.model_validate(data)
        except PydanticValidationError as exc:
            details = validation_details(exc)
            summary = "; ".join(f"{e['field']}: {e['message']}" for e in details["errors"][:3])
            raise ValidationFailed(f"Invalid request: {summary}.", details) from None

    def parse_query(self, model: type[Model]) -> Model:
        """The query string as `model`; a list field takes ?status=a&status=b or ?status=a,b."""
        multi = _list_fields(model)
        args: dict[str, Any] = {}
        for name, values in self.request.query_arguments.items():
            if name.isdigit():  # a cache-buster (JupyterLab's request helper adds one to GETs)
                continue
            decoded = [v.decode("utf-8", "replace") for v in values]
            if name in multi:
                args[name] = [part for value in decoded for part in value.split(",") if part]
            else:
                args[name] = decoded[-1]
        return self.parse(model, args)

    def if_match(self) -> int | None:
        """The version named by an `If-Match` header, if any (plain or quoted)."""
        value = self.request.headers.get("If-Match")
        if value is None or value.strip() == "*":
            return None
        value = value.strip().removeprefix("W/").strip('"')
        if not value.isdigit():
            raise BadRequest("If-Match must be the resource's integer version.")
        return int(value)

    def actor(self, session_id: str | None = None) -> str:
        """Who makes this write: the session whose token it carries, else the session it says
        it is made from, else the person (see `actor_name`)."""
        if self.caller is None and session_id:
            return session_id
        return self.actor_name()

    def idempotency_key(self) -> str | None:
        key = self.request.headers.get("Idempotency-Key")
        if key is not None and not (0 < len(key) <= 200 and key.isprintable()):
            raise BadRequest("Idempotency-Key must be 1 to 200 printable characters.")
        return key

    # -- output ------------------------------------------------------------------------------
    def reply(self, data: Any, status: int = 200) -> None:
        if status == 204:
            self.set_status(204)
            self.finish()
            return
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(data, separators=(",", ":")))

    async def reply_once(
        self, scope: str, make: Callable[[], Awaitable[Any]], status: int = 201
    ) -> None:
        """Run `make()` once per Idempotency-Key: a retry gets the first answer.

        The key is a request record, not a transaction around the work: it is written pending,
        the operation commits in its own transactions (a spawn forks a terminal, which no
        rollback could undo), then the outcome is stored on the record. A refusal is an outcome
        too; a failure that may pass (a busy store, a crash) frees the key for the retry.
        """
        key = self.idempotency_key()
        if key is None:
            self.reply(await make(), status)
            return
        fingerprint = self._fingerprint()
        stored = await self._begin_request(scope, key, fingerprint)
        if stored is not None:
            stored_status, body = stored
            self.set_header("Idempotent-Replayed", "true")
            self.reply(body, stored_status)
            return
        try:
            result = await make()
        except MaestroError as exc:
            if exc.status < 500 or exc.code == "spawn_failed":
                await self.store.finish_request(scope, key, exc.status, exc.to_json())
            else:
                await self.store.abandon_request(scope, key)
            raise
        except BaseException:
            await asyncio.shield(self.store.abandon_request(scope, key))
            raise
        await self.store.finish_request(scope, key, status, result)
        self.reply(result, status)

    def _fingerprint(self) -> str:
        digest = hashlib.sha256(self.request.method.encode())
        digest.update(self.request.uri.encode())
        digest.update(b"\0" + (self.request.body or b""))
        return digest.hexdigest()

    async def _begin_request(self, scope: str, key: str, fingerprint: str) -> Any:
        """Own the key (None), or the stored answer; waits while the first request still runs."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + IN_PROGRESS_WAIT
        while True:
            try:
                return await self.store.begin_request(scope, key, fingerprint)
            except RequestInProgress:
                if loop.time() >= deadline:
                    raise
                await asyncio.sleep(0.05)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        write_json_error(self, status_code, kwargs.get("exc_info", (None, None, None))[1])

    def log_exception(self, typ: Any, value: Any, tb: Any) -> None:
        if isinstance(value, MaestroError) and value.status < 500:
            self.log.debug("Maestro %s: %s", value.code, value.message)
            return
        if isinstance(value, MaestroError) and value.code in ("store_busy", "store_unavailable"):
            self.log.warning("Maestro %s: %s", value.code, value.message)
            return
        super().log_exception(typ, value, tb)


def write_json_error(handler: Any, status_code: int, exc: BaseException | None) -> None:
    """Answer `exc` as Maestro's JSON error (`{"error", "message", "details"}`)."""
    if isinstance(exc, MaestroError):
        status_code, body = exc.status, exc.to_json()
        if exc.retry_after is not None:
            handler.set_header("Retry-After", str(max(1, round(exc.retry_after))))
    elif isinstance(exc, web.HTTPError):
        message = exc.log_message % exc.args if exc.log_message and exc.args else exc.log_message
        body = {
            "error": _CODES.get(status_code, "error"),
            "message": message or handler._reason,
            "details": {},
        }
    else:
        body = {"error": "internal_error", "message": "Internal server error.", "details": {}}
    handler.set_status(status_code)
    handler.set_header("Content-Type", "application/json")
    handler.finish(json.dumps(body))


@functools.cache
def _list_fields(model: type[BaseModel]) -> frozenset[str]:
    """The query names (aliases) of `model`'s list fields."""
    names = set()
    for name, field in model.model_fields.items():
        annotation = field.annotation
        options = typing.get_args(annotation) if typing.get_origin(annotation) else ()
        if typing.get_origin(annotation) is list or any(
            typing.get_origin(option) is list for option in options
        ):
            names.add(field.alias or name)
    return frozenset(names)
