"""`maestro export` and `maestro import`: the whole store as one portable JSON document."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import click

from .. import output
from ..context import InputError, examples, global_options, state


def _summary(document: Mapping[str, Any]) -> str:
    counts = {key: len(value) for key, value in document.items() if isinstance(value, list)}
    return ", ".join(f"{n} {name}" for name, n in counts.items()) or "nothing"


def _import_summary(result: Mapping[str, Any]) -> str:
    """`{"created": {"tasks": 2}, "skipped": {...}, ...}` as `created 2 tasks; skipped ...`."""
    parts = []
    for outcome in ("created", "overwritten", "skipped"):
        counts = result.get(outcome)
        if isinstance(counts, Mapping):
            shown = ", ".join(f"{n} {kind}" for kind, n in counts.items() if n)
            if shown:
                parts.append(f"{outcome} {shown}")
    return "; ".join(parts) or "nothing to import"


@click.command()
@click.option(
    "--output",
    "-o",
    "target",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write to this file (default: standard output).",
)
@global_options
@examples("maestro export -o maestro-backup.json", "maestro export > maestro-backup.json")
def export(target: Path | None) -> None:
    """Export the whole store (projects, tasks, subtasks, sessions, timeline) as JSON."""
    st = state()
    document = st.client.export_store()
    if target is None:
        if st.json:
            output.print_success(document)
        else:
            output.print_json(document)
        return
    target.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    st.emit(
        {"path": str(target), "summary": _summary(document)},
        lambda d: output.echo(f"Exported {d['summary']} to {d['path']}"),
    )


@click.command("import")
@click.argument("source", type=click.File("rb"))
@click.option("--overwrite", is_flag=True, help="Replace rows whose ids already exist.")
@click.option("--skip-existing", is_flag=True, help="Keep rows whose ids already exist.")
@global_options
@examples(
    "maestro import maestro-backup.json",
    "maestro import maestro-backup.json --skip-existing",
    "cat backup.json | maestro import -",
)
def import_(source: Any, overwrite: bool, skip_existing: bool) -> None:
    """Import an export in one transaction; ids that exist already stop it unless told otherwise."""
    if overwrite and skip_existing:
        raise InputError("give either --overwrite or --skip-existing, not both")
    name = getattr(source, "name", "-")
    name = "standard input" if name in ("-", "<stdin>") else name
    try:
        document = json.loads(source.read())
    except (ValueError, UnicodeDecodeError) as error:
        raise InputError(f"{name} is not JSON: {error}") from None
    if not isinstance(document, dict):
        raise InputError(f"{name} is not a Maestro export (expected a JSON object)")
    if isinstance(document.get("data"), dict) and document.get("success") is True:
        document = document["data"]  # the --json envelope of `maestro export --json`
    if document.get("format") != "maestro-export":
        raise InputError(f'{name} is not a Maestro export (no "format": "maestro-export")')
    on_conflict = "overwrite" if overwrite else "skip" if skip_existing else "fail"
    st = state()
    answer = st.client.import_store(document, on_conflict=on_conflict)
    st.emit(
        answer,
        lambda a: output.echo(f"Imported {name}: {_import_summary(a)}"),
    )
