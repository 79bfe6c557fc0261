"""``POST /webhooks/rest/webhook``: one turn, the bot's answers in the HTTP response.

What Rasa's stock REST channel let a caller choose, this one decides itself:

* **Conversation**: always ``rest:<sender>``, with ``sender`` of 1-64 letters, digits,
  ``_``, ``-`` and ``.`` (no ``:``), so a REST caller can never speak in a Telegram, web
  chat or e-mail conversation, and the input channel is always ``rest``.
* **Who may call**: a bearer token (``Authorization: Bearer <GOPAY_REST_TOKEN>``) is
  required unless the request comes straight from loopback (no proxy in between), so the
  channel works for local tests out of the box and is closed once anything forwards it.
* **Bounds**: body size, JSON depth and message length (``GOPAY_REST_MAX_CHARS``); at most
  ``GOPAY_REST_RATE_LIMIT`` messages per sender and ``GOPAY_REST_ADDRESS_RATE_LIMIT`` per
  client address (429 with ``Retry-After``). Malformed input is answered 4xx.
* **Metadata**: only the language hint passes from the client.
* **Sent again**: a message with a ``client_message_id`` (8-64 letters, digits, ``_``,
  ``-``) is recorded in the durable inbox before Rasa sees it, keyed by sender and id, and
  answered with its turn's replies; the same message sent again (the client's answer was
  lost to a time-out, a proxy error, a server killed mid-turn) gets the first turn's answer
  instead of a second turn, on any server. A server that died holding it leaves it to
  another after the inbox lease (:data:`LEASE_SECONDS`); a turn saved before the crash is
  recognised in the tracker by its ``message_id`` and not run again.
* **Failures**: a turn that raised (the tracker or lock store unreachable: Rasa saved
  nothing) is answered ``503`` with ``Retry-After``, never ``200`` as if it had been handled;
  with a client message id it is kept instead, answered with the notice below, and replayed.
* **Action server away**: a turn that needs the action server while it stays unreachable
  stops unsaved (:mod:`gopay_support.adapters.rasa.action_calls`); the message is kept in
  the durable inbox (:mod:`channels.toolkit.inbox`) and replayed, in order, once the action
  server is back, and the caller gets ``notice.temporarily_unavailable`` in the message's
  language (also when the store itself failed, for messages with a client message id).
  Later messages of the same sender queue behind it (same answer) until it is done.
  The answers of a replayed turn are in the conversation (tracker, agent console), not in an
  HTTP response.
"""

from __future__ import annotations

import hmac
import logging
import re
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from channels.rest.settings import RestSettings
from channels.toolkit import conventions, replay
from channels.toolkit.inbox import Defer, EntryState, Inbox, InboxEntry, InboxProcessor
from gopay_support.adapters.db.database import Database
from gopay_support.adapters.rasa.action_calls import ActionServerUnavailable
from gopay_support.adapters.shared_limits import LimiterFactory
from gopay_support.core import bounds, catalogue, clientaddr, language
from gopay_support.core.conversation import pseudonym
from gopay_support.core.ratelimit import allow_all
from gopay_support.wiring import load_settings

logger = logging.getLogger(__name__)

CHANNEL = "rest"
#: What a reply of a turn carries besides its text (as Rasa's collecting output channel).
_REPLY_PARTS = ("buttons", "image", "attachment", "custom", "elements", "quick_replies")
SENDER_RE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
_FORWARDING = ("x-forwarded-for", "forwarded", "x-real-ip")
#: How long a process may hold an inbox entry without renewing it (a killed server's
#: messages are taken over after this); renewed three times per lease while a turn runs.
LEASE_SECONDS = 10.0
#: How long a request with a client message id waits for its turn before answering 503
#: (the message stays recorded: sent again, it gets the turn's answer).
WAIT_SECONDS = 25.0
#: ``Retry-After`` of a 503: the client should send the same message again soon.
RETRY_AFTER = "1"


