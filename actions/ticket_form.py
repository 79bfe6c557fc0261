"""The ticket form: collecting, validating and confirming a problem report, then filing it.

Thin adapter between Rasa and the core: the text rules are in
:mod:`gopay_support.core.tickets.validation`, the store in the database adapter. No state is
kept in the process, so the action server can restart between two form steps.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from typing import Any

from rasa_sdk import FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.tracker import (
    TICKET_FORM,
    ServicesAction,
    answer_faq,
    faq_topic,
    form_is_running,
    intent_of,
    lang,
    recent_topic_category,
    safe_run,
)
from gopay_support.core.contact import parse_contact
from gopay_support.core.pii import mask, mask_contact
from gopay_support.core.tickets.model import CATEGORIES, CATEGORY_BY_KEY, NewTicket
from gopay_support.core.tickets.validation import (
    DescriptionProblem,
    asks_to_change,
    category_from_text,
    category_from_topic,
    check_description,
    correction,
    edited_field,
    is_cancel,
    is_question,
    is_refusal,
    is_skip,
    parse_problem_time,
    parse_transaction_id,
)

log = logging.getLogger(__name__)

FORM_SLOTS = (
    "ticket_category",
    "ticket_description",
    "ticket_contact",
    "ticket_transaction_id",
    "ticket_problem_time",
    "ticket_confirmed",
)
#: Value of an optional slot the user skipped (``None`` would make the form ask again).
SKIPPED = "-"
#: ``ticket_confirmed`` outcomes, read by action_submit_ticket after the form closes.
CONFIRMED, CANCELLED, CONTACT_FAILED = "yes", "cancelled", "contact_failed"
#: Button values (``/ticket_choose{"ticket_choice": ...}``) of the confirmation step.
SUBMIT, CANCEL, SKIP = "submit", "cancel", "skip"


def _slot(field: str | None) -> str | None:
    """The form slot of a field named by the correction rules (``contact`` -> ticket_contact)."""
    return f"ticket_{field}" if field else None


class ValidateTicketForm(FormValidationAction, ServicesAction):
    """Checks each answer of the ticket form; handles cancel, corrections and FAQ detours."""

    def name(self) -> str:
        return "validate_ticket_form"

    @safe_run
    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        return await super().run(dispatcher, tracker, domain)

    async def extract_ticket_category(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """On activation, pre-fill the category from the FAQ topic asked just before."""
        if form_is_running(tracker, TICKET_FORM) or tracker.get_slot("ticket_category"):
            return {}
        category = recent_topic_category(tracker)
        return {"ticket_category": category} if category else {}

    @staticmethod
    def _end(outcome: str) -> dict[str, Any]:
        """Close the form early; action_submit_ticket reports the outcome."""
        return {"ticket_confirmed": outcome, "requested_slot": None}

    def _detour(
        self, slot: str, text: str, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> dict[str, Any] | None:
        """Not an answer to the question asked: a correction of an earlier field, a cancel,
        or an FAQ question (answered; the form then asks its question again)."""
        field = _slot(correction(text))
        if field == slot:
            return {slot: None}  # "change the contact" while being asked for it: ask again
        if field and tracker.get_slot(field) is not None:
            # The form asks for the cleared field again, then continues where it was.
            return {field: None, slot: None}
        if is_cancel(text):
            return self._end(CANCELLED)
        topic = faq_topic(tracker)
        if topic and is_question(text):
            answer_faq(dispatcher, topic)
            return {slot: None}
        return None

    async def validate_ticket_category(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = str(value or "")
        if not form_is_running(tracker, TICKET_FORM) and text in CATEGORY_BY_KEY:
            dispatcher.utter_message(
                response="utter_ticket_category_prefilled",
                category=CATEGORY_BY_KEY[text].label(lang(tracker)),
            )
            return {"ticket_category": text}
        if correction(text) == "category":
            return {"ticket_category": None}  # "wrong category" while choosing it: ask again
        if is_cancel(text):
            return self._end(CANCELLED)
        category = category_from_text(text) or category_from_topic(faq_topic(tracker) or intent_of(tracker))
        if category:
            return {"ticket_category": category}
        topic = faq_topic(tracker)
        if topic:
            answer_faq(dispatcher, topic)
        else:
            dispatcher.utter_message(response="utter_ticket_category_invalid")
        return {"ticket_category": None}

    async def validate_ticket_description(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = str(value or "").strip()
        detour = self._detour("ticket_description", text, dispatcher, tracker)
        if detour is not None:
            return detour
        limit = self.services.settings.tickets.description_max_chars
        problem = check_description(text, limit)
        if problem is DescriptionProblem.TOO_LONG:
            dispatcher.utter_message(response="utter_ticket_description_too_long", max_chars=limit)
            return {"ticket_description": None}
        if problem is DescriptionProblem.VAGUE:
            dispatcher.utter_message(response="utter_ticket_description_vague")
            return {"ticket_description": None}
        return {"ticket_description": text}

    async def validate_ticket_contact(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = str(value or "")
        contact = parse_contact(text)
        if contact is not None:
            dispatcher.utter_message(response="utter_ticket_contact_ok", contact=mask_contact(contact.value))
            return {"ticket_contact": contact.value, "ticket_contact_failures": 0}
        detour = self._detour("ticket_contact", text, dispatcher, tracker)
        if detour is not None:
            return detour
        failures = int(tracker.get_slot("ticket_contact_failures") or 0) + 1
        if failures >= self.services.settings.tickets.contact_max_attempts:
            return {**self._end(CONTACT_FAILED), "ticket_contact": None, "ticket_contact_failures": 0}
        dispatcher.utter_message(response="utter_ticket_contact_invalid")
        return {"ticket_contact": None, "ticket_contact_failures": failures}

    def _optional(
        self,
        slot: str,
        value: Any,
        parse: Callable[[str], str | None],
        invalid_response: str,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
    ) -> dict[str, Any]:
        text = str(value or "").strip()
        # "没有" / "不用了" / "no" decline an optional field (deny) rather than cancel the
        # ticket; explicit cancel words ("算了", "cancel") still cancel.
        if (
            text == SKIP
            or is_skip(text)
            or (intent_of(tracker) == "deny" and not correction(text) and not is_cancel(text))
        ):
            return {slot: SKIPPED}
        if is_cancel(text):
            return self._end(CANCELLED)
        detour = self._detour(slot, text, dispatcher, tracker)
        if detour is not None:
            return detour
        parsed = parse(text)
        if parsed is None:
            dispatcher.utter_message(response=invalid_response)
        return {slot: parsed}

    async def validate_ticket_transaction_id(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return self._optional(
            "ticket_transaction_id",
            value,
            parse_transaction_id,
            "utter_ticket_transaction_id_invalid",
            dispatcher,
            tracker,
        )

    async def validate_ticket_problem_time(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return self._optional(
            "ticket_problem_time",
            value,
            parse_problem_time,
            "utter_ticket_problem_time_invalid",
            dispatcher,
            tracker,
        )

    async def validate_ticket_confirmed(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = str(value or "").strip()
        if text == SUBMIT:
            return {"ticket_confirmed": CONFIRMED}
        field = _slot(edited_field(text))
        if field:
            # Clearing the field makes the form ask for it again, then for confirmation.
            return {field: None, "ticket_confirmed": None}
        if text != CANCEL and asks_to_change(text):
            # "不对" / "something's wrong" without saying what: show the choices again
            dispatcher.utter_message(response="utter_ticket_confirm_help")
            return {"ticket_confirmed": None}
        if text == CANCEL or is_refusal(text, intent_of(tracker)):
            return self._end(CANCELLED)
        if intent_of(tracker) == "affirm":
            return {"ticket_confirmed": CONFIRMED}
        topic = faq_topic(tracker)
        if topic and is_question(text):
            answer_faq(dispatcher, topic)
        else:
            dispatcher.utter_message(response="utter_ticket_confirm_help")
        return {"ticket_confirmed": None}


class AskTicketCategory(ServicesAction):
    """Asks for the category with one button per category, in the user's language."""

    def name(self) -> str:
        return "action_ask_ticket_category"

    @safe_run
    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        buttons = [
            {"title": c.label(lang(tracker)), "payload": f'/ticket_choose{{"ticket_choice":"{c.key}"}}'}
            for c in CATEGORIES
        ]
        dispatcher.utter_message(response="utter_ask_ticket_category", buttons=buttons)
        return []


