"""The outbox channel ``conversation`` (the console's messages to customers through Rasa's
API) against an in-process fake Rasa (httpx.MockTransport) that keeps the events it is
sent: patient while Rasa is away, in order, once, refused on a final 4xx, resumed by a new
worker after a restart."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from support.delivery import until
from support.services import make_services

from channels.toolkit import conversation
from channels.toolkit.backoff import Backoff
from channels.toolkit.outbox import DeliveryState, Outbox, OutboxWorker
from gopay_support.adapters.rasa.client import RESOLVED_INTENT, RasaClient
from gopay_support.core.contact import ContactKind
from gopay_support.core.tickets.model import NewTicket, TicketStatus
from gopay_support.wiring import Services

FAST = Backoff(first=0.02, maximum=0.1)
SENDER = "webchat:abc"


@dataclass
class FakeRasa:
    """Rasa's conversation endpoints, keeping the events appended (as a tracker would).

    ``mode``: ``up``; ``down`` (connection refused); ``timeout`` (the request takes effect,
    then the answer is lost); ``error`` (answers ``status`` without taking effect).
    """

    mode: str = "up"
    status: int = 503
    events: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    refused_tries: int = 0
    lost_answers: int = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if self.mode == "down":
            self.refused_tries += 1
            raise httpx.ConnectError("connection refused", request=request)
        if self.mode == "error":
            return httpx.Response(self.status, json={"message": "no"})
        sender = request.url.path.split("/")[2].replace("%3A", ":")
        events = self.events.setdefault(sender, [])
        if request.method == "GET":
            return httpx.Response(200, json={"events": events})
        body = httpx.Response(200, content=request.content).json()
        if request.url.path.endswith("/trigger_intent"):
            entities = [{"entity": k, "value": v} for k, v in (body.get("entities") or {}).items()]
            body = [
                {
                    "event": "user",
                    "text": f"EXTERNAL: {body['name']}",
                    "parse_data": {"intent": {"name": body["name"]}, "entities": entities},
                }
            ]
        events.extend(body)
        if self.mode == "timeout":
            self.lost_answers += 1
            raise httpx.ReadTimeout("answer lost", request=request)
        return httpx.Response(200, json={})

    def client(self) -> RasaClient:
        return RasaClient("http://rasa.test", transport=httpx.MockTransport(self))

    def sent(self, sender: str = SENDER) -> list[str]:
        """What reached the conversation: texts of bot events, names of triggered intents."""
        found = []
        for event in self.events.get(sender, []):
            if event["event"] == "bot":
                found.append(event["text"])
            elif event["event"] == "user":
                found.append(event["parse_data"]["intent"]["name"])
        return found


def worker(services: Services, rasa: FakeRasa, **options: Any) -> OutboxWorker:
    box = Outbox(services.database)
    sender = conversation.rasa_sender(rasa.client(), services.tickets)
    return OutboxWorker(box, {conversation.CHANNEL: sender}, backoff=FAST, poll=0.05, **options)


def status_change(services: Services) -> tuple[str, int]:
    ticket, _ = services.tickets.create(
        NewTicket(
            category="topup",
            description="d",
            contact="a@example.com",
            contact_kind=ContactKind.EMAIL,
            sender_id=SENDER,
        ),
        "k",
    )
    _, change = services.tickets.set_status(ticket.tracking_number, TicketStatus.IN_PROGRESS, actor="t")
    return ticket.tracking_number, change.id


def history_of(services: Services, number: str) -> Any:
    return services.tickets.require(number).history[-1]


def enqueue_reply_and_push(services: Services) -> tuple[str, str]:
    number, change = status_change(services)
    box = Outbox(services.database)
    reply = conversation.agent_reply(conversation.reply_key(1, "alice", "c-1"), "alice", "hello")
    box.enqueue(conversation.CHANNEL, SENDER, [reply, conversation.ticket_update(change, number)])
    return number, reply.key


def run(scenario: Callable[[], Any]) -> Any:
    return asyncio.run(asyncio.wait_for(scenario(), 60))


def test_rasa_down_for_a_while_then_back_delivers_once_in_order(db_url: str) -> None:
    services = make_services(db_url)
    number, _ = enqueue_reply_and_push(services)
    rasa = FakeRasa(mode="down")

    async def scenario() -> None:
        delivering = worker(services, rasa)
        delivering.start()
        try:
            await until(lambda: rasa.refused_tries >= 4)
            # While Rasa is away: nothing lost; the push waits behind the reply.
            assert Outbox(services.database).pending_count([conversation.CHANNEL]) == 2
            assert history_of(services, number).notified_at is None
            rasa.mode = "up"
            await until(lambda: Outbox(services.database).pending_count([conversation.CHANNEL]) == 0)
        finally:
            await delivering.stop()

    run(scenario)
    assert rasa.sent() == ["hello", "EXTERNAL_ticket_update"]
    last = history_of(services, number)
    assert last.notified_at is not None and last.notify_error is None


def test_a_restarted_worker_delivers_what_was_left_pending(db_url: str) -> None:
    services = make_services(db_url)
    enqueue_reply_and_push(services)
    rasa = FakeRasa(mode="down")

    async def scenario() -> None:
        first = worker(services, rasa)
        first.start()
        await until(lambda: rasa.refused_tries >= 2)
        await first.stop()  # the console stops while Rasa is away
        rasa.mode = "up"
        restarted = worker(make_services(db_url), rasa)
        restarted.start()
        try:
            await until(lambda: len(rasa.sent()) == 2)
            await asyncio.sleep(0.2)
        finally:
            await restarted.stop()

    run(scenario)
    assert rasa.sent() == ["hello", "EXTERNAL_ticket_update"]


def test_an_unknown_outcome_is_checked_in_the_tracker_and_not_sent_twice(db_url: str) -> None:
    """Each request takes effect but its answer is lost; the next try finds the key in the
    tracker instead of sending again (agent reply, status push and hand-back alike)."""
    services = make_services(db_url)
    number, reply_key = enqueue_reply_and_push(services)
    Outbox(services.database).enqueue(conversation.CHANNEL, SENDER, [conversation.hand_back(7)])
    rasa = FakeRasa(mode="timeout")

    async def scenario() -> None:
        delivering = worker(services, rasa)
        for _ in range(100):
            await delivering.run_until_idle()
            if Outbox(services.database).pending_count() == 0:
                return
            await asyncio.sleep(0.03)

    run(scenario)
    assert rasa.sent() == ["hello", "EXTERNAL_ticket_update", RESOLVED_INTENT]
    assert len([e for e in rasa.events[SENDER] if e["event"] == "resume"]) == 1
    assert rasa.lost_answers == 4
    box = Outbox(services.database)
    assert box.delivery(reply_key).state is DeliveryState.SENT  # type: ignore[union-attr]
    assert history_of(services, number).notified_at is not None


def test_a_final_4xx_is_refused_and_recorded_and_the_next_message_goes_on(db_url: str) -> None:
    services = make_services(db_url)
    number, reply_key = enqueue_reply_and_push(services)
    rasa = FakeRasa(mode="error", status=400)

    async def scenario() -> None:
        await worker(services, rasa).run_until_idle()

    run(scenario)
    box = Outbox(services.database)
    refused = box.delivery(reply_key)
    assert (
        refused is not None and refused.state is DeliveryState.REFUSED and "400" in (refused.last_error or "")
    )
    assert refused.attempts == 1
    assert (
        box.delivery(conversation.status_key(history_of(services, number).id)).state is DeliveryState.REFUSED
    )  # type: ignore[union-attr]
    assert "400" in history_of(services, number).notify_error


def test_temporary_refusals_are_retried(db_url: str) -> None:
    """A 429 or 503 is not final: the message waits for Rasa to take it."""
    services = make_services(db_url)
    enqueue_reply_and_push(services)
    rasa = FakeRasa(mode="error", status=429)

    async def scenario() -> None:
        delivering = worker(services, rasa)
        await delivering.run_until_idle()
        assert Outbox(services.database).pending_count() == 2
        rasa.status = 503
        await asyncio.sleep(0.15)
        await delivering.run_until_idle()
        assert Outbox(services.database).pending_count() == 2
        rasa.mode = "up"
        for _ in range(40):
            await asyncio.sleep(0.05)
            await delivering.run_until_idle()
            if not Outbox(services.database).pending_count():
                break

    run(scenario)
    assert rasa.sent() == ["hello", "EXTERNAL_ticket_update"]


def test_keys_repeat_for_the_same_request_only() -> None:
    assert conversation.reply_key(1, "alice", "c-1") == conversation.reply_key(1, "alice", "c-1")
    assert conversation.reply_key(1, "alice", "c-1") != conversation.reply_key(1, "bob", "c-1")
    assert conversation.reply_key(1, "alice") != conversation.reply_key(1, "alice")
    assert len(conversation.reply_key(1, "alice", "x" * 4000)) < 64
