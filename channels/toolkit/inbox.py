"""The inbox: every inbound message is written down before the platform is answered, and
crossed off only once its turn and its replies are committed.

A channel calls :meth:`InboxProcessor.accept` with the message's **dedup key** (Telegram's
``update_id``, the widget's client message id, a REST client's message id) *before* it
acknowledges anything. The entry is committed, so a crash right after the acknowledgement
loses nothing: the entry is still pending and is replayed by the next process that looks
(the same server after a restart, or another one once the lease ran out). A re-delivery
with the same key finds the first entry instead of making a second turn.

Processing is per conversation and in order: only the oldest pending entry of a
conversation (by ``sequence``, e.g. Telegram's update id, then arrival) is worked on, by one
process at a time (a lease, renewed while the turn runs), and the next one waits until it is
done. The channel's **handler** does the work (usually one Rasa turn, see
:mod:`channels.toolkit.turns`); it returns the result to keep (e.g. the replies, for a REST
client that asks again) or raises :class:`Defer` when a dependency is away: the entry stays
pending and is retried with :class:`~channels.toolkit.backoff.Backoff` until ``max_age``,
after which the processor gives up and lets the channel tell the user.

Synchronous channels (REST, web chat) :meth:`~InboxProcessor.wait` for their entry after
accepting it; the per-conversation worker of the same process usually picks it up at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import enum
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, delete, exists, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import aliased

from channels.toolkit import durable
from channels.toolkit.backoff import Backoff
from gopay_support.adapters.db.database import Database
from gopay_support.adapters.db.schema import InboxMessageRow

logger = logging.getLogger(__name__)

table = InboxMessageRow.__table__

DEFAULT_BACKOFF = Backoff(first=0.5, maximum=30.0)
#: How long a message is retried while a dependency is away before the user is told it failed.
DEFAULT_MAX_AGE = dt.timedelta(hours=1)
#: Finished entries are kept this long: re-deliveries within it are recognised (Telegram
#: keeps undelivered updates for 24 hours).
RETENTION = dt.timedelta(days=7)


class EntryState(str, enum.Enum):
    PENDING = "pending"  # waiting, being processed, or deferred until a dependency is back
    DONE = "done"
    FAILED = "failed"  # given up after max_age or max_attempts; the user was told


@dataclass(frozen=True)
class InboxEntry:
    id: int
    channel: str
    conversation_id: str
    key: str
    sequence: int
    payload: dict[str, Any]
    state: EntryState
    #: Tries so far, this one included when the entry is being processed.
    attempt: int
    received_at: dt.datetime
    result: Any = None
    last_error: str | None = None
    #: Until when a process holds the entry (``None``: nobody).
    lease_until: dt.datetime | None = None

    @property
    def replay(self) -> bool:
        """An earlier try started: its turn may already be (partly) done."""
        return self.attempt > 1

    @property
    def message_id(self) -> str:
        """Rasa's ``message_id`` for this entry: recognises the turn in the tracker on replay."""
        return f"{self.channel}:{self.key}"


@dataclass(frozen=True)
class Recorded:
    entry: InboxEntry
    #: False: the key was recorded before (a re-delivery), ``entry`` is the first record.
    new: bool


class Defer(Exception):
    """The handler cannot finish the entry now: keep it and try again later.

    ``retry_after``: seconds, or ``None`` for the backoff. ``max_attempts``: give up after
    this many tries (for failures that waiting will probably not fix), else after max_age.
    """

    def __init__(self, reason: str, *, retry_after: float | None = None, max_attempts: int | None = None):
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after
        self.max_attempts = max_attempts


