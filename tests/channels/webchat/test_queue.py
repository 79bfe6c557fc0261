"""The customer's side of the agent queue in the web chat: queue state in acks, status
checks, leaving the queue (handoff store + Rasa's API), and agent messages with a name."""

from __future__ import annotations

import json
from typing import Any

import httpx
from support.services import make_services, sqlite_url
from support.webchat import IDENTITY_KEY, ChatClient, conversation_of, run, running

from channels.webchat import WebChatInput
from channels.webchat.output import WebChatOutput, agent_fields
from channels.webchat.queue import QueueDesk
from channels.webchat.settings import WebChatSettings
from gopay_support.adapters.rasa.client import RasaClient
from gopay_support.core.handoff.model import HandoffStatus, Reason


class FakeSio:
    def __init__(self) -> None:
        self.emitted: list[tuple[str, Any, str]] = []

    async def emit(self, event: str, data: Any, room: str) -> None:
        self.emitted.append((event, data, room))


def test_agent_messages_carry_the_name_and_answers_stay_one_bubble() -> None:
    sio = FakeSio()
    output = WebChatOutput(sio, "bot_uttered")  # type: ignore[arg-type]
    run(output.send_response("room", {"text": "第一段\n\n第二段", "gopay_agent": "Alice"}))
    run(output.send_response("room", {"text": "选一个", "buttons": [{"title": "是", "payload": "/affirm"}]}))
    assert sio.emitted[0] == (
        "bot_uttered",
        {"text": "第一段\n\n第二段", "sender": "agent", "agent": {"name": "Alice"}},
        "room",
    )
    assert sio.emitted[1][1] == {
        "text": "选一个",
        "quick_replies": [{"content_type": "text", "title": "是", "payload": "/affirm"}],
    }
    assert agent_fields({"gopay_agent": "  "}) == {}


def test_queue_state_in_acks_status_and_leaving(tmp_path) -> None:
    services = make_services(sqlite_url(tmp_path))
    calls: list[tuple[str, Any]] = []

    def rasa(request: httpx.Request) -> httpx.Response:
        calls.append((request.url.path, json.loads(request.content)))
        return httpx.Response(200, json={})

    desk = QueueDesk(services, RasaClient("http://rasa.test", transport=httpx.MockTransport(rasa)))
    channel = WebChatInput(
        session_persistence=True, webchat=WebChatSettings(identity_key=IDENTITY_KEY), desk=desk
    )

    async def scenario() -> None:
        async with running(channel) as live:
            client = ChatClient(live)
            await client.connect()
            assert (await client.say("hello"))["handoff"] == {"state": "none"}
            services.handoffs.enqueue(
                sender_id=conversation_of(),
                channel="webchat",
                language="zh",
                reason=Reason.REQUESTED,
                transcript=[],
                ticket_number=None,
            )
            ack = await client.say("还在吗")
            assert ack["handoff"]["state"] == "waiting" and ack["handoff"]["position"] == 1
            assert ack["handoff"]["wait_minutes"] >= 1
            assert (await client.sio.call("handoff_status", {}, timeout=10))["state"] == "waiting"
            left = await client.sio.call("handoff_leave", {}, timeout=10)
            assert left == {"state": "none", "left": True}
            again = await client.sio.call("handoff_leave", {}, timeout=10)  # harmless repeat
            assert again == {"state": "none", "left": True}
            assert [path for path, _ in calls] == [
                f"/conversations/{conversation_of()}/tracker/events",
                f"/conversations/{conversation_of()}/trigger_intent",
            ]
            assert calls[1][1] == {"name": "EXTERNAL_handoff_left"}
            [handoff] = services.handoffs.of_sender(conversation_of())
            assert handoff.status is HandoffStatus.CANCELLED
            async with httpx.AsyncClient() as http:
                check = f"{live.url}/webchat/origin-check"
                reply = await http.get(check, headers={"Origin": "https://evil.example"})
                assert reply.json() == {"allowed": False, "setting": "GOPAY_WEBCHAT_ORIGINS"}
                assert reply.headers["Access-Control-Allow-Origin"] == "*"
                same = await http.get(check, headers={"Origin": live.url})
                assert same.json()["allowed"] is True
            await client.close()

    run(scenario())
    services.database.dispose()
