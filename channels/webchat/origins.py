"""Which web pages may open the chat socket.

Browsers attach an ``Origin`` header to the socket.io handshake; refusing foreign origins
stops other sites from talking to the bot in a visitor's name. Non-browser clients send no
``Origin`` and are not a cross-site risk, so they pass.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit


class OriginPolicy:
    """The server's own pages (same origin, e.g. the demo page) plus an allow-list.

    Instances are callables with the signature python-engineio expects for
    ``cors_allowed_origins``, so the check runs on every handshake and upgrade.
    """

    def __init__(self, allowed: Iterable[str] = ()) -> None:
        self._allowed = frozenset(_normalise(origin) for origin in allowed)
        self.allows_any = "*" in self._allowed

    def __call__(self, origin: str | None, environ: Mapping[str, Any] | None = None) -> bool:
        return self.allows(origin, (environ or {}).get("HTTP_HOST"))

    def allows(self, origin: str | None, host: str | None = None) -> bool:
        """Whether a page from ``origin`` may connect to the server reached as ``host``."""
        if not origin:
            return True
        origin = _normalise(origin)
        if self.allows_any or origin in self._allowed:
            return True
        # Same origin: the demo page served by this very server, on whatever port it runs.
        parts = urlsplit(origin)
        return parts.scheme in ("http", "https") and bool(host) and parts.netloc == (host or "").lower()


def _normalise(origin: str) -> str:
    return origin.strip().rstrip("/").lower()
