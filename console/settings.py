"""Agent console settings, from ``GOPAY_CONSOLE_*`` and ``GOPAY_AGENTS``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from gopay_support.wiring import Environment


@dataclass(frozen=True)
class ConsoleSettings:
    """The agent console web app (issue 6)."""

    host: str = "127.0.0.1"
    port: int = 5006
    #: ``name:scrypt$...`` pairs from ``python -m console hash-password``; never plain text.
    agents: tuple[tuple[str, str], ...] = ()
    #: Absolute lifetime of a login, and how long an idle session stays valid.
    session_minutes: int = 480
    idle_minutes: int = 60
    #: Send the session cookie only over HTTPS (set when the console is behind TLS).
    secure_cookie: bool = False

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ConsoleSettings:
        """``GOPAY_AGENTS`` is ``name:hash,name:hash`` (hashes from ``python -m console
        hash-password``)."""
        env = Environment(environ)
        agents = []
        for item in env.items("GOPAY_AGENTS"):
            name, _, hashed = item.partition(":")
            if name and hashed:
                agents.append((name, hashed))
        return cls(
            host=env.text("GOPAY_CONSOLE_HOST", cls.host),
            port=env.integer("GOPAY_CONSOLE_PORT", cls.port),
            agents=tuple(agents),
            session_minutes=env.integer("GOPAY_CONSOLE_SESSION_MINUTES", cls.session_minutes),
            idle_minutes=env.integer("GOPAY_CONSOLE_IDLE_MINUTES", cls.idle_minutes),
            secure_cookie=env.flag("GOPAY_CONSOLE_SECURE_COOKIE", cls.secure_cookie),
        )
