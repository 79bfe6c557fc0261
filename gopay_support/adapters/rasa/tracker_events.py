"""Reading conversations straight from Rasa's SQL tracker store (the ``events`` table).

The supervisor dashboard, the learning loop, the console's search and its live updates need
many conversations at once; Rasa's HTTP API gives one tracker per call. Rasa's
``SQLTrackerStore`` keeps one row per event: ``id``, ``sender_id``, ``type_name``,
``timestamp`` (seconds), ``intent_name``, ``action_name`` and ``data`` (the serialised event,
JSON). This module only reads that table, with SQLAlchemy Core: nothing here writes to it.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Column, Float, Integer, MetaData, String, Table, Text, create_engine, func, select
from sqlalchemy.engine import Engine

_metadata = MetaData()
EVENTS = Table(
    "events",
    _metadata,
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255)),
    Column("type_name", String(255)),
    Column("timestamp", Float),
    Column("intent_name", String(255)),
    Column("action_name", String(255)),
    Column("data", Text),
)
#: Event types the console reads (everything else, e.g. slots, is skipped).
_READ_TYPES = ("user", "bot", "action", "pause", "resume", "session_started")


def json_fragment(text: str) -> str:
    """``text`` as it appears inside the ``data`` column (Rasa escapes non-ASCII there)."""
    return json.dumps(text)[1:-1]


class TrackerEvents:
    """Read-only access to a Rasa SQL tracker store."""

    def __init__(self, url: str, engine: Engine | None = None) -> None:
        self.url = url
        self._engine = engine or create_engine(url, future=True, pool_pre_ping=True)

    def dispose(self) -> None:
        self._engine.dispose()

    def _ready(self) -> bool:
        """False until Rasa created its table (a fresh stack before the first message)."""
        from sqlalchemy import inspect

        return inspect(self._engine).has_table("events")

    def between(self, start: float, end: float) -> dict[str, list[dict[str, Any]]]:
        """Events in ``[start, end)`` of every conversation with a user message in that time,
        grouped by conversation id, oldest first."""
        if not self._ready():
            return {}
        active = (
            select(EVENTS.c.sender_id)
            .where(EVENTS.c.type_name == "user", EVENTS.c.timestamp >= start, EVENTS.c.timestamp < end)
            .distinct()
        )
        query = (
            select(EVENTS.c.sender_id, EVENTS.c.data)
            .where(
                EVENTS.c.sender_id.in_(active),
                EVENTS.c.type_name.in_(_READ_TYPES),
                EVENTS.c.timestamp >= start,
                EVENTS.c.timestamp < end,
            )
            .order_by(EVENTS.c.id)
        )
        return self._grouped(query)

    def of_senders(self, sender_ids: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
        if not sender_ids or not self._ready():
            return {}
        query = (
            select(EVENTS.c.sender_id, EVENTS.c.data)
            .where(EVENTS.c.sender_id.in_(list(sender_ids)), EVENTS.c.type_name.in_(_READ_TYPES))
            .order_by(EVENTS.c.id)
        )
        return self._grouped(query)

    def after(
        self, last_id: int, limit: int = 5000
    ) -> tuple[dict[str, list[dict[str, Any]]], int, dict[str, float]]:
        """Whole conversations touched by events after ``last_id``, the newest id seen, and
        for each conversation the time of its oldest new event.

        Used by the learning loop's incremental scan: a conversation with new events is read
        in full, so a "none of these" press finds the message it refers to, and messages
        older than the new events are known to have been counted already.
        """
        if not self._ready():
            return {}, last_id, {}
        with self._engine.connect() as conn:
            rows = conn.execute(
                select(EVENTS.c.id, EVENTS.c.sender_id, EVENTS.c.timestamp)
                .where(EVENTS.c.id > last_id)
                .order_by(EVENTS.c.id)
                .limit(limit)
            ).all()
        if not rows:
            return {}, last_id, {}
        newest = int(rows[-1][0])
        fresh_since: dict[str, float] = {}
        for _, sender, timestamp in rows:
            fresh_since.setdefault(sender, float(timestamp or 0))
        events = self.of_senders(sorted(fresh_since))
        return events, newest, fresh_since

    def latest_ids(self, sender_ids: Iterable[str]) -> dict[str, int]:
        """The newest event id of each conversation (for change detection)."""
        ids = list(sender_ids)
        if not ids or not self._ready():
            return {}
        with self._engine.connect() as conn:
            rows = conn.execute(
                select(EVENTS.c.sender_id, func.max(EVENTS.c.id))
                .where(EVENTS.c.sender_id.in_(ids))
                .group_by(EVENTS.c.sender_id)
            ).all()
        return {sender: int(newest) for sender, newest in rows}

    def search_senders(self, text: str, limit: int = 20) -> list[str]:
        """Conversation ids with a user message containing ``text`` (newest first)."""
        if not text or not self._ready():
            return []
        fragment = json_fragment(text).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = (
            select(EVENTS.c.sender_id, func.max(EVENTS.c.id).label("newest"))
            .where(EVENTS.c.type_name == "user", EVENTS.c.data.like(f"%{fragment}%", escape="\\"))
            .group_by(EVENTS.c.sender_id)
            .order_by(func.max(EVENTS.c.id).desc())
            .limit(limit)
        )
        with self._engine.connect() as conn:
            return [row[0] for row in conn.execute(query).all()]

    def _grouped(self, query: Any) -> dict[str, list[dict[str, Any]]]:
        grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
        with self._engine.connect() as conn:
            for sender_id, data in conn.execute(query):
                try:
                    event = json.loads(data)
                except (TypeError, ValueError):
                    continue
                if isinstance(event, dict):
                    grouped[sender_id].append(event)
        return dict(grouped)
