"""The mail logic against real mail software: Dovecot IMAP and an SMTP relay on loopback.

A customer's mail is delivered into the support INBOX, the bot fetches it over IMAPS by UID
with the channel's settings, parses it, answers over SMTP with STARTTLS, and the answer
arrives in the customer's mailbox threaded under the customer's mail; the customer's "2"
comes back into the same conversation and picks the second option.
"""

from __future__ import annotations

import imaplib
import re
import smtplib
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from support.mail import MailServer, mail_server_fixture, raw_mail  # noqa: F401  (the mail_server fixture)

from channels.email import noise
from channels.email.compose import compose_reply
from channels.email.limits import TOO_LARGE, MailLimits
from channels.email.options import choose, numbered_options, render
from channels.email.parse import parse_mail
from channels.email.settings import EmailSettings

CUSTOMER = "zhangzhe@qq.example"  # the From of the stored QQ mail
BUTTONS = [
    {"title": "提交工单", "payload": "/submit_ticket"},
    {"title": "转人工客服", "payload": "/request_human"},
]


@pytest.fixture(scope="module")
def settings(mail_server: MailServer) -> EmailSettings:
    mail_server.add_user(CUSTOMER)
    result = EmailSettings.from_env(mail_server.env())
    assert result is not None
    return result


def _tls(settings: EmailSettings) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=settings.tls_ca_file)


@contextmanager
def bot_mailbox(settings: EmailSettings) -> Iterator[imaplib.IMAP4]:
    """The support mailbox as the channel will open it: IMAPS, verified, folder selected."""
    assert settings.imap_tls == "ssl"
    imap = imaplib.IMAP4_SSL(settings.imap_host, settings.imap_port, ssl_context=_tls(settings), timeout=10)
    try:
        imap.login(settings.imap_user, settings.imap_password)
        assert imap.select(settings.imap_folder)[0] == "OK"
        yield imap
    finally:
        imap.logout()


def uid_of(imap: imaplib.IMAP4, message_id: str) -> int:
    status, data = imap.uid("SEARCH", None, "HEADER", "Message-ID", message_id)
    uids = (data[0] or b"").split()
    assert status == "OK" and len(uids) == 1, data
    return int(uids[0])


def fetch(imap: imaplib.IMAP4, uid: int, part: str = "BODY.PEEK[]") -> tuple[int, bytes]:
    """``(RFC822.SIZE, bytes of part)`` of message ``uid``, leaving it unseen."""
    status, data = imap.uid("FETCH", str(uid), f"(RFC822.SIZE {part})")
    assert status == "OK"
    envelope, body = next(item for item in data if isinstance(item, tuple))
    size = re.search(rb"RFC822\.SIZE (\d+)", envelope)
    assert size, envelope
    return int(size.group(1)), body


def send(settings: EmailSettings, message: EmailMessage) -> None:
    """Send as the channel will: STARTTLS verified against the configured CA, then AUTH."""
    assert settings.smtp_tls == "starttls"
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=10) as smtp:
        smtp.starttls(context=_tls(settings))
        smtp.login(settings.smtp_user, settings.smtp_password)
        smtp.send_message(message)


def customer_inbox(mail_server: MailServer, count: int) -> list[EmailMessage]:
    found = mail_server.wait_for_messages(CUSTOMER, count)
    assert len(found) >= count, "the bot's mail did not arrive"
    return [message_from_bytes(raw, policy=policy.default) for _uid, raw in found]  # type: ignore[misc]


