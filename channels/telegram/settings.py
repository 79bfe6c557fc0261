"""Telegram channel settings, from ``TELEGRAM_*`` environment variables.

The channel stays disabled until a bot token and a webhook secret are set; secrets come
from the environment, never from ``credentials.yml``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from gopay_support.wiring import Environment


@dataclass(frozen=True)
class TelegramSettings:
    """Telegram channel settings; the channel stays disabled until token and secret are set."""

    bot_token: str = ""
    #: Sent by Telegram in ``X-Telegram-Bot-Api-Secret-Token``; 1-256 of ``A-Za-z0-9_-``.
    webhook_secret: str = ""
    #: Bot API server; a self-hosted Bot API server or the test fake replaces Telegram's.
    api_base_url: str = "https://api.telegram.org"
    #: ``webhook`` (Telegram POSTs to us) or ``polling`` (``python -m channels.telegram.polling``).
    mode: str = "webhook"
    #: Public HTTPS URL Telegram should POST to, e.g.
    #: ``https://support.example.com/webhooks/telegram/webhook``; empty: no setWebhook.
    webhook_url: str = ""
    #: Seconds between two messages to the same chat and messages per second overall
    #: (Telegram's documented flood limits).
    chat_interval: float = 1.0
    global_rate: float = 30.0

    @property
    def enabled(self) -> bool:
        return bool(self.bot_token and self.webhook_secret)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> TelegramSettings:
        env = Environment(environ)
        return cls(
            bot_token=env.text("TELEGRAM_BOT_TOKEN"),
            webhook_secret=env.text("TELEGRAM_WEBHOOK_SECRET"),
            api_base_url=env.text("TELEGRAM_API_BASE_URL", cls.api_base_url).rstrip("/"),
            mode=env.text("TELEGRAM_MODE", cls.mode).lower(),
            webhook_url=env.text("TELEGRAM_WEBHOOK_URL"),
            chat_interval=env.number("TELEGRAM_CHAT_INTERVAL", cls.chat_interval),
            global_rate=env.number("TELEGRAM_GLOBAL_RATE", cls.global_rate),
        )
