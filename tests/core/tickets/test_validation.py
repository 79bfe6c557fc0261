"""Validators of the ticket form input (pure functions, both languages)."""

from __future__ import annotations

import pytest

from gopay_support.core.tickets.validation import (
    DescriptionProblem,
    category_from_text,
    category_from_topic,
    check_description,
    correction,
    edited_field,
    is_cancel,
    is_question,
    is_refusal,
    is_skip,
    parse_problem_time,
    parse_transaction_id,
)


@pytest.mark.parametrize(
    "text",
    [
        "我的账户被冻结",
        "充值了100元但是没到账",
        "My account is frozen",
        "The top-up failed and the money left my bank card",
        "提现到银行卡三天了还没到账，显示处理中",
    ],
)
def test_clear_descriptions_pass(text: str) -> None:
    assert check_description(text, 1000) is None


@pytest.mark.parametrize(
    "text",
    [
        "我不能用了",
        "不能用",
        "有问题",
        "it doesn't work",
        "help",
        "Not working!!",
        "坏了",
        "gopay 出错了",
        "problem",
    ],
)
def test_vague_descriptions_are_refused(text: str) -> None:
    assert check_description(text, 1000) is DescriptionProblem.VAGUE


def test_too_long_description() -> None:
    assert check_description("充值失败" * 300, 1000) is DescriptionProblem.TOO_LONG
    assert check_description("充值失败了钱没到账" * 10, 1000) is None


@pytest.mark.parametrize("text", ["算了", "算了吧！", "取消", "Cancel", "never mind", "forget it."])
def test_cancel(text: str) -> None:
    assert is_cancel(text)


@pytest.mark.parametrize(
    "text", ["我想取消自动扣款但是失败了", "cancel my subscription failed", "跳过", "no"]
)
def test_not_cancel(text: str) -> None:
    assert not is_cancel(text)


def test_skip() -> None:
    assert all(is_skip(t) for t in ("跳过", "没有", "skip", "No.", "I don't know"))
    assert not any(is_skip(t) for t in ("TX123456", "昨天下午", "算了"))


def test_questions() -> None:
    questions = ("客服几点上班", "退款失败怎么办", "How long does a refund take", "is gopay safe?")
    assert all(is_question(t) for t in questions)
    assert not any(is_question(t) for t in ("我充值了100元没到账", "The refund never arrived"))


def test_transaction_id_and_time() -> None:
    assert parse_transaction_id("交易号是 TX20261124001") == "TX20261124001"
    assert parse_transaction_id("no id") is None
    assert parse_problem_time("  昨天   下午3点 ") == "昨天 下午3点"
    assert parse_problem_time("x" * 101) is None


def test_category_from_topic_and_text() -> None:
    assert category_from_topic("faq/topup_failed") == "topup"
    assert category_from_topic("account_compromised") == "security"
    assert category_from_topic("faq/service_hours") is None
    assert category_from_text("topup") == "topup"
    assert category_from_text("提现") == "withdrawal"
    assert category_from_text("Refund") == "refund"
    assert category_from_text("我的账号被盗了") == "security"
    assert category_from_text("天气") is None


def test_corrections_name_the_field_to_change():
    assert edited_field("edit_contact") == "contact"
    assert edited_field("edit_nonsense") is None
    assert correction("改一下联系方式") == "contact"
    assert correction("wrong category") == "category"
    assert correction("the time I gave you before was wrong, it was in the morning") is None
    assert edited_field("我的手机号") is None  # no change verb


def test_refusals_are_cancel_words_or_a_short_deny():
    assert is_refusal("算了", None)
    assert is_refusal("不了", "deny")
    assert not is_refusal("我不能用了，充值一直失败，请帮我看看", "deny")
