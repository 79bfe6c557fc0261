"""The bot's messages to Telegram through the shared outbox (:mod:`channels.toolkit.outbox`).

Every message to a chat (Rasa's answers, the channel's fixed replies, agent answers, status
pushes) is enqueued under an idempotency key before anything is sent: a turn's answers under
``telegram:<bot>:<update id>:<n>`` (a replayed turn enqueues the same keys, which are kept
once), a message the console sent through its own outbox under that message's key, other
messages from outside a turn under a random key. The outbox worker hands each to
:func:`telegram_sender`, one chat's messages in order, and retries until Telegram accepts or
refuses it for good:

* 429: retried after Telegram's ``retry_after``, however long;
* connection refused, 5xx: retried with backoff (the request had no effect);
* a timeout after the request left: retried, and since the Bot API has no idempotency key
  this is the one case where the customer may see a message twice;
* 403 (the user blocked the bot), 400 (chat gone, bad request): refused, not retried.

Pacing (about one message per second per chat, 30 per second overall) is the channel's
:class:`~channels.telegram.ratelimit.RateLimiter`, taken before each try.
"""

from __future__ import annotations

import uuid
from typing import Any

from telegram import Bot, InlineKeyboardMarkup
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
)

from channels.telegram import identity
from channels.telegram.ratelimit import RateLimiter
from channels.telegram.sender import never_reached_telegram, retry_after_seconds
from channels.toolkit.outbox import OutboxMessage, Outgoing, Refused, RetryLater, Sender

SEND_MESSAGE = "sendMessage"
SEND_PHOTO = "sendPhoto"


def message(key: str, chat_id: int, text: str, reply_markup: InlineKeyboardMarkup | None = None) -> Outgoing:
    payload: dict[str, Any] = {"method": SEND_MESSAGE, "chat_id": chat_id, "text": text}
    if reply_markup is not None:
        payload["reply_markup"] = reply_markup.to_dict()
    return Outgoing(key[:128], payload)


def photo(key: str, chat_id: int, url: str) -> Outgoing:
    return Outgoing(key[:128], {"method": SEND_PHOTO, "chat_id": chat_id, "photo": url})


def turn_key(bot_id: int, update_id: int, n: int | str) -> str:
    """The key of a turn's ``n``-th message (or of its notice ``n``): the same on every
    replay of the update."""
    return f"{identity.CHANNEL_NAME}:{bot_id}:{update_id}:{n}"


def relayed_key(bot_id: int, outbox_key: str, part: int) -> str:
    """The key of part ``part`` of a message the console sent under ``outbox_key``
    (:mod:`channels.toolkit.conversation`): an event that reached Rasa twice is sent once."""
    return f"{identity.CHANNEL_NAME}:{bot_id}:o:{outbox_key}:{part}"


def loose_key(bot_id: int) -> str:
    """The key of a message sent outside a turn (agent answer, status push)."""
    return f"{identity.CHANNEL_NAME}:{bot_id}:x:{uuid.uuid4().hex}"


def telegram_sender(bot: Bot, limiter: RateLimiter) -> Sender:
    """The outbox worker's sender for the ``telegram`` channel."""

    async def send(outgoing: OutboxMessage) -> dict[str, Any]:
        payload = outgoing.payload
        chat_id = int(payload["chat_id"])
        await limiter.acquire(chat_id)
        try:
            if payload.get("method") == SEND_PHOTO:
                sent = await bot.send_photo(chat_id, str(payload["photo"]))
            else:
                markup = payload.get("reply_markup")
                sent = await bot.send_message(
                    chat_id,
                    str(payload["text"]),
                    reply_markup=InlineKeyboardMarkup.de_json(markup, bot) if markup else None,
                )
        except RetryAfter as exc:
            raise RetryLater("flood control (429)", retry_after=retry_after_seconds(exc)) from None
        except (Forbidden, BadRequest, ChatMigrated) as exc:
            raise Refused(f"{type(exc).__name__}: {exc.message}") from None
        except InvalidToken:
            raise RetryLater("the bot token was rejected") from None
        except NetworkError as exc:
            cause = type(exc.__cause__ or exc).__name__
            raise RetryLater(
                f"Bot API unavailable ({cause})", outcome_unknown=not never_reached_telegram(exc)
            ) from None
        except TelegramError as exc:
            raise Refused(f"{type(exc).__name__}: {exc.message}") from None
        return {"message_id": sent.message_id}

    return send
