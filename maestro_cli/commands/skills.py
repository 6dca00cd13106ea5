"""`maestro skill ...`: the skills agents are briefed with, and installing the packaged ones."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import click

from .. import output
from ..context import TEXT, examples, global_options, state


@click.group()
def skill() -> None:
    """Skills: instructions (SKILL.md) given to agents by role."""


def print_skills(skills: Sequence[Mapping[str, Any]]) -> None:
    if not skills:
        output.echo("No skills.")
        return
    output.echo(
        output.table(
            skills,
            [
                ("NAME", lambda s: s.get("name", "?")),
                ("ROLES", lambda s: output.join(s.get("roles"))),
                ("SOURCE", lambda s: str(s.get("source") or s.get("origin") or "-")),
                (
                    "DESCRIPTION",
                    lambda s: (
                        output.style(f"error: {s['error']}", "red")
                        if s.get("error")
                        else s.get("description") or ""
                    ),
                ),
            ],
        )
    )


@skill.command("list")
@global_options
@examples("maestro skill list", "maestro skill list --json")
def list_skills() -> None:
    """List the skills the server knows (user folder first, then the packaged ones)."""
    st = state()
    st.emit(st.client.list_skills(), print_skills)


def _print_skill(skill: Mapping[str, Any]) -> None:
    body = next(
        (skill[key] for key in ("content", "body", "instructions", "markdown") if skill.get(key)),
        None,
    )
    output.echo(
        output.pairs(
            [
                ("name", output.style(str(skill.get("name", "?")), bold=True)),
                ("description", skill.get("description")),
                ("roles", ", ".join(skill.get("roles") or [])),
                ("path", skill.get("path")),
                ("error", skill.get("error")),
            ]
        )
    )
    if body:
        output.echo()
        output.echo(str(body).rstrip())


@skill.command("show")
@click.argument("name", type=TEXT)
@global_options
@examples("maestro skill show maestro-worker")
def show_skill(name: str) -> None:
    """Show a skill's description and instructions."""
    st = state()
    st.emit(st.client.get_skill(name), _print_skill)


@skill.command("install")
@click.option(
    "--dir",
    "target",
    type=click.Path(file_okay=False, path_type=Path),
    help="Install here (default ~/.agents-ui/maestro-skills).",
)
@click.option("--force", is_flag=True, help="Overwrite files you edited too.")
@global_options
@examples("maestro skill install", "maestro skill install --force")
def install(target: Path | None, force: bool) -> None:
    """Copy the packaged skills into your skills folder, keeping files you edited."""
    from maestro_jupyter.paths import user_skills_dir
    from maestro_jupyter.skills import install_skills

    destination = target or user_skills_dir()
    results = install_skills(destination, force=force)
    state().emit(
        {"directory": str(destination), "files": results},
        lambda data: _print_install(data["directory"], data["files"]),
    )


def _print_install(directory: str, files: Sequence[Mapping[str, str]]) -> None:
    if files:
        output.echo(output.table(files, [("FILE", lambda f: f["path"]), ("", _action_word)]))
    counts: dict[str, int] = {}
    for item in files:
        counts[item["action"]] = counts.get(item["action"], 0) + 1
    summary = ", ".join(f"{n} {action}" for action, n in sorted(counts.items())) or "nothing"
    output.echo(f"Skills in {directory}: {summary}")


def _action_word(item: Mapping[str, str]) -> str:
    colors = {"installed": "green", "updated": "cyan", "kept": "yellow", "overwritten": "red"}
    return output.style(item["action"], colors.get(item["action"]))
