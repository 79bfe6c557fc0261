"""The agent console app itself (console.app.build_app) over real HTTP on loopback, with a
recording stand-in for Rasa's HTTP API: sessions, CSRF, ownership, masking, the API flow,
and that the page renders typed text as text (headless Chromium)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from support.console_app import FakeRasa
from support.services import make_services, sqlite_url

from console.app import build_app
from console.passwords import hash_password
from console.settings import ConsoleSettings
from gopay_support.adapters.db import HandoffStore, TicketStore
from gopay_support.adapters.rasa.client import RESOLVED_INTENT, RasaClient
from gopay_support.core.handoff.model import Reason

PASSWORDS = {"alice": "alice-password", "bob": "bob-password"}
SENDER = "webchat-session-1"
HTML = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=1</script>'
PHONE, CARD = "13812345678", "6222021234567890"


@dataclass
class Env:
    url: str
    rasa: FakeRasa
    handoffs: HandoffStore
    tickets: TicketStore

    def enqueue(self, sender: str = SENDER) -> int:
        return self.handoffs.enqueue(
            sender_id=sender,
            channel="webchat",
            language="en",
            reason=Reason.REQUESTED,
            transcript=[],
            ticket_number=None,
        ).handoff.id


#: Two agent accounts, hashed once for the whole module (scrypt is deliberately slow).
CONSOLE = ConsoleSettings(agents=tuple((name, hash_password(pw)) for name, pw in PASSWORDS.items()))


@asynccontextmanager
async def running(tmp_path: Path) -> AsyncIterator[Env]:
    rasa = FakeRasa()
    rasa_server = TestServer(rasa.app(), host="127.0.0.1")
    await rasa_server.start_server()
    services = make_services(sqlite_url(tmp_path))
    rasa_client = RasaClient(str(rasa_server.make_url("")).rstrip("/"))
    app = build_app(services, CONSOLE, rasa_client)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        yield Env(str(server.make_url("")).rstrip("/"), rasa, services.handoffs, services.tickets)
    finally:
        await server.close()
        await rasa_server.close()
        services.database.dispose()


class Agent:
    """One browser-like client with its own cookie jar."""

    def __init__(self, env: Env) -> None:
        self.env = env
        self.http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        self.csrf = ""

    async def login(self, name: str, password: str | None = None) -> aiohttp.ClientResponse:
        reply = await self.post("/api/login", {"agent": name, "password": password or PASSWORDS[name]})
        if reply.status == 200:
            self.csrf = (await reply.json())["csrf_token"]
        return reply

    async def get(self, path: str) -> aiohttp.ClientResponse:
        return await self.http.get(self.env.url + path)

    async def post(
        self, path: str, body: Any = None, *, csrf: str | None = None, headers: dict[str, str] | None = None
    ) -> aiohttp.ClientResponse:
        token = self.csrf if csrf is None else csrf
        all_headers = {"X-CSRF-Token": token} if token else {}
        all_headers.update(headers or {})
        return await self.http.post(self.env.url + path, json=body or {}, headers=all_headers)

    async def __aenter__(self) -> Agent:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        await self.http.close()


def run(coro: Any) -> Any:
    return asyncio.run(coro)


ENDPOINTS = [
    ("GET", "/api/me"),
    ("GET", "/api/queue"),
    ("GET", "/api/handoffs/1"),
    ("GET", "/api/handoffs/1/canned"),
    ("POST", "/api/handoffs/1/claim"),
    ("POST", "/api/handoffs/1/reply"),
    ("POST", "/api/handoffs/1/notes"),
    ("POST", "/api/handoffs/1/transfer"),
    ("POST", "/api/handoffs/1/resolve"),
    ("POST", "/api/logout"),
]


def test_every_console_request_without_a_session_is_401(tmp_path):
    async def scenario() -> None:
        async with running(tmp_path) as env:
            env.enqueue()
            async with Agent(env) as anonymous:
                page = await anonymous.get("/")
                assert page.status == 401 and "login-form" in await page.text()
                for method, path in ENDPOINTS:
                    reply = await (
                        anonymous.get(path) if method == "GET" else anonymous.post(path, {"text": "x"})
                    )
                    assert reply.status == 401, (method, path)
                forged = aiohttp.ClientSession(cookies={"gopay_console": "forged"})
                assert (await forged.get(env.url + "/api/queue")).status == 401
                await forged.close()
            assert env.rasa.calls == []

    run(scenario())


def test_login_sets_a_hardened_cookie_and_logout_ends_the_session(tmp_path):
    async def scenario() -> None:
        async with running(tmp_path) as env:
            async with Agent(env) as alice:
                assert (await alice.login("alice", "wrong")).status == 401
                assert (await alice.login("nobody", "x")).status == 401
                reply = await alice.login("alice")
                cookie = reply.headers["Set-Cookie"]
                assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/" in cookie
                assert "alice-password" not in cookie
                assert (await alice.get("/")).status == 200
                page = await alice.get("/api/queue")
                assert page.status == 200
                assert "default-src 'none'" in page.headers["Content-Security-Policy"]
                assert (await alice.post("/api/logout")).status == 200
                assert (await alice.get("/api/queue")).status == 401

    run(scenario())


def test_repeated_wrong_passwords_are_throttled(tmp_path):
    async def scenario() -> None:
        async with running(tmp_path) as env:
            async with Agent(env) as mallory:
                for _ in range(5):
                    assert (await mallory.login("alice", "guess")).status == 401
                assert (await mallory.login("alice")).status == 429

    run(scenario())


def test_state_changes_need_the_csrf_token_and_the_same_origin(tmp_path):
    async def scenario() -> None:
        async with running(tmp_path) as env:
            handoff = env.enqueue()
            async with Agent(env) as alice:
                await alice.login("alice")
                for token in ("", "wrong-token"):
                    reply = await alice.http.post(
                        env.url + f"/api/handoffs/{handoff}/claim",
                        headers={"X-CSRF-Token": token} if token else {},
                    )
                    assert reply.status == 403
                evil = await alice.post(
                    f"/api/handoffs/{handoff}/claim", headers={"Origin": "https://evil.example"}
                )
                assert evil.status == 403
                assert env.handoffs.get(handoff).agent is None
                assert (await alice.post(f"/api/handoffs/{handoff}/claim")).status == 200

    run(scenario())


def test_a_conversation_claimed_by_someone_else_is_refused(tmp_path):
    async def scenario() -> None:
        async with running(tmp_path) as env:
            handoff = env.enqueue()
            async with Agent(env) as alice, Agent(env) as bob:
                await alice.login("alice")
                await bob.login("bob")
                assert (await alice.post(f"/api/handoffs/{handoff}/claim")).status == 200
                base = f"/api/handoffs/{handoff}"
                assert (await bob.get(base)).status == 403
                assert (await bob.get(base + "/canned")).status == 403
                for path, body in (
                    ("/claim", {}),
                    ("/reply", {"text": "hi"}),
                    ("/notes", {"text": "n"}),
                    ("/transfer", {"to": "bob"}),
                    ("/resolve", {"resolution": "done"}),
                ):
                    reply = await bob.post(base + path, body)
                    assert reply.status == 403, path
                    assert "alice" in (await reply.json())["error"]
                assert env.rasa.calls == []  # nothing reached the user
                assert env.handoffs.get(handoff).agent == "alice"

    run(scenario())


def test_transcript_is_masked_and_html_arrives_as_data(tmp_path):
    async def scenario() -> None:
        async with running(tmp_path) as env:
            env.rasa.events[SENDER] = [
                {"event": "user", "text": f"call me on {PHONE}, card {CARD}", "timestamp": 1},
                {"event": "user", "text": HTML, "timestamp": 2},
            ]
            handoff = env.enqueue()
            async with Agent(env) as alice:
                await alice.login("alice")
                queue = await (await alice.get("/api/queue")).json()
                assert queue["queue"][0]["last_message"] == HTML
                await alice.post(f"/api/handoffs/{handoff}/claim")
                raw = await (await alice.get(f"/api/handoffs/{handoff}")).text()
                assert PHONE not in raw and CARD not in raw and "138****5678" in raw
                detail = json.loads(raw)
                assert [t["text"] for t in detail["transcript"]][1] == HTML

    run(scenario())


def test_whole_flow_reaches_rasa_in_order_and_updates_the_ticket(tmp_path):
    async def scenario() -> None:
        async with running(tmp_path) as env:
            handoff = env.enqueue()
            async with Agent(env) as alice:
                await alice.login("alice")
                base = f"/api/handoffs/{handoff}"
                assert (await alice.post(base + "/claim")).status == 200
                canned = await (await alice.get(base + "/canned")).json()
                assert any(a["key"] == "faq/refund_failed" for a in canned)
                replies = [alice.post(base + "/reply", {"text": f"message {i}"}) for i in range(5)]
                assert all(r.status == 200 for r in await asyncio.gather(*replies))
                sent = [c for c in env.rasa.calls if c[0] == "events"]
                assert sorted(c[2][0]["text"] for c in sent) == [f"message {i}" for i in range(5)]
                assert all(
                    c[3] == {"output_channel": "latest", "execute_side_effects": "true"}
                    and c[2][0]["event"] == "bot"
                    and c[2][0]["metadata"]["gopay_agent"] == "alice"
                    and c[2][0]["metadata"]["gopay_outbox_key"].startswith(f"agent-reply:{handoff}:")
                    for c in sent
                )
                assert (await alice.post(base + "/notes", {"text": "VIP"})).status == 200
                assert (await alice.post(base + "/transfer", {"to": "mallory"})).status == 400
                env.rasa.calls.clear()
                reply = await alice.post(base + "/resolve", {"resolution": "refund re-sent"})
                assert reply.status == 200
                kinds = [(c[0], c[2]) for c in env.rasa.calls]
                assert kinds[0][0] == "events" and kinds[0][1][0]["event"] == "resume"
                assert kinds[1] == (
                    "trigger",
                    {"name": RESOLVED_INTENT, "entities": {"gopay_outbox_key": f"hand-back:{handoff}"}},
                )
                detail = await (await alice.get(base)).json()
                assert detail["status"] == "resolved" and detail["notes"][0]["text"] == "VIP"

    run(scenario())


def test_resolve_moves_the_linked_ticket(tmp_path):
    async def scenario() -> None:
        from gopay_support.core.contact import ContactKind
        from gopay_support.core.tickets.model import NewTicket

        async with running(tmp_path) as env:
            ticket, _ = env.tickets.create(
                NewTicket(
                    category="refund",
                    description="d",
                    contact="a@example.com",
                    contact_kind=ContactKind.EMAIL,
                    sender_id=SENDER,
                ),
                "k",
            )
            handoff = env.handoffs.enqueue(
                sender_id=SENDER,
                channel="webchat",
                language="zh",
                reason=Reason.REQUESTED,
                transcript=[],
                ticket_number=ticket.tracking_number,
            ).handoff.id
            async with Agent(env) as alice:
                await alice.login("alice")
                await alice.post(f"/api/handoffs/{handoff}/claim")
                assert env.tickets.require(ticket.tracking_number).status.value == "in_progress"
                await alice.post(f"/api/handoffs/{handoff}/resolve", {"resolution": "done"})
                resolved = env.tickets.require(ticket.tracking_number)
                assert resolved.status.value == "resolved"
                assert resolved.history[-1].note == "done"
                assert resolved.history[-1].actor == "agent:alice"

    run(scenario())


@pytest.mark.browser
def test_page_shows_user_html_as_text_and_keeps_it_masked(tmp_path):
    """Headless Chromium against the real page: HTML typed by a user is never executed."""
    from playwright.async_api import async_playwright
    from support.browser import launch_chromium

    async def scenario() -> None:
        async with running(tmp_path) as env, async_playwright() as pw:
            env.rasa.events[SENDER] = [
                {"event": "user", "text": f"my phone {PHONE}", "timestamp": 1},
                {"event": "user", "text": HTML, "timestamp": 2},
            ]
            handoff = env.enqueue()
            browser = await launch_chromium(pw)
            try:
                page = await browser.new_page()
                await page.goto(env.url + "/")
                await page.fill("#login-agent", "alice")
                await page.fill("#login-password", PASSWORDS["alice"])
                await page.click("#login-submit")
                row = page.locator(f'#queue-body li[data-id="{handoff}"]')
                await row.wait_for()
                assert await row.locator(".last").text_content() == HTML
                await row.click()
                await page.click("#claim")
                await page.locator("#owner-tools").wait_for()
                texts = await page.locator("#transcript .text").all_text_contents()
                assert texts[-1] == HTML and "138****5678" in texts[0]
                assert PHONE not in await page.content()
                assert await page.evaluate("window.__pwned") is None
                assert await page.locator("#transcript img, #queue-body img").count() == 0
            finally:
                await browser.close()

    run(scenario())


def test_operator_actions_are_safe_to_repeat(tmp_path):
    """A double click on Resolve asks the customer for a rating once; claim and transfer
    sent twice leave the handoff as one would."""

    async def scenario() -> None:
        async with running(tmp_path) as env:
            handoff = env.enqueue()
            base = f"/api/handoffs/{handoff}"
            async with Agent(env) as alice, Agent(env) as bob:
                await alice.login("alice")
                await bob.login("bob")
                claims = await asyncio.gather(alice.post(base + "/claim"), alice.post(base + "/claim"))
                assert [r.status for r in claims] == [200, 200]
                assert env.handoffs.get(handoff).agent == "alice"
                for _ in range(2):
                    assert (await alice.post(base + "/transfer", {"to": "bob"})).status == 200
                assert [(t.from_agent, t.to_agent) for t in env.handoffs.transfers(handoff)] == [
                    ("alice", "bob")
                ]
                env.rasa.calls.clear()
                clicks = await asyncio.gather(
                    *(bob.post(base + "/resolve", {"resolution": "done"}) for _ in range(2))
                )
                assert [r.status for r in clicks] == [200, 200]
                assert (await bob.post(base + "/resolve", {"resolution": "done"})).status == 200
                triggers = [c for c in env.rasa.calls if c[0] == "trigger"]
                assert [c[2]["name"] for c in triggers] == [RESOLVED_INTENT]  # one rating prompt

    run(scenario())