def test_mail_in_reply_out_and_the_customers_choice_back(
    mail_server: MailServer, settings: EmailSettings
) -> None:
    incoming = raw_mail("qq_zh_gbk")
    mail_server.deliver(incoming, mail_from=CUSTOMER)

    with bot_mailbox(settings) as imap:
        size, raw = fetch(imap, uid_of(imap, "<tencent_0123456789ABCDEF0123456789ABCDEF0123@qq.example>"))
    mail = parse_mail(raw, settings.limits, size=size)
    assert noise.noise_reason(mail.message, settings.own_addresses) is None
    assert mail.sender == CUSTOMER
    assert mail.text.startswith("您好，我昨天用招商银行卡充值了500元")
    assert mail.tracking_number == "GP-7K3D9Q2X"

    answer = render("您好，我们已收到您的问题。", BUTTONS, "zh")
    send(
        settings,
        compose_reply(
            mail,
            answer,
            from_address=settings.from_address,
            from_name=settings.from_name,
            language="zh",
            with_html=True,
        ),
    )

    (reply,) = customer_inbox(mail_server, 1)
    assert reply["Subject"] == "Re: 充值没到账 [GP-7K3D9Q2X]"
    assert reply["In-Reply-To"] == mail.message_id
    assert reply["References"].split() == [*mail.references, mail.message_id]
    assert reply["Auto-Submitted"] == "auto-replied"
    assert reply["Content-Language"] == "zh-CN"
    assert reply["From"].addresses[0].addr_spec == settings.from_address
    text = reply.get_body(preferencelist=("plain",)).get_content()
    assert "1. 提交工单" in text and "2. 转人工客服" in text

    # The customer answers "2" from their client, on top of the quoted reply.
    answer_mail = EmailMessage()
    answer_mail["From"] = f"张喆 <{CUSTOMER}>"
    answer_mail["To"] = settings.from_address
    answer_mail["Subject"] = "回复：" + reply["Subject"]
    answer_mail["Message-ID"] = "<tencent_ANSWER2@qq.example>"
    answer_mail["In-Reply-To"] = reply["Message-ID"]
    answer_mail["References"] = f"{reply['References']} {reply['Message-ID']}"
    quoted = "\n".join(f"> {line}" for line in text.splitlines())
    attribution = f"在 2024年6月4日，Gopay <{settings.from_address}> 写道："
    answer_mail.set_content(f"2\n\n发自我的iPhone\n\n{attribution}\n{quoted}\n")
    mail_server.deliver(answer_mail.as_bytes(), mail_from=CUSTOMER)

    with bot_mailbox(settings) as imap:
        size, raw = fetch(imap, uid_of(imap, "<tencent_ANSWER2@qq.example>"))
    followup = parse_mail(raw, settings.limits, size=size)
    assert noise.noise_reason(followup.message, settings.own_addresses) is None
    assert followup.conversation_key == mail.conversation_key
    assert followup.tracking_number == "GP-7K3D9Q2X"
    assert choose(followup.text, numbered_options(BUTTONS)) == "/request_human"


def test_automatic_mail_in_the_inbox_is_recognised(mail_server: MailServer, settings: EmailSettings) -> None:
    for name in ("bounce_dsn", "out_of_office_qq", "out_of_office_outlook", "mailing_list"):
        mail_server.deliver(raw_mail(name))
    expected = {
        "<20240608020005.7A8B9C0D1E@mx.gopay.test>": noise.BOUNCE,
        "<tencent_AUTO0001@qq.example>": noise.AUTO_REPLY,
        "<OOF-TYZPR01MB99@outlook.example>": noise.AUTO_SUBMITTED,
        "<newsletter-42@deals.example>": noise.BULK,
    }
    with bot_mailbox(settings) as imap:
        for message_id, reason in expected.items():
            _size, raw = fetch(imap, uid_of(imap, message_id))
            assert noise.noise_reason(parse_mail(raw).message, settings.own_addresses) == reason


def test_our_own_mail_delivered_back_is_not_answered(
    mail_server: MailServer, settings: EmailSettings
) -> None:
    mail = parse_mail(raw_mail("gmail_en_reply"))
    reply = compose_reply(mail, "hello", from_address=settings.from_address, language="en")
    reply.replace_header("To", settings.from_address)  # a Bcc/alias loop back into the INBOX
    send(settings, reply)
    found = mail_server.wait_for_messages(settings.from_address, 1)
    raws = [raw for _uid, raw in found if reply["Message-ID"].encode() in raw]
    assert raws, "the looped mail did not arrive"
    assert noise.noise_reason(parse_mail(raws[0]).message, settings.own_addresses) == noise.OWN_ADDRESS


def test_oversize_mail_is_read_by_its_headers_only_and_gets_a_threaded_notice(
    mail_server: MailServer, settings: EmailSettings
) -> None:
    big = EmailMessage()
    big["From"] = CUSTOMER
    big["To"] = settings.from_address
    big["Subject"] = "截图 [GP-7K3D9Q2X]"
    big["Message-ID"] = "<big-1@qq.example>"
    big.set_content("see the screenshots")
    big.add_attachment(b"\x89PNG" + bytes(300_000), maintype="image", subtype="png", filename="screen.png")
    mail_server.deliver(big.as_bytes(), mail_from=CUSTOMER)
    limits = MailLimits(max_message_bytes=100_000)

    with bot_mailbox(settings) as imap:
        uid = uid_of(imap, "<big-1@qq.example>")
        size, headers = fetch(imap, uid, "BODY.PEEK[HEADER]")
    assert size > limits.max_message_bytes and len(headers) < 2_000
    mail = parse_mail(headers, limits, size=size)
    assert mail.problem == TOO_LARGE and mail.text == ""

    before = len(mail_server.messages(CUSTOMER))
    send(
        settings,
        compose_reply(
            mail, "邮件过大，请压缩附件后重新发送。", from_address=settings.from_address, language="zh"
        ),
    )
    notice = customer_inbox(mail_server, before + 1)[-1]
    assert notice["In-Reply-To"] == "<big-1@qq.example>"
    assert notice["Subject"] == "Re: 截图 [GP-7K3D9Q2X]"
