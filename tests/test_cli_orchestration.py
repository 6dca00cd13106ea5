"""Many agents on one board, from the CLI against a real server: claims, dependencies that hold,
reading each other's timelines, messages, waits, registered sessions, projects."""
# ruff: noqa: F811 - pytest fixtures imported from tests.cli_support are arguments here

from __future__ import annotations

import re
import secrets
import shlex
from pathlib import Path
from typing import Any

import pytest

from harness import ServerProcess
from tests.cli_support import Maestro, add_session, cli_env, create, maestro, maestro_server  # noqa: F401

pytestmark = pytest.mark.timeout(180)


@pytest.fixture
def project(maestro_server: ServerProcess) -> str:
    """A project of its own, so that "the most urgent ready task" is this test's."""
    name = f"Project {secrets.token_hex(4)}"
    return maestro_server.api("POST", "projects", {"name": name})["id"]


def session(server: ServerProcess, project: str, *, status: str = "running") -> str:
    return add_session(server, [], status=status, project_id=project)


def inside(session_id: str) -> dict[str, str | None]:
    """The environment of a terminal that works as `session_id`."""
    return {"MAESTRO_SESSION_ID": session_id}


def task_in(maestro: Maestro, project: str, title: str, *options: str) -> dict[str, Any]:
    return create(maestro, title, "--project", project, *options)


def get(server: ServerProcess, task: dict[str, Any]) -> dict[str, Any]:
    return server.api("GET", f"tasks/{task['id']}")


def timeline(server: ServerProcess, task: dict[str, Any]) -> list[dict[str, Any]]:
    return server.api("GET", f"tasks/{task['id']}/timeline")["items"]


# -- claims ------------------------------------------------------------------------------------


def test_task_next_claim_takes_the_most_urgent_ready_task_for_the_session(
    maestro: Maestro, maestro_server: ServerProcess, project: str
) -> None:
    low = task_in(maestro, project, "Low", "--priority", "low")
    urgent = task_in(maestro, project, "Urgent", "--priority", "urgent")
    task_in(maestro, project, "Waits for low", "--priority", "urgent", "--depends-on", low["id"])
    worker = session(maestro_server, project)

    human = maestro("task", "next", "--claim", env=inside(worker))

    assert human.code == 0 and human.err == ""
    assert human.out == f"Claimed {urgent['id']}: Urgent\n"
    claimed = get(maestro_server, urgent)
    assert (claimed["status"], claimed["claimedBy"]) == ("in_progress", worker)
    assert claimed["claimedAt"]
    assert urgent["id"] in maestro_server.api("GET", f"sessions/{worker}")["taskIds"]
    (entry,) = [e for e in timeline(maestro_server, urgent) if e["kind"] == "claim"]
    assert entry["sessionId"] == worker

    second = maestro("task", "next", "--claim", "--json", env=inside(worker))
    assert second.code == 0 and second.data["id"] == low["id"]
    assert second.data["claimedBy"] == worker
    nothing = maestro("task", "next", "--claim", "--json", env=inside(worker))
    assert nothing.code == 0 and nothing.data is None
    assert maestro("task", "next", "--claim", env=inside(worker)).out == "No task is ready.\n"


def test_task_next_without_claim_shows_the_ready_task_and_takes_nothing(
    maestro: Maestro, maestro_server: ServerProcess, project: str
) -> None:
    ready = task_in(maestro, project, "Ready one", "--priority", "high")
    shown = maestro("task", "next", "--project", project, "--json")
    assert shown.code == 0 and shown.data["id"] == ready["id"]
    human = maestro("task", "next", "--project", project)
    assert human.out.startswith(f"{ready['id']}  Ready one\n")
    assert get(maestro_server, ready)["claimedBy"] is None


