"""Who made each write (an actor on every event, and who created and last changed each row),
and the per-session tokens handed to agents (stored hashed, revoked when the session ends).

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

Stamp = sa.String(32)


def upgrade() -> None:
    op.add_column("events", sa.Column("actor", sa.String(200)))
    for table in ("projects", "tasks", "subtasks"):
        op.add_column(table, sa.Column("created_by", sa.String(200)))
        op.add_column(table, sa.Column("updated_by", sa.String(200)))
    op.add_column("sessions", sa.Column("created_by", sa.String(200)))

    op.create_table(
        "session_tokens",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column(
            "session_id",
            sa.String(80),
            sa.ForeignKey("sessions.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("server", sa.String(200)),
        sa.Column("created_at", Stamp, nullable=False),
        sa.Column("revoked_at", Stamp),
    )
    op.create_index("ix_session_tokens_session", "session_tokens", ["session_id"])
