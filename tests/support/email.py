"""A stand-in for the Rasa server behind the e-mail channel, for the service's own tests.

It answers like the real agent would in shape (bot messages per turn) and records what the
channel handed to it; the end-to-end tests (tests/e2e/test_email_e2e.py) use the real one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from rasa.core.channels.channel import UserMessage
from sqlalchemy import select

from channels.email.conversation import MAIL_KEY, Say, State
from channels.email.outbox import recipient_and_mail
from channels.email.output import BotMessage, TurnCollector
from channels.toolkit import durable
from channels.toolkit.inbox import table as inbox_table
from channels.toolkit.outbox import table as outbox_table
from gopay_support.adapters.db import Database


class FakeConversations:
    def __init__(self, answers: Sequence[BotMessage] = (BotMessage("答复"),)) -> None:
        self.answers = list(answers)
        self.parse_result: dict[str, Any] = {"intent": {"name": "faq", "confidence": 0.9}}
        self.turns: list[UserMessage] = []
        self.recorded: list[tuple[UserMessage, list[Say], Mapping[str, Any]]] = []
        self.paused = False
        self.ready = True

    async def parse(self, text: str) -> dict[str, Any]:
        return dict(self.parse_result)

    async def state(self, sender_id: str) -> State:
        return State(paused=self.paused)

    async def answered(self, sender_id: str, mail_ref: str) -> list[BotMessage] | None:
        for message in self.turns:
            if (
                message.sender_id == sender_id
                and (message.metadata or {}).get("email", {}).get(MAIL_KEY) == mail_ref
            ):
                return list(self.answers)
        return None

    async def turn(self, message: UserMessage) -> None:
        self.turns.append(message)
        assert isinstance(message.output_channel, TurnCollector)
        if not self.paused:
            message.output_channel.messages.extend(self.answers)

    async def record(
        self, message: UserMessage, answers: Sequence[Say], slots: Mapping[str, Any] | None = None
    ) -> list[BotMessage]:
        self.turns.append(message)
        self.recorded.append((message, list(answers), dict(slots or {})))
        return [BotMessage(a.text or f"{a.response} {dict(a.params)}") for a in answers]


def queued_mails(database: Database) -> list[EmailMessage]:
    """Every mail the channel put in the outbox, oldest first (whatever its state)."""
    with database.engine.connect() as conn:
        rows = conn.execute(
            select(outbox_table.c.payload)
            .where(outbox_table.c.channel == "email")
            .order_by(outbox_table.c.id)
        ).all()
    mails = []
    for row in rows:
        _, raw = recipient_and_mail(durable.loads(row.payload))
        mails.append(message_from_bytes(raw, policy=policy.default))
    return mails  # type: ignore[return-value]


def inbox_outcomes(database: Database) -> dict[int, str | None]:
    """UID -> what the channel did with the mail (None while it is not finished)."""
    with database.engine.connect() as conn:
        rows = conn.execute(
            select(inbox_table.c.payload, inbox_table.c.result).where(inbox_table.c.channel == "email")
        ).all()
    outcomes: dict[int, str | None] = {}
    for row in rows:
        result = durable.loads(row.result) if row.result else None
        outcomes[int(durable.loads(row.payload)["uid"])] = result.get("outcome") if result else None
    return outcomes
