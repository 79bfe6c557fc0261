"""The one client for Rasa's HTTP API, used by the console, the ticket command line and
status pushes.

While a conversation is paused Rasa still records the user's messages, and two endpoints
keep working (rasa/server.py, rasa/core/processor.py):

* ``POST /conversations/{id}/tracker/events?output_channel=<channel>&execute_side_effects=true``
  with a ``bot`` event appends the agent's message and sends it through the output channel
  of the conversation's own channel (the prefix of its id, never "whoever spoke last"),
  without running any policy;
* appending a ``resume`` event (and an ``action_listen``) ends the pause, after which
  ``trigger_intent`` runs the bot again: ``EXTERNAL_handoff_resolved`` makes it say it is
  back and ask for the rating; ``EXTERNAL_ticket_update`` announces a ticket status change.

Built on httpx: tests pass an ``httpx.MockTransport`` instead of a running Rasa server.
"""

from __future__ import annotations

import logging
import time
from typing import Any
from urllib.parse import quote

import httpx

from gopay_support.core.conversation import channel_of
from gopay_support.core.handoff.transcript import AGENT_KEY, OUTBOX_KEY

RESOLVED_INTENT = "EXTERNAL_handoff_resolved"
LEFT_INTENT = "EXTERNAL_handoff_left"


#: Rasa (Sanic) does not percent-decode the conversation id in its routes, so characters a
#: URL path may carry as they are stay unencoded: ``telegram:123`` must arrive as typed.
_PATH_SAFE = "!$&'()*+,;=:@-._~"
# httpx logs every request URL (with the conversation id and the API token) at INFO.
logging.getLogger("httpx").setLevel(logging.WARNING)


def output_channel(sender_id: str) -> str:
    """The channel whose output carries pushes to ``sender_id``: the one its id names.

    Ids without a channel prefix (conversations from before channel prefixes) fall back to
    Rasa's ``latest``.
    """
    return channel_of(sender_id) or "latest"


def conversation_path(sender_id: str) -> str:
    """The conversation id as a URL path segment that Rasa reads back unchanged."""
    return quote(sender_id, safe=_PATH_SAFE)


#: 4xx answers that may succeed later (the token is being fixed, Rasa is busy): not final.
_TEMPORARY_4XX = frozenset({401, 403, 408, 409, 425, 429})
#: Failures after which the request has certainly not reached Rasa.
_NEVER_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)


class RasaUnavailable(Exception):
    """Rasa did not accept a request (unreachable, or an error status).

    ``status``: Rasa's HTTP status, ``None`` when there was no answer. ``maybe_applied``: the
    request may have taken effect all the same (a timeout after it left, a 5xx after the
    events were appended), so a retry should look at the tracker first. ``final``: Rasa will
    never accept this request as it is (a 4xx other than the temporary ones).
    """

    def __init__(self, reason: str, *, status: int | None = None, maybe_applied: bool = False) -> None:
        super().__init__(reason)
        self.status = status
        self.maybe_applied = maybe_applied

    @property
    def final(self) -> bool:
        return self.status is not None and 400 <= self.status < 500 and self.status not in _TEMPORARY_4XX


class RasaClient:
    """Async client; one connection pool per instance, closed by :meth:`close`."""

    def __init__(
        self,
        base_url: str,
        token: str = "",
        *,
        timeout: float = 15.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._token = token
        self._http = httpx.AsyncClient(base_url=self.base_url, timeout=timeout, transport=transport)

    async def close(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> RasaClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def events(self, sender_id: str) -> list[dict[str, Any]]:
        data = await self._call("GET", sender_id, "tracker")
        return list(data.get("events") or [])

    async def send_agent_message(self, sender_id: str, agent: str, text: str, key: str | None = None) -> None:
        """``key``: the outbox key, kept in the event's metadata (a retry can see that the
        message arrived; the channel's output uses it for its own outbox entry)."""
        metadata = {AGENT_KEY: agent, **({OUTBOX_KEY: key} if key else {})}
        event = {"event": "bot", "text": text, "timestamp": time.time(), "metadata": metadata}
        await self._call(
            "POST",
            sender_id,
            "tracker/events",
            json=[event],
            params={"output_channel": output_channel(sender_id), "execute_side_effects": "true"},
        )

    async def send_bot_message(self, sender_id: str, text: str, key: str | None = None) -> None:
        """A message from support (not a person, not the bot's policies) on the user's channel;
        works while the conversation is paused, like an agent's message."""
        event: dict[str, Any] = {"event": "bot", "text": text, "timestamp": time.time()}
        if key:
            event["metadata"] = {OUTBOX_KEY: key}
        await self._call(
            "POST",
            sender_id,
            "tracker/events",
            json=[event],
            params={"output_channel": "latest", "execute_side_effects": "true"},
        )

    async def hand_back(self, sender_id: str, intent: str = RESOLVED_INTENT, key: str | None = None) -> None:
        """Resume the bot and let it ask for the rating on the user's channel (``intent``:
        what the bot reacts to; ``EXTERNAL_handoff_left`` when the customer left the queue)."""
        await self.resume(sender_id, key=f"{key}:resume" if key else None)
        await self.trigger_intent(sender_id, intent, key=key)

    async def resume(self, sender_id: str, key: str | None = None) -> None:
        """End the pause (``key``: kept in the events' metadata, like a message's)."""
        # The listen marks the end of the bot's turn, as after any answer: rules only match
        # a user turn that follows action_listen, and the last action was action_handoff.
        now = time.time()
        metadata = {"metadata": {OUTBOX_KEY: key}} if key else {}
        await self._call(
            "POST",
            sender_id,
            "tracker/events",
            json=[
                {"event": "resume", "timestamp": now, **metadata},
                {"event": "action", "name": "action_listen", "timestamp": now, **metadata},
            ],
        )

    async def trigger_intent(
        self, sender_id: str, intent: str, entities: dict[str, str] | None = None, key: str | None = None
    ) -> None:
        """``key``: the outbox key, passed as the entity ``gopay_outbox_key`` (not in the
        domain, so no policy sees it), which Rasa keeps on the external user event."""
        body: dict[str, Any] = {"name": intent}
        entities = {**(entities or {}), **({OUTBOX_KEY: key} if key else {})}
        if entities:
            body["entities"] = entities
        await self._call(
            "POST",
            sender_id,
            "trigger_intent",
            json=body,
            params={"output_channel": output_channel(sender_id)},
        )

    async def _call(
        self,
        method: str,
        sender_id: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        url = f"/conversations/{conversation_path(sender_id)}/{path}"
        # The token travels in a header, so it never appears in a URL (logs, proxies).
        headers = {"Authorization": f"Bearer {self._token}"} if self._token else {}
        try:
            reply = await self._http.request(method, url, json=json, params=params or {}, headers=headers)
        except httpx.HTTPError as exc:
            raise RasaUnavailable(
                f"Rasa is unreachable: {type(exc).__name__}",
                maybe_applied=method != "GET" and not isinstance(exc, _NEVER_SENT),
            ) from exc
        if reply.status_code >= 300:
            raise RasaUnavailable(
                f"Rasa answered HTTP {reply.status_code} to {path}",
                status=reply.status_code,
                maybe_applied=method != "GET" and reply.status_code >= 500,
            )
        try:
            data = reply.json()
        except ValueError:
            return {}
        return data if isinstance(data, dict) else {}
