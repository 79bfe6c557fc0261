"""Mail through the shared outbox: enqueued once per key, handed to the real SMTP relay by
the outbox worker, a permanent refusal recorded, a relay away retried."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

import pytest
from support.mail import MailServer, mail_server_fixture  # noqa: F401  (fixture)

from channels.email.compose import compose, wire_bytes
from channels.email.outbox import outgoing, recipient_and_mail, send_mail
from channels.email.settings import EmailSettings
from channels.toolkit.outbox import DeliveryState, Outbox, OutboxWorker
from devtools.stack import free_port
from gopay_support.adapters.db import Database

CUSTOMER = "zhou@customer.example"


@pytest.fixture(scope="module")
def settings(mail_server: MailServer) -> EmailSettings:
    mail_server.add_user(CUSTOMER)
    result = EmailSettings.from_env(mail_server.env())
    assert result is not None
    return result


@pytest.fixture
def outbox(tmp_path: Path):
    database = Database(f"sqlite:///{tmp_path / 'app.db'}")
    yield Outbox(database)
    database.dispose()


def a_mail(settings: EmailSettings, text: str = "您好") -> tuple[bytes, str]:
    message = compose(
        from_address=settings.from_address, to=CUSTOMER, subject="Re: 退款", text=text, language="zh"
    )
    return wire_bytes(message), str(message["Message-ID"])


def deliver(outbox: Outbox, settings: EmailSettings) -> None:
    async def run() -> None:
        await OutboxWorker(outbox, {"email": send_mail(settings)}).run_until_idle(timeout=30)

    asyncio.run(run())


def test_the_payload_carries_the_exact_bytes() -> None:
    raw = b"Subject: =?utf-8?b?5rOo5YaM?=\r\n\r\n\xe6\x82\xa8\xe5\xa5\xbd\r\n"
    entry = outgoing("reply:a", CUSTOMER, raw, "<a@gopay.test>")
    assert recipient_and_mail(entry.payload) == (CUSTOMER, raw)


def test_a_queued_mail_is_sent_once(mail_server: MailServer, settings: EmailSettings, outbox: Outbox) -> None:
    raw, message_id = a_mail(settings)
    assert outbox.enqueue("email", "email:email-a", [outgoing("reply:1", CUSTOMER, raw, message_id)]) == [
        True
    ]
    assert outbox.enqueue("email", "email:email-a", [outgoing("reply:1", CUSTOMER, raw, message_id)]) == [
        False
    ]
    before = len(mail_server.messages(CUSTOMER))
    deliver(outbox, settings)
    deliver(outbox, settings)
    delivery = outbox.delivery("reply:1")
    assert delivery is not None and delivery.state is DeliveryState.SENT
    arrived = mail_server.wait_for_messages(CUSTOMER, before + 1)
    assert len(arrived) == before + 1 and message_id.encode() in arrived[-1][1]


def test_a_permanent_refusal_is_recorded_and_not_retried(settings: EmailSettings, outbox: Outbox) -> None:
    raw, message_id = a_mail(settings)
    broken = raw.replace(b"\r\n", b"\n") + b"x" * 1200 + b"\n"  # one over-long line: 500
    outbox.enqueue_one(
        "email", "email:email-b", "reply:2", outgoing("k", CUSTOMER, broken, message_id).payload
    )
    deliver(outbox, settings)
    delivery = outbox.delivery("reply:2")
    assert delivery is not None and delivery.state is DeliveryState.REFUSED and delivery.attempts == 1


def test_a_relay_away_is_retried(settings: EmailSettings, outbox: Outbox) -> None:
    away = replace(settings, smtp_port=free_port())  # nobody listens there
    raw, message_id = a_mail(settings)
    outbox.enqueue_one("email", "email:email-c", "reply:3", outgoing("k", CUSTOMER, raw, message_id).payload)

    async def one_try() -> None:
        worker = OutboxWorker(outbox, {"email": send_mail(away)})
        worker.start()
        await asyncio.sleep(1.0)
        await worker.stop()

    asyncio.run(one_try())
    delivery = outbox.delivery("reply:3")
    assert delivery is not None and delivery.state is DeliveryState.PENDING and delivery.attempts >= 1
    assert delivery.last_error and "relay unavailable" in delivery.last_error