class RestInput(InputChannel):
    """``channels.rest.RestInput`` in ``credentials.yml``."""

    def __init__(
        self,
        settings: RestSettings | None = None,
        database_url: str | None = None,
        limiters: LimiterFactory | None = None,
    ) -> None:
        self.settings = settings or RestSettings.from_env()
        self.trusted = clientaddr.networks(self.settings.trusted_proxies)
        limiters = limiters or LimiterFactory()
        self.per_sender = limiters("rest-sender", self.settings.sender_limit, self.settings.rate_window)
        self.per_address = limiters("rest-address", self.settings.address_limit, self.settings.rate_window)
        self._database_url = database_url
        self.kept: InboxProcessor | None = None
        self._on_new_message: Callable[[UserMessage], Awaitable[Any]] | None = None
        #: The Rasa server's agent (``app.ctx.agent``), to recognise turns saved before a crash.
        self._agent: Callable[[], Any] = lambda: None

    def _keeper(self) -> InboxProcessor:
        """The inbox of messages kept while the action server was away (built on first use)."""
        if self.kept is None:
            url = self._database_url or load_settings().database_url
            self.kept = InboxProcessor(Inbox(Database(url), lease=LEASE_SECONDS), CHANNEL, self._replay)
            self.kept.start()
        return self.kept

    @classmethod
    def name(cls) -> str:
        return CHANNEL

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        # Rasa builds channels from credentials.yml: the channel's entry point.
        return cls(limiters=LimiterFactory.of(load_settings()))

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        bp = Blueprint("gopay_rest", __name__)
        self._on_new_message = on_new_message

        @bp.listener("after_server_start")
        async def start(app: Any, loop: Any) -> None:
            self._agent = lambda: getattr(app.ctx, "agent", None)
            self._keeper()  # replays what was kept before a restart

        @bp.listener("before_server_stop")
        async def stop(app: Any, loop: Any) -> None:
            if self.kept is not None:
                await self.kept.stop()

        @bp.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @bp.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            return await self.receive(request, on_new_message)

        return bp

    async def receive(
        self, request: Request, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> HTTPResponse:
        headers = {key.lower(): value for key, value in request.headers.items()}
        if not self._authorised(request.ip, headers):
            return _error(401, "this channel needs Authorization: Bearer <token> from outside loopback")
        try:
            sender, text, hint, client_id = self.parse(request.body)
        except bounds.InputRejected as exc:
            return _error(exc.status, str(exc))
        address = clientaddr.client_address(request.ip, headers.get("x-forwarded-for"), self.trusted)
        try:
            refused = allow_all([(self.per_sender, sender), (self.per_address, address)])
        except Exception as exc:  # noqa: BLE001 - the shared limits' Redis is away
            logger.error("rest: rate limits unavailable: %s", type(exc).__name__)
            return _retry_later()
        if refused is not None:
            window = int(self.settings.rate_window)
            return _error(429, "too many messages, slow down", headers={"Retry-After": str(window)})
        collector = CollectingOutputChannel()
        client = pseudonym(self.settings.identity_key, "address", address, 16)
        conversation = conventions.conversation_id(CHANNEL, sender)
        metadata = conventions.with_client(conventions.metadata(CHANNEL, hint), client)
        keeper = self._keeper()
        if client_id is not None:
            return await self._recorded_turn(keeper, conversation, f"{sender}/{client_id}", text, metadata)
        try:
            # On the event loop, like Rasa's own SQL tracker store reads on every turn: one
            # indexed query costs less than the hand-off to a worker thread and back (0.6 ms
            # of a 7.7 ms turn, measured with bench/bench_rest.py's single user).
            if keeper.inbox.has_pending(CHANNEL, conversation):
                await self._keep(conversation, text, metadata)  # behind the kept ones, in order
                return _kept(conversation, text, hint)
        except Exception as exc:  # noqa: BLE001 - the app database is away
            logger.error("rest: inbox unavailable: %s", type(exc).__name__)
            return _retry_later()
        message = UserMessage(text, collector, conversation, input_channel=CHANNEL, metadata=metadata)
        try:
            await on_new_message(message)
        except ActionServerUnavailable:
            await self._keep(conversation, text, metadata)
            return _kept(conversation, text, hint)
        except Exception as exc:  # noqa: BLE001 - the turn raised: Rasa saved nothing of it
            logger.error("rest: message handling failed: %s", type(exc).__name__)
            return _retry_later()
        return response.json(collector.messages)

    async def _recorded_turn(
        self, keeper: InboxProcessor, conversation: str, key: str, text: str, metadata: dict[str, Any]
    ) -> HTTPResponse:
        """A message with a client message id: recorded first, turned once, its answer kept
        for the client that sends it again."""
        payload = {"text": text, "metadata": metadata}
        try:
            recorded = await keeper.accept(conversation, key, payload, sequence=time.time_ns() // 1000)
        except Exception as exc:  # noqa: BLE001 - not recorded: the client must send it again
            logger.error("rest: message not recorded: %s", type(exc).__name__)
            return _retry_later()
        outcome = await keeper.wait(recorded.entry, WAIT_SECONDS)
        entry = outcome.entry
        if entry.state is EntryState.DONE:
            return response.json(entry.result or [])
        if outcome.deferred or entry.state is EntryState.FAILED:
            return _kept(conversation, text, metadata.get(conventions.LANGUAGE))
        return _retry_later()  # still in work (another server, or one that died holding it)

    async def _keep(self, conversation: str, text: str, metadata: dict[str, Any]) -> None:
        logger.warning("rest: action server unavailable; message kept for %s", conversation)
        await self._keeper().accept(
            conversation,
            uuid.uuid4().hex,
            {"text": text, "metadata": metadata},
            sequence=time.time_ns() // 1000,
        )

    async def _replay(self, entry: InboxEntry) -> list[dict[str, Any]]:
        """The kept message's turn, once the action server answers again."""
        if self._on_new_message is None:
            raise Defer("no Rasa handler yet")
        if entry.replay:
            saved = await self._saved_turn(entry)
            if saved is not None:
                logger.info("rest: entry %s was turned before a restart; not asked again", entry.id)
                return saved
        collector = CollectingOutputChannel()
        message = UserMessage(
            str(entry.payload["text"]),
            collector,
            entry.conversation_id,
            input_channel=CHANNEL,
            message_id=entry.message_id,
            metadata=dict(entry.payload.get("metadata") or {}),
        )
        try:
            await self._on_new_message(message)
        except ActionServerUnavailable as exc:
            raise Defer(str(exc)) from None
        return collector.messages

    async def _saved_turn(self, entry: InboxEntry) -> list[dict[str, Any]] | None:
        """The replies of the entry's turn if Rasa saved it before (a server killed after the
        save, an outcome that could not be written); ``None`` if it was not saved."""
        saved = await replay.saved_turn(self._agent(), entry.conversation_id, entry.message_id)
        if saved is None:
            return None
        return [
            {
                "recipient_id": entry.conversation_id,
                "text": event.text,
                **{k: v for k, v in (event.data or {}).items() if v and k in _REPLY_PARTS},
            }
            for event in saved
        ]

    def parse(self, body: bytes | None) -> tuple[str, str, str | None, str | None]:
        """Sender, text, language hint and client message id of a request body;
        ``InputRejected`` otherwise."""
        data = bounds.parse_json(body, max_bytes=self.settings.max_body_bytes)
        if not isinstance(data, dict):
            raise bounds.InputRejected('the body must be a JSON object {"sender": ..., "message": ...}')
        sender = data.get("sender")
        if not isinstance(sender, str) or not SENDER_RE.fullmatch(sender):
            raise bounds.InputRejected("sender must be 1-64 characters of A-Z, a-z, 0-9, '_', '-' and '.'")
        text = bounds.check_text(data.get("message"), "message", self.settings.max_message_chars)
        raw = data.get("metadata")
        hint = raw.get(conventions.LANGUAGE) if isinstance(raw, dict) else None
        client_id = data.get("client_message_id")
        if client_id is not None and conventions.valid_client_id(client_id) is None:
            raise bounds.InputRejected(
                "client_message_id must be 8-64 characters of A-Z, a-z, 0-9, '_' and '-'"
            )
        return sender, text, hint if isinstance(hint, str) else None, client_id

    def _authorised(self, peer: str | None, headers: dict[str, str]) -> bool:
        scheme, _, given = headers.get("authorization", "").partition(" ")
        if scheme:
            return scheme.lower() == "bearer" and hmac.compare_digest(
                given.strip().encode(), self.settings.token.encode()
            )
        direct = not any(name in headers for name in _FORWARDING)
        return direct and clientaddr.is_loopback(peer)


def _kept(conversation: str, text: str, hint: str | None) -> HTTPResponse:
    """The answer to a message kept for later: the notice, in the message's language."""
    notice = catalogue.text("notice.temporarily_unavailable", language.resolve(text, hint))
    return response.json([{"recipient_id": conversation, "text": notice}])


def _retry_later() -> HTTPResponse:
    return _error(
        503, "the message could not be handled now; send it again", headers={"Retry-After": RETRY_AFTER}
    )


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> HTTPResponse:
    return response.json({"error": message}, status=status, headers=headers)
