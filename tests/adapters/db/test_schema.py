"""One schema, one Alembic chain: the migrations create exactly what the models describe.

Alembic autogenerate compares the migrated database with ``schema.metadata`` (every table of
the assistant, not a filtered subset) and must propose nothing, on SQLite and PostgreSQL.
"""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from gopay_support.adapters.db import Database
from gopay_support.adapters.db.database import ALEMBIC_INI
from gopay_support.adapters.db.schema import metadata


def test_migrations_create_every_model_table_and_autogenerate_proposes_nothing(db_url: str) -> None:
    db = Database(db_url)
    try:
        engine = db.engine  # migrated to head on first use
        tables = set(inspect(engine).get_table_names())
        assert set(metadata.tables) | {"alembic_version"} == tables
        head = ScriptDirectory.from_config(Config(str(ALEMBIC_INI))).get_current_head()
        with engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() == head
            diff = compare_metadata(MigrationContext.configure(conn), metadata)
        assert diff == []
    finally:
        db.dispose()


def test_the_chain_is_linear_with_one_head() -> None:
    scripts = ScriptDirectory.from_config(Config(str(ALEMBIC_INI)))
    assert len(scripts.get_heads()) == 1
    revisions = list(scripts.walk_revisions())
    assert revisions[-1].down_revision is None
    assert all(r.down_revision is not None for r in revisions[:-1])
