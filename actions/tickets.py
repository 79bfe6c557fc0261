"""Support-ticket actions: the ticket form, submission, status lookup and pushed updates.

Thin adapters between Rasa and :mod:`gopay_support.tickets`: they read the tracker, call the
validators and the store, and answer with domain responses (domain/tickets.yml) whose
language variation Rasa picks from the ``language`` slot. No state is kept in the process,
so the action server can restart between two form steps.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from gopay_support import language, tracking
from gopay_support.config import settings
from gopay_support.db import utcnow
from gopay_support.pii import mask, mask_contact
from gopay_support.tickets import (
    CATEGORIES,
    CATEGORY_BY_KEY,
    NewTicket,
    VerifyOutcome,
    default_store,
)
from gopay_support.tickets.hours import is_staffed, local_time
from gopay_support.tickets.validation import (
    DescriptionProblem,
    category_from_text,
    category_from_topic,
    check_description,
    is_cancel,
    is_question,
    is_skip,
    parse_contact,
    parse_problem_time,
    parse_transaction_id,
)

log = logging.getLogger(__name__)

TICKET_FORM = "ticket_form"
STATUS_FORM = "ticket_status_form"
FORM_SLOTS = ("ticket_category", "ticket_description", "ticket_contact",
              "ticket_transaction_id", "ticket_problem_time", "ticket_confirmed")
#: Value of an optional slot the user skipped (``None`` would make the form ask again).
SKIPPED = "-"
#: ``ticket_confirmed`` outcomes, read by action_submit_ticket after the form closes.
CONFIRMED, CANCELLED, CONTACT_FAILED = "yes", "cancelled", "contact_failed"
#: ``ticket_lookup`` outcomes, read by action_ticket_status after the status form closes.
SHOW, LOOKUP_CANCELLED, LOCKED = "show", "cancelled", "locked"
#: Button values (``/ticket_choose{"ticket_choice": ...}``) of the confirmation step.
SUBMIT, CANCEL, SKIP = "submit", "cancel", "skip"
EDIT_PREFIX = "edit_"
_EDIT_WORDS: dict[str, tuple[str, ...]] = {
    "ticket_category": ("类别", "分类", "类型", "category"),
    "ticket_description": ("描述", "description"),
    "ticket_contact": ("联系", "手机", "电话", "邮箱", "contact", "phone", "email"),
    "ticket_transaction_id": ("交易", "订单", "transaction", "order"),
    "ticket_problem_time": ("时间", "time", "when"),
}
_EDIT_VERBS = ("改", "修改", "更正", "换", "错", "不对", "change", "edit", "correct", "fix",
               "wrong")


def lang(tracker: Tracker) -> str:
    return language.normalize(tracker.get_slot("language")) or language.DEFAULT


def faq_topic(tracker: Tracker) -> str | None:
    """``faq/<topic>`` of the latest message when it was classified as an FAQ question."""
    message = tracker.latest_message or {}
    if (message.get("intent") or {}).get("name") != "faq":
        return None
    selector = (message.get("response_selector") or {}).get("faq") or {}
    return (selector.get("response") or {}).get("intent_response_key")


def intent_of(tracker: Tracker) -> str | None:
    return ((tracker.latest_message or {}).get("intent") or {}).get("name")


def recent_topic_category(tracker: Tracker, lookback: int = 3) -> str | None:
    """The category of what the user asked just before opening the ticket form.

    Only messages since the last form ended count: answers typed into an earlier ticket
    form (a description that reads like a top-up question) are not "what the user was
    just asking about".
    """
    events = tracker.events
    latest = max((i for i, e in enumerate(events) if e.get("event") == "user"), default=0)
    before: list[dict] = []
    for event in reversed(events[:latest]):
        if event.get("event") == "active_loop" or len(before) >= lookback:
            break
        if event.get("event") == "user":
            before.append(event)
    for event in before:
        parse = event.get("parse_data") or {}
        intent = (parse.get("intent") or {}).get("name")
        if intent == "faq":
            key = (((parse.get("response_selector") or {}).get("faq") or {}).get("response")
                   or {}).get("intent_response_key")
            category = category_from_topic(key)
        else:
            category = category_from_topic(intent)
        if category:
            return category
    return None


def form_is_running(tracker: Tracker, form: str) -> bool:
    return (tracker.active_loop or {}).get("name") == form


def answer_faq(dispatcher: CollectingDispatcher, topic: str) -> None:
    """Answer an FAQ asked in the middle of a form; the form then asks its question again."""
    dispatcher.utter_message(response=f"utter_{topic}")


Handler = Callable[..., Awaitable[list[EventType]]]


def safe_run(run: Handler) -> Handler:
    """Turn an unexpected error into a polite answer and a masked log line.

    The action server's own handler never returns the tracker (actions/server.py); this
    additionally keeps the conversation going instead of an error in the Rasa logs.
    """

    @functools.wraps(run)
    async def wrapper(self: Action, dispatcher: CollectingDispatcher, tracker: Tracker,
                      domain: DomainDict) -> list[EventType]:
        try:
            return await run(self, dispatcher, tracker, domain)
        except Exception as exc:  # noqa: BLE001
            log.error("action %s failed: %s: %s", self.name(), type(exc).__name__,
                      mask(str(exc)))
            dispatcher.utter_message(response="utter_ticket_error")
            return []

    return wrapper


class ValidateTicketForm(FormValidationAction):
    """Checks each answer of the ticket form; handles cancel, corrections and FAQ detours."""

    def name(self) -> str:
        return "validate_ticket_form"

    @safe_run
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        return await super().run(dispatcher, tracker, domain)

    async def extract_ticket_category(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                      domain: DomainDict) -> dict[str, Any]:
        """On activation, pre-fill the category from the FAQ topic asked just before."""
        if form_is_running(tracker, TICKET_FORM) or tracker.get_slot("ticket_category"):
            return {}
        category = recent_topic_category(tracker)
        return {"ticket_category": category} if category else {}

    @staticmethod
    def _end(outcome: str) -> dict[str, Any]:
        """Close the form early; action_submit_ticket reports the outcome."""
        return {"ticket_confirmed": outcome, "requested_slot": None}

    def _detour(self, slot: str, text: str, dispatcher: CollectingDispatcher,
                tracker: Tracker) -> dict[str, Any] | None:
        """Not an answer to the question asked: a correction of an earlier field, a cancel,
        or an FAQ question (answered; the form then asks its question again)."""
        field = correction(text)
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

    async def validate_ticket_category(self, value: Any, dispatcher: CollectingDispatcher,
                                       tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        text = str(value or "")
        if not form_is_running(tracker, TICKET_FORM) and text in CATEGORY_BY_KEY:
            dispatcher.utter_message(response="utter_ticket_category_prefilled",
                                     category=CATEGORY_BY_KEY[text].label(lang(tracker)))
            return {"ticket_category": text}
        if correction(text) == "ticket_category":
            return {"ticket_category": None}  # "wrong category" while choosing it: ask again
        if is_cancel(text):
            return self._end(CANCELLED)
        category = category_from_text(text) or category_from_topic(
            faq_topic(tracker) or intent_of(tracker))
        if category:
            return {"ticket_category": category}
        topic = faq_topic(tracker)
        if topic:
            answer_faq(dispatcher, topic)
        else:
            dispatcher.utter_message(response="utter_ticket_category_invalid")
        return {"ticket_category": None}

    async def validate_ticket_description(self, value: Any, dispatcher: CollectingDispatcher,
                                          tracker: Tracker, domain: DomainDict
                                          ) -> dict[str, Any]:
        text = str(value or "").strip()
        detour = self._detour("ticket_description", text, dispatcher, tracker)
        if detour is not None:
            return detour
        limit = settings().tickets.description_max_chars
        problem = check_description(text, limit)
        if problem is DescriptionProblem.TOO_LONG:
            dispatcher.utter_message(response="utter_ticket_description_too_long",
                                     max_chars=limit)
            return {"ticket_description": None}
        if problem is DescriptionProblem.VAGUE:
            dispatcher.utter_message(response="utter_ticket_description_vague")
            return {"ticket_description": None}
        return {"ticket_description": text}

    async def validate_ticket_contact(self, value: Any, dispatcher: CollectingDispatcher,
                                      tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        text = str(value or "")
        contact = parse_contact(text)
        if contact is not None:
            dispatcher.utter_message(response="utter_ticket_contact_ok",
                                     contact=mask_contact(contact.value))
            return {"ticket_contact": contact.value, "ticket_contact_failures": 0}
        detour = self._detour("ticket_contact", text, dispatcher, tracker)
        if detour is not None:
            return detour
        failures = int(tracker.get_slot("ticket_contact_failures") or 0) + 1
        if failures >= settings().tickets.contact_max_attempts:
            return {**self._end(CONTACT_FAILED), "ticket_contact": None,
                    "ticket_contact_failures": 0}
        dispatcher.utter_message(response="utter_ticket_contact_invalid")
        return {"ticket_contact": None, "ticket_contact_failures": failures}

    def _optional(self, slot: str, value: Any, parse: Callable[[str], str | None],
                  invalid_response: str, dispatcher: CollectingDispatcher,
                  tracker: Tracker) -> dict[str, Any]:
        text = str(value or "").strip()
        # "没有" / "不用了" / "no" decline an optional field (deny) rather than cancel the
        # ticket; explicit cancel words ("算了", "cancel") still cancel.
        if text == SKIP or is_skip(text) or (intent_of(tracker) == "deny"
                                             and not correction(text) and not is_cancel(text)):
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

    async def validate_ticket_transaction_id(self, value: Any, dispatcher: CollectingDispatcher,
                                             tracker: Tracker, domain: DomainDict
                                             ) -> dict[str, Any]:
        return self._optional("ticket_transaction_id", value, parse_transaction_id,
                              "utter_ticket_transaction_id_invalid", dispatcher, tracker)

    async def validate_ticket_problem_time(self, value: Any, dispatcher: CollectingDispatcher,
                                           tracker: Tracker, domain: DomainDict
                                           ) -> dict[str, Any]:
        return self._optional("ticket_problem_time", value, parse_problem_time,
                              "utter_ticket_problem_time_invalid", dispatcher, tracker)

    async def validate_ticket_confirmed(self, value: Any, dispatcher: CollectingDispatcher,
                                        tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        text = str(value or "").strip()
        if text == SUBMIT:
            return {"ticket_confirmed": CONFIRMED}
        field = edited_field(text)
        if field:
            # Clearing the field makes the form ask for it again, then for confirmation.
            return {field: None, "ticket_confirmed": None}
        if text != CANCEL and any(verb in text.lower() for verb in _EDIT_VERBS):
            # "不对" / "something's wrong" without saying what: show the choices again
            dispatcher.utter_message(response="utter_ticket_confirm_help")
            return {"ticket_confirmed": None}
        if text == CANCEL or is_refusal(text, tracker):
            return self._end(CANCELLED)
        if intent_of(tracker) == "affirm":
            return {"ticket_confirmed": CONFIRMED}
        topic = faq_topic(tracker)
        if topic and is_question(text):
            answer_faq(dispatcher, topic)
        else:
            dispatcher.utter_message(response="utter_ticket_confirm_help")
        return {"ticket_confirmed": None}


#: At the confirmation and in the status lookup, a short message the NLU calls ``deny`` is a
#: refusal ("不了", "nope"). While the ticket form collects answers only explicit cancel
#: words count: answers are often classified as deny ("我不能用了", "改一下类别").
_SHORT_REFUSAL_CHARS = 12
#: Corrections asked in the middle of the form are short ("改一下类别", "wrong category");
#: a longer message is an answer that happens to contain such words ("the time was wrong").
_SHORT_CORRECTION_CHARS = 24


def is_refusal(text: str, tracker: Tracker) -> bool:
    """An explicit cancel ("算了", "cancel") or a short message the NLU calls ``deny``."""
    return is_cancel(text) or (intent_of(tracker) == "deny"
                               and len(text.strip()) <= _SHORT_REFUSAL_CHARS)


def correction(text: str) -> str | None:
    """The form slot a short mid-form message asks to change, if any."""
    if len(text.strip()) > _SHORT_CORRECTION_CHARS:
        return None
    return edited_field(text)


def edited_field(text: str) -> str | None:
    """Which form slot the user wants to change ("edit_contact", "改一下联系方式")."""
    if text.startswith(EDIT_PREFIX):
        slot = "ticket_" + text[len(EDIT_PREFIX):]
        return slot if slot in _EDIT_WORDS else None
    lowered = text.lower()
    if not any(verb in lowered for verb in _EDIT_VERBS):
        return None
    for slot, words in _EDIT_WORDS.items():
        if any(word in lowered for word in words):
            return slot
    return None


class AskTicketCategory(Action):
    """Asks for the category with one button per category, in the user's language."""

    def name(self) -> str:
        return "action_ask_ticket_category"

    @safe_run
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        buttons = [{"title": c.label(lang(tracker)),
                    "payload": f'/ticket_choose{{"ticket_choice":"{c.key}"}}'}
                   for c in CATEGORIES]
        dispatcher.utter_message(response="utter_ask_ticket_category", buttons=buttons)
        return []


