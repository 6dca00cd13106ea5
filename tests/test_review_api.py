"""Review over REST, on real git repositories: a session's diff, merge (and its conflict), discard,
the worktrees of a project; projects on a repository record their base branch."""

from __future__ import annotations

import json

import pytest

from maestro_jupyter import git as maestro_git

from .git_support import branches, head, sample_repository, status, worktree_paths

pytestmark = pytest.mark.timeout(120)


async def make_project(api, jp_root_dir):
    """A project on a real repository inside the server's root (async fixtures do not run
    under pytest-jupyter's loop plugin: tests call this)."""
    repo = sample_repository(jp_root_dir)
    reply = await api("POST", "projects", {"name": "app", "workingDir": str(repo)})
    assert reply.status == 201, reply
    return reply.json


async def worktree_session(api, store, project, title):
    """A registered session with a worktree of its own, as a worktree spawn leaves it."""
    task = (await api("POST", "tasks", {"title": title, "projectId": project["id"]})).json
    session = (
        await api("POST", "sessions", {"name": f"worker: {title}", "taskIds": [task["id"]]})
    ).json
    made = await maestro_git.create_worktree(
        project["workingDir"], session_id=session["id"], slug=None, base_branch="main"
    )
    store.update_session(
        session["id"],
        project_id=project["id"],
        isolation="worktree",
        worktree=made["worktree"],
        branch=made["branch"],
        base_commit=made["baseCommit"],
    )
    return session, task, made


async def test_a_project_on_a_repository_records_its_base_branch(api, tmp_path, jp_root_dir):
    project = await make_project(api, jp_root_dir)
    assert project["baseBranch"] == "main"
    plain = await api("POST", "projects", {"name": "plain", "workingDir": str(tmp_path)})
    assert plain.json["baseBranch"] is None


async def test_diff_then_merge_lands_on_the_base_branch_and_cleans_up(api, store, jp_root_dir):
    project = await make_project(api, jp_root_dir)
    repo = project["workingDir"]
    session, task, made = await worktree_session(api, store, project, "greet louder")
    open(made["worktree"] + "/src/app.py", "w").write("def greet():\n    return 'HELLO'\n")
    notebook = {"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    open(made["worktree"] + "/new.ipynb", "w").write(json.dumps(notebook))
    before = head(repo)
    diff = await api("GET", f"sessions/{session['id']}/diff")
    assert diff.status == 200, diff
    files = {file["path"]: file for file in diff.json["files"]}
    assert set(files) == {"src/app.py", "new.ipynb"}
    assert "HELLO" in files["src/app.py"]["diff"]
    assert files["new.ipynb"]["notebook"] is not None
    stat = (await api("GET", f"sessions/{session['id']}/diff", params={"stat": "true"})).json
    assert all("diff" not in file for file in stat["files"]) and stat["stats"]["files"] == 2
    assert head(repo) == before and status(repo) == ""  # the main tree is untouched
    merged = await api("POST", f"sessions/{session['id']}/merge", {"strategy": "squash"})
    assert merged.status == 200, merged
    assert head(repo) == merged.json["commit"] != before
    assert "HELLO" in open(repo + "/src/app.py").read()
    assert made["branch"] not in branches(repo) and made["worktree"] not in worktree_paths(repo)
    entries = (await api("GET", f"tasks/{task['id']}/timeline")).json["items"]
    assert any("Merged" in entry["message"] for entry in entries)


async def test_a_conflicting_merge_is_409_naming_the_file_and_changes_nothing(
    api, store, jp_root_dir
):
    project = await make_project(api, jp_root_dir)
    repo = project["workingDir"]
    first, _, made_first = await worktree_session(api, store, project, "first")
    second, task, made_second = await worktree_session(api, store, project, "second")
    open(made_first["worktree"] + "/notes.txt", "w").write("one\nTWO\nthree\n")
    open(made_second["worktree"] + "/notes.txt", "w").write("one\ndeux\nthree\n")
    assert (await api("POST", f"sessions/{first['id']}/merge", {})).status == 200
    after_first = head(repo)
    conflict = await api("POST", f"sessions/{second['id']}/merge", {})
    assert conflict.status == 409 and conflict.json["error"] == "merge_conflict"
    assert conflict.json["details"]["files"] == ["notes.txt"]
    assert head(repo) == after_first and status(repo) == ""
    entries = (await api("GET", f"tasks/{task['id']}/timeline")).json["items"]
    assert "Rebase" in entries[-1]["message"]


async def test_a_dirty_main_tree_refuses_the_merge(api, store, jp_root_dir):
    project = await make_project(api, jp_root_dir)
    repo = project["workingDir"]
    session, _, made = await worktree_session(api, store, project, "t")
    open(made["worktree"] + "/notes.txt", "w").write("changed\n")
    open(repo + "/README.md", "a").write("local edit\n")
    before = head(repo)
    refused = await api("POST", f"sessions/{session['id']}/merge", {})
    assert refused.status == 409
    assert head(repo) == before and "README.md" in status(repo)


async def test_discard_leaves_no_worktree_and_no_branch_and_prune_takes_orphans(
    api, store, jp_root_dir
):
    project = await make_project(api, jp_root_dir)
    repo = project["workingDir"]
    session, _, made = await worktree_session(api, store, project, "dropped")
    orphan, _, orphan_made = await worktree_session(api, store, project, "orphan")
    discarded = await api("POST", f"sessions/{session['id']}/discard", {})
    assert discarded.status == 200 and discarded.json["worktree"] is None
    assert made["branch"] not in branches(repo)
    listed = (await api("GET", "worktrees", params={"projectId": project["id"]})).json["items"]
    assert [entry["sessionId"] for entry in listed] == [orphan["id"]]
    store.delete_session(orphan["id"])
    pruned = await api("POST", "worktrees/prune", {"projectId": project["id"]})
    assert [entry["branch"] for entry in pruned.json["items"]] == [orphan_made["branch"]]
    assert orphan_made["branch"] not in branches(repo)


async def test_a_session_without_a_worktree_has_nothing_to_review(api):
    session = (await api("POST", "sessions", {"name": "plain"})).json
    for method, path in (("GET", "diff"), ("POST", "merge"), ("POST", "discard")):
        reply = await api(
            method, f"sessions/{session['id']}/{path}", {} if method == "POST" else None
        )
        assert reply.status == 409, (path, reply)
