"""Console security in one place: session cookie, CSRF, origin check, login throttling and
the response headers every page and API answer carries.

Every ``/api/`` route except the login needs a live agent session (401 otherwise); every
state-changing request also needs the session's CSRF token in ``X-CSRF-Token`` and, when the
browser sends one, an ``Origin`` equal to the console's own.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable

from aiohttp import web

from console.settings import ConsoleSettings
from gopay_support.adapters.db.agent_sessions import AgentSession, AgentSessions
from gopay_support.core import clientaddr
from gopay_support.core.ratelimit import SlidingWindowLimiter

COOKIE = "gopay_console"
CSRF_HEADER = "X-CSRF-Token"
SESSION_KEY = web.AppKey("sessions", AgentSessions)
_UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
_PUBLIC = {("POST", "/api/login")}
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def agent_of(request: web.Request) -> str:
    return request["session"].agent


def session_of(request: web.Request) -> AgentSession | None:
    return request.get("session")


@web.middleware
async def headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        response = exc
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    response.headers.setdefault("X-Frame-Options", "DENY")
    if request.path.startswith("/api/"):
        response.headers["Cache-Control"] = "no-store"
    if isinstance(response, web.HTTPException):
        raise response
    return response


@web.middleware
async def require_session(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.method in _UNSAFE and not _same_origin(request):
        return _refuse(403, "cross-origin request refused")
    session = request.app[SESSION_KEY].resume(request.cookies.get(COOKIE))
    if session is not None:
        request["session"] = session
    if not request.path.startswith("/api/") or (request.method, request.path) in _PUBLIC:
        return await handler(request)
    if session is None:
        return _refuse(401, "login required")
    if request.method in _UNSAFE and not hmac.compare_digest(
        request.headers.get(CSRF_HEADER, "").encode(), session.csrf_token.encode()
    ):
        return _refuse(403, "missing or wrong CSRF token")
    return await handler(request)


def _same_origin(request: web.Request) -> bool:
    origin = request.headers.get("Origin")
    if origin is None:  # non-browser clients; the CSRF token still applies
        return True
    return origin == f"{request.scheme}://{request.host}"


def _refuse(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


def set_cookie(response: web.StreamResponse, token: str, cfg: ConsoleSettings) -> None:
    response.set_cookie(
        COOKIE,
        token,
        httponly=True,
        samesite="Strict",
        path="/",
        secure=cfg.secure_cookie,
        max_age=cfg.session_minutes * 60,
    )


def clear_cookie(response: web.StreamResponse) -> None:
    response.del_cookie(COOKIE, path="/")


class LoginThrottle:
    """Failed logins counted so that guessing is slow and no stranger can lock an agent out.

    * per (account, client address): ``attempts`` failures within ``window`` seconds block
      that pair only, so the agent, from their own address, still logs in;
    * per client address: ``address_attempts`` failures (any accounts) block the address;
    * everywhere: beyond ``global_attempts`` failures within a minute every failed answer is
      slowed down (:meth:`delay`) instead of refused, which caps guessing from many
      addresses without locking anyone out.

    Memory is bounded: each limiter keeps at most ``max_keys`` keys.
    """

    def __init__(
        self,
        attempts: int = 5,
        window: float = 300.0,
        *,
        address_attempts: int = 20,
        global_attempts: int = 100,
        slow_down: float = 1.0,
        max_keys: int = 10_000,
        clock: Callable[[], float] | None = None,
    ) -> None:
        extra = {"clock": clock} if clock else {}
        self._pairs = SlidingWindowLimiter(attempts, window, max_keys=max_keys, **extra)
        self._addresses = SlidingWindowLimiter(address_attempts, window, max_keys=max_keys, **extra)
        self._everyone = SlidingWindowLimiter(global_attempts, 60.0, max_keys=1, **extra)
        self.slow_down = slow_down

    @staticmethod
    def _pair(name: str, address: str) -> str:
        return f"{address}\x00{name}"

    def blocked(self, name: str, address: str) -> bool:
        return self._pairs.blocked(self._pair(name, address)) or self._addresses.blocked(address)

    def failed(self, name: str, address: str) -> None:
        self._pairs.record(self._pair(name, address))
        self._addresses.record(address)
        self._everyone.record("all")

    def delay(self) -> float:
        """Seconds to hold a failed answer: non-zero while many logins fail everywhere."""
        return self.slow_down if self._everyone.blocked("all") else 0.0

    def succeeded(self, name: str, address: str) -> None:
        self._pairs.forget(self._pair(name, address))

    def tracked_keys(self) -> int:
        return len(self._pairs) + len(self._addresses)


def client_address(request: web.Request, trusted: tuple[clientaddr.IPNetwork, ...]) -> str:
    """The peer, or the forwarded client when the peer is a trusted proxy."""
    return clientaddr.client_address(request.remote, request.headers.get("X-Forwarded-For"), trusted)
