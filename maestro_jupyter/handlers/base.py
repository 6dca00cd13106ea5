"""The base handler: auth, JSON bodies in and out, and the one place that maps errors to HTTP."""

from __future__ import annotations

import json
from typing import Any, TypeVar

from jupyter_server.base.handlers import APIHandler
from jupyter_server.extension.handler import ExtensionHandlerMixin
from pydantic import BaseModel, TypeAdapter
from pydantic import ValidationError as PydanticValidationError
from tornado import web

from ..errors import BadRequest, InvalidJSON, MaestroError, TooLarge, ValidationFailed
from ..models import validation_details

Model = TypeVar("Model", bound=BaseModel)

MAX_BODY_BYTES = 1024 * 1024
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


class MaestroHandler(ExtensionHandlerMixin, APIHandler):
    """Every Maestro REST handler: authorized as the Jupyter resource `maestro`."""

    auth_resource = "maestro"

    @property
    def store(self):  # noqa: ANN201 - Store, imported lazily to keep this module light
        return self.settings["maestro_store"]

    @property
    def maestro(self):  # noqa: ANN201 - the Maestro ExtensionApp (config traits)
        return self.settings["maestro_app"]

    async def prepare(self) -> None:  # type: ignore[override]
        await super().prepare()
        if len(self.request.body or b"") > MAX_BODY_BYTES:
            raise TooLarge(f"Request body is larger than {MAX_BODY_BYTES} bytes.")

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

    def parse_query(self, model: type[Model], multi: tuple[str, ...] = ()) -> Model:
        args: dict[str, Any] = {}
        for name, values in self.request.query_arguments.items():
            if name.isdigit():  # a cache-buster (JupyterLab's request helper adds one to GETs)
                continue
            decoded = [v.decode("utf-8", "replace") for v in values]
            if name in multi:  # ?status=a&status=b and ?status=a,b mean the same
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

    def reply_once(self, scope: str, make: Any, status: int = 201) -> None:
        """Run `make()` once per Idempotency-Key: a retried request gets the first answer."""
        status, body = self.store.idempotent(scope, self.idempotency_key(), make, status)
        self.reply(body, status)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        exc = kwargs.get("exc_info", (None, None, None))[1]
        if isinstance(exc, MaestroError):
            status_code, body = exc.status, exc.to_json()
        elif isinstance(exc, web.HTTPError):
            message = (
                exc.log_message % exc.args if exc.log_message and exc.args else exc.log_message
            )
            body = {
                "error": _CODES.get(status_code, "error"),
                "message": message or self._reason,
                "details": {},
            }
        else:
            body = {"error": "internal_error", "message": "Internal server error.", "details": {}}
        self.set_status(status_code)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(body))

    def log_exception(self, typ: Any, value: Any, tb: Any) -> None:
        if isinstance(value, MaestroError) and value.status < 500:
            self.log.debug("Maestro %s: %s", value.code, value.message)
            return
        super().log_exception(typ, value, tb)
