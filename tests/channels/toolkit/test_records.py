"""The channels' generic durable records on SQLite and PostgreSQL: reading and writing by
(channel, kind, key), first writer wins, atomic read-modify-write between processes, pruning."""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from support.clock import Clock

from channels.toolkit.records import MAX_KEY_CHARS, Record, Records
from gopay_support.adapters.db import Database

START = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)


@pytest.fixture
def clock() -> Clock:
    return Clock(START)


@pytest.fixture
def records(db_url: str, clock: Clock) -> Iterator[Records]:
    database = Database(db_url)
    yield Records(database, clock)
    database.dispose()


def value_of(records: Records, channel: str, kind: str, key: str) -> Any:
    record = records.get(channel, kind, key)
    assert record is not None, (channel, kind, key)
    return record.value


def test_a_record_round_trips_and_keeps_when_it_was_created(records: Records, clock: Clock) -> None:
    assert records.get("email", "thread", "t1") is None
    value = {"subject": "充值失败", "refs": ["<a@x>", "<b@x>"], "n": 3, "ok": True}
    records.put("email", "thread", "t1", value)
    assert records.get("email", "thread", "t1") == Record("email", "thread", "t1", value, START, START)
    clock.advance(minutes=5)
    records.put("email", "thread", "t1", {"subject": "later"})
    record = records.get("email", "thread", "t1")
    assert record is not None
    assert record.value == {"subject": "later"}
    assert record.created_at == START and record.updated_at == START + timedelta(minutes=5)
    assert record.updated_at.tzinfo is not None and record.updated_at.utcoffset() == timedelta(0)


def test_channels_and_kinds_keep_their_records_apart(records: Records) -> None:
    records.put("email", "thread", "k", 1)
    records.put("email", "mailbox", "k", 2)
    records.put("sms", "thread", "k", 3)
    assert value_of(records, "email", "thread", "k") == 1
    assert value_of(records, "email", "mailbox", "k") == 2
    assert value_of(records, "sms", "thread", "k") == 3
    assert records.delete("email", "thread", "k")
    assert not records.delete("email", "thread", "k")
    assert records.get("email", "thread", "k") is None
    assert records.get("email", "mailbox", "k") is not None and records.get("sms", "thread", "k") is not None


def test_put_if_absent_keeps_the_first_value_and_says_whether_it_was_new(records: Records) -> None:
    assert records.put_if_absent("email", "message_id", "<m1@x>", {"conversation": "a"})
    assert not records.put_if_absent("email", "message_id", "<m1@x>", {"conversation": "b"})
    assert value_of(records, "email", "message_id", "<m1@x>") == {"conversation": "a"}


def test_get_many_returns_the_existing_keys_also_beyond_one_query(records: Records) -> None:
    for i in range(0, 1200, 2):
        records.put("email", "message_id", f"<{i}@x>", i)
    found = records.get_many("email", "message_id", [f"<{i}@x>" for i in range(1200)] + ["<0@x>"])
    assert sorted(r.value for r in found.values()) == list(range(0, 1200, 2))
    assert found["<10@x>"].key == "<10@x>"
    assert records.get_many("email", "message_id", []) == {}
    assert records.get_many("email", "thread", ["<0@x>"]) == {}


def test_update_creates_changes_and_leaves_unchanged_values_alone(records: Records, clock: Clock) -> None:
    calls: list[Any] = []

    def bump(current: dict[str, int] | None) -> dict[str, int]:
        calls.append(current)
        return {"n": (current or {"n": 0})["n"] + 1}

    assert records.update("email", "mailbox", "box", bump) == {"n": 1}
    clock.advance(minutes=1)
    assert records.update("email", "mailbox", "box", bump) == {"n": 2}
    assert calls == [None, {"n": 1}]
    clock.advance(minutes=1)
    assert records.update("email", "mailbox", "box", lambda current: current) == {"n": 2}
    assert records.update("email", "mailbox", "box", lambda current: None) == {"n": 2}
    record = records.get("email", "mailbox", "box")
    assert record is not None and record.updated_at == START + timedelta(minutes=1)  # not rewritten
    assert records.update("email", "mailbox", "nothing", lambda current: None) is None
    assert records.get("email", "mailbox", "nothing") is None


