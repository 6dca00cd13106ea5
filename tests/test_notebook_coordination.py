"""The notebook API for many agents against a real server: projects, claims, dependencies,
timelines, messages, waits on the event stream, registered sessions and their tasks."""

from __future__ import annotations

import secrets
import threading

import pytest

from maestro_jupyter.notebook import (
    Claimed,
    DependenciesUnmet,
    Maestro,
    NotFound,
    Project,
    Session,
    SessionEnded,
    Task,
    ValidationFailed,
)
from tests.notebook_support import maestro, server  # noqa: F401

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def board(maestro: Maestro) -> Maestro:  # noqa: F811
    """The client, working in a project of this test's own."""
    maestro.projects.use(maestro.projects.create(f"Board {secrets.token_hex(4)}"))
    return maestro


def test_projects_are_created_listed_and_used(maestro: Maestro, tmp_path) -> None:  # noqa: F811
    created = maestro.projects.create("Parser", path=str(tmp_path), description="The parser")

    assert isinstance(created, Project)
    assert (created.name, created.working_dir) == ("Parser", str(tmp_path))
    assert created in maestro.projects.list()
    assert maestro.projects.get(created.id) == created
    used = maestro.projects.use(created.id)
    assert used == created and maestro.project == created.id
    task = maestro.tasks.create("Filed in the project")
    assert task.project_id == created.id and created.tasks().ids() == [task.id]
    with pytest.raises(NotFound):
        maestro.projects.use("proj_nosuchproject")
    assert maestro.project == created.id


def test_a_registered_session_claims_the_most_urgent_ready_task_and_releases_it(
    board: Maestro,
) -> None:
    low = board.tasks.create("Low", priority="low")
    urgent = board.tasks.create("Urgent", priority="urgent")
    board.tasks.create("Waits", priority="urgent", dependencies=[low])
    worker = board.sessions.register(name="notebook worker")
    assert isinstance(worker, Session)
    assert (worker.status, worker.spawn_source, worker.task_ids) == ("running", "notebook", [])

    assert board.tasks.next() == urgent  # shown, not taken
    claimed = board.tasks.next(session=worker)

    assert isinstance(claimed, Task) and claimed == urgent
    assert (claimed.status, claimed.claimed_by) == ("in_progress", worker.id)
    assert worker.refresh().task_ids == [urgent.id]
    assert board.tasks.next(session=worker) == low
    assert board.tasks.next(session=worker) is None
    assert board.tasks.list(ready=True) == []

    released = board.tasks.release(low, session=worker)
    assert (released.status, released.claimed_by) == ("todo", None)
    assert board.tasks.list(ready=True).ids() == [low.id]


def test_a_task_held_by_a_live_session_is_refused_naming_the_holder(board: Maestro) -> None:
    task = board.tasks.create("Wanted")
    first, second = board.sessions.register(), board.sessions.register()
    task.claim(first)

    with pytest.raises(Claimed) as refused:
        board.tasks.claim(task, session=second)

    assert refused.value.details["claimedBy"] == first.id and first.id in refused.value.message
    assert task.refresh().claimed_by == first.id
    assert task.release().claimed_by is None
    assert task.claim(second).claimed_by == second.id


def test_dependencies_hold_until_forced(board: Maestro) -> None:
    first = board.tasks.create("First")
    then = board.tasks.create("Then", dependencies=[first])
    worker = board.sessions.register()

    for attempt in (
        lambda: then.complete(),
        lambda: then.update(status="in_progress"),
        lambda: then.claim(worker),
    ):
        with pytest.raises(DependenciesUnmet) as refused:
            attempt()
        assert [d["id"] for d in refused.value.details["dependencies"]] == [first.id]
    assert then.refresh().status == "todo"
    assert then.claim(worker, force=True).claimed_by == worker.id
    assert then.complete("done anyway", force=True).status == "completed"


def test_task_and_session_logs_say_who_wrote_what(board: Maestro) -> None:
    task = board.tasks.create("Logged")
    worker = board.sessions.register(task)
    board.client.report(worker.id, "progress", "halfway")
    board.client.add_timeline(task.id, "progress", "from the notebook")

    entries = task.log()
    assert [(e.message, e.actor) for e in entries if e.kind == "progress"][0] == (
        "halfway", worker.id
    )  # fmt: skip
    assert "from the notebook" in [e.message for e in entries]
    assert [e.message for e in worker.log()] == ["halfway"]
    assert "halfway" in entries._repr_html_()


def test_sessions_wait_until_one_asks_for_input_then_until_all_ended(board: Maestro) -> None:
    task = board.tasks.create("Question time")
    asking, quiet = board.sessions.register(task), board.sessions.register()
    ask = threading.Thread(
        target=board.client.report, args=(asking.id, "needs_input", "which one?")
    )
    ask.start()
    try:
        waited = board.sessions.wait([asking, quiet.id], until="needs-input", timeout=60)
    finally:
        ask.join()
    assert [s.status for s in waited] == ["needs_input", "running"]
    assert asking.status == "needs_input"  # the objects given are refreshed in place

    stops = [threading.Thread(target=s.stop) for s in (asking, quiet)]
    for stop in stops:
        stop.start()
    try:
        ended = board.sessions.wait([asking, quiet], timeout=60)
    finally:
        for stop in stops:
            stop.join()
    assert all(s.ended for s in ended)
    assert asking.wait(timeout=0).ended  # already ended: at once


def test_sessions_wait_on_unknown_ids_names_them(board: Maestro) -> None:
    known = board.sessions.register()
    with pytest.raises(NotFound) as unknown:
        board.sessions.wait([known, "sess_nosuch1", "sess_nosuch2"], timeout=1)
    assert unknown.value.details["sessionIds"] == ["sess_nosuch1", "sess_nosuch2"]


def test_tasks_are_assigned_to_and_unassigned_from_sessions(board: Maestro) -> None:
    first, second = board.tasks.create("Moved"), board.tasks.create("Kept")
    worker = board.sessions.register()

    assert worker.assign([first, second.id]).task_ids == [first.id, second.id]
    first.claim(worker)
    assert board.sessions.unassign(worker, first).task_ids == [second.id]
    assert first.refresh().claimed_by is None and first.status == "todo"
    with pytest.raises(ValidationFailed):
        worker.assign("task_nosuchtask")


def test_a_message_is_typed_into_a_running_session_and_kept_on_its_timeline(
    board: Maestro,
) -> None:
    task = board.tasks.create("Listen")
    session = board.sessions.spawn(task, agent="sleeper")
    try:
        assert session.send("please also add tests").id == session.id
        board.sessions.send(session, "y", submit=False)
        with pytest.raises(ValidationFailed):
            session.send("clear \x1b[2J")
    finally:
        session.stop()
    messages = [e.message for e in task.log() if e.kind == "message"]
    assert messages == ["please also add tests", "y"]
    with pytest.raises(SessionEnded):
        session.send("too late")
