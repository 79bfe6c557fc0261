"""The inbox on SQLite and PostgreSQL: recorded before the acknowledgement, de-duplicated
by key, processed once and in order per conversation, kept while a dependency is away,
replayed after a crash, shared safely by several processes."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import defaultdict
from pathlib import Path
from typing import Any

from support.delivery import NaiveClock, spawn, until

from channels.toolkit.backoff import Backoff
from channels.toolkit.inbox import Defer, EntryState, Inbox, InboxEntry, InboxProcessor

FAST = Backoff(first=0.05, maximum=0.2)


class Handler:
    """Records entries; ``plan`` maps a key to exceptions its next tries raise."""

    def __init__(self, plan: dict[str, list[BaseException]] | None = None, delay: float = 0.0) -> None:
        self.plan = plan or {}
        self.delay = delay
        self.tries: list[InboxEntry] = []
        self.done: list[str] = []

    async def __call__(self, entry: InboxEntry) -> Any:
        self.tries.append(entry)
        if self.delay:
            await asyncio.sleep(self.delay)
        pending = self.plan.get(entry.key)
        if pending:
            raise pending.pop(0)
        self.done.append(entry.key)
        return {"answer": entry.payload.get("text")}


def test_a_redelivery_finds_the_first_record(db_url: str) -> None:
    inbox = Inbox.from_url(db_url)
    first = inbox.record("telegram", "telegram:1", "update:7", {"text": "hi"}, sequence=7)
    again = inbox.record("telegram", "telegram:1", "update:7", {"text": "changed"}, sequence=7)
    assert first.new and not again.new
    assert again.entry.id == first.entry.id and again.entry.payload == {"text": "hi"}
    # keys are per channel
    assert inbox.record("webchat", "webchat:1", "update:7", {}).new


def test_entries_are_processed_in_sequence_order_within_a_conversation(db_url: str) -> None:
    inbox = Inbox.from_url(db_url)
    for sequence in (12, 10, 11):  # arrived out of order
        inbox.record(
            "telegram", "telegram:1", f"update:{sequence}", {"text": str(sequence)}, sequence=sequence
        )
    handler = Handler()

    async def scenario() -> None:
        processor = InboxProcessor(inbox, "telegram", handler, backoff=FAST)
        processor.kick("telegram:1")
        await until(lambda: len(handler.done) == 3)
        await processor.idle()

    asyncio.run(scenario())
    assert handler.done == ["update:10", "update:11", "update:12"]
    assert inbox.get("telegram", "update:11").state is EntryState.DONE  # type: ignore[union-attr]
    assert inbox.get("telegram", "update:11").result == {"answer": "11"}  # type: ignore[union-attr]


def test_a_deferred_entry_is_retried_and_holds_back_its_conversation(db_url: str) -> None:
    inbox = Inbox.from_url(db_url)
    handler = Handler({"a": [Defer("action server down"), Defer("action server down")]})

    async def scenario() -> list[bool]:
        processor = InboxProcessor(inbox, "rest", handler, backoff=FAST, scan_interval=0.05)
        processor.start()
        a = await processor.accept("rest:1", "a", {"text": "a"})
        b = await processor.accept("rest:1", "b", {"text": "b"})
        other = await processor.accept("rest:2", "c", {"text": "c"})
        first = await processor.wait(a.entry, timeout=5)
        await until(lambda: len(handler.done) == 3)
        await processor.stop()
        return [first.deferred, b.new, other.new]

    deferred, *_ = asyncio.run(scenario())
    assert deferred  # the synchronous caller learns at once that its message is kept
    assert handler.done.index("a") < handler.done.index("b")
    assert [e.attempt for e in handler.tries if e.key == "a"] == [1, 2, 3]
    assert [e.replay for e in handler.tries if e.key == "a"] == [False, True, True]


def test_an_entry_is_given_up_after_max_attempts_and_the_user_is_told(db_url: str) -> None:
    inbox = Inbox.from_url(db_url)
    handler = Handler({"bad": [Defer("bug", max_attempts=2)] * 5})
    told: list[tuple[str, str]] = []

    async def give_up(entry: InboxEntry, reason: str) -> None:
        told.append((entry.key, reason))

    async def scenario() -> None:
        processor = InboxProcessor(inbox, "rest", handler, give_up=give_up, backoff=FAST, scan_interval=0.05)
        processor.start()
        await processor.accept("rest:1", "bad", {})
        await processor.accept("rest:1", "next", {})
        await until(lambda: handler.done == ["next"])
        await processor.stop()

    asyncio.run(scenario())
    assert told == [("bad", "bug")]
    assert inbox.get("rest", "bad").state is EntryState.FAILED  # type: ignore[union-attr]


def test_entries_older_than_max_age_are_given_up(db_url: str) -> None:
    clock = NaiveClock()
    inbox = Inbox.from_url(db_url, clock=clock)
    inbox.record("rest", "rest:1", "old", {})
    clock.advance(hours=2)
    handler = Handler({"old": [Defer("still down")]})
    told: list[str] = []

    async def give_up(entry: InboxEntry, reason: str) -> None:
        told.append(entry.key)

    async def scenario() -> None:
        processor = InboxProcessor(inbox, "rest", handler, give_up=give_up, max_age=dt.timedelta(hours=1))
        processor.kick("rest:1")
        await until(lambda: told)
        await processor.idle()

    asyncio.run(scenario())
    assert told == ["old"]


def test_an_entry_left_by_a_crashed_process_is_replayed_after_its_lease(db_url: str) -> None:
    clock = NaiveClock()
    inbox = Inbox.from_url(db_url, lease=30.0, clock=clock)
    inbox.record("telegram", "telegram:1", "update:1", {"text": "hi"}, sequence=1)
    claimed = inbox.claim_next("telegram", "telegram:1", "crashed")  # acknowledged, then kill -9
    assert claimed is not None and not claimed.replay
    assert inbox.claim_next("telegram", "telegram:1", "restarted") is None  # lease still runs
    assert inbox.due_conversations("telegram") == []
    clock.advance(seconds=31)
    assert inbox.due_conversations("telegram") == ["telegram:1"]
    again = inbox.claim_next("telegram", "telegram:1", "restarted")
    assert again is not None and again.replay and again.attempt == 2
    assert inbox.complete(again, "restarted", ["hello"])
    assert not inbox.complete(claimed, "crashed")  # the crashed owner cannot finish it


def test_a_restarted_process_replays_pending_entries_on_its_first_scan(db_url: str) -> None:
    Inbox.from_url(db_url).record("rest", "rest:9", "k", {"text": "kept"})  # then the server died
    handler = Handler()

    async def scenario() -> None:
        processor = InboxProcessor(Inbox.from_url(db_url), "rest", handler, scan_interval=0.05)
        processor.start()
        await until(lambda: handler.done)
        await processor.stop()

    asyncio.run(scenario())
    assert handler.done == ["k"]


def test_the_lease_is_renewed_while_a_long_turn_runs(db_url: str) -> None:
    inbox = Inbox.from_url(db_url, lease=0.3)
    handler = Handler(delay=1.0)  # longer than the lease

    async def scenario() -> None:
        first = InboxProcessor(inbox, "rest", handler, scan_interval=0.05)
        second = InboxProcessor(inbox, "rest", handler, scan_interval=0.05)
        second.start()  # would take the entry over if the lease ran out
        await first.accept("rest:1", "slow", {})
        await until(lambda: handler.done, timeout=5)
        await first.idle()
        await second.stop()

    asyncio.run(scenario())
    assert len(handler.tries) == 1


def test_three_processes_receiving_the_same_messages_process_each_once_in_order(
    db_url: str, tmp_path: Path
) -> None:
    log = tmp_path / "processed.log"
    conversations = 5
    workers = [spawn("inbox", db_url, log, "60", str(conversations)) for _ in range(3)]
    try:
        for worker in workers:
            output, _ = worker.communicate(timeout=90)
            assert worker.returncode == 0, output.decode(errors="replace")
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
    lines = [line.split() for line in log.read_text().splitlines()]
    assert sorted(int(n) for _, n, _ in lines) == list(range(conversations * 10))
    by_conversation: dict[str, list[int]] = defaultdict(list)
    for conversation, n, _pid in lines:
        by_conversation[conversation].append(int(n))
    assert all(ns == sorted(ns) for ns in by_conversation.values())


def test_has_pending_tells_whether_a_conversation_has_unfinished_entries(db_url: str) -> None:
    inbox = Inbox.from_url(db_url)
    assert not inbox.has_pending("rest", "rest:a")
    inbox.record("rest", "rest:a", "k1", {"text": "yes"})
    assert inbox.has_pending("rest", "rest:a")
    assert not inbox.has_pending("rest", "rest:b") and not inbox.has_pending("telegram", "rest:a")
    entry = inbox.claim_next("rest", "rest:a", "me")
    assert entry is not None and inbox.complete(entry, "me")
    assert not inbox.has_pending("rest", "rest:a")


class TurnStopped(BaseException):  # noqa: N818 - like action_calls.ActionServerUnavailable
    pass


def test_a_turn_stopped_by_a_base_exception_is_kept_and_retried(db_url: str) -> None:
    inbox = Inbox.from_url(db_url)
    handler = Handler({"a": [TurnStopped("action server unavailable")]})

    async def scenario() -> None:
        processor = InboxProcessor(inbox, "email", handler, backoff=FAST, scan_interval=0.05)
        processor.start()
        await processor.accept("email:1", "a", {"text": "a"})
        await until(lambda: handler.done == ["a"])
        await processor.stop()

    asyncio.run(scenario())
    assert [e.attempt for e in handler.tries] == [1, 2]


class DatabaseGoneInbox(Inbox):
    """The inbox whose database goes away after the entry was recorded (reads refused)."""

    gone = False

    def get_by_id(self, entry_id: int) -> InboxEntry | None:
        if self.gone:
            raise ConnectionRefusedError("database away")
        return super().get_by_id(entry_id)


def test_waiting_for_an_entry_while_the_database_is_away_times_out_instead_of_raising(db_url: str) -> None:
    """The entry is committed; a synchronous channel waiting for it must answer "try again"
    (its client resends, and finds the entry), not fail the request with the database's error."""
    inbox = DatabaseGoneInbox(Inbox.from_url(db_url).database)

    async def held(entry: InboxEntry) -> Any:
        await asyncio.sleep(5)  # the turn is slower than the wait

    async def scenario() -> Any:
        processor = InboxProcessor(inbox, "rest", held, backoff=FAST)
        recorded = await processor.accept("rest:1", "a", {"text": "a"})
        inbox.gone = True
        outcome = await processor.wait(recorded.entry, timeout=0.5)
        for task in list(processor._workers.values()):
            task.cancel()
        return outcome

    outcome = asyncio.run(scenario())
    assert outcome.timed_out and outcome.entry.key == "a"
