"""Which mails are filed as tickets at once, and what the NLU reads of a mail."""

from __future__ import annotations

from typing import Any

import pytest

from channels.email.triage import asks, bare_text, triage

LIMIT = 4000


def parse(intent: str, topic: str | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {"intent": {"name": intent, "confidence": 0.9}}
    if topic:
        data["response_selector"] = {"faq": {"response": {"intent_response_key": topic}}}
    return data


PROBLEM_ZH = "昨天我充值了200元，银行已经扣款，但是钱包余额一直没有到账。"
PROBLEM_EN = "I topped up 200 yuan yesterday, the bank took the money but my balance did not change."


def test_a_problem_told_about_a_ticket_topic_is_filed_with_its_category_and_faq() -> None:
    decided = triage(parse("faq", "faq/topup_failed"), PROBLEM_ZH, LIMIT)
    assert decided.is_ticket and decided.category == "topup" and decided.faq_topic == "faq/topup_failed"
    assert triage(parse("faq", "faq/refund_failed"), PROBLEM_EN, LIMIT).category == "refund"


def test_a_question_about_the_same_topic_is_answered_not_filed() -> None:
    assert not triage(parse("faq", "faq/topup_failed"), "充值失败了怎么办？", LIMIT).is_ticket
    mail = "Hello,\nmy top-up failed yesterday. What should I do? I paid with my card.\nThanks"
    assert not triage(parse("faq", "faq/topup_failed"), mail, LIMIT).is_ticket


def test_faq_topics_without_a_ticket_category_are_answered() -> None:
    assert not triage(parse("faq", "faq/service_hours"), PROBLEM_EN, LIMIT).is_ticket


def test_asking_for_a_ticket_files_one() -> None:
    decided = triage(parse("open_ticket"), "I want to file a complaint about a withdrawal", LIMIT)
    assert decided.is_ticket and decided.category == "withdrawal"
    assert triage(parse("open_ticket"), "please open a ticket", LIMIT).category == "other"


def test_a_real_description_the_model_did_not_understand_goes_to_a_person() -> None:
    text = "The merchant charged me twice for the same order and the second payment shows pending."
    assert triage(parse("nlu_fallback"), text, LIMIT).category == "other"
    assert not triage(parse("nlu_fallback"), "hmm", LIMIT).is_ticket  # a one-liner is no report


def test_a_described_problem_the_model_took_as_out_of_scope_goes_to_a_person() -> None:
    card = "昨天我用银行卡 6222 0212 3456 7890 充值了200元，银行已经扣款，但是钱包余额一直没有到账。"
    assert triage(parse("out_of_scope"), card, LIMIT).category == "topup"
    assert not triage(parse("out_of_scope"), "Can you lend me 5000 yuan until Friday?", LIMIT).is_ticket
    assert not triage(parse("out_of_scope"), "tell me a joke", LIMIT).is_ticket


@pytest.mark.parametrize(
    "intent", ["human_handoff", "account_compromised", "ticket_status", "greet", "thanks"]
)
def test_conversation_intents_are_bot_turns(intent: str) -> None:
    assert not triage(parse(intent), PROBLEM_EN, LIMIT).is_ticket


def test_salutation_and_closing_are_left_out_for_the_nlu() -> None:
    assert bare_text("Hello, how do I reset my password?\n\nThanks,\nJohn") == "how do I reset my password?"
    assert bare_text("Hi John,\nMy refund never arrived.\n\nBest regards,\nAnn Lee\nAcme Ltd") == (
        "My refund never arrived."
    )
    assert bare_text("您好，\n我的提现三天了还没到账。\n\n谢谢！\n王明") == "我的提现三天了还没到账。"
    assert bare_text("Thanks") == "Thanks"  # nothing else to read: kept
    long_tail = "My card was charged.\n\nThanks\n" + "this line is far too long to be a name in a signature"
    assert bare_text(long_tail).endswith("signature")


def test_any_sentence_can_make_the_mail_a_question() -> None:
    assert asks("My withdrawal is late. How long does it take usually? I need it today.")
    assert asks("提现三天了还没到账，请问是怎么回事")
    assert not asks("My withdrawal is three days late. Please check it.")
