"""Shared helpers of the Telegram channel tests: chat ids, a bot identity, running a
coroutine with a deadline, parsing fixture updates, a long answer."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

from telegram import Bot, Update

from channels.telegram.ratelimit import RateLimiter
from channels.telegram.routing import BotIdentity
from channels.telegram.sender import RetryPolicy, TelegramSender
from channels.telegram.service import make_bot
from support.telegram_fake import FakeTelegram
from support.telegram_fake.harness import free_port, telegram_settings

ZH_CHAT = 111111111
EN_CHAT = 222222222
GROUP_CHAT = -1001234567890
BOT = BotIdentity(123456789, "gopay_test_bot")


def run(coro: Coroutine[Any, Any, Any], timeout: float = 60) -> Any:
    return asyncio.run(asyncio.wait_for(coro, timeout))


def parse(update: dict[str, Any]) -> Update:
    return Update.de_json(update, Bot("123456789:x"))


def long_answer() -> str:
    first = "第一段：" + "充值失败请先检查网络。" * 280  # ~3,084 characters
    second = "第二段：" + "如仍未到账请联系客服。" * 260  # ~2,864 characters
    return f"{first}\n\n{second}"


def paced_sender(fake: FakeTelegram, read_timeout: float = 5.0, **limits: float) -> TelegramSender:
    """A sender on the fake server with quick retries and the given pacing."""
    config = telegram_settings(fake)
    return TelegramSender(
        make_bot(config, read_timeout=read_timeout),
        RateLimiter(limits.get("chat_interval", 0.0), limits.get("global_rate", 1000.0)),
        RetryPolicy(first_backoff=0.05),
    )


def closed_port() -> int:
    """A loopback port nothing listens on: connections to it are refused."""
    return free_port()
