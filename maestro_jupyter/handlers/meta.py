"""Server-wide routes: status, the OpenAPI document, export and import of the whole store."""

from __future__ import annotations

import asyncio
import typing

from jupyter_server.auth.decorator import authorized
from tornado import web

from .. import models as m
from ..errors import NotFound
from ..spawner.owner import owner_user
from .base import MaestroHandler
from .routing import Operation, Route

IMPORT_MAX_BYTES = 256 * 1024 * 1024


class StatusHandler(MaestroHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        spawner = self.spawner
        status = await self.store.status()
        caller = self.caller
        you = {
            "kind": "user" if caller is None else "session",
            "name": self.actor_name(),
            "sessionId": caller and caller.session_id,
            "role": caller and caller.role,
        }
        self.reply(
            {
                **status,
                "agents": spawner.agent_names,
                "defaultAgent": spawner.default_agent,
                "server": {"id": spawner.server_id, "user": owner_user()},
                "you": you,
            }
        )


class OpenAPIHandler(MaestroHandler):
    requires_store = False  # the document answers even while the store is unavailable
    routes: typing.ClassVar[list[Route]] = []  # the served table, given by route_table()

    @web.authenticated
    @authorized
    def get(self) -> None:
        from ..openapi import build_openapi

        self.reply(build_openapi(self.routes, self.base_url))


class ExportHandler(MaestroHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        self.reply(await self.store.export())


class ImportHandler(MaestroHandler):
    # An export of a large store is large: this route takes what `GET export` can give.
    max_body_bytes = IMPORT_MAX_BYTES

    @web.authenticated
    @authorized
    async def post(self) -> None:
        # Decoding and validating megabytes of JSON would stall the event loop: a thread does it.
        export = await asyncio.to_thread(self.parse, m.Export)
        data = export.model_dump(by_alias=True)
        await self.reply_once(
            "POST import",
            lambda: self.store.import_data(data, self.query.on_conflict),
            status=200,
        )


class UnknownRouteHandler(MaestroHandler):
    """Anything else under maestro/api/ answers a JSON 404, not Jupyter's HTML page."""

    requires_store = False

    def _unknown(self) -> None:
        raise NotFound(f"No Maestro route {self.request.method} {self.request.path}.")

    @web.authenticated
    @authorized
    def get(self, *args: str) -> None:
        self._unknown()

    @web.authenticated
    @authorized
    def post(self, *args: str) -> None:
        self._unknown()

    @web.authenticated
    @authorized
    def patch(self, *args: str) -> None:
        self._unknown()

    @web.authenticated
    @authorized
    def put(self, *args: str) -> None:
        self._unknown()

    @web.authenticated
    @authorized
    def delete(self, *args: str) -> None:
        self._unknown()


routes = [
    Route(
        "status",
        StatusHandler,
        {
            "get": Operation("Server version, store and counts", response=m.Status),
        },
    ),
    Route(
        "openapi.json",
        OpenAPIHandler,
        {
            "get": Operation("This document", response=dict),
        },
    ),
    Route(
        "export",
        ExportHandler,
        {
            "get": Operation("The whole store as portable JSON", response=m.Export),
        },
    ),
    Route(
        "import",
        ImportHandler,
        {
            "post": Operation(
                "Load an export atomically (onConflict=fail|skip|overwrite)",
                query=m.ImportOptions,
                body=m.Export,
                response=m.ImportResult,
                idempotent=True,
                errors=(409,),
            ),
        },
    ),
]