def test_task_claim_refuses_a_task_another_live_session_holds_naming_it(
    maestro: Maestro, maestro_server: ServerProcess, project: str
) -> None:
    task = task_in(maestro, project, "Wanted by two")
    first, second = session(maestro_server, project), session(maestro_server, project)
    taken = maestro("task", "claim", task["id"], "--session", first)
    assert taken.code == 0 and taken.out == f"Claimed {task['id']}: Wanted by two\n"

    refused = maestro("task", "claim", task["id"], env=inside(second))

    assert refused.code == 1 and refused.out == ""
    assert refused.err.count("\n") == 1 and first in refused.err
    as_json = maestro("task", "claim", task["id"], "--session", second, "--json")
    assert as_json.code == 1
    assert as_json.error["error"] == "claimed" and as_json.error["details"]["claimedBy"] == first
    assert get(maestro_server, task)["claimedBy"] == first


def test_claims_by_unknown_or_ended_sessions_exit_1_with_the_servers_message(
    maestro: Maestro, maestro_server: ServerProcess, project: str
) -> None:
    task = task_in(maestro, project, "Nobody may take this")
    ended = session(maestro_server, project, status="completed")

    unknown = maestro("task", "claim", task["id"], "--session", "sess_nosuchthing", "--json")
    assert unknown.code == 1 and unknown.error["error"] == "not_found"
    assert "sess_nosuchthing" in unknown.error["message"]
    for args in (("task", "claim", task["id"]), ("task", "next", "--claim")):
        refused = maestro(*args, env=inside(ended))
        assert (
            refused.code == 1 and refused.err.count("\n") == 1 and refused.err.startswith("Error: ")
        )
        assert maestro(*args, "--json", env=inside(ended)).error["error"] == "session_ended"
    after = get(maestro_server, task)
    assert (after["status"], after["claimedBy"], after["version"]) == (
        "todo",
        None,
        task["version"],
    )


def test_claiming_needs_a_session(maestro: Maestro) -> None:
    refused = maestro("task", "next", "--claim")
    assert refused.code == 2 and "--session" in refused.err and refused.err.count("\n") == 1
    assert maestro("task", "claim", "task_abc").code == 2


def test_dependencies_hold_for_claim_start_update_and_complete_unless_forced(
    maestro: Maestro, maestro_server: ServerProcess, project: str
) -> None:
    first = task_in(maestro, project, "Lay the foundation")
    then = task_in(maestro, project, "Build the walls", "--depends-on", first["id"])
    worker = session(maestro_server, project)

    for args in (
        ("task", "claim", then["id"], "--session", worker),
        ("task", "start", then["id"]),
        ("task", "update", then["id"], "--status", "in_progress"),
        ("task", "complete", then["id"]),
    ):
        refused = maestro(*args)
        assert refused.code == 1 and refused.err.count("\n") == 1, args
        assert "Lay the foundation" in refused.err or first["id"] in refused.err, refused.err
        error = maestro(*args, "--json").error
        assert error["error"] == "dependencies_unmet"
        assert [d["id"] for d in error["details"]["dependencies"]] == [first["id"]]
    assert get(maestro_server, then)["status"] == "todo"
    assert timeline(maestro_server, then) == []

    started = maestro("task", "start", then["id"], "--force")
    assert started.code == 0 and started.out == f"Started {then['id']}: Build the walls\n"
    assert maestro("task", "complete", then["id"], "--force").code == 0
    assert get(maestro_server, then)["status"] == "completed"
    forced = [e["message"] for e in timeline(maestro_server, then)]
    assert len(forced) == 2 and all("Lay the foundation" in message for message in forced)


def test_a_forced_claim_goes_past_unmet_dependencies(
    maestro: Maestro, maestro_server: ServerProcess, project: str
) -> None:
    first = task_in(maestro, project, "First")
    then = task_in(maestro, project, "Then", "--depends-on", first["id"])
    worker = session(maestro_server, project)
    forced = maestro("task", "claim", then["id"], "--force", "--json", env=inside(worker))
    assert forced.code == 0 and forced.data["claimedBy"] == worker


