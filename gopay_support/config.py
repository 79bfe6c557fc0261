"""Runtime configuration, read from environment variables with safe local defaults.

Modules never hard-code hosts, ports, secrets or contact details: they ask for
:func:`settings`. Contact details that the seed document does not give are placeholders
that make it obvious they still need configuring.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _env(name: str, default: str) -> str:
    value = os.environ.get(name, "").strip()
    return value or default


@dataclass(frozen=True)
class ContactDetails:
    """How customers reach human support; filled into FAQ answers as slots."""

    phone: str = "[客服电话未配置 / support phone not configured: GOPAY_SUPPORT_PHONE]"
    email: str = "[客服邮箱未配置 / support email not configured: GOPAY_SUPPORT_EMAIL]"
    social: str = "[官方社交账号未配置 / social accounts not configured: GOPAY_SUPPORT_SOCIAL]"
    website: str = "[官网未配置 / website not configured: GOPAY_SUPPORT_WEBSITE]"

    def as_slots(self) -> dict[str, str]:
        return {
            "support_phone": self.phone,
            "support_email": self.email,
            "support_social": self.social,
            "support_website": self.website,
        }


@dataclass(frozen=True)
class TelegramSettings:
    """Telegram channel settings; the channel stays disabled until token and secret are set."""

    bot_token: str = ""
    #: Sent by Telegram in ``X-Telegram-Bot-Api-Secret-Token``; 1-256 of ``A-Za-z0-9_-``.
    webhook_secret: str = ""
    #: Bot API server; a self-hosted Bot API server or the test fake replaces Telegram's.
    api_base_url: str = "https://api.telegram.org"
    #: ``webhook`` (Telegram POSTs to us) or ``polling`` (``python -m channels.telegram.polling``).
    mode: str = "webhook"
    #: Public HTTPS URL Telegram should POST to, e.g.
    #: ``https://support.example.com/webhooks/telegram/webhook``; empty: no setWebhook.
    webhook_url: str = ""
    #: Seconds between two messages to the same chat and messages per second overall
    #: (Telegram's documented flood limits).
    chat_interval: float = 1.0
    global_rate: float = 30.0

    @property
    def enabled(self) -> bool:
        return bool(self.bot_token and self.webhook_secret)


@dataclass(frozen=True)
class TicketSettings:
    """Limits of the support-ticket flow (issue 3); tuned per deployment, not in code."""

    #: Longest accepted problem description, in characters.
    description_max_chars: int = 1000
    #: Wrong contact confirmations allowed per ticket within ``verify_window_minutes``.
    verify_max_attempts: int = 3
    verify_window_minutes: int = 60
    #: Invalid contacts accepted in the ticket form before it stops and points to other channels.
    contact_max_attempts: int = 3
    #: Seconds to wait for Rasa when pushing a status update to a conversation.
    notify_timeout: float = 5.0


@dataclass(frozen=True)
class WebChatSettings:
    """Limits of the web chat channel (issue 4); deployments tune them without code changes."""

    #: Origins of other sites whose pages may open the chat socket, besides the pages the
    #: Rasa server serves itself (the demo page at ``/webchat/``, always allowed). Empty: the
    #: demo page only. ``("*",)`` allows every origin.
    allowed_origins: tuple[str, ...] = ()
    #: Longest accepted message, in characters; longer ones never reach the bot.
    max_message_chars: int = 2000
    #: At most ``rate_limit_messages`` messages per session within ``rate_limit_window`` seconds.
    rate_limit_messages: int = 20
    rate_limit_window: float = 60.0


@dataclass(frozen=True)
class HandoffSettings:
    """Human handoff (issue 6): when an agent counts as available and how waits are estimated.

    Seed 3 and 5.3: support answers around the clock, fastest on weekdays during the staffed
    hours (``Settings.peak_staffed_hours``), slower at peaks and on holidays.
    """

    #: An agent counts as on duty while their console was used within this many seconds.
    presence_seconds: int = 120
    #: Minutes one agent needs per conversation, in staffed hours and otherwise.
    minutes_staffed: float = 3.0
    minutes_off_hours: float = 10.0
    #: Public holidays (``YYYY-MM-DD`` in the service time zone): handled like off hours.
    holidays: tuple[str, ...] = ()
    #: More waiting conversations than this: no agent can take another one now.
    queue_limit: int = 50


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


@dataclass(frozen=True)
class Settings:
    rasa_url: str = "http://127.0.0.1:5005"
    action_server_host: str = "127.0.0.1"
    action_server_port: int = 5055
    tickets_db_url: str = f"sqlite:///{PROJECT_ROOT / 'var' / 'tickets.db'}"
    #: Token for Rasa's HTTP API (``rasa run --auth-token``); empty means no token.
    rasa_token: str = ""
    service_timezone: str = "Asia/Shanghai"
    #: Weekday hours when support is fastest (seed related Q3: 9:00 to 18:00).
    peak_staffed_hours: tuple[int, int] = (9, 18)
    contact: ContactDetails = field(default_factory=ContactDetails)
    telegram: TelegramSettings = field(default_factory=TelegramSettings)
    tickets: TicketSettings = field(default_factory=TicketSettings)
    webchat: WebChatSettings = field(default_factory=WebChatSettings)
    handoff: HandoffSettings = field(default_factory=HandoffSettings)
    console: ConsoleSettings = field(default_factory=ConsoleSettings)

    @classmethod
    def from_env(cls) -> Settings:
        default = cls()
        start, _, end = _env("GOPAY_STAFFED_HOURS", "9-18").partition("-")
        return cls(
            rasa_url=_env("RASA_URL", default.rasa_url).rstrip("/"),
            action_server_host=_env("ACTION_SERVER_HOST", default.action_server_host),
            action_server_port=int(_env("ACTION_SERVER_PORT", str(default.action_server_port))),
            tickets_db_url=_env("TICKETS_DB_URL", default.tickets_db_url),
            rasa_token=_env("RASA_TOKEN", ""),
            service_timezone=_env("GOPAY_SERVICE_TZ", default.service_timezone),
            peak_staffed_hours=(int(start), int(end or 18)),
            contact=ContactDetails(
                phone=_env("GOPAY_SUPPORT_PHONE", ContactDetails.phone),
                email=_env("GOPAY_SUPPORT_EMAIL", ContactDetails.email),
                social=_env("GOPAY_SUPPORT_SOCIAL", ContactDetails.social),
                website=_env("GOPAY_SUPPORT_WEBSITE", ContactDetails.website),
            ),
            telegram=TelegramSettings(
                bot_token=_env("TELEGRAM_BOT_TOKEN", ""),
                webhook_secret=_env("TELEGRAM_WEBHOOK_SECRET", ""),
                api_base_url=_env("TELEGRAM_API_BASE_URL", TelegramSettings.api_base_url).rstrip(
                    "/"
                ),
                mode=_env("TELEGRAM_MODE", TelegramSettings.mode).lower(),
                webhook_url=_env("TELEGRAM_WEBHOOK_URL", ""),
                chat_interval=float(
                    _env("TELEGRAM_CHAT_INTERVAL", str(TelegramSettings.chat_interval))
                ),
                global_rate=float(_env("TELEGRAM_GLOBAL_RATE", str(TelegramSettings.global_rate))),
            ),
            tickets=TicketSettings(
                description_max_chars=int(
                    _env("TICKET_DESCRIPTION_MAX_CHARS", str(TicketSettings.description_max_chars))
                ),
                verify_max_attempts=int(
                    _env("TICKET_VERIFY_MAX_ATTEMPTS", str(TicketSettings.verify_max_attempts))
                ),
                verify_window_minutes=int(
                    _env("TICKET_VERIFY_WINDOW_MINUTES", str(TicketSettings.verify_window_minutes))
                ),
                contact_max_attempts=int(
                    _env("TICKET_CONTACT_MAX_ATTEMPTS", str(TicketSettings.contact_max_attempts))
                ),
                notify_timeout=float(
                    _env("TICKET_NOTIFY_TIMEOUT", str(TicketSettings.notify_timeout))
                ),
            ),
            webchat=_webchat_from_env(),
            handoff=_handoff_from_env(),
            console=_console_from_env(),
        )


def _webchat_from_env() -> WebChatSettings:
    """``GOPAY_WEBCHAT_ORIGINS`` is comma-separated; ``GOPAY_WEBCHAT_RATE_LIMIT`` is ``20/60``."""
    messages, _, window = _env("GOPAY_WEBCHAT_RATE_LIMIT", "").partition("/")
    origins = _env("GOPAY_WEBCHAT_ORIGINS", "")
    return WebChatSettings(
        allowed_origins=tuple(o.strip().rstrip("/") for o in origins.split(",") if o.strip()),
        max_message_chars=int(
            _env("GOPAY_WEBCHAT_MAX_CHARS", str(WebChatSettings.max_message_chars))
        ),
        rate_limit_messages=int(messages or WebChatSettings.rate_limit_messages),
        rate_limit_window=float(window or WebChatSettings.rate_limit_window),
    )


def _handoff_from_env() -> HandoffSettings:
    """``GOPAY_HANDOFF_MINUTES`` is ``staffed/off-hours``, e.g. ``3/10``;
    ``GOPAY_HOLIDAYS`` is comma-separated ``YYYY-MM-DD``."""
    staffed, _, off = _env("GOPAY_HANDOFF_MINUTES", "").partition("/")
    holidays = _env("GOPAY_HOLIDAYS", "")
    return HandoffSettings(
        presence_seconds=int(
            _env("GOPAY_HANDOFF_PRESENCE_SECONDS", str(HandoffSettings.presence_seconds))
        ),
        minutes_staffed=float(staffed or HandoffSettings.minutes_staffed),
        minutes_off_hours=float(off or HandoffSettings.minutes_off_hours),
        holidays=tuple(d.strip() for d in holidays.split(",") if d.strip()),
        queue_limit=int(_env("GOPAY_HANDOFF_QUEUE_LIMIT", str(HandoffSettings.queue_limit))),
    )


def _console_from_env() -> ConsoleSettings:
    """``GOPAY_AGENTS`` is ``name:hash,name:hash`` (hashes from ``python -m console
    hash-password``)."""
    agents = []
    for item in _env("GOPAY_AGENTS", "").split(","):
        name, _, hashed = item.strip().partition(":")
        if name and hashed:
            agents.append((name, hashed))
    return ConsoleSettings(
        host=_env("GOPAY_CONSOLE_HOST", ConsoleSettings.host),
        port=int(_env("GOPAY_CONSOLE_PORT", str(ConsoleSettings.port))),
        agents=tuple(agents),
        session_minutes=int(
            _env("GOPAY_CONSOLE_SESSION_MINUTES", str(ConsoleSettings.session_minutes))
        ),
        idle_minutes=int(_env("GOPAY_CONSOLE_IDLE_MINUTES", str(ConsoleSettings.idle_minutes))),
        secure_cookie=_env("GOPAY_CONSOLE_SECURE_COOKIE", "false").lower() in ("1", "true", "yes"),
    )


@lru_cache(maxsize=1)
def settings() -> Settings:
    """Process-wide settings; tests that change the environment call ``settings.cache_clear()``."""
    return Settings.from_env()
