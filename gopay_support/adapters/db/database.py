"""The app database: one engine per URL, migrated on first use, and sessions.

SQLite by default, PostgreSQL through ``TICKETS_DB_URL``. The schema
(:mod:`gopay_support.adapters.db.schema`) is brought to the newest revision of the one Alembic
chain (``migrations/``) the first time the database is used, so a fresh checkout, the action
server, the channels, the console and the CLI all just work.
"""

from __future__ import annotations

import fcntl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, overload

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import QueuePool

ALEMBIC_INI = Path(__file__).resolve().parent / "alembic.ini"


@overload
def aware(value: datetime) -> datetime: ...
@overload
def aware(value: None) -> None: ...
@overload
def aware(value: datetime | None) -> datetime | None: ...


def aware(value: datetime | None) -> datetime | None:
    """SQLite returns naive datetimes; everything is stored in UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=timezone.utc)


#: SQLite waits this long for another process's write to finish before "database is locked".
SQLITE_BUSY_SECONDS = 15.0


def engine_for(url: str) -> Engine:
    """An engine for ``url``; an SQLite file's folder is created on first use.

    SQLite files are shared by several processes (Rasa, the action server, the console):
    write-ahead logging lets readers work while one process writes, ``synchronous=NORMAL``
    makes a commit an append to the log without an fsync (a committed transaction survives a
    crash of any process; only a power cut can lose the last ones), and writers wait for
    each other instead of failing.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, future=True, pool_pre_ping=True)
    in_file = parsed.database not in (None, "", ":memory:")
    if in_file:
        Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    # Pooled, as SQLAlchemy 2.0 does for files: 1.4's default for a file opens a connection
    # (and runs the three pragmas) for every statement, about a third of a millisecond each
    # time on the path of every message. A file needs no pre-ping (no server to lose).
    pooling: dict[str, Any] = {"poolclass": QueuePool} if in_file else {}
    engine = create_engine(
        url,
        future=True,
        connect_args={"timeout": SQLITE_BUSY_SECONDS, "check_same_thread": False},
        **pooling,
    )
    event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    cursor = connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={int(SQLITE_BUSY_SECONDS * 1000)}")
    finally:
        cursor.close()


#: Key of the PostgreSQL advisory lock that serialises migrations across processes.
_MIGRATION_LOCK = 0x60FA7  # "gopay"


def upgrade(engine: Engine) -> None:
    """Bring the database behind ``engine`` to the newest migration (idempotent).

    Several processes start at once on a fresh database (Rasa servers, action servers, the
    console); they migrate one after the other, and the later ones find the schema at head:
    a PostgreSQL advisory lock held for the migration's transaction, a file lock beside an
    SQLite file.
    """
    config = Config(str(ALEMBIC_INI))
    with _migration_lock(engine), engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_MIGRATION_LOCK})")
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


@contextmanager
def _migration_lock(engine: Engine) -> Iterator[None]:
    database = engine.url.database if engine.dialect.name == "sqlite" else None
    if not database or database == ":memory:":
        yield
        return
    with open(f"{database}.migrate.lock", "a") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)


class Database:
    """Engine and sessions of one database URL, created and migrated lazily, thread-safe."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._engine: Engine | None = None
        self._sessions: sessionmaker | None = None
        self._lock = threading.Lock()

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            with self._lock:
                if self._engine is None:
                    engine = engine_for(self.url)
                    upgrade(engine)
                    self._sessions = sessionmaker(engine, future=True, expire_on_commit=False)
                    self._engine = engine
        return self._engine

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session in a transaction, committed at the end of the block."""
        self.engine  # noqa: B018 - ensures the schema exists
        assert self._sessions is not None
        with self._sessions() as session, session.begin():
            yield session

    def dispose(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
