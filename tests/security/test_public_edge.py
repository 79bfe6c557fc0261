"""Every attack of issue 9 ("Why"), replayed against a stack started as ``make run`` starts
it; each test fails if its attack succeeds. Attackers and customers come from different
loopback addresses (support.edge), as they would from different machines."""

from __future__ import annotations

import http.server
import json
import re
import threading
import time
import uuid
import zlib
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from support.edge import EDGE_PASSWORDS, Chat, fresh_address, request, run
from support.telegram_fake import FakeTelegram, load_update
from support.telegram_fake.harness import SECRET

from channels.webchat import identity
from devtools.stack import Stack
from gopay_support.adapters.db import Database, HandoffStore, TicketStore
from gopay_support.core.contact import ContactKind
from gopay_support.core.handoff.model import Reason
from gopay_support.core.tickets.model import NewTicket
from gopay_support.wiring import ACTION_TOKEN, ACTION_TOKEN_HEADER, IDENTITY_KEY

pytestmark = [pytest.mark.e2e]

PASSWORDS = EDGE_PASSWORDS
PHONE, CARD, EMAIL = "13812345678", "6222021234567890", "victim.user@example.com"
PHISHING = "Security check: reply with your payment PIN"
_chats = iter(range(930000000, 930999999))


# -- helpers -------------------------------------------------------------------------------


def tickets(stack: Stack) -> TicketStore:
    return TicketStore(Database(stack.environment()["TICKETS_DB_URL"]))


def file_ticket(stack: Stack, sender: str, contact: str = PHONE) -> str:
    store = tickets(stack)
    try:
        new = NewTicket("topup", "充值失败", contact, ContactKind.PHONE, sender, channel=sender.split(":")[0])
        return store.create(new, f"edge-{uuid.uuid4().hex}")[0].tracking_number
    finally:
        store.dispose()


def rest(stack: Stack, sender: str, text: str, source: str = "127.0.0.1", **kwargs: Any) -> Any:
    return request(
        "POST",
        f"{stack.config.rasa_url}/webhooks/rest/webhook",
        source=source,
        json_body={"sender": sender, "message": text},
        **kwargs,
    )


def telegram(stack: Stack, chat: int, text: str) -> None:
    update = load_update("private_text_en", update_id=800000000 + chat % 100000000, chat_id=chat, text=text)
    reply = requests.post(
        f"{stack.config.rasa_url}/webhooks/telegram/webhook",
        json=update,
        headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
        timeout=30,
    )
    assert reply.status_code == 200, reply.text


def events_of(stack: Stack, conversation: str) -> list[dict[str, Any]]:
    return stack.tracker(conversation).get("events") or []


@pytest.fixture(scope="module")
def customer(edge: Stack) -> dict[str, str]:
    """A web chat customer who typed personal data; returns its session secret and conversation."""
    session = uuid.uuid4().hex

    async def chat() -> None:
        async with Chat(edge.config.rasa_url, fresh_address(), edge.config.rasa_url) as c:
            assert await c.session(session) == session
            ack = await c.say(f"my phone is {PHONE}, card {CARD}, mail {EMAIL}")
            assert ack["status"] == "accepted"

    run(chat())
    conversation = identity.conversation_for_session(edge.secret(IDENTITY_KEY), session)
    assert any(PHONE in (e.get("text") or "") for e in events_of(edge, conversation))
    return {"session": session, "conversation": conversation}


@pytest.fixture
def ssrf_target() -> Iterator[list[str]]:
    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            hits.append(self.path)
            self.send_response(404)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    hits.append(f"http://127.0.0.1:{server.server_address[1]}/model.tar.gz")
    yield hits
    server.shutdown()


# -- 1. the admin API is closed by default ---------------------------------------------------


