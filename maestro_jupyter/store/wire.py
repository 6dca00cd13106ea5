"""Ids, timestamps, cursors, and rows as the camelCase objects the API sends (and reads back on
import). Serialising rows is on every request's path: column names are worked out once."""

from __future__ import annotations

import base64
import functools
import json
import secrets
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import Table

from ..errors import ValidationFailed
from . import schema as t

_ID_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds").replace("+00:00", "Z")


def stamp(value: datetime | str | None) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return value.astimezone(timezone.utc).isoformat(timespec="microseconds").replace("+00:00", "Z")


def new_id(prefix: str) -> str:
    bits = secrets.randbits(50)  # ten characters of 5 bits each: one call, not ten
    return prefix + "_" + "".join(_ID_ALPHABET[(bits >> shift) & 31] for shift in range(0, 50, 5))


def encode_cursor(*values: str) -> str:
    """The cursor of a page that ends at the row whose sort key is `values` ((created_at, id),
    or (priority rank, created_at, id) for ready tasks)."""
    return base64.urlsafe_b64encode(json.dumps(list(values)).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, size: int = 2) -> tuple[str, ...]:
    """The sort key a page continues after: (created_at, id) unless told `size`."""
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if (
            isinstance(values, list)
            and len(values) == size
            and all(isinstance(v, str) for v in values)
        ):
            return tuple(values)
    except ValueError:
        pass
    raise ValidationFailed.field("cursor", "is not a cursor this server handed out")


@functools.cache
def camel(column: str) -> str:
    head, *rest = column.split("_")
    return head + "".join(part.title() for part in rest)


@functools.cache
def wire_names(table: Table) -> tuple[str, ...]:
    """The camelCase names of a table's columns, in the table's order."""
    return tuple(camel(column.name) for column in table.c)


def wire(row: Sequence[Any], table: Table) -> dict[str, Any]:
    """A row selected as `select(table, ...extras)`: the table's columns come first, in order."""
    return dict(zip(wire_names(table), row, strict=False))


def wire_values(values: Mapping[str, Any], table: Table) -> dict[str, Any]:
    """The column values of a row about to be written (e.g. an INSERT's parameters)."""
    return {camel(column.name): values.get(column.name) for column in table.c}


def task_dict(
    row: Sequence[Any], session_ids: list[str], subtask_count: int, subtasks_completed: int
) -> dict[str, Any]:
    task = wire(row, t.tasks)
    task["sessionIds"] = session_ids
    task["subtaskCount"] = subtask_count
    task["subtasksCompleted"] = int(subtasks_completed)
    return task


def session_dict(row: Sequence[Any], task_ids: list[str]) -> dict[str, Any]:
    session = wire(row, t.sessions)
    user, server = session.pop("ownerUser"), session.pop("ownerServer")
    session["owner"] = None if user is None and server is None else {"user": user, "server": server}
    session["taskIds"] = task_ids
    return session


def row_from_wire(table: Table, item: Mapping[str, Any]) -> dict[str, Any]:
    """The column values of a wire object (an import): the fields it leaves out are left out,
    so the columns' defaults apply."""
    if table is t.sessions and "owner" in item:
        owner = item["owner"] or {}
        item = {**item, "ownerUser": owner.get("user"), "ownerServer": owner.get("server")}
    return {
        column.name: item[camel(column.name)] for column in table.c if camel(column.name) in item
    }