class Inbox:
    """The ``inbox_messages`` table. Blocking; async callers use ``asyncio.to_thread``."""

    def __init__(
        self, database: Database, *, lease: float = 30.0, clock: durable.Clock = durable.utcnow
    ) -> None:
        self.database = database
        self.lease = dt.timedelta(seconds=lease)
        self.clock = clock

    @classmethod
    def from_url(cls, url: str, **options: Any) -> Inbox:
        return cls(Database(url), **options)

    def record(
        self,
        channel: str,
        conversation_id: str,
        key: str,
        payload: Mapping[str, Any],
        *,
        sequence: int = 0,
    ) -> Recorded:
        """Commit a new entry, or return the one recorded earlier under ``(channel, key)``."""
        now = self.clock()
        with self.database.engine.begin() as conn:
            dialect = postgresql if durable.is_postgres(conn) else sqlite
            inserted = conn.execute(
                dialect.insert(table)
                .values(
                    channel=channel,
                    conversation_id=conversation_id,
                    dedup_key=key,
                    sequence=sequence,
                    payload=durable.dumps(dict(payload)),
                    state=EntryState.PENDING.value,
                    attempts=0,
                    next_attempt_at=now,
                    received_at=now,
                )
                .on_conflict_do_nothing(index_elements=["channel", "dedup_key"])
            ).rowcount
            row = conn.execute(
                select(table).where(table.c.channel == channel, table.c.dedup_key == key)
            ).one()
        return Recorded(_entry(row), bool(inserted))

    def get(self, channel: str, key: str) -> InboxEntry | None:
        with self.database.engine.connect() as conn:
            row = conn.execute(
                select(table).where(table.c.channel == channel, table.c.dedup_key == key)
            ).one_or_none()
        return _entry(row) if row is not None else None

    def get_by_id(self, entry_id: int) -> InboxEntry | None:
        with self.database.engine.connect() as conn:
            row = conn.execute(select(table).where(table.c.id == entry_id)).one_or_none()
        return _entry(row) if row is not None else None

    def pending_count(self, channel: str | None = None) -> int:
        query = select(table.c.id).where(table.c.state == EntryState.PENDING.value)
        if channel is not None:
            query = query.where(table.c.channel == channel)
        with self.database.engine.connect() as conn:
            return len(conn.execute(query).all())

    def has_pending(self, channel: str, conversation_id: str) -> bool:
        """Whether the conversation has an entry not yet done (new messages queue behind it)."""
        query = (
            select(table.c.id)
            .where(
                table.c.channel == channel,
                table.c.conversation_id == conversation_id,
                table.c.state == EntryState.PENDING.value,
            )
            .limit(1)
        )
        with self.database.engine.connect() as conn:
            return conn.execute(query).first() is not None

    def claim_next(self, channel: str, conversation_id: str, owner: str) -> InboxEntry | None:
        """Lease the conversation's oldest pending entry if it is due and nobody holds it."""
        now = self.clock()
        head = (
            select(table)
            .where(
                table.c.channel == channel,
                table.c.conversation_id == conversation_id,
                table.c.state == EntryState.PENDING.value,
            )
            .order_by(table.c.sequence, table.c.id)
            .limit(1)
        )
        with self.database.engine.begin() as conn:
            row = conn.execute(head).one_or_none()
            if row is None or row.next_attempt_at > now:
                return None
            if row.lease_until is not None and row.lease_until >= now:
                return None
            # No SKIP LOCKED here: skipping a locked head would hand out the entry behind it.
            won = conn.execute(
                update(table)
                .where(
                    table.c.id == row.id,
                    table.c.state == EntryState.PENDING.value,
                    table.c.attempts == row.attempts,
                    durable.lease_is_free(table, now),
                )
                .values(lease_owner=owner, lease_until=now + self.lease, attempts=row.attempts + 1)
            ).rowcount
        if not won:
            return None
        return _with(_entry(row), attempt=row.attempts + 1, lease_until=now + self.lease)

    def due_conversations(self, channel: str, limit: int = 100) -> list[str]:
        """Conversations whose oldest pending entry is due and free (replay after a crash,
        retries after a deferral)."""
        now = self.clock()
        earlier = aliased(table)
        query = (
            select(table.c.conversation_id)
            .where(
                table.c.channel == channel,
                table.c.state == EntryState.PENDING.value,
                table.c.next_attempt_at <= now,
                durable.lease_is_free(table, now),
                ~exists().where(
                    and_(
                        earlier.c.channel == table.c.channel,
                        earlier.c.conversation_id == table.c.conversation_id,
                        earlier.c.state == EntryState.PENDING.value,
                        (earlier.c.sequence < table.c.sequence)
                        | and_(earlier.c.sequence == table.c.sequence, earlier.c.id < table.c.id),
                    )
                ),
            )
            .order_by(table.c.id)
            .limit(limit)
        )
        with self.database.engine.connect() as conn:
            return [row[0] for row in conn.execute(query)]

    def renew(self, entry: InboxEntry, owner: str) -> bool:
        """Extend the lease of an entry still being worked on; ``False`` if it was lost."""
        with self.database.engine.begin() as conn:
            return bool(
                conn.execute(
                    update(table)
                    .where(table.c.id == entry.id, table.c.lease_owner == owner)
                    .values(lease_until=self.clock() + self.lease)
                ).rowcount
            )

    def complete(self, entry: InboxEntry, owner: str, result: Any = None) -> bool:
        return self._finish(entry, owner, EntryState.DONE, result=durable.dumps(result), last_error=None)

    def fail(self, entry: InboxEntry, owner: str, error: str) -> bool:
        return self._finish(entry, owner, EntryState.FAILED, last_error=durable.short(error))

    def defer(self, entry: InboxEntry, owner: str, *, delay: float, error: str) -> bool:
        with self.database.engine.begin() as conn:
            return bool(
                conn.execute(
                    update(table)
                    .where(table.c.id == entry.id, table.c.lease_owner == owner)
                    .values(
                        next_attempt_at=self.clock() + dt.timedelta(seconds=max(delay, 0.0)),
                        lease_owner=None,
                        lease_until=None,
                        last_error=durable.short(error),
                    )
                ).rowcount
            )

    def _finish(self, entry: InboxEntry, owner: str, state: EntryState, **values: Any) -> bool:
        with self.database.engine.begin() as conn:
            return bool(
                conn.execute(
                    update(table)
                    .where(table.c.id == entry.id, table.c.lease_owner == owner)
                    .values(
                        state=state.value,
                        finished_at=self.clock(),
                        lease_owner=None,
                        lease_until=None,
                        **values,
                    )
                ).rowcount
            )

    def prune(self, older_than: dt.timedelta = RETENTION) -> int:
        cutoff = self.clock() - older_than
        with self.database.engine.begin() as conn:
            result = conn.execute(
                delete(table).where(table.c.state != EntryState.PENDING.value, table.c.received_at < cutoff)
            )
        return result.rowcount or 0


