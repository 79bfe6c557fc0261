"""The action server in front of rasa_sdk: only the Rasa servers (the token), bounded bodies,
no decompression bombs, action names checked, errors that leak nothing."""

from __future__ import annotations

import asyncio
import gzip
import json
import zlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import pytest
from sanic import Sanic

from actions.server import Rejected, build_app, read_call
from devtools.stack import free_port
from gopay_support.wiring import ACTION_TOKEN_HEADER

Sanic.test_mode = True
TOKEN = "action-test-token"
TRACKER = {
    "sender_id": "rest:someone",
    "slots": {},
    "latest_message": {},
    "events": [],
    "paused": False,
    "followup_action": None,
    "active_loop": {},
    "latest_action_name": "action_listen",
}
CALL = {"next_action": "action_ask_ticket_number", "tracker": TRACKER, "domain": {}, "version": "3.6.21"}


def run(coro: Any) -> Any:
    return asyncio.run(asyncio.wait_for(coro, 120))


@asynccontextmanager
async def serving(limit: int = 100_000) -> AsyncIterator[str]:
    app = build_app(token=TOKEN, max_body_bytes=limit)
    port = free_port()
    server = await app.create_server(
        host="127.0.0.1", port=port, return_asyncio_server=True, access_log=False
    )
    assert server is not None
    await server.startup()
    await server.after_start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await server.before_stop()
        await server.close()
        await server.after_stop()


async def post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
    async with aiohttp.ClientSession() as http:
        async with http.post(
            url, data=body, headers={"Content-Type": "application/json", **headers}
        ) as reply:
            return reply.status, await reply.text()


def test_only_callers_with_the_token_reach_the_actions() -> None:
    async def scenario() -> None:
        async with serving() as url:
            body = json.dumps(CALL).encode()
            assert (await post(f"{url}/webhook", body, {}))[0] == 401
            assert (await post(f"{url}/webhook", body, {ACTION_TOKEN_HEADER: "wrong"}))[0] == 401
            async with aiohttp.ClientSession() as http:
                async with http.get(f"{url}/actions") as reply:
                    assert reply.status == 401
                async with http.get(f"{url}/health") as reply:
                    assert reply.status == 200

    run(scenario())


def test_bombs_garbage_and_bad_names_are_4xx_and_never_echoed() -> None:
    async def scenario() -> None:
        async with serving(limit=100_000) as url:
            auth = {ACTION_TOKEN_HEADER: TOKEN}
            bomb = zlib.compress(b"[" + b"0," * 5_000_000 + b"0]")
            assert len(bomb) < 30_000
            status, text = await post(f"{url}/webhook", bomb, {**auth, "Content-Encoding": "deflate"})
            assert status == 413
            evil_name = {**CALL, "next_action": "x\nFAKE LOG LINE 13812345678"}
            for body, extra, expected in (
                (b"[1]", {}, 400),
                (b"{", {}, 400),
                (json.dumps(evil_name).encode(), {}, 400),
                (json.dumps({**CALL, "tracker": []}).encode(), {}, 400),
                (json.dumps({**CALL, "version": 3}).encode(), {}, 400),
                (b"abc", {"Content-Encoding": "br"}, 415),
                (b"not deflate", {"Content-Encoding": "deflate"}, 400),
            ):
                status, text = await post(f"{url}/webhook", body, {**auth, **extra})
                assert status == expected, body[:40]
                assert "13812345678" not in text and "FAKE" not in text

    run(scenario())


def test_a_well_formed_call_runs_also_when_compressed() -> None:
    async def scenario() -> None:
        async with serving() as url:
            auth = {ACTION_TOKEN_HEADER: TOKEN}
            raw = json.dumps(CALL).encode()
            for body, extra in (
                (raw, {}),
                (zlib.compress(raw), {"Content-Encoding": "deflate"}),
                (gzip.compress(raw), {"Content-Encoding": "gzip"}),
            ):
                status, text = await post(f"{url}/webhook", body, {**auth, **extra})
                assert status == 200, text
                assert json.loads(text)["responses"][0]["response"] == "utter_ask_ticket_number"

    run(scenario())


def test_read_call_checks_the_shape() -> None:
    assert read_call(json.dumps(CALL).encode(), "", 10_000)["next_action"] == CALL["next_action"]
    for broken in (
        {**CALL, "tracker": {**TRACKER, "events": [1]}},
        {**CALL, "tracker": {**TRACKER, "sender_id": ""}},
    ):
        with pytest.raises(Rejected):
            read_call(json.dumps(broken).encode(), "identity", 10_000)
