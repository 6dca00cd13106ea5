"""Route declarations: one table drives both Tornado's URL patterns and the OpenAPI document."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

API_PREFIX = "maestro/api/"
_PARAM = re.compile(r"{(\w+)}")


@dataclass(frozen=True)
class Operation:
    """One HTTP method of a route, as the OpenAPI document describes it."""

    summary: str
    body: Any = None  # a pydantic model (or a Union/list type) the JSON body must match
    query: type[BaseModel] | None = None
    response: Any = None  # pydantic model of the success body; None means 204 No Content
    status: int = 200
    errors: tuple[int, ...] = ()
    idempotent: bool = False


@dataclass(frozen=True)
class Route:
    path: str  # relative to maestro/api/, with {param} placeholders
    handler: type
    operations: dict[str, Operation] = field(default_factory=dict)

    @property
    def pattern(self) -> str:
        """Tornado pattern: each {param} matches a `\\w`-safe id (all Maestro ids are)."""
        return API_PREFIX + _PARAM.sub(lambda m: rf"(?P<{m.group(1)}>[\w.-]+)", self.path) + "/?"
