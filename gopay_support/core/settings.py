"""The assistant's settings: plain frozen values, built once by :mod:`gopay_support.wiring`.

Nothing here reads the environment; the wiring module does, at each process's entry point,
and passes these values to whatever needs them. Contact details that the seed document does
not give stay empty until configured, and are never invented.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from gopay_support.core import catalogue
from gopay_support.core.hours import ServiceHours


@dataclass(frozen=True)
class ContactDetails:
    """How customers reach human support; filled into FAQ answers as slots.

    The seed gives no phone number, e-mail address or social accounts: unset ones ("") are
    replaced by a neutral pointer to the official website in the answer's language (the
    catalogue's ``contact.unset.*``), never by an invented value; the response generator
    logs which setting is missing.
    """

    phone: str = ""
    email: str = ""
    social: str = ""
    website: str = ""

    def missing(self) -> list[str]:
        """Names of the details that are not configured (``phone``, ``email``...)."""
        return [name for name in ("phone", "email", "social", "website") if not getattr(self, name)]

    def as_slots(self, language: str | None = None) -> dict[str, str]:
        def value(name: str) -> str:
            return getattr(self, name) or catalogue.text(f"contact.unset.{name}", language)

        return {
            "support_phone": value("phone"),
            "support_email": value("email"),
            "support_social": value("social"),
            "support_website": value("website"),
        }


@dataclass(frozen=True)
class TicketSettings:
    """Limits of the support-ticket flow (issue 3); tuned per deployment, not in code."""

    #: Longest accepted problem description, in characters.
    description_max_chars: int = 1000
    #: Wrong contact confirmations allowed per ticket and asking conversation, and per client
    #: address (any tickets), within ``verify_window_minutes``.
    verify_max_attempts: int = 3
    verify_max_per_address: int = 10
    verify_window_minutes: int = 60
    #: Invalid contacts accepted in the ticket form before it stops and points to other channels.
    contact_max_attempts: int = 3
    #: Seconds to wait for Rasa when pushing a status update to a conversation.
    notify_timeout: float = 5.0


@dataclass(frozen=True)
class HandoffSettings:
    """Human handoff (issue 6): when an agent counts as available and how waits are estimated.

    Seed 3 and 5.3: support answers around the clock, fastest on weekdays during the staffed
    hours (``Settings.hours``), slower at peaks and on holidays.
    """

    #: An agent counts as on duty while their console was used within this many seconds.
    presence_seconds: int = 120
    #: Minutes one agent needs per conversation, in staffed hours and otherwise.
    minutes_staffed: float = 3.0
    minutes_off_hours: float = 10.0
    #: More waiting conversations than this: no agent can take another one now.
    queue_limit: int = 50


@dataclass(frozen=True)
class Settings:
    """Settings every process of the assistant shares; channels and the console add their own."""

    #: Where the database of tickets, handoffs and channel records lives (SQLAlchemy URL).
    database_url: str
    rasa_url: str = "http://127.0.0.1:5005"
    #: Token for Rasa's HTTP API (required by the edge guard, channels/edge); never empty in a
    #: running installation: ``RASA_TOKEN`` or the generated ``var/secrets/rasa_token``.
    rasa_token: str = ""
    #: Addresses of reverse proxies whose ``X-Forwarded-For`` is believed (IPs or networks).
    trusted_proxies: tuple[str, ...] = ()
    #: Conversations untouched for longer than this many days are removed by
    #: ``python -m gopay_support privacy purge`` (docs/privacy.md).
    retention_days: int = 180
    #: Redis for state every Rasa server must share (the channels' rate limits) in the
    #: scaled profile (``GOPAY_REDIS_URL``); empty: this process keeps it (one server).
    redis_url: str = ""
    #: Start of every key this deployment writes there (``GOPAY_REDIS_PREFIX``).
    redis_prefix: str = "gopay"
    action_server_host: str = "127.0.0.1"
    action_server_port: int = 5055
    hours: ServiceHours = field(default_factory=ServiceHours)
    contact: ContactDetails = field(default_factory=ContactDetails)
    tickets: TicketSettings = field(default_factory=TicketSettings)
    handoff: HandoffSettings = field(default_factory=HandoffSettings)
