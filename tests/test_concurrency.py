"""Many agents at once: concurrent creates and PATCHes of one task's subtasks all persist."""

from __future__ import annotations

import asyncio

import pytest

pytestmark = pytest.mark.timeout(180)


async def test_fifty_concurrent_subtask_creates_all_persist(api):
    task = (await api("POST", "tasks", {"title": "busy"})).json
    replies = await asyncio.gather(
        *(api("POST", f"tasks/{task['id']}/subtasks", {"title": f"sub {i}"}) for i in range(50))
    )
    assert [r.status for r in replies] == [201] * 50
    stored = (await api("GET", f"tasks/{task['id']}/subtasks")).json["items"]
    assert sorted(s["title"] for s in stored) == sorted(f"sub {i}" for i in range(50))
    assert sorted(s["position"] for s in stored) == list(range(50))


async def test_fifty_concurrent_patches_of_different_subtasks_all_persist(api):
    task = (
        await api(
            "POST",
            "tasks",
            {"title": "busy", "subtasks": [{"title": f"sub {i}"} for i in range(50)]},
        )
    ).json
    subtasks = (await api("GET", f"tasks/{task['id']}/subtasks")).json["items"]
    replies = await asyncio.gather(
        *(
            api(
                "PATCH",
                f"tasks/{task['id']}/subtasks/{s['id']}",
                {"completed": True, "title": f"{s['title']} done"},
            )
            for s in subtasks
        )
    )
    assert [r.status for r in replies] == [200] * 50
    stored = (await api("GET", f"tasks/{task['id']}/subtasks")).json["items"]
    assert all(s["completed"] and s["title"].endswith(" done") for s in stored)
    assert (await api("GET", f"tasks/{task['id']}")).json["subtasksCompleted"] == 50


async def test_two_agents_editing_different_fields_keep_both_changes(api):
    task = (await api("POST", "tasks", {"title": "shared"})).json
    await asyncio.gather(
        api("PATCH", f"tasks/{task['id']}", {"priority": "urgent"}),
        api("PATCH", f"tasks/{task['id']}", {"labels": ["backend"]}),
        api("PATCH", f"tasks/{task['id']}", {"description": "from agent three"}),
    )
    stored = (await api("GET", f"tasks/{task['id']}")).json
    assert (stored["priority"], stored["labels"], stored["description"]) == (
        "urgent",
        ["backend"],
        "from agent three",
    )
    assert stored["version"] == 4


async def test_concurrent_conditional_patches_let_exactly_one_win(api):
    task = (await api("POST", "tasks", {"title": "race"})).json
    replies = await asyncio.gather(
        *(
            api("PATCH", f"tasks/{task['id']}", {"title": f"winner {i}"}, headers={"If-Match": "1"})
            for i in range(10)
        )
    )
    assert sorted(r.status for r in replies) == [200] + [412] * 9
    winner = next(r.json["title"] for r in replies if r.status == 200)
    assert (await api("GET", f"tasks/{task['id']}")).json["title"] == winner
