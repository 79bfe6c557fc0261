"""Conversation ids: ``<channel>:<id within the channel>``, and the short public id agents see.

A conversation belongs to the channel named by its prefix: that channel alone reads and
writes it, and answers pushed from outside a turn (status pushes, agent replies) go to that
channel's output. The full id never needs to be shown to a person; the console names a
conversation by :func:`public_id`, a short digest from which the id cannot be recovered.
"""

from __future__ import annotations

import hashlib
import hmac

SEPARATOR = ":"
#: Length of :func:`public_id`'s digest part (hex characters: 40 bits).
PUBLIC_DIGEST_CHARS = 10


def conversation_id(channel: str, local_id: str | int) -> str:
    """The Rasa sender id of ``local_id`` (a chat id, a session, a mailbox thread) on ``channel``."""
    return f"{channel}{SEPARATOR}{local_id}"


def channel_of(sender_id: str) -> str | None:
    """The channel a conversation id belongs to, or ``None`` for ids of no channel."""
    channel, separator, rest = sender_id.partition(SEPARATOR)
    return channel if separator and channel and rest else None


def local_id(channel: str, sender_id: str) -> str:
    """Inverse of :func:`conversation_id`; raises ``ValueError`` for other channels' ids."""
    prefix = f"{channel}{SEPARATOR}"
    if not sender_id.startswith(prefix) or len(sender_id) == len(prefix):
        raise ValueError(f"not a {channel} conversation id")
    return sender_id[len(prefix) :]


def public_id(sender_id: str) -> str:
    """A short name for a conversation that reveals neither the id nor a credential.

    ``webchat-3f9a0c1b7e``: the channel, then a digest of the whole id. Stable, so agents
    and tickets can refer to the same conversation, and useless for taking it over.
    """
    digest = hashlib.sha256(sender_id.encode("utf-8", "surrogatepass")).hexdigest()[:PUBLIC_DIGEST_CHARS]
    return f"{channel_of(sender_id) or 'other'}-{digest}"


def pseudonym(key: str, purpose: str, value: str, chars: int = 32) -> str:
    """A keyed digest of ``value`` (a session secret, a client address, a site's user id).

    Without the server's key it can be neither reversed nor recomputed, so it may name a
    conversation or count rate-limit tries without the original ever being stored or logged.
    """
    message = f"{purpose}\x00{value}".encode("utf-8", "surrogatepass")
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()[:chars]
