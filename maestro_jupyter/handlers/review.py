"""Review of a session's worktree: its diff, merge and discard; the worktrees of a project."""

from __future__ import annotations

from jupyter_server.auth.decorator import authorized
from tornado import web

from .. import models as m
from .. import review
from .base import MaestroHandler
from .routing import Operation, Route


class DiffHandler(MaestroHandler):
    @web.authenticated
    @authorized
    async def get(self, session_id: str) -> None:
        self.reply(await review.session_diff(self.store, session_id, stat=self.query.stat))


class MergeHandler(MaestroHandler):
    @web.authenticated
    @authorized
    async def post(self, session_id: str) -> None:
        body = self.parse(m.MergeRequest)
        await self.reply_once(
            f"POST sessions/{session_id}/merge",
            lambda: review.merge_session(
                self.store,
                session_id,
                server=self.spawner.server_id,
                strategy=body.strategy,
                actor=self.actor(),
            ),
            status=200,
        )


class DiscardHandler(MaestroHandler):
    @web.authenticated
    @authorized
    async def post(self, session_id: str) -> None:
        self.parse(m.EmptyBody)
        await self.reply_once(
            f"POST sessions/{session_id}/discard",
            lambda: review.discard_session(
                self.store, session_id, server=self.spawner.server_id, actor=self.actor()
            ),
            status=200,
        )


class WorktreesHandler(MaestroHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        project_id = self.query.project_id or self.store.default_project_id
        items = await review.project_worktrees(self.store, project_id)
        self.reply({"items": items, "nextCursor": None})


class PruneHandler(MaestroHandler):
    @web.authenticated
    @authorized
    async def post(self) -> None:
        body = self.parse(m.PruneRequest)
        project_id = body.project_id or self.store.default_project_id
        items = await review.prune_worktrees(self.store, project_id)
        self.reply({"items": items, "nextCursor": None})


routes = [
    Route(
        "sessions/{session_id}/diff",
        DiffHandler,
        {
            "get": Operation(
                "The session's changes against the commit it started from (stat=true: "
                "files and counts only); notebooks diffed with nbdime",
                query=m.DiffQuery,
                response=m.SessionDiff,
                errors=(404, 409, 422),
            ),
        },
    ),
    Route(
        "sessions/{session_id}/merge",
        MergeHandler,
        {
            "post": Operation(
                "Commit the worktree, merge its branch into the base branch in a clean main "
                "tree, remove the worktree (409 merge_conflict names the files, nothing changed)",
                body=m.MergeRequest,
                response=m.MergeResult,
                errors=(400, 404, 409, 422),
                idempotent=True,
            ),
        },
    ),
    Route(
        "sessions/{session_id}/discard",
        DiscardHandler,
        {
            "post": Operation(
                "Remove the session's worktree and branch, whatever they hold",
                body=m.EmptyBody,
                response=m.Session,
                errors=(400, 404, 409, 422),
                idempotent=True,
            ),
        },
    ),
    Route(
        "worktrees",
        WorktreesHandler,
        {
            "get": Operation(
                "Maestro's worktrees and branches in a project's repository",
                query=m.WorktreeQuery,
                response=m.WorktreeList,
                errors=(404, 422),
            ),
        },
    ),
    Route(
        "worktrees/prune",
        PruneHandler,
        {
            "post": Operation(
                "Remove the worktrees and branches whose session no longer exists",
                body=m.PruneRequest,
                response=m.WorktreeList,
                errors=(400, 404, 422),
            ),
        },
    ),
]
