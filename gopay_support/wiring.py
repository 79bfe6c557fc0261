"""The one place that reads the environment and builds the assistant's parts.

Each process's entry point (the action server, the Rasa plugins, the console, the ticket
command line, the launcher) calls :func:`load_settings` and :func:`build_services` once and
passes what it needs down explicitly; nothing below the entry points reads the environment
or a global. Channels and the console read their own settings with the same
:class:`Environment` reader, so a malformed value fails loudly with the variable's name.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from pathlib import Path

from gopay_support.adapters import secretfile
from gopay_support.adapters.db import AgentSessions, Database, HandoffStore, TicketStore
from gopay_support.core.clock import Clock, utcnow
from gopay_support.core.errors import ConfigurationError
from gopay_support.core.handoff.escalation import Escalation
from gopay_support.core.hours import ServiceHours
from gopay_support.core.settings import (
    ContactDetails,
    HandoffSettings,
    Settings,
    TicketSettings,
)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
#: The environment variable of each contact detail (ContactDetails field -> variable).
CONTACT_SETTINGS = {
    "phone": "GOPAY_SUPPORT_PHONE",
    "email": "GOPAY_SUPPORT_EMAIL",
    "social": "GOPAY_SUPPORT_SOCIAL",
    "website": "GOPAY_SUPPORT_WEBSITE",
}
DEFAULT_DATABASE_URL = f"sqlite:///{PROJECT_ROOT / 'var' / 'tickets.db'}"
DEFAULT_SECRETS_DIR = PROJECT_ROOT / "var" / "secrets"

#: Secrets every installation has: the environment variable that sets one, and the file in the
#: secrets folder it is generated into on first use when the variable is unset.
RASA_TOKEN = ("RASA_TOKEN", "rasa_token")
ACTION_TOKEN = ("GOPAY_ACTION_TOKEN", "action_token")
IDENTITY_KEY = ("GOPAY_IDENTITY_KEY", "identity_key")
REST_TOKEN = ("GOPAY_REST_TOKEN", "rest_token")
#: The header in which Rasa sends the action server's token (endpoints.yml ``headers``).
ACTION_TOKEN_HEADER = "X-Gopay-Action-Token"


class Environment:
    """Typed reading of environment variables; empty counts as unset."""

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self._environ = os.environ if environ is None else environ

    def text(self, name: str, default: str = "") -> str:
        value = self._environ.get(name, "").strip()
        return value or default

    def integer(self, name: str, default: int) -> int:
        raw = self.text(name)
        try:
            return int(raw) if raw else default
        except ValueError:
            raise ConfigurationError(f"{name} must be a whole number, not {raw!r}") from None

    def number(self, name: str, default: float) -> float:
        raw = self.text(name)
        try:
            return float(raw) if raw else default
        except ValueError:
            raise ConfigurationError(f"{name} must be a number, not {raw!r}") from None

    def flag(self, name: str, default: bool = False) -> bool:
        raw = self.text(name).lower()
        if not raw:
            return default
        if raw in ("1", "true", "yes", "on"):
            return True
        if raw in ("0", "false", "no", "off"):
            return False
        raise ConfigurationError(f"{name} must be true or false, not {raw!r}")

    def items(self, name: str) -> tuple[str, ...]:
        """A comma-separated list, blanks dropped."""
        return tuple(item.strip() for item in self.text(name).split(",") if item.strip())

    def pair(self, name: str, default: tuple[float, float], separator: str) -> tuple[float, float]:
        """Two numbers such as ``9-18`` or ``3/10``."""
        raw = self.text(name)
        if not raw:
            return default
        first, _, second = raw.partition(separator)
        try:
            return float(first), float(second or default[1])
        except ValueError:
            raise ConfigurationError(
                f"{name} must look like 'A{separator}B' with numbers, not {raw!r}"
            ) from None


def secrets_dir(environ: Mapping[str, str] | None = None) -> Path:
    return Path(Environment(environ).text("GOPAY_SECRETS_DIR", str(DEFAULT_SECRETS_DIR)))


def secret(which: tuple[str, str], environ: Mapping[str, str] | None = None) -> str:
    """A secret from its environment variable, else from (or newly into) the secrets folder."""
    variable, file_name = which
    value = Environment(environ).text(variable)
    if value:
        return value
    try:
        return secretfile.load_or_create(secrets_dir(environ), file_name)
    except (OSError, secretfile.SecretFileError) as exc:
        raise ConfigurationError(f"{variable} is not set and no secret file could be used: {exc}") from exc


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """The shared settings from the environment (see README "Configuration").

    The token of Rasa's HTTP API is never empty: without ``RASA_TOKEN`` it is the one
    generated into the secrets folder on first start (docs/deployment.md).
    """
    env = Environment(environ)
    start, end = env.pair("GOPAY_STAFFED_HOURS", (9, 18), "-")
    staffed_minutes, off_minutes = env.pair("GOPAY_HANDOFF_MINUTES", (3.0, 10.0), "/")
    return Settings(
        database_url=env.text("TICKETS_DB_URL", DEFAULT_DATABASE_URL),
        rasa_url=env.text("RASA_URL", "http://127.0.0.1:5005").rstrip("/"),
        rasa_token=secret(RASA_TOKEN, environ),
        trusted_proxies=env.items("GOPAY_TRUSTED_PROXIES"),
        retention_days=env.integer("GOPAY_RETENTION_DAYS", Settings.retention_days),
        redis_url=env.text("GOPAY_REDIS_URL", ""),
        redis_prefix=env.text("GOPAY_REDIS_PREFIX", Settings.redis_prefix),
        action_server_host=env.text("ACTION_SERVER_HOST", "127.0.0.1"),
        action_server_port=env.integer("ACTION_SERVER_PORT", 5055),
        hours=ServiceHours(
            timezone=env.text("GOPAY_SERVICE_TZ", ServiceHours.timezone),
            staffed=(int(start), int(end)),
            holidays=env.items("GOPAY_HOLIDAYS"),
        ),
        contact=ContactDetails(**{name: env.text(variable) for name, variable in CONTACT_SETTINGS.items()}),
        tickets=TicketSettings(
            description_max_chars=env.integer(
                "TICKET_DESCRIPTION_MAX_CHARS", TicketSettings.description_max_chars
            ),
            verify_max_attempts=env.integer("TICKET_VERIFY_MAX_ATTEMPTS", TicketSettings.verify_max_attempts),
            verify_max_per_address=env.integer(
                "TICKET_VERIFY_MAX_PER_ADDRESS", TicketSettings.verify_max_per_address
            ),
            verify_window_minutes=env.integer(
                "TICKET_VERIFY_WINDOW_MINUTES", TicketSettings.verify_window_minutes
            ),
            contact_max_attempts=env.integer(
                "TICKET_CONTACT_MAX_ATTEMPTS", TicketSettings.contact_max_attempts
            ),
            notify_timeout=env.number("TICKET_NOTIFY_TIMEOUT", TicketSettings.notify_timeout),
        ),
        handoff=HandoffSettings(
            presence_seconds=env.integer("GOPAY_HANDOFF_PRESENCE_SECONDS", HandoffSettings.presence_seconds),
            minutes_staffed=staffed_minutes,
            minutes_off_hours=off_minutes,
            queue_limit=env.integer("GOPAY_HANDOFF_QUEUE_LIMIT", HandoffSettings.queue_limit),
        ),
    )


@dataclass(frozen=True)
class Services:
    """The stores and rules of one process, built on one database."""

    settings: Settings
    database: Database
    tickets: TicketStore
    handoffs: HandoffStore
    agent_sessions: AgentSessions
    escalation: Escalation
    #: The time every rule of this process reads (tests pass a fixed one).
    clock: Clock = utcnow


def build_services(
    settings: Settings,
    *,
    clock: Clock = utcnow,
    session_lifetime: timedelta = timedelta(hours=8),
    session_idle: timedelta = timedelta(hours=1),
) -> Services:
    """Everything that works on the app database, wired together."""
    database = Database(settings.database_url)
    tickets = TicketStore(
        database,
        clock=clock,
        verify_max_attempts=settings.tickets.verify_max_attempts,
        verify_window=timedelta(minutes=settings.tickets.verify_window_minutes),
        verify_max_per_address=settings.tickets.verify_max_per_address,
    )
    handoffs = HandoffStore(database, clock)
    agent_sessions = AgentSessions(
        database,
        lifetime=session_lifetime,
        idle_timeout=session_idle,
        presence=timedelta(seconds=settings.handoff.presence_seconds),
        clock=clock,
    )
    escalation = Escalation(handoffs, agent_sessions, tickets, settings.hours, settings.handoff)
    return Services(settings, database, tickets, handoffs, agent_sessions, escalation, clock)


@lru_cache(maxsize=1)
def process_services() -> Services:
    """The services of this process, built from the environment on first use.

    Only for entry points that a framework instantiates without arguments (rasa_sdk actions,
    Rasa plugins); everything else receives :class:`Services` or its parts as parameters.
    """
    return build_services(load_settings())
