"""Which web pages may open the chat socket.

Browsers attach an ``Origin`` header to the socket.io handshake; refusing foreign origins
stops other sites from talking to the bot in a visitor's name. Non-browser clients send no
``Origin`` and are not a cross-site risk, so they pass.

"Same origin" means the server's configured public origin(s) (``GOPAY_PUBLIC_ORIGINS``,
e.g. ``https://support.example.com``; ``make run`` sets its own address), never the ``Host``
header of the request, which the client chooses.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any


class OriginPolicy:
    """The server's public origins (its own pages, e.g. the demo page) plus an allow-list.

    Instances are callables with the signature python-engineio expects for
    ``cors_allowed_origins``, so the check runs on every handshake and upgrade.
    """

    def __init__(self, allowed: Iterable[str] = (), public: Iterable[str] = ()) -> None:
        self._allowed = frozenset(_normalise(origin) for origin in allowed) | frozenset(
            _normalise(origin) for origin in public
        )
        self.allows_any = "*" in self._allowed

    def __call__(self, origin: str | None, environ: Mapping[str, Any] | None = None) -> bool:
        return self.allows(origin)

    def allows(self, origin: str | None) -> bool:
        """Whether a page from ``origin`` may connect."""
        if not origin:
            return True
        return self.allows_any or _normalise(origin) in self._allowed


def _normalise(origin: str) -> str:
    return origin.strip().rstrip("/").lower()
