"""One Rasa conversation per Telegram chat: the sender id is derived from the chat id.

The prefix keeps Telegram conversations apart from other channels' sender ids in the
shared tracker store, and lets the output channel recover the chat from a sender id when
Rasa sends outside a webhook turn (e.g. ``trigger_intent`` or reminders).
"""

from __future__ import annotations

CHANNEL_NAME = "telegram"
_PREFIX = f"{CHANNEL_NAME}:"


def sender_id(chat_id: int) -> str:
    return f"{_PREFIX}{chat_id}"


def chat_id(sender: str) -> int:
    """Inverse of :func:`sender_id`; raises ``ValueError`` for other channels' ids."""
    if not sender.startswith(_PREFIX):
        raise ValueError("not a Telegram sender id")
    return int(sender[len(_PREFIX) :])


def bot_id_from_token(token: str) -> int:
    """Telegram tokens are ``<bot id>:<secret>``; the id is public and safe to store."""
    head, _, _ = token.partition(":")
    return int(head) if head.isdigit() else 0
