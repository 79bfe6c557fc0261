"""Dashboard figures from conversations, handoffs and tickets built in the test."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from support.conversations import T0, action, pause, session_started, user

from gopay_support.core import analytics
from gopay_support.core.contact import ContactKind
from gopay_support.core.handoff.model import Handoff, HandoffStatus, Reason
from gopay_support.core.tickets.model import Priority, Ticket, TicketStatus

UTC = timezone.utc
PERIOD = analytics.Period(date(2025, 12, 1), date(2025, 12, 2), "Asia/Shanghai")


def at(seconds: float) -> datetime:
    return datetime.fromtimestamp(T0 + seconds, tz=UTC)


def handoff(
    id_: int, created: float, claimed: float | None, resolved: float | None, csat: int | None
) -> Handoff:
    return Handoff(
        id=id_,
        sender_id=f"s{id_}",
        channel="webchat",
        language="zh",
        priority=Priority.NORMAL,
        reason=Reason.REQUESTED,
        status=HandoffStatus.RESOLVED if resolved else HandoffStatus.WAITING,
        agent="alice",
        ticket_number=None,
        transcript=(),
        created_at=at(created),
        claimed_at=at(claimed) if claimed is not None else None,
        resolved_at=at(resolved) if resolved is not None else None,
        csat_rating=csat,
        csat_at=at(resolved + 10) if csat and resolved else None,
    )


def ticket(number: str, status: TicketStatus, created: datetime) -> Ticket:
    return Ticket(
        tracking_number=number,
        category="topup",
        description="-",
        contact="13812345678",
        contact_kind=ContactKind.PHONE,
        transaction_id=None,
        problem_time=None,
        language="zh",
        channel="webchat",
        sender_id="s",
        priority=Priority.NORMAL,
        status=status,
        created_at=created,
        updated_at=created,
    )


EVENTS = {
    # contained: an FAQ answered
    "webchat:a": [user("充值失败了", "faq", T0 + 10, topic="faq/topup_failed", language="zh")],
    # not contained: the last message was not understood
    "telegram:1": [
        user(
            "withdrawal late", "faq", T0 + 20, channel="telegram", topic="faq/withdraw_delayed", language="en"
        ),
        user("blorp", "nlu_fallback", T0 + 30, channel="telegram", language="en"),
    ],
    # handed off (paused), second session the next day is contained
    "webchat:b": [
        user("转人工", "human_handoff", T0 + 40, language="zh"),
        action("action_handoff", T0 + 41),
        pause(T0 + 41),
        session_started(T0 + 86400),
        user("退款没到", "faq", T0 + 86400 + 5, topic="faq/refund_failed", language="zh"),
    ],
    # asked for a person, nobody available (no pause): not contained, not handed off
    "webchat:c": [user("人工客服", "human_handoff", T0 + 50, language="zh")],
    # only system events: no conversation
    "webchat:d": [user("EXTERNAL: x", "EXTERNAL_ticket_update", T0 + 60)],
}


def test_conversations_split_sessions_and_know_channel_language_topics():
    found = analytics.conversations(EVENTS)
    assert len(found) == 5
    by = {(c.sender_id, c.started_at): c for c in found}
    first_b = by[("webchat:b", at(40))]
    assert first_b.handed_off and first_b.asked_for_person and not first_b.contained
    second_b = by[("webchat:b", at(86405))]
    assert second_b.contained and second_b.topics == ("faq/refund_failed",)
    tg = by[("telegram:1", at(20))]
    assert tg.channel == "telegram" and tg.language == "en" and not tg.contained
    assert tg.topics == ("faq/withdraw_delayed",)


def test_dashboard_counts_containment_waits_csat_and_tickets():
    found = analytics.conversations(EVENTS)
    handoffs = [
        handoff(1, 40, 100, 400, 5),  # waited 60 s, handled 300 s
        handoff(2, 50, 230, 530, 3),  # waited 180 s, handled 300 s
        handoff(3, 60, None, None, None),  # still waiting
    ]
    now = at(86400 * 1.5)
    tickets = [
        ticket("GP-00000001", TicketStatus.OPEN, now - timedelta(hours=2)),
        ticket("GP-00000002", TicketStatus.IN_PROGRESS, now - timedelta(days=1, hours=10)),
        ticket("GP-00000003", TicketStatus.RESOLVED, now - timedelta(days=1)),
        ticket("GP-00000004", TicketStatus.OPEN, now - timedelta(days=40)),  # outside the period
    ]
    board = analytics.build(PERIOD, found, handoffs, tickets, now)
    assert board.conversations == 5
    assert board.contained == 2 and board.containment_rate == 2 / 5
    assert board.handed_off == 1 and board.handoff_rate == 1 / 5
    assert board.asked_for_person == 2
    assert board.by_channel == {"webchat": 4, "telegram": 1}
    assert board.by_language == {"zh": 4, "en": 1}
    assert board.topics == {
        "human_handoff": 2,
        "faq/topup_failed": 1,
        "faq/withdraw_delayed": 1,
        "faq/refund_failed": 1,
    }
    assert board.median_wait_seconds == 120 and board.median_handling_seconds == 300
    assert board.csat_distribution == {"1": 0, "2": 0, "3": 1, "4": 0, "5": 1} and board.csat_average == 4
    assert board.tickets_by_status["open"] == 1 and board.tickets_by_status["resolved"] == 1
    assert board.open_tickets_by_age == {"<1d": 1, "1-3d": 1, "3-7d": 0, ">7d": 0}
    day1, day2 = board.by_day.values()
    assert day1["conversations"] == 4 and day2["conversations"] == 1
    assert day1["channels"] == {"webchat": 3, "telegram": 1}
    rows = analytics.csv_rows(board)
    assert rows[0][0] == "date" and rows[1][0] == "2025-12-01" and rows[3][:2] == ["total", "5"]


def test_a_conversation_outside_the_period_is_not_counted():
    found = analytics.conversations({"x": [user("hi", "greet", T0 - 86400 * 3)]})
    board = analytics.build(PERIOD, found, [], [], at(0))
    assert board.conversations == 0 and board.containment_rate is None and board.csat_average is None
