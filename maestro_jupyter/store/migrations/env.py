"""Alembic's entry point: runs the revisions on the connection (and in the transaction) that
`migrations.upgrade` hands over; there is no alembic.ini."""

from alembic import context

from maestro_jupyter.store.schema import metadata

context.configure(
    connection=context.config.attributes["connection"],
    target_metadata=metadata,
    render_as_batch=True,  # SQLite alters most columns by copying the table
)
with context.begin_transaction():
    context.run_migrations()
