"""Reading incoming mail (channels/email/parse.py) on real-world-shaped mails."""

from __future__ import annotations

from email.message import EmailMessage

import pytest
from support.mail import raw_mail

from channels.email.limits import TOO_LARGE, TOO_MANY_ATTACHMENTS, TOO_MANY_PARTS, MailLimits
from channels.email.parse import Attachment, parse_mail


def test_gmail_reply_multipart_alternative() -> None:
    mail = parse_mail(raw_mail("gmail_en_reply"))
    assert mail.sender == "alice.wang@gmail.example"  # lower-cased: one conversation per address
    assert mail.sender_name == "Alice Wang"
    assert mail.subject == "Re: Top-up failed [GP-7K3D9Q2X]"
    assert mail.message_id == "<CAAbc456+second@mail.gmail.example>"
    assert mail.in_reply_to == "<179600000000.1.111@gopay.test>"
    assert mail.references == ("<179600000000.1.111@gopay.test>", "<CAAbc123=first@mail.gmail.example>")
    assert mail.text == (
        'Hi,\n\nI did what you said but the top-up still fails with "card declined".\n'
        "My card ends in 4242.\n\nThanks,\nAlice"
    )
    assert mail.attachments == () and mail.problem is None
    assert mail.tracking_number == "GP-7K3D9Q2X"


def test_qq_mail_gbk_labelled_gb2312() -> None:
    mail = parse_mail(raw_mail("qq_zh_gbk"))
    assert mail.sender == "zhangzhe@qq.example"
    assert mail.sender_name == "张喆"  # 喆 is outside GB2312
    assert mail.subject == "回复：充值没到账 [GP-7K3D9Q2X]"
    assert mail.text == "您好，我昨天用招商银行卡充值了500元，到现在余额还是没有变化，麻烦帮我查一下。谢谢！"
    assert mail.references[-1] == "<179600000000.1.222@gopay.test>"  # folded References read whole


@pytest.mark.parametrize("name", ["qq_zh_gbk", "outlook_zh_reply", "gmail_en_reply"])
def test_html_alternative_gives_the_same_words(name: str) -> None:
    """A webmail that sends an empty text part: the HTML part is read, with the same result."""
    from_plain = parse_mail(raw_mail(name))
    message = from_plain.message
    assert isinstance(message, EmailMessage)
    plain = message.get_body(preferencelist=("plain",))
    assert plain is not None
    plain.set_content("")
    from_html = parse_mail(message.as_bytes())
    assert from_html.text.split() == from_plain.text.split()
    assert from_html.text


def test_outlook_chinese_reply() -> None:
    mail = parse_mail(raw_mail("outlook_zh_reply"))
    assert mail.subject == "回复: 提现一直显示处理中 [GP-M4ZX8R1P]"
    assert mail.text == "你好，\n\n已经过了三天了，提现还是显示“处理中”，请尽快处理。\n\n王先生"
    assert mail.tracking_number == "GP-M4ZX8R1P"


def test_html_only_webmail() -> None:
    mail = parse_mail(raw_mail("webmail_html_only"))
    assert mail.sender_name == "李四"
    assert mail.subject == "无法登录"
    assert mail.text == (
        "你好，我的账户登录不了，一直提示“验证码错误”。\n\n"
        "我看了帮助中心 (https://gopay.test/help/login)的说明，还是不行。"
    )
    for leaked in ("document.cookie", "font-family", "ignored title", "tracker.example", "您好，请问"):
        assert leaked not in mail.text


def test_attachments_are_noted_by_name_and_size_only() -> None:
    mail = parse_mail(raw_mail("attachments"))
    assert mail.text == "Please see the receipt for my refund request."
    assert mail.attachments[0] == Attachment("退款收据.pdf", "application/pdf", 2016)  # RFC 2231 name
    assert mail.attachments[1] == Attachment("setup.exe", "application/octet-stream", 512)  # path dropped
    assert mail.attachments[2].content_type == "message/rfc822"
    # The attached mail's text is not the customer's message.
    assert "Statement text" not in mail.text
    assert "setup.exe" not in repr(mail.text)


def test_plain_text_attachment_is_not_read_as_body() -> None:
    message = EmailMessage()
    message["From"] = "bob@example.com"
    message["Subject"] = "log"
    message.set_content("See the log.")
    message.add_attachment("ERROR secret token=abc", filename="app.log")
    mail = parse_mail(message.as_bytes())
    assert mail.text == "See the log."
    assert [a.filename for a in mail.attachments] == ["app.log"]


