"""Persistent memory of the Telegram channel: processed update ids and long button payloads.

Telegram re-sends an update when our answer was late or lost, and a restart must not make
the bot answer it twice, so processed ``update_id``s live in the app database
(``TICKETS_DB_URL``) rather than in memory. Button payloads longer than the 64
bytes Telegram allows as ``callback_data`` are stored there too, so a button pressed after
a restart still works.

The tables are part of the app database's one schema (:mod:`gopay_support.adapters.db.schema`,
Alembic revision ``0002_telegram``). The async methods run the blocking SQLAlchemy calls in
:func:`asyncio.to_thread`, so the webhook handler never stalls the Sanic event loop.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import logging
import threading
from base64 import urlsafe_b64encode

from sqlalchemy import delete, insert, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from gopay_support.adapters.db.database import engine_for, upgrade
from gopay_support.adapters.db.schema import TelegramCallbackPayloadRow, TelegramProcessedUpdateRow

logger = logging.getLogger(__name__)

processed_updates = TelegramProcessedUpdateRow.__table__
callback_payloads = TelegramCallbackPayloadRow.__table__

#: Telegram keeps undelivered updates for 24 hours; a week of ids is a generous margin.
UPDATE_RETENTION = dt.timedelta(days=7)
_PRUNE_EVERY = 500
PAYLOAD_KEY_PREFIX = "k:"


def payload_key(payload: str) -> str:
    """Deterministic short key for a payload: the same button always gets the same key."""
    digest = hashlib.sha256(payload.encode("utf-8")).digest()
    return PAYLOAD_KEY_PREFIX + urlsafe_b64encode(digest).decode("ascii")[:22]


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


class TelegramStore:
    """SQL-backed ledger of processed updates and store of long callback payloads."""

    def __init__(self, engine: Engine, bot_id: int) -> None:
        self._engine = engine
        self._bot_id = bot_id
        self._claims = 0
        self._schema_ready = False
        self._schema_lock = threading.Lock()

    @classmethod
    def from_url(cls, url: str, bot_id: int) -> TelegramStore:
        return cls(engine_for(url), bot_id)

    def create_tables(self) -> None:
        """Migrate the app database to the newest schema once (idempotent, thread-safe)."""
        with self._schema_lock:
            if not self._schema_ready:
                upgrade(self._engine)
                self._schema_ready = True

    # --- processed updates -------------------------------------------------------------
    def claim_update_sync(self, update_id: int) -> bool:
        """Record ``update_id``; ``False`` when it was recorded before (a re-delivery).

        The primary key makes the claim atomic, so two workers (or a webhook and a polling
        relay) racing on the same update still process it once.
        """
        self.create_tables()
        try:
            with self._engine.begin() as conn:
                conn.execute(
                    insert(processed_updates).values(
                        bot_id=self._bot_id, update_id=update_id, received_at=_utcnow()
                    )
                )
        except IntegrityError:
            return False
        self._claims += 1
        if self._claims % _PRUNE_EVERY == 0:
            self.prune_sync()
        return True

    async def claim_update(self, update_id: int) -> bool:
        return await asyncio.to_thread(self.claim_update_sync, update_id)

    def prune_sync(self, older_than: dt.timedelta = UPDATE_RETENTION) -> int:
        cutoff = _utcnow() - older_than
        with self._engine.begin() as conn:
            result = conn.execute(delete(processed_updates).where(processed_updates.c.received_at < cutoff))
        return result.rowcount or 0

    # --- callback payloads ---------------------------------------------------------------
    def put_payload_sync(self, payload: str) -> str:
        key = payload_key(payload)
        self.create_tables()
        try:
            with self._engine.begin() as conn:
                conn.execute(insert(callback_payloads).values(key=key, payload=payload, created_at=_utcnow()))
        except IntegrityError:
            pass  # same payload stored earlier under the same key
        return key

    async def put_payload(self, payload: str) -> str:
        return await asyncio.to_thread(self.put_payload_sync, payload)

    def get_payload_sync(self, key: str) -> str | None:
        self.create_tables()
        with self._engine.connect() as conn:
            return conn.execute(
                select(callback_payloads.c.payload).where(callback_payloads.c.key == key)
            ).scalar_one_or_none()

    async def get_payload(self, key: str) -> str | None:
        return await asyncio.to_thread(self.get_payload_sync, key)

    def dispose(self) -> None:
        self._engine.dispose()
