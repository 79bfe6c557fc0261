"""The test mail server itself (tests/support/mail.py): Dovecot and the SMTP relay behave like
the real thing the channel will face: TLS that verifies, AUTH only after STARTTLS, mailboxes
that exist or not.
"""

from __future__ import annotations

import imaplib
import smtplib
import ssl
import uuid
from email import message_from_bytes, policy

import pytest
from support.mail import MailServer, mail_server_fixture  # noqa: F401  (the mail_server fixture)


def _raw(subject: str, body: str = "hello") -> bytes:
    return (
        f"From: Customer <customer@example.com>\r\nTo: support@gopay.test\r\n"
        f"Subject: {subject}\r\nMessage-ID: <{uuid.uuid4().hex}@example.com>\r\n\r\n{body}\r\n"
    ).encode()


def test_delivered_and_appended_mail_is_in_the_support_inbox(mail_server: MailServer) -> None:
    subject_lmtp, subject_append = f"lmtp {uuid.uuid4().hex}", f"append {uuid.uuid4().hex}"
    mail_server.deliver(_raw(subject_lmtp))
    uid = mail_server.append(_raw(subject_append))

    by_uid = dict(mail_server.messages(mail_server.support_address))
    subjects = {u: message_from_bytes(raw, policy=policy.default)["Subject"] for u, raw in by_uid.items()}
    assert subjects[uid] == subject_append
    assert subject_lmtp in subjects.values()
    # LMTP delivery is a real final delivery: Dovecot stamps it.
    lmtp_raw = next(raw for u, raw in by_uid.items() if subjects[u] == subject_lmtp)
    assert lmtp_raw.startswith(b"Return-Path: <customer@example.com>")


def test_delivery_to_an_unknown_mailbox_is_refused(mail_server: MailServer) -> None:
    with pytest.raises(AssertionError, match="unknown mailbox"):
        mail_server.deliver(_raw("x"), to="nobody-here@gopay.test")


def test_relay_offers_auth_only_after_starttls(mail_server: MailServer) -> None:
    with smtplib.SMTP(mail_server.host, mail_server.smtp_port, timeout=10) as smtp:
        with pytest.raises(smtplib.SMTPNotSupportedError):
            smtp.login(mail_server.smtp_user, mail_server.smtp_password)
    with smtplib.SMTP(mail_server.host, mail_server.smtp_port, timeout=10) as smtp:
        smtp.starttls(context=mail_server.client_tls())
        with pytest.raises(smtplib.SMTPAuthenticationError):
            smtp.login(mail_server.smtp_user, "wrong password")


def test_relay_delivers_to_local_mailboxes_and_records_every_message(mail_server: MailServer) -> None:
    customer = f"c-{uuid.uuid4().hex[:8]}@example.com"
    mail_server.add_user(customer)
    subject = f"relay {uuid.uuid4().hex}"
    with smtplib.SMTP(mail_server.host, mail_server.smtp_port, timeout=10) as smtp:
        smtp.starttls(context=mail_server.client_tls())
        smtp.login(mail_server.smtp_user, mail_server.smtp_password)
        smtp.sendmail(mail_server.support_address, [customer, "someone@elsewhere.test"], _raw(subject))

    inbox = mail_server.wait_for_messages(customer)
    assert [message_from_bytes(raw, policy=policy.default)["Subject"] for _uid, raw in inbox] == [subject]
    sent = [s for s in mail_server.sent if subject.encode() in s.content]
    assert len(sent) == 1
    assert sent[0].rcpt_tos == [customer, "someone@elsewhere.test"]
    assert sent[0].delivered == [customer]


def test_imaps_certificate_is_trusted_only_through_the_run_ca(mail_server: MailServer) -> None:
    with pytest.raises(ssl.SSLCertVerificationError):
        imaplib.IMAP4_SSL(
            mail_server.host, mail_server.imaps_port, ssl_context=ssl.create_default_context(), timeout=10
        )
    imap = imaplib.IMAP4_SSL(
        mail_server.host, mail_server.imaps_port, ssl_context=mail_server.client_tls(), timeout=10
    )
    try:
        assert imap.login(mail_server.support_address, mail_server.support_password)[0] == "OK"
    finally:
        imap.logout()
