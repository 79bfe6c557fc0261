"""Rasa's ResponseSelector, run only when the answer could be an FAQ.

Selecting the FAQ topic is a second neural network pass on every message; for greetings,
thanks, ticket-form answers and other plain intents its result is never used. It runs
when ``faq`` is among the intent classifier's top three (the clarification buttons offer
FAQ topics from that ranking) or for a ``/faq/<topic>`` button payload.

The selected answer's texts (``response.responses``, every variant of the topic's answer,
about half of a message's parse data) are dropped from the result: the answer is rendered
from the domain by its ``utter_action``, as for a button payload, and the parse data is
stored with every user message and sent to the action server with the whole conversation
on every custom action call.
"""

from __future__ import annotations

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.constants import (
    RESPONSE_SELECTOR_PREDICTION_KEY,
    RESPONSE_SELECTOR_PROPERTY_NAME,
    RESPONSE_SELECTOR_RESPONSES_KEY,
)
from rasa.nlu.selectors.response_selector import ResponseSelector
from rasa.shared.nlu.constants import INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

#: How deep in the intent ranking ``faq`` still makes the topic worth selecting.
RANKING_DEPTH = 3


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class FaqResponseSelector(ResponseSelector):
    def process(self, messages: list[Message]) -> list[Message]:
        selected = [m for m in messages if self._may_be_faq(m)]
        super().process(selected)
        for message in selected:
            drop_answer_texts(message)
        return messages

    def _may_be_faq(self, message: Message) -> bool:
        if (message.get(TEXT) or "").lstrip().startswith(f"/{self.retrieval_intent}/"):
            return True
        ranking = message.get(INTENT_RANKING_KEY) or []
        return any(r.get("name") == self.retrieval_intent for r in ranking[:RANKING_DEPTH])


def drop_answer_texts(message: Message) -> None:
    """Set the selected answer's texts to ``None`` in the message's parse data."""
    for output in (message.get(RESPONSE_SELECTOR_PROPERTY_NAME) or {}).values():
        prediction = output.get(RESPONSE_SELECTOR_PREDICTION_KEY) if isinstance(output, dict) else None
        if isinstance(prediction, dict) and RESPONSE_SELECTOR_RESPONSES_KEY in prediction:
            prediction[RESPONSE_SELECTOR_RESPONSES_KEY] = None
