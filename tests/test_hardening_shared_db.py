"""Two Jupyter servers on one Maestro database (e.g. two `jupyter lab` with the same ~/.maestro):
concurrent writes through both all persist, and the event log stays one gapless sequence."""

from __future__ import annotations

import asyncio
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from bench.load import run_load
from bench.operations import make_pool, operations
from harness import ServerProcess

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]


def test_two_servers_writing_one_database_lose_nothing(tmp_path: Path):
    first = ServerProcess(tmp_path / "first")
    second = ServerProcess(tmp_path / "second")
    second.env["MAESTRO_HOME"] = first.env["MAESTRO_HOME"]
    with first, second:
        pools = [make_pool(server, tasks=10, subtasks_per_task=2) for server in (first, second)]

        async def both() -> list:
            return await asyncio.gather(
                *(
                    run_load(
                        "127.0.0.1",
                        server.port,
                        server.token,
                        operations(pool)[name],
                        connections=10,
                        total=400,
                    )
                    for server, pool in zip((first, second), pools, strict=True)
                    for name in ("create subtask", "PATCH subtask")
                )
            )

        runs = asyncio.run(both())
    assert [run.errors for run in runs] == [0, 0, 0, 0], [run.error_samples for run in runs]
    created = runs[0].requests + runs[2].requests
    with closing(sqlite3.connect(first.db_path)) as db:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        subtasks = db.execute("SELECT count(*) FROM subtasks").fetchone()[0]
        seqs = [row[0] for row in db.execute("SELECT seq FROM events ORDER BY seq")]
    assert subtasks == 2 * 10 * 2 + created
    assert seqs == list(range(1, len(seqs) + 1))
