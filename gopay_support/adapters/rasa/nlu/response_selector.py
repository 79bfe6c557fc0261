"""Rasa's ResponseSelector, run only when the answer could be an FAQ.

Selecting the FAQ topic is a second neural network pass on every message; for greetings,
thanks, ticket-form answers and other plain intents its result is never used. It runs
when ``faq`` is among the intent classifier's top three (the clarification buttons offer
FAQ topics from that ranking) or for a ``/faq/<topic>`` button payload.
"""

from __future__ import annotations

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.selectors.response_selector import ResponseSelector
from rasa.shared.nlu.constants import INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

#: How deep in the intent ranking ``faq`` still makes the topic worth selecting.
RANKING_DEPTH = 3


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class FaqResponseSelector(ResponseSelector):
    def process(self, messages: list[Message]) -> list[Message]:
        super().process([m for m in messages if self._may_be_faq(m)])
        return messages

    def _may_be_faq(self, message: Message) -> bool:
        if (message.get(TEXT) or "").lstrip().startswith(f"/{self.retrieval_intent}/"):
            return True
        ranking = message.get(INTENT_RANKING_KEY) or []
        return any(r.get("name") == self.retrieval_intent for r in ranking[:RANKING_DEPTH])
