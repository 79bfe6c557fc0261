"""Contrast in customer messages: "not X, Y" is about Y (issue 12)."""

from __future__ import annotations

import pytest

from gopay_support.core.text import contrast_point


@pytest.mark.parametrize(
    ("text", "point"),
    [
        ("不是提现 是充值没到账", "是充值没到账"),
        ("我问的不是退款，是充进去的钱没显示", "是充进去的钱没显示"),
        ("充值没问题 就是提现一直不到", "就是提现一直不到"),
        ("不用转人工 帮我提交工单就行", "帮我提交工单就行"),
        ("this isnt about a refund, my top up failed", "my top up failed"),
        ("i did not forget my password, someone changed it", "someone changed it"),
        ("not the hours, what are the ways to reach support", "what are the ways to reach support"),
    ],
)
def test_an_explicit_contrast_is_read_from_its_point(text: str, point: str) -> None:
    assert text[contrast_point(text) :] == point


@pytest.mark.parametrize(
    "text",
    [
        "我没有收到验证码 注册不了",  # two facts
        "不是的 你理解错了",  # a denial, no point after it
        "no, thank you",
        "not really, thanks",
        "that payment was not me and nobody else has my phone",
        "not getting the sms code when signing up",
        "充值失败了",
    ],
)
def test_everything_else_is_read_whole(text: str) -> None:
    assert contrast_point(text) == 0
