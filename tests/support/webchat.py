"""A running web chat channel for tests: Sanic on a free loopback port with the channel's
blueprint, a recording stand-in for Rasa's message handler, and a socket.io client."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import socketio
from rasa.core.channels.channel import UserMessage
from sanic import Sanic

from channels.webchat import WebChatInput, identity
from channels.webchat.origins import OriginPolicy
from channels.webchat.settings import WebChatSettings
from devtools.stack import free_port

# A Sanic server starts per test; test mode lets Sanic's start-up rewrite ("touch-up") of
# its own methods run more than once in a process (as in tests/telegram_fake/harness.py).
Sanic.test_mode = True

SESSION = "0123456789abcdef0123456789abcdef"
JWT_KEY = "test-only-secret-key-of-32-bytes-or-more"
IDENTITY_KEY = "test-identity-key"


def conversation_of(session: str = SESSION) -> str:
    """The conversation id the test channels give the browser session ``session``."""
    return identity.conversation_for_session(IDENTITY_KEY, session)


@dataclass
class RecordingBot:
    """Stands in for Rasa's ``on_new_message``: records messages and answers in two parts."""

    messages: list[UserMessage] = field(default_factory=list)

    async def __call__(self, message: UserMessage) -> None:
        self.messages.append(message)
        await message.output_channel.send_text_message(
            message.sender_id, f"echo: {message.text}\n\nsecond part"
        )


@dataclass
class Live:
    url: str
    host: str
    bot: RecordingBot


@asynccontextmanager
async def running(channel: WebChatInput, bot: RecordingBot | None = None) -> AsyncIterator[Live]:
    bot = bot or RecordingBot()
    app = Sanic(f"webchat_test_{uuid.uuid4().hex[:12]}")
    port = free_port()
    # The test server's own address is its public origin, as GOPAY_PUBLIC_ORIGINS makes it
    # for a stack (the demo page's origin).
    channel.origins = OriginPolicy(channel.limits.allowed_origins, (f"http://127.0.0.1:{port}",))
    app.blueprint(channel.blueprint(bot), url_prefix=channel.url_prefix())
    server = await app.create_server(
        host="127.0.0.1", port=port, return_asyncio_server=True, access_log=False
    )
    assert server is not None
    await server.startup()
    await server.after_start()
    try:
        yield Live(f"http://127.0.0.1:{port}", f"127.0.0.1:{port}", bot)
    finally:
        await server.before_stop()
        await server.close()
        await server.after_stop()


class ChatClient:
    """A socket.io client doing what the widget does, over HTTP long-polling."""

    def __init__(self, live: Live, origin: str | None = "same", token: str | None = None):
        self.live = live
        self.origin = live.url if origin == "same" else origin
        self.token = token
        self.sio = socketio.AsyncClient(reconnection=False)
        self.received: list[dict[str, Any]] = []
        self.sio.on("bot_uttered", self.received.append)

    async def connect(self, session_id: str | None = SESSION) -> str:
        confirmed: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self.sio.on("session_confirm", confirmed.set_result)
        headers = {"Origin": self.origin} if self.origin else {}
        auth = {"token": self.token} if self.token else None
        await self.sio.connect(self.live.url, transports=["polling"], headers=headers, auth=auth)
        await self.sio.emit("session_request", {"session_id": session_id})
        return await asyncio.wait_for(confirmed, 10)

    async def refused(self) -> Any:
        """Connect expecting the server to refuse; returns the refusal's data.

        The client's own ``connect`` would only raise after a graceful disconnect, which
        over long-polling takes a ping interval (25 s), so the refusal is awaited directly.
        """
        refusal: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.sio.on("connect_error", refusal.set_result)
        auth = {"token": self.token} if self.token else None
        attempt = asyncio.create_task(self.sio.connect(self.live.url, transports=["polling"], auth=auth))
        try:
            return await asyncio.wait_for(refusal, 10)
        finally:
            attempt.cancel()
            await self.close()

    async def say(
        self, text: str, client_id: str | None = None, language: str | None = None
    ) -> dict[str, Any]:
        data: dict[str, Any] = {"message": text, "session_id": SESSION}
        if client_id:
            data["client_message_id"] = client_id
        if language:
            data["metadata"] = {"language": language, "is_admin": True}
        return await self.sio.call("user_uttered", data, timeout=10)

    async def close(self) -> None:
        # A graceful close of a polling client waits for the pending long-poll (25 s).
        await self.sio.eio.disconnect(abort=True)


def channel(jwt_key: str | None = None, **limits: Any) -> WebChatInput:
    """The real channel, as ``from_credentials`` builds it, with explicit limits."""
    limits.setdefault("identity_key", IDENTITY_KEY)
    return WebChatInput(session_persistence=True, jwt_key=jwt_key, webchat=WebChatSettings(**limits))


def run(coro: Any) -> Any:
    return asyncio.run(asyncio.wait_for(coro, 60))
