"""Quoted history and signatures stripped from replies (channels/email/quoting.py)."""

from __future__ import annotations

import pytest

from channels.email.quoting import new_text, strip_quoted, strip_signature

GMAIL = """Hi,
my top-up still fails.

On Mon, Jun 3, 2024 at 10:00 AM Gopay Support <support@gopay.test> wrote:

> Hello Alice,
> please try again.
"""

GMAIL_WRAPPED = """Still failing.

On Mon, Jun 3, 2024 at 10:00 AM Gopay Support <
support@gopay.test> wrote:
> Hello
"""

GMAIL_ZH = """还是不行

在 2024年6月3日周一 10:00，Gopay Support <support@gopay.test> 写道：

> 您好
"""

APPLE_ZH = """好的，谢谢

2024年6月3日 10:00，Gopay 客服 <support@gopay.test> 写道：

> 您好
"""

OUTLOOK_EN = """The withdrawal is still pending.

________________________________
From: Gopay Support <support@gopay.test>
Sent: Wednesday, June 5, 2024 2:20 PM
To: Wang Wei <wei.wang@outlook.example>
Subject: Withdrawal pending [GP-M4ZX8R1P]

Withdrawals usually take 1-3 working days.
"""

OUTLOOK_ORIGINAL = """Please close my account.

-----Original Message-----
From: Gopay Support [mailto:support@gopay.test]
Sent: Wednesday, June 5, 2024 2:20 PM
Subject: RE: account

Old text
"""

OUTLOOK_ZH = """请尽快处理。

发件人: Gopay 客服 <support@gopay.test>
发送时间: 2024年6月5日 14:20
收件人: Wang Wei <wei.wang@outlook.example>
主题: 提现 [GP-M4ZX8R1P]

您好，提现通常在1-3个工作日内到账。
"""

QQ = """收到，谢谢。

------------------ 原始邮件 ------------------
发件人: "Gopay 客服"<support@gopay.test>;
发送时间: 2024年6月3日(星期一) 上午10:00
"""

QQ_EN = """Thanks!

------------------ Original ------------------
From: "Gopay Support"<support@gopay.test>;
"""


@pytest.mark.parametrize(
    "mail,expected",
    [
        (GMAIL, "Hi,\nmy top-up still fails."),
        (GMAIL_WRAPPED, "Still failing."),
        (GMAIL_ZH, "还是不行"),
        (APPLE_ZH, "好的，谢谢"),
        (OUTLOOK_EN, "The withdrawal is still pending."),
        (OUTLOOK_ORIGINAL, "Please close my account."),
        (OUTLOOK_ZH, "请尽快处理。"),
        (QQ, "收到，谢谢。"),
        (QQ_EN, "Thanks!"),
    ],
    ids=[
        "gmail",
        "gmail-wrapped",
        "gmail-zh",
        "apple-zh",
        "outlook",
        "outlook-original",
        "outlook-zh",
        "qq",
        "qq-en",
    ],
)
def test_history_is_stripped(mail: str, expected: str) -> None:
    assert new_text(mail) == expected


def test_inline_answers_between_quotes_are_kept() -> None:
    mail = "> What is your order number?\n123456\n> Which bank?\nICBC\n"
    assert new_text(mail) == "123456\nICBC"


def test_customer_text_that_looks_like_a_header_is_kept() -> None:
    mail = "From: my bank I got an SMS saying the top-up failed.\nTo: be honest I am worried."
    assert new_text(mail) == mail


def test_writing_on_a_day_is_not_an_attribution() -> None:
    mail = "On Monday my friend wrote:\nthe app crashed"
    assert new_text(mail) == mail  # no date and no address: a sentence, not an attribution


def test_complaint_above_an_attribution_line_is_kept() -> None:
    mail = "谢谢\n在 2024年6月3日周一 10:00，Gopay <support@gopay.test> 写道：\n> 旧"
    assert new_text(mail) == "谢谢"


def test_a_reply_with_nothing_new_is_empty() -> None:
    assert new_text("On Mon, Jun 3, 2024 at 10:00 AM Gopay <support@gopay.test> wrote:\n> hi\n") == ""


def test_a_bare_forward_keeps_the_forwarded_message() -> None:
    forward = (
        "________________________________\nFrom: Bank <alerts@bank.example>\n"
        "Sent: Monday\nTo: Alice\nSubject: Suspicious payment\n\nA payment of 500 was made.\n"
    )
    text = new_text(forward)
    assert text.startswith("From: Bank <alerts@bank.example>")
    assert text.endswith("A payment of 500 was made.")


def test_signature_after_delimiter_is_removed() -> None:
    assert strip_signature("Please help.\n\n-- \nAlice Wang\n+86 138 1234 5678\n") == "Please help."
    assert strip_signature("Please help.\n--\nAlice") == "Please help."


def test_delimiter_on_the_first_line_is_not_a_signature() -> None:
    assert strip_signature("--\nmy card was charged twice") == "--\nmy card was charged twice"


@pytest.mark.parametrize(
    "signoff",
    [
        "Sent from my iPhone",
        "发自我的iPhone",
        "发自我的 iPad",
        "Get Outlook for Android",
        "来自我的华为手机",
        "Sent from Mail for Windows",
        "Sent from my Samsung Galaxy smartphone.",
        "从我的 iPhone 发送",
        "发自网易邮箱大师",
        "Sent from Yahoo Mail for iPhone",
    ],
)
def test_app_signoffs_at_the_end_are_removed(signoff: str) -> None:
    assert new_text(f"充值失败了\n\n{signoff}\n") == "充值失败了"


def test_app_signoff_words_inside_the_text_are_kept() -> None:
    text = "Sent from my iPhone\nbut the payment never arrived"
    assert new_text(text) == text


@pytest.mark.parametrize("last_line", ["Sent from my bank account", "Sent via bank transfer", "来自我的朋友"])
def test_last_lines_that_are_not_app_signoffs_are_kept(last_line: str) -> None:
    assert new_text(f"I paid 500 yuan.\n{last_line}") == f"I paid 500 yuan.\n{last_line}"


def test_strip_quoted_keeps_signature() -> None:
    assert strip_quoted("hi\n-- \nBob\n> old") == "hi\n-- \nBob"


def test_windows_line_ends() -> None:
    assert new_text("hello\r\n\r\n> old\r\n") == "hello"