def test_a_conversation_cannot_be_read_without_the_token(edge: Stack, customer: dict[str, str]) -> None:
    attacker = fresh_address()
    for conversation in (customer["conversation"], customer["session"]):
        reply = request(
            "GET", f"{edge.config.rasa_url}/conversations/{conversation}/tracker", source=attacker
        )
        assert reply.status == 401 and PHONE not in reply.text
    for path in ("/status", "/domain", "/version", "/model/parse"):
        assert request("GET", edge.config.rasa_url + path, source=attacker).status in (401, 405)
    # The token lives in an owner-only file; it never appears in the process list.
    token_file = edge.config.secrets_dir / "rasa_token"  # type: ignore[operator]
    assert token_file.stat().st_mode & 0o077 == 0
    assert edge.api_token not in " ".join(edge.rasa_command())


def test_bot_messages_cannot_be_injected_into_telegram_or_web_chat(
    edge: Stack, edge_fake: FakeTelegram, customer: dict[str, str]
) -> None:
    chat = next(_chats)
    telegram(edge, chat, "hello")
    edge_fake.wait_for(lambda: edge_fake.sent_messages(chat), timeout=60)
    attacker = fresh_address()

    async def watch_web_chat() -> list[dict[str, Any]]:
        async with Chat(edge.config.rasa_url, fresh_address(), edge.config.rasa_url) as victim:
            await victim.session(customer["session"])
            for target in (f"telegram:{chat}", customer["conversation"], customer["session"]):
                for params in ({"output_channel": "latest", "execute_side_effects": "true"}, {}):
                    reply = request(
                        "POST",
                        f"{edge.config.rasa_url}/conversations/{target}/tracker/events",
                        source=attacker,
                        json_body=[{"event": "bot", "text": PHISHING}],
                        params=params,
                    )
                    assert reply.status == 401
            # With the token, a push still cannot name another channel.
            reply = edge.api(
                "POST",
                f"/conversations/{customer['conversation']}/tracker/events",
                params={"output_channel": "telegram", "execute_side_effects": "true"},
                json=[{"event": "bot", "text": PHISHING}],
            )
            assert reply.status_code == 403
            time.sleep(2)
            return victim.received

    received = run(watch_web_chat())
    assert all(PHISHING not in json.dumps(m) for m in received)
    assert all(PHISHING not in m.get("text", "") for m in edge_fake.sent_messages(chat))


def test_a_conversation_cannot_be_paused_from_outside(edge: Stack, edge_fake: FakeTelegram) -> None:
    chat = next(_chats)
    reply = request(
        "POST",
        f"{edge.config.rasa_url}/conversations/telegram:{chat}/tracker/events",
        source=fresh_address(),
        json_body={"event": "pause"},
    )
    assert reply.status == 401
    telegram(edge, chat, "How do I sign up for a Gopay wallet?")
    assert edge_fake.wait_for(lambda: edge_fake.sent_messages(chat), timeout=60), "the bot still answers"


def test_the_model_cannot_be_unloaded_or_replaced_nor_fetch_urls(edge: Stack, ssrf_target: list[str]) -> None:
    url = ssrf_target[0]
    attacker = fresh_address()
    for method, body in (
        ("DELETE", None),
        ("PUT", {"model_server": {"url": url}}),
        ("PUT", {"model_file": "/x"}),
    ):
        assert request(method, f"{edge.config.rasa_url}/model", source=attacker, json_body=body).status == 401
        # Not even with the token: the public profile has no model management.
        assert edge.api(method, "/model", json=body).status_code == 403
    assert edge.api("POST", "/model/train", json={}).status_code == 403
    time.sleep(1)
    assert ssrf_target[1:] == [], "the server fetched the attacker's URL"
    assert edge.parse("how do I sign up")["intent"]["name"], "the model is still loaded"


