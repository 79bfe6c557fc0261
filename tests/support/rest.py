"""A running REST channel for tests: Sanic on a free loopback port with the channel's
blueprint under ``/webhooks/rest`` and a recording stand-in for Rasa's message handler."""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sanic import Sanic

from channels.rest import RestInput
from channels.rest.settings import RestSettings
from devtools.stack import free_port
from support.webchat import RecordingBot

Sanic.test_mode = True
TOKEN = "rest-test-token"


def channel(**changes: Any) -> RestInput:
    settings: dict[str, Any] = {"token": TOKEN, "identity_key": "test-identity-key", **changes}
    # The inbox of kept messages goes to a database of the test's own, not the checkout's var/.
    database = Path(tempfile.mkdtemp(prefix="rest-test-")) / "app.db"
    return RestInput(RestSettings(**settings), database_url=f"sqlite:///{database}")


@dataclass
class Live:
    url: str
    bot: RecordingBot

    @property
    def webhook(self) -> str:
        return f"{self.url}/webhooks/rest/webhook"


@asynccontextmanager
async def running(rest: RestInput, rasa: Any = None) -> AsyncIterator[Live]:
    """``rasa``: Rasa's message handler (default: a :class:`RecordingBot`)."""
    bot = RecordingBot()
    app = Sanic(f"rest_test_{uuid.uuid4().hex[:12]}")
    app.blueprint(rest.blueprint(rasa or bot), url_prefix="/webhooks/rest")
    port = free_port()
    server = await app.create_server(
        host="127.0.0.1", port=port, return_asyncio_server=True, access_log=False
    )
    assert server is not None
    await server.startup()
    await server.after_start()
    try:
        yield Live(f"http://127.0.0.1:{port}", bot)
    finally:
        await server.before_stop()
        await server.close()
        await server.after_stop()