class AskTicketConfirmed(ServicesAction):
    """Shows the summary (contact and personal data masked) and asks to submit."""

    def name(self) -> str:
        return "action_ask_ticket_confirmed"

    @safe_run
    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        category = CATEGORY_BY_KEY.get(tracker.get_slot("ticket_category") or "")
        dispatcher.utter_message(
            response="utter_ticket_summary",
            category=category.label(lang(tracker)) if category else "-",
            description=mask(tracker.get_slot("ticket_description") or ""),
            contact=mask_contact(tracker.get_slot("ticket_contact") or ""),
            transaction_id=tracker.get_slot("ticket_transaction_id") or SKIPPED,
            problem_time=mask(tracker.get_slot("ticket_problem_time") or SKIPPED),
        )
        return []


def idempotency_key(tracker: Tracker) -> str:
    """Same conversation + same run of the form = same key, however often Rasa retries.

    The run is identified by the timestamp of the event that activated the form, which is
    part of the stored conversation and therefore identical in every retried request.
    """
    activation = next(
        (
            e
            for e in reversed(tracker.events)
            if e.get("event") == "active_loop" and e.get("name") == TICKET_FORM
        ),
        None,
    )
    marker = activation.get("timestamp") if activation else None
    if marker is None:  # not expected; fall back to the latest user message
        marker = next((e.get("timestamp") for e in reversed(tracker.events) if e.get("event") == "user"), "")
    digest = hashlib.sha256(f"{tracker.sender_id}\x00{marker}".encode()).hexdigest()
    return f"form:{digest}"


