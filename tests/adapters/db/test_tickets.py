"""The ticket store on real databases: every test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta

import pytest
from support.clock import Clock

from gopay_support.adapters.db import Database, TicketStore
from gopay_support.core import tracking
from gopay_support.core.contact import ContactKind
from gopay_support.core.errors import InvalidTransition, TicketNotFound
from gopay_support.core.tickets.model import NewTicket, Priority, TicketStatus, VerifyOutcome


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(db_url: str, clock: Clock) -> Iterator[TicketStore]:
    db = Database(db_url)
    yield TicketStore(db, clock=clock, verify_max_attempts=3, verify_window=timedelta(hours=1))
    db.dispose()


def new_ticket(
    sender: str = "alice",
    contact: str = "13812345678",
    kind: ContactKind = ContactKind.PHONE,
    category: str = "topup",
) -> NewTicket:
    return NewTicket(
        category=category,
        description="我昨天充值了100元，银行卡已扣款但钱包余额没有到账",
        contact=contact,
        contact_kind=kind,
        sender_id=sender,
        language="zh",
        channel="rest",
        transaction_id="TX20261124001",
        problem_time="昨天下午3点",
    )


def test_sqlite_file_and_directory_are_created_on_first_use(tmp_path) -> None:
    path = tmp_path / "not" / "yet" / "tickets.db"
    store = TicketStore(Database(f"sqlite:///{path}"))
    assert not path.exists()
    store.list()
    assert path.exists()
    # a second store on the same file finds the schema at head and migrates nothing
    assert TicketStore(Database(f"sqlite:///{path}")).list() == []


def test_create_stores_every_field_and_starts_history(store: TicketStore, clock: Clock) -> None:
    ticket, created = store.create(new_ticket(category="security"), "alice:1")
    assert created
    assert tracking.is_valid(ticket.tracking_number)
    loaded = store.require(ticket.tracking_number)
    assert loaded == ticket
    assert loaded.description.startswith("我昨天充值了100元")
    assert (loaded.contact, loaded.contact_kind) == ("13812345678", ContactKind.PHONE)
    assert (loaded.transaction_id, loaded.problem_time) == ("TX20261124001", "昨天下午3点")
    assert (loaded.language, loaded.channel, loaded.sender_id) == ("zh", "rest", "alice")
    assert loaded.priority is Priority.HIGH  # security problems go first
    assert loaded.status is TicketStatus.OPEN
    assert loaded.created_at == loaded.updated_at == clock.now
    assert [(h.from_status, h.to_status) for h in loaded.history] == [(None, TicketStatus.OPEN)]


def test_create_is_idempotent_per_key(store: TicketStore) -> None:
    first, created_first = store.create(new_ticket(), "alice:form-1")
    again, created_again = store.create(new_ticket(), "alice:form-1")
    other, _ = store.create(new_ticket(), "alice:form-2")
    assert (created_first, created_again) == (True, False)
    assert again.tracking_number == first.tracking_number
    assert other.tracking_number != first.tracking_number
    assert len(store.list()) == 2


def test_tracking_number_collision_draws_a_new_number(store: TicketStore, monkeypatch) -> None:
    first, _ = store.create(new_ticket(), "k1")
    numbers = iter([first.tracking_number, "GP-7K3D9Q2X"])
    monkeypatch.setattr(tracking, "generate", lambda: next(numbers))
    second, created = store.create(new_ticket(), "k2")
    assert created and second.tracking_number == "GP-7K3D9Q2X"


def test_lookup_accepts_any_case_and_stray_spaces(store: TicketStore) -> None:
    ticket, _ = store.create(new_ticket(), "k")
    body = ticket.tracking_number[3:]
    assert store.get(f" gp {body[:4].lower()} {body[4:]} ") == ticket
    assert store.get("GP-0000000") is None
    assert store.get("nonsense") is None
    with pytest.raises(TicketNotFound, match="GP-ZZZZZZZZ"):
        store.require("GP-ZZZZZZZZ")


def test_status_walks_the_allowed_path_and_records_history(store: TicketStore, clock: Clock) -> None:
    ticket, _ = store.create(new_ticket(), "k")
    path = [
        TicketStatus.IN_PROGRESS,
        TicketStatus.WAITING_FOR_USER,
        TicketStatus.IN_PROGRESS,
        TicketStatus.RESOLVED,
        TicketStatus.CLOSED,
    ]
    for status in path:
        clock.advance(minutes=5)
        updated, change = store.set_status(ticket.tracking_number, status, actor="agent7", note="checked")
        assert updated.status is status and change.to_status is status
        assert updated.updated_at == clock.now
    history = store.require(ticket.tracking_number).history
    assert [h.to_status for h in history] == [TicketStatus.OPEN, *path]
    assert [h.from_status for h in history[1:]] == [TicketStatus.OPEN, *path[:-1]]
    assert {h.actor for h in history[1:]} == {"agent7"}


@pytest.mark.parametrize(
    ("walk", "bad"),
    [
        ([], TicketStatus.OPEN),
        ([TicketStatus.CLOSED], TicketStatus.IN_PROGRESS),
        ([TicketStatus.RESOLVED], TicketStatus.WAITING_FOR_USER),
    ],
)
def test_invalid_transitions_are_refused_with_a_clear_error(store: TicketStore, walk, bad) -> None:
    ticket, _ = store.create(new_ticket(), "k")
    for status in walk:
        store.set_status(ticket.tracking_number, status, actor="a")
    with pytest.raises(InvalidTransition, match=f"cannot go from .* to {bad.value}; allowed"):
        store.set_status(ticket.tracking_number, bad, actor="a")
    assert len(store.require(ticket.tracking_number).history) == 1 + len(walk)


def test_set_status_of_unknown_ticket(store: TicketStore) -> None:
    with pytest.raises(TicketNotFound):
        store.set_status("GP-7K3D9Q2X", TicketStatus.CLOSED, actor="a")


def test_list_filters_newest_first(store: TicketStore, clock: Clock) -> None:
    a, _ = store.create(new_ticket("alice"), "a")
    clock.advance(minutes=1)
    b, _ = store.create(new_ticket("bob"), "b")
    store.set_status(b.tracking_number, TicketStatus.IN_PROGRESS, actor="x")
    assert [t.tracking_number for t in store.list()] == [b.tracking_number, a.tracking_number]
    assert [t.tracking_number for t in store.list(status=TicketStatus.OPEN)] == [a.tracking_number]
    assert [t.tracking_number for t in store.list(sender_id="bob")] == [b.tracking_number]
    assert len(store.list(limit=1)) == 1


def test_mark_notified(store: TicketStore, clock: Clock) -> None:
    ticket, _ = store.create(new_ticket(), "k")
    _, change = store.set_status(ticket.tracking_number, TicketStatus.IN_PROGRESS, actor="a")
    store.mark_notified(change.id, error="connection refused")
    assert store.require(ticket.tracking_number).history[-1].notify_error == "connection refused"
    store.mark_notified(change.id)
    last = store.require(ticket.tracking_number).history[-1]
    assert (last.notified_at, last.notify_error) == (clock.now, None)


def test_owner_sees_directly_others_must_confirm(store: TicketStore) -> None:
    ticket, _ = store.create(new_ticket("alice"), "k")
    number = ticket.tracking_number
    assert store.is_owner(number, "alice") and store.can_view(number, "alice")
    assert not store.can_view(number, "mallory")
    assert store.verify(number, "mallory", "0000") is VerifyOutcome.WRONG
    assert not store.can_view(number, "mallory")
    assert store.verify(number.lower(), "bob", "5678") is VerifyOutcome.VERIFIED
    assert store.can_view(number, "bob")
    assert not store.can_view(number, "mallory")


def test_full_phone_and_email_confirmations(store: TicketStore) -> None:
    phone, _ = store.create(new_ticket(contact="13812345678"), "p")
    email, _ = store.create(new_ticket(contact="li.ming@example.com", kind=ContactKind.EMAIL), "e")
    assert store.verify(phone.tracking_number, "b", "+86 138-1234-5678") is VerifyOutcome.VERIFIED
    assert store.verify(email.tracking_number, "b", "Li.Ming@Example.com") is (VerifyOutcome.VERIFIED)
    assert store.verify(email.tracking_number, "c", "example.com") is VerifyOutcome.WRONG
    assert store.verify(email.tracking_number, "c", "1234") is VerifyOutcome.WRONG


def test_three_wrong_tries_lock_out_the_guesser_not_the_others(store: TicketStore, clock: Clock) -> None:
    ticket, _ = store.create(new_ticket(), "k")
    number = ticket.tracking_number
    outcomes = [store.verify(number, "mallory", guess, "addr-m") for guess in ("1111", "2222", "3333")]
    assert outcomes == [VerifyOutcome.WRONG, VerifyOutcome.WRONG, VerifyOutcome.LOCKED]
    assert store.is_locked(number, "mallory", "addr-m")
    assert store.verify(number, "mallory", "5678", "addr-m") is VerifyOutcome.LOCKED, "even the right answer"
    # Bob, from his own conversation and address, is not locked out by mallory's tries.
    assert not store.is_locked(number, "bob", "addr-b")
    assert store.verify(number, "bob", "5678", "addr-b") is VerifyOutcome.VERIFIED
    assert store.can_view(number, "bob") and store.can_view(number, "alice")
    # A new conversation from mallory's address does not start afresh once the address is spent.
    clock.advance(minutes=61)
    assert not store.is_locked(number, "mallory", "addr-m"), "the window has passed"


def test_an_address_trying_many_conversations_and_tickets_is_stopped(store: TicketStore) -> None:
    numbers = [store.create(new_ticket(), f"k{i}")[0].tracking_number for i in range(4)]
    outcomes = [
        store.verify(numbers[i % 4], f"fresh-conversation-{i}", "0000", "addr-m")
        for i in range(store.verify_max_per_address)
    ]
    assert outcomes[-1] is VerifyOutcome.LOCKED
    assert store.verify(numbers[0], "another-new-one", "5678", "addr-m") is VerifyOutcome.LOCKED
    assert store.verify(numbers[0], "bob", "5678", "addr-b") is VerifyOutcome.VERIFIED


def test_unknown_number_answers_exactly_like_someone_elses(store: TicketStore) -> None:
    ticket, _ = store.create(new_ticket(), "k")
    guesses = ["1111", "2222", "3333", "5678"]
    real = [store.verify(ticket.tracking_number, "m", g) for g in guesses[:3]]
    unknown = [store.verify("GP-7K3D9Q2X", "m", g) for g in guesses[:3]]
    assert real == unknown
    assert store.is_locked("gp7k3d9q2x", "m")
    assert store.verify("GP-7K3D9Q2X", "m", "5678") is VerifyOutcome.LOCKED


def test_descriptions_are_stored_without_cards_ids_and_passwords(store: TicketStore) -> None:
    typed = "扣款失败 卡号6222021234567890 身份证11010519491231002X 密码是abc12345"
    ticket, _ = store.create(replace(new_ticket(), description=typed), "k-secrets")
    stored = store.require(ticket.tracking_number).description
    for gone in ("6222021234567890", "11010519491231002X", "abc12345"):
        assert gone not in stored
    assert "扣款失败" in stored and "7890" in stored
