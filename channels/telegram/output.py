"""Rasa output channel for Telegram: every message goes into the durable outbox.

Answers are plain text (no ``parse_mode``) so nothing in an FAQ answer can be misread as
Markdown/HTML; long answers are split, buttons become an inline keyboard. Nothing is sent
from here: each message is enqueued (committed) under its idempotency key
(:mod:`channels.telegram.delivery`) and the outbox worker delivers it, in order per chat,
until Telegram takes it. During a turn the keys follow the update (:meth:`for_update`), so
a turn replayed after a crash enqueues nothing twice.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import OutputChannel

from channels.telegram import delivery, identity, texts
from channels.telegram.formatting import inline_keyboard, split_text
from channels.toolkit.outbox import Outgoing
from gopay_support.core import language
from gopay_support.core.handoff.transcript import AGENT_KEY, OUTBOX_KEY

logger = logging.getLogger(__name__)

#: Telegram rejects empty messages; a keyboard without text gets this pointer.
_KEYBOARD_ONLY_TEXT = "⬇️"

#: Enqueue messages for a conversation (``telegram:<chat>``); committed when it returns.
Enqueue = Callable[[str, list[Outgoing]], Awaitable[None]]


def agent_marked(text: str, kwargs: dict[str, Any]) -> str:
    """An agent's message (bot event metadata ``gopay_agent``) starts with their name and a
    "support agent" mark in the message's language, so the customer sees a person answers."""
    name = kwargs.get(AGENT_KEY)
    if not isinstance(name, str) or not name.strip() or not text.strip():
        return text
    prefix = texts.AGENT_PREFIX.format(language.resolve(text), name=name.strip()[:64])
    return f"{prefix}\n{text}"


class TelegramOutput(OutputChannel):
    """Outside a turn, a message the console sent through its outbox (metadata
    ``gopay_outbox_key``) keeps that key, so the same event sent twice reaches the chat
    once; other messages outside a turn get a random key. Use :meth:`for_update` for a
    turn's answers."""

    def __init__(
        self,
        enqueue: Enqueue,
        store_payload: Callable[[str], Awaitable[str]],
        bot_id: int,
        update_id: int | None = None,
    ) -> None:
        self._enqueue = enqueue
        self._store_payload = store_payload
        self._bot_id = bot_id
        self._update_id = update_id
        self._counter = itertools.count()

    @classmethod
    def name(cls) -> str:
        return identity.CHANNEL_NAME

    def for_update(self, update_id: int) -> TelegramOutput:
        """The output of one update's turn: its n-th message has the same key on a replay."""
        return TelegramOutput(self._enqueue, self._store_payload, self._bot_id, update_id)

    def _key(self, kwargs: dict[str, Any] | None = None, part: int = 0) -> str:
        outbox_key = (kwargs or {}).get(OUTBOX_KEY)
        if isinstance(outbox_key, str) and outbox_key:
            return delivery.relayed_key(self._bot_id, outbox_key, part)
        if self._update_id is None:
            return delivery.loose_key(self._bot_id)
        return delivery.turn_key(self._bot_id, self._update_id, next(self._counter))

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        chat_id = identity.chat_id(recipient_id)
        chunks = split_text(agent_marked(text, kwargs))
        await self._enqueue(
            recipient_id, [delivery.message(self._key(kwargs, n), chat_id, c) for n, c in enumerate(chunks)]
        )

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        chat_id = identity.chat_id(recipient_id)
        keyboard = await inline_keyboard(buttons, self._store_payload)
        chunks = split_text(agent_marked(text or "", kwargs)) or [_KEYBOARD_ONLY_TEXT]
        messages = [delivery.message(self._key(), chat_id, c) for c in chunks[:-1]]
        # The keyboard goes with the last part, right where the customer finishes reading.
        messages.append(delivery.message(self._key(), chat_id, chunks[-1], keyboard))
        await self._enqueue(recipient_id, messages)

    async def send_quick_replies(
        self, recipient_id: str, text: str, quick_replies: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        await self.send_text_with_buttons(recipient_id, text, quick_replies)

    async def send_image_url(self, recipient_id: str, image: str, **kwargs: Any) -> None:
        chat_id = identity.chat_id(recipient_id)
        await self._enqueue(recipient_id, [delivery.photo(self._key(), chat_id, image)])

    async def send_attachment(self, recipient_id: str, attachment: Any, **kwargs: Any) -> None:
        await self.send_text_message(recipient_id, str(attachment))

    async def send_custom_json(self, recipient_id: str, json_message: dict[str, Any], **kwargs: Any) -> None:
        # Custom payloads are for web widgets; raw JSON must never reach a customer.
        text = json_message.get("text") if isinstance(json_message, dict) else None
        if isinstance(text, str) and text.strip():
            await self.send_text_message(recipient_id, text)
        else:
            logger.debug("telegram: custom payload without text not sent")
