"""Database tables (SQLAlchemy 2 Core) as the newest migration leaves them.

Portable across SQLite and PostgreSQL: ids are strings, timestamps ISO 8601 strings (sortable
and identical on the wire), lists JSON. A change here needs a revision in migrations/versions/
(tests/test_migrations.py checks that the two agree).
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData()
Stamp = String(32)

# Release 0.1's own version mark, before alembic: kept at 2 so that 0.1 refuses these databases.
schema_info = Table(
    "maestro_schema",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("version", Integer, nullable=False),
)

projects = Table(
    "projects",
    metadata,
    Column("id", String(80), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("working_dir", Text),
    Column("description", Text, nullable=False, default=""),
    Column("created_at", Stamp, nullable=False),
    Column("updated_at", Stamp, nullable=False),
    Column("version", Integer, nullable=False, default=1),
    Column("base_branch", String(255)),
    Column("created_by", String(200)),  # actors: a user name or a session id
    Column("updated_by", String(200)),
)

tasks = Table(
    "tasks",
    metadata,
    Column("id", String(80), primary_key=True),
    Column("project_id", String(80), ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
    Column("parent_id", String(80), ForeignKey("tasks.id", ondelete="CASCADE")),
    Column("title", String(500), nullable=False),
    Column("description", Text, nullable=False, default=""),
    Column("status", String(20), nullable=False),
    Column("priority", String(10), nullable=False),
    Column("blocked_reason", Text),
    Column("dependencies", JSON, nullable=False),
    Column("labels", JSON, nullable=False),
    Column("created_at", Stamp, nullable=False),
    Column("updated_at", Stamp, nullable=False),
    Column("started_at", Stamp),
    Column("completed_at", Stamp),
    Column("version", Integer, nullable=False, default=1),
    Column("claimed_by", String(80)),  # a session id
    Column("claimed_at", Stamp),
    Column("created_by", String(200)),
    Column("updated_by", String(200)),
    Index("ix_tasks_project_created", "project_id", "created_at", "id"),
    Index("ix_tasks_created", "created_at", "id"),
    Index("ix_tasks_parent", "parent_id"),
    # The claim query: ready tasks are `todo` and unclaimed, within a project or anywhere.
    Index("ix_tasks_status_claimed", "status", "claimed_by"),
    Index("ix_tasks_project_status", "project_id", "status", "claimed_by"),
)

subtasks = Table(
    "subtasks",
    metadata,
    Column("id", String(80), primary_key=True),
    Column("task_id", String(80), ForeignKey("tasks.id", ondelete="CASCADE"), nullable=False),
    Column("title", String(500), nullable=False),
    Column("description", Text, nullable=False, default=""),
    Column("completed", Boolean, nullable=False, default=False),
    Column("position", Integer, nullable=False),
    Column("created_at", Stamp, nullable=False),
    Column("updated_at", Stamp, nullable=False),
    Column("completed_at", Stamp),
    Column("version", Integer, nullable=False, default=1),
    Column("created_by", String(200)),
    Column("updated_by", String(200)),
    Index("ix_subtasks_task", "task_id", "position"),
)

sessions = Table(
    "sessions",
    metadata,
    Column("id", String(80), primary_key=True),
    Column("project_id", String(80), ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(200), nullable=False),
    Column("role", String(20), nullable=False),
    Column("skills", JSON, nullable=False),
    Column("agent", String(200), nullable=False),
    Column("status", String(20), nullable=False),
    Column("terminal_name", String(120)),
    Column("cwd", Text),
    Column("exit_code", Integer),
    Column("parent_session_id", String(80)),
    Column("spawn_source", String(20), nullable=False),
    Column("agent_session_id", String(80)),
    Column("created_at", Stamp, nullable=False),
    Column("started_at", Stamp),
    Column("ended_at", Stamp),
    Column("last_activity", Stamp),
    Column("version", Integer, nullable=False, default=1),
    Column("activity", String(20), nullable=False, server_default="unknown"),
    Column("activity_source", String(20)),
    Column("last_output_at", Stamp),
    Column("worktree", Text),
    Column("branch", String(255)),
    Column("base_commit", String(64)),
    Column("isolation", String(20), nullable=False, server_default="none"),
    Column("resumed_from", String(80)),
    Column("owner_user", String(200)),
    Column("owner_server", String(200)),
    Column("process_group", Integer),
    Column("exit_signal", Integer),
    Column("created_by", String(200)),  # who spawned or registered it
    Index("ix_sessions_status", "status"),
)

session_tasks = Table(
    "session_tasks",
    metadata,
    Column(
        "session_id", String(80), ForeignKey("sessions.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("task_id", String(80), ForeignKey("tasks.id", ondelete="CASCADE"), primary_key=True),
    Column("position", Integer, nullable=False, default=0),
    Index("ix_session_tasks_task", "task_id"),
)

timeline = Table(
    "timeline",
    metadata,
    Column("id", String(80), primary_key=True),
    Column("task_id", String(80), ForeignKey("tasks.id", ondelete="CASCADE"), nullable=False),
    Column("session_id", String(80)),
    Column("kind", String(20), nullable=False),
    Column("message", Text, nullable=False),
    Column("at", Stamp, nullable=False),
    Column("actor", String(200)),  # who wrote it: a user name or a session id
    Index("ix_timeline_task", "task_id", "at"),
    Index("ix_timeline_session", "session_id", "at"),
)

events = Table(
    "events",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("event", String(40), nullable=False),
    Column("data", JSON, nullable=False),
    Column("timestamp", Stamp, nullable=False),
    Column("actor", String(200)),  # who made the write: a user name or a session id
)

# The token each spawned agent holds as MAESTRO_TOKEN: only its SHA-256 is kept. A token is
# valid on its own server (`server`) until the session ends (`revoked_at`).
session_tokens = Table(
    "session_tokens",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column(
        "session_id", String(80), ForeignKey("sessions.id", ondelete="CASCADE"), nullable=False
    ),
    Column("role", String(20), nullable=False),
    Column("server", String(200)),
    Column("created_at", Stamp, nullable=False),
    Column("revoked_at", Stamp),
    Index("ix_session_tokens_session", "session_id"),
)

# One row per Idempotency-Key: pending (no status yet) while its request runs, then its answer.
idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("scope", String(200), primary_key=True),
    Column("key", String(200), primary_key=True),
    Column("status", Integer),
    Column("body", JSON, nullable=False),
    Column("created_at", Stamp, nullable=False),
    Column("fingerprint", String(128)),  # of the request; NULL in rows written by release 0.1
)
