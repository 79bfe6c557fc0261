"""Unit tests of the web chat channel: limits, origins, rate limit, de-duplication, JWT.

The policy objects are tested on their own; the channel itself runs for real: a Sanic
server on a free loopback port with :class:`channels.webchat.WebChatInput`'s blueprint and
a recording stand-in for Rasa's message handler, driven by python-socketio's client.
"""

from __future__ import annotations

import asyncio
import socket
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import jwt
import pytest
import socketio
from rasa.core.channels.channel import UserMessage
from sanic import Sanic

from channels.webchat import WebChatInput, identity
from channels.webchat.dedup import RecentIds, valid_client_id
from channels.webchat.gate import MessageGate, Verdict
from channels.webchat.limits import SlidingWindowLimiter
from channels.webchat.notices import refusal_text
from channels.webchat.origins import OriginPolicy
from gopay_support.config import WebChatSettings

# A Sanic server starts per test; test mode lets Sanic's start-up rewrite ("touch-up") of
# its own methods run more than once in a process (as in tests/telegram_fake/harness.py).
Sanic.test_mode = True

SESSION = "0123456789abcdef0123456789abcdef"
JWT_KEY = "test-only-secret-key-of-32-bytes-or-more"


# ------------------------------------------------------------------ policy objects


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_origin_policy_default_allows_only_the_servers_own_pages() -> None:
    policy = OriginPolicy()
    assert policy.allows("http://127.0.0.1:5005", "127.0.0.1:5005")
    assert policy.allows("http://localhost:8080/", "LOCALHOST:8080")
    assert not policy.allows("http://127.0.0.1:5006", "127.0.0.1:5005")
    assert not policy.allows("https://evil.example", "127.0.0.1:5005")
    assert not policy.allows("null", "127.0.0.1:5005")
    assert not policy.allows("http://127.0.0.1:5005", None)
    # No Origin header: not a browser page, so not a cross-site risk.
    assert policy.allows(None, "127.0.0.1:5005")


def test_origin_policy_allow_list_adds_other_sites() -> None:
    policy = OriginPolicy(["https://shop.example/", "HTTPS://Help.Example"])
    assert policy.allows("https://shop.example", "chat.example")
    assert policy.allows("https://help.example", "chat.example")
    assert policy.allows("https://chat.example", "chat.example"), "the demo page still works"
    assert not policy.allows("http://shop.example", "chat.example")
    assert not policy.allows("https://shop.example.evil.example", "chat.example")
    assert OriginPolicy(["*"]).allows("https://anything.example", "chat.example")


def test_rate_limiter_is_a_sliding_window_per_key() -> None:
    clock = FakeClock()
    limiter = SlidingWindowLimiter(limit=3, window=10.0, clock=clock)
    assert [limiter.allow("a") for _ in range(4)] == [True, True, True, False]
    assert limiter.allow("b"), "another session has its own budget"
    clock.now += 9.9
    assert not limiter.allow("a")
    clock.now += 0.1
    assert limiter.allow("a"), "the oldest message has left the window"


def test_rate_limiter_forgets_the_least_recent_keys() -> None:
    clock = FakeClock()
    limiter = SlidingWindowLimiter(limit=1, window=60.0, clock=clock, max_keys=2)
    assert limiter.allow("a") and limiter.allow("b")
    assert limiter.allow("c")  # evicts "a"
    assert limiter.allow("a")
    assert not limiter.allow("c")


def test_recent_ids_are_bounded_per_session() -> None:
    recent = RecentIds(per_session=2, max_sessions=2)
    recent.remember("s1", "id-00001")
    recent.remember("s1", "id-00002")
    recent.remember("s1", "id-00003")
    assert not recent.seen("s1", "id-00001")
    assert recent.seen("s1", "id-00003")
    assert not recent.seen("s2", "id-00003")


def test_client_ids_must_be_well_formed() -> None:
    assert valid_client_id("a" * 32) == "a" * 32
    for bad in (None, 42, "", "short", "x" * 65, "has space 1234", "<script>alert(1)</script>"):
        assert valid_client_id(bad) is None


