"""A spawn's tasks: refused while their dependencies are unmet or a live session holds them
(unless forced), then claimed for the new session."""

from __future__ import annotations

from typing import Any

from ..errors import Claimed, DependenciesUnmet, NotFound
from ..lifecycle import is_ended


def _names(dependencies: list[dict[str, Any]]) -> str:
    return ", ".join(f"{dep['title']} ({dep['id']}, {dep['status']})" for dep in dependencies)


async def check_claimable(store: Any, tasks: list[dict[str, Any]], force: bool) -> None:
    """409 `dependencies_unmet` (naming them) or `claimed` (naming the holder) unless `force`;
    checked before the session is recorded, so a refusal changes nothing."""
    if not tasks or force:
        return
    unmet = await store.unmet_dependencies([task["id"] for task in tasks])
    if unmet:
        waits = "; ".join(
            f"task {task_id} waits on {_names(deps)}" for task_id, deps in unmet.items()
        )
        every = list({dep["id"]: dep for deps in unmet.values() for dep in deps}.values())
        raise DependenciesUnmet(
            f"Cannot spawn: {waits}. Complete (or cancel) them first, or spawn with force.",
            {"dependencies": every, "tasks": unmet},
        )
    for task in tasks:
        holder = task.get("claimedBy")
        if holder is None:
            continue
        try:
            status = (await store.get_session(holder))["status"]
        except NotFound:
            continue  # a claim of a deleted session is taken over
        if not is_ended(status):
            raise Claimed(
                f"Cannot spawn: task {task['id']} is claimed by session {holder} ({status}).",
                {"id": task["id"], "claimedBy": holder, "holderStatus": status},
            )


async def claim(
    store: Any, session_id: str, tasks: list[dict[str, Any]], force: bool, actor: str | None
) -> None:
    """Claim the tasks for the new session (each claim credited to it). Forced, a task a live
    session holds passes to the new one: the spawn's asker decided so."""
    for task in tasks:
        holder = task.get("claimedBy")
        if force and holder and holder != session_id:
            await store.release_task(task["id"], holder, actor=actor)
        await store.claim_task(session_id, task["id"], force=force)
