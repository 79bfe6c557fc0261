"""The app database as the handoff modules use it: one engine per URL, migrated on first use.

The schema belongs to the ticket store's Alembic history (revision ``0003_handoff``), so the
engine and the upgrade come from :mod:`gopay_support.tickets.store`.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from gopay_support.config import settings
from gopay_support.tickets.store import _create_engine, upgrade


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def aware(value: datetime | None) -> datetime | None:
    """SQLite returns naive datetimes; everything is stored in UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=timezone.utc)


class Database:
    def __init__(self, url: str | None = None) -> None:
        self.url = url or settings().tickets_db_url
        self._engine: Engine | None = None
        self._sessions: sessionmaker | None = None
        self._lock = threading.Lock()

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            with self._lock:
                if self._engine is None:
                    engine = _create_engine(self.url)
                    upgrade(engine)
                    self._sessions = sessionmaker(engine, future=True, expire_on_commit=False)
                    self._engine = engine
        return self._engine

    @contextmanager
    def session(self) -> Iterator[Session]:
        self.engine  # noqa: B018 - ensures the schema exists
        assert self._sessions is not None
        with self._sessions() as session, session.begin():
            yield session

    def dispose(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
