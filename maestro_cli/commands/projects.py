"""`maestro project ...`: projects, each a board of tasks with a working folder (a repository)."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

import click

from maestro_jupyter.vocabulary import DEFAULT_PROJECT_ID

from .. import output
from ..context import ID, TEXT, examples, global_options, state

# The project the server files work under when none is named (store.DEFAULT_PROJECT_ID_ID).


@click.group()
def project() -> None:
    """Projects: separate boards of tasks, each with its working folder.

    The current project (--project, else MAESTRO_PROJECT_ID, else the config's `project`) is
    where `task list`, `task create`, `task next` and `session spawn` work.
    """


def print_projects(projects: Sequence[Mapping[str, Any]]) -> None:
    if not projects:
        output.echo("No projects.")
        return
    current = state().project_id() or DEFAULT_PROJECT_ID
    output.echo(
        output.table(
            projects,
            [
                ("", lambda p: "*" if p["id"] == current else ""),
                ("ID", lambda p: p["id"]),
                ("NAME", lambda p: p.get("name") or ""),
                ("FOLDER", lambda p: p.get("workingDir") or "-"),
            ],
        )
    )


def print_project(project: Mapping[str, Any]) -> None:
    output.echo(f"{output.style(project['id'], bold=True)}  {project.get('name') or ''}")
    output.echo(
        output.pairs(
            [
                ("folder", project.get("workingDir")),
                ("base branch", project.get("baseBranch")),
                ("created", project.get("createdAt")),
                ("updated", project.get("updatedAt")),
                ("version", project.get("version")),
            ]
        )
    )
    if project.get("description"):
        output.echo()
        output.echo(project["description"])


@project.command("list")
@global_options
@examples("maestro project list", "maestro project list --json")
def list_projects() -> None:
    """List the projects; `*` marks the current one."""
    st = state()
    st.emit(st.client.list_projects(), print_projects)


@project.command("create")
@click.argument("name", type=TEXT)
@click.option(
    "--path",
    type=TEXT,
    metavar="DIR",
    help="Its working folder on the server's machine, e.g. the repository (relative to here).",
)
@click.option("--description", "-d", help="What the project is (Markdown).")
@global_options
@examples(
    "maestro project create Parser --path ~/src/parser",
    "maestro project create Docs --path . --json",
)
def create(name: str, path: str | None, description: str | None) -> None:
    """Create a project; spawns in it start in its working folder."""
    st = state()
    working_dir = os.path.abspath(os.path.expanduser(path)) if path else None
    created = st.client.create_project(name, workingDir=working_dir, description=description)
    st.emit(created, lambda p: output.echo(f"Created {p['id']}: {p.get('name', '')}"))


@project.command("show")
@click.argument("project_id", type=ID, required=False)
@global_options
@examples("maestro project show", "maestro project show proj_k2x9m4ab --json")
def show(project_id: str | None) -> None:
    """Show a project (default: the current one, else the server's default project)."""
    st = state()
    chosen = project_id or st.project_id() or DEFAULT_PROJECT_ID
    st.emit(st.client.get_project(chosen), print_project)


@project.command("use")
@click.argument("project_id", type=ID)
@global_options
@examples("maestro project use proj_k2x9m4ab")
def use(project_id: str) -> None:
    """Make a project the current one: saved as `project` in the config file.

    MAESTRO_PROJECT_ID (set in a session's terminal) and --project still win over it.
    """
    from maestro_jupyter.client import load_config, save_config

    st = state()
    chosen = st.client.get_project(project_id)
    path = save_config({**load_config(), "project": chosen["id"]})
    overridden = os.environ.get("MAESTRO_PROJECT_ID")

    def human(p: Mapping[str, Any]) -> None:
        output.echo(f"Using {p['id']} ({p.get('name', '')}); saved in {path}")
        if overridden and overridden != p["id"]:
            shown = output.neutralised(overridden)
            output.echo(f"Note: MAESTRO_PROJECT_ID={shown} still wins in this shell", err=True)

    st.emit(chosen, human)
