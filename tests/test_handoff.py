"""Handoff logic on a real SQLite database: queue order and positions, ownership, transfer,
resolve and CSAT, wait estimates, escalation decisions, transcripts, canned answers."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from console.passwords import hash_password, verify_password
from gopay_support.config import settings
from gopay_support.db import Database
from gopay_support.handoff import canned, transcript
from gopay_support.handoff.escalation import Escalation, Queued, Request, Unavailable
from gopay_support.handoff.model import Priority, Reason, Status
from gopay_support.handoff.sessions import AgentSessions
from gopay_support.handoff.store import HandoffStore, InvalidState, NotOwner
from gopay_support.handoff.wait import estimate
from gopay_support.tickets import NewTicket, TicketStore
from gopay_support.tickets import Status as TicketStatus
from gopay_support.tickets.model import ContactKind

SHANGHAI = timezone(timedelta(hours=8))
#: Wednesday 10:00 and 21:00 in Shanghai (the default service time zone).
WEEKDAY_MORNING = datetime(2026, 11, 25, 10, 0, tzinfo=SHANGHAI)
WEEKDAY_EVENING = datetime(2026, 11, 25, 21, 0, tzinfo=SHANGHAI)


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 25, 2, 0, tzinfo=timezone.utc)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch):
    """Set environment variables for settings() and refresh the cached settings."""
    def apply(**values: str) -> None:
        for key, value in values.items():
            monkeypatch.setenv(key, value)
        settings.cache_clear()

    yield apply
    settings.cache_clear()


@pytest.fixture
def db(tmp_path: Path) -> Database:
    database = Database(f"sqlite:///{tmp_path / 'app.db'}")
    yield database
    database.dispose()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(db: Database, clock: Clock) -> HandoffStore:
    return HandoffStore(db, clock)


def queued(store: HandoffStore, sender: str, reason: Reason = Reason.REQUESTED):
    return store.enqueue(sender_id=sender, channel="webchat", language="zh", reason=reason,
                         transcript=[], ticket_number=None)


def user(text: str, ts: float = 1.0) -> dict:
    return {"event": "user", "text": text, "timestamp": ts, "parse_data": {"language": "zh"}}


# -- queue --------------------------------------------------------------------------------


def test_high_priority_goes_before_normal_and_order_is_first_come(store, clock):
    assert queued(store, "a").position == 1
    clock.advance(seconds=1)
    assert queued(store, "b").position == 2
    clock.advance(seconds=1)
    hacked = queued(store, "c", Reason.ACCOUNT_COMPROMISED)
    assert hacked.position == 1 and hacked.handoff.priority is Priority.HIGH
    assert [p.handoff.sender_id for p in store.queue()] == ["c", "a", "b"]
    assert [p.position for p in store.queue()] == [1, 2, 3]


def test_asking_again_keeps_the_place_and_raises_priority(store, clock):
    queued(store, "a")
    clock.advance(seconds=1)
    first = queued(store, "b")
    again = queued(store, "b")
    assert not again.created and again.handoff.id == first.handoff.id and again.position == 2
    raised = queued(store, "b", Reason.ACCOUNT_COMPROMISED)
    assert raised.position == 1 and raised.handoff.priority is Priority.HIGH


def test_only_the_claiming_agent_may_act(store):
    handoff = queued(store, "a").handoff
    assert store.claim(handoff.id, "alice").status is Status.ACTIVE
    assert store.claim(handoff.id, "alice").agent == "alice"  # idempotent for the owner
    for attempt in (lambda: store.claim(handoff.id, "bob"),
                    lambda: store.add_note(handoff.id, "bob", "x"),
                    lambda: store.transfer(handoff.id, "bob", "carol"),
                    lambda: store.resolve(handoff.id, "bob", "done"),
                    lambda: store.require_owner(handoff.id, "bob")):
        with pytest.raises(NotOwner):
            attempt()
    assert store.get(handoff.id).agent == "alice"


def test_owner_only_actions_need_a_claim_first(store):
    handoff = queued(store, "a").handoff
    with pytest.raises(NotOwner):
        store.add_note(handoff.id, "alice", "note")


def test_transfer_hands_ownership_over_and_is_recorded(store):
    handoff = queued(store, "a").handoff
    store.claim(handoff.id, "alice")
    store.add_note(handoff.id, "alice", "asked for the transaction id")
    assert store.transfer(handoff.id, "alice", "bob").agent == "bob"
    with pytest.raises(NotOwner):
        store.add_note(handoff.id, "alice", "too late")
    store.add_note(handoff.id, "bob", "checking")
    assert [(t.from_agent, t.to_agent) for t in store.transfers(handoff.id)] == [("alice", "bob")]
    assert [n.agent for n in store.notes(handoff.id)] == ["alice", "bob"]


def test_resolve_then_rating_is_stored_once_on_the_latest_resolved(store):
    handoff = queued(store, "a").handoff
    store.claim(handoff.id, "alice")
    assert store.rate("a", 5) is None  # not resolved yet: nothing to rate
    resolved = store.resolve(handoff.id, "alice", "refund re-sent")
    assert resolved.status is Status.RESOLVED and resolved.resolution == "refund re-sent"
    assert store.resolve(handoff.id, "alice", "again").status is Status.RESOLVED  # retry
    with pytest.raises(InvalidState):
        store.claim(handoff.id, "alice")
    assert store.rate("a", 4).csat_rating == 4
    assert store.rate("a", 2) is None  # already rated
    assert store.get(handoff.id).csat_rating == 4
    with pytest.raises(ValueError):
        store.rate("a", 6)
    assert queued(store, "a").created  # a new request after resolving is a new handoff


# -- wait estimate ---------------------------------------------------------------------------


def test_wait_is_shorter_in_staffed_hours_and_shared_by_agents(env):
    env(GOPAY_HANDOFF_MINUTES="3/10")
    staffed = estimate(2, 1, WEEKDAY_MORNING)
    assert (staffed.minutes, staffed.busy_period) == (6, False)
    assert estimate(2, 2, WEEKDAY_MORNING).minutes == 3
    evening = estimate(2, 1, WEEKDAY_EVENING)
    assert (evening.minutes, evening.busy_period) == (20, True)
    saturday = estimate(1, 1, WEEKDAY_MORNING + timedelta(days=3))
    assert saturday.busy_period


def test_holidays_and_time_zone_come_from_configuration(env):
    env(GOPAY_HOLIDAYS="2026-11-25")
    assert estimate(1, 1, WEEKDAY_MORNING).busy_period
    env(GOPAY_HOLIDAYS="", GOPAY_SERVICE_TZ="Europe/Berlin")  # 10:00 Shanghai = 03:00 Berlin
    assert estimate(1, 1, WEEKDAY_MORNING).busy_period


# -- escalation --------------------------------------------------------------------------------


@pytest.fixture
def escalation(db: Database, store: HandoffStore, clock: Clock, tmp_path: Path):
    tickets = TicketStore(db.url)
    yield Escalation(store, AgentSessions(db, clock), tickets)
    tickets.dispose()


def request(sender: str = "web-1", reason: Reason = Reason.REQUESTED, events=None) -> Request:
    events = events if events is not None else [
        user("我的手机是13812345678，充值失败了", 1.0),
        {"event": "bot", "text": "充值失败通常是…", "timestamp": 2.0},
        user("我要人工客服", 3.0),
    ]
    return Request(sender_id=sender, channel="webchat", language="zh", reason=reason,
                   events=events, category="topup")


def test_nobody_on_duty_means_unavailable_and_no_ticket(escalation):
    assert escalation.escalate(request(), WEEKDAY_MORNING) == Unavailable("no_agent")
    assert escalation.tickets.list(sender_id="web-1") == []
    assert escalation.handoffs.queue() == []


def test_a_full_queue_is_unavailable(escalation, env):
    env(GOPAY_HANDOFF_QUEUE_LIMIT="1")
    escalation.sessions.create("alice")
    assert isinstance(escalation.escalate(request("a"), WEEKDAY_MORNING), Queued)
    assert escalation.escalate(request("b"), WEEKDAY_MORNING) == Unavailable("queue_full")


def test_escalation_files_a_ticket_with_the_masked_transcript(escalation):
    escalation.sessions.create("alice")
    outcome = escalation.escalate(request(), WEEKDAY_MORNING)
    assert isinstance(outcome, Queued) and outcome.place.position == 1
    ticket = escalation.tickets.require(outcome.ticket_number)
    assert ticket.category == "topup" and ticket.channel == "webchat"
    assert "13812345678" not in ticket.description and "138****5678" in ticket.description
    assert "我要人工客服" in ticket.description
    assert ticket.contact == "13812345678"  # the contact itself is the ticket's, as in the form
    stored = escalation.handoffs.get(outcome.place.handoff.id)
    assert all("13812345678" not in turn.text for turn in stored.transcript)
    again = escalation.escalate(request(), WEEKDAY_MORNING)
    assert again.ticket_number == outcome.ticket_number and not again.place.created


def test_escalation_links_the_senders_unfinished_ticket(escalation):
    escalation.sessions.create("alice")
    existing, _ = escalation.tickets.create(
        NewTicket(category="refund", description="refund missing", contact="a@example.com",
                  contact_kind=ContactKind.EMAIL, sender_id="web-1"), "key-1")
    outcome = escalation.escalate(request(), WEEKDAY_MORNING)
    assert outcome.ticket_number == existing.tracking_number
    escalation.tickets.set_status(existing.tracking_number, TicketStatus.RESOLVED, actor="t")
    escalation.handoffs.claim(outcome.place.handoff.id, "alice")
    escalation.handoffs.resolve(outcome.place.handoff.id, "alice", "ok")
    later = escalation.escalate(request(events=[user("人工", 9.0)]), WEEKDAY_MORNING)
    assert later.ticket_number != existing.tracking_number  # resolved tickets are not reused


def test_compromised_accounts_are_high_priority(escalation):
    escalation.sessions.create("alice")
    escalation.escalate(request("a"), WEEKDAY_MORNING)
    hacked = escalation.escalate(request("b", Reason.ACCOUNT_COMPROMISED), WEEKDAY_MORNING)
    assert hacked.place.position == 1 and hacked.place.handoff.priority is Priority.HIGH


def test_presence_expires_after_the_window(escalation, clock, env):
    env(GOPAY_HANDOFF_PRESENCE_SECONDS="60")
    token, _ = escalation.sessions.create("alice")
    assert escalation.sessions.agents_on_duty() == 1
    clock.advance(seconds=61)
    assert escalation.sessions.agents_on_duty() == 0
    escalation.sessions.resume(token)
    assert escalation.sessions.agents_on_duty() == 1


# -- sessions and passwords ------------------------------------------------------------------


def test_sessions_expire_when_idle_and_absolutely_and_end_at_logout(db, clock, env):
    env(GOPAY_CONSOLE_IDLE_MINUTES="30", GOPAY_CONSOLE_SESSION_MINUTES="60")
    sessions = AgentSessions(db, clock)
    token, session = sessions.create("alice")
    assert sessions.resume(token).csrf_token == session.csrf_token
    clock.advance(minutes=29)
    assert sessions.resume(token) is not None
    clock.advance(minutes=29)
    assert sessions.resume(token) is not None  # used 29 min ago: not idle
    clock.advance(minutes=3)
    assert sessions.resume(token) is None  # 61 min after login
    token, _ = sessions.create("alice")
    clock.advance(minutes=31)
    assert sessions.resume(token) is None  # idle
    token, _ = sessions.create("alice")
    sessions.end(token)
    assert sessions.resume(token) is None
    assert sessions.resume("forged") is None and sessions.resume(None) is None


def test_passwords_are_salted_scrypt_hashes():
    first, second = hash_password("correct horse"), hash_password("correct horse")
    assert first != second and first.startswith("scrypt$") and "correct" not in first
    assert verify_password("correct horse", first)
    assert not verify_password("wrong horse", first)
    assert not verify_password("correct horse", "plain:correct horse")


# -- transcripts and canned answers ---------------------------------------------------------


def test_transcript_masks_and_separates_agents_from_the_bot():
    events = [
        user("my card 6222 0212 3456 7890 and mail li.lei@example.com"),
        {"event": "user", "text": "EXTERNAL: EXTERNAL_ticket_update"},
        {"event": "bot", "text": "hello"},
        {"event": "bot", "text": "I'm Alice", "metadata": {transcript.AGENT_KEY: "alice"}},
        {"event": "action", "name": "action_listen"},
    ]
    turns = transcript.turns(events)
    assert [t.role for t in turns] == ["user", "bot", "agent"]
    assert "7890" in turns[0].text and "6222 0212" not in turns[0].text
    assert "li.lei@example.com" not in turns[0].text
    assert turns[2].agent == "alice"
    assert transcript.loads(transcript.dumps(turns)) == tuple(turns)


def test_canned_answers_follow_the_conversation_language(env):
    env(GOPAY_SUPPORT_PHONE="400-000-0000")
    zh = {a.key: a for a in canned.answers("zh")}
    en = {a.key: a for a in canned.answers("en")}
    assert set(zh) == set(en) and "faq/topup_failed" in zh
    assert "充值" in zh["faq/topup_failed"].text and zh["faq/topup_failed"].title == "充值失败/未到账"
    assert "top-up" in en["faq/topup_failed"].text.lower()
    assert all("{support_phone}" not in a.text for a in zh.values())
    assert any("400-000-0000" in a.text for a in en.values())
