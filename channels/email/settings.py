"""Settings of the e-mail channel, from ``GOPAY_EMAIL_*`` environment variables.

The channel is off unless both the mailbox (IMAP) and the outgoing server (SMTP) are
configured; a half-done configuration is an error naming the missing variables, never a
channel that reads mail it cannot answer. Passwords never appear in ``repr`` (logs, tracebacks)
and are never sent in clear over the network: plain connections are allowed to loopback
hosts only (a local relay or the tests' mail server).
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from channels.email.limits import MailLimits

PREFIX = "GOPAY_EMAIL_"
#: Connection security: implicit TLS, STARTTLS upgrade, or none (loopback only).
TLS_MODES = ("ssl", "starttls", "none")
_IMAP_PORTS = {"ssl": 993, "starttls": 143, "none": 143}
_SMTP_PORTS = {"ssl": 465, "starttls": 587, "none": 25}


class EmailSettingsError(ValueError):
    """The ``GOPAY_EMAIL_*`` variables are set but incomplete or invalid."""


@dataclass(frozen=True)
class EmailSettings:
    """Where the support mailbox is, how the bot sends, and the intake's limits."""

    imap_host: str
    imap_user: str
    imap_password: str = field(repr=False)
    smtp_host: str
    from_address: str
    imap_port: int = 993
    imap_tls: str = "ssl"
    imap_folder: str = "INBOX"
    smtp_port: int = 587
    smtp_tls: str = "starttls"
    smtp_user: str = ""
    smtp_password: str = field(default="", repr=False)
    from_name: str = "Gopay"
    #: More addresses of our own (aliases): mail from them is never answered.
    aliases: tuple[str, ...] = ()
    #: A CA bundle to trust instead of the system's (a private or self-signed certificate).
    tls_ca_file: str | None = None
    poll_seconds: float = 30.0
    limits: MailLimits = MailLimits()
    #: Replies per sender address within ``reply_window`` seconds; more mails are not answered.
    reply_limit: int = 20
    reply_window: float = 3600.0
    #: How long a mail whose processing fails (Rasa or the mailbox away) is retried.
    retry_seconds: float = 3600.0

    def __post_init__(self) -> None:
        for name, mode, host in (
            ("IMAP_TLS", self.imap_tls, self.imap_host),
            ("SMTP_TLS", self.smtp_tls, self.smtp_host),
        ):
            if mode not in TLS_MODES:
                raise EmailSettingsError(f"{PREFIX}{name} must be one of {', '.join(TLS_MODES)}")
            if mode == "none" and not is_loopback(host):
                raise EmailSettingsError(
                    f"{PREFIX}{name}=none is only allowed for a loopback host: "
                    "passwords and customer mail must not cross the network in clear"
                )
        if "@" not in self.from_address:
            raise EmailSettingsError(f"{PREFIX}FROM must be an e-mail address")
        if bool(self.smtp_user) != bool(self.smtp_password):
            raise EmailSettingsError(f"{PREFIX}SMTP_USER and {PREFIX}SMTP_PASSWORD go together")
        if self.poll_seconds <= 0:
            raise EmailSettingsError(f"{PREFIX}POLL_SECONDS must be positive")
        if self.reply_limit < 1 or self.reply_window <= 0:
            raise EmailSettingsError(f"{PREFIX}REPLY_LIMIT and {PREFIX}REPLY_WINDOW_SECONDS must be positive")
        if self.retry_seconds <= 0:
            raise EmailSettingsError(f"{PREFIX}RETRY_SECONDS must be positive")

    @property
    def domain(self) -> str:
        """Our mail domain: the right-hand side of the bot's Message-IDs."""
        return self.from_address.rpartition("@")[2].lower()

    @property
    def own_addresses(self) -> frozenset[str]:
        """Every address that is us: mail from these is a loop, never a customer."""
        candidates = (self.from_address, self.imap_user, self.smtp_user, *self.aliases)
        return frozenset(a.strip().lower() for a in candidates if "@" in a)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> EmailSettings | None:
        """The settings, or ``None`` (channel disabled) when IMAP and SMTP are not both set.

        Raises :class:`EmailSettingsError` for a configuration that is started but unusable.
        """
        env = os.environ if env is None else env

        def get(name: str, default: str = "") -> str:
            return env.get(PREFIX + name, default).strip()

        if not get("IMAP_HOST") and not get("SMTP_HOST"):
            return None
        required = ("IMAP_HOST", "IMAP_USER", "IMAP_PASSWORD", "SMTP_HOST")
        missing = [PREFIX + name for name in required if not get(name)]
        from_address = get("FROM") or (get("IMAP_USER") if "@" in get("IMAP_USER") else "")
        if not from_address:
            missing.append(PREFIX + "FROM")
        if missing:
            raise EmailSettingsError(f"e-mail channel half configured, missing: {', '.join(missing)}")
        imap_tls = get("IMAP_TLS", "ssl").lower()
        smtp_tls = get("SMTP_TLS", "starttls").lower()
        defaults = MailLimits()
        try:
            limits = MailLimits(
                max_message_bytes=_int(get, "MAX_MESSAGE_BYTES", defaults.max_message_bytes),
                max_attachments=_int(get, "MAX_ATTACHMENTS", defaults.max_attachments),
                max_parts=_int(get, "MAX_PARTS", defaults.max_parts),
                max_text_chars=_int(get, "MAX_TEXT_CHARS", defaults.max_text_chars),
            )
        except EmailSettingsError:
            raise
        except ValueError as error:
            raise EmailSettingsError(f"{PREFIX}MAX_*: {error}") from None
        return cls(
            imap_host=get("IMAP_HOST"),
            imap_port=_int(get, "IMAP_PORT", _IMAP_PORTS.get(imap_tls, 993)),
            imap_user=get("IMAP_USER"),
            imap_password=env.get(PREFIX + "IMAP_PASSWORD", ""),
            imap_folder=get("IMAP_FOLDER", "INBOX"),
            imap_tls=imap_tls,
            smtp_host=get("SMTP_HOST"),
            smtp_port=_int(get, "SMTP_PORT", _SMTP_PORTS.get(smtp_tls, 587)),
            smtp_user=get("SMTP_USER"),
            smtp_password=env.get(PREFIX + "SMTP_PASSWORD", ""),
            smtp_tls=smtp_tls,
            from_address=from_address,
            from_name=get("FROM_NAME", "Gopay"),
            aliases=tuple(a.strip() for a in get("ALIASES").split(",") if a.strip()),
            tls_ca_file=get("TLS_CA_FILE") or None,
            poll_seconds=_number(get, "POLL_SECONDS", 30.0),
            limits=limits,
            reply_limit=_int(get, "REPLY_LIMIT", 20),
            reply_window=_number(get, "REPLY_WINDOW_SECONDS", 3600.0),
            retry_seconds=_number(get, "RETRY_SECONDS", 3600.0),
        )


def is_loopback(host: str) -> bool:
    """Whether ``host`` names this machine (127.0.0.0/8, ::1, localhost)."""
    if host.lower() in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _int(get: Callable[[str], str], name: str, default: int) -> int:
    value = get(name)
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise EmailSettingsError(f"{PREFIX}{name} must be a whole number") from None


def _number(get: Callable[[str], str], name: str, default: float) -> float:
    value = get(name)
    if not value:
        return default
    try:
        return float(value)
    except ValueError:
        raise EmailSettingsError(f"{PREFIX}{name} must be a number") from None
