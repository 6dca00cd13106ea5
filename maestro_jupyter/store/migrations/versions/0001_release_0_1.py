"""The schema of release 0.1, exactly as it created it (with its `maestro_schema` mark).

A database written by 0.1 is stamped at this revision rather than run through it.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

Stamp = sa.String(32)


def upgrade() -> None:
    schema = op.create_table(
        "maestro_schema",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("version", sa.Integer, nullable=False),
    )
    op.bulk_insert(schema, [{"id": 1, "version": 1}])
    op.create_table(
        "projects",
        sa.Column("id", sa.String(80), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("working_dir", sa.Text),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("created_at", Stamp, nullable=False),
        sa.Column("updated_at", Stamp, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
    )
    op.create_table(
        "events",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("event", sa.String(40), nullable=False),
        sa.Column("data", sa.JSON, nullable=False),
        sa.Column("timestamp", Stamp, nullable=False),
    )
    op.create_table(
        "idempotency_keys",
        sa.Column("scope", sa.String(200), primary_key=True),
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("status", sa.Integer, nullable=False),
        sa.Column("body", sa.JSON, nullable=False),
        sa.Column("created_at", Stamp, nullable=False),
    )
    op.create_table(
        "tasks",
        sa.Column("id", sa.String(80), primary_key=True),
        sa.Column(
            "project_id",
            sa.String(80),
            sa.ForeignKey("projects.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("parent_id", sa.String(80), sa.ForeignKey("tasks.id", ondelete="CASCADE")),
        sa.Column("title", sa.String(500), nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("priority", sa.String(10), nullable=False),
        sa.Column("blocked_reason", sa.Text),
        sa.Column("dependencies", sa.JSON, nullable=False),
        sa.Column("labels", sa.JSON, nullable=False),
        sa.Column("created_at", Stamp, nullable=False),
        sa.Column("updated_at", Stamp, nullable=False),
        sa.Column("started_at", Stamp),
        sa.Column("completed_at", Stamp),
        sa.Column("version", sa.Integer, nullable=False),
    )
    op.create_index("ix_tasks_project_created", "tasks", ["project_id", "created_at", "id"])
    op.create_index("ix_tasks_status", "tasks", ["status"])
    op.create_index("ix_tasks_parent", "tasks", ["parent_id"])
    op.create_index("ix_tasks_created", "tasks", ["created_at", "id"])
    op.create_table(
        "sessions",
        sa.Column("id", sa.String(80), primary_key=True),
        sa.Column(
            "project_id",
            sa.String(80),
            sa.ForeignKey("projects.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("skills", sa.JSON, nullable=False),
        sa.Column("agent", sa.String(200), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("terminal_name", sa.String(120)),
        sa.Column("cwd", sa.Text),
        sa.Column("exit_code", sa.Integer),
        sa.Column("parent_session_id", sa.String(80)),
        sa.Column("spawn_source", sa.String(20), nullable=False),
        sa.Column("agent_session_id", sa.String(80)),
        sa.Column("created_at", Stamp, nullable=False),
        sa.Column("started_at", Stamp),
        sa.Column("ended_at", Stamp),
        sa.Column("last_activity", Stamp),
        sa.Column("version", sa.Integer, nullable=False),
    )
    op.create_index("ix_sessions_status", "sessions", ["status"])
    op.create_table(
        "subtasks",
        sa.Column("id", sa.String(80), primary_key=True),
        sa.Column(
            "task_id", sa.String(80), sa.ForeignKey("tasks.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("title", sa.String(500), nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("completed", sa.Boolean, nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("created_at", Stamp, nullable=False),
        sa.Column("updated_at", Stamp, nullable=False),
        sa.Column("completed_at", Stamp),
        sa.Column("version", sa.Integer, nullable=False),
    )
    op.create_index("ix_subtasks_task", "subtasks", ["task_id", "position"])
    op.create_table(
        "session_tasks",
        sa.Column(
            "session_id",
            sa.String(80),
            sa.ForeignKey("sessions.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column(
            "task_id",
            sa.String(80),
            sa.ForeignKey("tasks.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("position", sa.Integer, nullable=False),
    )
    op.create_index("ix_session_tasks_task", "session_tasks", ["task_id"])
    op.create_table(
        "timeline",
        sa.Column("id", sa.String(80), primary_key=True),
        sa.Column(
            "task_id", sa.String(80), sa.ForeignKey("tasks.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("session_id", sa.String(80)),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("at", Stamp, nullable=False),
    )
    op.create_index("ix_timeline_task", "timeline", ["task_id", "at"])
