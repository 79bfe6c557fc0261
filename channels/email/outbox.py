"""Mail through the shared outbox (:mod:`channels.toolkit.outbox`).

Every mail the channel sends (answers, notices, agent answers, status mails) is enqueued in
the assistant's one outbox under an idempotency key derived from what it answers, with the
mail's own bytes and recipient as the payload, before anything is sent; the outbox worker
hands it to :func:`send_mail`, which gives it to the SMTP relay. So a crash between
composing and sending loses nothing, a replayed mail cannot queue its answer twice, mails of
one conversation leave in order, and the relay being away is retried with backoff.

A try whose outcome is unknown (the connection broke after the relay may have taken the
mail) is sent again: SMTP cannot be asked whether a mail arrived, and the second copy has the
same Message-ID, which mail clients show once. A permanent refusal (5xx) is recorded as
refused and not retried.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Mapping
from typing import Any

from channels.email import transport
from channels.email.settings import EmailSettings
from channels.toolkit.outbox import OutboxMessage, Outgoing, Refused, RetryLater, Sender


def outgoing(key: str, recipient: str, raw: bytes, message_id: str) -> Outgoing:
    """The outbox entry of one mail (``raw``: the bytes as they go over SMTP)."""
    return Outgoing(
        key[:128],
        {"to": recipient, "message_id": message_id, "mail": base64.b64encode(raw).decode("ascii")},
    )


def recipient_and_mail(payload: Mapping[str, Any]) -> tuple[str, bytes]:
    return str(payload["to"]), base64.b64decode(str(payload["mail"]))


def send_mail(settings: EmailSettings) -> Sender:
    """The outbox worker's sender for the ``email`` channel."""

    async def send(message: OutboxMessage) -> dict[str, str]:
        recipient, raw = recipient_and_mail(message.payload)
        try:
            await asyncio.to_thread(transport.send, settings, raw, recipient)
        except transport.PermanentFailure as error:
            raise Refused(str(error)) from None
        except TimeoutError:
            raise RetryLater("relay timed out", outcome_unknown=True) from None
        except (OSError, ConnectionError) as error:
            raise RetryLater(f"relay unavailable ({type(error).__name__}: {error})") from None
        return {"message_id": str(message.payload.get("message_id", ""))}

    return send