def test_gate_order_keeps_refusals_fair() -> None:
    clock = FakeClock()
    gate = MessageGate(10, SlidingWindowLimiter(2, 60.0, clock=clock), RecentIds())
    assert gate.admit("s", "   ", "id-00001") is Verdict.EMPTY
    assert gate.admit("s", "x" * 11, "id-00001") is Verdict.TOO_LONG
    assert gate.admit("s", "x" * 10, "id-00001") is Verdict.ACCEPTED, "refusal not remembered"
    for _ in range(3):
        assert gate.admit("s", "again", "id-00001") is Verdict.DUPLICATE
    assert gate.admit("s", "second", "id-00002") is Verdict.ACCEPTED, "duplicates cost nothing"
    assert gate.admit("s", "third", "id-00003") is Verdict.RATE_LIMITED
    assert gate.admit("s", "third", "id-00003") is Verdict.RATE_LIMITED, "not remembered"
    clock.now += 61
    assert gate.admit("s", "third", "id-00003") is Verdict.ACCEPTED


def test_refusal_notices_follow_message_then_interface_language() -> None:
    zh = refusal_text(Verdict.TOO_LONG, "充值失败" * 600, "en", length=2400, limit=2000)
    assert "2000" in zh and "太长" in zh
    en = refusal_text(Verdict.TOO_LONG, "1" * 2001, "en", length=2001, limit=2000)
    assert "2,000" in en and "too long" in en
    assert "稍等" in refusal_text(Verdict.RATE_LIMITED, "😀", "zh-CN")
    assert refusal_text(Verdict.EMPTY, "", "en") == ""


def test_session_ids_are_128_bit_hex_or_replaced() -> None:
    assert identity.accept_session_id(SESSION.upper()) == SESSION
    fresh = identity.accept_session_id("../../etc/passwd")
    assert len(fresh) == 32 and set(fresh) <= set("0123456789abcdef")
    assert identity.accept_session_id(None) != identity.accept_session_id(None)


def test_user_id_comes_from_the_sub_claim_only() -> None:
    assert identity.user_id_from_claims({"sub": "alice"}) == "alice"
    assert identity.user_id_from_claims({"sub": 42}) == "42"
    for claims in (None, {}, {"user": "alice"}, {"sub": ""}, {"sub": True}, {"sub": "x" * 129}):
        assert identity.user_id_from_claims(claims) is None


# ------------------------------------------------------------ the running channel


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


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@asynccontextmanager
async def running(channel: WebChatInput) -> AsyncIterator[Live]:
    bot = RecordingBot()
    app = Sanic(f"webchat_test_{uuid.uuid4().hex[:12]}")
    app.blueprint(channel.blueprint(bot), url_prefix=channel.url_prefix())
    port = _free_port()
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
    return WebChatInput(session_persistence=True, jwt_key=jwt_key, webchat=WebChatSettings(**limits))


def run(coro: Any) -> Any:
    return asyncio.run(asyncio.wait_for(coro, 60))


def test_answers_reach_the_session_room_and_ack_follows_them() -> None:
    async def scenario() -> None:
        async with running(channel()) as live:
            client = ChatClient(live)
            assert await client.connect() == SESSION
            ack = await client.say("hello", client_id="c" * 32, language="en-US")
            assert ack == {"status": "accepted", "client_message_id": "c" * 32}
            # Both parts were emitted to the session's room before the ack came back.
            assert client.received == [{"text": "echo: hello"}, {"text": "second part"}]
            (message,) = live.bot.messages
            assert message.sender_id == SESSION
            assert message.message_id == "c" * 32
            assert message.input_channel == "webchat"
            assert message.metadata == {"language": "en"}, "only the UI language passes"
            await client.close()

    run(scenario())


def test_malformed_session_ids_are_replaced_by_random_ones() -> None:
    async def scenario() -> None:
        async with running(channel()) as live:
            client = ChatClient(live)
            confirmed = await client.connect(session_id="other-user's-session")
            assert confirmed != "other-user's-session" and len(confirmed) == 32
            await client.close()

    run(scenario())


def test_messages_over_the_limit_are_refused_with_a_notice() -> None:
    async def scenario() -> None:
        async with running(channel(max_message_chars=2000)) as live:
            client = ChatClient(live)
            await client.connect()
            ack = await client.say("1" * 2001, client_id="t" * 32, language="en")
            assert ack["status"] == "too_long"
            assert live.bot.messages == []
            (notice,) = client.received
            assert notice["notice"] == "too_long"
            assert "2,000" in notice["text"] and "2,001" in notice["text"]
            ack = await client.say("我" * 2000, client_id="t" * 32)
            assert ack["status"] == "accepted", "exactly the limit passes, and may reuse the id"
            assert len(live.bot.messages) == 1
            await client.close()

    run(scenario())


