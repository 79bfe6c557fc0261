"""Agent console settings, from ``GOPAY_CONSOLE_*`` and ``GOPAY_AGENTS``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from gopay_support.core import review
from gopay_support.core.errors import ConfigurationError
from gopay_support.wiring import PROJECT_ROOT, Environment

AGENT, SUPERVISOR = "agent", "supervisor"
ROLES = (AGENT, SUPERVISOR)


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
    #: Agents who also see the supervisor dashboard (``name:supervisor:hash`` entries of
    #: ``GOPAY_AGENTS`` or the names in ``GOPAY_SUPERVISORS``).
    supervisors: frozenset[str] = frozenset()
    #: Rasa's SQL tracker store (SQLAlchemy URL), read by the dashboard, the learning loop,
    #: search and live updates; empty: those read conversations through Rasa's HTTP API only.
    tracker_db_url: str = ""
    #: Where the learning loop's export writes the reviewed training examples.
    reviewed_path: Path = PROJECT_ROOT / review.TRAINING_FILE
    #: Held-out test files whose texts never go into the reviewed training file.
    heldout_glob: str = str(PROJECT_ROOT / review.HELDOUT_GLOB)
    #: How often the server looks for changes it pushes to open consoles (seconds).
    live_interval: float = 1.0
    #: How long a reply, resolve or status change waits for its message to reach Rasa before
    #: answering "queued" (the message is durable either way; the outbox keeps trying).
    ack_wait: float = 1.0

    def role(self, agent: str) -> str:
        return SUPERVISOR if agent in self.supervisors else AGENT

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ConsoleSettings:
        """``GOPAY_AGENTS`` is ``name:hash,name:hash`` (hashes from ``python -m console
        hash-password``); an entry may carry a role, ``name:supervisor:hash``. A hash never
        contains ``:``, so both forms read unambiguously."""
        env = Environment(environ)
        agents = []
        supervisors = set(env.items("GOPAY_SUPERVISORS"))
        for item in env.items("GOPAY_AGENTS"):
            name, _, rest = item.partition(":")
            role, sep, hashed = rest.partition(":")
            if not sep:
                role, hashed = AGENT, rest
            elif role not in ROLES:
                raise ConfigurationError(f"GOPAY_AGENTS: role of {name!r} must be one of {', '.join(ROLES)}")
            if name and hashed:
                agents.append((name, hashed))
                if role == SUPERVISOR:
                    supervisors.add(name)
        reviewed = env.text("GOPAY_REVIEWED_NLU_PATH")
        return cls(
            host=env.text("GOPAY_CONSOLE_HOST", cls.host),
            port=env.integer("GOPAY_CONSOLE_PORT", cls.port),
            agents=tuple(agents),
            session_minutes=env.integer("GOPAY_CONSOLE_SESSION_MINUTES", cls.session_minutes),
            idle_minutes=env.integer("GOPAY_CONSOLE_IDLE_MINUTES", cls.idle_minutes),
            secure_cookie=env.flag("GOPAY_CONSOLE_SECURE_COOKIE", cls.secure_cookie),
            supervisors=frozenset(supervisors),
            tracker_db_url=env.text("GOPAY_TRACKER_DB_URL"),
            reviewed_path=Path(reviewed) if reviewed else cls.reviewed_path,
            live_interval=env.number("GOPAY_CONSOLE_LIVE_SECONDS", cls.live_interval),
            ack_wait=env.number("GOPAY_CONSOLE_ACK_SECONDS", cls.ack_wait),
        )