def test_task_release_gives_the_claim_back(
    maestro: Maestro, maestro_server: ServerProcess, project: str
) -> None:
    task = task_in(maestro, project, "Handed back")
    holder, other = session(maestro_server, project), session(maestro_server, project)
    maestro("task", "claim", task["id"], env=inside(holder))

    not_yours = maestro("task", "release", task["id"], "--json", env=inside(other))
    assert not_yours.code == 1 and get(maestro_server, task)["claimedBy"] == holder

    released = maestro("task", "release", env=inside(holder))
    assert released.code == 0 and released.out == f"Released {task['id']}: Handed back\n"
    after = get(maestro_server, task)
    assert (after["status"], after["claimedBy"]) == ("todo", None)

    maestro("task", "claim", task["id"], env=inside(holder))
    by_a_person = maestro("task", "release", task["id"], "--json")
    assert by_a_person.code == 0 and by_a_person.data["claimedBy"] is None
    assert maestro("task", "release", env=inside(holder)).code == 2  # it holds nothing now


def test_task_list_ready_lists_only_what_a_session_could_claim(
    maestro: Maestro, maestro_server: ServerProcess, project: str
) -> None:
    low = task_in(maestro, project, "Low", "--priority", "low")
    high = task_in(maestro, project, "High", "--priority", "high")
    task_in(maestro, project, "Waiting", "--depends-on", low["id"])
    task_in(maestro, project, "Busy", "--status", "in_progress")
    claimed = task_in(maestro, project, "Taken", "--priority", "urgent")
    maestro("task", "claim", claimed["id"], "--session", session(maestro_server, project))
    cancelled = task_in(maestro, project, "Dropped", "--status", "cancelled")
    after_cancelled = task_in(maestro, project, "After dropped", "--depends-on", cancelled["id"])

    ready = maestro("task", "list", "--ready", "--project", project, "--json").data

    # urgent first, then high, medium, low; a cancelled dependency counts as met
    assert [t["id"] for t in ready] == [high["id"], after_cancelled["id"], low["id"]]
    table = maestro("task", "list", "--ready", "--project", project).out.splitlines()
    assert [line.split()[0] for line in table[1:]] == [t["id"] for t in ready]


# -- reading each other's reports ----------------------------------------------------------------


def test_task_log_shows_when_who_kind_and_message_numbered(
    maestro: Maestro, maestro_server: ServerProcess, project: str
) -> None:
    task = task_in(maestro, project, "Logged")
    worker = session(maestro_server, project)
    maestro("task", "claim", task["id"], env=inside(worker))
    maestro("report", "progress", "lexer done", env=inside(worker))
    maestro("report", "progress", "from a person", "--task", task["id"])

    entries = maestro("task", "log", task["id"], "--json").data
    assert [e["kind"] for e in entries][-2:] == ["progress", "progress"]
    mine = next(e for e in entries if e["message"] == "lexer done")
    assert mine["sessionId"] == worker and mine["actor"] == worker
    assert next(e for e in entries if e["message"] == "from a person")["actor"]

    human = maestro("task", "log", task["id"])
    lines = human.out.splitlines()
    assert lines[0].split() == ["#", "WHEN", "WHO", "KIND", "MESSAGE"]
    assert len(lines) == len(entries) + 1
    number, when, who, kind, *message = lines[-2].split()
    assert (number, who, kind, " ".join(message)) == (
        str(len(entries) - 1),
        worker,
        "progress",
        "lexer done",
    )
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", when)

    after_first = maestro("task", "log", task["id"], "--since", "1", "--json").data
    assert after_first == entries[1:]
    numbered = maestro("task", "log", task["id"], "--since", str(len(entries) - 1)).out
    assert numbered.splitlines()[1].split()[0] == str(len(entries))
    newer = maestro("task", "log", task["id"], "--since", entries[-2]["at"], "--json").data
    assert newer == entries[-1:]
    assert maestro("task", "log", task["id"], "--since", "1h", "--json").data == entries
    assert maestro("task", "log", task["id"], "--since", "yesterday").code == 2


