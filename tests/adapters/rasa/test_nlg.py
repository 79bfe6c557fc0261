"""The response generator: the conversation's language picks the variation, contact details
come from settings, and nothing else about Rasa's templating changes."""

from __future__ import annotations

import asyncio
from typing import Any

from rasa.shared.core.domain import Domain
from rasa.shared.core.events import UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from gopay_support.adapters.rasa.nlg import ConfiguredResponseGenerator
from gopay_support.core.settings import ContactDetails

DOMAIN = Domain.from_dict(
    {
        "slots": {
            "language": {"type": "categorical", "values": ["zh", "en"], "mappings": [{"type": "custom"}]}
        },
        "responses": {
            "utter_call": [
                {
                    "condition": [{"type": "slot", "name": "language", "value": "en"}],
                    "text": "Call {support_phone}.",
                },
                {"text": "请拨打 {support_phone}。"},
            ]
        },
    }
)


def generate(*turns: dict[str, Any]) -> str:
    tracker = DialogueStateTracker("rest:a", DOMAIN.slots)
    for turn in turns:
        tracker.update(
            UserUttered(
                turn.get("text", ""), parse_data=turn.get("parse_data"), metadata=turn.get("metadata")
            )
        )
    generator = ConfiguredResponseGenerator(domain=DOMAIN, contact=ContactDetails(phone="400-000-0000"))
    reply = asyncio.run(generator.generate("utter_call", tracker, "rest"))
    assert reply is not None
    return str(reply["text"])


def test_reply_follows_the_latest_message_with_a_language_and_fills_the_contact() -> None:
    assert generate({"parse_data": {"language": "en"}}) == "Call 400-000-0000."
    assert (
        generate({"parse_data": {"language": "en"}}, {"parse_data": {"language": "zh"}})
        == "请拨打 400-000-0000。"
    )


def test_a_message_without_language_keeps_the_conversations_language() -> None:
    assert generate({"parse_data": {"language": "en"}}, {"parse_data": {}}) == "Call 400-000-0000."


def test_the_clients_hint_counts_only_before_the_user_wrote_anything() -> None:
    assert generate({"parse_data": {}, "metadata": {"language": "en"}}) == "Call 400-000-0000."
    assert (
        generate({"parse_data": {"language": "zh"}, "metadata": {"language": "en"}})
        == "请拨打 400-000-0000。"
    )
