"""The Lab extension's copy of the vocabulary (labextension/src/vocabulary.ts) says exactly what
maestro_jupyter/vocabulary.py says: the same names, the same words, in the same order."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import pytest

from maestro_jupyter import vocabulary

VOCABULARY_TS = Path(__file__).resolve().parents[1] / "labextension" / "src" / "vocabulary.ts"

# `export const NAME[: Type] = [ ... ] [as const];` or `= { ... };`
_EXPORT = re.compile(
    r"^export const (?P<name>[A-Z][A-Z_]*)\s*(?::[^=]+)?=\s*(?P<value>\[[^\]]*\]|\{[^}]*\})",
    re.M,
)
_BARE_KEY = re.compile(r"([{,]\s*)([A-Za-z_]\w*)\s*:")


def parse_typescript_constants(source: str) -> dict[str, Any]:
    """The exported constant lists and records of a TypeScript file, as Python values."""
    constants = {}
    for match in _EXPORT.finditer(source):
        literal = _BARE_KEY.sub(r"\1'\2':", match["value"])
        value = ast.literal_eval(literal)
        constants[match["name"]] = tuple(value) if isinstance(value, list) else value
    return constants


def python_constants() -> dict[str, Any]:
    return {
        name: value
        for name, value in vars(vocabulary).items()
        if name.isupper() and isinstance(value, (tuple, dict))
    }


@pytest.fixture(scope="module")
def typescript() -> dict[str, Any]:
    return parse_typescript_constants(VOCABULARY_TS.read_text())


def test_both_sides_define_the_same_names(typescript: dict[str, Any]) -> None:
    assert sorted(typescript) == sorted(python_constants())


@pytest.mark.parametrize("name", sorted(python_constants()))
def test_each_list_is_equal(typescript: dict[str, Any], name: str) -> None:
    python = python_constants()[name]
    assert typescript.get(name) == python
    if isinstance(python, dict):  # a record's order is part of what the UI shows
        assert list(typescript[name]) == list(python)


def test_the_parser_reads_what_prettier_writes() -> None:
    source = (
        "export const ROLES = ['worker', 'orchestrator'] as const;\n"
        "export const ENDED: readonly SessionStatus[] = [\n  'completed',\n  'failed'\n];\n"
        "export const RANK: Readonly<Record<Priority, number>> = {\n  urgent: 0,\n  low: 3\n};\n"
        "const LOCAL = ['not exported'];\n"
    )
    assert parse_typescript_constants(source) == {
        "ROLES": ("worker", "orchestrator"),
        "ENDED": ("completed", "failed"),
        "RANK": {"urgent": 0, "low": 3},
    }
