"""What the agent console asks of the Rasa server, over Rasa's HTTP API.

While a conversation is paused Rasa still records the user's messages, and two endpoints
keep working (rasa/server.py, rasa/core/processor.py):

* ``POST /conversations/{id}/tracker/events?output_channel=latest&execute_side_effects=true``
  with a ``bot`` event appends the agent's message and sends it through the output channel
  of the user's latest input channel (``InputChannel.get_output_channel``: the socket.io web
  chat and Telegram both provide one), without running any policy;
* appending a ``resume`` event (and an ``action_listen``) ends the pause, after which
  ``trigger_intent`` runs the bot again: ``EXTERNAL_handoff_resolved`` makes it say it is
  back and ask for the rating.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import quote

import aiohttp

from gopay_support.config import settings
from gopay_support.handoff.transcript import AGENT_KEY

RESOLVED_INTENT = "EXTERNAL_handoff_resolved"


class RasaUnavailable(Exception):
    """Rasa did not accept a request; the agent is told to retry."""


class RasaClient:
    def __init__(self, base_url: str | None = None, token: str | None = None,
                 timeout: float = 15.0) -> None:
        self.base_url = (base_url or settings().rasa_url).rstrip("/")
        self.token = settings().rasa_token if token is None else token
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self._http: aiohttp.ClientSession | None = None

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()

    async def events(self, sender_id: str) -> list[dict[str, Any]]:
        data = await self._call("GET", sender_id, "tracker")
        return list(data.get("events") or [])

    async def send_agent_message(self, sender_id: str, agent: str, text: str) -> None:
        event = {"event": "bot", "text": text, "timestamp": time.time(),
                 "metadata": {AGENT_KEY: agent}}
        await self._call("POST", sender_id, "tracker/events", json=[event],
                         params={"output_channel": "latest", "execute_side_effects": "true"})

    async def hand_back(self, sender_id: str) -> None:
        """Resume the bot and let it ask for the rating on the user's channel."""
        # The listen marks the end of the bot's turn, as after any answer: rules only match
        # a user turn that follows action_listen, and the last action was action_handoff.
        now = time.time()
        await self._call("POST", sender_id, "tracker/events",
                         json=[{"event": "resume", "timestamp": now},
                               {"event": "action", "name": "action_listen", "timestamp": now}])
        await self._call("POST", sender_id, "trigger_intent", json={"name": RESOLVED_INTENT},
                         params={"output_channel": "latest"})

    async def _call(self, method: str, sender_id: str, path: str, *, json: Any = None,
                    params: dict[str, str] | None = None) -> dict[str, Any]:
        if self._http is None:
            self._http = aiohttp.ClientSession(timeout=self.timeout)
        query = dict(params or {})
        if self.token:
            query["token"] = self.token
        url = f"{self.base_url}/conversations/{quote(sender_id, safe='')}/{path}"
        try:
            async with self._http.request(method, url, json=json, params=query) as reply:
                if reply.status >= 300:
                    raise RasaUnavailable(f"Rasa answered HTTP {reply.status} to {path}")
                return await reply.json()
        except aiohttp.ClientError as exc:
            raise RasaUnavailable(f"Rasa is unreachable: {type(exc).__name__}") from exc
