"""What every action reads from the tracker, and what every action shares.

Thin helpers over :mod:`gopay_support.core.parse_data`: the conversation's language, the
latest intent and FAQ topic, the topic asked just before a form, and the base class that
gives an action the process's services and turns an unexpected error into a polite reply.
"""

from __future__ import annotations

import functools
import logging
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from gopay_support.core import language, parse_data
from gopay_support.core.handoff.transcript import OUTBOX_KEY, carries_key
from gopay_support.core.pii import mask
from gopay_support.core.tickets.validation import category_from_topic
from gopay_support.wiring import Services, process_services

log = logging.getLogger(__name__)

TICKET_FORM = "ticket_form"
STATUS_FORM = "ticket_status_form"


def lang(tracker: Tracker) -> str:
    """The conversation's language (the ``language`` slot the action server fills)."""
    return language.normalize(tracker.get_slot("language")) or language.DEFAULT


def faq_topic(tracker: Tracker) -> str | None:
    """``faq/<topic>`` of the latest message when it was classified as an FAQ question."""
    return parse_data.faq_topic(tracker.latest_message)


def intent_of(tracker: Tracker) -> str | None:
    return parse_data.intent(tracker.latest_message)


def recent_topic_category(tracker: Tracker, lookback: int = 3) -> str | None:
    """The ticket category of what the user asked just before opening a form.

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
        category = category_from_topic(parse_data.topic_or_intent(event.get("parse_data")))
        if category:
            return category
    return None


def form_is_running(tracker: Tracker, form: str) -> bool:
    return (tracker.active_loop or {}).get("name") == form


def answer_faq(dispatcher: CollectingDispatcher, topic: str) -> None:
    """Answer an FAQ asked in the middle of a form; the form then asks its question again."""
    dispatcher.utter_message(response=f"utter_{topic}")


class ServicesAction(Action, ABC):
    """An action with the process's services (stores, rules); tests pass their own."""

    def __init__(self, services: Services | None = None) -> None:
        self._services = services

    @abstractmethod
    def name(self) -> str:
        """The action's name in the domain."""

    @property
    def services(self) -> Services:
        if self._services is None:
            # rasa_sdk instantiates actions without arguments: the action server's entry point.
            self._services = process_services()
        return self._services


Run = Callable[..., Awaitable[list[EventType]]]
R = TypeVar("R", bound=Run)


def safe_run(run: R) -> R:
    """Turn an unexpected error into a polite answer and a masked log line.

    The action server's own handler never returns the tracker (actions/server.py); this
    additionally keeps the conversation going instead of an error in the Rasa logs.
    """

    @functools.wraps(run)
    async def wrapper(
        self: Action, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        try:
            return await run(self, dispatcher, tracker, domain)
        except Exception as exc:  # noqa: BLE001
            log.error("action %s failed: %s: %s", self.name(), type(exc).__name__, mask(str(exc)))
            dispatcher.utter_message(response="utter_ticket_error")
            return []

    return wrapper  # type: ignore[return-value]


def latest_entity(tracker: Tracker, name: str) -> Any:
    return next(tracker.get_latest_entity_values(name), None)


def repeated_push(tracker: Tracker) -> bool:
    """Whether the intent just triggered from outside (a status push, the hand-back) reached
    the conversation before: its outbox key is on an earlier user event too. The console's
    outbox checks the tracker before resending, but a try still in flight when it looked
    can land twice; the bot then says nothing the second time."""
    key = latest_entity(tracker, OUTBOX_KEY)
    if not isinstance(key, str) or not key:
        return False
    return sum(1 for event in tracker.events if carries_key(event, key)) > 1
