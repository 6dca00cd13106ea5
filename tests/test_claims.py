"""Claims, dependencies that hold, session ends and reports, in the store, on a real SQLite file
and a real PostgreSQL server: concurrent claims never take one task twice, a task is never ready
while a dependency is open, and every refusal leaves the database as it was."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import event, text

from maestro_jupyter.errors import (
    Claimed,
    Conflict,
    DependenciesUnmet,
    NotFound,
    SessionEnded,
    ValidationFailed,
)
from maestro_jupyter.store import Store
from tests.postgres_support import empty_database, postgres_cluster

pytestmark = pytest.mark.timeout(300)


@pytest.fixture(scope="module")
def postgres() -> Iterator[Any]:
    with postgres_cluster() as cluster:
        yield cluster


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request, tmp_path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/maestro.db"
        return
    cluster = request.getfixturevalue("postgres")
    yield cluster.url
    empty_database(cluster.url)


@pytest.fixture
def store(url) -> Iterator[Store]:
    store = Store(url, root_dir="/srv")
    yield store
    store.close()


def snapshot(store: Store) -> dict[str, Any]:
    """Everything stored, and the event log's end: equal before and after means nothing changed."""
    exported = store.export()
    exported.pop("exportedAt")
    return {**exported, "lastSeq": store.last_seq()}


def live_session(store: Store, *task_ids: str, name: str | None = None) -> dict[str, Any]:
    return store.create_session(list(task_ids), agent="shell", name=name, status="running")


