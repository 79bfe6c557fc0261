"""HTTP routes that serve the widget and its demo page from the Rasa server itself.

Serving them next to the socket keeps ``make run`` to a single process and makes the demo
page same-origin with the socket, which is what the default origin policy allows. Only
files that exist in ``static/`` when the server starts are served, by exact name.
"""

from __future__ import annotations

from pathlib import Path

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from channels.webchat.origins import OriginPolicy

PACKAGE_DIR = Path(__file__).resolve().parent
STATIC_DIR = PACKAGE_DIR / "static"
DEMO_PAGE = PACKAGE_DIR / "demo" / "index.html"

_CONTENT_TYPES = {
    ".js": "application/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".md": "text/plain; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
}
_COMMON_HEADERS = {"X-Content-Type-Options": "nosniff", "Cache-Control": "no-cache"}
#: The demo page runs no inline code and talks to its own origin only.
DEMO_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


def served_files() -> dict[str, Path]:
    """The widget's files by name; nothing outside this mapping is ever read."""
    return {
        path.name: path for path in STATIC_DIR.iterdir() if path.is_file() and path.suffix in _CONTENT_TYPES
    }


def add_routes(blueprint: Blueprint, origins: OriginPolicy | None = None) -> None:
    """``GET /`` (the demo page), ``GET /static/<name>`` and ``GET /origin-check`` under the
    blueprint's prefix."""
    files = served_files()
    policy = origins or OriginPolicy()

    async def demo_page(_: Request) -> HTTPResponse:
        headers = {**_COMMON_HEADERS, "Content-Security-Policy": DEMO_CSP}
        return await response.file(DEMO_PAGE, mime_type="text/html; charset=utf-8", headers=headers)

    async def static_file(_: Request, name: str) -> HTTPResponse:
        path = files.get(name)
        if path is None:
            return response.text("not found", status=404)
        return await response.file(path, mime_type=_CONTENT_TYPES[path.suffix], headers=dict(_COMMON_HEADERS))

    async def health(_: Request) -> HTTPResponse:
        return response.json({"status": "ok"})

    async def origin_check(request: Request) -> HTTPResponse:
        """Whether the asking page's origin may open the chat socket. Readable by any page
        (it tells nothing secret), so a widget embedded on a site that is not allowed can show
        a setup error instead of reconnecting forever."""
        origin = request.headers.get("origin")
        allowed = policy.allows(origin)
        headers = {**_COMMON_HEADERS, "Access-Control-Allow-Origin": "*"}
        return response.json({"allowed": allowed, "setting": "GOPAY_WEBCHAT_ORIGINS"}, headers=headers)

    blueprint.add_route(demo_page, "/", methods=["GET"], name="webchat_demo")
    blueprint.add_route(static_file, "/static/<name:str>", methods=["GET"], name="webchat_static")
    blueprint.add_route(health, "/health", methods=["GET"], name="webchat_health")
    blueprint.add_route(origin_check, "/origin-check", methods=["GET"], name="webchat_origin_check")