def test_rate_limit_answers_politely_and_spares_the_bot() -> None:
    async def scenario() -> None:
        async with running(channel(rate_limit_messages=3, rate_limit_window=60)) as live:
            client = ChatClient(live)
            await client.connect()
            statuses = [(await client.say(f"问题 {i}"))["status"] for i in range(5)]
            assert statuses == ["accepted"] * 3 + ["rate_limited"] * 2
            assert len(live.bot.messages) == 3
            notices = [m for m in client.received if m.get("notice") == "rate_limited"]
            assert len(notices) == 2 and "稍等" in notices[0]["text"]
            # The limit is per session: another conversation is unaffected.
            other = ChatClient(live)
            await other.connect(session_id="f" * 32)
            assert (await other.say("hello"))["status"] == "accepted"
            await client.close()
            await other.close()

    run(scenario())


def test_a_resent_message_reaches_the_bot_once_even_after_reconnecting() -> None:
    async def scenario() -> None:
        async with running(channel()) as live:
            first = ChatClient(live)
            await first.connect()
            assert (await first.say("top up failed", client_id="d" * 32))["status"] == "accepted"
            await first.close()
            again = ChatClient(live)
            await again.connect()
            assert (await again.say("top up failed", client_id="d" * 32))["status"] == "duplicate"
            assert again.received == [], "a duplicate is not answered again"
            assert [m.text for m in live.bot.messages] == ["top up failed"]
            await again.close()

    run(scenario())


def test_foreign_origins_are_refused_at_the_handshake() -> None:
    async def scenario() -> None:
        async with running(channel()) as live:
            client = ChatClient(live, origin="https://evil.example")
            with pytest.raises(socketio.exceptions.ConnectionError):
                await client.connect()
            assert await ChatClient(live, origin=None).connect() == SESSION
            same = ChatClient(live)
            assert await same.connect() == SESSION
            await same.close()
        async with running(channel(allowed_origins=("https://shop.example",))) as live:
            assert await ChatClient(live, origin="https://shop.example").connect() == SESSION
            assert await ChatClient(live).connect() == SESSION, "the demo page still works"
            with pytest.raises(socketio.exceptions.ConnectionError):
                await ChatClient(live, origin="https://shop.example:8443").connect()

    run(scenario())


def test_jwt_binds_the_conversation_to_the_sites_user() -> None:
    token = jwt.encode({"sub": "alice"}, JWT_KEY, algorithm="HS256")
    forged = jwt.encode({"sub": "alice"}, "another-secret-key-of-32-bytes-or-more", algorithm="HS256")
    no_subject = jwt.encode({"name": "alice"}, JWT_KEY, algorithm="HS256")

    async def scenario() -> None:
        async with running(channel(jwt_key=JWT_KEY)) as live:
            for bad in (None, forged, no_subject):
                assert await ChatClient(live, token=bad).refused() == {"message": "unauthorized"}
            client = ChatClient(live, token=token)
            # Whatever session the browser claims, the conversation is alice's.
            assert await client.connect(session_id=SESSION) == "user-alice"
            assert (await client.say("hi"))["status"] == "accepted"
            assert [m.sender_id for m in live.bot.messages] == ["user-alice"]
            assert client.received[0] == {"text": "echo: hi"}
            await client.close()

    run(scenario())


def test_credentials_default_to_persistent_sessions() -> None:
    assert WebChatInput.from_credentials(None).session_persistence is True
    assert WebChatInput.from_credentials({"session_persistence": False}).session_persistence is False
    assert WebChatInput.from_credentials({}).url_prefix() == "/webchat"


def test_widget_files_and_demo_page_are_served_and_nothing_else() -> None:
    async def fetch(live: Live, path: str) -> tuple[int, dict[str, str], str]:
        async with aiohttp.ClientSession() as http:
            async with http.get(live.url + path) as response:
                return response.status, dict(response.headers), await response.text()

    async def scenario() -> None:
        async with running(channel()) as live:
            status, headers, body = await fetch(live, "/webchat/")
            assert status == 200 and "/webchat/static/widget.js" in body
            assert "script-src 'self'" in headers["Content-Security-Policy"]
            for name in ("widget.js", "widget.css", "socket.io.min.js"):
                status, headers, _ = await fetch(live, f"/webchat/static/{name}")
                assert status == 200 and headers["X-Content-Type-Options"] == "nosniff"
            status, _, licence = await fetch(live, "/webchat/static/LICENSE-socket.io-client.txt")
            assert status == 200 and "MIT" in licence
            for path in ("/webchat/static/../channel.py", "/webchat/static/%2e%2e%2fchannel.py"):
                assert (await fetch(live, path))[0] == 404

    run(scenario())
