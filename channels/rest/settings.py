"""REST channel settings, from ``GOPAY_REST_*`` environment variables."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from gopay_support.wiring import IDENTITY_KEY, REST_TOKEN, Environment, secret


@dataclass(frozen=True)
class RestSettings:
    #: Bearer token a caller from outside loopback must send (``Authorization: Bearer``):
    #: ``GOPAY_REST_TOKEN`` or the generated ``var/secrets/rest_token``.
    token: str
    #: Key of the keyed digests of client addresses (``GOPAY_IDENTITY_KEY``).
    identity_key: str
    #: Longest accepted message, in characters.
    max_message_chars: int = 2000
    #: Largest request body, in bytes.
    max_body_bytes: int = 16_384
    #: Messages per sender id, and per client address, within ``rate_window`` seconds.
    sender_limit: int = 30
    address_limit: int = 120
    rate_window: float = 60.0
    #: Reverse proxies whose ``X-Forwarded-For`` is believed.
    trusted_proxies: tuple[str, ...] = ()

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> RestSettings:
        """``GOPAY_REST_RATE_LIMIT`` is ``30/60`` (per sender), ``GOPAY_REST_ADDRESS_RATE_LIMIT``
        ``120/60`` (per client address)."""
        env = Environment(environ)
        sender_limit, window = env.pair("GOPAY_REST_RATE_LIMIT", (cls.sender_limit, cls.rate_window), "/")
        address_limit, _ = env.pair("GOPAY_REST_ADDRESS_RATE_LIMIT", (cls.address_limit, window), "/")
        return cls(
            token=secret(REST_TOKEN, environ),
            identity_key=secret(IDENTITY_KEY, environ),
            max_message_chars=env.integer("GOPAY_REST_MAX_CHARS", cls.max_message_chars),
            max_body_bytes=env.integer("GOPAY_REST_MAX_BODY_BYTES", cls.max_body_bytes),
            sender_limit=int(sender_limit),
            address_limit=int(address_limit),
            rate_window=window,
            trusted_proxies=env.items("GOPAY_TRUSTED_PROXIES"),
        )
