"""Direct calls to the Bot API: pacing, 429 handling and safe retries.

The bot's messages to a chat do not come here: they go through the durable outbox
(:mod:`channels.telegram.delivery`), which retries until delivered. What remains here are
the calls that only matter while a turn runs (chat actions, callback answers, keyboard
edits), and ``send_message``/``send_photo`` for tools and tests.

Telegram has no idempotency key, so a message is re-sent only when the failure proves that
Telegram never acted on it (connection refused, 429, 5xx answer). When the request may
have arrived (e.g. the answer timed out) a message is *not* re-sent: a missing message is
logged, a duplicate would confuse the customer. Idempotent calls (chat actions, callback
answers, keyboard edits) are retried in every case.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import warnings
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
from telegram import Bot, InlineKeyboardMarkup, Message
from telegram.constants import ChatAction
from telegram.error import NetworkError, RetryAfter, TelegramError

from channels.telegram.ratelimit import RateLimiter
from channels.toolkit.backoff import Backoff

logger = logging.getLogger(__name__)

T = TypeVar("T")

# httpx failures raised before the request reached the server.
_NOT_SENT_CAUSES = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 5
    first_backoff: float = 0.5
    max_backoff: float = 8.0
    #: 429s are waited out at most this many times for one call.
    flood_waits: int = 5
    #: A 429 asking for a longer wait than this is given up (and logged).
    max_retry_after: float = 120.0

    def backoff(self, attempt: int) -> float:
        return Backoff(self.first_backoff, self.max_backoff).delay(attempt)


def never_reached_telegram(exc: NetworkError) -> bool:
    """``True`` when the failed request certainly had no effect, so resending is safe."""
    cause = exc.__cause__
    if cause is None or isinstance(cause, TelegramError):
        # The server answered with an error status (5xx): it did not act on the request.
        return True
    return isinstance(cause, _NOT_SENT_CAUSES)


def retry_after_seconds(exc: RetryAfter) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PTB's int-vs-timedelta deprecation notice
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)


class TelegramSender:
    """Paced, fault-tolerant wrapper around the few Bot API methods the channel uses."""

    def __init__(self, bot: Bot, limiter: RateLimiter, policy: RetryPolicy | None = None) -> None:
        self.bot = bot
        self._limiter = limiter
        self._policy = policy or RetryPolicy()

    async def send_message(
        self, chat_id: int, text: str, reply_markup: InlineKeyboardMarkup | None = None
    ) -> Message | None:
        # No parse_mode: answers are plain text, so "*", "_" or "<" never break a message.
        return await self._call(
            "sendMessage",
            lambda: self.bot.send_message(chat_id, text, reply_markup=reply_markup),
            chat_id=chat_id,
            idempotent=False,
        )

    async def send_photo(self, chat_id: int, photo_url: str, caption: str | None = None) -> Any:
        return await self._call(
            "sendPhoto",
            lambda: self.bot.send_photo(chat_id, photo_url, caption=caption),
            chat_id=chat_id,
            idempotent=False,
        )

    async def send_typing(self, chat_id: int) -> None:
        await self._call(
            "sendChatAction",
            lambda: self.bot.send_chat_action(chat_id, ChatAction.TYPING),
            chat_id=None,
            idempotent=True,
            attempts=1,
        )

    async def answer_callback_query(self, callback_query_id: str) -> None:
        await self._call(
            "answerCallbackQuery",
            lambda: self.bot.answer_callback_query(callback_query_id),
            chat_id=None,
            idempotent=True,
        )

    async def remove_keyboard(self, chat_id: int, message_id: int) -> None:
        await self._call(
            "editMessageReplyMarkup",
            lambda: self.bot.edit_message_reply_markup(chat_id=chat_id, message_id=message_id),
            chat_id=None,
            idempotent=True,
            attempts=1,
        )

    async def _call(
        self,
        method: str,
        request: Callable[[], Awaitable[T]],
        *,
        chat_id: int | None,
        idempotent: bool,
        attempts: int | None = None,
    ) -> T | None:
        """Run ``request`` under the limits; ``None`` when it finally failed (logged)."""
        policy = self._policy
        max_attempts = attempts or policy.attempts
        failures = 0
        flood_waits = 0
        while True:
            if chat_id is not None:
                await self._limiter.acquire(chat_id)
            else:
                await self._limiter.acquire_global()
            try:
                return await request()
            except RetryAfter as exc:
                wait = retry_after_seconds(exc)
                flood_waits += 1
                if flood_waits > policy.flood_waits or wait > policy.max_retry_after:
                    logger.error("telegram %s: flood control (retry_after=%ss), giving up", method, wait)
                    return None
                logger.warning("telegram %s: 429, waiting %ss before the single resend", method, wait)
                await asyncio.sleep(wait)
            except NetworkError as exc:
                failures += 1
                if not idempotent and not never_reached_telegram(exc):
                    logger.error(
                        "telegram %s: outcome unknown (%s); not resent to avoid a duplicate",
                        method,
                        type(exc.__cause__ or exc).__name__,
                    )
                    return None
                if failures >= max_attempts:
                    logger.error(
                        "telegram %s: failed %d times (%s), giving up",
                        method,
                        failures,
                        type(exc.__cause__ or exc).__name__,
                    )
                    return None
                delay = policy.backoff(failures)
                logger.warning(
                    "telegram %s: network error (%s), retry %d in %.1fs",
                    method,
                    type(exc.__cause__ or exc).__name__,
                    failures,
                    delay,
                )
                await asyncio.sleep(delay)
            except TelegramError as exc:
                # Bad request, bot blocked by the user, chat gone: retrying cannot help.
                logger.error("telegram %s: rejected (%s: %s)", method, type(exc).__name__, exc.message)
                return None
