"""Things defined in several places that must agree: the Rasa domain, the topic registry, the
ticket lifecycle and the NLU data. A topic or status added in one place only fails here."""

from __future__ import annotations

from pathlib import Path

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.nlu.training_data.loading import load_data

from actions.clarify import suggested_labels
from gopay_support.core import topics
from gopay_support.core.tickets.model import TOPIC_CATEGORY, TicketStatus

ROOT = Path(__file__).resolve().parent.parent
DOMAIN = Domain.load(str(ROOT / "domain"))
FAQ_RESPONSES = sorted(name[len("utter_") :] for name in DOMAIN.responses if name.startswith("utter_faq/"))
NLU = load_data(str(ROOT / "data" / "nlu"))
FAQ_LABELS = sorted(
    {m.get("intent_response_key") for m in NLU.intent_examples if m.get("intent_response_key")}
)


def languages_of(response: str) -> set[str]:
    """The languages a response has a variation for (the unconditioned default is Chinese)."""
    found = set()
    for variation in DOMAIN.responses[response]:
        conditions = variation.get("condition") or []
        values = {c.get("value") for c in conditions if c.get("name") == "language"}
        found |= values or {"zh"}
    return found


def test_every_faq_topic_is_trained_and_answered() -> None:
    assert FAQ_LABELS == FAQ_RESPONSES


@pytest.mark.parametrize("topic", FAQ_RESPONSES)
def test_every_faq_answer_has_titles_and_both_languages(topic: str) -> None:
    assert topic in topics.TOPIC_TITLES, f"{topic} has no title in gopay_support/core/topics.py"
    title = topics.TOPIC_TITLES[topic]
    assert title.zh and title.en
    assert languages_of(f"utter_{topic}") == {"zh", "en"}


@pytest.mark.parametrize("topic", FAQ_RESPONSES)
def test_every_faq_topic_can_be_offered_in_a_clarification(topic: str) -> None:
    parse = {
        "intent_ranking": [{"name": "faq", "confidence": 0.4}],
        "response_selector": {"faq": {"ranking": [{"intent_response_key": topic, "confidence": 0.4}]}},
    }
    assert suggested_labels(parse) == [topic]


@pytest.mark.parametrize("status", [s.value for s in TicketStatus])
def test_every_ticket_status_has_status_and_update_answers_in_both_languages(status: str) -> None:
    for kind in ("status", "update"):
        name = f"utter_ticket_{kind}_{status}"
        assert name in DOMAIN.responses, f"{name} missing from domain/tickets.yml"
        assert languages_of(name) == {"zh", "en"}


def test_topics_that_name_a_ticket_category_are_real_labels() -> None:
    labels = set(FAQ_LABELS) | set(DOMAIN.intents)
    assert set(TOPIC_CATEGORY) <= labels
    assert set(topics.TOPIC_TITLES) <= labels


@pytest.mark.parametrize("response", ["utter_vague_problem"])
def test_topic_buttons_in_responses_use_the_topic_titles(response: str) -> None:
    """Buttons that offer topics in a domain answer carry the titles of core/topics.py."""
    for variation in DOMAIN.responses[response]:
        conditions = variation.get("condition") or []
        lang = next((c["value"] for c in conditions if c.get("name") == "language"), "zh")
        buttons = variation.get("buttons") or []
        assert buttons
        for button in buttons:
            label = button["payload"].lstrip("/")
            assert label in topics.TOPIC_TITLES, label
            assert button["title"] == topics.title(label, lang)
