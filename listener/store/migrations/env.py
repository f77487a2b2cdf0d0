"""Alembic environment: run only through ``listener.store.migrate`` (it passes the connection)."""

from __future__ import annotations

from alembic import context

from listener.store.tables import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations with `firstreply db upgrade` (listener.store.migrate)")

context.configure(
    connection=connection,
    target_metadata=metadata,
    # SQLite can't ALTER most things: later migrations copy-and-swap tables instead.
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
