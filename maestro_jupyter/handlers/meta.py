"""Server-wide routes: status, the OpenAPI document, export and import of the whole store."""

from __future__ import annotations

from jupyter_server.auth.decorator import authorized
from tornado import web

from .. import models as m
from ..errors import NotFound
from ..store import export_store, import_store
from .base import MaestroHandler
from .routing import Operation, Route


class StatusHandler(MaestroHandler):
    @web.authenticated
    @authorized
    def get(self) -> None:
        agents = sorted(self.settings["maestro_spawner"].agents())
        self.reply(
            {**self.store.status(), "agents": agents, "defaultAgent": self.maestro.default_agent}
        )


class OpenAPIHandler(MaestroHandler):
    @web.authenticated
    @authorized
    def get(self) -> None:
        from ..openapi import build_openapi
        from . import api_routes

        self.reply(build_openapi(api_routes(), self.base_url))


class ExportHandler(MaestroHandler):
    @web.authenticated
    @authorized
    def get(self) -> None:
        self.reply(export_store(self.store))


class ImportHandler(MaestroHandler):
    @web.authenticated
    @authorized
    def post(self) -> None:
        options = self.parse_query(m.ImportOptions)
        data = self.parse(m.Export).model_dump(by_alias=True)
        self.reply_once(
            "POST import", lambda: import_store(self.store, data, options.on_conflict), status=200
        )


class UnknownRouteHandler(MaestroHandler):
    """Anything else under maestro/api/ answers a JSON 404, not Jupyter's HTML page."""

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
