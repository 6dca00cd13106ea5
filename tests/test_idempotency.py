"""Idempotency-Key: a request record, so a retry never does the work twice and never hides a
failure, and a key reused for another request is refused."""

from __future__ import annotations

import asyncio
import json

import pytest

pytestmark = pytest.mark.timeout(120)


async def test_a_retry_gets_the_first_answer_and_creates_nothing_more(api):
    headers = {"Idempotency-Key": "k-1"}
    first = await api("POST", "tasks", {"title": "once"}, headers=headers)
    again = await api("POST", "tasks", {"title": "once"}, headers=headers)
    assert first.status == again.status == 201
    assert again.json == first.json
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert [t["title"] for t in (await api("GET", "tasks")).json["items"]] == ["once"]


async def test_the_same_key_with_another_body_is_422_and_changes_nothing(api):
    headers = {"Idempotency-Key": "k-2"}
    await api("POST", "tasks", {"title": "first"}, headers=headers)
    reused = await api("POST", "tasks", {"title": "second"}, headers=headers)
    assert reused.status == 422
    assert reused.json["error"] == "idempotency_key_reused"
    assert "Idempotency-Key" in reused.json["message"] or "key" in reused.json["message"]
    assert [t["title"] for t in (await api("GET", "tasks")).json["items"]] == ["first"]


async def test_the_same_key_on_another_route_is_its_own_request(api):
    headers = {"Idempotency-Key": "k-3"}
    project = await api("POST", "projects", {"name": "p"}, headers=headers)
    task = await api("POST", "tasks", {"title": "t"}, headers=headers)
    assert project.status == task.status == 201


async def test_concurrent_requests_with_one_key_run_once(api):
    headers = {"Idempotency-Key": "k-4"}
    body = {"title": "raced", "subtasks": [{"title": f"s{i}"} for i in range(50)]}
    replies = await asyncio.gather(*(api("POST", "tasks", body, headers=headers) for _ in range(5)))
    assert {reply.status for reply in replies} == {201}
    assert len({reply.json["id"] for reply in replies}) == 1
    listed = (await api("GET", "tasks")).json["items"]
    assert len(listed) == 1 and listed[0]["subtaskCount"] == 50


async def test_a_refusal_is_the_answer_to_its_retry_too(api):
    headers = {"Idempotency-Key": "k-5"}
    first = await api("POST", "tasks/task_nothere/complete", {}, headers=headers)
    again = await api("POST", "tasks/task_nothere/complete", {}, headers=headers)
    assert first.status == again.status == 404
    assert again.json == first.json


async def test_an_export_of_five_megabytes_imports_into_a_fresh_server(api):
    description = "lorem ipsum dolor sit amet\n" * 400  # ~11 KB
    stamp = "2026-01-01T00:00:00.000000Z"
    tasks = [
        {
            "id": f"task_big{i:05d}",
            "projectId": "proj_default",
            "parentId": None,
            "title": f"task {i}",
            "description": description,
            "status": "todo",
            "priority": "medium",
            "blockedReason": None,
            "dependencies": [],
            "labels": [],
            "sessionIds": [],
            "subtaskCount": 0,
            "subtasksCompleted": 0,
            "createdAt": stamp,
            "updatedAt": stamp,
            "startedAt": None,
            "completedAt": None,
            "version": 1,
        }
        for i in range(480)
    ]
    export = {"format": "maestro-export", "schemaVersion": 1, "tasks": tasks}
    raw = json.dumps(export).encode()
    assert len(raw) > 5 * 1024 * 1024
    reply = await api("POST", "import", raw=raw)
    assert reply.status == 200, reply
    assert reply.json["created"]["tasks"] == 480
    status = (await api("GET", "status")).json
    assert sum(status["counts"]["tasks"].values()) == 480
