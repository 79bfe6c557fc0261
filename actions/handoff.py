"""Human handoff actions: escalate to the agent queue, and take the CSAT rating afterwards.

Thin adapters over :mod:`gopay_support.handoff`: the escalation decides; these read the
tracker, answer with domain/handoff.yml responses and pause the conversation (Rasa's
``ConversationPaused``) so the bot stays quiet while a person owns it.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import ConversationPaused, EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.tracker import (
    ServicesAction,
    intent_of,
    lang,
    latest_entity,
    recent_topic_category,
    repeated_push,
    safe_run,
)
from gopay_support.core.handoff.escalation import Queued, Request
from gopay_support.core.handoff.model import CSAT_RANGE, Reason
from gopay_support.wiring import Services

log = logging.getLogger(__name__)

_REASON_BY_INTENT = {"account_compromised": Reason.ACCOUNT_COMPROMISED, "nlu_fallback": Reason.NOT_UNDERSTOOD}


async def escalate(
    services: Services, dispatcher: CollectingDispatcher, tracker: Tracker, reason: Reason
) -> list[EventType]:
    """Queue the conversation for an agent and pause the bot, or offer a ticket instead.

    Shared by :class:`ActionHandoff` and the second miss in a row of ``action_clarify``.
    """
    category = "security" if reason is Reason.ACCOUNT_COMPROMISED else recent_topic_category(tracker)
    request = Request(
        sender_id=tracker.sender_id,
        channel=tracker.get_latest_input_channel(),
        language=lang(tracker),
        reason=reason,
        events=tracker.events,
        category=category,
    )
    outcome = services.escalation.escalate(request, services.clock())
    if not isinstance(outcome, Queued):
        if outcome.ticket_number:
            dispatcher.utter_message(
                response="utter_handoff_unavailable_ticket", ticket_id=outcome.ticket_number
            )
        else:
            dispatcher.utter_message(response="utter_handoff_unavailable")
        return []
    dispatcher.utter_message(
        response="utter_handoff_queued_busy" if outcome.wait.busy_period else "utter_handoff_queued",
        position=outcome.place.position,
        wait_minutes=outcome.wait.minutes,
        ticket_id=outcome.ticket_number or "-",
        staffed_hours=services.settings.hours.staffed_text,
    )
    return [ConversationPaused()]


class ActionHandoff(ServicesAction):
    """``human_handoff`` (typed or the button) and ``account_compromised`` (high priority)."""

    def name(self) -> str:
        return "action_handoff"

    @safe_run
    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        reason = _REASON_BY_INTENT.get(intent_of(tracker) or "", Reason.REQUESTED)
        return await escalate(self.services, dispatcher, tracker, reason)


class ActionHandoffResumed(ServicesAction):
    """The agent resolved: say the bot is back and ask for a 1-5 rating with buttons."""

    def name(self) -> str:
        return "action_handoff_resumed"

    @safe_run
    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        if repeated_push(tracker):
            return []  # a hand-back that arrived twice: the rating is asked once
        buttons = [{"title": str(n), "payload": f'/csat_rate{{"csat_rating": "{n}"}}'} for n in CSAT_RANGE]
        dispatcher.utter_message(response="utter_handoff_resolved", buttons=buttons)
        return []


class ActionCsatRate(ServicesAction):
    """Stores the 1-5 rating the user gave after an agent handed the conversation back, pressed
    or typed ("5", "4分": NLU's TypedRating)."""

    def name(self) -> str:
        return "action_csat_rate"

    @safe_run
    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        rating = _rating(tracker)
        if rating is None:
            return []
        rated = self.services.handoffs.rate(tracker.sender_id, rating)
        if rated is not None:
            log.info("handoff %s rated %s", rated.id, rating)
        elif not _pressed(tracker):
            # A bare number typed when no handoff awaits a rating: not a rating after all.
            dispatcher.utter_message(response="utter_out_of_scope")
            return []
        dispatcher.utter_message(response="utter_csat_thanks")
        return []


def _pressed(tracker: Tracker) -> bool:
    """Whether the latest message is a button payload (``/csat_rate{...}``), not typed text."""
    return str((tracker.latest_message or {}).get("text") or "").lstrip().startswith("/")


def _rating(tracker: Tracker) -> int | None:
    value: Any = latest_entity(tracker, "csat_rating")
    try:
        rating = int(str(value).strip())
    except ValueError:
        return None
    return rating if rating in CSAT_RANGE else None
