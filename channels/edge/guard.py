"""One request middleware in front of every route of the Rasa server.

Rasa serves its HTTP API on the same port as the channels' webhooks, and that port faces
the internet (the widget's socket.io and the Telegram webhook must be reachable). The
guard, loaded from ``credentials.yml`` like a channel, checks every request before Rasa
or a channel sees it:

* **Public routes** are only ``/``, ``/webhooks/<channel>/...``, ``/webchat/...`` and
  ``/socket.io/``. Everything else is the API: it needs the API token (``?token=`` or
  ``Authorization: Bearer``) whether or not Rasa was started with ``--auth-token``; it is
  never answered to a browser page (a request with an ``Origin``) nor, by default, through a
  reverse proxy; and the routes that replace, unload or train the model (``PUT /model``
  would fetch any URL given as ``model_server``) are closed unless ``GOPAY_MODEL_API`` is on.
* **Bodies** are read up to ``GOPAY_MAX_BODY_BYTES``; compressed bodies are refused; a body
  sent to the API or a webhook must be bounded JSON (``gopay_support.core.bounds``) with
  ``Content-Type: application/json`` (so a foreign page cannot send it without a CORS
  preflight, which nothing here grants).
* **Pushes** through the API (``output_channel``) may only name the conversation's own
  channel (or ``latest``, which with channel-prefixed ids is the same).

Refusals are JSON ``{"error": ...}`` with a 4xx status, and never echo the request.
"""

from __future__ import annotations

import hmac
import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from channels.edge.settings import EdgeSettings
from gopay_support.core import bounds, conversation

logger = logging.getLogger(__name__)

PUBLIC_PREFIXES = ("/webhooks/", "/webchat/", "/socket.io/")
PUBLIC_PATHS = frozenset({"/", "/webchat"})
FORWARDING_HEADERS = ("x-forwarded-for", "forwarded", "x-real-ip")
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_CONVERSATION_RE = re.compile(
    r"^/conversations/(?P<id>.+?)/(tracker/events|trigger_intent|execute|messages)$"
)


@dataclass(frozen=True)
class Refusal:
    status: int
    message: str


@dataclass(frozen=True)
class Call:
    """What the guard looks at in a request (a plain value, so the rules test without Sanic)."""

    method: str
    path: str
    args: Mapping[str, list[str]]
    headers: Mapping[str, str]
    body: bytes


def is_public(path: str) -> bool:
    return path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)


def is_model_management(method: str, path: str) -> bool:
    return (method in ("PUT", "DELETE") and path.rstrip("/") == "/model") or (
        method == "POST" and (path.rstrip("/") == "/model/train" or path.startswith("/model/test"))
    )


def check(call: Call, settings: EdgeSettings) -> Refusal | None:
    """Why ``call`` must be refused, or ``None`` when it may go on."""
    headers = {key.lower(): value for key, value in call.headers.items()}
    if call.path.startswith("/socket.io/"):
        return None  # engine.io packets: bounded by the socket.io server, checked by the channel
    encoding = headers.get("content-encoding", "identity").strip().lower()
    if encoding not in ("", "identity"):
        return Refusal(415, "compressed request bodies are not accepted")
    public = is_public(call.path)
    if not public:
        refusal = _check_api(call, headers, settings)
        if refusal:
            return refusal
    if call.method in _BODY_METHODS and call.body:
        if headers.get("content-type", "").split(";")[0].strip().lower() != "application/json":
            return Refusal(415, "the body must be sent as Content-Type: application/json")
        try:
            value = bounds.parse_json(call.body, max_bytes=settings.max_body_bytes)
            if call.path == "/model/parse":
                _check_parse(value, settings)
        except bounds.InputRejected as exc:
            return Refusal(exc.status, str(exc))
    return None


def _check_api(call: Call, headers: Mapping[str, str], settings: EdgeSettings) -> Refusal | None:
    if not _authorised(call, headers, settings.api_token):
        return Refusal(401, "the API needs the token (?token= or Authorization: Bearer)")
    if "origin" in headers:
        return Refusal(403, "the API does not answer web pages")
    if not settings.api_via_proxy and any(name in headers for name in FORWARDING_HEADERS):
        return Refusal(403, "the API is not public")
    if is_model_management(call.method, call.path) and not settings.model_api:
        return Refusal(403, "model management is disabled on this server (GOPAY_MODEL_API)")
    if call.path == "/model/parse" and set(call.args) - {"token"}:
        return Refusal(400, "/model/parse takes no query parameters besides the token")
    match = _CONVERSATION_RE.match(call.path)
    if match:
        wanted: str | None = (call.args.get("output_channel") or [""])[0] or None
        own = conversation.channel_of(unquote(match.group("id")))
        if wanted not in (None, "latest") and wanted != own:
            return Refusal(403, "a conversation's messages go only to its own channel")
    return None


def _authorised(call: Call, headers: Mapping[str, str], token: str) -> bool:
    provided = (call.args.get("token") or [""])[0]
    scheme, _, value = headers.get("authorization", "").partition(" ")
    if not provided and scheme.lower() == "bearer":
        provided = value.strip()
    return bool(token) and hmac.compare_digest(provided.encode(), token.encode())


def _check_parse(value: Any, settings: EdgeSettings) -> None:
    if not isinstance(value, dict):
        raise bounds.InputRejected("the body must be a JSON object with a text")
    bounds.check_text(value.get("text"), "text", settings.max_parse_chars)
    if "message_id" in value and not isinstance(value["message_id"], str):
        raise bounds.InputRejected("message_id must be a string")


class EdgeGuard(InputChannel):
    """``channels.edge.EdgeGuard`` in ``credentials.yml``."""

    def __init__(self, settings: EdgeSettings | None = None) -> None:
        # Rasa builds this from credentials.yml: the entry point where settings are read.
        self.settings = settings or EdgeSettings.from_env()

    @classmethod
    def name(cls) -> str:
        return "edge"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        return cls()

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        bp = Blueprint("gopay_edge_guard", __name__)

        @bp.listener("before_server_start")
        async def install_guard(app: Sanic, loop: Any) -> None:
            install(app, self.settings)

        return bp


def install(app: Sanic, settings: EdgeSettings) -> None:
    """Put the guard first among the app's request middleware and cap the body size."""
    app.config.REQUEST_MAX_SIZE = settings.max_body_bytes

    async def guard(request: Request) -> HTTPResponse | None:
        call = Call(
            method=request.method,
            path=request.path,
            args=dict(request.args),
            headers=dict(request.headers),
            body=request.body or b"",
        )
        refusal = check(call, settings)
        if refusal is None:
            return None
        # Only the route's first segment: the rest may hold what the caller tried (an id).
        route = "/" + request.path.lstrip("/").split("/", 1)[0][:40]
        logger.info("edge: %s %s... refused (%s)", request.method, route, refusal.status)
        return response.json({"error": refusal.message}, status=refusal.status)

    app.register_middleware(guard, "request")
    # Before Rasa's own middleware (CORS), so nothing answers ahead of the guard.
    app.request_middleware.remove(guard)
    app.request_middleware.appendleft(guard)
