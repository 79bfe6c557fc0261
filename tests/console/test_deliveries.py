"""What the console says to customers goes through its durable outbox: acknowledged at once
while Rasa is away, delivered once and in order when it is back, also after a console
restart; a final refusal shows as failed. Real HTTP on loopback, a fake Rasa."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from support.console_app import ApiClient, ConsoleEnv, FakeRasa, console_running, next_event
from support.delivery import until

from channels.toolkit.backoff import Backoff
from gopay_support.adapters.rasa.client import RESOLVED_INTENT
from gopay_support.core.contact import ContactKind
from gopay_support.core.tickets.model import NewTicket

SENDER = "webchat:" + "d" * 32
FAST = Backoff(first=0.05, maximum=0.2)


def run(coro: Any) -> Any:
    return asyncio.run(asyncio.wait_for(coro, 60))


def fast(env: ConsoleEnv) -> ConsoleEnv:
    env.console.worker.backoff = FAST
    env.console.worker.poll = 0.05
    return env


def file_ticket(env: ConsoleEnv) -> str:
    ticket, _ = env.services.tickets.create(
        NewTicket(
            category="topup",
            description="充值失败",
            contact="a@example.com",
            contact_kind=ContactKind.EMAIL,
            sender_id=SENDER,
            language="en",
        ),
        "k1",
    )
    return ticket.tracking_number


def said(rasa: FakeRasa) -> list[str]:
    """What reached the conversation: bot event texts and triggered intents, in order."""
    found = []
    for kind, _to, body, _query in rasa.calls:
        if kind == "trigger":
            found.append(body["name"])
        else:
            found += [e["text"] for e in body if e["event"] == "bot"]
    return found


async def claimed(env: ConsoleEnv, ticket: str | None = None) -> tuple[ApiClient, str]:
    handoff = env.enqueue(SENDER, language="en", ticket=ticket)
    alice = await ApiClient(env).login("alice")
    assert (await alice.post(f"/api/handoffs/{handoff}/claim"))[0] == 200
    return alice, f"/api/handoffs/{handoff}"


def test_while_rasa_is_down_the_reply_and_a_status_push_are_acknowledged_then_delivered_once_in_order(
    tmp_path: Path,
) -> None:
    async def scenario() -> None:
        async with console_running(tmp_path, ack_wait=0.3) as env:
            fast(env)
            number = file_ticket(env)
            alice, base = await claimed(env, number)
            env.rasa.status = 503
            status, queued = await alice.post(base + "/reply", {"text": "Refund sent", "client_id": "m1"})
            assert status == 202 and queued["state"] == "queued"
            # The page sends the same message again after a lost answer: enqueued once.
            status, again = await alice.post(base + "/reply", {"text": "Refund sent", "client_id": "m1"})
            assert status == 202 and again["key"] == queued["key"]
            status, moved = await alice.post(f"/api/tickets/{number}/status", {"status": "waiting_for_user"})
            assert status == 200 and moved["changed"] and moved["delivery"] == "queued"
            assert not moved["notified"]
            _, detail = await alice.get(base)
            [reply, push] = detail["deliveries"]
            assert (reply["key"], reply["kind"], reply["text"], reply["state"]) == (
                queued["key"],
                "agent",
                "Refund sent",
                "queued",
            )
            assert push["kind"] == "support" and push["state"] == "queued"
            await asyncio.sleep(0.5)  # a few failed tries
            assert said(env.rasa) == []

            env.rasa.status = 200
            await until(lambda: len(said(env.rasa)) == 2)
            await asyncio.sleep(0.3)  # nothing more comes
            assert said(env.rasa) == [
                "Refund sent",
                f"Your ticket {number} has a new status: waiting for your reply.",
            ]
            _, detail = await alice.get(base)
            assert [d["state"] for d in detail["deliveries"]] == ["sent", "sent"]
            agent_turn = next(t for t in detail["transcript"] if t["role"] == "agent")
            assert agent_turn["key"] == queued["key"]
            assert env.services.tickets.require(number).history[-1].notified_at is not None
            await alice.close()

    run(scenario())


def test_a_reply_rasa_refuses_for_good_shows_as_failed(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with console_running(tmp_path) as env:
            fast(env)
            alice, base = await claimed(env)
            env.rasa.status = 400
            status, refused = await alice.post(base + "/reply", {"text": "hello"})
            assert status == 200 and refused["state"] == "failed"
            _, detail = await alice.get(base)
            [failed] = detail["deliveries"]
            assert failed["state"] == "failed" and "400" in failed["error"]
            env.rasa.status = 200
            status, sent = await alice.post(base + "/reply", {"text": "hello again"})
            assert status == 200 and sent["state"] == "sent"
            assert said(env.rasa) == ["hello again"]
            await alice.close()

    run(scenario())


def test_a_restarted_console_delivers_what_it_had_acknowledged(tmp_path: Path) -> None:
    rasa = FakeRasa(status=503)

    async def scenario() -> None:
        async with console_running(tmp_path, rasa=rasa, ack_wait=0.2) as env:
            fast(env)
            alice, base = await claimed(env)
            assert (await alice.post(base + "/reply", {"text": "one"}))[0] == 202
            assert (await alice.post(base + "/reply", {"text": "two"}))[0] == 202
            status, resolved = await alice.post(base + "/resolve", {"resolution": "done"})
            assert status == 200 and resolved["hand_back"] == "queued"
            await alice.close()
        assert said(rasa) == []
        rasa.status = 200
        async with console_running(tmp_path, rasa=rasa) as env:
            fast(env)
            await until(lambda: len(said(rasa)) == 3)
            await asyncio.sleep(0.3)
        assert said(rasa) == ["one", "two", RESOLVED_INTENT]
        resumed = [c for c in rasa.calls if c[0] == "events" and c[2][0]["event"] == "resume"]
        assert len(resumed) == 1

    run(scenario())


async def states_on_update(alice: ApiClient, stream: Any, handoff: int, base: str) -> list[list[str]]:
    """Wait for a live update of the conversation, then read its delivery states."""
    assert await next_event(stream, "conversation") == {"id": handoff}
    _, detail = await alice.get(base)
    return [[d["state"] for d in detail["deliveries"]]]


def test_open_consoles_are_told_when_a_reply_is_delivered(tmp_path: Path) -> None:
    """The page reloads a conversation on a live update: one comes when the reply is
    queued and one when it is delivered (Rasa's tracker store alone would not show it)."""

    async def scenario() -> None:
        async with console_running(tmp_path, ack_wait=0.1) as env:
            fast(env)
            alice, base = await claimed(env)
            handoff = int(base.rsplit("/", 1)[1])
            stream = await alice.http.get(env.url + "/api/events")
            await next_event(stream, "queue")
            env.rasa.status = 503
            assert (await alice.post(base + "/reply", {"text": "hi"}))[0] == 202
            states = await states_on_update(alice, stream, handoff, base)
            assert states[-1] == ["queued"]
            env.rasa.status = 200
            while states[-1] != ["sent"]:  # the update times out if none comes
                states = await states_on_update(alice, stream, handoff, base)
            stream.close()
            await alice.close()

    run(scenario())
