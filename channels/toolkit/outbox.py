"""The outbox: everything the assistant sends is written down first, then delivered until it
arrives or is refused for good.

Who enqueues: the Telegram output (the bot's answers), the channels' fixed notices, the agent
console (agent replies, the hand-back that asks for the rating), the ticket command line
(status pushes); the e-mail channel uses it the same way. Who sends: an :class:`OutboxWorker`
in some long-running process, with one **sender callback per channel** (``"telegram"``:
the Bot API; ``"conversation"``: Rasa's HTTP API; ...). The outbox itself knows nothing
about any platform.

The rules, for every channel:

* **Durable.** :meth:`Outbox.enqueue` commits before it returns; the row survives restarts.
  A caller may pass its own ``connection`` to enqueue in the same transaction as the change
  that causes the message (e.g. resolving a handoff and the rating prompt it triggers).
* **No duplicates.** Each message has an idempotency key, unique in the table: enqueuing it
  again (a replayed turn, a double click) keeps the first. ``"sent"`` is recorded right after
  the sender returns. A try whose outcome is unknown (a timeout after the request left, or a
  crash between the send and the record) leaves the row *in doubt*; the next try is told so
  (:attr:`OutboxMessage.outcome_unknown`) and a sender whose platform can be asked whether
  the first try arrived checks before sending again. Platforms without such a question
  (Telegram's Bot API has no idempotency key) may, in that case only, show a message twice;
  each channel documents which it is.
* **In order per conversation.** Only the oldest pending message of a conversation may be
  sent; a later one waits until it is sent or refused, however long its retries take.
* **Patient.** A failed try is retried with :class:`~channels.toolkit.backoff.Backoff` (or
  after the ``retry_after`` the platform asked for) until it succeeds or the message is older
  than ``max_age`` (a day by default), so outages of minutes or hours lose nothing.
* **Several processes.** Workers lease rows (:mod:`channels.toolkit.durable`); a crashed
  worker's lease runs out and another worker takes over.

Senders signal the outcome by returning (sent; the value is kept as the row's ``result``) or
raising :class:`RetryLater` (temporary: the platform is down, flood control, ...) or
:class:`Refused` (permanent: the user blocked the bot, the chat is gone, the request is
invalid). Any other exception counts as a temporary failure of unknown outcome.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import enum
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, case, delete, exists, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.orm import aliased

from channels.toolkit import durable
from channels.toolkit.backoff import Backoff
from gopay_support.adapters.db.database import Database
from gopay_support.adapters.db.schema import OutboxMessageRow

logger = logging.getLogger(__name__)

table = OutboxMessageRow.__table__

#: How patient delivery is: first retry after half a second, then at most every 30 seconds.
DEFAULT_BACKOFF = Backoff(first=0.5, maximum=30.0)
#: A message not delivered within this time is given up (and recorded as refused).
DEFAULT_MAX_AGE = dt.timedelta(hours=24)
#: Finished rows are kept this long (idempotency keys stay known), then pruned.
RETENTION = dt.timedelta(days=7)


class DeliveryState(str, enum.Enum):
    PENDING = "pending"  # waiting for its turn, being sent, or waiting for a retry
    SENT = "sent"
    REFUSED = "refused"  # refused for good by the platform, or too old to send


class RetryLater(Exception):
    """A temporary failure: try again after ``retry_after`` seconds (or the backoff).

    ``outcome_unknown``: the request may have taken effect (e.g. a timeout after it was
    sent), so the next try is marked :attr:`OutboxMessage.outcome_unknown`. A sender that was
    told of an earlier unknown outcome and could not settle it raises with it true again.
    """

    def __init__(self, reason: str, *, retry_after: float | None = None, outcome_unknown: bool = False):
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after
        self.outcome_unknown = outcome_unknown


class Refused(Exception):
    """A permanent failure: the platform will never accept this message."""


@dataclass(frozen=True)
class OutboxMessage:
    """One message as a sender gets it."""

    id: int
    channel: str
    conversation_id: str
    key: str
    payload: dict[str, Any]
    #: 1 on the first try.
    attempt: int
    #: An earlier try may have reached the platform: check before sending again if possible.
    outcome_unknown: bool
    created_at: dt.datetime


@dataclass(frozen=True)
class Delivery:
    """Where a message stands (for the console's delivery state, the CLI, tests)."""

    key: str
    channel: str
    conversation_id: str
    state: DeliveryState
    attempts: int
    created_at: dt.datetime
    finished_at: dt.datetime | None
    next_attempt_at: dt.datetime
    last_error: str | None
    result: Any
    #: What was enqueued (the sender's payload).
    payload: dict[str, Any]

    @property
    def final(self) -> bool:
        return self.state is not DeliveryState.PENDING


Sender = Callable[[OutboxMessage], Awaitable[Any]]
#: Told after each try's outcome is recorded: the message and where it stands now (pending
#: again after a failed try). For in-process listeners (a console showing delivery states).
OutcomeListener = Callable[[OutboxMessage, DeliveryState], None]


@dataclass(frozen=True)
class Outgoing:
    """A message to enqueue: its idempotency key and the sender's payload (JSON-able)."""

    key: str
    payload: Mapping[str, Any]


class Outbox:
    """The ``outbox_messages`` table. Thread-safe; blocking (use ``asyncio.to_thread`` or the
    ``a``-prefixed helpers from async code)."""

    def __init__(
        self, database: Database, *, lease: float = 60.0, clock: durable.Clock = durable.utcnow
    ) -> None:
        self.database = database
        self.lease = dt.timedelta(seconds=lease)
        self.clock = clock

    @classmethod
    def from_url(cls, url: str, **options: Any) -> Outbox:
        return cls(Database(url), **options)

    # -- enqueuing ---------------------------------------------------------------------

    def enqueue(
        self,
        channel: str,
        conversation_id: str,
        messages: Sequence[Outgoing],
        *,
        connection: Connection | None = None,
    ) -> list[bool]:
        """Add ``messages`` for ``conversation_id`` (in this order); for each, ``True`` if it
        is new and ``False`` if its key was enqueued before (then nothing changes).

        Commits before returning, unless ``connection`` is given: then the rows are part of
        the caller's transaction.
        """
        if connection is not None:
            return self._insert(connection, channel, conversation_id, messages)
        with self.database.engine.begin() as conn:
            return self._insert(conn, channel, conversation_id, messages)

    def enqueue_one(self, channel: str, conversation_id: str, key: str, payload: Mapping[str, Any]) -> bool:
        return self.enqueue(channel, conversation_id, [Outgoing(key, payload)])[0]

    async def aenqueue(self, channel: str, conversation_id: str, messages: Sequence[Outgoing]) -> list[bool]:
        return await asyncio.to_thread(self.enqueue, channel, conversation_id, messages)

    def _insert(
        self, conn: Connection, channel: str, conversation_id: str, messages: Sequence[Outgoing]
    ) -> list[bool]:
        now = self.clock()
        dialect = postgresql if durable.is_postgres(conn) else sqlite
        created = []
        for message in messages:
            statement = (
                dialect.insert(table)
                .values(
                    channel=channel,
                    conversation_id=conversation_id,
                    idempotency_key=message.key,
                    payload=durable.dumps(dict(message.payload)),
                    state=DeliveryState.PENDING.value,
                    attempts=0,
                    in_doubt=False,
                    next_attempt_at=now,
                    created_at=now,
                )
                .on_conflict_do_nothing(index_elements=["idempotency_key"])
            )
            created.append(bool(conn.execute(statement).rowcount))
        return created

    # -- reading -----------------------------------------------------------------------

    def delivery(self, key: str) -> Delivery | None:
        return self.deliveries([key]).get(key)

    def deliveries(self, keys: Iterable[str]) -> dict[str, Delivery]:
        keys = list(keys)
        if not keys:
            return {}
        with self.database.engine.connect() as conn:
            rows = conn.execute(select(table).where(table.c.idempotency_key.in_(keys))).all()
        return {row.idempotency_key: _delivery(row) for row in rows}

    def of_conversation(
        self, channel: str, conversation_id: str, since: dt.datetime | None = None, limit: int = 200
    ) -> list[Delivery]:
        """The messages of one conversation (enqueued at or after ``since``), oldest first."""
        query = select(table).where(table.c.channel == channel, table.c.conversation_id == conversation_id)
        if since is not None:  # the table stores naive UTC
            if since.tzinfo is not None:
                since = since.astimezone(dt.timezone.utc).replace(tzinfo=None)
            query = query.where(table.c.created_at >= since)
        with self.database.engine.connect() as conn:
            rows = conn.execute(query.order_by(table.c.id.desc()).limit(limit)).all()
        return [_delivery(row) for row in reversed(rows)]

    def marks(self, channel: str, conversation_ids: Iterable[str]) -> dict[str, tuple[int, int, int]]:
        """Per conversation: (newest message id, pending, refused), which changes with every
        enqueue and every final outcome (a cheap "anything new?" for live views)."""
        ids = list(conversation_ids)
        if not ids:
            return {}
        pending = func.sum(case((table.c.state == DeliveryState.PENDING.value, 1), else_=0))
        refused = func.sum(case((table.c.state == DeliveryState.REFUSED.value, 1), else_=0))
        query = (
            select(table.c.conversation_id, func.max(table.c.id), pending, refused)
            .where(table.c.channel == channel, table.c.conversation_id.in_(ids))
            .group_by(table.c.conversation_id)
        )
        with self.database.engine.connect() as conn:
            return {row[0]: (int(row[1]), int(row[2] or 0), int(row[3] or 0)) for row in conn.execute(query)}

    def pending_count(self, channels: Iterable[str] | None = None) -> int:
        query = select(table.c.id).where(table.c.state == DeliveryState.PENDING.value)
        if channels is not None:
            query = query.where(table.c.channel.in_(list(channels)))
        with self.database.engine.connect() as conn:
            return len(conn.execute(query).all())

    # -- the worker's side -------------------------------------------------------------

    def claim(self, channels: Iterable[str], owner: str, limit: int) -> list[OutboxMessage]:
        """Lease up to ``limit`` due messages, each the oldest pending one of its conversation."""
        now = self.clock()
        earlier = aliased(table)
        head_of_conversation = ~exists().where(
            and_(
                earlier.c.channel == table.c.channel,
                earlier.c.conversation_id == table.c.conversation_id,
                earlier.c.state == DeliveryState.PENDING.value,
                earlier.c.id < table.c.id,
            )
        )
        candidates = (
            select(table)
            .where(
                table.c.state == DeliveryState.PENDING.value,
                table.c.channel.in_(list(channels)),
                table.c.next_attempt_at <= now,
                durable.lease_is_free(table, now),
                head_of_conversation,
            )
            .order_by(table.c.id)
            .limit(limit)
        )
        with self.database.engine.begin() as conn:
            # in_doubt is true while a try is under way; the sender learns the value the row
            # had before (an earlier try's outcome is unknown).
            won = durable.claim(
                conn, table, candidates, owner=owner, now=now, lease=self.lease, values={"in_doubt": True}
            )
        return [_message(row) for row in won]

    def finish_sent(self, message: OutboxMessage, owner: str, result: Any = None) -> bool:
        return self._finish(message, owner, state=DeliveryState.SENT, result=durable.dumps(result))

    def finish_refused(self, message: OutboxMessage, owner: str, error: str) -> bool:
        return self._finish(message, owner, state=DeliveryState.REFUSED, last_error=durable.short(error))

    def schedule_retry(
        self, message: OutboxMessage, owner: str, *, delay: float, error: str, outcome_unknown: bool
    ) -> bool:
        now = self.clock()
        with self.database.engine.begin() as conn:
            result = conn.execute(
                update(table)
                .where(table.c.id == message.id, table.c.lease_owner == owner)
                .values(
                    next_attempt_at=now + dt.timedelta(seconds=max(delay, 0.0)),
                    lease_owner=None,
                    lease_until=None,
                    in_doubt=outcome_unknown,
                    last_error=durable.short(error),
                )
            )
        return bool(result.rowcount)

    def _finish(self, message: OutboxMessage, owner: str, **values: Any) -> bool:
        now = self.clock()
        state: DeliveryState = values.pop("state")
        with self.database.engine.begin() as conn:
            result = conn.execute(
                update(table)
                .where(table.c.id == message.id, table.c.lease_owner == owner)
                .values(
                    state=state.value,
                    finished_at=now,
                    lease_owner=None,
                    lease_until=None,
                    in_doubt=False,
                    **values,
                )
            )
        return bool(result.rowcount)

    def prune(self, older_than: dt.timedelta = RETENTION) -> int:
        """Forget finished messages older than ``older_than``."""
        cutoff = self.clock() - older_than
        with self.database.engine.begin() as conn:
            result = conn.execute(
                delete(table).where(
                    table.c.state != DeliveryState.PENDING.value, table.c.finished_at < cutoff
                )
            )
        return result.rowcount or 0


def _delivery(row: Any) -> Delivery:
    return Delivery(
        key=row.idempotency_key,
        channel=row.channel,
        conversation_id=row.conversation_id,
        state=DeliveryState(row.state),
        attempts=row.attempts,
        created_at=row.created_at,
        finished_at=row.finished_at,
        next_attempt_at=row.next_attempt_at,
        last_error=row.last_error,
        result=durable.loads(row.result),
        payload=durable.loads(row.payload),
    )


def _message(row: Any) -> OutboxMessage:
    return OutboxMessage(
        id=row.id,
        channel=row.channel,
        conversation_id=row.conversation_id,
        key=row.idempotency_key,
        payload=durable.loads(row.payload),
        attempt=row.attempts + 1,
        outcome_unknown=bool(row.in_doubt),
        created_at=row.created_at,
    )


class OutboxWorker:
    """Delivers the outbox's messages of the channels it has senders for.

    One task claims due messages (at most ``concurrency`` in flight, at most one per
    conversation) and starts a delivery task for each. :meth:`kick` wakes it at once when
    something was enqueued in this process; otherwise it looks every ``poll`` seconds (work
    enqueued by other processes, retries that became due, leases that ran out).
    """

    def __init__(
        self,
        outbox: Outbox,
        senders: Mapping[str, Sender],
        *,
        owner: str | None = None,
        backoff: Backoff = DEFAULT_BACKOFF,
        poll: float = 1.0,
        concurrency: int = 16,
        max_age: dt.timedelta = DEFAULT_MAX_AGE,
        name: str = "outbox",
        on_outcome: OutcomeListener | None = None,
    ) -> None:
        self.outbox = outbox
        self.on_outcome = on_outcome
        self.senders = dict(senders)
        self.owner = owner or durable.new_owner(name)
        self.backoff = backoff
        self.poll = poll
        self.concurrency = concurrency
        self.max_age = max_age
        self._wake = asyncio.Event()
        self._inflight: set[asyncio.Task[None]] = set()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._last_prune = 0.0

    # -- lifecycle -----------------------------------------------------------------------
    def start(self) -> None:
        if self._task is None:
            self._stopping = False
            self._task = asyncio.get_running_loop().create_task(self._run(), name=f"{self.owner} loop")

    def kick(self) -> None:
        """Something was enqueued: look for work now instead of at the next poll."""
        self._wake.set()

    async def stop(self, timeout: float = 5.0) -> None:
        """Stop claiming; let deliveries under way finish for ``timeout`` seconds."""
        self._stopping = True
        self._wake.set()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._inflight:
            _, late = await asyncio.wait(set(self._inflight), timeout=timeout)
            for task in late:  # their leases run out; another worker retries them
                task.cancel()
            if late:
                await asyncio.wait(late, timeout=1.0)

    async def run_until_idle(self, timeout: float = 30.0) -> None:
        """Deliver until nothing is due now (tests, the command line); no background task."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            started = await self._claim_and_start()
            if self._inflight:
                await asyncio.wait(set(self._inflight), timeout=max(deadline - time.monotonic(), 0))
            elif not started:
                return
        raise asyncio.TimeoutError("outbox not idle in time")

    # -- the loop --------------------------------------------------------------------------
    async def _run(self) -> None:
        failures = 0
        while not self._stopping:
            self._wake.clear()
            try:
                started = await self._claim_and_start()
                failures = 0
            except Exception as exc:  # the database is unreachable: try again later
                failures += 1
                delay = self.backoff.delay(failures)
                logger.warning("outbox: cannot claim work (%s); retrying in %.1fs", durable.short(exc), delay)
                await self._sleep(delay)
                continue
            self._maybe_prune()
            if started and len(self._inflight) < self.concurrency:
                continue  # maybe more is due right now
            await self._sleep(self.poll)

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout=seconds)

    async def _claim_and_start(self) -> int:
        free = self.concurrency - len(self._inflight)
        if free <= 0 or not self.senders:
            return 0
        batch = await asyncio.to_thread(self.outbox.claim, self.senders, self.owner, free)
        for message in batch:
            task = asyncio.get_running_loop().create_task(self._deliver(message))
            self._inflight.add(task)
            task.add_done_callback(self._done)
        return len(batch)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._inflight.discard(task)
        self._wake.set()  # the conversation's next message may be due now

    def _maybe_prune(self) -> None:
        now = time.monotonic()
        if now - self._last_prune < 3600:
            return
        self._last_prune = now
        task = asyncio.get_running_loop().create_task(asyncio.to_thread(self.outbox.prune))
        self._inflight.add(task)  # type: ignore[arg-type]
        task.add_done_callback(self._done)  # type: ignore[arg-type]

    async def _deliver(self, message: OutboxMessage) -> None:
        sender = self.senders[message.channel]
        if self.outbox.clock() - message.created_at > self.max_age:
            logger.error("outbox: %s message %s too old, given up", message.channel, message.id)
            await self._record(self.outbox.finish_refused, message, self.owner, "expired before delivery")
            self._tell(message, DeliveryState.REFUSED)
            return
        try:
            result = await sender(message)
        except RetryLater as exc:
            delay = exc.retry_after if exc.retry_after is not None else self.backoff.delay(message.attempt)
            logger.warning(
                "outbox: %s message %s not delivered (%s), try %d; next in %.1fs",
                message.channel,
                message.id,
                exc.reason,
                message.attempt,
                delay,
            )
            await self._retry(message, delay, exc.reason, exc.outcome_unknown)
            self._tell(message, DeliveryState.PENDING)
        except Refused as exc:
            logger.error("outbox: %s message %s refused: %s", message.channel, message.id, exc)
            await self._record(self.outbox.finish_refused, message, self.owner, str(exc))
            self._tell(message, DeliveryState.REFUSED)
        except asyncio.CancelledError:
            raise  # stopping: the lease runs out, the message stays in doubt
        except Exception as exc:  # noqa: BLE001 - a sender bug or an unexpected failure
            logger.exception("outbox: %s message %s failed unexpectedly", message.channel, message.id)
            await self._retry(message, self.backoff.delay(message.attempt), durable.short(exc), True)
            self._tell(message, DeliveryState.PENDING)
        else:
            await self._record(self.outbox.finish_sent, message, self.owner, result)
            self._tell(message, DeliveryState.SENT)

    def _tell(self, message: OutboxMessage, state: DeliveryState) -> None:
        if self.on_outcome is None:
            return
        try:
            self.on_outcome(message, state)
        except Exception:  # noqa: BLE001 - a listener's bug must not stop deliveries
            logger.exception("outbox: outcome listener failed")

    async def _retry(self, message: OutboxMessage, delay: float, reason: str, outcome_unknown: bool) -> None:
        error = f"{reason} (outcome unknown)" if outcome_unknown else reason
        await self._record(
            lambda m, o, e: self.outbox.schedule_retry(
                m, o, delay=delay, error=e, outcome_unknown=outcome_unknown
            ),
            message,
            self.owner,
            error,
        )

    async def _record(self, step: Callable[..., bool], *args: Any) -> None:
        """Write an outcome, retrying while the database is briefly away (within the lease)."""
        deadline = time.monotonic() + self.outbox.lease.total_seconds()
        failures = 0
        while True:
            try:
                await asyncio.to_thread(step, *args)
                return
            except Exception as exc:  # noqa: BLE001
                failures += 1
                delay = min(self.backoff.delay(failures), 5.0)
                if time.monotonic() + delay > deadline:
                    logger.error("outbox: could not record an outcome (%s); the lease will run out", exc)
                    return
                await asyncio.sleep(delay)