def test_task_log_in_a_session_reads_its_tasks(
    maestro: Maestro, maestro_server: ServerProcess, project: str
) -> None:
    first, second = task_in(maestro, project, "One"), task_in(maestro, project, "Two")
    worker = add_session(maestro_server, [first["id"], second["id"]], project_id=project)
    maestro("report", "progress", "on both", env=inside(worker))
    human = maestro("task", "log", env=inside(worker))
    assert human.out.splitlines()[0].split() == ["#", "WHEN", "WHO", "KIND", "TASK", "MESSAGE"]
    assert {first["id"], second["id"]} <= set(human.out.split())
    assert maestro("task", "log").code == 2  # no session, no TASK_ID


def test_task_get_and_whoami_show_the_latest_entries(
    maestro: Maestro, maestro_server: ServerProcess, project: str
) -> None:
    task = task_in(maestro, project, "Watched")
    worker = session(maestro_server, project)
    maestro("task", "claim", task["id"], env=inside(worker))
    for n in range(7):
        maestro("report", "progress", f"step {n}", env=inside(worker))

    shown = maestro("task", "get", task["id"], "--json").data
    assert [e["message"] for e in shown["latestEntries"]] == [f"step {n}" for n in range(2, 7)]
    human = maestro("task", "get", task["id"]).out
    assert "Latest entries" in human and "step 6" in human and "step 1" not in human
    assert re.search(rf"^claimed by\s+{worker}$", human, re.M)

    me = maestro("whoami", "--json", env=inside(worker)).data
    assert me["taskIds"] == [task["id"]]  # claimed after the terminal's environment was set
    assert me["tasks"][0]["latestEntries"][-1]["message"] == "step 6"
    assert "step 6" in maestro("whoami", env=inside(worker)).out


def test_session_log_shows_what_a_session_wrote_across_its_tasks(
    maestro: Maestro, maestro_server: ServerProcess, project: str
) -> None:
    first, second = task_in(maestro, project, "A"), task_in(maestro, project, "B")
    worker = add_session(maestro_server, [first["id"], second["id"]], project_id=project)
    maestro("report", "progress", "both moving", env=inside(worker))
    maestro("report", "progress", "not the session's", "--task", first["id"])

    entries = maestro("session", "log", worker, "--json").data
    assert {e["taskId"] for e in entries if e["message"] == "both moving"} == {
        first["id"],
        second["id"],
    }
    assert "not the session's" not in [e["message"] for e in entries]
    assert {e["sessionId"] for e in entries} == {worker}
    human = maestro("session", "log", env=inside(worker))
    assert human.code == 0 and "TASK" in human.out.splitlines()[0]


# -- reports -------------------------------------------------------------------------------------


def test_reports_in_a_session_move_the_session_and_its_tasks(
    maestro: Maestro, maestro_server: ServerProcess, project: str
) -> None:
    task = task_in(maestro, project, "Reported on")
    worker = add_session(maestro_server, [task["id"]], project_id=project)

    asked = maestro("report", "needs-input", "which API?", "--json", env=inside(worker)).data
    assert asked["session"]["status"] == "needs_input" and asked["sessionEnded"] is False
    assert asked["taskIds"] == [task["id"]]
    back = maestro("report", "progress", "got it", env=inside(worker))
    assert back.out == f"Reported progress on {task['id']}\n"
    assert maestro_server.api("GET", f"sessions/{worker}")["status"] == "running"
    failed = maestro("report", "error", "tests crash", env=inside(worker))
    assert failed.code == 0 and failed.out == f"Reported error on {task['id']}\n"
    blocked = maestro("report", "blocked", "no key", "--json", env=inside(worker)).data
    assert blocked["tasks"][0]["status"] == "blocked"
    done = maestro("report", "complete", "merged", env=inside(worker))
    assert done.out == f"Reported complete on {task['id']}; {task['id']} completed\n"

    reported = [
        e
        for e in timeline(maestro_server, task)
        if e["message"] in ("which API?", "got it", "tests crash", "no key", "merged")
    ]
    assert [e["kind"] for e in reported][:4] == ["needs_input", "progress", "error", "blocked"]
    assert {e["sessionId"] for e in reported} == {worker}


