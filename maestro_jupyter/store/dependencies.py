"""Dependencies in SQL: which tasks are ready, which dependencies are unmet, who depends on whom.

A task's `dependencies` is a JSON list of task ids. The database reads it as rows through
`dependency_ids` (SQLite's json_each, PostgreSQL's json_array_elements_text), so "ready" is one
statement that can be ordered, paged and locked. A dependency counts as met when its task is in
RESOLVED_TASK_STATUSES (completed, or cancelled: nothing would ever complete it), or no longer
exists (deleting a task removes it from the others' lists anyway).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, and_, bindparam, case, exists, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from ..errors import DependenciesUnmet
from ..vocabulary import PRIORITY_RANK, RESOLVED_TASK_STATUSES
from . import schema as t


class dependency_ids(FunctionElement):  # noqa: N801 (a SQL function, named as SQL names them)
    """The ids in a JSON list column, one row each (column `value`)."""

    name = "dependency_ids"
    inherit_cache = True


@compiles(dependency_ids, "sqlite")
def _json_each(element: dependency_ids, compiler: Any, **kw: Any) -> str:
    return f"json_each({compiler.process(element.clauses, **kw)})"


@compiles(dependency_ids, "postgresql")
def _json_array_elements_text(element: dependency_ids, compiler: Any, **kw: Any) -> str:
    return f"json_array_elements_text({compiler.process(element.clauses, **kw)})"


_dependency = dependency_ids(t.tasks.c.dependencies).table_valued("value").alias("dependency")
_dependency_task = t.tasks.alias("dependency_task")

# The task (of the enclosing statement) waits on a dependency that is not resolved.
UNMET = (
    exists()
    .select_from(_dependency.join(_dependency_task, _dependency_task.c.id == _dependency.c.value))
    .where(_dependency_task.c.status.not_in(RESOLVED_TASK_STATUSES))
)
# Ready: todo, unclaimed, and every dependency resolved.
READY = and_(t.tasks.c.status == "todo", t.tasks.c.claimed_by.is_(None), ~UNMET)
# Most urgent first (an unknown priority last).
PRIORITY_ORDER = case(PRIORITY_RANK, value=t.tasks.c.priority, else_=len(PRIORITY_RANK))
READY_ORDER = (PRIORITY_ORDER, t.tasks.c.created_at, t.tasks.c.id)

# Tasks that list one of `ids` among their dependencies.
_DEPENDS_ON_ANY = (
    exists()
    .select_from(_dependency)
    .where(_dependency.c.value.in_(bindparam("ids", expanding=True)))
)
DEPENDENTS_OF = select(t.tasks.c.id, t.tasks.c.title, t.tasks.c.dependencies).where(_DEPENDS_ON_ANY)

_DEPENDENCY_LISTS = select(t.tasks.c.id, t.tasks.c.dependencies).where(
    t.tasks.c.id.in_(bindparam("ids", expanding=True))
)
_UNRESOLVED = select(t.tasks.c.id, t.tasks.c.title, t.tasks.c.status).where(
    t.tasks.c.id.in_(bindparam("ids", expanding=True)),
    t.tasks.c.status.not_in(RESOLVED_TASK_STATUSES),
)


def unmet_of(
    conn: Connection, task_ids: Sequence[str], lists: dict[str, list[str]] | None = None
) -> dict[str, list[dict[str, Any]]]:
    """For each task, its unmet dependencies as {id, title, status}, in the order it lists them
    (tasks with none are left out). `lists` gives dependency lists to use instead of the stored
    ones (a change about to be written)."""
    lists = dict(lists or {})
    wanted = [task_id for task_id in task_ids if task_id not in lists]
    if wanted:
        lists.update(conn.execute(_DEPENDENCY_LISTS, {"ids": wanted}).all())
    referenced = list({dep for deps in lists.values() for dep in deps or ()})
    if not referenced:
        return {}
    unresolved = {
        row.id: {"id": row.id, "title": row.title, "status": row.status}
        for row in conn.execute(_UNRESOLVED, {"ids": referenced})
    }
    result = {}
    for task_id in task_ids:
        unmet = [unresolved[dep] for dep in lists.get(task_id) or () if dep in unresolved]
        if unmet:
            result[task_id] = unmet
    return result


def names(dependencies: Sequence[dict[str, Any]]) -> str:
    """ "Title (id, status), ..." for messages."""
    return ", ".join(f"{dep['title']} ({dep['id']}, {dep['status']})" for dep in dependencies)


def unmet_error(task_id: str, doing: str, unmet: list[dict[str, Any]]) -> DependenciesUnmet:
    return DependenciesUnmet(
        f"Task {task_id} cannot {doing}: it waits on {names(unmet)}. "
        "Complete (or cancel) them first, or force it.",
        {"id": task_id, "dependencies": unmet},
    )