def test_foreign_pages_cannot_post_without_a_preflight(edge: Stack) -> None:
    simple = {"Content-Type": "text/plain", "Origin": "http://evil.example"}
    body = json.dumps({"text": "hello", "sender": "x", "message": "hello"}).encode()
    for path in ("/model/parse", "/webhooks/rest/webhook", "/conversations/x/trigger_intent"):
        reply = request(
            "POST", edge.config.rasa_url + path, source=fresh_address(), body=body, headers=simple
        )
        assert reply.status in (401, 415), path
        assert "access-control-allow-origin" not in {k.lower() for k in reply.headers}
    # A preflight is never granted.
    reply = request(
        "OPTIONS",
        f"{edge.config.rasa_url}/model/parse",
        headers={"Origin": "http://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert "access-control-allow-origin" not in {k.lower() for k in reply.headers}


# -- 2. every channel speaks only for its own users ------------------------------------------


def test_rest_cannot_act_as_a_telegram_user_nor_divert_their_push(
    edge: Stack, edge_fake: FakeTelegram
) -> None:
    chat = next(_chats)
    telegram(edge, chat, "hello")
    edge_fake.wait_for(lambda: edge_fake.sent_messages(chat), timeout=60)
    number = file_ticket(edge, f"telegram:{chat}")
    attacker = fresh_address()
    assert rest(edge, f"telegram:{chat}", f"status of {number}", attacker).status == 400
    # As a REST conversation of its own, the attacker must confirm the contact first.
    answer = rest(edge, f"telegram{chat}", f"what is the status of ticket {number}", attacker)
    assert answer.status == 200
    assert "confirm the contact" in answer.text and "is received" not in answer.text
    assert all(m["recipient_id"].startswith("rest:") for m in answer.json())
    # The status push goes to the Telegram chat, not to the REST caller who spoke last.
    before = len(edge_fake.sent_messages(chat))
    done = edge.api(
        "POST",
        f"/conversations/telegram:{chat}/trigger_intent",
        params={"output_channel": "latest"},
        json={"name": "EXTERNAL_ticket_update", "entities": {"ticket_id": number}},
    )
    assert done.status_code == 200
    pushed = edge_fake.wait_for(lambda: edge_fake.sent_messages(chat)[before:], timeout=30)
    assert number in pushed[-1]["text"]
    assert f"telegram:{chat}" not in json.dumps(events_of(edge, f"rest:telegram{chat}"))


def test_rest_cannot_reach_a_jwt_user_or_a_web_chat_session(edge: Stack, customer: dict[str, str]) -> None:
    attacker = fresh_address()
    number = file_ticket(edge, customer["conversation"])
    for sender in ("user-alice", customer["session"]):
        reply = rest(edge, sender, f"status of {number}", attacker)
        assert reply.status == 200
        assert {m["recipient_id"] for m in reply.json()} == {f"rest:{sender}"}
        assert "confirm the contact" in reply.text and "is received" not in reply.text
    for other in ("user-alice", customer["session"]):
        assert [e for e in events_of(edge, other) if e["event"] == "user"] == [], other
    web_chat = json.dumps(events_of(edge, customer["conversation"]))
    assert f"status of {number}" not in web_chat, "nothing was written into the web chat"


# -- 3. agents never see customer credentials ------------------------------------------------


def login(edge: Stack, name: str, password: str, source: str) -> Any:
    return request(
        "POST",
        f"{edge.config.console_url}/api/login",
        source=source,
        json_body={"agent": name, "password": password},
    )


def test_the_console_shows_a_public_id_not_the_session_secret(edge: Stack, customer: dict[str, str]) -> None:
    store = HandoffStore(Database(edge.environment()["TICKETS_DB_URL"]))
    handoff = store.enqueue(
        sender_id=customer["conversation"],
        channel="webchat",
        language="en",
        reason=Reason.REQUESTED,
        transcript=[],
        ticket_number=None,
    ).handoff.id
    agent = requests.Session()
    reply = agent.post(
        f"{edge.config.console_url}/api/login",
        json={"agent": "bob", "password": PASSWORDS["bob"]},
        timeout=30,
    )
    assert reply.status_code == 200
    shown = agent.get(f"{edge.config.console_url}/api/queue", timeout=30).text
    shown += agent.get(f"{edge.config.console_url}/api/handoffs/{handoff}", timeout=30).text
    assert customer["session"] not in shown and customer["conversation"] not in shown
    public = re.search(r'"conversation": ?"(webchat-[0-9a-f]+)"', shown)
    assert public, shown[:300]

    # Whatever an agent sees, presented as a session over socket.io, opens another conversation.
    async def reuse() -> list[dict[str, Any]]:
        async with Chat(edge.config.rasa_url, fresh_address(), edge.config.rasa_url) as thief:
            for stolen in (public.group(1), customer["conversation"], customer["conversation"].split(":")[1]):
                await thief.session(stolen)
            edge.api(
                "POST",
                f"/conversations/{customer['conversation']}/tracker/events",
                params={"output_channel": "webchat", "execute_side_effects": "true"},
                json=[{"event": "bot", "text": "agent reply for the customer only"}],
            )
            time.sleep(2)
            return thief.received

    assert all("customer only" not in json.dumps(m) for m in run(reuse()))
    for log in ("rasa", "actions", "console"):
        assert customer["session"] not in edge.log_path(log).read_text(errors="replace"), log


# -- 4. rate limits that cannot be dodged nor turned against users ---------------------------


def test_new_sessions_or_connections_do_not_dodge_the_web_chat_limit(edge: Stack) -> None:
    async def dodge() -> tuple[int, list[float]]:
        same_connection = 0
        async with Chat(edge.config.rasa_url, fresh_address(), edge.config.rasa_url) as c:
            for _ in range(25):
                await c.session(None)
                same_connection += (await c.say("hi"))["status"] == "accepted"
        accepted_at, source = [], fresh_address()
        for _ in range(70):
            try:
                async with Chat(edge.config.rasa_url, source, edge.config.rasa_url) as c:
                    await c.session(None)
                    if (await c.say("hi"))["status"] == "accepted":
                        accepted_at.append(time.monotonic())
            except Exception:  # noqa: BLE001 - a refused connection is the limit working
                pass
        return same_connection, accepted_at

    same_connection, accepted_at = run(dodge(), timeout=900)
    assert same_connection <= 20, f"{same_connection} of 25 accepted on one connection"
    # At most 60 a minute from one address, however many connections and sessions.
    busiest = max(sum(1 for t in accepted_at if start <= t < start + 59) for start in accepted_at)
    assert busiest <= 60, f"{busiest} accepted within a minute from one address"


def test_the_origin_check_does_not_trust_the_host_header(edge: Stack) -> None:
    async def connect(origin: str, host: str | None) -> bool:
        headers = {"Origin": origin, **({"Host": host} if host else {})}
        chat = Chat(edge.config.rasa_url, fresh_address())
        try:
            import aiohttp
            import socketio

            chat._http = aiohttp.ClientSession()
            chat.sio = socketio.AsyncClient(reconnection=False, http_session=chat._http)
            await chat.sio.connect(
                edge.config.rasa_url, transports=["polling"], headers=headers, wait_timeout=5
            )
            await chat.sio.eio.disconnect(abort=True)
            return True
        except Exception:  # noqa: BLE001
            return False
        finally:
            await chat._http.close()

    assert not run(connect("http://evil.example", "evil.example"))
    assert not run(connect("http://evil.example", None))
    assert run(connect(edge.config.rasa_url, "evil.example")), "the demo page's own origin works"


def test_a_stranger_cannot_lock_a_ticket_lookup_for_others(edge: Stack) -> None:
    owner = f"telegram:{next(_chats)}"
    number = file_ticket(edge, owner, contact="13911112222")
    stranger, customer = fresh_address(), fresh_address()
    rest(edge, "stranger", f"what is the status of ticket {number}", stranger)
    answers = [rest(edge, "stranger", guess, stranger).text for guess in ("1111", "3333", "4444", "5555")]
    assert "Too many attempts" in answers[2], answers[2][:300]
    # The customer on another device (another conversation and address) still gets in.
    rest(edge, "owner-phone", f"what is the status of ticket {number}", customer)
    shown = rest(edge, "owner-phone", "2222", customer)
    assert f"Ticket {number}" in shown.text and "Too many attempts" not in shown.text


def test_a_stranger_cannot_lock_an_agent_out_of_the_console(edge: Stack) -> None:
    stranger, alice_address = fresh_address(), fresh_address()
    statuses = [login(edge, "alice", "wrong-password", stranger).status for _ in range(8)]
    assert statuses[:5] == [401] * 5 and statuses[-1] == 429, "the guesser is throttled"
    assert login(edge, "alice", PASSWORDS["alice"], alice_address).status == 200, "alice is not locked out"


def test_rest_has_size_and_rate_limits(edge: Stack) -> None:
    flooder, other = fresh_address(), fresh_address()
    big = rest(edge, "big", "x" * 988_000, flooder)
    assert big.status == 413 and big.seconds < 5
    statuses = [rest(edge, "flooder", "hi", flooder).status for _ in range(40)]
    assert statuses.count(200) <= 30 and statuses[-1] == 429
    started = time.monotonic()
    assert rest(edge, "someone-else", "how do I sign up", other).status == 200
    assert time.monotonic() - started < 5, "another user is not held up"


# -- 6. the action server answers only the Rasa servers --------------------------------------


def test_the_action_server_refuses_strangers_and_bombs(edge: Stack) -> None:
    forged = {
        "next_action": "action_submit_ticket",
        "sender_id": "rest:victim",
        "tracker": {"sender_id": "rest:victim", "slots": {"ticket_confirmed": "yes"}, "events": []},
        "domain": {},
        "version": "3.6.21",
    }
    url = f"{edge.config.action_url}/webhook"
    assert request("POST", url, source=fresh_address(), json_body=forged).status == 401
    bomb = zlib.compress(b"[" + b"0," * 20_000_000 + b"0]")
    for headers in ({}, {ACTION_TOKEN_HEADER: edge.secret(ACTION_TOKEN)}):
        reply = request(
            "POST",
            url,
            body=bomb,
            headers={"Content-Type": "application/json", "Content-Encoding": "deflate", **headers},
        )
        assert reply.status in (401, 413)
    assert tickets(edge).list(sender_id="rest:victim") == []


# -- 8. privacy controls ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ask", "delete", "confirm", "words"),
    [
        ("what do you keep about me", "delete my chat history", "yes, delete my data", "keeps"),
        ("你保存了我的哪些信息", "删除我的聊天记录", "确认删除", "保存"),
    ],
)
def test_a_customer_can_see_and_erase_what_is_kept(
    edge: Stack, ask: str, delete: str, confirm: str, words: str
) -> None:
    sender = f"privacy-{uuid.uuid4().hex[:12]}"
    rest(edge, sender, f"my phone is {PHONE}")
    number = file_ticket(edge, f"rest:{sender}")
    info = json.dumps(rest(edge, sender, ask).json(), ensure_ascii=False)
    assert words in info and number in info
    question = json.dumps(rest(edge, sender, delete).json(), ensure_ascii=False)
    assert "/privacy_delete_confirm" in question
    assert tickets(edge).require(number).contact == PHONE, "nothing erased before the confirmation"
    done = json.dumps(rest(edge, sender, confirm).json(), ensure_ascii=False)
    assert number in done
    assert PHONE not in json.dumps(events_of(edge, f"rest:{sender}")), "the conversation is erased"
    ticket = tickets(edge).require(number)
    assert PHONE not in (ticket.contact + ticket.description) and ticket.history, "history kept"
