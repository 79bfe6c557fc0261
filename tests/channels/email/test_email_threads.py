"""Threading: tracking tags, subjects, conversation keys (channels/email/threads.py)."""

from __future__ import annotations

import pytest
from support.mail import raw_mail

from channels.email import threads
from channels.email.parse import parse_mail


def test_message_ids_in_any_separator_style() -> None:
    assert threads.message_ids("<a@x>  <b@y>,\r\n\t<c@z>") == ("<a@x>", "<b@y>", "<c@z>")
    assert threads.message_ids("garbage") == ()
    assert threads.message_ids(None) == ()


@pytest.mark.parametrize(
    "subject,number",
    [
        ("Re: Top-up failed [GP-7K3D9Q2X]", "GP-7K3D9Q2X"),
        ("[gp-7k3d 9q2x] status", "GP-7K3D9Q2X"),  # the tracking module's forgiving form, canonical
        ("回复：充值没到账 【GP-7K3D9Q2X】", "GP-7K3D9Q2X"),
        ("Re: [ GP-M4ZX8R1P ]", "GP-M4ZX8R1P"),
        ("GP-7K3D9Q2X without a tag", None),  # a number in the text is for the bot, not threading
        ("[GP-7K3D9Q2I]", None),  # I is not Crockford base32
        ("no tag", None),
    ],
)
def test_subject_tracking_number(subject: str, number: str | None) -> None:
    assert threads.subject_tracking_number(subject) == number


@pytest.mark.parametrize(
    "subject,clean",
    [
        ("Re: RE: 回复：充值失败 [GP-7K3D9Q2X]", "充值失败"),
        ("Re[2]: Fwd: help", "help"),
        ("AW: SV: 答复: 提现", "提现"),
        ("[GP-7K3D9Q2X] Re: status", "status"),
        ("Refund request", "Refund request"),  # "Re" inside a word is not a prefix
    ],
)
def test_clean_subject(subject: str, clean: str) -> None:
    assert threads.clean_subject(subject) == clean


@pytest.mark.parametrize(
    "subject,number,reply",
    [
        ("充值没到账", "GP-7K3D9Q2X", "Re: 充值没到账 [GP-7K3D9Q2X]"),
        ("Re: Re: 充值没到账 [GP-7K3D9Q2X]", "GP-7K3D9Q2X", "Re: 充值没到账 [GP-7K3D9Q2X]"),
        ("回复：充值没到账 [GP-7K3D9Q2X]", None, "Re: 充值没到账 [GP-7K3D9Q2X]"),  # tag kept
        ("Re: help", None, "Re: help"),
        ("", "GP-7K3D9Q2X", "Re: Gopay [GP-7K3D9Q2X]"),
    ],
)
def test_reply_subject_never_doubles_prefix_or_tag(subject: str, number: str | None, reply: str) -> None:
    assert threads.reply_subject(subject, number) == reply
    # Replying to our own reply gives the same subject again: stable across a thread.
    assert threads.reply_subject(reply, number) == reply


def test_thread_root_prefers_references_then_in_reply_to_then_own_id() -> None:
    assert threads.thread_root("<c@x>", "<b@x>", ("<a@x>", "<b@x>")) == "<a@x>"
    assert threads.thread_root("<c@x>", "<b@x>", ()) == "<b@x>"
    assert threads.thread_root("<c@x>", None, ()) == "<c@x>"
    assert threads.thread_root(None, None, ()) is None


def test_a_whole_thread_has_one_conversation_key() -> None:
    first = parse_mail(
        b"From: Alice <alice@example.com>\r\nSubject: help\r\nMessage-ID: <m1@example.com>\r\n\r\nhi"
    )
    second = parse_mail(
        b"From: alice@EXAMPLE.com\r\nSubject: Re: help [GP-7K3D9Q2X]\r\n"
        b"Message-ID: <m2@example.com>\r\nIn-Reply-To: <r1@gopay.test>\r\n"
        b"References: <m1@example.com> <r1@gopay.test>\r\n\r\nagain"
    )
    assert first.conversation_key == second.conversation_key


def test_other_sender_or_other_thread_is_another_conversation() -> None:
    key = threads.conversation_key("alice@example.com", "<m1@example.com>")
    assert threads.conversation_key("mallory@example.com", "<m1@example.com>") != key
    assert threads.conversation_key("alice@example.com", "<m9@example.com>") != key


def test_conversation_key_reveals_no_address() -> None:
    mail = parse_mail(raw_mail("qq_zh_gbk"))
    key = mail.conversation_key
    assert key.startswith("email-") and len(key) == len("email-") + 32
    assert "zhangzhe" not in key and "qq" not in key


def test_mail_without_ids_falls_back_to_tag_then_subject() -> None:
    tagged = threads.conversation_key("a@example.com", None, "Re: x [GP-7K3D9Q2X]")
    assert tagged == threads.conversation_key("a@example.com", None, "other words [GP-7K3D9Q2X]")
    assert threads.conversation_key("a@example.com", None, "Re: Help") == threads.conversation_key(
        "a@example.com", None, "help"
    )


def test_references_for_reply_append_and_trim() -> None:
    chain = threads.references_for_reply("<m2@x>", "<r1@y>", ("<m1@x>", "<r1@y>"))
    assert chain == ("<m1@x>", "<r1@y>", "<m2@x>")
    assert threads.references_for_reply("<m2@x>", "<r1@y>", ()) == ("<r1@y>", "<m2@x>")
    assert threads.references_for_reply("<m1@x>", None, ()) == ("<m1@x>",)
    long_chain = tuple(f"<{n}@x>" for n in range(50))
    trimmed = threads.references_for_reply("<new@x>", None, long_chain)
    assert len(trimmed) == threads.MAX_REFERENCES
    assert trimmed[0] == "<0@x>" and trimmed[-1] == "<new@x>"
