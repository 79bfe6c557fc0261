"""Remote action calls through Rasa's own RemoteAction, patched by action_calls, against a
real HTTP action server on loopback that is away, comes back, or fails."""

from __future__ import annotations

import asyncio
import socket
import time
from typing import Any

import pytest
from aiohttp import web
from rasa.core.actions.action import RemoteAction
from rasa.core.channels.channel import CollectingOutputChannel
from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.exceptions import RasaException
from rasa.utils.endpoints import EndpointConfig

from gopay_support.adapters.rasa import action_calls
from gopay_support.adapters.rasa.action_calls import ActionServerUnavailable


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def serve(port: int, status: int = 200) -> web.AppRunner:
    async def webhook(request: web.Request) -> web.Response:
        if status != 200:
            return web.json_response({"error": "boom"}, status=status)
        return web.json_response(
            {"events": [{"event": "slot", "name": "s", "value": "filed"}], "responses": []}
        )

    app = web.Application()
    app.router.add_post("/webhook", webhook)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner


async def call(port: int) -> list[Any]:
    action_calls.install()
    action = RemoteAction("action_submit_ticket", EndpointConfig(f"http://127.0.0.1:{port}/webhook"))
    return await action.run(
        CollectingOutputChannel(),
        TemplatedNaturalLanguageGenerator({}),
        DialogueStateTracker("rest:x", []),
        Domain.empty(),
    )


def test_a_call_waits_for_an_action_server_that_comes_back(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(action_calls.RETRY_ENV, "10")
    port = free_port()

    async def scenario() -> tuple[list[Any], float]:
        started = time.monotonic()
        task = asyncio.create_task(call(port))
        await asyncio.sleep(1.0)  # refused meanwhile
        runner = await serve(port)
        try:
            events = await task
        finally:
            await runner.cleanup()
        return events, time.monotonic() - started

    events, took = asyncio.run(scenario())
    assert [e.value for e in events] == ["filed"] and took >= 1.0


def test_an_action_server_that_stays_away_stops_the_turn(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(action_calls.RETRY_ENV, "1")
    started = time.monotonic()
    with pytest.raises(ActionServerUnavailable):
        asyncio.run(call(free_port()))
    assert 0.5 <= time.monotonic() - started < 5
    assert not issubclass(ActionServerUnavailable, Exception)  # Rasa's processor must not swallow it


def test_an_action_that_fails_is_not_retried(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(action_calls.RETRY_ENV, "10")
    port = free_port()

    async def scenario() -> None:
        runner = await serve(port, status=500)
        try:
            await call(port)
        finally:
            await runner.cleanup()

    started = time.monotonic()
    with pytest.raises(RasaException):
        asyncio.run(scenario())
    assert time.monotonic() - started < 2
