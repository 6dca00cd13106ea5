"""Tool input schemas from the REST API's own pydantic models, made small for a tool list.

A tool list is read into every conversation, so each schema keeps what a model needs to call the
tool (types, enums, required fields, telling defaults) and leaves out the rest: titles, length
limits and patterns (the arguments are validated with the same models before anything is sent,
and the server validates them again), `$defs` (inlined), and the fields the session supplies
itself (its id, its spawn source).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import BaseModel

# Keywords a model does not need to call a tool well; validation enforces them anyway.
_LEFT_OUT = frozenset(
    {
        "title",
        "pattern",
        "maxLength",
        "minLength",
        "maxItems",
        "minItems",
        "minimum",
        "maximum",
        "additionalProperties",
    }
)


def arguments(
    model: type[BaseModel] | None = None,
    *,
    omit: Iterable[str] = (),
    only: Iterable[str] | None = None,
    extra: Mapping[str, Mapping[str, Any]] | None = None,
    required: Iterable[str] = (),
) -> dict[str, Any]:
    """The JSON Schema of a tool's arguments: `extra` properties first (the tool's own, e.g.
    `taskId`), then `model`'s wire fields (camelCase) less `omit` (or only `only`)."""
    schema = model.model_json_schema(by_alias=True) if model is not None else {}
    definitions = schema.get("$defs", {})
    omitted = set(omit)
    kept = set(only) if only is not None else None
    properties = {name: dict(spec) for name, spec in (extra or {}).items()}
    for name, spec in schema.get("properties", {}).items():
        if name not in omitted and (kept is None or name in kept):
            properties[name] = lean(spec, definitions)
    needed = [*required, *(name for name in schema.get("required", []) if name in properties)]
    result: dict[str, Any] = {"type": "object", "properties": properties}
    if needed:
        result["required"] = list(dict.fromkeys(needed))
    return result


def lean(node: Any, definitions: Mapping[str, Any]) -> Any:
    """`node` with `$ref`s inlined, the optional-null choice folded away and the keywords of
    `_LEFT_OUT` (and uninformative defaults) dropped."""
    if isinstance(node, list):
        return [lean(item, definitions) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        return lean(definitions[node["$ref"].rsplit("/", 1)[-1]], definitions)
    node = dict(node)
    choices = node.pop("anyOf", None)
    if choices is not None:
        choices = [choice for choice in choices if choice != {"type": "null"}]
        if len(choices) == 1:
            node = {**choices[0], **node}
        else:
            node["anyOf"] = choices
    if node.get("default", True) in (None, False, "", [], {}):
        del node["default"]
    result = {}
    for key, value in node.items():
        if key == "properties":  # names, not keywords: a property may be called `title`
            result[key] = {name: lean(spec, definitions) for name, spec in value.items()}
        elif key not in _LEFT_OUT:
            result[key] = (
                value if key in ("enum", "default", "required") else lean(value, definitions)
            )
    return result
