"""Rasa input channel for Telegram: a thin webhook in front of :class:`TelegramService`.

Registered in ``credentials.yml`` as ``channels.telegram.TelegramInput``; token and secret
come from the environment (never from the repository). Without them the channel loads
disabled and its webhook answers 503 with the reason, so a missing token never stops Rasa.
"""

from __future__ import annotations

import hmac
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from channels.telegram import identity
from channels.telegram.logfilter import protect_token
from channels.telegram.service import Accepted, TelegramService
from channels.telegram.settings import TelegramSettings
from gopay_support.core import bounds
from gopay_support.wiring import load_settings

#: An update is a message with its metadata: Telegram's own text limit is 4,096 characters,
#: so a body this large is not an update (the shared reader also bounds depth and size).
MAX_UPDATE_BYTES = 256_000

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
_SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_TOKEN_RE = re.compile(r"^\d+:[A-Za-z0-9_-]+$")
MODES = ("webhook", "polling")


def disabled_reason(config: TelegramSettings) -> str | None:
    """Why the channel cannot run with ``config``, or ``None`` when it can."""
    if not config.bot_token:
        return "TELEGRAM_BOT_TOKEN is not set"
    if not _TOKEN_RE.match(config.bot_token):
        return "TELEGRAM_BOT_TOKEN does not look like a BotFather token (<id>:<secret>)"
    if not config.webhook_secret:
        return "TELEGRAM_WEBHOOK_SECRET is not set"
    if not _SECRET_RE.match(config.webhook_secret):
        return "TELEGRAM_WEBHOOK_SECRET must be 1-256 characters of A-Z, a-z, 0-9, _ and -"
    if config.mode not in MODES:
        return f"TELEGRAM_MODE must be one of {', '.join(MODES)}"
    return None


class TelegramInput(InputChannel):
    """Webhook ``POST /webhooks/telegram/webhook``; health ``GET /webhooks/telegram/``."""

    def __init__(
        self,
        config: TelegramSettings | None = None,
        service: TelegramService | None = None,
        database_url: str | None = None,
    ) -> None:
        # Rasa builds channels from credentials.yml: this is the channel's entry point, where
        # its settings are read from the environment.
        self.config = config or TelegramSettings.from_env()
        self.disabled_reason = None if service else disabled_reason(self.config)
        self.service: TelegramService | None = None
        if self.disabled_reason:
            logger.warning("telegram channel disabled: %s", self.disabled_reason)
            return
        protect_token(self.config.bot_token)
        self.service = service or TelegramService.from_settings(
            self.config, database_url or load_settings().database_url
        )

    @classmethod
    def name(cls) -> str:
        return identity.CHANNEL_NAME

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        # Settings come from the environment so secrets never land in credentials.yml.
        return cls()

    def get_output_channel(self) -> OutputChannel | None:
        return self.service.output if self.service else None

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        bp = Blueprint("gopay_telegram_webhook", __name__)
        if self.service is not None:
            self.service.on_new_message = on_new_message

        @bp.listener("after_server_start")
        async def start(app: Any, loop: Any) -> None:
            if self.service is not None:
                self.service.start(agent=lambda: getattr(app.ctx, "agent", None))

        @bp.listener("before_server_stop")
        async def stop(app: Any, loop: Any) -> None:
            if self.service is not None:
                await self.service.stop()

        @bp.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            if self.service is None:
                return response.json({"status": "disabled", "reason": self.disabled_reason})
            return response.json(
                {
                    "status": "ok",
                    "mode": self.config.mode,
                    "bot_username": self.service.identity.username,
                    "webhook_registered": self.service.webhook_registered,
                }
            )

        @bp.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            return await self._receive(request)

        return bp

    async def _receive(self, request: Request) -> HTTPResponse:
        if self.service is None:
            return response.json({"status": "disabled", "reason": self.disabled_reason}, status=503)
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), self.config.webhook_secret.encode()):
            logger.warning("telegram: webhook call with %s secret rejected", "a wrong" if given else "no")
            return response.json({"error": "invalid secret token"}, status=403)
        try:
            payload = bounds.parse_json(request.body, max_bytes=MAX_UPDATE_BYTES)
        except bounds.InputRejected as exc:
            return response.json({"error": str(exc)}, status=exc.status)
        try:
            outcome = await self.service.accept(payload)
        except Exception as exc:  # noqa: BLE001 - the inbox is unreachable: Telegram retries
            logger.error("telegram: update not recorded (%s); asking Telegram to retry", type(exc).__name__)
            return response.json({"error": "temporarily unavailable"}, status=503)
        if outcome is Accepted.INVALID:
            return response.json({"error": "not a Telegram update"}, status=400)
        return response.json({"status": outcome.value})
