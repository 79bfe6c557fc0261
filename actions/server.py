"""The action server: rasa_sdk's app, bound to loopback, with errors that leak nothing.

rasa_sdk 3.6 answers an unhandled exception with the exception text and the whole request
body (tracker, user messages) and logs the request; here the answer is a generic error with
an id, and the log entry is masked.
"""

from __future__ import annotations

import argparse
import logging
import uuid

from rasa_sdk.endpoint import create_app
from sanic import Sanic, response
from sanic.request import Request

from gopay_support.adapters import logmask
from gopay_support.core import language
from gopay_support.wiring import load_settings

logger = logging.getLogger(__name__)


def build_app(package: str = "actions") -> Sanic:
    app = create_app(package, cors_origins=None)

    async def safe_error(request: Request, exception: Exception):
        error_id = uuid.uuid4().hex[:12]
        action = _action_name(request)
        logger.error("action %s failed (error id %s): %s", action, error_id, exception, exc_info=exception)
        status = getattr(exception, "status_code", 500)
        if status != 500:
            return response.json({"error": "bad request", "error_id": error_id}, status=status)
        return response.json(
            {"error": "internal error in action", "action_name": action, "error_id": error_id}, status=500
        )

    app.error_handler.add(Exception, safe_error)
    app.register_middleware(present_conversation_language, "request")
    return app


async def present_conversation_language(request: Request) -> None:
    """Give every action the conversation's language as the ``language`` slot.

    The slot is not filled by Rasa (see domain/core.yml); the language is computed from
    the user messages' parse data, the same way the response generator does.
    """
    if request.method != "POST" or not request.path.endswith("/webhook"):
        return
    try:
        call = request.json
    except Exception:
        return
    tracker = call.get("tracker") if isinstance(call, dict) else None
    if isinstance(tracker, dict) and isinstance(tracker.get("slots"), dict):
        tracker["slots"]["language"] = language.of_events(tracker.get("events") or [])


def _action_name(request: Request) -> str | None:
    try:
        body = request.json
    except Exception:
        return None
    name = body.get("next_action") if isinstance(body, dict) else None
    return name if isinstance(name, str) else None


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