def test_report_error_outside_a_session_writes_an_error_entry(
    maestro: Maestro, maestro_server: ServerProcess, project: str
) -> None:
    task = task_in(maestro, project, "Broken")
    run = maestro("report", "error", "disk full", "--task", task["id"], "--json")
    assert run.code == 0 and run.data["entries"][0]["kind"] == "error"
    assert ("error", "disk full") in [
        (e["kind"], e["message"]) for e in timeline(maestro_server, task)
    ]


def test_a_late_report_on_an_ended_session_exits_0_and_says_only_the_timeline_got_it(
    maestro: Maestro, maestro_server: ServerProcess, project: str
) -> None:
    task = task_in(maestro, project, "Finished earlier")
    worker = add_session(maestro_server, [task["id"]], status="completed", project_id=project)

    late = maestro("report", "needs-input", "one more thing?", env=inside(worker))

    assert late.code == 0
    assert late.err.count("\n") == 1 and "has ended" in late.err and "timeline" in late.err
    assert maestro_server.api("GET", f"sessions/{worker}")["status"] == "completed"
    assert "one more thing?" in [e["message"] for e in timeline(maestro_server, task)]
    as_json = maestro("report", "complete", "late", "--json", env=inside(worker))
    assert as_json.code == 0 and as_json.data["sessionEnded"] is True
    assert get(maestro_server, task)["status"] == "todo"


# -- messages ------------------------------------------------------------------------------------


def spawn_shell(maestro: Maestro, project: str, task: dict[str, Any], cwd: Path) -> str:
    spawned = maestro(
        "session", "spawn", task["id"], "--agent", "shell", "--cwd", str(cwd), "--json"
    )
    assert spawned.code == 0, spawned.err
    return spawned.data["id"]


def wait_for_file(path: Path) -> str:
    """The file's text once the shell in the session's terminal has written it (the test's
    timeout bounds the wait)."""
    import time

    while not path.exists() or not path.read_text().strip():
        time.sleep(0.05)
    return path.read_text()


def test_session_send_types_the_text_and_enter_into_the_terminal(
    maestro: Maestro, maestro_server: ServerProcess, project: str, tmp_path: Path
) -> None:
    work = maestro_server.root / "work" / f"send-{secrets.token_hex(3)}"
    work.mkdir()
    task = task_in(maestro, project, "Talk to the shell")
    shell = spawn_shell(maestro, project, task, work)
    try:
        typed = maestro("session", "send", shell, "echo first > typed", "--no-submit")
        assert typed.code == 0 and typed.out.endswith(f"to {shell}\n")
        sent = maestro("session", "send", shell, "--json", "--", "-line.txt")
        assert sent.code == 0 and sent.data["id"] == shell
        assert wait_for_file(work / "typed-line.txt") == "first\n"
    finally:
        maestro("session", "stop", shell)
    messages = [e for e in timeline(maestro_server, task) if e["kind"] == "message"]
    assert [e["message"] for e in messages] == ["echo first > typed", "-line.txt"]
    assert all(e["actor"] for e in messages)


def test_session_send_refuses_ended_sessions_and_control_characters(
    maestro: Maestro, maestro_server: ServerProcess, project: str
) -> None:
    task = task_in(maestro, project, "Quiet")
    ended = add_session(maestro_server, [task["id"]], status="stopped", project_id=project)
    refused = maestro("session", "send", ended, "hello", "--json")
    assert refused.code == 1 and refused.error["error"] == "session_ended"
    assert maestro("session", "send", ended, "hello").err.count("\n") == 1

    escape = maestro("session", "send", ended, "clear \x1b[2J now")
    assert escape.code == 2 and escape.err.count("\n") == 1 and "\\x1b" in escape.err
    assert "\x1b" not in escape.err
    assert [e for e in timeline(maestro_server, task) if e["kind"] == "message"] == []


# -- waits -------------------------------------------------------------------------------------


def test_session_wait_returns_at_once_when_the_sessions_have_already_ended(
    maestro: Maestro, maestro_server: ServerProcess, project: str
) -> None:
    done = session(maestro_server, project, status="completed")
    failed = session(maestro_server, project, status="failed")
    human = maestro("session", "wait", done, failed)
    assert human.code == 0
    assert {line.split()[0] for line in human.out.splitlines()[1:]} == {done, failed}
    data = maestro("session", "wait", done, "--until", "any", "--json").data
    assert (data["result"], data["matched"]) == ("satisfied", [done])


