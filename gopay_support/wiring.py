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
DEFAULT_DATABASE_URL = f"sqlite:///{PROJECT_ROOT / 'var' / 'tickets.db'}"


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


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """The shared settings from the environment (see README "Configuration")."""
    env = Environment(environ)
    start, end = env.pair("GOPAY_STAFFED_HOURS", (9, 18), "-")
    staffed_minutes, off_minutes = env.pair("GOPAY_HANDOFF_MINUTES", (3.0, 10.0), "/")
    return Settings(
        database_url=env.text("TICKETS_DB_URL", DEFAULT_DATABASE_URL),
        rasa_url=env.text("RASA_URL", "http://127.0.0.1:5005").rstrip("/"),
        rasa_token=env.text("RASA_TOKEN"),
        action_server_host=env.text("ACTION_SERVER_HOST", "127.0.0.1"),
        action_server_port=env.integer("ACTION_SERVER_PORT", 5055),
        hours=ServiceHours(
            timezone=env.text("GOPAY_SERVICE_TZ", ServiceHours.timezone),
            staffed=(int(start), int(end)),
            holidays=env.items("GOPAY_HOLIDAYS"),
        ),
        contact=ContactDetails(
            phone=env.text("GOPAY_SUPPORT_PHONE", ContactDetails.phone),
            email=env.text("GOPAY_SUPPORT_EMAIL", ContactDetails.email),
            social=env.text("GOPAY_SUPPORT_SOCIAL", ContactDetails.social),
            website=env.text("GOPAY_SUPPORT_WEBSITE", ContactDetails.website),
        ),
        tickets=TicketSettings(
            description_max_chars=env.integer(
                "TICKET_DESCRIPTION_MAX_CHARS", TicketSettings.description_max_chars
            ),
            verify_max_attempts=env.integer("TICKET_VERIFY_MAX_ATTEMPTS", TicketSettings.verify_max_attempts),
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
