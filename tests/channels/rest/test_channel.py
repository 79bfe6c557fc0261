"""The REST channel running for real: its own namespace, token outside loopback, bounds,
rate limits per sender and per address."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
from support.rest import TOKEN, channel, running
from support.webchat import RecordingBot

from channels.rest import RestInput
from gopay_support.adapters.rasa.action_calls import ActionServerUnavailable
from gopay_support.core import catalogue


def run(coro: Any) -> Any:
    return asyncio.run(asyncio.wait_for(coro, 60))


async def post(
    url: str, body: Any = None, *, raw: bytes | None = None, headers: dict | None = None
) -> tuple[int, Any]:
    async with aiohttp.ClientSession() as http:
        kwargs: dict[str, Any] = {
            "data": raw,
            "headers": {"Content-Type": "application/json", **(headers or {})},
        }
        if raw is None:
            kwargs = {"json": body, "headers": headers or {}}
        async with http.post(url, **kwargs) as reply:
            return reply.status, await reply.json(content_type=None)


def test_a_sender_speaks_only_in_its_own_rest_conversation() -> None:
    async def scenario() -> None:
        async with running(channel()) as live:
            status, answer = await post(
                live.webhook, {"sender": "me", "message": "hi", "metadata": {"language": "en", "is_admin": 1}}
            )
            assert status == 200 and answer[0]["text"].startswith("echo: hi")
            (message,) = live.bot.messages
            assert (message.sender_id, message.input_channel) == ("rest:me", "rest")
            assert set(message.metadata) == {"channel", "language", "client"}
            for sender in ("telegram:42", "user-alice:x", "", "a" * 65, "../x", 42, None):
                status, answer = await post(live.webhook, {"sender": sender, "message": "hi"})
                assert status == 400 and "sender" in answer["error"], sender
            # A client-chosen input channel is ignored: the answer goes to REST only.
            await post(live.webhook, {"sender": "me", "message": "x", "input_channel": "telegram"})
            assert live.bot.messages[-1].input_channel == "rest"

    run(scenario())


def test_malformed_bodies_get_a_4xx_with_a_reason() -> None:
    async def scenario() -> None:
        async with running(channel(max_message_chars=10, max_body_bytes=1000)) as live:
            cases = [
                (b"[]", 400),
                (b"{", 400),
                (b'{"sender": "a", "message": "\\ud800"}', 400),
                (b'{"sender": "a", "message": ""}', 400),
                (b'{"sender": "a", "message": 5}', 400),
                (b'{"sender": "a", "message": "' + b"x" * 11 + b'"}', 413),
                (b"[" * 600 + b"]" * 600, 413),
                (b"[" * 100 + b"]" * 100, 400),
            ]
            for raw, expected in cases:
                status, answer = await post(live.webhook, raw=raw)
                assert status == expected, raw[:40]
                assert answer["error"]
            assert live.bot.messages == []

    run(scenario())


def test_rate_limits_per_sender_and_per_address() -> None:
    async def scenario() -> None:
        async with running(channel(sender_limit=3, address_limit=5, rate_window=60)) as live:
            statuses = [(await post(live.webhook, {"sender": "a", "message": "hi"}))[0] for _ in range(4)]
            assert statuses == [200, 200, 200, 429]
            statuses = [(await post(live.webhook, {"sender": "b", "message": "hi"}))[0] for _ in range(3)]
            assert statuses == [200, 200, 429], "5 per address"
            async with aiohttp.ClientSession() as http:
                async with http.post(live.webhook, json={"sender": "c", "message": "hi"}) as reply:
                    assert reply.status == 429 and reply.headers["Retry-After"] == "60"

    run(scenario())


def test_a_token_is_needed_once_anything_forwards_the_request() -> None:
    async def scenario() -> None:
        async with running(channel()) as live:
            body = {"sender": "me", "message": "hi"}
            forwarded = {"X-Forwarded-For": "203.0.113.5"}
            assert (await post(live.webhook, body, headers=forwarded))[0] == 401
            assert (await post(live.webhook, body, headers={"Authorization": "Bearer wrong"}))[0] == 401
            good = {**forwarded, "Authorization": f"Bearer {TOKEN}"}
            assert (await post(live.webhook, body, headers=good))[0] == 200
            assert (await post(live.webhook, body))[0] == 200, "straight from loopback: no token needed"

    run(scenario())


def test_a_caller_outside_loopback_needs_the_token() -> None:
    rest = channel()
    assert not rest._authorised("203.0.113.5", {})
    assert rest._authorised("203.0.113.5", {"authorization": f"Bearer {TOKEN}"})
    assert rest._authorised("127.0.0.1", {})


def test_credentials_build_the_channel_from_the_environment() -> None:
    rest = RestInput.from_credentials(None)
    assert isinstance(rest, RestInput) and rest.settings.token and rest.name() == "rest"


def test_a_message_the_action_server_could_not_take_is_kept_answered_with_a_notice_and_replayed() -> None:
    rest = channel()
    recorder = RecordingBot()
    away = {"down": True}

    async def rasa(message: Any) -> None:
        if away["down"]:
            raise ActionServerUnavailable("action_submit_ticket")  # as Rasa's turn stops unsaved
        await recorder(message)

    notice = catalogue.text("notice.temporarily_unavailable", "en")

    async def scenario() -> None:
        async with running(rest, rasa) as live:
            status, answer = await post(live.webhook, {"sender": "me", "message": "yes"})
            assert (status, answer) == (200, [{"recipient_id": "rest:me", "text": notice}])
            # A later message of the same sender queues behind the kept one.
            status, answer = await post(live.webhook, {"sender": "me", "message": "thanks"})
            assert (status, answer) == (200, [{"recipient_id": "rest:me", "text": notice}])
            assert recorder.messages == []
            away["down"] = False  # the action server is back: the kept messages are replayed
            kept = rest.kept
            assert kept is not None
            deadline = asyncio.get_running_loop().time() + 30
            while await asyncio.to_thread(kept.inbox.has_pending, "rest", "rest:me"):
                assert asyncio.get_running_loop().time() < deadline
                await asyncio.sleep(0.1)
            status, answer = await post(live.webhook, {"sender": "me", "message": "hi"})
            assert answer[0]["text"].startswith("echo: hi")

    run(scenario())
    assert [m.text for m in recorder.messages] == ["yes", "thanks", "hi"]  # once each, in order


def test_a_turn_that_failed_is_not_answered_as_if_it_was_handled() -> None:
    """The tracker or lock store away (here a refused connection): Rasa's turn raised and
    saved nothing. A 200 would tell the client the message arrived; it must send it again."""
    rest = channel()
    recorder = RecordingBot()
    failures = {"left": 1}

    async def rasa(message: Any) -> None:
        if failures["left"]:
            failures["left"] -= 1
            raise ConnectionRefusedError("redis at 127.0.0.1:6379")
        await recorder(message)

    async def scenario() -> None:
        async with running(rest, rasa) as live:
            status, answer = await post(live.webhook, {"sender": "me", "message": "hi"})
            assert status == 503 and "again" in answer["error"]
            status, answer = await post(live.webhook, {"sender": "me", "message": "hi"})
            assert status == 200 and answer[0]["text"].startswith("echo: hi")

    run(scenario())
    assert [m.text for m in recorder.messages] == ["hi"]


def test_a_message_sent_again_with_its_client_message_id_is_handled_once() -> None:
    """A client whose answer was lost (time-out, proxy error) sends the message again: it gets
    the first turn's answer, and the bot sees the message once."""
    rest = channel()

    async def scenario() -> None:
        async with running(rest) as live:
            body = {"sender": "me", "message": "hi", "client_message_id": "m-0001-abcdef"}
            first = await post(live.webhook, body)
            again = await post(live.webhook, body)
            assert first[0] == 200 and first[1][0]["text"].startswith("echo: hi")
            assert again == first
            other = await post(live.webhook, {**body, "client_message_id": "m-0002-abcdef"})
            assert other[0] == 200
            assert [m.text for m in live.bot.messages] == ["hi", "hi"]
            assert [m.message_id for m in live.bot.messages] == [
                "rest:me/m-0001-abcdef",
                "rest:me/m-0002-abcdef",
            ]

    run(scenario())


def test_a_message_with_a_client_id_whose_turn_failed_is_kept_and_replayed_once() -> None:
    rest = channel()
    recorder = RecordingBot()
    away = {"down": True}

    async def rasa(message: Any) -> None:
        if away["down"]:
            raise ConnectionRefusedError("the tracker store's database")
        await recorder(message)

    notice = catalogue.text("notice.temporarily_unavailable", "en")

    async def scenario() -> None:
        async with running(rest, rasa) as live:
            body = {"sender": "me", "message": "yes", "client_message_id": "m-0003-abcdef"}
            status, answer = await post(live.webhook, body)
            assert (status, answer) == (200, [{"recipient_id": "rest:me", "text": notice}])
            away["down"] = False
            kept = rest.kept
            assert kept is not None
            deadline = asyncio.get_running_loop().time() + 30
            while await asyncio.to_thread(kept.inbox.has_pending, "rest", "rest:me"):
                assert asyncio.get_running_loop().time() < deadline
                await asyncio.sleep(0.1)
            status, answer = await post(live.webhook, body)  # sent again: the replayed turn's answer
            assert status == 200 and answer[0]["text"].startswith("echo: yes")

    run(scenario())
    assert [m.text for m in recorder.messages] == ["yes"]
