"""The channel's durable records on SQLite and PostgreSQL: read position, threads,
Message-IDs."""

from __future__ import annotations

from datetime import datetime, timezone

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


def test_a_mail_reference_has_no_long_digit_run_for_log_masking_to_mistake() -> None:
    key = MailRef(BOX, 1796511234, 12345678901).key
    assert key.startswith(BOX[:12]) and not any(
        len(run) >= 7 for run in __import__("re").findall(r"\d+", key)
    )
