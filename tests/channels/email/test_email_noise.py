"""Automatic mail is never answered (channels/email/noise.py)."""

from __future__ import annotations

from email import message_from_bytes, policy
from email.message import Message

import pytest
from support.mail import raw_mail

from channels.email import noise
from channels.email.noise import noise_reason

OWN = ("support@gopay.test", "help@gopay.test")


def _mail(*headers: str, body: str = "hello", content_type: str = "text/plain; charset=utf-8") -> Message:
    """A plain customer mail with extra header lines."""
    lines = [
        "From: Alice <alice@example.com>",
        "To: support@gopay.test",
        "Subject: help",
        f"Content-Type: {content_type}",
        *headers,
    ]
    raw = "\r\n".join(lines) + "\r\n\r\n" + body + "\r\n"
    return message_from_bytes(raw.encode(), policy=policy.default)


@pytest.mark.parametrize(
    "name", ["gmail_en_reply", "qq_zh_gbk", "outlook_zh_reply", "webmail_html_only", "attachments"]
)
def test_customer_mail_is_answered(name: str) -> None:
    assert noise_reason(message_from_bytes(raw_mail(name), policy=policy.default), OWN) is None


@pytest.mark.parametrize(
    "name,reason",
    [
        ("bounce_dsn", noise.BOUNCE),
        ("out_of_office_qq", noise.AUTO_REPLY),
        ("out_of_office_outlook", noise.AUTO_SUBMITTED),
        ("mailing_list", noise.BULK),
    ],
)
def test_automatic_mail_from_the_wild(name: str, reason: str) -> None:
    assert noise_reason(message_from_bytes(raw_mail(name), policy=policy.default), OWN) == reason


def test_plain_mail_is_answered() -> None:
    assert noise_reason(_mail(), OWN) is None


@pytest.mark.parametrize(
    "value,reason",
    [
        ("no", None),
        ("No", None),
        ("auto-replied", noise.AUTO_SUBMITTED),
        ("auto-generated", noise.AUTO_SUBMITTED),
        ("auto-notified; owner-email=x@example.com", noise.AUTO_SUBMITTED),
    ],
)
def test_auto_submitted(value: str, reason: str | None) -> None:
    assert noise_reason(_mail(f"Auto-Submitted: {value}"), OWN) == reason


@pytest.mark.parametrize(
    "value,reason",
    [
        ("bulk", noise.BULK),
        ("junk", noise.BULK),
        ("list", noise.BULK),
        ("auto_reply", noise.AUTO_REPLY),
        ("first-class", None),
    ],
)
def test_precedence(value: str, reason: str | None) -> None:
    assert noise_reason(_mail(f"Precedence: {value}"), OWN) == reason


@pytest.mark.parametrize(
    "header", ["List-Id: <support.lists.example>", "List-Unsubscribe: <mailto:leave@lists.example>"]
)
def test_mailing_lists(header: str) -> None:
    assert noise_reason(_mail(header), OWN) == noise.MAILING_LIST


@pytest.mark.parametrize("header", ["X-Autoreply: yes", "X-Autorespond: Out of office"])
def test_autoreply_headers(header: str) -> None:
    assert noise_reason(_mail(header), OWN) == noise.AUTO_REPLY


@pytest.mark.parametrize(
    "subject",
    [
        "Out of Office: help",
        "Automatic reply: Re: help",
        "自动回复：您好",
        "自动答复: 充值",
        "Auto-Reply: away",
        "Autoreply",
    ],
)
def test_out_of_office_subjects(subject: str) -> None:
    message = _mail()
    message.replace_header("Subject", subject)
    assert noise_reason(message, OWN) == noise.AUTO_REPLY


@pytest.mark.parametrize(
    "subject",
    [
        "为什么只收到自动回复？",
        "Your auto-reply did not help",
        "Re: Out of office?",
    ],
)
def test_complaints_about_auto_replies_are_answered(subject: str) -> None:
    message = _mail()
    message.replace_header("Subject", subject)
    assert noise_reason(message, OWN) is None


def test_bounce_signs() -> None:
    assert noise_reason(_mail("Return-Path: <>"), OWN) == noise.BOUNCE
    assert noise_reason(_mail("X-Failed-Recipients: bob@example.com"), OWN) == noise.BOUNCE
    daemon = _mail()
    daemon.replace_header("From", "Mail Delivery Subsystem <MAILER-DAEMON@mx.example.com>")
    assert noise_reason(daemon, OWN) == noise.BOUNCE
    postmaster = _mail()
    postmaster.replace_header("From", "postmaster@qq.example")
    postmaster.replace_header("Subject", "系统退信")
    assert noise_reason(postmaster, OWN) == noise.BOUNCE


def test_a_real_return_path_is_not_a_bounce() -> None:
    assert noise_reason(_mail("Return-Path: <alice@example.com>"), OWN) is None


def test_read_receipts_and_other_reports() -> None:
    message = _mail(
        body="--b\r\nContent-Type: text/plain\r\n\r\nread\r\n--b--",
        content_type='multipart/report; report-type=disposition-notification; boundary="b"',
    )
    assert noise_reason(message, OWN) == noise.REPORT


def test_own_addresses_any_case() -> None:
    message = _mail()
    message.replace_header("From", "Gopay <Help@GoPay.test>")
    assert noise_reason(message, OWN) == noise.OWN_ADDRESS


def test_mail_without_sender() -> None:
    message = _mail()
    del message["From"]
    assert noise_reason(message, OWN) == noise.NO_SENDER