def test_session_wait_times_out_with_exit_1(
    maestro: Maestro, maestro_server: ServerProcess, project: str
) -> None:
    running = session(maestro_server, project)
    human = maestro("session", "wait", running, "--timeout", "0.5")
    assert human.code == 1 and human.out == ""
    assert human.err.count("\n") == 1 and "timed out" in human.err and running in human.err
    as_json = maestro("session", "wait", running, "--timeout", "200ms", "--json")
    assert as_json.code == 1 and as_json.error["error"] == "timeout"
    assert as_json.error["details"]["sessions"][0]["status"] == "running"


def test_session_wait_for_input_holds_when_one_asks_and_fails_when_all_ended(
    maestro: Maestro, maestro_server: ServerProcess, project: str
) -> None:
    task = task_in(maestro, project, "Question")
    asking = add_session(maestro_server, [task["id"]], project_id=project)
    maestro("report", "needs-input", "which one?", env=inside(asking))
    other = session(maestro_server, project)
    found = maestro(
        "session", "wait", asking, other, "--until", "needs-input", "--timeout", "60", "--json"
    ).data
    assert found["matched"] == [asking]

    ended = session(maestro_server, project, status="stopped")
    never = maestro("session", "wait", ended, "--until", "needs-input", "--json")
    assert never.code == 1 and never.error["error"] == "unreachable"


def test_session_wait_without_ids_waits_for_the_sessions_this_one_spawned(
    maestro: Maestro, maestro_server: ServerProcess, project: str
) -> None:
    parent = session(maestro_server, project)
    child = add_session(maestro_server, [], project_id=project, parent=parent)
    session(maestro_server, project)  # another session's business

    pending = maestro("session", "wait", "--timeout", "0.2", "--json", env=inside(parent))
    assert pending.code == 1
    assert [s["id"] for s in pending.error["details"]["sessions"]] == [child]
    maestro_server.api("POST", f"sessions/{child}/stop")
    done = maestro("session", "wait", "--json", env=inside(parent)).data
    assert done["sessions"] == []  # it has ended: nothing left to wait for
    assert maestro("session", "wait", env=inside(parent)).out == "No sessions to wait for.\n"


def test_session_wait_on_unknown_ids_exits_2_naming_them(
    maestro: Maestro, maestro_server: ServerProcess, project: str
) -> None:
    known = session(maestro_server, project)
    run = maestro("session", "wait", known, "sess_nosuch1", "sess_nosuch2", "--timeout", "1")
    assert run.code == 2 and run.err.count("\n") == 1
    assert "sess_nosuch1" in run.err and "sess_nosuch2" in run.err and known not in run.err
    as_json = maestro("session", "wait", "sess_nosuch1", "--json")
    assert as_json.code == 2 and as_json.error["details"]["sessionIds"] == ["sess_nosuch1"]


# -- sessions from outside, and links ----------------------------------------------------------


def test_session_register_prints_shell_quoted_exports_to_eval(
    maestro: Maestro, maestro_server: ServerProcess, project: str, cli_env: dict[str, Any]
) -> None:
    task = task_in(maestro, project, "Done by hand")
    run = maestro(
        "session", "register", "--task", task["id"], "--name", "Ann's terminal",
        "--role", "orchestrator", "--project", project,
    )  # fmt: skip
    assert run.code == 0, run.err
    lines = run.out.splitlines()
    assert lines[0].startswith("# ")
    exported = dict(
        shlex.split(line.removeprefix("export "))[0].split("=", 1) for line in lines[1:]
    )
    assert exported["MAESTRO_TASK_IDS"] == task["id"]
    assert exported["MAESTRO_PROJECT_ID"] == project
    assert exported["MAESTRO_ROLE"] == "orchestrator"
    assert exported["MAESTRO_URL"] == maestro_server.url
    assert exported["MAESTRO_TOKEN"] == maestro_server.token
    registered = maestro_server.api("GET", f"sessions/{exported['MAESTRO_SESSION_ID']}")
    assert (registered["status"], registered["name"]) == ("running", "Ann's terminal")
    assert registered["terminalName"] is None and registered["taskIds"] == [task["id"]]
    assert get(maestro_server, task)["claimedBy"] is None  # linking is not claiming

    data = maestro("session", "register", "--json").data
    assert data["environment"]["MAESTRO_SESSION_ID"] == data["session"]["id"]
    assert data["environment"]["MAESTRO_TASK_IDS"] == ""


