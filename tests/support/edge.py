"""Talking to a running stack as different clients: HTTP and socket.io from chosen loopback
addresses (127.0.0.0/8 is all this machine), so per-address limits of one test never touch
another, and an "attacker" and a "customer" really come from different addresses."""

from __future__ import annotations

import asyncio
import http.client
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

import aiohttp
import socketio

_next_address = iter(range(10, 250))
#: The agent accounts of the security tests' stack (tests/security/conftest.py).
EDGE_PASSWORDS = {"alice": "alice-edge-password", "bob": "bob-edge-password"}


def fresh_address() -> str:
    """A loopback address no other test of this session uses."""
    return f"127.0.0.{next(_next_address)}"


@dataclass
class Reply:
    status: int
    body: bytes
    headers: Mapping[str, str]
    seconds: float = 0.0

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def json(self) -> Any:
        return json.loads(self.body)


def request(
    method: str,
    url: str,
    *,
    source: str = "127.0.0.1",
    body: bytes | None = None,
    json_body: Any = None,
    headers: Mapping[str, str] | None = None,
    params: Mapping[str, str] | None = None,
    timeout: float = 30,
) -> Reply:
    """One HTTP request from loopback address ``source``."""
    import time

    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    if params:
        path += ("&" if "?" in path else "?") + urlencode(params)
    all_headers = dict(headers or {})
    if json_body is not None:
        body = json.dumps(json_body).encode()
        all_headers.setdefault("Content-Type", "application/json")
    connection = http.client.HTTPConnection(
        parts.hostname or "127.0.0.1", parts.port, timeout=timeout, source_address=(source, 0)
    )
    started = time.monotonic()
    try:
        connection.request(method, path, body=body, headers=all_headers)
        answer = connection.getresponse()
        data = answer.read()
        return Reply(answer.status, data, dict(answer.getheaders()), time.monotonic() - started)
    finally:
        connection.close()


@dataclass
class Chat:
    """A web chat socket (what the widget does) from one loopback address."""

    url: str
    source: str = "127.0.0.1"
    origin: str | None = None
    received: list[dict[str, Any]] = field(default_factory=list)
    confirmed: list[Any] = field(default_factory=list)

    async def __aenter__(self) -> Chat:
        self._http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(local_addr=(self.source, 0)))
        self.sio = socketio.AsyncClient(reconnection=False, http_session=self._http)
        self.sio.on("bot_uttered", self.received.append)
        self.sio.on("session_confirm", self.confirmed.append)
        headers = {"Origin": self.origin} if self.origin else {}
        await self.sio.connect(self.url, transports=["polling"], headers=headers, wait_timeout=10)
        return self

    async def session(self, session_id: str | None = None) -> Any:
        before = len(self.confirmed)
        await self.sio.emit("session_request", {"session_id": session_id})
        for _ in range(200):
            if len(self.confirmed) > before:
                return self.confirmed[-1]
            await asyncio.sleep(0.05)
        raise TimeoutError("no session_confirm")

    async def say(self, text: str, timeout: float = 60) -> dict[str, Any]:
        return await self.sio.call("user_uttered", {"message": text}, timeout=timeout)

    async def __aexit__(self, *exc: object) -> None:
        await self.sio.eio.disconnect(abort=True)
        await self._http.close()


def run(coro: Any, timeout: float = 300) -> Any:
    return asyncio.run(asyncio.wait_for(coro, timeout))
