"""Crash safety: `kill -9` of a loaded server loses no acknowledged write and leaves a sound store.

A real `jupyter server` subprocess takes writes from 20 concurrent writers (create a task, add a
subtask, complete it); it is killed with SIGKILL mid-load, several times, and started again on the
same database. Everything the writers were told succeeded must be there, `PRAGMA integrity_check`
must say ok, and the event log's `seq` must run without a gap.
"""

from __future__ import annotations

import http.client
import json
import sqlite3
import threading
import time
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from harness import ServerProcess

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

WRITERS = 20
ROUNDS = 3


@dataclass
class Acknowledged:
    """What the server answered 2xx to: only these writes are promised to survive."""

    tasks: list[str] = field(default_factory=list)
    subtasks: list[str] = field(default_factory=list)
    completed: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def count(self) -> int:
        return len(self.tasks) + len(self.subtasks) + len(self.completed)


def _writer(server: ServerProcess, number: int, acked: Acknowledged, stop: threading.Event) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    headers = {"Authorization": f"token {server.token}", "Content-Type": "application/json"}

    def call(method: str, path: str, body: dict) -> dict | None:
        conn.request(method, "/maestro/api/" + path, body=json.dumps(body), headers=headers)
        response = conn.getresponse()
        data = response.read()
        return json.loads(data) if response.status in (200, 201) else None

    try:
        for i in range(100_000):  # bounded; the kill ends it long before
            if stop.is_set():
                return
            task = call("POST", "tasks", {"title": f"writer {number} task {i}"})
            if task is None:
                continue
            with acked.lock:
                acked.tasks.append(task["id"])
            subtask = call("POST", f"tasks/{task['id']}/subtasks", {"title": "step"})
            if subtask is None:
                continue
            with acked.lock:
                acked.subtasks.append(subtask["id"])
            path = f"tasks/{task['id']}/subtasks/{subtask['id']}"
            done = call("PATCH", path, {"completed": True})
            if done is not None:
                with acked.lock:
                    acked.completed.append(subtask["id"])
    except (OSError, http.client.HTTPException):
        return  # the server died under us: what was acknowledged is in `acked`
    finally:
        conn.close()


def _load_then_kill(server: ServerProcess, acked: Acknowledged) -> None:
    stop = threading.Event()
    threads = [
        threading.Thread(target=_writer, args=(server, n, acked, stop), daemon=True)
        for n in range(WRITERS)
    ]
    before = acked.count
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 30
    while acked.count < before + 60 and time.monotonic() < deadline:
        time.sleep(0.02)
    server.kill()  # mid-load: the writers are still sending
    stop.set()
    for thread in threads:
        thread.join(timeout=30)
    assert acked.count > before, "no write was acknowledged before the kill"


def _check_store(db_path: Path, acked: Acknowledged) -> None:
    with closing(sqlite3.connect(db_path)) as db:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        tasks = {row[0] for row in db.execute("SELECT id FROM tasks")}
        subtasks = dict(db.execute("SELECT id, completed FROM subtasks").fetchall())
        seqs = [row[0] for row in db.execute("SELECT seq FROM events ORDER BY seq")]
        announced = {
            row[0]
            for row in db.execute(
                "SELECT json_extract(data, '$.id') FROM events WHERE event = 'task:created'"
            )
        }
    assert set(acked.tasks) <= tasks, f"lost tasks: {sorted(set(acked.tasks) - tasks)[:5]}"
    assert set(acked.subtasks) <= set(subtasks), "lost subtasks"
    assert all(subtasks[sid] for sid in acked.completed), "lost subtask completions"
    assert seqs == list(range(1, len(seqs) + 1)), "the event seq has a gap"
    assert tasks <= announced, "a stored task has no task:created event"


def test_kill_9_mid_load_loses_no_acknowledged_write(tmp_path: Path):
    server = ServerProcess(tmp_path / "server")
    acked = Acknowledged()
    try:
        for _ in range(ROUNDS):
            server.start()
            _load_then_kill(server, acked)
            _check_store(server.db_path, acked)
        server.start()  # and the server comes back on the same database
        status = server.api("GET", "status")
        assert sum(status["counts"]["tasks"].values()) >= len(acked.tasks)
        assert server.api("GET", f"tasks/{acked.tasks[-1]}")["id"] == acked.tasks[-1]
        created = server.api("POST", "tasks", {"title": "after the crashes"})
        events = server.api("GET", "status")["lastSeq"]
        assert events > status["lastSeq"], created
    finally:
        server.stop()
    _check_store(server.db_path, acked)
