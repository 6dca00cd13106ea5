"""Claims, session activity, worktrees, owners, process groups, timeline actors, a project's
base branch, and idempotency records that can be pending.

Every new column is nullable or has a default, so rows of release 0.1 need no rewriting.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

Stamp = sa.String(32)


def upgrade() -> None:
    op.add_column("projects", sa.Column("base_branch", sa.String(255)))

    op.add_column("tasks", sa.Column("claimed_by", sa.String(80)))
    op.add_column("tasks", sa.Column("claimed_at", Stamp))
    # The claim query (ready = todo and unclaimed); the new index starts with `status`, so it
    # serves what ix_tasks_status did.
    op.drop_index("ix_tasks_status", "tasks")
    op.create_index("ix_tasks_status_claimed", "tasks", ["status", "claimed_by"])
    op.create_index("ix_tasks_project_status", "tasks", ["project_id", "status", "claimed_by"])

    for column in (
        sa.Column("activity", sa.String(20), nullable=False, server_default="unknown"),
        sa.Column("activity_source", sa.String(20)),
        sa.Column("last_output_at", Stamp),
        sa.Column("worktree", sa.Text),
        sa.Column("branch", sa.String(255)),
        sa.Column("base_commit", sa.String(64)),
        sa.Column("isolation", sa.String(20), nullable=False, server_default="none"),
        sa.Column("resumed_from", sa.String(80)),
        sa.Column("owner_user", sa.String(200)),
        sa.Column("owner_server", sa.String(200)),
        sa.Column("process_group", sa.Integer),
        sa.Column("exit_signal", sa.Integer),
    ):
        op.add_column("sessions", column)

    op.add_column("timeline", sa.Column("actor", sa.String(200)))
    op.create_index("ix_timeline_session", "timeline", ["session_id", "at"])

    # A pending request has no status yet (SQLite copies the table to drop NOT NULL).
    with op.batch_alter_table("idempotency_keys") as batch:
        batch.alter_column("status", existing_type=sa.Integer, nullable=True)
        batch.add_column(sa.Column("fingerprint", sa.String(128)))

    # Release 0.1 reads only this mark: at 2 it refuses the database instead of misreading it.
    op.execute(sa.text("UPDATE maestro_schema SET version = 2"))
