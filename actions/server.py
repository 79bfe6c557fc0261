"""The action server: rasa_sdk's app, reachable only by the Rasa servers, with errors that
leak nothing.

* **Who may call**: every request to ``/webhook`` and ``/actions`` must carry the shared
  token in ``X-Gopay-Action-Token`` (``GOPAY_ACTION_TOKEN`` or the generated
  ``var/secrets/action_token``; Rasa sends it from the ``headers`` of ``action_endpoint`` in
  endpoints.yml, which ``devtools.stack`` renders). ``/health`` stays open.
* **Bounds**: bodies up to ``GOPAY_ACTION_MAX_BODY_BYTES``; a deflate or gzip body (Rasa
  compresses when ``COMPRESS_ACTION_SERVER_REQUEST`` is set) is inflated only up to the same
  size, anything else compressed is refused; the JSON must be bounded and shaped like an
  action call, and the action name is checked before it reaches a log line.
* **Errors**: rasa_sdk 3.6 answers an unhandled exception with the exception text and the
  whole request body (tracker, user messages) and logs the request; here the answer is a
  generic error with an id, and the log entry is masked. A call whose tracker cannot be read
  is a 400, not a 500.
"""

from __future__ import annotations

import argparse
import hmac
import json
import logging
import re
import uuid
import zlib
from collections.abc import Mapping
from typing import Any

from rasa_sdk.endpoint import create_app
from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from gopay_support.adapters import logmask
from gopay_support.core import bounds, language
from gopay_support.wiring import ACTION_TOKEN, ACTION_TOKEN_HEADER, Environment, load_settings, secret

logger = logging.getLogger(__name__)

ACTION_NAME_RE = re.compile(r"^[A-Za-z0-9_]{1,64}$")
#: The answer to a call of the wrong shape: it names no part of what was sent.
SHAPE = "the action call does not have the shape Rasa sends"
DEFAULT_MAX_BODY_BYTES = 8_000_000
_PROTECTED = ("/webhook", "/actions")


