"""The bot's mails thread and stay quiet to robots (channels/email/compose.py)."""

from __future__ import annotations

from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from support.mail import raw_mail

from channels.email import noise
from channels.email.compose import compose, compose_reply, text_to_html, wire_bytes
from channels.email.parse import parse_mail

SUPPORT = "support@gopay.test"


def _wire(message: EmailMessage) -> EmailMessage:
    """The message as the customer's client reads it: serialised, then parsed again."""
    return message_from_bytes(message.as_bytes(policy=policy.SMTP), policy=policy.default)  # type: ignore[return-value]


def test_reply_threads_under_the_customer_mail() -> None:
    mail = parse_mail(raw_mail("gmail_en_reply"))
    reply = _wire(
        compose_reply(
            mail,
            "We are looking into it.",
            from_address=SUPPORT,
            language="en",
            tracking_number="GP-7K3D9Q2X",
        )
    )
    assert reply["In-Reply-To"] == "<CAAbc456+second@mail.gmail.example>"
    assert reply["References"].split() == [
        "<179600000000.1.111@gopay.test>",
        "<CAAbc123=first@mail.gmail.example>",
        "<CAAbc456+second@mail.gmail.example>",
    ]
    assert reply["Subject"] == "Re: Top-up failed [GP-7K3D9Q2X]"
    assert reply["Message-ID"].endswith("@gopay.test>")
    assert reply["Auto-Submitted"] == "auto-replied"
    assert reply["X-Auto-Response-Suppress"] == "All"
    assert reply["Content-Language"] == "en"
    assert reply["To"].addresses[0].addr_spec == "alice.wang@gmail.example"
    assert reply.get_content().strip() == "We are looking into it."


def test_chinese_reply_adds_the_tag_once_and_round_trips() -> None:
    mail = parse_mail(raw_mail("qq_zh_gbk"))
    reply = _wire(
        compose_reply(
            mail,
            "您好，已为您查询：\n充值将在24小时内到账。",
            from_address=SUPPORT,
            from_name="Gopay 客服",
            language="zh",
        )
    )
    assert reply["Subject"] == "Re: 充值没到账 [GP-7K3D9Q2X]"
    assert reply["Content-Language"] == "zh-CN"
    assert reply["From"].addresses[0].display_name == "Gopay 客服"
    assert reply["To"].addresses[0].display_name == "张喆"
    assert reply.get_content().replace("\r\n", "\n") == "您好，已为您查询：\n充值将在24小时内到账。\n"
    assert reply.get_content_charset() == "utf-8"


def test_each_mail_gets_a_fresh_message_id_in_our_domain_not_the_host_name() -> None:
    mail = parse_mail(raw_mail("gmail_en_reply"))
    first = compose_reply(mail, "a", from_address=SUPPORT, language="en")
    second = compose_reply(mail, "a", from_address=SUPPORT, language="en", domain="mail.gopay.test")
    assert first["Message-ID"] != second["Message-ID"]
    assert first["Message-ID"].endswith("@gopay.test>")
    assert second["Message-ID"].endswith("@mail.gopay.test>")


def test_reply_goes_to_from_never_to_reply_to() -> None:
    raw = (
        b"From: alice@example.com\r\nReply-To: attacker@evil.example\r\nCc: other@example.com\r\n"
        b"Subject: status\r\nMessage-ID: <x@example.com>\r\n\r\nwhat is my ticket status"
    )
    reply = compose_reply(parse_mail(raw), "…", from_address=SUPPORT, language="en")
    assert [a.addr_spec for a in reply["To"].addresses] == ["alice@example.com"]
    assert reply["Cc"] is None


def test_mail_without_sender_cannot_be_answered() -> None:
    with pytest.raises(ValueError):
        compose_reply(parse_mail(b"Subject: x\r\n\r\nhi"), "…", from_address=SUPPORT, language="en")


def test_our_own_reply_coming_back_is_noise() -> None:
    mail = parse_mail(raw_mail("gmail_en_reply"))
    reply = _wire(compose_reply(mail, "hi", from_address=SUPPORT, language="en"))
    assert noise.noise_reason(reply, [SUPPORT]) == noise.OWN_ADDRESS
    del reply["From"]
    reply["From"] = "relay@elsewhere.example"  # a forwarder that rewrote the sender
    assert noise.noise_reason(reply, [SUPPORT]) == noise.AUTO_SUBMITTED


def test_html_alternative_is_escaped_and_plain_text_comes_first() -> None:
    mail = parse_mail(raw_mail("gmail_en_reply"))
    text = "Hello <Alice> & co,\n\nsee https://gopay.test/help?a=1&b=2.\n1. Submit a ticket"
    reply = _wire(compose_reply(mail, text, from_address=SUPPORT, language="en", with_html=True))
    assert reply.get_content_type() == "multipart/alternative"
    plain, html = list(reply.iter_parts())
    assert plain.get_content_type() == "text/plain" and html.get_content_type() == "text/html"
    body = html.get_content()
    assert "&lt;Alice&gt; &amp; co" in body and "<Alice>" not in body
    assert '<a href="https://gopay.test/help?a=1&amp;b=2">' in body  # the final "." stays text
    assert reply["Content-Language"] == "en"


def test_status_update_starts_as_auto_generated() -> None:
    message = compose(
        from_address=SUPPORT,
        to="alice@example.com",
        subject="Re: help [GP-7K3D9Q2X]",
        text="Your ticket is resolved.",
        language="en",
        in_reply_to="<r1@gopay.test>",
        references=("<m1@example.com>", "<r1@gopay.test>"),
    )
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["References"] == "<m1@example.com> <r1@gopay.test>"


def test_trailing_spaces_are_removed_so_flowed_readers_do_not_join_lines() -> None:
    message = compose(
        from_address=SUPPORT,
        to="a@example.com",
        subject="s",
        language="en",
        text="line one   \r\nline two\t\n",
    )
    assert message.get_content() == "line one\nline two\n"


def test_text_to_html_declares_language() -> None:
    assert '<html lang="zh-CN">' in text_to_html("你好", "zh")


def test_long_lines_stay_within_smtp_line_limits() -> None:
    answer = "您好，" + "充值失败时请先检查银行卡余额和网络，" * 60
    message = compose(
        from_address="support@gopay.example", to="li@example.com", subject="充值", text=answer, language="zh"
    )
    raw = wire_bytes(message)
    lines = raw.split(b"\r\n")
    assert max(len(line) for line in lines) <= 998
    assert not any(b"\n" in line for line in lines)  # CRLF only: no bare LF for relays to refuse
    plain = message.get_body(preferencelist=("plain",))
    assert plain is not None and plain.get_content().strip() == answer.strip()
