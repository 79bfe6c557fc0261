"""What the web chat sends to the widget: one bubble per answer, and who wrote it.

Rasa's socket.io output splits every answer at blank lines into several bubbles and drops
everything but the text. Here an answer stays one message (the widget renders its
paragraphs, lists and bold text inside one bubble), and a message an agent wrote in the
console (the bot event's metadata ``gopay_agent``, see
:mod:`gopay_support.adapters.rasa.client`) reaches the widget as ``"sender": "agent"`` with
the agent's name, so the customer sees that a person answers.
"""

from __future__ import annotations

from typing import Any

from rasa.core.channels.socketio import SocketIOOutput

from gopay_support.core.handoff.transcript import AGENT_KEY

#: Longest agent name shown to a customer (names come from the console's configuration).
MAX_NAME = 64


def agent_fields(kwargs: dict[str, Any]) -> dict[str, Any]:
    """``{"sender": "agent", "agent": {"name": ...}}`` for an agent's message, else ``{}``."""
    name = kwargs.get(AGENT_KEY)
    if not isinstance(name, str) or not name.strip():
        return {}
    return {"sender": "agent", "agent": {"name": name.strip()[:MAX_NAME]}}


class WebChatOutput(SocketIOOutput):
    @classmethod
    def name(cls) -> str:
        return "webchat"

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        await self._send_message(recipient_id, {"text": text.strip(), **agent_fields(kwargs)})

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        replies = [
            {"content_type": "text", "title": button["title"], "payload": button["payload"]}
            for button in buttons
            if button.get("payload")
        ]
        message = {"text": (text or "").strip(), "quick_replies": replies, **agent_fields(kwargs)}
        await self._send_message(recipient_id, message)

    async def send_quick_replies(
        self, recipient_id: str, text: str, quick_replies: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        await self.send_text_with_buttons(recipient_id, text, quick_replies, **kwargs)
