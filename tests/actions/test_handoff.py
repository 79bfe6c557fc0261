"""Escalation to a person and the CSAT rating, on fixture trackers and a real SQLite store."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import pytest
from support.actions import conversation, responses, run, services, use_services, user_turn
from support.clock import Clock
from support.services import make_services, sqlite_url

from actions.handoff import ActionCsatRate, ActionHandoff, ActionHandoffResumed
from gopay_support.core.contact import ContactKind
from gopay_support.core.handoff.model import HandoffStatus, Priority
from gopay_support.core.hours import ServiceHours
from gopay_support.core.tickets.model import NewTicket

SHANGHAI = timezone(timedelta(hours=8))
#: Wednesday 10:00 in Shanghai: staffed hours unless it is a holiday.
WEDNESDAY_MORNING = datetime(2026, 11, 25, 10, 0, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def _services(tmp_path) -> Iterator[None]:
    built = make_services(sqlite_url(tmp_path), clock=Clock(WEDNESDAY_MORNING))
    use_services(built)
    yield
    built.database.dispose()


def ask_for_agent(sender: str = "rest:a", intent: str = "human_handoff", language: str = "zh"):
    tracker = conversation(sender, user_turn("我要人工客服", intent, 1.0), language=language)
    return run(ActionHandoff(services()), tracker)


def test_with_an_agent_on_duty_the_conversation_is_queued_and_the_bot_paused() -> None:
    services().agent_sessions.create("alice")
    _, messages, events = ask_for_agent()
    assert responses(messages) == ["utter_handoff_queued"]
    assert messages[0]["position"] == 1 and messages[0]["staffed_hours"] == "9:00-18:00"
    assert [e["event"] for e in events] == ["pause"]
    place = services().handoffs.queue()[0]
    assert place.handoff.sender_id == "rest:a" and place.handoff.status is HandoffStatus.WAITING


def test_without_an_agent_the_user_is_offered_a_ticket_and_the_bot_stays() -> None:
    _, messages, events = ask_for_agent()
    assert responses(messages) == ["utter_handoff_unavailable"] and events == []


def test_without_an_agent_right_after_a_ticket_the_answer_points_to_that_ticket() -> None:
    ticket, _ = services().tickets.create(
        NewTicket(
            category="topup",
            description="充值失败",
            contact="13812345678",
            contact_kind=ContactKind.PHONE,
            sender_id="rest:a",
        ),
        "just-filed",
    )
    _, messages, events = ask_for_agent()
    assert responses(messages) == ["utter_handoff_unavailable_ticket"] and events == []
    assert messages[0]["ticket_id"] == ticket.tracking_number


def test_a_compromised_account_is_queued_first() -> None:
    services().agent_sessions.create("alice")
    ask_for_agent("rest:a")
    ask_for_agent("rest:b", intent="account_compromised")
    first = services().handoffs.queue()[0].handoff
    assert (first.sender_id, first.priority) == ("rest:b", Priority.HIGH)


def test_on_a_holiday_the_wait_is_announced_as_a_busy_period(tmp_path) -> None:
    holiday = ServiceHours(holidays=("2026-11-25",))
    use_services(
        make_services(sqlite_url(tmp_path, "holiday.db"), clock=Clock(WEDNESDAY_MORNING), hours=holiday)
    )
    services().agent_sessions.create("alice")
    _, messages, _ = ask_for_agent()
    assert responses(messages) == ["utter_handoff_queued_busy"]


def test_the_rating_prompt_offers_one_to_five_and_a_rating_is_stored_once() -> None:
    _, messages, _ = run(
        ActionHandoffResumed(services()), conversation("rest:a", user_turn("x", "greet", 1.0))
    )
    assert [b["title"] for b in messages[0]["buttons"]] == ["1", "2", "3", "4", "5"]
    services().agent_sessions.create("alice")
    ask_for_agent()
    handoff = services().handoffs.queue()[0].handoff
    services().handoffs.claim(handoff.id, "alice")
    services().handoffs.resolve(handoff.id, "alice", "done")
    rate = user_turn("4", "csat_rate", 2.0, entities=[{"entity": "csat_rating", "value": "4"}])
    _, messages, _ = run(ActionCsatRate(services()), conversation("rest:a", rate))
    assert responses(messages) == ["utter_csat_thanks"]
    assert services().handoffs.get(handoff.id).csat_rating == 4


@pytest.mark.parametrize("value", ["0", "6", "five", None])
def test_ratings_outside_one_to_five_are_ignored(value: str | None) -> None:
    entities = [] if value is None else [{"entity": "csat_rating", "value": value}]
    _, messages, _ = run(
        ActionCsatRate(services()),
        conversation("rest:a", user_turn("x", "csat_rate", 1.0, entities=entities)),
    )
    assert messages == []


def test_a_typed_number_without_a_handoff_to_rate_is_out_of_scope() -> None:
    typed = user_turn("3", "csat_rate", 1.0, entities=[{"entity": "csat_rating", "value": "3"}])
    _, messages, _ = run(ActionCsatRate(services()), conversation("rest:a", typed))
    assert responses(messages) == ["utter_out_of_scope"]
    pressed = user_turn(
        '/csat_rate{"csat_rating": "3"}', "csat_rate", 1.0, entities=[{"entity": "csat_rating", "value": "3"}]
    )
    _, messages, _ = run(ActionCsatRate(services()), conversation("rest:a", pressed))
    assert responses(messages) == ["utter_csat_thanks"]


def test_a_hand_back_that_reached_the_conversation_twice_asks_for_the_rating_once() -> None:
    key = [{"entity": "gopay_outbox_key", "value": "hand-back:3"}]

    def back(ts: float) -> dict:
        return user_turn("EXTERNAL: EXTERNAL_handoff_resolved", "EXTERNAL_handoff_resolved", ts, entities=key)

    _, first, _ = run(ActionHandoffResumed(services()), conversation("rest:a", back(1.0)))
    assert responses(first) == ["utter_handoff_resolved"]
    _, again, _ = run(ActionHandoffResumed(services()), conversation("rest:a", back(1.0), back(2.0)))
    assert again == []