def _reset_form() -> list[EventType]:
    return [SlotSet(slot, None) for slot in FORM_SLOTS] + [SlotSet("ticket_contact_failures", 0)]


def _optional_value(value: str | None) -> str | None:
    return None if value in (None, SKIPPED) else value


class SubmitTicket(ServicesAction):
    """Runs when the ticket form closes: files the ticket, or reports a cancel."""

    def name(self) -> str:
        return "action_submit_ticket"

    @safe_run
    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        outcome = tracker.get_slot("ticket_confirmed")
        if outcome == CANCELLED:
            dispatcher.utter_message(response="utter_ticket_cancelled")
            return _reset_form()
        if outcome == CONTACT_FAILED:
            dispatcher.utter_message(response="utter_ticket_contact_failed")
            return _reset_form()
        if outcome != CONFIRMED:
            return []
        contact = parse_contact(tracker.get_slot("ticket_contact") or "")
        if contact is None:  # slots are only ever set by the validation action
            raise ValueError("confirmed ticket without a valid contact")
        new = NewTicket(
            category=tracker.get_slot("ticket_category") or "other",
            description=tracker.get_slot("ticket_description") or "",
            contact=contact.value,
            contact_kind=contact.kind,
            sender_id=tracker.sender_id,
            language=lang(tracker),
            channel=tracker.get_latest_input_channel(),
            transaction_id=_optional_value(tracker.get_slot("ticket_transaction_id")),
            problem_time=_optional_value(tracker.get_slot("ticket_problem_time")),
        )
        ticket, created = self.services.tickets.create(new, idempotency_key(tracker))
        log.info(
            "ticket %s %s (category %s, channel %s)",
            ticket.tracking_number,
            "created" if created else "already existed",
            ticket.category,
            ticket.channel,
        )
        dispatcher.utter_message(response="utter_ticket_created", ticket_id=ticket.tracking_number)
        hours = self.services.settings.hours
        dispatcher.utter_message(
            response="utter_ticket_next_steps_staffed"
            if hours.is_fast(self.services.clock())
            else "utter_ticket_next_steps_off_hours",
            staffed_hours=hours.staffed_text,
        )
        return [*_reset_form(), SlotSet("ticket_number", ticket.tracking_number)]
