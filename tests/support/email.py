"""A stand-in for the Rasa server behind the e-mail channel, for the service's own tests.

It answers like the real agent would in shape (bot messages per turn) and records what the
channel handed to it; the end-to-end tests (tests/e2e/test_email_e2e.py) use the real one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rasa.core.channels.channel import UserMessage

from channels.email.conversation import MAIL_KEY, Say, State
from channels.email.output import BotMessage, TurnCollector


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
