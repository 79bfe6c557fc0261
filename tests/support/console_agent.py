"""The end-to-end tests' side of the agent console: agent accounts, an agent on the JSON
API, and browser contexts for customer and agent pages.

Import the fixtures into a test module as ``browser`` and ``new_context`` with
``from support.console_agent import browser_fixture, new_context_fixture``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
from playwright.sync_api import Browser, BrowserContext, sync_playwright

from devtools.stack import Stack
from gopay_support.core.conversation import public_id
from support.browser import ARGS, executable

#: The agents of the e2e stacks and their passwords.
PASSWORDS = {"alice": "alice-e2e-password", "bob": "bob-e2e-password"}


@pytest.fixture(scope="module", name="browser")
def browser_fixture() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable(), args=ARGS)
        yield browser
        browser.close()


@pytest.fixture(name="new_context")
def new_context_fixture(browser: Browser) -> Iterator[Callable[..., BrowserContext]]:
    """Browser contexts of their own (customer, agent), closed after the test."""
    opened: list[BrowserContext] = []

    def open_context(**options: Any) -> BrowserContext:
        opened.append(browser.new_context(**options))
        return opened[-1]

    yield open_context
    for context in opened:
        context.close()


class ApiAgent:
    """An agent using the console's JSON API, as the page does (on duty while logged in)."""

    def __init__(self, stack: Stack, name: str) -> None:
        self.url = stack.config.console_url
        self.http = requests.Session()
        reply = self.http.post(
            f"{self.url}/api/login", json={"agent": name, "password": PASSWORDS[name]}, timeout=10
        )
        reply.raise_for_status()
        self.csrf = reply.json()["csrf_token"]

    def get(self, path: str) -> Any:
        reply = self.http.get(self.url + path, timeout=30)
        reply.raise_for_status()
        return reply.json() if reply.headers["Content-Type"].startswith("application/json") else reply.text

    def post(self, path: str, body: dict | None = None) -> requests.Response:
        return self.http.post(
            self.url + path, json=body or {}, headers={"X-CSRF-Token": self.csrf}, timeout=30
        )

    def waiting(self, channel: str) -> dict[str, Any] | None:
        """The first conversation of ``channel`` waiting in the queue."""
        return next(
            (
                item
                for item in self.get("/api/queue")["queue"]
                if item["channel"] == channel and item["status"] == "waiting"
            ),
            None,
        )

    def open_for(self, conversation: str) -> dict[str, Any] | None:
        """The open handoff of ``conversation``, found as an agent does: by its public id."""
        for item in self.get("/api/queue")["queue"]:
            detail = self.get(f"/api/handoffs/{item['id']}") if not item["agent"] or item["mine"] else None
            if detail and detail["conversation"] == public_id(conversation):
                return detail
        return None
