"""Web chat channel settings, from ``GOPAY_WEBCHAT_*`` environment variables."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from gopay_support.wiring import IDENTITY_KEY, Environment, secret


@dataclass(frozen=True)
class WebChatSettings:
    """Limits of the web chat channel (issue 4); deployments tune them without code changes."""

    #: Origins of other sites whose pages may open the chat socket. ``("*",)`` allows every
    #: origin.
    allowed_origins: tuple[str, ...] = ()
    #: The server's own public origin(s) (the demo page at ``/webchat/``), from
    #: ``GOPAY_PUBLIC_ORIGINS``; never taken from the request's ``Host`` header.
    public_origins: tuple[str, ...] = ()
    #: Longest accepted message, in characters; longer ones never reach the bot.
    max_message_chars: int = 2000
    #: At most ``rate_limit_messages`` messages per conversation, and per connection, within
    #: ``rate_limit_window`` seconds, and ``address_rate_limit`` per client address.
    rate_limit_messages: int = 20
    rate_limit_window: float = 60.0
    address_rate_limit: int = 60
    #: Reverse proxies whose ``X-Forwarded-For`` is believed (``GOPAY_TRUSTED_PROXIES``).
    trusted_proxies: tuple[str, ...] = ()
    #: Key of the digests that turn session secrets into conversation ids
    #: (``GOPAY_IDENTITY_KEY`` or the generated ``var/secrets/identity_key``); empty: a
    #: random key for this process only (tests).
    identity_key: str = ""

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> WebChatSettings:
        """``GOPAY_WEBCHAT_ORIGINS`` is comma-separated; ``GOPAY_WEBCHAT_RATE_LIMIT`` is ``20/60``;
        ``GOPAY_WEBCHAT_ADDRESS_RATE_LIMIT`` is a number per the same window."""
        env = Environment(environ)
        messages, window = env.pair(
            "GOPAY_WEBCHAT_RATE_LIMIT", (cls.rate_limit_messages, cls.rate_limit_window), "/"
        )
        return cls(
            allowed_origins=tuple(o.rstrip("/") for o in env.items("GOPAY_WEBCHAT_ORIGINS")),
            public_origins=tuple(o.rstrip("/") for o in env.items("GOPAY_PUBLIC_ORIGINS")),
            max_message_chars=env.integer("GOPAY_WEBCHAT_MAX_CHARS", cls.max_message_chars),
            rate_limit_messages=int(messages),
            rate_limit_window=window,
            address_rate_limit=env.integer("GOPAY_WEBCHAT_ADDRESS_RATE_LIMIT", cls.address_rate_limit),
            trusted_proxies=env.items("GOPAY_TRUSTED_PROXIES"),
            identity_key=secret(IDENTITY_KEY, environ),
        )
