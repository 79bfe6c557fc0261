"""Rule-based extractors: tracking numbers and the language of the message.

Both are deterministic, so they run as rules instead of being learnt by DIET. A tracking
number has a fixed format and becomes the entity ``ticket_id``. The language is not an
entity (it is not something the user said): it is stored as ``parse_data["language"]`` and
read by the response generator and the actions through :mod:`gopay_support.core.language`.
"""

from __future__ import annotations

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import (
    ENTITIES,
    ENTITY_ATTRIBUTE_END,
    ENTITY_ATTRIBUTE_START,
    ENTITY_ATTRIBUTE_TYPE,
    ENTITY_ATTRIBUTE_VALUE,
    EXTRACTOR,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message

from gopay_support.adapters.rasa.nlu.base import StatelessComponent
from gopay_support.core import language, tracking

LANGUAGE = "language"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class TrackingNumberExtractor(StatelessComponent):
    """Entity ``ticket_id`` with the canonical ``GP-XXXXXXXX`` value, any case or spacing."""

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            found = [
                {
                    ENTITY_ATTRIBUTE_TYPE: "ticket_id",
                    ENTITY_ATTRIBUTE_VALUE: value,
                    ENTITY_ATTRIBUTE_START: start,
                    ENTITY_ATTRIBUTE_END: end,
                    EXTRACTOR: type(self).__name__,
                }
                for start, end, value in tracking.find_all(message.get(TEXT) or "")
            ]
            if found:
                others = [e for e in message.get(ENTITIES, []) if e[ENTITY_ATTRIBUTE_TYPE] != "ticket_id"]
                message.set(ENTITIES, others + found, add_to_output=True)
        return messages


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class LanguageExtractor(StatelessComponent):
    """``parse_data["language"]``: ``zh`` / ``en`` when the text carries a language signal,
    absent otherwise (the conversation then keeps its language; the client's own hint in the
    message metadata is weighed later, by :func:`gopay_support.core.language.of_conversation`).
    """

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            detected = language.detect(message.get(TEXT) or "")
            if detected:
                message.set(LANGUAGE, detected, add_to_output=True)
        return messages
