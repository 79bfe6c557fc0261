"""Run the Telegram input channel in-process: a real Sanic server on loopback in front of
the channel, with Rasa's ``on_new_message`` replaced by a recorder at the core boundary."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from typing import Any

import httpx
from rasa.core.channels.channel import UserMessage
from sanic import Sanic

from channels.telegram import TelegramInput
from channels.telegram.input import SECRET_HEADER
from channels.telegram.settings import TelegramSettings
from devtools.stack import free_port
from support.telegram_fake.server import FakeTelegram

SECRET = "test-Secret_0123456789"
# Several Sanic apps start in one test process; test mode lets Sanic's start-up rewrite
# ("touch-up") of its own methods run more than once.
Sanic.test_mode = True
_app_names = itertools.count()

Answer = Callable[[UserMessage], list[dict[str, Any]]]


def echo(message: UserMessage) -> list[dict[str, Any]]:
    return [{"text": f"echo: {message.text}"}]


@dataclass
class CoreRecorder:
    """Stands in for Rasa's agent: records each UserMessage and answers through the
    message's output channel, exactly as Rasa core would."""

    answer: Answer = echo
    delay: float = 0.0
    messages: list[UserMessage] = field(default_factory=list)

    async def __call__(self, message: UserMessage) -> None:
        self.messages.append(message)
        if self.delay:
            await asyncio.sleep(self.delay)
        for response in self.answer(message):
            await message.output_channel.send_response(message.sender_id, dict(response))


def telegram_settings(fake: FakeTelegram, **overrides: Any) -> TelegramSettings:
    base = TelegramSettings(
        bot_token=fake.token,
        webhook_secret=SECRET,
        api_base_url=fake.base_url,
        chat_interval=0.0,
        global_rate=1000.0,
    )
    return replace(base, **overrides)


@dataclass
class Running:
    channel: TelegramInput
    client: httpx.AsyncClient
    url: str

    async def post(
        self, update: Any, secret: str | None = SECRET, raw: bytes | None = None
    ) -> httpx.Response:
        headers = {SECRET_HEADER: secret} if secret is not None else {}
        if raw is not None:
            return await self.client.post("/webhooks/telegram/webhook", content=raw, headers=headers)
        return await self.client.post("/webhooks/telegram/webhook", json=update, headers=headers)

    async def drain(self, timeout: float = 20.0, deliveries: bool = True) -> None:
        """Wait until every accepted update is processed and (``deliveries``) its answers
        delivered."""
        if self.channel.service is not None:
            await self.channel.service.drain(timeout, deliveries=deliveries)


@asynccontextmanager
async def running_channel(
    telegram: TelegramSettings, db_url: str, core: Callable[[UserMessage], Awaitable[Any]]
) -> AsyncIterator[Running]:
    channel = TelegramInput(telegram, database_url=db_url)
    app = Sanic(f"telegram_test_{next(_app_names)}")
    app.blueprint(channel.blueprint(core), url_prefix="/webhooks/telegram")
    port = free_port()
    server = await app.create_server(
        host="127.0.0.1", port=port, return_asyncio_server=True, access_log=False
    )
    await server.startup()
    await server.after_start()
    url = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=url, timeout=10) as client:
            yield Running(channel, client, url)
    finally:
        await server.before_stop()
        server.close()
        await server.wait_closed()
        await server.after_stop()
