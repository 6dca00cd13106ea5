"""The OpenAPI 3.1 document, generated from the same route table that Tornado serves."""

from __future__ import annotations

import re
from typing import Any

from pydantic import TypeAdapter

from ._version import __version__
from .handlers.routing import Route
from .models import Error

_ERROR_TEXT = {
    400: "Bad request or invalid JSON",
    401: "Not authenticated",
    403: "Not authorized",
    404: "Not found",
    409: "Conflict",
    412: "Version mismatch (If-Match)",
    413: "Body too large",
    422: "Validation error",
}


def build_openapi(routes: list[Route], base_url: str = "/") -> dict[str, Any]:
    components: dict[str, Any] = {}

    def schema_of(tp: Any) -> dict[str, Any]:
        schema = TypeAdapter(tp).json_schema(
            by_alias=True, ref_template="#/components/schemas/{model}"
        )
        for name, definition in schema.pop("$defs", {}).items():
            components.setdefault(name, definition)
        title = schema.get("title")
        if title and "properties" in schema and isinstance(tp, type):
            components.setdefault(title, schema)
            return {"$ref": f"#/components/schemas/{title}"}
        return schema

    schema_of(Error)
    paths: dict[str, Any] = {}
    for route in routes:
        item: dict[str, Any] = {}
        params = [part[1:-1] for part in route.path.split("/") if part.startswith("{")]
        for method, op in route.operations.items():
            operation: dict[str, Any] = {
                "summary": op.summary,
                "operationId": method + "_" + re.sub(r"[^\w]+", "_", route.path).strip("_"),
                "parameters": [
                    {
                        "name": name,
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string", "pattern": r"^[\w.-]+$"},
                    }
                    for name in params
                ],
                "responses": {},
            }
            if op.query is not None:
                query_schema = op.query.model_json_schema(by_alias=True)
                for name, prop in query_schema["properties"].items():
                    operation["parameters"].append(
                        {
                            "name": name,
                            "in": "query",
                            "required": False,
                            "schema": prop,
                            **(
                                {"style": "form", "explode": True}
                                if prop.get("anyOf")
                                and any(p.get("type") == "array" for p in prop["anyOf"])
                                else {}
                            ),
                        }
                    )
            if op.idempotent:
                operation["parameters"].append(
                    {
                        "name": "Idempotency-Key",
                        "in": "header",
                        "required": False,
                        # Printable characters only (a UUID is the usual key).
                        "schema": {
                            "type": "string",
                            "minLength": 1,
                            "maxLength": 200,
                            "pattern": "^[ -~]+$",
                        },
                    }
                )
            if "patch" == method:
                operation["parameters"].append(
                    {
                        "name": "If-Match",
                        "in": "header",
                        "required": False,
                        "schema": {"type": "string", "pattern": r'^(W/)?"?\d+"?$'},
                    }
                )
            if op.body is not None:
                operation["requestBody"] = {
                    "required": True,
                    "content": {"application/json": {"schema": schema_of(op.body)}},
                }
            if op.response is None:
                operation["responses"]["204"] = {"description": "Done"}
            else:
                operation["responses"][str(op.status)] = {
                    "description": "OK",
                    "content": {"application/json": {"schema": schema_of(op.response)}},
                }
            codes = {401, 403, *op.errors}
            if op.body is not None:
                codes |= {400, 413, 422}
            if op.query is not None:
                codes.add(422)
            for code in sorted(codes):
                operation["responses"][str(code)] = {
                    "description": _ERROR_TEXT.get(code, "Error"),
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
                    },
                }
            item[method] = operation
        paths["/maestro/api/" + route.path] = item
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Maestro for Jupyter",
            "version": __version__,
            "description": "Tasks, subtasks and agent sessions. Authenticate with a Jupyter "
            "token: `Authorization: token <token>`.",
        },
        "servers": [{"url": base_url.rstrip("/") or "/"}],
        "security": [{"jupyterToken": []}],
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {
                "jupyterToken": {"type": "apiKey", "in": "header", "name": "Authorization"}
            },
        },
    }
