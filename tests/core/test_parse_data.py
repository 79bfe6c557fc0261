"""Reading the NLU's answer: the label contract in one place."""

from __future__ import annotations

from gopay_support.core import parse_data

FAQ = {
    "intent": {"name": "faq", "confidence": 0.9},
    "intent_ranking": [{"name": "faq"}, {"name": "greet"}],
    "response_selector": {
        "faq": {
            "response": {"intent_response_key": "faq/topup_failed"},
            "ranking": [
                {"intent_response_key": "faq/topup_failed"},
                {"intent_response_key": "faq/refund_failed"},
            ],
        }
    },
}


def test_the_faq_topic_stands_for_the_retrieval_intent() -> None:
    assert parse_data.intent(FAQ) == "faq" and parse_data.intent_confidence(FAQ) == 0.9
    assert parse_data.faq_topic(FAQ) == "faq/topup_failed"
    assert parse_data.contract_label(FAQ) == "faq/topup_failed"
    assert parse_data.faq_ranking(FAQ) == ["faq/topup_failed", "faq/refund_failed"]
    assert parse_data.intent_ranking(FAQ) == ["faq", "greet"]


def test_fallback_and_missing_data_count_as_out_of_scope() -> None:
    assert parse_data.contract_label({"intent": {"name": "nlu_fallback"}}) == "out_of_scope"
    assert parse_data.contract_label({}) == "out_of_scope"
    assert parse_data.contract_label(None) == "out_of_scope"
    assert parse_data.is_fallback({"intent": {"name": "nlu_fallback"}})


def test_other_intents_are_their_own_label_and_garbage_is_ignored() -> None:
    assert parse_data.contract_label({"intent": {"name": "greet"}}) == "greet"
    assert (
        parse_data.faq_topic({"intent": {"name": "greet"}, "response_selector": FAQ["response_selector"]})
        is None
    )
    assert parse_data.intent({"intent": "faq"}) is None
    assert parse_data.faq_ranking({"response_selector": {"faq": {"ranking": [None, 3, {"x": 1}]}}}) == []