def test_update_loses_no_write_made_between_its_read_and_its_write(db_url: str, records: Records) -> None:
    """SQLite: the other write lands between the read and the compare-and-set, which fails and
    reads again. PostgreSQL: the other write waits for the row lock. Either way both count."""
    records.put("email", "mailbox", "box", 0)
    other = Database(db_url)
    try:
        interfering = threading.Thread(
            target=lambda: Records(other).update("email", "mailbox", "box", lambda n: n + 10)
        )
        seen: list[int] = []

        def plus_one(current: int) -> int:
            seen.append(current)
            if len(seen) == 1:
                interfering.start()
                interfering.join(timeout=0.5)  # done on SQLite; waiting for the lock on PostgreSQL
            return current + 1

        records.update("email", "mailbox", "box", plus_one)
        interfering.join(timeout=10)
        assert not interfering.is_alive()
        assert value_of(records, "email", "mailbox", "box") == 11
        # SQLite: the compare-and-set failed and the function ran again on the new value.
        assert seen == ([0, 10] if db_url.startswith("sqlite") else [0])
    finally:
        other.dispose()


def _worker(url: str, start: Any, results: Any, rounds: int) -> None:
    """One process: increment a shared counter and race for first-writer keys."""
    database = Database(url)
    try:
        records = Records(database)
        start.wait(timeout=30)
        won = 0
        for i in range(rounds):
            records.update("test", "counter", "hits", lambda n: (n or 0) + 1)
            won += records.put_if_absent("test", "claim", f"k{i}", "mine")
        results.put(won)
    finally:
        database.dispose()


def test_several_processes_increment_and_claim_without_losing_or_doubling(
    db_url: str, records: Records
) -> None:
    records.get("test", "counter", "hits")  # migrated before the processes start
    context = multiprocessing.get_context("fork")
    processes, rounds = 4, 25
    start = context.Barrier(processes)
    results = context.Queue()
    workers = [
        context.Process(target=_worker, args=(db_url, start, results, rounds)) for _ in range(processes)
    ]
    for worker in workers:
        worker.start()
    won = [results.get(timeout=60) for _ in workers]
    for worker in workers:
        worker.join(timeout=30)
        assert worker.exitcode == 0
    assert value_of(records, "test", "counter", "hits") == processes * rounds
    assert sum(won) == rounds  # each key claimed by exactly one process
    assert len(records.get_many("test", "claim", [f"k{i}" for i in range(rounds)])) == rounds


def test_prune_removes_a_kinds_records_not_changed_since(records: Records, clock: Clock) -> None:
    records.put("email", "message_id", "old", 1)
    records.put("email", "thread", "old", 1)
    records.put("sms", "message_id", "old", 1)
    clock.advance(days=10)
    records.put("email", "message_id", "new", 2)
    records.update("email", "message_id", "old2", lambda _: 3)
    assert records.prune("email", "message_id", older_than=timedelta(days=5)) == 1
    assert records.get("email", "message_id", "old") is None
    assert records.get("email", "message_id", "new") is not None
    assert records.get("email", "thread", "old") is not None  # another kind
    assert records.get("sms", "message_id", "old") is not None  # another channel
    assert records.prune("email", "thread", older_than=START + timedelta(seconds=1)) == 1
    assert records.prune("email", "thread", older_than=START + timedelta(days=30)) == 0


def test_refuses_what_it_cannot_store(records: Records) -> None:
    with pytest.raises(ValueError, match="None"):
        records.put("email", "thread", "k", None)
    with pytest.raises(ValueError, match="key"):
        records.put("email", "thread", "x" * (MAX_KEY_CHARS + 1), 1)
    with pytest.raises(ValueError, match="key"):
        records.get("email", "thread", "")
    with pytest.raises(ValueError, match="kind"):
        records.put("email", "", "k", 1)
    with pytest.raises(ValueError, match="channel"):
        records.get("c" * 33, "thread", "k")
    records.put("email", "thread", "x" * MAX_KEY_CHARS, 1)
    assert records.get("email", "thread", "x" * MAX_KEY_CHARS) is not None
