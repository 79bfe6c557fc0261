"""Privacy controls (seed Q5, issue 9, docs/privacy.md): what the assistant keeps about the
customer, and erasing it after an explicit confirmation.

Erasure has three parts: the tickets the conversation filed lose their personal fields
(contact, description, transaction id, time; number, category and status history stay for
support), the handoff transcripts of the conversation are emptied, and the conversation
itself is deleted from the tracker store when Rasa saves this turn
(:mod:`gopay_support.adapters.rasa.tracker_store` recognises the ``privacy_erased`` slot
this action sets).
"""

from __future__ import annotations

import logging

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.tracker import ServicesAction, lang, safe_run

log = logging.getLogger(__name__)

CONFIRM_QUESTION = "utter_privacy_delete_confirm"
#: Set when the erasure happened; the tracker store then deletes the conversation.
ERASED_SLOT = "privacy_erased"


def asked_to_confirm(tracker: Tracker) -> bool:
    """Whether the bot's last action before this turn's user message was the question."""
    seen_user = False
    for event in reversed(tracker.events):
        kind = event.get("event")
        if kind == "user":
            if seen_user:
                return False
            seen_user = True
        elif kind == "action" and seen_user and event.get("name") not in ("action_listen", None):
            return event.get("name") == CONFIRM_QUESTION
    return False


def _numbers(numbers: list[str], language: str) -> str:
    if numbers:
        return ", ".join(numbers)
    return "none" if language == "en" else "无"


class ActionPrivacyInfo(ServicesAction):
    def name(self) -> str:
        return "action_privacy_info"

    @safe_run
    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        language = lang(tracker)
        tickets = [t.tracking_number for t in self.services.tickets.list(sender_id=tracker.sender_id)]
        handoffs = self.services.handoffs.count_for(tracker.sender_id)
        dispatcher.utter_message(
            response="utter_privacy_info",
            tickets=_numbers(tickets, language),
            handoffs=str(handoffs),
            retention_days=str(self.services.settings.retention_days),
        )
        return []


class ActionPrivacyErase(ServicesAction):
    def name(self) -> str:
        return "action_privacy_erase"

    @safe_run
    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        if not asked_to_confirm(tracker):
            # Only ever right after the question; anything else asks it (again).
            dispatcher.utter_message(response=CONFIRM_QUESTION)
            return []
        numbers = self.services.tickets.forget_personal_data(tracker.sender_id)
        self.services.handoffs.forget_transcripts(tracker.sender_id)
        log.info("privacy: personal data of %d ticket(s) erased on request", len(numbers))
        dispatcher.utter_message(response="utter_privacy_erased", tickets=_numbers(numbers, lang(tracker)))
        return [SlotSet(ERASED_SLOT, True)]
