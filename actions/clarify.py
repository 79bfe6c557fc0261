"""Low-confidence understanding: offer the likeliest topics, then escalate to a person; vague
complaints: ask what exactly went wrong, then offer a ticket or a person."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.handoff import escalate
from actions.tracker import ServicesAction, lang
from gopay_support.core import catalogue, parse_data, topics
from gopay_support.core.handoff.model import Reason

#: Labels never offered as a clarification button.
_NOT_OFFERED = {
    "nlu_fallback",
    "out_of_scope",
    "greet",
    "goodbye",
    "thanks",
    "affirm",
    "deny",
    "bot_challenge",
}
MAX_SUGGESTIONS = 3


def suggested_labels(parse: dict[str, Any], limit: int = MAX_SUGGESTIONS) -> list[str]:
    """The top labels of a parse result, with ``faq`` expanded to its FAQ topics."""
    faq_topics = parse_data.faq_ranking(parse)
    labels: list[str] = []
    for name in parse_data.intent_ranking(parse):
        if name == parse_data.FAQ_INTENT:
            labels.extend(faq_topics[:2])
        elif name not in _NOT_OFFERED:
            labels.append(name)
    unique = [label for i, label in enumerate(labels) if label and label not in labels[:i]]
    return [label for label in unique if label in topics.TOPIC_TITLES][:limit]


VAGUE_PROBLEM = "vague_problem"


def consecutive_user_turns(tracker: Tracker, matches: Callable[[Any], bool]) -> int:
    """How many user messages in a row, up to the latest, have parse data that ``matches``."""
    count = 0
    for event in reversed(tracker.events):
        if event.get("event") != "user":
            continue
        if not matches(event.get("parse_data")):
            break
        count += 1
    return count


def consecutive_fallbacks(tracker: Tracker) -> int:
    """How many user messages in a row, up to the latest, were not understood."""
    return consecutive_user_turns(tracker, parse_data.is_fallback)


class ActionClarify(ServicesAction):
    """First miss: "did you mean…" with the top 2-3 topics; second miss in a row: a hint on
    describing the problem, and the conversation goes to a person (issue 6)."""

    def name(self) -> str:
        return "action_clarify"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        if consecutive_fallbacks(tracker) >= 2:
            dispatcher.utter_message(response="utter_handoff_not_understood")
            return await escalate(self.services, dispatcher, tracker, Reason.NOT_UNDERSTOOD)
        language = lang(tracker)
        labels = suggested_labels(tracker.latest_message or {})
        if not labels:
            dispatcher.utter_message(response="utter_fallback_help")
            return []
        buttons = [
            {"title": topics.title(label, language), "payload": topics.payload(label)} for label in labels
        ]
        buttons.append(
            {"title": catalogue.text("button.none_of_these", language), "payload": "/out_of_scope"}
        )
        dispatcher.utter_message(response="utter_clarify", buttons=buttons)
        return []


class ActionVagueProblem(ServicesAction):
    """Seed 5.2: a vague complaint ("我不能用了") gets a request for the function, the error and
    the time, with an example and the common topics; a second one in a row gets the offer of
    a ticket or a person (utter_vague_problem_again)."""

    def name(self) -> str:
        return "action_vague_problem"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        again = consecutive_user_turns(tracker, lambda p: parse_data.intent(p) == VAGUE_PROBLEM) >= 2
        dispatcher.utter_message(response="utter_vague_problem_again" if again else "utter_vague_problem")
        return []
