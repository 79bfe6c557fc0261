"""What every channel puts into a message for Rasa: whose conversation it is, and hints.

* **Conversation id** (Rasa's sender id): ``<channel>:<id within the channel>``, so two
  channels never share a conversation and the output side can tell which channel owns one
  (a status push or an agent reply goes back to the conversation's own channel).
* **Metadata**: ``language`` is the client's language hint (web widget UI language,
  Telegram ``language_code``, mail ``Content-Language``); it counts only until the user has
  written something with a language signal (:func:`gopay_support.core.language.of_conversation`).
  ``channel`` repeats the channel's name; anything channel-specific goes under a key named
  after the channel (``{"telegram": {"update_id": ...}}``). Clients never set other keys.
"""

from __future__ import annotations

from typing import Any

from gopay_support.core import language

#: Metadata keys every channel may set.
LANGUAGE = "language"
CHANNEL = "channel"
_SEPARATOR = ":"


def conversation_id(channel: str, local_id: str | int) -> str:
    """The Rasa sender id of ``local_id`` (a chat id, a session, a mailbox thread) on ``channel``."""
    return f"{channel}{_SEPARATOR}{local_id}"


def channel_of(sender_id: str) -> str | None:
    """The channel a conversation id belongs to, or ``None`` for ids of no channel."""
    channel, separator, rest = sender_id.partition(_SEPARATOR)
    return channel if separator and channel and rest else None


def local_id(channel: str, sender_id: str) -> str:
    """Inverse of :func:`conversation_id`; raises ``ValueError`` for other channels' ids."""
    prefix = f"{channel}{_SEPARATOR}"
    if not sender_id.startswith(prefix) or len(sender_id) == len(prefix):
        raise ValueError(f"not a {channel} conversation id")
    return sender_id[len(prefix) :]


def metadata(channel: str, language_hint: str | None = None, **specific: Any) -> dict[str, Any]:
    """The metadata of a message from ``channel``; ``specific`` goes under the channel's key."""
    data: dict[str, Any] = {CHANNEL: channel}
    hint = language.normalize(language_hint)
    if hint:
        data[LANGUAGE] = hint
    if specific:
        data[channel] = specific
    return data