def claim_in_threads(
    claimers: list[Callable[[], dict[str, Any] | None]],
) -> list[dict[str, Any] | None]:
    """Run every claimer at once (a barrier releases them together); their results in order."""
    barrier = threading.Barrier(len(claimers))
    results: list[Any] = [None] * len(claimers)

    def run(index: int) -> None:
        barrier.wait()
        try:
            results[index] = claimers[index]()
        except Exception as exc:  # reported by the assertion below
            results[index] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(claimers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    errors = [result for result in results if isinstance(result, Exception)]
    assert not errors, errors
    return results


# -- atomic claims ------------------------------------------------------------------------------
def test_twenty_threads_claiming_next_take_twenty_distinct_tasks(store):
    tasks = [store.create_task(f"t{i}") for i in range(25)]
    sessions = [live_session(store, name=f"worker {i}") for i in range(20)]
    claimed = claim_in_threads([lambda s=s: store.claim_task(s["id"]) for s in sessions])
    ids = [task["id"] for task in claimed]
    assert len(set(ids)) == 20 and set(ids) <= {task["id"] for task in tasks}
    for session, task in zip(sessions, claimed, strict=True):
        stored = store.get_task(task["id"])
        assert (stored["claimedBy"], stored["status"]) == (session["id"], "in_progress")
        assert store.get_session(session["id"])["taskIds"] == [task["id"]]
        [entry] = store.session_timeline(session["id"])
        assert (entry["kind"], entry["taskId"], entry["actor"]) == (
            "claim",
            task["id"],
            session["id"],
        )
    assert len(store.list_tasks(ready=True, limit=100)[0]) == 5


def test_two_stores_on_one_database_claim_distinct_tasks(url):
    """Two Store instances stand for two servers (or processes) on one database."""
    first = Store(url, root_dir="/srv")
    second = Store(url)
    try:
        for i in range(20):
            first.create_task(f"t{i}")
        sessions = [live_session(first) for _ in range(20)]
        claimed = claim_in_threads(
            [
                lambda s=s, store=(first, second)[i % 2]: store.claim_task(s["id"])
                for i, s in enumerate(sessions)
            ]
        )
        assert len({task["id"] for task in claimed}) == 20
        holders = {task["id"]: task["claimedBy"] for task in first.list_tasks(limit=100)[0]}
        assert sorted(holders.values()) == sorted(s["id"] for s in sessions)
        # One gapless event log, whichever store wrote each event.
        seqs = [e["seq"] for e in first.events_since(0)]
        assert seqs == list(range(1, len(seqs) + 1))
        assert second.claim_task(live_session(second)["id"]) is None  # all taken
    finally:
        first.close()
        second.close()


def test_workers_claim_and_complete_a_pool_in_dependency_order(store):
    """Five workers loop `claim next, complete` over twelve tasks with dependencies: each task is
    taken once, and only after every one of its dependencies was completed (event log order)."""
    a = store.create_task("a")
    b = store.create_task("b")
    c = store.create_task("c", dependencies=[a["id"]])
    d = store.create_task("d", dependencies=[a["id"], b["id"]], priority="urgent")
    e = store.create_task("e", dependencies=[c["id"]])
    f = store.create_task("f", dependencies=[d["id"], e["id"]], priority="high")
    rest = [store.create_task(f"free {i}", priority="low") for i in range(5)]
    last = store.create_task("last", dependencies=[f["id"], *[t["id"] for t in rest]])
    pool = [a, b, c, d, e, f, *rest, last]
    workers = [live_session(store, name=f"worker {i}") for i in range(5)]
    done: dict[str, list[str]] = {w["id"]: [] for w in workers}

    def work(session_id: str) -> None:
        idle = 0
        while idle < 200:  # others may still complete what this one waits for
            task = store.claim_task(session_id)
            if task is None:
                if all(t["status"] == "completed" for t in store.list_tasks(limit=100)[0]):
                    return
                idle += 1
                threading.Event().wait(0.01)
                continue
            store.complete_task(task["id"], "done", session_id)
            done[session_id].append(task["id"])
        raise AssertionError("the pool never drained")

    claim_in_threads([lambda w=w: work(w["id"]) for w in workers])
    finished = [task_id for ids in done.values() for task_id in ids]
    assert sorted(finished) == sorted(t["id"] for t in pool)  # each exactly once
    claimed_at: dict[str, int] = {}
    completed_at: dict[str, int] = {}
    for item in store.events_since(0):
        data = item["data"]
        if item["event"] != "task:updated":
            continue
        if data["status"] == "in_progress" and data["claimedBy"]:
            assert data["id"] not in claimed_at, "claimed twice"
            claimed_at[data["id"]] = item["seq"]
        if data["status"] == "completed":
            completed_at.setdefault(data["id"], item["seq"])
    for task in pool:
        for dep in task["dependencies"]:
            assert completed_at[dep] < claimed_at[task["id"]], (task["title"], dep)


# -- what is ready ------------------------------------------------------------------------------
def test_ready_tasks_come_most_urgent_first_and_wait_for_open_dependencies(store):
    low = store.create_task("low", priority="low")
    first_medium = store.create_task("medium 1")
    urgent = store.create_task("urgent", priority="urgent", dependencies=[low["id"]])
    second_medium = store.create_task("medium 2")
    high = store.create_task("high", priority="high")
    store.create_task("blocked", status="blocked", priority="urgent")
    ready = [t["title"] for t in store.list_tasks(ready=True)[0]]
    assert ready == ["high", "medium 1", "medium 2", "low"]
    session = live_session(store)
    assert store.claim_task(session["id"])["id"] == high["id"]
    # Pages follow the same order, across priorities.
    page, cursor = store.list_tasks(ready=True, limit=2)
    assert [t["id"] for t in page] == [first_medium["id"], second_medium["id"]]
    rest, end = store.list_tasks(ready=True, limit=2, cursor=cursor)
    assert [t["id"] for t in rest] == [low["id"]] and end is None
    with pytest.raises(ValidationFailed, match="cursor"):
        store.list_tasks(ready=True, cursor=store.list_tasks(limit=1)[1])
    # A cancelled dependency counts as met: nothing would ever complete it.
    store.update_task(low["id"], {"status": "cancelled"})
    assert store.list_tasks(ready=True)[0][0]["id"] == urgent["id"]
    assert store.unmet_dependencies([urgent["id"]]) == {}


def test_next_claims_within_the_sessions_project_unless_told(store):
    other = store.create_project("other", "/work/other")
    here = store.create_task("here")
    there = store.create_task("there", project_id=other["id"])
    session = live_session(store)
    assert store.claim_task(session["id"])["id"] == here["id"]
    assert store.claim_task(session["id"]) is None
    assert store.claim_task(session["id"], project_id=other["id"])["id"] == there["id"]


def test_nothing_ready_claims_nothing_and_writes_nothing(store):
    a = store.create_task("a")
    store.create_task("b", dependencies=[a["id"]])
    holder = live_session(store)
    store.claim_task(holder["id"], a["id"])
    session = live_session(store)
    before = snapshot(store)
    assert store.claim_task(session["id"]) is None
    assert snapshot(store) == before


def test_unmet_dependencies_name_each_open_one_in_order(store):
    a = store.create_task("a")
    b = store.create_task("b", status="completed")
    c = store.create_task("c", status="in_progress")
    d = store.create_task("d", dependencies=[c["id"], b["id"], a["id"]])
    assert store.unmet_dependencies([d["id"], a["id"], "task_unknown"]) == {
        d["id"]: [
            {"id": c["id"], "title": "c", "status": "in_progress"},
            {"id": a["id"], "title": "a", "status": "todo"},
        ]
    }


# -- explicit claims ----------------------------------------------------------------------------
def test_a_claim_held_by_a_live_session_is_refused_naming_the_holder(store):
    task = store.create_task("t")
    holder = live_session(store, name="first")
    store.claim_task(holder["id"], task["id"])
    other = live_session(store)
    before = snapshot(store)
    with pytest.raises(Claimed) as refused:
        store.claim_task(other["id"], task["id"])
    assert holder["id"] in refused.value.message
    assert refused.value.details["claimedBy"] == holder["id"]
    assert (refused.value.status, refused.value.code) == (409, "claimed")
    assert snapshot(store) == before
    again = store.claim_task(holder["id"], task["id"])  # the holder asking again: no change
    assert again["version"] == before["tasks"][0]["version"] and snapshot(store) == before


def test_a_claim_left_by_an_ended_session_is_taken_over(store):
    task = store.create_task("t")
    gone = live_session(store)
    store.claim_task(gone["id"], task["id"])
    with store.engine.begin() as conn:  # as a server that died before releasing it left it
        conn.execute(
            text("UPDATE sessions SET status = 'failed' WHERE id = :id"), {"id": gone["id"]}
        )
    session = live_session(store)
    taken = store.claim_task(session["id"], task["id"])
    assert taken["claimedBy"] == session["id"]
    entry = store.get_timeline(task["id"])[-1]
    assert entry["kind"] == "claim" and f"from session {gone['id']}" in entry["message"]


def test_force_claims_past_unmet_dependencies_and_says_so(store):
    dep = store.create_task("first thing")
    task = store.create_task("t", dependencies=[dep["id"]])
    session = live_session(store)
    with pytest.raises(DependenciesUnmet) as refused:
        store.claim_task(session["id"], task["id"])
    assert refused.value.details["dependencies"] == [
        {"id": dep["id"], "title": "first thing", "status": "todo"}
    ]
    assert "first thing" in refused.value.message
    store.claim_task(session["id"], task["id"], force=True, actor="ada")
    entry = store.get_timeline(task["id"])[-1]
    assert "Forced past unmet dependencies: first thing" in entry["message"]
    assert (entry["actor"], entry["sessionId"]) == ("ada", session["id"])


def test_release_gives_the_task_back(store):
    task = store.create_task("t")
    session = live_session(store)
    store.claim_task(session["id"], task["id"])
    other = live_session(store)
    with pytest.raises(Conflict, match=f"session {session['id']} holds it"):
        store.release_task(task["id"], other["id"])
    released = store.release_task(task["id"], session["id"])
    assert (released["claimedBy"], released["claimedAt"], released["status"]) == (
        None,
        None,
        "todo",
    )
    assert store.get_timeline(task["id"])[-1]["kind"] == "claim"
    assert store.release_task(task["id"]) == released  # nobody holds it: unchanged
    assert store.claim_task(other["id"])["id"] == task["id"]


# -- dependencies hold --------------------------------------------------------------------------
def test_a_task_with_open_dependencies_cannot_start_or_complete_unless_forced(store):
    dep = store.create_task("dep")
    task = store.create_task("t", dependencies=[dep["id"]])
    session = live_session(store)
    for move in (
        lambda: store.update_task(task["id"], {"status": "in_progress"}),
        lambda: store.complete_task(task["id"], "done"),
        lambda: store.update_task(task["id"], {"status": "completed", "title": "x"}),
    ):
        with pytest.raises(DependenciesUnmet):
            move()
    assert store.get_task(task["id"])["status"] == "todo"
    forced = store.update_task(
        task["id"], {"status": "in_progress"}, force=True, session_id=session["id"], actor="ada"
    )
    assert forced["status"] == "in_progress"
    entry = store.get_timeline(task["id"])[-1]
    assert entry["message"].startswith("Status todo -> in_progress. Forced past")
    assert (entry["sessionId"], entry["actor"]) == (session["id"], "ada")
    store.complete_task(dep["id"])
    assert store.complete_task(task["id"])["status"] == "completed"  # met now


def test_deleting_a_task_removes_it_from_its_dependents(store):
    published: list[dict[str, Any]] = []
    store._on_commit = published.append
    gone = store.create_task("gone", subtasks=[{"title": "s"}])
    child = store.create_task("child of gone", parent_id=gone["id"])
    kept = store.create_task("kept")
    dependent = store.create_task("dependent", dependencies=[child["id"], kept["id"], gone["id"]])
    published.clear()
    store.delete_task(gone["id"], recursive=True, actor="ada")
    after = store.get_task(dependent["id"])
    assert after["dependencies"] == [kept["id"]]
    messages = [(e["message"], e["actor"]) for e in store.get_timeline(dependent["id"])]
    assert messages == [
        (f"Dependency child of gone ({child['id']}) was deleted.", "ada"),
        (f"Dependency gone ({gone['id']}) was deleted.", "ada"),
    ]
    updated = [e["data"] for e in published if e["event"] == "task:updated"]
    assert updated == [after]
    store.complete_task(kept["id"])
    assert [t["id"] for t in store.list_tasks(ready=True)[0]] == [dependent["id"]]


# -- sessions: register, assign, lifecycle, end -------------------------------------------------
def test_a_session_may_start_with_no_tasks_and_linking_claims_nothing(store):
    task = store.create_task("t")
    bare = store.create_session([], agent="shell", status="running")
    assert bare["taskIds"] == [] and bare["name"] == "worker"
    linked = store.create_session([task["id"]], agent="shell")
    assert store.get_task(task["id"])["claimedBy"] is None and linked["taskIds"] == [task["id"]]


def test_a_spawn_that_claims_creates_nothing_when_refused(store):
    dep = store.create_task("dep")
    task = store.create_task("t", dependencies=[dep["id"]])
    before = snapshot(store)
    with pytest.raises(DependenciesUnmet):
        store.create_session([task["id"]], agent="shell", claim=True)
    assert snapshot(store) == before
    session = store.create_session([task["id"]], agent="shell", claim=True, force=True)
    assert store.get_task(task["id"])["claimedBy"] == session["id"]


def test_assigning_links_and_unlinking_releases_the_claim(store):
    a, b, c = (store.create_task(name) for name in "abc")
    session = live_session(store, a["id"])
    store.claim_task(session["id"], a["id"])
    moved = store.assign_tasks(session["id"], add=[b["id"], c["id"]], remove=[a["id"]], actor="ada")
    assert moved["taskIds"] == [b["id"], c["id"]]
    released = store.get_task(a["id"])
    assert (released["claimedBy"], released["status"], released["sessionIds"]) == (None, "todo", [])
    assert store.get_task(b["id"])["claimedBy"] is None  # linked, not claimed
    entry = store.get_timeline(a["id"])[-1]
    assert (entry["kind"], entry["actor"]) == ("claim", "ada")
    assert store.assign_tasks(session["id"], add=[b["id"]]) == moved  # nothing to do


def test_update_session_follows_the_lifecycle(store):
    task = store.create_task("t")
    session = store.create_session([task["id"]], agent="shell")
    store.update_session(session["id"], status="running")
    with pytest.raises(Conflict, match="cannot go from running to spawning"):
        store.update_session(session["id"], status="spawning")
    store.claim_task(session["id"], task["id"])
    failed = store.update_session(session["id"], status="failed", exit_code=3)
    assert failed["endedAt"] is not None
    assert store.get_task(task["id"])["claimedBy"] is None  # an end releases claims however
    assert store.get_timeline(task["id"])[-1]["message"] == (
        f"Session {session['id']} failed: exit code 3."
    )
    with pytest.raises(SessionEnded):
        store.update_session(session["id"], status="running")
    assert store.update_session(session["id"], name="renamed")["name"] == "renamed"


def test_ending_a_session_releases_its_claims_and_a_failure_says_why(store):
    done, doing, blocked = (store.create_task(name) for name in ("done", "doing", "blocked"))
    watching = store.create_task("watching")
    session = live_session(store, watching["id"])
    for task in (done, doing, blocked):
        store.claim_task(session["id"], task["id"])
    store.complete_task(done["id"], session_id=session["id"])
    store.block_task(blocked["id"], "waits for a key", session["id"])
    ended = store.end_session(
        session["id"],
        "failed",
        exit_code=137,
        exit_signal=9,
        reason="killed by signal 9",
        actor="maestro",
    )
    assert (ended["status"], ended["exitCode"], ended["exitSignal"]) == ("failed", 137, 9)
    assert ended["endedAt"] is not None
    after = {t["title"]: t for t in store.list_tasks()[0]}
    assert after["done"]["claimedBy"] == session["id"]  # who did it stays
    assert (after["doing"]["claimedBy"], after["doing"]["status"]) == (None, "todo")
    assert (after["blocked"]["claimedBy"], after["blocked"]["status"]) == (None, "blocked")
    for title in ("done", "doing", "blocked", "watching"):
        entry = store.get_timeline(after[title]["id"])[-1]
        assert (entry["kind"], entry["message"]) == (
            "error",
            f"Session {session['id']} failed: killed by signal 9.",
        )
        assert (entry["sessionId"], entry["actor"]) == (session["id"], "maestro")
    released = [e for e in store.get_timeline(doing["id"]) if e["message"].startswith("Released")]
    assert released[0]["message"] == (
        f"Released: session {session['id']} ended (failed). Back to todo."
    )
    before = snapshot(store)
    assert store.end_session(session["id"], "completed") == ended  # already ended: unchanged
    assert snapshot(store) == before


def test_a_stopped_session_releases_claims_without_error_entries(store):
    task = store.create_task("t")
    session = live_session(store)
    store.claim_task(session["id"], task["id"])
    store.end_session(session["id"], "stopped")
    kinds = [e["kind"] for e in store.get_timeline(task["id"])]
    assert kinds == ["claim", "claim"] and store.get_task(task["id"])["status"] == "todo"


def test_deleting_a_session_releases_its_claims(store):
    task = store.create_task("t")
    session = live_session(store)
    store.claim_task(session["id"], task["id"])
    store.delete_session(session["id"])
    assert store.get_task(task["id"])["claimedBy"] is None
    assert store.list_tasks(ready=True)[0][0]["id"] == task["id"]


# -- reports ------------------------------------------------------------------------------------
def test_reports_change_what_they_say_while_the_session_is_live(store):
    a, b = store.create_task("a"), store.create_task("b")
    session = live_session(store, a["id"], b["id"])
    asked = store.report(session["id"], "needs_input", "which database?")
    assert asked["session"]["status"] == "needs_input" and not asked["sessionEnded"]
    assert [e["taskId"] for e in asked["entries"]] == [a["id"], b["id"]]
    assert all(e["actor"] == session["id"] for e in asked["entries"])
    resumed = store.report(session["id"], "progress", "got it", task_ids=[a["id"]])
    assert resumed["session"]["status"] == "running" and len(resumed["entries"]) == 1
    blocked = store.report(session["id"], "blocked", "no key", task_ids=[b["id"]])
    assert blocked["tasks"][0]["status"] == "blocked"
    assert blocked["tasks"][0]["blockedReason"] == "no key"
    done = store.report(session["id"], "complete", "shipped", task_ids=[a["id"]])
    assert done["tasks"][0]["status"] == "completed" and done["entries"][0]["kind"] == "milestone"
    status_entry = store.get_timeline(a["id"])[-2]
    assert status_entry["sessionId"] == session["id"] and status_entry["kind"] == "status"


def test_a_late_report_on_an_ended_session_writes_entries_and_changes_nothing_else(store):
    task = store.create_task("t")
    session = live_session(store, task["id"])
    store.end_session(session["id"], "completed", exit_code=0)
    before = snapshot(store)
    for kind in ("needs_input", "complete", "blocked", "progress", "error"):
        late = store.report(session["id"], kind, f"late {kind}")
        assert late["sessionEnded"] and late["session"]["status"] == "completed"
    after = snapshot(store)
    new_entries = after.pop("timeline")[len(before.pop("timeline")) :]
    assert [e["message"] for e in new_entries] == [
        "late needs_input",
        "late complete",
        "late blocked",
        "late progress",
        "late error",
    ]
    after.pop("lastSeq"), before.pop("lastSeq")
    assert after == before


def test_a_report_completing_tasks_with_open_dependencies_is_refused_whole(store):
    dep = store.create_task("dep")
    free = store.create_task("free")
    waiting = store.create_task("waiting", dependencies=[dep["id"]])
    session = live_session(store, free["id"], waiting["id"])
    before = snapshot(store)
    with pytest.raises(DependenciesUnmet):
        store.report(session["id"], "complete", "all done")
    assert snapshot(store) == before


# -- every refusal changes nothing --------------------------------------------------------------
REFUSALS = {
    "claim by an unknown session": (lambda s, w: s.claim_task("sess_unknown"), NotFound),
    "claim by an ended session": (lambda s, w: s.claim_task(w["ended"]), SessionEnded),
    "claim of an unknown task": (lambda s, w: s.claim_task(w["live"], "task_nope"), NotFound),
    "claim of a completed task": (lambda s, w: s.claim_task(w["live"], w["completed"]), Conflict),
    "claim of a held task": (lambda s, w: s.claim_task(w["live"], w["held"]), Claimed),
    "claim past dependencies": (
        lambda s, w: s.claim_task(w["live"], w["waiting"]),
        DependenciesUnmet,
    ),
    "start past dependencies": (
        lambda s, w: s.update_task(w["waiting"], {"status": "in_progress", "title": "x"}),
        DependenciesUnmet,
    ),
    "release by another session": (lambda s, w: s.release_task(w["held"], w["live"]), Conflict),
    "assign to an ended session": (
        lambda s, w: s.assign_tasks(w["ended"], add=[w["free"]]),
        SessionEnded,
    ),
    "assign unknown tasks": (
        lambda s, w: s.assign_tasks(w["live"], add=[w["free"], "task_nope"]),
        ValidationFailed,
    ),
    "revive an ended session": (
        lambda s, w: s.update_session(w["ended"], status="running"),
        SessionEnded,
    ),
    "end as running": (lambda s, w: s.end_session(w["live"], "running"), ValidationFailed),
    "report of an unknown kind": (lambda s, w: s.report(w["live"], "done", "x"), ValidationFailed),
    "report on unknown tasks": (
        lambda s, w: s.report(w["live"], "progress", "x", task_ids=["task_nope"]),
        ValidationFailed,
    ),
    "update in an unknown session": (
        lambda s, w: s.update_task(w["free"], {"status": "blocked"}, session_id="sess_nope"),
        NotFound,
    ),
}


@pytest.mark.parametrize("name", REFUSALS)
def test_every_refusal_changes_nothing(store, name):
    dep = store.create_task("dep")
    world = {
        "free": store.create_task("free")["id"],
        "waiting": store.create_task("waiting", dependencies=[dep["id"]])["id"],
        "completed": store.create_task("completed", status="completed")["id"],
        "held": store.create_task("held")["id"],
        "live": live_session(store)["id"],
    }
    holder = live_session(store)
    store.claim_task(holder["id"], world["held"])
    world["ended"] = live_session(store)["id"]
    store.end_session(world["ended"], "completed")
    refusal, error = REFUSALS[name]
    before = snapshot(store)
    with pytest.raises(error):
        refusal(store, world)
    assert snapshot(store) == before


# -- cost per claim -----------------------------------------------------------------------------
def test_a_claim_takes_a_bounded_number_of_statements(store):
    """Agents claim dozens of times per task: the statements per claim stay few, however many
    tasks wait (the claim is one indexed, ordered query, not a scan in Python)."""
    for i in range(50):
        store.create_task(f"t{i}", dependencies=[])
    session = live_session(store)
    statements: list[str] = []
    event.listen(store.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    assert store.claim_task(session["id"]) is not None
    first = len(statements)
    statements.clear()
    assert store.claim_task(session["id"]) is not None
    assert len(statements) == first <= 12
