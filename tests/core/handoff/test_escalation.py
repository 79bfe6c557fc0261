"""The escalation rule on real stores (SQLite): who can take a conversation, which ticket
carries it, queue place and wait."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from support.clock import Clock

from gopay_support.adapters.db import AgentSessions, Database, HandoffStore, TicketStore
from gopay_support.core.contact import ContactKind
from gopay_support.core.handoff.escalation import Escalation, Queued, Request, Unavailable
from gopay_support.core.handoff.model import Priority, Reason
from gopay_support.core.hours import ServiceHours
from gopay_support.core.settings import HandoffSettings
from gopay_support.core.tickets.model import NewTicket, TicketStatus

SHANGHAI = timezone(timedelta(hours=8))
WEEKDAY_MORNING = datetime(2026, 11, 25, 10, 0, tzinfo=SHANGHAI)


def user(text: str, ts: float = 1.0) -> dict:
    return {"event": "user", "text": text, "timestamp": ts, "parse_data": {"language": "zh"}}


@pytest.fixture
def escalation(db: Database, clock: Clock) -> Escalation:
    return make_escalation(db, clock)


def make_escalation(db: Database, clock: Clock, **handoff: int) -> Escalation:
    sessions = AgentSessions(db, clock=clock)
    return Escalation(
        HandoffStore(db, clock),
        sessions,
        TicketStore(db, clock=clock),
        ServiceHours(),
        HandoffSettings(**handoff),
    )


def request(sender: str = "web-1", reason: Reason = Reason.REQUESTED, events=None) -> Request:
    events = (
        events
        if events is not None
        else [
            user("我的手机是13812345678，充值失败了", 1.0),
            {"event": "bot", "text": "充值失败通常是…", "timestamp": 2.0},
            user("我要人工客服", 3.0),
        ]
    )
    return Request(
        sender_id=sender, channel="webchat", language="zh", reason=reason, events=events, category="topup"
    )


def test_nobody_on_duty_means_unavailable_and_no_ticket(escalation):
    assert escalation.escalate(request(), WEEKDAY_MORNING) == Unavailable("no_agent")
    assert escalation.tickets.list(sender_id="web-1") == []
    assert escalation.handoffs.queue() == []


def test_a_full_queue_is_unavailable(db, clock):
    escalation = make_escalation(db, clock, queue_limit=1)
    escalation.presence.create("alice")
    assert isinstance(escalation.escalate(request("a"), WEEKDAY_MORNING), Queued)
    assert escalation.escalate(request("b"), WEEKDAY_MORNING) == Unavailable("queue_full")


def test_escalation_files_a_ticket_with_the_masked_transcript(escalation):
    escalation.presence.create("alice")
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
    escalation.presence.create("alice")
    existing, _ = escalation.tickets.create(
        NewTicket(
            category="refund",
            description="refund missing",
            contact="a@example.com",
            contact_kind=ContactKind.EMAIL,
            sender_id="web-1",
        ),
        "key-1",
    )
    outcome = escalation.escalate(request(), WEEKDAY_MORNING)
    assert outcome.ticket_number == existing.tracking_number
    escalation.tickets.set_status(existing.tracking_number, TicketStatus.RESOLVED, actor="t")
    escalation.handoffs.claim(outcome.place.handoff.id, "alice")
    escalation.handoffs.resolve(outcome.place.handoff.id, "alice", "ok")
    later = escalation.escalate(request(events=[user("人工", 9.0)]), WEEKDAY_MORNING)
    assert later.ticket_number != existing.tracking_number  # resolved tickets are not reused


def test_compromised_accounts_are_high_priority(escalation):
    escalation.presence.create("alice")
    escalation.escalate(request("a"), WEEKDAY_MORNING)
    hacked = escalation.escalate(request("b", Reason.ACCOUNT_COMPROMISED), WEEKDAY_MORNING)
    assert hacked.place.position == 1 and hacked.place.handoff.priority is Priority.HIGH
