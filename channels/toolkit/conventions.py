"""What every channel puts into a message for Rasa: whose conversation it is, and hints.

* **Conversation id** (Rasa's sender id): ``<channel>:<id within the channel>``, so two
  channels never share a conversation and the output side can tell which channel owns one
  (a status push or an agent reply goes back to the conversation's own channel). The rules
  live in :mod:`gopay_support.core.conversation` (the console and the Rasa client use them
  too); this module re-exports them for channels.
* **Metadata**: ``language`` is the client's language hint (web widget UI language,
  Telegram ``language_code``, mail ``Content-Language``); it counts only until the user has
  written something with a language signal (:func:`gopay_support.core.language.of_conversation`).
  ``channel`` repeats the channel's name; ``client`` is a keyed digest of the client's network
  address (never the address), set by channels that have one, so actions can count tries per
  address; anything channel-specific goes under a key named after the channel
  (``{"telegram": {"update_id": ...}}``). Clients never set any of these keys.
"""

from __future__ import annotations

import re
from typing import Any

from gopay_support.core import language
from gopay_support.core.conversation import channel_of, conversation_id, local_id

__all__ = [
    "CHANNEL",
    "CLIENT",
    "LANGUAGE",
    "channel_of",
    "conversation_id",
    "local_id",
    "metadata",
    "valid_client_id",
    "with_client",
]

#: Metadata keys every channel may set.
LANGUAGE = "language"
CHANNEL = "channel"
CLIENT = "client"


def metadata(channel: str, language_hint: str | None = None, **specific: Any) -> dict[str, Any]:
    """The metadata of a message from ``channel``; ``specific`` goes under the channel's key."""
    data: dict[str, Any] = {CHANNEL: channel}
    hint = language.normalize(language_hint)
    if hint:
        data[LANGUAGE] = hint
    if specific:
        data[channel] = specific
    return data


def with_client(data: dict[str, Any], client: str | None) -> dict[str, Any]:
    """``data`` plus the keyed digest of the client's network address (``client``)."""
    return {**data, CLIENT: client} if client else data


_CLIENT_ID_RE = re.compile(r"[A-Za-z0-9_-]{8,64}")


def valid_client_id(value: object) -> str | None:
    """A client message id (web chat, REST) if well formed, else ``None`` (no de-duplication)."""
    if isinstance(value, str) and _CLIENT_ID_RE.fullmatch(value):
        return value
    return None
