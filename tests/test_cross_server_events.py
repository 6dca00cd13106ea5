"""Two Jupyter servers on one PostgreSQL database: each one's events WebSocket carries both
servers' writes, in seq order, each once, and keeps doing so through a lost connection and a
database restart (store/feed.py, migration 0004)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import time
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from tornado.httpclient import AsyncHTTPClient

from harness import ServerProcess
from maestro_jupyter.store.feed import application_name
from tests.postgres_support import empty_database, postgres_cluster

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]


@pytest.fixture(scope="module")
def postgres():
    with postgres_cluster() as cluster:
        yield cluster


@pytest.fixture
def servers(postgres, tmp_path):
    config = {"Maestro": {"db_url": postgres.url}}
    first = ServerProcess(tmp_path / "a", config=config)
    second = ServerProcess(tmp_path / "b", config=config)
    try:
        with first, second:
            yield first, second
    finally:
        empty_database(postgres.url)


async def call(server: ServerProcess, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    """(status, decoded JSON) of one request to Maestro's REST API; never raises on 4xx/5xx."""
    response = await AsyncHTTPClient().fetch(
        server.url + path if path.startswith("api/") else server.url + "maestro/api/" + path,
        method=method,
        body=None if body is None else json.dumps(body),
        headers={"Authorization": f"token {server.token}"},
        raise_error=False,
        request_timeout=30,
    )
    return response.code, json.loads(response.body) if response.body else None


async def last_seq(server: ServerProcess) -> int:
    status, body = await call(server, "GET", "status")
    assert status == 200, body
    return body["lastSeq"]


async def events_through(ws: Any, seq: int) -> list[dict]:
    """What the socket sends until the event `seq` (a socket that stalls fails the test)."""
    seen: list[dict] = []
    while not seen or seen[-1]["seq"] < seq:
        message = await asyncio.wait_for(ws.read_message(), 30)
        assert message is not None, "the events socket closed"
        seen.append(json.loads(message))
    return seen


async def following(*servers: ServerProcess) -> tuple[list[Any], int]:
    """An events socket on each server, each past its replay: what comes next comes live."""
    sockets = [await server.events_socket() for server in servers]
    start = await last_seq(servers[0])
    for ws in sockets:
        await events_through(ws, start)
    return sockets, start


def created_ids(events: list[dict]) -> list[str]:
    return [e["data"]["id"] for e in events if e["event"] == "task:created"]


def admin(postgres, sql: str, **params: Any) -> list[Any]:
    engine = create_engine(postgres.url)
    try:
        with engine.begin() as conn:
            return list(conn.execute(text(sql), params))
    finally:
        engine.dispose()


def listener_pids(postgres, server: ServerProcess) -> list[int]:
    rows = admin(
        postgres,
        "SELECT pid FROM pg_stat_activity WHERE application_name = :name",
        name=application_name(server.pid),
    )
    return [row[0] for row in rows]


async def test_a_task_created_on_either_server_arrives_on_both_sockets_in_seq_order(servers):
    first, second = servers
    sockets, start = await following(first, second)
    _, on_first = await call(first, "POST", "tasks", {"title": "made on the first server"})
    _, on_second = await call(second, "POST", "tasks", {"title": "made on the second server"})
    last = await last_seq(second)
    for ws in sockets:
        events = await events_through(ws, last)
        assert [e["seq"] for e in events] == list(range(start + 1, last + 1))
        assert created_ids(events) == [on_first["id"], on_second["id"]]
        ws.close()


async def test_concurrent_writers_on_both_servers_reach_every_socket_once_in_order(servers):
    first, second = servers
    sockets, start = await following(first, second)
    replies = await asyncio.gather(
        *(
            call(server, "POST", "tasks", {"title": f"{i}", "subtasks": [{"title": "step"}]})
            for i in range(60)
            for server in servers
        )
    )
    assert [status for status, _ in replies] == [201] * 120
    last = await last_seq(first)
    for ws in sockets:
        events = await events_through(ws, last)
        assert [e["seq"] for e in events] == list(range(start + 1, last + 1))
        assert sorted(created_ids(events)) == sorted(body["id"] for _, body in replies)
        ws.close()


async def test_a_killed_listener_connection_reconnects_and_replays_what_it_missed(
    servers, postgres
):
    first, second = servers
    (ws,), start = await following(second)
    (cut,) = listener_pids(postgres, second)
    # The second server is paused while its listener's connection is cut and the first server
    # writes: those commits are notified to no one of its own, so only a replay can bring them.
    os.kill(second.pid, signal.SIGSTOP)
    try:
        admin(postgres, "SELECT pg_terminate_backend(:pid)", pid=cut)
        made = [
            (await call(first, "POST", "tasks", {"title": f"while cut off {i}"}))[1]["id"]
            for i in range(5)
        ]
    finally:
        os.kill(second.pid, signal.SIGCONT)
    last = await last_seq(first)
    events = await events_through(ws, last)
    assert [e["seq"] for e in events] == list(range(start + 1, last + 1))
    assert created_ids(events) == made
    deadline = time.monotonic() + 30
    while listener_pids(postgres, second) in ([], [cut]) and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    assert listener_pids(postgres, second) not in ([], [cut])
    # Later writes follow the replay live, on the new connection.
    _, after = await call(first, "POST", "tasks", {"title": "after the reconnect"})
    assert created_ids(await events_through(ws, last + 1)) == [after["id"]]
    log = second.log()
    assert log.count("lost the database connection that follows") == 1, log[-3000:]
    assert "following other servers' events again" in log
    ws.close()


async def test_a_stopped_database_refuses_writes_with_503_and_the_streams_resume_without_gaps(
    servers, postgres
):
    first, second = servers
    sockets, start = await following(first, second)
    made = [(await call(s, "POST", "tasks", {"title": "before"}))[1]["id"] for s in servers]
    postgres.stop()
    try:
        for server in servers:
            status, body = await call(server, "POST", "tasks", {"title": "while stopped"})
            assert status == 503 and body["error"] == "store_unavailable", body
            assert set(body) == {"error", "message", "details"}
            # The server is not frozen: Jupyter answers, and Maestro says why it cannot.
            assert (await call(server, "GET", "api/status"))[0] == 200
            status, body = await call(server, "GET", "status")
            assert status == 503 and body["error"] == "store_unavailable", body
        await asyncio.sleep(3)  # the listeners retry meanwhile (and say so once)
    finally:
        postgres.start()
    for server in servers:
        status, body = await call(server, "POST", "tasks", {"title": "after"})
        assert status == 201, body
        made.append(body["id"])
    last = await last_seq(first)
    for ws in sockets:
        events = await events_through(ws, last)
        assert [e["seq"] for e in events] == list(range(start + 1, last + 1))
        assert created_ids(events) == made
        ws.close()
    for server in servers:
        log = server.log()
        assert log.count("lost the database connection that follows") == 1, log[-3000:]
        assert "Traceback" not in log, log[-3000:]
