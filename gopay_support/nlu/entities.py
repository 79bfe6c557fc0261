"""Rule-based entity extractors: tracking numbers and the language of the message.

Both are deterministic, so they run as rules instead of being learnt by DIET: a tracking
number has a fixed format, and the language decides which reply variation Rasa picks
(slot ``language`` is filled from the ``language`` entity on every message).
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
    """Entity ``language`` (``zh`` / ``en``): the message's own language, else the language
    the client says its user chose (metadata ``language``, e.g. the widget's UI language or
    Telegram's ``language_code``); nothing when neither is known, so the slot keeps its value.
    """

    def extract(self, text: str, metadata: dict[str, Any]) -> list[dict[str, Any]]:
        hint = metadata.get("language") if isinstance(metadata, dict) else None
        detected = language.detect(text) or language.normalize(hint if isinstance(hint, str) else None)
        return [self._entity("language", detected, 0, len(text))] if detected else []
