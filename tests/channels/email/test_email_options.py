"""Buttons as numbered options and replies back to payloads (channels/email/options.py)."""

from __future__ import annotations

import pytest

from channels.email.options import HINTS, Option, choose, numbered_options, render

BUTTONS_ZH = [
    {"title": "提交工单", "payload": "/submit_ticket"},
    {"title": "转人工客服", "payload": "/request_human"},
    {"title": "帮助中心", "url": "https://gopay.test/help"},
    {"title": "账户安全", "payload": '/faq/account_security{"x": 1}'},
]


def test_numbered_options_skip_link_buttons() -> None:
    assert numbered_options(BUTTONS_ZH) == [
        Option(1, "提交工单", "/submit_ticket"),
        Option(2, "转人工客服", "/request_human"),
        Option(3, "账户安全", '/faq/account_security{"x": 1}'),
    ]


def test_render_zh() -> None:
    text = render("还有什么可以帮您？", BUTTONS_ZH, "zh")
    assert text == (
        "还有什么可以帮您？\n\n1. 提交工单\n2. 转人工客服\n3. 账户安全\n\n"
        "帮助中心: https://gopay.test/help\n\n" + HINTS["zh"]
    )


def test_render_en_without_buttons_is_just_the_text() -> None:
    assert render("Hello!", [], "en") == "Hello!"
    assert render("Pick one:", [{"title": "Talk to an agent", "payload": "/request_human"}], "en") == (
        "Pick one:\n\n1. Talk to an agent\n\n" + HINTS["en"]
    )


def test_button_without_title_shows_its_payload() -> None:
    buttons = [{"payload": "/greet"}, {"title": "", "payload": ""}]
    assert numbered_options(buttons) == [Option(1, "/greet", "/greet")]


@pytest.mark.parametrize(
    "reply,payload",
    [
        ("1", "/submit_ticket"),
        (" 2 ", "/request_human"),
        ("２", "/request_human"),
        ("#3", '/faq/account_security{"x": 1}'),
        ("2.", "/request_human"),
        ("(1)", "/submit_ticket"),
        ("【2】", "/request_human"),
        ("第2个", "/request_human"),
        ("选1", "/submit_ticket"),
        ("二", "/request_human"),
        ("option 1", "/submit_ticket"),
        ("转人工客服", "/request_human"),
        ("“提交工单”。", "/submit_ticket"),
        ("账户 安全", '/faq/account_security{"x": 1}'),
    ],
)
def test_choose(reply: str, payload: str) -> None:
    assert choose(reply, numbered_options(BUTTONS_ZH)) == payload


@pytest.mark.parametrize(
    "reply",
    [
        "4",
        "0",
        "帮助中心",  # no such option (the link is not an option)
        "1 more question: my top-up failed",  # a message that starts with a number
        "I want option 1 but also\nsomething else",
        "",
        "100",
    ],
)
def test_not_a_choice(reply: str) -> None:
    assert choose(reply, numbered_options(BUTTONS_ZH)) is None


def test_no_options_no_choice() -> None:
    assert choose("1", []) is None
