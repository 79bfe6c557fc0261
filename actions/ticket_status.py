"""Ticket status: the lookup form, the answer, and status changes pushed by support.

Anyone may ask about a tracking number, but only the conversation that filed the ticket, or
one that confirmed the ticket's contact, sees its status; the store enforces it and the
answer action checks again.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from rasa_sdk import FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.tracker import (
    ServicesAction,
    answer_faq,
    faq_topic,
    intent_of,
    lang,
    latest_entity,
    repeated_push,
    safe_run,
)
from gopay_support.core import tracking
from gopay_support.core.tickets.model import CATEGORY_BY_KEY, Ticket, VerifyOutcome
from gopay_support.core.tickets.validation import is_question, is_refusal

log = logging.getLogger(__name__)

#: ``ticket_lookup`` outcomes, read by action_ticket_status after the status form closes.
SHOW, LOOKUP_CANCELLED, LOCKED = "show", "cancelled", "locked"


class ValidateTicketStatusForm(FormValidationAction, ServicesAction):
    """Asks for the tracking number and, unless the asker filed it, the ticket's contact."""

    def name(self) -> str:
        return "validate_ticket_status_form"

    @safe_run
    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        return await super().run(dispatcher, tracker, domain)

    async def required_slots(
        self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[str]:
        if tracker.get_slot("ticket_lookup"):
            return []  # decided: the form closes and action_ticket_status answers
        number = tracker.get_slot("ticket_number")
        if number and self.services.tickets.can_view(number, tracker.sender_id):
            return ["ticket_number"]
        return ["ticket_number", "ticket_verification"]

    async def validate_ticket_number(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = str(value or "")
        if is_refusal(text, intent_of(tracker)):
            return {"ticket_number": None, "ticket_lookup": LOOKUP_CANCELLED}
        number = tracking.normalize(text) or next((n for _, _, n in tracking.find_all(text)), None)
        if number is None:
            topic = faq_topic(tracker)
            if topic and is_question(text):
                answer_faq(dispatcher, topic)
            else:
                dispatcher.utter_message(response="utter_ticket_number_invalid")
            return {"ticket_number": None}
        store = self.services.tickets
        if store.can_view(number, tracker.sender_id):
            return {"ticket_number": number, "ticket_lookup": SHOW}
        if store.is_locked(number, tracker.sender_id, client_of(tracker)):
            return {"ticket_number": number, "ticket_lookup": LOCKED}
        return {"ticket_number": number, "ticket_verification": None}

    async def validate_ticket_verification(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = str(value or "")
        if is_refusal(text, intent_of(tracker)):
            return {"ticket_verification": None, "ticket_lookup": LOOKUP_CANCELLED}
        number_given = next((n for _, _, n in tracking.find_all(text)), None)
        if number_given:
            if number_given != tracker.get_slot("ticket_number"):
                # Another tracking number instead of the contact: look that one up instead.
                return await self.validate_ticket_number(number_given, dispatcher, tracker, domain)
            return {"ticket_verification": None}  # the same number again: not a try
        if not looks_like_contact_answer(text):
            # A question or a remark is not a try: answer it and ask again, uncounted.
            topic = faq_topic(tracker)
            if topic and is_question(text):
                answer_faq(dispatcher, topic)
            return {"ticket_verification": None}
        number = tracker.get_slot("ticket_number") or ""
        outcome = self.services.tickets.verify(number, tracker.sender_id, text, client_of(tracker))
        if outcome is VerifyOutcome.VERIFIED:
            return {"ticket_verification": "ok", "ticket_lookup": SHOW}
        if outcome is VerifyOutcome.LOCKED:
            return {"ticket_verification": None, "ticket_lookup": LOCKED}
        dispatcher.utter_message(response="utter_ticket_verification_failed")
        return {"ticket_verification": None}


_DIGIT_RUN_RE = re.compile(r"\d{4,}")
_CLIENT_RE = re.compile(r"^[0-9a-f]{8,32}$")


def client_of(tracker: Tracker) -> str | None:
    """The digest of the asker's network address the channel set (``client`` metadata)."""
    latest = next((e for e in reversed(tracker.events) if e.get("event") == "user"), None) or {}
    metadata = latest.get("metadata") or (tracker.latest_message or {}).get("metadata") or {}
    client = metadata.get("client") if isinstance(metadata, dict) else None
    return client if isinstance(client, str) and _CLIENT_RE.fullmatch(client) else None


def looks_like_contact_answer(text: str) -> bool:
    """Digits (the last 4 of a phone number, or all of it) or an e-mail address: only such
    answers count as a confirmation attempt."""
    digits_joined = re.sub(r"[\s-]", "", text)
    return bool(_DIGIT_RUN_RE.search(digits_joined)) or "@" in text


def _opened_with_malformed_number(tracker: Tracker) -> bool:
    """The message that opened the status form gave a number that is not a valid one
    ("GP-1234567"): say so before asking. Inside the running form, the validation says it."""
    opened = False
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            break
        if event.get("event") == "active_loop" and event.get("name") == "ticket_status_form":
            opened = True
    text = str((tracker.latest_message or {}).get("text") or "")
    return opened and bool(tracking.find_malformed(text)) and not tracking.find_all(text)


class AskTicketNumber(ServicesAction):
    """Asks for the tracking number, offering the asker's own recent tickets as buttons."""

    def name(self) -> str:
        return "action_ask_ticket_number"

    @safe_run
    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        if _opened_with_malformed_number(tracker):
            dispatcher.utter_message(response="utter_ticket_number_invalid")
        own = self.services.tickets.list(sender_id=tracker.sender_id, limit=3)
        buttons = [{"title": t.tracking_number, "payload": t.tracking_number} for t in own]
        dispatcher.utter_message(response="utter_ask_ticket_number", buttons=buttons)
        return []


def _status_kwargs(ticket: Ticket, tracker: Tracker, action: ServicesAction) -> dict[str, str]:
    category = CATEGORY_BY_KEY.get(ticket.category)
    return {
        "ticket_id": ticket.tracking_number,
        "category": category.label(lang(tracker)) if category else ticket.category,
        "updated_at": action.services.settings.hours.local_time(ticket.updated_at),
    }


class ShowTicketStatus(ServicesAction):
    """Runs when the status form closes: shows the status to whoever may see it."""

    def name(self) -> str:
        return "action_ticket_status"

    @safe_run
    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        outcome = tracker.get_slot("ticket_lookup")
        number = tracker.get_slot("ticket_number") or ""
        reset = [SlotSet("ticket_lookup", None), SlotSet("ticket_verification", None)]
        store = self.services.tickets
        if outcome == LOOKUP_CANCELLED:
            dispatcher.utter_message(response="utter_ticket_status_cancelled")
            return [*reset, SlotSet("ticket_number", None)]
        if outcome == LOCKED:
            dispatcher.utter_message(
                response="utter_ticket_locked", minutes=self.services.settings.tickets.verify_window_minutes
            )
            return [*reset, SlotSet("ticket_number", None)]
        ticket = store.get(number)
        # Checked again here: the slots alone never grant access.
        if ticket is None or not store.can_view(number, tracker.sender_id):
            dispatcher.utter_message(response="utter_ticket_verification_failed")
            return [*reset, SlotSet("ticket_number", None)]
        dispatcher.utter_message(
            response=f"utter_ticket_status_{ticket.status.value}", **_status_kwargs(ticket, tracker, self)
        )
        return reset


class AnnounceTicketUpdate(ServicesAction):
    """Tells the user about a status change pushed by support (EXTERNAL_ticket_update)."""

    def name(self) -> str:
        return "action_announce_ticket_update"

    @safe_run
    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        if repeated_push(tracker):
            log.info("a status push that arrived twice: announced once")
            return []
        number = latest_entity(tracker, "ticket_id")
        ticket = self.services.tickets.get(number or "")
        if ticket is None or ticket.sender_id != tracker.sender_id:
            log.warning("update for a ticket this conversation did not file: ignored")
            return []
        dispatcher.utter_message(
            response=f"utter_ticket_update_{ticket.status.value}", **_status_kwargs(ticket, tracker, self)
        )
        return []
