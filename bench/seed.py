"""Fill a Maestro SQLite file with many tasks quickly: bulk inserts through the store's tables.

Creating 100,000 tasks one request (or one store call) at a time would take minutes; these are
plain multi-row inserts in one transaction, with the rows shaped as the store writes them
(each task with subtasks and a `task:created` event, so the event log grows too).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import insert

from maestro_jupyter.paths import ensure_private_dir
from maestro_jupyter.store import DEFAULT_PROJECT_ID, Store, new_id
from maestro_jupyter.store import schema as t

CHUNK = 5_000
STATUSES = ("todo", "in_progress", "blocked", "completed", "cancelled")


def seed(db_path: Path, tasks: int, subtasks_per_task: int = 2) -> None:
    """Add `tasks` tasks (older than anything created later) to the store at `db_path`."""
    ensure_private_dir(db_path.parent)
    store = Store(f"sqlite:///{db_path}")
    start = datetime(2025, 1, 1, tzinfo=timezone.utc)
    seq = store.last_seq()
    try:
        with store.engine.begin() as conn:
            # A seed that dies half-way is thrown away, so it need not wait for the disk.
            conn.exec_driver_sql("PRAGMA synchronous=OFF")
            for first in range(0, tasks, CHUNK):
                task_rows, subtask_rows, event_rows = [], [], []
                for i in range(first, min(first + CHUNK, tasks)):
                    at = (start + timedelta(seconds=i)).isoformat().replace("+00:00", "Z")
                    task_id = new_id("task")
                    task_rows.append(
                        {
                            "id": task_id,
                            "project_id": DEFAULT_PROJECT_ID,
                            "parent_id": None,
                            "title": f"seeded task {i}",
                            "description": "Seeded by bench.seed to measure growth.",
                            "status": STATUSES[i % len(STATUSES)],
                            "priority": "medium",
                            "blocked_reason": None,
                            "dependencies": [],
                            "labels": ["seeded"],
                            "created_at": at,
                            "updated_at": at,
                            "started_at": None,
                            "completed_at": None,
                            "version": 1,
                        }
                    )
                    for position in range(subtasks_per_task):
                        subtask_rows.append(
                            {
                                "id": new_id("sub"),
                                "task_id": task_id,
                                "title": f"step {position}",
                                "description": "",
                                "completed": position == 0,
                                "position": position,
                                "created_at": at,
                                "updated_at": at,
                                "completed_at": at if position == 0 else None,
                                "version": 1,
                            }
                        )
                    seq += 1
                    event_rows.append(
                        {
                            "seq": seq,
                            "event": "task:created",
                            "data": {"id": task_id},
                            "timestamp": at,
                        }
                    )
                conn.execute(insert(t.tasks), task_rows)
                if subtask_rows:
                    conn.execute(insert(t.subtasks), subtask_rows)
                conn.execute(insert(t.events), event_rows)
    finally:
        store.close()