def test_session_assign_and_unassign_move_tasks_between_sessions(
    maestro: Maestro, maestro_server: ServerProcess, project: str
) -> None:
    first, second = task_in(maestro, project, "Move me"), task_in(maestro, project, "Stay")
    worker = session(maestro_server, project)
    linked = maestro("session", "assign", worker, first["id"], second["id"])
    assert linked.code == 0 and linked.out == f"{worker} works on {first['id']}, {second['id']}\n"
    maestro("task", "claim", first["id"], env=inside(worker))

    unlinked = maestro("session", "unassign", worker, first["id"], "--json").data
    assert unlinked["taskIds"] == [second["id"]]
    after = get(maestro_server, first)
    assert (after["claimedBy"], after["status"]) == (None, "todo")

    other = session(maestro_server, project)
    assert maestro("session", "assign", other, first["id"], "--json").data["taskIds"] == [
        first["id"]
    ]
    unknown = maestro("session", "assign", other, "task_nosuchtask")
    assert unknown.code == 2 and "task_nosuchtask" in unknown.err
    ended = session(maestro_server, project, status="completed")
    assert maestro("session", "assign", ended, second["id"]).code == 1


def test_session_spawn_without_tasks_works_in_a_project(
    maestro: Maestro, maestro_server: ServerProcess, project: str
) -> None:
    spawned = maestro("session", "spawn", "--agent", "shell", "--project", project)
    assert spawned.code == 0, spawned.err
    pattern = rf"Spawned (\w+) \(\w+\) to claim from {project} in terminal \w+\n"
    match = re.fullmatch(pattern, spawned.out)
    assert match
    assert maestro("session", "stop", match.group(1)).code == 0


# -- projects ------------------------------------------------------------------------------------


def test_project_create_list_show_and_use(
    maestro: Maestro, cli_env: dict[str, Any], tmp_path: Path
) -> None:
    folder = tmp_path / "repo"
    folder.mkdir()
    created = maestro("project", "create", "Parser", "--path", str(folder), "--json").data
    assert created["name"] == "Parser" and created["workingDir"] == str(folder)
    human = maestro("project", "create", "Docs")
    assert re.fullmatch(r"Created proj_\w+: Docs\n", human.out)

    listed = maestro("project", "list", "--json").data
    assert created["id"] in [p["id"] for p in listed]
    table = maestro("project", "list").out.splitlines()
    assert table[0].split() == ["ID", "NAME", "FOLDER"]
    assert next(line for line in table if "proj_default" in line).startswith("*")

    shown = maestro("project", "show", created["id"])
    assert shown.out.startswith(f"{created['id']}  Parser\n")
    assert re.search(rf"^folder\s+{re.escape(str(folder))}$", shown.out, re.M)

    used = maestro("project", "use", created["id"])
    assert used.code == 0 and used.out.startswith(f"Using {created['id']} (Parser)")
    assert maestro("config", "get", "project").out == f"{created['id']}\n"
    assert maestro("project", "show", "--json").data["id"] == created["id"]
    rows = maestro("project", "list").out.splitlines()
    assert next(row for row in rows if created["id"] in row).startswith("*")
    task = create(maestro, "Filed in the current project")
    assert task["projectId"] == created["id"]
    missing = maestro("project", "use", "proj_nosuchproject")
    assert missing.code == 1 and maestro("config", "get", "project").out == f"{created['id']}\n"
