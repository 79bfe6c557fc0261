"""The channel's durable records on SQLite and PostgreSQL: read position, claims, threads,
Message-IDs."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from channels.email.options import Option
from channels.email.store import EmailStore, MailRef, Position, Thread, mailbox_id
from gopay_support.adapters.db import Database

BOX = mailbox_id("imap.example", "support@gopay.example", "INBOX")


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(db_url: str, clock: Clock):
    database = Database(db_url)
    yield EmailStore(database, clock)
    database.dispose()


def test_mailbox_id_names_the_folder_without_the_address() -> None:
    assert "support" not in BOX and len(BOX) == 32
    assert mailbox_id("IMAP.example", "Support@gopay.example", "INBOX") == BOX
    assert mailbox_id("imap.example", "support@gopay.example", "Archive") != BOX


def test_position_moves_forward_only_within_one_uidvalidity(store: EmailStore) -> None:
    assert store.position(BOX) is None
    store.set_position(BOX, Position(7, 10))
    store.set_position(BOX, Position(7, 4))  # a late writer with an older view
    assert store.position(BOX) == Position(7, 10)
    store.set_position(BOX, Position(7, 12))
    assert store.position(BOX) == Position(7, 12)
    store.set_position(BOX, Position(9, 2))  # the folder was renumbered
    assert store.position(BOX) == Position(9, 2)


def test_a_mail_is_claimed_once_and_finished(store: EmailStore) -> None:
    ref = MailRef(BOX, 7, 11)
    assert store.claim(ref, "server-a")
    assert not store.claim(ref, "server-b")
    assert store.state_of(ref) == ("claimed", None)
    store.finish(ref, "turn")
    assert store.state_of(ref) == ("done", "turn")
    assert not store.claim(ref, "server-a")
    assert store.outcomes(BOX) == {11: "turn"}


def test_a_claim_left_unfinished_is_taken_up_after_its_lease(store: EmailStore, clock: Clock) -> None:
    lease = timedelta(minutes=5)
    ref, other = MailRef(BOX, 7, 11), MailRef(BOX, 7, 12)
    store.claim(ref, "crashed")
    store.claim(other, "crashed")
    store.finish(other, "turn")
    assert store.stale_claims(BOX, 7, lease) == []  # still within its lease
    clock.now += timedelta(minutes=6)
    assert store.stale_claims(BOX, 7, lease) == [ref]
    assert store.reclaim(ref, "server-a", lease) == 2
    assert store.reclaim(ref, "server-b", lease) is None  # server-a holds it now
    assert store.stale_claims(BOX, 7, lease) == []
    assert store.stale_claims(BOX, 8, lease) == []


def test_a_thread_round_trips_with_its_options_and_references(store: EmailStore) -> None:
    thread = Thread(
        key="email-abc",
        address="li@example.com",
        name="李雷",
        subject="充值失败",
        language="zh",
        options=(Option(1, "提交工单", "/open_ticket"), Option(2, "转人工", "/human_handoff")),
    ).with_message("<m1@example.com>")
    store.save_thread(thread)
    assert store.thread("email-abc") == thread
    later = thread.with_message("<gopay.1@gopay.example>")
    store.save_thread(later)
    loaded = store.thread("email-abc")
    assert loaded is not None
    assert loaded.references == ("<m1@example.com>", "<gopay.1@gopay.example>")
    assert loaded.last_message_id == "<gopay.1@gopay.example>"
    assert loaded.conversation_id == "email:email-abc"
    assert store.thread("email-other") is None


def test_message_ids_lead_back_to_their_conversation(store: EmailStore) -> None:
    store.remember_message_id("<m1@example.com>", "email-a", outbound=False)
    store.remember_message_id("<gopay.1@gopay.example>", "email-a", outbound=True)
    store.remember_message_id("<m9@example.com>", "email-b", outbound=False)
    store.remember_message_id("<m1@example.com>", "email-b", outbound=False)  # first one wins
    assert store.conversation_of(["<unknown@x>", "<gopay.1@gopay.example>"]) == "email-a"
    assert store.conversation_of(["<m1@example.com>", "<m9@example.com>"]) == "email-b"  # newest
    assert store.conversation_of([]) is None
    assert store.seen_inbound("<m1@example.com>")
    assert not store.seen_inbound("<gopay.1@gopay.example>")  # ours, not a customer's
    assert not store.seen_inbound(None)
    store.remember_message_id(
        "<" + "x" * 300 + "@example.com>", "email-a", outbound=False
    )  # too long: skipped
