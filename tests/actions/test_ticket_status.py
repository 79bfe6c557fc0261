"""The ticket status actions on fixture trackers with a real SQLite ticket store: who may see a
ticket, verification tries and lock-out, pushed updates."""

from __future__ import annotations

from support.actions import conversation, responses, run, services, tracker, user_turn

from actions.ticket_status import (
    LOCKED,
    SHOW,
    AnnounceTicketUpdate,
    AskTicketNumber,
    ShowTicketStatus,
    ValidateTicketStatusForm,
)
from gopay_support.core.contact import ContactKind
from gopay_support.core.tickets.model import NewTicket
from gopay_support.core.tickets.model import TicketStatus as Lifecycle

# -- status lookup ---------------------------------------------------------------------


def _file(sender: str = "alice") -> str:
    ticket, _ = services().tickets.create(
        NewTicket("topup", "充值了100元但是没到账", "13812345678", ContactKind.PHONE, sender), sender
    )
    return ticket.tracking_number


def status_turn(
    field: str, text: str, sender: str, number: str | None = None, intent: str = "out_of_scope"
) -> dict:
    slots = {"requested_slot": field}
    if number:
        slots["ticket_number"] = number
    tr = tracker(
        "status_form_activation", sender=sender, slots=slots, turn=(text, intent), slot_value=(field, text)
    )
    tr.active_loop = {"name": "ticket_status_form"}
    return run(ValidateTicketStatusForm(services()), tr)


def test_owner_sees_the_status_directly() -> None:
    number = _file("alice")
    slots, messages, _ = status_turn("ticket_number", number.lower(), "alice")
    assert slots["ticket_lookup"] == SHOW and slots["requested_slot"] is None
    tr = tracker("status_form_activation", slots={"ticket_number": number, "ticket_lookup": "show"})
    _, messages, _ = run(ShowTicketStatus(services()), tr)
    assert messages[0]["response"] == "utter_ticket_status_open"
    assert messages[0]["ticket_id"] == number and messages[0]["category"] == "充值"


def test_someone_else_must_confirm_and_unknown_numbers_look_the_same() -> None:
    number = _file("alice")
    for candidate in (number, "GP-7K3D9Q2X"):
        slots, messages, _ = status_turn("ticket_number", candidate, "mallory")
        # nothing decided, the verification slot stays empty: the form asks for it next
        assert slots["ticket_number"] == candidate and slots["ticket_verification"] is None
        assert "ticket_lookup" not in slots and messages == []


def test_confirmation_shows_then_three_wrong_tries_lock() -> None:
    number = _file("alice")
    slots, _, _ = status_turn("ticket_verification", "5678", "bob", number)
    assert slots["ticket_lookup"] == SHOW
    outcomes = []
    for guess in ("1111", "2222", "3333"):
        slots, messages, _ = status_turn("ticket_verification", guess, "mallory", number)
        outcomes.append((slots.get("ticket_lookup"), responses(messages)))
    assert outcomes == [(None, ["utter_ticket_verification_failed"])] * 2 + [(LOCKED, [])]
    _, messages, _ = run(
        ShowTicketStatus(services()),
        tracker(
            "status_form_activation",
            sender="mallory",
            slots={"ticket_number": number, "ticket_lookup": "locked"},
        ),
    )
    assert messages[0]["response"] == "utter_ticket_locked" and messages[0]["minutes"] == 60


def test_a_question_during_the_confirmation_is_not_counted_as_a_try() -> None:
    number = _file("alice")
    for text in ("what's the status of my ticket?", "我不记得了", number):
        slots, messages, _ = status_turn("ticket_verification", text, "mallory", number)
        assert slots["ticket_verification"] is None and "ticket_lookup" not in slots
        assert messages == []
    assert not services().tickets.is_locked(number, "mallory")
    slots, _, _ = status_turn("ticket_verification", "5678", "mallory", number)
    assert slots["ticket_lookup"] == SHOW


def test_another_number_during_the_confirmation_looks_that_one_up() -> None:
    mine, theirs = _file("mallory"), _file("alice")
    slots, _, _ = status_turn("ticket_verification", f"查 {mine}", "mallory", theirs)
    assert slots["ticket_number"] == mine and slots["ticket_lookup"] == SHOW


def test_status_action_never_trusts_the_slots_alone() -> None:
    number = _file("alice")
    tr = tracker(
        "status_form_activation", sender="mallory", slots={"ticket_number": number, "ticket_lookup": "show"}
    )
    _, messages, _ = run(ShowTicketStatus(services()), tr)
    assert responses(messages) == ["utter_ticket_verification_failed"]


def test_invalid_number_reprompts() -> None:
    slots, messages, _ = status_turn("ticket_number", "GP-123", "alice")
    assert slots["ticket_number"] is None
    assert responses(messages) == ["utter_ticket_number_invalid"]


def _ask_after(text: str, opened_now: bool) -> list[str | None]:
    tr = conversation("rest:a", user_turn(text, "ticket_status", 1.0))
    if opened_now:
        tr.events.append({"event": "active_loop", "name": "ticket_status_form", "timestamp": 1.1})
    _, messages, _ = run(AskTicketNumber(services()), tr)
    return responses(messages)


def test_a_malformed_number_that_opened_the_form_is_explained_before_asking() -> None:
    assert _ask_after("查一下GP-1234567", opened_now=True) == [
        "utter_ticket_number_invalid",
        "utter_ask_ticket_number",
    ]
    assert _ask_after("查一下工单进度", opened_now=True) == ["utter_ask_ticket_number"]
    # Inside the running form, the validation already said it (test_invalid_number_reprompts).
    assert _ask_after("GP-1234567", opened_now=False) == ["utter_ask_ticket_number"]


# -- pushed updates --------------------------------------------------------------------


def test_update_is_announced_only_in_the_ticket_owners_conversation() -> None:
    number = _file("alice")
    services().tickets.set_status(number, Lifecycle.IN_PROGRESS, actor="agent")
    entities = [{"entity": "ticket_id", "value": number}]
    for sender, expected in (("alice", ["utter_ticket_update_in_progress"]), ("mallory", [])):
        tr = tracker(
            "status_form_activation",
            sender=sender,
            turn=("EXTERNAL: EXTERNAL_ticket_update", "EXTERNAL_ticket_update"),
            entities=entities,
        )
        _, messages, _ = run(AnnounceTicketUpdate(services()), tr)
        assert responses(messages) == expected


def test_a_push_that_reached_the_conversation_twice_is_announced_once() -> None:
    """The console's outbox key rides along as an entity; a second event with the same key
    (a retried trigger whose first try arrived after all) is not announced again."""
    number = _file("alice")
    services().tickets.set_status(number, Lifecycle.IN_PROGRESS, actor="agent")

    def push(key: str, ts: float) -> dict:
        entities = [{"entity": "ticket_id", "value": number}, {"entity": "gopay_outbox_key", "value": key}]
        return user_turn("EXTERNAL: EXTERNAL_ticket_update", "EXTERNAL_ticket_update", ts, entities=entities)

    def announced(*turns: dict) -> list[str]:
        _, messages, _ = run(AnnounceTicketUpdate(services()), conversation("alice", *turns))
        return responses(messages)

    assert announced(push("status:7", 1.0)) == ["utter_ticket_update_in_progress"]
    assert announced(push("status:6", 1.0), push("status:7", 2.0)) == ["utter_ticket_update_in_progress"]
    assert announced(push("status:7", 1.0), push("status:7", 2.0)) == []