class AskTicketConfirmed(Action):
    """Shows the summary (contact and personal data masked) and asks to submit."""

    def name(self) -> str:
        return "action_ask_ticket_confirmed"

    @safe_run
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
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
        (e for e in reversed(tracker.events)
         if e.get("event") == "active_loop" and e.get("name") == TICKET_FORM),
        None,
    )
    marker = activation.get("timestamp") if activation else None
    if marker is None:  # not expected; fall back to the latest user message
        marker = next((e.get("timestamp") for e in reversed(tracker.events)
                       if e.get("event") == "user"), "")
    digest = hashlib.sha256(f"{tracker.sender_id}\x00{marker}".encode()).hexdigest()
    return f"form:{digest}"


def _reset_form() -> list[EventType]:
    return [SlotSet(slot, None) for slot in FORM_SLOTS] + [SlotSet("ticket_contact_failures", 0)]


def _optional_value(value: str | None) -> str | None:
    return None if value in (None, SKIPPED) else value


class SubmitTicket(Action):
    """Runs when the ticket form closes: files the ticket, or reports a cancel."""

    def name(self) -> str:
        return "action_submit_ticket"

    @safe_run
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
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
        ticket, created = default_store().create(new, idempotency_key(tracker))
        log.info("ticket %s %s (category %s, channel %s)", ticket.tracking_number,
                 "created" if created else "already existed", ticket.category, ticket.channel)
        dispatcher.utter_message(response="utter_ticket_created", ticket_id=ticket.tracking_number)
        start, end = settings().peak_staffed_hours
        dispatcher.utter_message(
            response="utter_ticket_next_steps_staffed" if is_staffed(utcnow())
            else "utter_ticket_next_steps_off_hours",
            staffed_hours=f"{start}:00-{end}:00",
        )
        return [*_reset_form(), SlotSet("ticket_number", ticket.tracking_number)]


