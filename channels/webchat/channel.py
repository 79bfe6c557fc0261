"""The web chat input channel: Rasa's socket.io channel with server-side limits.

Rasa's :class:`~rasa.core.channels.socketio.SocketIOInput` speaks the protocol; this thin
subclass adds what a public web page needs: an origin allow-list (the configured public
origins, never the ``Host`` header), a length limit and rate limits per conversation, per
connection and per client address answered with a notice instead of reaching the bot,
de-duplication of resent messages by their client id, conversation ids that are keyed
digests of the browser's session secret (``webchat:<digest>``, identity.py) or of a site's
user bound by JWT, and the widget's static files. It also awaits ``enter_room``, which
python-socketio 5.x made a coroutine; Rasa 3.6 calls it without ``await``, so with ``session_persistence`` the
bot's answers (sent to the session's room) would never arrive.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

from rasa.core.channels.channel import UserMessage, decode_bearer_token
from rasa.core.channels.socketio import SocketBlueprint, SocketIOInput
from sanic import Blueprint
from socketio import AsyncServer
from socketio import exceptions as sio_exceptions

from channels.toolkit import conventions
from channels.toolkit.records import Records
from channels.webchat import identity, static
from channels.webchat.dedup import SharedIds
from channels.webchat.gate import MessageGate, Verdict
from channels.webchat.notices import refusal_text
from channels.webchat.origins import OriginPolicy
from channels.webchat.output import WebChatOutput
from channels.webchat.queue import QueueDesk
from channels.webchat.settings import WebChatSettings
from gopay_support.adapters.rasa.action_calls import ActionServerUnavailable
from gopay_support.adapters.shared_limits import LimiterFactory
from gopay_support.core import bounds, catalogue, clientaddr, language
from gopay_support.core.conversation import pseudonym

logger = logging.getLogger(__name__)

OnNewMessage = Callable[[UserMessage], Awaitable[Any]]
#: Event telling the widget the server's limits, sent right after ``session_confirm``.
SETTINGS_EVENT = "webchat_settings"
#: The customer's side of the agent queue (``channels/webchat/queue.py``), both with ack.
STATUS_EVENT = "handoff_status"
LEAVE_EVENT = "handoff_leave"
#: Largest socket.io packet read from a client.
MAX_PACKET_BYTES = 64 * 1024


class WebChatInput(SocketIOInput):
    """``channels.webchat.WebChatInput`` in ``credentials.yml``; sessions persist by default."""

    @classmethod
    def name(cls) -> str:
        return "webchat"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> WebChatInput:
        channel = super().from_credentials({"session_persistence": True, **(credentials or {})})
        assert isinstance(channel, WebChatInput)
        channel.desk = QueueDesk()
        # Resent messages are recognised by every server of the deployment (app database).
        services = channel.desk.services
        shared = SharedIds(Records(services.database))
        limiters = LimiterFactory.of(services.settings)
        channel.gate = MessageGate.from_settings(channel.limits, shared, limiters)
        return channel

    def __init__(
        self,
        *args: Any,
        webchat: WebChatSettings | None = None,
        desk: QueueDesk | None = None,
        **kwargs: Any,
    ):
        super().__init__(*args, **kwargs)
        #: The agent queue seen from the chat; None (tests of the bare channel): no queue state.
        self.desk = desk
        self.limits = webchat or WebChatSettings.from_env()
        self.gate = MessageGate.from_settings(self.limits)
        self.origins = OriginPolicy(self.limits.allowed_origins, self.limits.public_origins)
        self.trusted = clientaddr.networks(self.limits.trusted_proxies)
        self.identity_key = self.limits.identity_key or secrets.token_hex(32)

    def url_prefix(self) -> str:
        return "/webchat"

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        # A chat message is at most a few KB; the engine.io default would read 1 MB packets.
        sio = AsyncServer(
            async_mode="sanic", cors_allowed_origins=self.origins, max_http_buffer_size=MAX_PACKET_BYTES
        )
        self.sio = sio  # get_output_channel() needs it for messages pushed from outside
        blueprint = SocketBlueprint(sio, self.socketio_path, "webchat", __name__)
        static.add_routes(blueprint, self.origins)
        sio.on("connect", self.on_connect, namespace=self.namespace)
        sio.on(STATUS_EVENT, self.on_handoff_status, namespace=self.namespace)
        sio.on(LEAVE_EVENT, self.on_handoff_leave, namespace=self.namespace)
        sio.on("session_request", self.on_session_request, namespace=self.namespace)
        sio.on(
            self.user_message_evt,
            partial(self.on_user_message, on_new_message),
            namespace=self.namespace,
        )
        return blueprint

    async def on_connect(self, sid: str, environ: dict, auth: dict | None = None) -> None:
        """Without a JWT key anyone may connect; with one, only holders of a valid token.

        The client's address (the socket's peer, or the forwarded one from a trusted proxy)
        is kept in the session for the per-address limits; new connections count against it.
        """
        address = self._address(environ)
        if not self.gate.admit_connection(address):
            raise sio_exceptions.ConnectionRefusedError("rate_limited")
        session: dict[str, Any] = {"address": address}
        if self.jwt_key:
            token = auth.get("token") if isinstance(auth, dict) else None
            try:
                claims = (
                    decode_bearer_token(token, self.jwt_key, self.jwt_algorithm)
                    if isinstance(token, str) and len(token) <= 4096
                    else None
                )
            except Exception:  # noqa: BLE001 - any undecodable token is simply not a login
                claims = None
            user_id = identity.user_id_from_claims(claims)
            if user_id is None:
                raise sio_exceptions.ConnectionRefusedError("unauthorized")
            session["user_id"] = user_id
        await self._sio.save_session(sid, session, namespace=self.namespace)

    def _address(self, environ: dict) -> str:
        request = environ.get("sanic.request")
        peer = getattr(request, "ip", None) if request is not None else None
        forwarded = request.headers.get("x-forwarded-for") if request is not None else None
        return clientaddr.client_address(peer, forwarded, self.trusted)

    async def on_session_request(self, sid: str, data: Any = None, *_extra: Any) -> None:
        """Join the socket to its conversation's room and confirm the session secret.

        The browser keeps the confirmed secret and presents it again after a reload; the
        conversation id is a digest of it and never leaves the server.
        """
        sio, namespace = self._sio, self.namespace
        session = await sio.get_session(sid, namespace=namespace)
        requested = data.get("session_id") if isinstance(data, dict) else None
        if session.get("user_id"):
            secret = ""
            conversation = identity.conversation_for_user(self.identity_key, session["user_id"])
        else:
            secret = identity.accept_session_id(requested if self.session_persistence else None)
            conversation = identity.conversation_for_session(self.identity_key, secret)
        previous = session.get("conversation")
        if previous and previous != conversation:
            await sio.leave_room(sid, previous, namespace=namespace)
        await sio.enter_room(sid, conversation, namespace=namespace)
        await sio.save_session(sid, {**session, "conversation": conversation}, namespace=namespace)
        await sio.emit("session_confirm", secret or "user", room=sid, namespace=namespace)
        limits = {"max_message_chars": self.gate.max_chars}
        await sio.emit(SETTINGS_EVENT, limits, room=sid, namespace=namespace)

    async def on_user_message(
        self, on_new_message: OnNewMessage, sid: str, data: Any = None, *_extra: Any
    ) -> dict[str, Any]:
        """Pass an admitted message to the bot; the return value is the socket.io ack.

        The ack is sent after the bot has answered, so the widget knows when to stop its
        typing indicator and may drop the message from its outbox.
        """
        sio, namespace = self._sio, self.namespace
        session = await sio.get_session(sid, namespace=namespace)
        conversation = session.get("conversation")
        text = data.get("message") if isinstance(data, dict) else None
        if conversation is None or not isinstance(text, str):
            logger.info("Web chat message without a session or text was ignored.")
            return {"status": "invalid"}
        try:
            bounds.check_unicode(text)
        except bounds.InputRejected:
            return {"status": "invalid"}
        text = text.replace("\x00", "")
        client_id = conventions.valid_client_id(data.get("client_message_id"))
        address = session.get("address") or clientaddr.UNKNOWN
        metadata = self._metadata(data, address)
        verdict = await self.gate.admit(conversation, text, client_id, connection=sid, address=address)
        if verdict is Verdict.ACCEPTED:
            output = WebChatOutput(sio, self.bot_message_evt)
            message = UserMessage(
                text,
                output,
                conversation,
                input_channel=self.name(),
                message_id=client_id,
                metadata=metadata,
            )
            try:
                await on_new_message(message)
            except (ActionServerUnavailable, Exception) as exc:
                # The turn stopped unsaved (the action server, Redis or the tracker's database
                # away: the conversation is where it was). Say so instead of silence, and
                # forget the id so the widget's resend is a new try; the ack tells the widget
                # the message was not delivered.
                what = "action server" if isinstance(exc, ActionServerUnavailable) else type(exc).__name__
                logger.warning("Web chat message %s: %s unavailable", client_id or "(no id)", what)
                await self.gate.release(conversation, client_id)
                lang = language.resolve(text, metadata.get(conventions.LANGUAGE))
                unavailable = {"text": catalogue.text("notice.temporarily_unavailable_retry", lang)}
                await sio.emit(self.bot_message_evt, unavailable, room=sid, namespace=namespace)
                return {"status": "unavailable", "client_message_id": client_id}
        else:
            logger.info("Web chat message %s: %s", verdict.value, client_id or "(no id)")
            notice = refusal_text(
                verdict, text, metadata.get(conventions.LANGUAGE), length=len(text), limit=self.gate.max_chars
            )
            if notice:
                reply = {"text": notice, "notice": verdict.value}
                await sio.emit(self.bot_message_evt, reply, room=sid, namespace=namespace)
        ack: dict[str, Any] = {"status": verdict.value, "client_message_id": client_id}
        if verdict is Verdict.ACCEPTED and self.desk is not None:
            ack["handoff"] = await self.desk.status_async(conversation)
        return ack

    async def _conversation(self, sid: str) -> str | None:
        session = await self._sio.get_session(sid, namespace=self.namespace)
        return session.get("conversation")

    async def on_handoff_status(self, sid: str, _data: Any = None) -> dict[str, Any]:
        conversation = await self._conversation(sid)
        if conversation is None or self.desk is None:
            return {"state": "none"}
        return await self.desk.status_async(conversation)

    async def on_handoff_leave(self, sid: str, _data: Any = None) -> dict[str, Any]:
        conversation = await self._conversation(sid)
        if conversation is None or self.desk is None:
            return {"state": "none"}
        return await self.desk.leave(conversation)

    def get_output_channel(self) -> WebChatOutput | None:
        """The output for messages pushed from outside (agent replies, status updates)."""
        if self.sio is None:
            return None
        return WebChatOutput(self.sio, self.bot_message_evt)

    def _metadata(self, data: dict[str, Any], address: str) -> dict[str, Any]:
        """Only the widget's interface language passes; other client metadata is untrusted."""
        raw = data.get(self.metadata_key)
        hint = raw.get(conventions.LANGUAGE) if isinstance(raw, dict) else None
        client = pseudonym(self.identity_key, "address", address, 16)
        data = conventions.metadata(self.name(), hint if isinstance(hint, str) else None)
        return conventions.with_client(data, client)

    @property
    def _sio(self) -> AsyncServer:
        assert self.sio is not None, "blueprint() creates the socket.io server"
        return self.sio