class Rejected(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def build_app(
    package: str = "actions", *, token: str | None = None, max_body_bytes: int | None = None
) -> Sanic:
    env = Environment()
    token = token if token is not None else secret(ACTION_TOKEN)
    limit = max_body_bytes or env.integer("GOPAY_ACTION_MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES)
    app = create_app(package, cors_origins=None)
    app.config.REQUEST_MAX_SIZE = limit

    async def guard(request: Request) -> HTTPResponse | None:
        if not request.path.startswith(_PROTECTED):
            return None
        given = request.headers.get(ACTION_TOKEN_HEADER, "")
        if not (token and hmac.compare_digest(given.encode(), token.encode())):
            return response.json(
                {"error": "this server answers only the assistant's Rasa servers"}, status=401
            )
        if request.method != "POST":
            return None
        encoding = request.headers.get("Content-Encoding", "").strip().lower()
        try:
            call = read_call(request.body or b"", encoding, limit)
        except Rejected as exc:
            return response.json({"error": str(exc)}, status=exc.status)
        request.ctx.action_call = call
        present_conversation_language(call)
        # rasa_sdk reads the call again: from the parsed JSON, or by inflating a deflate body.
        if encoding == "deflate":
            request.body = zlib.compress(json.dumps(call).encode())
        else:
            request.parsed_json = call  # type: ignore[assignment]
        return None

    async def safe_error(request: Request, exception: Exception) -> HTTPResponse:
        error_id = uuid.uuid4().hex[:12]
        action = _action_name(request)
        status = getattr(exception, "status_code", 500)
        if isinstance(exception, (KeyError, TypeError, AttributeError, ValueError)):
            status = 400  # a tracker the action could not read: malformed input, not our failure
        logger.error("action %s failed (error id %s): %s", action, error_id, exception, exc_info=exception)
        if status != 500:
            return response.json({"error": "bad request", "error_id": error_id}, status=status)
        return response.json(
            {"error": "internal error in action", "action_name": action, "error_id": error_id}, status=500
        )

    app.error_handler.add(Exception, safe_error)
    app.register_middleware(guard, "request")
    return app


def read_call(body: bytes, encoding: str, limit: int) -> dict[str, Any]:
    """The action call in ``body``, inflated within ``limit`` and checked; ``Rejected`` otherwise."""
    encoding = encoding.strip().lower()
    if encoding in ("deflate", "gzip"):
        body = _inflate(body, limit, gzip=encoding == "gzip")
    elif encoding not in ("", "identity"):
        raise Rejected(415, "unsupported Content-Encoding")
    try:
        call = bounds.parse_json(body, max_bytes=limit, max_depth=64, max_nodes=2_000_000)
    except bounds.InputRejected as exc:
        raise Rejected(exc.status, str(exc)) from None
    check_call(call)
    return call


def _inflate(body: bytes, limit: int, gzip: bool) -> bytes:
    inflater = zlib.decompressobj(zlib.MAX_WBITS | 16 if gzip else zlib.MAX_WBITS)
    try:
        data = inflater.decompress(body, limit + 1)
    except zlib.error:
        raise Rejected(400, "the compressed body is corrupt") from None
    if len(data) > limit or inflater.unconsumed_tail:
        raise Rejected(413, f"the body inflates to more than {limit} bytes")
    return data


def check_call(call: Any) -> None:
    """An action call as Rasa sends it: a known-shaped object with a well-formed action name."""
    if not isinstance(call, dict):
        raise Rejected(400, "an action call is a JSON object")
    name = call.get("next_action")
    if not isinstance(name, str) or not ACTION_NAME_RE.fullmatch(name):
        raise Rejected(400, "next_action must be 1-64 characters of A-Z, a-z, 0-9 and _")
    if not isinstance(call.get("version", ""), str):
        raise Rejected(400, SHAPE)
    if not isinstance(call.get("domain", {}), dict):
        raise Rejected(400, SHAPE)
    tracker = call.get("tracker")
    if not isinstance(tracker, dict):
        raise Rejected(400, SHAPE)
    expected: Mapping[str, tuple[type, ...]] = {
        "sender_id": (str,),
        "slots": (dict,),
        "latest_message": (dict, type(None)),
        "events": (list,),
        "paused": (bool,),
        "followup_action": (str, type(None)),
        "active_loop": (dict, type(None)),
        "latest_action_name": (str, type(None)),
    }
    if not isinstance(tracker.get("sender_id"), str) or not 0 < len(tracker["sender_id"]) <= 255:
        raise Rejected(400, SHAPE)
    for key, types in expected.items():
        if key in tracker and not isinstance(tracker[key], types):
            raise Rejected(400, SHAPE)
    for event in tracker.get("events") or []:
        if not isinstance(event, dict) or not isinstance(event.get("event"), str):
            raise Rejected(400, SHAPE)


def present_conversation_language(call: dict[str, Any]) -> None:
    """Give every action the conversation's language as the ``language`` slot.

    The slot is not filled by Rasa (see domain/core.yml); the language is computed from
    the user messages' parse data, the same way the response generator does.
    """
    tracker = call.get("tracker")
    if isinstance(tracker, dict) and isinstance(tracker.get("slots"), dict):
        tracker["slots"]["language"] = language.of_events(tracker.get("events") or [])


def _action_name(request: Request) -> str | None:
    call = getattr(request.ctx, "action_call", None)
    name = call.get("next_action") if isinstance(call, dict) else None
    return name if isinstance(name, str) and ACTION_NAME_RE.fullmatch(name) else None


def main(argv: list[str] | None = None) -> None:
    settings = load_settings()
    parser = argparse.ArgumentParser(description="Run the Gopay action server")
    parser.add_argument("--host", default=settings.action_server_host)
    parser.add_argument("--port", type=int, default=settings.action_server_port)
    args = parser.parse_args(argv)
    logmask.install()
    app = build_app()
    logger.info("Action server on http://%s:%s", args.host, args.port)
    app.run(host=args.host, port=args.port, workers=1, access_log=False)
