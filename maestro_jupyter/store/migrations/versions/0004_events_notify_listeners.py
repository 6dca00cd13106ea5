"""On PostgreSQL, each insert into the event log notifies the servers that LISTEN on
`maestro_events` (store/feed.py), with the highest seq it stored: several servers on one
database follow each other's writes. The notification is delivered at commit, and only then.
SQLite has one server per database file: nothing to do there.

Revision ID: 0004
Revises: 0003
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    # One notification per statement, not per row: a write that stores ten events wakes the
    # listeners once, and the seq it carries lets a server skip what it delivered already.
    op.execute(
        """
        CREATE FUNCTION maestro_events_notify() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('maestro_events', (SELECT max(seq) FROM new_events)::text);
            RETURN NULL;
        END
        $$
        """
    )
    op.execute(
        """
        CREATE TRIGGER maestro_events_notify AFTER INSERT ON events
        REFERENCING NEW TABLE AS new_events
        FOR EACH STATEMENT EXECUTE FUNCTION maestro_events_notify()
        """
    )
