"""The agent console (console.app.build_app) on loopback for tests, with a recording stand-in
for Rasa's HTTP API, a Rasa-shaped tracker store and two accounts: ``alice`` (supervisor) and
``bob`` (agent)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer

from console.app import CONSOLE, Console, build_app
from console.passwords import hash_password
from console.settings import ConsoleSettings
from gopay_support.adapters.rasa.client import RasaClient
from gopay_support.core.handoff.model import Reason
from gopay_support.wiring import Services
from support.conversations import tracker_db
from support.services import make_services, sqlite_url

PASSWORDS = {"alice": "alice-password", "bob": "bob-password"}
_HASHES = {name: hash_password(pw) for name, pw in PASSWORDS.items()}


@dataclass
class FakeRasa:
    """Rasa's conversation endpoints as the console uses them; records what it was sent.

    ``status``: what every request is answered with; anything but 200 leaves the
    conversation unchanged (a Rasa that is down behind a proxy answers 503).
    """

    events: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    calls: list[tuple[str, str, Any, dict[str, str]]] = field(default_factory=list)
    status: int = 200

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/conversations/{id}/tracker", self.tracker)
        app.router.add_post("/conversations/{id}/tracker/events", self.append)
        app.router.add_post("/conversations/{id}/trigger_intent", self.trigger)
        return app

    async def tracker(self, request: web.Request) -> web.Response:
        if self.status != 200:
            return web.json_response({}, status=self.status)
        return web.json_response({"events": self.events.get(request.match_info["id"], [])})

    async def append(self, request: web.Request) -> web.Response:
        if self.status != 200:
            return web.json_response({}, status=self.status)
        body = await request.json()
        self.calls.append(("events", request.match_info["id"], body, dict(request.query)))
        self.events.setdefault(request.match_info["id"], []).extend(body)
        return web.json_response({})

    async def trigger(self, request: web.Request) -> web.Response:
        if self.status != 200:
            return web.json_response({}, status=self.status)
        body = await request.json()
        self.calls.append(("trigger", request.match_info["id"], body, dict(request.query)))
        return web.json_response({})


@dataclass
class ConsoleEnv:
    url: str
    rasa: FakeRasa
    services: Services
    tracker_url: str
    console: Console

    def enqueue(self, sender: str, language: str = "zh", ticket: str | None = None) -> int:
        return self.services.handoffs.enqueue(
            sender_id=sender,
            channel=sender.split(":")[0],
            language=language,
            reason=Reason.REQUESTED,
            transcript=[],
            ticket_number=ticket,
        ).handoff.id


@asynccontextmanager
async def console_running(
    tmp_path: Path,
    conversations: dict[str, list[dict[str, Any]]] | None = None,
    rasa: FakeRasa | None = None,
    **settings: Any,
) -> AsyncIterator[ConsoleEnv]:
    """The console on the database in ``tmp_path`` (a second start finds what the first
    left there); ``rasa``: a fake to keep across starts."""
    rasa = rasa or FakeRasa()
    rasa_server = TestServer(rasa.app(), host="127.0.0.1")
    await rasa_server.start_server()
    services = make_services(sqlite_url(tmp_path))
    tracker_url = tracker_db(str(tmp_path / "tracker.db"), conversations or {})
    config = ConsoleSettings(
        agents=tuple(_HASHES.items()),
        supervisors=frozenset({"alice"}),
        tracker_db_url=tracker_url,
        reviewed_path=tmp_path / "reviewed.yml",
        heldout_glob=str(tmp_path / "heldout*.yml"),
        live_interval=0.2,
        **settings,
    )
    app = build_app(services, config, RasaClient(str(rasa_server.make_url("")).rstrip("/")))
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        yield ConsoleEnv(str(server.make_url("")).rstrip("/"), rasa, services, tracker_url, app[CONSOLE])
    finally:
        await server.close()
        await rasa_server.close()
        services.database.dispose()


async def next_event(stream: aiohttp.ClientResponse, kind: str) -> dict[str, Any]:
    """The data of the next live update (SSE) of ``kind`` on ``stream``."""
    current = None
    while True:
        line = (await asyncio.wait_for(stream.content.readline(), 10)).decode().rstrip("\n")
        if line.startswith("event: "):
            current = line[len("event: ") :]
        elif line.startswith("data: ") and current == kind:
            return json.loads(line[len("data: ") :])


class ApiClient:
    """An agent using the console's JSON API with its own cookie jar."""

    def __init__(self, env: ConsoleEnv) -> None:
        self.env = env
        self.http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        self.csrf = ""

    async def login(self, name: str) -> ApiClient:
        reply = await self.http.post(
            self.env.url + "/api/login", json={"agent": name, "password": PASSWORDS[name]}
        )
        assert reply.status == 200, await reply.text()
        self.csrf = (await reply.json())["csrf_token"]
        return self

    async def get(self, path: str) -> tuple[int, Any]:
        reply = await self.http.get(self.env.url + path)
        body = await reply.json() if reply.content_type == "application/json" else await reply.text()
        return reply.status, body

    async def post(self, path: str, body: Any = None) -> tuple[int, Any]:
        reply = await self.http.post(
            self.env.url + path, json=body if body is not None else {}, headers={"X-CSRF-Token": self.csrf}
        )
        return reply.status, await reply.json()

    async def close(self) -> None:
        await self.http.close()
