"""Rasa output channel that answers through python-telegram-bot's ``Bot``.

Answers are sent as plain text (no ``parse_mode``) so nothing in an FAQ answer can be
misread as Markdown/HTML; long answers are split, buttons become an inline keyboard.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import OutputChannel

from channels.telegram import identity, texts
from channels.telegram.formatting import inline_keyboard, split_text
from channels.telegram.sender import TelegramSender
from gopay_support.core import language
from gopay_support.core.handoff.transcript import AGENT_KEY

logger = logging.getLogger(__name__)

#: Telegram rejects empty messages; a keyboard without text gets this pointer.
_KEYBOARD_ONLY_TEXT = "⬇️"


def agent_marked(text: str, kwargs: dict[str, Any]) -> str:
    """An agent's message (bot event metadata ``gopay_agent``) starts with their name and a
    "support agent" mark in the message's language, so the customer sees a person answers."""
    name = kwargs.get(AGENT_KEY)
    if not isinstance(name, str) or not name.strip() or not text.strip():
        return text
    prefix = texts.AGENT_PREFIX.format(language.resolve(text), name=name.strip()[:64])
    return f"{prefix}\n{text}"


class TelegramOutput(OutputChannel):
    def __init__(self, sender: TelegramSender, store_payload: Callable[[str], Awaitable[str]]) -> None:
        self._sender = sender
        self._store_payload = store_payload

    @classmethod
    def name(cls) -> str:
        return identity.CHANNEL_NAME

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        chat_id = identity.chat_id(recipient_id)
        for chunk in split_text(agent_marked(text, kwargs)):
            await self._sender.send_message(chat_id, chunk)

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        chat_id = identity.chat_id(recipient_id)
        keyboard = await inline_keyboard(buttons, self._store_payload)
        chunks = split_text(agent_marked(text or "", kwargs)) or [_KEYBOARD_ONLY_TEXT]
        for chunk in chunks[:-1]:
            await self._sender.send_message(chat_id, chunk)
        # The keyboard goes with the last part, right where the customer finishes reading.
        await self._sender.send_message(chat_id, chunks[-1], reply_markup=keyboard)

    async def send_quick_replies(
        self, recipient_id: str, text: str, quick_replies: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        await self.send_text_with_buttons(recipient_id, text, quick_replies)

    async def send_image_url(self, recipient_id: str, image: str, **kwargs: Any) -> None:
        await self._sender.send_photo(identity.chat_id(recipient_id), image)

    async def send_attachment(self, recipient_id: str, attachment: Any, **kwargs: Any) -> None:
        await self.send_text_message(recipient_id, str(attachment))

    async def send_custom_json(self, recipient_id: str, json_message: dict[str, Any], **kwargs: Any) -> None:
        # Custom payloads are for web widgets; raw JSON must never reach a customer.
        text = json_message.get("text") if isinstance(json_message, dict) else None
        if isinstance(text, str) and text.strip():
            await self.send_text_message(recipient_id, text)
        else:
            logger.debug("telegram: custom payload without text not sent")