def _entry(row: Any) -> InboxEntry:
    return InboxEntry(
        id=row.id,
        channel=row.channel,
        conversation_id=row.conversation_id,
        key=row.dedup_key,
        sequence=row.sequence,
        payload=durable.loads(row.payload),
        state=EntryState(row.state),
        attempt=row.attempts,
        received_at=row.received_at,
        result=durable.loads(row.result),
        last_error=row.last_error,
        lease_until=row.lease_until,
    )


def _with(entry: InboxEntry, **changes: Any) -> InboxEntry:
    return dataclasses.replace(entry, **changes)


def _deferred_elsewhere(entry: InboxEntry, now: dt.datetime) -> bool:
    """Pending, tried, nobody holds it and the last try left an error: kept for later."""
    free = entry.lease_until is None or entry.lease_until < now
    return entry.state is EntryState.PENDING and entry.attempt > 0 and free and bool(entry.last_error)


Handler = Callable[[InboxEntry], Awaitable[Any]]
GiveUp = Callable[[InboxEntry, str], Awaitable[None]]


@dataclass(frozen=True)
class Outcome:
    """What became of an entry a synchronous channel waited for."""

    entry: InboxEntry
    #: The entry is kept for later (a dependency is away); ``entry.state`` is still pending.
    deferred: bool = False
    #: Waiting timed out while another process held the entry.
    timed_out: bool = False


