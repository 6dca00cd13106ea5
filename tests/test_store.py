"""The store on its own: SQLite settings, file permissions, the event log, idempotency records,
the database's faults as Maestro errors, filters and batching, export and import."""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import event, text

from maestro_jupyter.errors import (
    Conflict,
    IdempotencyKeyReused,
    RequestInProgress,
    StorageFull,
    StoreBusy,
    StoreUnavailable,
    ValidationFailed,
)
from maestro_jupyter.store import Store, migrations


@pytest.fixture
def db_path(tmp_path):
    return tmp_path / "maestro.db"


@pytest.fixture
def store(db_path):
    store = Store(f"sqlite:///{db_path}", root_dir="/srv")
    yield store
    store.close()


def count_statements(store: Store) -> list[str]:
    """The SQL statements the store runs from now on (appended as they run)."""
    statements: list[str] = []
    event.listen(store.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    return statements


# -- settings and lifecycle ---------------------------------------------------------------------
def test_reopening_keeps_data_and_the_default_project(db_path):
    first = Store(f"sqlite:///{db_path}", root_dir="/srv")
    task = first.create_task("persisted", subtasks=[{"title": "s"}])
    first.close()
    second = Store(f"sqlite:///{db_path}")
    assert second.get_task(task["id"], include_subtasks=True)["subtasks"][0]["title"] == "s"
    assert [p["id"] for p in second.list_projects()] == ["proj_default"]
    assert second.get_project("proj_default")["workingDir"] == "/srv"
    second.close()


def test_sqlite_runs_in_wal_with_foreign_keys_and_a_ten_second_lock_wait(store, db_path):
    with store.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA synchronous")).scalar() == 1  # NORMAL
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 10000
    assert stat.S_IMODE(db_path.stat().st_mode) == 0o600


async def test_the_home_folder_is_private(jp_serverapp, maestro_home):
    assert stat.S_IMODE(maestro_home.stat().st_mode) == 0o700


def test_events_are_published_only_after_commit(db_path):
    published = []
    store = Store(f"sqlite:///{db_path}", on_commit=published.append)
    published.clear()
    task = store.create_task("t")
    assert [e["event"] for e in published] == ["task:created"]
    with pytest.raises(Conflict):
        store.create_task("dup", id=task["id"])
    assert [e["event"] for e in published] == ["task:created"]
    assert store.events_since(0)[-1]["seq"] == published[-1]["seq"]
    store.close()


def test_the_event_log_keeps_the_newest_events_and_a_day_of_idempotency_keys(db_path):
    store = Store(f"sqlite:///{db_path}", event_retention=10)
    for i in range(30):
        assert store.begin_request("POST tasks", f"key-{i}", "fp") is None
        store.finish_request("POST tasks", f"key-{i}", 201, store.create_task(f"t{i}"))
    last = store.last_seq()
    kept = store.events_since(0)
    assert [e["seq"] for e in kept] == list(range(store.first_seq(), last + 1))
    assert 10 <= len(kept) < 20 and kept[-1]["seq"] == last
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE idempotency_keys SET created_at = '2000-01-01T00:00:00Z'"))
        assert conn.execute(text("SELECT count(*) FROM idempotency_keys")).scalar() == 30
    store.prune()
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM idempotency_keys")).scalar() == 0
    store.create_task("after pruning")
    assert store.last_seq() == last + 1  # seq goes on without a gap
    store.close()


# -- idempotency records ------------------------------------------------------------------------
def test_a_request_key_is_owned_once_then_answers_with_the_stored_result(store):
    assert store.begin_request("POST tasks", "k", "sha-a") is None
    with pytest.raises(RequestInProgress):  # the first request still runs
        store.begin_request("POST tasks", "k", "sha-a")
    store.finish_request("POST tasks", "k", 201, {"id": "task_x"})
    assert store.begin_request("POST tasks", "k", "sha-a") == (201, {"id": "task_x"})
    assert store.idempotent_reply("POST tasks", "k", "sha-a") == (201, {"id": "task_x"})
    assert store.begin_request("POST projects", "k", "sha-b") is None  # keys are per scope


def test_a_key_reused_with_a_different_request_is_refused(store):
    store.begin_request("POST tasks", "k", "sha-a")
    with pytest.raises(IdempotencyKeyReused, match="different request"):
        store.begin_request("POST tasks", "k", "sha-b")  # while pending
    store.finish_request("POST tasks", "k", 201, {})
    with pytest.raises(IdempotencyKeyReused) as refused:
        store.begin_request("POST tasks", "k", "sha-b")  # and once answered
    assert refused.value.status == 422 and refused.value.code == "idempotency_key_reused"


def test_an_abandoned_request_may_run_again_and_its_own_writes_stay(store):
    assert store.begin_request("POST spawn", "k", "sha") is None
    session = store.create_session([store.create_task("t")["id"]], agent="shell")
    store.update_session(session["id"], status="failed")  # the operation failed on its own
    store.abandon_request("POST spawn", "k")
    assert store.get_session(session["id"])["status"] == "failed"
    assert store.idempotent_reply("POST spawn", "k", "sha") is None
    assert store.begin_request("POST spawn", "k", "sha") is None


def test_a_pending_request_left_by_a_stopped_server_is_taken_over_after_the_lease(store):
    assert store.begin_request("POST tasks", "k", "sha") is None
    long_ago = (datetime.now(timezone.utc) - timedelta(minutes=10)).isoformat()
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE idempotency_keys SET created_at = :at"), {"at": long_ago})
    assert store.begin_request("POST tasks", "k", "sha") is None
    with pytest.raises(RequestInProgress):
        store.begin_request("POST tasks", "k", "sha")


def test_a_request_record_is_never_written_inside_another_transaction(store):
    with store.transaction(), pytest.raises(RuntimeError):
        store.begin_request("POST tasks", "k", "sha")


# -- faults -------------------------------------------------------------------------------------
def test_a_write_waiting_on_another_programs_lock_is_refused_as_busy(db_path):
    store = Store(f"sqlite:///{db_path}", lock_timeout=0.2)
    other = sqlite3.connect(db_path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(StoreBusy) as busy:
            store.create_task("waits")
        assert busy.value.status == 503 and busy.value.retry_after == 1
        assert store.list_tasks()[0] == []  # reads go on beside the lock
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert store.create_task("after")["title"] == "after"
    store.close()


def test_a_full_database_is_refused_as_storage_full_and_nothing_is_written(store):
    # SQLite's own page limit makes its SQLITE_FULL real without filling the machine's disk.
    @event.listens_for(store.engine, "connect")
    def _no_more_pages(dbapi_connection, _record):
        pages = dbapi_connection.execute("PRAGMA page_count").fetchone()[0]
        dbapi_connection.execute(f"PRAGMA max_page_count={pages + 2}")

    store.engine.dispose()
    before = store.last_seq()
    with pytest.raises(StorageFull, match="full") as full:
        for _ in range(20):
            store.create_task("big", description="x" * 60_000)
    assert full.value.status == 507
    tasks = store.list_tasks(limit=500)[0]
    assert store.last_seq() - before == len(tasks)  # each task committed whole, or not at all


@pytest.fixture
def read_only(db_path):
    """Make the database file read-only for real: root ignores file modes, so as root the file
    becomes immutable (chattr +i), which root cannot write either."""
    Store(f"sqlite:///{db_path}").close()
    if os.geteuid() == 0:
        made = subprocess.run(["chattr", "+i", str(db_path)], capture_output=True)
        if made.returncode != 0:
            pytest.skip(f"chattr +i is not supported here: {made.stderr.decode().strip()}")
        yield db_path
        subprocess.run(["chattr", "-i", str(db_path)], check=True)
    else:
        db_path.chmod(0o400)
        yield db_path


def test_a_read_only_database_at_start_up_is_unavailable_with_the_reason(read_only):
    with pytest.raises(StoreUnavailable, match="read-only") as unavailable:
        Store(f"sqlite:///{read_only}")
    assert unavailable.value.status == 503
    assert "readonly" in unavailable.value.details["reason"]


def test_a_database_that_cannot_be_opened_is_unavailable(tmp_path):
    with pytest.raises(StoreUnavailable, match="cannot be opened"):
        Store(f"sqlite:///{tmp_path}/missing-folder/maestro.db")


# -- reads --------------------------------------------------------------------------------------
def test_top_level_lists_tasks_without_a_parent_and_parent_id_is_a_plain_id(store):
    epic = store.create_task("epic")
    story = store.create_task("story", parent_id=epic["id"])
    assert [t["id"] for t in store.list_tasks(top_level=True)[0]] == [epic["id"]]
    assert [t["id"] for t in store.list_tasks(parent_id=epic["id"])[0]] == [story["id"]]
    assert store.list_tasks(parent_id="null")[0] == []


def test_search_takes_wildcards_literally(store):
    store.create_task("100% done")
    store.create_task("1000 things")
    assert [t["title"] for t in store.list_tasks(q="0%")[0]] == ["100% done"]
    assert [t["title"] for t in store.list_tasks(q="DONE")[0]] == ["100% done"]


def test_a_page_of_tasks_with_subtasks_takes_three_statements(store):
    tasks = [
        store.create_task(f"t{i}", subtasks=[{"title": "a"}, {"title": "b"}]) for i in range(5)
    ]
    store.create_session([tasks[0]["id"]], agent="shell")
    statements = count_statements(store)
    page, _ = store.list_tasks(limit=50, include_subtasks=True)
    assert len(statements) == 3  # the tasks, their sessions, their subtasks
    assert [len(t["subtasks"]) for t in page] == [2] * 5
    assert page[0]["subtaskCount"] == 2 and len(page[0]["sessionIds"]) == 1


def test_listing_sessions_takes_two_statements_however_many_there_are(store):
    task = store.create_task("t")
    for _ in range(5):
        store.create_session([task["id"]], agent="shell")
    statements = count_statements(store)
    sessions = store.list_sessions()
    assert len(statements) == 2
    assert [s["taskIds"] for s in sessions] == [[task["id"]]] * 5


def test_an_update_reads_the_task_once_and_takes_it_back_from_the_update(store):
    task = store.create_task("t", subtasks=[{"title": "s", "completed": True}])
    session = store.create_session([task["id"]], agent="shell")
    statements = count_statements(store)
    updated = store.update_task(task["id"], {"title": "renamed"})
    # The write lock, the task, the update (returning the row), its sessions, the event.
    assert len(statements) == 5, statements
    assert updated == store.get_task(task["id"]) and updated["title"] == "renamed"
    assert updated["sessionIds"] == [session["id"]] and updated["subtasksCompleted"] == 1


def test_sessions_carry_this_rounds_fields(store):
    task = store.create_task("t")
    session = store.create_session([task["id"]], agent="shell", owner_user="ada")
    assert session["activity"] == "unknown" and session["isolation"] == "none"
    assert session["owner"] == {"user": "ada", "server": None}
    updated = store.update_session(
        session["id"], activity="working", activity_source="output", process_group=4242
    )
    assert (updated["activity"], updated["activitySource"], updated["processGroup"]) == (
        "working",
        "output",
        4242,
    )
    assert updated["version"] == session["version"] + 1 and updated["taskIds"] == [task["id"]]
    entry = store.add_timeline(task["id"], "progress", "note", session["id"], actor="ada")
    assert entry["actor"] == "ada"
    assert store.session_timeline(session["id"]) == [entry]


# -- export and import --------------------------------------------------------------------------
def test_export_and_import_round_trip(store, tmp_path):
    parent = store.create_task("epic", subtasks=[{"title": "s"}])
    child = store.create_task("story", parent_id=parent["id"], description="two\nlines")
    session = store.create_session([child["id"]], agent="shell", owner_user="ada")
    store.add_timeline(child["id"], "progress", "note", session["id"])
    exported = store.export()
    assert exported["schemaVersion"] == int(migrations.head())
    other = Store(f"sqlite:///{tmp_path}/other.db")
    result = other.import_data(exported)
    assert result["created"]["tasks"] == 2 and result["created"]["sessions"] == 1
    again = other.export()
    for kind in ("tasks", "subtasks", "sessions", "timeline"):  # (each has its default project)
        assert again[kind] == exported[kind], kind
    with pytest.raises(Conflict):
        other.import_data(exported)
    assert other.import_data(exported, on_conflict="skip")["skipped"]["tasks"] == 2
    other.update_task(child["id"], {"title": "changed"})
    other.update_session(session["id"], status="running")
    overwritten = other.import_data(exported, on_conflict="overwrite")["overwritten"]
    assert overwritten["tasks"] == 2 and overwritten["sessions"] == 1
    again = other.export()
    for kind in ("tasks", "subtasks", "sessions", "timeline"):
        assert again[kind] == exported[kind], kind
    other.close()


@pytest.mark.parametrize(
    ("kind", "field", "value"),
    [
        ("tasks", "title", "pwned\x1b]0;title\x07"),
        ("tasks", "title", "two\nlines"),
        ("tasks", "description", "clear\x1b[2J"),
        ("tasks", "labels", ["ok", "csi\x9b31m"]),
        ("timeline", "message", "osc\x9d0;x"),
        ("sessions", "owner", {"user": "ada\x07", "server": None}),
    ],
)
def test_import_refuses_control_characters_and_writes_nothing(store, kind, field, value):
    task = store.create_task("t", description="a\n\tb")
    session = store.create_session([task["id"]], agent="shell")
    store.add_timeline(task["id"], "progress", "note")
    exported = store.export()
    store.delete_task(task["id"])
    store.delete_session(session["id"])
    before = store.last_seq()
    exported[kind][0][field] = value
    with pytest.raises(ValidationFailed) as refused:
        store.import_data(exported)
    assert refused.value.details["errors"][0]["field"].startswith(f"{kind}[0].{field}")
    assert store.last_seq() == before and store.list_tasks()[0] == []
