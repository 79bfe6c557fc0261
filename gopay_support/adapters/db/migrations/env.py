"""Alembic environment of the app database: one chain for every table of ``schema.metadata``.

The store passes its own connection in ``config.attributes["connection"]`` so migrations
run inside the process on first use; the ``alembic`` command line works too and then
reads the database from ``TICKETS_DB_URL`` (via gopay_support.wiring).
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from gopay_support.adapters.db.schema import metadata

config = context.config
target_metadata = metadata


def _run(connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    from gopay_support.wiring import load_settings

    engine = create_engine(load_settings().database_url, future=True)
    with engine.connect() as connection:
        _run(connection)
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported for the ticket store")
run_migrations_online()
