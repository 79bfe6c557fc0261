"""Rasa input channel for e-mail: the intake runs inside the Rasa server.

Registered in ``credentials.yml`` as ``channels.email.EmailInput``. Its settings come from
``GOPAY_EMAIL_*`` environment variables (:mod:`.settings`); without them the channel loads
disabled and says why on ``GET /webhooks/email/``. With them, the intake (IMAP polling)
and the outbox worker start with the server and stop with it; the channel has no webhook,
since mail is fetched, not pushed.

``get_output_channel()`` gives :class:`~channels.email.output.EmailOutput`, so messages
from outside a turn (``output_channel=latest``: agent answers from the console, ticket
status pushes, the bot coming back after a handoff) go out by mail in the conversation's
thread.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from channels.email.conversation import RasaConversations
from channels.email.output import CHANNEL
from channels.email.service import EmailService
from channels.email.settings import PREFIX, EmailSettings
from gopay_support.wiring import Services, process_services

logger = logging.getLogger(__name__)

DISABLED = f"{PREFIX}IMAP_HOST and {PREFIX}SMTP_HOST are not set (see docs/email.md)"


class EmailInput(InputChannel):
    """Status ``GET /webhooks/email/``; no other route (mail is fetched over IMAP)."""

    def __init__(self, settings: EmailSettings | None = None, services: Services | None = None) -> None:
        # Rasa builds channels from credentials.yml: this is the channel's entry point, where
        # its settings are read from the environment. A half-done configuration raises.
        self.settings = settings or EmailSettings.from_env()
        self.disabled_reason = None if self.settings else DISABLED
        self.service: EmailService | None = None
        if self.settings is None:
            logger.info("email channel disabled: %s", DISABLED)
            return
        self.service = EmailService(self.settings, services or process_services())

    @classmethod
    def name(cls) -> str:
        return CHANNEL

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        # Settings come from the environment so passwords never land in credentials.yml.
        return cls()

    def get_output_channel(self) -> OutputChannel | None:
        return self.service.output if self.service else None

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        bp = Blueprint("gopay_email", __name__)

        @bp.listener("after_server_start")
        async def start(app: Any, loop: Any) -> None:
            if self.service is not None:
                self.service.start(RasaConversations(lambda: getattr(app.ctx, "agent", None), on_new_message))
                logger.info(
                    "email channel: reading the support folder every %gs",
                    self.service.settings.poll_seconds,
                )

        @bp.listener("before_server_stop")
        async def stop(app: Any, loop: Any) -> None:
            if self.service is not None:
                await self.service.stop()

        @bp.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            if self.service is None:
                return response.json({"status": "disabled", "reason": self.disabled_reason})
            return response.json({"status": "ok", **self.service.health()})

        return bp
