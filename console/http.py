"""What every console route answers with and how it reads a body, written once."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from gopay_support.core import bounds

#: Largest request body a console route reads (agent replies and notes are far smaller).
MAX_BODY_BYTES = 64 * 1024


def error(message: str, code: str, status: int, **params: Any) -> web.Response:
    """A refusal: ``message`` for logs and scripts, ``code`` and ``params`` for the page,
    which shows the agent its own wording (console/static/i18n.js)."""
    return web.json_response({"error": message, "code": code, "params": params}, status=status)


async def json_body(request: web.Request) -> Any:
    """The request's JSON, within the size, depth and size-of-number bounds of
    :mod:`gopay_support.core.bounds`; anything else is a 400 (never a 500)."""
    try:
        return bounds.parse_json(await request.read(), max_bytes=MAX_BODY_BYTES)
    except bounds.InputRejected as exc:
        raise web.HTTPBadRequest(
            text=json.dumps({"error": f"body must be bounded JSON: {exc}", "code": "bad_request"}),
            content_type="application/json",
        ) from None
