"""The app database: processes that start together on a fresh database all come up."""

from __future__ import annotations

import subprocess
import sys

from sqlalchemy import inspect

from gopay_support.adapters.db import Database
from gopay_support.adapters.db.schema import metadata

_MIGRATE = "import sys; from gopay_support.adapters.db import Database; Database(sys.argv[1]).engine"


def test_processes_migrating_a_fresh_database_at_once_all_succeed(db_url: str) -> None:
    processes = [
        subprocess.Popen([sys.executable, "-c", _MIGRATE, db_url], stderr=subprocess.PIPE) for _ in range(4)
    ]
    errors = [p.communicate(timeout=120)[1].decode(errors="replace") for p in processes]
    assert [p.returncode for p in processes] == [0, 0, 0, 0], "\n".join(errors)
    db = Database(db_url)
    try:
        assert set(metadata.tables) <= set(inspect(db.engine).get_table_names())
    finally:
        db.dispose()
