"""What the inbox and the outbox share: the clock, who holds a lease, JSON columns, and
claiming rows so that several processes never work on the same one.

Both keep their rows in the app database (``TICKETS_DB_URL``: SQLite by default, PostgreSQL
in the scaled profile). A process *leases* a row before working on it: ``lease_owner`` and
``lease_until`` are written in the claiming transaction, and a crashed process's lease simply
runs out, so another process (or the same one after a restart) takes the work over.

Claiming is portable: on PostgreSQL the candidates are locked with ``SELECT ... FOR UPDATE
SKIP LOCKED`` (two workers never even wait for each other); on SQLite, which has one writer at
a time, the lease is a compare-and-set ``UPDATE ... WHERE lease is free`` whose row count
tells who won.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy import Table, and_, or_, update
from sqlalchemy.engine import Connection, Engine, Row
from sqlalchemy.sql import Select

Clock = Callable[[], dt.datetime]

#: Longest error text kept on a row (the column is 255 wide).
ERROR_CHARS = 250


def utcnow() -> dt.datetime:
    """Naive UTC, as the delivery tables store it (the same on SQLite and PostgreSQL)."""
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def new_owner(role: str) -> str:
    """A lease owner name unique to this process: ``<role>@<host>:<pid>:<random>``."""
    return f"{role}@{socket.gethostname()[:20]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"[:64]


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def loads(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def short(error: BaseException | str) -> str:
    text = error if isinstance(error, str) else f"{type(error).__name__}: {error}"
    return text[:ERROR_CHARS]


def is_postgres(engine: Engine | Connection) -> bool:
    return engine.dialect.name == "postgresql"


def lease_is_free(table: Table, now: dt.datetime) -> Any:
    return or_(table.c.lease_until.is_(None), table.c.lease_until < now)


def claim(
    conn: Connection,
    table: Table,
    candidates: Select,
    *,
    owner: str,
    now: dt.datetime,
    lease: dt.timedelta,
    values: dict[str, Any] | None = None,
) -> list[Row]:
    """Lease the rows ``candidates`` selects; the rows actually won, as they were before.

    ``candidates`` must select whole rows of ``table`` that are due and free. On PostgreSQL
    they are locked with SKIP LOCKED first, so rows another worker is claiming right now are
    passed over; everywhere the update re-checks that the row is unchanged (same number of
    attempts) and its lease still free, so a row is never won twice.
    """
    if is_postgres(conn):
        candidates = candidates.with_for_update(skip_locked=True, of=table)
    won: list[Row] = []
    for row in conn.execute(candidates).all():
        result = conn.execute(
            update(table)
            .where(
                and_(
                    table.c.id == row.id,
                    table.c.state == "pending",
                    table.c.attempts == row.attempts,
                    lease_is_free(table, now),
                )
            )
            .values(lease_owner=owner, lease_until=now + lease, attempts=row.attempts + 1, **(values or {}))
        )
        if result.rowcount:
            won.append(row)
    return won
