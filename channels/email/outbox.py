"""Replies wait here until the SMTP relay has taken them.

A reply is stored (with its Message-ID and an idempotency key derived from what it
answers) before anything is sent, and a worker sends what is due: a crash between composing
and sending loses nothing, and a replayed mail cannot queue its answer twice (same key).
The relay refusing for a while (4xx, connection errors) is retried with backoff
(:class:`channels.toolkit.backoff.Backoff`); a permanent refusal (5xx) is recorded and not
retried. At worst a crash right after the relay accepted and before the row was marked
sends the same mail (same Message-ID) again, which mail clients show once.

:class:`Outbox` is the interface the channel uses, so the shared outbox of
``channels/toolkit`` can replace :class:`SqlOutbox` without touching the service.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from channels.toolkit.backoff import Backoff
from gopay_support.adapters.db import Database
from gopay_support.adapters.db.schema import EmailOutboxRow
from gopay_support.core.clock import Clock, utcnow
from gopay_support.core.pii import mask_email

logger = logging.getLogger(__name__)

outbox = EmailOutboxRow.__table__
PENDING, SENT, DEAD = "pending", "sent", "dead"
MAX_ATTEMPTS = 12  # with RETRY_BACKOFF: retried for about six hours
RETRY_BACKOFF = Backoff(first=30.0, maximum=3600.0)
#: How long a mail being sent is hidden from other servers' workers.
SEND_LEASE = timedelta(minutes=2)


@dataclass(frozen=True)
class OutgoingMail:
    key: str  #: idempotency key: the same answer is queued once
    conversation_key: str
    recipient: str
    message_id: str
    raw: bytes


@dataclass(frozen=True)
class Pending:
    id: int
    recipient: str
    raw: bytes
    attempts: int


class Outbox(Protocol):
    def put(self, mail: OutgoingMail) -> bool: ...

    def due(self, limit: int = 20) -> list[Pending]: ...

    def sent(self, item_id: int) -> None: ...

    def failed(self, item_id: int, error: str, retry_in: timedelta | None) -> None: ...


class SqlOutbox:
    """The outbox in the app database (table ``email_outbox``)."""

    def __init__(self, database: Database, clock: Clock = utcnow) -> None:
        self._db = database
        self._clock = clock

    def put(self, mail: OutgoingMail) -> bool:
        """Queue ``mail``; ``False`` when a mail with the same key was queued before."""
        now = self._clock()
        try:
            with self._db.engine.begin() as conn:
                conn.execute(
                    insert(outbox).values(
                        key=mail.key[:128],
                        conversation_key=mail.conversation_key,
                        recipient=mail.recipient,
                        message_id=mail.message_id[:255],
                        raw=mail.raw,
                        state=PENDING,
                        attempts=0,
                        next_attempt_at=now,
                        created_at=now,
                    )
                )
        except IntegrityError:
            return False
        return True

    def due(self, limit: int = 20) -> list[Pending]:
        """Mails due now, each taken for :data:`SEND_LEASE` so another server skips it."""
        now = self._clock()
        taken: list[Pending] = []
        with self._db.engine.begin() as conn:
            rows = conn.execute(
                select(outbox.c.id, outbox.c.recipient, outbox.c.raw, outbox.c.attempts)
                .where(outbox.c.state == PENDING, outbox.c.next_attempt_at <= now)
                .order_by(outbox.c.id)
                .limit(limit)
            ).all()
            for r in rows:
                result = conn.execute(
                    update(outbox)
                    .where(outbox.c.id == r.id, outbox.c.state == PENDING, outbox.c.next_attempt_at <= now)
                    .values(next_attempt_at=now + SEND_LEASE)
                )
                if result.rowcount == 1:
                    taken.append(Pending(int(r.id), str(r.recipient), bytes(r.raw), int(r.attempts)))
        return taken

    def sent(self, item_id: int) -> None:
        with self._db.engine.begin() as conn:
            conn.execute(
                update(outbox)
                .where(outbox.c.id == item_id)
                .values(state=SENT, sent_at=self._clock(), attempts=outbox.c.attempts + 1, error=None)
            )

    def failed(self, item_id: int, error: str, retry_in: timedelta | None) -> None:
        """Record a failed try; ``retry_in=None`` gives up (permanent refusal)."""
        values: dict[str, object] = {"attempts": outbox.c.attempts + 1, "error": error[:255]}
        if retry_in is None:
            values["state"] = DEAD
        else:
            values["next_attempt_at"] = self._clock() + retry_in
        with self._db.engine.begin() as conn:
            conn.execute(update(outbox).where(outbox.c.id == item_id).values(**values))

    def states(self) -> dict[str, int]:
        """How many mails are pending, sent and dead (health page, tests)."""
        with self._db.engine.connect() as conn:
            rows = conn.execute(select(outbox.c.state)).all()
        counts: dict[str, int] = {}
        for row in rows:
            counts[row.state] = counts.get(row.state, 0) + 1
        return counts


class PermanentFailure(Exception):
    """The relay refused the mail for good (5xx): retrying cannot help."""


Send = Callable[[bytes, str], Awaitable[None]]


class OutboxSender:
    """Sends what is due, one mail at a time; :meth:`wake` after a put sends at once."""

    def __init__(
        self,
        box: Outbox,
        send: Send,
        *,
        backoff: Backoff = RETRY_BACKOFF,
        idle_seconds: float = 5.0,
        max_attempts: int = MAX_ATTEMPTS,
    ) -> None:
        self._box = box
        self._send = send
        self._backoff = backoff
        self._idle = idle_seconds
        self._max_attempts = max_attempts
        self._wake = asyncio.Event()

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        while True:
            self._wake.clear()  # before the round: a put during it wakes the next one
            try:
                await self.send_due()
            except asyncio.CancelledError:
                raise
            except Exception:  # the database away for a moment: try again on the next round
                logger.exception("email: outbox round failed")
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._idle)

    async def send_due(self) -> int:
        """Send every due mail once; the number sent."""
        sent = 0
        for item in await asyncio.to_thread(self._box.due):
            try:
                await self._send(item.raw, item.recipient)
            except PermanentFailure as error:
                logger.warning(
                    "email: relay refused a mail to %s for good: %s", mask_email(item.recipient), error
                )
                await asyncio.to_thread(self._box.failed, item.id, str(error), None)
                continue
            except (OSError, ConnectionError, TimeoutError) as error:
                attempt = item.attempts + 1
                retry = (
                    None if attempt >= self._max_attempts else timedelta(seconds=self._backoff.delay(attempt))
                )
                logger.warning(
                    "email: sending to %s failed (%s), %s",
                    mask_email(item.recipient),
                    type(error).__name__,
                    "giving up" if retry is None else f"retry in {retry.total_seconds():.0f}s",
                )
                await asyncio.to_thread(self._box.failed, item.id, f"{type(error).__name__}: {error}", retry)
                continue
            await asyncio.to_thread(self._box.sent, item.id)
            sent += 1
        return sent
