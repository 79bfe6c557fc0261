"""Privacy actions (seed Q5): what is kept, and erasure only right after the confirmation."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from rasa_sdk import Tracker
from support.actions import responses, run, services, use_services
from support.services import make_services, sqlite_url

from actions.privacy import ERASED_SLOT, ActionPrivacyErase, ActionPrivacyInfo, asked_to_confirm
from gopay_support.adapters.db.tickets import ERASED
from gopay_support.core.contact import ContactKind
from gopay_support.core.handoff.model import Reason
from gopay_support.core.tickets.model import NewTicket

SENDER = "webchat:0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f"


@pytest.fixture(autouse=True)
def _services(tmp_path) -> Iterator[None]:
    built = make_services(sqlite_url(tmp_path))
    use_services(built)
    yield
    built.database.dispose()


def conversation(*turns: tuple[str, str | None]) -> Tracker:
    """A tracker of ``(intent, bot action)`` turns, ending with the last user message."""
    events: list[dict] = [{"event": "action", "name": "action_listen"}]
    for intent, action in turns:
        events.append({"event": "user", "text": intent, "parse_data": {"intent": {"name": intent}}})
        if action:
            events += [{"event": "action", "name": action}, {"event": "action", "name": "action_listen"}]
    return Tracker(SENDER, {"language": "en"}, events[-1] if events else {}, events, False, None, {}, None)


def _file() -> str:
    ticket, _ = services().tickets.create(
        NewTicket(
            "topup",
            "卡号6222021234567890 充值失败",
            "13812345678",
            ContactKind.PHONE,
            SENDER,
            transaction_id="T1",
        ),
        "k1",
    )
    services().handoffs.enqueue(
        sender_id=SENDER,
        channel="webchat",
        language="en",
        reason=Reason.REQUESTED,
        transcript=[],
        ticket_number=None,
    )
    return ticket.tracking_number


def test_info_lists_what_is_kept() -> None:
    number = _file()
    _, messages, _ = run(ActionPrivacyInfo(services()), conversation(("privacy_my_data", None)))
    (message,) = messages
    assert message["response"] == "utter_privacy_info"
    assert message["tickets"] == number and message["handoffs"] == "1" and message["retention_days"] == "180"


def test_erasure_happens_only_right_after_the_question() -> None:
    number = _file()
    unconfirmed = conversation(("greet", "utter_greet"), ("privacy_delete_confirm", None))
    slots, messages, _ = run(ActionPrivacyErase(services()), unconfirmed)
    assert responses(messages) == ["utter_privacy_delete_confirm"] and slots == {}
    assert services().tickets.require(number).contact == "13812345678", "nothing erased"

    confirmed = conversation(("privacy_delete", "utter_privacy_delete_confirm"), ("affirm", None))
    assert asked_to_confirm(confirmed)
    slots, messages, _ = run(ActionPrivacyErase(services()), confirmed)
    assert responses(messages) == ["utter_privacy_erased"] and slots == {ERASED_SLOT: True}
    ticket = services().tickets.require(number)
    assert (ticket.contact, ticket.description, ticket.transaction_id) == (ERASED, ERASED, None)
    assert [h.to_status.value for h in ticket.history] == ["open"], "history kept for support"
    (handoff,) = [p.handoff for p in services().handoffs.queue()]
    assert handoff.transcript == ()
