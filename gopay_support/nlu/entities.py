"""Rule-based extractors: tracking numbers and the language of the message.

Both are deterministic, so they run as rules instead of being learnt by DIET. A tracking
number has a fixed format and becomes the entity ``ticket_id``. The language is not an
entity (it is not something the user said): it is stored as ``parse_data["language"]`` and
read by the response generator and the actions through :mod:`gopay_support.language`.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import (
    METADATA,
    ENTITIES,
    ENTITY_ATTRIBUTE_END,
    ENTITY_ATTRIBUTE_START,
    ENTITY_ATTRIBUTE_TYPE,
    ENTITY_ATTRIBUTE_VALUE,
    EXTRACTOR,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from gopay_support import language, tracking

LANGUAGE = "language"


class _RuleExtractor(GraphComponent):
    """Shared plumbing: stateless, nothing to train, appends entities to each message."""

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> _RuleExtractor:
        return cls()

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            found = self.extract(message.get(TEXT) or "", message.get(METADATA) or {})
            if found:
                entities = [e for e in message.get(ENTITIES, []) if e[ENTITY_ATTRIBUTE_TYPE] not in {
                    f[ENTITY_ATTRIBUTE_TYPE] for f in found}]
                message.set(ENTITIES, entities + found, add_to_output=True)
        return messages

    def extract(self, text: str, metadata: dict[str, Any]) -> list[dict[str, Any]]:
        raise NotImplementedError

    def _entity(self, entity: str, value: str, start: int, end: int) -> dict[str, Any]:
        return {
            ENTITY_ATTRIBUTE_TYPE: entity,
            ENTITY_ATTRIBUTE_VALUE: value,
            ENTITY_ATTRIBUTE_START: start,
            ENTITY_ATTRIBUTE_END: end,
            EXTRACTOR: type(self).__name__,
        }


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class TrackingNumberExtractor(_RuleExtractor):
    """Entity ``ticket_id`` with the canonical ``GP-XXXXXXXX`` value, any case or spacing."""

    def extract(self, text: str, metadata: dict[str, Any]) -> list[dict[str, Any]]:
        return [self._entity("ticket_id", value, s, e) for s, e, value in tracking.find_all(text)]


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class LanguageExtractor(_RuleExtractor):
    """``parse_data["language"]``: ``zh`` / ``en`` from the message itself, else the language
    the client says its user chose (metadata ``language``: the widget's UI language,
    Telegram's ``language_code``); absent when neither is known, so the conversation keeps
    the language it had.
    """

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            metadata = message.get(METADATA) or {}
            hint = metadata.get("language") if isinstance(metadata, dict) else None
            detected = language.detect(message.get(TEXT) or "") or language.normalize(
                hint if isinstance(hint, str) else None)
            if detected:
                message.set(LANGUAGE, detected, add_to_output=True)
        return messages

    def extract(self, text: str, metadata: dict[str, Any]) -> list[dict[str, Any]]:
        return []
