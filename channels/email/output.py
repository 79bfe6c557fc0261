"""From the bot's messages to the text of one mail, and Rasa's output channels for mail.

A chat shows each bot message as a bubble; a mail collects the whole turn. Rasa hands the
channel its messages (``text``, ``buttons``, images, custom payloads) through an
:class:`~rasa.core.channels.channel.OutputChannel`:

* during a customer's mail, :class:`TurnCollector` collects them and the service sends one
  reply mail when the turn is over;
* outside a turn (an agent's answer from the console, a ticket status change, the bot
  coming back after a handoff), Rasa asks the input channel for its output channel
  (``output_channel=latest``); :class:`EmailOutput` turns each such message into a mail in
  the conversation's thread at once.

Buttons become numbered options (:mod:`.options`), numbered across the whole mail, so the
customer's "2" is unambiguous; they are remembered with the thread.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rasa.core.channels.channel import OutputChannel

from channels.email.options import HINTS, Option, numbered_options
from gopay_support.core.handoff.transcript import AGENT_KEY

CHANNEL = "email"


@dataclass(frozen=True)
class BotMessage:
    """What of one Rasa message a mail can carry."""

    text: str
    buttons: tuple[Mapping[str, Any], ...] = ()
    response: str | None = None  #: the domain response it came from (``utter_...``)
    agent: str | None = None  #: the agent who wrote it, for answers from the console

    @classmethod
    def from_rasa(cls, message: Mapping[str, Any]) -> BotMessage:
        parts = [str(message.get("text") or "").strip()]
        custom = message.get("custom")
        if isinstance(custom, Mapping) and isinstance(custom.get("text"), str):
            parts.append(custom["text"].strip())  # raw JSON is for widgets, never for a mail
        for key in ("image", "attachment"):
            value = message.get(key)
            if isinstance(value, str) and value.startswith(("http://", "https://")):
                parts.append(value)
        buttons = message.get("buttons") or message.get("quick_replies") or ()
        agent = message.get(AGENT_KEY)
        return cls(
            text="\n\n".join(p for p in parts if p),
            buttons=tuple(b for b in buttons if isinstance(b, Mapping)),
            response=message.get("utter_action") if isinstance(message.get("utter_action"), str) else None,
            agent=agent if isinstance(agent, str) and agent else None,
        )

    @property
    def empty(self) -> bool:
        return not self.text and not self.buttons


@dataclass(frozen=True)
class MailBody:
    text: str
    options: tuple[Option, ...]


def mail_body(messages: Iterable[BotMessage], language: str) -> MailBody:
    """The messages as one mail text: paragraphs, numbered options, links, then the hint."""
    blocks: list[str] = []
    options: list[Option] = []
    for message in messages:
        if message.text:
            blocks.append(message.text)
        choosable = numbered_options(message.buttons)
        if choosable:
            numbered = [Option(len(options) + i + 1, o.title, o.payload) for i, o in enumerate(choosable)]
            options.extend(numbered)
            blocks.append("\n".join(f"{o.number}. {o.title}" for o in numbered))
        links = [b for b in message.buttons if b.get("url")]
        if links:
            blocks.append(
                "\n".join(f"{str(b.get('title') or '').strip()}: {b['url']}".lstrip(": ") for b in links)
            )
    if options:
        blocks.append(HINTS.get(language, HINTS["en"]))
    return MailBody("\n\n".join(blocks).strip(), tuple(options))


class TurnCollector(OutputChannel):
    """Collects the bot's messages of one customer mail (named ``email`` for Rasa)."""

    def __init__(self) -> None:
        self.messages: list[BotMessage] = []

    @classmethod
    def name(cls) -> str:
        return CHANNEL

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        collected = BotMessage.from_rasa(message)
        if not collected.empty:
            self.messages.append(collected)

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        await self.send_response(recipient_id, {"text": text, **kwargs})


Deliver = Callable[[str, Sequence[BotMessage]], Awaitable[None]]


class EmailOutput(OutputChannel):
    """Messages from outside a turn: each becomes a mail in the conversation's thread."""

    def __init__(self, deliver: Deliver) -> None:
        self._deliver = deliver

    @classmethod
    def name(cls) -> str:
        return CHANNEL

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        collected = BotMessage.from_rasa(message)
        if not collected.empty:
            await self._deliver(recipient_id, [collected])

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        await self.send_response(recipient_id, {"text": text, **kwargs})
