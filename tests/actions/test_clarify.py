"""Low-confidence understanding: the likeliest topics as buttons, then a person."""

from __future__ import annotations

import pytest
from support.actions import conversation, responses, run, services, user_turn

from actions.clarify import ActionClarify, ActionVagueProblem, consecutive_fallbacks, suggested_labels

UNSURE = {
    "intent_ranking": [
        {"name": "nlu_fallback", "confidence": 0.45},
        {"name": "faq", "confidence": 0.3},
        {"name": "greet", "confidence": 0.1},
        {"name": "ticket_status", "confidence": 0.1},
    ],
    "response_selector": {
        "faq": {
            "ranking": [
                {"intent_response_key": "faq/topup_failed", "confidence": 0.5},
                {"intent_response_key": "faq/withdraw_delayed", "confidence": 0.3},
                {"intent_response_key": "faq/refund_failed", "confidence": 0.2},
            ]
        }
    },
}


def test_suggestions_expand_faq_into_topics_and_skip_chit_chat() -> None:
    assert suggested_labels(UNSURE) == ["faq/topup_failed", "faq/withdraw_delayed", "ticket_status"]
    assert suggested_labels({"intent_ranking": [{"name": "greet"}]}) == []


def test_consecutive_misses_are_counted_up_to_the_latest_message() -> None:
    tracker = conversation(
        "rest:a",
        user_turn("充值", "faq", 1.0),
        user_turn("嗯嗯", "nlu_fallback", 2.0),
        user_turn("啊这", "nlu_fallback", 3.0),
    )
    assert consecutive_fallbacks(tracker) == 2


@pytest.mark.parametrize(("language", "none_title"), [("zh", "都不是"), ("en", "None of these")])
def test_first_miss_offers_topics_in_the_conversations_language(language: str, none_title: str) -> None:
    tracker = conversation("rest:a", user_turn("钱的问题", "nlu_fallback", 1.0, **UNSURE), language=language)
    _, messages, events = run(ActionClarify(services()), tracker)
    assert responses(messages) == ["utter_clarify"] and events == []
    buttons = messages[0]["buttons"]
    assert [b["payload"] for b in buttons] == [
        "/faq/topup_failed",
        "/faq/withdraw_delayed",
        "/ticket_status",
        "/out_of_scope",
    ]
    assert buttons[-1]["title"] == none_title
    assert buttons[0]["title"] == ("充值失败/未到账" if language == "zh" else "Top-up failed")


def test_a_miss_without_candidates_explains_what_the_assistant_covers() -> None:
    tracker = conversation("rest:a", user_turn("🙂", "nlu_fallback", 1.0))
    _, messages, _ = run(ActionClarify(services()), tracker)
    assert responses(messages) == ["utter_fallback_help"]


def test_second_miss_in_a_row_hands_over_or_offers_a_ticket_when_nobody_is_on_duty() -> None:
    tracker = conversation(
        "rest:a", user_turn("嗯", "nlu_fallback", 1.0), user_turn("啊", "nlu_fallback", 2.0)
    )
    _, messages, events = run(ActionClarify(services()), tracker)
    assert responses(messages) == ["utter_handoff_not_understood", "utter_handoff_unavailable"]
    assert events == []


def _vague(*turns: tuple[str, str]) -> list[str | None]:
    tracker = conversation("rest:a", *(user_turn(t, i, n + 1.0) for n, (t, i) in enumerate(turns)))
    _, messages, _ = run(ActionVagueProblem(services()), tracker)
    return responses(messages)


def test_a_vague_complaint_asks_for_function_error_and_time() -> None:
    assert _vague(("我不能用了", "vague_problem")) == ["utter_vague_problem"]
    assert _vague(("充值失败", "faq"), ("又用不了", "vague_problem")) == ["utter_vague_problem"]


def test_a_second_vague_complaint_in_a_row_offers_a_ticket_or_an_agent() -> None:
    assert _vague(("用不了", "vague_problem"), ("还是不行", "vague_problem")) == ["utter_vague_problem_again"]