def test_format_flowed_is_unwrapped() -> None:
    raw = (
        b"From: a@example.com\r\nSubject: x\r\n"
        b"Content-Type: text/plain; charset=utf-8; format=flowed\r\n\r\n"
        b"My top-up of 500 yuan failed three times and \r\nthe money left my bank.\r\n-- \r\nA\r\n"
    )
    assert parse_mail(raw).text == "My top-up of 500 yuan failed three times and the money left my bank."


def test_oversize_mail_is_not_read_but_can_be_answered() -> None:
    raw = raw_mail("gmail_en_reply")
    mail = parse_mail(raw, MailLimits(max_message_bytes=1000))
    assert mail.problem == TOO_LARGE
    assert mail.text == "" and mail.attachments == ()
    assert mail.sender == "alice.wang@gmail.example"
    assert mail.message_id == "<CAAbc456+second@mail.gmail.example>"  # a notice can thread


def test_size_reported_by_the_server_applies_to_headers_only_fetch() -> None:
    raw = raw_mail("gmail_en_reply")
    headers = raw[: raw.index(b"\r\n\r\n") + 4]
    mail = parse_mail(headers, MailLimits(max_message_bytes=5_000_000), size=20_000_000)
    assert mail.problem == TOO_LARGE and mail.size == 20_000_000
    assert mail.subject == "Re: Top-up failed [GP-7K3D9Q2X]"


def test_too_many_attachments() -> None:
    mail = parse_mail(raw_mail("attachments"), MailLimits(max_attachments=2))
    assert mail.problem == TOO_MANY_ATTACHMENTS
    assert mail.text == ""
    assert len(mail.attachments) == 3


def test_deeply_nested_parts_are_refused_before_reading() -> None:
    inner = b"Content-Type: text/plain\r\n\r\nhi\r\n"
    for depth in range(30):
        boundary = f"b{depth}".encode()
        inner = (
            b"Content-Type: multipart/mixed; boundary="
            + boundary
            + b"\r\n\r\n--"
            + boundary
            + b"\r\n"
            + inner
            + b"\r\n--"
            + boundary
            + b"--\r\n"
        )
    raw = b"From: a@example.com\r\nSubject: nest\r\nMIME-Version: 1.0\r\n" + inner
    assert parse_mail(raw, MailLimits(max_parts=10)).problem == TOO_MANY_PARTS
    assert parse_mail(raw, MailLimits(max_parts=100)).text == "hi"


def test_long_text_is_cut_at_a_word_and_flagged() -> None:
    body = ("word " * 2000).encode()
    raw = b"From: a@example.com\r\nSubject: long\r\n\r\n" + body
    mail = parse_mail(raw, MailLimits(max_text_chars=1000))
    assert mail.truncated
    assert 800 <= len(mail.text) <= 1000
    assert mail.text.endswith("word")


@pytest.mark.parametrize(
    "from_header,sender",
    [
        ("", ""),
        ("undisclosed-recipients:;", ""),
        ("not an address", ""),
        ("<ALICE@Example.COM>", "alice@example.com"),
        ('"Doe, John" <john@example.com>', "john@example.com"),
        ("=?utf-8?B?RG9lLCBKb2hu?= <john@example.com>", "john@example.com"),  # "Doe, John" encoded
        ("MAILER-DAEMON@mx.example.com (Mail Delivery System)", "mailer-daemon@mx.example.com"),
    ],
)
def test_sender_address(from_header: str, sender: str) -> None:
    raw = f"From: {from_header}\r\nSubject: x\r\n\r\nbody\r\n".encode()
    assert parse_mail(raw).sender == sender


def test_encoded_display_name_with_a_comma() -> None:
    mail = parse_mail(b"From: =?utf-8?B?RG9lLCBKb2hu?= <john@example.com>\r\nSubject: x\r\n\r\nhi")
    assert (mail.sender, mail.sender_name) == ("john@example.com", "Doe, John")


def test_raw_utf8_headers_from_sloppy_clients() -> None:
    raw = "From: 王伟 <wang@example.com>\r\nSubject: 提现失败\r\n\r\n提现失败了\r\n".encode()
    mail = parse_mail(raw)
    assert (mail.sender_name, mail.subject, mail.text) == ("王伟", "提现失败", "提现失败了")


def test_summary_for_logs_masks_the_address_and_leaves_out_content() -> None:
    mail = parse_mail(raw_mail("qq_zh_gbk"))
    summary = mail.summary()
    assert "zhangzhe@qq.example" not in summary
    assert "z***@qq.example" in summary
    assert "充值" not in summary and mail.subject not in summary
    assert mail.conversation_key in summary
