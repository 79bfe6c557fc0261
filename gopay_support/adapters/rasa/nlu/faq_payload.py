"""Button payloads that name an FAQ topic directly, e.g. ``/faq/account_security``.

Rasa only resolves ``/intent`` payloads for intents declared in the domain, and retrieval
sub-intents are not declared, so follow-up buttons would otherwise be guessed by DIET from
the literal payload text. This component turns them into the exact prediction.
"""

from __future__ import annotations

import re

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from gopay_support.adapters.rasa.nlu.base import StatelessComponent

RESPONSE_SELECTOR = "response_selector"
_PAYLOAD_RE = re.compile(r"^/(faq)/([a-z_]+)$")


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class RetrievalPayloadResolver(StatelessComponent):
    """Must run after ResponseSelector and before FallbackClassifier in the pipeline."""

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            match = _PAYLOAD_RE.match((message.get(TEXT) or "").strip())
            if match:
                self._resolve(message, match.group(1), match.group(2))
        return messages

    @staticmethod
    def _resolve(message: Message, retrieval_intent: str, topic: str) -> None:
        key = f"{retrieval_intent}/{topic}"
        selector = dict(message.get(RESPONSE_SELECTOR) or {})
        known = {
            r.get("intent_response_key")
            for output in selector.values()
            if isinstance(output, dict)
            for r in output.get("ranking", [])
        }
        if key not in known:
            return
        prediction = {"name": retrieval_intent, "confidence": 1.0}
        message.set(INTENT, prediction, add_to_output=True)
        message.set(INTENT_RANKING_KEY, [prediction], add_to_output=True)
        selector[retrieval_intent] = {
            **selector.get(retrieval_intent, {}),
            "response": {
                "responses": None,
                "confidence": 1.0,
                "intent_response_key": key,
                "utter_action": f"utter_{key}",
            },
        }
        message.set(RESPONSE_SELECTOR, selector, add_to_output=True)