class ValidateTicketStatusForm(FormValidationAction):
    """Asks for the tracking number and, unless the asker filed it, the ticket's contact."""

    def name(self) -> str:
        return "validate_ticket_status_form"

    @safe_run
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        return await super().run(dispatcher, tracker, domain)

    async def required_slots(self, domain_slots: list[str], dispatcher: CollectingDispatcher,
                             tracker: Tracker, domain: DomainDict) -> list[str]:
        if tracker.get_slot("ticket_lookup"):
            return []  # decided: the form closes and action_ticket_status answers
        number = tracker.get_slot("ticket_number")
        if number and default_store().can_view(number, tracker.sender_id):
            return ["ticket_number"]
        return ["ticket_number", "ticket_verification"]

    async def validate_ticket_number(self, value: Any, dispatcher: CollectingDispatcher,
                                     tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        text = str(value or "")
        if is_refusal(text, tracker):
            return {"ticket_number": None, "ticket_lookup": LOOKUP_CANCELLED}
        number = tracking.normalize(text) or next(
            (n for _, _, n in tracking.find_all(text)), None)
        if number is None:
            topic = faq_topic(tracker)
            if topic and is_question(text):
                answer_faq(dispatcher, topic)
            else:
                dispatcher.utter_message(response="utter_ticket_number_invalid")
            return {"ticket_number": None}
        store = default_store()
        if store.can_view(number, tracker.sender_id):
            return {"ticket_number": number, "ticket_lookup": SHOW}
        if store.is_locked(number):
            return {"ticket_number": number, "ticket_lookup": LOCKED}
        return {"ticket_number": number, "ticket_verification": None}

    async def validate_ticket_verification(self, value: Any, dispatcher: CollectingDispatcher,
                                           tracker: Tracker, domain: DomainDict
                                           ) -> dict[str, Any]:
        text = str(value or "")
        if is_refusal(text, tracker):
            return {"ticket_verification": None, "ticket_lookup": LOOKUP_CANCELLED}
        number_given = next((n for _, _, n in tracking.find_all(text)), None)
        if number_given:
            if number_given != tracker.get_slot("ticket_number"):
                # Another tracking number instead of the contact: look that one up instead.
                return await self.validate_ticket_number(number_given, dispatcher, tracker,
                                                         domain)
            return {"ticket_verification": None}  # the same number again: not a try
        if not looks_like_contact_answer(text):
            # A question or a remark is not a try: answer it and ask again, uncounted.
            topic = faq_topic(tracker)
            if topic and is_question(text):
                answer_faq(dispatcher, topic)
            return {"ticket_verification": None}
        number = tracker.get_slot("ticket_number") or ""
        outcome = default_store().verify(number, tracker.sender_id, text)
        if outcome is VerifyOutcome.VERIFIED:
            return {"ticket_verification": "ok", "ticket_lookup": SHOW}
        if outcome is VerifyOutcome.LOCKED:
            return {"ticket_verification": None, "ticket_lookup": LOCKED}
        dispatcher.utter_message(response="utter_ticket_verification_failed")
        return {"ticket_verification": None}


_DIGIT_RUN_RE = re.compile(r"\d{4,}")


def looks_like_contact_answer(text: str) -> bool:
    """Digits (the last 4 of a phone number, or all of it) or an e-mail address: only such
    answers count as a confirmation attempt."""
    digits_joined = re.sub(r"[\s-]", "", text)
    return bool(_DIGIT_RUN_RE.search(digits_joined)) or "@" in text


class AskTicketNumber(Action):
    """Asks for the tracking number, offering the asker's own recent tickets as buttons."""

    def name(self) -> str:
        return "action_ask_ticket_number"

    @safe_run
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        own = default_store().list(sender_id=tracker.sender_id, limit=3)
        buttons = [{"title": t.tracking_number, "payload": t.tracking_number} for t in own]
        dispatcher.utter_message(response="utter_ask_ticket_number", buttons=buttons)
        return []


def _status_kwargs(ticket: Any, tracker: Tracker) -> dict[str, str]:
    category = CATEGORY_BY_KEY.get(ticket.category)
    return {"ticket_id": ticket.tracking_number,
            "category": category.label(lang(tracker)) if category else ticket.category,
            "updated_at": local_time(ticket.updated_at)}


class TicketStatus(Action):
    """Runs when the status form closes: shows the status to whoever may see it."""

    def name(self) -> str:
        return "action_ticket_status"

    @safe_run
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        outcome = tracker.get_slot("ticket_lookup")
        number = tracker.get_slot("ticket_number") or ""
        reset = [SlotSet("ticket_lookup", None), SlotSet("ticket_verification", None)]
        store = default_store()
        if outcome == LOOKUP_CANCELLED:
            dispatcher.utter_message(response="utter_ticket_status_cancelled")
            return [*reset, SlotSet("ticket_number", None)]
        if outcome == LOCKED:
            dispatcher.utter_message(response="utter_ticket_locked",
                                     minutes=settings().tickets.verify_window_minutes)
            return [*reset, SlotSet("ticket_number", None)]
        ticket = store.get(number)
        # Checked again here: the slots alone never grant access.
        if ticket is None or not store.can_view(number, tracker.sender_id):
            dispatcher.utter_message(response="utter_ticket_verification_failed")
            return [*reset, SlotSet("ticket_number", None)]
        dispatcher.utter_message(response=f"utter_ticket_status_{ticket.status.value}",
                                 **_status_kwargs(ticket, tracker))
        return reset


class AnnounceTicketUpdate(Action):
    """Tells the user about a status change pushed by support (EXTERNAL_ticket_update)."""

    def name(self) -> str:
        return "action_announce_ticket_update"

    @safe_run
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        number = next(tracker.get_latest_entity_values("ticket_id"), None)
        ticket = default_store().get(number or "")
        if ticket is None or ticket.sender_id != tracker.sender_id:
            log.warning("update for a ticket this conversation did not file: ignored")
            return []
        dispatcher.utter_message(response=f"utter_ticket_update_{ticket.status.value}",
                                 **_status_kwargs(ticket, tracker))
        return []
