"""IMAP reading and SMTP sending with the channel's settings, against Dovecot and the relay."""

from __future__ import annotations

import pytest
from support.mail import MailServer, customer_mail, mail_server_fixture  # noqa: F401  (fixture)

from channels.email import transport
from channels.email.compose import compose, wire_bytes
from channels.email.settings import EmailSettings


@pytest.fixture(scope="module")
def settings(mail_server: MailServer) -> EmailSettings:
    result = EmailSettings.from_env(mail_server.env())
    assert result is not None
    return result


def test_new_mail_is_found_by_uid_and_read_without_marking_it_seen(
    mail_server: MailServer, settings: EmailSettings
) -> None:
    box = transport.Mailbox(settings)
    try:
        folder = box.open()
        start = box.highest_uid()
        raw, message_id = customer_mail("li@customer.example", "充值", "充值失败了")
        uid = mail_server.append(raw)
        box.open()  # a new poll sees the new mail
        assert box.uids_after(start) == [uid]
        assert box.uids_after(uid) == []  # "n:*" answers the highest UID: not new
        fetched = box.fetch(uid)
        assert fetched is not None and message_id.encode() in fetched
        assert box.size(uid) == len(fetched)
        headers = box.fetch(uid, headers_only=True)
        assert headers is not None and "充值失败".encode() not in headers
        assert box.open().uidvalidity == folder.uidvalidity
        assert box.size(uid + 100) is None
        with mail_server.imap() as imap:
            status, data = imap.uid("FETCH", str(uid), "(FLAGS)")
        assert status == "OK" and b"\\Seen" not in data[0]
    finally:
        box.close()


def test_a_wrong_password_is_a_mailbox_error_without_the_password(settings: EmailSettings) -> None:
    wrong = EmailSettings(**{**settings.__dict__, "imap_password": "not-the-password"})
    with pytest.raises(transport.MailboxError) as raised:
        transport.Mailbox(wrong).open()
    assert "not-the-password" not in str(raised.value)


def test_a_mail_goes_through_the_relay_and_a_refusal_is_permanent(
    mail_server: MailServer, settings: EmailSettings
) -> None:
    mail_server.add_user("wang@customer.example")
    message = compose(
        from_address=settings.from_address,
        to="wang@customer.example",
        subject="Re: 退款",
        text="您好",
        language="zh",
    )
    transport.send(settings, wire_bytes(message), "wang@customer.example")
    [(_, raw)] = mail_server.wait_for_messages("wang@customer.example")
    assert str(message["Message-ID"]).encode() in raw
    bad = compose(
        from_address=settings.from_address,
        to="wang@customer.example",
        subject="x",
        text="x",
        language="en",
    )
    with pytest.raises(transport.PermanentFailure):
        # A bare-LF mail with a line over 1000 bytes: the relay refuses it for good (500).
        transport.send(settings, bytes(bad) + b"x" * 1200 + b"\n", "wang@customer.example")
