"""Answer only what was understood: the FAQ topic's own confidence, and fixed-form messages.

DIET says whether a message is an FAQ question; the response selector then picks the topic.
A message close to the guide's topics but outside them ("how do I use PayPal", "loan
rates") is confidently ``faq`` while no topic fits: the topic's confidence is low
(0.2-0.5), so :class:`FaqTopicGate` turns such a prediction into ``nlu_fallback`` and the
assistant clarifies with the likeliest topics instead of answering the wrong one. The
threshold is read off the precision/coverage table of the NLU report
(``devtools/nlu_gate.py``, docs/nlu_calibration.md).

:class:`TrackingNumberIntent` reads a message that carries a tracking number (valid or
malformed) and nothing else the model understood as a status request.
:class:`LanguageRequest` reads a message that only asks for a reply language as
``switch_language`` (the request is a fixed phrase: :func:`gopay_support.core.language.requested`).
:class:`TypedRating` reads a message that is only a 1-5 rating ("5", "4分") as the CSAT
rating the buttons send; action_csat_rate stores it when a handoff awaits a rating.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from gopay_support.adapters.rasa.nlu.base import StatelessComponent
from gopay_support.core import language, parse_data, tracking
from gopay_support.core.handoff.model import typed_rating

#: Output key recording a demoted FAQ answer (read by the NLU report's trade-off table).
FAQ_GATE = "faq_gate"
TICKET_STATUS = "ticket_status"
#: Labels that, with a tracking number in the message, mean "what is the status of this
#: ticket": not understood, out of scope, or the FAQ on how tickets are handled in general.
_ABOUT_A_NUMBER = frozenset({parse_data.OUT_OF_SCOPE, "faq/ticket_process"})
SWITCH_LANGUAGE = "switch_language"
CSAT_RATE = "csat_rate"
CSAT_RATING = "csat_rating"


def _rank_first(message: Message, prediction: dict[str, Any]) -> None:
    ranking = [r for r in message.get(INTENT_RANKING_KEY) or [] if r.get("name") != prediction["name"]]
    message.set(INTENT, prediction, add_to_output=True)
    message.set(INTENT_RANKING_KEY, [prediction, *ranking], add_to_output=True)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class FaqTopicGate(StatelessComponent):
    """``faq`` whose topic confidence is below ``threshold`` becomes ``nlu_fallback``.

    Runs after the response selector, the payload resolver and the FallbackClassifier. The
    response selector's output stays, so the clarification can offer its topics.
    """

    def __init__(self, threshold: float) -> None:
        self.threshold = threshold

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"threshold": 0.5}

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> FaqTopicGate:
        return cls(float(config.get("threshold", cls.get_default_config()["threshold"])))

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            parse = message.as_dict()
            if parse_data.intent(parse) != parse_data.FAQ_INTENT:
                continue
            confidence = parse_data.faq_topic_confidence(parse)
            if confidence >= self.threshold:
                continue
            message.set(
                FAQ_GATE,
                {"topic": parse_data.faq_topic(parse), "confidence": confidence, "threshold": self.threshold},
                add_to_output=True,
            )
            _rank_first(message, {"name": parse_data.FALLBACK_INTENT, "confidence": confidence})
        return messages


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class TrackingNumberIntent(StatelessComponent):
    """A message with a tracking number that was not otherwise understood is ``ticket_status``;
    so is one with a malformed number ("GP-1234567"), which the status form then explains.

    Runs after :class:`FaqTopicGate`. So is one the model took for the general FAQ on how
    tickets are handled ("tracking number GP-… status?"). A message that says something else
    about the number ("GP-… 转人工", "open a ticket about GP-…") keeps its intent.
    """

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            has_number = any(e.get("entity") == "ticket_id" for e in message.get(ENTITIES) or [])
            if not has_number and not tracking.find_malformed(message.get(TEXT) or ""):
                continue
            if parse_data.contract_label(message.as_dict()) in _ABOUT_A_NUMBER:
                _rank_first(message, {"name": TICKET_STATUS, "confidence": 1.0})
        return messages


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class TypedRating(StatelessComponent):
    """A message that is only a 1-5 rating is ``csat_rate`` with the ``csat_rating`` entity."""

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            rating = typed_rating(text)
            if rating is None:
                continue
            entity = {
                "entity": CSAT_RATING,
                "value": str(rating),
                "start": 0,
                "end": len(text),
                "extractor": type(self).__name__,
            }
            others = [e for e in message.get(ENTITIES) or [] if e.get("entity") != CSAT_RATING]
            message.set(ENTITIES, [*others, entity], add_to_output=True)
            _rank_first(message, {"name": CSAT_RATE, "confidence": 1.0})
        return messages


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class LanguageRequest(StatelessComponent):
    """A message that only asks for a reply language ("could you reply in English") is
    ``switch_language``; one that asks a question as well keeps its intent (and the reply
    language follows the request anyway, through the language extractor)."""

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            if language.only_requests_language(message.get(TEXT) or ""):
                _rank_first(message, {"name": SWITCH_LANGUAGE, "confidence": 1.0})
        return messages
