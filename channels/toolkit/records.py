"""Durable records of the channels: what a channel must remember across restarts and share
between its processes, without a table of its own.

Each record is a JSON value under ``(channel, kind, key)`` in the one ``channel_records``
table (:class:`gopay_support.adapters.db.schema.ChannelRecordRow`), in the app database
(``TICKETS_DB_URL``: SQLite by default, PostgreSQL in the scaled profile). A channel picks
its own kinds and keys (the e-mail channel keeps read positions under ``"mailbox"``, threads
under ``"thread"`` and Message-IDs under ``"message_id"``); its name keeps its records apart
from other channels'. Adding a channel therefore adds no table and no Alembic revision.

* :meth:`Records.get` / :meth:`~Records.get_many` read; :meth:`~Records.put` writes (insert
  or replace); :meth:`~Records.put_if_absent` writes only a new key and says whether it was
  new (the first writer wins, e.g. "this id was seen first in that conversation").
* :meth:`~Records.update` reads, changes and writes one record atomically, also between
  processes: on PostgreSQL the row is locked (``SELECT ... FOR UPDATE``); on SQLite, which
  has one writer at a time, the write is a compare-and-set (``UPDATE ... WHERE value is still
  what was read``), tried again when another process changed the record in between. Its
  function may therefore run more than once and must only compute the new value.
* :meth:`~Records.delete` removes one record; :meth:`~Records.prune` removes a kind's records
  not changed since a given time (``updated_at``, indexed per channel and kind).

Values are anything :func:`json.dumps` takes except ``None`` (which means "no record").
Times are timezone-aware UTC. The methods block; async code calls them through
:func:`asyncio.to_thread`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import and_, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine

from gopay_support.adapters.db.database import Database
from gopay_support.adapters.db.schema import ChannelRecordRow
from gopay_support.core.clock import Clock, utcnow

table = ChannelRecordRow.__table__

#: Longest channel and kind name (the columns' width).
MAX_NAME_CHARS = 32
#: Longest key (the column's width).
MAX_KEY_CHARS = 255
#: Keys per query of :meth:`Records.get_many` (SQLite limits the parameters of a statement).
_CHUNK = 500
#: :meth:`Records.update` gives up after this many lost races (each means another writer won).
_MAX_TRIES = 1000


@dataclass(frozen=True)
class Record:
    channel: str
    kind: str
    key: str
    value: Any
    created_at: datetime
    #: When the value last changed (a :meth:`Records.put` of the same value counts).
    updated_at: datetime


class RecordConflict(RuntimeError):
    """:meth:`Records.update` kept losing the race for a record (should never happen)."""


class Records:
    """The ``channel_records`` table of one database; every method is one short transaction."""

    def __init__(self, database: Database, clock: Clock = utcnow) -> None:
        self._db = database
        self._clock = clock

    @property
    def engine(self) -> Engine:
        return self._db.engine  # migrated to the newest schema on first use

    # -- reading -------------------------------------------------------------------------
    def get(self, channel: str, kind: str, key: str) -> Record | None:
        _check(channel, kind, key)
        with self.engine.connect() as conn:
            row = conn.execute(select(table).where(_this(channel, kind, key))).first()
        return _record(row) if row is not None else None

    def get_many(self, channel: str, kind: str, keys: Iterable[str]) -> dict[str, Record]:
        """The records of ``keys`` that exist, by key."""
        wanted = sorted(set(keys))
        for key in wanted:
            _check(channel, kind, key)
        found: dict[str, Record] = {}
        with self.engine.connect() as conn:
            for start in range(0, len(wanted), _CHUNK):
                rows = conn.execute(
                    select(table).where(
                        table.c.channel == channel,
                        table.c.kind == kind,
                        table.c.key.in_(wanted[start : start + _CHUNK]),
                    )
                ).all()
                found.update((row.key, _record(row)) for row in rows)
        return found

    # -- writing -------------------------------------------------------------------------
    def put(self, channel: str, kind: str, key: str, value: Any) -> None:
        """Insert the record, or replace its value (its ``created_at`` stays)."""
        _check(channel, kind, key)
        text = _dumps(value)
        now = self._now()
        with self.engine.begin() as conn:
            statement = _insert(conn).values(
                channel=channel, kind=kind, key=key, value=text, created_at=now, updated_at=now
            )
            conn.execute(
                statement.on_conflict_do_update(
                    index_elements=["channel", "kind", "key"],
                    set_={"value": statement.excluded.value, "updated_at": statement.excluded.updated_at},
                )
            )

    def put_if_absent(self, channel: str, kind: str, key: str, value: Any) -> bool:
        """Insert the record unless the key exists; whether it was inserted (new)."""
        _check(channel, kind, key)
        text = _dumps(value)
        with self.engine.begin() as conn:
            return self._insert_new(conn, channel, kind, key, text)

    def update(self, channel: str, kind: str, key: str, fn: Callable[[Any], Any]) -> Any:
        """Read, change and write one record atomically; the value it has afterwards.

        ``fn`` gets the current value (``None``: no record) and returns the new one. When it
        returns ``None`` or the value unchanged, nothing is written (``updated_at`` stays).
        ``fn`` may be called more than once (when another process changed the record
        between the read and the write), so it must not have side effects.
        """
        _check(channel, kind, key)
        for _ in range(_MAX_TRIES):
            with self.engine.begin() as conn:
                query = select(table.c.value).where(_this(channel, kind, key))
                if conn.dialect.name == "postgresql":
                    query = query.with_for_update()  # held until this transaction ends
                old: str | None = conn.execute(query).scalar_one_or_none()
                current = None if old is None else json.loads(old)
                new = fn(current)
                if new is None:
                    return current
                text = _dumps(new)
                if text == old:
                    return current
                if old is None:
                    if self._insert_new(conn, channel, kind, key, text):
                        return new
                    continue  # another writer created it first: change theirs
                # Compare-and-set: on SQLite another process may have written since the read
                # (on PostgreSQL the row lock rules that out and the condition always holds).
                changed = conn.execute(
                    update(table)
                    .where(_this(channel, kind, key), table.c.value == old)
                    .values(value=text, updated_at=self._now())
                ).rowcount
                if changed:
                    return new
        raise RecordConflict(f"{channel}/{kind}: gave up after {_MAX_TRIES} conflicting writes")

    def delete(self, channel: str, kind: str, key: str) -> bool:
        """Remove the record; whether there was one."""
        _check(channel, kind, key)
        with self.engine.begin() as conn:
            return bool(conn.execute(delete(table).where(_this(channel, kind, key))).rowcount)

    def prune(self, channel: str, kind: str, older_than: datetime | timedelta) -> int:
        """Remove the kind's records not changed since ``older_than`` (a time, or an age);
        how many were removed."""
        _check(channel, kind)
        cutoff = self._now() - older_than if isinstance(older_than, timedelta) else _utc(older_than)
        with self.engine.begin() as conn:
            return int(
                conn.execute(
                    delete(table).where(
                        table.c.channel == channel, table.c.kind == kind, table.c.updated_at < cutoff
                    )
                ).rowcount
            )

    # -- helpers -------------------------------------------------------------------------
    def _now(self) -> datetime:
        return _utc(self._clock())

    def _insert_new(self, conn: Connection, channel: str, kind: str, key: str, text: str) -> bool:
        now = self._now()
        statement = _insert(conn).values(
            channel=channel, kind=kind, key=key, value=text, created_at=now, updated_at=now
        )
        inserted = conn.execute(
            statement.on_conflict_do_nothing(index_elements=["channel", "kind", "key"])
        ).rowcount
        return bool(inserted)


def _insert(conn: Connection) -> Any:
    """The dialect's INSERT, which has ``ON CONFLICT`` (PostgreSQL, SQLite 3.24+)."""
    return (postgresql if conn.dialect.name == "postgresql" else sqlite).insert(table)


def _this(channel: str, kind: str, key: str) -> Any:
    return and_(table.c.channel == channel, table.c.kind == kind, table.c.key == key)


def _check(channel: str, kind: str, key: str | None = None) -> None:
    for what, name in (("channel", channel), ("kind", kind)):
        if not name or len(name) > MAX_NAME_CHARS:
            raise ValueError(f"a record's {what} has 1 to {MAX_NAME_CHARS} characters")
    if key is not None and (not key or len(key) > MAX_KEY_CHARS):
        raise ValueError(f"a record's key has 1 to {MAX_KEY_CHARS} characters")


def _dumps(value: Any) -> str:
    if value is None:
        raise ValueError("a record's value cannot be None (None means no record)")
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def _utc(value: datetime) -> datetime:
    """Aware UTC (naive times are taken as UTC): SQLite stores the clock time only."""
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def _record(row: Any) -> Record:
    return Record(
        channel=row.channel,
        kind=row.kind,
        key=row.key,
        value=json.loads(row.value),
        created_at=_utc(row.created_at),
        updated_at=_utc(row.updated_at),
    )