class InboxProcessor:
    """Works through one channel's inbox: a task per busy conversation, in order.

    ``handle`` processes one entry (see the module docstring); ``give_up`` is called once
    when an entry is abandoned, so the channel can tell the user. A scan every
    ``scan_interval`` seconds picks up entries nobody is working on: left by a crashed
    process, or deferred and due again.
    """

    def __init__(
        self,
        inbox: Inbox,
        channel: str,
        handle: Handler,
        *,
        give_up: GiveUp | None = None,
        owner: str | None = None,
        backoff: Backoff = DEFAULT_BACKOFF,
        scan_interval: float = 2.0,
        max_age: dt.timedelta = DEFAULT_MAX_AGE,
    ) -> None:
        self.inbox = inbox
        self.channel = channel
        self.handle = handle
        self.give_up = give_up
        self.owner = owner or durable.new_owner(f"inbox-{channel}")
        self.backoff = backoff
        self.scan_interval = scan_interval
        self.max_age = max_age
        self._workers: dict[str, asyncio.Task[None]] = {}
        self._again: set[str] = set()
        self._waiters: dict[int, list[asyncio.Future[Outcome]]] = {}
        self._scanner: asyncio.Task[None] | None = None
        self._last_prune = 0.0

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> None:
        """Start the scan for orphaned and due entries (and replay them at once)."""
        if self._scanner is None:
            self._scanner = asyncio.get_running_loop().create_task(self._scan_forever())

    async def stop(self, timeout: float = 10.0) -> None:
        if self._scanner is not None:
            self._scanner.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._scanner
            self._scanner = None
        workers = set(self._workers.values())
        if workers:
            _, late = await asyncio.wait(workers, timeout=timeout)
            for task in late:  # their leases run out; the entries are replayed later
                task.cancel()
            if late:
                await asyncio.wait(late, timeout=1.0)

    async def idle(self, timeout: float = 30.0) -> None:
        """Wait until this process has no conversation in work (tests, shutdown)."""
        deadline = time.monotonic() + timeout
        while self._workers:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise asyncio.TimeoutError
            await asyncio.wait(set(self._workers.values()), timeout=remaining)

    # -- the channel's side ---------------------------------------------------------------
    async def accept(
        self, conversation_id: str, key: str, payload: Mapping[str, Any], *, sequence: int = 0
    ) -> Recorded:
        """Record the message (committed when this returns) and start working on it.

        Raises the database's error when the entry cannot be recorded: the channel must then
        refuse the message (e.g. answer 503) so that the platform or client sends it again.
        """
        recorded = await asyncio.to_thread(
            self.inbox.record, self.channel, conversation_id, key, payload, sequence=sequence
        )
        if recorded.entry.state is EntryState.PENDING:
            self.kick(conversation_id)
        return recorded

    def kick(self, conversation_id: str) -> None:
        """Make sure this process looks at the conversation's pending entries now."""
        worker = self._workers.get(conversation_id)
        if worker is not None and not worker.done():
            self._again.add(conversation_id)
            return
        task = asyncio.get_running_loop().create_task(self._work(conversation_id))
        self._workers[conversation_id] = task

    async def wait(self, entry: InboxEntry, timeout: float) -> Outcome:
        """Wait until ``entry`` is done, failed or deferred; another process may hold it, so
        the database is polled too."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Outcome] = loop.create_future()
        self._waiters.setdefault(entry.id, []).append(future)
        deadline = time.monotonic() + timeout
        poll = 0.05
        try:
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    latest = await self._latest(entry)
                    return Outcome(latest or entry, timed_out=True)
                with contextlib.suppress(asyncio.TimeoutError):
                    return await asyncio.wait_for(asyncio.shield(future), timeout=min(poll, remaining))
                latest = await self._latest(entry)
                if latest is not None and latest.state is not EntryState.PENDING:
                    return Outcome(latest)
                if latest is not None and _deferred_elsewhere(latest, self.inbox.clock()):
                    return Outcome(latest, deferred=True)
                self.kick(entry.conversation_id)
                poll = min(poll * 2, 0.5)
        finally:
            waiters = self._waiters.get(entry.id, [])
            if future in waiters:
                waiters.remove(future)
            if not waiters:
                self._waiters.pop(entry.id, None)

    async def _latest(self, entry: InboxEntry) -> InboxEntry | None:
        """The entry as stored now; ``None`` while the database is away (the entry is
        committed: the wait goes on until its time-out, the caller answers "try again")."""
        try:
            return await asyncio.to_thread(self.inbox.get_by_id, entry.id)
        except Exception as exc:  # noqa: BLE001
            logger.warning("inbox %s: cannot read entry %s (%s)", self.channel, entry.id, durable.short(exc))
            return None

    # -- the work ---------------------------------------------------------------------------
    async def _work(self, conversation_id: str) -> None:
        try:
            while True:
                self._again.discard(conversation_id)
                try:
                    entry = await asyncio.to_thread(
                        self.inbox.claim_next, self.channel, conversation_id, self.owner
                    )
                except Exception as exc:  # noqa: BLE001 - database away: the scan retries
                    logger.warning("inbox %s: cannot claim (%s)", self.channel, durable.short(exc))
                    return
                if entry is None:
                    if conversation_id in self._again:
                        continue
                    return
                if not await self._process(entry):
                    return  # deferred: later entries of the conversation wait behind it
        finally:
            if self._workers.get(conversation_id) is asyncio.current_task():
                del self._workers[conversation_id]

    async def _process(self, entry: InboxEntry) -> bool:
        """Run the handler on a leased entry; ``True`` when it is finished."""
        keeper = asyncio.get_running_loop().create_task(self._keep_lease(entry))
        try:
            result = await self.handle(entry)
        except Defer as exc:
            return await self._defer(entry, exc)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - e.g. the tracker store is unreachable
            logger.exception("inbox %s: entry %s failed; it will be retried", self.channel, entry.id)
            return await self._defer(entry, Defer(durable.short(exc)))
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:  # a turn stopped unsaved (the action server is away)
            logger.warning("inbox %s: entry %s stopped (%s); it will be retried", self.channel, entry.id, exc)
            return await self._defer(entry, Defer(durable.short(exc)))
        finally:
            keeper.cancel()
        await self._record(self.inbox.complete, entry, self.owner, result)
        self._resolve(entry.id, Outcome(_with(entry, state=EntryState.DONE, result=result)))
        return True

    async def _defer(self, entry: InboxEntry, exc: Defer) -> bool:
        age = self.inbox.clock() - entry.received_at
        too_many = exc.max_attempts is not None and entry.attempt >= exc.max_attempts
        if too_many or age > self.max_age:
            logger.error(
                "inbox %s: entry %s given up after %d tries: %s", self.channel, entry.id, entry.attempt, exc
            )
            await self._record(self.inbox.fail, entry, self.owner, exc.reason)
            failed = _with(entry, state=EntryState.FAILED, last_error=exc.reason)
            if self.give_up is not None:
                try:
                    await self.give_up(failed, exc.reason)
                except Exception:  # noqa: BLE001
                    logger.exception(
                        "inbox %s: telling the user about entry %s failed", self.channel, entry.id
                    )
            self._resolve(entry.id, Outcome(failed))
            return True  # the conversation goes on with its next message
        delay = exc.retry_after if exc.retry_after is not None else self.backoff.delay(entry.attempt)
        logger.warning(
            "inbox %s: entry %s deferred (%s), try %d; next in %.1fs",
            self.channel,
            entry.id,
            exc.reason,
            entry.attempt,
            delay,
        )
        await self._record(self.inbox.defer, entry, self.owner, delay=delay, error=exc.reason)
        self._resolve(entry.id, Outcome(_with(entry, last_error=exc.reason), deferred=True))
        return False

    def _resolve(self, entry_id: int, outcome: Outcome) -> None:
        for future in self._waiters.get(entry_id, []):
            if not future.done():
                future.set_result(outcome)

    async def _keep_lease(self, entry: InboxEntry) -> None:
        interval = max(self.inbox.lease.total_seconds() / 3, 0.05)
        while True:
            await asyncio.sleep(interval)
            with contextlib.suppress(Exception):
                await asyncio.to_thread(self.inbox.renew, entry, self.owner)

    async def _record(self, step: Callable[..., bool], *args: Any, **kwargs: Any) -> None:
        """Write an outcome, retrying briefly while the database is away; if it stays away
        the lease runs out and the entry is replayed (its turn is then recognised as done)."""
        deadline = time.monotonic() + self.inbox.lease.total_seconds()
        failures = 0
        while True:
            try:
                await asyncio.to_thread(step, *args, **kwargs)
                return
            except Exception as exc:  # noqa: BLE001
                failures += 1
                delay = min(self.backoff.delay(failures), 5.0)
                if time.monotonic() + delay > deadline:
                    logger.error("inbox %s: could not record an outcome (%s)", self.channel, exc)
                    return
                await asyncio.sleep(delay)

    async def _scan_forever(self) -> None:
        while True:
            try:
                for conversation_id in await asyncio.to_thread(self.inbox.due_conversations, self.channel):
                    self.kick(conversation_id)
                self._maybe_prune()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - database away; next scan
                logger.warning("inbox %s: scan failed (%s)", self.channel, durable.short(exc))
            await asyncio.sleep(self.scan_interval)

    def _maybe_prune(self) -> None:
        now = time.monotonic()
        if now - self._last_prune >= 3600:
            self._last_prune = now
            asyncio.get_running_loop().create_task(asyncio.to_thread(self.inbox.prune))
