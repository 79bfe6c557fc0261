"""The one Rasa HTTP client, against an in-process fake Rasa (httpx.MockTransport)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest

from gopay_support.adapters.rasa.client import RESOLVED_INTENT, RasaClient, RasaUnavailable


class FakeRasa:
    """Records requests; answers with ``status`` and ``body``."""

    def __init__(self, status: int = 200, body: Any = None) -> None:
        self.status, self.body = status, body if body is not None else {}
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(self.status, json=self.body)

    def client(self, token: str = "") -> RasaClient:
        return RasaClient("http://rasa.test", token, transport=httpx.MockTransport(self))


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def test_conversation_ids_reach_rasa_as_typed_and_the_token_in_a_header() -> None:
    rasa = FakeRasa(body={"events": [{"event": "user", "text": "hi"}]})

    async def scenario() -> list[dict[str, Any]]:
        async with rasa.client("s3cret") as client:
            return await client.events("telegram:123")

    assert run(scenario()) == [{"event": "user", "text": "hi"}]
    request = rasa.requests[0]
    assert request.url.raw_path.decode() == "/conversations/telegram:123/tracker"
    assert request.headers["Authorization"] == "Bearer s3cret", "never in the URL (logs, proxies)"


def test_agent_message_and_hand_back_go_to_the_conversations_own_channel() -> None:
    rasa = FakeRasa()

    async def scenario() -> None:
        async with rasa.client() as client:
            await client.send_agent_message("webchat:ab", "alice", "hello")
            await client.hand_back("webchat:ab")

    run(scenario())
    send, resume, trigger = rasa.requests
    assert send.url.params["output_channel"] == "webchat", "the id's channel, not whoever spoke last"
    assert send.url.params["execute_side_effects"] == "true"
    assert trigger.url.params["output_channel"] == "webchat"
    event = json.loads(send.content)[0]
    assert (event["event"], event["text"], event["metadata"]) == ("bot", "hello", {"gopay_agent": "alice"})
    assert [e["event"] for e in json.loads(resume.content)] == ["resume", "action"]
    assert json.loads(trigger.content) == {"name": RESOLVED_INTENT}
    assert "token" not in str(trigger.url)


@pytest.mark.parametrize("status", [401, 404, 500])
def test_error_statuses_are_unavailable(status: int) -> None:
    async def scenario() -> None:
        async with FakeRasa(status=status).client() as client:
            await client.trigger_intent("rest:a", "EXTERNAL_ticket_update", {"ticket_id": "GP-1"})

    with pytest.raises(RasaUnavailable, match=str(status)):
        run(scenario())


def test_an_unreachable_server_is_unavailable() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    async def scenario() -> None:
        async with RasaClient("http://rasa.test", transport=httpx.MockTransport(refuse)) as client:
            await client.events("rest:a")

    with pytest.raises(RasaUnavailable, match="unreachable"):
        run(scenario())
