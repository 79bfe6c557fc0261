"""Reading what the NLU understood out of Rasa's parse data (plain dictionaries).

Parse data arrives in several places (``tracker.latest_message`` in actions, user events in
stored conversations, ``/model/parse`` answers in the NLU gate); the label contract is read
here only: the FAQ topic (``faq/<topic>``) when the intent is the retrieval intent ``faq``,
the intent otherwise, and ``out_of_scope`` for a low-confidence ``nlu_fallback``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

FAQ_INTENT = "faq"
FALLBACK_INTENT = "nlu_fallback"
OUT_OF_SCOPE = "out_of_scope"

ParseData = Mapping[str, Any]


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def intent(parse: ParseData | None) -> str | None:
    """The top intent's name, or ``None`` when there is none."""
    name = _mapping(_mapping(parse).get("intent")).get("name")
    return name if isinstance(name, str) else None


def intent_confidence(parse: ParseData | None) -> float:
    value = _mapping(_mapping(parse).get("intent")).get("confidence")
    return float(value) if isinstance(value, int | float) else 0.0


def _faq_selector(parse: ParseData | None) -> Mapping[str, Any]:
    return _mapping(_mapping(_mapping(parse).get("response_selector")).get(FAQ_INTENT))


def faq_topic(parse: ParseData | None) -> str | None:
    """``faq/<topic>`` when the message was classified as an FAQ question, else ``None``."""
    if intent(parse) != FAQ_INTENT:
        return None
    key = _mapping(_faq_selector(parse).get("response")).get("intent_response_key")
    return key if isinstance(key, str) and key else None


def faq_topic_confidence(parse: ParseData | None) -> float:
    """The response selector's confidence in its chosen FAQ topic (0.0 when none was chosen)."""
    value = _mapping(_faq_selector(parse).get("response")).get("confidence")
    return float(value) if isinstance(value, int | float) else 0.0


def faq_ranking(parse: ParseData | None) -> list[str]:
    """The FAQ topics the response selector ranked, best first."""
    ranking = _faq_selector(parse).get("ranking") or []
    keys = (_mapping(entry).get("intent_response_key") for entry in ranking)
    return [key for key in keys if isinstance(key, str) and key]


def intent_ranking(parse: ParseData | None) -> list[str]:
    ranking = _mapping(parse).get("intent_ranking") or []
    names = (_mapping(entry).get("name") for entry in ranking)
    return [name for name in names if isinstance(name, str) and name]


def topic_or_intent(parse: ParseData | None) -> str | None:
    """The FAQ topic of an FAQ question, the intent otherwise."""
    return faq_topic(parse) or intent(parse)


def contract_label(parse: ParseData | None) -> str:
    """The label of the NLU contract (docs/nlu_labels.md) for one parse result."""
    name = intent(parse)
    if name == FAQ_INTENT:
        return faq_topic(parse) or FAQ_INTENT
    if name in (None, FALLBACK_INTENT):
        return OUT_OF_SCOPE
    return name


def is_fallback(parse: ParseData | None) -> bool:
    return intent(parse) == FALLBACK_INTENT
