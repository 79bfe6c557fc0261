"""The outbox: a reply is stored before it is sent, queued once per key, retried with
backoff while the relay is away, given up on a permanent refusal."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

import pytest

from channels.email.outbox import OutboxSender, OutgoingMail, PermanentFailure, SqlOutbox
from channels.toolkit.backoff import Backoff
from gopay_support.adapters.db import Database


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def box(db_url: str, clock: Clock):
    database = Database(db_url)
    yield SqlOutbox(database, clock)
    database.dispose()


def mail(key: str = "reply:a") -> OutgoingMail:
    return OutgoingMail(
        key, "email-a", "li@example.com", f"<{key}@gopay.example>", b"Subject: hi\r\n\r\nhello\r\n"
    )


class Relay:
    """Stands in for the SMTP server: fails as told, records what it took."""

    def __init__(self, failures: list[BaseException] | None = None) -> None:
        self.failures = list(failures or [])
        self.taken: list[tuple[bytes, str]] = []

    async def __call__(self, raw: bytes, recipient: str) -> None:
        if self.failures:
            raise self.failures.pop(0)
        self.taken.append((raw, recipient))


def test_the_same_answer_is_queued_once(box: SqlOutbox) -> None:
    assert box.put(mail())
    assert not box.put(mail())
    assert [p.recipient for p in box.due()] == ["li@example.com"]


def test_a_mail_being_sent_is_not_handed_to_a_second_worker(box: SqlOutbox, clock: Clock) -> None:
    box.put(mail())
    assert len(box.due()) == 1
    assert box.due() == []  # another server's worker finds nothing to do
    clock.now += timedelta(minutes=3)  # the first worker died mid-way: taken up again
    assert len(box.due()) == 1


def test_sent_mail_is_not_sent_again(box: SqlOutbox) -> None:
    relay = Relay()
    sender = OutboxSender(box, relay)
    box.put(mail("reply:a"))
    box.put(mail("reply:b"))
    assert asyncio.run(sender.send_due()) == 2
    assert asyncio.run(sender.send_due()) == 0
    assert [r for _, r in relay.taken] == ["li@example.com", "li@example.com"]
    assert box.states() == {"sent": 2}


def test_a_relay_away_is_retried_after_the_backoff(box: SqlOutbox, clock: Clock) -> None:
    relay = Relay([ConnectionRefusedError("down")])
    sender = OutboxSender(box, relay, backoff=Backoff(first=30, maximum=60))
    box.put(mail())
    assert asyncio.run(sender.send_due()) == 0
    assert box.due() == []  # waiting for its next try
    clock.now += timedelta(seconds=31)
    assert asyncio.run(sender.send_due()) == 1
    assert box.states() == {"sent": 1}


def test_a_permanent_refusal_is_given_up(box: SqlOutbox, clock: Clock) -> None:
    sender = OutboxSender(box, Relay([PermanentFailure("recipient refused (550)")]))
    box.put(mail())
    asyncio.run(sender.send_due())
    clock.now += timedelta(days=1)
    assert box.due() == []
    assert box.states() == {"dead": 1}


def test_after_the_last_attempt_the_mail_is_given_up(box: SqlOutbox, clock: Clock) -> None:
    sender = OutboxSender(
        box, Relay([TimeoutError()] * 3), backoff=Backoff(first=1, maximum=1), max_attempts=3
    )
    box.put(mail())
    for _ in range(3):
        asyncio.run(sender.send_due())
        clock.now += timedelta(seconds=2)
    assert box.states() == {"dead": 1}
