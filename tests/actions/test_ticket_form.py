"""The ticket form actions on trackers from tests/fixtures/ticket_trackers.json, with a real
CollectingDispatcher, the real domain and a real SQLite ticket store."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from support.actions import responses, run, services, tracker, use_services
from support.clock import Clock
from support.services import make_services, sqlite_url

from actions.ticket_form import (
    CANCELLED,
    CONTACT_FAILED,
    FORM_SLOTS,
    SKIPPED,
    AskTicketCategory,
    AskTicketConfirmed,
    SubmitTicket,
    ValidateTicketForm,
)
from gopay_support.core.contact import ContactKind
from gopay_support.core.hours import ServiceHours
from gopay_support.core.settings import TicketSettings


def form_turn(
    slot: str,
    text: str,
    intent: str = "out_of_scope",
    value: Any = None,
    slots: dict | None = None,
    **kw: Any,
) -> tuple[dict, list[dict]]:
    tr = tracker(
        "ticket_form_running",
        slots={"requested_slot": slot, **(slots or {})},
        turn=(text, intent),
        slot_value=(slot, text if value is None else value),
        **kw,
    )
    slots_out, messages, _ = run(ValidateTicketForm(services()), tr)
    return slots_out, messages


# -- the ticket form -------------------------------------------------------------------


def test_category_is_prefilled_from_the_faq_asked_just_before() -> None:
    tr = tracker("faq_then_open_ticket")
    slots, messages, _ = run(ValidateTicketForm(services()), tr)
    assert slots["ticket_category"] == "topup"
    assert messages[0]["response"] == "utter_ticket_category_prefilled"
    assert messages[0]["category"] == "充值"


def test_no_prefill_from_answers_typed_into_an_earlier_form() -> None:
    tr = tracker("faq_then_open_ticket")
    # the FAQ-like message was a description in a ticket form that has ended since
    last_user = max(i for i, e in enumerate(tr.events) if e["event"] == "user")
    tr.events.insert(last_user, {"event": "active_loop", "name": None, "timestamp": 1.0})
    slots, messages, _ = run(ValidateTicketForm(services()), tr)
    assert "ticket_category" not in slots and messages == []


def test_no_prefill_without_a_preceding_topic() -> None:
    tr = tracker("status_form_activation")  # no FAQ before
    slots, messages, _ = run(ValidateTicketForm(services()), tr)
    assert "ticket_category" not in slots and messages == []


def test_category_buttons_follow_the_language() -> None:
    _, messages, _ = run(AskTicketCategory(services()), tracker("ticket_form_running"))
    assert messages[0]["response"] == "utter_ask_ticket_category"
    titles = [b["title"] for b in messages[0]["buttons"]]
    assert titles[1] == "Top-up" and len(titles) == 7
    assert messages[0]["buttons"][1]["payload"] == '/ticket_choose{"ticket_choice":"topup"}'


@pytest.mark.parametrize(
    ("text", "expected"), [("topup", "topup"), ("提现", "withdrawal"), ("my account was hacked", "security")]
)
def test_category_from_button_or_words(text: str, expected: str) -> None:
    slots, _ = form_turn("ticket_category", text)
    assert slots["ticket_category"] == expected


def test_unknown_category_reprompts() -> None:
    slots, messages = form_turn("ticket_category", "天气怎么样")
    assert slots["ticket_category"] is None
    assert responses(messages) == ["utter_ticket_category_invalid"]


def test_vague_description_gets_the_hint_and_is_asked_again() -> None:
    slots, messages = form_turn("ticket_description", "我不能用了")
    assert slots["ticket_description"] is None
    assert responses(messages) == ["utter_ticket_description_vague"]


def test_too_long_description_is_refused_with_the_limit(tmp_path) -> None:
    use_services(
        make_services(sqlite_url(tmp_path, "limits.db"), tickets=TicketSettings(description_max_chars=50))
    )
    slots, messages = form_turn("ticket_description", "充值失败了钱没到账" * 10)
    assert slots["ticket_description"] is None
    assert messages == [{**messages[0], "response": "utter_ticket_description_too_long", "max_chars": 50}]


def test_clear_description_is_kept() -> None:
    slots, messages = form_turn(
        "ticket_description", "充值了100元但是没到账", intent="faq", faq_key="faq/topup_failed"
    )
    assert slots["ticket_description"] == "充值了100元但是没到账" and messages == []


def test_faq_question_mid_form_is_answered_and_the_slot_asked_again() -> None:
    slots, messages = form_turn(
        "ticket_description", "客服几点上班？", intent="faq", faq_key="faq/service_hours"
    )
    assert slots["ticket_description"] is None
    assert responses(messages) == ["utter_faq/service_hours"]


@pytest.mark.parametrize("text", ["算了", "cancel", "never mind"])
def test_cancel_at_any_step_closes_the_form(text: str) -> None:
    for slot in (
        "ticket_category",
        "ticket_description",
        "ticket_contact",
        "ticket_transaction_id",
        "ticket_confirmed",
    ):
        slots, _ = form_turn(slot, text, intent="deny")
        assert slots["ticket_confirmed"] == CANCELLED
        assert slots["requested_slot"] is None


def test_valid_contact_is_normalised_and_shown_back_masked() -> None:
    slots, messages = form_turn("ticket_contact", "我的手机是 138 1234 5678")
    assert slots["ticket_contact"] == "13812345678"
    assert messages[0]["response"] == "utter_ticket_contact_ok"
    assert messages[0]["contact"] == "138****5678"


def test_three_invalid_contacts_end_the_form() -> None:
    slots, messages = form_turn("ticket_contact", "12345")
    assert slots == {"ticket_contact": None, "ticket_contact_failures": 1}
    assert responses(messages) == ["utter_ticket_contact_invalid"]
    slots, _ = form_turn("ticket_contact", "abc", slots={"ticket_contact_failures": 1})
    assert slots["ticket_contact_failures"] == 2
    slots, messages = form_turn("ticket_contact", "abc@", slots={"ticket_contact_failures": 2})
    assert slots["ticket_confirmed"] == CONTACT_FAILED and slots["requested_slot"] is None
    assert messages == []


@pytest.mark.parametrize(
    ("text", "intent", "expected"),
    [
        ("skip", "ticket_choose", "-"),
        ("没有", "deny", "-"),
        ("交易号 TX20261124001", "out_of_scope", "TX20261124001"),
    ],
)
def test_optional_transaction_id(text: str, intent: str, expected: str) -> None:
    slots, _ = form_turn("ticket_transaction_id", text, intent=intent)
    assert slots["ticket_transaction_id"] == expected


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("edit_contact", "ticket_contact"),
        ("修改描述", "ticket_description"),
        ("change the time please", "ticket_problem_time"),
    ],
)
def test_correcting_a_field_clears_it_and_the_confirmation(text: str, field: str) -> None:
    slots, _ = form_turn("ticket_confirmed", text, intent="ticket_choose")
    assert slots == {field: None, "ticket_confirmed": None}


@pytest.mark.parametrize(
    ("slot", "text", "intent", "cleared"),
    [
        ("ticket_description", "改一下类别", "deny", "ticket_category"),
        ("ticket_contact", "wrong category", "deny", "ticket_category"),
        ("ticket_transaction_id", "联系方式写错了", "out_of_scope", "ticket_contact"),
    ],
)
def test_correction_mid_form_clears_the_earlier_field_and_does_not_cancel(
    slot: str, text: str, intent: str, cleared: str
) -> None:
    filled = {
        "ticket_category": "topup",
        "ticket_description": "充值了100元但是没到账",
        "ticket_contact": "13812345678",
    }
    slots, messages = form_turn(
        slot, text, intent=intent, slots={k: v for k, v in filled.items() if k != slot}
    )
    assert slots == {cleared: None, slot: None} and messages == []


def test_correction_of_the_field_being_asked_just_asks_again() -> None:
    slots, messages = form_turn(
        "ticket_contact", "改一下联系方式", intent="faq", faq_key="faq/contact_channels"
    )
    assert slots == {"ticket_contact": None} and messages == []


def test_a_long_answer_classified_as_deny_is_an_answer_not_a_cancel() -> None:
    text = "不是我充值的那笔，是另一笔100元的充值一直没有到账，已经两天了"
    slots, _ = form_turn("ticket_description", text, intent="deny")
    assert slots == {"ticket_description": text}


@pytest.mark.parametrize("text", ["不用了", "not now", "不了"])
def test_explicit_refusal_words_cancel(text: str) -> None:
    slots, _ = form_turn("ticket_description", text, intent="deny")
    assert slots["ticket_confirmed"] == CANCELLED


def test_a_vague_answer_classified_as_deny_gets_the_hint_not_a_cancel() -> None:
    slots, messages = form_turn("ticket_description", "我不能用了", intent="deny")
    assert slots == {"ticket_description": None}
    assert responses(messages) == ["utter_ticket_description_vague"]


@pytest.mark.parametrize("text", ["nope", "先不提交"])
def test_a_short_deny_at_the_confirmation_cancels(text: str) -> None:
    slots, _ = form_turn("ticket_confirmed", text, intent="deny")
    assert slots["ticket_confirmed"] == CANCELLED


@pytest.mark.parametrize("text", ["不对", "something is wrong"])
def test_an_unspecified_correction_at_the_confirmation_shows_the_choices(text: str) -> None:
    slots, messages = form_turn("ticket_confirmed", text, intent="deny")
    assert slots == {"ticket_confirmed": None}
    assert responses(messages) == ["utter_ticket_confirm_help"]


def test_confirmation_correction_wins_over_affirm() -> None:
    slots, _ = form_turn("ticket_confirmed", "好的，不过时间改一下", intent="affirm")
    assert slots == {"ticket_problem_time": None, "ticket_confirmed": None}


def test_confirmation_summary_masks_personal_data() -> None:
    card = "6222021234567890123"
    tr = tracker("ticket_form_confirmed", slots={"ticket_description": f"卡号 {card} 充值失败了"})
    _, messages, _ = run(AskTicketConfirmed(services()), tr)
    summary = messages[0]
    assert summary["response"] == "utter_ticket_summary"
    assert summary["contact"] == "138****5678" and card not in summary["description"]
    assert summary["category"] == "充值" and summary["transaction_id"] == "-"


# -- submission ------------------------------------------------------------------------


def test_submit_creates_the_ticket_and_tells_what_happens_next() -> None:
    slots, messages, _ = run(SubmitTicket(services()), tracker("ticket_form_confirmed"))
    assert responses(messages)[0] == "utter_ticket_created"
    assert responses(messages)[1] in ("utter_ticket_next_steps_staffed", "utter_ticket_next_steps_off_hours")
    assert messages[1]["staffed_hours"] == "9:00-18:00"
    number = messages[0]["ticket_id"]
    assert slots["ticket_number"] == number
    assert all(slots[s] is None for s in FORM_SLOTS)
    ticket = services().tickets.require(number)
    assert (ticket.sender_id, ticket.category, ticket.contact, ticket.contact_kind) == (
        "alice",
        "topup",
        "13812345678",
        ContactKind.PHONE,
    )
    assert (ticket.transaction_id, ticket.problem_time, ticket.channel) == (None, "昨天下午3点", "rest")


def test_the_same_submit_delivered_twice_creates_one_ticket() -> None:
    first = run(SubmitTicket(services()), tracker("ticket_form_confirmed"))[1][0]["ticket_id"]
    again = run(SubmitTicket(services()), tracker("ticket_form_confirmed"))[1][0]["ticket_id"]
    assert first == again
    assert len(services().tickets.list()) == 1
    # a new run of the form (new activation) is a new ticket
    other = tracker("ticket_form_confirmed")
    other.events.insert(2, {"event": "active_loop", "name": "ticket_form", "timestamp": 1.0})
    other.events.append({"event": "active_loop", "name": "ticket_form", "timestamp": 1764000900.0})
    assert run(SubmitTicket(services()), other)[1][0]["ticket_id"] != first


@pytest.mark.parametrize(
    ("outcome", "response"),
    [("cancelled", "utter_ticket_cancelled"), ("contact_failed", "utter_ticket_contact_failed")],
)
def test_closed_without_submit(outcome: str, response: str) -> None:
    slots, messages, _ = run(
        SubmitTicket(services()), tracker("ticket_form_confirmed", slots={"ticket_confirmed": outcome})
    )
    assert responses(messages) == [response] and services().tickets.list() == []
    assert slots["ticket_confirmed"] is None


def test_store_failure_is_a_polite_answer() -> None:
    use_services(make_services("postgresql://nobody@127.0.0.1:1/none"))
    slots, messages, events = run(SubmitTicket(services()), tracker("ticket_form_confirmed"))
    assert responses(messages) == ["utter_ticket_error"] and events == []


@pytest.mark.parametrize("text", ["不用了", "不要", "不需要"])
def test_no_need_at_an_optional_field_skips_it_instead_of_cancelling(text: str) -> None:
    slots, _ = form_turn("ticket_transaction_id", text, intent="deny")
    assert slots == {"ticket_transaction_id": SKIPPED}


@pytest.mark.parametrize("text", ["算了", "cancel"])
def test_explicit_cancel_at_an_optional_field_still_cancels(text: str) -> None:
    slots, _ = form_turn("ticket_transaction_id", text, intent="deny")
    assert slots["ticket_confirmed"] == CANCELLED


SHANGHAI = timezone(timedelta(hours=8))


@pytest.mark.parametrize(
    ("moment", "holidays", "expected"),
    [
        (datetime(2026, 11, 25, 10, 0, tzinfo=SHANGHAI), (), "utter_ticket_next_steps_staffed"),
        (datetime(2026, 11, 25, 20, 0, tzinfo=SHANGHAI), (), "utter_ticket_next_steps_off_hours"),
        (datetime(2026, 11, 28, 10, 0, tzinfo=SHANGHAI), (), "utter_ticket_next_steps_off_hours"),
        # A holiday is slow for tickets too (the handoff already said so): one rule, core/hours.py.
        (
            datetime(2026, 11, 25, 10, 0, tzinfo=SHANGHAI),
            ("2026-11-25",),
            "utter_ticket_next_steps_off_hours",
        ),
    ],
)
def test_next_steps_follow_the_service_hours(
    tmp_path, moment: datetime, holidays: tuple, expected: str
) -> None:
    hours = ServiceHours(holidays=holidays)
    use_services(make_services(sqlite_url(tmp_path, "hours.db"), clock=Clock(moment), hours=hours))
    _, messages, _ = run(SubmitTicket(services()), tracker("ticket_form_confirmed"))
    assert responses(messages) == ["utter_ticket_created", expected]
